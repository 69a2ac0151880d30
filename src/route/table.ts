/**
 * One replica's IPv4 routing table: longest-prefix match, rtrequest
 * (add / delete / resolve) with the kernel's errors, cloning lookups, and
 * route messages (BSD net/route.c as DragonFly uses it from if_ether.c).
 *
 * Layout: every /32 route is in a Map keyed by the int32 destination (one
 * probe answers a host lookup, and the ARP cache is made of host routes);
 * shorter prefixes are in a binary trie. A host match is always the longest
 * one, so `lookup` is one Map probe plus, on a miss, a walk of at most 31
 * trie nodes. Published "proxy only" entries (the manual's SIN_PROXY key)
 * have their own Map: only `rtlookup(dst, { proxy: true })` sees them, and
 * like BSD's radix match on a longer key, such a lookup falls back to the
 * network routes, never to the ordinary host routes.
 *
 * No module state: several tables coexist in one thread (tests) and one per
 * CPU worker.
 */
import type { Ipv4, Mac } from '../wire/addr.js';
import { formatIpv4, formatMac, maskPrefixLen, prefixMask } from '../wire/addr.js';
import { errno } from '../util/errors.js';
import {
  RtEntry, RtNetEntry, type RtTypes,
  RTF_CLONING, RTF_GATEWAY, RTF_HOST, RTF_PROXY, RTF_STATIC, RTF_UP, RTF_WASCLONED,
  rtFlagNames,
} from './rtentry.js';
import { PrefixTrie } from './trie.js';
import { HostIndex } from './hostindex.js';

// --- route request and message types (BSD RTM_* values) ---
export const RTM_ADD = 0x1;
export const RTM_DELETE = 0x2;
export const RTM_MISS = 0x7;
export const RTM_RESOLVE = 0xb;
/** What the family hook (`ifa_rtrequest`, ARP's arpRtRequest) is told. */
export type RtRequestCmd = typeof RTM_ADD | typeof RTM_DELETE | typeof RTM_RESOLVE;
export type RtMsgType = 'RTM_ADD' | 'RTM_DELETE' | 'RTM_MISS';

/** A route message (route socket report). Plain data: it crosses threads. */
export interface RtMsg {
  type: RtMsgType;
  dst: Ipv4;
  mask: Ipv4;
  flags: number;
  /** IPv4 gateway of a gateway route, else null. */
  gateway: Ipv4 | null;
  /** Link-level gateway address of a link route, else null. */
  lladdr: Mac | null;
  iface: string | null;
}

export interface RouteHooks<T extends RtTypes> {
  /**
   * The address family's route hook, BSD `rt_ifa->ifa_rtrequest`: called
   * after a route is added (RTM_ADD) or cloned (RTM_RESOLVE), and after it
   * left the table on RTM_DELETE. ARP attaches and frees its llinfo here.
   * (src/inet installs a filter that forwards only routes whose ifa is on an
   * Ethernet interface, as arp_ifinit installs arp_rtrequest only there.)
   */
  rtRequest?: ((cmd: RtRequestCmd, rt: RtEntry<T>) => void) | undefined;
  /** Route messages; called only while `RouteTable.reporting` is true (CPU0). */
  report?: ((msg: RtMsg) => void) | undefined;
}

/** RTM_ADD arguments (BSD rt_addrinfo). */
export interface RtAddInfo<T extends RtTypes> {
  dst: Ipv4;
  /** Netmask; omitted, or 255.255.255.255, or RTF_HOST in flags: a host route. */
  mask?: Ipv4 | undefined;
  /** RTF_* bits; RTF_UP is always set on entry. RTF_PROXY puts a host route in the proxy index. */
  flags?: number | undefined;
  /** IPv4 gateway; requires RTF_GATEWAY (set implicitly when given). */
  gateway?: Ipv4 | undefined;
  /** Link-level gateway address of a link route (arp -s); null or omitted = unresolved. */
  lladdr?: Mac | null | undefined;
  /** Interface; derived from the route to the gateway (or to dst) when omitted. */
  ifp?: T['ifp'] | undefined;
  /** Interface address; derived like ifp when omitted (may end up null when only ifp is known). */
  ifa?: T['ifa'] | null | undefined;
  /** rt_expire (uptime second, 0 = never). */
  expire?: number | undefined;
}

