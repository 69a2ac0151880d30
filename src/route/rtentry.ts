/**
 * Route entries (BSD `struct rtentry`), one object per route of one replica.
 *
 * Memory matters: a replica holds up to a million host routes (the ARP cache
 * is the set of host routes with RTF_LLINFO, as in DragonFly). Every field
 * costs 8 bytes in V8 and a number that is not a small integer costs a
 * 16-byte heap box, so:
 *  - the destination is kept as a signed int32 (`key`), `dst` gives the u32;
 *  - the gateway is two small integers: `gwLo` (an IPv4 gateway, or the low
 *    32 bits of a MAC, as int32) and `gwHi` (the high 16 bits of a MAC, or
 *    -1 when the link-level gateway holds no address: BSD's `sdl_alen == 0`);
 *  - `gwHi` and `refcnt` share one small integer (`meta`), read and written
 *    through accessors: 8 fields, 88 bytes an entry;
 *  - host routes (all /32 routes) carry no mask field: `RtNetEntry` adds the
 *    prefix length for network routes;
 *  - there is no parent pointer: a cloned route's parent is always the
 *    longest covering cloning network route (the table keeps that true the
 *    way BSD's rt_fixchange does), so `RouteTable.parentOf()` computes it.
 *
 * src/route must not import src/inet (layers point down), so the interface and
 * interface-address types are parameters: `RtTypes` bundles the llinfo type
 * (ARP's llinfo_arp), the ifnet type and the in_ifaddr type. src/inet fixes
 * the last two (`InetRt<L>`), src/arp the first.
 */
import type { Ipv4, Mac } from '../wire/addr.js';
import { prefixMask } from '../wire/addr.js';

/** What the route layer needs of an interface (BSD `struct ifnet`). */
export interface RtIfnet {
  readonly name: string;
  readonly index: number;
}

/** What the route layer needs of an interface address (BSD `rt_ifa`). */
export interface RtIfaddr {
  /** The address itself (`ifa_addr`). */
  readonly addr: Ipv4;
  readonly ifp: RtIfnet;
}

/** The types a table's entries carry: `RtEntry<{ llinfo: MyLlinfo; ifp: Ifnet; ifa: InIfaddr }>`. */
export interface RtTypes {
  llinfo: unknown;
  ifp: RtIfnet;
  ifa: RtIfaddr;
}

// --- RTF_* (BSD net/route.h values, so dumps and messages read like the kernel's) ---
export const RTF_UP = 0x1;
/** Destination is reached through an IPv4 gateway (`gateway`). */
export const RTF_GATEWAY = 0x2;
/** Host route: no mask (all /32 entries live in the host index). */
export const RTF_HOST = 0x4;
/** Host or net unreachable: ARP sets it while a destination is "down". */
export const RTF_REJECT = 0x8;
export const RTF_DYNAMIC = 0x10;
/** Network route whose lookups with `clone` create host routes (ARP cache entries). */
export const RTF_CLONING = 0x100;
/** The route has link-level info attached (`llinfo`): an ARP entry. */
export const RTF_LLINFO = 0x400;
/** Added by an administrator (arp -s, route add), not learned. */
export const RTF_STATIC = 0x800;
export const RTF_BLACKHOLE = 0x1000;
/** BSD RTF_PROTO2: published entry, announce/answer on its behalf (arp -s ... pub). */
export const RTF_ANNOUNCE = 0x4000;
/** Created by cloning (RTM_RESOLVE) from a cloning network route. */
export const RTF_WASCLONED = 0x20000;
/** Route to one of our own addresses (FreeBSD RTF_LOCAL): the loopback route to self. */
export const RTF_LOCAL = 0x200000;
/**
 * arpemu's own bit for the manual's SIN_PROXY key (`sin_other = SIN_PROXY`):
 * a "proxy only" published entry. BSD distinguishes it by a longer radix key;
 * here proxy entries live in their own index and only `rtlookup(dst,
 * { proxy: true })` sees them.
 */
