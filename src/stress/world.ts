/**
 * One world of a stress run: an emulator (the one under test, or the
 * single-threaded model) on in-memory segments, one per interface, with
 * seeded link faults on its ports, the virtual hosts of the setup, and a
 * port of the tester's own for crafted frames; all on one virtual clock.
 *
 * The world executes ops in order (perform): time first runs to the op's
 * virtual time, emulator timers and simulation timers interleaved as in
 * src/sim/runner.ts, then the op, then everything it caused at that
 * instant. The emulator runs in lockstep: every stimulus (a frame, a
 * datagram, an operation, a timer tick) runs to quiescence before the next,
 * so the same op log gives the same run, whatever the threads do.
 *
 * Concurrent mode (`run.concurrent`, the emulator under test only): the
 * emulator runs free (no lockstep). Every stimulus of one virtual instant
 * (the ops that share a time, the frames they cause) is handed over at
 * once and only then waited for, so the CPU threads really process them at
 * the same time; kills then strike while messages are in flight. The run
 * is no longer a function of the op log alone (no model comparison, and
 * the datagram MAC check and exact counter identities after a kill are off).
 *
 * While it runs, the world watches what the emulator transmits: a digest
 * of every frame (compared with the model's), the ARP requests and
 * replies, and every IPv4 datagram against a ledger of the datagrams it was
 * asked to send (held_once: sent at most once, to the MAC its next hop has
 * when it leaves). Every emulator call is guarded by a wall-clock watchdog
 * (liveness).
 */
import { VirtualClock } from '../util/clock.js';
import { ArpemuError, isArpemuError } from '../util/errors.js';
import { Random } from '../util/random.js';
import { TimerQueue } from '../util/timers.js';
import { formatIpv4, formatMac, isMacGroup, readMac } from '../wire/addr.js';
import { formatFrame } from '../wire/print.js';
import type { Link } from '../link/link.js';
import { Segment, type SegmentPort } from '../link/segment.js';
import { withFaults, type FaultStats, type FaultyLink } from '../link/faults.js';
import { ARPSTAT_FIELDS, sumArpStats, ArpStat, type ArpStatValues, type DropReason } from '../arp/stats.js';
import type { CpuDump, EmuDump, EmuOp, Emulator } from '../cpu/emulator.js';
import { InlineEmulator } from '../cpu/inline.js';
import { ThreadedEmulator } from '../cpu/threaded.js';
import { SingleCpuEmulator } from '../cpu/single.js';
import type { CpuTestHooks } from '../cpu/testhooks.js';
import { attachHost, type Host } from '../sim/host.js';
import { fromHex, linkFaultsOn, type RunSpec, type StressOp, type StressSetup, type ViolationInfo } from './oplog.js';
import { nexthopOf, type Observation, type TxCounts } from './invariants.js';

/** Thrown when an emulator call does not come back within the watchdog. */
export class LivenessError extends Error {
  /** `ms` > 0: a call that outlived the watchdog; 0: `what` says it all. */
  constructor(readonly what: string, ms: number) {
    super(ms > 0 ? `${what} did not complete within ${ms} ms of wall time (hang)` : what);
  }
}

export type WorldRole = 'emulator' | 'model';

export interface WorldOptions {
  setup: StressSetup;
  run: RunSpec;
  role: WorldRole;
  /** Wall milliseconds any emulator call may take. */
  watchdogMs: number;
  /** Keep the frames of the current op (to show the first difference). */
  keepFrames: boolean;
}

interface Stimulus { iface: string; frame: Uint8Array }

interface Datagram { dst: number; sent: number; op: number; t: number }

/**
 * Ledger entries older than this (virtual seconds) are forgotten: no held
 * packet outlives its entry that long (max_age is at most 600 s in the
 * generator's knobs), and a soak must not remember every datagram.
 */
const LEDGER_HORIZON = 3600;

