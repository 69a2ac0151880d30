/**
 * FreeBSD's lltable (if_llatbl.c, in.c in_lltable_*), as a view over routes.
 *
 * Modelling decision. arpemu re-creates DragonFly's ARP, where the ARP cache
 * IS the routing table: an entry is a host route with RTF_LLINFO whose
 * link-level gateway holds the MAC, cloned from the interface's cloning
 * prefix route. Issue 4 also asks for FreeBSD in.c's lltable rules, where the
 * cache is a separate per-interface hash. Two caches would drift apart, so
 * there is one source of truth (the routes) and the lltable is a view:
 *
 *   lltable entry of ifp  = host route, not RTF_GATEWAY, with RTF_LLINFO or
 *                           RTF_LOCAL, whose interface is ifp (for RTF_LOCAL
 *                           routes through lo0: the interface of its address)
 *   LLE_VALID             = the link-level gateway holds a MAC
 *   LLE_STATIC            = RTF_STATIC, or expire 0 (DragonFly's "permanent")
 *   LLE_IFADDR            = RTF_LOCAL: the loopback route to an own address
 *                           (ifa_add_loopback_route) doubles as its IFADDR entry
 *   LLE_PUB / LLE_PROXY   = RTF_ANNOUNCE / RTF_PROXY (published entries)
 *   LLE_LINKED / DELETED  = in the table (RTF_UP) / removed from it: an entry
 *                           object kept by someone after deletion reads DELETED
 *
 * Consequences: one entry per IPv4 address (not one per interface), so an
 * address held on two interfaces has a single IFADDR entry; an entry cannot
 * be created on an interface other than the one its covering route uses.
 */
import type { Ipv4 } from '../wire/addr.js';
import { formatIpv4, formatMac, maskPrefixLen } from '../wire/addr.js';
import {
  RTF_ANNOUNCE, RTF_CLONING, RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_LOCAL, RTF_PROXY, RTF_STATIC, RTF_UP,
  rtFlagNames,
} from '../route/rtentry.js';
import { IFF_NOARP, IFF_STATICARP, IFT_ETHER, type Ifnet, type InRtEntry } from './ifnet.js';
import type { NetStack } from './stack.js';
import { addLocalRoute } from './in.js';

// --- LLE_* (FreeBSD net/if_llatbl.h values) ---
export const LLE_DELETED = 0x0001;
export const LLE_STATIC = 0x0002;
export const LLE_IFADDR = 0x0004;
export const LLE_VALID = 0x0008;
export const LLE_PROXY = 0x0010;
export const LLE_PUB = 0x0020;
export const LLE_LINKED = 0x0040;
export const LLE_EXCLUSIVE = 0x2000;
export const LLE_DELETE = 0x4000;
export const LLE_CREATE = 0x8000;

/** Is this route an lltable entry (an ARP cache entry or an own-address entry)? */
export function isLle<L>(rt: InRtEntry<L>): boolean {
  return !rt.isNet && (rt.flags & RTF_GATEWAY) === 0 && (rt.flags & (RTF_LLINFO | RTF_LOCAL)) !== 0;
}

/** The interface whose lltable holds the entry. */
export function lleIfp<L>(rt: InRtEntry<L>): Ifnet {
  return (rt.flags & RTF_LOCAL) !== 0 && rt.ifa !== null ? rt.ifa.ifp : rt.ifp;
}

/** The LLE_* flags the route reads as. */
export function lleFlags<L>(rt: InRtEntry<L>): number {
  let f = 0;
  if ((rt.flags & RTF_UP) !== 0) f |= LLE_LINKED; else f |= LLE_DELETED;
  if (rt.hasLladdr()) f |= LLE_VALID;
  if ((rt.flags & RTF_STATIC) !== 0 || rt.expire === 0) f |= LLE_STATIC;
  if ((rt.flags & RTF_LOCAL) !== 0) f |= LLE_IFADDR;
  if ((rt.flags & (RTF_ANNOUNCE | RTF_PROXY)) !== 0) f |= LLE_PUB;
  if ((rt.flags & RTF_PROXY) !== 0) f |= LLE_PROXY;
  return f;
}

