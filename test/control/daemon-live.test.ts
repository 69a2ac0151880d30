/**
 * arpemu daemon on a real interface (root): the daemon runs inside one
 * network namespace on its end of a veth pair; the Linux kernel in the
 * peer namespace is its neighbour. Namespaces are made and removed by
 * the test (test/helpers/env.ts).
 */
import test from 'ava';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../src/control/client.js';
import { diffCpus } from '../../src/control/format.js';
import { createVethPair, hasTool, needCap, needNetns, needRoot, needTool, requireOrSkip, type VethPair } from '../helpers/env.js';
import { cpusUnavailable, tmpDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const NEEDS = [needRoot, needNetns, needCap, needTool('arping', 'iputils-arping'), needTool('tcpdump', 'tcpdump'), needTool('python3', 'python3')];

const DAEMON_MAC = '02:00:00:00:01:01';
const KERNEL_MAC = '02:00:00:00:00:02';

interface LiveDaemon {
  child: ChildProcess;
  socket: string;
  lines: Record<string, unknown>[];
  stderr: string;
  /** Resolves with the first log line (already seen or to come) matching `pred`. */
  wait(pred: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** Start `arpemu daemon` inside the pair's namespace A; resolves once it logs `ready`. */
async function startDaemon(pair: VethPair, dir: string, config: unknown, extra: string[] = []): Promise<LiveDaemon> {
  const cfg = join(dir, 'arpemu.json');
  writeFileSync(cfg, JSON.stringify(config));
  const socket = join(dir, 'arpemu.sock');
  const child = pair.spawn(pair.nsA, [process.execPath, MAIN, 'daemon', '--config', cfg, '--socket', socket, '--state', join(dir, 'state.json'), '--log-level', 'debug', ...extra]);
  const lines: Record<string, unknown>[] = [];
  let waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  const d: LiveDaemon = {
    child, socket, lines, stderr: '',
    wait(pred, ms = 60_000) {
      const have = lines.find(pred);
      if (have !== undefined) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`daemon: no matching log line within ${ms} ms; stderr: ${d.stderr.trim()}`)), ms);
        waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) {
      if (p.trim() === '') continue;
      const l = JSON.parse(p) as Record<string, unknown>;
      lines.push(l);
      waiters = waiters.filter((w) => { if (w.pred(l)) { w.resolve(l); return false; } return true; });
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => { d.stderr += s; });
  await Promise.race([
    d.wait((l) => l['msg'] === 'ready'),
    d.exited.then((code) => { throw new Error(`daemon exited (${code}) before ready: ${d.stderr.trim()}`); }),
  ]);
  return d;
}

async function stopDaemon(d: LiveDaemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill(signal);
  return d.exited;
}

interface Run { code: number; stdout: string; stderr: string }
function cli(args: string[], socket: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args, '--socket', socket], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

function exitCodeOf(p: Promise<unknown>): Promise<number> {
  return p.then(() => 0, (e: { code?: unknown }) => (typeof e.code === 'number' ? e.code : 1));
}

async function pairWithKernel(t: Parameters<typeof createVethPair>[0]): Promise<VethPair> {
  const pair = await createVethPair(t, { macA: DAEMON_MAC, macB: KERNEL_MAC });
  await pair.exec(pair.nsB, ['ip', 'addr', 'add', '10.0.0.2/24', 'dev', pair.ifB]);
  return pair;
}

/** Raw ARP claim from the peer namespace: a request whose sender IP is `ip` (AF_PACKET, independent of our code). */
const CLAIM_PY = `
import socket, struct, sys
iface, ip = sys.argv[1], sys.argv[2]
mac = bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((iface, 0))
a = socket.inet_aton(ip)
s.send(b"\\xff" * 6 + mac + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x800, 6, 4, 1) + mac + a + b"\\x00" * 6 + a + b"\\x00" * 18)
`;

test.serial.before(() => { process.setMaxListeners(50); });

requireOrSkip(test.serial, 'daemon on a veth: the kernel resolves it (ping), arping -c 3 gets 3 replies, arping -D sees the duplicate, the daemon learns the peer', NEEDS, async (t) => {
  const pair = await pairWithKernel(t);
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const d = await startDaemon(pair, dir, { interfaces: [{ name: pair.ifA, addresses: ['10.0.0.1/24'], acd: false }] });
  t.teardown(() => stopDaemon(d, 'SIGKILL'));

  // No ICMP answer comes (the daemon does ARP only): what matters is the kernel's neighbour resolution.
  // Without ping (iputils-ping), a UDP datagram makes the kernel resolve the same way.
  if (hasTool('ping')) await exitCodeOf(pair.exec(pair.nsB, ['ping', '-c', '1', '-W', '1', '10.0.0.1']));
  else {
    t.log('ping not installed (iputils-ping): the kernel resolves for a UDP datagram instead');
    await pair.exec(pair.nsB, ['python3', '-c', 'import socket,time; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("10.0.0.1", 9)); time.sleep(0.5)']);
  }
  const neigh = await pair.exec(pair.nsB, ['ip', 'neigh', 'show', '10.0.0.1', 'dev', pair.ifB]);
  t.regex(neigh.stdout, new RegExp(`lladdr ${DAEMON_MAC}`), 'the kernel resolved the daemon address to its MAC');

  const arping = await pair.exec(pair.nsB, ['arping', '-c', '3', '-I', pair.ifB, '10.0.0.1'], 20_000);
  t.regex(arping.stdout, /Received 3 response\(s\)/);
  t.regex(arping.stdout, new RegExp(`\\[${DAEMON_MAC.toUpperCase()}\\]`));

  const dad = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile('ip', ['netns', 'exec', pair.nsB, 'arping', '-D', '-c', '2', '-w', '3', '-I', pair.ifB, '10.0.0.1'], (err, stdout) => {
      resolve({ code: err === null ? 0 : Number(err.code), out: stdout });
    });
  });
  t.is(dad.code, 1, `arping -D exits 1 on a duplicate: ${dad.out}`);
  t.regex(dad.out, /Received [12] response/);

  const arp = await cli(['arp', '-a'], d.socket);
  t.is(arp.code, 0, arp.stderr);
  t.regex(arp.stdout, new RegExp(`^\\? \\(10\\.0\\.0\\.2\\) at ${KERNEL_MAC} on ${pair.ifA} expires in \\d+ seconds \\[ethernet\\]$`, 'm'));
  t.truthy(d.lines.find((l) => l['event'] === 'arp.learned' && l['ip'] === '10.0.0.2' && l['mac'] === KERNEL_MAC));

  t.is(await stopDaemon(d), 0, 'SIGTERM: clean exit 0');
  t.truthy(d.lines.find((l) => l['msg'] === 'stopped'));
});

