/**
 * ThreadedEmulator: N CPU workers and one netisr worker, each a piscina pool
 * of exactly one thread, wired with SharedArrayBuffer rings (or
 * MessagePorts), and the supervisor in this thread: it starts and wires the
 * workers, feeds stimuli, collects what they transmit, and restarts a CPU
 * that dies, resynchronising it from a live replica before it takes work.
 *
 * Restart (ring transport): a CPU's inbound rings live in the arena, so
 * what was sent to it while it was down waits there. The new thread starts
 * paused; the supervisor takes a snapshot from CPU0 (NetStack + the last
 * sequence number applied), restores it, and only then does the CPU read
 * its rings: chain messages the snapshot already holds (seq <= snapshot's)
 * are passed on without being applied again. CPU0 itself is restored from
 * the last CPU of the chain once every operation CPU0 numbered has reached
 * it (the sequence counter lives in the shared control block); under the
 * `shared` strategy that is the standby copy the last CPU keeps.
 *
 * The port transport cannot restart a CPU: the MessagePorts that carried
 * its records died with it, and what was in flight on them is lost. A CPU
 * death there fails the emulator with EOPNOTSUPP (every pending and later
 * call rejects with it) instead of leaving it half alive.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import * as Comlink from 'comlink';
import { ArpemuError } from '../util/errors.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { KnobInfo } from '../sysctl/index.js';
import type { NetisrControl } from '../netisr/worker.js';
import type { CpuDump, EmuDump } from './emulator.js';
import { EmulatorCore, type CoreOptions } from './core.js';
import { PortOut, RingOut, forEachRecord, type InflightWord, type RecordOut } from './channel.js';
import { endpointOf, installErrorTransfer, type CpuControl, type CpuDiag } from './control.js';
import { createSharedArpTable } from './shared.js';
import * as R from './records.js';
import { Ring, RingArena, type Doorbell } from './ring.js';
import {
  C_ALIVE, C_DEADLINE_F64, C_INFLIGHT, C_SEQ, MAIN, NETISR, createArena, createChannels, createControlBlock, mainBell, portsOf,
  type RingCapacities, type WorkerInit,
} from './wiring.js';

export interface ThreadedOptions extends CoreOptions {
  /** Busy-poll iterations before a worker sleeps (default 0). */
  spin?: number;
  /** Ring sizes (ring transport). */
  capacities?: RingCapacities;
  /** port transport: one postMessage per record instead of one per batch (the unbatched baseline). */
  portPerMessage?: boolean;
}

/**
 * piscina loads a task file with require() first, then import(); with
 * Node's require(esm) that sometimes trips an internal assertion
 * ("imported again after being required"). Workers load our ESM files
 * with import() only.
 */
const EXEC_ARGV = [...process.execArgv.filter((a) => a !== '--experimental-require-module'), '--no-experimental-require-module', ...(process.env['ARPEMU_WORKER_ARGV'] ?? '').split(' ').filter((a) => a !== '')];

const CPU_WORKER = fileURLToPath(new URL('../../workers/cpu.js', import.meta.url));
const NETISR_WORKER = fileURLToPath(new URL('../../workers/netisr.js', import.meta.url));

interface CpuSlot {
  pool: Piscina;
  control: Comlink.Remote<CpuControl>;
  controlPort: MessagePort;
  /** Set while the CPU is restarting: control calls wait for it. */
  ready: Promise<void>;
  restarts: number;
  /** Thread id of the worker that runs this CPU (-1 until its start task answered). */
  tid: number;
  /**
   * Resolves when that worker dies: a control call in flight to it never
   * answers (the port is closed by the restart), so callers race it.
   */
  died: Promise<void>;
  markDied: () => void;
}

function deathOf(slot: Pick<CpuSlot, 'died' | 'markDied'>): void {
  slot.died = new Promise((resolve) => { slot.markDied = resolve; });
}

