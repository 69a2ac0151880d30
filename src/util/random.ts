/**
 * A small seeded PRNG for everything that must replay: fault injection,
 * simulations, stress runs. xoshiro128** (Blackman & Vigna, 2018) over four
 * 32-bit words, seeded through splitmix32 so that nearby seeds (1, 2, 3...)
 * give unrelated streams. Not for cryptography.
 *
 * Every draw consumes exactly one 32-bit output (nextInt may consume more
 * when it rejects), so code that draws a fixed number of values per event
 * keeps its decisions aligned when only a probability changes.
 */

const TWO_32 = 0x1_0000_0000;

/** One splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [s, z >>> 0];
}

export type RandomState = readonly [number, number, number, number];

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * `seed` is any finite number; integers up to 2^53 are all distinct seeds
   * (the low and high 32-bit halves are both mixed in).
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError('Random: seed must be a finite number');
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / TWO_32) >>> 0;
    let st = lo ^ Math.imul(hi, 0x85ebca6b);
    let out: number;
    [st, out] = splitmix32(st); this.s0 = out;
    [st, out] = splitmix32(st); this.s1 = out;
    [st, out] = splitmix32(st); this.s2 = out;
    [st, out] = splitmix32(st); this.s3 = out;
    // The all-zero state is a fixed point of xoshiro; splitmix cannot give
    // four zeros in a row, but keep the guard explicit.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  static fromState(state: RandomState): Random {
    const r = new Random(0);
    [r.s0, r.s1, r.s2, r.s3] = state.map((x) => x >>> 0) as [number, number, number, number];
    if ((r.s0 | r.s1 | r.s2 | r.s3) === 0) r.s0 = 1;
    return r;
  }

  /** The current state, to save and restore a stream exactly. */
  state(): RandomState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A float in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / TWO_32;
  }

  /** An integer in [0, n) without modulo bias; n in 1..2^32. */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= TWO_32) || !Number.isInteger(n)) {
      throw new RangeError(`Random.nextInt: n must be an integer in 1..2^32, got ${n}`);
    }
    // Reject the top partial bucket so every residue is equally likely.
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** An integer in [lo, hi] (inclusive). */
  nextRange(lo: number, hi: number): number {
    return lo + this.nextInt(hi - lo + 1);
  }

  /** True with probability p. Always consumes one draw, even for p <= 0 or p >= 1. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick: empty array');
    return items[this.nextInt(items.length)]!;
  }

  /** Fisher-Yates, in place; returns `items`. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const x = items[i]!;
      items[i] = items[j]!;
      items[j] = x;
    }
    return items;
  }

  /** An independent generator seeded from this stream (advances this one by two draws). */
  fork(): Random {
    const hi = this.nextU32();
    const lo = this.nextU32();
    return new Random(hi * TWO_32 + lo);
  }
}
