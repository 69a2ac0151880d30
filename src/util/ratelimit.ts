/**
 * Rate limiting of log lines caused by remote input, as BSD's ppsratecheck()
 * used with `max_log_per_second` (FreeBSD ARP_LOG): a budget of `max` lines
 * per one-second window; the window opens at the first line after the
 * previous one closed (not on whole-second boundaries) and lasts exactly one
 * second of the Clock. `max < 0` means no limit, `max == 0` lets nothing
 * through. Driven by an injected Clock, so virtual time gives exact counts.
 */
import type { Clock } from './clock.js';
import { eventClass, type ArpemuEvent, type EventName, type EventSink } from './events.js';

export class RateLimiter {
  private windowStart = 0;
  private open = false;
  private inWindow = 0;
  /** Lines let through since construction. */
  passed = 0;
  /** Lines refused since construction. */
  suppressed = 0;
  private pending = 0;

  /**
   * @param max lines per second, or a function read at each check (e.g.
   *   `() => sysctl.v.maxLogPerSecond`, so a sysctl change applies at once)
   */
  constructor(private readonly clock: Clock, private readonly max: number | (() => number)) {}

  /** True when one more line may go out now; counts it either way. */
  check(): boolean {
    const max = typeof this.max === 'number' ? this.max : this.max();
    const now = this.clock.now();
    let ok: boolean;
    if (!this.open || now - this.windowStart >= 1 || now < this.windowStart) {
      this.open = true;
      this.windowStart = now;
      this.inWindow = 1;
      ok = max !== 0;
    } else {
      this.inWindow++;
      ok = max < 0 || this.inWindow <= max;
    }
    if (ok) this.passed++;
    else { this.suppressed++; this.pending++; }
    return ok;
  }

  /** Lines refused since the last call (then resets to 0): for a "N suppressed" note. */
  takeSuppressed(): number {
    const n = this.pending;
    this.pending = 0;
    return n;
  }
}

export interface RateLimitedLogOptions {
  /** Which events the limiter applies to; default: those of class 'log' (see eventClass). */
  limited?: (name: EventName) => boolean;
}

/**
 * An EventSink that passes events to `inner`, dropping (and counting) the
 * limited ones above the rate. The first limited event let through after
 * some were dropped carries `suppressed: <n>`, the number dropped since the
 * previous one passed. Events outside the limited classes always pass.
 */
export class RateLimitedLog implements EventSink {
  /** Dropped events by name. */
  readonly dropped = new Map<EventName, number>();
  private readonly limited: (name: EventName) => boolean;

  constructor(private readonly inner: EventSink, readonly limiter: RateLimiter, opts: RateLimitedLogOptions = {}) {
    this.limited = opts.limited ?? ((name) => eventClass(name) === 'log');
  }

  /** Total events dropped. */
  get suppressed(): number { return this.limiter.suppressed; }

  emit(ev: ArpemuEvent): void {
    if (!this.limited(ev.event)) { this.inner.emit(ev); return; }
    if (!this.limiter.check()) {
      this.dropped.set(ev.event, (this.dropped.get(ev.event) ?? 0) + 1);
      return;
    }
    const n = this.limiter.takeSuppressed();
    this.inner.emit(n > 0 ? { ...ev, suppressed: n } : ev);
  }
}
