/**
 * `arpemu replay` as a black box: every scenario of test/fixtures/replay-scenarios.ts
 * through replay() with the CLI's emulator (one CPU), its output pcaps
 * checked with tshark, and the command line itself (exit codes 0/1/2, one
 * stderr line naming the bad argument).
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '../../src/cli/emulator.js';
import { parseConfig } from '../../src/config/config.js';
import type { ReplaySummary } from '../../src/control/replay.js';
import { configOps } from '../../src/config/ops.js';
import { encodePcap } from '../../src/wire/pcap.js';
import type { ArpResolveOutcome } from '../../src/arp/resolve.js';
import { needTool, requireOrSkip, tsharkCheck, type Need } from '../helpers/env.js';
import {
  H2, PCAPS, ROOT, SCENARIOS, US0, checkAccounting, cliArgs, ip, prepareScenario, readResult, runDifferences, runScenario, sameRun,
  scenarioFiles, scenarioNamed, whoHas, type ExpectedExpert, type ReplayScenario, type ScenarioResult,
} from '../fixtures/replay-scenarios.js';

const TMP = mkdtempSync(join(tmpdir(), 'arpemu-replay-test-'));
test.after.always(() => rmSync(TMP, { recursive: true, force: true }));

const MAIN = join(ROOT, 'dist/src/cli/main.js');

const needFiles = (s: ReplayScenario): Need => () => {
  const missing = scenarioFiles(s).filter((f) => !existsSync(f));
  return missing.length === 0 ? undefined : `needs ${missing.join(', ')}`;
};
const needTshark = needTool('tshark', 'tshark');

/** Each scenario runs once; the behaviour test and the tshark test share the result. */
const runs = new Map<ReplayScenario, Promise<ScenarioResult>>();
function resultOf(s: ReplayScenario): Promise<ScenarioResult> {
  let p = runs.get(s);
  if (p === undefined) {
    p = runScenario(s, { dir: join(TMP, `s${SCENARIOS.indexOf(s)}`), createEmulator });
    runs.set(s, p);
  }
  return p;
}

// ---------------------------------------------------------------- the scenarios

for (const s of SCENARIOS) {
  requireOrSkip(test, s.name, [needFiles(s)], async (t) => {
    const r = await resultOf(s);
    if (s.inputs.every((i) => 'frames' in i)) {
      t.is(r.summary.framesIn, s.inputs.reduce((n, i) => n + ('frames' in i ? i.frames.length : 0), 0));
    }
    for (const [iface, frames] of Object.entries(r.out)) t.is(r.summary.framesOut[iface], frames.length, `${iface}: summary counts what the pcap holds`);
    t.deepEqual(r.summary.dump, r.dump, 'the --dump file holds the summary\'s dump');
    t.is(r.dump.cpus.length, 1);
    // Every input frame ends accepted or in exactly one drop counter (src/arp/stats.ts).
    checkAccounting(t, r.dump.stats, r.summary.framesIn);
    s.expect(t, r);
  });
}

/**
 * tshark on each capture: it reads every frame, no malformed frame, and no
 * expert item except the expected ones, each of which must occur (else the
 * exception is stale).
 */
/** tshark is slow to start and the machine is shared: at most two at a time (else runs hit tshark's timeout). */
let tsharkSlots = 2;
const tsharkWaiting: (() => void)[] = [];
async function tsharkLimited(path: string): Promise<Awaited<ReturnType<typeof tsharkCheck>>> {
  while (tsharkSlots === 0) await new Promise<void>((r) => tsharkWaiting.push(r));
  tsharkSlots--;
  try { return await tsharkCheck(path); } finally { tsharkSlots++; tsharkWaiting.shift()?.(); }
}

