/**
 * The simulation runner behind `arpemu run`: one in-memory segment per
 * emulator interface, the emulator attached to each through a port (with
 * the scenario's faults), the virtual hosts, the timeline and the traffic,
 * all on one virtual clock.
 *
 * Time is discrete-event and deterministic. The simulation side (segments,
 * hosts, generators, timeline) shares one TimerQueue; the emulator keeps
 * its own timers behind the Emulator contract. Each step goes to the
 * earlier of the two next deadlines: the emulator's due timers fire first
 * (advanceTo), then the simulation's. Whatever the simulation hands the
 * emulator (a frame delivered to its port, a datagram to send, an
 * operation) is queued and, after the step, given to it one at a time,
 * each run to quiescence (await quiesce()) before the next, so the result
 * does not depend on threads or their timing, only on the seed. What the
 * emulator transmits goes back onto the segment at the current time.
 *
 * With `realtime` virtual time is paced against the wall clock (one virtual
 * second a second) instead of running as fast as it can.
 */
import { performance } from 'node:perf_hooks';
import { VirtualClock } from '../util/clock.js';
import { ArpemuError, isArpemuError } from '../util/errors.js';
import { TeeSink, type EventSink } from '../util/events.js';
import { Random } from '../util/random.js';
import { TimerQueue } from '../util/timers.js';
import type { Ipv4 } from '../wire/addr.js';
import type { Link } from '../link/link.js';
import { Segment } from '../link/segment.js';
import { withFaults, type FaultyLink, type FaultStats } from '../link/faults.js';
import { arpSetOp } from '../arp/admin.js';
import { arpTime } from '../arp/llinfo.js';
import type { Datagram, Emulator, EmulatorOptions, EmuOp, Strategy, Transport } from '../cpu/emulator.js';
import { configOps } from '../config/ops.js';
import { Arrivals } from './arrivals.js';
import { attachHost, type Host } from './host.js';
import { createTraffic, type TrafficGenerator, type TrafficSpec } from './traffic.js';
import type { EmulatorAction, HostAction, Scenario, ScenarioTraffic, TimelineEvent } from './scenario.js';
import {
  SimMetrics, WallSamples, sortedRecord, summarizeReplicas, sumHostCounters,
  type Notice, type Sample, type SimReport,
} from './metrics.js';

export interface RunOptions {
  scenario: Scenario;
  /** Overrides of the scenario's own values. */
  seed?: number | undefined;
  duration?: number | undefined;
  /** Default: the scenario config's cpus, else 1. */
  cpus?: number | undefined;
  strategy?: Strategy;
  transport?: Transport;
  /** Builds the emulator (the CLI picks single-CPU or threaded). */
  createEmulator: (opts: EmulatorOptions) => Emulator;
  /** Pace virtual time against the wall clock. */
  realtime?: boolean;
  /** Called about every `progressInterval` ms of wall time, and once at the end. */
  onProgress?: (p: Progress) => void;
  progressInterval?: number;
  /** Aborting ends the run at the current virtual time; the report says it stopped early. */
  signal?: AbortSignal;
  /** Also receives every emulator event (an events file). */
  events?: EventSink;
  /** Send ARP replies only after the update chain replied (default true, the seed's). */
  syncReply?: boolean;
  /**
   * Called once the segments, hosts and config are in place, before time
   * starts: a stress run adds its own generators on `runner.timers` and
   * feeds the emulator through `runner.inject`.
   */
  onReady?: (runner: SimRunner) => void | Promise<void>;
  /** Called after every stimulus has reached quiescence (invariant checks). */
  afterStimulus?: (s: Stimulus, runner: SimRunner) => void | Promise<void>;
}

