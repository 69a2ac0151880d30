/**
 * One CPU: its replica and the handling of every message it receives. This
 * is the only implementation of the per-CPU protocol; the InlineEmulator
 * (all CPUs in one thread, an in-memory FIFO) and the worker threads
 * (rings or MessagePorts) both feed records to CpuContext.handle() and give
 * it RecordOuts to write to.
 *
 * The replicated-state machine (DragonFly's arp_update_msghandler chain,
 * extended to every change of replicated state):
 *  - every change is an operation (OP_UPDATE from in_arpinput, OP_RSTEP
 *    from arpresolve, OP_ADMIN, OP_TIMER for the arptimer walk) submitted
 *    to CPU0, which numbers it (seq) and stamps it with its clock (time);
 *  - `chain`: the operation visits CPU0, CPU1, ... CPUn-1 in order, each
 *    applying it to its replica (reporting only on CPU0); the last one
 *    replies to the originator (lwkt_replymsg);
 *    `fanout`: CPU0 applies it, sends it to every other CPU at once and
 *    replies once all have acknowledged;
 *    `shared`: only CPU0 holds a replica that serves (chain of length one)
 *    and mirrors it into a SharedArrayBuffer table the other CPUs read for
 *    arpresolve hits; they hand everything else to CPU0. The last CPU keeps
 *    a standby copy, sent every operation without waiting for it, so that a
 *    CPU0 that dies can be resynchronised (the mirror holds only usable
 *    entries, not the interfaces, routes and knobs);
 *  - each replica applies operations in seq order (a FIFO from one sender),
 *    with its clock pinned to the operation's time, and every operation is
 *    a deterministic function of (replica, operation): so replicas that
 *    start equal stay equal after the same prefix of operations, whatever
 *    the interleaving with other messages. Local reads (in_arpinput's
 *    decision, arpresolve's hit or miss) only decide which operations to
 *    submit; arpUpdateOnCpu and arpResolveOnCpu re-check the entry when
 *    they apply, so a stale decision converges (a 'clone' of an entry that
 *    exists does nothing; a 'resolve' of an entry resolved meanwhile
 *    releases the held packet instead of asking).
 *  - Per CPU and not replicated: held packets (the owner of the next hop
 *    holds them, cpuOfAddr), la_asked/la_preempt are replicated through
 *    the steps, counters are per CPU.
 */
import type { Clock } from '../util/clock.js';
import { VirtualClock } from '../util/clock.js';
import { TimerQueue, runVirtualUntil, type TimerHandle } from '../util/timers.js';
import { formatEventLine, nullSink, type ArpemuEvent, type EventSink } from '../util/events.js';
import { errno, isArpemuError } from '../util/errors.js';
import { ArpPacket, ARP_OK, classifyFrame } from '../wire/arp.js';
import { emitIpv4Header, emitUdpDatagram, IPPROTO_UDP } from '../wire/ipv4.js';
import { Sysctl, type KnobInfo } from '../sysctl/index.js';
import { NetStack, type NetStackSnapshot } from '../inet/stack.js';
import { RTF_GATEWAY, RTF_LOCAL } from '../route/rtentry.js';
import { ArpReplica } from '../arp/replica.js';
import type { Llinfo } from '../arp/llinfo.js';
import { ArpInputDecision, arpSendReply, inArpInput, newArpUpdate, type ArpUpdate } from '../arp/input.js';
import { arpUpdateOnCpu } from '../arp/update.js';
import { ARPRES_RESOLVED, arpOutput, arpResolve, arpResolveOnCpu, type ArpResolveUpdate } from '../arp/resolve.js';
import { arpTimer } from '../arp/lookup.js';
import { arpRequest } from '../arp/output.js';
import { arpList } from '../arp/admin.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { CpuDump, EmuOp, Strategy } from './emulator.js';
import { applyEmuOpOnCpu, type AppliedOp } from './apply.js';
import { TRAFFIC_SRC_PORT } from './datagram.js';
import { cpuOfAddr } from './hash.js';
import { forwardRecord, type RecordOut } from './channel.js';
import type { SharedArpMirror, SharedArpReader } from './shared.js';
import * as R from './records.js';
import type { CpuTestHooks, InjectedBug } from './testhooks.js';

/** A Clock whose time can be pinned while an operation applies (every replica applies it at CPU0's time). */
export class CpuClock implements Clock {
  private pinned = NaN;
  constructor(readonly base: Clock) {}
  now(): number { return this.pinned === this.pinned ? this.pinned : this.base.now(); }
  uptime(): number { return Math.floor(this.now()); }
  pin(t: number): void { this.pinned = t; }
  unpin(): void { this.pinned = NaN; }
}

/** Where a CPU writes: one RecordOut per other CPU, and one up to the supervisor. */
export interface CpuOuts {
  cpu(j: number): RecordOut;
  readonly up: RecordOut;
}

export interface CpuContextOptions {
  cpu: number;
  ncpus: number;
  strategy: Strategy;
  /** Send the ARP reply after the chain replied (default true). */
  syncReply: boolean;
  /** The CPU's clock: a VirtualClock (ticked) or a RealClock. */
  clock: Clock;
  /** Send events up (off: replicas do not even build them). */
  events: boolean;
  /** Build trace-class (per-frame) events too (off when the supervisor's sink drops them); default true. */
  traces?: boolean | undefined;
  outs: CpuOuts;
  /** CPU0's sequence counter in shared memory (it survives CPU0's death); default a field. */
  seqWord?: { i32: Int32Array; index: number } | undefined;
  /** shared strategy: CPU0 writes the mirror, the others read it. */
  mirror?: SharedArpMirror | undefined;
  reader?: SharedArpReader | undefined;
  /** Deliberately broken mechanisms for the stress tester (testhooks.ts); off by default. */
  hooks?: CpuTestHooks | undefined;
}