export class ThreadedEmulator extends EmulatorCore {
  readonly transport: 'ring' | 'port';
  private readonly ctl: SharedArrayBuffer;
  private readonly ctl32: Int32Array;
  private readonly f64: Float64Array;
  private readonly inflight: InflightWord;
  private bell: Doorbell;
  private readonly arena: RingArena | undefined;
  private readonly channels: Map<string, MessageChannel> | undefined;
  private readonly sharedTable: SharedArrayBuffer | undefined;
  private readonly outs = new Map<number, RecordOut>();
  private readonly upRings: Ring[] = [];
  private readonly upPorts: MessagePort[] = [];
  private readonly upDv: DataView | undefined;
  private readonly slots: CpuSlot[] = [];
  private netisrPool!: Piscina;
  private netisrCtl!: Comlink.Remote<NetisrControl>;
  private readonly started: Promise<void>;
  private idleWaiters: (() => void)[] = [];
  private pumping = false;
  private readonly spin: number;
  /** Restarts seen (cpu.restarted events). */
  restarts = 0;
  /** Rounds of the supervisor's pump (diagnostics: it sleeps while nothing happens). */
  pumpRounds = 0;
  private failure: Error | undefined;
  private readonly lastExit = new Map<number, number>();

  constructor(opts: ThreadedOptions) {
    super(opts);
    installErrorTransfer();
    this.transport = opts.transport;
    this.spin = opts.spin ?? 0;
    this.ctl = createControlBlock();
    this.ctl32 = new Int32Array(this.ctl);
    this.f64 = new Float64Array(this.ctl);
    this.inflight = { i32: this.ctl32, index: C_INFLIGHT };
    this.sharedTable = opts.strategy === 'shared' ? createSharedArpTable() : undefined;
    const n = opts.cpus;
    this.bell = mainBell(this.ctl, undefined);
    if (opts.transport === 'ring') {
      const arena = createArena(n, opts.capacities);
      this.arena = arena;
      this.bell = mainBell(this.ctl, arena.sab);
      this.upDv = new DataView(arena.sab);
      for (const r of arena.rings) {
        if (r.producer === MAIN) this.outs.set(r.consumer, new RingOut(arena.open(r.index), this.inflight));
        if (r.consumer === MAIN) this.upRings.push(arena.open(r.index));
      }
    } else {
      const ch = createChannels(n);
      this.channels = ch;
      const mine = portsOf(ch, MAIN);
      for (const [to, port] of mine.out) this.outs.set(to, new PortOut(port, this.inflight, 64 * 1024, opts.portPerMessage === true));
      for (const [, port] of mine.in) {
        this.upPorts.push(port);
        port.on('message', (batch: ArrayBuffer) => this.onUpBatch(batch));
      }
    }
    this.started = this.startAll().catch((e: unknown) => {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.fail(this.failure);
      this.wakeWaiters();
      throw this.failure;
    });
    this.started.catch(() => undefined);
    // Free-running: results and frames come up at any time; drain them as they come.
    if (!this.lockstep) void this.pump();
  }

  /** Resolves once every worker has started. */
  ready(): Promise<void> { return this.started; }

  private initFor(self: number, restarted: boolean, control: MessagePort | undefined): { init: WorkerInit; transfer: MessagePort[] } {
    const o = this.options;
    const init: WorkerInit = {
      self, ncpus: this.cpus, strategy: o.strategy, syncReply: o.syncReply ?? true, inputHash: o.inputHash === true,
      transport: o.transport,
      time: o.time.kind === 'virtual' ? { kind: 'virtual', start: this.clock.now() } : { kind: 'real', epochNs: this.epochNs! },
      events: o.events !== undefined, traces: o.events?.traces !== false, ctl: this.ctl, arena: this.arena?.sab, control, shared: this.sharedTable,
      spin: this.spin, restarted, hooks: o.hooks,
    };
    const transfer: MessagePort[] = control === undefined ? [] : [control];
    if (this.channels !== undefined) {
      const p = portsOf(this.channels, self);
      init.portsOut = [...p.out];
      init.portsIn = [...p.in];
      transfer.push(...p.out.values(), ...p.in.values());
    }
    return { init, transfer };
  }

