import test from 'ava';
import fc from 'fast-check';
import { applySets, baselineLabel, baselineOf, expandGrid, matches, parseParamValue, pointLabel, samePoint } from '../../src/bench/grid.js';

test('expandGrid: cartesian product, first key varying slowest', (t) => {
  const pts = expandGrid({ cpus: [1, 2], transport: ['port', 'ring'] });
  t.deepEqual(pts, [
    { cpus: 1, transport: 'port' }, { cpus: 1, transport: 'ring' },
    { cpus: 2, transport: 'port' }, { cpus: 2, transport: 'ring' },
  ]);
});

test('expandGrid: exclude drops points, an empty grid is one empty point', (t) => {
  const pts = expandGrid({ transport: ['port', 'ring'], wake: ['wait', 'spin'] }, (p) => p['transport'] === 'port' && p['wake'] === 'spin');
  t.is(pts.length, 3);
  t.false(pts.some((p) => p['transport'] === 'port' && p['wake'] === 'spin'));
  t.deepEqual(expandGrid({}), [{}]);
  t.throws(() => expandGrid({ cpus: [] }), { message: /cpus has no values/ });
});

test('expandGrid: the number of points is the product of the value counts, all distinct', (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), (sizes) => {
    const grid = Object.fromEntries(sizes.map((n, i) => [`k${i}`, Array.from({ length: n }, (_, j) => j)]));
    const pts = expandGrid(grid);
    const want = sizes.reduce((a, b) => a * b, 1);
    return pts.length === want && new Set(pts.map(pointLabel)).size === want;
  }));
  t.pass();
});

test('parseParamValue keeps numbers and booleans typed', (t) => {
  t.is(parseParamValue('1e6'), 1_000_000);
  t.is(parseParamValue('4'), 4);
  t.is(parseParamValue('true'), true);
  t.is(parseParamValue('ring'), 'ring');
});

test('applySets replaces a key\'s values and refuses unknown keys', (t) => {
  const g = applySets({ cpus: [1, 2, 4], transport: ['port'] }, ['cpus=8,16'], 'hops');
  t.deepEqual(g['cpus'], [8, 16]);
  t.deepEqual(g['transport'], ['port']);
  t.throws(() => applySets({ cpus: [1] }, ['cpu=2'], 'hops'), { message: /no parameter cpu/ });
  t.throws(() => applySets({ cpus: [1] }, ['cpus'], 'hops'), { message: /key=value/ });
});

test('baselines: substitution, labels and matching', (t) => {
  const p = { cpus: 4, transport: 'ring', wake: 'spin' };
  const b = baselineOf(p, { transport: 'port', wake: 'wait' });
  t.deepEqual(b, { cpus: 4, transport: 'port', wake: 'wait' });
  t.true(samePoint(b, { wake: 'wait', cpus: 4, transport: 'port' }));
  t.false(samePoint(b, p));
  t.is(baselineLabel({ transport: 'port', wake: 'wait' }), 'transport=port,wake=wait');
  t.true(matches(p, { cpus: 4 }));
  t.false(matches(p, { cpus: 2 }));
});
