/**
 * A CPU worker thread (loaded by workers/cpu.ts, one piscina pool of one
 * thread per CPU). The 'start' task builds the CpuContext from the channels
 * and shared buffers it is given, exposes CpuControl over comlink and
 * resolves once the CPU takes work; the state lives on in this module
 * between tasks. A restarted CPU waits for restore() (CPU0's snapshot)
 * before it reads its channels: what arrived meanwhile waits in the rings.
 */
import { threadId } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { VirtualClock } from '../util/clock.js';
import { CpuContext, type CpuSnapshot } from './context.js';
import { EpochClock } from './epoch.js';
import { endpointOf, installErrorTransfer, type CpuControl, type CpuDiag } from './control.js';
import { Endpoint } from './endpoint.js';
import { SharedArpMirror, SharedArpReader } from './shared.js';
import { C_ALIVE, C_DEADLINE_F64, C_SEQ, MAIN, type WorkerInit } from './wiring.js';
import type { RecordOut } from './channel.js';
import { HookRandom, stallMaybe } from './testhooks.js';

let current: CpuWorker | undefined;

class CpuWorker implements CpuControl {
  readonly ctx: CpuContext;
  readonly ep: Endpoint;
  private readonly deadlines: Float64Array;
  private readonly ctl: Int32Array;
  private realTimer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Infinity;
  private readonly real: boolean;

  constructor(readonly init: WorkerInit) {
    installErrorTransfer();
    const cpu = init.self;
    this.ep = new Endpoint(init);
    this.deadlines = new Float64Array(init.ctl);
    this.ctl = new Int32Array(init.ctl);

    this.real = init.time.kind === 'real';
    const clock = init.time.kind === 'virtual' ? new VirtualClock(init.time.start) : new EpochClock(init.time.epochNs);
    const outsByCpu: RecordOut[] = [];
    for (let j = 0; j < init.ncpus; j++) if (j !== cpu) outsByCpu[j] = this.ep.out(j);
    const sab = init.shared;
    this.ctx = new CpuContext({
      cpu, ncpus: init.ncpus, strategy: init.strategy, syncReply: init.syncReply, clock, events: init.events, traces: init.traces,
      outs: { cpu: (j) => outsByCpu[j]!, up: this.ep.out(MAIN) },
      seqWord: { i32: this.ctl, index: C_SEQ },
      mirror: sab !== undefined && cpu === 0 ? new SharedArpMirror(sab) : undefined,
      reader: sab !== undefined && cpu !== 0 ? new SharedArpReader(sab, clock) : undefined,
      hooks: init.hooks,
    });
    if (init.control !== undefined) Comlink.expose(this, endpointOf(init.control));
    this.publishDeadline();
    Atomics.store(this.ctl, C_ALIVE + cpu, 1);
    if (!init.restarted) this.go();
  }

  private go(): void {
    const ctx = this.ctx;
    const stall = this.init.hooks?.stall;
    const rnd = stall === undefined ? undefined : new HookRandom(stall.seed * 31 + ctx.cpu + 1);
    this.ep.start(
      stall === undefined
        ? (type, u8, dv, off, len) => ctx.handle(type, u8, dv, off, len)
        : (type, u8, dv, off, len) => { stallMaybe(stall, rnd!); return ctx.handle(type, u8, dv, off, len); },
      () => { ctx.flush(); this.publishDeadline(); },
      () => (ctx.blocked === null ? Promise.resolve() : ctx.blocked.waitRoom(ctx.blockedLen)),
    );
  }

  private publishDeadline(): void {
    const d = this.ctx.nextDeadline();
    this.deadlines[C_DEADLINE_F64 + this.ctx.cpu] = d;
    if (this.real) this.armReal(d);
  }

  /** Real time: one setTimeout for the earliest timer. */
  private armReal(d: number): void {
    if (d === this.armedFor && this.realTimer !== undefined) return;
    if (this.realTimer !== undefined) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.armedFor = d;
    if (d === Infinity) return;
    const ms = Math.max(0, Math.ceil((d - this.ctx.clock.now()) * 1000));
    this.realTimer = setTimeout(() => {
      this.realTimer = undefined;
      this.armedFor = Infinity;
      this.ctx.runDue();
      this.ctx.flush();
      this.publishDeadline();
    }, ms);
    this.realTimer.unref();
  }

  // ---- CpuControl

  dump(): ReturnType<CpuControl['dump']> { return this.ctx.rep === null ? null : this.ctx.dump(); }
  interfaces(): ReturnType<CpuControl['interfaces']> { return this.ctx.interfaces(); }
  stats(): ReturnType<CpuControl['stats']> { return this.ctx.rep === null ? null : this.ctx.stats(); }
  sysctl(name?: string): ReturnType<CpuControl['sysctl']> { return this.ctx.sysctl(name); }
  snapshot(): CpuSnapshot { return this.ctx.snapshot(); }

  restore(snap: CpuSnapshot): void {
    this.ctx.restore(snap);
    this.publishDeadline();
    this.go();
  }

  diag(): CpuDiag {
    const sent: Record<string, number> = {};
    for (const [to, o] of this.ep.outs) sent[String(to)] = o.sent;
    return { cpu: this.ctx.cpu, lastSeq: this.ctx.lastSeq, applied: this.ctx.applied, errors: this.ctx.errors, handled: [...this.ctx.handled], sent };
  }

  benchResolve(n: number): ReturnType<CpuControl['benchResolve']> { return this.ctx.benchResolve(n); }

  crash(how: 'exit' | 'throw'): void {
    // After the reply has gone: the supervisor sees the death, not a failed call.
    setTimeout(() => {
      if (how === 'exit') process.exit(3);
      throw new Error(`cpu${this.ctx.cpu}: crash requested`);
    }, 1);
  }
}

/** piscina task: set the CPU up; resolves once it takes work (or waits for restore()). */
export function startCpuWorker(init: WorkerInit): { cpu: number; threadId: number } {
  if (current !== undefined) throw new Error(`this thread already runs cpu${current.ctx.cpu}`);
  current = new CpuWorker(init);
  return { cpu: init.self, threadId };
}