/** A snapshot for the live view. */
export interface Progress {
  /** Virtual time now, and the end. */
  t: number;
  end: number;
  wallSeconds: number;
  /** Segment frames so far, and per wall second since the previous snapshot. */
  frames: number;
  framesPerSecond: number;
  emulatorRx: number;
  emulatorTx: number;
  datagrams: number;
  /** Resolutions the emulator completed; ARP replies it sent. */
  resolutions: number;
  replies: number;
  heldSent: number;
  heldDropped: number;
  /** Emulator events so far. */
  events: number;
  /** ARP entries per CPU at the last sample. */
  tables: number[];
  agree: boolean;
  /**
   * Mean wall µs from a frame handed to the emulator to its quiescence
   * since the previous snapshot (the update's trip along the chain), or
   * the emulator's own chain latency when it reports one.
   */
  chainLatencyUs: number | undefined;
  /** Notable events since the previous snapshot. */
  notices: Notice[];
  done: boolean;
}

/** An emulator that can say how long its update chain takes (optional). */
interface ChainLatencySource { chainLatencyUs(): number | undefined }
function hasChainLatency(e: Emulator): e is Emulator & ChainLatencySource {
  return typeof (e as Partial<ChainLatencySource>).chainLatencyUs === 'function';
}

/** What the runner hands the emulator, one at a time. */
export type Stimulus =
  | { kind: 'frame'; iface: string; frame: Uint8Array }
  | { kind: 'output'; dst: Ipv4; datagram: Datagram }
  | { kind: 'op'; op: EmuOp; what: string }
  | { kind: 'sample' };

/** Iterations of the main loop between looks at the wall clock. */
const CHECK_EVERY = 64;
/** Wall milliseconds between yields to the event loop (signals, output, worker messages). */
const YIELD_MS = 50;

export class SimRunner {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly duration: number;
  readonly cpus: number;
  readonly clock = new VirtualClock(0);
  readonly timers = new TimerQueue(this.clock);
  readonly segments = new Map<string, Segment>();
  readonly hosts = new Map<string, Host>();
  readonly metrics: SimMetrics;
  private readonly opts: RunOptions;
  private readonly random: Random;
  private readonly links = new Map<string, Link>();
  private readonly faulty: FaultyLink[] = [];
  private readonly generators: TrafficGenerator[] = [];
  private readonly churners: Arrivals[] = [];
  private churnMacs = 0;
  private emu: Emulator | undefined;
  private emuNow = 0;
  private inbox: Stimulus[] = [];
  private datagramId = 0;
  private maxAge: number;
  private readonly samples: Sample[] = [];
  private readonly frameUs = new WallSamples();
  private readonly outputUs = new WallSamples();
  private lastTables: number[] = [];
  private lastAgree = true;
  private emulatorRx = 0;
  private emulatorTx = 0;
  private datagrams = 0;
  private timelineDone = 0;
  private readonly timelineFailed = new Map<string, number>();
  private stopped = false;
  // wall-clock bookkeeping (never feeds the simulation)
  private wallStart = 0;
  private lastProgressWall = 0;
  private lastProgressFrames = 0;
  private lastYieldWall = 0;

  constructor(opts: RunOptions) {
    this.opts = opts;
    this.scenario = opts.scenario;
    this.seed = opts.seed ?? opts.scenario.seed;
    this.duration = opts.duration ?? opts.scenario.duration;
    this.cpus = opts.cpus ?? opts.scenario.config.cpus ?? 1;
    this.random = new Random(this.seed);
    this.maxAge = opts.scenario.config.sysctl['net.link.ether.inet.max_age'] ?? 1200;
    const config = opts.scenario.config;
    this.metrics = new SimMetrics([...config.interfaces.flatMap((i) => i.addresses.map((a) => a.addr)), ...config.arp.filter((e) => e.pub).map((e) => e.ip)]);
  }

