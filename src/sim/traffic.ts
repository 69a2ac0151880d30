/**
 * Traffic generators for simulations and stress runs. Each one is an
 * arrival process (constant spacing or Poisson, at a rate, from a start,
 * for a duration or a count) that picks a destination (uniform or Zipf over
 * a list) and does one thing at each arrival:
 *
 *   (a) `emulatorTraffic`  calls `send(dst)`: the emulator's own stack
 *                           sending IPv4 to many destinations (the scenario
 *                           runner supplies `send`);
 *   (b) `hostsToEmulator`  a host asks for the emulator's address(es);
 *   (c) `publishedTargets` a host asks for a published (proxy) address;
 *   (d) `broadcastNoise`   a host asks for another host (background noise).
 *
 * Scheduling is lazy: a generator holds exactly one timer while it runs,
 * whatever its rate and duration. Every generator draws from its own stream
 * forked from the context's Random when it is created, so the schedule of
 * one does not depend on what the others draw: same seed and same creation
 * order give the same (time, destination) sequence.
 */
import type { Random } from '../util/random.js';
import type { TimerQueue } from '../util/timers.js';
import type { Ipv4 } from '../wire/addr.js';
import { Arrivals, type Spacing } from './arrivals.js';
import { ZipfSampler, type ZipfMethod } from './zipf.js';

/** How destinations (or hosts) are drawn from a list. */
export type Mix =
  | { kind: 'uniform' }
  /**
   * Rank k (0-based list position) with probability ∝ 1/(k+1)^s. `shuffle`
   * permutes the list once (from the generator's stream) so popularity is
   * not tied to list order.
   */
  | { kind: 'zipf'; s: number; shuffle?: boolean; method?: ZipfMethod };

export const UNIFORM: Mix = { kind: 'uniform' };

/** Draws items of a fixed list according to a Mix. */
export class Picker<T> {
  readonly items: readonly T[];
  private readonly zipf: ZipfSampler | undefined;

  constructor(items: readonly T[], mix: Mix = UNIFORM, random?: Random) {
    if (items.length === 0) throw new RangeError('Picker: the list is empty');
    if (mix.kind === 'zipf') {
      this.zipf = new ZipfSampler(items.length, mix.s, mix.method);
      if (mix.shuffle === true) {
        if (random === undefined) throw new RangeError('Picker: shuffle needs a random');
        this.items = random.shuffle([...items]);
        return;
      }
    } else if (mix.kind !== 'uniform') {
      throw new RangeError(`Picker: mix.kind must be 'uniform' or 'zipf', got ${String((mix as { kind: unknown }).kind)}`);
    }
    this.items = items;
  }

  /** Index into `items` of the next draw. */
  pickIndex(random: Random): number {
    return this.zipf === undefined ? random.nextInt(this.items.length) : this.zipf.sample(random);
  }

  pick(random: Random): T {
    return this.items[this.pickIndex(random)]!;
  }
}

/** When and how often a generator fires. */
export interface RateOptions {
  /** Events per second (> 0). */
  rate: number;
  /** Default 'constant'. */
  spacing?: Spacing;
  /** Absolute virtual time of the first slot; default: now when started. */
  start?: number;
  /** Seconds; default Infinity. */
  duration?: number;
  /** Most events; default Infinity. */
  count?: number;
}

export interface TrafficContext {
  timers: TimerQueue;
  /** Each generator forks its own stream from this one when created. */
  random: Random;
}

export type TrafficKind = 'emulator-send' | 'host-requests' | 'published' | 'noise';

/** A running generator. */
export class TrafficGenerator {
  readonly kind: TrafficKind;
  /** Events that did something (a frame or a send call). */
  acted = 0;
  /** Events that found nothing to do (the chosen host silent, closed or without an address). */
  skipped = 0;
  private readonly arrivals: Arrivals;