  private async startAll(): Promise<void> {
    const starts: Promise<unknown>[] = [];
    {
      const ch = new MessageChannel();
      this.netisrPool = new Piscina({ filename: NETISR_WORKER, minThreads: 1, maxThreads: 1, idleTimeout: Infinity, atomics: 'disabled', execArgv: EXEC_ARGV, workerData: { cpu: -1 } });
      this.netisrPool.on('error', (e: unknown) => console.error('arpemu netisr:', e));
      this.netisrCtl = Comlink.wrap<NetisrControl>(endpointOf(ch.port1));
      const { init, transfer } = this.initFor(NETISR, false, ch.port2);
      starts.push(this.netisrPool.run(init, { transferList: transfer as never }));
    }
    for (let j = 0; j < this.cpus; j++) {
      const ch = new MessageChannel();
      const pool = new Piscina({ filename: CPU_WORKER, minThreads: 1, maxThreads: 1, idleTimeout: Infinity, atomics: 'disabled', execArgv: EXEC_ARGV, workerData: { cpu: j } });
      const slot: CpuSlot = {
        pool, control: Comlink.wrap<CpuControl>(endpointOf(ch.port1)), controlPort: ch.port1, ready: Promise.resolve(), restarts: 0,
        tid: -1, died: Promise.resolve(), markDied: () => {},
      };
      deathOf(slot);
      this.slots.push(slot);
      pool.on('error', (e: unknown) => { if (!this.closed) console.error(`arpemu cpu${j}:`, e instanceof Error ? e.message : e); });
      const seen = new WeakSet<object>();
      pool.on('workerCreate', () => {
        for (const w of pool.threads) {
          if (seen.has(w)) continue;
          seen.add(w);
          // A worker's threadId reads -1 once it has exited: keep it now.
          const tid = w.threadId;
          w.on('exit', (code: number) => {
            if (this.closed) return;
            this.lastExit.set(j, code);
            // Only the thread that runs the CPU: piscina starts a spare at
            // once when one dies, and a spare that fails to load must not
            // count as a second death.
            if (tid === slot.tid) this.onCpuDeath(j);
          });
        }
      });
      const { init, transfer } = this.initFor(j, false, ch.port2);
      starts.push(pool.run(init, { transferList: transfer as never }).then((r: { threadId: number }) => { slot.tid = r.threadId; }));
    }
    await Promise.all(starts);
  }

  // ------------------------------------------------------------ restart

  private onCpuDeath(cpu: number): void {
    const slot = this.slots[cpu]!;
    Atomics.store(this.ctl32, C_ALIVE + cpu, 0);
    slot.tid = -1;
    const died = slot.markDied;
    deathOf(slot);
    if (this.transport === 'port') {
      this.failure ??= new ArpemuError('EOPNOTSUPP', `cpu${cpu} died (exit code ${this.lastExit.get(cpu) ?? '?'}) and cannot be restarted on the port transport (its MessagePorts died with it, and what was in flight on them): use the ring transport`);
      console.error(`arpemu: ${this.failure.message}`);
      this.fail(this.failure);
      this.wakeWaiters();
      died();
      return;
    }
    // Calls in flight to the dead worker are made again once it is back.
    died();
    slot.restarts++;
    this.restarts++;
    // CPU0's only timer is the arptimer walk: the new CPU0 keeps its schedule.
    const timerAt = this.f64[C_DEADLINE_F64 + cpu]!;
    slot.ready = this.restartCpu(cpu, timerAt).catch((e: unknown) => {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.fail(this.failure);
      this.wakeWaiters();
      console.error(`arpemu: restarting cpu${cpu} failed:`, e);
    });
  }

