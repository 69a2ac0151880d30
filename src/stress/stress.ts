/**
 * `arpemu stress` as a library: a seeded run (load, faults, kills, or fuzz,
 * or a soak), the first violation shrunk to a minimal reproducer written as
 * a replayable file (and replayed once to confirm it), and the report.
 * `replayReproducer` re-runs such a file.
 */
import { join } from 'node:path';
import { ArpemuError } from '../util/errors.js';
import type { ArpStatValues, DropReason } from '../arp/stats.js';
import type { FaultStats } from '../link/faults.js';
import { emptyOpCounts, OpGenerator, defaultSetup, type OpCounts } from './generate.js';
import { MemorySampler, type MemoryTrend } from './memory.js';
import { heldCount } from './invariants.js';
import type { FaultSpec, InvariantName, Reproducer, RunSpec, StressOp, StressSetup } from './oplog.js';
import { execute, listSource, primaryViolation, type ExecuteResult, type OpSource, type StressProgress, type Violation } from './runner.js';
import { ddmin, makeReproducer, replayTest, writeReproducer } from './shrink.js';

export interface StressOptions {
  run: Omit<RunSpec, 'seed'>;
  /** Seed of everything (the op generator; the world's randomness is derived from it). */
  seed: number;
  setup?: StressSetup;
  /** Virtual seconds of load (soak: wall seconds). */
  duration: number;
  /** Ops per virtual second (soak: ops per wall second, 0 for as fast as it goes). */
  rate: number;
  /** Exact op count instead of duration x rate. */
  ops?: number | undefined;
  killRate: number;
  fuzz: boolean;
  corpus: readonly Uint8Array[];
  soak?: { sampleMs: number; thresholdMBPerMin: number } | undefined;
  checkEvery: number;
  watchdogMs: number;
  shrink: { enabled: boolean; budgetMs: number };
  /** Where to write the reproducer (a file name, or a directory to put stress-repro-SEED-INVARIANT.json in). */
  reproPath: string;
  /** Write the whole op log of the run here (replayable with --replay), violations or not. */
  saveOps?: string | undefined;
  onProgress?: (p: StressProgress) => void;
  onShrink?: (ops: number, tests: number) => void;
  signal?: AbortSignal;
}

export interface ReportedViolation extends Violation {
  /** The reproducer file, when one was written. */
  reproducer?: string;
  shrink?: { from: number; to: number; tests: number; complete: boolean; wallSeconds: number };
  /** Replaying the reproducer hit the same invariant. */
  replayed?: boolean;
}

export interface StressReport {
  arpemu: 'stress-report';
  mode: 'stress' | 'fuzz' | 'soak' | 'replay';
  seed: number;
  run: RunSpec;
  options: { duration: number; rate: number; ops: number | null; killRate: number; checkEvery: number; faults: FaultSpec };
  executed: number;
  planned: number;
  stopped: boolean;
  virtualEnd: number;
  wallSeconds: number;
  opsPerSecond: number;
  checks: number;
  kills: number;
  opCounts: OpCounts;
  frames: { delivered: number; sent: number; arpRequests: number; arpReplies: number; ipv4: number };
  datagrams: { in: number; sent: number; held: number; dropped: number; lostWithKilledCpus: number; refusedAtOnce: number };
  /** Every frame fed, by outcome (the rxframes identity). */
  accounting: { rxframes: number; received: number; accepted: number; drops: Partial<Record<DropReason, number>> } | null;
  stats: ArpStatValues | null;
  faults: FaultStats | null;
  entries: number[];
  memory: MemoryTrend | null;
  violations: ReportedViolation[];
  ok: boolean;
}

const MAX_REPORTED = 20;

/** The run spec a reproducer records. */
function runSpec(o: StressOptions): RunSpec {
  return { ...o.run, seed: (o.seed ^ 0x5f3759df) >>> 0 };
}

