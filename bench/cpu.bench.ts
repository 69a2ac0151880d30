/**
 * The per-CPU emulator on threads (issue 6), measured in one run with the
 * MessagePort transport as the baseline:
 *
 *  1. chain throughput, 4 CPUs: ARP updates (OP_UPDATE records, as
 *     in_arpinput submits them) handed to CPU0 back to back; each visits
 *     CPU0..CPU3 and is applied to every replica (arpUpdateOnCpu); updates/s
 *     until the last replica applied the last one. port / ring with
 *     wake-ups / ring with busy-polling;
 *  2. frames from an in-memory segment link through the netisr (arpintr) to
 *     CPU0 (in_arpinput) and the chain, 2 CPUs: ARP replies to us from 4096
 *     hosts; frames/s until every replica applied the last one;
 *  3. per-hop latency: one record main -> CPU0 (-> CPU1) -> main, one at a
 *     time; per hop = round trip / hops; p50 and p99;
 *  4. arpresolve hits on each replica (65536 entries), one CPU alone, then
 *     two concurrently: lookups/s and the scaling efficiency.
 * Transports: MessagePort posting every record on its own (the baseline the
 * issue means), MessagePort posting one batch per flush (what the emulator's
 * port transport does), SAB rings with Atomics.waitAsync wake-ups, and rings
 * with bounded busy-polling.
 * Medians of REPS repetitions after a warm-up run. Wall-clock rates: this is
 * a 2-core machine shared with other work, so the load average is printed.
 *
 * Run: node dist/bench/cpu.bench.js [--quick]
 */
import { loadavg } from 'node:os';
import { VirtualClock } from '../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../src/util/timers.js';
import { parseIpv4, parseMac } from '../src/wire/addr.js';
import { ARPOP_REPLY, emitArpFrame } from '../src/wire/arp.js';
import { Segment } from '../src/link/segment.js';
import { ThreadedEmulator } from '../src/cpu/threaded.js';
import type { Strategy, Transport } from '../src/cpu/emulator.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;
const UPDATES = quick ? 200_000 : 500_000;
const FRAMES = quick ? 200_000 : 500_000;
const PINGS = quick ? 300 : 1000;
const LOOKUPS = quick ? 2_000_000 : 5_000_000;
const HOSTS = 4096;
const US = parseMac('02:00:00:00:01:01')!;
const NET = parseIpv4('10.0.0.0')!;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const fmtM = (x: number): string => `${(x / 1e6).toFixed(3)}M`;

interface Variant { name: string; transport: Transport; spin: number; perMessage?: boolean }
const VARIANTS: Variant[] = [
  { name: 'port (per message)', transport: 'port', spin: 0, perMessage: true },
  { name: 'port (batched)', transport: 'port', spin: 0 },
  { name: 'ring (wake-ups)', transport: 'ring', spin: 0 },
  { name: 'ring (busy-poll)', transport: 'ring', spin: 100_000 },
];

async function emulator(cpus: number, v: Variant, strategy: Strategy = 'chain'): Promise<ThreadedEmulator> {
  const emu = new ThreadedEmulator({
    cpus, strategy, transport: v.transport, spin: v.spin, portPerMessage: v.perMessage === true,
    time: { kind: 'virtual', start: 0, lockstep: false },
  });
  await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: US, flags: [] } });
  await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: NET + 1, plen: 16 });
  await emu.quiesce();
  return emu;
}

async function chainThroughput(v: Variant): Promise<number[]> {
  const emu = await emulator(4, v);
  try {
    await emu.injectUpdates(UPDATES / 4, { ifindex: 2, net: NET, hosts: HOSTS });
    const rates: number[] = [];
    for (let r = 0; r < REPS; r++) rates.push(UPDATES / await emu.injectUpdates(UPDATES, { ifindex: 2, net: NET, hosts: HOSTS }));
    return rates;
  } finally { await emu.close(); }
}

/** ARP replies to us (10.0.0.1) from HOSTS hosts, as they come off the wire (60 bytes). */
function replies(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let h = 0; h < HOSTS; h++) {
    const b = new Uint8Array(60);
    const mac = 0x020001000000 + h;
    emitArpFrame(b, US, mac, { op: ARPOP_REPLY, sha: mac, spa: NET + 2 + h, tha: US, tpa: NET + 1 });
    out.push(b);
  }
  return out;
}

