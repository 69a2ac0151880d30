import test from 'ava';
import fc from 'fast-check';
import { RouteTable } from '../../src/route/table.js';
import { RTF_HOST, type RtEntry, type RtTypes } from '../../src/route/rtentry.js';
import { HostIndex } from '../../src/route/hostindex.js';
import { PrefixTrie } from '../../src/route/trie.js';
import { prefixMask } from '../../src/wire/addr.js';

const ifp = { name: 'em0', index: 2 };

interface Pfx { dst: number; plen: number }

/** The reference: longest covering prefix by a scan of the list. */
function naive(list: readonly Pfx[], addr: number): Pfx | null {
  let best: Pfx | null = null;
  for (const p of list) {
    if ((((addr ^ p.dst) & prefixMask(p.plen)) >>> 0) === 0 && (best === null || p.plen > best.plen)) best = p;
  }
  return best;
}

/**
 * Addresses drawn near a few bases, so prefixes nest and share /16 and /24
 * blocks (exercising the stride table's chunks), plus fully random ones.
 */
const bases = [0x0a000000, 0x0a000100, 0xc0a80000, 0x7f000000, 0xffffff00, 0x00000000];
const addrArb = fc.oneof(
  fc.tuple(fc.constantFrom(...bases), fc.integer({ min: 0, max: 0x3ff })).map(([b, o]) => (b + o) >>> 0),
  fc.integer({ min: 0, max: 0xffff_ffff }),
);
const pfxArb = fc.tuple(addrArb, fc.integer({ min: 0, max: 32 })).map(([a, plen]): Pfx => ({ dst: (a & prefixMask(plen)) >>> 0, plen }));

function build(list: readonly Pfx[]): { table: RouteTable<RtTypes>; uniq: Pfx[] } {
  const table = new RouteTable<RtTypes>();
  const uniq: Pfx[] = [];
  const seen = new Set<string>();
  for (const p of list) {
    const k = `${p.dst}/${p.plen}`;
    if (seen.has(k)) continue;
    seen.add(k);
    uniq.push(p);
    table.add({ dst: p.dst, mask: prefixMask(p.plen), flags: p.plen === 32 ? RTF_HOST : 0, ifp, ifa: null });
  }
  return { table, uniq };
}

function answer(r: RtEntry<RtTypes> | null): string | null {
  return r === null ? null : `${r.dst}/${r.plen}`;
}

test('LPM property: lookup equals a naive list scan for random route sets and addresses', (t) => {
  fc.assert(fc.property(fc.array(pfxArb, { maxLength: 80 }), fc.array(addrArb, { minLength: 1, maxLength: 60 }), (list, addrs) => {
    const { table, uniq } = build(list);
    for (const a of addrs) {
      const want = naive(uniq, a);
      if (answer(table.lookup(a)) !== (want === null ? null : `${want.dst}/${want.plen}`)) return false;
    }
    // and for the first address of each prefix, where answers change
    for (const p of uniq) {
      const want = naive(uniq, p.dst)!;
      if (answer(table.lookup(p.dst)) !== `${want.dst}/${want.plen}`) return false;
    }
    return true;
  }), { numRuns: 300 });
  t.pass();
});

test('LPM property: still equal after random deletes (and re-adds)', (t) => {
  fc.assert(fc.property(fc.array(pfxArb, { minLength: 1, maxLength: 80 }), fc.array(fc.nat(), { maxLength: 60 }), fc.array(addrArb, { minLength: 1, maxLength: 40 }), (list, dels, addrs) => {
    const { table, uniq } = build(list);
    let live = [...uniq];
    const check = (): boolean => {
      const probes = [...addrs, ...uniq.map((p) => p.dst), ...uniq.map((p) => (p.dst | (~prefixMask(p.plen) >>> 0)) >>> 0)];
      for (const a of probes) {
        const want = naive(live, a);
        if (answer(table.lookup(a)) !== (want === null ? null : `${want.dst}/${want.plen}`)) return false;
      }
      return table.size === live.length;
    };
    for (const d of dels) {
      if (live.length === 0) break;
      const victim = live[d % live.length]!;
      table.delete(victim.dst, prefixMask(victim.plen));
      live = live.filter((p) => p !== victim);
      if (!check()) return false;
    }
    // put half of the deleted ones back
    for (const p of uniq.filter((x) => !live.includes(x)).filter((_x, i) => i % 2 === 0)) {
      table.add({ dst: p.dst, mask: prefixMask(p.plen), ifp, ifa: null });
      live.push(p);
    }
    return check();
  }), { numRuns: 200 });
  t.pass();
});

test('PrefixTrie: stride chunks are released when their longer prefixes go, and lookups stay right', (t) => {
  const trie = new PrefixTrie<string>();
  const list: Pfx[] = [{ dst: 0x0a000000, plen: 8 }, { dst: 0x0a000000, plen: 20 }, { dst: 0x0a000080, plen: 25 }, { dst: 0x0a0000f0, plen: 28 }];
  for (const p of list) trie.insert(p.dst, p.plen, `${p.plen}`);
  t.is(trie.lookup(0x0a000081), '25');
  t.is(trie.lookup(0x0a0000f1), '28');
  t.is(trie.lookup(0x0a000001), '20');
  t.is(trie.lookup(0x0a010001), '8');
  const bytes = trie.arrayBytes();
  trie.remove(0x0a000080, 25);
  trie.remove(0x0a0000f0, 28);
  t.is(trie.lookup(0x0a000081), '20');
  trie.remove(0x0a000000, 20);
  t.is(trie.lookup(0x0a000081), '8');
  // chunks went back to the free lists: adding again reuses them (no growth)
  for (const p of list) trie.insert(p.dst, p.plen, `${p.plen}`);
  t.is(trie.arrayBytes(), bytes);
  t.is(trie.lookup(0x0a0000f1), '28');
  t.is(trie.lookupShorter(0x0a0000f1, 28), '25');
  t.is(trie.lookupShorter(0x0a0000f1, 8), null);
  t.deepEqual((() => { const o: string[] = []; trie.forEach((r, p, l) => o.push(`${r}@${p}/${l}`)); return o; })(),
    ['8@167772160/8', '20@167772160/20', '25@167772288/25', '28@167772400/28']);
});

test('HostIndex property: behaves as a Map under random inserts and deletes (backward-shift deletion)', (t) => {
  const keyArb = fc.oneof(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 400 }), (ops) => {
    const idx = new HostIndex<{ k: number }>(2);
    const model = new Map<number, { k: number }>();
    for (const [ins, k] of ops) {
      if (ins) {
        const v = { k };
        if (idx.set(k, v) !== !model.has(k)) return false;
        if (!model.has(k)) model.set(k, v);
      } else {
        if (idx.delete(k) !== (model.get(k) ?? null)) return false;
        model.delete(k);
      }
      if (idx.size !== model.size) return false;
    }
    for (const [k, v] of model) if (idx.get(k) !== v) return false;
    for (let k = -8; k <= 8; k++) if ((idx.get(k) ?? undefined) !== model.get(k)) return false;
    return idx.values().length === model.size;
  }), { numRuns: 300 });
  t.pass();
});
