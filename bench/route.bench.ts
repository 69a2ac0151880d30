/**
 * Route table at scale: host routes + 10 thousand prefixes, the points of
 * the `route` suite (bench/suites/route.ts: the table, the queries and the
 * measuring loop) measured in this process.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/route.bench.js [--hosts N] [--reps N]
 *
 * Reports (median of --reps runs after one warm-up run): lookups/s of
 * RouteTable.lookup for addresses that hit a host route, that fall through
 * to the prefix trie, and a 90/10 mix, against the baseline Map.get on a Map
 * holding the same keys and objects; the build rates; bytes per host route
 * and per prefix (needs --expose-gc; without it the memory line says so).
 */
import { numArg } from './args.js';
import { measureOrThrow, metricStats } from '../src/bench/point.js';
import { hasGc } from '../src/bench/measure.js';
import route from './suites/route.js';

const HOSTS = numArg('--hosts', 1_000_000);
const REPS = numArg('--reps', 5);

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

const cases: [string, string][] = [['map', 'Map.get baseline (hits)'], ['host', 'lookup, host hits'], ['trie', 'lookup, prefix/miss (trie)'], ['mix', 'lookup, 90% host / 10% trie']];
const rows: { name: string; wall: number; cpu: number; runs: number[] }[] = [];
let info: Record<string, unknown> = {};
let bytesPerRoute = NaN;
for (const [query, name] of cases) {
  const o = await measureOrThrow(route, { hosts: HOSTS, query }, { reps: REPS });
  rows.push({ name, wall: metricStats(o, 'rate').median, cpu: metricStats(o, 'cpuRate').median, runs: o.samples.map((s) => s['rate']!) });
  info = o.info ?? {};
  bytesPerRoute = metricStats(o, 'bytesPerRoute').median;
}
const num = (k: string): number => (typeof info[k] === 'number' ? info[k] : NaN);
console.log(`route.bench: ${fmt(HOSTS)} host routes + ${fmt(num('prefixes'))} prefixes, ${fmt(num('queries'))} queries a run, median of ${REPS} after warm-up`);
console.log(`node ${process.version}; ${(num('trieShare') * 100).toFixed(1)}% of trie queries matched a prefix`);
const base = rows[0]!.wall;
for (const r of rows) {
  console.log(`  ${r.name.padEnd(30)} ${fmt(r.wall).padStart(8)} lookups/s  (${(r.wall / base).toFixed(2)}x baseline; ${fmt(r.cpu)}/CPU-second)  runs: ${r.runs.map(fmt).join(' ')}`);
}
console.log(`  building: ${fmt(num('prefixAddsPerSecond'))} prefix adds/s, ${fmt(num('hostAddsPerSecond'))} host route adds/s (one run, incl. duplicate checks)`);
if (hasGc()) {
  console.log(`  memory (heapUsed + arrayBuffers deltas after gc): prefixes ${num('bytesPerPrefix').toFixed(1)} B each (entries + trie + stride table), host routes ${bytesPerRoute.toFixed(1)} B each (entry + index)`);
} else {
  console.log('  memory: run with --expose-gc for heap bytes per route');
}
