/**
 * ARP on one CPU, no threads (issue 5 targets), from the points of three
 * suites measured in this process (the loops live in the suites):
 *   - arpinput: in_arpinput + update + reply >= 2M frames/s (arpIntr,
 *     inArpInput, arpUpdateOnCpu, arpInputReply; requests for us from 64k
 *     senders whose entries exist), the creating pass (first frame of each
 *     sender), and the baseline arpIntr alone;
 *   - resolve: arpResolve hits >= 10M/s with 1M entries, by address (the
 *     arplookup hash probe), with the caller's route, over a hot set (90% of
 *     lookups to 1% of the entries), against Map.get on the same keys
 *     without and with reading a field of the entry (the hash-probe and
 *     memory floors); one CPU (a worker thread);
 *   - memory: bytes per ARP entry (route + llinfo) <= 160 at 1M entries.
 * Medians of --reps repetitions after the suites' warm-up.
 *
 *   npx tsc -p . && node --expose-gc dist/bench/arp.bench.js [--entries N] [--reps N]
 */
import { hasGc } from '../src/bench/measure.js';
import { numArg } from './args.js';
import { measureOrThrow, metricStats } from '../src/bench/point.js';
import arpinput from './suites/arpinput.js';
import resolve from './suites/resolve.js';
import memory from './suites/memory.js';

const ENTRIES = numArg('--entries', 1_000_000);
const REPS = numArg('--reps', 5);

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`);
const verdict = (x: number, target: number): string => (x >= target ? 'met' : `MISSED by ${((1 - x / target) * 100).toFixed(0)}%`);

console.log(`node ${process.version}, reps ${REPS} (median after warm-up)`);
const full = await measureOrThrow(arpinput, { path: 'input+update+reply', frames: 2_000_000 }, { reps: REPS });
const intr = await measureOrThrow(arpinput, { path: 'intr-only', frames: 2_000_000 }, { reps: REPS });
const input = metricStats(full, 'cpuRate').median;
console.log(`in_arpinput + update + reply (${fmt(Number(full.info?.['senders']))} senders, entries exist): ${fmt(input)} frames/s  [target >= 2M: ${verdict(input, 2e6)}]`);
console.log(`  creating pass (first frame of each sender clones its entry): ${fmt(Number(full.info?.['createRate']))} frames/s`);
console.log(`  baseline arpIntr alone (frame checks): ${fmt(metricStats(intr, 'cpuRate').median)} frames/s`);

const hits = async (op: string): Promise<number> =>
  metricStats(await measureOrThrow(resolve, { entries: ENTRIES, cpus: 1, op, mix: 0 }, { reps: REPS }), 'perCpu').median;
console.log(`arpResolve hits, ${fmt(ENTRIES)} entries, random order (one worker thread):`);
const a = await hits('by-addr'), b = await hits('by-route'), h = await hits('hot');
console.log(`  by address (rt0 null, arplookup hash probe): ${fmt(a)}/s  [target >= 10M: ${verdict(a, 1e7)}]`);
console.log(`  with the caller's route (rt0 given):         ${fmt(b)}/s  [target >= 10M: ${verdict(b, 1e7)}]`);
console.log(`  by address, hot set (90% to 1% of entries):  ${fmt(h)}/s  [target >= 10M: ${verdict(h, 1e7)}]`);
console.log(`  baseline Map.get on the same keys (random):  ${fmt(await hits('map-get'))}/s`);
console.log(`  baseline Map.get + read the entry (random):  ${fmt(await hits('map-deref'))}/s  (the memory floor of any by-address lookup)`);
if (hasGc()) {
  const m = metricStats(await measureOrThrow(memory, { impl: 'replica', entries: ENTRIES, replicas: 1 }), 'bytesPerEntry').median;
  console.log(`memory per ARP entry (route + llinfo + host index), ${fmt(ENTRIES)} entries: ${m.toFixed(1)} bytes  [target <= 160: ${m <= 160 ? 'met' : 'MISSED'}]`);
} else {
  console.log('memory: run with --expose-gc for bytes per entry');
}
