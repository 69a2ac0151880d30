/**
 * The frames ARP itself sends, built into caller-owned buffers (no
 * allocation): requests as arpreq_alloc/arpreq_send build them, replies as
 * in_arpinput turns a request around, and the Ethernet frame of an IPv4
 * packet leaving through ether_output after resolution.
 *
 * ARP frames are written field by field at fixed offsets (the Ethernet/IPv4
 * layout, RFC 826): a reply is built for every request we answer, and this
 * is several times faster than composing the generic wire encoders.
 */
import { MAC_BROADCAST, type Ipv4, type Mac } from '../wire/addr.js';
import { ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN } from '../wire/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IP, ETHER_HDR_LEN, emitEthernet } from '../wire/ethernet.js';

export { ARP_FRAME_LEN };

function putMac(b: Uint8Array, o: number, mac: Mac): void {
  const hi = (mac / 0x1_0000_0000) | 0; // mac < 2^48: the high 16 bits
  const lo = mac >>> 0;
  b[o] = hi >>> 8; b[o + 1] = hi;
  b[o + 2] = lo >>> 24; b[o + 3] = lo >>> 16; b[o + 4] = lo >>> 8; b[o + 5] = lo;
}

function putIp(b: Uint8Array, o: number, ip: Ipv4): void {
  b[o] = ip >>> 24; b[o + 1] = ip >>> 16; b[o + 2] = ip >>> 8; b[o + 3] = ip;
}

/** Ethernet header to `dst` from `src`, then an Ethernet/IPv4 ARP packet (42 bytes in all). */
function putArpFrame(b: Uint8Array, dst: Mac, src: Mac, hrd: number, op: number, sha: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): number {
  if (b.length < ARP_FRAME_LEN) throw new RangeError(`ARP frame needs ${ARP_FRAME_LEN} bytes, buffer has ${b.length}`);
  putMac(b, 0, dst);
  putMac(b, 6, src);
  b[12] = ETHERTYPE_ARP >>> 8; b[13] = ETHERTYPE_ARP & 0xff;
  b[14] = hrd >>> 8; b[15] = hrd;
  b[16] = ETHERTYPE_IP >>> 8; b[17] = ETHERTYPE_IP & 0xff;
  b[18] = 6; b[19] = 4;
  b[20] = op >>> 8; b[21] = op;
  putMac(b, 22, sha);
  putIp(b, 28, spa);
  putMac(b, 32, tha);
  putIp(b, 38, tpa);
  return ARP_FRAME_LEN;
}

/**
 * arprequest: a broadcast who-has `tpa` from (`sha`, `spa`), target hardware
 * address zero. A gratuitous request has spa == tpa. Returns 42.
 */
export function buildArpRequest(buf: Uint8Array, ethSrc: Mac, sha: Mac, spa: Ipv4, tpa: Ipv4): number {
  return putArpFrame(buf, MAC_BROADCAST, ethSrc, ARPHRD_ETHER, ARPOP_REQUEST, sha, spa, 0, tpa);
}

/**
 * in_arpinput's reply: the request's sender becomes the target (and the
 * Ethernet destination), `sha`/`spa` are what we answer with. The hardware
 * type is the request's own (the seed edits the received packet in place
 * and leaves ar_hrd alone); the protocol type is forced to IPv4. Returns 42.
 */
export function buildArpReply(buf: Uint8Array, hrd: number, ethSrc: Mac, sha: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): number {
  return putArpFrame(buf, tha, ethSrc, hrd, ARPOP_REPLY, sha, spa, tha, tpa);
}

/** An IPv4 packet in an Ethernet II frame; returns the frame length. */
export function buildIpv4Frame(buf: Uint8Array, dst: Mac, src: Mac, packet: Uint8Array): number {
  emitEthernet(buf, 0, dst, src, ETHERTYPE_IP);
  buf.set(packet, ETHER_HDR_LEN);
  return ETHER_HDR_LEN + packet.length;
}
