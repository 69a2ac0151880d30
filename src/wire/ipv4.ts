/**
 * Just enough IPv4 (RFC 791) and UDP (RFC 768) for the emulator's own
 * traffic: a header view for printing and tests, and an emitter of small
 * UDP datagrams (the contract's "UDP datagram to port 9").
 *
 * Header layout: ver/ihl[0] tos[1] len[2..4) id[4..6) flags/frag[6..8)
 * ttl[8] proto[9] cksum[10..12) src[12..16) dst[16..20), options to ihl*4.
 */

import { readIpv4, writeIpv4, type Ipv4 } from './addr.js';
import { ByteView } from './view.js';

export const IPV4_HDR_LEN = 20;
export const IPV4_MAX_LEN = 0xffff;
export const UDP_HDR_LEN = 8;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** RFC 863 discard service: where the emulator's own test datagrams go. */
export const DISCARD_PORT = 9;
export const IPV4_DEFAULT_TTL = 64;
/** Don't Fragment, in the flags/fragment-offset word. */
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFMASK = 0x1fff;

/** Why bytes are not an IPv4 header we can read; 0 = ok. */
export const IPV4_OK = 0;
export const IPV4_RUNT = 1;
export const IPV4_BAD_VERSION = 2;
/** Header length below 20 bytes. */
export const IPV4_BAD_IHL = 3;
/** Total length shorter than the header. */
export const IPV4_BAD_LEN = 4;
/** Fewer bytes than total length (or header length) says. */
export const IPV4_TRUNCATED = 5;
export type Ipv4Reason = 'ok' | 'runt' | 'bad_version' | 'bad_ihl' | 'bad_len' | 'truncated';
export const IPV4_REASON_NAMES: readonly Ipv4Reason[] = ['ok', 'runt', 'bad_version', 'bad_ihl', 'bad_len', 'truncated'];

/**
 * RFC 1071 Internet checksum of `len` bytes at `off`, folded and
 * complemented, with `initial` (an unfolded partial sum, e.g. of a
 * pseudo-header) added in.
 */
export function internetChecksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i === end) sum += buf[i]! << 8; // odd length: pad with a zero byte
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** A reusable view of an IPv4 header; after `reset` returned IPV4_OK the header and payload are in bounds. */
export class Ipv4Packet extends ByteView {
  /** Point at `len` bytes and check them; never throws. Returns an IPV4_* code. */
  reset(buf: Uint8Array, off = 0, len = buf.length - off): number {
    return this.point(buf, off, len) ? this.check() : IPV4_RUNT;
  }

  check(): number {
    if (this.len < IPV4_HDR_LEN) return IPV4_RUNT;
    if (this.version !== 4) return IPV4_BAD_VERSION;
    const hl = this.headerLength;
    if (hl < IPV4_HDR_LEN) return IPV4_BAD_IHL;
    const tl = this.totalLength;
    if (tl < hl) return IPV4_BAD_LEN;
    if (tl > this.len) return IPV4_TRUNCATED;
    return IPV4_OK;
  }

  get version(): number { return this.buf[this.off]! >>> 4; }
  get ihl(): number { return this.buf[this.off]! & 15; }
  get headerLength(): number { return (this.buf[this.off]! & 15) * 4; }
  get tos(): number { return this.buf[this.off + 1]!; }
  get totalLength(): number { return (this.buf[this.off + 2]! << 8) | this.buf[this.off + 3]!; }
  get ident(): number { return (this.buf[this.off + 4]! << 8) | this.buf[this.off + 5]!; }
  /** Flags and fragment offset word (IP_DF, IP_MF, IP_OFFMASK). */
  get fragWord(): number { return (this.buf[this.off + 6]! << 8) | this.buf[this.off + 7]!; }
  get ttl(): number { return this.buf[this.off + 8]!; }
  get proto(): number { return this.buf[this.off + 9]!; }
  get checksum(): number { return (this.buf[this.off + 10]! << 8) | this.buf[this.off + 11]!; }
  get src(): Ipv4 { return readIpv4(this.buf, this.off + 12); }
  get dst(): Ipv4 { return readIpv4(this.buf, this.off + 16); }
  /** Absolute offset of the payload in `buf`. */
  get payloadOffset(): number { return this.off + this.headerLength; }
  get payloadLength(): number { return this.totalLength - this.headerLength; }

  /** True when the header checksum verifies (sum over the header is 0). Needs a checked view. */
  checksumOk(): boolean {
    return internetChecksum(this.buf, this.off, this.headerLength) === 0;
  }
}

/** The value form of an IPv4 header without options. */
export interface Ipv4Repr {
  src: Ipv4;
  dst: Ipv4;
  proto: number;
  /** Bytes after the header. */
  payloadLen: number;
  ttl: number;
  id: number;
  /** Set the Don't Fragment bit (default false). */
  df?: boolean;
}

/** Value of a view whose check passes and whose checksum verifies; undefined otherwise. */
export function parseIpv4Header(view: Ipv4Packet): Ipv4Repr | undefined {
  if (view.check() !== IPV4_OK || !view.checksumOk()) return undefined;
  return {
    src: view.src, dst: view.dst, proto: view.proto,
    payloadLen: view.payloadLength, ttl: view.ttl, id: view.ident,
    df: (view.fragWord & IP_DF) !== 0,
  };
}