/** What a resync carries from CPU0 to a restarted CPU. */
export interface CpuSnapshot {
  net: NetStackSnapshot;
  /** Last operation applied. */
  seq: number;
  /** CPU0's next arptimer walk (a restarted CPU0 keeps the schedule). */
  timerAt?: number | undefined;
}

/** The origin of a step no replica acts on as its origin. */
const NO_ORIGIN = 0xffff;
interface OpWrite { out: RecordOut | null; at: number; dv: DataView; u8: Uint8Array }

const STEP_KINDS: readonly ArpResolveUpdate['kind'][] = ['resolve', 'refresh', 'clone'];
const SCRATCH = 512;

export class CpuContext {
  readonly cpu: number;
  readonly n: number;
  readonly strategy: Strategy;
  readonly syncReply: boolean;
  readonly clock: CpuClock;
  readonly timers: TimerQueue;
  /** The replica (null on CPUs other than 0 under the shared strategy). */
  readonly rep: ArpReplica | null;
  /**
   * shared strategy, last CPU of several: a standby copy of CPU0's replica.
   * It applies every operation CPU0 numbers and serves nothing (this CPU
   * reads the mirror like the others); a restarted CPU0 is resynchronised
   * from it.
   */
  readonly standby: ArpReplica | null;
  readonly outs: CpuOuts;
  /** Last operation applied here; CPU0: last one numbered. */
  lastSeq = 0;
  /** Operations applied (diagnostics). */
  applied = 0;
  /** Records handled by type (diagnostics). */
  readonly handled = new Float64Array(32);
  /** Errors thrown by handlers (they never kill the CPU). */
  errors = 0;
  lastError: unknown = undefined;

  private readonly seqWord: { i32: Int32Array; index: number } | undefined;
  private readonly mirror: SharedArpMirror | undefined;
  private readonly reader: SharedArpReader | undefined;
  private readonly view = new ArpPacket();
  private readonly decision = new ArpInputDecision();
  private readonly replyDecision = new ArpInputDecision();
  private readonly update: ArpUpdate = newArpUpdate();
  private readonly step: ArpResolveUpdate = { kind: 'resolve', ip: 0, ifindex: 0, time: 0, origin: 0 };
  /** Steps arpresolve emitted during the current output (submitted after it returns: no re-entry). */
  private readonly steps: ArpResolveUpdate[] = [];
  private nsteps = 0;
  private curKey = 0;
  private children = 0;
  private txIdx = 0;
  private evIdx = 0;
  private readonly scratch: Uint8Array[] = [];
  private readonly scratchDv: DataView[] = [];
  private depth = 0;
  private readonly opw: OpWrite = { out: null, at: 0, dv: new DataView(new ArrayBuffer(8)), u8: new Uint8Array(0) };
  private packet = new Uint8Array(2048);
  /** fanout (CPU0): acknowledgements still expected, and the operation, by seq. */
  private readonly pending = new Map<number, { left: number; rec: Uint8Array; admin: AppliedOp | undefined }>();
  private arpTimerHandle: TimerHandle | undefined;
  private arpTimerAt: number | undefined;
  private readonly eventsOn: boolean;
  /** testhooks.ts: the injected bug, if any; while applying an operation; the chain message held back. */
  private readonly bug: InjectedBug | undefined;
  private applying = false;
  private keptChain: Uint8Array | undefined;

  constructor(opts: CpuContextOptions) {
    this.cpu = opts.cpu;
    this.n = opts.ncpus;
    this.strategy = opts.strategy;
    this.syncReply = opts.syncReply;
    this.clock = new CpuClock(opts.clock);
    this.timers = new TimerQueue(this.clock);
    this.outs = opts.outs;
    this.seqWord = opts.seqWord;
    this.mirror = opts.mirror;
    this.reader = opts.reader;
    this.eventsOn = opts.events;
    this.bug = opts.hooks?.bug;
    for (let i = 0; i < 4; i++) {
      const b = new Uint8Array(SCRATCH);
      this.scratch.push(b);
      this.scratchDv.push(new DataView(b.buffer));
    }
    const hasReplica = this.strategy !== 'shared' || this.cpu === 0;
    if (hasReplica) {
      const sink: EventSink = opts.events ? { emit: (ev) => this.emitEvent(ev), traces: opts.traces ?? true } : nullSink;
      const net = new NetStack<Llinfo>({ clock: this.clock, sysctl: new Sysctl(), events: sink, cpu: this.cpu, reporting: this.cpu === 0 });
      this.rep = new ArpReplica({
        net, timers: this.timers, events: sink, startTimer: false,
        transmit: (ifp, frame) => this.tx(ifp.index, frame, 0, frame.length),
        onResolveUpdate: (u) => this.onStep(u),
      });
      // arptimer: one walk for all replicas, numbered by CPU0 like any other change.
      if (this.cpu === 0) this.armArpTimer(1);
    } else {
      this.rep = null;
    }
    if (this.strategy === 'shared' && this.n > 1 && this.cpu === this.n - 1) {
      // Silent: no events, no frames (it holds no packets), no steps of its own.
      const net = new NetStack<Llinfo>({ clock: this.clock, sysctl: new Sysctl(), events: nullSink, cpu: this.cpu, reporting: false });
      this.standby = new ArpReplica({ net, timers: this.timers, events: nullSink, startTimer: false, transmit: () => {}, onResolveUpdate: () => {} });
    } else {
      this.standby = null;
    }
  }

  /** The replica operations are applied to: the serving one, or the standby. */
  private get target(): ArpReplica {
    const r = this.rep ?? this.standby;
    if (r === null) throw new Error(`cpu${this.cpu} has no replica (shared strategy)`);
    return r;
  }