export async function runStress(o: StressOptions): Promise<StressReport> {
  const setup = o.setup ?? defaultSetup();
  const run = runSpec(o);
  if (o.killRate > 0 && run.cpus < 2) throw new ArpemuError('ERR_USAGE', '--kill-cpu needs --cpus 2 or more (a restarted CPU resyncs from another)');
  if (o.killRate > 0 && run.emulator === 'threaded' && run.transport !== 'ring') throw new ArpemuError('ERR_USAGE', '--kill-cpu with the threaded emulator needs --transport ring (a dead CPU\'s MessagePorts die with it)');
  if (o.killRate > 0 && run.model === 'single') throw new ArpemuError('ERR_USAGE', '--kill-cpu needs --model inline or none (the model must forget the packets a killed CPU held)');
  if (run.bug === 'reorder-chain' && run.cpus < 2) throw new ArpemuError('ERR_USAGE', '--inject-bug reorder-chain needs --cpus 2 or more (there is no chain on one CPU)');
  if (run.concurrent && run.model !== 'none') throw new ArpemuError('ERR_USAGE', 'a concurrent run is not deterministic: it takes no model (model none)');
  const gen = new OpGenerator({ setup, seed: o.seed, rate: o.soak !== undefined ? 50 : o.rate, cpus: run.cpus, killRate: o.killRate, fuzz: o.fuzz, corpus: o.corpus, bursts: run.concurrent });
  const planned = o.soak !== undefined ? 0 : o.ops ?? Math.max(1, Math.round(o.duration * o.rate));
  let produced = 0;
  const source: OpSource = { next: () => (o.soak === undefined && produced >= planned ? undefined : (produced++, gen.next())) };
  const sampler = o.soak !== undefined ? new MemorySampler() : undefined;
  const started = performance.now();
  if (sampler !== undefined) sampler.sample(0);
  const result = await execute({
    run, setup, source, total: planned, checkEvery: o.checkEvery, watchdogMs: o.watchdogMs,
    keepOps: o.soak === undefined,
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(sampler === undefined ? {} : {
      onSample: (ops: number) => { sampler.sample(ops); },
      sampleMs: o.soak!.sampleMs,
      deadline: started + o.duration * 1000,
      paceOpsPerSecond: o.rate,
    }),
  });
  let memory: MemoryTrend | null = null;
  // The primary violation first (the one shrunk and written as a reproducer).
  const first = primaryViolation(result.violations);
  const violations: ReportedViolation[] = first === undefined ? [] : [first, ...result.violations.filter((v) => v !== first).slice(0, MAX_REPORTED - 1)];
  if (sampler !== undefined) {
    // (No sample after the run: the workers are gone by then, which would bend the RSS line down.)
    memory = sampler.trend(o.soak!.thresholdMBPerMin);
    if (memory.growing) {
      violations.push({
        invariant: 'memory_growth', world: 'emulator', op: result.executed - 1, t: result.end,
        message: `memory grows under a steady load: heap ${memory.heapSlopeMBPerMin.toFixed(2)} MB/min, RSS ${memory.rssSlopeMBPerMin.toFixed(2)} MB/min (threshold ${memory.thresholdMBPerMin} MB/min heap, ${memory.thresholdMBPerMin * 4} MB/min RSS; rerun with --seed ${o.seed} --ops ${result.executed})`,
      });
    }
  }
  if (o.saveOps !== undefined && o.soak === undefined) {
    const v = violations[0];
    writeReproducer(o.saveOps, makeReproducer(o.seed, run, setup, o.checkEvery, v === undefined ? result.ops : result.ops.slice(0, v.op + 1), v ?? null));
  }
  if (first !== undefined && o.soak === undefined) await reproduce(o, run, setup, result.ops, violations[0]!);
  return report(o.fuzz ? 'fuzz' : o.soak !== undefined ? 'soak' : 'stress', o.seed, run, o, planned, result, gen.counts, memory, violations);
}

/** Shrink the ops up to the violation, write the reproducer, replay it once. */
async function reproduce(o: StressOptions, run: RunSpec, setup: StressSetup, ops: StressOp[], v: ReportedViolation): Promise<void> {
  const upTo = v.op < 0 ? [] : ops.slice(0, v.op + 1);
  let minimal = upTo;
  let found: Violation = v;
  const checkEvery = 1;
  const test = replayTest(run, setup, v.invariant, checkEvery, o.watchdogMs);
  if (o.shrink.enabled && upTo.length > 0) {
    // ddmin needs a failing start under its own checkpointing.
    const again = await test(upTo);
    if (again !== undefined) {
      const r = await ddmin(upTo, again, test, { budgetMs: o.shrink.budgetMs, ...(o.onShrink === undefined ? {} : { onStep: o.onShrink }) });
      minimal = r.ops;
      found = r.violation;
      v.shrink = { from: upTo.length, to: r.ops.length, tests: r.tests, complete: r.complete, wallSeconds: Math.round(r.wallSeconds * 1000) / 1000 };
    } else {
      v.shrink = { from: upTo.length, to: upTo.length, tests: 1, complete: false, wallSeconds: 0 };
    }
  }
  const rep = makeReproducer(o.seed, run, setup, o.shrink.enabled ? checkEvery : o.checkEvery, minimal, found);
  const file = reproFile(o.reproPath, o.seed, v.invariant);
  writeReproducer(file, rep);
  v.reproducer = file;
  const again = await replayOnce(rep, o.watchdogMs);
  v.replayed = again !== undefined && again.invariant === v.invariant;
}

