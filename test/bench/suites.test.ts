import test from 'ava';
import { gridFor } from '../../src/bench/runner.js';
import { evaluateTargets } from '../../src/bench/targets.js';
import { machineInfo } from '../../src/bench/machine.js';
import type { PointResult } from '../../src/bench/types.js';
import daemon, { sweepTables, sweepVerdict, type Sweep } from '../../bench/suites/daemon.js';
import chain from '../../bench/suites/chain.js';

const sweep = (ratios: number[], achievedTop = 450_000): Sweep[] =>
  [5_000, 100_000, 400_000, 0].map((offered, i) => ({ offered, achieved: offered === 0 ? achievedTop : offered * 0.98, ratio: ratios[i]! }));

test('sweepVerdict: the highest rate with the kernel >= 99% answered, and the daemon share at that same rate', (t) => {
  const v = sweepVerdict(sweep([1, 1, 0.995, 0.9]), sweep([1, 0.97, 0.5, 0.2]));
  t.is(v.rate, 400_000);
  t.is(v.daemonShare, 0.5);
  t.is(v.note, undefined);
});

test('sweepVerdict: topspeed counts as the rate it achieved', (t) => {
  t.deepEqual(sweepVerdict(sweep([1, 1, 1, 1], 600_000), sweep([1, 1, 0.9, 0.8])), { rate: 600_000, daemonShare: 0.8 });
  // A topspeed slower than an offered rate the kernel kept up with does not win.
  t.is(sweepVerdict(sweep([1, 1, 1, 1], 300_000), sweep([1, 1, 0.9, 0.8])).rate, 400_000);
});

test('sweepVerdict: no verdict, with the reason, when the kernel never reached 99%', (t) => {
  const v = sweepVerdict(sweep([0.98, 0.9, 0.5, 0.2]), sweep([1, 1, 1, 1]));
  t.true(Number.isNaN(v.rate));
  t.regex(v.note ?? '', /kernel answered < 99% at every offered rate/);
});

function daemonResult(info: Record<string, unknown>, metrics: PointResult['metrics']): PointResult {
  return {
    suite: 'daemon', point: { cpus: 2 }, status: 'ok', metrics, ratios: {}, warmup: 0, reps: 1, info,
    machine: machineInfo(), loadavg: [0, 0, 0], date: new Date(0).toISOString(), seconds: 1, quick: false,
  };
}

test('daemon target: a missing share is not measured with the suite\'s reason; the sweep table shows both sides per rate', (t) => {
  const target = { issue: 7, text: 'share', suite: 'daemon', where: { cpus: 2 }, metric: 'daemonShare', op: '>=' as const, value: 99, unit: '%' };
  const r = daemonResult({ notes: { daemonShare: 'the kernel answered < 99% at every offered rate' }, sweeps: [{ kernel: sweep([1, 1, 0.995, 0.9]), daemon: sweep([1, 0.97, 0.5, 0.2]) }] }, {});
  const [res] = evaluateTargets([target], [r], new Map([['daemon', daemon]]));
  t.is(res!.verdict, 'not measured');
  t.is(res!.note, 'the kernel answered < 99% at every offered rate');
  const [table] = sweepTables([r]);
  t.deepEqual(table!.head, ['offered', 'kernel achieved', 'kernel answered', 'daemon achieved', 'daemon answered']);
  t.deepEqual(table!.rows[2], ['400k pps', '392k pps', '99.5%', '392k pps', '50.0%']);
  t.is(table!.rows[3]![0], 'topspeed');
});

test('chain: --quick runs frames and injected updates on the ring and on the per-record port (the baseline of every ring point)', (t) => {
  const pts = gridFor(chain, true, []);
  for (const entry of ['frames', 'inject']) {
    for (const transport of ['port-msg', 'ring']) t.is(pts.filter((p) => p['entry'] === entry && p['transport'] === transport).length, 3, `${entry} ${transport}`);
  }
});

test('chain: the per-record port is a baseline of the chain strategy only, and never busy-polls', (t) => {
  const pts = gridFor(chain, false, []);
  t.true(pts.some((p) => p['transport'] === 'port-msg' && p['entry'] === 'inject'));
  t.false(pts.some((p) => p['transport'] === 'port-msg' && (p['strategy'] !== 'chain' || p['wake'] === 'spin')));
});