  /** The replica; throws on a CPU without one. */
  get replica(): ArpReplica {
    if (this.rep === null) throw new Error(`cpu${this.cpu} has no replica (shared strategy)`);
    return this.rep;
  }

  // ------------------------------------------------------------------ dispatch

  /** Handle one record. Never throws: a failing handler is counted and logged. */
  handle(type: number, u8: Uint8Array, dv: DataView, off: number, len: number): boolean {
    if (!this.forwardRoom(type, len)) return false;
    this.handled[type & 31]!++;
    try {
      switch (type) {
        case R.R_INPUT: this.onInput(u8, dv, off, len); break;
        case R.R_OUTPUT: this.onOutput(u8, dv, off, len); break;
        case R.R_PROBE: this.onProbe(dv, off); break;
        case R.R_SUBMIT: this.sequence(u8, dv, off, len); break;
        case R.R_CHAIN: this.onChain(u8, dv, off, len); break;
        case R.R_ACK: this.onAck(dv, off); break;
        case R.R_DONE: this.onDone(u8, dv, off, len); break;
        case R.R_TICK: this.onTick(dv.getFloat64(off, true)); break;
        case R.R_PING: this.onPing(u8, dv, off, len); break;
        default: throw new Error(`cpu${this.cpu}: unknown record type ${type}`);
      }
    } catch (e) {
      this.errors++;
      this.lastError = e;
      if (this.errors <= 5) console.error(`arpemu cpu${this.cpu}: record type ${type}:`, e);
    }
    return true;
  }

  /**
   * The channel that had no room for the record handle() refused last
   * (backpressure), and the room it needs.
   */
  blocked: RecordOut | null = null;
  blockedLen = 0;

  /**
   * Backpressure along the chain's direction only: a record that makes this
   * CPU pass an operation on (CPU0 sequencing, a middle replica forwarding)
   * waits in its ring while the next ring is full, instead of queueing in
   * memory. The chain 0 -> 1 -> ... -> n-1 has no cycle and its last replica
   * never waits, so this cannot deadlock; the edges back (replies, submits
   * to CPU0, acks) never wait (they queue when full).
   */
  private forwardRoom(type: number, len: number): boolean {
    if (this.n === 1) return true;
    if (type === R.R_CHAIN) {
      if (this.strategy !== 'chain' || this.cpu + 1 >= this.n) return true;
      const out = this.outs.cpu(this.cpu + 1);
      if (out.room(len)) return true;
      this.blocked = out;
      this.blockedLen = len;
      return false;
    }
    if (this.cpu !== 0) return true;
    let need = 0;
    if (type === R.R_SUBMIT) need = len;
    else if (type === R.R_INPUT || type === R.R_OUTPUT || type === R.R_PROBE || type === R.R_TICK) need = 2 * R.OP_UPDATE_LEN;
    if (need === 0) return true;
    // chain: the next replica; fanout: all of them; shared: the standby.
    const first = this.strategy === 'shared' ? this.n - 1 : 1;
    const last = this.strategy === 'chain' ? 1 : this.n - 1;
    for (let j = first; j <= last; j++) {
      const out = this.outs.cpu(j);
      if (!out.room(need)) { this.blocked = out; this.blockedLen = need; return false; }
    }
    return true;
  }

  /** Publish everything written (end of a batch). */
  flush(): void {
    for (let j = 0; j < this.n; j++) if (j !== this.cpu) this.outs.cpu(j).flush();
    this.outs.up.flush();
  }

  /** Earliest pending timer (Infinity when none). */
  nextDeadline(): number {
    return this.timers.nextDeadline() ?? Infinity;
  }

  private setKey(k: number): void {
    this.curKey = k;
    this.children = 0;
  }

  private nextChild(): number {
    return R.childKey(this.curKey, ++this.children);
  }

  // ------------------------------------------------------------------ output to the supervisor

  private tx(ifindex: number, frame: Uint8Array, off: number, len: number): void {
    this.txOnce(ifindex, frame, off, len);
    // testhooks 'double-send': a held packet (IPv4, released while applying an operation) goes out twice.
    if (this.bug === 'double-send' && this.applying && len > 14 && frame[off + 12] === 0x08 && frame[off + 13] === 0x00) this.txOnce(ifindex, frame, off, len);
  }

  private txOnce(ifindex: number, frame: Uint8Array, off: number, len: number): void {
    const up = this.outs.up;
    const at = up.begin(R.U_TX, R.T_FRAME + len);
    const dv = up.dv;
    dv.setUint32(at + R.T_KEY, this.curKey, true);
    dv.setUint32(at + R.T_CPU, this.cpu, true);
    dv.setUint32(at + R.T_IDX, this.txIdx++, true);
    dv.setUint32(at + R.T_IFINDEX, ifindex, true);
    dv.setFloat64(at + R.T_TIME, this.clock.now(), true);
    const u8 = up.u8;
    const base = at + R.T_FRAME;
    if (len <= 128) for (let i = 0; i < len; i++) u8[base + i] = frame[off + i]!;
    else u8.set(frame.subarray(off, off + len), base);
    up.end();
  }

  private emitEvent(ev: ArpemuEvent): void {
    if (!this.eventsOn) return;
    const line = formatEventLine(ev);
    const up = this.outs.up;
    const at = up.begin(R.U_EVENT, R.E_JSON + R.utf8Bound(line));
    const dv = up.dv;
    dv.setUint32(at + R.E_KEY, this.curKey, true);
    dv.setUint32(at + R.E_CPU, this.cpu, true);
    dv.setUint32(at + R.E_IDX, this.evIdx++, true);
    const n = R.writeUtf8(up.u8, at + R.E_JSON, line);
    up.end(R.E_JSON + n);
  }

