/**
 * arpresolve: map a next-hop IPv4 address to a MAC for output, holding the
 * packet and asking (at most once a second, at most maxtries times) while
 * the entry resolves, then rejecting the destination for host_down_time.
 * Plus the part of ip_output/ether_output in front of it (arpOutput), so a
 * driver can send an IPv4 packet "through resolution".
 *
 * The seed returns 1/0 and writes the MAC through a pointer; here the result
 * is an ARPRES_* code and the MAC is left in `rep.mac`, so a hit allocates
 * nothing. arpResolveOutcome() turns a code into a typed value.
 */
import { formatIpv4, isIpv4Multicast, ipv4MulticastMac, type Ipv4, type Mac } from '../wire/addr.js';
import { RTF_GATEWAY, RTF_HOST, RTF_REJECT, RTF_STATIC, RTF_UP } from '../route/rtentry.js';
import { IFF_LOOPBACK, IFF_NOARP, IFF_STATICARP, IFF_UP, type Ifnet } from '../inet/ifnet.js';
import { buildIpv4Frame } from './frames.js';
import { inBroadcast } from '../inet/in.js';
import { laAsked, laPreempt, setLaAsked, setLaPreempt, setLlinfo, type ArpRt } from './llinfo.js';
import { arpLookup } from './lookup.js';
import { arpDropHeld, arpRequest } from './output.js';
import type { ArpReplica } from './replica.js';
import type { RtLookupOptions } from '../route/table.js';

const CLONE: RtLookupOptions = { clone: true };
const CLONE_REPORT: RtLookupOptions = { clone: true, report: true };

/** `rep.mac` holds the destination MAC: send now. */
export const ARPRES_RESOLVED = 0;
/** The packet is held (or there was none) until the entry resolves. */
export const ARPRES_HELD = 1;
/** Dropped: the destination host is down (rejected after maxtries). */
export const ARPRES_HOSTDOWN = 2;
/** Dropped: no route, not on a local network, rejected network, or ARP off on the interface. */
export const ARPRES_HOSTUNREACH = 3;
/** arpOutput only: the destination is one of our addresses; looped back, nothing sent. */
export const ARPRES_LOCAL = 4;
/** arpOutput only: the outgoing interface is down (ether_output's ENETDOWN). */
export const ARPRES_NETDOWN = 5;

export type ArpResolveErrno = 'EHOSTDOWN' | 'EHOSTUNREACH' | 'ENETDOWN';

export type ArpResolveOutcome =
  | { kind: 'resolved'; mac: Mac }
  | { kind: 'held' }
  | { kind: 'dropped'; errno: ArpResolveErrno }
  | { kind: 'local' };

/** The typed form of an ARPRES_* code (`mac` is `rep.mac` for a resolved one). Allocates. */
export function arpResolveOutcome(code: number, mac: Mac): ArpResolveOutcome {
  switch (code) {
    case ARPRES_RESOLVED: return { kind: 'resolved', mac };
    case ARPRES_HELD: return { kind: 'held' };
    case ARPRES_HOSTDOWN: return { kind: 'dropped', errno: 'EHOSTDOWN' };
    case ARPRES_HOSTUNREACH: return { kind: 'dropped', errno: 'EHOSTUNREACH' };
    case ARPRES_LOCAL: return { kind: 'local' };
    case ARPRES_NETDOWN: return { kind: 'dropped', errno: 'ENETDOWN' };
    default: throw new RangeError(`arpResolveOutcome: unknown code ${code}`);
  }
}

/**
 * rt_llroute: from the route the caller found (`rt0`) to the ARP entry of
 * the next hop: look the destination up again if rt0 went down, follow a
 * gateway route to the gateway's own entry, and refuse a rejected entry
 * while its down time lasts. Returns the entry or an ARPRES_* drop code.
 */
function rtLlroute(rep: ArpReplica, dst: Ipv4, rt0: ArpRt): ArpRt | number {
  let up: ArpRt | null = rt0;
  if ((rt0.flags & RTF_UP) === 0) {
    up = rep.routes.rtlookup(dst, CLONE);
    if (up === null) return ARPRES_HOSTUNREACH;
  }
  let rt: ArpRt | null = up;
  if ((up.flags & RTF_GATEWAY) !== 0) {
    // (the seed caches this as rt_gwroute; a lookup gives the same entry)
    rt = rep.routes.rtlookup(up.gwLo >>> 0, CLONE);
    if (rt === null) return ARPRES_HOSTUNREACH;
  }
  if ((rt.flags & RTF_REJECT) !== 0 && (rt.expire === 0 || rep.now() < rt.expire)) {
    return (rt.flags & RTF_HOST) !== 0 ? ARPRES_HOSTDOWN : ARPRES_HOSTUNREACH;
  }
  return rt;
}

