/**
 * RFC 5227 IPv4 Address Conflict Detection, with the semantics of dhcpcd's
 * arp.c: probe (arpProbe -> arpProbe1 re-armed with a random delay ->
 * arpProbed), announce (arpAnnounce1 -> arpAnnounced), defend once per
 * DEFEND_INTERVAL (arpFound), conflict reports that carry both the ARP
 * sender and the Ethernet source hardware address.
 *
 * Pure and clock driven: time comes from the injected Clock/TimerQueue,
 * randomness from an injected seeded Random, frames leave through a `send`
 * callback and arrive through `input`. One AcdMachine per (interface,
 * address); an AcdManager per interface routes received frames to them.
 *
 * Where we differ from dhcpcd, on purpose:
 *  - the first probe waits a random [0, PROBE_WAIT) (dhcpcd leaves that to
 *    its callers);
 *  - once the address is in use, only an ARP whose sender IP is the address
 *    is a conflict (RFC 5227 2.4); a probe for it is answered by the kernel
 *    code, not defended against;
 *  - rate limiting (RFC 5227 2.1.1) lives here, in a counter shared by the
 *    machines of one interface.
 */
import { errno } from '../util/errors.js';
import type { Clock } from '../util/clock.js';
import type { TimerHandle, TimerQueue } from '../util/timers.js';
import type { Random } from '../util/random.js';
import { makeEvent, nullSink, type ArpemuEvent, type EventFieldMap, type EventSink, type ExtraFields } from '../util/events.js';
import {
  IPV4_ANY, MAC_BROADCAST, MAC_ZERO, formatIpv4, formatMac, isMacGroup, readMac,
  type Ipv4, type Mac,
} from '../wire/addr.js';
import {
  ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, ARP_OK, ArpPacket, classifyFrame, emitArpFrame,
} from '../wire/arp.js';

// RFC 5227 section 1.1 constants, in seconds (counts are plain numbers).
/** Longest random delay before the first probe. */
export const PROBE_WAIT = 1;
/** Probes sent. */
export const PROBE_NUM = 3;
/** Shortest spacing between probes. */
export const PROBE_MIN = 1;
/** Longest spacing between probes. */
export const PROBE_MAX = 2;
/** Wait after the last probe before the address is ours. */
export const ANNOUNCE_WAIT = 2;
/** Announcements sent once bound. */
export const ANNOUNCE_NUM = 2;
/** Spacing between announcements. */
export const ANNOUNCE_INTERVAL = 2;
/** Conflicts on one interface after which probing is rate limited. */
export const MAX_CONFLICTS = 10;
/** Once rate limited, at most one probing attempt per this many seconds. */
export const RATE_LIMIT_INTERVAL = 60;
/** A second conflict within this many seconds of a defence gives the address up. */
export const DEFEND_INTERVAL = 10;

/** The timing and limits a machine runs with (the RFC's by default). */
export interface AcdTiming {
  readonly probeWait: number;
  readonly probeNum: number;
  readonly probeMin: number;
  readonly probeMax: number;
  readonly announceWait: number;
  readonly announceNum: number;
  readonly announceInterval: number;
  readonly maxConflicts: number;
  readonly rateLimitInterval: number;
  readonly defendInterval: number;
}

export const RFC5227_TIMING: AcdTiming = Object.freeze({
  probeWait: PROBE_WAIT,
  probeNum: PROBE_NUM,
  probeMin: PROBE_MIN,
  probeMax: PROBE_MAX,
  announceWait: ANNOUNCE_WAIT,
  announceNum: ANNOUNCE_NUM,
  announceInterval: ANNOUNCE_INTERVAL,
  maxConflicts: MAX_CONFLICTS,
  rateLimitInterval: RATE_LIMIT_INTERVAL,
  defendInterval: DEFEND_INTERVAL,
});