  private result(token: number, body: unknown): void {
    const json = JSON.stringify(body);
    const up = this.outs.up;
    const at = up.begin(R.U_RESULT, 4 + R.utf8Bound(json));
    up.dv.setUint32(at, token, true);
    const n = R.writeUtf8(up.u8, at + 4, json);
    up.end(4 + n);
  }

  private diverge(what: unknown): void {
    const json = JSON.stringify(what);
    const up = this.outs.up;
    const at = up.begin(R.U_DIVERGE, R.utf8Bound(json));
    const n = R.writeUtf8(up.u8, at, json);
    up.end(n);
  }

  // ------------------------------------------------------------------ input (in_arpinput on the input CPU)

  private onInput(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    this.setKey(dv.getUint32(off + R.F_KEY, true));
    const rep = this.replica;
    const rcvif = rep.net.ifnetByIndex(dv.getUint32(off + R.F_IFINDEX, true));
    if (rcvif === undefined) return;
    if (classifyFrame(this.view, u8, off + R.F_FRAME, len - R.F_FRAME) !== ARP_OK) return;
    const d = this.decision;
    const rxrequests = rep.stats.rxrequests;
    const drop = inArpInput(rep, this.view, rcvif, d);
    if (this.bug === 'skip-counter') rep.stats.rxrequests = rxrequests; // testhooks: not counted
    if (drop !== 0) return;
    if (!d.hasUpdate) { arpSendReply(rep, d); return; }
    this.submitUpdate(d);
    // lwkt_sendmsg instead of lwkt_domsg: answer without waiting for the chain.
    if (!this.syncReply) arpSendReply(rep, d);
  }

  private submitUpdate(d: ArpInputDecision): void {
    const { out, at, dv } = this.beginOp(R.OP_UPDATE_LEN);
    const u = d.update;
    dv.setUint32(at + R.O_KIND, R.OP_UPDATE, true);
    dv.setUint32(at + R.O_KEY, this.nextChild(), true);
    dv.setInt32(at + R.O_ORIGIN, this.cpu, true);
    dv.setUint32(at + R.O_TOKEN, 0, true);
    dv.setUint32(at + R.U_IFINDEX, u.ifindex, true);
    dv.setUint32(at + R.U_SADDR, u.saddr >>> 0, true);
    dv.setUint32(at + R.U_SHA_HI, R.macHi(u.sha), true);
    dv.setUint32(at + R.U_SHA_LO, R.macLo(u.sha), true);
    dv.setUint32(at + R.U_HLN, u.hln, true);
    dv.setUint32(at + R.U_CREATE, u.create ? 1 : 0, true);
    dv.setUint32(at + R.U_UTIME, u.time, true);
    dv.setUint32(at + R.U_SRC_HI, R.macHi(u.src), true);
    dv.setUint32(at + R.U_SRC_LO, R.macLo(u.src), true);
    dv.setUint32(at + R.U_DFLAGS, (d.isRequest ? 1 : 0) | (d.dupip ? 2 : 0), true);
    dv.setUint32(at + R.U_REPLY_IFINDEX, d.replyIfindex, true);
    dv.setUint32(at + R.U_HRD, d.hrd, true);
    dv.setUint32(at + R.U_ITADDR, d.itaddr >>> 0, true);
    dv.setUint32(at + R.U_MYADDR, d.myaddr >>> 0, true);
    dv.setUint32(at + R.U_EN_HI, R.macHi(d.enaddr), true);
    dv.setUint32(at + R.U_EN_LO, R.macLo(d.enaddr), true);
    dv.setUint32(at + R.U_DSHA_HI, R.macHi(d.sha), true);
    dv.setUint32(at + R.U_DSHA_LO, R.macLo(d.sha), true);
    dv.setUint32(at + R.U_SPA, d.spa >>> 0, true);
    this.endOp(out, at, R.OP_UPDATE_LEN);
  }

  /**
   * Start an operation record for CPU0: into the ring to CPU0, or, on CPU0
   * itself, into a scratch buffer sequenced at once by endOp().
   */
  private beginOp(len: number): OpWrite {
    const w = this.opw; // reused: callers destructure it at once
    if (this.cpu !== 0) {
      const out = this.outs.cpu(0);
      const at = out.begin(R.R_SUBMIT, len);
      const dv = out.dv;
      dv.setFloat64(at + R.O_SEQ, 0, true);
      dv.setFloat64(at + R.O_TIME, 0, true);
      w.out = out; w.at = at; w.dv = dv; w.u8 = out.u8;
      return w;
    }
    w.out = null; w.at = 0;
    if (len > SCRATCH) {
      const b = new Uint8Array(len);
      w.dv = new DataView(b.buffer); w.u8 = b;
      return w;
    }
    const i = this.depth;
    if (i >= this.scratch.length) {
      const b = new Uint8Array(SCRATCH);
      this.scratch.push(b);
      this.scratchDv.push(new DataView(b.buffer));
    }
    w.dv = this.scratchDv[i]!; w.u8 = this.scratch[i]!;
    return w;
  }

  private endOp(out: RecordOut | null, at: number, len: number, u8?: Uint8Array, dv?: DataView): void {
    if (out !== null) { out.end(len); return; }
    const b = u8 ?? this.scratch[this.depth]!;
    const v = dv ?? this.scratchDv[this.depth]!;
    this.depth++;
    const key = this.curKey;
    try { this.sequence(b, v, at, len); } finally { this.depth--; this.setKey(key); }
  }

  // ------------------------------------------------------------------ output (ip_output + arpresolve)