  /** Build everything, run to the end (or until aborted), and report. */
  async run(): Promise<SimReport> {
    const sc = this.scenario;
    const o = this.opts;
    const events = o.events === undefined ? this.metrics : new TeeSink(this.metrics, o.events);
    const emu = o.createEmulator({
      cpus: this.cpus,
      strategy: o.strategy ?? 'chain',
      transport: o.transport ?? 'ring',
      time: { kind: 'virtual', start: 0, lockstep: true },
      events,
      ...(o.syncReply === undefined ? {} : { syncReply: o.syncReply }),
    });
    this.emu = emu;
    this.wallStart = performance.now();
    this.lastProgressWall = this.wallStart;
    this.lastYieldWall = this.wallStart;
    try {
      // Streams forked in a fixed order, so each part's randomness is its own.
      const faultRandom = this.random.fork();
      const hostRandom = this.random.fork();
      const bootRandom = this.random.fork();
      const trafficRandom = this.random.fork();
      this.buildSegments(faultRandom);
      emu.onTransmit((iface, frame) => {
        this.emulatorTx++;
        this.links.get(iface)?.send(frame);
      });
      this.buildHosts(hostRandom, bootRandom);
      for (const op of configOps(sc.config, 0)) {
        await emu.apply(op);
        await emu.quiesce();
      }
      this.schedule(trafficRandom);
      await o.onReady?.(this);
      await this.loop();
      await this.finish();
      return await this.report();
    } finally {
      for (const g of this.generators) g.stop();
      for (const a of this.churners) a.stop();
      for (const h of this.hosts.values()) h.close();
      for (const s of this.segments.values()) await s.close();
      await emu.close();
    }
  }

  // ---- building ----

  private buildSegments(random: Random): void {
    const sc = this.scenario;
    for (const ifc of sc.config.interfaces) {
      const seg = new Segment({ clock: this.clock, timers: this.timers, latency: sc.link.latency, name: ifc.name });
      this.segments.set(ifc.name, seg);
      const port = seg.attach(`emu:${ifc.name}`, ifc.mac!);
      let link: Link = port;
      if (sc.link.emulator !== undefined) {
        const f = withFaults(port, { ...sc.link.emulator, seed: random.nextU32(), direction: 'both' }, this.clock, this.timers);
        this.faulty.push(f);
        link = f;
      }
      const iface = ifc.name;
      link.onReceive((frame) => {
        // The segment's copy is only ours during the call.
        this.inbox.push({ kind: 'frame', iface, frame: frame.slice() });
      });
      this.links.set(iface, link);
    }
  }

  private buildHosts(random: Random, bootRandom: Random): void {
    const onEvent = this.metrics.hostEvent.bind(this.metrics);
    for (const spec of this.scenario.hosts) {
      const seg = this.segments.get(spec.iface)!;
      const opts = {
        clock: this.clock, timers: this.timers, mac: spec.mac, addresses: spec.addresses,
        random: random.fork(), onEvent, defend: spec.defend,
        ...(spec.cacheTimeout === undefined ? {} : { cacheTimeout: spec.cacheTimeout }),
        ...(spec.cacheSize === undefined ? {} : { cacheSize: spec.cacheSize }),
        ...(spec.maxTries === undefined ? {} : { maxTries: spec.maxTries }),
        ...(spec.retryInterval === undefined ? {} : { retryInterval: spec.retryInterval }),
        ...(spec.holdMax === undefined ? {} : { holdMax: spec.holdMax }),
      };
      const host = attachHost(seg, spec.name, opts);
      this.hosts.set(spec.name, host);
      // One draw per host whether it boots or not, so boot times do not shift.
      const u = bootRandom.nextFloat();
      if (spec.boot !== undefined) {
        const t = spec.boot.at + spec.boot.spread * u;
        if (t <= this.duration) this.timers.at(t, () => host.boot());
      }
    }
  }

