/**
 * Network routes (prefix length 0..31) of a table.
 *
 * Two structures, one truth:
 *  - a binary trie (node n at depth d is a d-bit prefix) holds the routes:
 *    exact get/insert/remove, ordered walks, "longest shorter than" queries;
 *  - a 16-8-8 multibit stride table with leaf pushing answers lookups in at
 *    most three array reads: level 1 has one slot per /16, and a /16 (or a
 *    /24) holding longer prefixes points to a 256-slot chunk of the next
 *    level. Each slot holds the id of the longest prefix covering its block
 *    at that depth, or a chunk pointer (negative). It is derived from the
 *    trie: every change re-derives the slots of the changed prefix's range.
 *
 * Lookup allocates nothing. Memory: 256 KiB for level 1, 1 KiB a chunk.
 */
const L1_SIZE = 1 << 16;

export class PrefixTrie<R> {
  // ---- binary trie ----
  private left: Int32Array;
  private right: Int32Array;
  /** Route id stored at each node (0: none). */
  private rid: Int32Array;
  private used = 1; // node 0 is the root (prefix length 0), never a child
  private freeNodes: number[] = [];
  /** Routes by id; id 0 is "no route". */
  private routes: (R | null)[] = [null];
  /** Prefix length of each route id (-1 for id 0 and free ids). */
  private lens: number[] = [-1];
  private freeIds: number[] = [];
  private n = 0;
  private readonly path = new Int32Array(33);

  // ---- stride table: >0 route id, 0 none, <0 -(chunk + 1) ----
  private readonly l1 = new Int32Array(L1_SIZE);
  private l2 = new Int32Array(256 * 16);
  private l2Used = 0;
  private l2Free: number[] = [];
  private l3 = new Int32Array(256 * 16);
  private l3Used = 0;
  private l3Free: number[] = [];

  constructor(initialNodes = 256) {
    this.left = new Int32Array(initialNodes);
    this.right = new Int32Array(initialNodes);
    this.rid = new Int32Array(initialNodes);
  }

  /** Number of stored prefixes. */
  get size(): number { return this.n; }

  /** Longest stored prefix covering `ip`, or null: at most three array reads. */
  lookup(ip: number): R | null {
    let v = this.l1[ip >>> 16]!;
    if (v < 0) {
      v = this.l2[((-v - 1) << 8) | ((ip >>> 8) & 255)]!;
      if (v < 0) v = this.l3[((-v - 1) << 8) | (ip & 255)]!;
    }
    return this.routes[v]!;
  }

  /** Longest stored prefix covering `ip` with length below `maxLen` (trie walk), or null. */
  lookupShorter(ip: number, maxLen: number): R | null {
    return maxLen <= 0 ? null : this.routes[this.bestId(ip, maxLen - 1)]!;
  }

  /** The route stored for exactly `prefix/len`, or null. */
  get(prefix: number, len: number): R | null {
    const node = this.find(prefix, len);
    return node < 0 ? null : this.routes[this.rid[node]!]!;
  }

  /** Store `r` at `prefix/len` (len 0..31); false (nothing changed) when one is there. */
  insert(prefix: number, len: number, r: R): boolean {
    let node = 0;
    for (let depth = 1; depth <= len; depth++) {
      const right = ((prefix >>> (32 - depth)) & 1) === 1;
      let next = right ? this.right[node]! : this.left[node]!;
      if (next === 0) {
        next = this.allocNode();
        if (right) this.right[node] = next; else this.left[node] = next;
      }
      node = next;
    }
    if (this.rid[node] !== 0) return false;
    const id = this.freeIds.pop() ?? this.routes.length;
    if (id === this.routes.length) { this.routes.push(r); this.lens.push(len); } else { this.routes[id] = r; this.lens[id] = len; }
    this.rid[node] = id;
    this.n++;
    this.strideInsert(prefix, len, id);
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
    const id = this.rid[node]!;
    if (id === 0) return null;
    const r = this.routes[id]!;
    this.rid[node] = 0;
    this.routes[id] = null;
    this.lens[id] = -1;
    this.freeIds.push(id);
    this.n--;
    for (let depth = len; depth > 0; depth--) {
      const nd = path[depth]!;
      if (this.rid[nd] !== 0 || this.left[nd] !== 0 || this.right[nd] !== 0) break;
      const parent = path[depth - 1]!;
      if (this.left[parent] === nd) this.left[parent] = 0; else this.right[parent] = 0;
      this.freeNodes.push(nd);
    }
    this.strideRemove(prefix, len, id);
    return r;
  }