  private onOutput(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    this.setKey(dv.getUint32(off + R.P_KEY, true));
    const dst = dv.getUint32(off + R.P_DST, true);
    const handed = (dv.getUint32(off + R.P_FLAGS, true) & 1) !== 0;
    if (this.rep === null) {
      // shared, not CPU0: a hit in the mirror is sent from here, the rest goes to CPU0.
      const size = dv.getUint32(off + R.P_SIZE, true);
      this.ensurePacket(size);
      if (this.reader!.output(this, dst, dv.getUint32(off + R.P_PROTO, true), size, dv.getUint32(off + R.P_ID, true), buildDatagram)) return;
      this.handOn(0, u8, off, len);
      return;
    }
    const rep = this.rep;
    if (!handed && this.n > 1 && this.strategy !== 'shared') {
      // The owner of the next hop holds and releases its packets.
      const rt = rep.routes.lookup(dst);
      const nexthop = rt !== null && (rt.flags & RTF_GATEWAY) !== 0 ? rt.gwLo >>> 0 : dst;
      const owner = cpuOfAddr(nexthop, this.n);
      if (owner !== this.cpu) { this.handOn(owner, u8, off, len); return; }
    }
    const plen = this.buildPacket(dst, dv.getUint32(off + R.P_PROTO, true), dv.getUint32(off + R.P_SIZE, true), dv.getUint32(off + R.P_ID, true));
    this.nsteps = 0;
    arpOutput(rep, plen < 0 ? null : this.packet.subarray(0, plen), dst);
    this.submitSteps();
  }

  /** Source address for a datagram to `dst`: the address of the route's interface address (0 when unrouted). */
  sourceFor(dst: number): number {
    const rt = this.replica.routes.lookup(dst);
    return rt?.ifa?.addr ?? 0;
  }

  /** Build the datagram into this.packet; returns its length. */
  private buildPacket(dst: number, proto: number, size: number, id: number): number {
    this.ensurePacket(size);
    return buildDatagram(this.packet, this.sourceFor(dst), dst, proto, size, id);
  }

  private ensurePacket(size: number): void {
    if (size + 64 > this.packet.length) this.packet = new Uint8Array(size + 64);
  }

  /** The packet buffer (the shared reader builds into it too). */
  get packetBuf(): Uint8Array { return this.packet; }

  /** Transmit a frame from outside the replica (shared reader hits). */
  transmit(ifindex: number, frame: Uint8Array, len: number): void { this.tx(ifindex, frame, 0, len); }

  private handOn(cpu: number, u8: Uint8Array, off: number, len: number): void {
    const out = this.outs.cpu(cpu);
    const at = forwardRecord(out, R.R_OUTPUT, u8, off, len);
    const dv = out.dv;
    dv.setUint32(at + R.P_FLAGS, dv.getUint32(at + R.P_FLAGS, true) | 1, true);
    out.end();
  }

  private onStep(u: ArpResolveUpdate): void {
    let origin = u.origin;
    if (u.kind === 'refresh') {
      // The seed's arpresolve sends the refresh request at once, before the
      // packet goes out; keep that order (and the one-CPU output): the
      // resolving CPU asks now, and the step only replicates la_preempt
      // (no replica is its origin, so none asks again).
      const rep = this.replica;
      const ifp = rep.net.ifnetByIndex(u.ifindex);
      if (ifp !== undefined) {
        const rt = rep.routes.lookupHost(u.ip);
        const sip = rt?.ifa?.addr ?? ifp.addrs[0]?.addr ?? 0;
        arpRequest(rep, ifp, sip, u.ip, null, 'refresh');
      }
      origin = NO_ORIGIN;
    }
    let s = this.steps[this.nsteps];
    if (s === undefined) { s = { kind: 'resolve', ip: 0, ifindex: 0, time: 0, origin: 0 }; this.steps.push(s); }
    s.kind = u.kind; s.ip = u.ip; s.ifindex = u.ifindex; s.time = u.time; s.origin = origin;
    this.nsteps++;
  }

  private submitSteps(): void {
    const n = this.nsteps;
    this.nsteps = 0;
    for (let i = 0; i < n; i++) {
      const s = this.steps[i]!;
      const { out, at, dv } = this.beginOp(R.OP_RSTEP_LEN);
      dv.setUint32(at + R.O_KIND, R.OP_RSTEP, true);
      dv.setUint32(at + R.O_KEY, this.nextChild(), true);
      dv.setInt32(at + R.O_ORIGIN, this.cpu, true);
      dv.setUint32(at + R.O_TOKEN, 0, true);
      dv.setUint32(at + R.S_KIND, STEP_KINDS.indexOf(s.kind), true);
      dv.setUint32(at + R.S_IP, s.ip >>> 0, true);
      dv.setUint32(at + R.S_IFINDEX, s.ifindex, true);
      dv.setUint32(at + R.S_TIME, s.time, true);
      dv.setUint32(at + R.S_ORIGIN, s.origin, true);
      this.endOp(out, at, R.OP_RSTEP_LEN);
    }
  }

  // ------------------------------------------------------------------ probe (arpemu resolve)

  private onProbe(dv: DataView, off: number): void {
    this.setKey(dv.getUint32(off + R.Q_KEY, true));
    const dst = dv.getUint32(off + R.Q_DST, true);
    const token = dv.getUint32(off + R.Q_TOKEN, true);
    const rep = this.replica;
    this.nsteps = 0;
    const code = arpOutput(rep, null, dst);
    this.submitSteps();
    const up = this.outs.up;
    const at = up.begin(R.U_PROBE, R.B_LEN);
    const udv = up.dv;
    udv.setUint32(at + R.B_TOKEN, token, true);
    udv.setUint32(at + R.B_CODE, code, true);
    udv.setUint32(at + R.B_MAC_HI, code === 0 ? R.macHi(rep.mac) : 0, true);
    udv.setUint32(at + R.B_MAC_LO, code === 0 ? R.macLo(rep.mac) : 0, true);
    up.end();
  }