// --- rtlookupFlags bits (DragonFly's RTL_* arguments of _rtlookup, plus ours) ---
export const RTL_DOCLONE = 0x1;
export const RTL_REPORTMSG = 0x2;
export const RTL_PROXY = 0x4;
export const RTL_REF = 0x8;

export interface RtLookupOptions {
  /** Clone a host route when the match is a cloning route (rtlookup vs rtpurelookup). */
  clone?: boolean;
  /** Generate RTM_MISS / RTM_ADD messages (RTL_REPORTMSG). */
  report?: boolean;
  /** Look the SIN_PROXY key up (published "proxy only" entries). */
  proxy?: boolean;
  /** Take a reference (rt_refcnt++); release it with rtfree(). */
  ref?: boolean;
}

/** One route in the shape of CONTRACT.md's dump. */
export interface RouteDump {
  dst: string;
  mask: string;
  /** IPv4 gateway, MAC of a resolved link route, or null. */
  gateway: string | null;
  iface: string;
  flags: string[];
}

/** One route as structured-clonable data (snapshot/restore, resync). */
export interface RouteSnap {
  dst: Ipv4;
  plen: number;
  flags: number;
  gwLo: number;
  gwHi: number;
  ifindex: number;
  /** Address of rt_ifa (looked up on ifaIndex), or null. */
  ifaAddr: Ipv4 | null;
  ifaIndex: number;
  expire: number;
  refcnt: number;
  /** The llinfo as the snapshot codec saved it (undefined: none). */
  llinfo?: unknown;
}

/** How restore() finds the objects a snapshot names. */
export interface RouteResolver<T extends RtTypes> {
  ifp(index: number): T['ifp'] | undefined;
  ifa(index: number, addr: Ipv4): T['ifa'] | undefined;
  /** Rebuild the llinfo of `rt` from saved data (default: the saved value itself). */
  llinfo?: ((rt: RtEntry<T>, saved: unknown) => T['llinfo'] | null) | undefined;
}

export class RouteTable<T extends RtTypes = RtTypes> {
  /** Route hooks: the family hook (ARP) and the message reporter. */
  readonly hooks: RouteHooks<T>;
  /** Emit route messages (only CPU0 does, as in DragonFly). */
  reporting: boolean;
  private readonly hosts = new HostIndex<RtEntry<T>>();
  private readonly proxies = new HostIndex<RtEntry<T>>();
  private readonly nets = new PrefixTrie<RtNetEntry<T>>();
  /** Host routes with RTF_WASCLONED: when 0, cloning-related walks are skipped. */
  private cloned = 0;

  constructor(opts: { hooks?: RouteHooks<T>; reporting?: boolean } = {}) {
    this.hooks = opts.hooks ?? {};
    this.reporting = opts.reporting ?? false;
  }

  /** Number of routes (host, proxy and network). */
  get size(): number { return this.hosts.size + this.proxies.size + this.nets.size; }
  get hostCount(): number { return this.hosts.size; }
  get netCount(): number { return this.nets.size; }

  // ---------------------------------------------------------------- lookups

  /**
   * Longest-prefix match (BSD rtpurelookup): never clones, never reports,
   * takes no reference. The hot path: one Map probe, then the trie.
   */
  lookup(dst: Ipv4): RtEntry<T> | null {
    const h = this.hosts.get(dst | 0);
    if (h !== null) return h;
    return this.nets.lookup(dst);
  }

  /** The host route for exactly `dst`, or null (no prefix fallback). */
  lookupHost(dst: Ipv4): RtEntry<T> | null {
    return this.hosts.get(dst | 0);
  }

  /** The route stored for exactly dst/mask (mask omitted: host), or null. */
  lookupExact(dst: Ipv4, mask?: Ipv4, opts: { proxy?: boolean } = {}): RtEntry<T> | null {
    const plen = mask === undefined ? 32 : maskPrefixLen(mask);
    if (plen < 0) return null;
    if (plen === 32) return (opts.proxy === true ? this.proxies : this.hosts).get(dst | 0);
    return this.nets.get(dst & prefixMask(plen), plen);
  }

  /**
   * DragonFly _rtlookup: match, clone a host route when asked and the match
   * is a cloning route (calling the family hook with RTM_RESOLVE), report
   * RTM_MISS / RTM_ADD when asked. When cloning fails the cloning route
   * itself is returned (and RTM_MISS reported), as the seed does.
   */
  rtlookup(dst: Ipv4, opts?: RtLookupOptions): RtEntry<T> | null {
    if (opts === undefined) return this.lookup(dst);
    return this.rtlookupFlags(dst,
      (opts.clone === true ? RTL_DOCLONE : 0) | (opts.report === true ? RTL_REPORTMSG : 0) |
      (opts.proxy === true ? RTL_PROXY : 0) | (opts.ref === true ? RTL_REF : 0));
  }