export const RTF_PROXY = 0x1000000;

/** Flag names in dump order (CONTRACT.md `flags`). */
export const RTF_NAMES: readonly (readonly [number, string])[] = [
  [RTF_UP, 'up'], [RTF_GATEWAY, 'gateway'], [RTF_HOST, 'host'], [RTF_REJECT, 'reject'],
  [RTF_DYNAMIC, 'dynamic'], [RTF_CLONING, 'cloning'], [RTF_WASCLONED, 'wascloned'],
  [RTF_LLINFO, 'llinfo'], [RTF_STATIC, 'static'], [RTF_BLACKHOLE, 'blackhole'],
  [RTF_ANNOUNCE, 'announce'], [RTF_LOCAL, 'local'], [RTF_PROXY, 'proxy'],
];

/** `flags` as names, e.g. `['up', 'cloning']`. */
export function rtFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of RTF_NAMES) if ((flags & bit) !== 0) out.push(name);
  return out;
}

/** Inverse of rtFlagNames; undefined when a name is unknown. */
export function parseRtFlags(names: readonly string[]): number | undefined {
  let flags = 0;
  for (const n of names) {
    const e = RTF_NAMES.find(([, name]) => name === n);
    if (e === undefined) return undefined;
    flags |= e[0];
  }
  return flags;
}

const TWO_32 = 0x1_0000_0000;

/**
 * A route. Host routes (prefix length 32) are plain RtEntry objects;
 * network routes are RtNetEntry. Fields the ARP layer updates in place
 * (flags, ifp, ifa, expire, refcnt, llinfo, link-level gateway) are
 * mutable; the key and prefix length are fixed for the entry's life.
 */
export class RtEntry<T extends RtTypes = RtTypes> {
  /** Destination as a signed int32 (`dst | 0`), so it is always a small integer. */
  readonly key: number;
  /** RTF_* bits. */
  flags: number;
  /** Outgoing interface (`rt_ifp`); for link routes also the link-level gateway's interface (`sdl_index`). */
  ifp: T['ifp'];
  /** The interface address the route belongs to (`rt_ifa`): source of requests, owner of the hook. */
  ifa: T['ifa'] | null;
  /** `rt_expire`: uptime second at which the entry expires; 0 = never. */
  expire: number;
  /** `rt_llinfo`: the link layer's per-entry state (ARP's llinfo_arp), or null. */
  llinfo: T['llinfo'] | null;
  /** Gateway, low part: an IPv4 gateway (RTF_GATEWAY) or a MAC's low 32 bits, as int32. */
  gwLo: number;
  /** Bits 0..16: gwHi + 1 (0 = no link-level address); bits 17..29: refcnt. */
  private meta: number;

  constructor(key: number, flags: number, ifp: T['ifp'], ifa: T['ifa'] | null, expire: number) {
    this.key = key | 0;
    this.flags = flags;
    this.ifp = ifp;
    this.ifa = ifa;
    this.expire = expire;
    this.llinfo = null;
    this.gwLo = 0;
    this.meta = 0;
  }

  /** Gateway, high part: a MAC's high 16 bits, or -1 for no link-level address (unresolved). */
  get gwHi(): number { return (this.meta & 0x1ffff) - 1; }
  set gwHi(v: number) { this.meta = (this.meta & ~0x1ffff) | ((v + 1) & 0x1ffff); }

  /**
   * `rt_refcnt`: references held by users beyond the table (arptfree keeps
   * referenced entries). Kept in 0..8191: it counts transient references.
   */
  get refcnt(): number { return this.meta >>> 17; }
  set refcnt(v: number) {
    const n = v <= 0 ? 0 : v >= 0x1fff ? 0x1fff : v;
    this.meta = (this.meta & 0x1ffff) | (n << 17);
  }