  // ------------------------------------------------------------------ the replicated operations

  /** CPU0: number an operation, apply it here, and pass it on by the strategy. */
  private sequence(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    if (this.cpu !== 0) throw new Error(`cpu${this.cpu}: only CPU0 sequences operations`);
    const w = this.seqWord;
    const seq = w === undefined ? this.lastSeq + 1 : Atomics.add(w.i32, w.index, 1) + 1;
    dv.setFloat64(off + R.O_SEQ, seq, true);
    dv.setFloat64(off + R.O_TIME, this.clock.now(), true);
    // An operation CPU0 refused still travels: every replica refuses it the
    // same way, including whatever the refusal changed on the way.
    this.applyOp(u8, dv, off, len, true);
    const admin = this.lastAdmin;
    if (this.n === 1) { this.finish(u8, dv, off, len, admin); return; }
    if (this.strategy === 'shared') {
      // The standby applies it in its own time; CPU0 answers now.
      const out = this.outs.cpu(this.n - 1);
      forwardRecord(out, R.R_CHAIN, u8, off, len);
      out.end();
      this.finish(u8, dv, off, len, admin);
      return;
    }
    if (this.strategy === 'chain') {
      const out = this.outs.cpu(1);
      forwardRecord(out, R.R_CHAIN, u8, off, len);
      out.end();
      return;
    }
    // fanout
    for (let j = 1; j < this.n; j++) {
      const out = this.outs.cpu(j);
      forwardRecord(out, R.R_CHAIN, u8, off, len);
      out.end();
    }
    this.pending.set(seq, { left: this.n - 1, rec: u8.slice(off, off + len), admin });
  }

  /** A sequenced operation reaching this replica. */
  private onChain(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    if (this.bug === 'reorder-chain' && this.cpu === 1 && dv.getUint32(off + R.O_KIND, true) !== R.OP_ADMIN) {
      // testhooks: keep every other message (admin ones aside) and let it out after the next one.
      const kept = this.keptChain;
      if (kept === undefined) { this.keptChain = u8.slice(off, off + len); return; }
      this.keptChain = undefined;
      this.onChainInOrder(u8, dv, off, len);
      this.onChainInOrder(kept, new DataView(kept.buffer, kept.byteOffset, kept.byteLength), 0, kept.length);
      return;
    }
    this.onChainInOrder(u8, dv, off, len);
  }

  private onChainInOrder(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    const seq = dv.getFloat64(off + R.O_SEQ, true);
    // At-least-once delivery after a restart: what the resync snapshot already holds is not applied twice.
    this.lastAdmin = undefined;
    if (seq > this.lastSeq) this.applyOp(u8, dv, off, len, false);
    if (this.strategy === 'shared') return; // the standby: nobody waits for it
    if (this.strategy === 'fanout') {
      const out = this.outs.cpu(0);
      const at = out.begin(R.R_ACK, 8);
      out.dv.setFloat64(at, seq, true);
      out.end();
      return;
    }
    if (this.cpu + 1 < this.n) {
      const out = this.outs.cpu(this.cpu + 1);
      forwardRecord(out, R.R_CHAIN, u8, off, len);
      out.end();
    } else {
      this.finish(u8, dv, off, len, this.lastAdmin);
    }
  }

  private onAck(dv: DataView, off: number): void {
    const seq = dv.getFloat64(off, true);
    const p = this.pending.get(seq);
    if (p === undefined) return;
    if (--p.left > 0) return;
    this.pending.delete(seq);
    this.finish(p.rec, new DataView(p.rec.buffer, p.rec.byteOffset, p.rec.byteLength), 0, p.rec.length, p.admin);
  }

  /** Every replica has applied the operation: reply to whoever sent it. */
  private finish(u8: Uint8Array, dv: DataView, off: number, len: number, admin: AppliedOp | undefined): void {
    const kind = dv.getUint32(off + R.O_KIND, true);
    if (kind === R.OP_ADMIN) {
      if (this.cpu === 0 && (this.n === 1 || this.strategy === 'shared')) {
        // CPU0 is also the last: its failure was reported as final already.
        if (admin !== undefined) this.result(dv.getUint32(off + R.O_TOKEN, true), { ok: true, result: admin, final: true });
        return;
      }
      this.result(dv.getUint32(off + R.O_TOKEN, true), { ok: true, final: true });
      return;
    }
    if (kind !== R.OP_UPDATE || !this.syncReply) return;
    if ((dv.getUint32(off + R.U_DFLAGS, true) & 1) === 0) return; // not a request: nothing to answer
    const origin = dv.getInt32(off + R.O_ORIGIN, true);
    if (origin === this.cpu) { this.onDone(u8, dv, off, len); return; }
    const out = this.outs.cpu(origin);
    forwardRecord(out, R.R_DONE, u8, off, len);
    out.end();
  }

  /** The originator, after the chain replied: send the ARP reply (the rest of in_arpinput). */
  private onDone(_u8: Uint8Array, dv: DataView, off: number, _len: number): void {
    if (dv.getUint32(off + R.O_KIND, true) !== R.OP_UPDATE) return;
    this.setKey(R.replyKey(dv.getUint32(off + R.O_KEY, true)));
    const d = this.replyDecision;
    d.reset();
    const fl = dv.getUint32(off + R.U_DFLAGS, true);
    d.isRequest = (fl & 1) !== 0;
    d.dupip = (fl & 2) !== 0;
    d.replyIfindex = dv.getUint32(off + R.U_REPLY_IFINDEX, true);
    d.hrd = dv.getUint32(off + R.U_HRD, true);
    d.itaddr = dv.getUint32(off + R.U_ITADDR, true);
    d.myaddr = dv.getUint32(off + R.U_MYADDR, true);
    d.enaddr = R.macOf(dv.getUint32(off + R.U_EN_HI, true), dv.getUint32(off + R.U_EN_LO, true));
    d.sha = R.macOf(dv.getUint32(off + R.U_DSHA_HI, true), dv.getUint32(off + R.U_DSHA_LO, true));
    d.spa = dv.getUint32(off + R.U_SPA, true);
    arpSendReply(this.replica, d);
  }