interface TxRecord { iface: string; t: number; frame: Uint8Array }

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Build the emulator a world runs. */
export function buildEmulator(run: RunSpec, role: WorldRole): Emulator {
  const time = { kind: 'virtual' as const, start: 0, lockstep: role === 'model' || !run.concurrent };
  if (role === 'model') {
    if (run.model === 'single') return new SingleCpuEmulator({ time });
    return new InlineEmulator({ cpus: 1, strategy: 'chain', transport: 'ring', time });
  }
  const hooks: CpuTestHooks = {
    bug: run.bug ?? undefined,
    stall: run.faults.stall > 0 ? { p: run.faults.stall, maxUs: run.faults.stallUs, seed: run.seed } : undefined,
  };
  const opts = { cpus: run.cpus, strategy: run.strategy, transport: run.transport, time, hooks };
  return run.emulator === 'threaded' ? new ThreadedEmulator(opts) : new InlineEmulator(opts);
}

export class World {
  readonly role: WorldRole;
  readonly clock = new VirtualClock(0);
  readonly timers = new TimerQueue(this.clock);
  readonly emu: Emulator;
  readonly hosts = new Map<string, Host>();
  readonly segments = new Map<string, Segment>();
  /** Addresses the run named (setup, ops, frames delivered): an entry for anything else is a phantom. */
  readonly universe = new Set<number>();
  // observations
  rxDelivered = 0;
  readonly tx: TxCounts = { frames: 0, arpRequests: 0, arpReplies: 0, ipv4: 0, other: 0 };
  txDigest = FNV_OFFSET;
  outputs = 0;
  sent = 0;
  lostHeld = 0;
  /** Counters that died with killed CPUs. */
  readonly lostStats = new ArpStat();
  /** Result of the last admin op: 'ok' or the errno. */
  lastAdmin = '';
  hostErrors = 0;
  kills = 0;
  /** Violations seen while running (held_once), taken by the driver. */
  readonly found: ViolationInfo[] = [];
  /** Frames the current op made the emulator send. */
  readonly opFrames: TxRecord[] = [];

  private readonly opts: WorldOptions;
  private readonly links = new Map<string, Link>();
  private readonly faulty: FaultyLink[] = [];
  private readonly injectors = new Map<string, SegmentPort>();
  private readonly ifIndex = new Map<string, number>();
  private inbox: Stimulus[] = [];
  private emuNow = 0;
  private opIndex = -1;
  private nextId = 1;
  private readonly ledger = new Map<number, Datagram>();
  private ledgerSwept = 0;
  /** On-link prefixes the run configured (addresses outside them cannot get entries: the route check sees to that). */
  private readonly prefixes: { net: number; mask: number }[] = [];
  /** Lockstep (every stimulus to quiescence) or concurrent (see the file comment). */
  readonly lockstep: boolean;
  /** False once a CPU died with messages in flight: its counters are gone uncounted. */
  countersExact = true;
  /** Concurrent mode: admin operations under way. */
  private pendingAdmins: { op: EmuOp; done: () => boolean; result: Promise<string> }[] = [];
  /** IPv4 frames sent during the current stimulus, to check against the table once it settled. */
  private pendingMacChecks: { dst: number; mac: number }[] = [];
  private closed = false;

  constructor(opts: WorldOptions) {
    this.opts = opts;
    this.role = opts.role;
    this.lockstep = opts.role === 'model' || opts.run.concurrent !== true;
    this.emu = buildEmulator(opts.run, opts.role);
  }

  get name(): string { return this.role === 'model' ? 'the model' : 'the emulator'; }

  // ------------------------------------------------------------------ building