async function checkCaptures(t: ExecutionContext, files: { what: string; path: string; frames: number | undefined }[], expected: ExpectedExpert[]): Promise<void> {
  const seen = new Set<number>();
  for (const f of files) {
    const rep = await tsharkLimited(f.path);
    if (f.frames !== undefined) t.is(rep.frames, f.frames, `${f.what}: tshark reads every frame`);
    const unexpected = rep.problems.filter((p) => {
      const i = expected.findIndex((x) => x.pattern.test(p));
      if (i >= 0) seen.add(i);
      return i < 0;
    });
    t.deepEqual(unexpected, [], `${f.what}: ${f.path}`);
    if (rep.problems.length > unexpected.length) t.log(`${f.what}: ${rep.problems.length - unexpected.length} expected expert items, e.g. ${rep.problems[0]}`);
  }
  expected.forEach((x, i) => t.true(seen.has(i), `expected expert item never seen (stale exception?): ${x.pattern} - ${x.why}`));
}

requireOrSkip(test, 'tshark check: a truncated ARP frame is reported malformed (so the output checks can fail)', [needTshark], async (t) => {
  const f = whoHas(H2, '10.0.0.2', '10.0.0.1').slice(0, 24);
  const path = join(TMP, 'truncated.pcap');
  writeFileSync(path, encodePcap([{ data: f, time: 1 }]));
  const rep = await tsharkLimited(path);
  t.is(rep.frames, 1);
  t.is(rep.problems.length, 1);
  t.regex(rep.problems[0] ?? '', /^1: .*Malformed/);
});

// Wireshark's expert system on our frames. Legitimately expected items: none in
// these scenarios (a scenario that expects one lists it with the reason).
for (const s of SCENARIOS) {
  requireOrSkip(test, `tshark: output of "${s.name}" decodes with no malformed frame and no unexpected expert item`, [needFiles(s), needTshark], async (t) => {
    const r = await resultOf(s);
    const outputs = Object.entries(r.paths.outputs).map(([iface, path]) => ({ what: `output ${iface}`, path, frames: r.out[iface]!.length }));
    await checkCaptures(t, outputs, s.expectedExpert ?? []);
    // The captures the scenario built must be clean too, or the test would prove little.
    const built = r.paths.inputs.filter((i) => i.path.startsWith(r.paths.dir)).map((i) => ({ what: `input ${i.iface ?? ''}`, path: i.path, frames: undefined }));
    await checkCaptures(t, built, s.inputExpert ?? []);
  });
}

test('replay: every scenario run twice gives identical output, events, counters and tables (runDifferences)', async (t) => {
  for (const [i, s] of SCENARIOS.entries()) {
    const why = needFiles(s)();
    if (why !== undefined) { t.log(`skipped ${s.name}: ${why}`); continue; }
    const a = await resultOf(s);
    const b = await runScenario(s, { dir: join(TMP, `again${i}`), createEmulator });
    t.deepEqual(runDifferences(a, b, { events: true }), [], s.name);
  }
  // And sameRun does see a difference.
  const x = await resultOf(SCENARIOS[0]!), y = await resultOf(SCENARIOS[2]!);
  t.regex(sameRun(x, y) ?? '', /output pcap of vemu0 differs at frame 2/);
});

// ---------------------------------------------------------------- host down, from the inside

test('arpresolve: during host_down_time a send fails with EHOSTDOWN without asking; at its end resolution starts again', async (t) => {
  const config = parseConfig({ interfaces: [{ name: 'vemu0', mac: US0, addresses: ['10.0.0.1/24'] }] });
  const emu = createEmulator({ cpus: 1, strategy: 'chain', transport: 'ring', time: { kind: 'virtual', start: 0, lockstep: true } });
  const sent: number[] = [];
  emu.onTransmit((_iface, frame, time) => { if (frame[12] === 0x08 && frame[13] === 0x06) sent.push(time); });
  for (const op of configOps(config, 0)) await emu.apply(op);
  const dst = ip('10.0.0.77');
  for (let s = 2; s <= 7; s++) {
    await emu.advanceTo(s);
    emu.output(dst, { proto: 17, size: 18, id: s });
  }
  t.deepEqual(sent, [0, 2, 3, 4, 5, 6], 'the announcement, then 5 requests; the 6th send rejects');
  const outcomes: ArpResolveOutcome[] = [];
  for (const s of [7.5, 10, 20, 26.999]) {
    await emu.advanceTo(s);
    emu.output(dst, { proto: 17, size: 18, id: 100 });
    outcomes.push(await emu.resolve(dst, 0));
  }
  t.deepEqual(outcomes, Array(4).fill({ kind: 'dropped', errno: 'EHOSTDOWN' }));
  t.is(sent.length, 6, 'no request while rejected');
  await emu.advanceTo(27);
  const again = emu.resolve(dst, 0);
  await emu.advanceTo(27.5);
  t.deepEqual(await again, { kind: 'held' });
  t.deepEqual(sent.slice(6), [27], 'asking again at 7 + host_down_time');
  await emu.close();
});

