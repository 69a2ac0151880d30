/**
 * NetStack: everything one replica (one CPU) knows about interfaces,
 * IPv4 addresses and routes. No module-level state: tests build several
 * stacks in one thread, issue 6 builds one per worker, and a restarted
 * worker is resynchronised with snapshot()/restore().
 *
 * The ARP cache is not a separate table: it is the set of host routes with
 * RTF_LLINFO (DragonFly), and FreeBSD's lltable API is a view over them
 * (see lltable.ts for the mapping).
 */
import type { Ipv4, Mac } from '../wire/addr.js';
import { formatIpv4, formatMac } from '../wire/addr.js';
import type { Clock } from '../util/clock.js';
import { errno } from '../util/errors.js';
import { makeEvent, nullSink, type ArpemuEvent, type EventSink, type EventName, type EventFieldMap, type ExtraFields } from '../util/events.js';
import { Sysctl, type SysctlSnapshot } from '../sysctl/index.js';
import { RouteTable, type RouteDump, type RouteSnap, type RtMsg, type RtRequestCmd } from '../route/table.js';
import type { RtEntry } from '../route/rtentry.js';
import {
  Bridge, Ifnet, InIfaddr, iffFlagNames,
  IFF_POINTOPOINT, IFF_BROADCAST, IFT_BRIDGE, IFT_ETHER, IFT_LOOP,
  type InetRt, type InRtEntry,
} from './ifnet.js';

export interface InetHooks<L> {
  /**
   * The ARP route hook (arp_rtrequest): called for routes whose interface
   * address is on an ARP-capable interface (Ethernet or bridge), as
   * arp_ifinit installs ifa_rtrequest only there.
   */
  rtRequest?: ((cmd: RtRequestCmd, rt: InRtEntry<L>) => void) | undefined;
  /** Route messages (RTM_ADD, RTM_DELETE, RTM_MISS) while `reporting` is on. */
  rtReport?: ((msg: RtMsg) => void) | undefined;
  /**
   * An address was added (ifaddr_event): ARP sends its gratuitous request
   * here. Called on every replica; the caller decides which one transmits.
   */
  addrAdded?: ((ia: InIfaddr) => void) | undefined;
  /** An address was deleted (after its routes were scrubbed). */
  addrDeleted?: ((ia: InIfaddr) => void) | undefined;
  /** Encode / decode llinfo for snapshot()/restore() (omitted: the llinfo value is carried as it is). */
  llinfoSave?: ((rt: InRtEntry<L>) => unknown) | undefined;
  llinfoLoad?: ((rt: InRtEntry<L>, saved: unknown) => L | null) | undefined;
}

export interface NetStackOptions<L> {
  clock: Clock;
  /** This replica's knobs (default: a fresh Sysctl with every default knob). */
  sysctl?: Sysctl | undefined;
  events?: EventSink | undefined;
  /** CPU number written in events. */
  cpu?: number | undefined;
  /** Emit events and route messages (only CPU0 does once replicas exist). Default true. */
  reporting?: boolean | undefined;
  hooks?: InetHooks<L> | undefined;
}

/** One interface in the CONTRACT.md dump. */
export interface IfDump {
  name: string;
  index: number;
  mac: string | null;
  flags: string[];
  addresses: { addr: string; mask: string; broadcast: string | null; dst?: string }[];
}

export interface NetDump {
  interfaces: IfDump[];
  routes: RouteDump[];
}

/** Structured-clonable state of a NetStack (resync of a restarted CPU). */
export interface NetStackSnapshot {
  ifnets: { name: string; index: number; type: number; lladdr: Mac; flags: number; metric: number; bridge: number }[];
  /** in_ifaddrhead order. */
  addrs: { ifindex: number; addr: Ipv4; subnetmask: Ipv4; dstaddr: Ipv4 | null; flags: number; metric: number }[];
  routes: RouteSnap[];
  sysctl: SysctlSnapshot;
}

const NO_ADDRS: readonly InIfaddr[] = Object.freeze([]) as readonly InIfaddr[];

/** Interfaces whose addresses get ARP's route hook (arp_ifinit). */
export function arpCapable(ifp: Ifnet): boolean {
  return ifp.type === IFT_ETHER || ifp.type === IFT_BRIDGE;
}

