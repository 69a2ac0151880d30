/**
 * The seeded load of a stress run: a stream of StressOps drawn from pools
 * of addresses and MACs derived from the setup, so the state the emulator
 * can build stays bounded (a soak keeps memory flat only if the load does):
 *
 *  - crafted ARP frames on the wire: requests and replies from known hosts
 *    and from moved MACs, gratuitous requests and replies, RFC 5227 probes,
 *    someone using our address, a broadcast sender MAC, frames arriving on
 *    the wrong interface, unicast frames for another station, senders off
 *    the network;
 *  - virtual hosts moving, going silent and coming back, claiming other
 *    hosts' and our addresses, probing, announcing, resolving us;
 *  - the emulator sending datagrams (held while resolving, rejected when
 *    nobody answers, via a gateway route, off-net, broadcast, to itself);
 *  - arp -s (permanent, temporary, published) and -d, flushes, sysctl
 *    changes, address aliases added and removed, routes added and removed;
 *  - timer jumps (minutes of silence: expiry, rejects timing out);
 *  - CPU kills at `killRate` per virtual second;
 *  - fuzzing (`fuzz`): most ops become random or mutated frames straight
 *    into the input path.
 *
 * Every op is a function of the generator's seed and the ops before it.
 */
import { Random } from '../util/random.js';
import { MAC_BROADCAST, MAC_ZERO, type Ipv4, type Mac } from '../wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, emitArpFrame, type ArpOperation } from '../wire/arp.js';
import { ETHER_MIN_LEN } from '../wire/ethernet.js';
import type { EmuOp } from '../cpu/emulator.js';
import { toHex, type HostAct, type StressOp, type StressSetup } from './oplog.js';
import { FrameMutator } from './fuzz.js';

const ip4 = (a: number, b: number, c: number, d: number): Ipv4 => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const MAC_BASE = 0x02_00_00_00_00_00;
/** MACs hosts move to and strangers use: 02:fe:00:00:00:00 .. +63. */
const MOVED_BASE = 0x02_fe_00_00_00_00;
const MOVED = 64;

/** The world of the default run: two interfaces, sixteen hosts, short timers so expiry happens in a short run. */
export function defaultSetup(): StressSetup {
  const hosts: StressSetup['hosts'] = [];
  for (let i = 0; i < 12; i++) hosts.push({ name: `h${i}`, iface: 'vemu0', mac: MAC_BASE + 0x10 + i, ip: ip4(10, 0, 0, 10 + i) });
  for (let i = 0; i < 4; i++) hosts.push({ name: `k${i}`, iface: 'vemu1', mac: MAC_BASE + 0x01_10 + i, ip: ip4(10, 0, 1, 10 + i) });
  return {
    interfaces: [
      { name: 'vemu0', mac: 0x02_00_00_00_01_01, addresses: [{ addr: ip4(10, 0, 0, 1), plen: 24 }] },
      { name: 'vemu1', mac: 0x02_00_00_00_01_02, addresses: [{ addr: ip4(10, 0, 1, 1), plen: 24 }] },
    ],
    hosts,
    sysctl: {
      'net.link.ether.inet.max_age': 90,
      'net.link.ether.inet.prune_intvl': 15,
      'net.link.ether.inet.host_down_time': 8,
      'net.link.ether.inet.max_log_per_second': -1,
    },
    hostCacheTimeout: 60,
  };
}

export interface GeneratorOptions {
  setup: StressSetup;
  seed: number;
  /** Mean ops per virtual second. */
  rate: number;
  /** CPUs (kills pick one). */
  cpus: number;
  /** CPU kills per virtual second (0: none). */
  killRate: number;
  /** Mostly fuzz frames into the input path. */
  fuzz: boolean;
  /** Frames to mutate (from ../shared/pcaps), fuzz only. */
  corpus: readonly Uint8Array[];
  /** Bursts: most ops share the instant of the one before (concurrent runs), and kills strike inside a burst. */
  bursts?: boolean;
}

interface AliasSpec { iface: string; addr: Ipv4; plen: number }

/** Op counts by kind, for the report. */
export type OpCounts = Record<StressOp['k'], number>;

export function emptyOpCounts(): OpCounts {
  return { wire: 0, input: 0, host: 0, output: 0, admin: 0, jump: 0, kill: 0 };
}