// ---------------------------------------------------------------- the command line

interface CliResult { code: number | null; stdout: string; stderr: string }

function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, 'replay', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const needCli: Need = () => (existsSync(MAIN) ? undefined : `needs the build (${MAIN}): run npx tsc -p .`);

/** A small valid setup: a config and a one-frame capture. */
function smallSetup(name: string): { dir: string; config: string; pcap: string; out: string } {
  const dir = join(TMP, `cli-${name}`);
  const p = prepareScenario(SCENARIOS[0]!, dir);
  return { dir, config: p.config, pcap: p.inputs[0]!.path, out: join(dir, 'o.pcap') };
}

/** One line on stderr, nothing on stdout, the exit code, and the line names `what`. */
async function failsWith(t: ExecutionContext, args: string[], code: number, what: RegExp): Promise<string> {
  const r = await cli(args);
  t.is(r.code, code, `exit code (stderr: ${r.stderr.trim()})`);
  t.is(r.stdout, '');
  const errLines = r.stderr.split('\n').filter((l) => l !== '');
  t.is(errLines.length, 1, `one stderr line: ${JSON.stringify(r.stderr)}`);
  t.regex(errLines[0] ?? '', what);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  return errLines[0] ?? '';
}

requireOrSkip(test, 'cli replay: a scenario through the command line writes the same bytes as replay(), exit 0', [needCli], async (t) => {
  const s = scenarioNamed('arp_update_oncpu: a reply that moves a dynamic entry -> arp.moved, later traffic goes to the new MAC');
  const inProcess = await resultOf(s);
  const p = prepareScenario(s, join(TMP, 'cli-ok'));
  const r = await cli([...cliArgs(s, p), '--json']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const summary = JSON.parse(r.stdout) as ReplaySummary;
  t.is(summary.framesIn, 2);
  const viaCli = readResult(s, p, summary);
  t.deepEqual(runDifferences(inProcess, viaCli, { events: true }), []);
  s.expect(t, viaCli);
  // The text summary too.
  const text = await cli(cliArgs(s, p));
  t.is(text.code, 0);
  t.regex(text.stdout, /^replay: 2 frames in, 2 datagrams sent by the emulator/);
  t.regex(text.stdout, /arp\.moved\s+1/);
});

requireOrSkip(test, 'cli replay: no --config -> exit 2 naming --config', [needCli], async (t) => {
  const { pcap } = smallSetup('noconfig');
  await failsWith(t, ['--in', pcap], 2, /--config/);
});

requireOrSkip(test, 'cli replay: a config file that does not exist -> exit 1 naming it', [needCli], async (t) => {
  const { pcap, dir } = smallSetup('configmissing');
  const missing = join(dir, 'nope.json');
  const line = await failsWith(t, ['--config', missing, '--in', pcap], 1, /no such file/i);
  t.true(line.includes(missing), line);
});

requireOrSkip(test, 'cli replay: a config with a bad field -> exit 1 naming the field', [needCli], async (t) => {
  const { pcap, dir } = smallSetup('configbad');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ interfaces: [{ name: 'vemu0', mac: 'zz', addresses: [] }] }));
  await failsWith(t, ['--config', bad, '--in', pcap], 1, /interfaces\[0\]\.mac: "zz" is not a MAC address/);
  writeFileSync(bad, '{ "interfaces": [');
  await failsWith(t, ['--config', bad, '--in', pcap], 1, new RegExp(`config: ${bad.replace(/[.]/g, '\\.')}: `));
});

