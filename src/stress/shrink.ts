/**
 * Minimal reproducers: delta debugging (Zeller and Hildebrandt's ddmin,
 * 2002) over the op log. A candidate (a subsequence of the ops, times
 * unchanged) is kept when a fresh run of it hits the same invariant; the
 * search ends 1-minimal (removing any single op loses the violation) or
 * when its budget runs out (then the smallest candidate found so far).
 */
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { formatOp, type InvariantName, type Reproducer, type RunSpec, type StressOp, type StressSetup } from './oplog.js';
import { execute, listSource, primaryViolation, type Violation } from './runner.js';

/** Runs `ops` from scratch; returns the violation of `target` it hits, if any. */
export type ShrinkTest = (ops: StressOp[]) => Promise<Violation | undefined>;

export interface ShrinkResult {
  ops: StressOp[];
  violation: Violation;
  tests: number;
  /** True when ddmin finished (1-minimal); false when the budget ran out. */
  complete: boolean;
  wallSeconds: number;
}

export interface ShrinkOptions {
  budgetMs: number;
  maxTests?: number;
  onStep?: (ops: number, tests: number) => void;
}

/** A test that replays ops with the run's settings and looks for `target`. */
export function replayTest(run: RunSpec, setup: StressSetup, target: InvariantName, checkEvery: number, watchdogMs: number): ShrinkTest {
  return async (ops) => {
    const r = await execute({ run, setup, source: listSource(ops), checkEvery, watchdogMs, keepOps: false });
    const hits = r.violations.filter((v) => v.invariant === target);
    return primaryViolation(hits);
  };
}

/**
 * ddmin: split into n chunks; keep a chunk, or a complement, that still
 * fails; else split finer. `start` must fail (its violation is given).
 */
export async function ddmin(start: StressOp[], first: Violation, test: ShrinkTest, o: ShrinkOptions): Promise<ShrinkResult> {
  const t0 = performance.now();
  const maxTests = o.maxTests ?? Infinity;
  let tests = 0;
  let best = start;
  let bestViolation = first;
  const seen = new Map<string, Violation | undefined>();
  const key = (ops: StressOp[]): string => ops.map((x) => start.indexOf(x)).join(',');
  const outOfBudget = (): boolean => performance.now() - t0 > o.budgetMs || tests >= maxTests;
  const fails = async (ops: StressOp[]): Promise<boolean> => {
    const k = key(ops);
    let v = seen.get(k);
    if (!seen.has(k)) {
      tests++;
      v = await test(ops);
      seen.set(k, v);
      o.onStep?.(ops.length, tests);
    }
    if (v !== undefined && ops.length < best.length) { best = ops; bestViolation = v; }
    return v !== undefined;
  };

  // The empty log first (a violation of the setup alone).
  if (best.length > 0 && await fails([])) return done(true);
  let items = start;
  let n = 2;
  while (items.length >= 2) {
    if (outOfBudget()) return done(false);
    const chunks = split(items, n);
    let reduced = false;
    for (const c of chunks) {
      if (outOfBudget()) return done(false);
      if (await fails(c)) { items = c; n = 2; reduced = true; break; }
    }
    if (!reduced && n > 2) {
      for (let i = 0; i < chunks.length; i++) {
        if (outOfBudget()) return done(false);
        const complement = chunks.filter((_, j) => j !== i).flat();
        if (await fails(complement)) { items = complement; n = Math.max(n - 1, 2); reduced = true; break; }
      }
    }
    if (!reduced) {
      if (n >= items.length) break;
      n = Math.min(n * 2, items.length);
    }
  }
  if (items.length === 1 && !outOfBudget()) await fails([]);
  return done(true);

  function done(complete: boolean): ShrinkResult {
    return { ops: best, violation: bestViolation, tests, complete, wallSeconds: (performance.now() - t0) / 1000 };
  }
}

function split<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  const size = items.length / n;
  for (let i = 0; i < n; i++) {
    const part = items.slice(Math.round(i * size), Math.round((i + 1) * size));
    if (part.length > 0) out.push(part);
  }
  return out;
}

export function makeReproducer(runSeed: number, run: RunSpec, setup: StressSetup, checkEvery: number, ops: StressOp[], v: Violation | null): Reproducer {
  return {
    arpemu: 'stress-reproducer', version: 1, runSeed, run, setup, checkEvery, ops,
    violation: v === null ? null : { invariant: v.invariant, message: v.message, op: v.op },
  };
}

export function writeReproducer(file: string, r: Reproducer): void {
  // One op (and one host) per line, and the ops once more as text (ignored
  // on replay): a reproducer is read by people as much as by arpemu.
  const lines = (xs: readonly unknown[], indent: string): string => (xs.length === 0 ? '[]' : `[\n${xs.map((x) => `${indent}  ${JSON.stringify(x)}`).join(',\n')}\n${indent}]`);
  const body = { ...r, setup: { ...r.setup, hosts: [] }, ops: [], opsText: [] };
  const text = JSON.stringify(body, null, 2)
    .replace('"hosts": []', `"hosts": ${lines(r.setup.hosts, '    ')}`)
    .replace('"ops": []', `"ops": ${lines(r.ops, '  ')}`)
    .replace('"opsText": []', `"opsText": ${lines(r.ops.map((op, i) => `${i}: ${formatOp(op)}`), '  ')}`);
  writeFileSync(file, text + '\n');
}
