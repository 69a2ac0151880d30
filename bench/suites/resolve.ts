/**
 * resolve: arpResolve hits as the table grows (issue 5: >= 10M/s at 1M
 * entries on one CPU) and as CPUs are added (issue 6: throughput with 1 and
 * 2 CPUs, scaling efficiency). Each CPU is a worker thread with its own
 * replica of `entries` resolved entries; all run their loops at once and the
 * rate is total hits per wall second. Baselines: Map.get on the same keys,
 * and one CPU.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { cpuSeconds } from '../../src/bench/measure.js';
import type { Point, RepSample, SuiteDef } from '../../src/bench/types.js';
import type { ResolveWorkerData } from './lib/resolve-proto.js';

interface Done { hits: number; seconds: number }

const suite: SuiteDef = {
  name: 'resolve',
  title: 'arpResolve lookup scaling: entries and CPUs',
  description: 'Each CPU a worker thread with its own replica of N resolved entries, running arpResolve for random addresses (by-addr: the arplookup hash probe, rt0 null; ' +
    'map-deref: Map.get and a field of the entry read, the memory floor of a lookup by address; by-route: with the caller\'s route; hot: 90% of lookups to 1% of the entries; mix: that share of operations are updates, arpUpdateOnCpu on the local replica). ' +
    'rate = all CPUs\' hits per wall second; cpuRate = hits per CPU-second of the process (flat when scaling is perfect). Baselines: Map.get on the same keys, and 1 CPU ' +
    '(the cpus=2 ratio / 2 is the scaling efficiency; the 2 cores are shared with the rest of the machine).',
  grid: { entries: [1e3, 1e4, 1e5, 1e6], cpus: [1, 2], op: ['map-get', 'map-deref', 'by-addr', 'by-route', 'hot'], mix: [0, 0.1] },
  quickGrid: { entries: [1e3, 1e5], op: ['map-get', 'by-addr'], mix: [0] },
  // by-route, hot and map-deref only at 1M entries (the issue 5 target); the update mix only by address.
  exclude: (p: Point) => ((p['mix'] as number) > 0 && p['op'] !== 'by-addr') ||
    ((p['op'] === 'by-route' || p['op'] === 'hot' || p['op'] === 'map-deref') && p['entries'] !== 1e6),
  baselines: [{ op: 'map-get' }, { cpus: 1 }],
  metrics: [
    { name: 'rate', unit: 'lookups/s', better: 'higher', label: 'hits per wall second (all CPUs)' },
    { name: 'cpuRate', unit: 'lookups/s', better: 'higher', label: 'hits per CPU-second' },
    { name: 'perCpu', unit: 'lookups/s', better: 'higher', label: 'median CPU\'s own rate' },
  ],
  primary: 'rate',
  nodeArgs: ['--max-old-space-size=8192'],
  warmup: 1,
  reps: 5,
  timeoutSec: 400,
  async setup(p, ctx) {
    const cpus = p['cpus'] as number;
    const ops = ctx.quick ? 1_000_000 : 3_000_000;
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let c = 0; c < cpus; c++) {
      const data: ResolveWorkerData = { cpu: c, entries: p['entries'] as number, ops, op: p['op'] as string, mix: p['mix'] as number };
      const w = new Worker(new URL('./lib/resolve-worker.js', import.meta.url), { workerData: data });
      workers.push(w);
      ready.push(new Promise((resolve, reject) => { w.once('message', () => resolve()); w.once('error', reject); }));
    }
    await Promise.all(ready);
    return {
      async rep(): Promise<RepSample> {
        const c0 = cpuSeconds();
        const t0 = performance.now();
        const done = await Promise.all(workers.map((w) => new Promise<Done>((resolve) => { w.once('message', resolve); w.postMessage('run'); })));
        const wall = (performance.now() - t0) / 1000;
        const cpu = cpuSeconds() - c0;
        const hits = done.reduce((a, x) => a + x.hits, 0);
        if (hits !== ops * cpus) throw new Error(`${ops * cpus - hits} lookups missed`);
        const own = done.map((x) => ops / x.seconds).sort((a, b) => a - b);
        return { rate: hits / wall, cpuRate: hits / cpu, perCpu: own[own.length >> 1]! };
      },
      info: () => ({ opsPerCpu: ops }),
      close: async () => { await Promise.all(workers.map((w) => w.terminate())); },
    };
  },
  charts: [
    { id: 'entries', title: 'arpResolve hits/s vs table size (1 CPU)', x: 'entries', xLog: true, y: ['rate'], series: ['op'], where: { cpus: 1, mix: 0 } },
    { id: 'cpus', title: 'arpResolve hits/s vs CPUs (by address)', x: 'cpus', y: ['rate'], series: ['entries'], where: { op: 'by-addr', mix: 0 } },
  ],
};
export default suite;
