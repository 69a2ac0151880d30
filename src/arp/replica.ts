/**
 * One CPU's ARP state: the replica's NetStack (interfaces, addresses, the
 * route table whose RTF_LLINFO host routes are the ARP cache), its held
 * packets, its arptimer, its counters and its event output. Everything the
 * seed keeps per CPU (`llinfo_arp_list[cpu]`, `arptimer_ch[cpu]`) lives
 * here; nothing is module-global, so any number of replicas share a thread.
 *
 * Frames leave through an injected `transmit(ifp, frame)`: the frame is
 * valid only during the call (buffers are reused), as with Link.send.
 */
import type { Clock } from '../util/clock.js';
import type { TimerQueue, TimerHandle } from '../util/timers.js';
import { makeEvent, nullSink, type ArpemuEvent, type EventFieldMap, type EventName, type EventSink, type ExtraFields } from '../util/events.js';
import { RateLimitedLog, RateLimiter } from '../util/ratelimit.js';
import type { Sysctl } from '../sysctl/index.js';
import type { Ifnet, InIfaddr } from '../inet/ifnet.js';
import type { NetStack } from '../inet/stack.js';
import { ARP_FRAME_LEN } from '../wire/arp.js';
import { ArpStat } from './stats.js';
import { arpTime, type ArpRouteTable, type HeldPacket, type Llinfo } from './llinfo.js';
import { arpIfAddr, arpRtRequest } from './rtrequest.js';
import { arpTimer } from './lookup.js';
import type { ArpResolveUpdate } from './resolve.js';

/** Sends one frame on `ifp`; `frame` may be reused after the call returns. */
export type ArpTransmit = (ifp: Ifnet, frame: Uint8Array) => void;

export interface ArpReplicaOptions {
  /** The replica's inet state; clock, sysctl, cpu and reporting come from it. */
  net: NetStack<Llinfo>;
  /** Timer queue on the same clock (arptimer runs on it). */
  timers: TimerQueue;
  transmit: ArpTransmit;
  /**
   * Event output; default `net.events`. Diagnostics caused by remote input
   * (class 'log') go through a max_log_per_second limiter first.
   */
  events?: EventSink | undefined;
  /** Start arptimer at once (first walk after 1 s, as the seed's first callout). Default true. */
  startTimer?: boolean | undefined;
  /**
   * Send the kernel's gratuitous request when an address is added (seed
   * arp_ifaddr). Default true; a conflict-detection (ACD) front end turns it
   * off and announces once the address is bound.
   */
  gratuitous?: boolean | undefined;
  /**
   * Replicated resolution (see ArpResolveUpdate): arpResolve then changes
   * no entry itself but hands each step to this function, for the driver to
   * apply on every replica with arpResolveOnCpu. Omitted: the seed's
   * behaviour, each CPU resolving on its own copy.
   */
  onResolveUpdate?: ((u: ArpResolveUpdate) => void) | undefined;
}

export class ArpReplica {
  readonly net: NetStack<Llinfo>;
  readonly routes: ArpRouteTable;
  readonly clock: Clock;
  readonly sysctl: Sysctl;
  readonly timers: TimerQueue;
  transmit: ArpTransmit;
  readonly stats = new ArpStat();
  /** la_hold: the packet each entry holds on this CPU, by the entry's key (`rt.key`, the int32 address). */
  readonly held = new Map<number, HeldPacket>();
  /** Rate-limited event output. */
  readonly log: RateLimitedLog;
  /** False when events go nowhere: `log`-class events are then not even built. */
  logging: boolean;
  /** False when `trace`-class (per-frame) events would be dropped: they are then not even built. */
  tracing: boolean;
  gratuitous: boolean;
  /** Replicated-resolution output (null: the seed's per-CPU resolution). */
  resolveSink: ((u: ArpResolveUpdate) => void) | null;
  /**
   * arpResolve's out-parameter: the destination MAC of the last call that
   * returned ARPRES_RESOLVED (read it before the next call).
   */
  mac = 0;
  /** Scratch buffer for the ARP frames this replica sends (42 bytes). */
  readonly txArp = new Uint8Array(ARP_FRAME_LEN);
  /** Set while an operation applies with an explicit isCpu0 (hooks read it). */
  reportOverride: boolean | undefined = undefined;
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;

  constructor(opts: ArpReplicaOptions) {
    this.net = opts.net;
    this.routes = opts.net.routes;
    this.clock = opts.net.clock;
    this.sysctl = opts.net.sysctl;
    this.timers = opts.timers;
    this.transmit = opts.transmit;
    this.gratuitous = opts.gratuitous ?? true;
    this.resolveSink = opts.onResolveUpdate ?? null;
    const sink = opts.events ?? opts.net.events;
    this.logging = sink !== nullSink;
    this.tracing = this.logging && sink.traces !== false;
    this.log = new RateLimitedLog(sink, new RateLimiter(this.clock, () => this.sysctl.v.maxLogPerSecond));
    // arp_ifinit: ARP owns the route hook of Ethernet addresses, and listens
    // for new addresses (arp_ifaddr).
    const hooks = opts.net.hooks;
    hooks.rtRequest = (cmd, rt) => arpRtRequest(this, cmd, rt);
    hooks.addrAdded = (ia: InIfaddr) => arpIfAddr(this, ia, 'add');
    hooks.llinfoSave = (rt) => rt.llinfo;
    hooks.llinfoLoad = (_rt, saved) => (typeof saved === 'number' ? saved : 0);
    if (opts.startTimer ?? true) this.startTimer(1);
  }

  get cpu(): number { return this.net.cpu; }
  /** This replica reports and logs (CPU0), unless an operation overrides it. */
  get reporting(): boolean { return this.reportOverride ?? this.net.reporting; }
  /** ARP's time_second (see arpTime). */
  now(): number { return arpTime(this.clock); }

  emit<N extends EventName>(name: N, fields: EventFieldMap[N] & ExtraFields): void {
    this.log.emit(makeEvent(name, this.clock.now(), this.cpu, fields) as unknown as ArpemuEvent);
  }

  /**
   * Arm arptimer `delay` seconds from now (it re-arms itself every
   * prune_intvl). A replica started or resynchronised later can align its
   * walks with CPU0's by passing `cpu0.timerAt - now`.
   */
  startTimer(delay: number): void {
    this.timers.cancel(this.timer);
    this.timerAt = this.clock.now() + delay;
    this.timer = this.timers.after(delay, () => {
      this.timer = undefined;
      this.timerAt = undefined;
      arpTimer(this);
      this.startTimer(this.sysctl.v.pruneIntvl);
    });
  }

  stopTimer(): void {
    this.timers.cancel(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  /** Clock time of the next arptimer walk, or undefined when stopped. */
  get nextWalk(): number | undefined { return this.timerAt; }

  /** Run `fn` with hooks seeing `isCpu0` as this replica's reporting role. */
  withRole<R>(isCpu0: boolean | undefined, fn: () => R): R {
    if (isCpu0 === undefined) return fn();
    const prev = this.reportOverride;
    this.reportOverride = isCpu0;
    try { return fn(); } finally { this.reportOverride = prev; }
  }
}
