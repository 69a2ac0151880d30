/**
 * Binary trie over IPv4 prefixes of length 0..31 (the network routes of a
 * table; /32 routes live in a hash index beside it). Node n at depth d stands
 * for a d-bit prefix; children and the route slot are kept in flat arrays
 * so a lookup walks at most 31 nodes and allocates nothing.
 */
export class PrefixTrie<R> {
  private left: Int32Array;
  private right: Int32Array;
  /** Route stored at each node (null when the node is only a branch). */
  private slot: (R | null)[];
  private used = 1; // node 0 is the root (prefix length 0), never a child
  private free: number[] = [];
  private n = 0;
  /** Scratch path for remove(): node index at each depth. */
  private readonly path = new Int32Array(33);

  constructor(initialNodes = 256) {
    this.left = new Int32Array(initialNodes);
    this.right = new Int32Array(initialNodes);
    this.slot = new Array<R | null>(initialNodes).fill(null);
  }

  /** Number of stored prefixes. */
  get size(): number { return this.n; }

  /** Longest stored prefix covering `ip`, or null. */
  lookup(ip: number): R | null {
    const L = this.left, Rt = this.right, S = this.slot;
    let best = S[0]!;
    let node = 0;
    for (let bit = 31; bit > 0; bit--) {
      node = ((ip >>> bit) & 1) === 0 ? L[node]! : Rt[node]!;
      if (node === 0) break;
      const r = S[node]!;
      if (r !== null) best = r;
    }
    return best;
  }

  /** Longest stored prefix covering `ip` with length below `maxLen`, or null. */
  lookupShorter(ip: number, maxLen: number): R | null {
    const L = this.left, Rt = this.right, S = this.slot;
    let best = maxLen > 0 ? S[0]! : null;
    let node = 0;
    for (let depth = 1; depth < maxLen; depth++) {
      node = ((ip >>> (32 - depth)) & 1) === 0 ? L[node]! : Rt[node]!;
      if (node === 0) break;
      const r = S[node]!;
      if (r !== null) best = r;
    }
    return best;
  }

  /** The route stored for exactly `prefix/len`, or null. */
  get(prefix: number, len: number): R | null {
    const node = this.find(prefix, len);
    return node < 0 ? null : this.slot[node]!;
  }

  /** Store `r` at `prefix/len`; false (nothing changed) when one is already there. */
  insert(prefix: number, len: number, r: R): boolean {
    let node = 0;
    for (let depth = 1; depth <= len; depth++) {
      const right = ((prefix >>> (32 - depth)) & 1) === 1;
      let next = right ? this.right[node]! : this.left[node]!;
      if (next === 0) {
        next = this.alloc();
        if (right) this.right[node] = next; else this.left[node] = next;
      }
      node = next;
    }
    if (this.slot[node] !== null) return false;
    this.slot[node] = r;
    this.n++;
    return true;
  }

  /** Remove and return the route at `prefix/len` (null when none); prunes empty branches. */
  remove(prefix: number, len: number): R | null {
    const path = this.path;
    let node = 0;
    path[0] = 0;
    for (let depth = 1; depth <= len; depth++) {
      node = ((prefix >>> (32 - depth)) & 1) === 0 ? this.left[node]! : this.right[node]!;
      if (node === 0) return null;
      path[depth] = node;
    }
    const r = this.slot[node]!;
    if (r === null) return null;
    this.slot[node] = null;
    this.n--;
    for (let depth = len; depth > 0; depth--) {
      const nd = path[depth]!;
      if (this.slot[nd] !== null || this.left[nd] !== 0 || this.right[nd] !== 0) break;
      const parent = path[depth - 1]!;
      if (this.left[parent] === nd) this.left[parent] = 0; else this.right[parent] = 0;
      this.free.push(nd);
    }
    return r;
  }

  /** Every stored route in (prefix, length) order: a prefix before its more specific ones. */
  forEach(fn: (r: R, prefix: number, len: number) => void): void {
    const walk = (node: number, prefix: number, depth: number): void => {
      const r = this.slot[node]!;
      if (r !== null) fn(r, prefix >>> 0, depth);
      if (depth >= 31) return;
      const l = this.left[node]!, rt = this.right[node]!;
      if (l !== 0) walk(l, prefix, depth + 1);
      if (rt !== 0) walk(rt, prefix | (1 << (31 - depth)), depth + 1);
    };
    walk(0, 0, 0);
  }

  /** Every stored route inside `prefix/len` (including one at exactly prefix/len). */
  forEachWithin(prefix: number, len: number, fn: (r: R) => void): void {
    const node = this.find(prefix, len);
    if (node < 0) return;
    const walk = (nd: number, depth: number): void => {
      const r = this.slot[nd]!;
      if (r !== null) fn(r);
      if (depth >= 31) return;
      const l = this.left[nd]!, rt = this.right[nd]!;
      if (l !== 0) walk(l, depth + 1);
      if (rt !== 0) walk(rt, depth + 1);
    };
    walk(node, len);
  }

  clear(): void {
    this.left.fill(0);
    this.right.fill(0);
    this.slot.fill(null);
    this.used = 1;
    this.free = [];
    this.n = 0;
  }

  /** Approximate bytes held by the node arrays (for the bench report). */
  nodeBytes(): number { return this.left.length * (4 + 4 + 8); }

  private find(prefix: number, len: number): number {
    let node = 0;
    for (let depth = 1; depth <= len; depth++) {
      node = ((prefix >>> (32 - depth)) & 1) === 0 ? this.left[node]! : this.right[node]!;
      if (node === 0) return -1;
    }
    return node;
  }

  private alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.used === this.left.length) {
      const cap = this.left.length * 2;
      const l = new Int32Array(cap); l.set(this.left); this.left = l;
      const r = new Int32Array(cap); r.set(this.right); this.right = r;
      for (let i = this.slot.length; i < cap; i++) this.slot.push(null);
    }
    return this.used++;
  }
}
