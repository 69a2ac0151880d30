/**
 * The supervisor side of an Emulator, common to the InlineEmulator (all CPUs
 * in this thread) and the ThreadedEmulator (CPU workers): the Emulator API,
 * stimuli, time, results, and the deterministic delivery of what the CPUs
 * transmit. Subclasses only move records.
 *
 * Lockstep (virtual time): stimuli (a frame, an output, an operation, a
 * tick of one CPU, a probe) run one at a time, each to quiescence; the
 * frames and events of one stimulus are delivered sorted by (key, cpu, idx)
 * (see records.ts), stamped with the CPUs' clock, which is the stimulus
 * time. Otherwise records are delivered as they arrive.
 */
import { VirtualClock, type Clock } from '../util/clock.js';
import { EpochClock } from './epoch.js';
import { TimerQueue, runVirtualUntil } from '../util/timers.js';
import { ArpemuError, errno, type ArpemuCode } from '../util/errors.js';
import { makeEvent, type ArpemuEvent, type EventSink } from '../util/events.js';
import type { Ipv4 } from '../wire/addr.js';
import { IFF_BROADCAST, IFF_MULTICAST, IFF_UP, parseIffFlags } from '../inet/ifnet.js';
import { arpResolveOutcome, ARPRES_HELD, type ArpResolveOutcome } from '../arp/resolve.js';
import { sumArpStats, type ArpStatValues } from '../arp/stats.js';
import type { CpuDump, Datagram, EmuDump, EmuOp, EmuOpResult, Emulator, EmulatorOptions, TransmitHandler } from './emulator.js';
import { checkEmuOp, type AppliedOp } from './apply.js';
import { cpuOfAddr } from './hash.js';
import type { NetisrIf } from '../netisr/dispatch.js';
import type { KnobInfo } from '../sysctl/index.js';
import * as R from './records.js';
import type { CpuTestHooks } from './testhooks.js';

/** The options every Emulator takes, beyond the contract's. */
export interface CoreOptions extends EmulatorOptions {
  /** netisr: choose the input CPU by sender address instead of CPU0. */
  inputHash?: boolean;
  /** Stress-test hooks every CPU reads (testhooks.ts: injected bugs, channel delays). */
  hooks?: CpuTestHooks | undefined;
}

interface TxItem { key: number; cpu: number; idx: number; ifindex: number; t: number; frame: Uint8Array }
interface EvItem { key: number; cpu: number; idx: number; ev: ArpemuEvent }
interface Waiter { resolve: (r: EmuOpResult) => void; reject: (e: Error) => void; op: EmuOp; result?: AppliedOp; error?: ArpemuError; final?: boolean }

export interface IfInfo { index: number; name: string; mac: number; flags: number }

