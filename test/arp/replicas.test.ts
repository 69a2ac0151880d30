/**
 * The decide/apply split on several replicas: in_arpinput decides on the
 * input CPU (CPU0), the update is applied on every replica in order
 * (arp_update_msghandler's chain), the reply comes after; admin operations
 * and address changes are applied on every replica in the same order. The
 * result must be the same as one replica doing everything.
 */
import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { CollectingSink } from '../../src/util/events.js';
import { isArpemuError } from '../../src/util/errors.js';
import { MAC_BROADCAST, type Ipv4, type Mac } from '../../src/wire/addr.js';
import { ArpPacket, ARPOP_REPLY, ARPOP_REQUEST } from '../../src/wire/arp.js';
import { Sysctl } from '../../src/sysctl/index.js';
import { NetStack } from '../../src/inet/stack.js';
import { aliasReq, inControl, sin } from '../../src/inet/in.js';
import { ArpReplica } from '../../src/arp/replica.js';
import { ArpStat } from '../../src/arp/stats.js';
import { arpIntr } from '../../src/arp/intr.js';
import { ArpInputDecision, arpDropEvent, arpInputReply, inArpInput } from '../../src/arp/input.js';
import { arpUpdateOnCpu } from '../../src/arp/update.js';
import { arpAdminApply, arpList, arpSetOp, type ArpAdminOp } from '../../src/arp/admin.js';
import { arpOutput, arpResolveOnCpu, type ArpResolveUpdate } from '../../src/arp/resolve.js';
import { emitUdpDatagram } from '../../src/wire/ipv4.js';
import type { Llinfo } from '../../src/arp/llinfo.js';
import { arpFrame, ip, mac } from './helpers.js';

const IFS = [
  { name: 'eth0', mac: mac('02:00:00:00:01:01'), cidr: [ip('10.0.0.1'), 24] as const },
  { name: 'eth1', mac: mac('02:00:00:00:01:02'), cidr: [ip('10.1.0.1'), 24] as const },
];

interface Sent { t: number; iface: string; hex: string }

/** N replicas sharing one clock and timer queue; CPU0 is the input CPU. */
class Cluster {
  readonly clock = new VirtualClock(0);
  readonly timers = new TimerQueue(this.clock);
  readonly reps: ArpReplica[] = [];
  readonly events = new CollectingSink();
  readonly sent: Sent[] = [];
  readonly netisr = new ArpStat();
  readonly outcomes: number[] = [];
  private readonly view = new ArpPacket();
  private readonly d = new ArpInputDecision();
  /** Replicated-resolution steps waiting for the chain. */
  private readonly steps: ArpResolveUpdate[] = [];

  /** `replicated`: arpResolve's steps go down the chain (else each CPU resolves alone, as the seed). */
  constructor(n: number, replicated = false) {
    for (let cpu = 0; cpu < n; cpu++) {
      const net = new NetStack<Llinfo>({ clock: this.clock, sysctl: new Sysctl(), events: this.events, cpu, reporting: cpu === 0 });
      this.reps.push(new ArpReplica({
        net, timers: this.timers, events: this.events,
        transmit: (ifp, frame) => this.sent.push({ t: this.clock.now(), iface: ifp.name, hex: Buffer.from(frame).toString('hex') }),
        onResolveUpdate: replicated ? (u) => { this.steps.push(structuredClone(u)); } : undefined,
      }));
    }
    for (const f of IFS) for (const r of this.reps) r.net.ifAttach(f.name, { lladdr: f.mac });
    for (const f of IFS) this.addr(f.name, f.cidr[0], f.cidr[1], 'add');
    for (const r of this.reps) r.net.routes.add({ dst: ip('192.168.7.0'), mask: ip('255.255.255.0'), gateway: ip('10.0.0.254') });
  }

  /**
   * An IPv4 packet sent by the CPU its next hop hashes to. (Each CPU holds
   * its own packet per entry, as in DragonFly: two CPUs resolving the same
   * next hop would hold two packets where one CPU holds one.)
   */
  output(dst: Ipv4, id: number): void {
    const rt = this.reps[0]!.net.routes.lookup(dst);
    const hop = rt !== null && rt.gateway !== null ? rt.gateway : dst;
    const cpu = (Math.imul(hop, 0x9e3779b1) >>> 0) % this.reps.length;
    const pkt = new Uint8Array(28 + 4);
    emitUdpDatagram(pkt, 0, { src: ip('10.0.0.1'), dst, srcPort: 9, payloadLen: 4, id });
    this.outcomes.push(arpOutput(this.reps[cpu]!, pkt, dst));
    // The chain: every step on every replica, in order.
    while (this.steps.length > 0) {
      const u = this.steps.shift()!;
      this.reps.forEach((r, i) => arpResolveOnCpu(r, u, { isCpu0: i === 0 }));
    }
  }