async function segmentFrames(v: Variant): Promise<number[]> {
  const emu = await emulator(2, v);
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers });
  const hosts = seg.attach('hosts', 0x020001ffffff);
  const port = seg.attach('emu', US);
  port.onReceive((frame) => emu.input('eth0', frame));
  const frames = replies();
  const run = async (n: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n;) {
      const end = Math.min(n, i + 2048);
      for (; i < end; i++) hosts.send(frames[i % HOSTS]!);
      runVirtualUntil(clock, timers, clock.now());
      await emu.netisrRoom();
    }
    await emu.quiesce();
    return n / ((performance.now() - t0) / 1000);
  };
  try {
    await run(FRAMES / 4);
    const rates: number[] = [];
    for (let r = 0; r < REPS; r++) rates.push(await run(FRAMES));
    const st = await emu.stats();
    if (st[0]!.drops.other_host !== 0 || st[0]!.rxframes < FRAMES) throw new Error('frames were lost or dropped');
    return rates;
  } finally { await emu.close(); await seg.close(); }
}

/** One record in flight: main -> CPU0 (-> CPU1) -> main; per hop = round trip / hops. */
async function latency(v: Variant, cpus: number): Promise<{ p50: number; p99: number }> {
  const emu = await emulator(cpus, v);
  const forwards = cpus - 1;
  try {
    for (let i = 0; i < 100; i++) await emu.ping(forwards);
    const hops: number[] = [];
    for (let i = 0; i < PINGS; i++) hops.push((await emu.ping(forwards)) / (forwards + 2));
    return { p50: pct(hops, 0.5), p99: pct(hops, 0.99) };
  } finally { await emu.close(); }
}

async function lookups(): Promise<{ one: number; two: number }> {
  const emu = await emulator(2, VARIANTS[1]!);
  try {
    await emu.injectUpdates(65536, { ifindex: 2, net: NET, hosts: 65536 });
    await emu.benchResolve([0], LOOKUPS / 4);
    const one: number[] = [];
    const two: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const [a] = await emu.benchResolve([0], LOOKUPS);
      one.push(a!.hits / a!.seconds);
      const [x, y] = await emu.benchResolve([0, 1], LOOKUPS);
      two.push((x!.hits + y!.hits) / Math.max(x!.seconds, y!.seconds));
    }
    return { one: median(one), two: median(two) };
  } finally { await emu.close(); }
}

async function main(): Promise<void> {
  console.log(`cpu.bench: ${REPS} repetitions, medians; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on a 2-core machine`);

  console.log(`\n1. chain throughput, 4 CPUs, ${fmtM(UPDATES)} pipelined updates (target: ring >= 1M/s and >= 10x port)`);
  const chain = new Map<string, number>();
  for (const v of VARIANTS) {
    const rates = await chainThroughput(v);
    chain.set(v.name, median(rates));
    console.log(`   ${v.name.padEnd(20)} ${fmtM(median(rates))} updates/s  (min ${fmtM(Math.min(...rates))}, max ${fmtM(Math.max(...rates))})`);
  }
  const base = chain.get(VARIANTS[0]!.name)!;
  for (const v of VARIANTS.slice(1)) console.log(`   ${v.name} / ${VARIANTS[0]!.name} = ${(chain.get(v.name)! / base).toFixed(2)}x`);

  console.log(`\n2. segment -> netisr -> CPU0 -> chain, 2 CPUs, ${fmtM(FRAMES)} ARP replies (target: >= 1M frames/s)`);
  for (const v of VARIANTS) {
    const rates = await segmentFrames(v);
    console.log(`   ${v.name.padEnd(20)} ${fmtM(median(rates))} frames/s  (min ${fmtM(Math.min(...rates))}, max ${fmtM(Math.max(...rates))})`);
  }

  // Busy-polling only makes sense with no more spinning threads than cores:
  // with 1 CPU, main and CPU0 spin (2 threads on 2 cores); with 2, three do.
  for (const cpus of [1, 2]) {
    const path = cpus === 1 ? 'main -> CPU0 -> main' : 'main -> CPU0 -> CPU1 -> main';
    console.log(`\n3.${cpus} per-hop latency (${path}, one in flight, ${PINGS} round trips)`);
    for (const v of VARIANTS) {
      const l = await latency(v, cpus);
      console.log(`   ${v.name.padEnd(20)} p50 ${(l.p50 * 1e6).toFixed(1)} us  p99 ${(l.p99 * 1e6).toFixed(1)} us`);
    }
  }

  console.log(`\n4. arpresolve hits per replica, 65536 entries, ${fmtM(LOOKUPS)} lookups per CPU`);
  const l = await lookups();
  console.log(`   1 CPU   ${fmtM(l.one)} lookups/s`);
  console.log(`   2 CPUs  ${fmtM(l.two)} lookups/s  (scaling efficiency ${(l.two / (2 * l.one) * 100).toFixed(0)}%)`);
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

await main();