  private schedule(random: Random): void {
    const sc = this.scenario;
    for (const ev of sc.timeline) {
      if (ev.t <= this.duration) this.timers.at(ev.t, () => this.timelineEvent(ev));
    }
    for (const tr of sc.config.traffic) {
      this.emulatorSend(tr.t, tr.dst, tr.count, tr.interval, { proto: tr.proto, size: tr.size });
    }
    const ctx = { timers: this.timers, random };
    const send = (proto: number, size: number) => (dst: Ipv4): void => this.queueOutput(dst, proto, size);
    for (const tr of sc.traffic) {
      if (tr.kind === 'churn') {
        const r = random.fork();
        const hosts = tr.hosts.map((n) => this.hosts.get(n)!);
        const a = new Arrivals(this.timers, { rate: tr.rate, spacing: tr.spacing, start: tr.start, duration: tr.duration, count: tr.count, random: r }, () => this.churn(hosts, tr, r));
        this.churners.push(a.start());
        continue;
      }
      let spec: TrafficSpec;
      const rate = { rate: tr.rate, spacing: tr.spacing, start: tr.start, duration: tr.duration, count: tr.count };
      let hosts: Host[] = [];
      if (tr.kind === 'emulator-send') {
        spec = { kind: 'emulator-send', ...rate, destinations: tr.destinations, mix: tr.mix };
      } else {
        hosts = tr.hosts.map((n) => this.hosts.get(n)!);
        spec = tr.kind === 'noise'
          ? { kind: 'noise', ...rate, mode: tr.mode, hostMix: tr.hostMix, targetMix: tr.targetMix }
          : { kind: tr.kind, ...rate, targets: tr.targets, mode: tr.mode, hostMix: tr.hostMix, targetMix: tr.targetMix };
      }
      const g = createTraffic(ctx, spec, tr.kind === 'emulator-send' ? { send: send(tr.proto, tr.size) } : { hosts });
      this.generators.push(g.start());
    }
    // Table samples at fixed virtual times (the report's timeline and the live view).
    const every = sc.sample;
    const sampleAt = (k: number): void => {
      const t = k * every;
      if (t >= this.duration) return; // the final sample is taken at the end
      this.timers.at(t, () => { this.inbox.push({ kind: 'sample' }); sampleAt(k + 1); });
    };
    sampleAt(1);
  }

  /** One churn event: a random host does a random one of the actions (always three draws). */
  private churn(hosts: readonly Host[], tr: Extract<ScenarioTraffic, { kind: 'churn' }>, r: Random): void {
    const h = hosts[r.nextInt(hosts.length)]!;
    const action = tr.actions[r.nextInt(tr.actions.length)]!;
    const other = hosts[r.nextInt(hosts.length)]!;
    if (h.silent) return;
    switch (action) {
      case 'move':
        // 02:fe:... is never handed out by scenario files' defaults.
        h.moveTo(0x02_fe_00_00_00_00 + ++this.churnMacs);
        break;
      case 'silent':
        h.goSilent();
        if (tr.downtime > 0) this.timers.after(tr.downtime, () => { if (h.silent) h.comeBack(); });
        break;
      case 'claim': {
        const ip = other.addresses[0];
        if (other === h || ip === undefined || h.isMine(ip)) return;
        h.claim(ip);
        if (tr.hold > 0) this.timers.after(tr.hold, () => { h.release(ip); });
        break;
      }
      case 'gratuitous': {
        const ip = h.addresses[0];
        if (ip !== undefined) h.sendGratuitous(ip);
        break;
      }
    }
  }

  /** The emulator being driven (after run() started). */
  get emulator(): Emulator {
    if (this.emu === undefined) throw new ArpemuError('EINVAL', 'SimRunner: the emulator exists once run() has started');
    return this.emu;
  }

  /**
   * Queue a stimulus for the emulator at the current virtual time (from a
   * timer callback or onReady): it is handled, to quiescence, in order
   * with the rest.
   */
  inject(s: Stimulus): void {
    this.inbox.push(s);
  }

  private queueOutput(dst: Ipv4, proto: number, size: number): void {
    this.datagramId = (this.datagramId + 1) & 0xffff;
    this.inbox.push({ kind: 'output', dst, datagram: { proto, size, id: this.datagramId } });
  }

