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
import { RTF_CLONING, RTF_GATEWAY, RTF_HOST, RTF_REJECT, RTF_STATIC, RTF_UP } from '../route/rtentry.js';
import { IFF_LOOPBACK, IFF_NOARP, IFF_STATICARP, IFF_UP, type Ifnet } from '../inet/ifnet.js';
import { buildIpv4Frame } from './frames.js';
import { inBroadcast } from '../inet/in.js';
import { laAsked, laPreempt, setLaAsked, setLaPreempt, setLlinfo, type ArpRt } from './llinfo.js';
import { arpLookup } from './lookup.js';
import { arpDropHeld, arpReleaseHeld, arpRequest } from './output.js';
import type { ArpReplica } from './replica.js';
import { RTL_DOCLONE, RTL_REPORTMSG } from '../route/table.js';

const CLONE = RTL_DOCLONE;
const CLONE_REPORT = RTL_DOCLONE | RTL_REPORTMSG;
const PURE = 0;

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
 * (In replicated mode the lookups do not clone: cloning is the chain's.)
 */
function rtLlroute(rep: ArpReplica, dst: Ipv4, rt0: ArpRt): ArpRt | number {
  const opts = rep.resolveSink === null ? CLONE : PURE;
  let up: ArpRt | null = rt0;
  if ((rt0.flags & RTF_UP) === 0) {
    up = rep.routes.rtlookupFlags(dst, opts);
    if (up === null) return ARPRES_HOSTUNREACH;
  }
  let rt: ArpRt | null = up;
  if ((up.flags & RTF_GATEWAY) !== 0) {
    // (the seed caches this as rt_gwroute; a lookup gives the same entry)
    rt = rep.routes.rtlookupFlags(up.gwLo >>> 0, opts);
    if (rt === null) return ARPRES_HOSTUNREACH;
  }
  if ((rt.flags & RTF_REJECT) !== 0 && (rt.expire === 0 || rep.now() < rt.expire)) {
    return (rt.flags & RTF_HOST) !== 0 ? ARPRES_HOSTDOWN : ARPRES_HOSTUNREACH;
  }
  return rt;
}

/**
 * A step of arpresolve that changes the entry, in replicated-resolution mode
 * (an arpemu option for per-CPU replicas; the seed changes only the
 * resolving CPU's copy). The resolving CPU holds the packet and emits the
 * step; every replica applies it in chain order with arpResolveOnCpu, so
 * all copies of the entry stay equal; the resolving CPU (`origin`) sends
 * the requests and, once the entry resolves, its held packet.
 */
export interface ArpResolveUpdate {
  /**
   * 'clone': ip_output's route lookup (rtalloc) would clone the entry;
   * 'resolve': a packet found the entry unresolved (clone if needed, then
   * ask or reject); 'refresh': a hit close to expiry (la_preempt).
   */
  kind: 'clone' | 'resolve' | 'refresh';
  /** Next-hop address. */
  ip: Ipv4;
  /** Output interface, by index. */
  ifindex: number;
  /** ARP second at the resolving CPU. */
  time: number;
  /** CPU that resolves (holds the packet, sends the requests). */
  origin: number;
}

function emitStep(rep: ArpReplica, kind: ArpResolveUpdate['kind'], ip: Ipv4, ifp: Ifnet, time: number): void {
  rep.resolveSink!({ kind, ip: ip >>> 0, ifindex: ifp.index, time, origin: rep.cpu });
}

/** Would a cloning lookup of `dst` create an ARP entry (replicated mode decides without cloning)? */
function wouldClone(rep: ArpReplica, dst: Ipv4): boolean {
  const r = rep.routes.lookup(dst);
  return r !== null && r.isNet && (r.flags & (RTF_CLONING | RTF_GATEWAY)) === RTF_CLONING;
}

function hold(rep: ArpReplica, key: number, packet: Uint8Array | null, dst: Ipv4, ifp: Ifnet): void {
  if (packet === null) return;
  arpDropHeld(rep, key, 'replaced');
  rep.held.set(key, { bytes: packet.slice(), dst, ifindex: ifp.index });
}

/**
 * The part of arpresolve that asks: at most one request a second, and after
 * maxtries unanswered ones the entry is rejected for host_down_time with its
 * counters reset. `send`: this CPU transmits the request; `report`: this
 * CPU counts and reports the reject.
 */
function resolveStep(rep: ArpReplica, rt: ArpRt, ifp: Ifnet, dst: Ipv4, now: number, send: boolean, report: boolean): void {
  const expire = rt.expire;
  if (expire === 0 && ((rt.flags & RTF_STATIC) === 0 || rt.hasLladdr())) return;
  rt.flags &= ~RTF_REJECT;
  const asked = laAsked(rt);
  if (asked !== 0 && expire === now) return;
  rt.expire = now;
  setLaAsked(rt, asked + 1);
  if (asked < rep.sysctl.v.maxTries) {
    if (send) arpRequest(rep, ifp, sourceAddr(rt, ifp), dst, null, 'resolve');
    return;
  }
  const down = rep.sysctl.v.hostDownTime;
  rt.flags |= RTF_REJECT;
  rt.expire += down;
  setLlinfo(rt, 0, rep.sysctl.v.maxTries);
  if (report) {
    rep.stats.rejects++;
    if (rep.tracing) rep.emit('arp.reject', { ip: formatIpv4(dst), iface: ifp.name, down });
  }
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
  const replicated = rep.resolveSink !== null;
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
  if (rt === null || rt.llinfo === null) rt = arpLookup(rep, dst, !replicated, true, false);
  const now = rep.now();
  if (rt === null) {
    // Replicated mode: no entry yet; the chain will clone it everywhere.
    if (!replicated || !wouldClone(rep, dst)) return ARPRES_HOSTUNREACH;
    if ((ifp.flags & (IFF_NOARP | IFF_STATICARP)) !== 0) {
      // The seed's arplookup clones the entry even here: the step does that
      // and, finding ARP off, nothing else.
      emitStep(rep, 'resolve', dst, ifp, now);
      return ARPRES_HOSTUNREACH;
    }
    hold(rep, dst | 0, packet, dst, ifp);
    emitStep(rep, 'resolve', dst, ifp, now);
    return ARPRES_HELD;
  }
  const expire = rt.expire;
  if ((expire === 0 || expire > now) && rt.hasLladdr()) {
    // Valid. Close to expiry, ask again (up to la_preempt times) so the
    // entry is refreshed before traffic stalls.
    if (expire !== 0) {
      const preempt = laPreempt(rt);
      if (now + preempt > expire) {
        if (replicated) {
          emitStep(rep, 'refresh', dst, ifp, now);
        } else {
          arpRequest(rep, ifp, sourceAddr(rt, ifp), dst, null, 'refresh');
          setLaPreempt(rt, preempt - 1);
        }
      }
    }
    rep.mac = rt.gwHi * 0x1_0000_0000 + (rt.gwLo >>> 0);
    return ARPRES_RESOLVED;
  }
  // ARP off or static-only on this interface: nothing to ask.
  if ((ifp.flags & (IFF_NOARP | IFF_STATICARP)) !== 0) return ARPRES_HOSTUNREACH;
  // Hold this packet, replacing the one held before (one per entry).
  hold(rep, rt.key, packet, dst, ifp);
  if (replicated) emitStep(rep, 'resolve', dst, ifp, now);
  else resolveStep(rep, rt, ifp, dst, now, true, true);
  return ARPRES_HELD;
}

/**
 * Apply a replicated-resolution step (ArpResolveUpdate) on this replica, in
 * chain order on every CPU: the same entry changes everywhere; only the
 * origin transmits (requests, or its held packet when the entry turned out
 * resolved meanwhile) and only CPU0 reports.
 */
export function arpResolveOnCpu(rep: ArpReplica, u: ArpResolveUpdate, opts?: { isCpu0?: boolean | undefined }): void {
  const isCpu0 = opts?.isCpu0 ?? rep.reporting;
  const origin = u.origin === rep.cpu;
  const ifp = rep.net.ifnetByIndex(u.ifindex);
  if (u.kind === 'refresh') {
    const rt = arpLookup(rep, u.ip, false, false, false);
    if (rt === null || ifp === undefined || rt.expire === 0 || rt.expire <= u.time || !rt.hasLladdr()) return;
    const preempt = laPreempt(rt);
    if (u.time + preempt > rt.expire) {
      if (origin) arpRequest(rep, ifp, sourceAddr(rt, ifp), u.ip, null, 'refresh');
      setLaPreempt(rt, preempt - 1);
    }
    return;
  }
  if (u.kind === 'clone') {
    rep.routes.rtlookupFlags(u.ip, isCpu0 ? CLONE_REPORT : CLONE); // as ip_output's rtalloc
    return;
  }
  const rt = ifp === undefined ? null : arpLookup(rep, u.ip, true, isCpu0, false);
  if (rt === null || ifp === undefined) {
    if (origin) arpDropHeld(rep, u.ip | 0, 'unresolvable');
    return;
  }
  if ((rt.expire === 0 || rt.expire > u.time) && rt.hasLladdr()) {
    if (origin) arpReleaseHeld(rep, rt, ifp); // resolved before this step arrived
    return;
  }
  if ((ifp.flags & (IFF_NOARP | IFF_STATICARP)) !== 0) {
    if (origin) arpDropHeld(rep, rt.key, 'noarp');
    return;
  }
  resolveStep(rep, rt, ifp, u.ip, u.time, origin, isCpu0);
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
  // ip_output's rtalloc clones the entry; in replicated mode the chain does.
  let rt0: ArpRt | null;
  if (rep.resolveSink === null) {
    rt0 = rep.routes.rtlookupFlags(dst, rep.reporting ? CLONE_REPORT : CLONE);
  } else {
    rt0 = rep.routes.lookup(dst);
    if (rt0 !== null && rt0.isNet && (rt0.flags & (RTF_CLONING | RTF_GATEWAY)) === RTF_CLONING) {
      emitStep(rep, 'clone', dst, rt0.ifp, rep.now());
      rt0 = rep.routes.lookup(dst); // the driver may have applied it already
    }
  }
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