  /** @internal build through the factory functions */
  constructor(kind: TrafficKind, timers: TimerQueue, random: Random, rate: RateOptions, act: (random: Random, index: number, time: number) => boolean) {
    this.kind = kind;
    this.arrivals = new Arrivals(timers, {
      rate: rate.rate, spacing: rate.spacing, start: rate.start, duration: rate.duration, count: rate.count, random,
    }, (i, t) => {
      if (act(random, i, t)) this.acted++;
      else this.skipped++;
    });
  }

  /** Arm the first event; `then` runs when the schedule ends on its own. Returns this. */
  start(then?: () => void): this {
    this.arrivals.start(then);
    return this;
  }

  stop(): void { this.arrivals.stop(); }
  /** Events so far (acted + skipped). */
  get fired(): number { return this.arrivals.fired; }
  get running(): boolean { return this.arrivals.running; }
  get done(): boolean { return this.arrivals.done; }
  get nextAt(): number | undefined { return this.arrivals.nextAt; }
}

// ---- (a) the emulator's own stack sending IPv4 ----

export interface EmulatorTrafficOptions extends RateOptions {
  destinations: readonly Ipv4[];
  mix?: Mix;
  /** The scenario runner's hook: send one IPv4 packet to `dst` through the emulator. */
  send: (dst: Ipv4, index: number, time: number) => void;
}

export function emulatorTraffic(ctx: TrafficContext, opts: EmulatorTrafficOptions): TrafficGenerator {
  const random = ctx.random.fork();
  const picker = new Picker(nonEmpty(opts.destinations, 'destinations'), opts.mix, random);
  const send = opts.send;
  return new TrafficGenerator('emulator-send', ctx.timers, random, opts, (r, i, t) => {
    send(picker.pick(r), i, t);
    return true;
  });
}

// ---- (b), (c), (d): hosts asking ----

/** What a host does to "ask" for an address. */
export type AskMode =
  /** a broadcast request whatever its cache holds (arping) */
  | 'arping'
  /** resolve only if not cached or already being resolved */
  | 'resolve'
  /** send a UDP datagram, resolving first if needed */
  | 'datagram';

/** The part of a Host the generators use (a Host fits). */
export interface TrafficHost {
  readonly addresses: readonly Ipv4[];
  readonly silent: boolean;
  arping(ip: Ipv4): boolean;
  resolve(ip: Ipv4): 'cached' | 'pending' | 'started' | 'dropped';
  sendDatagram(ip: Ipv4): 'sent' | 'queued' | 'dropped';
}

function ask(host: TrafficHost, ip: Ipv4, mode: AskMode): boolean {
  if (host.silent) return false;
  switch (mode) {
    case 'arping': return host.arping(ip);
    case 'resolve': return host.resolve(ip) !== 'dropped';
    case 'datagram': return host.sendDatagram(ip) !== 'dropped';
  }
}

export interface HostRequestOptions extends RateOptions {
  hosts: readonly TrafficHost[];
  /** How the asking host is chosen; default uniform. */
  hostMix?: Mix;
  /** Default 'arping' (every event is a request on the wire). */
  mode?: AskMode;
}

export interface HostsToEmulatorOptions extends HostRequestOptions {
  /** The emulator's address(es). */
  targets: readonly Ipv4[];
  targetMix?: Mix;
}

/** (b) Hosts asking for the emulator's address(es). */
export function hostsToEmulator(ctx: TrafficContext, opts: HostsToEmulatorOptions): TrafficGenerator {
  return hostAsks('host-requests', ctx, opts);
}

/** (c) Hosts asking for published (proxy-ARP) addresses the emulator answers for. */
export function publishedTargets(ctx: TrafficContext, opts: HostsToEmulatorOptions): TrafficGenerator {
  return hostAsks('published', ctx, opts);
}

