/**
 * arpintr: the checks every received ARP frame passes before in_arpinput,
 * made by the netisr (one thread, no replica state). DragonFly checks the
 * fixed header, the hardware type (Ethernet or IEEE 802), the length the
 * header claims and the protocol; the wire view adds hln/pln/opcode checks
 * (see ArpPacket.check) and ether_demux drops ARP on a `noarp` interface
 * first.
 */
import { ARP_NOT_ARP, ARP_OK, classifyFrame, type ArpPacket } from '../wire/arp.js';
import { ETHERTYPE_ARP, frameEthertype } from '../wire/ethernet.js';
import { DROP_NOARP, type ArpStat } from './stats.js';

/**
 * Check one received frame. On 0 (ARP_OK) `view` points at a valid
 * Ethernet/IPv4 request or reply inside `frame`; otherwise the result is the
 * DROP_* reason code. Counts `rxframes`, then `received` or the reason in
 * `stats`. Allocates nothing, never throws.
 */
export function arpIntr(view: ArpPacket, frame: Uint8Array, noarp: boolean, stats: ArpStat, len = frame.length): number {
  stats.rxframes++;
  if (noarp && frameEthertype(frame, 0, len) === ETHERTYPE_ARP) {
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