function reproFile(path: string, seed: number, inv: InvariantName): string {
  return path.endsWith('.json') ? path : join(path, `stress-repro-${seed}-${inv}.json`);
}

async function replayOnce(r: Reproducer, watchdogMs: number): Promise<Violation | undefined> {
  const res = await execute({ run: r.run, setup: r.setup, source: listSource(r.ops), checkEvery: r.checkEvery, watchdogMs, keepOps: false });
  return primaryViolation(res.violations.filter((x) => x.invariant === r.violation?.invariant)) ?? primaryViolation(res.violations);
}

export interface ReplayOutcome {
  report: StressReport;
  expected: Reproducer['violation'];
  /** The replay hit the reproducer's invariant. */
  same: boolean;
}

/** `--replay FILE`: run a reproducer's ops and say whether the same violation comes back. */
export async function replayReproducer(r: Reproducer, opts: { watchdogMs: number; onProgress?: (p: StressProgress) => void }): Promise<ReplayOutcome> {
  const result = await execute({
    run: r.run, setup: r.setup, source: listSource(r.ops), total: r.ops.length, checkEvery: r.checkEvery, watchdogMs: opts.watchdogMs, keepOps: true,
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
  });
  const counts = emptyOpCounts();
  for (const op of r.ops) counts[op.k]++;
  const o = { duration: 0, rate: 0, ops: r.ops.length, killRate: 0, checkEvery: r.checkEvery };
  const first = primaryViolation(result.violations);
  const vs = first === undefined ? [] : [first, ...result.violations.filter((v) => v !== first).slice(0, MAX_REPORTED - 1)];
  const rep = report('replay', r.runSeed, r.run, o, r.ops.length, result, counts, null, vs);
  const expected = r.violation;
  return { report: rep, expected, same: expected === null ? result.violations.length === 0 : result.violations.some((v) => v.invariant === expected.invariant) };
}

function report(
  mode: StressReport['mode'], seed: number, run: RunSpec,
  o: { duration: number; rate: number; ops?: number | undefined; killRate: number; checkEvery: number },
  planned: number, r: ExecuteResult, opCounts: OpCounts, memory: MemoryTrend | null, violations: ReportedViolation[],
): StressReport {
  const f = r.final;
  const s = r.stats;
  const held = f === undefined ? 0 : heldCount(f.dump);
  const dropped = s?.dropped ?? 0;
  const drops: Partial<Record<DropReason, number>> = {};
  if (s !== undefined) for (const [k, n] of Object.entries(s.drops)) if (n > 0) drops[k as DropReason] = n;
  return {
    arpemu: 'stress-report', mode, seed, run,
    options: { duration: o.duration, rate: o.rate, ops: o.ops ?? null, killRate: o.killRate, checkEvery: o.checkEvery, faults: run.faults },
    executed: r.executed, planned, stopped: r.stopped, virtualEnd: round(r.end), wallSeconds: round(r.wallSeconds),
    opsPerSecond: r.wallSeconds > 0 ? Math.round(r.executed / r.wallSeconds) : 0,
    checks: r.checks, kills: r.kills, opCounts,
    frames: {
      delivered: f?.rxDelivered ?? 0, sent: f?.tx.frames ?? 0, arpRequests: f?.tx.arpRequests ?? 0,
      arpReplies: f?.tx.arpReplies ?? 0, ipv4: f?.tx.ipv4 ?? 0,
    },
    datagrams: {
      in: f?.outputs ?? 0, sent: f?.sent ?? 0, held, dropped, lostWithKilledCpus: f?.lostHeld ?? 0,
      refusedAtOnce: f === undefined ? 0 : f.outputs - f.sent - dropped - held - f.lostHeld,
    },
    accounting: s === undefined ? null : { rxframes: s.rxframes, received: s.received, accepted: s.accepted, drops },
    stats: s ?? null, faults: r.faults,
    entries: f === undefined ? [] : f.dump.cpus.map((c) => c.arp.length),
    memory, violations, ok: violations.length === 0,
  };
}

function round(x: number): number { return Math.round(x * 1000) / 1000; }