/** The RFC timing with some fields replaced; throws EINVAL naming a bad field. */
export function acdTiming(over: Partial<AcdTiming> = {}): AcdTiming {
  const t: AcdTiming = { ...RFC5227_TIMING, ...over };
  for (const [k, v] of Object.entries(t) as [keyof AcdTiming, number][]) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw errno('EINVAL', `acd timing.${k} must be a finite number >= 0, got ${String(v)}`);
    }
  }
  for (const k of ['probeNum', 'announceNum', 'maxConflicts'] as const) {
    if (!Number.isInteger(t[k])) throw errno('EINVAL', `acd timing.${k} must be an integer, got ${t[k]}`);
  }
  if (t.probeNum < 1) throw errno('EINVAL', `acd timing.probeNum must be >= 1, got ${t.probeNum}`);
  if (t.probeMin > t.probeMax) {
    throw errno('EINVAL', `acd timing.probeMin (${t.probeMin}) must not exceed probeMax (${t.probeMax})`);
  }
  return Object.freeze(t);
}

/**
 * Per-interface conflict count (RFC 5227 2.1.1), shared by every machine on
 * that interface. It counts conflicts that cost an attempt or an address
 * (conflict while probing, failed defence); a defended conflict does not
 * count. It never decays on its own, as the RFC gives no rule for that:
 * the host may `reset()` it.
 */
export class AcdConflictCounter {
  /** Conflicts that ended an attempt or gave an address up. */
  conflicts = 0;
  /** Time the latest attempt's first probe was scheduled for (undefined: none yet). */
  lastProbeAt: number | undefined = undefined;

  rateLimited(maxConflicts: number = MAX_CONFLICTS): boolean {
    return this.conflicts >= maxConflicts;
  }

  reset(): void {
    this.conflicts = 0;
    this.lastProbeAt = undefined;
  }
}

/**
 * Where a machine is:
 * - `init`: made, not started;
 * - `probing`: listening and probing (also while waiting for PROBE_WAIT or a rate-limit slot);
 * - `announcing`: bound and sending its announcements;
 * - `bound`: in use, announcements done;
 * - `defending`: bound (or announcing) and a defence was made within DEFEND_INTERVAL;
 * - `conflicted`: someone else has the address; never bound (terminal);
 * - `given_up`: lost the address after a failed defence (terminal);
 * - `stopped`: cancelled by the host (terminal).
 * Terminal machines can be started again (a new attempt).
 */
export type AcdState =
  | 'init' | 'probing' | 'announcing' | 'bound' | 'defending' | 'conflicted' | 'given_up' | 'stopped';

export const ACD_STATES: readonly AcdState[] = [
  'init', 'probing', 'announcing', 'bound', 'defending', 'conflicted', 'given_up', 'stopped',
];

/** What `input` did with a frame. */
export type AcdInputResult =
  /** not an Ethernet/IPv4 ARP request or reply (arp_validate) */
  | 'invalid'
  /** sent from one of our own hardware addresses (Ethernet source or ARP sender) */
  | 'own'
  /** nothing to do with this address in its current state */
  | 'unrelated'
  /** conflict while probing: the attempt is over */
  | 'conflict'
  /** conflict while bound: one defending announcement sent */
  | 'defended'
  /** second conflict within DEFEND_INTERVAL: the address is given up */
  | 'defence_failed';

/** The kind of evidence: someone uses the address, or probes for it as we do. */
export type AcdConflictKind = 'in_use' | 'simultaneous_probe';

/** A conflict as reported to the host (arp_report_conflicted). */
export interface AcdConflict {
  readonly iface: string;
  readonly ip: Ipv4;
  /** ARP sender hardware address. */
  readonly sha: Mac;
  /** Ethernet source address of the frame (may differ from sha). */
  readonly src: Mac;
  readonly spa: Ipv4;
  readonly tpa: Ipv4;
  readonly op: number;
  readonly kind: AcdConflictKind;
  /** What the machine did about it. */
  readonly outcome: 'abandoned' | 'defended' | 'defence_failed';
  /** Clock time the frame was handled. */
  readonly time: number;
}

