/**
 * ARP (RFC 826) packets: a reusable zero-copy view with variable address
 * lengths, the checks `arpintr` makes before `in_arpinput`, and the value
 * form for Ethernet + IPv4.
 *
 * Layout: hrd[0..2) pro[2..4) hln[4] pln[5] op[6..8), then
 * sha[8, 8+hln) spa[.., +pln) tha[.., +hln) tpa[.., +pln).
 */

import { readIpv4, readMac, writeIpv4, writeMac, type Ipv4, type Mac } from './addr.js';
import { ETHERTYPE_ARP, ETHERTYPE_IP, ETHER_HDR_LEN, emitEthernet } from './ethernet.js';
import { ByteView } from './view.js';

export const ARPHRD_ETHER = 1;
export const ARPHRD_IEEE802 = 6;
export const ARPHRD_FRELAY = 15;
export const ARPHRD_IEEE1394 = 24;
export const ARPHRD_INFINIBAND = 32;

export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const ARPOP_REVREQUEST = 3; // RFC 903 RARP
export const ARPOP_REVREPLY = 4;
export const ARPOP_INVREQUEST = 8; // RFC 2390 InARP
export const ARPOP_INVREPLY = 9;

/** The fixed part: hrd, pro, hln, pln, op. */
export const ARP_HDR_LEN = 8;
/** An Ethernet/IPv4 ARP packet: 8 + 2*6 + 2*4. */
export const ARP_ETHER_IPV4_LEN = 28;
/** An Ethernet/IPv4 ARP frame as the kernel hands it to the driver (no padding). */
export const ARP_FRAME_LEN = ETHER_HDR_LEN + ARP_ETHER_IPV4_LEN;

/**
 * Why a frame is not an ARP packet we process, as numbers so per-reason
 * counters are plain arrays. Numbered in the order the checks run.
 */
export const ARP_OK = 0;
/** Fewer bytes than a header: the Ethernet header, or ARP's 8-byte fixed part. */
export const ARP_RUNT = 1;
/** Ethernet type is not ARP (only from classifyFrame). */
export const ARP_NOT_ARP = 2;
/** Hardware type neither Ethernet (1) nor IEEE 802 (6). */
export const ARP_BAD_HRD = 3;
/** Fewer bytes than 8 + 2*hln + 2*pln. */
export const ARP_TRUNCATED = 4;
/** Protocol type is not IPv4. */
export const ARP_BAD_PRO = 5;
/** Hardware address length is not 6. */
export const ARP_BAD_HLN = 6;
/** Protocol address length is not 4. */
export const ARP_BAD_PLN = 7;
/** Opcode is neither request nor reply. */
export const ARP_BAD_OP = 8;

export type ArpReason =
  | 'ok' | 'runt' | 'not_arp' | 'bad_hrd' | 'truncated'
  | 'bad_pro' | 'bad_hln' | 'bad_pln' | 'bad_op';

/** Reason name by code: `ARP_REASON_NAMES[code]`. */
export const ARP_REASON_NAMES: readonly ArpReason[] = [
  'ok', 'runt', 'not_arp', 'bad_hrd', 'truncated', 'bad_pro', 'bad_hln', 'bad_pln', 'bad_op',
];
/** Code by reason name. */
export const ARP_REASON_CODES: Readonly<Record<ArpReason, number>> = {
  ok: ARP_OK, runt: ARP_RUNT, not_arp: ARP_NOT_ARP, bad_hrd: ARP_BAD_HRD,
  truncated: ARP_TRUNCATED, bad_pro: ARP_BAD_PRO, bad_hln: ARP_BAD_HLN,
  bad_pln: ARP_BAD_PLN, bad_op: ARP_BAD_OP,
};
/** Size of a counter array indexed by reason code. */
export const ARP_REASON_COUNT = ARP_REASON_NAMES.length;

export function arpReasonName(code: number): ArpReason | undefined {
  return ARP_REASON_NAMES[code];
}

/**
 * The numbers the per-frame path uses, as a const enum so tsc writes them
 * in as literals: smaller bytecode than module-variable loads, which keeps
 * classifyFrame + check + the getters inside V8's inlining budget (a getter
 * left out returns its MAC as a fresh heap number). Same values as the
 * exported constants above; the tests exercise every one.
 */
const enum K {
  Ok = 0, Runt = 1, NotArp = 2, BadHrd = 3, Truncated = 4, BadPro = 5, BadHln = 6, BadPln = 7, BadOp = 8,
  HdrLen = 8, EtherHdrLen = 14, EtherTypeAt = 12, TypeArp = 0x0806, TypeIp = 0x0800,
  HrdEther = 1, HrdIeee802 = 6, OpRequest = 1, OpReply = 2,
  // Address offsets in the Ethernet/IPv4 layout (hln 6, pln 4).
  Sha = 8, Spa = 14, Tha = 18, Tpa = 24,
}

