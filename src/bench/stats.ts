/** Robust statistics for repeated measurements on a noisy machine. */
import type { Stats } from './types.js';

/** Quantile q (0..1) of sorted values, linear interpolation between closest ranks (R type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (q <= 0) return sorted[0]!;
  if (q >= 1) return sorted[n - 1]!;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const frac = h - lo;
  return frac === 0 ? sorted[lo]! : sorted[lo]! + frac * (sorted[lo + 1]! - sorted[lo]!);
}

export function quantile(xs: readonly number[], q: number): number {
  return quantileSorted([...xs].sort((a, b) => a - b), q);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Median, min/max, quartiles and mean; NaN fields for no samples. */
export function summarize(xs: readonly number[]): Stats {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const n = s.length;
  return {
    median: quantileSorted(s, 0.5),
    min: n === 0 ? NaN : s[0]!,
    max: n === 0 ? NaN : s[n - 1]!,
    q1: quantileSorted(s, 0.25),
    q3: quantileSorted(s, 0.75),
    mean: n === 0 ? NaN : s.reduce((a, b) => a + b, 0) / n,
    n,
  };
}

/** Relative spread (max - min) / median, the "±" a reader should keep in mind. */
export function relativeSpread(s: Stats): number {
  return s.median === 0 ? NaN : (s.max - s.min) / Math.abs(s.median);
}

/** Percentiles of a latency sample (sorted in place). */
export function percentiles(samples: Float64Array | number[], qs: readonly number[]): number[] {
  const sorted = Array.from(samples).sort((a, b) => a - b);
  return qs.map((q) => quantileSorted(sorted, q));
}

export interface LinearFit {
  a: number;
  b: number;
  /** Coefficient of determination (1 for a perfect fit; NaN when y is constant). */
  r2: number;
}

/** Ordinary least squares y ~ a + b x. Needs two distinct x values. */
export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError('linearFit: xs and ys differ in length');
  if (n < 2) throw new RangeError('linearFit: needs at least 2 points');
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx, dy = ys[i]! - my;
    sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
  }
  if (sxx === 0) throw new RangeError('linearFit: needs at least 2 distinct x values');
  const b = sxy / sxx;
  const a = my - b * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) { const e = ys[i]! - (a + b * xs[i]!); sse += e * e; }
  return { a, b, r2: syy === 0 ? NaN : 1 - sse / syy };
}