  /** Every stored route in (prefix, length) order: a prefix before its more specific ones. */
  forEach(fn: (r: R, prefix: number, len: number) => void): void {
    this.walk(0, 0, 0, fn);
  }

  /** Every stored route inside `prefix/len` (including one at exactly prefix/len), in order. */
  forEachWithin(prefix: number, len: number, fn: (r: R) => void): void {
    const node = this.find(prefix, len);
    if (node >= 0) this.walk(node, prefix, len, fn);
  }

  clear(): void {
    this.left.fill(0); this.right.fill(0); this.rid.fill(0);
    this.used = 1; this.freeNodes = [];
    this.routes = [null]; this.lens = [-1]; this.freeIds = []; this.n = 0;
    this.l1.fill(0);
    this.l2 = new Int32Array(256 * 16); this.l2Used = 0; this.l2Free = [];
    this.l3 = new Int32Array(256 * 16); this.l3Used = 0; this.l3Free = [];
  }

  /** Bytes held by the typed arrays (for the bench report). */
  arrayBytes(): number {
    return this.left.byteLength * 3 + this.l1.byteLength + this.l2.byteLength + this.l3.byteLength;
  }

  // ------------------------------------------------------------ trie helpers

  private walk(node: number, prefix: number, depth: number, fn: (r: R, prefix: number, len: number) => void): void {
    const id = this.rid[node]!;
    if (id !== 0) fn(this.routes[id]!, prefix >>> 0, depth);
    if (depth >= 31) return;
    const l = this.left[node]!, rt = this.right[node]!;
    if (l !== 0) this.walk(l, prefix, depth + 1, fn);
    if (rt !== 0) this.walk(rt, (prefix | (1 << (31 - depth))) >>> 0, depth + 1, fn);
  }

  private find(prefix: number, len: number): number {
    let node = 0;
    for (let depth = 1; depth <= len; depth++) {
      node = ((prefix >>> (32 - depth)) & 1) === 0 ? this.left[node]! : this.right[node]!;
      if (node === 0) return -1;
    }
    return node;
  }

  /** Id of the longest route covering `ip` with length <= maxDepth (0: none). */
  private bestId(ip: number, maxDepth: number): number {
    const L = this.left, Rt = this.right, Id = this.rid;
    let best = Id[0]!;
    let node = 0;
    for (let depth = 1; depth <= maxDepth; depth++) {
      node = ((ip >>> (32 - depth)) & 1) === 0 ? L[node]! : Rt[node]!;
      if (node === 0) break;
      const id = Id[node]!;
      if (id !== 0) best = id;
    }
    return best;
  }

  /** Does the block `prefix/depth` contain any route longer than depth? */
  private hasDeeper(prefix: number, depth: number): boolean {
    const node = this.find(prefix, depth);
    return node >= 0 && (this.left[node] !== 0 || this.right[node] !== 0);
  }

  private allocNode(): number {
    const f = this.freeNodes.pop();
    if (f !== undefined) return f;
    if (this.used === this.left.length) {
      const cap = this.left.length * 2;
      const grow = (a: Int32Array): Int32Array => { const b = new Int32Array(cap); b.set(a); return b; };
      this.left = grow(this.left); this.right = grow(this.right); this.rid = grow(this.rid);
    }
    return this.used++;
  }

  // ------------------------------------------------------------ stride table

  /*
   * Incremental updates. Inside the range of a prefix P/len, a slot holds
   * either an ancestor of P (shorter, covering the whole range) or a
   * descendant of P (longer, inside it). Inserting P overwrites the
   * ancestors; removing P puts P's own longest ancestor back where P was.
   */

  /** After inserting prefix/len as route `id`. */
  private strideInsert(prefix: number, len: number, id: number): void {
    prefix >>>= 0;
    const s = prefix >>> 16;
    if (len <= 16) {
      this.applyL1(s, 1 << (16 - len), len, id, -1);
      return;
    }
    const c2 = this.ensureL2(s);
    if (len <= 24) {
      this.applyL2(c2, (prefix >>> 8) & 255, 1 << (24 - len), len, id, -1);
    } else {
      const c3 = this.ensureL3(c2, (prefix >>> 8) & 255);
      this.applyL3(c3, prefix & 255, 1 << (32 - len), len, id, -1);
    }
  }

