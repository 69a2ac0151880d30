/**
 * arp_rtrequest: ARP's route hook (rt_ifa->ifa_rtrequest for addresses on
 * Ethernet interfaces), and arp_ifaddr / arp_gratuitous (a gratuitous
 * request for each address added).
 */
import { IPV4_ANY, isIpv4Multicast, ipv4MulticastMac } from '../wire/addr.js';
import { RTF_ANNOUNCE, RTF_CLONING, RTF_GATEWAY, RTF_LLINFO, RTF_PROXY } from '../route/rtentry.js';
import { RTM_ADD, RTM_DELETE, RTM_RESOLVE, type RtRequestCmd } from '../route/table.js';
import { IFT_LOOP, type InIfaddr } from '../inet/ifnet.js';
import { inBroadcast } from '../inet/in.js';
import { LLINFO_NEW, type ArpRt } from './llinfo.js';
import { arpDropHeld, arpRequest } from './output.js';
import type { ArpReplica } from './replica.js';

/**
 * Called by the route table after `rt` was added (RTM_ADD) or cloned
 * (RTM_RESOLVE), and after it left the table (RTM_DELETE).
 */
export function arpRtRequest(rep: ArpReplica, cmd: RtRequestCmd, rt: ArpRt): void {
  if ((rt.flags & RTF_GATEWAY) !== 0) return;
  if (cmd === RTM_DELETE) {
    if (rt.llinfo === null) return;
    rt.llinfo = null;
    rt.flags &= ~RTF_LLINFO;
    if ((rt.flags & RTF_PROXY) === 0) arpDropHeld(rep, rt.key, 'deleted');
    return;
  }
  if (cmd === RTM_ADD) {
    // A network route to the interface (any mask but all-ones; a published
    // entry is the all-ones case) clones the ARP entries: its link-level
    // gateway is empty and it "expires now", which every clone inherits
    // and which marks the clones dynamic.
    if (rt.isNet) rt.flags |= RTF_CLONING;
    if ((rt.flags & RTF_CLONING) !== 0) {
      rt.setLladdr(null);
      rt.expire = rep.now();
      return;
    }
    // A published entry announces itself (with the published address as sender hardware address).
    if ((rt.flags & RTF_ANNOUNCE) !== 0 && rep.reporting) {
      arpRequest(rep, rt.ifp, rt.dst, rt.dst, rt.lladdr ?? rt.ifp.lladdr, 'announce');
    }
  }
  // RTM_ADD of a host route, or RTM_RESOLVE: attach the llinfo.
  if (cmd !== RTM_ADD && cmd !== RTM_RESOLVE) return;
  if (rt.llinfo !== null) return; // a route change
  rt.llinfo = LLINFO_NEW;
  rt.flags |= RTF_LLINFO;
  const dst = rt.dst;
  // Multicast and broadcast destinations map directly and never expire,
  // which also keeps them from showing as unresolved in `arp -a`.
  if (isIpv4Multicast(dst)) {
    rt.setLladdr(ipv4MulticastMac(dst));
    rt.expire = 0;
  }
  if (inBroadcast(dst, rt.ifp)) {
    rt.setLladdr(rt.ifp.broadcastLladdr);
    rt.expire = 0;
  }
  // Our own address: permanent, our own MAC, and through the loopback
  // interface unless useloopback is 0 (then the hardware must hear itself).
  if (rt.ifa !== null && dst === rt.ifa.addr) {
    rt.expire = 0;
    rt.setLladdr(rt.ifp.lladdr);
    if (rep.sysctl.v.useLoopback !== 0) rt.ifp = rep.net.lo0;
  }
}

/**
 * arp_ifaddr: an address was added (or deleted) on an interface. On add,
 * announce it with a gratuitous request (arp_gratuitous), except 0.0.0.0.
 * Every replica sees the event; only the reporting one (CPU0) transmits.
 */
export function arpIfAddr(rep: ArpReplica, ia: InIfaddr, event: 'add' | 'delete'): void {
  if (event === 'delete') return;
  if (!rep.gratuitous || !rep.reporting) return;
  if (ia.ifp.type === IFT_LOOP) return;
  arpGratuitous(rep, ia);
}

/** arp_gratuitous: who-has my address, tell my address. */
export function arpGratuitous(rep: ArpReplica, ia: InIfaddr): void {
  if (ia.addr === IPV4_ANY) return;
  arpRequest(rep, ia.ifp, ia.addr, ia.addr, null, 'gratuitous');
}
