/**
 * arpemu daemon against the Linux kernel, answering ARP on the same kind of
 * link (a veth pair each, in namespaces of their own), measured in one run
 * by the same black-box measurers:
 *
 *  - ../shared/tools/arpprobe.py rtt: one request in flight, p50/p90/p99
 *    round trip (target: daemon p50 <= 1.5x the kernel's);
 *  - arpprobe.py flood: requests as fast as Python sends them, replies counted;
 *  - tcpreplay: a capture of requests replayed at fixed offered rates
 *    (--pps) and at --topspeed; replies counted by the probe interface's
 *    rx counter. Reported: the highest offered rate at which the kernel
 *    answers >= 99%, and the daemon's answer ratio at that rate.
 *
 * Both responders own 10.0.0.1-4; the probe side has no address (IPv6 off
 * everywhere, so the only traffic is the measurement's). A third pair
 * runs the smallest user-space responder there is (a blocking AF_PACKET
 * loop in Python that answers every request): its round trip is the floor
 * for any responder outside the kernel, which answers in the sender's own
 * softirq with no wake-up at all. Two more floors bound what any daemon
 * could reach here: `cap-floor` (bench/floors/cap-floor.ts, the least a
 * responder built on cap can do: one JS call and one pcap_sendpacket per
 * frame) and `c-floor` (bench/floors/arp-floor.c, compiled when cc is
 * there: AF_PACKET batched with recvmmsg/sendmmsg, the best user space
 * does). The daemon runs with --log-level error (no per-frame events) and
 * one CPU unless ARPEMU_BENCH_CPUS says otherwise.
 *
 * Run (root): npx tsc -p . && node dist/bench/daemon.bench.js [reps]
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPcapWriter } from '../src/link/pcapio.js';
import { parseIpv4, parseMac } from '../src/wire/addr.js';
import { ARPOP_REQUEST, emitArpFrame } from '../src/wire/arp.js';

const REPS = Number(process.argv[2] ?? 3);
const CPUS = Number(process.env['ARPEMU_BENCH_CPUS'] ?? 1);
const ARPPROBE = process.env['ARPPROBE'] ?? '/work/shared/tools/arpprobe.py';
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CAP_FLOOR = fileURLToPath(new URL('./floors/cap-floor.js', import.meta.url));
// Beside the compiled bench, or (arpemu bench --snapshot copies dist/ only) in the checkout it runs from.
const C_FLOOR_SRC = [fileURLToPath(new URL('../../bench/floors/arp-floor.c', import.meta.url)), join(process.cwd(), 'bench/floors/arp-floor.c')]
  .find((f) => existsSync(f)) ?? 'bench/floors/arp-floor.c';
const RATES = [5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 400_000];
const TARGETS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
const SRC_IP = '10.0.0.200';
const RESPONDER_MAC = '02:00:00:00:01:01';
const PROBE_MAC = '02:00:00:00:00:02';

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function shAsync(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, raw sockets)';
  for (const tool of ['ip', 'python3', 'tcpreplay']) {
    try { sh('sh', ['-c', `command -v ${tool}`]); } catch { return `needs ${tool}`; }
  }
  if (!existsSync(ARPPROBE)) return `needs ${ARPPROBE} (set ARPPROBE)`;
  return undefined;
}

interface Side { name: 'kernel' | 'daemon' | 'floor' | 'cap-floor' | 'c-floor'; nsR: string; nsP: string; ifR: string; ifP: string }

/** The user-space floor: answer every ARP request, nothing else. */
const FLOOR_PY = `
import socket, struct, sys
iface = sys.argv[1]
mac = bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806)); s.bind((iface, 0))
while True:
    f = s.recv(2048)
    if len(f) < 42 or f[20:22] != b"\\x00\\x01": continue
    sha, spa, tpa = f[22:28], f[28:32], f[38:42]
    s.send(sha + mac + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x800, 6, 4, 2) + mac + tpa + sha + spa)
`;

