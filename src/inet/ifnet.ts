/**
 * Interfaces and IPv4 interface addresses of one replica (BSD `struct ifnet`,
 * `struct in_ifaddr`), and bridge membership (DragonFly `if_bridge`,
 * `ether_bridge_interface`), which the ARP input rules consult.
 *
 * Objects here belong to one NetStack: never share an Ifnet between replicas.
 */
import type { Ipv4, Mac } from '../wire/addr.js';
import { MAC_BROADCAST } from '../wire/addr.js';
import type { RtEntry } from '../route/rtentry.js';
import type { RouteTable } from '../route/table.js';

// --- interface types (BSD net/if_types.h) ---
export const IFT_ETHER = 0x06;
export const IFT_LOOP = 0x18;
export const IFT_BRIDGE = 0xd1;

// --- interface flags (FreeBSD net/if.h values) ---
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_NOARP = 0x80;
export const IFF_MULTICAST = 0x8000;
export const IFF_STATICARP = 0x80000;

/** ifconfig words, in dump order. */
export const IFF_NAMES: readonly (readonly [number, string])[] = [
  [IFF_UP, 'up'], [IFF_BROADCAST, 'broadcast'], [IFF_LOOPBACK, 'loopback'],
  [IFF_POINTOPOINT, 'pointopoint'], [IFF_NOARP, 'noarp'], [IFF_STATICARP, 'staticarp'],
  [IFF_MULTICAST, 'multicast'],
];

export function iffFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of IFF_NAMES) if ((flags & bit) !== 0) out.push(name);
  return out;
}

/** Flag bits of ifconfig words; `down` clears up. Undefined for an unknown word. */
export function parseIffFlags(words: readonly string[], base = 0): number | undefined {
  let flags = base;
  for (const w of words) {
    if (w === 'down') { flags &= ~IFF_UP; continue; }
    const e = IFF_NAMES.find(([, n]) => n === w);
    if (e === undefined) return undefined;
    flags |= e[0];
  }
  return flags;
}

/** ia_flags: this address installed the prefix route (in_addprefix). */
export const IFA_ROUTE = 0x1;

/**
 * A bridge: member interfaces sharing one segment, and the bridge's own
 * interface (which may hold addresses). `ether_bridge_interface(ifp)` of a
 * member is `bridge.ifp`.
 */
export class Bridge {
  readonly members: Ifnet[] = [];
  constructor(readonly ifp: Ifnet) {}
}

export class Ifnet {
  /** Interface type (IFT_*). */
  readonly type: number;
  /** Link-level address (0 for none, e.g. loopback). */
  lladdr: Mac;
  /** Link-level address length in bytes (`if_addrlen`): 6 for Ethernet, 0 for loopback. */
  readonly addrlen: number;
  /** IFF_* bits. */
  flags: number;
  metric: number;
  /** The bridge this interface is a member of (`if_bridge`), or null. */
  bridge: Bridge | null = null;
  /** IPv4 addresses in the order they were added (`if_addrhead`, AF_INET only). */
  readonly addrs: InIfaddr[] = [];
  /** Link-level broadcast address (`if_broadcastaddr`). */
  readonly broadcastLladdr: Mac = MAC_BROADCAST;

  constructor(
    readonly name: string,
    readonly index: number,
    opts: { type?: number; lladdr?: Mac; flags?: number; metric?: number } = {},
  ) {
    this.type = opts.type ?? IFT_ETHER;
    this.lladdr = opts.lladdr ?? 0;
    this.addrlen = this.type === IFT_LOOP ? 0 : 6;
    this.flags = opts.flags ?? (this.type === IFT_LOOP
      ? IFF_UP | IFF_LOOPBACK | IFF_MULTICAST
      : IFF_UP | IFF_BROADCAST | IFF_MULTICAST);
    this.metric = opts.metric ?? 0;
  }

  isUp(): boolean { return (this.flags & IFF_UP) !== 0; }
}

/** DragonFly ether_bridge_interface: the bridge's own interface for a member, else ifp itself. */
export function etherBridgeInterface(ifp: Ifnet): Ifnet {
  return ifp.bridge !== null ? ifp.bridge.ifp : ifp;
}

/** An IPv4 interface address (BSD `struct in_ifaddr`). */
export class InIfaddr {
  /** ia_flags (IFA_ROUTE). */
  flags = 0;
  constructor(
    readonly ifp: Ifnet,
    /** ia_addr */
    readonly addr: Ipv4,
    /** ia_subnetmask (== ia_sockmask) */
    readonly subnetmask: Ipv4,
    /**
     * ia_dstaddr, which BSD also uses as ia_broadaddr (one field, two names):
     * the peer on point-to-point, the broadcast address on broadcast
     * interfaces, the address itself on loopback; null when unset.
     */
    readonly dstaddr: Ipv4 | null,
    readonly metric = 0,
  ) {}
  /** ia_subnet */
  get subnet(): Ipv4 { return (this.addr & this.subnetmask) >>> 0; }
  /** ia_broadaddr (same storage as dstaddr, as in BSD). */
  get broadaddr(): Ipv4 | null { return this.dstaddr; }
}

/** The route types of an inet replica: `RouteTable<InetRt<Llinfo>>`. */
export interface InetRt<L = unknown> {
  llinfo: L;
  ifp: Ifnet;
  ifa: InIfaddr;
}
export type InRtEntry<L = unknown> = RtEntry<InetRt<L>>;
export type InRouteTable<L = unknown> = RouteTable<InetRt<L>>;
