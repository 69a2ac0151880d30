/**
 * resync: time to bring back a CPU worker that died (issue 6): the
 * supervisor notices the exit, starts a new thread, takes a snapshot from a
 * live replica (CPU0, or the last CPU for CPU0), restores it, and only then
 * lets the CPU read its rings. Measured from the crash request to the
 * resynchronised CPU, with N entries in every replica. Baseline: the same
 * with no learned entries (the fixed cost of a thread restart).
 */
import { performance } from 'node:perf_hooks';
import { BenchUnavailable, type RepSample, type SuiteDef } from '../../src/bench/types.js';
import { configure, createBenchEmulator, feed, requestsForUs } from './lib/emu.js';

const suite: SuiteDef = {
  name: 'resync',
  title: 'time to restart and resync a CPU worker',
  description: 'ThreadedEmulator (ring transport: a restarted CPU finds what was sent to it waiting in its rings) with N entries learned through the chain; each repetition ' +
    'crashes one CPU (the last one, resynchronised from CPU0, or CPU0, resynchronised from the last) and waits until it is back: new thread, snapshot over comlink ' +
    '(structured clone), restore. Baseline: no learned entries.',
  grid: { cpus: [2, 4], entries: [0, 1e4, 1e5], victim: ['last', 'cpu0'] },
  quickGrid: { cpus: [2], entries: [0, 1e4], victim: ['last'] },
  baselines: [{ entries: 0 }],
  metrics: [
    { name: 'seconds', unit: 's', better: 'lower', label: 'crash to resynced' },
    { name: 'perEntry', unit: 's', better: 'lower', label: 'per entry' },
  ],
  primary: 'seconds',
  warmup: 1,
  reps: 3,
  quickReps: 3,
  // A restart that never completes is a finding, not a reason to wait long.
  timeoutSec: 90,
  async setup(p) {
    const cpus = p['cpus'] as number, entries = p['entries'] as number;
    const emu = await createBenchEmulator({ impl: 'threaded', cpus, strategy: 'chain', transport: 'ring', spin: 0, lockstep: false });
    if (emu.crashCpu === undefined) throw new BenchUnavailable('this Emulator cannot crash a CPU (no crashCpu)');
    await configure(emu);
    if (entries > 0) await feed(emu, requestsForUs(entries), entries);
    const victim = p['victim'] === 'cpu0' ? 0 : cpus - 1;
    return {
      async rep(): Promise<RepSample> {
        const t0 = performance.now();
        await emu.crashCpu!(victim);
        const s = (performance.now() - t0) / 1000;
        return { seconds: s, perEntry: entries > 0 ? s / entries : NaN };
      },
      info: () => ({ victim, entries }),
      close: () => emu.close(),
    };
  },
  charts: [
    { id: 'entries', title: 'CPU restart + resync time vs entries per replica', x: 'entries', y: ['seconds'], series: ['cpus', 'victim'] },
  ],
};
export default suite;
