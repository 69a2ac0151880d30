/**
 * ArpStack: one replica wired up on one CPU, for tests, one-CPU replays and
 * tools. It runs the whole path a frame takes on a single CPU (arpintr,
 * in_arpinput, the update applied locally, the reply) and the output path
 * (route, arpresolve, frame), on a VirtualClock with its TimerQueue, and
 * collects what it transmits. A multi-CPU driver calls the same pieces
 * separately (arpIntr, inArpInput, arpUpdateOnCpu on each replica,
 * arpInputReply) instead.
 */
import { VirtualClock, type Clock } from '../util/clock.js';
import { TimerQueue, runVirtualUntil } from '../util/timers.js';
import { CollectingSink, type EventSink } from '../util/events.js';
import { errno } from '../util/errors.js';
import { parseCidr, parseIpv4, type Ipv4, type Mac } from '../wire/addr.js';
import { ArpPacket } from '../wire/arp.js';
import { emitUdpDatagram } from '../wire/ipv4.js';
import { Sysctl } from '../sysctl/index.js';
import { NetStack } from '../inet/stack.js';
import { aliasReq, inControl, sin } from '../inet/in.js';
import type { Ifnet, InIfaddr } from '../inet/ifnet.js';
import { arpAdminApply, arpList, arpSetOp, type ArpAdminOp, type ArpAdminResult, type ArpEntryDump } from './admin.js';
import { arpIntr } from './intr.js';
import { ArpInputDecision, arpDropEvent, arpSendReply, inArpInput } from './input.js';
import type { Llinfo } from './llinfo.js';
import { ArpReplica } from './replica.js';
import { arpOutput, arpResolveOutcome, type ArpResolveOutcome } from './resolve.js';
import { arpUpdateOnCpu } from './update.js';

/** A frame the stack transmitted (a private copy). */
export interface SentFrame {
  /** Clock time of transmission. */
  t: number;
  iface: string;
  ifindex: number;
  frame: Uint8Array;
}

export interface ArpStackOptions {
  /** Default: a VirtualClock at 0. advance()/runUntil() need a VirtualClock. */
  clock?: Clock;
  sysctl?: Sysctl;
  /** Default: a CollectingSink (`stack.events`). */
  events?: EventSink;
  /** Default: frames are collected in `stack.sent`. */
  transmit?: (ifp: Ifnet, frame: Uint8Array, t: number) => void;
  cpu?: number;
  /** Gratuitous ARP on address add (default true). */
  gratuitous?: boolean;
}

export class ArpStack {
  readonly clock: Clock;
  readonly timers: TimerQueue;
  readonly net: NetStack<Llinfo>;
  readonly rep: ArpReplica;
  /** The event sink (a CollectingSink unless one was given). */
  readonly events: EventSink;
  /** Frames sent, when no transmit function was given. */
  readonly sent: SentFrame[] = [];
  private readonly view = new ArpPacket();
  private readonly decision = new ArpInputDecision();

  constructor(opts: ArpStackOptions = {}) {
    this.clock = opts.clock ?? new VirtualClock(0);
    this.timers = new TimerQueue(this.clock);
    this.events = opts.events ?? new CollectingSink();
    this.net = new NetStack<Llinfo>({ clock: this.clock, sysctl: opts.sysctl ?? new Sysctl(), events: this.events, cpu: opts.cpu ?? 0 });
    const tx = opts.transmit;
    this.rep = new ArpReplica({
      net: this.net,
      timers: this.timers,
      transmit: tx !== undefined
        ? (ifp, frame) => tx(ifp, frame, this.clock.now())
        : (ifp, frame) => { this.sent.push({ t: this.clock.now(), iface: ifp.name, ifindex: ifp.index, frame: frame.slice() }); },
      gratuitous: opts.gratuitous,
    });
  }

  get sysctl(): Sysctl { return this.net.sysctl; }
  get stats(): ArpReplica['stats'] { return this.rep.stats; }

  // ---------------------------------------------------------------- configuration

  /** Attach an Ethernet interface. */
  ifAttach(name: string, mac: Mac, flags?: number): Ifnet {
    return this.net.ifAttach(name, flags === undefined ? { lladdr: mac } : { lladdr: mac, flags });
  }

  private ifp(i: Ifnet | string): Ifnet {
    if (typeof i !== 'string') return i;
    const ifp = this.net.ifunit(i);
    if (ifp === undefined) throw errno('ENXIO', `no interface ${i}`);
    return ifp;
  }