/** Why in_lltable_rtcheck refused (the seed returns EINVAL for each). */
export type RtcheckFailure = 'no route' | 'gateway route' | 'not on the network';

/**
 * in_lltable_rtcheck: may an entry for `ip` be created on `ifp`? A route
 * must cover it; a gateway route only in the special case of a host route
 * through an ARP-capable Ethernet interface whose gateway is `ip` itself;
 * a network route on another interface must cover `ip` by its own prefix
 * ("not on the network"). `rt` defaults to the longest match, which covers
 * `ip` by construction, so the last test only trips for a route handed in.
 * Returns null when allowed.
 */
export function inLltableRtcheck<L>(stack: NetStack<L>, ifp: Ifnet, ip: Ipv4,
  rt: InRtEntry<L> | null = stack.routes.lookup(ip)): RtcheckFailure | null {
  if (rt === null) return 'no route';
  if ((rt.flags & RTF_GATEWAY) !== 0) {
    if ((rt.flags & RTF_HOST) === 0 || rt.ifp.type !== IFT_ETHER ||
        (rt.ifp.flags & (IFF_NOARP | IFF_STATICARP)) !== 0 || rt.gateway !== (ip >>> 0)) return 'gateway route';
  }
  // (The seed's "no mask" case cannot arise: every route here has a prefix length.)
  if ((rt.flags & RTF_HOST) === 0 && rt.ifp !== ifp && ((rt.key ^ ip) & rt.mask) !== 0) return 'not on the network';
  return null;
}

/** The entry for `ip` in ifp's lltable, or null (in_lltable_lookup without flags). */
export function inLltableFind<L>(stack: NetStack<L>, ifp: Ifnet, ip: Ipv4, proxy = false): InRtEntry<L> | null {
  const rt = stack.routes.lookupExact(ip >>> 0, undefined, { proxy });
  if (rt === null || !isLle(rt) || lleIfp(rt) !== ifp) return null;
  return rt;
}

/**
 * in_lltable_lookup with LLE_CREATE / LLE_DELETE / LLE_IFADDR / LLE_STATIC /
 * LLE_PUB / LLE_PROXY:
 * - found, no LLE_DELETE: the entry;
 * - found, LLE_DELETE: deleted unless it is an IFADDR entry and LLE_IFADDR
 *   was not asked; returns the entry (its lleFlags now read LLE_DELETED);
 * - not found, LLE_CREATE: after in_lltable_rtcheck (skipped for IFADDR),
 *   a new entry: the own-address entry for LLE_IFADDR (valid, static, own
 *   MAC), a permanent admin entry for LLE_STATIC, else an unresolved entry
 *   cloned from the covering cloning route (marked expired, so resolution
 *   starts at once); null when refused.
 */
export function inLltableLookup<L>(stack: NetStack<L>, ifp: Ifnet, flags: number, ip: Ipv4): InRtEntry<L> | null {
  ip >>>= 0;
  const proxy = (flags & LLE_PROXY) !== 0;
  const found = inLltableFind(stack, ifp, ip, proxy);
  if (found !== null) {
    if ((flags & LLE_DELETE) === 0) return found;
    if ((lleFlags(found) & LLE_IFADDR) === 0 || (flags & LLE_IFADDR) !== 0) {
      stack.routes.deleteEntry(found);
      return found;
    }
    return null;
  }
  if ((flags & LLE_CREATE) === 0) return null;
  if ((flags & LLE_IFADDR) !== 0) {
    const ia = ifp.addrs.find((a) => a.addr === ip) ?? null;
    return tryAdd(() => addLocalRoute(stack, ifp, ip, ia));
  }
  const cover = stack.routes.lookup(ip);
  if (inLltableRtcheck(stack, ifp, ip, cover) !== null || cover === null) return null;
  if (cover.ifp !== ifp) return null; // one entry per address: it lives on its route's interface
  const extra = ((flags & LLE_PUB) !== 0 ? RTF_ANNOUNCE : 0) | (proxy ? RTF_PROXY : 0);
  if ((flags & LLE_STATIC) !== 0 || proxy) {
    return tryAdd(() => stack.routes.add({
      dst: ip, flags: RTF_HOST | RTF_STATIC | extra, ifp, ifa: cover.ifa, expire: 0,
    }));
  }
  if ((cover.flags & RTF_CLONING) !== 0) {
    const rt = stack.routes.rtlookup(ip, { clone: true });
    return rt !== null && !rt.isNet && isLle(rt) && lleIfp(rt) === ifp ? rt : null;
  }
  if (!cover.isNet) return null; // a host route that is not an entry (e.g. the gateway special case)
  return tryAdd(() => stack.routes.add({
    dst: ip, flags: RTF_HOST | extra, ifp, ifa: cover.ifa, expire: stack.timeSecond(),
  }));
}

