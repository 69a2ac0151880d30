/**
 * The administrator's view (the ARP manual page, BSD arp(8)): add a
 * permanent, temporary or published entry, delete one or all, list them,
 * and set knobs. Every change is a plain serializable operation (ArpAdminOp)
 * that each replica applies on its own (arpAdminApply), in the same order,
 * so a CPU chain can carry it. An operation either fails on every replica
 * with the same errno, before changing anything, or succeeds on every one.
 */
import { errno } from '../util/errors.js';
import { formatIpv4, formatMac, isIpv4Multicast, type Ipv4, type Mac } from '../wire/addr.js';
import {
  RTF_ANNOUNCE, RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_LOCAL, RTF_PROXY, RTF_REJECT, RTF_STATIC, RTF_WASCLONED,
} from '../route/rtentry.js';
import type { Ifnet } from '../inet/ifnet.js';
import { expiresIn, laAsked, laPreempt, type ArpRt } from './llinfo.js';
import type { ArpReplica } from './replica.js';

/** arp -s IP MAC [temp] [pub [only]] */
export interface ArpSetOp {
  op: 'set';
  ip: Ipv4;
  mac: Mac;
  /** rt_expire in ARP seconds (arpTime); 0 = permanent. arpSetOp computes it for `temp`. */
  expire: number;
  /** Published: answer requests for it (RTF_ANNOUNCE), and announce it once. */
  pub: boolean;
  /** With pub: a "proxy only" entry (the manual's SIN_PROXY key), not used for our own output. */
  only: boolean;
  /** Interface name (arp -i); default: the interface of the route covering ip. */
  iface: string | null;
}
/** arp -d IP */
export interface ArpDeleteOp { op: 'delete'; ip: Ipv4 }
/** arp -d -a */
export interface ArpFlushOp { op: 'flush' }
/** sysctl NAME=VALUE (per replica, through the same chain). */
export interface ArpSysctlOp { op: 'sysctl'; name: string; value: number | string }

export type ArpAdminOp = ArpSetOp | ArpDeleteOp | ArpFlushOp | ArpSysctlOp;

export interface ArpAdminResult {
  /** Entries deleted (delete, flush), 1 for a set, 0 for sysctl. */
  count: number;
  /** The previous value (sysctl). */
  old?: number | string;
}

/** BSD arp(8) gives a temporary entry 20 minutes (net.link.ether.inet.max_age by default). */
export function arpSetOp(
  ip: Ipv4, mac: Mac,
  opts: { temp?: boolean; pub?: boolean; only?: boolean; iface?: string | null; now?: number; maxAge?: number } = {},
): ArpSetOp {
  const temp = opts.temp === true;
  if (temp && opts.now === undefined) throw new TypeError('arpSetOp: a temp entry needs opts.now (ARP seconds, replica.now())');
  return {
    op: 'set', ip: ip >>> 0, mac,
    expire: temp ? opts.now! + (opts.maxAge ?? 1200) : 0,
    pub: opts.pub === true || opts.only === true,
    only: opts.only === true,
    iface: opts.iface ?? null,
  };
}

