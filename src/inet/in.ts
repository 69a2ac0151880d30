/**
 * IPv4 interface addresses with FreeBSD in.c semantics: in_control's get,
 * add (SIOCAIFADDR) and delete (SIOCDIFADDR), prefix routes shared between
 * addresses of one prefix (in_addprefix / in_scrubprefix), the loopback
 * route to each own address, and the address predicates in_broadcast,
 * in_localaddr, in_localip, in_canforward.
 *
 * Errors are thrown as ArpemuError with the errno the seed returns.
 * Left out on purpose: jails (prison_check_ip4), CARP (vhid), privilege
 * checks, and the IGMP all-hosts membership (no multicast model here).
 */
import type { Ipv4 } from '../wire/addr.js';
import { formatIpv4 } from '../wire/addr.js';
import { errno, isArpemuError } from '../util/errors.js';
import type { Errno } from '../util/errors.js';
import { RTF_CLONING, RTF_GATEWAY, RTF_HOST, RTF_LOCAL, RTF_STATIC, RTF_UP, RTF_WASCLONED } from '../route/rtentry.js';
import {
  IFA_ROUTE, IFF_BROADCAST, IFF_LOOPBACK, IFF_NOARP, IFF_POINTOPOINT, IFF_UP,
  InIfaddr, type Ifnet, type InRtEntry,
} from './ifnet.js';
import { arpCapable, type NetStack } from './stack.js';
import { LLE_DELETE, LLE_IFADDR, LLE_STATIC, inLltableLookup, inLltablePrefixFree } from './lltable.js';

export const AF_INET = 2;
/** sizeof(struct sockaddr_in) */
export const SIN_LEN = 16;

/** A sockaddr_in as the ioctls see it: length and family are checked. */
export interface SockaddrIn {
  len: number;
  family: number;
  addr: Ipv4;
}

/** A well-formed sockaddr_in for `addr`. */
export function sin(addr: Ipv4): SockaddrIn {
  return { len: SIN_LEN, family: AF_INET, addr: addr >>> 0 };
}

/** struct ifreq: only the address part matters here. Omitted addr = zero-filled (len 0). */
export interface IfReq {
  addr?: SockaddrIn | undefined;
}

/** struct in_aliasreq. An omitted optional member is a zero-filled sockaddr (len 0). */
export interface InAliasReq {
  addr: SockaddrIn;
  broadaddr?: SockaddrIn | undefined;
  mask?: SockaddrIn | undefined;
  dstaddr?: SockaddrIn | undefined;
}

/** Build an in_aliasreq from plain values (`plen` omitted: classful mask). */
export function aliasReq(addr: Ipv4, opts: { plen?: number; mask?: Ipv4; broadaddr?: Ipv4; dstaddr?: Ipv4 } = {}): InAliasReq {
  const r: InAliasReq = { addr: sin(addr) };
  if (opts.mask !== undefined) r.mask = sin(opts.mask);
  else if (opts.plen !== undefined) r.mask = sin(opts.plen === 0 ? 0 : (0xffff_ffff << (32 - opts.plen)) >>> 0);
  if (opts.broadaddr !== undefined) r.broadaddr = sin(opts.broadaddr);
  if (opts.dstaddr !== undefined) r.dstaddr = sin(opts.dstaddr);
  return r;
}

export type InGetCmd = 'SIOCGIFADDR' | 'SIOCGIFBRDADDR' | 'SIOCGIFDSTADDR' | 'SIOCGIFNETMASK';
export type InSetCmd = 'SIOCSIFADDR' | 'SIOCSIFBRDADDR' | 'SIOCSIFDSTADDR' | 'SIOCSIFNETMASK';
export type InControlCmd = InGetCmd | InSetCmd | 'SIOCAIFADDR' | 'SIOCDIFADDR';

// --- classful masks (netinet/in.h) and special addresses ---
export const IN_CLASSA_NET = 0xff00_0000;
export const IN_CLASSB_NET = 0xffff_0000;
export const IN_CLASSC_NET = 0xffff_ff00;
/** RFC 3021: a /31 has no broadcast address of its own. */
export const IN_RFC3021_MASK = 0xffff_fffe;
export const INADDR_BROADCAST = 0xffff_ffff;
export const IN_LOOPBACKNET = 127;