/**
 * arpresolve(ifp, rt0, packet, dst). `rt0` is the route the caller used (or
 * null: look the entry up by `dst`); `dst` the next hop; `packet` the IPv4
 * packet to hold if the entry is unresolved (copied; null holds nothing).
 */
export function arpResolve(rep: ArpReplica, ifp: Ifnet, rt0: ArpRt | null, packet: Uint8Array | null, dst: Ipv4): number {
  // Broadcast and multicast map directly (the seed's M_BCAST / M_MCAST).
  if (isIpv4Multicast(dst)) { rep.mac = ipv4MulticastMac(dst); return ARPRES_RESOLVED; }
  if (inBroadcast(dst, ifp)) { rep.mac = ifp.broadcastLladdr; return ARPRES_RESOLVED; }
  let rt: ArpRt | null = null;
  if (rt0 !== null) {
    if ((rt0.flags & (RTF_UP | RTF_GATEWAY | RTF_REJECT)) === RTF_UP) {
      rt = rt0; // the usual case, where rt_llroute hands rt0 back
    } else {
      const r = rtLlroute(rep, dst, rt0);
      if (typeof r === 'number') return r;
      rt = r;
    }
  }
  if (rt === null || rt.llinfo === null) rt = arpLookup(rep, dst, true, true, false);
  if (rt === null) return ARPRES_HOSTUNREACH;
  const now = rep.now();
  const expire = rt.expire;
  if ((expire === 0 || expire > now) && rt.hasLladdr()) {
    // Valid. Close to expiry, ask again (up to la_preempt times) so the
    // entry is refreshed before traffic stalls.
    if (expire !== 0) {
      const preempt = laPreempt(rt);
      if (now + preempt > expire) {
        arpRequest(rep, ifp, sourceAddr(rt, ifp), dst, null, 'refresh');
        setLaPreempt(rt, preempt - 1);
      }
    }
    rep.mac = rt.gwHi * 0x1_0000_0000 + (rt.gwLo >>> 0);
    return ARPRES_RESOLVED;
  }
  // ARP off or static-only on this interface: nothing to ask.
  if ((ifp.flags & (IFF_NOARP | IFF_STATICARP)) !== 0) return ARPRES_HOSTUNREACH;
  // Hold this packet, replacing the one held before (one per entry).
  if (packet !== null) {
    arpDropHeld(rep, rt, 'replaced');
    rep.held.set(rt, { bytes: packet.slice(), dst });
  }
  if (expire !== 0 || ((rt.flags & RTF_STATIC) !== 0 && !rt.hasLladdr())) {
    rt.flags &= ~RTF_REJECT;
    const asked = laAsked(rt);
    if (asked === 0 || expire !== now) {
      rt.expire = now;
      setLaAsked(rt, asked + 1);
      if (asked < rep.sysctl.v.maxTries) {
        arpRequest(rep, ifp, sourceAddr(rt, ifp), dst, null, 'resolve');
      } else {
        const down = rep.sysctl.v.hostDownTime;
        rt.flags |= RTF_REJECT;
        rt.expire += down;
        setLlinfo(rt, 0, rep.sysctl.v.maxTries);
        rep.stats.rejects++;
        if (rep.tracing) rep.emit('arp.reject', { ip: formatIpv4(dst), iface: ifp.name, down });
      }
    }
  }
  return ARPRES_HELD;
}

/** The sender protocol address of our requests for `rt`: its interface address (rt_ifa). */
function sourceAddr(rt: ArpRt, ifp: Ifnet): Ipv4 {
  if (rt.ifa !== null) return rt.ifa.addr;
  const first = ifp.addrs[0];
  return first !== undefined ? first.addr : 0;
}

/**
 * ip_output + ether_output for one IPv4 packet to `dst`: route lookup
 * (cloning the ARP entry), next hop, arpResolve, and on success the
 * Ethernet frame through the replica's transmit. Returns an ARPRES_* code
 * (ARPRES_LOCAL when the route points at the loopback interface).
 */
export function arpOutput(rep: ArpReplica, packet: Uint8Array | null, dst: Ipv4): number {
  const rt0 = rep.routes.rtlookup(dst, rep.reporting ? CLONE_REPORT : CLONE);
  if (rt0 === null) return ARPRES_HOSTUNREACH;
  const ifp = rt0.ifp;
  if ((ifp.flags & IFF_LOOPBACK) !== 0) return ARPRES_LOCAL;
  if ((ifp.flags & IFF_UP) === 0) return ARPRES_NETDOWN;
  const nexthop = (rt0.flags & RTF_GATEWAY) !== 0 ? rt0.gwLo >>> 0 : dst;
  const code = arpResolve(rep, ifp, rt0, packet, nexthop);
  if (code === ARPRES_RESOLVED && packet !== null) {
    const frame = new Uint8Array(14 + packet.length);
    buildIpv4Frame(frame, rep.mac, ifp.lladdr, packet);
    rep.transmit(ifp, frame);
  }
  return code;
}
