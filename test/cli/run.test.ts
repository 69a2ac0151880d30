import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'arpemu-run-'));

interface Ran { code: number | null; stdout: string; stderr: string; seconds: number }

/** Run `arpemu ARGS` from a directory that is not the package (the default scenario must still be found). */
function arpemu(args: string[], opts: { onStdout?: (chunk: string, kill: (sig: NodeJS.Signals) => void) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [main, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; opts.onStdout?.(c, (s) => child.kill(s)); });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - start) / 1000 }));
  });
}

const SECTIONS = ['resolution latency (virtual ms)', 'per-CPU tables', 'counters (arpstat', 'emulator events', 'held packets sent / dropped'];

test('arpemu run: the default scenario (shortened) exits 0 and prints the report; progress lines when not a terminal', async (t) => {
  const r = await arpemu(['run', '--duration', '10']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  t.regex(r.stdout, /^\[ +\d+\.\d\/10\.0 s\] frames \d+/m);
  t.regex(r.stdout, /arpemu run: scenario lan \(seed 1\), 250 hosts/);
  for (const s of SECTIONS) t.true(r.stdout.includes(s), `no "${s}" in\n${r.stdout}`);
  t.regex(r.stdout, /emulator -> hosts +\d+ +\d+ +\d+\.\d{3}/);
  // No ANSI escapes outside a terminal.
  t.false(r.stdout.includes('\x1b['));
});

test('arpemu run --json FILE: the full report with the final dump; same seed, same JSON', async (t) => {
  const a = join(tmp, 'a.json');
  const b = join(tmp, 'b.json');
  const ra = await arpemu(['run', '--scenario', 'storm', '--duration', '6', '--json', a, '--no-progress']);
  const rb = await arpemu(['run', '--scenario', 'storm', '--duration', '6', '--json', b, '--no-progress']);
  t.is(ra.code, 0, ra.stderr);
  t.is(rb.code, 0, rb.stderr);
  const ja = JSON.parse(readFileSync(a, 'utf8'));
  const jb = JSON.parse(readFileSync(b, 'utf8'));
  t.is(ja.scenario.name, 'storm');
  t.true(Array.isArray(ja.dump.cpus) && ja.dump.cpus[0].arp.length > 0);
  t.is(typeof ja.dump.stats.txrequests, 'number');
  t.true(ja.samples.length > 0);
  delete ja.wall;
  delete jb.wall;
  t.deepEqual(jb, ja);
  t.regex(ra.stdout, /^arpemu run: scenario storm/);
});

test('arpemu run --json -: JSON on stdout, progress on stderr', async (t) => {
  const r = await arpemu(['run', '--duration', '3', '--json', '-', '--seed', '5']);
  t.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.is(j.scenario.seed, 5);
  t.is(j.end, 3);
  t.regex(r.stderr, /^\[ +\d/m);
});

test('arpemu run: a bad scenario fails with one line naming the field (exit 1)', async (t) => {
  const bad = join(tmp, 'bad.json');
  writeFileSync(bad, JSON.stringify({
    config: { interfaces: [{ name: 'vemu0', mac: '02:00:00:00:01:01', addresses: ['10.0.0.1/24'] }] },
    hosts: [{ name: 'a', count: 2, first: '10.0.0.2' }, { name: 'b', ip: '10.0.0.9' }, { name: 'c', ip: '10.0.0.10' }, { name: 'd', ip: '10.0.0.11', mac: 'nope' }],
  }));
  const r = await arpemu(['run', '--scenario', bad]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, 'arpemu run: scenario: hosts[3].mac: "nope" is not a MAC address\n');
});

test('arpemu run: bad usage exits 2 naming the argument', async (t) => {
  for (const [args, re] of [
    [['run', '--cpus', '0'], /--cpus must be in 1\.\.256/],
    [['run', '--duration', 'soon'], /--duration must be a number of seconds/],
    [['run', '--scenario', 'no-such-scenario'], /--scenario no-such-scenario: no such file/],
    [['run', '--strategy', 'gossip'], /--strategy must be one of chain, fanout, shared/],
  ] as const) {
    const r = await arpemu([...args]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re);
  }
});

test('arpemu run --realtime: SIGINT stops the run, prints the report so far and exits 1', async (t) => {
  let sent = false;
  const r = await arpemu(['run', '--realtime', '--duration', '20'], {
    onStdout: (chunk, kill) => {
      // The first progress line means the run is under way.
      if (!sent && chunk.includes('[')) { sent = true; kill('SIGINT'); }
    },
  });
  t.true(sent);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /stopped early; 20 s asked/);
  t.regex(r.stderr, /^arpemu run: interrupted at \d+\.\d+ of 20 virtual seconds/);
  t.true(r.seconds < 30);
});

test('arpemu run: the full default run (npm start) exits 0 within the time budget', async (t) => {
  const r = await arpemu(['run', '--no-progress']);
  t.is(r.code, 0, r.stderr);
  t.log(`default run: ${r.seconds.toFixed(1)} s wall; ${r.stdout.split('\n')[1]}`);
  t.regex(r.stdout, /virtual time 300\.000 s/);
  for (const s of SECTIONS) t.true(r.stdout.includes(s), s);
  t.regex(r.stdout, /arp\.reject +\d+/);
  t.regex(r.stdout, /arp\.moved +\d+/);
  t.regex(r.stdout, /arp\.dupip +\d+/);
  t.true(r.seconds < 60, `${r.seconds} s`);
});