  async start(): Promise<void> {
    const { setup, run } = this.opts;
    const random = new Random(run.seed);
    const faultRandom = random.fork();
    const hostRandom = random.fork();
    const f = run.faults;
    setup.interfaces.forEach((ifc, i) => {
      this.ifIndex.set(ifc.name, i);
      const seg = new Segment({ clock: this.clock, timers: this.timers, name: ifc.name });
      this.segments.set(ifc.name, seg);
      const port = seg.attach(`emu:${ifc.name}`, ifc.mac);
      let link: Link = port;
      if (linkFaultsOn(f)) {
        const fl = withFaults(port, {
          seed: faultRandom.nextU32(), direction: 'both', loss: f.loss, duplicate: f.duplicate, reorder: f.reorder,
          corrupt: f.corrupt, delay: f.delay, jitter: f.jitter,
        }, this.clock, this.timers);
        this.faulty.push(fl);
        link = fl;
      }
      const iface = ifc.name;
      link.onReceive((frame) => { this.inbox.push({ iface, frame: frame.slice() }); });
      this.links.set(iface, link);
      const inj = seg.attach(`stress:${ifc.name}`, 0x02_ff_00_00_00_00 + i);
      inj.onReceive(() => { /* the tester's port only talks */ });
      this.injectors.set(iface, inj);
      for (const a of ifc.addresses) {
        this.notePrefix(a.addr, a.plen);
        this.universe.add(a.addr);
        this.universe.add((a.addr | ~(a.plen === 0 ? 0 : (0xffffffff << (32 - a.plen)))) >>> 0);
      }
    });
    for (const h of setup.hosts) {
      const seg = this.segments.get(h.iface);
      if (seg === undefined) throw new ArpemuError('ERR_CONFIG', `setup: host ${h.name} is on unknown interface ${h.iface}`);
      this.hosts.set(h.name, attachHost(seg, h.name, {
        clock: this.clock, timers: this.timers, mac: h.mac, addresses: [h.ip], random: hostRandom.fork(),
        cacheTimeout: setup.hostCacheTimeout,
      }));
      this.universe.add(h.ip);
    }
    this.emu.onTransmit((iface, frame, t) => this.onTx(iface, frame, t));
    for (const ifc of setup.interfaces) await this.admin({ op: 'ifattach', iface: { name: ifc.name, mac: ifc.mac, flags: [] } }, true);
    for (const [name, value] of Object.entries(setup.sysctl)) await this.admin({ op: 'sysctl', name, value }, true);
    for (const ifc of setup.interfaces) {
      for (const a of ifc.addresses) await this.admin({ op: 'ifaddr', cmd: 'add', iface: ifc.name, addr: a.addr, plen: a.plen }, true);
    }
    for (const h of this.hosts.values()) h.boot();
    await this.settle();
  }

  // ------------------------------------------------------------------ watching the emulator's output

  private onTx(iface: string, frame: Uint8Array, t: number): void {
    const len = frame.length;
    let h = this.txDigest;
    h = Math.imul(h ^ (this.ifIndex.get(iface) ?? 255), FNV_PRIME);
    for (let i = 0; i < len; i++) h = Math.imul(h ^ frame[i]!, FNV_PRIME);
    this.txDigest = h >>> 0;
    this.tx.frames++;
    if (this.opts.keepFrames) this.opFrames.push({ iface, t, frame: frame.slice() });
    const type = len >= 14 ? (frame[12]! << 8) | frame[13]! : -1;
    if (type === 0x0806 && len >= 22) {
      const op = (frame[20]! << 8) | frame[21]!;
      if (op === 1) this.tx.arpRequests++; else if (op === 2) this.tx.arpReplies++; else this.tx.other++;
    } else if (type === 0x0800 && len >= 34) {
      this.tx.ipv4++;
      this.onDatagram(frame);
    } else {
      this.tx.other++;
    }
    this.links.get(iface)?.send(frame);
  }

  private onDatagram(frame: Uint8Array): void {
    const id = (frame[18]! << 8) | frame[19]!;
    const dst = ((frame[30]! << 24) | (frame[31]! << 16) | (frame[32]! << 8) | frame[33]!) >>> 0;
    const mac = readMac(frame, 0);
    const d = this.ledger.get(id);
    if (d === undefined || d.dst !== dst) {
      this.found.push({ invariant: 'held_once', message: `${this.name} sent a datagram to ${formatIpv4(dst)} (IP id ${id}) nobody asked it to send` });
      return;
    }
    d.sent++;
    if (d.sent === 2) {
      this.found.push({ invariant: 'held_once', message: `${this.name} sent the datagram to ${formatIpv4(dst)} (IP id ${id}, output by op ${d.op}) twice, the second time during op ${this.opIndex}` });
    }
    if (d.sent === 1) this.sent++;
    if (!isMacGroup(mac) && this.lockstep) this.pendingMacChecks.push({ dst, mac });
  }

