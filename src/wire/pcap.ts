/**
 * Capture files: reading classic libpcap and pcapng, writing classic pcap.
 *
 * Reading (format detected from the magic; LINKTYPE_ETHERNET only):
 *   const r = new CaptureReader();            // streaming, push-driven
 *   r.push(chunk); for (const rec of r.records()) ...; r.end(); drain again;
 *   r.error (ArpemuError | undefined), r.truncated, r.format, r.linkType
 *
 *   readCapture(bytes): CaptureFile           // whole buffer; never throws
 *   iterateCapture(bytes): Generator<CaptureRecord, CaptureSummary>   // throws
 *   new CaptureStream(AsyncIterable<Uint8Array>, name?)
 *     for await (const rec of stream) ...     // streams any async chunk source; rejects
 *     for await (const batch of stream.batches()) ...   // a chunk's records at a time
 *
 *   A CaptureRecord carries `time` (float seconds), exact `sec`/`nsec`,
 *   `capLen`, `origLen`, `iface` (pcapng interface, 0 for pcap), `number`
 *   (1-based, as tshark's frame.number) and `data`: a subarray of the chunk
 *   pushed (copied only when a record straddles two chunks).
 *
 *   Errors are ArpemuError: 'ERR_PCAP_FORMAT' (bad magic, truncated file
 *   header, corrupt block or record length), 'ERR_PCAP_LINKTYPE' (not
 *   Ethernet: at the file header for pcap, at the first packet of such an
 *   interface for pcapng). A file cut inside its last record is not an
 *   error: reading stops there and `truncated` is set.
 *
 * Writing (classic pcap, LINKTYPE_ETHERNET, snaplen 262144, microseconds
 * unless `nanosecond: true`):
 *   const w = new PcapWriter(fn | stream | syncSink, opts);
 *   w.write(frame, time[, origLen]); w.writeRecord({ data, time, sec?, nsec? });
 *   await w.close();                           // flushes
 *   encodePcap(records, opts): Uint8Array      // pure, for tests
 *
 * Pure: no file system, no clock. Files (readCaptureFile, openCapture on a
 * path, openPcapWriter, fdSink) are in src/link/pcapio.ts.
 */

import { ArpemuError } from '../util/errors.js';
import {
  BT_EPB, BT_IDB, BT_PB, BT_SHB, BT_SPB, PCAPNG_MAX_BLOCK, PcapngSection,
  decodeIdb, decodePacketBlock, decodeShb, shbByteOrder,
} from './pcapng.js';

export const LINKTYPE_ETHERNET = 1;

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Kuznetsov's "modified" libpcap magic: recognised only to name it in the error. */
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** What tcpdump and Wireshark use by default, and libpcap's Ethernet maximum. */
export const PCAP_DEFAULT_SNAPLEN = 262144;
/** A larger captured length is corruption (libpcap and Wireshark refuse it too). */
export const PCAP_MAX_CAPLEN = 262144;

/** Names for the link types people actually meet, for error messages. */
const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'LINKTYPE_NULL', 1: 'LINKTYPE_ETHERNET', 6: 'LINKTYPE_IEEE802_5', 9: 'LINKTYPE_PPP',
  101: 'LINKTYPE_RAW', 105: 'LINKTYPE_IEEE802_11', 108: 'LINKTYPE_LOOP',
  113: 'LINKTYPE_LINUX_SLL', 127: 'LINKTYPE_IEEE802_11_RADIOTAP', 147: 'LINKTYPE_USER0',
  228: 'LINKTYPE_IPV4', 229: 'LINKTYPE_IPV6', 276: 'LINKTYPE_LINUX_SLL2',
};

export function linkTypeName(t: number): string {
  return LINKTYPE_NAMES[t] ?? `LINKTYPE_${t}`;
}