export class NetStack<L = unknown> {
  readonly clock: Clock;
  readonly sysctl: Sysctl;
  events: EventSink;
  readonly cpu: number;
  readonly hooks: InetHooks<L>;
  readonly routes: RouteTable<InetRt<L>>;
  /** The loopback interface; always present. */
  readonly lo0: Ifnet;
  /** Every IPv4 address in the order added (`in_ifaddrhead`). */
  readonly inIfaddrs: InIfaddr[] = [];
  private readonly ifByIndex: (Ifnet | undefined)[] = [undefined];
  private readonly ifByName = new Map<string, Ifnet>();
  /** INADDR_HASH: addresses by IP, most recently added first. */
  private readonly addrHash = new Map<number, InIfaddr[]>();
  private readonly bridges = new Map<Ifnet, Bridge>();
  private report: boolean;

  constructor(opts: NetStackOptions<L>) {
    this.clock = opts.clock;
    this.sysctl = opts.sysctl ?? new Sysctl();
    this.events = opts.events ?? nullSink;
    this.cpu = opts.cpu ?? 0;
    this.hooks = opts.hooks ?? {};
    this.report = opts.reporting ?? true;
    this.routes = new RouteTable<InetRt<L>>({
      reporting: this.report,
      hooks: {
        rtRequest: (cmd, rt) => {
          const owner = rt.ifa !== null ? rt.ifa.ifp : rt.ifp;
          if (arpCapable(owner)) this.hooks.rtRequest?.(cmd, rt);
        },
        report: (msg) => this.hooks.rtReport?.(msg),
      },
    });
    // lo0 exists from the start (without an address: give it one with inAifaddr).
    this.lo0 = this.ifAttach('lo0', { type: IFT_LOOP });
  }

  /**
   * `time_second` for rt_expire stamps: the clock's whole seconds plus one,
   * so it is never 0 (0 means "never expires"). Same convention as ARP's arpTime.
   */
  timeSecond(): number { return this.clock.uptime() + 1; }

  /** Emit events and route messages (CPU0). */
  get reporting(): boolean { return this.report; }
  set reporting(on: boolean) { this.report = on; this.routes.reporting = on; }

  // ------------------------------------------------------------ interfaces

  /** Create an interface; EEXIST when the name is taken. Indexes count up from 1 (lo0). */
  ifAttach(name: string, opts: { type?: number; lladdr?: Mac; flags?: number; metric?: number } = {}): Ifnet {
    if (this.ifByName.has(name)) throw errno('EEXIST', `interface ${name} already exists`);
    const ifp = new Ifnet(name, this.ifByIndex.length, opts);
    this.ifByIndex.push(ifp);
    this.ifByName.set(name, ifp);
    return ifp;
  }

  /** ifunit(): the interface named `name`. */
  ifunit(name: string): Ifnet | undefined { return this.ifByName.get(name); }
  ifnetByIndex(index: number): Ifnet | undefined { return this.ifByIndex[index]; }
  /** Every interface by index. */
  get ifnets(): Ifnet[] { return this.ifByIndex.filter((i): i is Ifnet => i !== undefined); }

  /** Make `member` a member of the bridge whose own interface is `bridgeIfp`. */
  bridgeAttach(bridgeIfp: Ifnet, member: Ifnet): Bridge {
    if (member === bridgeIfp) throw errno('EINVAL', `${member.name} cannot be a member of itself`);
    if (member.bridge !== null) throw errno('EBUSY', `${member.name} is already a member of ${member.bridge.ifp.name}`);
    let br = this.bridges.get(bridgeIfp);
    if (br === undefined) { br = new Bridge(bridgeIfp); this.bridges.set(bridgeIfp, br); }
    br.members.push(member);
    member.bridge = br;
    return br;
  }

  bridgeDetach(member: Ifnet): void {
    const br = member.bridge;
    if (br === null) return;
    const i = br.members.indexOf(member);
    if (i >= 0) br.members.splice(i, 1);
    member.bridge = null;
  }

  // ------------------------------------------------------------ addresses

