/**
 * A timer queue driven by a Clock: protocol code schedules callbacks here and
 * never calls setTimeout itself. Whoever owns the clock calls runDue() (a
 * virtual-time driver after each advance; the real-time driver from one
 * setTimeout armed for nextDeadline()).
 *
 * A binary min-heap ordered by (deadline, insertion sequence), so timers that
 * fall due together fire in the order they were scheduled: replays stay
 * deterministic.
 */
import type { Clock } from './clock.js';

export interface TimerHandle { readonly id: number }

interface Timer extends TimerHandle {
  at: number;
  fn: () => void;
  cancelled: boolean;
}

export class TimerQueue {
  private readonly heap: Timer[] = [];
  private seq = 0;
  private live = 0;

  constructor(readonly clock: Clock) {}

  /** Fire `fn` once `clock.now() >= at`. */
  at(at: number, fn: () => void): TimerHandle {
    const t: Timer = { id: ++this.seq, at, fn, cancelled: false };
    this.push(t);
    this.live++;
    return t;
  }

  /** Fire `fn` `delay` seconds from now. */
  after(delay: number, fn: () => void): TimerHandle {
    return this.at(this.clock.now() + delay, fn);
  }

  cancel(h: TimerHandle | undefined): void {
    const t = h as Timer | undefined;
    if (t && !t.cancelled) { t.cancelled = true; this.live--; }
  }

  /** Number of pending (not cancelled, not fired) timers. */
  get size(): number { return this.live; }

  /** Earliest pending deadline, or undefined when none. */
  nextDeadline(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /** Fire every timer due at the clock's current time, including ones scheduled by callbacks if already due. */
  runDue(): number {
    const now = this.clock.now();
    let fired = 0;
    for (;;) {
      this.dropCancelledTop();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return fired;
      this.pop();
      top.cancelled = true;
      this.live--;
      fired++;
      top.fn();
    }
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * Run a virtual clock forward to `until`, firing timers at their exact
 * deadlines (the clock is set to each deadline before its callbacks run).
 */
export function runVirtualUntil(clock: { set(t: number): void; now(): number }, timers: TimerQueue, until: number): void {
  for (;;) {
    const next = timers.nextDeadline();
    if (next === undefined || next > until) break;
    if (next > clock.now()) clock.set(next);
    timers.runDue();
  }
  if (until > clock.now()) clock.set(until);
  timers.runDue();
}