export interface CaptureRecord {
  /** Capture time in seconds since the epoch (float; `sec`/`nsec` are exact). */
  time: number;
  sec: number;
  /** Nanoseconds within `sec` (microsecond files give multiples of 1000). */
  nsec: number;
  /** Bytes captured: `data.length`. */
  capLen: number;
  /** Length of the frame on the wire (>= capLen when the snaplen cut it). */
  origLen: number;
  /** pcapng interface id; 0 for classic pcap. */
  iface: number;
  /** 1-based record number in the file (tshark's frame.number). */
  number: number;
  data: Uint8Array;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureSummary {
  format: CaptureFormat | undefined;
  /** pcap: the file's link type; pcapng: the first interface's. */
  linkType: number | undefined;
  /** pcap: the header's snaplen; pcapng: the first interface's (0 = none). */
  snaplen: number | undefined;
  /** Classic pcap with the nanosecond magic. */
  nanosecond: boolean;
  littleEndian: boolean;
  /** Records read. */
  count: number;
  /** The input ended inside a record (or block); `truncatedBytes` were left. */
  truncated: boolean;
  truncatedBytes: number;
}

export interface CaptureFile extends CaptureSummary {
  records: CaptureRecord[];
  /** Why reading stopped early; records before the problem are kept. */
  error: ArpemuError | undefined;
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

const enum State { Magic, Pcap, Pcapng, Done }

/** A plain Uint8Array view of the same memory (Buffer subarrays are slower). */
function plain(c: Uint8Array): Uint8Array {
  return c.constructor === Uint8Array ? c : new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
}

function viewOf(c: Uint8Array): DataView {
  return new DataView(c.buffer, c.byteOffset, c.byteLength);
}

/**
 * Streaming reader of pcap and pcapng. Push chunks as they arrive, pull
 * records with `next()` until it returns undefined (needs more input, or
 * finished), call `end()` when the input is over and drain once more.
 * Untrusted bytes never make it throw: problems land in `error`.
 */
export class CaptureReader implements CaptureSummary {
  format: CaptureFormat | undefined = undefined;
  linkType: number | undefined = undefined;
  snaplen: number | undefined = undefined;
  nanosecond = false;
  littleEndian = true;
  count = 0;
  truncated = false;
  truncatedBytes = 0;
  error: ArpemuError | undefined = undefined;

  private state = State.Magic;
  private ended = false;
  // Unread input: chunks[head] from pos, then the later chunks.
  private chunks: Uint8Array[] = [];
  private head = 0;
  private cur: Uint8Array = EMPTY;
  private curView: DataView = EMPTY_VIEW;
  private pos = 0;
  private avail = 0;
  // Where peekContig put the bytes asked for: the current chunk or scratch.
  private pv: DataView = EMPTY_VIEW;
  private po = 0;
  private readonly scratch = new Uint8Array(PCAP_FILE_HEADER_LEN);
  private readonly scratchView = viewOf(this.scratch);
  private readonly section = new PcapngSection();

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('CaptureReader.push after end()');
    if (chunk.length === 0) return;
    const c = plain(chunk);
    if (this.avail === 0) {
      // Nothing unread: this chunk becomes the only one.
      this.chunks = [c];
      this.head = 0;
      this.setCur(c);
    } else {
      this.chunks.push(c);
    }
    this.avail += c.length;
  }

  /** No more input. Bytes left over after draining make `truncated` true. */
  end(): void {
    this.ended = true;
  }

  /** True once the input ended and everything was read, or on an error. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** The next record, or undefined (more input needed, finished, or error). */
  next(): CaptureRecord | undefined {
    switch (this.state) {
      case State.Pcap: return this.nextPcap();
      case State.Pcapng: return this.nextPcapng();
      case State.Magic: return this.readMagic() ? this.next() : undefined;
      default: return undefined;
    }
  }

  /** The records available now (drains until next() returns undefined). */
  *records(): Generator<CaptureRecord, void, void> {
    let r: CaptureRecord | undefined;
    while ((r = this.next()) !== undefined) yield r;
  }

  summary(): CaptureSummary {
    return {
      format: this.format, linkType: this.linkType, snaplen: this.snaplen,
      nanosecond: this.nanosecond, littleEndian: this.littleEndian, count: this.count,
      truncated: this.truncated, truncatedBytes: this.truncatedBytes,
    };
  }

  // --- input queue -------------------------------------------------------

  private setCur(c: Uint8Array): void {
    this.cur = c;
    this.curView = viewOf(c);
    this.pos = 0;
  }