requireOrSkip(test.serial, 'daemon resolve: the kernel address resolves to its MAC; an absent one is host down after 5 requests', NEEDS, async (t) => {
  const pair = await pairWithKernel(t);
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const d = await startDaemon(pair, dir, { interfaces: [{ name: pair.ifA, addresses: ['10.0.0.1/24'], acd: false }] });
  t.teardown(() => stopDaemon(d, 'SIGKILL'));
  const ok = await cli(['resolve', '10.0.0.2'], d.socket);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, `10.0.0.2 at ${KERNEL_MAC} on ${pair.ifA}\n`);

  const pcap = join(dir, 'wire.pcap');
  const dump = pair.spawn(pair.nsB, ['tcpdump', '-i', pair.ifB, '-U', '-n', '-w', pcap, 'arp']);
  await new Promise((r) => setTimeout(r, 1000)); // tcpdump attaches
  const down = await cli(['resolve', '10.0.0.99', '--timeout', '20'], d.socket);
  dump.kill('SIGINT');
  await new Promise((r) => dump.once('exit', r));
  t.is(down.code, 1);
  t.regex(down.stderr, /^arpemu resolve: 10\.0\.0\.99: host is down \(EHOSTDOWN after \d+\.\d s\)\n$/);
  // Requests of the entry that was rejected (arptimer may free an entry while it resolves, as in the seed).
  const ev = d.lines.filter((l) => l['ip'] === '10.0.0.99' || l['tpa'] === '10.0.0.99');
  const lastFree = ev.map((l) => l['event']).lastIndexOf('arp.expired');
  t.is(ev.slice(lastFree + 1).filter((l) => l['event'] === 'arp.request_sent').length, 5, 'maxtries = 5 requests, then host down');
  t.truthy(d.lines.find((l) => l['event'] === 'arp.reject' && l['ip'] === '10.0.0.99'));
  const onWire = await pair.exec(pair.nsB, ['tcpdump', '-n', '-r', pcap, 'arp and arp[24:4] = 0x0a000063 and ether src', DAEMON_MAC]);
  t.is(onWire.stdout.trim().split('\n').filter(Boolean).length, ev.filter((l) => l['event'] === 'arp.request_sent').length, 'every request reached the wire');
});