export class OpGenerator {
  private readonly r: Random;
  private readonly setup: StressSetup;
  private readonly opts: GeneratorOptions;
  private t = 0;
  private nextKill = Infinity;
  private readonly buf = new Uint8Array(ETHER_MIN_LEN);
  private readonly mutator: FrameMutator;
  // pools
  private readonly ours: { iface: string; ip: Ipv4; mac: Mac }[] = [];
  private readonly hostIps: Ipv4[];
  private readonly unknownIps: Ipv4[] = [ip4(10, 0, 0, 100), ip4(10, 0, 0, 101), ip4(10, 0, 0, 102), ip4(10, 0, 0, 103)];
  private readonly pubIps: Ipv4[] = [ip4(10, 0, 0, 50), ip4(10, 0, 0, 51), ip4(10, 0, 1, 50)];
  private readonly aliases: AliasSpec[] = [
    { iface: 'vemu0', addr: ip4(10, 0, 0, 200), plen: 24 },
    { iface: 'vemu0', addr: ip4(10, 0, 3, 1), plen: 24 },
    { iface: 'vemu1', addr: ip4(10, 0, 2, 1), plen: 24 },
  ];
  private readonly aliasTargets: Ipv4[] = [ip4(10, 0, 3, 7), ip4(10, 0, 2, 7), ip4(10, 0, 3, 8)];
  private readonly gateways: Ipv4[];
  private readonly routed: Ipv4[] = [ip4(192, 168, 7, 5), ip4(192, 168, 7, 9)];
  private readonly offNet: Ipv4[] = [ip4(172, 16, 0, 1), ip4(10, 9, 9, 9)];
  readonly counts = emptyOpCounts();

  constructor(opts: GeneratorOptions) {
    this.opts = opts;
    this.setup = opts.setup;
    this.r = new Random(opts.seed);
    this.mutator = new FrameMutator(this.r.fork(), opts.corpus);
    for (const i of opts.setup.interfaces) for (const a of i.addresses) this.ours.push({ iface: i.name, ip: a.addr, mac: i.mac });
    this.hostIps = opts.setup.hosts.map((h) => h.ip);
    this.gateways = [ip4(10, 0, 0, 254), this.hostIps[0] ?? ip4(10, 0, 0, 254)];
    if (opts.killRate > 0) this.nextKill = this.expo(opts.killRate);
  }

  /** Virtual time of the last op. */
  get now(): number { return this.t; }

  private expo(rate: number): number {
    return -Math.log(1 - this.r.nextFloat()) / rate;
  }

  private pick<T>(a: readonly T[]): T { return this.r.pick(a); }

  /** The next op. */
  next(): StressOp {
    let gap = this.expo(this.opts.rate);
    if (this.opts.bursts === true && this.r.chance(0.75)) gap = 0;
    if (this.t + gap >= this.nextKill && this.opts.killRate > 0) {
      if (this.opts.bursts !== true) this.t = Math.max(this.t, this.nextKill); // (bursts: in the middle of the current one)
      this.nextKill = Math.max(this.t, this.nextKill) + this.expo(this.opts.killRate);
      this.counts.kill++;
      return { k: 'kill', t: round(this.t), cpu: this.r.nextInt(this.opts.cpus) };
    }
    this.t += gap;
    const t = round(this.t);
    const op = this.opts.fuzz && this.r.chance(0.8) ? this.fuzzOp(t) : this.loadOp(t);
    this.counts[op.k]++;
    return op;
  }

  private loadOp(t: number): StressOp {
    const u = this.r.nextFloat();
    if (u < 0.01) {
      this.t += 20 + this.r.nextFloat() * 300; // a timer jump: minutes of silence
      return { k: 'jump', t: round(this.t) };
    }
    if (u < 0.36) return this.wireOp(t);
    if (u < 0.50) return this.hostOp(t);
    if (u < 0.82) return this.outputOp(t);
    return this.adminOp(t);
  }

  // ---------------------------------------------------------------- frames on the wire