  /** The result of the last admin operation applied here (reported by the replica that finishes it). */
  private lastAdmin: AppliedOp | undefined = undefined;

  /**
   * Apply one sequenced operation to this replica at the operation's time.
   * Returns false when CPU0 refused an admin operation (not propagated).
   */
  private applyOp(u8: Uint8Array, dv: DataView, off: number, len: number, first: boolean): boolean {
    const seq = dv.getFloat64(off + R.O_SEQ, true);
    this.lastSeq = seq;
    this.applied++;
    const rep = this.target;
    const saveKey = this.curKey;
    this.setKey(dv.getUint32(off + R.O_KEY, true));
    this.clock.pin(dv.getFloat64(off + R.O_TIME, true));
    this.applying = true;
    try {
      switch (dv.getUint32(off + R.O_KIND, true)) {
        case R.OP_UPDATE: {
          const u = this.update;
          u.ifindex = dv.getUint32(off + R.U_IFINDEX, true);
          u.saddr = dv.getUint32(off + R.U_SADDR, true);
          u.sha = R.macOf(dv.getUint32(off + R.U_SHA_HI, true), dv.getUint32(off + R.U_SHA_LO, true));
          u.hln = dv.getUint32(off + R.U_HLN, true);
          u.create = dv.getUint32(off + R.U_CREATE, true) !== 0;
          u.time = dv.getUint32(off + R.U_UTIME, true);
          u.src = R.macOf(dv.getUint32(off + R.U_SRC_HI, true), dv.getUint32(off + R.U_SRC_LO, true));
          if (this.bug === 'skip-update' && this.cpu === this.n - 1) return true; // testhooks: not applied
          if (this.bug === 'perm-overwrite' && u.hln === 6) {
            // testhooks: what arp_update_oncpu refuses, done anyway.
            const rt = rep.routes.lookupHost(u.saddr);
            if (rt !== null && rt.expire === 0 && (rt.flags & RTF_LOCAL) === 0 && rt.hasLladdr()) rt.setLladdr(u.sha);
          }
          arpUpdateOnCpu(rep, u);
          this.mirror?.syncAddr(rep, u.saddr);
          return true;
        }
        case R.OP_RSTEP: {
          const s = this.step;
          s.kind = STEP_KINDS[dv.getUint32(off + R.S_KIND, true)] ?? 'resolve';
          s.ip = dv.getUint32(off + R.S_IP, true);
          s.ifindex = dv.getUint32(off + R.S_IFINDEX, true);
          s.time = dv.getUint32(off + R.S_TIME, true);
          s.origin = dv.getUint32(off + R.S_ORIGIN, true);
          arpResolveOnCpu(rep, s);
          this.mirror?.syncAddr(rep, s.ip);
          return true;
        }
        case R.OP_TIMER:
          arpTimer(rep);
          this.mirror?.syncAll(rep);
          return true;
        case R.OP_ADMIN:
          return this.applyAdmin(u8, dv, off, first);
        default:
          throw new Error(`cpu${this.cpu}: unknown operation kind`);
      }
    } finally {
      this.applying = false;
      this.clock.unpin();
      this.setKey(saveKey);
      void len;
    }
  }

  /**
   * Apply an admin operation. CPU0 reports the outcome (result or errno)
   * and writes it into the record; the others check they agree with it.
   */
  private applyAdmin(u8: Uint8Array, dv: DataView, off: number, first: boolean): boolean {
    const token = dv.getUint32(off + R.O_TOKEN, true);
    const json = R.readUtf8(u8, off + R.A_JSON, dv.getUint32(off + R.A_LEN, true));
    const op = JSON.parse(json) as EmuOp;
    const rep = this.target;
    let failed: { code: string; message: string } | undefined;
    try {
      this.lastAdmin = applyEmuOpOnCpu(rep, op, this.cpu === 0);
    } catch (e) {
      this.lastAdmin = undefined;
      failed = { code: isArpemuError(e) ? e.code : 'EINVAL', message: e instanceof Error ? e.message : String(e) };
    }
    this.mirror?.syncAll(rep);
    const last = this.n === 1 || this.strategy === 'shared';
    if (first) {
      dv.setUint32(off + R.A_STATUS, failed === undefined ? 0 : 1, true);
      if (failed !== undefined) this.result(token, { ok: false, ...failed, final: last });
      else if (!last) this.result(token, { ok: true, result: this.lastAdmin, final: false });
    } else if ((dv.getUint32(off + R.A_STATUS, true) !== 0) !== (failed !== undefined)) {
      this.diverge({ cpu: this.cpu, op, cpu0: dv.getUint32(off + R.A_STATUS, true) === 0 ? 'ok' : 'failed', here: failed ?? 'ok' });
    }
    return failed === undefined;
  }

  /** Submit an admin operation as CPU0 would receive it from the supervisor (inline tests, control). */
  submitAdmin(token: number, op: EmuOp, key = 0): void {
    const json = JSON.stringify(op);
    const bound = R.A_JSON + R.utf8Bound(json);
    const { out, at, dv, u8 } = this.beginOp(bound);
    dv.setUint32(at + R.O_KIND, R.OP_ADMIN, true);
    dv.setUint32(at + R.O_KEY, key, true);
    dv.setInt32(at + R.O_ORIGIN, -1, true);
    dv.setUint32(at + R.O_TOKEN, token, true);
    dv.setUint32(at + R.A_STATUS, 0, true);
    const n = R.writeUtf8(u8, at + R.A_JSON, json);
    dv.setUint32(at + R.A_LEN, n, true);
    this.endOp(out, at, R.A_JSON + n, u8, dv);
  }