/** Let every pending promise continuation run (a resolve() woken by a timer queues its next probe). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export abstract class EmulatorCore implements Emulator {
  readonly cpus: number;
  readonly options: Readonly<CoreOptions>;
  readonly virtual: boolean;
  readonly lockstep: boolean;
  /** Divergence reports (must stay empty). */
  readonly divergences: unknown[] = [];
  protected readonly ifByName = new Map<string, IfInfo>();
  protected readonly ifByIndex = new Map<number, IfInfo>();
  /** The supervisor's own clock and timers (resolve retries). */
  protected readonly clock: Clock;
  protected readonly timers: TimerQueue;
  protected closed = false;
  private readonly handlers: TransmitHandler[] = [];
  private readonly events: EventSink | undefined;
  private txBuf: TxItem[] = [];
  private evBuf: EvItem[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private readonly probes = new Map<number, (code: number, mac: number) => void>();
  private token = 1;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private realTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: CoreOptions) {
    if (!(Number.isInteger(opts.cpus) && opts.cpus >= 1 && opts.cpus <= 64)) throw errno('EINVAL', `cpus must be 1..64, got ${opts.cpus}`);
    if (!['chain', 'fanout', 'shared'].includes(opts.strategy)) throw errno('EINVAL', `strategy must be chain, fanout or shared, got ${String(opts.strategy)}`);
    if (!['port', 'ring'].includes(opts.transport)) throw errno('EINVAL', `transport must be port or ring, got ${String(opts.transport)}`);
    this.cpus = opts.cpus;
    this.options = opts;
    this.virtual = opts.time.kind === 'virtual';
    this.lockstep = opts.time.kind === 'virtual' && opts.time.lockstep;
    this.clock = opts.time.kind === 'virtual' ? new VirtualClock(opts.time.start) : new EpochClock();
    this.timers = new TimerQueue(this.clock);
    this.events = opts.events;
  }

  // ------------------------------------------------------------ transport (subclasses)

  /** Send a record to the netisr. */
  protected abstract toNetisr(type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void;
  /** Send a record to CPU `cpu`. */
  protected abstract toCpu(cpu: number, type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void;
  /** Make sent records visible. */
  protected abstract flushOut(): void;
  /** Resolve when nothing is in flight anywhere (records to the supervisor may still wait to be drained). */
  protected abstract idle(): Promise<void>;
  /** Hand every available record to the supervisor to `onUp`. */
  protected abstract drainUp(): void;
  /** Earliest timer deadline of a CPU (virtual time; Infinity when none). */
  protected abstract cpuDeadline(cpu: number): number;
  /** Per-CPU control. */
  protected abstract cpuDump(cpu: number): Promise<CpuDump | null>;
  protected abstract cpuInterfaces(): Promise<EmuDump['interfaces']>;
  protected abstract cpuStats(cpu: number): Promise<ArpStatValues | null>;
  protected abstract netisrStats(): Promise<ArpStatValues>;
  protected abstract cpuSysctl(name: string | undefined): Promise<KnobInfo[]>;
  protected abstract shutdown(): Promise<void>;

  // ------------------------------------------------------------ up records

  /** Handle one record from a CPU or the netisr. */
  protected onUp(type: number, u8: Uint8Array, dv: DataView, off: number, len: number): void {
    switch (type) {
      case R.U_TX: {
        const item: TxItem = {
          key: dv.getUint32(off + R.T_KEY, true), cpu: dv.getUint32(off + R.T_CPU, true), idx: dv.getUint32(off + R.T_IDX, true),
          ifindex: dv.getUint32(off + R.T_IFINDEX, true), t: dv.getFloat64(off + R.T_TIME, true),
          frame: u8.slice(off + R.T_FRAME, off + len),
        };
        if (this.lockstep) this.txBuf.push(item); else this.deliverTx(item);
        return;
      }
      case R.U_EVENT: {
        if (this.events === undefined) return;
        const ev = JSON.parse(R.readUtf8(u8, off + R.E_JSON, len - R.E_JSON)) as ArpemuEvent;
        const item: EvItem = { key: dv.getUint32(off + R.E_KEY, true), cpu: dv.getUint32(off + R.E_CPU, true), idx: dv.getUint32(off + R.E_IDX, true), ev };
        if (this.lockstep) this.evBuf.push(item); else this.events.emit(ev);
        return;
      }
      case R.U_RESULT: {
        const token = dv.getUint32(off, true);
        type Body = { ok: true; result?: AppliedOp; final: boolean } | { ok: false; code: ArpemuCode; message: string; final: boolean };
        const body = JSON.parse(R.readUtf8(u8, off + 4, len - 4)) as Body;
        const w = this.waiters.get(token);
        if (w === undefined) return;
        // CPU0's outcome and the last replica's "all applied" may come in either order.
        if (body.ok) { if (body.result !== undefined) w.result = body.result; } else w.error = new ArpemuError(body.code, body.message);
        if (body.final) w.final = true;
        if (!w.final || (w.result === undefined && w.error === undefined)) return;
        this.answer(token, w);
        return;
      }
      case R.U_PROBE: {
        const token = dv.getUint32(off + R.B_TOKEN, true);
        const fn = this.probes.get(token);
        if (fn === undefined) return;
        this.probes.delete(token);
        fn(dv.getUint32(off + R.B_CODE, true), R.macOf(dv.getUint32(off + R.B_MAC_HI, true), dv.getUint32(off + R.B_MAC_LO, true)));
        return;
      }
      case R.U_DIVERGE: {
        const what: unknown = JSON.parse(R.readUtf8(u8, off, len));
        this.divergences.push(what);
        console.error('arpemu: replicas diverged:', what);
        return;
      }
      default:
        this.onOtherUp(type, u8, dv, off, len);
    }
  }

  /** Records the core does not know (benchmarks). */
  protected onOtherUp(_type: number, _u8: Uint8Array, _dv: DataView, _off: number, _len: number): void { /* ignore */ }

  private deliverTx(item: TxItem): void {
    const name = this.ifByIndex.get(item.ifindex)?.name ?? `if${item.ifindex}`;
    for (const h of this.handlers) h(name, item.frame, item.t);
  }

  /** Deliver a finished stimulus's frames and events in the one-CPU order. */
  private deliverSorted(): void {
    if (this.txBuf.length > 0) {
      const tx = this.txBuf;
      this.txBuf = [];
      tx.sort((a, b) => R.compareOrder(a.key, a.cpu, a.idx, b.key, b.cpu, b.idx));
      for (const item of tx) this.deliverTx(item);
    }
    if (this.evBuf.length > 0) {
      const evs = this.evBuf;
      this.evBuf = [];
      evs.sort((a, b) => R.compareOrder(a.key, a.cpu, a.idx, b.key, b.cpu, b.idx));
      for (const e of evs) this.events!.emit(e.ev);
    }
  }

  /** After an admin operation succeeded: what the supervisor and netisr must know. */
  private applied(op: EmuOp, r: AppliedOp): void {
    if (op.op !== 'ifattach' || r.ifindex === undefined) return;
    const flags = parseIffFlags(op.iface.flags, IFF_UP | IFF_BROADCAST | IFF_MULTICAST) ?? 0;
    const info: IfInfo = { index: r.ifindex, name: op.iface.name, mac: op.iface.mac, flags };
    this.ifByName.set(info.name, info);
    this.ifByIndex.set(info.index, info);
    const json = JSON.stringify(info satisfies NetisrIf);
    this.toNetisr(R.R_IFCONF, R.utf8Bound(json), (u8, _dv, at) => R.writeUtf8(u8, at, json));
    this.flushOut();
  }

  // ------------------------------------------------------------ stimuli

  /**
   * Run `start` as one stimulus: in lockstep after the previous one and to
   * quiescence, then deliver its output sorted; otherwise at once.
   */
  /** The emulator cannot go on (a worker failed to start, or could not be restarted). */
  protected failed: Error | undefined;

  /** Give up: every pending operation and probe rejects with `e`, and so does every later one. */
  protected fail(e: Error): void {
    if (this.failed !== undefined) return;
    this.failed = e;
    for (const [, w] of this.waiters) w.reject(e);
    this.waiters.clear();
    this.probes.clear();
  }

  private answer(token: number, w: Waiter): void {
    this.waiters.delete(token);
    if (w.error !== undefined) { w.reject(w.error); return; }
    this.applied(w.op, w.result!);
    const r: EmuOpResult = { count: w.result!.count };
    if (w.result!.old !== undefined) r.old = w.result!.old;
    w.resolve(r);
  }

  /**
   * CPU0 died under `fanout`, where it gathers the acknowledgements: the
   * admin operations it had numbered never get their final answer. Each one
   * whose outcome CPU0 reported had been sent to every replica in the same
   * batch: answer it with that outcome. Call with everything the dead CPU0
   * wrote drained, before the new CPU0 takes work.
   */
  protected answerOrphans(): void {
    for (const [token, w] of [...this.waiters]) {
      if (w.result !== undefined || w.error !== undefined) this.answer(token, w);
    }
  }

  protected stimulus(start: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new ArpemuError('ERR_LINK_CLOSED', 'emulator closed'));
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (!this.lockstep) {
      start();
      this.flushOut();
      return Promise.resolve();
    }
    this.queued++;
    const run = async (): Promise<void> => {
      try {
        start();
        this.flushOut();
        await this.settle();
      } finally {
        this.queued--;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Wait for quiescence and hand out what came up. */
  private async settle(): Promise<void> {
    for (;;) {
      await this.idle();
      this.drainUp();
      // A record drained above may have started more work (none does today); check again.
      if (await this.idleNow()) break;
    }
    this.deliverSorted();
  }

  /** True when nothing is in flight right now (default: idle() resolved synchronously-ish). */
  protected idleNow(): Promise<boolean> { return Promise.resolve(true); }

  // ------------------------------------------------------------ Emulator

  apply(op: EmuOp): Promise<EmuOpResult> {
    try { checkEmuOp(op); } catch (e) { return Promise.reject(e); }
    return new Promise<EmuOpResult>((resolve, reject) => {
      const token = this.token++;
      this.waiters.set(token, { resolve, reject, op });
      this.stimulus(() => this.sendAdmin(token, op)).catch((e: unknown) => {
        this.waiters.delete(token);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** Submit an admin operation to CPU0 (an R_SUBMIT with origin -1). */
  protected sendAdmin(token: number, op: EmuOp): void {
    const json = JSON.stringify(op);
    this.toCpu(0, R.R_SUBMIT, R.A_JSON + R.utf8Bound(json), (u8, dv, at) => {
      dv.setUint32(at + R.O_KIND, R.OP_ADMIN, true);
      dv.setUint32(at + R.O_KEY, 0, true);
      dv.setInt32(at + R.O_ORIGIN, -1, true);
      dv.setUint32(at + R.O_TOKEN, token, true);
      dv.setUint32(at + R.A_STATUS, 0, true);
      dv.setFloat64(at + R.O_SEQ, 0, true);
      dv.setFloat64(at + R.O_TIME, 0, true);
      const n = R.writeUtf8(u8, at + R.A_JSON, json);
      dv.setUint32(at + R.A_LEN, n, true);
      return R.A_JSON + n;
    });
  }

  input(iface: string, frame: Uint8Array): void {
    const info = this.ifByName.get(iface);
    if (info === undefined) throw errno('ENXIO', `input: no interface ${iface}`);
    if (!this.lockstep) {
      // Free-running: straight into the netisr's channel (that is the copy),
      // published once per turn of the event loop.
      if (this.closed) throw new ArpemuError('ERR_LINK_CLOSED', 'emulator closed');
      this.frameTo(info.index, frame);
      this.flushSoon();
      return;
    }
    const copy = frame.slice();
    void this.stimulus(() => this.frameTo(info.index, copy));
  }

  private frameTo(ifindex: number, frame: Uint8Array): void {
    this.toNetisr(R.R_FRAME, R.F_FRAME + frame.length, (u8, dv, at) => {
      dv.setUint32(at + R.F_KEY, 0, true);
      dv.setUint32(at + R.F_IFINDEX, ifindex, true);
      u8.set(frame, at + R.F_FRAME);
    });
  }

  private flushQueued = false;
  private readonly flushNow = (): void => { this.flushQueued = false; if (!this.closed) this.flushOut(); };
  /** Publish what was written, once, after the caller's current burst. */
  protected flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flushNow);
  }

  output(dst: Ipv4, datagram: Datagram): void {
    const proto = datagram.proto, size = datagram.size, id = datagram.id;
    const write = (): void => {
      this.toNetisr(R.R_OUTREQ, R.P_LEN, (_u8, dv, at) => {
        dv.setUint32(at + R.P_KEY, 0, true);
        dv.setUint32(at + R.P_DST, dst >>> 0, true);
        dv.setUint32(at + R.P_PROTO, proto, true);
        dv.setUint32(at + R.P_SIZE, size, true);
        dv.setUint32(at + R.P_ID, id, true);
        dv.setUint32(at + R.P_FLAGS, 0, true);
      });
    };
    if (!this.lockstep) {
      if (this.closed) throw new ArpemuError('ERR_LINK_CLOSED', 'emulator closed');
      write();
      this.flushSoon();
      return;
    }
    void this.stimulus(write);
  }

  /** One resolution attempt on the CPU owning `dst`; resolves with the ARPRES_* code and MAC. */
  protected probe(dst: Ipv4): Promise<{ code: number; mac: number }> {
    return new Promise((resolve, reject) => {
      const token = this.token++;
      this.probes.set(token, (code, mac) => resolve({ code, mac }));
      const cpu = this.options.strategy === 'shared' ? 0 : cpuOfAddr(dst >>> 0, this.cpus);
      this.stimulus(() => {
        this.toCpu(cpu, R.R_PROBE, R.Q_LEN, (_u8, dv, at) => {
          dv.setUint32(at + R.Q_KEY, 0, true);
          dv.setUint32(at + R.Q_DST, dst >>> 0, true);
          dv.setUint32(at + R.Q_TOKEN, token, true);
        });
      }).catch((e: unknown) => { this.probes.delete(token); reject(e instanceof Error ? e : new Error(String(e))); });
    });
  }

  /**
   * arpemu resolve: an attempt now and one every second (as a pinging host
   * would: arpresolve is driven by packets), until the address resolves, is
   * refused, or `timeout` seconds pass (then the outcome is 'held').
   */
  async resolve(dst: Ipv4, timeout: number): Promise<ArpResolveOutcome> {
    const start = this.clock.now();
    for (;;) {
      const { code, mac } = await this.probe(dst);
      if (code !== ARPRES_HELD) return arpResolveOutcome(code, mac);
      if (this.clock.now() + 1 > start + timeout) return { kind: 'held' };
      await this.sleep(1);
    }
  }

  /** Wait `dt` seconds of the supervisor's clock (virtual: until advanceTo passes it). */
  protected sleep(dt: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.after(dt, resolve);
      this.armRealTimer();
    });
  }

  private armRealTimer(): void {
    if (this.virtual || this.closed) return;
    if (this.realTimer !== undefined) clearTimeout(this.realTimer);
    const next = this.timers.nextDeadline();
    if (next === undefined) return;
    this.realTimer = setTimeout(() => {
      this.realTimer = undefined;
      this.timers.runDue();
      this.armRealTimer();
    }, Math.max(0, (next - this.clock.now()) * 1000));
    // Only resolve() sleeps here: a caller waits for it, so it keeps the process up.
  }

  nextDeadline(): number | undefined {
    if (!this.virtual) return undefined;
    let d = this.timers.nextDeadline() ?? Infinity;
    for (let j = 0; j < this.cpus; j++) d = Math.min(d, this.cpuDeadline(j));
    return d === Infinity ? undefined : d;
  }

  /** Real time: the epoch every thread's clock counts from. */
  protected get epochNs(): string | undefined {
    return this.clock instanceof EpochClock ? this.clock.epochNs : undefined;
  }

  /** The supervisor's time (virtual: the last advanceTo). */
  now(): number { return this.clock.now(); }

  async advanceTo(t: number): Promise<void> {
    if (!this.virtual) throw errno('EINVAL', 'advanceTo needs virtual time');
    if (!(t >= this.clock.now())) throw errno('EINVAL', `advanceTo(${t}): time cannot go backwards (now ${this.clock.now()})`);
    // Everything fed before this call happens first.
    await this.quiesceQueue();
    for (;;) {
      const d = this.nextDeadline();
      if (d === undefined || d > t) break;
      await this.tickAll(d);
      // Supervisor timers (resolve retries) at d: their probes are stimuli of their own.
      runVirtualUntil(this.clock as VirtualClock, this.timers, d);
      await turn();
      await this.quiesceQueue();
    }
    await this.tickAll(t);
    runVirtualUntil(this.clock as VirtualClock, this.timers, t);
    await turn();
    await this.quiesceQueue();
  }

  /** Set every CPU's clock to `t`, CPU0 first, each running its due timers to quiescence. */
  private async tickAll(t: number): Promise<void> {
    const sends: Promise<void>[] = [];
    sends.push(this.stimulus(() => this.toNetisr(R.R_TICK, 8, (_u8, dv, at) => { dv.setFloat64(at, t, true); })));
    for (let j = 0; j < this.cpus; j++) {
      sends.push(this.stimulus(() => this.toCpu(j, R.R_TICK, 8, (_u8, dv, at) => { dv.setFloat64(at, t, true); })));
    }
    await Promise.all(sends);
    if (!this.lockstep) await this.quiesce();
  }

  /** Wait for every queued stimulus (lockstep). */
  private async quiesceQueue(): Promise<void> {
    while (this.queued > 0) await this.queue;
  }

  async quiesce(): Promise<void> {
    await this.quiesceQueue();
    if (!this.lockstep) {
      this.flushOut();
      await this.idle();
      this.drainUp();
    }
  }

  onTransmit(handler: TransmitHandler): void {
    this.handlers.push(handler);
  }

  /** The CONTRACT dump (after quiescence it shows every replica). */
  async dump(): Promise<EmuDump> {
    await this.quiesce();
    const cpus: CpuDump[] = [];
    const first = await this.cpuDump(0);
    if (first === null) throw new Error('cpu0 has no replica');
    for (let j = 0; j < this.cpus; j++) {
      const d = j === 0 ? first : await this.cpuDump(j);
      // shared: one table for all; CPUs other than 0 read CPU0's (and hold nothing).
      cpus.push(d ?? { cpu: j, arp: first.arp.map((e) => ({ ...e, held: 0 })), routes: first.routes });
    }
    return { interfaces: await this.cpuInterfaces(), cpus, stats: sumArpStats(await this.stats()) };
  }

  /**
   * Counters of each CPU (netstat -s --per-cpu). The netisr's arpintr
   * counters (frames, drops of the checks) are CPU0's, as on one CPU; a CPU
   * without a replica (shared) counts nothing.
   */
  async stats(): Promise<ArpStatValues[]> {
    await this.quiesce();
    const out: ArpStatValues[] = [];
    for (let j = 0; j < this.cpus; j++) {
      const s = await this.cpuStats(j);
      out.push(j === 0 ? sumArpStats([s ?? sumArpStats([]), await this.netisrStats()]) : (s ?? sumArpStats([])));
    }
    return out;
  }

  /** sysctl NAME (every knob when omitted), read from CPU0; ENOENT for an unknown name. */
  async sysctl(name?: string): Promise<KnobInfo[]> {
    await this.quiesce();
    return this.cpuSysctl(name);
  }

  /** An event of the supervisor itself (cpu.restarted, cpu.resynced). */
  protected emitEvent(ev: ArpemuEvent): void {
    this.events?.emit(ev);
  }

  protected event<N extends 'cpu.restarted' | 'cpu.resynced'>(name: N, cpu: number, fields: N extends 'cpu.restarted' ? { reason: string } : { from: number }): void {
    this.emitEvent(makeEvent(name, this.clock.now(), cpu, fields as never) as unknown as ArpemuEvent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try { await this.quiesceQueue(); } catch { /* closing anyway */ }
    this.closed = true;
    if (this.realTimer !== undefined) clearTimeout(this.realTimer);
    for (const [, w] of this.waiters) w.reject(new ArpemuError('ERR_LINK_CLOSED', 'emulator closed'));
    this.waiters.clear();
    await this.shutdown();
  }
}
