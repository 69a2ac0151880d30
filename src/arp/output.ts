/**
 * What ARP transmits on its own: requests (arprequest), and the packet
 * held while an entry resolved (arp_hold_output), plus the bookkeeping of
 * dropping a held packet.
 */
import { formatIpv4, formatMac, type Ipv4, type Mac } from '../wire/addr.js';
import { etherBridgeInterface, type Ifnet } from '../inet/ifnet.js';
import { buildArpRequest, buildIpv4Frame } from './frames.js';
import type { ArpRt, HeldPacket } from './llinfo.js';
import type { ArpReplica } from './replica.js';

export type RequestReason = 'resolve' | 'refresh' | 'gratuitous' | 'announce' | 'admin';

/**
 * arprequest: broadcast who-has `tip` from `sip`. `enaddr` is the sender
 * hardware address; null means the interface's own (the bridge's for a
 * bridge member). The Ethernet source is always the sending interface's
 * address (ether_output fills it in).
 */
export function arpRequest(rep: ArpReplica, ifp: Ifnet, sip: Ipv4, tip: Ipv4, enaddr: Mac | null, reason: RequestReason): void {
  const sha = enaddr ?? etherBridgeInterface(ifp).lladdr;
  buildArpRequest(rep.txArp, ifp.lladdr, sha, sip, tip);
  rep.stats.txrequests++;
  if (sip === tip) rep.stats.txannounces++;
  if (rep.tracing) rep.emit('arp.request_sent', { iface: ifp.name, spa: formatIpv4(sip), tpa: formatIpv4(tip), reason });
  rep.transmit(ifp, rep.txArp);
}

/** Transmit a held IPv4 packet to the entry's (now resolved) address on `ifp`. */
export function arpSendHeld(rep: ArpReplica, rt: ArpRt, held: HeldPacket, ifp: Ifnet): void {
  const frame = new Uint8Array(14 + held.bytes.length);
  const mac = rt.lladdr ?? 0;
  buildIpv4Frame(frame, mac, ifp.lladdr, held.bytes);
  rep.stats.heldsent++;
  if (rep.tracing) rep.emit('arp.held_sent', { ip: formatIpv4(rt.dst), mac: formatMac(mac), iface: ifp.name });
  rep.transmit(ifp, frame);
}

/** Free the packet held on this CPU for address `key` (int32), if any, counting it in `dropped`. */
export function arpDropHeld(rep: ArpReplica, key: number, reason: string): void {
  if (rep.held.size === 0) return;
  const h = rep.held.get(key);
  if (h === undefined) return;
  rep.held.delete(key);
  rep.stats.dropped++;
  if (rep.tracing) {
    rep.emit('arp.held_dropped', { ip: formatIpv4(key >>> 0), iface: rep.net.ifnetByIndex(h.ifindex)?.name ?? '?', reason });
  }
}

/** Send the packet held on this CPU for `rt`, if any (the entry just resolved), on `ifp`. */
export function arpReleaseHeld(rep: ArpReplica, rt: ArpRt, ifp: Ifnet): void {
  if (rep.held.size === 0) return;
  const h = rep.held.get(rt.key);
  if (h === undefined) return;
  rep.held.delete(rt.key);
  arpSendHeld(rep, rt, h, ifp);
}
