/**
 * Conflict detection in the daemon: one AcdManager per interface (RFC 5227
 * probe/announce/defend, dhcpcd semantics, src/arp/acd.ts), all on one
 * TimerQueue driven in real time on the main thread, beside the emulator.
 *
 * The host code decides what a result means (as dhcpcd does for the
 * kernel): bound -> the daemon adds the address through the emulator;
 * conflict while probing -> the address stays out; defence failed -> the
 * daemon deletes it. Every received frame of an interface is fed here as
 * well as to the emulator.
 */
import { RealClock, type Clock } from '../util/clock.js';
import { TimerQueue } from '../util/timers.js';
import { Random } from '../util/random.js';
import type { EventSink } from '../util/events.js';
import type { Ipv4, Mac } from '../wire/addr.js';
import { AcdManager, ACD_STATES, type AcdConflict, type AcdState, type AcdTiming } from '../arp/acd.js';
import { RealTimerDriver } from '../cpu/single.js';

export interface AcdHostCallbacks {
  onBound(iface: string, ip: Ipv4): void;
  onConflict(iface: string, c: AcdConflict): void;
  onGiveUp(iface: string, ip: Ipv4): void;
}

export interface AcdHostOptions extends AcdHostCallbacks {
  /** Transmit a probe or announcement on `iface`. */
  send(iface: string, frame: Uint8Array): void;
  events: EventSink;
  clock?: Clock;
  /** Seed of the probe delays (default: from the wall clock). */
  seed?: number;
  timing?: Partial<AcdTiming>;
  /** Any hardware address of this host (frames from them are ours). */
  isLocalMac(mac: Mac): boolean;
}

export class AcdHost {
  readonly clock: Clock;
  readonly timers: TimerQueue;
  private readonly driver: RealTimerDriver;
  private readonly random: Random;
  private readonly managers = new Map<string, AcdManager>();

  constructor(private readonly opts: AcdHostOptions) {
    this.clock = opts.clock ?? new RealClock();
    this.timers = new TimerQueue(this.clock);
    this.driver = new RealTimerDriver(this.timers);
    this.random = new Random(opts.seed ?? (Date.now() ^ (process.pid << 16)));
  }

  /** Watch addresses of `iface` (hardware address `mac`). */
  attach(iface: string, mac: Mac): void {
    if (this.managers.has(iface)) return;
    const o = this.opts;
    this.managers.set(iface, new AcdManager({
      iface, mac, clock: this.clock, timers: this.timers, random: this.random,
      send: (frame) => o.send(iface, frame),
      events: o.events,
      isLocalMac: o.isLocalMac,
      ...(o.timing === undefined ? {} : { timing: o.timing }),
      onBound: (ip) => o.onBound(iface, ip),
      onConflict: (c) => o.onConflict(iface, c),
      onGiveUp: (ip) => o.onGiveUp(iface, ip),
    }));
  }

  has(iface: string): boolean { return this.managers.has(iface); }

  /** Probe `ip` on `iface` (a new attempt if one finished). */
  start(iface: string, ip: Ipv4): void {
    const m = this.manager(iface);
    const have = m.get(ip);
    if (have !== undefined && have.active) return;
    m.start(ip);
    this.driver.kick();
  }

  /** Forget `ip` (deleted by the administrator). */
  stop(iface: string, ip: Ipv4): void {
    this.managers.get(iface)?.remove(ip);
    this.driver.kick();
  }

  state(iface: string, ip: Ipv4): AcdState | null {
    return this.managers.get(iface)?.get(ip)?.state ?? null;
  }

  usable(iface: string, ip: Ipv4): boolean {
    return this.managers.get(iface)?.get(ip)?.usable ?? false;
  }

  /** A received frame (valid during the call). */
  input(iface: string, frame: Uint8Array): void {
    const m = this.managers.get(iface);
    if (m === undefined || m.size === 0) return;
    m.input(frame);
    this.driver.kick();
  }

  /** Every machine, for dumps and metrics. */
  list(): { iface: string; ip: string; state: AcdState }[] {
    const out: { iface: string; ip: string; state: AcdState }[] = [];
    for (const m of this.managers.values()) for (const x of m.machines()) { const i = x.info(); out.push({ iface: i.iface, ip: i.ip, state: i.state }); }
    return out;
  }

  /** Machines per interface and state. */
  stateCounts(): { iface: string; counts: Record<AcdState, number> }[] {
    return [...this.managers.values()].map((m) => ({ iface: m.iface, counts: m.stateCounts() }));
  }

  close(): void {
    for (const m of this.managers.values()) m.clear();
    this.driver.stop();
  }

  private manager(iface: string): AcdManager {
    const m = this.managers.get(iface);
    if (m === undefined) throw new RangeError(`acd: interface ${iface} is not attached`);
    return m;
  }
}

export { ACD_STATES };