  /** rtlookup with RTL_* bits instead of an options object (no allocation on hot paths). */
  rtlookupFlags(dst: Ipv4, rtl: number): RtEntry<T> | null {
    let rt: RtEntry<T> | null;
    if ((rtl & RTL_PROXY) !== 0) rt = this.proxies.get(dst | 0) ?? this.nets.lookup(dst);
    else rt = this.lookup(dst);
    const report = (rtl & RTL_REPORTMSG) !== 0 && this.reporting;
    const ref = (rtl & RTL_REF) !== 0;
    if (rt === null) {
      if (report) this.reportMiss(dst);
      return null;
    }
    if ((rtl & RTL_DOCLONE) !== 0 && (rt.flags & RTF_CLONING) !== 0) {
      let c: RtEntry<T>;
      try {
        c = this.resolve(rt, dst);
      } catch {
        // Cloning failed: the seed hands back the cloning route itself.
        if (report) this.reportMiss(dst);
        if (ref) rt.refcnt++;
        return rt;
      }
      if (report) this.report('RTM_ADD', c);
      if (ref) c.refcnt++;
      return c;
    }
    if (ref) rt.refcnt++;
    return rt;
  }

  /** Drop a reference taken with rtlookup({ ref: true }) (RTFREE). */
  rtfree(rt: RtEntry<T>): void {
    if (rt.refcnt > 0) rt.refcnt--;
  }

  /**
   * The route a cloned entry was cloned from: the longest network route
   * covering it (cloned children of a route are deleted when it goes, and
   * when a more specific network route arrives, so this stays exact).
   */
  parentOf(rt: RtEntry<T>): RtEntry<T> | null {
    if ((rt.flags & RTF_WASCLONED) === 0) return null;
    return this.nets.lookupShorter(rt.dst, rt.plen);
  }

  // ---------------------------------------------------------------- rtrequest

  /** rtrequest(RTM_ADD | RTM_DELETE, ...) in one call, for callers that carry the command. */
  rtrequest(cmd: typeof RTM_ADD, info: RtAddInfo<T>): RtEntry<T>;
  rtrequest(cmd: typeof RTM_DELETE, info: { dst: Ipv4; mask?: Ipv4 | undefined; flags?: number | undefined }): RtEntry<T>;
  rtrequest(cmd: typeof RTM_ADD | typeof RTM_DELETE, info: RtAddInfo<T>): RtEntry<T> {
    if (cmd === RTM_ADD) return this.add(info);
    return this.delete(info.dst, info.mask, { proxy: ((info.flags ?? 0) & RTF_PROXY) !== 0 || undefined });
  }