/** Validate an operation's shape (it may come from another thread or a file). EINVAL naming the field. */
export function checkAdminOp(op: ArpAdminOp): void {
  const ipOk = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
  switch (op.op) {
    case 'set':
      if (!ipOk(op.ip)) throw errno('EINVAL', 'arp set: ip must be an IPv4 address (u32)');
      if (typeof op.mac !== 'number' || !Number.isInteger(op.mac) || op.mac < 0 || op.mac > 0xffff_ffff_ffff) {
        throw errno('EINVAL', 'arp set: mac must be a 48-bit address');
      }
      if (typeof op.expire !== 'number' || !Number.isInteger(op.expire) || op.expire < 0) throw errno('EINVAL', 'arp set: expire must be an integer >= 0');
      return;
    case 'delete':
      if (!ipOk(op.ip)) throw errno('EINVAL', 'arp delete: ip must be an IPv4 address (u32)');
      return;
    case 'flush':
      return;
    case 'sysctl':
      if (typeof op.name !== 'string') throw errno('EINVAL', 'sysctl: name must be a string');
      return;
    default:
      throw errno('EINVAL', `arp: unknown operation ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

/**
 * Apply one operation to this replica. Throws an errno error (same on
 * every replica) and changes nothing when it fails. `isCpu0` decides who
 * announces a published entry (default: the replica's own role).
 */
export function arpAdminApply(rep: ArpReplica, op: ArpAdminOp, opts: { isCpu0?: boolean } = {}): ArpAdminResult {
  checkAdminOp(op);
  return rep.withRole(opts.isCpu0, () => {
    switch (op.op) {
      case 'set': return arpSet(rep, op);
      case 'delete': return { count: arpDelete(rep, op.ip) };
      case 'flush': return { count: arpFlush(rep) };
      case 'sysctl': return { count: 0, old: rep.sysctl.set(op.name, op.value) };
    }
  });
}

function isArpEntry(rt: ArpRt): boolean {
  return !rt.isNet && (rt.flags & RTF_GATEWAY) === 0 && (rt.flags & RTF_LLINFO) !== 0;
}

/**
 * arp -s: the interface comes from the route covering the address (arp(8)
 * asks RTM_GET and takes the link-level gateway's interface), and must be
 * a link route. An existing learned entry is replaced (rtrequest's special
 * case for cloned routes); any other existing entry is EEXIST, which the
 * manual's sample program treats as success.
 */
function arpSet(rep: ArpReplica, op: ArpSetOp): ArpAdminResult {
  const table = rep.routes;
  const ip = op.ip;
  const where = formatIpv4(ip);
  let ifp: Ifnet | undefined;
  if (op.iface !== null) {
    ifp = rep.net.ifunit(op.iface);
    if (ifp === undefined) throw errno('ENXIO', `arp set ${where}: no interface ${op.iface}`);
  }
  const cover = table.lookup(ip);
  if (cover === null) throw errno('ENETUNREACH', `arp set ${where}: no route to the address`);
  if ((cover.flags & RTF_GATEWAY) !== 0) throw errno('ENETUNREACH', `arp set ${where}: not on a local network (route via a gateway)`);
  let only = op.only;
  if (!cover.isNet && !isArpEntry(cover)) {
    // A host route that is not an ARP entry: only a proxy entry can go beside it.
    if (!op.pub) throw errno('EINVAL', `arp set ${where}: can only proxy for this address`);
    only = true;
  }
  const coverIfp = (cover.flags & RTF_LOCAL) !== 0 && cover.ifa !== null ? cover.ifa.ifp : cover.ifp;
  if (ifp === undefined) ifp = coverIfp;
  else if (ifp !== coverIfp && cover.isNet && ((ip ^ cover.key) & cover.mask) === 0 && cover.ifp !== ifp) {
    throw errno('ENETUNREACH', `arp set ${where}: not on the network of ${ifp.name}`);
  }
  if (ifp.addrlen !== 6) throw errno('EINVAL', `arp set ${where}: ${ifp.name} has no Ethernet address`);

  const existing = table.lookupExact(ip, undefined, { proxy: only });
  if (existing !== null && (existing.flags & RTF_WASCLONED) === 0) {
    throw errno('EEXIST', `arp set ${where}: an entry exists (delete it first)`);
  }
  const ifa = rep.net.ifaofIfpForAddr(ip, ifp);
  if (existing !== null) table.deleteEntry(existing);
  table.add({
    dst: ip,
    flags: RTF_HOST | RTF_STATIC | (op.pub ? RTF_ANNOUNCE : 0) | (only ? RTF_PROXY : 0),
    lladdr: op.mac,
    ifp, ifa,
    expire: op.expire,
  });
  return { count: 1 };
}

/**
 * arp -d: the ARP entry for the address, else its proxy-only entry. The
 * entry of one of our own addresses belongs to the address (it is also its
 * loopback route): EPERM. ESRCH when there is none.
 */
function arpDelete(rep: ArpReplica, ip: Ipv4): number {
  const table = rep.routes;
  let rt = table.lookupHost(ip);
  if (rt === null || !isArpEntry(rt)) rt = table.lookupExact(ip, undefined, { proxy: true });
  if (rt === null || !isArpEntry(rt)) throw errno('ESRCH', `arp delete ${formatIpv4(ip)}: no entry`);
  if ((rt.flags & RTF_LOCAL) !== 0) throw errno('EPERM', `arp delete ${formatIpv4(ip)}: the entry of an own address`);
  table.deleteEntry(rt);
  return 1;
}

/** arp -d -a: every ARP entry except own-address ones, in address order. */
function arpFlush(rep: ArpReplica): number {
  const doomed = rep.routes.sorted().filter((rt) => isArpEntry(rt) && (rt.flags & RTF_LOCAL) === 0);
  let n = 0;
  for (const rt of doomed) {
    if (!rep.routes.contains(rt)) continue;
    rep.routes.deleteEntry(rt);
    n++;
  }
  return n;
}

/** One ARP entry of CONTRACT.md's dump (`cpus[].arp`). */
export interface ArpEntryDump {
  ip: string;
  /** null while unresolved */
  mac: string | null;
  iface: string;
  /** static, pub, only (proxy-only), reject, local, permanent, multicast, broadcast */
  flags: string[];
  /** Seconds left; 0 for permanent (see `permanent` in flags); 0 or less once expired. */
  expires: number;
  /** la_asked */
  asked: number;
  /** la_preempt */
  preempt: number;
  /** Packets held on this CPU (0 or 1). */
  held: number;
}

/** arp -a: this replica's ARP entries in address order (proxy-only after the ordinary entry). */
export function arpList(rep: ArpReplica): ArpEntryDump[] {
  const now = rep.now();
  const out: ArpEntryDump[] = [];
  for (const rt of rep.routes.sorted()) {
    if (!isArpEntry(rt)) continue;
    const flags: string[] = [];
    if ((rt.flags & RTF_STATIC) !== 0) flags.push('static');
    if ((rt.flags & (RTF_ANNOUNCE | RTF_PROXY)) !== 0) flags.push('pub');
    if ((rt.flags & RTF_PROXY) !== 0) flags.push('only');
    if ((rt.flags & RTF_REJECT) !== 0) flags.push('reject');
    if ((rt.flags & RTF_LOCAL) !== 0) flags.push('local');
    if (rt.expire === 0) flags.push('permanent');
    const mac = rt.lladdr;
    if (mac !== null && isIpv4Multicast(rt.dst)) flags.push('multicast');
    if (mac === rt.ifp.broadcastLladdr && rt.ifp.addrlen > 0) flags.push('broadcast');
    out.push({
      ip: formatIpv4(rt.dst),
      mac: mac === null ? null : formatMac(mac),
      iface: ((rt.flags & RTF_LOCAL) !== 0 && rt.ifa !== null ? rt.ifa.ifp : rt.ifp).name,
      flags,
      expires: expiresIn(rt.expire, now),
      asked: laAsked(rt),
      preempt: laPreempt(rt),
      held: (rt.flags & RTF_PROXY) === 0 && rep.held.has(rt.key) ? 1 : 0,
    });
  }
  return out;
}

/**
 * One line of BSD `arp -a` for an entry:
 *   ? (10.0.0.2) at 02:00:00:00:00:02 on vemu0 expires in 1187 seconds [ethernet]
 *   ? (10.0.0.1) at 02:00:00:00:01:01 on vemu0 permanent [ethernet]
 *   ? (10.0.0.50) at 02:00:00:00:00:50 on vemu0 permanent published [ethernet]
 *   ? (10.0.0.3) at (incomplete) on vemu0 expired [ethernet]
 */
export function formatArpLine(e: ArpEntryDump): string {
  let s = `? (${e.ip}) at ${e.mac ?? '(incomplete)'} on ${e.iface}`;
  if (e.flags.includes('permanent')) s += ' permanent';
  else if (e.expires > 0) s += ` expires in ${e.expires} seconds`;
  else s += ' expired';
  if (e.flags.includes('pub')) s += e.flags.includes('only') ? ' published (proxy only)' : ' published';
  return s + ' [ethernet]';
}