  /** An identity someone may claim: a known host (its own MAC or a moved one), or a stranger. */
  private identity(): { ip: Ipv4; mac: Mac; iface: string } {
    const u = this.r.nextFloat();
    const movedMac = MOVED_BASE + this.r.nextInt(MOVED);
    if (u < 0.6 && this.setup.hosts.length > 0) {
      const h = this.pick(this.setup.hosts);
      return { ip: h.ip, mac: this.r.chance(0.75) ? h.mac : movedMac, iface: h.iface };
    }
    if (u < 0.8) return { ip: this.pick(this.unknownIps), mac: movedMac, iface: 'vemu0' };
    return { ip: this.pick([...this.pubIps, ...this.aliasTargets]), mac: movedMac, iface: this.r.chance(0.5) ? 'vemu0' : 'vemu1' };
  }

  private frame(op: ArpOperation, ethDst: Mac, ethSrc: Mac, sha: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): string {
    const b = this.buf;
    b.fill(0);
    emitArpFrame(b, ethDst, ethSrc, { op, sha, spa, tha, tpa });
    // Padded to the Ethernet minimum as it arrives from a wire (or 42 bytes, as a local stack hands it).
    return toHex(this.r.chance(0.7) ? b : b.subarray(0, ARP_FRAME_LEN));
  }

