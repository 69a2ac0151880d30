/**
 * The suites of `arpemu bench`, in run order, the targets of issues 3-7
 * they check, and where the chain model takes its observations from.
 */
import type { ModelSource } from '../../src/bench/runner.js';
import type { TargetDef } from '../../src/bench/types.js';

export const suites: readonly string[] = ['wire', 'hops'];

export const targets: readonly TargetDef[] = [
  { issue: 3, text: 'parse + classify of ARP frames, one thread', suite: 'wire', where: { impl: 'classify' }, metric: 'cpuRate', op: '>=', value: 20e6, unit: 'frames/s' },
  { issue: 3, text: 'zero allocations per frame (parse + classify)', suite: 'wire', where: { impl: 'classify+fields' }, metric: 'bytesPerFrame', op: '<=', value: 0.01, unit: 'B' },
];

export const modelSources: readonly ModelSource[] = [
  { suite: 'chain', where: { strategy: 'chain', transport: 'ring' }, latency: 'lat_p50', throughput: 'rate' },
  { suite: 'hops', where: { transport: 'ring', wake: 'wait' }, latency: 'lat_p50', throughput: 'rate' },
];