const tag = `ab${process.pid}`;
const namespaces: string[] = [];

function makeSide(name: Side['name'], letter: string): Side {
  const nsR = `${tag}${letter}r`, nsP = `${tag}${letter}p`;
  for (const ns of [nsR, nsP]) {
    sh('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  const ifR = nsR, ifP = nsP;
  sh('ip', ['-n', nsR, 'link', 'add', ifR, 'address', RESPONDER_MAC, 'type', 'veth', 'peer', 'name', ifP, 'address', PROBE_MAC, 'netns', nsP]);
  sh('ip', ['-n', nsR, 'link', 'set', ifR, 'up']);
  sh('ip', ['-n', nsP, 'link', 'set', ifP, 'up']);
  return { name, nsR, nsP, ifR, ifP };
}

function cleanup(): void {
  for (const ns of namespaces.splice(0)) { try { sh('ip', ['netns', 'del', ns]); } catch { /* gone */ } }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}

function kv(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=([\d.]+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

async function rtt(s: Side, n: number): Promise<Record<string, number>> {
  return kv(await shAsync('ip', ['netns', 'exec', s.nsP, 'python3', ARPPROBE, 'rtt', s.ifP, SRC_IP, TARGETS[0]!, String(n)]));
}

async function flood(s: Side, seconds: number): Promise<Record<string, number>> {
  return kv(await shAsync('ip', ['netns', 'exec', s.nsP, 'python3', ARPPROBE, 'flood', s.ifP, SRC_IP, TARGETS[0]!, String(TARGETS.length), String(seconds)]));
}

function rxPackets(s: Side): number {
  return Number(sh('ip', ['netns', 'exec', s.nsP, 'cat', `/sys/class/net/${s.ifP}/statistics/rx_packets`]).trim());
}

/** A capture of `n` requests from the probe for the targets in turn. */
function requestCapture(path: string, n: number): void {
  const w = openPcapWriter(path);
  const src = parseMac(PROBE_MAC)!;
  const spa = parseIpv4(SRC_IP)!;
  const f = new Uint8Array(60);
  for (let i = 0; i < n; i++) {
    emitArpFrame(f, 0xffff_ffff_ffff, src, { op: ARPOP_REQUEST, sha: src, spa, tha: 0, tpa: parseIpv4(TARGETS[i % TARGETS.length]!)! }, 0);
    w.write(f, i * 1e-6);
  }
  void w.close();
}

interface Replay { offered: number; achieved: number; sent: number; replies: number; ratio: number }

/** Replay `count` requests at `rate` pps (0: --topspeed); count replies on the probe interface. */
async function replay(s: Side, file: string, rate: number, count: number): Promise<Replay> {
  const before = rxPackets(s);
  const args = ['netns', 'exec', s.nsP, 'tcpreplay', '-q', '-i', s.ifP, '-L', String(count), ...(rate === 0 ? ['--topspeed'] : ['--pps', String(rate)]), file];
  const out = await shAsync('ip', args);
  await new Promise((r) => setTimeout(r, 500)); // late replies
  const replies = rxPackets(s) - before;
  const sent = Number(/Actual: (\d+) packets/.exec(out)?.[1] ?? count);
  const achieved = Number(/Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out)?.[1] ?? NaN);
  return { offered: rate, achieved, sent, replies, ratio: replies / Math.max(1, sent) };
}

async function startDaemon(s: Side, dir: string): Promise<ChildProcess> {
  const cfg = join(dir, `${s.name}.json`);
  writeFileSync(cfg, JSON.stringify({ interfaces: [{ name: s.ifR, addresses: TARGETS.map((a) => `${a}/24`), acd: false }] }));
  const socket = join(dir, 'd.sock');
  const child = spawn('ip', ['netns', 'exec', s.nsR, process.execPath, MAIN, 'daemon', '--config', cfg, '--socket', socket, '--log-level', 'error', '--cpus', String(CPUS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (child.exitCode !== null) throw new Error(`daemon exited: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!existsSync(socket)) throw new Error(`daemon did not start: ${err}`);
  return child;
}

interface Results { rtt: Record<string, number>[]; flood: Record<string, number>[]; sweep: Replay[] }

/**
 * Every side, interleaved run by run, so that load from elsewhere on the
 * machine hits them alike. The flood runs on the first two (kernel, daemon).
 */
async function measureAll(sides: Side[], file: string): Promise<Results[]> {
  const res: Results[] = sides.map(() => ({ rtt: [], flood: [], sweep: [] }));
  for (const s of sides) await rtt(s, 200); // warm-up
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < sides.length; i++) res[i]!.rtt.push(await rtt(sides[i]!, 2000));
    for (let i = 0; i < 2; i++) res[i]!.flood.push(await flood(sides[i]!, 2));
  }
  for (const rate of [...RATES, 0]) {
    const runs: Replay[][] = sides.map(() => []);
    for (let r = 0; r < REPS; r++) {
      for (let i = 0; i < sides.length; i++) runs[i]!.push(await replay(sides[i]!, file, rate, rate === 0 ? 200_000 : Math.min(200_000, rate * 2)));
    }
    for (let i = 0; i < sides.length; i++) {
      const m = median(runs[i]!.map((x) => x.ratio));
      res[i]!.sweep.push(runs[i]!.find((x) => x.ratio === m)!);
    }
  }
  return res;
}

/** bench/floors/arp-floor.c built into `dir`, or why not. */
function buildCFloor(dir: string): string | { skip: string } {
  const out = join(dir, 'arp-floor');
  try {
    sh('cc', ['-O2', '-o', out, C_FLOOR_SRC]);
    return out;
  } catch (e) {
    return { skip: `c-floor not measured: cc -O2 ${C_FLOOR_SRC} failed (${(e as Error).message.split('\n')[0]})` };
  }
}

async function main(): Promise<void> {
  const why = missing();
  if (why !== undefined) {
    console.log(`SKIP daemon bench: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'arpemu-bench-'));
  let daemon: ChildProcess | undefined;
  const responders: ChildProcess[] = [];
  process.on('exit', cleanup);
  try {
    const k = makeSide('kernel', 'k');
    const d = makeSide('daemon', 'd');
    const f = makeSide('floor', 'f');
    const cap = makeSide('cap-floor', 'c');
    const sides = [k, d, cap];
    responders.push(spawn('ip', ['netns', 'exec', f.nsR, 'python3', '-c', FLOOR_PY, f.ifR], { stdio: 'ignore' }));
    responders.push(spawn('ip', ['netns', 'exec', cap.nsR, process.execPath, CAP_FLOOR, cap.ifR], { stdio: 'ignore' }));
    const cBin = buildCFloor(dir);
    if (typeof cBin === 'string') {
      const c = makeSide('c-floor', 'x');
      responders.push(spawn('ip', ['netns', 'exec', c.nsR, cBin, c.ifR], { stdio: 'ignore' }));
      sides.push(c);
    } else console.log(cBin.skip);
    for (const a of TARGETS) sh('ip', ['-n', k.nsR, 'addr', 'add', `${a}/24`, 'dev', k.ifR]);
    daemon = await startDaemon(d, dir);
    const file = join(dir, 'requests.pcap');
    requestCapture(file, 200_000);
    console.log(`daemon bench: ${REPS} repetitions, daemon --cpus ${CPUS}, load average ${sh('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ')}`);
    const all = await measureAll(sides, file);
    const [kr, dr] = all as [Results, Results];
    const fr: Record<string, number>[] = [];
    await rtt(f, 200);
    for (let r = 0; r < REPS; r++) fr.push(await rtt(f, 2000));

    const p = (xs: Record<string, number>[], key: string): number => median(xs.map((x) => x[key] ?? NaN));
    const rows: [string, Record<string, number>[]][] = [...sides.map((s, i) => [s.name, all[i]!.rtt] as [string, Record<string, number>[]]), ['py-floor', fr]];
    console.log('\nround trip (arpprobe rtt, one request in flight; median over repetitions), microseconds');
    console.log('side        p50     p90     p99     min   / kernel p50');
    for (const [name, r] of rows) {
      console.log(`${name.padEnd(9)} ${p(r, 'p50_us').toFixed(1).padStart(6)}  ${p(r, 'p90_us').toFixed(1).padStart(6)}  ${p(r, 'p99_us').toFixed(1).padStart(6)}  ${p(r, 'min_us').toFixed(1).padStart(6)}  ${(p(r, 'p50_us') / p(kr.rtt, 'p50_us')).toFixed(2).padStart(8)}`);
    }
    const ratio = p(dr.rtt, 'p50_us') / p(kr.rtt, 'p50_us');
    console.log(`daemon p50 / kernel p50 = ${ratio.toFixed(2)} (target <= 1.5)`);

    console.log('\nflood (arpprobe flood, 4 targets, 2 s; median)');
    for (const [name, r] of [['kernel', kr], ['daemon', dr]] as const) {
      console.log(`${name.padEnd(6)} sent/s ${p(r.flood, 'sent_per_s').toFixed(0).padStart(8)}  replied/s ${p(r.flood, 'replied_per_s').toFixed(0).padStart(8)}  ratio ${p(r.flood, 'ratio').toFixed(3)}`);
    }

    console.log('\ntcpreplay sweep (offered pps: achieved pps / answered fraction per side; median of repetitions)');
    console.log(`offered  ${sides.map((s) => s.name.padStart(20)).join('')}`);
    for (let i = 0; i < kr.sweep.length; i++) {
      const off = kr.sweep[i]!.offered;
      console.log(`${(off === 0 ? 'topspeed' : String(off)).padStart(8)} ${all.map((r) => `${r.sweep[i]!.achieved.toFixed(0).padStart(12)} ${r.sweep[i]!.ratio.toFixed(3)}`).join('')}`);
    }
    const ok = kr.sweep.filter((x) => x.ratio >= 0.99);
    const best = ok.length === 0 ? undefined : ok.reduce((m, x) => ((x.offered === 0 ? x.achieved : x.offered) > (m.offered === 0 ? m.achieved : m.offered) ? x : m));
    if (best === undefined) console.log('\nthe kernel answered < 99% at every offered rate');
    else {
      const at = kr.sweep.indexOf(best);
      const rate = best.offered === 0 ? `topspeed (~${best.achieved.toFixed(0)} pps)` : `${best.offered} pps`;
      console.log(`\nhighest offered rate with kernel >= 99%: ${rate}; answered there: ${sides.slice(1).map((s, i) => `${s.name} ${(100 * all[i + 1]!.sweep[at]!.ratio).toFixed(1)}%`).join(', ')} (daemon ${dr.sweep[at]!.ratio >= 0.99 ? 'meets' : 'misses'} the target)`);
    }
    for (let i = 1; i < sides.length; i++) {
      const good = all[i]!.sweep.filter((x) => x.ratio >= 0.99 && x.offered !== 0).map((x) => x.offered);
      console.log(`highest offered rate with ${sides[i]!.name} >= 99%: ${good.length === 0 ? 'none of the rates tried' : `${Math.max(...good)} pps`}`);
    }
    const floors = Object.fromEntries(sides.slice(2).map((s, i) => [s.name === 'cap-floor' ? 'capFloor' : 'cFloor', all[i + 2]!]));
    console.log(JSON.stringify({ bench: 'daemon', cpus: CPUS, reps: REPS, kernel: kr, daemon: dr, floor: { rtt: fr }, ...floors }));
  } finally {
    for (const r of responders) r.kill('SIGKILL');
    if (daemon !== undefined && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