const isClassA = (i: number): boolean => (i & 0x8000_0000) === 0;
const isClassB = (i: number): boolean => ((i & 0xc000_0000) >>> 0) === 0x8000_0000;
const isExperimental = (i: number): boolean => ((i & 0xf000_0000) >>> 0) === 0xf000_0000;
const isMulticast = (i: number): boolean => ((i & 0xf000_0000) >>> 0) === 0xe000_0000;
const isLinkLocal = (i: number): boolean => ((i & 0xffff_0000) >>> 0) === 0xa9fe_0000;

/**
 * in_control. Gets return the address asked for; SIOCAIFADDR returns the new
 * address, SIOCDIFADDR the deleted one. The old set-style commands are
 * refused with EINVAL, unknown commands with EOPNOTSUPP (no driver ioctl
 * here), a missing interface with EADDRNOTAVAIL.
 */
export function inControl<L>(stack: NetStack<L>, cmd: InGetCmd, ifp: Ifnet | null | undefined, req?: IfReq): Ipv4;
export function inControl<L>(stack: NetStack<L>, cmd: 'SIOCAIFADDR', ifp: Ifnet | null | undefined, req: InAliasReq): InIfaddr;
export function inControl<L>(stack: NetStack<L>, cmd: 'SIOCDIFADDR', ifp: Ifnet | null | undefined, req?: IfReq): InIfaddr;
export function inControl<L>(stack: NetStack<L>, cmd: string, ifp: Ifnet | null | undefined, req?: IfReq | InAliasReq): never;
export function inControl<L>(stack: NetStack<L>, cmd: string, ifp: Ifnet | null | undefined, req: IfReq | InAliasReq = {}): Ipv4 | InIfaddr {
  if (ifp === null || ifp === undefined) throw errno('EADDRNOTAVAIL', `${cmd}: no such interface`);
  switch (cmd) {
    case 'SIOCGIFADDR': case 'SIOCGIFBRDADDR': case 'SIOCGIFDSTADDR': case 'SIOCGIFNETMASK':
      break;
    case 'SIOCDIFADDR':
      return inDifaddr(stack, ifp, req);
    case 'SIOCAIFADDR':
      return inAifaddr(stack, ifp, req as InAliasReq);
    case 'SIOCSIFADDR': case 'SIOCSIFBRDADDR': case 'SIOCSIFDSTADDR': case 'SIOCSIFNETMASK':
      throw errno('EINVAL', `${cmd}: old set-style command not supported, use SIOCAIFADDR`);
    default:
      throw errno('EOPNOTSUPP', `${cmd}: not an inet control command`);
  }
  // SIOCGIFADDR takes the first address; the others the one named (or the first for 0.0.0.0).
  const want = req.addr?.addr ?? 0;
  let ia: InIfaddr | undefined;
  for (const it of ifp.addrs) {
    if (cmd === 'SIOCGIFADDR' || want === 0 || it.addr === want) { ia = it; break; }
  }
  if (ia === undefined) throw errno('EADDRNOTAVAIL', `${cmd}: ${ifp.name} has no address ${formatIpv4(want)}`);
  switch (cmd) {
    case 'SIOCGIFADDR': return ia.addr;
    case 'SIOCGIFBRDADDR':
      if ((ifp.flags & IFF_BROADCAST) === 0) throw errno('EINVAL', `SIOCGIFBRDADDR: ${ifp.name} is not a broadcast interface`);
      return ia.broadaddr ?? 0;
    case 'SIOCGIFDSTADDR':
      if ((ifp.flags & IFF_POINTOPOINT) === 0) throw errno('EINVAL', `SIOCGIFDSTADDR: ${ifp.name} is not point-to-point`);
      return ia.dstaddr ?? 0;
    default: return ia.subnetmask;
  }
}

const badSin = (s: SockaddrIn | undefined): boolean =>
  s !== undefined && s.len !== 0 && (s.len !== SIN_LEN || s.family !== AF_INET);