  /**
   * RTM_ADD. Errors: EEXIST (same destination and mask present), ENETUNREACH
   * (no interface can be found for the gateway or destination), EINVAL
   * (non-contiguous mask, gateway route without gateway, proxy network route).
   */
  add(info: RtAddInfo<T>): RtEntry<T> {
    let flags = (info.flags ?? 0) | RTF_UP;
    if (info.gateway !== undefined) flags |= RTF_GATEWAY;
    if ((flags & RTF_GATEWAY) !== 0 && info.gateway === undefined) {
      throw errno('EINVAL', `route ${formatIpv4(info.dst)}: gateway flag without a gateway`);
    }
    let plen = 32;
    if ((flags & RTF_HOST) === 0 && info.mask !== undefined) {
      plen = maskPrefixLen(info.mask >>> 0);
      if (plen < 0) throw errno('EINVAL', `route ${formatIpv4(info.dst)}: non-contiguous netmask ${formatIpv4(info.mask >>> 0)}`);
    }
    const proxy = (flags & RTF_PROXY) !== 0;
    if (proxy && plen !== 32) throw errno('EINVAL', `route ${formatIpv4(info.dst)}: a proxy (published) entry must be a host route`);
    const dst = (info.dst & prefixMask(plen)) >>> 0;
    if (this.lookupExact(dst, prefixMask(plen), { proxy }) !== null) {
      throw errno('EEXIST', `route ${formatIpv4(dst)}/${plen} already exists`);
    }

    // rt_getifa / ifa_ifwithroute: find the interface from the route to the next hop.
    let ifp = info.ifp;
    let ifa = info.ifa;
    if (ifp === undefined || ifa === undefined) {
      const via = this.lookup((flags & RTF_GATEWAY) !== 0 ? info.gateway! : dst);
      const usable = via !== null && (via.flags & RTF_GATEWAY) === 0 ? via : null;
      if (ifp === undefined) {
        if (ifa !== undefined && ifa !== null) ifp = ifa.ifp as T['ifp'];
        else if (usable !== null) { ifp = usable.ifp; ifa = usable.ifa; }
        else throw errno('ENETUNREACH', `route ${formatIpv4(dst)}/${plen}: no interface for ${(flags & RTF_GATEWAY) !== 0 ? `gateway ${formatIpv4(info.gateway!)}` : 'the destination'}`);
      }
      if (ifa === undefined) ifa = usable !== null && usable.ifp === ifp ? usable.ifa : null;
    }

    const rt: RtEntry<T> = plen === 32
      ? new RtEntry<T>(dst, flags, ifp, ifa, info.expire ?? 0)
      : new RtNetEntry<T>(dst, plen, flags, ifp, ifa, info.expire ?? 0);
    if ((flags & RTF_GATEWAY) !== 0) rt.setGateway(info.gateway!);
    else if (info.lladdr !== undefined && info.lladdr !== null) rt.setLladdr(info.lladdr);
    this.insert(rt);
    this.hooks.rtRequest?.(RTM_ADD, rt);
    // rt_fixchange: cloned routes now covered by this more specific network
    // route were cloned from a less specific parent; drop them so they clone again.
    if (plen < 32 && this.cloned > 0) {
      for (const h of this.clonedWithin(dst, plen)) {
        if (this.nets.lookup(h.dst) === rt && this.contains(h)) this.deleteEntry(h);
      }
    }
    this.report('RTM_ADD', rt);
    return rt;
  }

  /** RTM_DELETE by destination and mask (omitted: host route). ESRCH when absent. */
  delete(dst: Ipv4, mask?: Ipv4, opts: { proxy?: boolean | undefined } = {}): RtEntry<T> {
    const rt = this.lookupExact(dst >>> 0, mask, { proxy: opts.proxy === true });
    if (rt === null) {
      const plen = mask === undefined ? 32 : maskPrefixLen(mask);
      throw errno('ESRCH', `route ${formatIpv4(dst >>> 0)}/${plen} not in table`);
    }
    this.deleteEntry(rt);
    return rt;
  }

  /**
   * RTM_DELETE of a known entry: remove it, clear RTF_UP, delete the routes
   * cloned from it (rt_fixdelete), then call the family hook. ESRCH when the
   * entry is no longer in the table.
   */
  deleteEntry(rt: RtEntry<T>): void {
    if (!this.contains(rt)) throw errno('ESRCH', `route ${formatIpv4(rt.dst)}/${rt.plen} not in table`);
    let children: RtEntry<T>[] = [];
    if (rt.isNet && (rt.flags & RTF_CLONING) !== 0 && this.cloned > 0) {
      children = this.clonedWithin(rt.dst, rt.plen).filter((h) => this.nets.lookup(h.dst) === rt);
    }
    this.remove(rt);
    rt.flags &= ~RTF_UP;
    for (const c of children) if (this.contains(c)) this.deleteEntry(c);
    this.hooks.rtRequest?.(RTM_DELETE, rt);
    this.report('RTM_DELETE', rt);
  }

  /**
   * RTM_RESOLVE: clone a host route for `dst` from cloning route `parent`
   * (flags without cloning/static, plus wascloned and host; interface,
   * interface address, gateway and expiry copied), then the family hook.
   * EINVAL when parent is not a cloning route in this table or does not
   * cover dst; EEXIST when a host route for dst exists.
   */
  resolve(parent: RtEntry<T>, dst: Ipv4): RtEntry<T> {
    if ((parent.flags & RTF_CLONING) === 0 || !this.contains(parent)) {
      throw errno('EINVAL', `route ${formatIpv4(parent.dst)}/${parent.plen} is not a cloning route`);
    }
    if (((dst ^ parent.key) & parent.mask) !== 0) {
      throw errno('EINVAL', `${formatIpv4(dst >>> 0)} is outside ${formatIpv4(parent.dst)}/${parent.plen}`);
    }
    if (this.hosts.has(dst | 0)) throw errno('EEXIST', `route ${formatIpv4(dst >>> 0)}/32 already exists`);
    const flags = (parent.flags & ~(RTF_CLONING | RTF_STATIC)) | RTF_WASCLONED | RTF_HOST | RTF_UP;
    const rt = new RtEntry<T>(dst, flags, parent.ifp, parent.ifa, parent.expire);
    rt.gwLo = parent.gwLo;
    rt.gwHi = parent.gwHi;
    this.insert(rt);
    try {
      this.hooks.rtRequest?.(RTM_RESOLVE, rt);
    } catch (e) {
      // The family could not set the entry up (the seed's llinfo malloc failure): no clone.
      this.remove(rt);
      rt.flags &= ~RTF_UP;
      throw e;
    }
    return rt;
  }

