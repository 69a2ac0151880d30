/**
 * Where a CPU writes its records: one RecordOut per destination, over one
 * of three transports.
 *
 *  - RingOut: a SharedArrayBuffer ring (src/cpu/ring.ts). Records are written
 *    in place; flush() publishes the batch with one store (and one notify if
 *    the consumer sleeps). A full ring never blocks the handler: records go
 *    to an overflow queue (allocated only then) drained at the next flush, so
 *    a cycle of full rings (the chain's reply goes back to its start) cannot
 *    deadlock.
 *  - PortOut: the MessagePort baseline. Records accumulate in a batch buffer
 *    (same layout as a ring's data area) posted at flush().
 *  - InlineOut: the InlineEmulator's in-memory FIFO (one Uint8Array per record).
 *
 * In-flight accounting (quiescence): a counted channel adds the number of
 * records of a batch to the shared `inflight` word at flush(), before they
 * become visible; the consumer subtracts after handling them.
 */
import type { MessagePort } from 'node:worker_threads';
import { RECORD_HEADER_BYTES, Ring, kPadType } from './ring.js';
import type { RecordHandler } from './records.js';

export interface RecordOut {
  /** Begin a record of `type` with room for `len` payload bytes; returns the payload offset in `u8`/`dv`. */
  begin(type: number, len: number): number;
  /** The buffer of the record begun last (valid until end()). */
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** Finish the record begun last, optionally shorter than reserved. */
  end(len?: number): void;
  /** Make the finished records visible to the consumer. */
  flush(): void;
  /** Records finished since construction (diagnostics, benchmarks). */
  readonly sent: number;
  /** Whether a record of `len` payload bytes goes out now without queueing in memory. */
  room(len: number): boolean;
  /** Resolve when room(len) may have become true. */
  waitRoom(len: number): Promise<void>;
}

/** A shared Int32 counter: Atomics.add(i32, index, n) at flush. */
export interface InflightWord {
  i32: Int32Array;
  index: number;
}

export class RingOut implements RecordOut {
  sent = 0;
  private ovf: { type: number; data: Uint8Array }[] = [];
  private ovfCur: Uint8Array | null = null;
  private ovfDv: DataView | null = null;
  private curType = 0;
  private unflushed = 0;
  private waiting = false;
  readonly ringDv: DataView;

  constructor(readonly ring: Ring, private readonly inflight: InflightWord | null = null) {
    this.ringDv = new DataView(ring.sab);
  }

  get u8(): Uint8Array { return this.ovfCur ?? this.ring.bytes; }
  get dv(): DataView { return this.ovfDv ?? this.ringDv; }

  begin(type: number, len: number): number {
    if (this.ovf.length === 0) {
      const at = this.ring.reserve(len, type);
      if (at >= 0) { this.ovfCur = null; this.ovfDv = null; return at; }
    }
    // Full (or earlier records wait in the overflow queue: keep FIFO order).
    const data = new Uint8Array(len);
    this.ovfCur = data;
    this.ovfDv = new DataView(data.buffer);
    this.curType = type;
    return 0;
  }

  end(len?: number): void {
    this.sent++;
    this.unflushed++;
    if (this.ovfCur === null) { this.ring.commit(len); return; }
    const data = len === undefined || len === this.ovfCur.length ? this.ovfCur : this.ovfCur.subarray(0, len);
    this.ovf.push({ type: this.curType, data });
    this.ovfCur = null;
    this.ovfDv = null;
  }

  flush(): void {
    if (this.unflushed !== 0) {
      if (this.inflight !== null) Atomics.add(this.inflight.i32, this.inflight.index, this.unflushed);
      this.unflushed = 0;
    }
    if (this.ovf.length !== 0) this.drainOverflow();
    this.ring.publish();
    if (this.ovf.length !== 0 && !this.waiting) {
      // The consumer frees space as it goes; publish the rest then.
      this.waiting = true;
      void this.space(this.ovf[0]!.data.length).then(() => {
        this.waiting = false;
        this.flush();
      });
    }
  }

  /** Records waiting in the overflow queue. */
  get backlog(): number { return this.ovf.length; }

  room(len: number): boolean { return this.ovf.length === 0 && this.ring.canReserve(len); }

  async waitRoom(len: number): Promise<void> {
    this.flush();
    await this.space(this.ovf.length === 0 ? len : this.ring.maxRecordLen);
  }

  /** Resolve once at most `bytes` are in use (a fast producer keeping a margin). */
  async waitBelow(bytes: number): Promise<void> {
    this.flush();
    while (this.ring.usedBytes() > bytes) await this.space(this.ring.maxRecordLen);
  }

  /**
   * Wait for `len` bytes of room. One waiter at a time: the ring keeps one
   * "producer waiting" flag, and a second waiter clearing it would let the
   * first miss its wake-up.
   */
  private spaceChain: Promise<unknown> = Promise.resolve();
  private space(len: number): Promise<void> {
    const p = this.spaceChain.then(() => this.ring.waitSpace(Math.min(len, this.ring.maxRecordLen)));
    this.spaceChain = p.catch(() => undefined);
    return p.then(() => undefined);
  }

