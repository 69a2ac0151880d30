/**
 * Seeded Zipf sampling: rank k (0-based) drawn with probability
 * proportional to 1 / (k + 1)^s over n ranks. s = 0 is uniform.
 *
 * Two methods, same distribution:
 *   - `table`: a precomputed CDF (Float64Array of n) and a binary search:
 *     one draw and ~log2(n) comparisons per sample; n * 8 bytes.
 *   - `rejection`: rejection-inversion (Hörmann & Derflinger, "Rejection-
 *     inversion to generate variates from monotone discrete distributions",
 *     ACM TOMACS 1996): O(1) memory, on average a little over one draw per
 *     sample, for populations too large to tabulate.
 * `auto` (the default) tabulates up to TABLE_LIMIT ranks: beyond ~2^15 the
 * table's binary search misses the cache and rejection-inversion is faster
 * (bench/sim.bench.ts: ~13 M samples/s at any n, the table 8.5 M/s at 10^6).
 *
 * The sampler holds no generator: every call takes the caller's Random, so
 * the stream (and determinism) stays with whoever owns the seed.
 */
import type { Random } from '../util/random.js';

export type ZipfMethod = 'table' | 'rejection' | 'auto';

/** Largest population `auto` tabulates (256 KiB of CDF). */
export const TABLE_LIMIT = 1 << 15;

export class ZipfSampler {
  readonly n: number;
  readonly s: number;
  readonly method: 'table' | 'rejection' | 'uniform';
  private readonly cdf: Float64Array | undefined;
  // rejection-inversion constants (see sampleRejection)
  private readonly hX1: number = 0;
  private readonly hN: number = 0;
  private readonly squeeze: number = 0;
  private norm: number | undefined;

  constructor(n: number, s: number, method: ZipfMethod = 'auto') {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) {
      throw new RangeError(`ZipfSampler: n must be an integer in 1..2^32, got ${n}`);
    }
    if (!(s >= 0) || !Number.isFinite(s)) {
      throw new RangeError(`ZipfSampler: exponent s must be a finite number >= 0, got ${s}`);
    }
    this.n = n;
    this.s = s;
    if (s === 0 || n === 1) {
      this.method = 'uniform';
      return;
    }
    if (method === 'table' || (method === 'auto' && n <= TABLE_LIMIT)) {
      if (n > 1 << 24) throw new RangeError(`ZipfSampler: n = ${n} is too large for the table method (max 2^24)`);
      this.method = 'table';
      const cdf = new Float64Array(n);
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += Math.pow(k + 1, -s);
        cdf[k] = sum;
      }
      for (let k = 0; k < n; k++) cdf[k]! /= sum;
      cdf[n - 1] = 1; // rounding must not leave a gap at the top
      this.cdf = cdf;
      this.norm = sum;
      return;
    }
    this.method = 'rejection';
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    // Accept without the second test when x falls this close below k.
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** A rank in [0, n): 0 is the most frequent. */
  sample(random: Random): number {
    switch (this.method) {
      case 'uniform': return random.nextInt(this.n);
      case 'table': return this.sampleTable(random.nextFloat());
      default: return this.sampleRejection(random);
    }
  }

  /** The exact probability of rank k (0-based); O(n) once for the normalisation when not tabulated. */
  probability(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.n) return 0;
    if (this.method === 'uniform') return 1 / this.n;
    if (this.norm === undefined) {
      let sum = 0;
      for (let j = this.n; j >= 1; j--) sum += Math.pow(j, -this.s);
      this.norm = sum;
    }
    return Math.pow(k + 1, -this.s) / this.norm;
  }

  /** First index whose cumulative probability exceeds u (u in [0, 1)). */
  private sampleTable(u: number): number {
    const cdf = this.cdf!;
    let lo = 0, hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /*
   * Rejection-inversion. h(x) = x^-s is the (unnormalised) density over
   * 1-based ranks; H is an antiderivative of h. Draw u uniformly between
   * H(n + 1/2) and H(3/2) - 1 (the area from 1/2 to 3/2 replaced by h(1) = 1,
   * so rank 1 gets exactly its weight), invert to x, round to the rank k,
   * and accept when u lies under the step of width 1 and height h(k)
   * centred on k. The rejected area is small, so the loop runs ~once.
   */
  private sampleRejection(random: Random): number {
    const n = this.n;
    for (;;) {
      const u = this.hN + random.nextFloat() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) return k - 1;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  /** H(x) = (x^(1-s) - 1) / (1 - s), and log x at s = 1, computed stably near s = 1. */
  private hIntegral(x: number): number {
    const lx = Math.log(x);
    return expm1OverX((1 - this.s) * lx) * lx;
  }

  private hIntegralInverse(y: number): number {
    let t = y * (1 - this.s);
    if (t < -1) t = -1; // only rounding can take it there
    return Math.exp(log1pOverX(t) * y);
  }
}

/** log1p(x) / x, continuous at 0. */
function log1pOverX(x: number): number {
  if (Math.abs(x) > 1e-8) return Math.log1p(x) / x;
  return 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x) / x, continuous at 0. */
function expm1OverX(x: number): number {
  if (Math.abs(x) > 1e-8) return Math.expm1(x) / x;
  return 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}
