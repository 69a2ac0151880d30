/**
 * Link layer throughput on a virtual clock: how many frames per second the
 * in-memory segment (and its middlewares) can carry, which bounds the
 * simulation and stress runs.
 *
 * Cases (each: warm-up, then the median of REPS runs):
 *   - baseline:   the same loop calling a handler directly with a copy of
 *                 the frame (slice), no queue, no timers: the floor cost;
 *   - unicast:    one sender, 250 ports, frames to one port each (rotating);
 *   - broadcast:  one sender, 250 ports, every frame to all 249 others
 *                 (reported as deliveries/s);
 *   - faults:     unicast through withFaults on the receiver with all rates 0
 *                 (pass-through cost) and with loss/dup/reorder at 1%;
 *   - tap:        unicast through withTap into a PcapWriter (function sink).
 * Frames are sent in batches of 100 per virtual instant, then the timers run.
 *
 * Run: npx tsc -p . && node dist/bench/link.bench.js [frames]
 */
import { VirtualClock } from '../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../src/util/timers.js';
import { MAC_BROADCAST, type Mac } from '../src/wire/addr.js';
import { emitEthernet } from '../src/wire/ethernet.js';
import { Segment } from '../src/link/segment.js';
import { withFaults } from '../src/link/faults.js';
import { withTap } from '../src/link/tap.js';
import { PcapWriter } from '../src/wire/pcap.js';
import type { Link } from '../src/link/link.js';

const FRAMES = Number(process.argv[2] ?? 1_000_000);
const REPS = 5;
const PORTS = 250;
const BATCH = 100;
const MAC = (n: number): Mac => 0x02_00_00_00_00_00 + n;

function frameTo(dst: Mac): Uint8Array {
  const f = new Uint8Array(60);
  emitEthernet(f, 0, dst, MAC(0), 0x0806);
  return f;
}

type Wrap = (port: Link, clock: VirtualClock, timers: TimerQueue) => Link;

/** Returns [seconds, deliveries]. */
function runSegment(frames: number, broadcast: boolean, wrap?: Wrap): [number, number] {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers });
  const sender = seg.attach('s', MAC(0));
  let delivered = 0;
  const count = (): void => { delivered++; };
  for (let i = 1; i < PORTS; i++) {
    let l: Link = seg.attach(`p${i}`, MAC(i));
    if (wrap) l = wrap(l, clock, timers);
    l.onReceive(count);
  }
  const uni = Array.from({ length: PORTS - 1 }, (_, i) => frameTo(MAC(i + 1)));
  const bc = frameTo(MAC_BROADCAST);
  const t0 = process.hrtime.bigint();
  let sent = 0;
  while (sent < frames) {
    for (let b = 0; b < BATCH && sent < frames; b++, sent++) {
      sender.send(broadcast ? bc : uni[sent % uni.length]!);
    }
    runVirtualUntil(clock, timers, clock.now() + 0.001);
  }
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return [dt, delivered];
}

function runBaseline(frames: number): [number, number] {
  let delivered = 0;
  const handler = (f: Uint8Array): void => { if (f.length > 0) delivered++; };
  const f = frameTo(MAC(1));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) handler(f.slice());
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return [dt, delivered];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function bench(name: string, fn: (n: number) => [number, number], n: number, unit = 'frames'): number {
  fn(Math.min(n, 100_000)); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const [dt, delivered] = fn(n);
    rates.push(delivered / dt);
  }
  const m = median(rates);
  const spread = (Math.max(...rates) - Math.min(...rates)) / m * 100;
  console.log(`${name.padEnd(34)} ${(m / 1e6).toFixed(2).padStart(7)} M ${unit}/s  (±${spread.toFixed(0)}% over ${REPS})`);
  return m;
}

console.log(`link bench: ${FRAMES} frames, ${PORTS} ports, node ${process.version}`);
const base = bench('baseline (slice + direct call)', runBaseline, FRAMES);
const uni = bench('segment unicast', (n) => runSegment(n, false), FRAMES);
bench('segment broadcast (deliveries)', (n) => runSegment(n, true), Math.max(1, Math.floor(FRAMES / 50)), 'deliveries');
const noFault = bench('unicast + withFaults (rates 0)', (n) => runSegment(n, false, (l, c, t) => withFaults(l, { seed: 1 }, c, t)), FRAMES);
bench('unicast + withFaults (1% each)', (n) => runSegment(n, false, (l, c, t) => withFaults(l, { seed: 1, loss: 0.01, duplicate: 0.01, reorder: 0.01 }, c, t)), FRAMES);
const tapped = bench('unicast + withTap (PcapWriter)', (n) => runSegment(n, false, (l, c) => withTap(l, new PcapWriter(() => undefined), c)), FRAMES);
console.log(`segment unicast vs baseline: ${(uni / base * 100).toFixed(0)}%; faults(0) vs plain: ${(noFault / uni * 100).toFixed(0)}%; tap vs plain: ${(tapped / uni * 100).toFixed(0)}%`);