/** What the host code wires into a machine. */
export interface AcdCallbacks {
  /** Probing found nobody: the address may be used (called before the first announcement). */
  onBound?(ip: Ipv4): void;
  /** Every conflict; `outcome` says whether the attempt ended, was defended or failed. */
  onConflict?(conflict: AcdConflict): void;
  /** A bound address was lost (failed defence): the host must remove it. */
  onGiveUp?(ip: Ipv4): void;
}

/** What a machine shares with its interface (an AcdManager passes its own). */
export interface AcdInterfaceOptions {
  iface: string;
  /** Our hardware address: sender of probes and announcements. */
  mac: Mac;
  clock: Clock;
  timers: TimerQueue;
  /** Seeded source of the probe delays. */
  random: Random;
  /** Transmit one Ethernet frame (42 bytes, a fresh buffer the callee may keep). */
  send(frame: Uint8Array): void;
  events?: EventSink;
  /** `cpu` field of the events (default -1: not a CPU's work). */
  cpu?: number;
  /** The interface's conflict counter (default: a new one, i.e. not shared). */
  counter?: AcdConflictCounter;
  /** True for any hardware address of this host (dhcpcd checks every interface); default: === mac. */
  isLocalMac?(mac: Mac): boolean;
  timing?: Partial<AcdTiming>;
}

export interface AcdMachineOptions extends AcdInterfaceOptions, AcdCallbacks {
  /** The address to probe, announce and defend. */
  ip: Ipv4;
}

/** Snapshot of a machine for dumps and metrics. */
export interface AcdInfo {
  iface: string;
  ip: string;
  state: AcdState;
  usable: boolean;
  /** Probes sent in this attempt. */
  probes: number;
  /** Announcements sent in this attempt (defences not counted). */
  announcements: number;
  /** When the first probe of the current attempt is (or was) due. */
  firstProbeAt: number | null;
  /** Time of the latest defence, null if none since binding. */
  lastDefence: number | null;
}

/**
 * Write an ARP probe (RFC 5227 2.1.1): broadcast request, sender IP 0.0.0.0,
 * target hardware address zero, target IP the address. Returns 42.
 */
export function buildArpProbe(buf: Uint8Array, mac: Mac, ip: Ipv4, off = 0): number {
  return emitArpFrame(buf, MAC_BROADCAST, mac,
    { op: ARPOP_REQUEST, sha: mac, spa: IPV4_ANY, tha: MAC_ZERO, tpa: ip }, off);
}

/**
 * Write an ARP announcement (RFC 5227 2.3), also used to defend: a probe
 * whose sender IP is the address too. Returns 42.
 */
export function buildArpAnnounce(buf: Uint8Array, mac: Mac, ip: Ipv4, off = 0): number {
  return emitArpFrame(buf, MAC_BROADCAST, mac,
    { op: ARPOP_REQUEST, sha: mac, spa: ip, tha: MAC_ZERO, tpa: ip }, off);
}

/** Ethernet source / destination offsets (the view does not read them). */
const ETH_DST = 0;
const ETH_SRC = 6;

/**
 * arp_packet's front half: Ethernet/IPv4 ARP of an Ethernet interface
 * (arp_validate: the hardware type must be the interface's, so IEEE 802 is
 * refused too). On true `view` points at the ARP packet. Allocates nothing.
 */
export function acdValidFrame(view: ArpPacket, frame: Uint8Array, off: number, len: number): boolean {
  return classifyFrame(view, frame, off, len) === ARP_OK && view.hrd === ARPHRD_ETHER;
}

/** Address conflict detection for one address on one interface. */
export class AcdMachine {
  readonly iface: string;
  readonly ip: Ipv4;
  readonly mac: Mac;
  readonly timing: AcdTiming;
  readonly counter: AcdConflictCounter;