/** Write a 20-byte header (checksum filled in) at `off`; returns the offset of the payload. */
export function emitIpv4Header(repr: Ipv4Repr, buf: Uint8Array, off = 0): number {
  const total = IPV4_HDR_LEN + repr.payloadLen;
  if (!(repr.payloadLen >= 0) || total > IPV4_MAX_LEN) {
    throw new RangeError(`emitIpv4Header: payloadLen ${repr.payloadLen} out of range 0..${IPV4_MAX_LEN - IPV4_HDR_LEN}`);
  }
  if (off < 0 || off + IPV4_HDR_LEN > buf.length) {
    throw new RangeError(`emitIpv4Header: needs ${IPV4_HDR_LEN} bytes at offset ${off}, buffer has ${buf.length}`);
  }
  buf[off] = 0x45;
  buf[off + 1] = 0;
  buf[off + 2] = total >>> 8; buf[off + 3] = total;
  buf[off + 4] = repr.id >>> 8; buf[off + 5] = repr.id;
  const frag = repr.df === true ? IP_DF : 0;
  buf[off + 6] = frag >>> 8; buf[off + 7] = frag;
  buf[off + 8] = repr.ttl;
  buf[off + 9] = repr.proto;
  buf[off + 10] = 0; buf[off + 11] = 0;
  writeIpv4(buf, off + 12, repr.src);
  writeIpv4(buf, off + 16, repr.dst);
  const ck = internetChecksum(buf, off, IPV4_HDR_LEN);
  buf[off + 10] = ck >>> 8; buf[off + 11] = ck;
  return off + IPV4_HDR_LEN;
}

export interface UdpDatagramOptions {
  src: Ipv4;
  dst: Ipv4;
  srcPort: number;
  /** Default DISCARD_PORT (9). */
  dstPort?: number;
  /** UDP payload bytes (zeros unless `payload` is given). */
  payloadLen: number;
  id: number;
  /** Default 64. */
  ttl?: number;
  /** Copied in front of the payload (at most payloadLen bytes); the rest is zeros. */
  payload?: Uint8Array;
  /** Compute the UDP checksum (default true); false writes 0, "no checksum" (RFC 768). */
  udpChecksum?: boolean;
}

/** Partial (unfolded) sum of the RFC 768 pseudo-header. */
function pseudoHeaderSum(src: Ipv4, dst: Ipv4, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/**
 * Write an IPv4 + UDP datagram at `off`; returns its length (28 +
 * payloadLen). Throws RangeError on a caller bug (short buffer, bad port
 * or length).
 */
export function emitUdpDatagram(buf: Uint8Array, off: number, o: UdpDatagramOptions): number {
  const udpLen = UDP_HDR_LEN + o.payloadLen;
  const total = IPV4_HDR_LEN + udpLen;
  const dstPort = o.dstPort ?? DISCARD_PORT;
  if (!(o.payloadLen >= 0) || total > IPV4_MAX_LEN) {
    throw new RangeError(`emitUdpDatagram: payloadLen ${o.payloadLen} out of range 0..${IPV4_MAX_LEN - IPV4_HDR_LEN - UDP_HDR_LEN}`);
  }
  if (!isPort(o.srcPort) || !isPort(dstPort)) {
    throw new RangeError(`emitUdpDatagram: ports must be integers 0..65535 (srcPort ${o.srcPort}, dstPort ${dstPort})`);
  }
  if (off < 0 || off + total > buf.length) {
    throw new RangeError(`emitUdpDatagram: needs ${total} bytes at offset ${off}, buffer has ${buf.length}`);
  }
  const u = emitIpv4Header(
    { src: o.src, dst: o.dst, proto: IPPROTO_UDP, payloadLen: udpLen, ttl: o.ttl ?? IPV4_DEFAULT_TTL, id: o.id },
    buf, off);
  buf[u] = o.srcPort >>> 8; buf[u + 1] = o.srcPort;
  buf[u + 2] = dstPort >>> 8; buf[u + 3] = dstPort;
  buf[u + 4] = udpLen >>> 8; buf[u + 5] = udpLen;
  buf[u + 6] = 0; buf[u + 7] = 0;
  const data = u + UDP_HDR_LEN;
  buf.fill(0, data, data + o.payloadLen);
  if (o.payload !== undefined) {
    buf.set(o.payload.length > o.payloadLen ? o.payload.subarray(0, o.payloadLen) : o.payload, data);
  }
  if (o.udpChecksum !== false) {
    let ck = internetChecksum(buf, u, udpLen, pseudoHeaderSum(o.src, o.dst, IPPROTO_UDP, udpLen));
    if (ck === 0) ck = 0xffff; // RFC 768: a computed zero is sent as all ones
    buf[u + 6] = ck >>> 8; buf[u + 7] = ck;
  }
  return total;
}

function isPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 0xffff;
}

/** True when the UDP checksum of a datagram in a checked view verifies (or is 0, "none"). */
export function udpChecksumOk(view: Ipv4Packet): boolean {
  const u = view.payloadOffset, n = view.payloadLength;
  if (n < UDP_HDR_LEN) return false;
  const b = view.buf;
  if (((b[u + 6]! << 8) | b[u + 7]!) === 0) return true;
  const udpLen = (b[u + 4]! << 8) | b[u + 5]!;
  if (udpLen < UDP_HDR_LEN || udpLen > n) return false;
  return internetChecksum(b, u, udpLen, pseudoHeaderSum(view.src, view.dst, IPPROTO_UDP, udpLen)) === 0;
}