requireOrSkip(test.serial, 'daemon ACD: a kernel-owned address is a conflict and not bound; a claimed bound address is defended once, then given up', NEEDS, async (t) => {
  const pair = await pairWithKernel(t);
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const d = await startDaemon(pair, dir, { interfaces: [{ name: pair.ifA, addresses: ['10.0.0.1/24'] }] });
  t.teardown(() => stopDaemon(d, 'SIGKILL'));
  await d.wait((l) => l['event'] === 'acd.bound' && l['ip'] === '10.0.0.1', 60_000);
  const probes = d.lines.filter((l) => l['event'] === 'acd.probe' && l['ip'] === '10.0.0.1');
  t.is(probes.length, 3);
  await d.wait((l) => l['event'] === 'inet.addr_added' && l['addr'] === '10.0.0.1');

  // The kernel owns 10.0.0.2 and answers the probe.
  const add = await cli(['ifconfig', pair.ifA, 'inet', '10.0.0.2/24', 'alias'], d.socket);
  t.is(add.code, 1);
  t.regex(add.stderr, new RegExp(`^arpemu ifconfig: 10\\.0\\.0\\.2 on ${pair.ifA}: address in use by ${KERNEL_MAC}`));
  const conflict = d.lines.find((l) => l['event'] === 'acd.conflict' && l['ip'] === '10.0.0.2')!;
  t.like(conflict, { sha: KERNEL_MAC, src: KERNEL_MAC });
  const ifc = await cli(['ifconfig', pair.ifA], d.socket);
  t.regex(ifc.stdout, /inet 10\.0\.0\.2 netmask 0xffffff00 duplicated/);
  t.falsy(d.lines.find((l) => l['event'] === 'inet.addr_added' && l['addr'] === '10.0.0.2'), 'never given to the emulator');
  t.notRegex((await cli(['arp', '-a'], d.socket)).stdout, new RegExp(`\\(10\\.0\\.0\\.2\\) at ${DAEMON_MAC}`));

  // A peer claims 10.0.0.1 (the daemon's bound address): defended once ...
  await pair.exec(pair.nsB, ['python3', '-c', CLAIM_PY, pair.ifB, '10.0.0.1']);
  await d.wait((l) => l['event'] === 'acd.defended' && l['ip'] === '10.0.0.1');
  t.like(d.lines.find((l) => l['event'] === 'acd.conflict' && l['ip'] === '10.0.0.1'), { sha: KERNEL_MAC, src: KERNEL_MAC });
  t.regex((await cli(['ifconfig', pair.ifA], d.socket)).stdout, /inet 10\.0\.0\.1 netmask 0xffffff00 broadcast 10\.0\.0\.255\n/);
  // ... and a second claim inside DEFEND_INTERVAL (10 s) makes it give the address up.
  await pair.exec(pair.nsB, ['python3', '-c', CLAIM_PY, pair.ifB, '10.0.0.1']);
  await d.wait((l) => l['event'] === 'acd.defence_failed' && l['ip'] === '10.0.0.1');
  await d.wait((l) => l['event'] === 'inet.addr_deleted' && l['addr'] === '10.0.0.1');
  const defended = d.lines.find((l) => l['event'] === 'acd.defended')!;
  const failed = d.lines.find((l) => l['event'] === 'acd.defence_failed')!;
  t.true((failed['t'] as number) - (defended['t'] as number) < 10);
  t.regex((await cli(['ifconfig', pair.ifA], d.socket)).stdout, /inet 10\.0\.0\.1 netmask 0xffffff00 duplicated/);
  const arping = await exitCodeOf(pair.exec(pair.nsB, ['arping', '-c', '2', '-w', '3', '-I', pair.ifB, '10.0.0.1']));
  t.not(arping, 0, 'the daemon no longer answers for the address it gave up');
});

