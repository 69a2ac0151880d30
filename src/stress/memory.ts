/**
 * Memory over a soak: samples of the process's resident set and V8 heap
 * (the main thread's; worker threads' heaps show in the RSS), and the
 * least-squares slope of each over wall time after a warm-up. Each
 * sample follows a forced full garbage collection where V8 allows it, and
 * the heap's slope is fitted on its floor (the least sample of each
 * window) in case it does not. A steady load over bounded state must keep
 * both flat; a slope above the threshold is reported as growth.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export interface MemorySample {
  /** Wall seconds since the start. */
  wall: number;
  /** Ops executed so far. */
  ops: number;
  rss: number;
  heapUsed: number;
  external: number;
}

export interface MemoryTrend {
  samples: MemorySample[];
  /** Samples after the warm-up (the heap slope fits the floor of up to 8 windows of them). */
  fitted: number;
  /** MB per minute of wall time (NaN with fewer than 4 samples fitted). */
  heapSlopeMBPerMin: number;
  rssSlopeMBPerMin: number;
  /** MB per million ops. */
  heapPerMillionOpsMB: number;
  thresholdMBPerMin: number;
  /** Each sample followed a forced garbage collection. */
  gcForced: boolean;
  growing: boolean;
}

const MB = 1024 * 1024;

/**
 * A way to force a full garbage collection before each sample, so the heap
 * sampled is what is live, not the GC's sawtooth: --expose-gc set at run
 * time (node's --expose-gc flag itself would be passed to the worker
 * threads, which refuse it). Undefined when V8 does not allow it.
 */
function gcFunction(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export class MemorySampler {
  readonly samples: MemorySample[] = [];
  private readonly t0 = performance.now();
  private readonly gc: (() => void) | undefined;

  /** `collect`: force a garbage collection before each sample (when V8 lets us). */
  constructor(collect = true) {
    this.gc = collect ? gcFunction() : undefined;
  }

  /** Whether samples follow a forced collection. */
  get collected(): boolean { return this.gc !== undefined; }

  sample(ops: number): MemorySample {
    this.gc?.();
    const m = process.memoryUsage();
    const s = { wall: (performance.now() - this.t0) / 1000, ops, rss: m.rss, heapUsed: m.heapUsed, external: m.external };
    this.samples.push(s);
    return s;
  }

  /** Fit after dropping the first `warmup` fraction of samples. */
  trend(thresholdMBPerMin: number, warmup = 0.25): MemoryTrend {
    const from = Math.floor(this.samples.length * warmup);
    const fit = this.samples.slice(from);
    // The heap is a sawtooth (garbage collections): fit its floor, the least heap of each of up to 8 windows.
    const floor = windowMinima(fit, 8);
    const heap = slope(floor.map((s) => s.wall), floor.map((s) => s.heapUsed));
    const rss = slope(fit.map((s) => s.wall), fit.map((s) => s.rss));
    const perOp = slope(floor.map((s) => s.ops), floor.map((s) => s.heapUsed));
    const heapSlopeMBPerMin = (heap * 60) / MB;
    const rssSlopeMBPerMin = (rss * 60) / MB;
    return {
      samples: this.samples, fitted: fit.length, heapSlopeMBPerMin, rssSlopeMBPerMin,
      heapPerMillionOpsMB: (perOp * 1e6) / MB, thresholdMBPerMin, gcForced: this.collected,
      growing: fit.length >= 4 && (heapSlopeMBPerMin > thresholdMBPerMin || rssSlopeMBPerMin > thresholdMBPerMin * 4),
    };
  }
}

/** The sample with the least heap in each of `n` consecutive windows (all of them when there are fewer than 2n). */
function windowMinima(xs: readonly MemorySample[], n: number): MemorySample[] {
  if (xs.length < 2 * n) return [...xs];
  const out: MemorySample[] = [];
  const size = xs.length / n;
  for (let i = 0; i < n; i++) {
    const w = xs.slice(Math.round(i * size), Math.round((i + 1) * size));
    out.push(w.reduce((a, b) => (b.heapUsed < a.heapUsed ? b : a)));
  }
  return out;
}

/** Least-squares slope of y over x (NaN with fewer than 4 points or no spread in x). */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 4) return NaN;
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) { sx += x[i]!; sy += y[i]!; }
  const mx = sx / n, my = sy / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { const dx = x[i]! - mx; num += dx * (y[i]! - my); den += dx * dx; }
  return den === 0 ? NaN : num / den;
}
