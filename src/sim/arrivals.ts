/**
 * A lazily scheduled arrival process on a TimerQueue: events at a rate, with
 * constant spacing or Poisson (exponential) gaps, from a start time, for a
 * duration and/or a count. Exactly one timer is pending while it runs: the
 * next arrival is drawn when the previous one fires, so a run of millions of
 * events never holds more than one timer (and one random draw of lookahead).
 *
 * Constant spacing puts arrival i at start + i / rate (no accumulated
 * rounding drift); Poisson draws each gap as -ln(1 - U) / rate, the first one
 * too (a Poisson process started at `start` has no event at `start`).
 */
import type { Random } from '../util/random.js';
import type { TimerHandle, TimerQueue } from '../util/timers.js';

export type Spacing = 'constant' | 'poisson';

export interface ArrivalOptions {
  /** Events per second (> 0). */
  rate: number;
  /** Default 'constant'. 'poisson' needs `random`. */
  spacing?: Spacing;
  /** Absolute virtual time of the first slot; default: the clock's now when started. */
  start?: number;
  /** Seconds from start; arrivals at or after start + duration do not happen. Default Infinity. */
  duration?: number;
  /** Stop after this many arrivals. Default Infinity. */
  count?: number;
  /** Needed for Poisson gaps. */
  random?: Random;
}

/** Called for each arrival: `index` counts from 0, `time` is its scheduled time. */
export type ArrivalHandler = (index: number, time: number) => void;

export class Arrivals {
  readonly rate: number;
  readonly spacing: Spacing;
  private readonly timers: TimerQueue;
  private readonly fire: ArrivalHandler;
  private readonly random: Random | undefined;
  private readonly count: number;
  private readonly duration: number;
  private startAt: number | undefined;
  private end = Infinity;
  private fired_ = 0;
  private next: number | undefined;
  private timer: TimerHandle | undefined;
  private state: 'idle' | 'running' | 'done' = 'idle';
  private onDone: (() => void) | undefined;

  constructor(timers: TimerQueue, opts: ArrivalOptions, fire: ArrivalHandler) {
    if (!(opts.rate > 0) || !Number.isFinite(opts.rate)) {
      throw new RangeError(`Arrivals: rate must be a finite number > 0, got ${opts.rate}`);
    }
    const spacing = opts.spacing ?? 'constant';
    if (spacing !== 'constant' && spacing !== 'poisson') {
      throw new RangeError(`Arrivals: spacing must be 'constant' or 'poisson', got ${String(spacing)}`);
    }
    if (spacing === 'poisson' && opts.random === undefined) {
      throw new RangeError('Arrivals: poisson spacing needs a seeded random');
    }
    const duration = opts.duration ?? Infinity;
    if (!(duration >= 0)) throw new RangeError(`Arrivals: duration must be >= 0, got ${duration}`);
    const count = opts.count ?? Infinity;
    if (!(count >= 0) || (count !== Infinity && !Number.isInteger(count))) {
      throw new RangeError(`Arrivals: count must be a whole number >= 0, got ${count}`);
    }
    if (opts.start !== undefined && !Number.isFinite(opts.start)) {
      throw new RangeError(`Arrivals: start must be a finite time, got ${opts.start}`);
    }
    this.timers = timers;
    this.fire = fire;
    this.rate = opts.rate;
    this.spacing = spacing;
    this.random = opts.random;
    this.count = count;
    this.duration = duration;
    this.startAt = opts.start;
  }

  /** Arm the first arrival. Idempotent; `then` runs once when the process ends on its own (not on stop()). */
  start(then?: () => void): this {
    if (this.state !== 'idle') return this;
    this.onDone = then;
    this.state = 'running';
    const start = this.startAt ?? this.timers.clock.now();
    this.startAt = start;
    this.end = start + this.duration;
    this.schedule(this.firstTime(start));
    return this;
  }

  /** Cancel the pending arrival; nothing fires afterwards. */
  stop(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.timers.cancel(this.timer);
    this.timer = undefined;
    this.next = undefined;
  }

  /** Arrivals delivered so far. */
  get fired(): number { return this.fired_; }
  get running(): boolean { return this.state === 'running'; }
  get done(): boolean { return this.state === 'done'; }
  /** Time of the pending arrival, if any. */
  get nextAt(): number | undefined { return this.next; }

  private firstTime(start: number): number {
    return this.spacing === 'constant' ? start : start + this.gap();
  }

  private gap(): number {
    // 1 - U is in (0, 1], so the log is finite.
    return -Math.log(1 - this.random!.nextFloat()) / this.rate;
  }

  private schedule(t: number): void {
    if (this.fired_ >= this.count || !(t < this.end)) {
      this.state = 'done';
      this.next = undefined;
      const cb = this.onDone;
      this.onDone = undefined;
      cb?.();
      return;
    }
    this.next = t;
    this.timer = this.timers.at(t, () => this.tick());
  }

  private tick(): void {
    this.timer = undefined;
    const t = this.next!;
    const i = this.fired_++;
    this.fire(i, t);
    if (this.state !== 'running') return; // stopped from inside the handler
    const nextT = this.spacing === 'constant' ? this.startAt! + (i + 1) / this.rate : t + this.gap();
    this.schedule(nextT);
  }
}