function tryAdd<L>(fn: () => InRtEntry<L>): InRtEntry<L> | null {
  try {
    const rt = fn();
    return isLle(rt) ? rt : null;
  } catch {
    return null;
  }
}

/**
 * lltable_prefix_free: free the entries inside prefix/mask on every
 * interface; static ones only when `flags` has LLE_STATIC. Own-address
 * entries are left to their address (they are also its loopback route).
 * Returns the number freed.
 */
export function inLltablePrefixFree<L>(stack: NetStack<L>, prefix: Ipv4, mask: Ipv4, flags: number): number {
  const plen = maskPrefixLen(mask >>> 0);
  let candidates: InRtEntry<L>[];
  if (plen >= 0) candidates = stack.routes.hostsWithin(prefix, plen);
  else {
    candidates = [];
    stack.routes.forEach((rt) => { if (!rt.isNet && ((rt.key ^ prefix) & mask) === 0) candidates.push(rt); });
  }
  let n = 0;
  for (const rt of candidates) {
    if (!isLle(rt) || (rt.flags & RTF_LOCAL) !== 0) continue;
    if ((flags & LLE_STATIC) === 0 && (lleFlags(rt) & LLE_STATIC) !== 0) continue;
    if (!stack.routes.contains(rt)) continue;
    stack.routes.deleteEntry(rt);
    n++;
  }
  return n;
}

/** One entry of in_lltable_dump (what `arp -a` reads through sysctl). */
export interface LleDump {
  ip: string;
  /** null unless LLE_VALID */
  mac: string | null;
  iface: string;
  index: number;
  /** RTF_UP, RTF_HOST, RTF_LLDATA (= RTF_LLINFO), plus static and announce (published). */
  flags: string[];
  /** 0 for static entries, else rt_expire. */
  expire: number;
}

/** in_lltable_dump of ifp (all interfaces when omitted), sorted by address; deleted entries skipped. */
export function inLltableDump<L>(stack: NetStack<L>, ifp?: Ifnet): LleDump[] {
  const out: { ip: number; d: LleDump }[] = [];
  stack.routes.forEach((rt) => {
    if (!isLle(rt)) return;
    const owner = lleIfp(rt);
    if (ifp !== undefined && owner !== ifp) return;
    const lf = lleFlags(rt);
    if ((lf & LLE_DELETED) !== 0) return;
    let rtf = RTF_UP | RTF_HOST | RTF_LLINFO;
    if ((lf & LLE_PUB) !== 0) rtf |= RTF_ANNOUNCE;
    if ((lf & LLE_STATIC) !== 0) rtf |= RTF_STATIC;
    const mac = (lf & LLE_VALID) !== 0 ? rt.lladdr : null;
    out.push({
      ip: rt.dst,
      d: {
        ip: formatIpv4(rt.dst), mac: mac === null ? null : formatMac(mac), iface: owner.name, index: owner.index,
        flags: rtFlagNames(rtf), expire: (lf & LLE_STATIC) !== 0 ? 0 : rt.expire,
      },
    });
  });
  return out.sort((a, b) => a.ip - b.ip || a.d.index - b.d.index).map((e) => e.d);
}