  /** Addresses equal to `ip` (INADDR_HASH bucket), most recently added first. Never allocates. */
  addrsWithIp(ip: Ipv4): readonly InIfaddr[] {
    return this.addrHash.get(ip | 0) ?? NO_ADDRS;
  }

  /** Link a new address into if_addrhead, in_ifaddrhead and the hash (in_aifaddr). */
  linkAddr(ia: InIfaddr): void {
    ia.ifp.addrs.push(ia);
    this.inIfaddrs.push(ia);
    const k = ia.addr | 0;
    const bucket = this.addrHash.get(k);
    if (bucket === undefined) this.addrHash.set(k, [ia]); else bucket.unshift(ia);
  }

  /** Unlink an address from all three lists. */
  unlinkAddr(ia: InIfaddr): void {
    removeFrom(ia.ifp.addrs, ia);
    removeFrom(this.inIfaddrs, ia);
    const k = ia.addr | 0;
    const bucket = this.addrHash.get(k);
    if (bucket !== undefined) {
      removeFrom(bucket, ia);
      if (bucket.length === 0) this.addrHash.delete(k);
    }
  }

  /** ifaof_ifpforaddr: the address of `ifp` whose network holds `ip`, else its peer match, else its first address. */
  ifaofIfpForAddr(ip: Ipv4, ifp: Ifnet): InIfaddr | null {
    for (const ia of ifp.addrs) {
      if ((ifp.flags & IFF_POINTOPOINT) !== 0 && ia.dstaddr === ip) return ia;
      if (((ip ^ ia.addr) & ia.subnetmask) === 0) return ia;
    }
    return ifp.addrs[0] ?? null;
  }

  /** Emit an event when reporting (CPU0). */
  emit<N extends EventName>(name: N, fields: EventFieldMap[N] & ExtraFields): void {
    if (!this.report) return;
    this.events.emit(makeEvent(name, this.clock.now(), this.cpu, fields) as unknown as ArpemuEvent);
  }

  // ------------------------------------------------------------ dump and resync

  /** CONTRACT.md `interfaces` and this CPU's `routes` (`routeFilter` to leave e.g. ARP entries out). */
  dump(opts: { routeFilter?: (rt: InRtEntry<L>) => boolean } = {}): NetDump {
    const interfaces = this.ifnets.map((ifp): IfDump => ({
      name: ifp.name,
      index: ifp.index,
      mac: ifp.addrlen > 0 ? formatMac(ifp.lladdr) : null,
      flags: iffFlagNames(ifp.flags),
      addresses: ifp.addrs.map((ia) => {
        const a: IfDump['addresses'][number] = {
          addr: formatIpv4(ia.addr),
          mask: formatIpv4(ia.subnetmask),
          broadcast: (ifp.flags & IFF_BROADCAST) !== 0 && ia.broadaddr !== null ? formatIpv4(ia.broadaddr) : null,
        };
        if ((ifp.flags & IFF_POINTOPOINT) !== 0 && ia.dstaddr !== null) a.dst = formatIpv4(ia.dstaddr);
        return a;
      }),
    }));
    const routes = opts.routeFilter === undefined ? this.routes.dump() : this.routes.dump({ filter: opts.routeFilter });
    return { interfaces, routes };
  }

  snapshot(): NetStackSnapshot {
    const save = this.hooks.llinfoSave;
    return {
      ifnets: this.ifnets.map((i) => ({
        name: i.name, index: i.index, type: i.type, lladdr: i.lladdr, flags: i.flags, metric: i.metric,
        bridge: i.bridge === null ? 0 : i.bridge.ifp.index,
      })),
      addrs: this.inIfaddrs.map((ia) => ({
        ifindex: ia.ifp.index, addr: ia.addr, subnetmask: ia.subnetmask, dstaddr: ia.dstaddr, flags: ia.flags, metric: ia.metric,
      })),
      routes: save === undefined ? this.routes.snapshot() : this.routes.snapshot((rt) => save(rt)),
      sysctl: this.sysctl.snapshot(),
    };
  }