  private readonly clock: Clock;
  private readonly timers: TimerQueue;
  private readonly random: Random;
  private readonly sendFrame: (frame: Uint8Array) => void;
  private readonly events: EventSink;
  private readonly cpu: number;
  private readonly isLocal: (mac: Mac) => boolean;
  private readonly ipText: string;
  private readonly view = new ArpPacket();
  private readonly cb: AcdCallbacks;

  private phase: Exclude<AcdState, 'defending'> = 'init';
  private timer: TimerHandle | undefined;
  private probeCount = 0;
  private claimCount = 0;
  private firstProbe: number | undefined;
  private defendedAt: number | undefined;

  constructor(opts: AcdMachineOptions) {
    if (!Number.isInteger(opts.ip) || opts.ip <= 0 || opts.ip > 0xffff_ffff) {
      throw errno('EINVAL', `acd: ip must be a non-zero IPv4 address, got ${String(opts.ip)}`);
    }
    if (!Number.isInteger(opts.mac) || opts.mac <= 0 || opts.mac >= 2 ** 48 || isMacGroup(opts.mac)) {
      throw errno('EINVAL', `acd: mac must be a unicast hardware address, got ${String(opts.mac)}`);
    }
    this.iface = opts.iface;
    this.ip = opts.ip;
    this.mac = opts.mac;
    this.timing = acdTiming(opts.timing);
    this.counter = opts.counter ?? new AcdConflictCounter();
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.random = opts.random;
    this.sendFrame = opts.send;
    this.events = opts.events ?? nullSink;
    this.cpu = opts.cpu ?? -1;
    const own = opts.mac;
    this.isLocal = opts.isLocalMac ?? ((m: Mac) => m === own);
    this.ipText = formatIpv4(opts.ip);
    this.cb = { onBound: opts.onBound, onConflict: opts.onConflict, onGiveUp: opts.onGiveUp };
  }

  /** The state; `defending` while a defence is younger than DEFEND_INTERVAL. */
  get state(): AcdState {
    if ((this.phase === 'bound' || this.phase === 'announcing') && this.defendedAt !== undefined &&
        this.clock.now() - this.defendedAt < this.timing.defendInterval) return 'defending';
    return this.phase;
  }

  /** True once probing found nobody, until the address is lost or the machine stopped. */
  get usable(): boolean {
    return this.phase === 'announcing' || this.phase === 'bound';
  }

  /** True while probing, announcing or bound (timers may be pending, input matters). */
  get active(): boolean {
    return this.phase === 'probing' || this.phase === 'announcing' || this.phase === 'bound';
  }

  get probes(): number { return this.probeCount; }
  get announcements(): number { return this.claimCount; }
  /** When the first probe of the current attempt is (or was) due; undefined before start. */
  get firstProbeAt(): number | undefined { return this.firstProbe; }
  get lastDefence(): number | undefined { return this.defendedAt; }

  /**
   * arp_probe: begin an attempt. The first probe goes out after a random
   * delay in [0, PROBE_WAIT); once the interface has seen MAX_CONFLICTS
   * conflicts, no sooner than RATE_LIMIT_INTERVAL after the previous
   * attempt's first probe (RFC 5227 2.1.1). Conflicts count from now on.
   * Throws EBUSY if the machine is already running.
   */
  start(): void {
    if (this.active) throw errno('EBUSY', `acd: ${this.ipText} on ${this.iface} is already ${this.phase}`);
    const t = this.timing;
    this.phase = 'probing';
    this.probeCount = 0;
    this.claimCount = 0;
    this.defendedAt = undefined;
    const now = this.clock.now();
    let at = now + this.random.nextFloat() * t.probeWait;
    const last = this.counter.lastProbeAt;
    if (this.counter.rateLimited(t.maxConflicts) && last !== undefined && at < last + t.rateLimitInterval) {
      at = last + t.rateLimitInterval;
    }
    // Reserve the slot now, so machines started together are spaced out too.
    if (last === undefined || at > last) this.counter.lastProbeAt = at;
    this.firstProbe = at;
    this.timer = this.timers.at(at, () => this.arpProbe1());
  }