/** in_aifaddr_ioctl (SIOCAIFADDR): add an address, or replace the same address. */
export function inAifaddr<L>(stack: NetStack<L>, ifp: Ifnet, req: InAliasReq): InIfaddr {
  const { addr, broadaddr, mask, dstaddr } = req;
  if (addr.len !== SIN_LEN || addr.family !== AF_INET) throw errno('EINVAL', 'SIOCAIFADDR: address must be an AF_INET sockaddr_in');
  if (badSin(broadaddr)) throw errno('EINVAL', 'SIOCAIFADDR: broadcast address must be an AF_INET sockaddr_in');
  if (badSin(mask)) throw errno('EINVAL', 'SIOCAIFADDR: netmask must be an AF_INET sockaddr_in');
  if ((ifp.flags & IFF_POINTOPOINT) !== 0 && (dstaddr === undefined || dstaddr.len !== SIN_LEN || dstaddr.addr === 0)) {
    throw errno('EDESTADDRREQ', `SIOCAIFADDR: point-to-point ${ifp.name} needs a destination address`);
  }
  const ip = addr.addr >>> 0;

  // An identical address is replaced: delete it first (errors ignored, as the seed does).
  if (ifp.addrs.some((it) => it.addr === ip)) {
    try { inDifaddr(stack, ifp, { addr: addr }); } catch { /* replaced below anyway */ }
  }

  let subnetmask: Ipv4;
  if (mask !== undefined && mask.len !== 0) subnetmask = mask.addr >>> 0;
  else subnetmask = isClassA(ip) ? IN_CLASSA_NET : isClassB(ip) ? IN_CLASSB_NET : IN_CLASSC_NET; // classful guess
  const subnet = (ip & subnetmask) >>> 0;

  let dst: Ipv4 | null = null;
  if ((ifp.flags & IFF_BROADCAST) !== 0) {
    if (broadaddr !== undefined && broadaddr.len !== 0) dst = broadaddr.addr >>> 0;
    else if (subnetmask === IN_RFC3021_MASK) dst = INADDR_BROADCAST; // RFC 3021 /31
    else dst = (subnet | ~subnetmask) >>> 0;
  }
  if ((ifp.flags & IFF_POINTOPOINT) !== 0) dst = dstaddr!.addr >>> 0;
  if ((ifp.flags & IFF_LOOPBACK) !== 0) dst = ip; // rtinit routes a loopback address to itself

  const ia = new InIfaddr(ifp, ip, subnetmask, dst, ifp.metric);
  stack.linkAddr(ia);

  // The prefix route (host route to the peer on loopback / point-to-point).
  try {
    inAddPrefix(stack, ia, RTF_UP | rtinitFlags(ia));
  } catch (e) {
    stack.unlinkAddr(ia);
    throw e;
  }

  // The loopback route to self, one per IP whatever the number of holders.
  if ((ifp.flags & IFF_LOOPBACK) === 0 && ip !== 0 &&
      !((ifp.flags & IFF_POINTOPOINT) !== 0 && ia.dstaddr === ip)) {
    if (inLocalipMore(stack, ia) === null) {
      try {
        ifaAddLoopbackRoute(stack, ia);
      } catch (e) {
        inScrubPrefix(stack, ia, LLE_STATIC);
        stack.unlinkAddr(ia);
        throw e;
      }
    }
  }

  stack.emit('inet.addr_added', {
    iface: ifp.name, addr: formatIpv4(ip), mask: formatIpv4(subnetmask),
    broadcast: (ifp.flags & IFF_BROADCAST) !== 0 && dst !== null ? formatIpv4(dst) : null,
  });
  stack.hooks.addrAdded?.(ia);
  return ia;
}

/**
 * in_difaddr_ioctl (SIOCDIFADDR): delete the named address, or the first
 * one when the request carries no valid address. EADDRNOTAVAIL when none.
 */
export function inDifaddr<L>(stack: NetStack<L>, ifp: Ifnet, req: IfReq = {}): InIfaddr {
  const a = req.addr;
  const deleteAny = a === undefined || a.len !== SIN_LEN || a.family !== AF_INET;
  const want = (a?.addr ?? 0) >>> 0;
  let ia: InIfaddr | null = null;
  for (const it of ifp.addrs) {
    if (deleteAny && ia === null) ia = it;
    if (it.addr === want) ia = it;
  }
  if (ia === null) throw errno('EADDRNOTAVAIL', `SIOCDIFADDR: ${ifp.name} has no address ${formatIpv4(want)}`);

  stack.unlinkAddr(ia);
  inScrubPrefix(stack, ia, LLE_STATIC);
  inIfadown(stack, ia, true);

  stack.emit('inet.addr_deleted', { iface: ifp.name, addr: formatIpv4(ia.addr) });
  stack.hooks.addrDeleted?.(ia);
  return ia;
}

