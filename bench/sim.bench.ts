/**
 * Simulation costs.
 *  1. Zipf sampling: table (CDF + binary search) and rejection-inversion,
 *     against the baseline of a uniform Random.nextInt in the same run.
 *  2. A LAN of H virtual hosts (default 250) under broadcast noise in
 *     arping mode: every event is a broadcast request delivered to every
 *     host and answered by one. Reports events, frames and deliveries per
 *     second of CPU time, against the baseline of the bare segment carrying
 *     the same number of broadcast frames to ports with a no-op handler.
 * Run: node dist/bench/sim.bench.js [H]
 */
import { VirtualClock } from '../src/util/clock.js';
import { Random } from '../src/util/random.js';
import { TimerQueue, runVirtualUntil } from '../src/util/timers.js';
import { Segment } from '../src/link/segment.js';
import { MAC_BROADCAST, MAC_ZERO } from '../src/wire/addr.js';
import { ARPOP_REQUEST, emitArpFrame } from '../src/wire/arp.js';
import { ZipfSampler } from '../src/sim/zipf.js';
import { attachHost, type Host } from '../src/sim/host.js';
import { broadcastNoise } from '../src/sim/traffic.js';

const H = Number(process.argv[2] ?? 250);
const REPS = 5;
const SAMPLES = 2_000_000;
const EVENTS = 20_000;

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; }
function cpuMs(): number { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
const fmt = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`);

let sink = 0;
function samplesPerSec(draw: (r: Random) => number): number {
  const r = new Random(1);
  const t0 = cpuMs();
  let acc = 0;
  for (let i = 0; i < SAMPLES; i++) acc += draw(r);
  sink += acc;
  return (SAMPLES / (cpuMs() - t0)) * 1000;
}

const zt1k = new ZipfSampler(1000, 1.1, 'table');
const zt1m = new ZipfSampler(1_000_000, 1.1, 'table');
const zr1m = new ZipfSampler(1_000_000, 1.1, 'rejection');
const zr1g = new ZipfSampler(1_000_000_000, 1.1, 'rejection');
const zr1m_s06 = new ZipfSampler(1_000_000, 0.6, 'rejection');
const zipfRows: Array<[string, (r: Random) => number]> = [
  ['baseline Random.nextInt(10^6)', (r) => r.nextInt(1_000_000)],
  ['zipf table n=10^3 s=1.1', (r) => zt1k.sample(r)],
  ['zipf table n=10^6 s=1.1', (r) => zt1m.sample(r)],
  ['zipf rejection n=10^6 s=1.1', (r) => zr1m.sample(r)],
  ['zipf rejection n=10^6 s=0.6', (r) => zr1m_s06.sample(r)],
  ['zipf rejection n=10^9 s=1.1', (r) => zr1g.sample(r)],
];

function lanRun(): { events: number; frames: number; deliveries: number; ms: number } {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers });
  const hosts: Host[] = [];
  for (let i = 0; i < H; i++) {
    const ip = (10 << 24) + 0x10000 + i + 1;
    hosts.push(attachHost(seg, `h${i}`, { clock, timers, mac: 0x02_00_00_00_00_00 + i + 1, addresses: [ip >>> 0] }));
  }
  const g = broadcastNoise({ timers, random: new Random(7) }, { hosts, rate: 10_000, count: EVENTS, spacing: 'poisson', hostMix: { kind: 'zipf', s: 1 } }).start();
  const t0 = cpuMs();
  runVirtualUntil(clock, timers, Infinity);
  const ms = cpuMs() - t0;
  const st = seg.stats();
  if (g.fired !== EVENTS) throw new Error('lost events');
  return { events: EVENTS, frames: st.frames, deliveries: st.deliveries, ms };
}

function segmentBaseline(frames: number): { deliveries: number; ms: number } {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers });
  const ports = [];
  for (let i = 0; i < H; i++) {
    const p = seg.attach(`p${i}`, 0x02_00_00_00_00_00 + i + 1);
    p.onReceive(() => { sink++; });
    ports.push(p);
  }
  const f = new Uint8Array(42);
  emitArpFrame(f, MAC_BROADCAST, 0x02_00_00_00_00_01, { op: ARPOP_REQUEST, sha: 0x02_00_00_00_00_01, spa: 1, tha: MAC_ZERO, tpa: 2 });
  const t0 = cpuMs();
  for (let i = 0; i < frames; i++) {
    ports[i % H]!.send(f);
    if ((i & 63) === 63) { clock.advance(0.001); timers.runDue(); }
  }
  clock.advance(0.001); timers.runDue();
  return { deliveries: seg.stats().deliveries, ms: cpuMs() - t0 };
}

// warm-up
for (const [, fn] of zipfRows) samplesPerSec(fn);
lanRun(); segmentBaseline(EVENTS);

console.log(`Zipf sampling, ${SAMPLES} samples, median of ${REPS} (CPU time) after warm-up`);
for (const [name, fn] of zipfRows) {
  const xs: number[] = [];
  for (let i = 0; i < REPS; i++) xs.push(samplesPerSec(fn));
  console.log(`  ${name.padEnd(34)} ${fmt(median(xs)).padStart(11)}   (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`);
}

const ev: number[] = [], fr: number[] = [], dl: number[] = [], base: number[] = [];
let framesPerRun = 0;
for (let i = 0; i < REPS; i++) {
  const r = lanRun();
  framesPerRun = r.frames;
  ev.push((r.events / r.ms) * 1000);
  fr.push((r.frames / r.ms) * 1000);
  dl.push((r.deliveries / r.ms) * 1000);
  const b = segmentBaseline(r.frames);
  base.push((b.deliveries / b.ms) * 1000);
}
console.log(`\nLAN of ${H} hosts, ${EVENTS} noise events (arping, Poisson, Zipf askers), ${framesPerRun} frames a run, median of ${REPS} (CPU time)`);
console.log(`  noise events simulated              ${fmt(median(ev)).padStart(11)}`);
console.log(`  frames sent                         ${fmt(median(fr)).padStart(11)}`);
console.log(`  frame deliveries (host input)       ${fmt(median(dl)).padStart(11)}`);
console.log(`  baseline: bare segment deliveries   ${fmt(median(base)).padStart(11)}   (no-op handlers, same frame count)`);
console.log(`  heap used after: ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB${sink === -1 ? '' : ''}`);
