/**
 * wire: parse + classify of ARP frames from one buffer on one thread (issue
 * 3: >= 20M frames/s with zero allocations per frame). Baseline: a naive
 * parser (a subarray, a DataView and a result object per frame), same frames,
 * same process kind. Allocation is the heapUsed growth of repetitions during
 * which no GC ran, per frame.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { ARP_OK, ArpPacket, classifyFrame } from '../../src/wire/arp.js';
import { blackhole, timeOps } from '../../src/bench/measure.js';
import type { RepSample, SuiteDef } from '../../src/bench/types.js';
import { STRIDE, mixedFrames } from './lib/frames.js';

export interface NaiveArp { op: number; sha: number; spa: number; tha: number; tpa: number }
export type NaiveResult = { ok: true; arp: NaiveArp } | { ok: false; reason: string };

/** What one writes without thinking about allocation. */
export function naiveParse(frame: Uint8Array): NaiveResult {
  if (frame.length < 14) return { ok: false, reason: 'runt' };
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (dv.getUint16(12) !== 0x0806) return { ok: false, reason: 'not_arp' };
  if (frame.length < 22) return { ok: false, reason: 'runt' };
  const hrd = dv.getUint16(14), pro = dv.getUint16(16), hln = dv.getUint8(18), pln = dv.getUint8(19), op = dv.getUint16(20);
  if (hrd !== 1 && hrd !== 6) return { ok: false, reason: 'bad_hrd' };
  if (frame.length < 22 + 2 * (hln + pln)) return { ok: false, reason: 'truncated' };
  if (pro !== 0x0800) return { ok: false, reason: 'bad_pro' };
  if (hln !== 6) return { ok: false, reason: 'bad_hln' };
  if (pln !== 4) return { ok: false, reason: 'bad_pln' };
  if (op !== 1 && op !== 2) return { ok: false, reason: 'bad_op' };
  const mac = (o: number): number => dv.getUint16(o) * 2 ** 32 + dv.getUint32(o + 2);
  return { ok: true, arp: { op, sha: mac(22), spa: dv.getUint32(28), tha: mac(32), tpa: dv.getUint32(38) } };
}

const suite: SuiteDef = {
  name: 'wire',
  title: 'ARP frame parse + classify, one thread',
  description: 'classifyFrame over frames packed in one buffer (20% invalid across every reason), alone and followed by reading op/sha/spa/tha/tpa of the accepted frames; ' +
    'the baseline is a naive parser allocating a subarray, a DataView and an object per frame. Rates per CPU-second of the child process (cpuRate) and per wall second (rate); ' +
    'bytes/frame is the heap growth of repetitions without a GC.',
  grid: { impl: ['naive', 'classify', 'classify+fields'], frames: [1_000_000] },
  quickGrid: { frames: [200_000] },
  baselines: [{ impl: 'naive' }],
  metrics: [
    { name: 'cpuRate', unit: 'frames/s', better: 'higher', label: 'frames per CPU-second' },
    { name: 'rate', unit: 'frames/s', better: 'higher', label: 'frames per wall second' },
    { name: 'bytesPerFrame', unit: 'B', better: 'lower', label: 'heap bytes/frame' },
    { name: 'gcs', unit: '', better: 'lower', label: 'GCs per rep' },
  ],
  primary: 'cpuRate',
  warmup: 2,
  reps: 7,
  setup(p) {
    const n = p['frames'] as number;
    const { buf, lens } = mixedFrames(n);
    const view = new ArpPacket();
    const counts = new Float64Array(16);
    const impl = p['impl'] as string;
    const body = impl === 'naive'
      ? (): void => {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          const r = naiveParse(buf.subarray(i * STRIDE, i * STRIDE + lens[i]!));
          if (r.ok) acc = (acc + (r.arp.op ^ r.arp.spa ^ r.arp.tpa)) | 0;
          else acc = (acc + r.reason.length) | 0;
        }
        blackhole.sink ^= acc;
      }
      : impl === 'classify'
        ? (): void => { for (let i = 0; i < n; i++) counts[classifyFrame(view, buf, i * STRIDE, lens[i]!)]!++; }
        : (): void => {
          let acc = 0, hw = 0;
          for (let i = 0; i < n; i++) {
            const r = classifyFrame(view, buf, i * STRIDE, lens[i]!);
            counts[r]!++;
            if (r === ARP_OK) { acc = (acc + (view.op ^ view.spa ^ view.tpa)) | 0; hw += view.sha - view.tha; }
          }
          blackhole.sink ^= acc + (hw > 0 ? 1 : 0);
        };
    const gcStarts: number[] = [];
    const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcStarts.push(e.startTime); });
    obs.observe({ entryTypes: ['gc'] });
    return {
      async rep(): Promise<RepSample> {
        const h0 = process.memoryUsage().heapUsed;
        const t0 = performance.now();
        const s = timeOps(n, body);
        const t1 = performance.now();
        const grown = process.memoryUsage().heapUsed - h0;
        await new Promise((r) => setTimeout(r, 20)); // GC entries arrive asynchronously
        const gcs = gcStarts.filter((t) => t >= t0 && t <= t1).length;
        return { ...s, gcs, bytesPerFrame: gcs === 0 ? Math.max(0, grown) / n : NaN };
      },
      info: () => ({ frames: n, accepted: counts[ARP_OK] }),
      close: () => obs.disconnect(),
    };
  },
  charts: [],
};
export default suite;