  /** held_once, second half: each unicast datagram went to the MAC its next hop has now (the stimulus has settled). */
  private async checkMacs(): Promise<void> {
    if (this.pendingMacChecks.length === 0) return;
    const checks = this.pendingMacChecks;
    this.pendingMacChecks = [];
    const cpu0 = await this.cpu0Dump();
    for (const c of checks) {
      const hop = nexthopOf(c.dst, cpu0.routes);
      const hopText = formatIpv4(hop);
      const e = cpu0.arp.find((x) => x.ip === hopText && !x.flags.includes('only'));
      if (e === undefined || e.mac === null) continue; // gone by now (flushed, expired): nothing to compare
      if (e.mac !== formatMac(c.mac)) {
        this.found.push({ invariant: 'held_once', message: `${this.name} sent a datagram for ${formatIpv4(c.dst)} to ${formatMac(c.mac)}, but its next hop ${hopText} is at ${e.mac}` });
      }
    }
  }

  private async cpu0Dump(): Promise<CpuDump> {
    const e = this.emu;
    if (e instanceof InlineEmulator) return e.ctx[0]!.dump();
    return (await this.guard(e.dump(), 'dump')).cpus[0]!;
  }

  // ------------------------------------------------------------------ driving time

  /** Run an emulator call under the watchdog. */
  guard<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = this.opts.watchdogMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const dog = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new LivenessError(`${this.name}: ${what}`, ms)), ms); });
    return Promise.race([p, dog]).finally(() => clearTimeout(timer));
  }

  private async advanceEmu(t: number): Promise<void> {
    if (t <= this.emuNow) return;
    await this.guard(this.emu.advanceTo(t), `advanceTo(${t})`);
    this.emuNow = t;
    await this.guard(this.emu.quiesce(), 'quiesce');
    await this.checkMacs();
  }

  /** Hand the queued frames to the emulator: one stimulus at a time (lockstep), or all at once (concurrent). */
  private async drain(): Promise<void> {
    if (this.inbox.length === 0) return;
    await this.advanceEmu(this.clock.now());
    const inbox = this.inbox;
    this.inbox = [];
    for (const s of inbox) await this.deliver(s.iface, s.frame);
    if (!this.lockstep) await this.guard(this.emu.quiesce(), 'quiesce after concurrent frames');
  }

  private notePrefix(addr: number, plen: number): void {
    const mask = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
    const net = (addr & mask) >>> 0;
    if (!this.prefixes.some((p) => p.net === net && p.mask === mask)) this.prefixes.push({ net, mask });
  }

  /** A frame's sender or target address joins the universe when it is on one of the run's networks. */
  private noteFrameAddress(ip: number): void {
    for (const p of this.prefixes) if (((ip & p.mask) >>> 0) === p.net) { this.universe.add(ip); return; }
  }

  private async deliver(iface: string, frame: Uint8Array): Promise<void> {
    this.rxDelivered++;
    if (frame.length >= 42 && frame[12] === 0x08 && frame[13] === 0x06) {
      this.noteFrameAddress(((frame[28]! << 24) | (frame[29]! << 16) | (frame[30]! << 8) | frame[31]!) >>> 0);
      this.noteFrameAddress(((frame[38]! << 24) | (frame[39]! << 16) | (frame[40]! << 8) | frame[41]!) >>> 0);
    }
    this.emu.input(iface, frame);
    if (!this.lockstep) return;
    await this.guard(this.emu.quiesce(), 'quiesce after a frame');
    await this.checkMacs();
  }

  /** Run both sides of the clock to `end` (SimRunner's loop). */
  async runTo(end: number): Promise<void> {
    for (;;) {
      await this.drain();
      const tS = this.timers.nextDeadline() ?? Infinity;
      const rawE = this.emu.nextDeadline() ?? Infinity;
      const tE = rawE <= this.emuNow ? Infinity : rawE;
      const t = Math.min(tS, tE);
      if (t > end) break;
      if (t > this.clock.now()) this.clock.set(t);
      if (rawE <= t) await this.advanceEmu(t);
      this.timers.runDue();
    }
    if (end > this.clock.now()) this.clock.set(end);
    await this.settle();
  }

  /** Everything due now, until nothing moves at this instant (concurrent: and every admin operation answered). */
  async settle(): Promise<void> {
    await this.settleNow();
    if (this.pendingAdmins.length === 0) return;
    await new Promise((r) => setImmediate(r));
    const pending = this.pendingAdmins;
    this.pendingAdmins = [];
    for (const a of pending) {
      if (!a.done()) throw new LivenessError(`${this.name}: admin operation ${JSON.stringify(a.op)} never completed although the emulator is quiescent`, 0);
      this.lastAdmin = await a.result;
    }
  }

  private async settleNow(): Promise<void> {
    for (let guard = 0; ; guard++) {
      this.timers.runDue();
      await this.drain();
      await this.advanceEmu(this.clock.now());
      if (!this.lockstep) await this.guard(this.emu.quiesce(), 'quiesce');
      const next = this.timers.nextDeadline();
      if (this.inbox.length === 0 && (next === undefined || next > this.clock.now())) break;
      if (guard > 100_000) throw new LivenessError(`${this.name}: the segment never went quiet at t=${this.clock.now()}`, 0);
    }
  }

  // ------------------------------------------------------------------ ops

  /** Perform op `index` at its time (concurrent: without waiting for the ops of the same instant before it). */
  async perform(op: StressOp, index: number): Promise<void> {
    this.opIndex = index;
    this.opFrames.length = 0;
    if (this.lockstep || op.t > this.clock.now()) await this.runTo(op.t);
    switch (op.k) {
      case 'wire': {
        const inj = this.injectors.get(op.iface);
        if (inj === undefined) throw new ArpemuError('ERR_CONFIG', `op ${index}: no interface ${op.iface}`);
        inj.send(fromHex(op.frame));
        break;
      }
      case 'input':
        await this.deliver(op.iface, fromHex(op.frame));
        break;
      case 'host':
        this.hostAct(op);
        break;
      case 'output': {
        this.universe.add(op.dst);
        const id = this.nextId;
        this.nextId = (this.nextId + 1) & 0xffff;
        this.ledger.set(id, { dst: op.dst, sent: 0, op: index, t: op.t });
        if (op.t - this.ledgerSwept > LEDGER_HORIZON) this.sweepLedger(op.t);
        this.outputs++;
        this.emu.output(op.dst, { proto: 17, size: op.size, id });
        if (!this.lockstep) break;
        await this.guard(this.emu.quiesce(), 'quiesce after an output');
        await this.checkMacs();
        break;
      }
      case 'admin':
        this.noteAddresses(op.op);
        if (this.lockstep) await this.admin(op.op, false);
        else this.startAdmin(op.op);
        break;
      case 'jump':
        break;
      case 'kill':
        break; // the driver kills (it must reconcile the model)
    }
    if (this.lockstep) await this.settle();
  }

  private sweepLedger(now: number): void {
    this.ledgerSwept = now;
    for (const [id, d] of this.ledger) if (now - d.t > LEDGER_HORIZON) this.ledger.delete(id);
  }

  /** Concurrent mode: an admin operation sent, answered later (settle checks it was). */
  private startAdmin(op: EmuOp): void {
    let settled = false;
    const result = this.emu.apply(op).then(
      () => { settled = true; return 'ok'; },
      (e: unknown) => { settled = true; return isArpemuError(e) ? e.code : `error: ${e instanceof Error ? e.message : String(e)}`; },
    );
    this.pendingAdmins.push({ op, done: () => settled, result });
  }

  private noteAddresses(op: EmuOp): void {
    switch (op.op) {
      case 'set': case 'delete': this.universe.add(op.ip); break;
      case 'ifaddr':
        this.universe.add(op.addr);
        if (op.plen !== undefined) {
          this.notePrefix(op.addr, op.plen);
          this.universe.add((op.addr | ~(op.plen === 0 ? 0 : (0xffffffff << (32 - op.plen)))) >>> 0);
        }
        break;
      case 'route': this.universe.add(op.gateway); break;
      default: break;
    }
  }

  private hostAct(op: Extract<StressOp, { k: 'host' }>): void {
    const h = this.hosts.get(op.host);
    if (h === undefined) throw new ArpemuError('ERR_CONFIG', `op: no host ${op.host}`);
    if (op.ip !== undefined) this.universe.add(op.ip);
    try {
      switch (op.act) {
        case 'move': h.moveTo(op.mac ?? h.mac); break;
        case 'silent': h.goSilent(); break;
        case 'back': h.comeBack(); break;
        case 'claim': h.claim(op.ip!); break;
        case 'release': h.release(op.ip!); break;
        case 'probe': h.probe(op.ip!); break;
        case 'gratuitous': { const ip = h.addresses[0]; if (ip !== undefined) h.sendGratuitous(ip, op.form); break; }
        case 'arping': h.arping(op.ip!); break;
        case 'send': h.sendTo(op.ip!, 1, 0); break;
      }
    } catch {
      this.hostErrors++; // a host refusing (silent, already probing): the same in every world
    }
  }

  /** An admin op; with `setup` a failure is fatal (the world cannot start). */
  async admin(op: EmuOp, setup: boolean): Promise<void> {
    let settled = false;
    const p = this.emu.apply(op).then(
      () => { settled = true; return 'ok'; },
      (e: unknown) => { settled = true; return isArpemuError(e) ? e.code : `error: ${e instanceof Error ? e.message : String(e)}`; },
    );
    await this.guard(this.emu.quiesce(), 'quiesce after an admin operation');
    await new Promise((r) => setImmediate(r));
    if (!settled) {
      // Lockstep: the operation's reply must be there once everything is quiet.
      throw new LivenessError(`${this.name}: admin operation ${JSON.stringify(op)} never completed although the emulator is quiescent`, 0);
    }
    this.lastAdmin = await p;
    if (setup && this.lastAdmin !== 'ok') throw new ArpemuError('ERR_CONFIG', `setup: ${JSON.stringify(op)} failed: ${this.lastAdmin}`);
    await this.checkMacs();
  }

  // ------------------------------------------------------------------ CPU kills

  /**
   * Kill CPU `cpu` of the emulator at this quiescent point: a real worker
   * death and restart for the ThreadedEmulator; for the InlineEmulator the
   * same resync (the CPU's replica replaced by a live one's snapshot, its
   * held packets gone). Returns the addresses whose held packet died with it.
   */
  async kill(cpu: number): Promise<string[]> {
    const e = this.emu;
    if (!this.lockstep && e instanceof ThreadedEmulator) {
      // Concurrent: strike now, messages in flight; what the CPU held or had counted is gone uncounted.
      await this.guard(crashAndWait(e, cpu), `restart of cpu${cpu} (killed in flight)`);
      this.countersExact = false;
      this.kills++;
      return [];
    }
    const before = await this.guard(e.dump(), 'dump before a kill');
    const statsBefore = await this.guard(e.stats(), 'stats before a kill');
    const lost = (before.cpus[cpu]?.arp ?? []).filter((x) => x.held > 0).map((x) => x.ip);
    if (e instanceof ThreadedEmulator) {
      await this.guard(crashAndWait(e, cpu), `restart of cpu${cpu}`);
    } else if (e instanceof InlineEmulator) {
      const n = e.cpus;
      const from = cpu === 0 ? n - 1 : 0;
      // shared: CPU0 comes back from the last CPU's standby copy, as in the threaded emulator.
      if (n > 1) e.ctx[cpu]!.restore(e.ctx[from]!.snapshot());
    } else {
      throw new ArpemuError('ERR_USAGE', 'kill: the emulator has no CPUs to kill');
    }
    const statsAfter = await this.guard(e.stats(), 'stats after a kill');
    // What the dead CPU had counted and its successor has not (CPU0's line includes the netisr's, which lives on).
    this.lostStats.add(statsBefore[cpu]!).add(negated(statsAfter[cpu]!));
    this.lostHeld += lost.length;
    this.kills++;
    return lost;
  }

  /** The model forgets the held packets a killed CPU of the emulator lost (it runs on one CPU and cannot lose them). */
  forgetHeld(ips: readonly string[]): void {
    const e = this.emu;
    if (!(e instanceof InlineEmulator)) throw new ArpemuError('ERR_USAGE', 'CPU kills need the inline model (--model inline)');
    const rep = e.ctx[0]!.replica;
    for (const s of ips) {
      const [a, b, c, d] = s.split('.').map(Number) as [number, number, number, number];
      rep.held.delete((a << 24) | (b << 16) | (c << 8) | d);
    }
    this.lostHeld += ips.length;
  }

  // ------------------------------------------------------------------ observing

  async observe(): Promise<Observation> {
    const e = this.emu;
    const dump = await this.guard(e.dump(), 'dump');
    const perCpu = await this.guard(e.stats(), 'stats');
    let errors = 0;
    let lastError: string | undefined;
    if (e instanceof InlineEmulator) {
      for (const c of e.ctx) {
        errors += c.errors;
        if (c.lastError !== undefined) lastError = c.lastError instanceof Error ? c.lastError.message : String(c.lastError);
      }
    } else if (e instanceof ThreadedEmulator) {
      for (const d of await this.guard(e.diag(), 'diag')) errors += d.errors;
    }
    const divergences = e instanceof InlineEmulator || e instanceof ThreadedEmulator ? e.divergences.length : 0;
    return {
      dump, stats: sumArpStats([...perCpu, this.lostStats]), rxDelivered: this.rxDelivered, tx: { ...this.tx }, txDigest: this.txDigest,
      outputs: this.outputs, sent: this.sent, lostHeld: this.lostHeld, errors, lastError, divergences,
    };
  }

  faultStats(): FaultStats | null {
    let out: FaultStats | null = null;
    for (const f of this.faulty) {
      const s = f.faultStats();
      if (out === null) { out = s; continue; }
      for (const dir of ['rx', 'tx'] as const) for (const k of Object.keys(s[dir]) as (keyof FaultStats['rx'])[]) out[dir][k] += s[dir][k];
    }
    return out;
  }

  /** The frames of the current op, one line each (for a frame-stream difference). */
  describeOpFrames(): string[] {
    return this.opFrames.map((r) => `${r.t.toFixed(6)} ${r.iface} ${formatFrame(r.frame)}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.hosts.values()) h.close();
    for (const s of this.segments.values()) await s.close();
    try {
      await this.guard(this.emu.close(), 'close');
    } catch { /* a hung emulator: give up on it */ }
  }
}

/** Kill CPU `cpu` and wait until it is back and resynchronised. */
async function crashAndWait(e: ThreadedEmulator, cpu: number): Promise<void> {
  await e.crashCpu(cpu);
}

/** Counters with every value negated (to subtract with ArpStat.add). */
function negated(s: ArpStatValues): ArpStatValues {
  const o: ArpStatValues = { ...s, drops: { ...s.drops } };
  for (const k of ARPSTAT_FIELDS) o[k] = -s[k];
  for (const k of Object.keys(o.drops) as DropReason[]) o.drops[k] = -s.drops[k];
  return o;
}

export type { EmuDump };
