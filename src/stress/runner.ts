/**
 * The stress driver: executes an op log on the emulator under test and on
 * the single-threaded model side by side (two Worlds, op by op), checks
 * the invariants (invariants.ts) continuously where they are cheap (every
 * frame sent, every admin result, the frame-stream digest after each op)
 * and at quiescent checkpoints (every `checkEvery` ops, and after every
 * kill and timer jump), and stops at the first violation.
 *
 * execute() runs a given list of ops (a replay, a shrink candidate) or a
 * generator's stream (a fresh run, a soak) and returns what happened.
 */
import { performance } from 'node:perf_hooks';
import { isArpemuError } from '../util/errors.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { FaultStats } from '../link/faults.js';
import {
  checkBound, checkCounters, checkCrash, checkHeld, checkModel, checkPermanent, checkReplicas, checkRoutes,
  heldCount, permanentEntries, type Observation,
} from './invariants.js';
import { formatOp, type RunSpec, type StressOp, type StressSetup, type ViolationInfo } from './oplog.js';
import { LivenessError, World } from './world.js';

export interface Violation extends ViolationInfo {
  /** Index of the op after which it was found (-1: during setup). */
  op: number;
  /** Virtual time of that op. */
  t: number;
  /** Which world broke it: the emulator under test, or the model itself (a bug of the ARP core). */
  world: 'emulator' | 'model';
}

/** Where ops come from. */
export interface OpSource {
  /** The next op, or undefined when the run is over. */
  next(): StressOp | undefined;
}

export function listSource(ops: readonly StressOp[]): OpSource {
  let i = 0;
  return { next: () => ops[i++] };
}

export interface StressProgress {
  ops: number;
  /** Ops planned (0 when open-ended: soak). */
  total: number;
  t: number;
  wallSeconds: number;
  opsPerSecond: number;
  rx: number;
  tx: number;
  outputs: number;
  sent: number;
  held: number;
  kills: number;
  checks: number;
  violations: number;
  entries: number[];
  rss: number;
  heapUsed: number;
  last: string;
  done: boolean;
}

export interface ExecuteOptions {
  run: RunSpec;
  setup: StressSetup;
  source: OpSource;
  /** Ops planned, for the progress view (0: unknown). */
  total?: number;
  /** Checkpoint every n ops (1: after each). */
  checkEvery: number;
  watchdogMs: number;
  /** Keep every executed op (needed to shrink; a soak keeps none). */
  keepOps: boolean;
  onProgress?: (p: StressProgress) => void;
  progressMs?: number;
  /** Called every `sampleMs` of wall time (the soak's memory samples). */
  onSample?: (ops: number, t: number) => void;
  sampleMs?: number;
  /** Stop at this wall time (performance.now() ms), soak. */
  deadline?: number;
  /** Pace to at most this many ops per wall second (soak; 0: as fast as it goes). */
  paceOpsPerSecond?: number;
  signal?: AbortSignal;
}

export interface ExecuteResult {
  violations: Violation[];
  /** Ops executed (kept only with keepOps). */
  ops: StressOp[];
  executed: number;
  /** Virtual time at the end. */
  end: number;
  checks: number;
  kills: number;
  stopped: boolean;
  wallSeconds: number;
  final: Observation | undefined;
  model: Observation | undefined;
  faults: FaultStats | null;
  /** Frames accounted: fed to the emulator, and by outcome (fuzz summary). */
  stats: ArpStatValues | undefined;
  hostErrors: number;
}

/** Which addresses an admin op may legitimately change permanent entries of. */
interface Touched { all: boolean; ips: Set<string>; prefixes: { net: number; plen: number }[] }

