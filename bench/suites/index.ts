/**
 * The suites of `arpemu bench`, in run order, the targets of issues 3-7
 * they check, and where the chain model takes its observations from.
 */
import type { ModelSource } from '../../src/bench/runner.js';
import type { TargetDef } from '../../src/bench/types.js';

export const suites: readonly string[] = ['wire', 'pcap', 'route', 'arpinput', 'resolve', 'memory', 'hops', 'chain', 'netisr', 'replay', 'resync', 'daemon'];

export const targets: readonly TargetDef[] = [
  { issue: 3, text: 'parse + classify of ARP frames, one thread', suite: 'wire', where: { impl: 'classify' }, metric: 'cpuRate', op: '>=', value: 20e6, unit: 'frames/s' },
  { issue: 3, text: 'zero allocations per frame (parse + classify + fields; heap growth without GC < 0.1 B/frame, one object a frame would be >= 16 B)', suite: 'wire', where: { impl: 'classify+fields' }, metric: 'bytesPerFrame', op: '<=', value: 0.1, unit: 'B' },
  { issue: 3, text: 'pcap reading', suite: 'pcap', where: { reader: 'whole' }, metric: 'cpuRate', op: '>=', value: 2e6, unit: 'frames/s' },
  { issue: 4, text: 'route lookup, 1M host routes + 10k prefixes, one thread (90/10 host/trie mix)', suite: 'route', where: { hosts: 1_000_000, query: 'mix' }, metric: 'cpuRate', op: '>=', value: 5e6, unit: 'lookups/s' },
  { issue: 4, text: 'route lookup, host hits only, 1M host routes', suite: 'route', where: { hosts: 1_000_000, query: 'host' }, metric: 'cpuRate', op: '>=', value: 5e6, unit: 'lookups/s' },
  { issue: 4, text: 'memory per host route', suite: 'route', where: { hosts: 1_000_000, query: 'host' }, metric: 'bytesPerRoute', op: '<=', value: 128, unit: 'B' },
  { issue: 5, text: 'inArpInput + update (+ reply), single CPU', suite: 'arpinput', where: { path: 'input+update+reply' }, metric: 'cpuRate', op: '>=', value: 2e6, unit: 'frames/s' },
  { issue: 5, text: 'arpResolve hits with 1M entries, single CPU (by address)', suite: 'resolve', where: { entries: 1e6, cpus: 1, op: 'by-addr', mix: 0 }, metric: 'rate', op: '>=', value: 10e6, unit: 'lookups/s' },
  { issue: 5, text: 'arpResolve hits with 1M entries, single CPU (caller\'s route)', suite: 'resolve', where: { entries: 1e6, cpus: 1, op: 'by-route', mix: 0 }, metric: 'rate', op: '>=', value: 10e6, unit: 'lookups/s' },
  { issue: 6, text: 'arpResolve throughput, 2 CPUs vs 1 (scaling; 2 = perfect), 1M entries', suite: 'resolve', where: { entries: 1e6, cpus: 2, op: 'by-addr', mix: 0 }, metric: 'rate', ratioOf: 1, unit: 'x' },
  { issue: 5, text: 'memory per ARP entry (route + llinfo) at 1M entries', suite: 'memory', where: { impl: 'replica', entries: 1e6, replicas: 1 }, metric: 'bytesPerEntry', op: '<=', value: 160, unit: 'B' },
  { issue: 6, text: 'chain throughput, 4 CPUs, pipelined updates injected at CPU0, ring transport (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'rate', op: '>=', value: 1e6, unit: 'updates/s' },
  { issue: 6, text: 'chain throughput, 4 CPUs, pipelined updates injected at CPU0: ring vs a MessagePort message per record (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'rate', ratioOf: 0, op: '>=', value: 10, unit: 'x' },
  { issue: 6, text: 'chain throughput, 4 CPUs, pipelined updates injected at CPU0: ring vs the batching MessagePort transport (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'rate', ratioOf: 1, unit: 'x' },
  { issue: 6, text: 'update throughput with frames through netisr, 4 CPUs: ring vs a MessagePort message per record (Emulator)', suite: 'chain', where: { entry: 'frames', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'rate', ratioOf: 0, op: '>=', value: 10, unit: 'x' },
  { issue: 6, text: 'update throughput with frames through netisr, 4 CPUs: ring vs the batching MessagePort transport (Emulator)', suite: 'chain', where: { entry: 'frames', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'rate', ratioOf: 1, unit: 'x' },
  { issue: 6, text: 'update throughput with frames through netisr, 4 CPUs, ring (Emulator)', suite: 'chain', where: { entry: 'frames', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'rate', op: '>=', value: 1e6, unit: 'updates/s' },
  { issue: 6, text: 'chain transport alone (hops), 4 CPUs, ring', suite: 'hops', where: { cpus: 4, transport: 'ring', wake: 'wait' }, metric: 'rate', op: '>=', value: 1e6, unit: 'updates/s' },
  { issue: 6, text: 'chain transport alone (hops), 4 CPUs: ring vs port', suite: 'hops', where: { cpus: 4, transport: 'ring', wake: 'wait' }, metric: 'rate', ratioOf: 0, op: '>=', value: 10, unit: 'x' },
  { issue: 6, text: 'frames through netisr to CPU0 and the chain, 2 CPUs, ring', suite: 'netisr', where: { cpus: 2, transport: 'ring' }, metric: 'rate', op: '>=', value: 1e6, unit: 'frames/s' },
  { issue: 6, text: 'per-hop latency p50, ring with wake-ups (hops, 4 CPUs)', suite: 'hops', where: { cpus: 4, transport: 'ring', wake: 'wait' }, metric: 'hop_p50', unit: 's' },
  { issue: 6, text: 'round trip p99, ring with wake-ups (hops, 4 CPUs)', suite: 'hops', where: { cpus: 4, transport: 'ring', wake: 'wait' }, metric: 'lat_p99', unit: 's' },
  { issue: 6, text: 'per-hop latency p50, ring with busy-polling (hops, 4 CPUs)', suite: 'hops', where: { cpus: 4, transport: 'ring', wake: 'spin' }, metric: 'hop_p50', unit: 's' },
  { issue: 6, text: 'round trip p99, ring with busy-polling (hops, 4 CPUs)', suite: 'hops', where: { cpus: 4, transport: 'ring', wake: 'spin' }, metric: 'lat_p99', unit: 's' },
  { issue: 6, text: 'chain round trip p50 (ping through 4 CPUs), ring, wake-ups (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, transport: 'ring', wake: 'wait' }, metric: 'lat_p50', unit: 's' },
  { issue: 6, text: 'chain round trip p99 (ping through 4 CPUs), ring, wake-ups (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, transport: 'ring', wake: 'wait' }, metric: 'lat_p99', unit: 's' },
  { issue: 6, text: 'chain round trip p50 (ping through 4 CPUs), ring, busy-polling (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, transport: 'ring', wake: 'spin' }, metric: 'lat_p50', unit: 's' },
  { issue: 6, text: 'chain round trip p99 (ping through 4 CPUs), ring, busy-polling (Emulator)', suite: 'chain', where: { entry: 'inject', cpus: 4, transport: 'ring', wake: 'spin' }, metric: 'lat_p99', unit: 's' },
  { issue: 6, text: 'update latency p50, frame in to reply out, 4 CPUs, ring (Emulator)', suite: 'chain', where: { entry: 'frames', cpus: 4, strategy: 'chain', transport: 'ring', wake: 'wait' }, metric: 'lat_p50', unit: 's' },
  { issue: 7, text: 'daemon request->reply p50 / the kernel\'s, same run (veth, 2 CPUs)', suite: 'daemon', where: { cpus: 2 }, metric: 'p50Ratio', op: '<=', value: 1.5, unit: 'x' },
  { issue: 7, text: 'daemon answered share at the kernel\'s highest rate with >= 99% answered (2 CPUs)', suite: 'daemon', where: { cpus: 2 }, metric: 'daemonShare', op: '>=', value: 99, unit: '%' },
];

export const modelSources: readonly ModelSource[] = [
  { suite: 'chain', where: { entry: 'inject', strategy: 'chain', transport: 'ring', wake: 'wait' }, latency: 'lat_p50', throughput: 'rate' },
  { suite: 'chain', where: { entry: 'frames', strategy: 'chain', transport: 'ring', wake: 'wait' }, latency: 'lat_p50', throughput: 'rate' },
  { suite: 'hops', where: { transport: 'ring', wake: 'wait' }, latency: 'lat_p50', throughput: 'rate' },
];