  // ------------------------------------------------------------------ time

  private armArpTimer(delay: number): void {
    this.timers.cancel(this.arpTimerHandle);
    this.arpTimerAt = this.clock.now() + delay;
    this.arpTimerHandle = this.timers.after(delay, () => {
      this.arpTimerHandle = undefined;
      this.arpTimerAt = undefined;
      const { out, at, dv } = this.beginOp(R.OP_TIMER_LEN);
      dv.setUint32(at + R.O_KIND, R.OP_TIMER, true);
      dv.setUint32(at + R.O_KEY, this.nextChild(), true);
      dv.setInt32(at + R.O_ORIGIN, this.cpu, true);
      dv.setUint32(at + R.O_TOKEN, 0, true);
      this.endOp(out, at, R.OP_TIMER_LEN);
      this.armArpTimer(this.replica.sysctl.v.pruneIntvl);
    });
  }

  private onTick(t: number): void {
    this.setKey(0);
    const base = this.clock.base;
    if (base instanceof VirtualClock) {
      if (t >= base.now()) runVirtualUntil(base, this.timers, t);
    } else {
      this.timers.runDue();
    }
  }

  /** Real time: run due timers (the worker calls this from its setTimeout). */
  runDue(): void {
    this.setKey(0);
    this.timers.runDue();
  }

  // ------------------------------------------------------------------ benchmark hop

  private onPing(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    // [hops left, ...]: forward to the next CPU until 0, then pong up.
    const left = dv.getUint32(off, true);
    if (left === 0) {
      const up = this.outs.up;
      forwardRecord(up, R.U_PONG, u8, off, len);
      up.end();
      return;
    }
    const out = this.outs.cpu((this.cpu + 1) % this.n);
    const at = forwardRecord(out, R.R_PING, u8, off, len);
    out.dv.setUint32(at, left - 1, true);
    out.end();
  }

  // ------------------------------------------------------------------ control

  /**
   * Benchmark: `n` arpresolve hits on this replica, cycling over its
   * resolved entries (rt0 null: looked up by address, as bench/arp.bench.ts).
   * Returns the lookups done, the hits, and the seconds they took.
   */
  benchResolve(n: number): { lookups: number; hits: number; seconds: number } {
    const rep = this.replica;
    const addrs: number[] = [];
    let ifindex = 0;
    rep.routes.forEach((rt) => {
      if (!rt.isNet && rt.hasLladdr() && rt.expire !== 0 && (rt.flags & RTF_GATEWAY) === 0) { addrs.push(rt.dst >>> 0); ifindex = rt.ifp.index; }
    });
    const ifp = rep.net.ifnetByIndex(ifindex);
    if (addrs.length === 0 || ifp === undefined) return { lookups: 0, hits: 0, seconds: 0 };
    const mask = (1 << Math.floor(Math.log2(addrs.length))) - 1;
    let hits = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (arpResolve(rep, ifp, null, null, addrs[i & mask]!) === ARPRES_RESOLVED) hits++;
    return { lookups: n, hits, seconds: (performance.now() - t0) / 1000 };
  }

  dump(): CpuDump {
    const rep = this.replica;
    return { cpu: this.cpu, arp: arpList(rep), routes: rep.net.dump().routes };
  }

  interfaces(): ReturnType<NetStack['dump']>['interfaces'] {
    return this.replica.net.dump().interfaces;
  }

  stats(): ArpStatValues {
    return this.replica.stats.toJSON();
  }

  /** sysctl NAME, or every knob; ENOENT for an unknown name. */
  sysctl(name?: string): KnobInfo[] {
    const s = this.replica.sysctl;
    if (name === undefined) return s.list();
    if (!s.has(name)) throw errno('ENOENT', `sysctl: unknown oid '${name}'`);
    return [{ ...s.describe(name), value: s.get(name) }];
  }

  snapshot(): CpuSnapshot {
    return { net: this.target.net.snapshot(), seq: this.lastSeq, timerAt: this.arpTimerAt };
  }

  /**
   * Make this CPU equal to `snap` (a restarted CPU, before it takes work):
   * its replica or standby, the last operation applied, CPU0's mirror and
   * arptimer schedule. A CPU with neither keeps only the sequence number.
   */
  restore(snap: CpuSnapshot): void {
    const rep = this.rep ?? this.standby;
    if (rep !== null) {
      rep.net.restore(snap.net);
      rep.held.clear();
      // What the dead CPU0 left in the mirror may be half written: rebuild it.
      this.mirror?.syncAll(rep);
    }
    this.lastSeq = snap.seq;
    if (this.cpu === 0 && snap.timerAt !== undefined) this.armArpTimer(Math.max(0, snap.timerAt - this.clock.now()));
  }
}

/**
 * The emulator's own datagram to `dst` from `src` (CONTRACT.md `traffic`):
 * the same bytes as datagram.ts's buildDatagram (UDP to the discard port for
 * proto 17, else a bare IPv4 header and `size` zero bytes), written into a
 * reused buffer. Returns the length written into `buf`.
 */
export function buildDatagram(buf: Uint8Array, src: number, dst: number, proto: number, size: number, id: number): number {
  if (proto === IPPROTO_UDP) {
    return emitUdpDatagram(buf, 0, { src, dst, srcPort: TRAFFIC_SRC_PORT, payloadLen: size, id });
  }
  const at = emitIpv4Header({ src, dst, proto, payloadLen: size, ttl: 64, id }, buf, 0);
  buf.fill(0, at, at + size);
  return at + size;
}