  /** Cancel everything (the address was deleted); no callback is called. */
  stop(): void {
    this.timers.cancel(this.timer);
    this.timer = undefined;
    if (this.phase !== 'init') this.phase = 'stopped';
  }

  /**
   * arp_packet: a received Ethernet frame. Frames that are not valid
   * Ethernet/IPv4 ARP, or come from our own hardware address (as Ethernet
   * source or ARP sender), are ignored. Allocates nothing unless it
   * reports a conflict. Never throws on any bytes.
   */
  input(frame: Uint8Array, off = 0, len: number = frame.length - off): AcdInputResult {
    const v = this.view;
    if (!acdValidFrame(v, frame, off, len)) return 'invalid';
    const src = readMac(frame, off + ETH_SRC);
    if (this.isLocal(src) || this.isLocal(v.sha)) return 'own';
    return this.inputArp(v, src, readMac(frame, off + ETH_DST));
  }

  /**
   * The matching half of arp_packet, for a caller (AcdManager) that has
   * validated the frame and dropped our own frames already. `view` points at
   * the ARP packet; `src`/`dst` are the Ethernet addresses.
   *
   * Probing (RFC 5227 2.1.1): any ARP whose sender IP is the address, or a
   * broadcast probe (sender IP 0.0.0.0) whose target IP is the address
   * (dhcpcd ignores unicast ones: RFC 1122 unicast polls). Bound (2.4): any
   * ARP whose sender IP is the address.
   */
  inputArp(view: ArpPacket, src: Mac, dst: Mac): AcdInputResult {
    const spa = view.spa;
    if (this.phase === 'probing') {
      if (spa === this.ip) return this.arpFound(view, src, 'in_use');
      if (spa === IPV4_ANY && view.tpa === this.ip && dst === MAC_BROADCAST) {
        return this.arpFound(view, src, 'simultaneous_probe');
      }
      return 'unrelated';
    }
    if ((this.phase === 'announcing' || this.phase === 'bound') && spa === this.ip) {
      return this.arpFound(view, src, 'in_use');
    }
    return 'unrelated';
  }

  info(): AcdInfo {
    return {
      iface: this.iface,
      ip: this.ipText,
      state: this.state,
      usable: this.usable,
      probes: this.probeCount,
      announcements: this.claimCount,
      firstProbeAt: this.firstProbe ?? null,
      lastDefence: this.defendedAt ?? null,
    };
  }

  /** arp_probe1: send one probe, arm the next one or the final wait. */
  private arpProbe1(): void {
    const t = this.timing;
    const n = ++this.probeCount;
    // Arm before sending: a send that loops a conflict straight back must find the new timer to cancel.
    if (n < t.probeNum) {
      this.timer = this.timers.after(t.probeMin + this.random.nextFloat() * (t.probeMax - t.probeMin), () => this.arpProbe1());
    } else {
      this.timer = this.timers.after(t.announceWait, () => this.arpProbed());
    }
    this.emit('acd.probe', { iface: this.iface, ip: this.ipText, n, of: t.probeNum });
    const buf = new Uint8Array(ARP_FRAME_LEN);
    buildArpProbe(buf, this.mac, this.ip);
    this.sendFrame(buf);
  }

  /** arp_probed: ANNOUNCE_WAIT passed without conflict: the address is ours. */
  private arpProbed(): void {
    this.timer = undefined;
    this.phase = 'announcing';
    this.defendedAt = undefined;
    this.emit('acd.bound', { iface: this.iface, ip: this.ipText });
    this.cb.onBound?.(this.ip);
    // onBound may have stopped us.
    if (this.phase !== 'announcing') return;
    if (this.timing.announceNum === 0) this.phase = 'bound';
    else this.arpAnnounce1();
  }

