/**
 * The suites of `arpemu bench`, in run order, the targets of issues 3-7
 * they check, and where the chain model takes its observations from.
 */
import type { ModelSource } from '../../src/bench/runner.js';
import type { TargetDef } from '../../src/bench/types.js';

export const suites: readonly string[] = ['wire', 'pcap', 'route', 'arpinput', 'resolve', 'memory', 'hops'];

export const targets: readonly TargetDef[] = [
  { issue: 3, text: 'parse + classify of ARP frames, one thread', suite: 'wire', where: { impl: 'classify' }, metric: 'cpuRate', op: '>=', value: 20e6, unit: 'frames/s' },
  { issue: 3, text: 'zero allocations per frame (parse + classify)', suite: 'wire', where: { impl: 'classify+fields' }, metric: 'bytesPerFrame', op: '<=', value: 0.01, unit: 'B' },
  { issue: 3, text: 'pcap reading', suite: 'pcap', where: { reader: 'whole' }, metric: 'cpuRate', op: '>=', value: 2e6, unit: 'frames/s' },
  { issue: 4, text: 'route lookup, 1M host routes + 10k prefixes, one thread (90/10 host/trie mix)', suite: 'route', where: { hosts: 1_000_000, query: 'mix' }, metric: 'cpuRate', op: '>=', value: 5e6, unit: 'lookups/s' },
  { issue: 4, text: 'route lookup, host hits only, 1M host routes', suite: 'route', where: { hosts: 1_000_000, query: 'host' }, metric: 'cpuRate', op: '>=', value: 5e6, unit: 'lookups/s' },
  { issue: 4, text: 'memory per host route', suite: 'route', where: { hosts: 1_000_000, query: 'host' }, metric: 'bytesPerRoute', op: '<=', value: 128, unit: 'B' },
  { issue: 5, text: 'inArpInput + update (+ reply), single CPU', suite: 'arpinput', where: { path: 'input+update+reply' }, metric: 'cpuRate', op: '>=', value: 2e6, unit: 'frames/s' },
  { issue: 5, text: 'arpResolve hits with 1M entries, single CPU (by address)', suite: 'resolve', where: { entries: 1e6, cpus: 1, op: 'by-addr', mix: 0 }, metric: 'rate', op: '>=', value: 10e6, unit: 'lookups/s' },
  { issue: 5, text: 'arpResolve hits with 1M entries, single CPU (caller\'s route)', suite: 'resolve', where: { entries: 1e6, cpus: 1, op: 'by-route', mix: 0 }, metric: 'rate', op: '>=', value: 10e6, unit: 'lookups/s' },
  { issue: 6, text: 'arpResolve throughput, 2 CPUs vs 1 (scaling; 2 = perfect), 1M entries', suite: 'resolve', where: { entries: 1e6, cpus: 2, op: 'by-addr', mix: 0 }, metric: 'rate', ratioOf: 1, unit: 'x' },
  { issue: 5, text: 'memory per ARP entry (route + llinfo) at 1M entries', suite: 'memory', where: { impl: 'replica', entries: 1e6, replicas: 1 }, metric: 'bytesPerEntry', op: '<=', value: 160, unit: 'B' },
];

export const modelSources: readonly ModelSource[] = [
  { suite: 'chain', where: { strategy: 'chain', transport: 'ring' }, latency: 'lat_p50', throughput: 'rate' },
  { suite: 'hops', where: { transport: 'ring', wake: 'wait' }, latency: 'lat_p50', throughput: 'rate' },
];
