/**
 * Route table at scale: 1 million host routes + 10 thousand prefixes.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/route.bench.js [--hosts N] [--prefixes N] [--reps N]
 *
 * Reports (median of --reps runs after one warm-up run):
 *  - lookups/s of RouteTable.lookup for addresses that hit a host route,
 *    for addresses that fall through to the prefix trie, and for a 90/10 mix;
 *  - the baseline: Map.get on a Map holding the same keys and objects;
 *  - bytes per host route (entry + index), from heapUsed + arrayBuffers
 *    deltas after global.gc() (needs --expose-gc; without it the memory
 *    line says so).
 */
import { RouteTable } from '../src/route/table.js';
import { RTF_HOST, RTF_LLINFO, RTF_STATIC, RTF_CLONING, type RtEntry, type RtTypes } from '../src/route/rtentry.js';

const args = process.argv.slice(2);
function arg(name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
}
const HOSTS = arg('--hosts', 1_000_000);
const PREFIXES = arg('--prefixes', 10_000);
const REPS = arg('--reps', 5);
const QUERIES = 1 << 20;

/** xorshift32: deterministic, allocation-free. */
let seed = 0x2545f491;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}

const gc = (globalThis as { gc?: () => void }).gc;
/** JS heap plus ArrayBuffer backing stores (typed arrays live outside the V8 heap). */
function heap(): number {
  if (gc) { gc(); gc(); }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const ifp = { name: 'em0', index: 2 };
const ifa = { addr: 0x0a000001, ifp };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

function main(): void {
  const h0 = heap();
  const tp0 = process.hrtime.bigint();
  const table = new RouteTable<RtTypes>();
  // Prefixes: lengths 8..30, random networks.
  let added = 0;
  while (added < PREFIXES) {
    const plen = 8 + (rnd() % 23);
    const mask = (0xffff_ffff << (32 - plen)) >>> 0;
    const dst = rnd() & mask;
    if (table.lookupExact(dst >>> 0, mask) !== null) continue;
    table.add({ dst: dst >>> 0, mask, flags: RTF_CLONING, ifp, ifa });
    added++;
  }
  const prefixSecs = Number(process.hrtime.bigint() - tp0) / 1e9;
  const h1 = heap();
  const th0 = process.hrtime.bigint();

  // Host routes: distinct random addresses, resolved (MAC set), as ARP entries look.
  const hostKeys = new Uint32Array(HOSTS);
  let n = 0;
  while (n < HOSTS) {
    const dst = rnd();
    if (table.lookupHost(dst) !== null) continue;
    const rt = table.add({ dst, flags: RTF_HOST | RTF_STATIC | RTF_LLINFO, ifp, ifa, lladdr: 0x0200_0000_0000 + n, expire: 0 });
    rt.llinfo = null;
    hostKeys[n++] = dst;
  }
  const hostSecs = Number(process.hrtime.bigint() - th0) / 1e9;
  const h2 = heap();

  // Baseline structure: a Map with the same keys and objects.
  const baseline = new Map<number, RtEntry<RtTypes>>();
  for (let i = 0; i < HOSTS; i++) baseline.set(hostKeys[i]! | 0, table.lookupHost(hostKeys[i]!)!);

  // Query sets.
  const hitQ = new Uint32Array(QUERIES);
  const missQ = new Uint32Array(QUERIES);
  const mixQ = new Uint32Array(QUERIES);
  for (let i = 0; i < QUERIES; i++) {
    hitQ[i] = hostKeys[rnd() % HOSTS]!;
    let m = rnd();
    while (table.lookupHost(m) !== null) m = rnd();
    missQ[i] = m;
    mixQ[i] = i % 10 === 0 ? m : hitQ[i]!;
  }
  let prefixHits = 0;
  for (let i = 0; i < QUERIES; i++) if (table.lookup(missQ[i]!) !== null) prefixHits++;

  let sink = 0;
  /** Per-run rates: wall clock, and CPU time of this process (less sensitive to other load on the machine). */
  const cpuRates = new Map<string, number[]>();
  let lastCpu = 0;
  function timed(q: Uint32Array, body: () => void): number {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    body();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    lastCpu = q.length / ((c.user + c.system) / 1e6);
    return q.length / wall;
  }
  function runLookup(q: Uint32Array): number {
    return timed(q, () => {
      for (let i = 0; i < q.length; i++) {
        const r = table.lookup(q[i]!);
        if (r !== null) sink += r.flags;
      }
    });
  }
  function runBaseline(q: Uint32Array): number {
    return timed(q, () => {
      for (let i = 0; i < q.length; i++) {
        const r = baseline.get(q[i]! | 0);
        if (r !== undefined) sink += r.flags;
      }
    });
  }

  const cases: [string, () => number][] = [
    ['Map.get baseline (hits)', () => runBaseline(hitQ)],
    ['lookup, host hits', () => runLookup(hitQ)],
    ['lookup, prefix/miss (trie)', () => runLookup(missQ)],
    ['lookup, 90% host / 10% trie', () => runLookup(mixQ)],
  ];
  const results = new Map<string, number[]>();
  for (let rep = 0; rep <= REPS; rep++) {
    for (const [name, fn] of cases) {
      const r = fn();
      if (rep === 0) continue; // warm-up
      const arr = results.get(name) ?? [];
      arr.push(r);
      results.set(name, arr);
      const carr = cpuRates.get(name) ?? [];
      carr.push(lastCpu);
      cpuRates.set(name, carr);
    }
  }

  console.log(`route.bench: ${fmt(HOSTS)} host routes + ${fmt(PREFIXES)} prefixes, ${fmt(QUERIES)} queries a run, median of ${REPS} after warm-up`);
  console.log(`node ${process.version}; ${(prefixHits / QUERIES * 100).toFixed(1)}% of trie queries matched a prefix`);
  const base = median(results.get('Map.get baseline (hits)')!);
  for (const [name] of cases) {
    const m = median(results.get(name)!);
    const all = results.get(name)!.map(fmt).join(' ');
    const cpu = median(cpuRates.get(name)!);
    console.log(`  ${name.padEnd(30)} ${fmt(m).padStart(8)} lookups/s  (${(m / base).toFixed(2)}x baseline; ${fmt(cpu)}/CPU-second)  runs: ${all}`);
  }
  console.log(`  building: ${fmt(PREFIXES / prefixSecs)} prefix adds/s, ${fmt(HOSTS / hostSecs)} host route adds/s (one run, incl. duplicate checks)`);
  if (gc) {
    console.log(`  memory (heapUsed + arrayBuffers deltas after gc): prefixes ${((h1 - h0) / PREFIXES).toFixed(1)} B each (entries + trie + stride table), host routes ${((h2 - h1) / HOSTS).toFixed(1)} B each (entry + index)`);
  } else {
    console.log('  memory: run with --expose-gc for heap bytes per route');
  }
  if (sink === 0.5) console.log(''); // keep the loops observable
}

main();
