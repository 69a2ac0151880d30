/**
 * InlineEmulator: N replicas in this thread. The netisr and the CPUs are the
 * same code the worker threads run (Netisr, CpuContext); records travel
 * through one in-memory FIFO, processed to the end after each stimulus.
 * It is the deterministic single-threaded model the stress tester compares
 * against, and the fast path for `--cpus 1`.
 */
import { VirtualClock, type Clock } from '../util/clock.js';
import { EpochClock } from './epoch.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { KnobInfo } from '../sysctl/index.js';
import { Netisr } from '../netisr/dispatch.js';
import type { CpuDump, EmuDump } from './emulator.js';
import { InlineOut, type InlineRecord, type RecordOut } from './channel.js';
import { CpuContext } from './context.js';
import { EmulatorCore, type CoreOptions } from './core.js';
import { SharedArpMirror, SharedArpReader, createSharedArpTable } from './shared.js';
import { HookRandom, type CpuStall } from './testhooks.js';

export class InlineEmulator extends EmulatorCore {
  readonly ctx: CpuContext[] = [];
  readonly netisr: Netisr;
  private readonly fifo: InlineRecord[] = [];
  private head = 0;
  private readonly upq: InlineRecord[] = [];
  private readonly netOut: InlineOut;
  private readonly cpuOut: InlineOut[] = [];
  private running = false;
  private cpuTimer: ReturnType<typeof setTimeout> | undefined;
  /** Records processed (diagnostics). */
  processed = 0;
  /** testhooks stall: serve another CPU's queue first now and then (a delayed channel). */
  private readonly stall: CpuStall | undefined;
  private readonly stallRnd: HookRandom | undefined;

  constructor(opts: CoreOptions) {
    super(opts);
    const n = opts.cpus;
    const NETISR = n;
    const UP = n + 1;
    const makeClock = (): Clock => (opts.time.kind === 'virtual' ? new VirtualClock(opts.time.start) : new EpochClock(this.epochNs));
    for (let j = 0; j < n; j++) this.cpuOut.push(new InlineOut(j, this.fifo));
    this.netOut = new InlineOut(NETISR, this.fifo);
    const up = new InlineOut(UP, this.upq);
    const cpuOuts = { cpu: (j: number): RecordOut => this.cpuOut[j]!, up };
    const sab = opts.strategy === 'shared' ? createSharedArpTable() : null;
    const events = opts.events !== undefined;
    const traces = opts.events?.traces !== false;
    for (let j = 0; j < n; j++) {
      const clock = makeClock();
      this.ctx.push(new CpuContext({
        cpu: j, ncpus: n, strategy: opts.strategy, syncReply: opts.syncReply ?? true, clock, events, traces, outs: cpuOuts,
        mirror: sab !== null && j === 0 ? new SharedArpMirror(sab) : undefined,
        reader: sab !== null && j !== 0 ? new SharedArpReader(sab, clock) : undefined,
        hooks: opts.hooks,
      }));
    }
    this.stall = opts.hooks?.stall;
    this.stallRnd = this.stall === undefined ? undefined : new HookRandom(this.stall.seed);
    this.netisr = new Netisr({ ncpus: n, strategy: opts.strategy, inputHash: opts.inputHash, clock: makeClock(), events, outs: cpuOuts });
  }

  protected toNetisr(type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void {
    write(this.netOut, type, len, fill);
  }

  protected toCpu(cpu: number, type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void {
    write(this.cpuOut[cpu]!, type, len, fill);
  }

  /** Process the FIFO to the end (records handlers add are processed too, in order). */
  protected flushOut(): void {
    if (this.running) return;
    this.running = true;
    try {
      const n = this.cpus;
      while (this.head < this.fifo.length) {
        let r = this.fifo[this.head]!;
        const other = this.stall === undefined ? -1 : this.delayHead(r.dst);
        if (other >= 0) { r = this.fifo[other]!; this.fifo.splice(other, 1); }
        else this.fifo[this.head++] = undefined as unknown as InlineRecord;
        this.processed++;
        if (r.dst === n) this.netisr.handle(r.type, r.data, r.dv, 0, r.data.length);
        else this.ctx[r.dst]!.handle(r.type, r.data, r.dv, 0, r.data.length);
      }
      this.fifo.length = 0;
      this.head = 0;
    } finally {
      this.running = false;
    }
    if (!this.lockstep) this.drainUp();
    if (!this.virtual) this.armCpuTimers();
  }

  /** testhooks stall: the index of the first record for another destination, to go before the head's (-1: none, or not now). */
  private delayHead(dst: number): number {
    if (this.stallRnd!.next() >= this.stall!.p) return -1;
    for (let i = this.head + 1; i < this.fifo.length; i++) if (this.fifo[i]!.dst !== dst) return i;
    return -1;
  }

  protected idle(): Promise<void> {
    this.flushOut();
    return Promise.resolve();
  }

  protected drainUp(): void {
    for (let i = 0; i < this.upq.length; i++) {
      const r = this.upq[i]!;
      this.onUp(r.type, r.data, r.dv, 0, r.data.length);
    }
    this.upq.length = 0;
  }

  protected cpuDeadline(cpu: number): number {
    return this.ctx[cpu]!.nextDeadline();
  }

  /** Real time: one setTimeout for the earliest CPU timer. */
  private armCpuTimers(): void {
    if (this.closed) return;
    if (this.cpuTimer !== undefined) clearTimeout(this.cpuTimer);
    let d = Infinity;
    for (const c of this.ctx) d = Math.min(d, c.nextDeadline());
    if (d === Infinity) return;
    const now = this.ctx[0]!.clock.now();
    this.cpuTimer = setTimeout(() => {
      this.cpuTimer = undefined;
      for (const c of this.ctx) c.runDue();
      this.flushOut();
    }, Math.max(0, (d - now) * 1000));
    this.cpuTimer.unref();
  }

  protected cpuDump(cpu: number): Promise<CpuDump | null> {
    const c = this.ctx[cpu]!;
    return Promise.resolve(c.rep === null ? null : c.dump());
  }

  protected cpuInterfaces(): Promise<EmuDump['interfaces']> {
    return Promise.resolve(this.ctx[0]!.interfaces());
  }

  protected cpuStats(cpu: number): Promise<ArpStatValues | null> {
    const c = this.ctx[cpu]!;
    return Promise.resolve(c.rep === null ? null : c.stats());
  }

  protected netisrStats(): Promise<ArpStatValues> {
    return Promise.resolve(this.netisr.stats.toJSON());
  }

  protected cpuSysctl(name: string | undefined): Promise<KnobInfo[]> {
    try { return Promise.resolve(this.ctx[0]!.sysctl(name)); } catch (e) { return Promise.reject(e); }
  }

  protected shutdown(): Promise<void> {
    if (this.cpuTimer !== undefined) clearTimeout(this.cpuTimer);
    return Promise.resolve();
  }
}

function write(out: RecordOut, type: number, len: number, fill: (u8: Uint8Array, dv: DataView, at: number) => number | void): void {
  const at = out.begin(type, len);
  const n = fill(out.u8, out.dv, at);
  out.end(typeof n === 'number' ? n : undefined);
}
