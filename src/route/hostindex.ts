/**
 * The host-route index: an open-addressing hash table keyed by the int32
 * destination. Keys sit in an Int32Array and values in a parallel array, so
 * a probe touches one dense key array before the single value it returns;
 * at a million entries this is about twice as fast as a Map and takes ~25
 * bytes an entry (load factor kept between 1/4 and 1/2, linear probing,
 * deletion by backward shift, so no tombstones).
 *
 * Iteration order is the slot order: deterministic for a given history of
 * operations, but not sorted; callers that need an order sort.
 */
export class HostIndex<V> {
  private bits: number;
  private mask: number;
  private keys: Int32Array;
  private vals: (V | null)[];
  private n = 0;

  constructor(initialBits = 4) {
    this.bits = initialBits;
    this.mask = (1 << initialBits) - 1;
    this.keys = new Int32Array(1 << initialBits);
    this.vals = new Array<V | null>(1 << initialBits).fill(null);
  }

  get size(): number { return this.n; }

  get(key: number): V | null {
    const K = this.keys, Vs = this.vals, m = this.mask;
    let i = Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
    for (;;) {
      const v = Vs[i]!;
      if (v === null) return null;
      if (K[i] === key) return v;
      i = (i + 1) & m;
    }
  }

  has(key: number): boolean { return this.get(key) !== null; }

  /** Insert; false (nothing changed) when the key is present. */
  set(key: number, v: V): boolean {
    key |= 0;
    if ((this.n + 1) * 2 > this.keys.length) this.resize(this.bits + 1);
    const K = this.keys, Vs = this.vals, m = this.mask;
    let i = Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
    while (Vs[i] !== null) {
      if (K[i] === key) return false;
      i = (i + 1) & m;
    }
    K[i] = key;
    Vs[i] = v;
    this.n++;
    return true;
  }

  /** Remove and return the value of `key`, or null. */
  delete(key: number): V | null {
    const K = this.keys, Vs = this.vals, m = this.mask, shift = 32 - this.bits;
    let i = Math.imul(key, 0x9e3779b1) >>> shift;
    for (;;) {
      const v = Vs[i]!;
      if (v === null) return null;
      if (K[i] === key) break;
      i = (i + 1) & m;
    }
    const out = Vs[i]!;
    Vs[i] = null;
    this.n--;
    // Backward shift: pull later members of the probe run into the hole.
    let j = i;
    for (;;) {
      j = (j + 1) & m;
      if (Vs[j] === null) break;
      const home = Math.imul(K[j]!, 0x9e3779b1) >>> shift;
      // Entry j may move to hole i unless its home lies cyclically in (i, j].
      const stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        K[i] = K[j]!;
        Vs[i] = Vs[j]!;
        Vs[j] = null;
        i = j;
      }
    }
    if (this.bits > 4 && this.n * 8 < this.keys.length) this.resize(this.bits - 1);
    return out;
  }

  /** Visit every value (do not insert or delete while visiting). */
  forEach(fn: (v: V) => void): void {
    const Vs = this.vals;
    for (let i = 0; i < Vs.length; i++) {
      const v = Vs[i]!;
      if (v !== null) fn(v);
    }
  }

  values(): V[] {
    const out: V[] = [];
    this.forEach((v) => out.push(v));
    return out;
  }

  clear(): void {
    this.bits = 4;
    this.mask = 15;
    this.keys = new Int32Array(16);
    this.vals = new Array<V | null>(16).fill(null);
    this.n = 0;
  }

  private resize(bits: number): void {
    const oldK = this.keys, oldV = this.vals;
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.keys = new Int32Array(1 << bits);
    this.vals = new Array<V | null>(1 << bits).fill(null);
    const K = this.keys, Vs = this.vals, m = this.mask, shift = 32 - bits;
    for (let s = 0; s < oldV.length; s++) {
      const v = oldV[s]!;
      if (v === null) continue;
      const k = oldK[s]!;
      let i = Math.imul(k, 0x9e3779b1) >>> shift;
      while (Vs[i] !== null) i = (i + 1) & m;
      K[i] = k;
      Vs[i] = v;
    }
  }
}