/** A live test of a daemon with `cpus` CPUs, skipped with the reason when they cannot run here. */
function liveWithCpus(cpus: number, title: string, body: Parameters<typeof requireOrSkip>[3]): void {
  const why = cpusUnavailable(cpus, true); // the daemon process uses the CLI's createEmulator
  if (why !== undefined) {
    console.log(`SKIP ${title}: ${why}`);
    test.skip(`${title} [skipped: ${why}]`, () => {});
    return;
  }
  requireOrSkip(test.serial, title, NEEDS, body);
}

// SIGHUP is sent the moment `ready` is read: the daemon must already be
// listening for it (a SIGHUP with no handler kills the process). With two
// CPUs, worker threads compete with the main thread for the cores and that
// window used to be hit about one run in ten.
for (const cpus of [1, 2]) {
  const title = `daemon SIGHUP with --cpus ${cpus}: the re-read config is applied (new address answered, removed entry gone); SIGINT stops cleanly`;
  liveWithCpus(cpus, title, async (t) => {
    const pair = await pairWithKernel(t);
    const { dir, cleanup } = tmpDir();
    t.teardown(cleanup);
    const d = await startDaemon(pair, dir, {
      interfaces: [{ name: pair.ifA, addresses: ['10.0.0.1/24'], acd: false }],
      arp: [{ ip: '10.0.0.50', mac: '02:00:00:00:00:50', pub: true }],
    }, ['--cpus', String(cpus)]);
    t.teardown(() => stopDaemon(d, 'SIGKILL'));
    writeFileSync(join(dir, 'arpemu.json'), JSON.stringify({
      interfaces: [{ name: pair.ifA, addresses: ['10.0.0.1/24', '10.0.0.3/24'], acd: false }],
      arp: [{ ip: '10.0.0.51', mac: '02:00:00:00:00:51', pub: true }],
    }));
    d.child.kill('SIGHUP');
    const done = await Promise.race([
      d.wait((l) => l['msg'] === 'reloaded'),
      d.exited.then((code) => { throw new Error(`daemon exited (${code}, ${d.child.signalCode}) instead of reloading`); }),
    ]);
    t.is(done['errors'], 0);
    t.is(done['applied'], 3, 'address added, entry deleted, entry set');
    const arping = await pair.exec(pair.nsB, ['arping', '-c', '1', '-w', '2', '-I', pair.ifB, '10.0.0.3']);
    t.regex(arping.stdout, /Received 1 response/);
    t.regex(arping.stdout, new RegExp(`\\[${DAEMON_MAC.toUpperCase()}\\]`), 'the new address is answered with the daemon MAC');
    const list = (await cli(['arp', '-a'], d.socket)).stdout;
    t.regex(list, /\(10\.0\.0\.51\) at 02:00:00:00:00:51 .* published/);
    t.notRegex(list, /10\.0\.0\.50\)/);
    t.is((await cli(['cpus', '--diff'], d.socket)).stdout, '', 'every replica applied the reload');
    t.is(await stopDaemon(d, 'SIGINT'), 0);
    t.false(existsSync(d.socket), 'the socket is removed on a clean stop');
  });
}