/** rtinitflags(): loopback and point-to-point addresses get a host route. */
export function rtinitFlags(ia: InIfaddr): number {
  return (ia.ifp.flags & (IFF_LOOPBACK | IFF_POINTOPOINT)) !== 0 ? RTF_HOST : 0;
}

/** The prefix an address's route covers: its peer (host flag) or its masked network. */
function prefixOf(ia: InIfaddr, host: boolean): { prefix: Ipv4; mask: Ipv4 } {
  if (host) return { prefix: ia.dstaddr ?? 0, mask: 0 };
  return { prefix: (ia.addr & ia.subnetmask) >>> 0, mask: ia.subnetmask };
}

/** Does `ia` serve the route for prefix/mask (the loop test of in_addprefix and in_scrubprefix)? */
function servesPrefix(ia: InIfaddr, prefix: Ipv4, mask: Ipv4): boolean {
  if (rtinitFlags(ia) !== 0) return (ia.dstaddr ?? 0) === prefix;
  return ((ia.addr & ia.subnetmask) >>> 0) === prefix && ia.subnetmask === mask;
}

/**
 * rtinit: add or delete the route of an interface address. Network routes of
 * ARP-capable interfaces are cloning (arp_ifinit marks the address so).
 * Delete: ESRCH unless the route exists and belongs to this address.
 */
export function rtinit<L>(stack: NetStack<L>, ia: InIfaddr, cmd: 'add' | 'delete', flags: number): void {
  const host = (flags & RTF_HOST) !== 0;
  const { prefix } = prefixOf(ia, host);
  const mask = host ? undefined : ia.subnetmask;
  if (cmd === 'delete') {
    const rt = stack.routes.lookupExact(prefix, mask);
    if (rt === null || rt.ifa !== ia) throw errno('ESRCH', `rtinit: no route ${formatIpv4(prefix)} of ${formatIpv4(ia.addr)}`);
    stack.routes.deleteEntry(rt);
    return;
  }
  // arp_ifinit marks the address cloning; arp_rtrequest keeps it off a /32.
  const cloning = !host && ia.subnetmask !== 0xffff_ffff && arpCapable(ia.ifp) ? RTF_CLONING : 0;
  stack.routes.add({ dst: prefix, mask, flags: flags | cloning, ifp: ia.ifp, ifa: ia });
}

/**
 * in_addprefix: install the route for target's prefix unless an address of
 * the same prefix already did (then target is an alias and only a route
 * message tells; EEXIST instead when net.inet.ip.no_same_prefix is set).
 */
export function inAddPrefix<L>(stack: NetStack<L>, target: InIfaddr, flags: number): void {
  const { prefix, mask } = prefixOf(target, (flags & RTF_HOST) !== 0);
  for (const ia of stack.inIfaddrs) {
    if (!servesPrefix(ia, prefix, mask)) continue;
    if ((ia.flags & IFA_ROUTE) !== 0) {
      if (stack.sysctl.v.noSamePrefix !== 0) {
        throw errno('EEXIST', `prefix ${formatIpv4(prefix)} already served by ${formatIpv4(ia.addr)} on ${ia.ifp.name} (no_same_prefix)`);
      }
      inAddaliasRtmsg(stack, 'RTM_ADD', prefix, target);
      return;
    }
  }
  rtinit(stack, target, 'add', flags);
  target.flags |= IFA_ROUTE;
}

/**
 * in_scrubprefix: take target's routes away. The loopback route moves to
 * another holder of the same IP or goes (with its ARP entry); the prefix
 * route moves to another address of the same prefix on an up interface, or
 * goes after the ARP entries of the prefix are freed (static ones only when
 * `flags` has LLE_STATIC). Returns the errno of a failed route change, or
 * null (failures are logged by the seed, not returned to ioctl callers).
 */
