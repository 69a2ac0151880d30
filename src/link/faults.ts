/**
 * Seeded fault injection as a Link middleware (smoltcp's FaultInjector):
 * wrap any Link and frames crossing it in the chosen direction(s) are lost,
 * corrupted, duplicated, delayed or reordered with the configured
 * probabilities. The same seed and the same sequence of frames give the same
 * faults, so a stress run that found a bug replays it.
 *
 * Per frame and direction, in this order:
 *   1. loss       drop it (p = loss);
 *   2. corrupt    flip `corruptBits` distinct random bits of a copy (p = corrupt);
 *   3. duplicate  send it twice (p = duplicate);
 *   4. delay      hold each copy delay + jitter * U[0,1) seconds on the timers;
 *   5. reorder    hold a copy (p = reorder) and let it out right after the
 *                 next frame in the same direction, or after `reorderMaxHold`
 *                 seconds if no frame follows (a link does not keep a frame
 *                 forever).
 * Steps 1-3 take one random draw each per frame (none while all three are
 * zero), step 4 one per copy
 * when jitter > 0, step 5 one per copy when reorder > 0 and nothing is held,
 * so changing one probability does not reshuffle the loss, corruption and
 * duplication decisions. rx and tx have separate streams derived from the
 * seed, so traffic in one direction does not perturb the other.
 *
 * Frames pass through untouched and uncopied unless a fault needs to keep
 * or modify them.
 */
import type { Clock } from '../util/clock.js';
import { Random } from '../util/random.js';
import type { TimerHandle, TimerQueue } from '../util/timers.js';
import type { FrameHandler, Link, LinkStats } from './link.js';

/** Probabilities are in [0, 1]; times in seconds. */
export interface FaultRates {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  /** Fixed delay added to every frame. */
  delay?: number;
  /** Extra uniformly distributed delay in [0, jitter). Reorders frames by itself. */
  jitter?: number;
  corrupt?: number;
  /** Bits flipped in a corrupted frame (distinct positions); default 1. */
  corruptBits?: number;
  /** Longest time a reordered frame waits for a successor; default 1 s. */
  reorderMaxHold?: number;
}

export type FaultDirection = 'rx' | 'tx' | 'both';

export interface FaultOptions extends FaultRates {
  seed: number;
  /** Where the flat rates above apply; default 'both'. */
  direction?: FaultDirection;
  /** Per-direction rates; override the flat ones for that direction. */
  rx?: FaultRates;
  tx?: FaultRates;
}

/** What the injector did in one direction. */
export interface FaultCounters {
  /** Frames that entered the injector. */
  frames: number;
  /** Frames (copies) that left it. */
  passed: number;
  lost: number;
  corrupted: number;
  duplicated: number;
  delayed: number;
  reordered: number;
}

export interface FaultStats {
  rx: FaultCounters;
  tx: FaultCounters;
}

export interface FaultyLink extends Link {
  readonly inner: Link;
  faultStats(): FaultStats;
  /** Change the rates from now on (same option shape; the seed is kept). */
  configure(opts: Omit<FaultOptions, 'seed'>): void;
  /** Frames held (delayed or waiting to be reordered). */
  readonly pending: number;
  /** Let every held frame out now, in the order they would have left. */
  flush(): void;
}

interface Rates {
  loss: number;
  duplicate: number;
  reorder: number;
  delay: number;
  jitter: number;
  corrupt: number;
  corruptBits: number;
  reorderMaxHold: number;
}

const NO_FAULTS: Rates = { loss: 0, duplicate: 0, reorder: 0, delay: 0, jitter: 0, corrupt: 0, corruptBits: 1, reorderMaxHold: 1 };

function probability(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(v >= 0 && v <= 1)) throw new RangeError(`withFaults: options.${name} must be a probability in [0, 1], got ${v}`);
  return v;
}

function seconds(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`withFaults: options.${name} must be a finite number of seconds >= 0, got ${v}`);
  return v;
}