  /** Destination as an unsigned u32. */
  get dst(): Ipv4 { return this.key >>> 0; }
  /** Prefix length (32 for host routes). */
  get plen(): number { return 32; }
  /** Netmask as u32. */
  get mask(): Ipv4 { return prefixMask(this.plen); }
  /** True for network routes (RtNetEntry). */
  get isNet(): boolean { return false; }

  /** The IPv4 gateway of an RTF_GATEWAY route, else null. */
  get gateway(): Ipv4 | null {
    return (this.flags & RTF_GATEWAY) !== 0 ? this.gwLo >>> 0 : null;
  }
  /** Set the IPv4 gateway (rt_setgate) and the RTF_GATEWAY flag. */
  setGateway(gw: Ipv4): void {
    this.flags |= RTF_GATEWAY;
    this.gwLo = gw | 0;
    this.meta &= ~0x1ffff;
  }

  /** True when the link-level gateway holds an address (`sdl_alen != 0`). */
  hasLladdr(): boolean { return (this.meta & 0x1ffff) !== 0 && (this.flags & RTF_GATEWAY) === 0; }
  /** The link-level address (resolved MAC), or null. Allocates a heap number for most MACs: hot paths use lladdrEquals/writeLladdr. */
  get lladdr(): Mac | null {
    return this.hasLladdr() ? this.gwHi * TWO_32 + (this.gwLo >>> 0) : null;
  }
  /** Store a MAC in the link-level gateway; null clears it (`sdl_alen = 0`). */
  setLladdr(mac: Mac | null): void {
    if (mac === null) { this.meta &= ~0x1ffff; this.gwLo = 0; return; }
    this.meta = (this.meta & ~0x1ffff) | ((Math.floor(mac / TWO_32) & 0xffff) + 1);
    this.gwLo = mac | 0; // ToInt32 keeps the low 32 bits of an integer below 2^53
  }
  /** Compare the link-level address with `mac` without allocating. */
  lladdrEquals(mac: Mac): boolean {
    return this.hasLladdr() && this.gwHi === (Math.floor(mac / TWO_32) & 0xffff) && this.gwLo === (mac | 0);
  }
  /** Copy 6 MAC bytes at `off` into the link-level gateway (no allocation). */
  readLladdr(b: Uint8Array, off: number): void {
    this.meta = (this.meta & ~0x1ffff) | (((b[off]! << 8) | b[off + 1]!) + 1);
    this.gwLo = (b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!;
  }
  /** Write the link-level address as 6 bytes at `off` (caller checked hasLladdr()). */
  writeLladdr(b: Uint8Array, off: number): void {
    const hi = this.gwHi, lo = this.gwLo;
    b[off] = hi >>> 8; b[off + 1] = hi;
    b[off + 2] = lo >>> 24; b[off + 3] = lo >>> 16; b[off + 4] = lo >>> 8; b[off + 5] = lo;
  }
  /** Compare 6 MAC bytes at `off` with the link-level address without allocating. */
  lladdrEqualsBytes(b: Uint8Array, off: number): boolean {
    return this.hasLladdr() && this.gwHi === ((b[off]! << 8) | b[off + 1]!) &&
      this.gwLo === ((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!);
  }
}

/** A network route (prefix length 0..31): adds the prefix length. */
export class RtNetEntry<T extends RtTypes = RtTypes> extends RtEntry<T> {
  private readonly len: number;
  constructor(key: number, len: number, flags: number, ifp: T['ifp'], ifa: T['ifa'] | null, expire: number) {
    super(key, flags, ifp, ifa, expire);
    this.len = len;
  }
  override get plen(): number { return this.len; }
  override get isNet(): boolean { return true; }
}

/** True when `ip` falls inside `rt`'s destination prefix. */
export function rtCovers(rt: RtEntry<RtTypes>, ip: Ipv4): boolean {
  const m = rt.mask;
  return ((ip ^ rt.key) & m) === 0;
}
