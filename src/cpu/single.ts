/**
 * One CPU, no threads: the Emulator contract over a single ArpStack. The
 * baseline every multi-CPU run must match byte for byte.
 */
import { VirtualClock, RealClock } from '../util/clock.js';
import { errno } from '../util/errors.js';
import type { TimerQueue } from '../util/timers.js';
import type { EventSink } from '../util/events.js';
import type { Ipv4 } from '../wire/addr.js';
import { RTF_REJECT } from '../route/rtentry.js';
import { ArpStack } from '../arp/stack.js';
import { arpList } from '../arp/admin.js';
import { arpOutput, arpResolveOutcome, ARPRES_HELD, type ArpResolveOutcome } from '../arp/resolve.js';
import { sumArpStats, type ArpStatValues } from '../arp/stats.js';
import type { KnobInfo } from '../sysctl/index.js';
import { applyEmuOp } from './ops.js';
import { buildDatagram } from './datagram.js';
import type { Datagram, EmuDump, EmuOp, EmuOpResult, Emulator, EmulatorOptions, TransmitHandler } from './emulator.js';

/**
 * Drives a TimerQueue on a real clock: one setTimeout armed for the
 * earliest deadline, re-armed after it fires and whenever the owner calls
 * kick() (after anything that may have scheduled a timer). The timeout is
 * unref'd: pending protocol timers alone do not keep the process alive.
 */
export class RealTimerDriver {
  private handle: ReturnType<typeof setTimeout> | undefined;
  private armedFor: number | undefined;
  private stopped = false;

  /** `afterRun` is called after each batch of due timers (e.g. to settle waiters). */
  constructor(private readonly timers: TimerQueue, private readonly afterRun?: () => void) {}

  /** Re-arm for the queue's earliest deadline (cheap when it did not change). */
  kick(): void {
    if (this.stopped) return;
    const next = this.timers.nextDeadline();
    if (next === this.armedFor && this.handle !== undefined) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = next;
    if (next === undefined) return;
    // setTimeout counts whole milliseconds on the loop's clock: round up,
    // and fire() simply re-arms if it woke a little early.
    const ms = Math.max(0, Math.ceil((next - this.timers.clock.now()) * 1000));
    this.handle = setTimeout(() => this.fire(), ms);
    this.handle.unref();
  }

  private fire(): void {
    this.handle = undefined;
    this.armedFor = undefined;
    this.timers.runDue();
    this.afterRun?.();
    this.kick();
  }

  /** Stop for good (close). */
  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

interface PendingResolve {
  dst: Ipv4;
  deadline: number;
  done: (o: ArpResolveOutcome) => void;
}

export class SingleCpuEmulator implements Emulator {
  readonly cpus = 1;
  private readonly stack: ArpStack;
  private readonly virtual: VirtualClock | undefined;
  private transmitHandler: TransmitHandler = () => {};
  private readonly pending: PendingResolve[] = [];
  /** Real time only: fires the stack's timers (arptimer, resolve deadlines). */
  private readonly driver: RealTimerDriver | undefined;

  constructor(opts: Pick<EmulatorOptions, 'time' | 'events'>) {
    this.virtual = opts.time.kind === 'virtual' ? new VirtualClock(opts.time.start) : undefined;
    const events: EventSink | undefined = opts.events;
    this.stack = new ArpStack({
      clock: this.virtual ?? new RealClock(),
      ...(events === undefined ? {} : { events }),
      transmit: (ifp, frame, t) => this.transmitHandler(ifp.name, frame, t),
    });
    if (this.virtual === undefined) {
      this.driver = new RealTimerDriver(this.stack.timers, () => this.settleResolves());
      this.driver.kick();
    }
  }

  async apply(op: EmuOp): Promise<EmuOpResult> {
    try {
      return applyEmuOp(this.stack.rep, op, true);
    } finally {
      this.settleResolves();
      this.driver?.kick();
    }
  }

  input(iface: string, frame: Uint8Array): void {
    this.stack.input(iface, frame);
    this.settleResolves();
    this.driver?.kick();
  }

  output(dst: Ipv4, datagram: Datagram): void {
    arpOutput(this.stack.rep, buildDatagram(this.stack.rep, dst, datagram), dst);
    this.driver?.kick();
  }

  resolve(dst: Ipv4, timeout: number): Promise<ArpResolveOutcome> {
    const rep = this.stack.rep;
    const code = arpOutput(rep, null, dst);
    if (code !== ARPRES_HELD) {
      this.driver?.kick();
      return Promise.resolve(arpResolveOutcome(code, rep.mac));
    }
    return new Promise((done) => {
      const p: PendingResolve = { dst, deadline: this.stack.clock.now() + timeout, done };
      this.pending.push(p);
      this.stack.timers.at(p.deadline, () => this.settleResolves());
      this.driver?.kick();
    });
  }

  /** Settle resolutions whose entry resolved, was rejected, or whose time ran out. */
  private settleResolves(): void {
    const now = this.stack.clock.now();
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      const rt = this.stack.net.routes.lookupHost(p.dst);
      let o: ArpResolveOutcome | undefined;
      if (rt !== null && rt.hasLladdr()) o = { kind: 'resolved', mac: rt.lladdr! };
      else if (rt !== null && (rt.flags & RTF_REJECT) !== 0) o = { kind: 'dropped', errno: 'EHOSTDOWN' };
      else if (now >= p.deadline) o = { kind: 'held' };
      if (o !== undefined) { this.pending.splice(i, 1); p.done(o); }
    }
  }

  async advanceTo(t: number): Promise<void> {
    if (this.virtual === undefined) throw errno('EINVAL', 'advanceTo needs virtual time');
    if (t > this.virtual.now()) this.stack.runUntil(t);
    this.settleResolves();
  }

  nextDeadline(): number | undefined { return this.stack.timers.nextDeadline(); }

  async quiesce(): Promise<void> {}

  onTransmit(handler: TransmitHandler): void { this.transmitHandler = handler; }

  async dump(): Promise<EmuDump> {
    const net = this.stack.net.dump();
    return {
      interfaces: net.interfaces,
      cpus: [{ cpu: 0, arp: arpList(this.stack.rep), routes: net.routes }],
      stats: sumArpStats([this.stack.rep.stats]),
    };
  }

  async stats(): Promise<ArpStatValues[]> { return [sumArpStats([this.stack.rep.stats])]; }

  async sysctl(name?: string): Promise<KnobInfo[]> {
    const s = this.stack.sysctl;
    return name === undefined ? s.list() : [{ ...s.describe(name), value: s.get(name) }];
  }

  async close(): Promise<void> {
    this.driver?.stop();
    for (const p of this.pending.splice(0)) p.done({ kind: 'held' });
  }
}