function resolveRates(flat: FaultRates, specific: FaultRates | undefined, applies: boolean): Rates {
  const base: FaultRates = applies ? flat : {};
  const r: FaultRates = { ...base, ...(specific ?? {}) };
  const bits = r.corruptBits ?? 1;
  if (!Number.isInteger(bits) || bits < 1) throw new RangeError(`withFaults: options.corruptBits must be an integer >= 1, got ${bits}`);
  return {
    loss: probability('loss', r.loss, 0),
    duplicate: probability('duplicate', r.duplicate, 0),
    reorder: probability('reorder', r.reorder, 0),
    corrupt: probability('corrupt', r.corrupt, 0),
    delay: seconds('delay', r.delay, 0),
    jitter: seconds('jitter', r.jitter, 0),
    reorderMaxHold: seconds('reorderMaxHold', r.reorderMaxHold, NO_FAULTS.reorderMaxHold),
    corruptBits: bits,
  };
}

function zeroCounters(): FaultCounters {
  return { frames: 0, passed: 0, lost: 0, corrupted: 0, duplicated: 0, delayed: 0, reordered: 0 };
}

/**
 * One direction's pipeline. `out(frame)` is the next stage (the user's
 * handler for rx, the inner link's send for tx). Frames given to `input` do
 * not stay valid after it returns (an rx buffer and a caller's tx buffer may
 * both be reused), so anything kept or modified is copied first.
 */
class Pipe {
  rates: Rates;
  readonly counters = zeroCounters();
  private readonly rng: Random;
  private heldForReorder: Uint8Array | undefined;
  private reorderTimer: TimerHandle | undefined;
  /** Delayed copies in flight, for flush(): timer handle -> deadline and frame. */
  private readonly delayed = new Map<TimerHandle, { at: number; frame: Uint8Array }>();

  constructor(
    rates: Rates,
    seed: number,
    private readonly timers: TimerQueue,
    private readonly out: (frame: Uint8Array) => void,
  ) {
    this.rates = rates;
    this.rng = new Random(seed);
  }

  get pending(): number {
    return this.delayed.size + (this.heldForReorder === undefined ? 0 : 1);
  }

  input(frame: Uint8Array): void {
    const r = this.rates;
    const rng = this.rng;
    this.counters.frames++;
    // Fixed draws per frame (see the file comment); none while all three
    // rates are zero, which keeps a configured-but-idle injector cheap.
    const any = r.loss > 0 || r.corrupt > 0 || r.duplicate > 0;
    const lose = any && rng.chance(r.loss);
    const corrupt = any && rng.chance(r.corrupt);
    const dup = any && rng.chance(r.duplicate);
    if (lose) {
      this.counters.lost++;
      return;
    }
    if (corrupt && frame.length > 0) {
      frame = this.corrupt(frame);
      this.counters.corrupted++;
    }
    if (dup) {
      this.counters.duplicated++;
      this.stage2(frame);
      this.stage2(frame);
    } else {
      this.stage2(frame);
    }
  }

  /** Delay. */
  private stage2(frame: Uint8Array): void {
    const r = this.rates;
    let wait = r.delay;
    if (r.jitter > 0) wait += r.jitter * this.rng.nextFloat();
    if (wait > 0) {
      this.counters.delayed++;
      const copy = frame.slice();
      const at = this.timers.clock.now() + wait;
      const h: TimerHandle = this.timers.at(at, () => {
        this.delayed.delete(h);
        this.stage3(copy);
      });
      this.delayed.set(h, { at, frame: copy });
      return;
    }
    this.stage3(frame);
  }

  /** Reorder, then out. */
  private stage3(frame: Uint8Array): void {
    const held = this.heldForReorder;
    if (held !== undefined) {
      // The held frame goes right after this one: the pair is swapped.
      this.heldForReorder = undefined;
      this.timers.cancel(this.reorderTimer);
      this.reorderTimer = undefined;
      this.emit(frame);
      this.emit(held);
      return;
    }
    // Draw only when a frame could be held, so a pair costs one draw.
    if (this.rates.reorder > 0 && this.rng.chance(this.rates.reorder)) {
      this.counters.reordered++;
      this.heldForReorder = frame.slice();
      this.reorderTimer = this.timers.after(this.rates.reorderMaxHold, () => {
        this.reorderTimer = undefined;
        const f = this.heldForReorder;
        this.heldForReorder = undefined;
        if (f !== undefined) this.emit(f);
      });
      return;
    }
    this.emit(frame);
  }

  private emit(frame: Uint8Array): void {
    this.counters.passed++;
    this.out(frame);
  }

