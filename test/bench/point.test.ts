import test from 'ava';
import { measureOrThrow, measurePoint, metricStats } from '../../src/bench/point.js';
import { BenchUnavailable, type SuiteDef } from '../../src/bench/types.js';

/** A suite whose repetitions return 1, 2, 3, ... and that records what the harness did to it. */
function counting(events: string[], failAt = -1): SuiteDef {
  return {
    name: 'count', title: 'count', description: '', grid: { n: [1] }, baselines: [], primary: 'x',
    metrics: [{ name: 'x', unit: '', better: 'higher' }], warmup: 2, reps: 3,
    setup(p) {
      if (p['n'] === 0) throw new BenchUnavailable('no zero here');
      let i = 0;
      return {
        rep: () => { i++; if (i === failAt) throw new Error('broke'); events.push(`rep${i}`); return { x: i }; },
        info: () => ({ calls: i }),
        close: () => { events.push('close'); },
      };
    },
  };
}

test('measurePoint: warm-up repetitions are run and discarded, then the measured ones, then close', async (t) => {
  const events: string[] = [];
  const o = await measurePoint(counting(events), { n: 1 }, { quick: false, warmup: 2, reps: 3 });
  t.is(o.status, 'ok');
  t.deepEqual(o.samples.map((s) => s['x']), [3, 4, 5]);
  t.deepEqual(o.info, { calls: 5 });
  t.deepEqual(events, ['rep1', 'rep2', 'rep3', 'rep4', 'rep5', 'close']);
  t.is(metricStats(o, 'x').median, 4);
});

test('measurePoint: an unavailable point and a failing repetition are statuses, and close still runs', async (t) => {
  const events: string[] = [];
  t.deepEqual(await measurePoint(counting(events), { n: 0 }, { quick: true, warmup: 0, reps: 1 }), { status: 'unavailable', reason: 'no zero here', samples: [] });
  const failed = await measurePoint(counting(events, 2), { n: 1 }, { quick: true, warmup: 0, reps: 3 });
  t.is(failed.status, 'failed');
  t.regex(failed.reason ?? '', /broke/);
  t.is(events.at(-1), 'close');
});

test('measureOrThrow: the suite\'s own warm-up and repetitions; a point that did not measure throws', async (t) => {
  const o = await measureOrThrow(counting([]), { n: 1 });
  t.is(o.samples.length, 3);
  t.is(o.samples[0]!['x'], 3);
  await t.throwsAsync(measureOrThrow(counting([]), { n: 0 }), { message: /unavailable: no zero here/ });
});