  private async restartCpu(cpu: number, timerAt: number): Promise<void> {
    const slot = this.slots[cpu]!;
    await this.started;
    slot.control[Comlink.releaseProxy]();
    slot.controlPort.close();
    const ch = new MessageChannel();
    slot.control = Comlink.wrap<CpuControl>(endpointOf(ch.port1));
    slot.controlPort = ch.port1;
    const { init, transfer } = this.initFor(cpu, true, ch.port2);
    const died = slot.died;
    const started = (await slot.pool.run(init, { transferList: transfer as never })) as { threadId: number };
    slot.tid = started.threadId;
    this.event('cpu.restarted', cpu, { reason: `worker exited (code ${this.lastExit.get(cpu) ?? '?'})` });
    // The source: CPU0, or for CPU0 the end of the chain once it holds every numbered operation.
    let from = 0;
    if (cpu === 0) {
      if (this.cpus === 1) throw new ArpemuError('EBUSY', 'cpu0 died and there is no other replica to resync from');
      from = this.cpus - 1;
      for (;;) {
        const seq = Atomics.load(this.ctl32, C_SEQ);
        const d = await this.call(from, (c) => c.diag());
        if (d.lastSeq >= seq) break;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const snap = await this.call(from, (c) => c.snapshot());
    if (cpu === 0) snap.timerAt = Number.isFinite(timerAt) ? timerAt : undefined;
    if (cpu === 0 && this.options.strategy === 'fanout') {
      this.drainUp();
      this.answerOrphans();
    }
    // Died again while being restored: the restart that death started takes over.
    if (!(await answered(slot.control.restore(snap), died))) return;
    this.event('cpu.resynced', cpu, { from });
  }

  /**
   * Tests: make CPU `cpu` die. Resolves once it is back and resynchronised
   * (`until: 'resynced'`), or as soon as its death was seen ('dead').
   */
  async crashCpu(cpu: number, how: 'exit' | 'throw' = 'exit', until: 'dead' | 'resynced' = 'resynced'): Promise<void> {
    // A CPU still restarting would take the crash request on its old, closed port.
    const control = await this.control(cpu);
    const slot = this.slots[cpu]!;
    const died = slot.died;
    // Don't wait for crash()'s answer: the worker may die before it is read,
    // and the restart closes the control port, so that promise can hang.
    control.crash(how).catch(() => {});
    await died;
    if (this.failure !== undefined) throw this.failure;
    if (until === 'resynced') await this.cpuReady(cpu);
  }

  /** Resolves when CPU `cpu` is up (after a restart: resynchronised); rejects once the emulator failed. */
  async cpuReady(cpu: number): Promise<void> {
    await this.control(cpu);
  }

  // ------------------------------------------------------------ benchmarks

  /**
   * Benchmark: `count` ARP updates (OP_UPDATE, as in_arpinput submits them)
   * handed to CPU0 back to back, cycling over `hosts` senders of the /16 of
   * `net` on interface `ifindex`; resolves with the seconds until every
   * replica has applied the last one. Writes with backpressure (waits for
   * ring space instead of queueing in memory).
   */
  async injectUpdates(count: number, opts: { ifindex: number; net: number; hosts: number; batch?: number }): Promise<number> {
    await this.started;
    await this.quiesce();
    const out = this.outs.get(0)!;
    const batch = opts.batch ?? 256;
    const t0 = performance.now();
    for (let i = 0; i < count;) {
      const end = Math.min(count, i + batch);
      if (out instanceof RingOut) {
        const need = (end - i) * (R.OP_UPDATE_LEN + 4);
        if (out.ring.usedBytes() + need > out.ring.capacity) await out.waitBelow(Math.max(0, out.ring.capacity - need));
      }
      for (; i < end; i++) {
        const at = out.begin(R.R_SUBMIT, R.OP_UPDATE_LEN);
        const dv = out.dv;
        const h = i % opts.hosts;
        dv.setUint32(at + R.O_KIND, R.OP_UPDATE, true);
        dv.setUint32(at + R.O_KEY, 0, true);
        dv.setInt32(at + R.O_ORIGIN, -1, true);
        dv.setUint32(at + R.O_TOKEN, 0, true);
        dv.setFloat64(at + R.O_SEQ, 0, true);
        dv.setFloat64(at + R.O_TIME, 0, true);
        dv.setUint32(at + R.U_IFINDEX, opts.ifindex, true);
        dv.setUint32(at + R.U_SADDR, (opts.net + 2 + h) >>> 0, true);
        dv.setUint32(at + R.U_SHA_HI, 0x0200, true);
        dv.setUint32(at + R.U_SHA_LO, (0x01000000 + h + (i & 1) * 0x100000) >>> 0, true);
        dv.setUint32(at + R.U_HLN, 6, true);
        dv.setUint32(at + R.U_CREATE, 1, true);
        dv.setUint32(at + R.U_UTIME, 1, true);
        dv.setUint32(at + R.U_SRC_HI, 0x0200, true);
        dv.setUint32(at + R.U_SRC_LO, 0x01000000 + h, true);
        dv.setUint32(at + R.U_DFLAGS, 0, true);
        out.end();
      }
      out.flush();
      if (!(out instanceof RingOut) && (i / batch) % 64 === 0) await turn();
    }
    await this.quiesce();
    return (performance.now() - t0) / 1000;
  }

  /**
   * Backpressure for a fast producer (free-running input): resolves once the
   * channel to the netisr is at most half full (ring transport; at once on ports).
   */
  async netisrRoom(): Promise<void> {
    const out = this.outs.get(NETISR)!;
    out.flush();
    if (!(out instanceof RingOut)) { await turn(); return; }
    await out.waitBelow(out.ring.capacity / 2);
  }

  private pings = new Map<number, (t: number) => void>();
  private pingSeq = 0;

  /**
   * Benchmark: one record main -> CPU0 -> ... (`hops` forwards between CPUs)
   * -> main; resolves with the round trip in seconds.
   */
  ping(hops: number): Promise<number> {
    return new Promise((resolve) => {
      const id = ++this.pingSeq;
      const t0 = performance.now();
      this.pings.set(id, () => resolve((performance.now() - t0) / 1000));
      const out = this.outs.get(0)!;
      const at = out.begin(R.R_PING, 8);
      out.dv.setUint32(at, hops, true);
      out.dv.setUint32(at + 4, id, true);
      out.end();
      out.flush();
      void this.pump();
    });
  }

  protected override onOtherUp(type: number, _u8: Uint8Array, dv: DataView, off: number, _len: number): void {
    if (type !== R.U_PONG) return;
    const id = dv.getUint32(off + 4, true);
    const fn = this.pings.get(id);
    if (fn === undefined) return;
    this.pings.delete(id);
    fn(0);
  }

  /** Benchmark: arpresolve hits on each of `cpus`, concurrently; per-CPU results. */
  async benchResolve(cpus: number[], n: number): Promise<{ lookups: number; hits: number; seconds: number }[]> {
    return Promise.all(cpus.map((cpu) => this.call(cpu, (c) => c.benchResolve(n))));
  }

  // ------------------------------------------------------------ records

  protected toNetisr(type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void {
    write(this.outs.get(NETISR)!, type, len, fill);
  }

  protected toCpu(cpu: number, type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void {
    write(this.outs.get(cpu)!, type, len, fill);
  }

  protected flushOut(): void {
    for (const o of this.outs.values()) o.flush();
  }

  private readonly onRecord = (type: number, bytes: Uint8Array, off: number, len: number): void => {
    this.onUp(type, bytes, this.upDv!, off, len);
  };

  private readonly onRecordDv = (type: number, u8: Uint8Array, dv: DataView, off: number, len: number): void => {
    this.onUp(type, u8, dv, off, len);
  };

  private onUpBatch(batch: ArrayBuffer): void {
    const n = forEachRecord(batch, this.onRecordDv);
    this.release(n);
  }

  /** Records handled here leave the in-flight count. */
  private release(n: number): void {
    if (n === 0) return;
    const old = Atomics.sub(this.ctl32, C_INFLIGHT, n);
    if (old === n) this.wakeWaiters();
  }

  private wakeWaiters(): void {
    if (this.idleWaiters.length === 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  protected drainUp(): void {
    let n = 0;
    for (const r of this.upRings) n += r.poll(this.onRecord);
    this.release(n);
    for (const p of this.upPorts) {
      for (let m = receiveMessageOnPort(p); m !== undefined; m = receiveMessageOnPort(p)) this.onUpBatch(m.message as ArrayBuffer);
    }
  }

  protected idle(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.drainUp();
    if (Atomics.load(this.ctl32, C_INFLIGHT) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      // A pump already asleep must look again: the count may not move any more.
      this.bell.wake();
      void this.pump();
    });
  }

  private upHasData(): boolean {
    for (const r of this.upRings) if (r.hasData()) return true;
    return false;
  }

  /**
   * Drain the up channels and wake idle() waiters when nothing is in flight.
   * Runs while someone waits (lockstep) or for good (free-running, real time).
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const continuous = !this.lockstep;
    // Free-running and idle (nothing in flight, nobody waiting), the pump
    // sleeps until an up ring, a worker that empties the count, idle() or
    // close() rings the doorbell: it used to turn the event loop at full speed.
    const ready = (): boolean => this.closed || this.upHasData() ||
      (Atomics.load(this.ctl32, C_INFLIGHT) === 0 && (!continuous || this.idleWaiters.length > 0));
    try {
      while (!this.closed) {
        this.pumpRounds++;
        this.drainUp();
        if (Atomics.load(this.ctl32, C_INFLIGHT) === 0) {
          this.wakeWaiters();
          if (!continuous) break;
        } else if (this.failure !== undefined) {
          break;
        }
        const p = this.bell.sleep(ready, Math.max(64, this.spin));
        if (p !== undefined) await p;
        else await turn();
      }
    } finally {
      this.pumping = false;
    }
  }

  protected cpuDeadline(cpu: number): number {
    return this.f64[C_DEADLINE_F64 + cpu]!;
  }

  /** CPU `cpu`'s control once it is up (after a restart: resynchronised); rejects once the emulator failed. */
  private async control(cpu: number): Promise<Comlink.Remote<CpuControl>> {
    await this.started;
    const slot = this.slots[cpu]!;
    for (;;) {
      const p = slot.ready;
      await p;
      if (this.failure !== undefined) throw this.failure;
      // Died again meanwhile: wait for that restart too.
      if (slot.ready === p) return slot.control;
    }
  }

  /**
   * A control call to CPU `cpu` that survives the CPU's death: a call in
   * flight when its worker dies never answers, so it is made again on the
   * restarted CPU (every call but crash() is a read or idempotent).
   */
  private async call<T>(cpu: number, f: (c: Comlink.Remote<CpuControl>) => Promise<T>): Promise<T> {
    for (;;) {
      const c = await this.control(cpu);
      const r = { v: undefined as T };
      if (await answered(f(c).then((v) => { r.v = v; }), this.slots[cpu]!.died)) return r.v;
    }
  }

  protected cpuDump(cpu: number): Promise<CpuDump | null> { return this.call(cpu, (c) => c.dump()); }
  protected cpuInterfaces(): Promise<EmuDump['interfaces']> { return this.call(0, (c) => c.interfaces()); }
  protected cpuStats(cpu: number): Promise<ArpStatValues | null> { return this.call(cpu, (c) => c.stats()); }
  protected cpuSysctl(name: string | undefined): Promise<KnobInfo[]> { return this.call(0, (c) => c.sysctl(name)); }
  protected async netisrStats(): Promise<ArpStatValues> { await this.started; return this.netisrCtl.stats(); }

  /** Per-CPU diagnostics (records handled and sent, sequence numbers). */
  async diag(): Promise<CpuDiag[]> {
    const out: CpuDiag[] = [];
    for (let j = 0; j < this.cpus; j++) out.push(await this.call(j, (c) => c.diag()));
    return out;
  }

  /** What the netisr handed to each CPU. */
  async netisrPerCpu(): Promise<number[]> { await this.started; return this.netisrCtl.perCpu(); }

  protected async shutdown(): Promise<void> {
    this.wakeWaiters();
    this.bell.wake();
    try { await this.started; } catch { /* closing a failed start */ }
    await Promise.all([this.netisrPool.destroy(), ...this.slots.map((s) => s.pool.destroy())]);
    for (const s of this.slots) s.controlPort.close();
    for (const p of this.upPorts) p.close();
    for (const o of this.outs.values()) if (o instanceof PortOut) o.port.close();
    if (this.channels !== undefined) for (const ch of this.channels.values()) { ch.port1.close(); ch.port2.close(); }
  }
}

function write(out: RecordOut, type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void {
  const at = out.begin(type, len);
  const n = fill(out.u8, out.dv, at);
  out.end(typeof n === 'number' ? n : undefined);
}

/** Whether `call` settled before `died` (true; a rejection of `call` propagates) or the worker died first (false). */
async function answered(call: Promise<unknown>, died: Promise<void>): Promise<boolean> {
  return Promise.race([call.then(() => true), died.then(() => false)]);
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