  /** ifconfig on every replica; the same errno everywhere or none. */
  addr(ifname: string, a: Ipv4, plen: number, how: 'add' | 'delete'): string | null {
    const codes = this.reps.map((r) => {
      const ifp = r.net.ifunit(ifname)!;
      try {
        if (how === 'add') inControl(r.net, 'SIOCAIFADDR', ifp, aliasReq(a, { plen }));
        else inControl(r.net, 'SIOCDIFADDR', ifp, { addr: sin(a) });
        return null;
      } catch (e) { if (isArpemuError(e)) return e.code; throw e; }
    });
    if (new Set(codes).size !== 1) throw new Error(`replicas disagree on ifconfig: ${codes.join(',')}`);
    return codes[0]!;
  }

  input(ifname: string, frame: Uint8Array): void {
    const r0 = this.reps[0]!;
    const rcvif = r0.net.ifunit(ifname)!;
    const code = arpIntr(this.view, frame, rcvif, this.netisr);
    if (code !== 0) { arpDropEvent(r0, code, ifname); return; }
    if (inArpInput(r0, this.view, rcvif, this.d) !== 0) return;
    // The update message, as it would cross threads.
    const upd = structuredClone(this.d.update);
    if (this.d.hasUpdate) this.reps.forEach((r, i) => arpUpdateOnCpu(r, upd, { isCpu0: i === 0 }));
    const reply = arpInputReply(r0, this.d);
    if (reply !== null) r0.transmit(r0.net.ifnetByIndex(this.d.replyIfindex)!, reply);
  }

  admin(op: ArpAdminOp): string | null {
    const codes = this.reps.map((r, i) => {
      try { arpAdminApply(r, structuredClone(op), { isCpu0: i === 0 }); return null; } catch (e) {
        if (isArpemuError(e)) return e.code;
        throw e;
      }
    });
    if (new Set(codes).size !== 1) throw new Error(`replicas disagree on ${op.op}: ${codes.join(',')}`);
    return codes[0]!;
  }

  advance(dt: number): void { runVirtualUntil(this.clock, this.timers, this.clock.now() + dt); }

  /** Everything but held packets and counters. */
  dump(i: number): unknown {
    const r = this.reps[i]!;
    return {
      arp: arpList(r).map(({ held: _held, ...rest }) => rest),
      routes: r.net.routes.dump(),
      addrs: r.net.inIfaddrs.map((ia) => `${ia.ifp.name} ${ia.addr}/${ia.subnetmask}`),
      sysctl: r.sysctl.snapshot(),
    };
  }
}

// ---- random operations ----

const IPS: Ipv4[] = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.9', '10.0.0.255', '10.1.0.1', '10.1.0.2', '10.1.0.7', '0.0.0.0', '8.8.8.8', '10.0.0.254', '192.168.7.9', '224.0.0.251'].map(ip);
const MACS: Mac[] = [IFS[0]!.mac, mac('02:00:00:00:00:02'), mac('02:00:00:00:00:03'), mac('02:00:00:00:00:04'), MAC_BROADCAST];

type Op =
  | { k: 'frame'; iface: number; op: number; sha: number; spa: number; tpa: number; unicast: boolean }
  | { k: 'set'; ip: number; mac: number; temp: boolean; pub: boolean; only: boolean }
  | { k: 'delete'; ip: number }
  | { k: 'flush' }
  | { k: 'sysctl'; name: string; value: number }
  | { k: 'alias'; how: 'add' | 'delete'; iface: number; last: number }
  | { k: 'advance'; dt: number }
  | { k: 'send'; ip: number; id: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('frame' as const), iface: fc.nat(1), op: fc.constantFrom(ARPOP_REQUEST, ARPOP_REPLY), sha: fc.nat(MACS.length - 1), spa: fc.nat(IPS.length - 1), tpa: fc.nat(IPS.length - 1), unicast: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), ip: fc.nat(IPS.length - 1), mac: fc.nat(MACS.length - 1), temp: fc.boolean(), pub: fc.boolean(), only: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), ip: fc.nat(IPS.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'flush' as const }) },
  { weight: 1, arbitrary: fc.oneof(
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constant('net.link.ether.inet.max_age'), value: fc.constantFrom(5, 60, 1200) }),
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constantFrom('net.link.ether.inet.restricted_match', 'net.link.ether.inet.proxyall', 'net.link.ether.inet.log_arp_movements'), value: fc.nat(1) }),
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constant('net.link.ether.inet.log_arp_wrong_iface'), value: fc.nat(2) }),
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constant('net.link.ether.inet.prune_intvl'), value: fc.constantFrom(1, 7, 300) }),
  ) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('alias' as const), how: fc.constantFrom('add' as const, 'delete' as const), iface: fc.nat(1), last: fc.constantFrom(7, 9, 1) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('advance' as const), dt: fc.constantFrom(0.3, 1, 4, 30, 301) }) },
);

/** Input, admin and timers, plus IPv4 output through resolution. */
const opArbWithSend: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: opArb },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('send' as const), ip: fc.nat(IPS.length - 1), id: fc.nat(0xffff) }) },
);