  private corrupt(frame: Uint8Array): Uint8Array {
    const copy = frame.slice();
    const nbits = copy.length * 8;
    const k = Math.min(this.rates.corruptBits, nbits);
    // k distinct positions, so the frame really differs in k bits.
    const chosen: number[] = [];
    while (chosen.length < k) {
      const bit = this.rng.nextInt(nbits);
      if (!chosen.includes(bit)) chosen.push(bit);
    }
    for (const bit of chosen) copy[bit >>> 3]! ^= 1 << (bit & 7);
    return copy;
  }

  flush(): void {
    // Delayed copies in the order their timers would have fired.
    const entries = [...this.delayed.entries()].sort((a, b) => a[1].at - b[1].at || a[0].id - b[0].id);
    this.delayed.clear();
    for (const [h] of entries) this.timers.cancel(h);
    const held = this.heldForReorder;
    this.heldForReorder = undefined;
    this.timers.cancel(this.reorderTimer);
    this.reorderTimer = undefined;
    for (const [, d] of entries) this.emit(d.frame);
    if (held !== undefined) this.emit(held);
  }

  cancelAll(): void {
    for (const h of this.delayed.keys()) this.timers.cancel(h);
    this.delayed.clear();
    this.timers.cancel(this.reorderTimer);
    this.reorderTimer = undefined;
    this.heldForReorder = undefined;
  }
}

class FaultInjector implements FaultyLink {
  readonly name: string;
  private handler: FrameHandler | undefined;
  private readonly rx: Pipe;
  private readonly tx: Pipe;
  private rxFrames = 0;
  private rxBytes = 0;
  private closed = false;

  constructor(readonly inner: Link, opts: FaultOptions, private readonly clock: Clock, timers: TimerQueue) {
    if (!Number.isFinite(opts.seed)) throw new RangeError('withFaults: options.seed must be a finite number');
    this.name = inner.name;
    const seeder = new Random(opts.seed);
    const [rxRates, txRates] = FaultInjector.rates(opts);
    this.rx = new Pipe(rxRates, seeder.nextU32(), timers, (f) => this.up(f));
    this.tx = new Pipe(txRates, seeder.nextU32(), timers, (f) => this.inner.send(f));
    inner.onReceive((frame) => this.rx.input(frame));
  }

  private static rates(opts: Omit<FaultOptions, 'seed'>): [Rates, Rates] {
    const dir = opts.direction ?? 'both';
    if (dir !== 'rx' && dir !== 'tx' && dir !== 'both') {
      throw new RangeError(`withFaults: options.direction must be 'rx', 'tx' or 'both', got ${String(dir)}`);
    }
    return [
      resolveRates(opts, opts.rx, dir !== 'tx'),
      resolveRates(opts, opts.tx, dir !== 'rx'),
    ];
  }

  private up(frame: Uint8Array): void {
    this.rxFrames++;
    this.rxBytes += frame.length;
    // Time of delivery, which for a delayed frame is later than its arrival.
    this.handler?.(frame, this.clock.now());
  }

  send(frame: Uint8Array): void {
    this.tx.input(frame);
  }

  onReceive(handler: FrameHandler): void {
    this.handler = handler;
  }

  configure(opts: Omit<FaultOptions, 'seed'>): void {
    const [rxRates, txRates] = FaultInjector.rates(opts);
    this.rx.rates = rxRates;
    this.tx.rates = txRates;
  }

  get pending(): number {
    return this.rx.pending + this.tx.pending;
  }

  flush(): void {
    this.tx.flush();
    this.rx.flush();
  }

  /**
   * rx counts are what reached this link's handler; tx and errors are the
   * inner link's (what really left); rxDropped adds the frames lost here.
   */
  stats(): LinkStats {
    const s = this.inner.stats();
    return {
      ...s,
      rxFrames: this.rxFrames,
      rxBytes: this.rxBytes,
      rxDropped: s.rxDropped + this.rx.counters.lost,
    };
  }

  faultStats(): FaultStats {
    return { rx: { ...this.rx.counters }, tx: { ...this.tx.counters } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rx.cancelAll();
    this.tx.cancelAll();
    await this.inner.close();
  }
}

/** Wrap `link` with seeded fault injection; see the file comment for the semantics. */
export function withFaults(link: Link, opts: FaultOptions, clock: Clock, timers: TimerQueue): FaultyLink {
  return new FaultInjector(link, opts, clock, timers);
}
