/**
 * Parse + classify of ARP frames from one pre-filled buffer, on one thread:
 * the points of the `wire` suite (bench/suites/wire.ts, where the frames,
 * the variants and the measuring loop live), measured in this process and
 * printed as a table.
 *
 *   node dist/bench/wire.bench.js [--frames N] [--runs R] [--json]
 *
 * Target (issue 3): >= 20 million frames/s with zero allocations per frame.
 * Variants: classify (classifyFrame only, the netisr's per-frame check),
 * classify+fields (then op/sha/spa/tha/tpa of accepted frames), and the
 * naive baseline (a subarray + DataView + an object per frame). Each is the
 * median of R runs after the suite's warm-up; allocation is the heapUsed
 * growth of runs during which no GC ran. The naive parser and classifyFrame
 * must agree on every frame's verdict.
 */
import { ARP_REASON_NAMES, ArpPacket, classifyFrame } from '../src/wire/arp.js';
import { numArg } from './args.js';
import { measureOrThrow, metricStats } from '../src/bench/point.js';
import wire, { naiveParse } from './suites/wire.js';
import { STRIDE, mixedFrames } from './suites/lib/frames.js';


const FRAMES = numArg('--frames', 1_000_000);
const RUNS = numArg('--runs', 7);
const JSON_OUT = process.argv.includes('--json');

/** Verdict counts of both parsers over the suite's frames (not timed). */
function agreement(): { reasons: Record<string, number>; agree: boolean } {
  const { buf, lens } = mixedFrames(FRAMES);
  const view = new ArpPacket();
  const fast = new Map<string, number>(), naive = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };
  for (let i = 0; i < FRAMES; i++) {
    bump(fast, ARP_REASON_NAMES[classifyFrame(view, buf, i * STRIDE, lens[i]!)]!);
    const r = naiveParse(buf.subarray(i * STRIDE, i * STRIDE + lens[i]!));
    bump(naive, r.ok ? 'ok' : r.reason);
  }
  const agree = [...new Set([...fast.keys(), ...naive.keys()])].every((k) => fast.get(k) === naive.get(k));
  return { reasons: Object.fromEntries(fast), agree };
}

const fmtRate = (r: number): string => `${(r / 1e6).toFixed(1)}M frames/s`;

const results: { impl: string; rate: number; cpuRate: number; min: number; max: number; gcs: number; bytesPerFrame: number }[] = [];
for (const impl of ['classify', 'classify+fields', 'naive']) {
  const o = await measureOrThrow(wire, { impl, frames: FRAMES }, { reps: RUNS });
  const rate = metricStats(o, 'rate');
  results.push({
    impl, rate: rate.median, cpuRate: metricStats(o, 'cpuRate').median, min: rate.min, max: rate.max,
    gcs: o.samples.reduce((a, s) => a + (s['gcs'] ?? 0), 0), bytesPerFrame: metricStats(o, 'bytesPerFrame').median,
  });
}
const { reasons, agree } = agreement();
const base = results.find((r) => r.impl === 'naive')!.rate;
if (JSON_OUT) {
  console.log(JSON.stringify({ frames: FRAMES, runs: RUNS, node: process.version, reasons, agree, results }, null, 2));
} else {
  console.log(`wire.bench: ${FRAMES} frames (${STRIDE}-byte stride), median of ${RUNS} runs after warm-up, node ${process.version}`);
  console.log(`reasons: ${JSON.stringify(reasons)}; naive parser agrees: ${agree}`);
  for (const r of results) {
    const alloc = Number.isNaN(r.bytesPerFrame) ? 'n/a (GC every run)' : `${r.bytesPerFrame.toFixed(4)} B/frame`;
    console.log(`  ${r.impl.padEnd(16)} ${fmtRate(r.rate).padStart(18)} wall (${fmtRate(r.cpuRate)} CPU)  x${(r.rate / base).toFixed(1)} baseline  ` +
      `GCs during runs: ${r.gcs}  heap growth: ${alloc}  [wall min ${fmtRate(r.min)}, max ${fmtRate(r.max)}]`);
  }
}
if (!agree) process.exitCode = 1;