  private drainOverflow(): void {
    let i = 0;
    const ovf = this.ovf;
    for (; i < ovf.length; i++) {
      const r = ovf[i]!;
      if (!this.ring.tryWrite(r.data, 0, r.data.length, r.type)) break;
    }
    if (i === ovf.length) this.ovf = [];
    else if (i > 0) this.ovf = ovf.slice(i);
  }
}

/** Batch buffer layout = a ring's data area: header (type<<16 | len), payload padded to 4. */
export class PortOut implements RecordOut {
  sent = 0;
  private buf: ArrayBuffer;
  private bytes: Uint8Array;
  private view: DataView;
  private used = 0;
  private recAt = -1;
  private recLen = 0;
  private unflushed = 0;

  /**
   * `perMessage`: post every record on its own (the unbatched MessagePort
   * baseline) instead of one batch per flush.
   */
  constructor(readonly port: MessagePort, private readonly inflight: InflightWord | null = null, initial = 64 * 1024, private readonly perMessage = false) {
    this.buf = new ArrayBuffer(initial);
    this.bytes = new Uint8Array(this.buf);
    this.view = new DataView(this.buf);
  }

  get u8(): Uint8Array { return this.bytes; }
  get dv(): DataView { return this.view; }
  room(_len: number): boolean { return true; }
  waitRoom(_len: number): Promise<void> { return Promise.resolve(); }

  begin(type: number, len: number): number {
    const need = this.used + RECORD_HEADER_BYTES + ((len + 3) & ~3);
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength * 2;
      while (cap < need) cap *= 2;
      const nb = new ArrayBuffer(cap);
      new Uint8Array(nb).set(this.bytes.subarray(0, this.used));
      this.buf = nb;
      this.bytes = new Uint8Array(nb);
      this.view = new DataView(nb);
    }
    this.view.setUint32(this.used, ((type << 16) | len) >>> 0, true);
    this.recAt = this.used;
    this.recLen = len;
    return this.used + RECORD_HEADER_BYTES;
  }

  end(len: number = this.recLen): void {
    const at = this.recAt;
    if (len !== this.recLen) {
      const type = this.view.getUint32(at, true) >>> 16;
      this.view.setUint32(at, ((type << 16) | len) >>> 0, true);
    }
    this.used = at + RECORD_HEADER_BYTES + ((len + 3) & ~3);
    this.recAt = -1;
    this.sent++;
    this.unflushed++;
    if (this.perMessage) this.flush();
  }

  flush(): void {
    if (this.used === 0) return;
    if (this.inflight !== null) Atomics.add(this.inflight.i32, this.inflight.index, this.unflushed);
    this.unflushed = 0;
    const out = this.buf.slice(0, this.used);
    this.used = 0;
    this.port.postMessage(out, [out]);
  }
}

/** Hand every record of a PortOut batch to `handler`; returns the count. */
export function forEachRecord(batch: ArrayBuffer, handler: RecordHandler): number {
  const u8 = new Uint8Array(batch);
  const dv = new DataView(batch);
  let at = 0;
  let n = 0;
  while (at + RECORD_HEADER_BYTES <= batch.byteLength) {
    const hdr = dv.getUint32(at, true);
    const type = hdr >>> 16;
    const len = hdr & 0xffff;
    if (type !== kPadType) {
      handler(type, u8, dv, at + RECORD_HEADER_BYTES, len);
      n++;
    }
    at += RECORD_HEADER_BYTES + ((len + 3) & ~3);
  }
  return n;
}

/** One record of the InlineEmulator's FIFO. */
export interface InlineRecord {
  /** Destination endpoint. */
  dst: number;
  type: number;
  data: Uint8Array;
  dv: DataView;
}

/** A RecordOut appending to an in-memory FIFO (one allocation per record: the inline model is not the fast path). */
export class InlineOut implements RecordOut {
  sent = 0;
  private cur: Uint8Array = new Uint8Array(0);
  private curDv: DataView = new DataView(this.cur.buffer);
  private curType = 0;

  constructor(readonly dst: number, private readonly queue: InlineRecord[]) {}

  get u8(): Uint8Array { return this.cur; }
  get dv(): DataView { return this.curDv; }
  room(_len: number): boolean { return true; }
  waitRoom(_len: number): Promise<void> { return Promise.resolve(); }

  begin(type: number, len: number): number {
    this.cur = new Uint8Array(len);
    this.curDv = new DataView(this.cur.buffer);
    this.curType = type;
    return 0;
  }

  end(len?: number): void {
    const data = len === undefined || len === this.cur.length ? this.cur : this.cur.subarray(0, len);
    this.queue.push({ dst: this.dst, type: this.curType, data, dv: this.curDv });
    this.sent++;
  }

  flush(): void { /* the FIFO is visible at once */ }
}

/** Copy a record's payload from one buffer into a RecordOut (a forward). */
export function forwardRecord(out: RecordOut, type: number, src: Uint8Array, off: number, len: number): number {
  const at = out.begin(type, len);
  const dst = out.u8;
  if (dst.buffer === src.buffer && dst.byteOffset === src.byteOffset) {
    dst.copyWithin(at, off, off + len); // rings of one arena: a native move
  } else if (len <= 128) {
    for (let i = 0; i < len; i++) dst[at + i] = src[off + i]!;
  } else {
    dst.set(src.subarray(off, off + len), at);
  }
  return at;
}
