/**
 * Time for protocol code. Protocol code never reads the wall clock: it is
 * handed a Clock. Tests, replays and simulations use a VirtualClock that they
 * advance; the daemon uses the RealClock.
 */
export interface Clock {
  /** Seconds since the clock's epoch, fractional (latency, pcap timestamps). */
  now(): number;
  /** Whole seconds, as the kernel's `time_uptime` (floor of now()). */
  uptime(): number;
}

export class VirtualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError('VirtualClock: start must be a finite number');
    this.t = start;
  }
  now(): number { return this.t; }
  uptime(): number { return Math.floor(this.t); }
  /** Move time forward by `dt` seconds (never backwards). */
  advance(dt: number): void {
    if (!(dt >= 0) || dt === Infinity) throw new RangeError('VirtualClock.advance: dt must be finite and >= 0');
    this.t += dt;
  }
  /** Jump to absolute time `t` (>= now). */
  set(t: number): void {
    if (!(t >= this.t)) throw new RangeError('VirtualClock.set: time cannot go backwards');
    if (t === Infinity) throw new RangeError('VirtualClock.set: time must be finite');
    this.t = t;
  }
}

/** Monotonic real time from process.hrtime, epoch at construction. */
export class RealClock implements Clock {
  private readonly origin = process.hrtime.bigint();
  now(): number { return Number(process.hrtime.bigint() - this.origin) / 1e9; }
  uptime(): number { return Math.floor(this.now()); }
}