  /** ifconfig IF inet A.B.C.D/N alias (SIOCAIFADDR): sends the gratuitous request. */
  addAddress(ifp: Ifnet | string, cidr: string): InIfaddr {
    const c = parseCidr(cidr);
    if (c === undefined) throw errno('EINVAL', `bad address ${cidr}`);
    return inControl(this.net, 'SIOCAIFADDR', this.ifp(ifp), aliasReq(c.addr, c.plen === undefined ? {} : { plen: c.plen }));
  }

  /** ifconfig IF inet A.B.C.D -alias (SIOCDIFADDR). */
  deleteAddress(ifp: Ifnet | string, addr: string): InIfaddr {
    const a = parseIpv4(addr);
    if (a === undefined) throw errno('EINVAL', `bad address ${addr}`);
    return inControl(this.net, 'SIOCDIFADDR', this.ifp(ifp), { addr: sin(a) });
  }

  /** route add DST/N GATEWAY */
  addRoute(cidr: string, gateway: Ipv4): void {
    const c = parseCidr(cidr);
    if (c === undefined) throw errno('EINVAL', `bad destination ${cidr}`);
    const plen = c.plen ?? 32;
    this.net.routes.add({ dst: c.addr, mask: plen === 32 ? undefined : (plen === 0 ? 0 : (0xffff_ffff << (32 - plen)) >>> 0), gateway });
  }

  // ---------------------------------------------------------------- input / output

  /**
   * One received frame on `ifp` (at `at`, when given, after running the
   * timers due until then): arpintr, in_arpinput, the update, the reply.
   * Returns 0 when processed, else the DROP_* reason code.
   */
  input(ifp: Ifnet | string, frame: Uint8Array, at?: number): number {
    if (at !== undefined) this.runUntil(at);
    const rcvif = this.ifp(ifp);
    const rep = this.rep;
    const code = arpIntr(this.view, frame, rcvif, rep.stats);
    if (code !== 0) { arpDropEvent(rep, code, rcvif.name); return code; }
    const d = this.decision;
    if (inArpInput(rep, this.view, rcvif, d) !== 0) return d.drop;
    if (d.hasUpdate) arpUpdateOnCpu(rep, d.update);
    arpSendReply(rep, d);
    return 0;
  }

  /** Send an IPv4 packet to `dst` through the route table and arpresolve. */
  output(dst: Ipv4, packet: Uint8Array | null): ArpResolveOutcome {
    const code = arpOutput(this.rep, packet, dst >>> 0);
    return arpResolveOutcome(code, this.rep.mac);
  }

  /** Send a small UDP datagram (port 9) to `dst` from the address of the route's interface. */
  sendUdp(dst: Ipv4, opts: { size?: number; id?: number; srcPort?: number } = {}): ArpResolveOutcome {
    const rt = this.net.routes.lookup(dst >>> 0);
    const src = rt?.ifa?.addr ?? 0;
    const size = opts.size ?? 18;
    const buf = new Uint8Array(28 + size);
    emitUdpDatagram(buf, 0, { src, dst: dst >>> 0, srcPort: opts.srcPort ?? 9, payloadLen: size, id: opts.id ?? 0 });
    return this.output(dst, buf);
  }

  // ---------------------------------------------------------------- admin

  admin(op: ArpAdminOp): ArpAdminResult { return arpAdminApply(this.rep, op); }

  /** arp -s IP MAC [temp] [pub [only]] */
  arpSet(ip: Ipv4, mac: Mac, opts: { temp?: boolean; pub?: boolean; only?: boolean; iface?: string } = {}): ArpAdminResult {
    return this.admin(arpSetOp(ip, mac, { ...opts, now: this.rep.now(), maxAge: this.sysctl.v.maxAge }));
  }

  /** arp -a */
  list(): ArpEntryDump[] { return arpList(this.rep); }

  // ---------------------------------------------------------------- time

  private vclock(): VirtualClock {
    if (!(this.clock instanceof VirtualClock)) throw new TypeError('ArpStack: advance/runUntil need a VirtualClock');
    return this.clock;
  }

  /** Run the clock forward to `t`, firing timers at their deadlines. */
  runUntil(t: number): void { runVirtualUntil(this.vclock(), this.timers, t); }

  /** Run the clock forward by `dt` seconds. */
  advance(dt: number): void { this.runUntil(this.clock.now() + dt); }

  /** Frames sent so far, emptying the list. */
  takeSent(): SentFrame[] { return this.sent.splice(0, this.sent.length); }
}
