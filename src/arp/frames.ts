/**
 * The frames ARP itself sends, built into caller-owned buffers (no
 * allocation): requests as arpreq_alloc/arpreq_send build them, replies as
 * in_arpinput turns a request around, and the Ethernet frame of an IPv4
 * packet leaving through ether_output after resolution.
 */
import { MAC_BROADCAST, writeIpv4, writeMac, type Ipv4, type Mac } from '../wire/addr.js';
import { ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN } from '../wire/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IP, ETHER_HDR_LEN, emitEthernet } from '../wire/ethernet.js';

export { ARP_FRAME_LEN };

/** Write an Ethernet/IPv4 ARP packet with an explicit hardware type. */
function writeArp(buf: Uint8Array, off: number, hrd: number, op: number, sha: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): void {
  buf[off] = hrd >>> 8; buf[off + 1] = hrd;
  buf[off + 2] = ETHERTYPE_IP >>> 8; buf[off + 3] = ETHERTYPE_IP & 0xff;
  buf[off + 4] = 6; buf[off + 5] = 4;
  buf[off + 6] = op >>> 8; buf[off + 7] = op;
  writeMac(buf, off + 8, sha);
  writeIpv4(buf, off + 14, spa);
  writeMac(buf, off + 18, tha);
  writeIpv4(buf, off + 24, tpa);
}

/**
 * arprequest: a broadcast who-has `tpa` from (`sha`, `spa`), target hardware
 * address zero. A gratuitous request has spa == tpa. Returns 42.
 */
export function buildArpRequest(buf: Uint8Array, ethSrc: Mac, sha: Mac, spa: Ipv4, tpa: Ipv4): number {
  emitEthernet(buf, 0, MAC_BROADCAST, ethSrc, ETHERTYPE_ARP);
  writeArp(buf, ETHER_HDR_LEN, ARPHRD_ETHER, ARPOP_REQUEST, sha, spa, 0, tpa);
  return ARP_FRAME_LEN;
}

/**
 * in_arpinput's reply: the request's sender becomes the target (and the
 * Ethernet destination), `sha`/`spa` are what we answer with. The hardware
 * type is the request's own (the seed edits the received packet in place
 * and leaves ar_hrd alone); the protocol type is forced to IPv4. Returns 42.
 */
export function buildArpReply(buf: Uint8Array, hrd: number, ethSrc: Mac, sha: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): number {
  emitEthernet(buf, 0, tha, ethSrc, ETHERTYPE_ARP);
  writeArp(buf, ETHER_HDR_LEN, hrd, ARPOP_REPLY, sha, spa, tha, tpa);
  return ARP_FRAME_LEN;
}

/** An IPv4 packet in an Ethernet II frame; returns the frame length. */
export function buildIpv4Frame(buf: Uint8Array, dst: Mac, src: Mac, packet: Uint8Array): number {
  emitEthernet(buf, 0, dst, src, ETHERTYPE_IP);
  buf.set(packet, ETHER_HDR_LEN);
  return ETHER_HDR_LEN + packet.length;
}
