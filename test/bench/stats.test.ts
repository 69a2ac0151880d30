import test from 'ava';
import fc from 'fast-check';
import { linearFit, median, percentiles, quantile, relativeSpread, summarize } from '../../src/bench/stats.js';
import { fitChainModel } from '../../src/bench/model.js';

test('median of odd and even counts, unsorted input', (t) => {
  t.is(median([5, 1, 3]), 3);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
});

test('summarize: min, max, quartiles (type 7), mean; NaN samples ignored', (t) => {
  const s = summarize([1, 2, 3, 4, 5, NaN]);
  t.deepEqual(s, { median: 3, min: 1, max: 5, q1: 2, q3: 4, mean: 3, n: 5 });
  t.is(quantile([10, 20], 0.25), 12.5);
  t.is(relativeSpread(s), 4 / 3);
});

test('percentiles of latency samples', (t) => {
  const xs = Float64Array.from({ length: 101 }, (_, i) => i);
  t.deepEqual(percentiles(xs, [0.5, 0.99, 1]), [50, 99, 100]);
});

test('summarize: min <= q1 <= median <= q3 <= max for any sample', (t) => {
  fc.assert(fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
    const s = summarize(xs);
    return s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max && s.n === xs.length;
  }));
  t.pass();
});

test('linearFit recovers an exact line and reports r2 = 1', (t) => {
  const f = linearFit([1, 2, 4, 8], [3 + 2 * 1, 3 + 2 * 2, 3 + 2 * 4, 3 + 2 * 8]);
  t.true(Math.abs(f.a - 3) < 1e-12);
  t.true(Math.abs(f.b - 2) < 1e-12);
  t.true(Math.abs(f.r2 - 1) < 1e-12);
  t.throws(() => linearFit([1, 1], [2, 3]), { message: /distinct/ });
});

test('linearFit: least squares on noisy synthetic data stays near the true line', (t) => {
  // Deterministic "noise" with zero mean over each pair of points.
  const xs = [1, 1, 2, 2, 4, 4, 8, 8];
  const ys = xs.map((x, i) => 10e-6 + 5e-6 * x + (i % 2 === 0 ? 1e-7 : -1e-7));
  const f = linearFit(xs, ys);
  t.true(Math.abs(f.b - 5e-6) < 1e-9);
  t.true(Math.abs(f.a - 10e-6) < 1e-9);
  t.true(f.r2 > 0.999);
});

test('chain model: latency line, slowest stage with cores, time-sharing beyond', (t) => {
  // Synthetic chain: 20 us + 10 us per CPU; 500k/s while CPUs <= 2 cores; 2 cores shared beyond.
  const obs = [1, 2, 4, 8].map((n) => ({ cpus: n, latency: 20e-6 + 10e-6 * n, throughput: n <= 2 ? 500e3 : 2 / (n * 4e-6) }));
  const m = fitChainModel(obs, 2, 'synthetic');
  t.true(Math.abs(m.a - 20e-6) < 1e-12);
  t.true(Math.abs(m.b - 10e-6) < 1e-12);
  t.true(Math.abs(m.stage - 2e-6) < 1e-15);
  t.true(Math.abs(m.work - 4e-6) < 1e-15);
  const p256 = m.points.find((p) => p.cpus === 256)!;
  t.true(Math.abs(p256.latency - (20e-6 + 10e-6 * 256)) < 1e-12);
  t.is(p256.throughput, 500e3);
  t.true(Math.abs(p256.throughputHere - 2 / (256 * 4e-6)) < 1e-6);
  t.deepEqual(m.points.map((p) => p.cpus), [1, 2, 4, 8, 16, 32, 64, 128, 256]);
  t.throws(() => fitChainModel([obs[0]!], 2, 'one'), { message: /2 or more CPU counts/ });
});

test('chain model: a negative slope (noise over a fixed cost) is not extrapolated', (t) => {
  const m = fitChainModel([{ cpus: 1, latency: 150e-6, throughput: 1e5 }, { cpus: 4, latency: 140e-6, throughput: 1e5 }], 2, 'noisy');
  t.is(m.b, 0);
  t.true(Math.abs(m.a - 145e-6) < 1e-12);
  t.regex(m.note ?? '', /slope was negative/);
  t.true(m.points.every((p) => p.latency > 0));
});
