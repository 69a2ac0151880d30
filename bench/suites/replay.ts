/**
 * replay: a captured trace through `replay()` (src/control/replay.ts), the
 * deterministic front end: ../shared/pcaps/arp-storm.pcap (622 requests from
 * one MAC for 303 targets) looped N times, each loop shifted in time, on a
 * virtual clock, every stimulus run to quiescence (lockstep), output pcap
 * written. Baseline: the single-CPU emulator (no threads).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readCaptureFile } from '../../src/link/pcapio.js';
import { encodePcap, type PcapWriteRecord } from '../../src/wire/pcap.js';
import { parseConfigText } from '../../src/config/config.js';
import { replay } from '../../src/control/replay.js';
import { BenchUnavailable, type Point, type RepSample, type SuiteDef } from '../../src/bench/types.js';
import { emulatorFactory } from './lib/emu.js';
import { STORM } from './pcap.js';

/** The storm's senders are on 24.166.172.0/22 and nearby nets: own addresses there so the frames are processed, not just dropped. */
const CONFIG = JSON.stringify({
  interfaces: [{ name: 'vemu0', mac: '02:00:00:00:01:01', flags: [], addresses: ['24.166.172.141/22', '65.26.92.10/24', '69.76.216.10/24', '65.28.78.10/24', '69.81.17.10/24'] }],
  arp: [{ ip: '24.166.172.9', mac: '02:00:00:00:00:09' }, { ip: '24.166.173.161', mac: '02:00:00:00:00:50', pub: true }],
});

function loopedCapture(path: string, loops: number): number {
  const src = readCaptureFile(STORM).records;
  const first = src[0]!.time, span = src[src.length - 1]!.time - first + 1;
  const recs: PcapWriteRecord[] = [];
  for (let l = 0; l < loops; l++) for (const r of src) recs.push({ data: r.data, time: r.time + l * span });
  writeFileSync(path, encodePcap(recs));
  return recs.length;
}

const suite: SuiteDef = {
  name: 'replay',
  title: 'replay of arp-storm.pcap looped N times (arpemu replay path)',
  description: 'replay() with the storm capture looped N times (each loop shifted by the capture\'s span) on interface vemu0 owning addresses in the senders\' networks: ' +
    'frames in per wall second of the whole run (reading the capture, setup, every frame run to quiescence in lockstep, output pcap, dump). ' +
    'Deterministic lockstep means one frame in flight at a time: this measures latency-bound throughput, which favours one CPU. Baseline: the single-CPU emulator.',
  grid: { loops: [1, 10, 30], emulator: ['single', 'threaded'], cpus: [1, 2, 4], transport: ['ring', 'port'] },
  quickGrid: { loops: [10], cpus: [1, 2], transport: ['ring'] },
  exclude: (p: Point) => (p['emulator'] === 'single' && (p['cpus'] !== 1 || p['transport'] !== 'ring')) || (p['transport'] === 'port' && p['loops'] !== 10),
  baselines: [{ emulator: 'single', cpus: 1, transport: 'ring' }],
  metrics: [
    { name: 'rate', unit: 'frames/s', better: 'higher', label: 'frames replayed per second' },
    { name: 'seconds', unit: 's', better: 'lower', label: 'run time' },
  ],
  primary: 'rate',
  warmup: 1,
  reps: 3,
  timeoutSec: 600,
  async setup(p) {
    if (!existsSync(STORM)) throw new BenchUnavailable(`${STORM} is missing (the shared captures)`);
    const dir = mkdtempSync(join(tmpdir(), 'arpemu-bench-replay-'));
    const input = join(dir, 'in.pcap');
    const frames = loopedCapture(input, p['loops'] as number);
    const config = parseConfigText(CONFIG, 'replay-suite');
    const spec = { impl: p['emulator'] as 'single', cpus: p['cpus'] as number, strategy: 'chain' as const, transport: p['transport'] as 'ring', spin: 0, lockstep: true };
    const make = await emulatorFactory(spec);
    let out = 0;
    return {
      async rep(): Promise<RepSample> {
        const t0 = performance.now();
        const summary = await replay({
          config, inputs: [{ iface: undefined, path: input }], outputs: [{ iface: undefined, path: join(dir, 'out.pcap') }], settle: 0,
          emulator: { cpus: spec.cpus, strategy: 'chain', transport: spec.transport },
          createEmulator: make,
        });
        const secs = (performance.now() - t0) / 1000;
        if (summary.framesIn !== frames) throw new Error(`replayed ${summary.framesIn} of ${frames} frames`);
        out = Object.values(summary.framesOut).reduce((a, b) => a + b, 0);
        return { rate: frames / secs, seconds: secs };
      },
      info: () => ({ framesIn: frames, framesOut: out }),
      close: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  charts: [
    { id: 'loops', title: 'Replay rate vs trace length', x: 'loops', xLog: true, y: ['rate'], series: ['emulator', 'cpus', 'transport'], where: { transport: 'ring' } },
  ],
};

export default suite;
