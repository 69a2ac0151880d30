/**
 * TimerQueue cost: schedule + fire, and re-arm (cancel + schedule) as an ARP
 * entry refresh would do, at N pending timers. Baseline in the same run: a
 * plain array push + sort of the same deadlines.
 * Run: node dist/bench/timers.bench.js [N]
 */
import { VirtualClock } from '../src/util/clock.js';
import { TimerQueue, runVirtualUntil, type TimerHandle } from '../src/util/timers.js';

const N = Number(process.argv[2] ?? 1_000_000);
const REPS = 5;

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; }

function rand(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
}

function scheduleAndFire(): number {
  const clock = new VirtualClock();
  const q = new TimerQueue(clock);
  const r = rand(1);
  let fired = 0;
  const fn = (): void => { fired++; };
  const t0 = performance.now();
  for (let i = 0; i < N; i++) q.at(Math.floor(r() * 1200), fn);
  runVirtualUntil(clock, q, 1200);
  const ms = performance.now() - t0;
  if (fired !== N) throw new Error('lost timers');
  return (N / ms) * 1000;
}

function rearm(): number {
  const clock = new VirtualClock();
  const q = new TimerQueue(clock);
  const r = rand(2);
  const fn = (): void => {};
  const h: TimerHandle[] = [];
  for (let i = 0; i < N; i++) h.push(q.at(1200 + r() * 1200, fn));
  const t0 = performance.now();
  for (let i = 0; i < N; i++) { q.cancel(h[i]); h[i] = q.at(2400 + r() * 1200, fn); }
  const ms = performance.now() - t0;
  if (q.size !== N || q.stored > 2 * N + 65) throw new Error('bad size');
  return (N / ms) * 1000;
}

function baselineSort(): number {
  const r = rand(1);
  const t0 = performance.now();
  const a = new Float64Array(N);
  for (let i = 0; i < N; i++) a[i] = Math.floor(r() * 1200);
  a.sort();
  return (N / (performance.now() - t0)) * 1000;
}

for (let w = 0; w < 1; w++) { scheduleAndFire(); rearm(); baselineSort(); } // warm-up
const rows: [string, number[]][] = [['schedule+fire', []], ['re-arm (cancel+at)', []], ['baseline Float64Array sort', []]];
for (let i = 0; i < REPS; i++) { rows[0]![1].push(scheduleAndFire()); rows[1]![1].push(rearm()); rows[2]![1].push(baselineSort()); }
console.log(`TimerQueue, N=${N} pending, median of ${REPS} after warm-up`);
for (const [name, xs] of rows) console.log(`  ${name.padEnd(28)} ${(median(xs) / 1e6).toFixed(2)} M ops/s`);