/**
 * A view of an ARP packet at `off` in `buf`. One instance is meant to be
 * reused for any number of packets: `reset` re-points and checks it and
 * allocates nothing. After `reset` returned ARP_OK every accessor is in
 * bounds and the packet is Ethernet/IPv4 with opcode request or reply.
 *
 * Accessors do not re-check: on a view that failed its check (or was only
 * `wrap`ped) they may read past `len` and return garbage (missing bytes
 * read as 0), but never throw.
 *
 * Two kinds of address access: `shaOffset`..`tpaOffset` follow hln/pln
 * (any hardware/protocol), while `sha`/`spa`/`tha`/`tpa` read the
 * Ethernet/IPv4 layout (hln 6, pln 4: offsets 8, 14, 18, 24), which is what
 * a view that passed its check holds. Fixed offsets keep the getters small
 * enough to be inlined into hot loops: a MAC (or an IPv4 address from
 * 128.0.0.0 up) is not a small integer, so a getter call V8 does not inline
 * returns it as a freshly allocated heap number.
 */
export class ArpPacket extends ByteView {
  /** Result of the last `reset` or `classifyFrame` (an ARP_* code). */
  reason = ARP_RUNT;

  /**
   * Point at `len` bytes at `off` in `buf` and check them; returns an ARP_*
   * reason code (ARP_OK = 0). Never throws, whatever the bytes, offset or
   * length; `len` is clamped to the buffer.
   */
  reset(buf: Uint8Array, off = 0, len = buf.length - off): number {
    return (this.reason = this.point(buf, off, len) ? this.check() : ARP_RUNT);
  }

  /**
   * The checks, in the order DragonFly's arpintr makes them: fixed header
   * present, hardware type, whole packet present (by its own hln/pln),
   * protocol type. Then ours, which the kernel makes later or not at all:
   * hln (arp_update_oncpu ignores a length that differs from the
   * interface's), pln (in_arpinput assumes 4), opcode (in_arpinput treats
   * anything but a request like a reply; we drop it).
   */
  check(): number {
    const b = this.buf, o = this.off, n = this.len;
    if (n < K.HdrLen) return K.Runt;
    const hrd = (b[o]! << 8) | b[o + 1]!;
    if (hrd !== K.HrdEther && hrd !== K.HrdIeee802) return K.BadHrd;
    const hln = b[o + 4]!, pln = b[o + 5]!;
    if (n < K.HdrLen + 2 * (hln + pln)) return K.Truncated;
    if (((b[o + 2]! << 8) | b[o + 3]!) !== K.TypeIp) return K.BadPro;
    if (hln !== 6) return K.BadHln;
    if (pln !== 4) return K.BadPln;
    const op = (b[o + 6]! << 8) | b[o + 7]!;
    return op === K.OpRequest || op === K.OpReply ? K.Ok : K.BadOp;
  }

  get hrd(): number { return (this.buf[this.off]! << 8) | this.buf[this.off + 1]!; }
  set hrd(v: number) { this.buf[this.off] = v >>> 8; this.buf[this.off + 1] = v; }
  get pro(): number { return (this.buf[this.off + 2]! << 8) | this.buf[this.off + 3]!; }
  set pro(v: number) { this.buf[this.off + 2] = v >>> 8; this.buf[this.off + 3] = v; }
  get hln(): number { return this.buf[this.off + 4]!; }
  set hln(v: number) { this.buf[this.off + 4] = v; }
  get pln(): number { return this.buf[this.off + 5]!; }
  set pln(v: number) { this.buf[this.off + 5] = v; }
  get op(): number { return (this.buf[this.off + 6]! << 8) | this.buf[this.off + 7]!; }
  set op(v: number) { this.buf[this.off + 6] = v >>> 8; this.buf[this.off + 7] = v; }

  /** Offsets of the address fields from the packet start, from hln/pln (any format). */
  get shaOffset(): number { return ARP_HDR_LEN; }
  get spaOffset(): number { return ARP_HDR_LEN + this.hln; }
  get thaOffset(): number { return ARP_HDR_LEN + this.hln + this.pln; }
  get tpaOffset(): number { return ARP_HDR_LEN + 2 * this.hln + this.pln; }
  /** Length the packet claims: 8 + 2*hln + 2*pln. */
  get packetLength(): number { return ARP_HDR_LEN + 2 * (this.hln + this.pln); }