  /**
   * Make this replica equal to the one that took `snap`, without hooks or
   * events. Interfaces present in both (same index and name) keep their
   * Ifnet object; others are created or dropped. Addresses and routes are
   * rebuilt. Validates the whole snapshot first (ENXIO / EINVAL).
   */
  restore(snap: NetStackSnapshot): void {
    for (const s of snap.ifnets) {
      if (!Number.isInteger(s.index) || s.index < 1) throw errno('EINVAL', `restore: bad interface index ${s.index}`);
    }
    if (snap.ifnets[0]?.index !== this.lo0.index || snap.ifnets[0].name !== this.lo0.name) {
      throw errno('EINVAL', 'restore: snapshot does not start with lo0');
    }
    // Check every reference before changing anything.
    const indexes = new Set(snap.ifnets.map((i) => i.index));
    const addrKeys = new Set(snap.addrs.map((a) => `${a.ifindex}/${a.addr}`));
    for (const i of snap.ifnets) {
      if (i.bridge !== 0 && !indexes.has(i.bridge)) throw errno('ENXIO', `restore: ${i.name} is in unknown bridge ${i.bridge}`);
    }
    for (const a of snap.addrs) {
      if (!indexes.has(a.ifindex)) throw errno('ENXIO', `restore: address ${formatIpv4(a.addr)} on unknown interface ${a.ifindex}`);
    }
    for (const r of snap.routes) {
      if (!indexes.has(r.ifindex)) throw errno('ENXIO', `restore: route ${formatIpv4(r.dst)}/${r.plen} on unknown interface ${r.ifindex}`);
      if (r.ifaAddr !== null && !addrKeys.has(`${r.ifaIndex}/${r.ifaAddr}`)) {
        throw errno('ENXIO', `restore: route ${formatIpv4(r.dst)}/${r.plen} names unknown address ${formatIpv4(r.ifaAddr)}`);
      }
    }
    this.sysctl.restore(snap.sysctl);
    // interfaces
    const byIndex: (Ifnet | undefined)[] = [undefined];
    for (const s of snap.ifnets) {
      const old = this.ifByIndex[s.index];
      let ifp: Ifnet;
      if (old !== undefined && old.name === s.name && old.type === s.type) {
        ifp = old;
        ifp.lladdr = s.lladdr; ifp.flags = s.flags; ifp.metric = s.metric;
      } else {
        ifp = s.index === this.lo0.index ? this.lo0 : new Ifnet(s.name, s.index, { type: s.type, lladdr: s.lladdr, flags: s.flags, metric: s.metric });
      }
      ifp.addrs.length = 0;
      ifp.bridge = null;
      byIndex[s.index] = ifp;
    }
    this.ifByIndex.length = 0;
    for (let i = 0; i < byIndex.length; i++) this.ifByIndex.push(byIndex[i]);
    this.ifByName.clear();
    for (const ifp of this.ifnets) this.ifByName.set(ifp.name, ifp);
    this.bridges.clear();
    for (const s of snap.ifnets) {
      if (s.bridge !== 0) {
        const br = this.ifByIndex[s.bridge];
        const m = this.ifByIndex[s.index];
        if (br === undefined || m === undefined) throw errno('ENXIO', `restore: bridge ${s.bridge} unknown`);
        this.bridgeAttach(br, m);
      }
    }
    // addresses
    this.inIfaddrs.length = 0;
    this.addrHash.clear();
    for (const a of snap.addrs) {
      const ifp = this.ifByIndex[a.ifindex];
      if (ifp === undefined) throw errno('ENXIO', `restore: address on unknown interface ${a.ifindex}`);
      const ia = new InIfaddr(ifp, a.addr, a.subnetmask, a.dstaddr, a.metric);
      ia.flags = a.flags;
      this.linkAddr(ia);
    }
    // routes
    const load = this.hooks.llinfoLoad;
    this.routes.restore(snap.routes, {
      ifp: (index) => this.ifByIndex[index],
      ifa: (index, addr) => this.ifByIndex[index]?.addrs.find((ia) => ia.addr === addr),
      llinfo: load === undefined ? undefined : (rt, saved) => load(rt as RtEntry<InetRt<L>>, saved),
    });
  }
}

function removeFrom<X>(list: X[], x: X): void {
  const i = list.indexOf(x);
  if (i >= 0) list.splice(i, 1);
}