  /** After removing prefix/len, which was route `id`. */
  private strideRemove(prefix: number, len: number, id: number): void {
    prefix >>>= 0;
    const s = prefix >>> 16;
    const parent = this.bestId(prefix, len - 1);
    if (len <= 16) {
      this.applyL1(s, 1 << (16 - len), len, parent, id);
      return;
    }
    const v1 = this.l1[s]!;
    if (v1 >= 0) return; // cannot happen: a prefix longer than 16 has its chunk
    const c2 = -v1 - 1;
    const base16 = (s << 16) >>> 0;
    if (!this.hasDeeper(base16, 16)) {
      // no prefix longer than /16 left in this block: the chunk (and its level-3 chunks) go
      this.freeL2(c2);
      this.l1[s] = this.bestId(base16, 16);
      return;
    }
    const e2 = (prefix >>> 8) & 255;
    if (len <= 24) {
      this.applyL2(c2, e2, 1 << (24 - len), len, parent, id);
      return;
    }
    const v2 = this.l2[(c2 << 8) | e2]!;
    if (v2 >= 0) return; // cannot happen
    const base24 = (prefix & 0xffff_ff00) >>> 0;
    if (!this.hasDeeper(base24, 24)) {
      this.l3Free.push(-v2 - 1);
      this.l2[(c2 << 8) | e2] = this.bestId(base24, 24);
    } else {
      this.applyL3(-v2 - 1, prefix & 255, 1 << (32 - len), len, parent, id);
    }
  }

  /**
   * Put `id` into slots [start, start + count) of level 1 (and the chunks
   * below): with `old` < 0 (insert), over every slot holding a route shorter
   * than `len`; with `old` >= 0 (remove), over every slot holding `old`.
   */
  private applyL1(start: number, count: number, len: number, id: number, old: number): void {
    const L1 = this.l1;
    for (let s = start; s < start + count; s++) {
      const v = L1[s]!;
      if (v < 0) this.applyL2(-v - 1, 0, 256, len, id, old);
      else if (old >= 0 ? v === old : this.lens[v]! < len) L1[s] = id;
    }
  }

  private applyL2(c2: number, start: number, count: number, len: number, id: number, old: number): void {
    const L2 = this.l2, base = c2 << 8;
    for (let e = start; e < start + count; e++) {
      const v = L2[base | e]!;
      if (v < 0) this.applyL3(-v - 1, 0, 256, len, id, old);
      else if (old >= 0 ? v === old : this.lens[v]! < len) L2[base | e] = id;
    }
  }

  private applyL3(c3: number, start: number, count: number, len: number, id: number, old: number): void {
    const L3 = this.l3, base = c3 << 8;
    for (let e = start; e < start + count; e++) {
      const v = L3[base | e]!;
      if (old >= 0 ? v === old : this.lens[v]! < len) L3[base | e] = id;
    }
  }

  /** The level-2 chunk of /16 slot s, created (filled with the slot's pushed value) if needed. */
  private ensureL2(s: number): number {
    const v = this.l1[s]!;
    if (v < 0) return -v - 1;
    let c = this.l2Free.pop();
    if (c === undefined) {
      c = this.l2Used++;
      if ((c + 1) * 256 > this.l2.length) { const b = new Int32Array(this.l2.length * 2); b.set(this.l2); this.l2 = b; }
    }
    this.l2.fill(v, c << 8, (c + 1) << 8);
    this.l1[s] = -(c + 1);
    return c;
  }

  private ensureL3(c2: number, e2: number): number {
    const idx = (c2 << 8) | e2;
    const v = this.l2[idx]!;
    if (v < 0) return -v - 1;
    let c = this.l3Free.pop();
    if (c === undefined) {
      c = this.l3Used++;
      if ((c + 1) * 256 > this.l3.length) { const b = new Int32Array(this.l3.length * 2); b.set(this.l3); this.l3 = b; }
    }
    this.l3.fill(v, c << 8, (c + 1) << 8);
    this.l2[idx] = -(c + 1);
    return c;
  }

  private freeL2(c2: number): void {
    const base = c2 << 8;
    for (let e = 0; e < 256; e++) {
      const v = this.l2[base | e]!;
      if (v < 0) this.l3Free.push(-v - 1);
    }
    this.l2Free.push(c2);
  }
}