  /** True when `rt` is the entry the table holds for its key. */
  contains(rt: RtEntry<T>): boolean {
    if (rt.isNet) return this.nets.get(rt.key, rt.plen) === rt;
    return ((rt.flags & RTF_PROXY) !== 0 ? this.proxies : this.hosts).get(rt.key) === rt;
  }

  // ---------------------------------------------------------------- walks

  /** Every route: network routes in prefix order, then host routes, then proxy entries (index order: unsorted). Do not add or delete while visiting. */
  forEach(fn: (rt: RtEntry<T>) => void): void {
    this.nets.forEach((r) => fn(r));
    this.hosts.forEach(fn);
    this.proxies.forEach(fn);
  }

  /** Host and proxy routes inside prefix dst/plen, sorted (a full scan of the host index). */
  hostsWithin(dst: Ipv4, plen: number): RtEntry<T>[] {
    const m = prefixMask(plen), k = dst & m;
    const out: RtEntry<T>[] = [];
    const pick = (h: RtEntry<T>): void => { if ((h.key & m) === k) out.push(h); };
    this.hosts.forEach(pick);
    this.proxies.forEach(pick);
    return out.sort(compareRoutes);
  }

  /** Network routes inside dst/plen, including one at exactly dst/plen. */
  netsWithin(dst: Ipv4, plen: number): RtEntry<T>[] {
    const out: RtEntry<T>[] = [];
    this.nets.forEachWithin(dst & prefixMask(plen), plen, (r) => out.push(r));
    return out;
  }

  /** Every route sorted by (destination, prefix length), proxy entries after the host route of the same address. */
  sorted(): RtEntry<T>[] {
    const all: RtEntry<T>[] = [];
    this.forEach((r) => all.push(r));
    return all.sort(compareRoutes);
  }

  /** The CONTRACT.md `routes` list (sorted, deterministic across replicas). */
  dump(opts: { filter?: (rt: RtEntry<T>) => boolean } = {}): RouteDump[] {
    const out: RouteDump[] = [];
    for (const rt of this.sorted()) {
      if (opts.filter !== undefined && !opts.filter(rt)) continue;
      out.push(dumpRoute(rt));
    }
    return out;
  }

  // ---------------------------------------------------------------- replicas

  /**
   * Copy of every route, sorted. `saveLlinfo` encodes a non-null llinfo
   * (default: the value itself, fine for plain data such as ARP's packed
   * counters; the result must be structured-clonable to cross threads).
   */
  snapshot(saveLlinfo: (rt: RtEntry<T>) => unknown = (rt) => rt.llinfo): RouteSnap[] {
    return this.sorted().map((rt) => {
      const s: RouteSnap = {
        dst: rt.dst, plen: rt.plen, flags: rt.flags, gwLo: rt.gwLo, gwHi: rt.gwHi,
        ifindex: rt.ifp.index,
        ifaAddr: rt.ifa === null ? null : rt.ifa.addr,
        ifaIndex: rt.ifa === null ? 0 : rt.ifa.ifp.index,
        expire: rt.expire, refcnt: rt.refcnt,
      };
      if (rt.llinfo !== null) s.llinfo = saveLlinfo(rt);
      return s;
    });
  }

