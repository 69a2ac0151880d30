/**
 * route: longest-prefix lookups in a table of host routes plus 10 thousand
 * prefixes (issue 4: >= 5M lookups/s at 1M host routes; <= 128 bytes per
 * host route). Baseline: Map.get over the same host keys and objects.
 */
import { performance } from 'node:perf_hooks';
import { RouteTable } from '../../src/route/table.js';
import { RTF_CLONING, RTF_HOST, RTF_LLINFO, RTF_STATIC, type RtEntry, type RtTypes } from '../../src/route/rtentry.js';
import { blackhole, hasGc, heapBytes, timeOps, xorshift32 } from '../../src/bench/measure.js';
import type { SuiteDef } from '../../src/bench/types.js';

const PREFIXES = 10_000;
const QUERIES = 1 << 20;

const suite: SuiteDef = {
  name: 'route',
  title: 'route lookup (host routes + 10k prefixes), one thread',
  description: 'RouteTable.lookup for addresses that hit a host route (host), that fall through to the prefix trie (trie), and a 90/10 mix, over 1M random queries a repetition; ' +
    'baseline: Map.get on a Map of the same host keys (map). bytes/route: heap + ArrayBuffer growth after a full GC while adding the host routes, per route ' +
    '(the info of each point also has the build rates and the bytes per prefix).',
  grid: { hosts: [1_000_000], query: ['map', 'host', 'trie', 'mix'] },
  quickGrid: { hosts: [100_000] },
  baselines: [{ query: 'map' }],
  metrics: [
    { name: 'cpuRate', unit: 'lookups/s', better: 'higher', label: 'lookups per CPU-second' },
    { name: 'rate', unit: 'lookups/s', better: 'higher', label: 'lookups per wall second' },
    { name: 'bytesPerRoute', unit: 'B', better: 'lower', label: 'bytes/host route' },
  ],
  primary: 'cpuRate',
  nodeArgs: ['--expose-gc', '--max-old-space-size=4096'],
  warmup: 1,
  reps: 5,
  setup(p) {
    const hosts = p['hosts'] as number;
    const rnd = xorshift32(0x2545f491);
    const ifp = { name: 'em0', index: 2 };
    const ifa = { addr: 0x0a000001, ifp };
    const h0 = hasGc() ? heapBytes() : NaN;
    let t0 = performance.now();
    const table = new RouteTable<RtTypes>();
    // Prefixes: lengths 8..30, random networks.
    let added = 0;
    while (added < PREFIXES) {
      const plen = 8 + (rnd() % 23);
      const mask = (0xffff_ffff << (32 - plen)) >>> 0;
      const dst = (rnd() & mask) >>> 0;
      if (table.lookupExact(dst, mask) !== null) continue;
      table.add({ dst, mask, flags: RTF_CLONING, ifp, ifa });
      added++;
    }
    const prefixSecs = (performance.now() - t0) / 1000;
    const h1 = hasGc() ? heapBytes() : NaN;
    t0 = performance.now();
    // Host routes: distinct random addresses, resolved (MAC set), as ARP entries look.
    const keys = new Uint32Array(hosts);
    for (let n = 0; n < hosts;) {
      const dst = rnd();
      if (table.lookupHost(dst) !== null) continue;
      const rt = table.add({ dst, flags: RTF_HOST | RTF_STATIC | RTF_LLINFO, ifp, ifa, lladdr: 0x0200_0000_0000 + n, expire: 0 });
      rt.llinfo = null;
      keys[n++] = dst;
    }
    const hostSecs = (performance.now() - t0) / 1000;
    const bytesPerRoute = hasGc() ? (heapBytes() - h1) / hosts : NaN;
    const q = new Uint32Array(QUERIES);
    const query = p['query'] as string;
    let trieHits = 0;
    for (let i = 0; i < QUERIES; i++) {
      let miss = rnd();
      while (table.lookupHost(miss) !== null) miss = rnd();
      if (table.lookup(miss) !== null) trieHits++;
      const hit = keys[rnd() % hosts]!;
      q[i] = query === 'trie' ? miss : query === 'mix' ? (i % 10 === 0 ? miss : hit) : hit;
    }
    let body: () => void;
    if (query === 'map') {
      const map = new Map<number, RtEntry<RtTypes>>();
      for (let i = 0; i < hosts; i++) map.set(keys[i]! | 0, table.lookupHost(keys[i]!)!);
      body = () => { let s = 0; for (let i = 0; i < QUERIES; i++) { const r = map.get(q[i]! | 0); if (r !== undefined) s += r.flags; } blackhole.sink += s; };
    } else {
      body = () => { let s = 0; for (let i = 0; i < QUERIES; i++) { const r = table.lookup(q[i]!); if (r !== null) s += r.flags; } blackhole.sink += s; };
    }
    return {
      rep: () => ({ ...timeOps(QUERIES, body), bytesPerRoute }),
      info: () => ({
        hosts, prefixes: PREFIXES, queries: QUERIES, prefixAddsPerSecond: PREFIXES / prefixSecs, hostAddsPerSecond: hosts / hostSecs,
        bytesPerPrefix: (h1 - h0) / PREFIXES, trieShare: trieHits / QUERIES,
      }),
    };
  },
};
export default suite;