for (const [value, why] of [['abc', /--cpus must be an integer, got "abc"/], ['0', /--cpus must be in 1\.\.256, got 0/], ['1.5', /--cpus must be an integer/]] as const) {
  requireOrSkip(test, `cli replay: --cpus ${value} -> exit 2 naming --cpus`, [needCli], async (t) => {
    const { config, pcap } = smallSetup(`cpus${value}`);
    await failsWith(t, ['--config', config, '--in', pcap, '--cpus', value], 2, why);
  });
}

requireOrSkip(test, 'cli replay: --in with an interface the config lacks -> exit 2 naming it', [needCli], async (t) => {
  const { config, pcap } = smallSetup('badif');
  const line = await failsWith(t, ['--config', config, '--in', `vemu9=${pcap}`], 2, /--in vemu9=.*no interface named vemu9/);
  t.regex(line, /^arpemu replay: /);
});

requireOrSkip(test, 'cli replay: --out with an interface the config lacks -> exit 2 naming it', [needCli], async (t) => {
  const { config, pcap, out } = smallSetup('badoutif');
  await failsWith(t, ['--config', config, '--in', pcap, '--out', `em0=${out}`], 2, /--out em0=.*no interface named em0/);
});

requireOrSkip(test, 'cli replay: a non-Ethernet capture (Linux cooked) -> exit 1 naming the file and its link type', [needCli, () => (existsSync(join(PCAPS, 'zeek/linuxsll-arp.pcap')) ? undefined : 'needs ../shared/pcaps/zeek/linuxsll-arp.pcap')], async (t) => {
  const { config, out } = smallSetup('sll');
  const sll = join(PCAPS, 'zeek/linuxsll-arp.pcap');
  await failsWith(t, ['--config', config, '--in', sll, '--out', out], 1, /linuxsll-arp\.pcap: .*LINUX_SLL/);
  t.false(existsSync(out), 'no output written when an input is refused');
});

requireOrSkip(test, 'cli replay: an input file that does not exist -> exit 1 naming it', [needCli], async (t) => {
  const { config, dir } = smallSetup('inmissing');
  const missing = join(dir, 'missing.pcap');
  const line = await failsWith(t, ['--config', config, '--in', missing], 1, /no such file/i);
  t.true(line.includes(missing), line);
});

requireOrSkip(test, 'cli replay: a file that is not a capture -> exit 1 naming it', [needCli], async (t) => {
  const { config, dir } = smallSetup('notpcap');
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'this is not a capture file at all\n');
  await failsWith(t, ['--config', config, '--in', junk], 1, /junk\.pcap: /);
});

for (const [args, what] of [
  [['--settle', '-1'], /--settle must be a number of seconds/],
  [['--settle', 'soon'], /--settle must be a number of seconds/],
  [['--strategy', 'random'], /--strategy must be one of chain, fanout, shared, got "random"/],
  [['--transport', 'pigeon'], /--transport must be one of port, ring/],
  [['--bogus'], /unknown option '--bogus'/],
] as const) {
  requireOrSkip(test, `cli replay: ${args.join(' ')} -> exit 2 naming it`, [needCli], async (t) => {
    const { config, pcap } = smallSetup(`arg${args.join('').replace(/\W/g, '')}`);
    await failsWith(t, ['--config', config, '--in', pcap, ...args], 2, what);
  });
}

requireOrSkip(test, 'cli replay: nothing to replay (no --in, no traffic) -> exit 2', [needCli], async (t) => {
  const { config } = smallSetup('nothing');
  await failsWith(t, ['--config', config], 2, /--in: nothing to replay/);
});