function touch(t: Touched, op: StressOp): void {
  if (op.k !== 'admin') return;
  const o = op.op;
  const text = (ip: number): string => `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  switch (o.op) {
    case 'set': case 'delete': t.ips.add(text(o.ip)); break;
    case 'flush': t.all = true; break;
    case 'ifaddr': t.ips.add(text(o.addr)); t.prefixes.push({ net: o.addr, plen: o.plen ?? 8 }); break;
    default: break;
  }
}

function touched(t: Touched, key: string): boolean {
  if (t.all) return true;
  const ip = key.split(' ')[1]!;
  if (t.ips.has(ip)) return true;
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  const v = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  return t.prefixes.some((p) => {
    const m = p.plen === 0 ? 0 : (0xffffffff << (32 - p.plen)) >>> 0;
    return ((v & m) >>> 0) === ((p.net & m) >>> 0);
  });
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Execute ops on the emulator and the model; stop at the first violation. */
export async function execute(o: ExecuteOptions): Promise<ExecuteResult> {
  const wall0 = performance.now();
  const keepFrames = o.run.model !== 'none';
  const eut = new World({ setup: o.setup, run: o.run, role: 'emulator', watchdogMs: o.watchdogMs, keepFrames });
  const model = o.run.model === 'none' ? undefined : new World({ setup: o.setup, run: o.run, role: 'model', watchdogMs: o.watchdogMs, keepFrames });
  const violations: Violation[] = [];
  const ops: StressOp[] = [];
  let executed = 0;
  let checks = 0;
  let refused = 0;
  let prevPerm: Map<string, string> | undefined;
  let window: Touched = { all: false, ips: new Set(), prefixes: [] };
  let final: Observation | undefined;
  let modelObs: Observation | undefined;
  let stopped = false;
  let lastProgress = wall0;
  let lastSample = wall0;
  let lastYield = wall0;
  let lastOpText = '';
  let curT = 0;
  let entries: number[] = [];

  const add = (v: ViolationInfo | null, op: number, t: number, world: Violation['world']): void => {
    if (v === null) return;
    violations.push({ ...v, message: world === 'model' ? `the model itself: ${v.message}` : v.message, op, t, world });
  };

  const checkpoint = async (i: number, t: number): Promise<void> => {
    checks++;
    await eut.settle();
    const a = await eut.observe();
    final = a;
    entries = a.dump.cpus.map((c) => c.arp.length);
    add(checkCrash(a), i, t, 'emulator');
    add(checkReplicas(a.dump), i, t, 'emulator');
    if (eut.countersExact) add(checkCounters(a), i, t, 'emulator');
    const h = checkHeld(a, refused);
    if (typeof h === 'number') refused = h; else add(h, i, t, 'emulator');
    add(checkBound(a.dump, eut.universe, eut.universe.size), i, t, 'emulator');
    add(checkRoutes(a.dump), i, t, 'emulator');
    const perm = permanentEntries(a.dump);
    if (prevPerm !== undefined) {
      const before = new Map([...prevPerm].filter(([k]) => !touched(window, k)));
      add(checkPermanent(before, perm), i, t, 'emulator');
    }
    prevPerm = perm;
    window = { all: false, ips: new Set(), prefixes: [] };
    if (model !== undefined) {
      const b = await model.observe();
      modelObs = b;
      add(checkCrash(b), i, t, 'model');
      add(checkCounters(b), i, t, 'model');
      add(checkRoutes(b.dump), i, t, 'model');
      add(checkModel(a, b), i, t, 'emulator');
    }
  };

  const progress = (done: boolean): void => {
    if (o.onProgress === undefined) return;
    const now = performance.now();
    if (!done && now - lastProgress < (o.progressMs ?? 200)) return;
    const wall = (now - wall0) / 1000;
    const mem = process.memoryUsage();
    o.onProgress({
      ops: executed, total: o.total ?? 0, t: curT, wallSeconds: wall, opsPerSecond: wall > 0 ? executed / wall : 0,
      rx: eut.rxDelivered, tx: eut.tx.frames, outputs: eut.outputs, sent: eut.sent,
      held: final === undefined ? 0 : heldCount(final.dump), kills: eut.kills, checks, violations: violations.length,
      entries, rss: mem.rss, heapUsed: mem.heapUsed, last: lastOpText, done,
    });
    lastProgress = now;
  };

  try {
    try {
      await eut.start();
      await model?.start();
      await checkpoint(-1, 0);
    } catch (e) {
      add(failure(e), -1, 0, 'emulator');
    }
    let i = 0;
    while (violations.length === 0) {
      if (o.signal?.aborted === true) { stopped = true; break; }
      if (o.deadline !== undefined && performance.now() >= o.deadline) break;
      const op = o.source.next();
      if (op === undefined) break;
      if (o.keepOps) ops.push(op);
      curT = op.t;
      try {
        if (op.k === 'kill') {
          if (eut.lockstep || op.t > eut.clock.now()) await eut.runTo(op.t);
          await model?.runTo(op.t);
          const lost = await eut.kill(op.cpu);
          model?.forgetHeld(lost);
        } else {
          await eut.perform(op, i);
          await model?.perform(op, i);
        }
        for (const v of eut.found.splice(0)) add(v, i, op.t, 'emulator');
        if (model !== undefined) {
          for (const v of model.found.splice(0)) add(v, i, op.t, 'model');
          if (op.k === 'admin' && eut.lastAdmin !== model.lastAdmin) {
            add({ invariant: 'model_agree', message: `${formatOp(op)}: ${eut.lastAdmin} on the emulator, ${model.lastAdmin} on the model` }, i, op.t, 'emulator');
          }
          if (eut.txDigest !== model.txDigest) add(frameDiff(eut, model, op), i, op.t, 'emulator');
        }
        touch(window, op);
        executed++;
        lastOpText = formatOp(op);
        // A checkpoint also right after a violation: everything broken at this point gets reported.
        if (violations.length > 0 || op.k === 'kill' || op.k === 'jump' || (i + 1) % o.checkEvery === 0) await checkpoint(i, op.t);
      } catch (e) {
        add(failure(e), i, op.t, 'emulator');
      }
      i++;
      const now = performance.now();
      if (o.onSample !== undefined && now - lastSample >= (o.sampleMs ?? 1000)) { lastSample = now; o.onSample(executed, curT); }
      progress(false);
      if (o.paceOpsPerSecond !== undefined && o.paceOpsPerSecond > 0) {
        const due = wall0 + (executed / o.paceOpsPerSecond) * 1000;
        const left = due - performance.now();
        if (left > 1) await new Promise((r) => setTimeout(r, Math.min(left, 100)));
      }
      if (now - lastYield >= 50) { lastYield = now; await turn(); }
    }
    if (violations.length === 0 && executed > 0) {
      try { await checkpoint(i - 1, curT); } catch (e) { add(failure(e), i - 1, curT, 'emulator'); }
    }
  } finally {
    progress(true);
    await eut.close();
    await model?.close();
  }
  return {
    violations, ops, executed, end: eut.clock.now(), checks, kills: eut.kills, stopped,
    wallSeconds: (performance.now() - wall0) / 1000, final, model: modelObs, faults: eut.faultStats(),
    stats: final?.stats, hostErrors: eut.hostErrors,
  };
}

/** Most specific first: the violation a reproducer is shrunk for. */
const PRIORITY: readonly ViolationInfo['invariant'][] = [
  'crash', 'liveness', 'held_once', 'permanent_unchanged', 'replicas_agree', 'counters', 'held_accounting',
  'route_check', 'table_bound', 'model_agree', 'memory_growth',
];

/** The violation to report first and shrink for: the most specific one found by the emulator, else the model's. */
export function primaryViolation(vs: readonly Violation[]): Violation | undefined {
  const rank = (v: Violation): number => (v.world === 'model' ? 100 : 0) + PRIORITY.indexOf(v.invariant);
  return [...vs].sort((a, b) => rank(a) - rank(b) || a.op - b.op)[0];
}

function failure(e: unknown): ViolationInfo {
  if (e instanceof LivenessError) return { invariant: 'liveness', message: e.message };
  const msg = isArpemuError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e);
  return { invariant: 'crash', message: `the run failed: ${msg}` };
}

/** The first frame of this op that differs between the two worlds. */
function frameDiff(a: World, b: World, op: StressOp): ViolationInfo {
  const fa = a.describeOpFrames(), fb = b.describeOpFrames();
  let k = 0;
  while (k < fa.length && k < fb.length && fa[k] === fb[k]) k++;
  const what = k < fa.length && k < fb.length
    ? `frame ${k + 1} of this op: the emulator sent\n      ${fa[k]}\n    the model sent\n      ${fb[k]}`
    : k < fa.length ? `the emulator sent an extra frame: ${fa[k]}`
      : k < fb.length ? `the model sent a frame the emulator did not: ${fb[k]}`
        : 'an earlier frame differed';
  return { invariant: 'model_agree', message: `frames sent differ from the model after ${formatOp(op)}: ${what}` };
}
