import test from 'ava';
import { Random } from '../../src/util/random.js';
import { TABLE_LIMIT, ZipfSampler } from '../../src/sim/zipf.js';

/**
 * Pearson's chi-square of observed counts against expected probabilities
 * over bins (each a range of ranks [lo, hi)).
 */
function chiSquare(counts: Float64Array, z: ZipfSampler, bins: Array<[number, number]>, total: number): number {
  let x2 = 0;
  for (const [lo, hi] of bins) {
    let obs = 0, p = 0;
    for (let k = lo; k < hi; k++) { obs += counts[k]!; p += z.probability(k); }
    const exp = p * total;
    x2 += (obs - exp) ** 2 / exp;
  }
  return x2;
}

/** A generous bound: mean + 5 standard deviations of chi-square with df degrees of freedom. */
const bound = (df: number): number => df + 5 * Math.sqrt(2 * df);

function draw(z: ZipfSampler, seed: number, total: number): Float64Array {
  const r = new Random(seed);
  const counts = new Float64Array(z.n);
  for (let i = 0; i < total; i++) counts[z.sample(r)]!++;
  return counts;
}

const singleBins = (n: number): Array<[number, number]> => Array.from({ length: n }, (_, k): [number, number] => [k, k + 1]);

/** Ranks 0..49 alone, then geometrically growing bins up to n. */
function logBins(n: number): Array<[number, number]> {
  const bins: Array<[number, number]> = [];
  for (let k = 0; k < Math.min(50, n); k++) bins.push([k, k + 1]);
  let lo = 50;
  while (lo < n) {
    const hi = Math.min(n, Math.ceil(lo * 1.5));
    bins.push([lo, hi]);
    lo = hi;
  }
  return bins;
}

for (const method of ['table', 'rejection'] as const) {
  for (const s of [0.6, 1, 1.1, 2]) {
    test(`zipf ${method}: s=${s} over 100 ranks matches 1/k^s frequencies (chi-square)`, (t) => {
      const z = new ZipfSampler(100, s, method);
      t.is(z.method, method);
      const total = 200_000;
      const counts = draw(z, 42 + s * 10, total);
      const bins = singleBins(100);
      const x2 = chiSquare(counts, z, bins, total);
      t.log(`chi-square ${x2.toFixed(1)}, bound ${bound(99).toFixed(1)}`);
      t.true(x2 < bound(bins.length - 1), `chi-square ${x2.toFixed(1)} >= ${bound(99).toFixed(1)}`);
    });
  }
}

test('zipf: the chi-square check rejects samples drawn with another exponent (the test can fail)', (t) => {
  const total = 200_000;
  const drawn = draw(new ZipfSampler(100, 1.1, 'table'), 7, total);
  const other = new ZipfSampler(100, 1.0, 'table');
  const x2 = chiSquare(drawn, other, singleBins(100), total);
  t.true(x2 > bound(99), `chi-square ${x2.toFixed(1)} should exceed ${bound(99).toFixed(1)}`);
});

test('zipf rejection-inversion: 10^6 ranks, s=1.2, binned frequencies match without a table', (t) => {
  const n = 1_000_000;
  const zr = new ZipfSampler(n, 1.2);
  t.is(zr.method, 'rejection');
  const total = 300_000;
  const counts = draw(zr, 99, total);
  const bins = logBins(n);
  const x2 = chiSquare(counts, zr, bins, total);
  t.true(x2 < bound(bins.length - 1), `chi-square ${x2.toFixed(1)} over ${bins.length} bins`);
  // The most popular rank gets its share within 1%.
  t.true(Math.abs(counts[0]! / total - zr.probability(0)) < 0.01);
});

test('zipf auto: tabulates small populations, uses rejection-inversion above TABLE_LIMIT', (t) => {
  t.is(new ZipfSampler(1000, 1).method, 'table');
  t.is(new ZipfSampler(TABLE_LIMIT, 1).method, 'table');
  t.is(new ZipfSampler(TABLE_LIMIT + 1, 1).method, 'rejection');
  t.is(new ZipfSampler(TABLE_LIMIT + 1, 1, 'table').method, 'table');
  t.throws(() => new ZipfSampler(2 ** 25, 1, 'table'), { message: /too large/ });
});

test('zipf: s=0 is uniform; n=1 always gives 0', (t) => {
  const z = new ZipfSampler(20, 0);
  t.is(z.method, 'uniform');
  const total = 100_000;
  const counts = draw(z, 3, total);
  t.true(chiSquare(counts, z, singleBins(20), total) < bound(19));
  const one = new ZipfSampler(1, 1.5);
  const r = new Random(1);
  for (let i = 0; i < 100; i++) t.is(one.sample(r), 0);
});

test('zipf: every sample is an integer rank in [0, n) for both methods', (t) => {
  for (const method of ['table', 'rejection'] as const) {
    for (const [n, s] of [[2, 0.5], [3, 1], [7, 3], [1000, 1.01], [50, 0.001]] as const) {
      const z = new ZipfSampler(n, s, method);
      const r = new Random(n * 31 + s);
      for (let i = 0; i < 20_000; i++) {
        const k = z.sample(r);
        if (!(Number.isInteger(k) && k >= 0 && k < n)) { t.fail(`${method} n=${n} s=${s} gave ${k}`); return; }
      }
    }
  }
  t.pass();
});

test('zipf: same seed, same ranks; another seed, other ranks', (t) => {
  const z = new ZipfSampler(500, 1.1);
  const seq = (seed: number): number[] => { const r = new Random(seed); return Array.from({ length: 200 }, () => z.sample(r)); };
  t.deepEqual(seq(5), seq(5));
  t.notDeepEqual(seq(5), seq(6));
});

test('zipf: probabilities sum to 1 and bad parameters are refused', (t) => {
  const z = new ZipfSampler(1000, 0.8, 'rejection');
  let sum = 0;
  for (let k = 0; k < 1000; k++) sum += z.probability(k);
  t.true(Math.abs(sum - 1) < 1e-9);
  t.is(z.probability(1000), 0);
  t.throws(() => new ZipfSampler(0, 1), { instanceOf: RangeError });
  t.throws(() => new ZipfSampler(10, -1), { instanceOf: RangeError });
  t.throws(() => new ZipfSampler(10, NaN), { instanceOf: RangeError });
  t.throws(() => new ZipfSampler(2.5, 1), { instanceOf: RangeError });
});
