/**
 * pcapng block decoding (draft-ietf-opsawg-pcapng): what Wireshark saves by
 * default. Only the blocks a packet reader needs are decoded: Section Header
 * (SHB), Interface Description (IDB), Enhanced Packet (EPB), Simple Packet
 * (SPB) and the obsolete Packet Block; every other block (name resolution,
 * statistics, custom, ...) is skipped by its length.
 *
 * This file sees one whole block at a time; framing, streaming and error
 * objects are pcap.ts's job (`CaptureReader`). Decoders return a reason
 * string on bad bytes and never throw.
 */

import type { CaptureRecord } from './pcap.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
/** Obsolete Packet Block (pcapng drafts before EPB). */
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;

/** Byte-order magic inside the SHB, read in the section's own order. */
export const PCAPNG_BOM = 0x1a2b3c4d;
/** Block type + total length before the body, total length after it. */
export const PCAPNG_BLOCK_OVERHEAD = 12;
/** Refuse blocks above this: a corrupt length must not make us buffer gigabytes. */
export const PCAPNG_MAX_BLOCK = 16 * 1024 * 1024;

const OPT_ENDOFOPT = 0;
/** IDB option: timestamp resolution, one byte (see tsUnitsPerSecond). */
const OPT_IF_TSRESOL = 9;
/** IDB option: seconds added to every timestamp of the interface. */
const OPT_IF_TSOFFSET = 14;

export interface PcapngInterface {
  linkType: number;
  /** 0 means no limit. */
  snaplen: number;
  /** Timestamp units per second (if_tsresol; 1e6 when absent). */
  unitsPerSecond: number;
  /** if_tsoffset, whole seconds. */
  tsOffset: number;
}

/** Per-section decoding state: byte order and the interfaces declared so far. */
export class PcapngSection {
  littleEndian = true;
  interfaces: PcapngInterface[] = [];
  /** Time of the last timestamped packet: an SPB, which has none, inherits it. */
  lastSec = 0;
  lastNsec = 0;

  reset(littleEndian: boolean): void {
    this.littleEndian = littleEndian;
    this.interfaces = [];
  }
}

/**
 * if_tsresol: the high bit picks the base, the rest is the exponent:
 * 0b0xxxxxxx means 10^-x seconds, 0b1xxxxxxx means 2^-x seconds.
 */
export function tsUnitsPerSecond(tsresol: number): number {
  const e = tsresol & 0x7f;
  return (tsresol & 0x80) !== 0 ? 2 ** e : 10 ** e;
}

/**
 * Split a 64-bit timestamp (hi:lo, in 1/ups seconds) into whole seconds and
 * nanoseconds into `out`. Exact with doubles while the count fits in 53 bits
 * (microseconds until year 2255); BigInt beyond that (nanoseconds today).
 */
export function splitTimestamp(hi: number, lo: number, ups: number, out: { sec: number; nsec: number }): void {
  if (hi < 0x20_0000 && Number.isSafeInteger(ups)) {
    const units = hi * 0x1_0000_0000 + lo;
    const sec = Math.floor(units / ups);
    const rem = units - sec * ups;
    out.sec = sec;
    out.nsec = ups === 1e6 ? rem * 1000 : ups === 1e9 ? rem : Math.floor((rem * 1e9) / ups);
    return;
  }
  if (!Number.isSafeInteger(ups)) {
    // An absurd resolution (beyond 2^53 units a second): good to the float.
    const t = (hi * 0x1_0000_0000 + lo) / ups;
    out.sec = Math.floor(t);
    out.nsec = Math.floor((t - out.sec) * 1e9);
    return;
  }
  const units = (BigInt(hi) << 32n) | BigInt(lo);
  const u = BigInt(ups);
  const sec = units / u;
  out.sec = Number(sec);
  out.nsec = Number(((units - sec * u) * 1_000_000_000n) / u);
}

function u16(b: DataView, o: number, le: boolean): number { return b.getUint16(o, le); }
function u32(b: DataView, o: number, le: boolean): number { return b.getUint32(o, le); }

/**
 * The SHB's byte order, from its byte-order magic at offset 8 of the block;
 * undefined when the magic is neither order (not pcapng, or corrupt).
 */
export function shbByteOrder(v: DataView, off: number): boolean | undefined {
  const m = v.getUint32(off + 8, true);
  if (m === PCAPNG_BOM) return true;
  if (m === 0x4d3c2b1a) return false;
  return undefined;
}

/** Check an SHB (whole block at `off`, `len` bytes) and start a new section. */
export function decodeShb(v: DataView, off: number, len: number, s: PcapngSection): string | undefined {
  const le = shbByteOrder(v, off);
  if (le === undefined) return 'section header has no byte-order magic';
  if (len < 28) return `section header block too short (${len} bytes)`;
  const major = u16(v, off + 12, le);
  if (major !== 1) return `pcapng major version ${major} is not supported (only 1)`;
  // Section length (offset 16, 64 bits) is -1 or a hint; we walk blocks anyway.
  s.reset(le);
  return undefined;
}