function run(c: Cluster, ops: readonly Op[]): void {
  for (const o of ops) {
    switch (o.k) {
      case 'frame': {
        const sha = MACS[o.sha]!;
        const ifm = IFS[o.iface]!.mac;
        c.input(IFS[o.iface]!.name, arpFrame({
          op: o.op, sha, src: sha === MAC_BROADCAST ? MACS[1]! : sha, spa: IPS[o.spa]!, tpa: IPS[o.tpa]!,
          tha: o.op === ARPOP_REPLY ? ifm : 0, dst: o.unicast ? ifm : MAC_BROADCAST,
        }));
        break;
      }
      case 'set': {
        const r0 = c.reps[0]!;
        c.admin(arpSetOp(IPS[o.ip]!, MACS[o.mac]!, { temp: o.temp, pub: o.pub, only: o.only, now: r0.now(), maxAge: r0.sysctl.v.maxAge }));
        break;
      }
      case 'delete': c.admin({ op: 'delete', ip: IPS[o.ip]! }); break;
      case 'flush': c.admin({ op: 'flush' }); break;
      case 'sysctl': c.admin({ op: 'sysctl', name: o.name, value: o.value }); break;
      case 'alias': c.addr(IFS[o.iface]!.name, (IFS[o.iface]!.cidr[0] & ~0xff) + o.last, 24, o.how); break;
      case 'advance': c.advance(o.dt); break;
      case 'send': c.output(IPS[o.ip]!, o.id); break;
    }
  }
}

test('arp_update_msghandler: N replicas through the decide/apply split equal one replica', (t) => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 4 }), fc.array(opArb, { minLength: 1, maxLength: 60 }), (n, ops) => {
    const one = new Cluster(1);
    const many = new Cluster(n);
    run(one, ops);
    run(many, ops);
    const ref = JSON.stringify(one.dump(0));
    for (let i = 0; i < n; i++) {
      if (JSON.stringify(many.dump(i)) !== ref) return false;
    }
    // Same frames out, same events (only CPU0 reports), at the same times.
    if (JSON.stringify(many.sent) !== JSON.stringify(one.sent)) return false;
    if (JSON.stringify(many.events.events) !== JSON.stringify(one.events.events)) return false;
    return true;
  }), { numRuns: 150 });
  t.pass();
});

/**
 * Events without the CPU that reported them, sorted: a held packet is
 * dropped or sent by the CPU holding it, so across CPUs the order of events
 * of the same instant is not the single CPU's.
 */
const noCpu = (c: Cluster): string => JSON.stringify(c.events.events.map(({ cpu: _cpu, ...rest }) => JSON.stringify(rest)).sort());

test('arpresolve (replicated steps): N replicas with output through resolution equal the seed on one CPU', (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(opArbWithSend, { minLength: 1, maxLength: 80 }), (n, ops) => {
    const seed = new Cluster(1, false);
    const many = new Cluster(n, true);
    run(seed, ops);
    run(many, ops);
    const ref = JSON.stringify(seed.dump(0));
    for (let i = 0; i < n; i++) if (JSON.stringify(many.dump(i)) !== ref) return false;
    return JSON.stringify(many.outcomes) === JSON.stringify(seed.outcomes) &&
      JSON.stringify(many.sent) === JSON.stringify(seed.sent) &&
      noCpu(many) === noCpu(seed);
  }), { numRuns: 150 });
  t.pass();
});

test('arpresolve (seed, per CPU): without replicated steps the resolving CPU alone holds the unresolved entry', (t) => {
  const c = new Cluster(2, false);
  arpOutput(c.reps[1]!, null, ip('10.0.0.2'));
  t.is(arpList(c.reps[1]!).find((e) => e.ip === '10.0.0.2')?.asked, 1);
  t.is(arpList(c.reps[0]!).find((e) => e.ip === '10.0.0.2'), undefined, 'CPU0 knows nothing of it');
  const r = new Cluster(2, true);
  r.sent.length = 0;
  r.output(ip('10.0.0.2'), 1);
  t.deepEqual(arpList(r.reps[0]!).map((e) => [e.ip, e.asked]), arpList(r.reps[1]!).map((e) => [e.ip, e.asked]));
  t.is(r.sent.filter((f) => f.hex.slice(24, 28) === '0806').length, 1, 'one request, from the resolving CPU');
});

test('arp_update_msghandler: replicas other than CPU0 stay silent but apply everything', (t) => {
  const c = new Cluster(3);
  c.events.clear();
  c.input('eth0', arpFrame({ op: ARPOP_REQUEST, sha: MACS[1]!, spa: ip('10.0.0.2'), tpa: ip('10.0.0.1') }));
  c.input('eth0', arpFrame({ op: ARPOP_REQUEST, sha: MACS[2]!, spa: ip('10.0.0.2'), tpa: ip('10.0.0.1') }));
  t.deepEqual(c.events.events.map((e) => `${e.cpu} ${e.event}`), ['0 arp.learned', '0 arp.reply_sent', '0 arp.moved', '0 arp.reply_sent']);
  for (let i = 0; i < 3; i++) t.is(arpList(c.reps[i]!).find((e) => e.ip === '10.0.0.2')!.mac, '02:00:00:00:00:03');
});
