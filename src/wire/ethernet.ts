/**
 * Ethernet II (DIX) header: a reusable view over bytes and a value form.
 *
 * Layout (IEEE 802.3 clause 3.2, DIX framing): dst[0..6) src[6..12)
 * type[12..14), payload from 14. The FCS is not part of what links hand us.
 */

import { readMac, writeMac, type Mac } from './addr.js';
import { ByteView } from './view.js';

export const ETHER_ADDR_LEN = 6;
export const ETHER_TYPE_LEN = 2;
export const ETHER_HDR_LEN = 14;
/** Smallest frame on the wire without the FCS; the NIC pads shorter ones. */
export const ETHER_MIN_LEN = 60;
/** Largest untagged frame without the FCS (1500-byte MTU). */
export const ETHER_MAX_LEN = 1514;

export const ETHERTYPE_IP = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_REVARP = 0x8035;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Type/length values up to this are 802.3 lengths, not types. */
export const ETHER_MAX_LENGTH_FIELD = 1500;

/** Field offsets, in one place. */
const DST = 0;
const SRC = 6;
const TYPE = 12;

/** Result of checking an Ethernet header: 0 = ok. */
export const ETHER_OK = 0;
export const ETHER_RUNT = 1;
export type EtherReason = 'ok' | 'runt';
export const ETHER_REASON_NAMES: readonly EtherReason[] = ['ok', 'runt'];

/**
 * A view of an Ethernet II header at `off` in `buf`. Reusable: `reset`
 * points it at another frame without allocating. After `reset` returned
 * ETHER_OK no accessor reads out of bounds.
 */
export class EthernetFrame extends ByteView {
  /** Point at a frame and check it; never throws. Returns ETHER_OK or ETHER_RUNT. */
  reset(buf: Uint8Array, off = 0, len = buf.length - off): number {
    return this.point(buf, off, len) && this.len >= ETHER_HDR_LEN ? ETHER_OK : ETHER_RUNT;
  }

  get dst(): Mac { return readMac(this.buf, this.off + DST); }
  set dst(mac: Mac) { writeMac(this.buf, this.off + DST, mac); }
  get src(): Mac { return readMac(this.buf, this.off + SRC); }
  set src(mac: Mac) { writeMac(this.buf, this.off + SRC, mac); }
  get ethertype(): number {
    const b = this.buf, o = this.off + TYPE;
    return (b[o]! << 8) | b[o + 1]!;
  }
  set ethertype(t: number) {
    this.buf[this.off + TYPE] = t >>> 8;
    this.buf[this.off + TYPE + 1] = t;
  }
  /** Absolute offset of the payload in `buf`. */
  get payloadOffset(): number { return this.off + ETHER_HDR_LEN; }
  get payloadLength(): number { return this.len - ETHER_HDR_LEN; }
}

/** The value form of an Ethernet II header. */
export interface EthernetRepr {
  dst: Mac;
  src: Mac;
  ethertype: number;
}

/** Read the header of a checked view (undefined if the view is a runt). */
export function parseEthernet(view: EthernetFrame): EthernetRepr | undefined {
  if (view.len < ETHER_HDR_LEN) return undefined;
  return { dst: view.dst, src: view.src, ethertype: view.ethertype };
}

/**
 * Write an Ethernet II header at `off`; returns the offset just past it
 * (where the payload goes). Throws RangeError if `buf` is too short: that
 * is a caller bug, not hostile input.
 */
export function emitEthernet(buf: Uint8Array, off: number, dst: Mac, src: Mac, type: number): number {
  if (off < 0 || off + ETHER_HDR_LEN > buf.length) {
    throw new RangeError(`emitEthernet: needs ${ETHER_HDR_LEN} bytes at offset ${off}, buffer has ${buf.length}`);
  }
  writeMac(buf, off + DST, dst);
  writeMac(buf, off + SRC, src);
  buf[off + TYPE] = type >>> 8;
  buf[off + TYPE + 1] = type;
  return off + ETHER_HDR_LEN;
}

/** Ethertype of a frame at `off`, or -1 if the frame is shorter than a header. Allocates nothing. */
export function frameEthertype(frame: Uint8Array, off = 0, len = frame.length - off): number {
  if (len < ETHER_HDR_LEN || off + ETHER_HDR_LEN > frame.length || !(off >= 0)) return -1;
  return (frame[off + TYPE]! << 8) | frame[off + TYPE + 1]!;
}
