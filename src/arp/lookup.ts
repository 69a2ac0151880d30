/**
 * arplookup (find or create an entry), arptfree (free an entry, or clear a
 * referenced / static one back to unresolved) and arptimer (the per-CPU
 * walk every prune_intvl seconds).
 */
import { formatIpv4, formatMac, type Ipv4 } from '../wire/addr.js';
import { RTF_ANNOUNCE, RTF_GATEWAY, RTF_LLINFO, RTF_REJECT, RTF_STATIC, RTF_WASCLONED } from '../route/rtentry.js';
import { setLlinfo, type ArpRt } from './llinfo.js';
import type { ArpReplica } from './replica.js';
import { RTL_DOCLONE, RTL_REPORTMSG } from '../route/table.js';

const PROXY = { proxy: true };

/** Why arplookup found no usable entry (the seed's log reasons). */
export type ArpLookupFailure = 'not_on_local_network' | 'no_llinfo';

/**
 * arplookup: the ARP entry for `addr`, or null.
 * - `create`: clone one from the covering cloning route (rtlookup with
 *   RTL_DOCLONE); a failure is then logged with the seed's reason.
 * - `report`: the route lookup reports RTM_MISS / RTM_ADD, and a failed
 *   create is logged (the input path passes true only on CPU0).
 * - `proxy`: the published-entry lookup of in_arpinput (the SIN_PROXY key):
 *   a "proxy only" entry, or a host entry published with `pub` (BSD stores
 *   that one with an all-ones mask, which a SIN_PROXY lookup also matches).
 *   Ordinary entries are never found this way.
 * A clone that turns out unusable and unreferenced is purged again.
 */
export function arpLookup(rep: ArpReplica, addr: Ipv4, create: boolean, report: boolean, proxy: boolean): ArpRt | null {
  const table = rep.routes;
  let rt: ArpRt | null;
  if (proxy) {
    rt = table.lookupExact(addr, undefined, PROXY);
    if (rt === null) {
      const h = table.lookupHost(addr);
      rt = h !== null && (h.flags & RTF_ANNOUNCE) !== 0 ? h : null;
    }
    if (rt === null) return null;
  } else if (create) {
    rt = table.rtlookupFlags(addr, report ? RTL_DOCLONE | RTL_REPORTMSG : RTL_DOCLONE);
  } else {
    rt = table.lookup(addr);
  }
  if (rt === null) return null;
  let why: ArpLookupFailure | null = null;
  if ((rt.flags & RTF_GATEWAY) !== 0) why = 'not_on_local_network';
  else if ((rt.flags & RTF_LLINFO) === 0) why = 'no_llinfo';
  if (why === null) return rt;
  if (create && report) {
    rep.emit('arp.drop', { reason: why, stage: 'arplookup', ip: formatIpv4(addr) });
  }
  if (rt.refcnt <= 0 && (rt.flags & RTF_WASCLONED) !== 0 && table.contains(rt)) {
    table.deleteEntry(rt);
  }
  return null;
}

/**
 * arptfree: an entry that is referenced or static only goes back to
 * unresolved (address cleared, counters reset, reject lifted); any other is
 * deleted (which frees its held packet). Returns what happened.
 */
export function arpTFree(rep: ArpReplica, rt: ArpRt): 'cleared' | 'deleted' {
  if (rt.refcnt > 0 || (rt.flags & RTF_STATIC) !== 0) {
    rt.setLladdr(null);
    setLlinfo(rt, 0, 0);
    rt.flags &= ~RTF_REJECT;
    return 'cleared';
  }
  if (rep.routes.contains(rt)) rep.routes.deleteEntry(rt);
  return 'deleted';
}

/** arptimer: free every entry of this replica whose expiry has passed. Returns how many. */
export function arpTimer(rep: ArpReplica): number {
  const now = rep.now();
  const due: ArpRt[] = [];
  rep.routes.forEach((rt) => {
    if (rt.llinfo !== null && rt.expire !== 0 && rt.expire <= now) due.push(rt);
  });
  const report = rep.reporting;
  for (const rt of due) {
    if (rt.llinfo === null) continue; // freed meanwhile (a cloned child of an earlier one)
    const mac = rt.lladdr;
    const iface = rt.ifp.name;
    // A static entry already cleared by an earlier walk stays expired and
    // is "freed" again at every walk (as in the seed): report it only once.
    if (arpTFree(rep, rt) === 'cleared' && mac === null) continue;
    // The walk runs on every replica: count and report it once (CPU0).
    if (report) {
      rep.stats.timeouts++;
      if (rep.tracing) rep.emit('arp.expired', { ip: formatIpv4(rt.dst), mac: mac === null ? null : formatMac(mac), iface });
    }
  }
  return due.length;
}