for (const [what, extra, msg] of [
  ['an arp entry on no local network', { arp: [{ ip: '192.168.9.9', mac: '02:00:00:00:00:09' }] }, /^arpemu replay: ENETUNREACH: arp set 192\.168\.9\.9: /],
  ['a route whose gateway is on no interface', { routes: [{ dst: '192.168.7.0/24', gateway: '172.16.0.1' }] }, /^arpemu replay: ENETUNREACH: route 192\.168\.7\.0\/24: .*172\.16\.0\.1/],
  ['an unknown sysctl', { sysctl: { 'net.link.ether.inet.bogus': 1 } }, /net\.link\.ether\.inet\.bogus/],
  ['a sysctl out of range', { sysctl: { 'net.link.ether.inet.max_age': 0 } }, /net\.link\.ether\.inet\.max_age: 0 is out of range/],
] as const) {
  requireOrSkip(test, `cli replay: a config with ${what} -> exit 1 naming it`, [needCli], async (t) => {
    const { dir, pcap } = smallSetup(`op${what.replace(/\W/g, '')}`);
    const config = join(dir, 'op.json');
    writeFileSync(config, JSON.stringify({ interfaces: [{ name: 'vemu0', mac: US0, addresses: ['10.0.0.1/24'] }], ...extra }));
    await failsWith(t, ['--config', config, '--in', pcap], 1, msg);
  });
}

test('replay: the dump has the fields of CONTRACT.md', async (t) => {
  const r = await resultOf(SCENARIOS[0]!);
  const d = r.dump;
  const vemu0 = d.interfaces.find((i) => i.name === 'vemu0');
  t.like(vemu0, { mac: US0, addresses: [{ addr: '10.0.0.1', mask: '255.255.255.0', broadcast: '10.0.0.255' }] });
  t.true(typeof vemu0?.index === 'number' && Array.isArray(vemu0.flags));
  t.deepEqual(d.cpus.map((c) => c.cpu), [0]);
  for (const e of d.cpus[0]!.arp) for (const k of ['ip', 'mac', 'iface', 'flags', 'expires', 'asked', 'held']) t.true(k in e, `arp entry field ${k}`);
  const net = d.cpus[0]!.routes.find((rt) => rt.dst === '10.0.0.0');
  t.like(net, { mask: '255.255.255.0', gateway: null, iface: 'vemu0' });
  for (const k of ['txrequests', 'txreplies', 'rxrequests', 'rxreplies', 'received', 'dropped', 'timeouts', 'dupips', 'drops']) t.true(k in d.stats, `stats.${k}`);
  t.is(d.stats.drops.runt, 0);
});

requireOrSkip(test, 'cli replay: a plain --in and --out take the first interface; an empty capture replays to the announcement only', [needCli], async (t) => {
  const { config, dir } = smallSetup('empty');
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, encodePcap([]));
  const out = join(dir, 'out.pcap');
  const r = await cli(['--config', config, '--in', empty, '--out', out, '--json']);
  t.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as ReplaySummary;
  t.like(summary, { framesIn: 0, start: 0, end: 0, framesOut: { vemu0: 1 } });
  t.is(readFileSync(out).length, 24 + 16 + 42);
});

requireOrSkip(test, 'cli replay: the CLI\'s --in IF=FILE feeds both interfaces (proxyall scenario)', [needCli], async (t) => {
  const s = scenarioNamed('in_arpinput: proxyall on -> answer for an address routed through another interface, never for one on the same interface');
  const p = prepareScenario(s, join(TMP, 'cli-proxy'));
  const args = cliArgs(s, p);
  t.true(args.includes(`vemu1=${p.inputs[1]!.path}`));
  const r = await cli([...args, '--json']);
  t.is(r.code, 0, r.stderr);
  const viaCli = readResult(s, p, JSON.parse(r.stdout) as ReplaySummary);
  s.expect(t, viaCli);
  t.deepEqual(runDifferences(await resultOf(s), viaCli, { events: true }), []);
});

// A request the first scenario is built from, kept in view so a change of the
// frame builders shows up here too.
test('fixtures: whoHas builds a padded broadcast request', (t) => {
  const f = whoHas(H2, '10.0.0.2', '10.0.0.1');
  t.is(f.length, 60);
  t.deepEqual([...f.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  t.deepEqual([...f.subarray(12, 14)], [0x08, 0x06]);
  t.deepEqual([...f.subarray(42)], Array(18).fill(0));
});