for (const cpus of [1, 2, 4]) {
  const title = `daemon control with --cpus ${cpus}: arp -s/-d/-a, ifconfig alias/-alias, sysctl; replicas agree; kill -9 and restart with --state restores every acknowledged change`;
  liveWithCpus(cpus, title, async (t) => {
    const pair = await pairWithKernel(t);
    const { dir, cleanup } = tmpDir();
    t.teardown(cleanup);
    const config = {
      interfaces: [{ name: pair.ifA, addresses: ['10.0.0.1/24', '10.0.5.1/24'], acd: false }],
      arp: [{ ip: '10.0.0.50', mac: '02:00:00:00:00:50', pub: true }],
    };
    const d1 = await startDaemon(pair, dir, config, ['--cpus', String(cpus)]);
    t.teardown(() => stopDaemon(d1, 'SIGKILL'));
    const run = async (...args: string[]): Promise<string> => {
      const r = await cli(args, d1.socket);
      t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await run('arp', '-s', '10.0.0.9', '02:00:00:00:00:09');
    await run('arp', '-s', '10.0.0.10', '02:00:00:00:00:0a', 'pub');
    await run('arp', '-s', '10.0.0.11', '02:00:00:00:00:0b', 'temp');
    await run('arp', '-d', '10.0.0.50');
    await run('ifconfig', pair.ifA, 'inet', '10.0.7.1/24', 'alias');
    await run('ifconfig', pair.ifA, 'inet', '10.0.5.1', '-alias');
    await run('sysctl', 'net.link.ether.inet.max_age=900', 'net.link.ether.inet.proxyall=1');
    t.regex(await run('arp', '-a'), /\(10\.0\.0\.10\) at 02:00:00:00:00:0a on \S+ permanent published/);
    const kernel = await pair.exec(pair.nsB, ['arping', '-c', '1', '-w', '2', '-I', pair.ifB, '10.0.0.10']);
    t.regex(kernel.stdout, /Received 1 response/, 'the published entry is answered on the wire');
    t.is(await run('cpus', '--diff'), '', 'every replica agrees with CPU0');
    t.is(JSON.parse(await run('cpus', '--json')).cpus.length, cpus);

    // A stream of changes; kill -9 lands while later ones are in flight (pipelined, so some
    // are being applied or written when the signal arrives).
    const c = await ControlClient.connect(d1.socket);
    const acked: string[] = [];
    const killAt = 20 + Math.floor(Math.random() * 130);
    const calls: Promise<void>[] = [];
    for (let i = 20; i < 250; i++) {
      const ipText = `10.0.7.${i}`;
      calls.push(c.call('arp.set', { ip: ipText, mac: `02:00:00:00:07:${i.toString(16).padStart(2, '0')}` }).then(() => {
        acked.push(ipText);
        if (acked.length === killAt) d1.child.kill('SIGKILL');
      }, () => undefined));
    }
    await Promise.all(calls);
    await d1.exited;
    c.close();
    t.log(`${acked.length} changes acknowledged before kill -9`);
    t.true(acked.length >= killAt && acked.length < 230, 'the kill came in the middle of the stream');

    const d2 = await startDaemon(pair, dir, config, ['--cpus', String(cpus)]);
    t.teardown(() => stopDaemon(d2, 'SIGKILL'));
    const c2 = await ControlClient.connect(d2.socket);
    t.teardown(() => c2.close());
    const list = await c2.call('arp.list', {});
    const has = (ip: string, macText?: string): boolean => list.some((e) => e.ip === ip && (macText === undefined || e.mac === macText));
    for (const ip of acked) t.true(has(ip), `acknowledged ${ip} survived kill -9`);
    t.true(has('10.0.0.9', '02:00:00:00:00:09'));
    t.true(list.some((e) => e.ip === '10.0.0.10' && e.flags.includes('pub')));
    t.true(list.some((e) => e.ip === '10.0.0.11' && !e.flags.includes('permanent')), 'the temp entry is back, still temporary');
    t.false(has('10.0.0.50'), 'the deleted config entry stays deleted');
    const ifs = await c2.call('ifconfig.list', {});
    t.deepEqual(ifs[0]!.addresses.map((a) => a.addr), ['10.0.0.1', '10.0.7.1']);
    const knobs = await c2.call('sysctl.get', { names: ['net.link.ether.inet.max_age', 'net.link.ether.inet.proxyall'] });
    t.deepEqual(knobs.map((k) => k.value), [900, 1]);
    t.deepEqual(diffCpus(await c2.call('dump', {})), []);
  });
}