export function inScrubPrefix<L>(stack: NetStack<L>, target: InIfaddr, flags: number): Errno | null {
  let error: Errno | null = null;
  if (target.addr !== 0 && (target.ifp.flags & IFF_LOOPBACK) === 0 && (flags & LLE_STATIC) !== 0) {
    const eia = inLocalipMore(stack, target);
    if (eia !== null) error = ifaSwitchLoopbackRoute(stack, eia, target.addr);
    else error = ifaDelLoopbackRoute(stack, target);
    if ((target.ifp.flags & IFF_NOARP) === 0) arpIfscrub(stack, target.ifp, target.addr);
  }

  const host = rtinitFlags(target) !== 0;
  const { prefix, mask } = prefixOf(target, host);
  if ((target.flags & IFA_ROUTE) === 0) {
    inAddaliasRtmsg(stack, 'RTM_DELETE', prefix, target);
    return error;
  }

  for (const ia of stack.inIfaddrs) {
    if (ia === target || !servesPrefix(ia, prefix, mask)) continue;
    if ((ia.ifp.flags & IFF_UP) === 0) continue;
    if ((ia.flags & IFA_ROUTE) === 0) {
      // Hand the prefix route over to the surviving address.
      error = tryRoute(() => rtinit(stack, target, 'delete', rtinitFlags(target)));
      if (error === null) target.flags &= ~IFA_ROUTE;
      error = tryRoute(() => rtinit(stack, ia, 'add', rtinitFlags(ia) | RTF_UP));
      if (error === null) ia.flags |= IFA_ROUTE;
      return error;
    }
  }

  inLltablePrefixFree(stack, target.subnet, target.subnetmask, flags);
  error = tryRoute(() => rtinit(stack, target, 'delete', rtinitFlags(target)));
  if (error === null) target.flags &= ~IFA_ROUTE;
  return error;
}

function tryRoute(fn: () => void): Errno | null {
  try { fn(); return null; } catch (e) {
    if (isArpemuError(e)) return e.code as Errno;
    throw e;
  }
}

/**
 * in_addralias_rtmsg: a route message for an alias that shares an existing
 * prefix route, shown as that route with the alias as gateway (the seed
 * itself calls it inaccurate: no route changes).
 */
function inAddaliasRtmsg<L>(stack: NetStack<L>, type: 'RTM_ADD' | 'RTM_DELETE', prefix: Ipv4, target: InIfaddr): void {
  const rt = stack.routes.lookup(prefix);
  if (rt === null) return;
  stack.routes.emitMessage({ type, dst: rt.dst, mask: rt.mask, flags: rt.flags, gateway: target.addr, lladdr: null, iface: rt.ifp.name });
}

/** in_localip_more: another address with the same IP, or null. */
export function inLocalipMore<L>(stack: NetStack<L>, ia: InIfaddr): InIfaddr | null {
  for (const it of stack.addrsWithIp(ia.addr)) if (it !== ia) return it;
  return null;
}

/**
 * ifa_add_loopback_route: the host route to our own address. It is also the
 * address's LLE_IFADDR entry (static, valid, our own MAC): through lo0 when
 * net.link.ether.inet.useloopback is set, else through the interface.
 * A learned (cloned) entry for the address is replaced; any other route for
 * it makes the add fail with EEXIST.
 */
export function ifaAddLoopbackRoute<L>(stack: NetStack<L>, ia: InIfaddr): void {
  const old = stack.routes.lookupHost(ia.addr);
  if (old !== null && old.ifa === ia && (old.flags & (RTF_GATEWAY | RTF_WASCLONED)) === 0) {
    // A /32 address: its prefix route has the same key, and becomes the
    // route to self (DragonFly's arp_rtrequest turns it local the same way).
    old.flags |= RTF_STATIC | RTF_LOCAL;
    old.expire = 0;
    old.setLladdr(ia.ifp.addrlen > 0 ? ia.ifp.lladdr : null);
    if (stack.sysctl.v.useLoopback !== 0 && old.ifp === ia.ifp) old.ifp = stack.lo0;
    return;
  }
  if (old !== null && (old.flags & RTF_WASCLONED) !== 0) stack.routes.deleteEntry(old);
  addLocalRoute(stack, ia.ifp, ia.addr, ia);
}

/**
 * The own-address route: added on the interface itself so the ARP hook sees
 * it as DragonFly's arp_rtrequest does (own MAC taken from rt_ifp), then
 * moved to lo0 under useloopback if the hook has not done so already.
 */
