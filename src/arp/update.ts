/**
 * arp_update_oncpu: apply one in_arpinput update to this replica. Run on
 * every CPU in chain order; only the reporting CPU (CPU0) logs, counts the
 * refusals and reports route messages (the seed logs a wrong interface on
 * every CPU; one line is enough). A CPU that holds a packet for the entry
 * sends it itself once the entry resolves.
 */
import { formatIpv4, formatMac } from '../wire/addr.js';
import { RTF_REJECT } from '../route/rtentry.js';
import { etherBridgeInterface, type Ifnet } from '../inet/ifnet.js';
import { setLlinfo } from './llinfo.js';
import { arpLookup } from './lookup.js';
import { arpReleaseHeld } from './output.js';
import type { ArpReplica } from './replica.js';
import type { ArpUpdate } from './input.js';

export type ArpUpdateResult =
  /** No entry: not creating and none exists, or arplookup refused (not local, no llinfo). */
  | 'no_entry'
  /** The receiving interface is unknown to this replica. */
  | 'no_iface'
  /** The entry is on another interface (and no bridge relation allows it). */
  | 'wrong_iface'
  /** A permanent entry with another hardware address: refused. */
  | 'permanent'
  /** The frame's hardware address length differs from the interface's. */
  | 'bad_addrlen'
  | 'updated';

export interface ArpUpdateOptions {
  /** Report and log as CPU0 does (default: the replica's own role). */
  isCpu0?: boolean | undefined;
}

/** The interface to use for an entry on `rtIfp` learned on `ifp`, or null (seed's three bridge cases). */
function bridgeFix(ifp: Ifnet, rtIfp: Ifnet): Ifnet | null {
  if (ifp.bridge !== null && rtIfp.bridge === ifp.bridge) return etherBridgeInterface(ifp);
  if (rtIfp.bridge !== null && etherBridgeInterface(rtIfp) === ifp) return ifp;
  if (ifp.bridge !== null && etherBridgeInterface(ifp) === rtIfp) return rtIfp;
  return null;
}

export function arpUpdateOnCpu(rep: ArpReplica, u: ArpUpdate, opts?: ArpUpdateOptions): ArpUpdateResult {
  const override = opts?.isCpu0;
  if (override === undefined) return updateOnCpu(rep, u, rep.reporting);
  const prev = rep.reportOverride;
  rep.reportOverride = override;
  try { return updateOnCpu(rep, u, override); } finally { rep.reportOverride = prev; }
}

function updateOnCpu(rep: ArpReplica, u: ArpUpdate, isCpu0: boolean): ArpUpdateResult {
  let ifp = rep.net.ifnetByIndex(u.ifindex);
  if (ifp === undefined) return 'no_iface';
  const rt = arpLookup(rep, u.saddr, u.create, isCpu0, false);
  if (rt === null) return 'no_entry';
  const v = rep.sysctl.v;
  const log = isCpu0 && rep.logging;

  if (rt.ifp !== ifp) {
    // Normally a frame for an entry of another interface is ignored; not
    // when both sit on one bridge, or one is the other's bridge. Then the
    // entry moves to the bridge's own interface.
    const nifp = bridgeFix(ifp, rt.ifp);
    if (log && ((v.logArpWrongIface === 1 && nifp === null) || v.logArpWrongIface === 2)) {
      rep.emit('arp.wrong_iface', { ip: formatIpv4(u.saddr), mac: formatMac(u.sha), iface: ifp.name, expected: rt.ifp.name });
    }
    if (nifp === null) {
      if (isCpu0) rep.stats.wrongiface++;
      return 'wrong_iface';
    }
    ifp = nifp;
    rt.ifp = nifp;
  }

  const had = rt.hasLladdr();
  if (had && !rt.lladdrEquals(u.sha)) {
    if (rt.expire !== 0) {
      if (log && v.logArpMovements !== 0) {
        rep.emit('arp.moved', { ip: formatIpv4(u.saddr), from: formatMac(rt.lladdr!), to: formatMac(u.sha), iface: ifp.name });
      }
    } else {
      // Permanent entries are the administrator's: remote input never changes them.
      if (isCpu0) rep.stats.permmodify++;
      if (log && v.logArpPermanentModify !== 0) {
        rep.emit('arp.permanent_modify', { ip: formatIpv4(u.saddr), mac: formatMac(u.sha), iface: ifp.name });
      }
      return 'permanent';
    }
  }
  // Our entries hold 6-byte addresses; refuse a frame whose length differs
  // from the interface's (the seed logs both the change and the refusal).
  if (ifp.addrlen !== u.hln) {
    if (isCpu0) rep.stats.badaddrlen++;
    if (log) rep.emit('arp.drop', { reason: 'bad_addrlen', stage: 'update', iface: ifp.name, ip: formatIpv4(u.saddr), hln: u.hln });
    return 'bad_addrlen';
  }
  rt.setLladdr(u.sha);
  if (rt.expire !== 0) rt.expire = u.time + v.maxAge;
  rt.flags &= ~RTF_REJECT;
  setLlinfo(rt, 0, v.maxTries);
  if (log && rep.tracing && !had) rep.emit('arp.learned', { ip: formatIpv4(u.saddr), mac: formatMac(u.sha), iface: ifp.name });

  // This CPU may hold a packet for the entry: send it now.
  arpReleaseHeld(rep, rt, ifp);
  return 'updated';
}
