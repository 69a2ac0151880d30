/**
 * arpemu stress end to end: short seeded runs on the InlineEmulator (8 CPUs,
 * faults, kills, every strategy) and on the ThreadedEmulator (worker
 * threads, lockstep and concurrent) end with zero violations; every
 * injected bug is caught and its shrunk reproducer replays to the same
 * violation (and not without the bug); fuzzing accounts for every frame;
 * a soak samples memory.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { INJECTED_BUGS, type InjectedBug } from '../../src/cpu/testhooks.js';
import { loadCorpus } from '../../src/stress/fuzz.js';
import { NO_FAULTS, parseReproducer, type InvariantName } from '../../src/stress/oplog.js';
import { replayReproducer, runStress, type StressReport } from '../../src/stress/stress.js';
import { PCAPS, stressOptions, tempDir } from './helpers.js';

const tmp = tempDir('arpemu-stress-test-');
test.after.always(() => tmp.cleanup());

const clean = (t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, r: StressReport): void => {
  t.deepEqual(r.violations.map((v) => `[${v.invariant}] ${v.message}`), [], `seed ${r.seed}`);
};

test('stress: 8 CPUs inline, chain, faults and CPU kills, 400 ops -> zero violations, replicas equal the model', async (t) => {
  const r = await runStress(stressOptions(tmp.dir, { seed: 42, ops: 400, killRate: 0.05 }));
  clean(t, r);
  t.is(r.executed, 400);
  t.true(r.kills > 0, 'some CPUs were killed');
  t.true(r.checks > 80);
  t.true(r.frames.delivered > 100 && r.datagrams.in > 50);
  t.true(r.faults !== null && r.faults.rx.lost + r.faults.tx.lost > 0, 'link faults happened');
  t.deepEqual(new Set(r.entries).size, 1, 'every CPU ends with the same number of entries');
  t.true(r.ok);
});

test('stress: fanout and shared strategies, 8 CPUs inline -> zero violations', async (t) => {
  for (const strategy of ['fanout', 'shared'] as const) {
    const r = await runStress(stressOptions(tmp.dir, { seed: 7, ops: 200, run: { strategy } }));
    clean(t, r);
  }
});

test('stress: the same seed gives the same run (inline, op log and world both seeded)', async (t) => {
  const a = await runStress(stressOptions(tmp.dir, { seed: 99, ops: 150 }));
  const b = await runStress(stressOptions(tmp.dir, { seed: 99, ops: 150 }));
  t.deepEqual({ ...a, wallSeconds: 0, opsPerSecond: 0 }, { ...b, wallSeconds: 0, opsPerSecond: 0 });
});

test.serial('stress: 4 CPUs threaded (ring), faults and kills of worker threads -> zero violations', async (t) => {
  const r = await runStress(stressOptions(tmp.dir, { seed: 5, ops: 150, killRate: 0.5, run: { emulator: 'threaded', cpus: 4 } }));
  clean(t, r);
  t.true(r.kills > 0, 'worker threads were killed and restarted');
});

test.serial('stress --concurrent: 4 CPUs threaded, bursts in flight at once -> zero violations', async (t) => {
  const r = await runStress(stressOptions(tmp.dir, { seed: 6, ops: 150, run: { emulator: 'threaded', cpus: 4, model: 'none', concurrent: true } }));
  clean(t, r);
});

/** The invariant each injected bug must (at least) trip; any violation makes the run fail. */
const EXPECT: Record<InjectedBug, InvariantName[]> = {
  'skip-update': ['replicas_agree'],
  'double-send': ['held_once'],
  'perm-overwrite': ['permanent_unchanged', 'model_agree'],
  'skip-counter': ['counters'],
  'reorder-chain': ['replicas_agree', 'model_agree'],
};

for (const bug of INJECTED_BUGS) {
  test(`--inject-bug ${bug}: caught (${EXPECT[bug].join(' or ')}), shrunk, and the reproducer replays to the same violation`, async (t) => {
    const r = await runStress(stressOptions(tmp.dir, { seed: 1, ops: 300, run: { bug, cpus: 4 } }));
    t.false(r.ok);
    const v = r.violations[0]!;
    t.true(EXPECT[bug].includes(v.invariant), `${bug}: first violation [${v.invariant}] ${v.message}`);
    t.truthy(v.reproducer);
    t.true(existsSync(v.reproducer!));
    t.true(v.replayed, 'replayed once after writing');
    if (v.op >= 0) t.true(v.shrink !== undefined && v.shrink.to <= v.shrink.from);
    const rep = parseReproducer(readFileSync(v.reproducer!, 'utf8'), v.reproducer!);
    t.is(rep.violation?.invariant, v.invariant);
    t.true(rep.ops.length <= 5, `minimal reproducer: ${rep.ops.length} ops`);
    const again = await replayReproducer(rep, { watchdogMs: 20_000 });
    t.true(again.same);
    t.is(again.report.violations[0]!.invariant, v.invariant);
    // The same ops without the bug: no violation (the reproducer pins the bug, not noise).
    const fixed = await replayReproducer({ ...rep, run: { ...rep.run, bug: null } }, { watchdogMs: 20_000 });
    t.false(fixed.same);
    t.deepEqual(fixed.report.violations, []);
  });
}

test.serial('--inject-bug skip-update on the threaded emulator is caught too', async (t) => {
  const r = await runStress(stressOptions(tmp.dir, { seed: 2, ops: 60, run: { emulator: 'threaded', cpus: 3, bug: 'skip-update', faults: NO_FAULTS }, shrink: { enabled: false, budgetMs: 0 } }));
  t.false(r.ok);
  t.is(r.violations[0]!.invariant, 'replicas_agree');
  t.true(r.violations[0]!.replayed);
});

const corpus = existsSync(PCAPS) ? loadCorpus(PCAPS) : [];

test('--fuzz: random and mutated capture frames into the input path: no crash, no hang, every frame accepted or dropped by reason', async (t) => {
  if (corpus.length === 0) {
    if (process.env['CI']) t.fail(`no captures in ${PCAPS}`);
    else t.log(`skipped the capture corpus: ${PCAPS} has none (built-in frames used)`);
  }
  const r = await runStress(stressOptions(tmp.dir, { seed: 3, ops: 1500, fuzz: true, corpus, checkEvery: 25, run: { cpus: 4 } }));
  clean(t, r);
  t.true(r.opCounts.input > 1000);
  const a = r.accounting!;
  const drops = Object.values(a.drops).reduce((s, n) => s + (n ?? 0), 0);
  t.is(a.rxframes, r.frames.delivered, 'every frame fed was counted');
  t.is(a.accepted + drops, a.rxframes, 'accepted + drops by reason = rxframes');
  t.true(drops > 500, 'most fuzz frames are dropped');
  t.true(Object.keys(a.drops).length >= 6, `several drop reasons: ${Object.keys(a.drops).join(', ')}`);
});

test('--soak: memory sampled over wall time, slopes fitted', async (t) => {
  const r = await runStress(stressOptions(tmp.dir, { seed: 4, duration: 1.5, rate: 0, soak: { sampleMs: 100, thresholdMBPerMin: 1e6 }, run: { cpus: 2 } }));
  clean(t, r);
  t.is(r.mode, 'soak');
  const m = r.memory!;
  t.true(m.samples.length >= 8, `${m.samples.length} samples`);
  t.true(m.fitted >= 4);
  t.true(Number.isFinite(m.heapSlopeMBPerMin) && Number.isFinite(m.rssSlopeMBPerMin));
  t.false(m.growing);
  t.true(m.samples[m.samples.length - 1]!.ops > 20);
});