  private wireOp(t: number): StressOp {
    const id = this.identity();
    const us = this.ours.find((o) => o.iface === id.iface) ?? this.ours[0]!;
    let iface = id.iface;
    const kind = this.r.nextInt(12);
    let frame: string;
    switch (kind) {
      case 0: case 1: // who-has us (learn or update, and a reply)
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, id.mac, id.ip, MAC_ZERO, us.ip);
        break;
      case 2: // who-has another host (update only)
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, id.mac, id.ip, MAC_ZERO, this.pick(this.hostIps));
        break;
      case 3: // an unsolicited reply to us
        frame = this.frame(ARPOP_REPLY, us.mac, id.mac, id.mac, id.ip, us.mac, us.ip);
        break;
      case 4: // gratuitous request
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, id.mac, id.ip, MAC_ZERO, id.ip);
        break;
      case 5: // gratuitous reply (RFC 2002 form)
        frame = this.frame(ARPOP_REPLY, MAC_BROADCAST, id.mac, id.mac, id.ip, id.mac, id.ip);
        break;
      case 6: // RFC 5227 probe for us or for someone
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, id.mac, 0, MAC_ZERO, this.r.chance(0.5) ? us.ip : id.ip);
        break;
      case 7: { // someone uses our address
        const mine = this.pick(this.ours);
        iface = mine.iface;
        frame = this.frame(this.r.chance(0.5) ? ARPOP_REQUEST : ARPOP_REPLY, MAC_BROADCAST, id.mac, id.mac, mine.ip, MAC_ZERO, this.pick(this.hostIps));
        break;
      }
      case 8: // broadcast sender hardware address
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, MAC_BROADCAST, id.ip, MAC_ZERO, us.ip);
        break;
      case 9: // the same identity heard on the other interface
        iface = iface === 'vemu0' ? 'vemu1' : 'vemu0';
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, id.mac, id.ip, MAC_ZERO, (this.ours.find((o) => o.iface === iface) ?? us).ip);
        break;
      case 10: // unicast to another station: the segment would not bring it, so straight to our input (ether_input drops it)
        return { k: 'input', t, iface, frame: this.frame(ARPOP_REPLY, MOVED_BASE + this.r.nextInt(MOVED), id.mac, id.mac, id.ip, MAC_ZERO, us.ip) };
      default: // sender off the network
        frame = this.frame(ARPOP_REQUEST, MAC_BROADCAST, id.mac, id.mac, this.pick(this.offNet), MAC_ZERO, us.ip);
        break;
    }
    return { k: 'wire', t, iface, frame };
  }

  // ---------------------------------------------------------------- hosts

  private hostOp(t: number): StressOp {
    const h = this.pick(this.setup.hosts);
    const acts: HostAct[] = ['move', 'move', 'silent', 'back', 'back', 'claim', 'release', 'probe', 'gratuitous', 'arping', 'send', 'send'];
    const act = this.pick(acts);
    const base = { k: 'host' as const, t, host: h.name, act };
    switch (act) {
      case 'move': return { ...base, mac: this.r.chance(0.3) ? h.mac : MOVED_BASE + this.r.nextInt(MOVED) };
      case 'claim': case 'release': {
        const pool = [...this.hostIps, ...this.ours.map((o) => o.ip), ...this.unknownIps];
        return { ...base, ip: this.pick(pool) };
      }
      case 'probe': return { ...base, ip: this.pick([...this.unknownIps, ...this.hostIps, ...this.ours.map((o) => o.ip)]) };
      case 'gratuitous': return { ...base, form: this.r.chance(0.5) ? 'request' : 'reply' };
      case 'arping': case 'send': {
        const us = this.ours.find((o) => o.iface === h.iface) ?? this.ours[0]!;
        return { ...base, ip: this.r.chance(0.8) ? us.ip : this.pick(this.ours).ip };
      }
      default: return base;
    }
  }

  // ---------------------------------------------------------------- the emulator's output

  private outputOp(t: number): StressOp {
    const u = this.r.nextFloat();
    let dst: Ipv4;
    if (u < 0.55) dst = this.pick(this.hostIps);
    else if (u < 0.70) dst = this.pick(this.unknownIps);
    else if (u < 0.78) dst = this.pick(this.routed);
    else if (u < 0.84) dst = this.pick(this.aliasTargets);
    else if (u < 0.89) dst = this.pick(this.pubIps);
    else if (u < 0.93) dst = this.pick(this.offNet);
    else if (u < 0.97) dst = this.pick([ip4(10, 0, 0, 255), ip4(10, 0, 1, 255), ip4(224, 0, 0, 251)]);
    else dst = this.pick(this.ours).ip;
    return { k: 'output', t, dst, size: 8 + this.r.nextInt(64) };
  }

  // ---------------------------------------------------------------- administration

  private adminOp(t: number): StressOp {
    const u = this.r.nextFloat();
    let op: EmuOp;
    const arpIps = [...this.hostIps, ...this.unknownIps, ...this.pubIps, ...this.aliasTargets];
    if (u < 0.30) {
      const ip = this.pick(arpIps);
      const temp = this.r.chance(0.35);
      const pub = this.r.chance(0.3);
      const mac = this.r.chance(0.5) ? (this.setup.hosts.find((h) => h.ip === ip)?.mac ?? MOVED_BASE) : MOVED_BASE + this.r.nextInt(MOVED);
      op = { op: 'set', ip, mac, expire: temp ? Math.floor(t) + 1 + 60 : 0, pub, only: pub && this.r.chance(0.2), iface: null };
    } else if (u < 0.50) {
      op = { op: 'delete', ip: this.pick(arpIps) };
    } else if (u < 0.53) {
      op = { op: 'flush' };
    } else if (u < 0.70) {
      const knobs: [string, number[]][] = [
        ['net.link.ether.inet.max_age', [20, 90, 600]],
        ['net.link.ether.inet.maxtries', [1, 3, 5]],
        ['net.link.ether.inet.host_down_time', [0, 8, 30]],
        ['net.link.ether.inet.prune_intvl', [5, 15, 60]],
        ['net.link.ether.inet.refresh', [0, 10, 60]],
        ['net.link.ether.inet.proxyall', [0, 1]],
        ['net.link.ether.inet.restricted_match', [0, 0, 1]],
        ['net.link.ether.inet.useloopback', [0, 1]],
      ];
      const [name, values] = this.pick(knobs);
      op = { op: 'sysctl', name, value: this.pick(values) };
    } else if (u < 0.88) {
      const a = this.pick(this.aliases);
      op = { op: 'ifaddr', cmd: this.r.chance(0.5) ? 'add' : 'delete', iface: a.iface, addr: a.addr, plen: a.plen };
    } else {
      op = { op: 'route', cmd: this.r.chance(0.5) ? 'add' : 'delete', dst: ip4(192, 168, 7, 0), plen: 24, gateway: this.pick(this.gateways) };
    }
    return { k: 'admin', t, op };
  }

  // ---------------------------------------------------------------- fuzzing

  private fuzzOp(t: number): StressOp {
    const iface = this.pick(this.setup.interfaces).name;
    return { k: 'input', t, iface, frame: toHex(this.mutator.next()) };
  }
}

/** Virtual times are kept to the microsecond (they print and replay exactly). */
function round(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}