  /**
   * Replace the whole table by `snap` without calling the family hook or
   * reporting (the state is copied, not re-derived). ENXIO when the snapshot
   * names an interface or address the resolver does not know; the table is
   * left unchanged then.
   */
  restore(snap: readonly RouteSnap[], resolve: RouteResolver<T>): void {
    const built: RtEntry<T>[] = [];
    for (const s of snap) {
      const ifp = resolve.ifp(s.ifindex);
      if (ifp === undefined) throw errno('ENXIO', `restore: no interface with index ${s.ifindex}`);
      let ifa: T['ifa'] | null = null;
      if (s.ifaAddr !== null) {
        const a = resolve.ifa(s.ifaIndex, s.ifaAddr);
        if (a === undefined) throw errno('ENXIO', `restore: no address ${formatIpv4(s.ifaAddr)} on interface ${s.ifaIndex}`);
        ifa = a;
      }
      const rt = s.plen === 32
        ? new RtEntry<T>(s.dst, s.flags, ifp, ifa, s.expire)
        : new RtNetEntry<T>(s.dst, s.plen, s.flags, ifp, ifa, s.expire);
      rt.gwLo = s.gwLo; rt.gwHi = s.gwHi; rt.refcnt = s.refcnt;
      built.push(rt);
    }
    this.clear();
    for (let i = 0; i < built.length; i++) {
      const rt = built[i]!;
      this.insert(rt);
      const saved = snap[i]!.llinfo;
      if (saved !== undefined) rt.llinfo = resolve.llinfo !== undefined ? resolve.llinfo(rt, saved) : saved as T['llinfo'];
    }
  }

  /** Forget every route (no hooks, no reports). */
  clear(): void {
    this.hosts.clear();
    this.proxies.clear();
    this.nets.clear();
    this.cloned = 0;
  }

  // ---------------------------------------------------------------- internals

  private insert(rt: RtEntry<T>): void {
    if (rt.isNet) {
      if (!this.nets.insert(rt.key, rt.plen, rt as RtNetEntry<T>)) throw errno('EEXIST', `route ${formatIpv4(rt.dst)}/${rt.plen} already exists`);
      return;
    }
    const map = (rt.flags & RTF_PROXY) !== 0 ? this.proxies : this.hosts;
    if (!map.set(rt.key, rt)) throw errno('EEXIST', `route ${formatIpv4(rt.dst)}/32 already exists`);
    if ((rt.flags & RTF_WASCLONED) !== 0 && map === this.hosts) this.cloned++;
  }

  private remove(rt: RtEntry<T>): void {
    if (rt.isNet) { this.nets.remove(rt.key, rt.plen); return; }
    if ((rt.flags & RTF_PROXY) !== 0) { this.proxies.delete(rt.key); return; }
    this.hosts.delete(rt.key);
    if ((rt.flags & RTF_WASCLONED) !== 0) this.cloned--;
  }

  private clonedWithin(dst: Ipv4, plen: number): RtEntry<T>[] {
    const m = prefixMask(plen), k = dst & m;
    const out: RtEntry<T>[] = [];
    this.hosts.forEach((h) => { if ((h.flags & RTF_WASCLONED) !== 0 && (h.key & m) === k) out.push(h); });
    return out.sort(compareRoutes);
  }

  /** Send a prepared route message (e.g. in_addralias_rtmsg) when reporting is on. */
  emitMessage(msg: RtMsg): void {
    if (this.reporting && this.hooks.report !== undefined) this.hooks.report(msg);
  }

  private report(type: RtMsgType, rt: RtEntry<T>): void {
    if (!this.reporting || this.hooks.report === undefined) return;
    this.hooks.report({
      type, dst: rt.dst, mask: rt.mask, flags: rt.flags, gateway: rt.gateway, lladdr: rt.lladdr, iface: rt.ifp.name,
    });
  }

  private reportMiss(dst: Ipv4): void {
    if (!this.reporting || this.hooks.report === undefined) return;
    this.hooks.report({ type: 'RTM_MISS', dst: dst >>> 0, mask: 0xffff_ffff, flags: 0, gateway: null, lladdr: null, iface: null });
  }
}

/** Order by destination, then prefix length, then ordinary before proxy. */
export function compareRoutes(a: RtEntry<RtTypes>, b: RtEntry<RtTypes>): number {
  return a.dst - b.dst || a.plen - b.plen || (a.flags & RTF_PROXY) - (b.flags & RTF_PROXY);
}

/** One route in the CONTRACT.md dump shape. */
export function dumpRoute(rt: RtEntry<RtTypes>): RouteDump {
  const gw = rt.gateway;
  const ll = gw === null ? rt.lladdr : null;
  return {
    dst: formatIpv4(rt.dst),
    mask: formatIpv4(rt.mask),
    gateway: gw !== null ? formatIpv4(gw) : ll !== null ? formatMac(ll) : null,
    iface: rt.ifp.name,
    flags: rtFlagNames(rt.flags),
  };
}
