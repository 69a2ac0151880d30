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
  /** The queue it belongs to: cancel() ignores another queue's handles. */
  queue: TimerQueue;
}

export class TimerQueue {
  private readonly heap: Timer[] = [];
  private seq = 0;
  private live = 0;

  constructor(readonly clock: Clock) {}

  /** Fire `fn` once `clock.now() >= at`. `at` must not be NaN (it would break the heap order). */
  at(at: number, fn: () => void): TimerHandle {
    if (Number.isNaN(at)) throw new RangeError('TimerQueue.at: deadline is NaN');
    const t: Timer = { id: ++this.seq, at, fn, cancelled: false, queue: this };
    this.push(t);
    this.live++;
    return t;
  }

  /** Fire `fn` `delay` seconds from now. */
  after(delay: number, fn: () => void): TimerHandle {
    return this.at(this.clock.now() + delay, fn);
  }

  /** Stop a pending timer; a fired, cancelled or foreign handle is ignored. */
  cancel(h: TimerHandle | undefined): void {
    const t = h as Timer | undefined;
    if (t === undefined || t.queue !== this || t.cancelled) return;
    t.cancelled = true;
    this.live--;
    // Cancelled timers stay in the heap until they reach the top; when they
    // outnumber the live ones (entries re-armed on every refresh), rebuild so
    // the heap does not grow without bound.
    const dead = this.heap.length - this.live;
    if (dead > 64 && dead > this.live) this.compact();
  }

  /** Number of pending (not cancelled, not fired) timers. */
  get size(): number { return this.live; }

  /** Timers held in memory, cancelled ones not yet discarded included (diagnostics). */
  get stored(): number { return this.heap.length; }

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
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(t, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = t;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length > 0) this.siftDown(0, last);
  }

  /** Place `t` at slot `i` or below, moving smaller children up. */
  private siftDown(i: number, t: Timer): void {
    const h = this.heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!this.less(child, t)) break;
      h[i] = child;
      i = c;
    }
    h[i] = t;
  }

  /** Drop every cancelled timer and restore the heap order (Floyd's heapify). */
  private compact(): void {
    const h = this.heap;
    let w = 0;
    for (let r = 0; r < h.length; r++) if (!h[r]!.cancelled) h[w++] = h[r]!;
    h.length = w;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(i, h[i]!);
  }
}

/**
 * Run a virtual clock forward to `until`, firing timers at their exact
 * deadlines (the clock is set to each deadline before its callbacks run).
 * `until = Infinity` drains the queue and leaves the clock at the last
 * deadline fired (it never loops forever on its own, but a callback that
 * always re-arms itself would).
 */
export function runVirtualUntil(clock: { set(t: number): void; now(): number }, timers: TimerQueue, until: number): void {
  for (;;) {
    const next = timers.nextDeadline();
    if (next === undefined || next > until) break;
    if (next > clock.now()) clock.set(next);
    timers.runDue();
  }
  if (until > clock.now() && until !== Infinity) clock.set(until);
  timers.runDue();
}