  // Addresses in the Ethernet/IPv4 layout (hln 6, pln 4).
  get sha(): Mac { return readMac(this.buf, this.off + K.Sha); }
  set sha(v: Mac) { writeMac(this.buf, this.off + K.Sha, v); }
  get spa(): Ipv4 { return readIpv4(this.buf, this.off + K.Spa); }
  set spa(v: Ipv4) { writeIpv4(this.buf, this.off + K.Spa, v); }
  get tha(): Mac { return readMac(this.buf, this.off + K.Tha); }
  set tha(v: Mac) { writeMac(this.buf, this.off + K.Tha, v); }
  get tpa(): Ipv4 { return readIpv4(this.buf, this.off + K.Tpa); }
  set tpa(v: Ipv4) { writeIpv4(this.buf, this.off + K.Tpa, v); }
}

/**
 * The per-frame check of the netisr: Ethernet header present, type ARP,
 * then the ARP checks on the payload (trailer padding is fine). On ARP_OK
 * `view` points at the ARP packet. Allocates nothing; never throws.
 * 802.1Q-tagged frames are 'not_arp': our links carry untagged frames.
 */
export function classifyFrame(view: ArpPacket, frame: Uint8Array, off: number = 0, len: number = frame.length - off): number {
  const avail = frame.length - off;
  if (len > avail) len = avail;
  view.buf = frame;
  if (!(off >= 0) || !(len >= K.EtherHdrLen)) {
    view.off = 0;
    view.len = 0;
    return (view.reason = K.Runt);
  }
  view.off = off + K.EtherHdrLen;
  view.len = len - K.EtherHdrLen;
  return (view.reason = ((frame[off + K.EtherTypeAt]! << 8) | frame[off + K.EtherTypeAt + 1]!) === K.TypeArp
    ? view.check() : K.NotArp);
}

export type ArpOperation = typeof ARPOP_REQUEST | typeof ARPOP_REPLY;

/** An Ethernet/IPv4 ARP request or reply as a value (smoltcp's Repr). */
export interface ArpRepr {
  op: ArpOperation;
  sha: Mac;
  spa: Ipv4;
  tha: Mac;
  tpa: Ipv4;
}

/**
 * The value of a view, or undefined when the view's bytes are not a valid
 * Ethernet/IPv4 request or reply (it re-runs the check, so an unchecked
 * view is safe to pass). Allocates the returned object: not for hot loops,
 * which read the view's getters instead.
 */
export function parseArp(view: ArpPacket): ArpRepr | undefined {
  if (view.check() !== ARP_OK) return undefined;
  return { op: view.op as ArpOperation, sha: view.sha, spa: view.spa, tha: view.tha, tpa: view.tpa };
}

/**
 * Write `repr` as a 28-byte Ethernet/IPv4 ARP packet at `off`; returns the
 * bytes written. The hardware type defaults to Ethernet, as DragonFly's
 * arpreq_alloc writes it; a reply built from a received IEEE 802 request
 * may pass 6 (in_arpinput turns the packet around and keeps ar_hrd).
 * Throws RangeError if `buf` is too short (a caller bug).
 */
export function emitArp(repr: ArpRepr, buf: Uint8Array, off = 0, hrd: number = ARPHRD_ETHER): number {
  if (off < 0 || off + ARP_ETHER_IPV4_LEN > buf.length) {
    throw new RangeError(`emitArp: needs ${ARP_ETHER_IPV4_LEN} bytes at offset ${off}, buffer has ${buf.length}`);
  }
  buf[off] = hrd >>> 8; buf[off + 1] = hrd;
  buf[off + 2] = ETHERTYPE_IP >>> 8; buf[off + 3] = ETHERTYPE_IP & 0xff;
  buf[off + 4] = 6; buf[off + 5] = 4;
  buf[off + 6] = repr.op >>> 8; buf[off + 7] = repr.op;
  writeMac(buf, off + K.Sha, repr.sha);
  writeIpv4(buf, off + K.Spa, repr.spa);
  writeMac(buf, off + K.Tha, repr.tha);
  writeIpv4(buf, off + K.Tpa, repr.tpa);
  return ARP_ETHER_IPV4_LEN;
}

/**
 * Write a whole ARP frame (Ethernet header + packet) at `off`; returns its
 * length, 42. Not padded to the 60-byte Ethernet minimum: like the kernel we
 * hand 42 bytes to the link, and the NIC pads on the wire. Captures of
 * locally sent frames show 42 bytes too, and decoders accept them.
 */
export function emitArpFrame(buf: Uint8Array, ethDst: Mac, ethSrc: Mac, repr: ArpRepr, off = 0, hrd: number = ARPHRD_ETHER): number {
  if (off < 0 || off + ARP_FRAME_LEN > buf.length) {
    throw new RangeError(`emitArpFrame: needs ${ARP_FRAME_LEN} bytes at offset ${off}, buffer has ${buf.length}`);
  }
  emitEthernet(buf, off, ethDst, ethSrc, ETHERTYPE_ARP);
  emitArp(repr, buf, off + ETHER_HDR_LEN, hrd);
  return ARP_FRAME_LEN;
}