  /** The emulator sends `count` datagrams to `dst`, `interval` apart from `t`. */
  private emulatorSend(t: number, dst: Ipv4, count: number, interval: number, d: { proto: number; size: number }): void {
    if (interval === 0) {
      this.timers.at(t, () => { for (let i = 0; i < count; i++) this.queueOutput(dst, d.proto, d.size); });
      return;
    }
    new Arrivals(this.timers, { rate: 1 / interval, count, start: t }, () => this.queueOutput(dst, d.proto, d.size)).start();
  }

  // ---- the timeline ----

  private timelineEvent(ev: TimelineEvent): void {
    this.timelineDone++;
    try {
      if (ev.host === undefined) this.emulatorAction(ev.action);
      else this.hostAction(this.hosts.get(ev.host)!, ev.action);
    } catch (e) {
      this.timelineFailure(`timeline[${ev.index}] ${ev.action.do}: ${isArpemuError(e) ? e.code : e instanceof Error ? e.message : String(e)}`);
    }
  }

  private timelineFailure(what: string): void {
    this.timelineFailed.set(what, (this.timelineFailed.get(what) ?? 0) + 1);
  }

  private hostAction(h: Host, a: HostAction): void {
    switch (a.do) {
      case 'move': h.moveTo(a.mac); break;
      case 'silent': h.goSilent(); break;
      case 'back': h.comeBack(); break;
      case 'claim': h.claim(a.ip); break;
      case 'release': h.release(a.ip); break;
      case 'probe': h.probe(a.ip); break;
      case 'arping': h.arping(a.ip); break;
      case 'gratuitous': {
        const ip = a.ip ?? h.addresses[0];
        if (ip === undefined) throw new ArpemuError('EADDRNOTAVAIL', `${h.name} has no address to announce`);
        h.sendGratuitous(ip, a.form);
        break;
      }
      case 'send': h.sendTo(a.ip, a.count, a.interval); break;
      case 'flood':
        h.flood({
          rate: a.rate, targets: a.targets, spacing: a.spacing, order: a.order,
          ...(a.duration === undefined ? {} : { duration: a.duration }),
          ...(a.count === undefined ? {} : { count: a.count }),
          ...(a.sender === undefined ? {} : { senderIp: a.sender }),
        });
        break;
    }
  }

  private emulatorAction(a: EmulatorAction): void {
    const op = (o: EmuOp): void => { this.inbox.push({ kind: 'op', op: o, what: a.do }); };
    switch (a.do) {
      case 'send': this.emulatorSend(this.clock.now(), a.ip, a.count, a.interval, a); break;
      case 'arp-set':
        op(arpSetOp(a.ip, a.mac, { temp: a.temp, pub: a.pub, now: arpTime(this.clock), maxAge: this.maxAge }));
        break;
      case 'arp-delete': op({ op: 'delete', ip: a.ip }); break;
      case 'arp-flush': op({ op: 'flush' }); break;
      case 'sysctl':
        if (a.name === 'net.link.ether.inet.max_age') this.maxAge = a.value;
        op({ op: 'sysctl', name: a.name, value: a.value });
        break;
      case 'addr-add': case 'addr-delete':
        op({ op: 'ifaddr', cmd: a.do === 'addr-add' ? 'add' : 'delete', iface: a.iface, addr: a.addr, plen: a.plen });
        break;
    }
  }

  // ---- driving time ----

  private async loop(): Promise<void> {
    const emu = this.emu!;
    const end = this.duration;
    let n = 0;
    for (;;) {
      await this.drain();
      if (this.aborted()) { this.stopped = true; return; }
      const tS = this.timers.nextDeadline() ?? Infinity;
      const rawE = emu.nextDeadline() ?? Infinity;
      // A timer due at the emulator's present fires on its next advance; it must not pin the loop here.
      const tE = rawE <= this.emuNow ? Infinity : rawE;
      const t = Math.min(tS, tE);
      if (t > end) return;
      if (this.opts.realtime === true) {
        await this.pace(t);
        if (this.aborted()) { this.stopped = true; return; }
      }
      if (t > this.clock.now()) this.clock.set(t);
      if (rawE <= t && t > this.emuNow) {
        await emu.advanceTo(t);
        this.emuNow = t;
        await emu.quiesce();
      }
      this.timers.runDue();
      if (++n % CHECK_EVERY === 0) await this.tick(false);
    }
  }

