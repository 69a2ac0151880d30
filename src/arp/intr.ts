/**
 * arpintr: the checks every received ARP frame passes before in_arpinput,
 * made by the netisr (one thread, no replica state). DragonFly checks the
 * fixed header, the hardware type (Ethernet or IEEE 802), the length the
 * header claims and the protocol; the wire view adds hln/pln/opcode checks
 * (see ArpPacket.check) and ether_demux drops ARP on a `noarp` interface
 * first.
 */
import { readMac, type Mac } from '../wire/addr.js';
import { IFF_NOARP } from '../inet/ifnet.js';
import { ARP_NOT_ARP, ARP_OK, classifyFrame, type ArpPacket } from '../wire/arp.js';
import { ETHERTYPE_ARP, ETHER_HDR_LEN, frameEthertype } from '../wire/ethernet.js';
import { DROP_NOARP, DROP_OTHER_HOST, type ArpStat } from './stats.js';

/** What arpIntr needs of the receiving interface. */
export interface ArpIntrIf {
  /** Station address(es) we accept unicast frames for: the interface's, and its bridge's. */
  readonly lladdr: Mac;
  /** IFF_* flags: IFF_NOARP (0x80) matters. */
  readonly flags: number;
  readonly bridge?: { readonly ifp: { readonly lladdr: Mac } } | null;
}


/**
 * Check one frame received on `ifp`. On 0 (ARP_OK) `view` points at a
 * valid Ethernet/IPv4 request or reply inside `frame`; otherwise the result
 * is the DROP_* reason code. Counts `rxframes`, then `received` or the
 * reason in `stats`. Allocates nothing, never throws.
 *
 * Before the ARP checks, what ether_input/ether_demux do to an ARP frame:
 * a unicast frame for another station is dropped (we are not promiscuous),
 * and so is ARP on a `noarp` interface.
 */
export function arpIntr(view: ArpPacket, frame: Uint8Array, ifp: ArpIntrIf, stats: ArpStat, len = frame.length): number {
  stats.rxframes++;
  if (len > frame.length) len = frame.length;
  if (len >= ETHER_HDR_LEN && (frame[0]! & 1) === 0) {
    const dst = readMac(frame, 0);
    if (dst !== ifp.lladdr && (ifp.bridge == null || dst !== ifp.bridge.ifp.lladdr)) {
      stats.drops[DROP_OTHER_HOST]!++;
      return DROP_OTHER_HOST;
    }
  }
  if ((ifp.flags & IFF_NOARP) !== 0 && frameEthertype(frame, 0, len) === ETHERTYPE_ARP) {
    stats.drops[DROP_NOARP]!++;
    return DROP_NOARP;
  }
  const code = classifyFrame(view, frame, 0, len);
  if (code !== ARP_OK) {
    stats.drops[code]!++;
    return code;
  }
  stats.received++;
  return ARP_OK;
}

export { ARP_NOT_ARP };