/**
 * Walk the options of a block from `o` to `end`, calling `fn` for each
 * (code, value offset, value length). Returns a reason on a malformed list.
 */
function walkOptions(
  v: DataView, o: number, end: number, le: boolean,
  fn: (code: number, at: number, n: number) => void,
): string | undefined {
  while (o + 4 <= end) {
    const code = u16(v, o, le), n = u16(v, o + 2, le);
    if (code === OPT_ENDOFOPT) return undefined;
    const next = o + 4 + ((n + 3) & ~3);
    if (o + 4 + n > end) return `option ${code} runs past its block`;
    fn(code, o + 4, n);
    o = next;
  }
  return undefined;
}

/** Decode an IDB and append the interface to the section. */
export function decodeIdb(v: DataView, off: number, len: number, s: PcapngSection): string | undefined {
  const le = s.littleEndian;
  if (len < 20) return `interface description block too short (${len} bytes)`;
  const iface: PcapngInterface = {
    linkType: u16(v, off + 8, le),
    snaplen: u32(v, off + 12, le),
    unitsPerSecond: 1e6,
    tsOffset: 0,
  };
  const bad = walkOptions(v, off + 16, off + len - 4, le, (code, at, n) => {
    if (code === OPT_IF_TSRESOL && n >= 1) {
      iface.unitsPerSecond = tsUnitsPerSecond(v.getUint8(at));
    } else if (code === OPT_IF_TSOFFSET && n >= 8) {
      // Signed 64-bit seconds; anything that matters fits a double.
      const hi = v.getInt32(le ? at + 4 : at, le), lo = v.getUint32(le ? at : at + 4, le);
      iface.tsOffset = hi * 0x1_0000_0000 + lo;
    }
  });
  if (bad !== undefined) return bad;
  s.interfaces.push(iface);
  return undefined;
}

const tsScratch = { sec: 0, nsec: 0 };

/**
 * Decode an EPB, SPB or obsolete PB (whole block in `bytes` at `off`, `len`
 * bytes, `v` a DataView over the same bytes) into `rec`; `rec.data` is a
 * subarray of `bytes`. Returns a reason on malformed bytes.
 */
export function decodePacketBlock(
  type: number, bytes: Uint8Array, v: DataView, off: number, len: number,
  s: PcapngSection, rec: CaptureRecord,
): string | undefined {
  const le = s.littleEndian;
  let ifId: number, capLen: number, origLen: number, dataAt: number, hasTime = true;
  let hi = 0, lo = 0;
  if (type === BT_EPB) {
    if (len < 32) return `enhanced packet block too short (${len} bytes)`;
    ifId = u32(v, off + 8, le);
    hi = u32(v, off + 12, le); lo = u32(v, off + 16, le);
    capLen = u32(v, off + 20, le); origLen = u32(v, off + 24, le);
    dataAt = off + 28;
  } else if (type === BT_PB) {
    if (len < 32) return `packet block too short (${len} bytes)`;
    ifId = u16(v, off + 8, le);
    hi = u32(v, off + 12, le); lo = u32(v, off + 16, le);
    capLen = u32(v, off + 20, le); origLen = u32(v, off + 24, le);
    dataAt = off + 28;
  } else {
    if (len < 16) return `simple packet block too short (${len} bytes)`;
    ifId = 0;
    hasTime = false;
    origLen = u32(v, off + 8, le);
    dataAt = off + 12;
    // The SPB stores no captured length: the lesser of the original length,
    // the IDB 0 snaplen and what the block holds.
    capLen = Math.min(origLen, len - 16);
    const idb0 = s.interfaces[0];
    if (idb0 !== undefined && idb0.snaplen !== 0 && idb0.snaplen < capLen) capLen = idb0.snaplen;
  }
  const iface = s.interfaces[ifId];
  if (iface === undefined) return `packet on interface ${ifId}, but the section declares ${s.interfaces.length}`;
  if (dataAt + capLen > off + len - 4) return `captured length ${capLen} runs past its block`;
  if (hasTime) {
    splitTimestamp(hi, lo, iface.unitsPerSecond, tsScratch);
    s.lastSec = tsScratch.sec + iface.tsOffset;
    s.lastNsec = tsScratch.nsec;
  }
  rec.sec = s.lastSec;
  rec.nsec = s.lastNsec;
  rec.time = s.lastSec + s.lastNsec / 1e9;
  rec.capLen = capLen;
  rec.origLen = origLen;
  rec.iface = ifId;
  rec.data = bytes.subarray(dataAt, dataAt + capLen);
  return undefined;
}

/** The link type of interface `ifId` of the section, if declared. */
export function interfaceLinkType(s: PcapngSection, ifId: number): number | undefined {
  return s.interfaces[ifId]?.linkType;
}