  private aborted(): boolean { return this.opts.signal?.aborted === true; }

  /** Hand the queued stimuli to the emulator, one at a time, each to quiescence. */
  private async drain(): Promise<void> {
    if (this.inbox.length === 0) return;
    const emu = this.emu!;
    const now = this.clock.now();
    if (now > this.emuNow) {
      await emu.advanceTo(now);
      this.emuNow = now;
      await emu.quiesce();
    }
    // Handling one may queue more (nothing does today, but keep the order if it does).
    for (let i = 0; i < this.inbox.length; i++) {
      const s = this.inbox[i]!;
      const t0 = performance.now();
      switch (s.kind) {
        case 'frame':
          this.emulatorRx++;
          emu.input(s.iface, s.frame);
          await emu.quiesce();
          this.frameUs.add((performance.now() - t0) * 1000);
          break;
        case 'output':
          this.datagrams++;
          emu.output(s.dst, s.datagram);
          await emu.quiesce();
          this.outputUs.add((performance.now() - t0) * 1000);
          break;
        case 'op':
          try {
            await emu.apply(s.op);
          } catch (e) {
            this.timelineFailure(`${s.what}: ${isArpemuError(e) ? e.code : String(e)}`);
          }
          await emu.quiesce();
          break;
        case 'sample':
          await emu.quiesce();
          await this.sample();
          break;
      }
      if (this.opts.afterStimulus !== undefined) await this.opts.afterStimulus(s, this);
    }
    this.inbox = [];
  }

  private async sample(): Promise<void> {
    const reps = summarizeReplicas(await this.emu!.dump());
    const s: Sample = { t: this.clock.now(), frames: this.frames(), entries: reps.map((r) => r.entries), agree: reps.every((r) => r.differsFromCpu0 === 0) };
    this.samples.push(s);
    this.lastTables = s.entries;
    this.lastAgree = s.agree;
  }

  private frames(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.stats().frames;
    return n;
  }

  /** Wait until the wall clock reaches virtual time `t` (one virtual second a second). */
  private async pace(t: number): Promise<void> {
    for (;;) {
      const due = this.wallStart + t * 1000;
      const left = due - performance.now();
      if (left <= 0 || this.aborted()) return;
      await new Promise((r) => setTimeout(r, Math.min(left, 100)));
      await this.tick(false);
    }
  }

