/**
 * One CPU, no threads: the Emulator contract over a single ArpStack. The
 * baseline every multi-CPU run must match byte for byte.
 */
import { VirtualClock, RealClock } from '../util/clock.js';
import { errno } from '../util/errors.js';
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

  constructor(opts: Pick<EmulatorOptions, 'time' | 'events'>) {
    this.virtual = opts.time.kind === 'virtual' ? new VirtualClock(opts.time.start) : undefined;
    const events: EventSink | undefined = opts.events;
    this.stack = new ArpStack({
      clock: this.virtual ?? new RealClock(),
      ...(events === undefined ? {} : { events }),
      transmit: (ifp, frame, t) => this.transmitHandler(ifp.name, frame, t),
    });
  }

  async apply(op: EmuOp): Promise<EmuOpResult> {
    const r = applyEmuOp(this.stack.rep, op, true);
    this.settleResolves();
    return r;
  }

  input(iface: string, frame: Uint8Array): void {
    this.stack.input(iface, frame);
    this.settleResolves();
  }

  output(dst: Ipv4, datagram: Datagram): void {
    arpOutput(this.stack.rep, buildDatagram(this.stack.rep, dst, datagram), dst);
  }

  resolve(dst: Ipv4, timeout: number): Promise<ArpResolveOutcome> {
    const rep = this.stack.rep;
    const code = arpOutput(rep, null, dst);
    if (code !== ARPRES_HELD) return Promise.resolve(arpResolveOutcome(code, rep.mac));
    return new Promise((done) => {
      const p: PendingResolve = { dst, deadline: this.stack.clock.now() + timeout, done };
      this.pending.push(p);
      this.stack.timers.at(p.deadline, () => this.settleResolves());
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
    for (const p of this.pending.splice(0)) p.done({ kind: 'held' });
  }
}