export function addLocalRoute<L>(stack: NetStack<L>, ifp: Ifnet, addr: Ipv4, ia: InIfaddr | null): InRtEntry<L> {
  const rt = stack.routes.add({
    dst: addr,
    flags: RTF_HOST | RTF_STATIC | RTF_LOCAL,
    ifp,
    ifa: ia,
    lladdr: ifp.addrlen > 0 ? ifp.lladdr : null,
    expire: 0,
  });
  if (stack.sysctl.v.useLoopback !== 0 && rt.ifp === ifp) rt.ifp = stack.lo0;
  return rt;
}

/** ifa_switch_loopback_route: give the loopback route of `addr` to `eia`. */
function ifaSwitchLoopbackRoute<L>(stack: NetStack<L>, eia: InIfaddr, addr: Ipv4): Errno | null {
  const rt = stack.routes.lookupHost(addr);
  if (rt === null || (rt.flags & RTF_LOCAL) === 0) return 'EHOSTUNREACH';
  rt.ifa = eia;
  if (rt.ifp !== stack.lo0) rt.ifp = eia.ifp;
  rt.setLladdr(eia.ifp.addrlen > 0 ? eia.ifp.lladdr : null);
  return null;
}

/** ifa_del_loopback_route (only the route this address owns). */
function ifaDelLoopbackRoute<L>(stack: NetStack<L>, ia: InIfaddr): Errno | null {
  const rt = stack.routes.lookupHost(ia.addr);
  if (rt === null || rt.ifa !== ia || (rt.flags & RTF_LOCAL) === 0) return 'ESRCH';
  stack.routes.deleteEntry(rt);
  return null;
}

/** arp_ifscrub: drop the interface's LLE_IFADDR entry for `addr`. */
function arpIfscrub<L>(stack: NetStack<L>, ifp: Ifnet, addr: Ipv4): void {
  inLltableLookup(stack, ifp, LLE_DELETE | LLE_IFADDR, addr);
}

/** in_ifadown: delete every route still using `ia` (static ones too when `del`). */
export function inIfadown<L>(stack: NetStack<L>, ia: InIfaddr, del: boolean): void {
  const doomed: InRtEntry<L>[] = [];
  stack.routes.forEach((rt) => {
    if (rt.ifa === ia && (del || (rt.flags & RTF_STATIC) === 0)) doomed.push(rt);
  });
  for (const rt of doomed) if (stack.routes.contains(rt)) stack.routes.deleteEntry(rt);
  ia.flags &= ~IFA_ROUTE;
}

// ------------------------------------------------------------ predicates

/**
 * in_broadcast: 255.255.255.255 and 0.0.0.0 always; on a broadcast
 * interface also each address's broadcast address and the old-style
 * host-0 broadcast (the subnet number, except on /31 per RFC 3021),
 * never for an all-ones mask.
 */
export function inBroadcast(ip: Ipv4, ifp: Ifnet): boolean {
  if (ip === INADDR_BROADCAST || ip === 0) return true;
  if ((ifp.flags & IFF_BROADCAST) === 0) return false;
  const addrs = ifp.addrs;
  for (let i = 0; i < addrs.length; i++) {
    const ia = addrs[i]!;
    if ((ip === ia.broadaddr || (ia.subnetmask !== IN_RFC3021_MASK && ip === ia.subnet)) &&
        ia.subnetmask !== 0xffff_ffff) return true;
  }
  return false;
}

/** in_localaddr: is `ip` on one of our subnets? */
export function inLocalAddr<L>(stack: NetStack<L>, ip: Ipv4): boolean {
  for (const ia of stack.inIfaddrs) if (((ip & ia.subnetmask) >>> 0) === ia.subnet) return true;
  return false;
}

/** in_localip: is `ip` one of our addresses? */
export function inLocalIp<L>(stack: NetStack<L>, ip: Ipv4): boolean {
  return stack.addrsWithIp(ip).length > 0;
}

/** in_canforward: not experimental (240/4), multicast, link-local (169.254/16), net 0 or the loopback net. */
export function inCanForward(ip: Ipv4): boolean {
  if (isExperimental(ip) || isMulticast(ip) || isLinkLocal(ip)) return false;
  if (isClassA(ip)) {
    const net = ip >>> 24;
    if (net === 0 || net === IN_LOOPBACKNET) return false;
  }
  return true;
}