  /** Progress to the view, and a yield to the event loop now and then. */
  private async tick(done: boolean): Promise<void> {
    const now = performance.now();
    const every = this.opts.progressInterval ?? 200;
    if (this.opts.onProgress !== undefined && (done || now - this.lastProgressWall >= every)) {
      const frames = this.frames();
      const dt = (now - this.lastProgressWall) / 1000;
      const emu = this.emu!;
      this.opts.onProgress({
        t: this.clock.now(), end: this.duration, wallSeconds: (now - this.wallStart) / 1000,
        frames, framesPerSecond: dt > 0 ? (frames - this.lastProgressFrames) / dt : 0,
        emulatorRx: this.emulatorRx, emulatorTx: this.emulatorTx, datagrams: this.datagrams,
        resolutions: this.metrics.resolutions, replies: this.metrics.count('arp.reply_sent'),
        heldSent: this.metrics.count('arp.held_sent'), heldDropped: this.metrics.count('arp.held_dropped'),
        events: this.metrics.eventCount, tables: this.lastTables, agree: this.lastAgree,
        chainLatencyUs: hasChainLatency(emu) ? emu.chainLatencyUs() : this.frameUs.takeWindowMean(),
        notices: this.metrics.takeNotices(), done,
      });
      this.lastProgressWall = now;
      this.lastProgressFrames = frames;
    }
    if (now - this.lastYieldWall >= YIELD_MS) {
      this.lastYieldWall = now;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Bring both clocks to the end (or the stopping point), settle, and take the last sample. */
  private async finish(): Promise<void> {
    const emu = this.emu!;
    const end = this.stopped ? this.clock.now() : this.duration;
    if (end > this.clock.now()) this.clock.set(end);
    if (!this.stopped) this.timers.runDue();
    await this.drain();
    if (end > this.emuNow) {
      await emu.advanceTo(end);
      this.emuNow = end;
    }
    await emu.quiesce();
    this.inbox.push({ kind: 'sample' });
    await this.drain();
    await this.tick(true);
  }

  private async report(): Promise<SimReport> {
    const sc = this.scenario;
    const emu = this.emu!;
    const dump = await emu.dump();
    const replicas = summarizeReplicas(dump);
    const seg = { frames: 0, bytes: 0, deliveries: 0, unknownUnicast: 0, undelivered: 0 };
    for (const s of this.segments.values()) {
      const st = s.stats();
      seg.frames += st.frames; seg.bytes += st.bytes; seg.deliveries += st.deliveries;
      seg.unknownUnicast += st.unknownUnicast; seg.undelivered += st.undelivered;
    }
    let faults: FaultStats | null = null;
    for (const f of this.faulty) {
      const st = f.faultStats();
      if (faults === null) faults = st;
      else for (const dir of ['rx', 'tx'] as const) for (const k of Object.keys(st[dir]) as (keyof FaultStats['rx'])[]) faults[dir][k] += st[dir][k];
    }
    const end = this.clock.now();
    const wallSeconds = (performance.now() - this.wallStart) / 1000;
    return {
      scenario: {
        name: sc.name, description: sc.description, seed: this.seed, duration: this.duration,
        hosts: sc.hosts.length, cpus: emu.cpus, strategy: this.opts.strategy ?? 'chain',
        transport: this.opts.transport ?? 'ring', realtime: this.opts.realtime === true,
      },
      end,
      stopped: this.stopped,
      frames: {
        segment: seg, emulatorRx: this.emulatorRx, emulatorTx: this.emulatorTx,
        perSecond: end > 0 ? Math.round((seg.frames / end) * 10) / 10 : 0,
      },
      emulator: { datagrams: this.datagrams },
      timeline: { events: this.timelineDone, failed: sortedRecord(this.timelineFailed) },
      resolution: {
        emulator: this.metrics.emulatorLatency(),
        hostsToEmulator: this.metrics.hostToEmulatorLatency(),
        hosts: this.metrics.hostLatency(),
      },
      held: { sent: dump.stats.heldsent, dropped: dump.stats.dropped, dropReasons: sortedRecord(this.metrics.heldDropReasons) },
      events: sortedRecord(this.metrics.events),
      hostEvents: sortedRecord(this.metrics.hostEvents),
      hostCounters: sumHostCounters([...this.hosts.values()].map((h) => h.counters())),
      faults,
      replicas,
      agree: replicas.every((r) => r.differsFromCpu0 === 0),
      samples: this.samples,
      stats: dump.stats,
      dump,
      wall: {
        seconds: Math.round(wallSeconds * 1000) / 1000,
        framesPerSecond: wallSeconds > 0 ? Math.round(seg.frames / wallSeconds) : 0,
        virtualPerWall: wallSeconds > 0 ? Math.round((end / wallSeconds) * 10) / 10 : 0,
        stimulusUs: { frames: this.frameUs.stats(), datagrams: this.outputUs.stats() },
      },
    };
  }
}

/** Run a scenario and return its report. */
export async function runScenario(opts: RunOptions): Promise<SimReport> {
  return new SimRunner(opts).run();
}