function hostAsks(kind: TrafficKind, ctx: TrafficContext, opts: HostsToEmulatorOptions): TrafficGenerator {
  const random = ctx.random.fork();
  const hosts = new Picker(nonEmpty(opts.hosts, 'hosts'), opts.hostMix, random);
  const targets = new Picker(nonEmpty(opts.targets, 'targets'), opts.targetMix, random);
  const mode = checkMode(opts.mode ?? 'arping');
  return new TrafficGenerator(kind, ctx.timers, random, opts, (r) => {
    // Always two draws an event, so a skip does not shift later choices.
    const host = hosts.pick(r);
    const ip = targets.pick(r);
    return ask(host, ip, mode);
  });
}

export interface NoiseOptions extends HostRequestOptions {
  /** How the host asked about is chosen (never the asker); default uniform. */
  targetMix?: Mix;
}

/**
 * (d) Background noise: a host asks for another host's first address. The
 * target is drawn over the host list; a draw of the asker itself moves on to
 * the next host in the list.
 */
export function broadcastNoise(ctx: TrafficContext, opts: NoiseOptions): TrafficGenerator {
  const random = ctx.random.fork();
  const list = nonEmpty(opts.hosts, 'hosts');
  if (list.length < 2) throw new RangeError('broadcastNoise: options.hosts needs at least two hosts');
  const askers = new Picker(list, opts.hostMix, random);
  const targets = new Picker(list, opts.targetMix, random);
  const mode = checkMode(opts.mode ?? 'arping');
  const n = list.length;
  return new TrafficGenerator('noise', ctx.timers, random, opts, (r) => {
    const a = askers.pickIndex(r);
    let b = targets.pickIndex(r);
    const host = askers.items[a]!;
    let target = targets.items[b]!;
    if (target === host) {
      b = (b + 1) % n;
      target = targets.items[b]!;
    }
    const ip = target.addresses[0];
    return ip !== undefined && ask(host, ip, mode);
  });
}

// ---- one entry point for scenario files ----

/** A generator as a scenario describes it (addresses already parsed to numbers). */
export type TrafficSpec =
  | ({ kind: 'emulator-send'; destinations: readonly Ipv4[]; mix?: Mix } & RateOptions)
  | ({ kind: 'host-requests' | 'published'; targets: readonly Ipv4[]; targetMix?: Mix; hostMix?: Mix; mode?: AskMode } & RateOptions)
  | ({ kind: 'noise'; targetMix?: Mix; hostMix?: Mix; mode?: AskMode } & RateOptions);

export interface TrafficBindings {
  /** Required by 'emulator-send'. */
  send?: (dst: Ipv4, index: number, time: number) => void;
  /** Required by the host kinds. */
  hosts?: readonly TrafficHost[];
}

/** Build (not start) the generator a spec describes. */
export function createTraffic(ctx: TrafficContext, spec: TrafficSpec, bind: TrafficBindings): TrafficGenerator {
  switch (spec.kind) {
    case 'emulator-send': {
      if (bind.send === undefined) throw new RangeError('createTraffic: emulator-send needs a send hook');
      return emulatorTraffic(ctx, { ...spec, send: bind.send });
    }
    case 'host-requests':
    case 'published': {
      const o = { ...spec, hosts: bind.hosts ?? [] };
      return spec.kind === 'published' ? publishedTargets(ctx, o) : hostsToEmulator(ctx, o);
    }
    case 'noise':
      return broadcastNoise(ctx, { ...spec, hosts: bind.hosts ?? [] });
    default:
      throw new RangeError(`createTraffic: unknown kind ${String((spec as { kind: unknown }).kind)}`);
  }
}

function nonEmpty<T>(list: readonly T[], what: string): readonly T[] {
  if (list.length === 0) throw new RangeError(`traffic: options.${what} must not be empty`);
  return list;
}

function checkMode(mode: AskMode): AskMode {
  if (mode !== 'arping' && mode !== 'resolve' && mode !== 'datagram') {
    throw new RangeError(`traffic: options.mode must be 'arping', 'resolve' or 'datagram', got ${String(mode)}`);
  }
  return mode;
}