  /** arp_announce1: one announcement, then the next or arp_announced. */
  private arpAnnounce1(): void {
    const t = this.timing;
    const n = ++this.claimCount;
    if (n < t.announceNum) {
      this.timer = this.timers.after(t.announceInterval, () => this.arpAnnounce1());
    } else {
      this.timer = undefined;
      this.phase = 'bound';
    }
    this.emit('acd.announce', { iface: this.iface, ip: this.ipText, n, of: t.announceNum });
    this.sendAnnounce();
  }

  /**
   * arp_found: report the conflict; while probing the attempt ends; once
   * bound, defend unless a defence was made within DEFEND_INTERVAL, in
   * which case the address is given up (RFC 5227 2.4 (b)).
   */
  private arpFound(view: ArpPacket, src: Mac, kind: AcdConflictKind): AcdInputResult {
    const now = this.clock.now();
    const sha = view.sha;
    const fields = {
      iface: this.iface, ip: this.ipText, sha: formatMac(sha), src: formatMac(src),
      kind, op: view.op === ARPOP_REPLY ? 'reply' : 'request',
    };
    const report = (outcome: AcdConflict['outcome']): AcdConflict => ({
      iface: this.iface, ip: this.ip, sha, src, spa: view.spa, tpa: view.tpa, op: view.op, kind, outcome, time: now,
    });

    if (this.phase === 'probing') {
      this.halt('conflicted');
      this.counter.conflicts++;
      this.emit('acd.conflict', fields);
      this.cb.onConflict?.(report('abandoned'));
      return 'conflict';
    }

    const t = this.timing;
    if (this.defendedAt !== undefined && now - this.defendedAt < t.defendInterval) {
      this.halt('given_up');
      this.counter.conflicts++;
      this.emit('acd.conflict', fields);
      this.emit('acd.defence_failed', { iface: this.iface, ip: this.ipText, sha: fields.sha, src: fields.src, last: this.defendedAt });
      this.cb.onConflict?.(report('defence_failed'));
      this.cb.onGiveUp?.(this.ip);
      return 'defence_failed';
    }

    this.defendedAt = now;
    this.emit('acd.conflict', fields);
    this.emit('acd.defended', { iface: this.iface, ip: this.ipText, sha: fields.sha, src: fields.src });
    this.sendAnnounce();
    this.cb.onConflict?.(report('defended'));
    return 'defended';
  }

  private halt(phase: 'conflicted' | 'given_up'): void {
    this.timers.cancel(this.timer);
    this.timer = undefined;
    this.phase = phase;
  }

  private sendAnnounce(): void {
    const buf = new Uint8Array(ARP_FRAME_LEN);
    buildArpAnnounce(buf, this.mac, this.ip);
    this.sendFrame(buf);
  }

  private emit<N extends 'acd.probe' | 'acd.announce' | 'acd.conflict' | 'acd.defended' | 'acd.defence_failed' | 'acd.bound'>(
    name: N, fields: EventFieldMap[N] & ExtraFields,
  ): void {
    this.events.emit(makeEvent(name, this.clock.now(), this.cpu, fields) as unknown as ArpemuEvent);
  }
}

export interface AcdManagerOptions extends AcdInterfaceOptions, AcdCallbacks {}

/**
 * The ACD machines of one interface (dhcpcd's iarp_state): one per address,
 * one conflict counter for all, one parse per received frame.
 */
export class AcdManager {
  readonly iface: string;
  readonly mac: Mac;
  readonly counter: AcdConflictCounter;
  private readonly opts: AcdManagerOptions;
  private readonly byIp = new Map<Ipv4, AcdMachine>();
  private readonly view = new ArpPacket();
  private readonly isLocal: (mac: Mac) => boolean;

