/**
 * memory: bytes per ARP entry per replica (issue 5: route + llinfo <= 160
 * bytes at 1M entries). R replicas of N entries each are built in one thread
 * (every CPU holds a full copy, so memory grows with N x R); the heap +
 * ArrayBuffer growth after full GCs, divided by N x R. Baseline: a naive
 * cache, a Map from address to a small object per entry, same N x R.
 */
import { performance } from 'node:perf_hooks';
import { heapBytes } from '../../src/bench/measure.js';
import type { RepSample, SuiteDef } from '../../src/bench/types.js';
import { fillReplica, hostIp, hostMac, makeReplica, type BenchReplica } from './lib/replica.js';

interface NaiveEntry { mac: number; expire: number; flags: number; ifindex: number; asked: number; held: Uint8Array | null }

const suite: SuiteDef = {
  name: 'memory',
  title: 'memory per ARP entry per replica',
  description: 'R replicas (one per CPU) of N resolved entries each, built in one thread; bytes = growth of heapUsed + arrayBuffers after full GCs / (N x R). ' +
    'The replica entry is the host route with its llinfo and the host index. Baseline: a naive Map<address, {mac, expire, flags, ifindex, asked, held}>. ' +
    'build rate: entries created per second by arpUpdateOnCpu (the cost a replica pays per new entry).',
  grid: { impl: ['naive-map', 'replica'], entries: [1e4, 1e5, 1e6], replicas: [1, 2, 4] },
  quickGrid: { entries: [1e4, 1e5], replicas: [1, 2] },
  baselines: [{ impl: 'naive-map' }, { replicas: 1 }],
  metrics: [
    { name: 'bytesPerEntry', unit: 'B', better: 'lower', label: 'bytes per entry per replica' },
    { name: 'buildRate', unit: 'entries/s', better: 'higher', label: 'entries built per second' },
  ],
  primary: 'bytesPerEntry',
  nodeArgs: ['--expose-gc', '--max-old-space-size=12288'],
  // The warm-up builds and drops a full set once (heap grown, code optimised) before the measured builds.
  warmup: 1,
  reps: 3,
  quickReps: 3,
  timeoutSec: 600,
  setup(p) {
    const n = p['entries'] as number, r = p['replicas'] as number;
    const naive = p['impl'] === 'naive-map';
    return {
      rep(): RepSample {
        const h0 = heapBytes();
        const t0 = performance.now();
        const keep: unknown[] = [];
        for (let k = 0; k < r; k++) {
          if (naive) {
            const m = new Map<number, NaiveEntry>();
            for (let i = 0; i < n; i++) m.set(hostIp(i), { mac: hostMac(i), expire: 1300 + (i & 7), flags: 0x10, ifindex: 2, asked: 0, held: null });
            keep.push(m);
          } else {
            const b: BenchReplica = makeReplica(k);
            fillReplica(b, n);
            keep.push(b);
          }
        }
        const secs = (performance.now() - t0) / 1000;
        const bytes = heapBytes() - h0;
        if (keep.length !== r) throw new Error('lost a replica');
        return { bytesPerEntry: bytes / (n * r), buildRate: (n * r) / secs };
      },
    };
  },
  charts: [
    { id: 'bytes', title: 'Bytes per entry per replica vs entries', x: 'entries', xLog: true, y: ['bytesPerEntry'], series: ['impl', 'replicas'] },
  ],
};
export default suite;
