/**
 * netisr: frames per second from the link through the netisr thread to the
 * CPUs (issue 6: >= 1M ARP frames/s with 2 CPUs). A mixed stream as a LAN
 * delivers it: requests for us (answered, an update through the chain),
 * requests between other hosts (the sender is refreshed only if known),
 * replies, and 20% invalid frames of every kind (dropped and counted in
 * netisr). Baselines: the MessagePort transport, and one CPU.
 */
import { performance } from 'node:perf_hooks';
import type { RepSample, SuiteDef } from '../../src/bench/types.js';
import { STRIDE, mixedFrames } from './lib/frames.js';
import { configure, createBenchEmulator, feed, requestsForUs } from './lib/emu.js';

function lanMix(n: number): Uint8Array[] {
  const { buf, lens } = mixedFrames(n, 0.2, 7);
  const forUs = requestsForUs(256);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(i % 4 === 0 ? forUs[(i >> 2) % 256]! : buf.slice(i * STRIDE, i * STRIDE + lens[i]!));
  return out;
}

const suite: SuiteDef = {
  name: 'netisr',
  title: 'frames/s through netisr to the CPUs (mixed LAN traffic)',
  description: 'A mixed frame stream (a quarter requests for us, the rest other hosts\' requests and replies, 20% of all invalid) fed to the ThreadedEmulator in slices of 4096, ' +
    'then quiescence: frames accepted or dropped per wall second. The supervisor feeding the frames runs on the main thread (a copy per frame, as Link delivery does).',
  grid: { cpus: [1, 2, 4], transport: ['port', 'ring'] },
  quickGrid: { cpus: [1, 2] },
  baselines: [{ transport: 'port' }, { cpus: 1 }],
  metrics: [
    { name: 'rate', unit: 'frames/s', better: 'higher', label: 'frames per second' },
  ],
  primary: 'rate',
  warmup: 1,
  reps: 5,
  timeoutSec: 300,
  async setup(p, ctx) {
    const emu = await createBenchEmulator({ impl: 'threaded', cpus: p['cpus'] as number, strategy: 'chain', transport: p['transport'] as 'ring', spin: 0, lockstep: false });
    await configure(emu);
    const frames = lanMix(8192);
    await feed(emu, frames, frames.length);
    const total = ctx.quick ? 30_000 : (p['transport'] === 'ring' ? 200_000 : 60_000);
    return {
      async rep(): Promise<RepSample> {
        const t0 = performance.now();
        await feed(emu, frames, total);
        return { rate: total / ((performance.now() - t0) / 1000) };
      },
      info: () => ({ framesPerRep: total }),
      close: () => emu.close(),
    };
  },
  charts: [
    { id: 'rate', title: 'Frames/s through netisr vs CPUs', x: 'cpus', y: ['rate'], series: ['transport'] },
  ],
};
export default suite;