  constructor(opts: AcdManagerOptions) {
    this.iface = opts.iface;
    this.mac = opts.mac;
    this.counter = opts.counter ?? new AcdConflictCounter();
    const own = opts.mac;
    this.isLocal = opts.isLocalMac ?? ((m: Mac) => m === own);
    acdTiming(opts.timing); // fail here rather than at the first add
    this.opts = { ...opts, counter: this.counter, isLocalMac: this.isLocal };
  }

  /**
   * arp_new: the machine for `ip`, made (not started) if there is none.
   * `callbacks` replace the manager's for this machine only.
   */
  add(ip: Ipv4, callbacks?: AcdCallbacks): AcdMachine {
    const have = this.byIp.get(ip);
    if (have !== undefined) return have;
    const o = this.opts;
    const m = new AcdMachine({
      iface: o.iface, mac: o.mac, clock: o.clock, timers: o.timers, random: o.random, send: o.send,
      events: o.events, cpu: o.cpu, counter: this.counter, isLocalMac: this.isLocal, timing: o.timing,
      ip,
      onBound: callbacks?.onBound ?? o.onBound,
      onConflict: callbacks?.onConflict ?? o.onConflict,
      onGiveUp: callbacks?.onGiveUp ?? o.onGiveUp,
    });
    this.byIp.set(ip, m);
    return m;
  }

  /**
   * Probe `ip`: makes the machine if needed and starts it, or starts a new
   * attempt on a finished one. EBUSY if it is already running.
   */
  start(ip: Ipv4, callbacks?: AcdCallbacks): AcdMachine {
    const m = this.add(ip, callbacks);
    m.start();
    return m;
  }

  get(ip: Ipv4): AcdMachine | undefined { return this.byIp.get(ip); }

  /** arp_freeaddr: the address was deleted: stop and forget its machine. False if there was none. */
  remove(ip: Ipv4): boolean {
    const m = this.byIp.get(ip);
    if (m === undefined) return false;
    m.stop();
    this.byIp.delete(ip);
    return true;
  }

  /** arp_drop: stop and forget every machine (interface gone or ACD turned off). */
  clear(): void {
    for (const m of [...this.byIp.values()]) m.stop();
    this.byIp.clear();
  }

  /**
   * Whether `ip` may be used as a source and answered for: an address ACD
   * does not watch is usable (kernel semantics); a watched one only once
   * probing found nobody.
   */
  usable(ip: Ipv4): boolean {
    const m = this.byIp.get(ip);
    return m === undefined || m.usable;
  }

  get size(): number { return this.byIp.size; }

  machines(): IterableIterator<AcdMachine> { return this.byIp.values(); }

  /** Machines per state (metrics). */
  stateCounts(): Record<AcdState, number> {
    const c = Object.fromEntries(ACD_STATES.map((s) => [s, 0])) as Record<AcdState, number>;
    for (const m of this.byIp.values()) c[m.state]++;
    return c;
  }

  /**
   * arp_packet for the interface: validate once, drop our own frames, hand
   * the frame to the machine of its sender IP, or for a probe (sender IP
   * 0.0.0.0) to the machine of its target IP. Allocates nothing unless a
   * conflict is reported; never throws on any bytes (callbacks may).
   */
  input(frame: Uint8Array, off = 0, len: number = frame.length - off): AcdInputResult {
    const v = this.view;
    if (!acdValidFrame(v, frame, off, len)) return 'invalid';
    const src = readMac(frame, off + ETH_SRC);
    if (this.isLocal(src) || this.isLocal(v.sha)) return 'own';
    const spa = v.spa;
    const m = this.byIp.get(spa === IPV4_ANY ? v.tpa : spa);
    return m === undefined ? 'unrelated' : m.inputArp(v, src, readMac(frame, off + ETH_DST));
  }
}