  /** Move to the next chunk when the current one is used up. */
  private advanceChunk(): void {
    while (this.pos >= this.cur.length && this.head + 1 < this.chunks.length) {
      this.chunks[this.head] = EMPTY;
      this.head++;
      this.setCur(this.chunks[this.head]!);
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Make `n` unread bytes addressable contiguously at (pv, po) without
   * consuming them: in place when the current chunk holds them, else copied
   * into scratch. False when fewer than `n` bytes are buffered.
   */
  private peekContig(n: number): boolean {
    if (this.avail < n) return false;
    if (this.cur.length - this.pos >= n) {
      this.pv = this.curView; this.po = this.pos;
      return true;
    }
    this.copyOut(this.scratch, n, false);
    this.pv = this.scratchView; this.po = 0;
    return true;
  }

  /** Copy the next `n` unread bytes into `dst`, consuming them if asked. */
  private copyOut(dst: Uint8Array, n: number, consume: boolean): void {
    let i = this.head, c = this.cur, p = this.pos, got = 0;
    while (got < n) {
      const take = Math.min(n - got, c.length - p);
      dst.set(c.subarray(p, p + take), got);
      got += take;
      p += take;
      if (got < n) { i++; c = this.chunks[i]!; p = 0; }
    }
    if (consume) {
      while (this.head < i) { this.chunks[this.head] = EMPTY; this.head++; }
      if (c !== this.cur) this.setCur(c);
      this.pos = p;
      this.avail -= n;
      this.advanceChunk();
    }
  }

  private skip(n: number): void {
    if (this.cur.length - this.pos >= n) {
      this.pos += n;
      this.avail -= n;
      if (this.pos === this.cur.length) this.advanceChunk();
      return;
    }
    let left = n;
    while (left > 0) {
      const k = Math.min(left, this.cur.length - this.pos);
      this.pos += k; left -= k; this.avail -= k;
      if (left > 0) this.advanceChunk();
    }
    this.advanceChunk();
  }

  /** Consume `n` bytes: a subarray of the chunk if they lie in one, else a copy. */
  private take(n: number): Uint8Array {
    if (this.cur.length - this.pos >= n) {
      const out = this.cur.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.avail -= n;
      if (this.pos === this.cur.length) this.advanceChunk();
      return out;
    }
    const out = new Uint8Array(n);
    this.copyOut(out, n, true);
    return out;
  }

  /** Called when the next unit is not wholly buffered. */
  private starved(): undefined {
    if (this.ended) {
      if (this.avail > 0) {
        this.truncated = true;
        this.truncatedBytes = this.avail;
      }
      this.state = State.Done;
    }
    return undefined;
  }

  private fail(code: 'ERR_PCAP_FORMAT' | 'ERR_PCAP_LINKTYPE', msg: string): undefined {
    this.error = new ArpemuError(code, msg);
    this.state = State.Done;
    return undefined;
  }

  // --- format detection and classic pcap -----------------------------------

  private readMagic(): boolean {
    if (!this.peekContig(4)) {
      if (this.ended) {
        this.fail('ERR_PCAP_FORMAT', this.avail === 0
          ? 'not a capture file: it is empty'
          : `not a capture file: only ${this.avail} bytes`);
      }
      return false;
    }
    const m = this.pv.getUint32(this.po, true);
    if (m === BT_SHB) {
      this.format = 'pcapng';
      this.state = State.Pcapng;
      return true;
    }
    let le: boolean;
    if (m === PCAP_MAGIC_USEC || m === PCAP_MAGIC_NSEC) le = true;
    else if (this.pv.getUint32(this.po, false) === PCAP_MAGIC_USEC ||
             this.pv.getUint32(this.po, false) === PCAP_MAGIC_NSEC) le = false;
    else {
      const hex = m.toString(16).padStart(8, '0');
      this.fail('ERR_PCAP_FORMAT', m === PCAP_MAGIC_MODIFIED || this.pv.getUint32(this.po, false) === PCAP_MAGIC_MODIFIED
        ? 'not a supported capture file: "modified libpcap" (magic a1b2cd34) is not read'
        : `not a capture file: unknown magic 0x${hex} (expected pcap a1b2c3d4/a1b23c4d or pcapng 0a0d0d0a)`);
      return false;
    }
    if (!this.peekContig(PCAP_FILE_HEADER_LEN)) {
      if (this.ended) this.fail('ERR_PCAP_FORMAT', `pcap file header truncated: ${this.avail} of ${PCAP_FILE_HEADER_LEN} bytes`);
      return false;
    }
    const v = this.pv, o = this.po;
    this.format = 'pcap';
    this.littleEndian = le;
    this.nanosecond = v.getUint32(o, le) === PCAP_MAGIC_NSEC;
    const major = v.getUint16(o + 4, le);
    if (major !== 2) {
      this.fail('ERR_PCAP_FORMAT', `pcap version ${major}.${v.getUint16(o + 6, le)} is not supported (only 2.x)`);
      return false;
    }
    this.snaplen = v.getUint32(o + 16, le);
    // The top bits of the link type field carry FCS information (libpcap's LT_LINKTYPE).
    const lt = v.getUint32(o + 20, le) & 0x03ff_ffff;
    this.linkType = lt;
    this.skip(PCAP_FILE_HEADER_LEN);
    if (lt !== LINKTYPE_ETHERNET) {
      this.fail('ERR_PCAP_LINKTYPE', linkTypeMessage(lt));
      return false;
    }
    this.state = State.Pcap;
    return true;
  }

  private nextPcap(): CaptureRecord | undefined {
    if (!this.peekContig(PCAP_RECORD_HEADER_LEN)) return this.starved();
    const v = this.pv, o = this.po, le = this.littleEndian;
    const sec = v.getUint32(o, le);
    const frac = v.getUint32(o + 4, le);
    const capLen = v.getUint32(o + 8, le);
    const origLen = v.getUint32(o + 12, le);
    if (capLen > PCAP_MAX_CAPLEN) {
      return this.fail('ERR_PCAP_FORMAT',
        `record ${this.count + 1}: captured length ${capLen} exceeds ${PCAP_MAX_CAPLEN} (corrupt file)`);
    }
    if (this.avail < PCAP_RECORD_HEADER_LEN + capLen) return this.starved();
    this.skip(PCAP_RECORD_HEADER_LEN);
    const data = this.take(capLen);
    const nsec = this.nanosecond ? frac : frac * 1000;
    return {
      time: sec + nsec / 1e9, sec, nsec, capLen, origLen, iface: 0, number: ++this.count, data,
    };
  }

  // --- pcapng ---------------------------------------------------------------

  private nextPcapng(): CaptureRecord | undefined {
    const s = this.section;
    for (;;) {
      if (!this.peekContig(12)) return this.starved();
      const v = this.pv, o = this.po;
      let le = s.littleEndian;
      const type0 = v.getUint32(o, true);
      const isShb = type0 === BT_SHB;
      if (isShb) {
        const order = shbByteOrder(v, o);
        if (order === undefined) return this.fail('ERR_PCAP_FORMAT', 'pcapng section header without byte-order magic');
        le = order;
      }
      const type = isShb ? BT_SHB : v.getUint32(o, le);
      const len = v.getUint32(o + 4, le);
      if (len < 12 || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK) {
        return this.fail('ERR_PCAP_FORMAT',
          `pcapng block of type 0x${type.toString(16)} has a bad total length ${len}`);
      }
      if (this.avail < len) return this.starved();
      // Decode in place when the block lies in one chunk (no DataView per block).
      let block: Uint8Array, bv: DataView, bo: number;
      if (this.cur.length - this.pos >= len) {
        block = this.cur; bv = this.curView; bo = this.pos;
        this.skip(len);
      } else {
        block = this.take(len); bv = viewOf(block); bo = 0;
      }
      if (bv.getUint32(bo + len - 4, le) !== len) {
        return this.fail('ERR_PCAP_FORMAT',
          `pcapng block of type 0x${type.toString(16)}: trailing length differs from ${len}`);
      }
      let bad: string | undefined;
      switch (type) {
        case BT_SHB:
          bad = decodeShb(bv, bo, len, s);
          this.littleEndian = s.littleEndian;
          break;
        case BT_IDB:
          bad = decodeIdb(bv, bo, len, s);
          if (bad === undefined && s.interfaces.length === 1 && this.linkType === undefined) {
            this.linkType = s.interfaces[0]!.linkType;
            this.snaplen = s.interfaces[0]!.snaplen;
          }
          break;
        case BT_EPB: case BT_SPB: case BT_PB: {
          const rec: CaptureRecord = {
            time: 0, sec: 0, nsec: 0, capLen: 0, origLen: 0, iface: 0, number: 0, data: EMPTY,
          };
          bad = decodePacketBlock(type, block, bv, bo, len, s, rec);
          if (bad !== undefined) break;
          const lt = s.interfaces[rec.iface]!.linkType;
          if (lt !== LINKTYPE_ETHERNET) {
            return this.fail('ERR_PCAP_LINKTYPE', `packet ${this.count + 1} on interface ${rec.iface}: ${linkTypeMessage(lt)}`);
          }
          rec.number = ++this.count;
          return rec;
        }
        default:
          break; // NRB, ISB, custom and unknown blocks: skipped whole.
      }
      if (bad !== undefined) return this.fail('ERR_PCAP_FORMAT', `pcapng: ${bad}`);
    }
  }
}

function linkTypeMessage(lt: number): string {
  return `capture link type ${lt} (${linkTypeName(lt)}) is not Ethernet: only LINKTYPE_ETHERNET (1) captures can be read`;
}

/** Read a whole capture held in memory. Never throws: see `error`, `truncated`. */
export function readCapture(bytes: Uint8Array): CaptureFile {
  const r = new CaptureReader();
  r.push(bytes);
  r.end();
  const records: CaptureRecord[] = [];
  for (const rec of r.records()) records.push(rec);
  return { ...r.summary(), records, error: r.error };
}

/**
 * Iterate the records of a capture in memory; throws the ArpemuError when
 * the bytes are not a readable Ethernet capture (after the good records).
 * The return value tells whether the file was truncated.
 */
export function* iterateCapture(bytes: Uint8Array): Generator<CaptureRecord, CaptureSummary, void> {
  const r = new CaptureReader();
  r.push(bytes);
  r.end();
  yield* r.records();
  if (r.error !== undefined) throw r.error;
  return r.summary();
}

/**
 * Records streamed from an async source of chunks (a file stream from
 * openCapture in src/link/pcapio.ts, a socket) without holding the whole capture: `for await (const rec of
 * stream)`, or `batches()` for a chunk's records at a time (about twice as
 * fast: one await per chunk instead of one per record). A bad file rejects
 * with its ArpemuError; when done, the iterator's return value (and
 * `reader`) tell whether the file was truncated. Leaving the loop early
 * closes the source. `name` prefixes error messages (e.g. "file.pcap: ").
 */
export class CaptureStream implements AsyncIterator<CaptureRecord, CaptureSummary> {
  readonly reader = new CaptureReader();
  private readonly src: AsyncIterator<Uint8Array>;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>, private readonly name = '') {
    this.src = source[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<CaptureRecord, CaptureSummary>> {
    // Hand-written rather than an async generator: a buffered record costs
    // one resolved promise, not a trip through the generator's queue.
    const rec = this.reader.next();
    if (rec !== undefined) return Promise.resolve({ value: rec, done: false });
    return this.fill();
  }

  async return(): Promise<IteratorResult<CaptureRecord, CaptureSummary>> {
    this.ended = true;
    await this.src.return?.();
    return { value: this.reader.summary(), done: true };
  }

  /** The records a chunk at a time (each array non-empty). */
  async *batches(): AsyncGenerator<CaptureRecord[], CaptureSummary, void> {
    try {
      for (;;) {
        const batch: CaptureRecord[] = [];
        let rec: CaptureRecord | undefined;
        while ((rec = this.reader.next()) !== undefined) batch.push(rec);
        if (batch.length > 0) yield batch;
        if (!(await this.pull())) return this.reader.summary();
      }
    } finally {
      if (!this.ended) await this.return();
    }
  }

  private async fill(): Promise<IteratorResult<CaptureRecord, CaptureSummary>> {
    for (;;) {
      if (!(await this.pull())) return { value: this.reader.summary(), done: true };
      const rec = this.reader.next();
      if (rec !== undefined) return { value: rec, done: false };
    }
  }

  /** Feed the reader one more chunk (or the end); false when there is nothing more. */
  private async pull(): Promise<boolean> {
    const r = this.reader;
    if (r.error !== undefined) await this.failed(r.error);
    if (this.ended) return false;
    const c = await this.src.next();
    if (c.done === true) {
      r.end();
      this.ended = true;
    } else {
      r.push(c.value);
    }
    return true;
  }

  private async failed(e: ArpemuError): Promise<never> {
    if (!this.ended) await this.return();
    throw new ArpemuError(e.code, this.name + e.message);
  }
}

// --- writing ------------------------------------------------------------------

export interface PcapWriterOptions {
  /** Nanosecond timestamps (magic a1b23c4d); microseconds by default. */
  nanosecond?: boolean;
  /** Frames longer than this are cut (origLen keeps the real length). Default 262144. */
  snaplen?: number;
  /** Big-endian headers (what a SPARC would write); little-endian by default. */
  bigEndian?: boolean;
  /** Buffer size before a flush to the sink. Default 64 KiB. */
  bufferSize?: number;
}

/** A record to write. `sec`/`nsec`, when both given, win over `time` (exact). */
export interface PcapWriteRecord {
  data: Uint8Array;
  time: number;
  sec?: number;
  nsec?: number;
  origLen?: number;
}

/** A sink that takes each flushed block as its own copy (it may keep it). */
export type PcapChunkSink = (chunk: Uint8Array) => void;

/** A stream sink: each flushed block is a copy; close() ends the stream and waits for it. */
export interface PcapStreamSink {
  write(chunk: Uint8Array): unknown;
  end(cb?: () => void): unknown;
}

/**
 * A sink that consumes bytes before returning (a blocking file write): it
 * gets a view of the writer's own buffer, valid only during the call, so
 * nothing is copied. close() calls closeSync. fdSink in src/link/pcapio.ts
 * makes one over a file descriptor.
 */
export interface PcapSyncSink {
  writeSync(bytes: Uint8Array): void;
  closeSync?(): void;
}

/** Where a PcapWriter's bytes go. */
export type PcapSink = PcapChunkSink | PcapStreamSink | PcapSyncSink;

function isSink(s: unknown): s is PcapSink {
  if (typeof s === 'function') return true;
  if (typeof s !== 'object' || s === null) return false;
  const o = s as { write?: unknown; end?: unknown; writeSync?: unknown };
  return typeof o.writeSync === 'function' || (typeof o.write === 'function' && typeof o.end === 'function');
}

/** An object with writeSync is a sync sink (even if it has write too). */
function isSyncSink(s: PcapSink): s is PcapSyncSink {
  return typeof s === 'object' && typeof (s as Partial<PcapSyncSink>).writeSync === 'function';
}

/** Encode the 24-byte file header into `b` at `o`. */
export function encodePcapHeader(b: Uint8Array, o: number, opts: PcapWriterOptions = {}): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = opts.bigEndian !== true;
  v.setUint32(o, opts.nanosecond === true ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, le);
  v.setUint16(o + 4, 2, le);
  v.setUint16(o + 6, 4, le);
  v.setInt32(o + 8, 0, le); // thiszone: always UTC
  v.setUint32(o + 12, 0, le); // sigfigs
  v.setUint32(o + 16, opts.snaplen ?? PCAP_DEFAULT_SNAPLEN, le);
  v.setUint32(o + 20, LINKTYPE_ETHERNET, le);
  return PCAP_FILE_HEADER_LEN;
}

const splitScratch = { sec: 0, frac: 0 };

/**
 * Seconds and sub-second units (µs or ns) of a record. A float time is
 * rounded to the nearest unit: microseconds survive a float round trip for
 * any 32-bit seconds value, nanoseconds do not (pass sec/nsec for those).
 */
function splitTime(rec: PcapWriteRecord, nanosecond: boolean, out: { sec: number; frac: number }): void {
  const unit = nanosecond ? 1e9 : 1e6;
  let sec: number, frac: number;
  if (rec.sec !== undefined && rec.nsec !== undefined) {
    sec = rec.sec;
    frac = nanosecond ? rec.nsec : Math.round(rec.nsec / 1000);
  } else {
    const t = rec.time;
    sec = Math.floor(t);
    frac = Math.round((t - sec) * unit);
  }
  if (frac >= unit) { sec += 1; frac -= unit; }
  if (!(sec >= 0 && sec <= 0xffff_ffff) || !Number.isInteger(sec) || !(frac >= 0)) {
    throw new RangeError(`pcap: timestamp ${rec.time} is outside 0 .. 2^32 seconds`);
  }
  out.sec = sec;
  out.frac = frac;
}

/** Encode one record (header + data, cut to snaplen) at `o`; returns bytes written. */
function encodeRecord(
  b: Uint8Array, v: DataView, o: number, rec: PcapWriteRecord,
  nanosecond: boolean, le: boolean, snaplen: number,
): number {
  splitTime(rec, nanosecond, splitScratch);
  const cap = Math.min(rec.data.length, snaplen);
  v.setUint32(o, splitScratch.sec, le);
  v.setUint32(o + 4, splitScratch.frac, le);
  v.setUint32(o + 8, cap, le);
  v.setUint32(o + 12, Math.max(rec.origLen ?? rec.data.length, cap), le);
  b.set(cap === rec.data.length ? rec.data : rec.data.subarray(0, cap), o + PCAP_RECORD_HEADER_LEN);
  return PCAP_RECORD_HEADER_LEN + cap;
}

/** A whole classic pcap file in memory (tests, small outputs). */
export function encodePcap(records: Iterable<PcapWriteRecord>, opts: PcapWriterOptions = {}): Uint8Array {
  const list = Array.isArray(records) ? records as PcapWriteRecord[] : [...records];
  const snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
  let size = PCAP_FILE_HEADER_LEN;
  for (const r of list) size += PCAP_RECORD_HEADER_LEN + Math.min(r.data.length, snaplen);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  let o = encodePcapHeader(b, 0, opts);
  const ns = opts.nanosecond === true, le = opts.bigEndian !== true;
  for (const r of list) o += encodeRecord(b, v, o, r, ns, le, snaplen);
  return b;
}

/**
 * Incremental classic pcap writer: records go into a buffer that is handed
 * to the sink when full, on flush() and on close(). With a sync sink (a file
 * descriptor, see fdSink) the writes are blocking, so replay output stays
 * ordered with no awaits.
 */
export class PcapWriter {
  /** Records written so far. */
  count = 0;
  /** Bytes handed to the sink so far (header included). */
  bytesWritten = 0;

  private buf: Uint8Array;
  private view: DataView;
  private used = 0;
  private closed = false;
  private readonly ns: boolean;
  private readonly le: boolean;
  private readonly snaplen: number;

  constructor(private readonly sink: PcapSink, opts: PcapWriterOptions = {}) {
    // Validate at the door: a file descriptor was a sink here once.
    if (!isSink(sink)) {
      throw new TypeError('PcapWriter: sink must be a function, a { write, end } stream or a { writeSync } sink (files: openPcapWriter / fdSink in src/link/pcapio.ts)');
    }
    const snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffff_ffff) {
      throw new RangeError('PcapWriterOptions.snaplen must be a positive 32-bit integer');
    }
    this.ns = opts.nanosecond === true;
    this.le = opts.bigEndian !== true;
    this.snaplen = snaplen;
    this.buf = new Uint8Array(Math.max(opts.bufferSize ?? 65536, PCAP_FILE_HEADER_LEN));
    this.view = new DataView(this.buf.buffer);
    this.used = encodePcapHeader(this.buf, 0, opts);
  }

  /** Append one frame captured at `time` seconds. */
  write(data: Uint8Array, time: number, origLen = data.length): void {
    this.writeRecord({ data, time, origLen });
  }

  writeRecord(rec: PcapWriteRecord): void {
    if (this.closed) throw new ArpemuError('ERR_LINK_CLOSED', 'PcapWriter: write after close');
    const need = PCAP_RECORD_HEADER_LEN + Math.min(rec.data.length, this.snaplen);
    if (this.used + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) {
        this.buf = new Uint8Array(need);
        this.view = new DataView(this.buf.buffer);
      }
    }
    this.used += encodeRecord(this.buf, this.view, this.used, rec, this.ns, this.le, this.snaplen);
    this.count++;
  }

  /** Hand everything buffered to the sink. */
  flush(): void {
    if (this.used === 0) return;
    const n = this.used;
    const s = this.sink;
    if (typeof s === 'function') {
      s(this.buf.slice(0, n));
    } else if (isSyncSink(s)) {
      s.writeSync(this.buf.subarray(0, n));
    } else {
      s.write(this.buf.slice(0, n));
    }
    this.bytesWritten += n;
    this.used = 0;
  }

  /** Flush and close: a sync sink's closeSync runs, a stream is ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const s = this.sink;
    if (isSyncSink(s)) {
      s.closeSync?.();
    } else if (typeof s !== 'function') {
      await new Promise<void>((resolve) => { s.end(() => resolve()); });
    }
  }
}
