/**
 * Single-producer/single-consumer rings of variable-length binary records in a
 * SharedArrayBuffer: the per-frame channel between netisr and the CPUs and
 * along the update chain (ARCHITECTURE.md, "Channels").
 *
 * Record: one 32-bit header word `(type << 16) | len`, then `len` payload
 * bytes, padded to 4 bytes. A record never wraps: when it does not fit before
 * the end of the data area the producer writes a pad header (type kPadType)
 * and the record starts again at offset 0.
 *
 * Head and tail are free-running 32-bit byte counters (capacity is a power of
 * two, so `pos & mask` is the offset and `tail - head` the bytes in use; the
 * whole capacity is usable). Each side keeps its position privately and
 * writes it to shared memory once per batch:
 *   producer: reserve/commit (or tryWrite) any number of records, publish()
 *             = one Atomics.store of the tail (+ one notify if the consumer
 *             sleeps);
 *   consumer: poll() hands out up to `max` records and then releases their
 *             space with one Atomics.store of the head.
 * Record bytes are plain (non-atomic) writes: the SC Atomics.store of the
 * tail orders them before the consumer's Atomics.load of it.
 *
 * Wake-ups (no lost wake-up). The consumer sleeps on a doorbell: a sequence
 * word and a sleeping flag, possibly shared by every ring one thread consumes.
 *   consumer: store sleeping=1; seq = load(seq); re-check every ring's tail;
 *             if something arrived, store sleeping=0 and go on; else
 *             Atomics.waitAsync(seq word, seq).
 *   producer: store tail; if load(sleeping) != 0: add(seq, 1) and notify.
 * All four accesses are sequentially consistent, so either the consumer's
 * re-check sees the new tail, or the producer sees the flag; and a notify that
 * comes before waitAsync is caught by its value check (seq has moved).
 * Space (backpressure) uses the same pattern the other way: the producer sets
 * kProducerWaiting, re-reads the head and waits on the head word; the consumer
 * notifies the head word after releasing space if the flag is set.
 *
 * Node does not count a pending Atomics.waitAsync as work, so a thread whose
 * only activity is a sleeping ring would exit: while sleeping we hold a
 * ref'd timer (released on wake).
 */

// ---- shared layout: Int32 slot indexes, relative to a ring's base word ----

/** Words per 64-byte cache line: hot words of different writers never share a line. */
const LINE = 16;

/** 'RNG1': the region holds a formatted ring. */
export const RING_MAGIC = 0x524e4731;
export const kMagic = 0;
/** Data-area bytes (a power of two). */
export const kCapacity = 1;
/** Absolute Int32 index (in the SharedArrayBuffer) of the consumer's doorbell block. */
export const kDoorbellWord = 2;
/** Endpoint ids of the two sides (-1 when unnamed); a topology uses them to find its rings. */
export const kProducerId = 3;
export const kConsumerId = 4;
/** Non-zero once close() was called by either side. */
export const kClosed = 5;
/** Consumer's released position (written by the consumer only). */
export const kHead = LINE * 1;
/** Producer's published position (written by the producer only). */
export const kTail = LINE * 2;
/** Producer is waiting for space: the consumer notifies kHead after releasing. */
export const kProducerWaiting = LINE * 3;
/** The ring's own doorbell block, used when no shared doorbell is given. */
export const kOwnDoorbell = LINE * 4;
/** Bytes before the data area (64-byte aligned). */
export const RING_CONTROL_BYTES = (LINE * 5) * 4;

// Doorbell block: Int32 slot indexes relative to the doorbell's base word.
/** Bumped by a producer that found the consumer asleep; the consumer waits on it. */
export const kWakeSeq = 0;
/** 1 while the consumer is (about to be) asleep. */
export const kConsumerSleeping = 1;
/** A doorbell block takes one cache line. */
export const DOORBELL_BYTES = LINE * 4;

// ---- records ----

export const RECORD_HEADER_BYTES = 4;
/** Header type of a pad record (skip to the start of the data area); never a user type. */
export const kPadType = 0xffff;
/** Largest user record type. */
export const MAX_RECORD_TYPE = 0xfffe;
/** Largest payload the 16-bit length field can carry. */
export const MAX_RECORD_LEN = 0xffff;
export const MIN_RING_CAPACITY = 64;
export const MAX_RING_CAPACITY = 1 << 30;

/**
 * Receives one record. `bytes` is a view of the whole SharedArrayBuffer and the
 * payload is `bytes[offset .. offset+len)`, 4-byte aligned; it is valid only
 * during the call. Return false to leave the record (and all after it) in the
 * ring: poll() stops and the record is delivered again by the next poll().
 */
export type RecordHandler = (type: number, bytes: Uint8Array, offset: number, len: number) => boolean | void;

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
type WaitAsyncFn = (a: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;

// lib ES2023 does not declare Atomics.waitAsync (ES2024); Node >= 16 has it.
const waitAsync: WaitAsyncFn = (() => {
  const fn = (Atomics as unknown as { waitAsync?: WaitAsyncFn }).waitAsync;
  if (typeof fn !== 'function') throw new Error('Atomics.waitAsync is not available (Node >= 16 required)');
  return fn;
})();

const RESOLVED: Promise<void> = Promise.resolve();

// ---- keeping a sleeping thread alive ----

let aliveHolds = 0;
let aliveTimer: ReturnType<typeof setInterval> | undefined;
const noop = (): void => {};

function holdAlive(): void {
  if (aliveHolds++ > 0) return;
  if (aliveTimer === undefined) aliveTimer = setInterval(noop, 0x3fffffff);
  else aliveTimer.ref();
}

function releaseAlive(): void {
  if (--aliveHolds === 0) aliveTimer?.unref();
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * The consumer side of a doorbell. Each thread that consumes rings builds one
 * over the block its rings point at (Ring.doorbellWord).
 */
export class Doorbell {
  /** Times sleep() actually waited, and wake-ups received (diagnostics). */
  sleeps = 0;
  wakeups = 0;
  private readonly iSeq: number;
  private readonly iSleeping: number;
  private readonly onWake = (): void => {
    Atomics.store(this.i32, this.iSleeping, 0);
    this.wakeups++;
    releaseAlive();
  };

  /** `word` is the absolute Int32 index of the block in `i32` (a view of the whole buffer). */
  constructor(readonly i32: Int32Array, readonly word: number) {
    if (!Number.isInteger(word) || word < 0 || word + 2 > i32.length) {
      throw new RangeError(`doorbell word ${word} is outside the buffer`);
    }
    this.iSeq = word + kWakeSeq;
    this.iSleeping = word + kConsumerSleeping;
  }

  /**
   * Wait until `ready()` may have become true. First spins up to `spin`
   * iterations calling ready() (bounded busy-polling, for when cores are
   * free); then runs the sleep protocol above. Returns undefined when ready()
   * is already true (no wait, no allocation), else a promise resolved by a
   * producer's notify.
   */
  sleep(ready: () => boolean, spin = 0): Promise<void> | undefined {
    for (let i = 0; i < spin; i++) if (ready()) return undefined;
    const i32 = this.i32;
    Atomics.store(i32, this.iSleeping, 1);
    const seq = Atomics.load(i32, this.iSeq);
    if (ready()) {
      Atomics.store(i32, this.iSleeping, 0);
      return undefined;
    }
    const r = waitAsync(i32, this.iSeq, seq);
    if (!r.async) {
      Atomics.store(i32, this.iSleeping, 0);
      return undefined;
    }
    this.sleeps++;
    holdAlive();
    return r.value.then(this.onWake);
  }

  /** Wake the consumer unconditionally (close, shutdown). */
  wake(): void {
    Atomics.add(this.i32, this.iSeq, 1);
    Atomics.notify(this.i32, this.iSeq);
  }
}

/** Options for formatting a ring region. */
export interface RingInit {
  /** Absolute Int32 index of a shared doorbell block (default: the ring's own). */
  doorbellWord?: number;
  producer?: number;
  consumer?: number;
}

/**
 * One end (or, in a single thread, both ends) of a ring. Build one object per
 * thread: `Ring.create()` / `Ring.format()` where the buffer is made,
 * `Ring.attach(sab, byteOffset)` in the other thread after the buffer was
 * posted to it once.
 */
export class Ring {
  readonly sab: SharedArrayBuffer;
  /** Byte offset of the ring's control block in `sab`. */
  readonly byteOffset: number;
  /** Data-area bytes. */
  readonly capacity: number;
  /** Largest payload one record can carry (a record never wraps). */
  readonly maxRecordLen: number;
  /** Views of the whole buffer: record offsets are absolute offsets into them. */
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
  /** Absolute Int32 index of the consumer's doorbell block. */
  readonly doorbellWord: number;
  readonly producerId: number;
  readonly consumerId: number;

  // Producer diagnostics: publish() calls that stored a tail, notifies sent, reserve() refusals.
  publishes = 0;
  notifies = 0;
  fullCount = 0;

  private readonly mask: number;
  private readonly dataStart: number;
  private readonly iHead: number;
  private readonly iTail: number;
  private readonly iWaiting: number;
  private readonly iClosed: number;
  private readonly iSeq: number;
  private readonly iSleeping: number;

  // producer state
  private wpos: number;
  private published: number;
  private cachedHead: number;
  private resAt = -1;
  private resLen = 0;
  private resType = 0;
  // consumer state
  private rpos: number;
  private doorbellObj: Doorbell | undefined;
  private readonly readyFn = (): boolean => this.hasData() || this.closed;

  private constructor(sab: SharedArrayBuffer, byteOffset: number) {
    this.sab = sab;
    this.byteOffset = byteOffset;
    this.bytes = new Uint8Array(sab);
    this.i32 = new Int32Array(sab, 0, sab.byteLength >> 2);
    const base = byteOffset >> 2;
    if (Atomics.load(this.i32, base + kMagic) !== RING_MAGIC) {
      throw new TypeError(`no ring at byteOffset ${byteOffset} (bad magic)`);
    }
    this.capacity = Atomics.load(this.i32, base + kCapacity);
    this.doorbellWord = Atomics.load(this.i32, base + kDoorbellWord);
    this.producerId = Atomics.load(this.i32, base + kProducerId);
    this.consumerId = Atomics.load(this.i32, base + kConsumerId);
    this.mask = this.capacity - 1;
    this.maxRecordLen = Math.min(MAX_RECORD_LEN, (this.capacity >> 1) - RECORD_HEADER_BYTES);
    this.dataStart = byteOffset + RING_CONTROL_BYTES;
    this.iHead = base + kHead;
    this.iTail = base + kTail;
    this.iWaiting = base + kProducerWaiting;
    this.iClosed = base + kClosed;
    this.iSeq = this.doorbellWord + kWakeSeq;
    this.iSleeping = this.doorbellWord + kConsumerSleeping;
    this.wpos = this.published = Atomics.load(this.i32, this.iTail);
    this.cachedHead = this.rpos = Atomics.load(this.i32, this.iHead);
  }

  /** Bytes a ring of `capacity` data bytes takes in a buffer. */
  static bytesFor(capacity: number): number {
    return RING_CONTROL_BYTES + capacity;
  }

  /** A ring in a buffer of its own, using its own doorbell. */
  static create(capacity: number, init: RingInit = {}): Ring {
    checkCapacity(capacity);
    const sab = new SharedArrayBuffer(Ring.bytesFor(capacity));
    return Ring.format(sab, 0, capacity, init);
  }

  /** Format a ring at `byteOffset` (64-byte aligned) of `sab` and open it. */
  static format(sab: SharedArrayBuffer, byteOffset: number, capacity: number, init: RingInit = {}): Ring {
    checkCapacity(capacity);
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0) {
      throw new RangeError('byteOffset must be a non-negative multiple of 64');
    }
    if (byteOffset + Ring.bytesFor(capacity) > sab.byteLength) {
      throw new RangeError(`the buffer is too small for a ring of capacity ${capacity} at byteOffset ${byteOffset}`);
    }
    const i32 = new Int32Array(sab, byteOffset, RING_CONTROL_BYTES >> 2);
    const own = (byteOffset >> 2) + kOwnDoorbell;
    const doorbellWord = init.doorbellWord ?? own;
    if (!Number.isInteger(doorbellWord) || doorbellWord < 0 || (doorbellWord + 2) * 4 > sab.byteLength) {
      throw new RangeError('init.doorbellWord is outside the buffer');
    }
    i32.fill(0);
    i32[kCapacity] = capacity;
    i32[kDoorbellWord] = doorbellWord;
    i32[kProducerId] = init.producer ?? -1;
    i32[kConsumerId] = init.consumer ?? -1;
    Atomics.store(i32, kMagic, RING_MAGIC);
    return new Ring(sab, byteOffset);
  }

  /** Open a ring another thread formatted (the buffer was posted once at startup). */
  static attach(sab: SharedArrayBuffer, byteOffset = 0): Ring {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('sab must be a SharedArrayBuffer');
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 64 !== 0 ||
        byteOffset + RING_CONTROL_BYTES > sab.byteLength) {
      throw new RangeError('byteOffset must be a multiple of 64 inside the buffer');
    }
    return new Ring(sab, byteOffset);
  }

  // ---- producer ----

  /**
   * Reserve room for a record of `len` payload bytes and `type` (0..0xfffe).
   * Returns the absolute offset in `bytes` where the payload goes (4-byte
   * aligned), or -1 when the ring is full (nothing is overwritten). The record
   * exists once commit() is called and is visible after publish(). A second
   * reserve() before commit() abandons the first.
   */
  reserve(len: number, type: number): number {
    if (!(len >= 0 && len <= this.maxRecordLen && (len | 0) === len)) {
      throw new RangeError(`record length ${len} is outside 0..${this.maxRecordLen}`);
    }
    if (!(type >= 0 && type <= MAX_RECORD_TYPE && (type | 0) === type)) {
      throw new RangeError(`record type ${type} is outside 0..${MAX_RECORD_TYPE}`);
    }
    const size = RECORD_HEADER_BYTES + ((len + 3) & ~3);
    let pos = this.wpos;
    const off = pos & this.mask;
    const room = this.capacity - off;
    const need = size <= room ? size : room + size;
    if (this.capacity - ((pos - this.cachedHead) | 0) < need) {
      this.cachedHead = Atomics.load(this.i32, this.iHead);
      if (this.capacity - ((pos - this.cachedHead) | 0) < need) {
        this.fullCount++;
        return -1;
      }
    }
    let at = this.dataStart + off;
    if (size > room) {
      this.i32[at >> 2] = kPadType << 16;
      pos = (pos + room) | 0;
      this.wpos = pos;
      at = this.dataStart;
    }
    this.i32[at >> 2] = (type << 16) | len;
    this.resAt = at;
    this.resLen = len;
    this.resType = type;
    return at + RECORD_HEADER_BYTES;
  }

  /** Complete the reserved record, optionally shorter than reserved (`len` <= reserved). */
  commit(len: number = this.resLen): void {
    const at = this.resAt;
    if (at < 0) throw new Error('Ring.commit without a reservation');
    if (len !== this.resLen) {
      if (!(len >= 0 && len <= this.resLen && (len | 0) === len)) {
        throw new RangeError(`commit length ${len} is outside 0..${this.resLen}`);
      }
      this.i32[at >> 2] = (this.resType << 16) | len;
    }
    this.wpos = (this.wpos + RECORD_HEADER_BYTES + ((len + 3) & ~3)) | 0;
    this.resAt = -1;
  }

  /** reserve + copy `src[start .. start+len)` + commit; false when full. */
  tryWrite(src: Uint8Array, start: number, len: number, type: number): boolean {
    const at = this.reserve(len, type);
    if (at < 0) return false;
    copyBytes(src, start, this.bytes, at, len);
    this.commit(len);
    return true;
  }

  /**
   * Make committed records visible: one Atomics.store of the tail, and one
   * notify only if the consumer said it sleeps. Returns whether anything new
   * was published.
   */
  publish(): boolean {
    const pos = this.wpos;
    if (pos === this.published) return false;
    this.published = pos;
    this.publishes++;
    Atomics.store(this.i32, this.iTail, pos);
    if (Atomics.load(this.i32, this.iSleeping) !== 0) {
      Atomics.add(this.i32, this.iSeq, 1);
      Atomics.notify(this.i32, this.iSeq);
      this.notifies++;
    }
    return true;
  }

  /**
   * Whether a record of `len` payload bytes could be reserved now. Reads the
   * consumer's head (a cache line the other core writes) only when the
   * cached one says no.
   */
  canReserve(len: number): boolean {
    const size = RECORD_HEADER_BYTES + ((len + 3) & ~3);
    const off = this.wpos & this.mask;
    const room = this.capacity - off;
    const need = size <= room ? size : room + size;
    if (this.capacity - ((this.wpos - this.cachedHead) | 0) >= need) return true;
    this.cachedHead = Atomics.load(this.i32, this.iHead);
    return this.capacity - ((this.wpos - this.cachedHead) | 0) >= need;
  }

  /**
   * Wait until a record of `len` payload bytes fits (true) or the ring is
   * closed (false). Publishes first: the consumer cannot free space for
   * records it has not seen.
   */
  waitSpace(len: number = this.maxRecordLen): Promise<boolean> {
    if (!(len >= 0 && len <= this.maxRecordLen)) {
      throw new RangeError(`record length ${len} is outside 0..${this.maxRecordLen}`);
    }
    this.publish();
    return this.waitHead(() => this.canReserve(len));
  }

  /** Publish, then wait until the consumer has consumed everything (true) or the ring is closed (false). */
  waitDrained(): Promise<boolean> {
    this.publish();
    return this.waitHead(() => Atomics.load(this.i32, this.iHead) === this.wpos);
  }

  private async waitHead(ok: () => boolean): Promise<boolean> {
    const i32 = this.i32;
    for (;;) {
      if (ok()) return true;
      if (this.closed) return false;
      Atomics.store(i32, this.iWaiting, 1);
      const head = Atomics.load(i32, this.iHead);
      if (ok() || this.closed) {
        Atomics.store(i32, this.iWaiting, 0);
        continue;
      }
      const r = waitAsync(i32, this.iHead, head);
      if (r.async) {
        holdAlive();
        try { await r.value; } finally { releaseAlive(); }
      }
      Atomics.store(i32, this.iWaiting, 0);
    }
  }

  /** Bytes committed but not yet consumed, as the producer sees them (diagnostics). */
  usedBytes(): number {
    return (this.wpos - Atomics.load(this.i32, this.iHead)) | 0;
  }

  // ---- consumer ----

  /**
   * Hand up to `max` published records to `handler`, in order, then release
   * their space with one Atomics.store of the head (and wake a producer that
   * waits for space). Returns the number of records consumed. A record whose
   * handler throws counts as consumed; one whose handler returns false does not.
   */
  poll(handler: RecordHandler, max = 0x7fffffff): number {
    const i32 = this.i32;
    const tail = Atomics.load(i32, this.iTail);
    let pos = this.rpos;
    if (pos === tail) return 0;
    const bytes = this.bytes;
    const mask = this.mask;
    const data = this.dataStart;
    let n = 0;
    let done = pos;
    try {
      while (pos !== tail && n < max) {
        const at = data + (pos & mask);
        const hdr = i32[at >> 2]!;
        const type = hdr >>> 16;
        if (type === kPadType) {
          pos = (pos + (this.capacity - (pos & mask))) | 0;
          done = pos;
          continue;
        }
        const len = hdr & 0xffff;
        done = (pos + RECORD_HEADER_BYTES + ((len + 3) & ~3)) | 0;
        if (handler(type, bytes, at + RECORD_HEADER_BYTES, len) === false) {
          done = pos;
          break;
        }
        pos = done;
        n++;
      }
    } finally {
      if (done !== this.rpos) {
        this.rpos = done;
        Atomics.store(i32, this.iHead, done);
        if (Atomics.load(i32, this.iWaiting) !== 0) Atomics.notify(i32, this.iHead);
      }
    }
    return n;
  }

  /** Whether published records are waiting (one Atomics.load). */
  hasData(): boolean {
    return Atomics.load(this.i32, this.iTail) !== this.rpos;
  }

  /**
   * Resolve when records may be available or the ring is closed: spin up to
   * `spin` iterations checking the tail, then sleep on the doorbell.
   */
  waitAsync(spin = 0): Promise<void> {
    return this.sleep(spin) ?? RESOLVED;
  }

  /** Like waitAsync() but returns undefined instead of a promise when no wait is needed. */
  sleep(spin = 0): Promise<void> | undefined {
    return this.doorbell().sleep(this.readyFn, spin);
  }

  /** The consumer's doorbell object for this ring (shared rings: any one ring's will do). */
  doorbell(): Doorbell {
    return (this.doorbellObj ??= new Doorbell(this.i32, this.doorbellWord));
  }

  // ---- both ----

  get closed(): boolean {
    return Atomics.load(this.i32, this.iClosed) !== 0;
  }

  /** Mark the ring closed and wake both sides; records already published can still be polled. */
  close(): void {
    Atomics.store(this.i32, this.iClosed, 1);
    Atomics.add(this.i32, this.iSeq, 1);
    Atomics.notify(this.i32, this.iSeq);
    Atomics.notify(this.i32, this.iHead);
  }
}

function checkCapacity(capacity: number): void {
  if (!isPow2(capacity) || capacity < MIN_RING_CAPACITY || capacity > MAX_RING_CAPACITY) {
    throw new RangeError(`capacity must be a power of two in ${MIN_RING_CAPACITY}..${MAX_RING_CAPACITY}, got ${capacity}`);
  }
}

/**
 * Copy `len` bytes. Short copies are a byte loop (cheaper than a builtin call
 * here); longer ones use native copyWithin when both views are of the same
 * buffer at the same offset (rings of one arena: no allocation), else one
 * short-lived subarray view for the native memcpy. Thresholds measured on
 * Node 20 (a byte loop into shared memory costs ~1.5 ns a byte).
 */
export function copyBytes(src: Uint8Array, start: number, dst: Uint8Array, at: number, len: number): void {
  if (len <= 48) {
    for (let i = 0; i < len; i++) dst[at + i] = src[start + i]!;
  } else if (src.buffer === dst.buffer && src.byteOffset === dst.byteOffset) {
    dst.copyWithin(at, start, start + len);
  } else {
    dst.set(src.subarray(start, start + len), at);
  }
}

/** Copy `words` Int32 words without allocating (a loop, or copyWithin inside one buffer). */
export function copyWords(src: Int32Array, from: number, dst: Int32Array, to: number, words: number): void {
  if (words > 12 && src.buffer === dst.buffer && src.byteOffset === dst.byteOffset) {
    dst.copyWithin(to, from, from + words);
  } else {
    for (let i = 0; i < words; i++) dst[to + i] = src[from + i]!;
  }
}

// ---- a set of rings in one buffer ----

/** 'ARN1': the buffer holds a ring arena. */
export const ARENA_MAGIC = 0x41524e31;
// Arena header, Int32 slot indexes from word 0.
export const kArenaMagic = 0;
export const kArenaRings = 1;
export const kArenaDoorbells = 2;
/** First table entry; each ring takes kArenaEntryWords words. */
export const kArenaTable = 4;
const kEntryOffset = 0;
const kEntryProducer = 1;
const kEntryConsumer = 2;
const kArenaEntryWords = 3;
/** Doorbell table entry after the ring table: [consumer id, doorbell word]. */
const kDoorbellEntryWords = 2;

/** One ring of an arena: `producer` writes, `consumer` reads (endpoint ids, 0..0xfffe). */
export interface RingSpec {
  producer: number;
  consumer: number;
  /** Data bytes, a power of two. */
  capacity: number;
}

export interface ArenaRing {
  readonly index: number;
  readonly byteOffset: number;
  readonly producer: number;
  readonly consumer: number;
}

/**
 * Every ring of a topology in one SharedArrayBuffer, with one doorbell per
 * consuming endpoint shared by all the rings it reads (so a thread sleeps on
 * one word however many peers feed it). The buffer is posted once to each
 * thread; `RingArena.attach(sab)` rebuilds the table there. Rings in one
 * buffer also let a forward copy a record with a single native copyWithin.
 */
export class RingArena {
  readonly rings: readonly ArenaRing[];
  private readonly doorbells = new Map<number, number>();

  private constructor(readonly sab: SharedArrayBuffer) {
    const i32 = new Int32Array(sab);
    if (Atomics.load(i32, kArenaMagic) !== ARENA_MAGIC) throw new TypeError('not a ring arena (bad magic)');
    const n = i32[kArenaRings]!;
    const rings: ArenaRing[] = [];
    for (let i = 0; i < n; i++) {
      const e = kArenaTable + i * kArenaEntryWords;
      rings.push({ index: i, byteOffset: i32[e + kEntryOffset]!, producer: i32[e + kEntryProducer]!, consumer: i32[e + kEntryConsumer]! });
    }
    const d0 = kArenaTable + n * kArenaEntryWords;
    for (let i = 0; i < i32[kArenaDoorbells]!; i++) {
      this.doorbells.set(i32[d0 + i * kDoorbellEntryWords]!, i32[d0 + i * kDoorbellEntryWords + 1]!);
    }
    this.rings = rings;
  }

  /** Lay out and format the rings; at most one ring per (producer, consumer) pair. */
  static create(specs: readonly RingSpec[]): RingArena {
    const seen = new Set<string>();
    const consumers: number[] = [];
    specs.forEach((s, i) => {
      for (const f of ['producer', 'consumer'] as const) {
        if (!Number.isInteger(s[f]) || s[f] < 0 || s[f] > MAX_RECORD_TYPE) {
          throw new RangeError(`specs[${i}].${f} must be an integer in 0..${MAX_RECORD_TYPE}`);
        }
      }
      checkCapacity(s.capacity);
      const key = `${s.producer}>${s.consumer}`;
      if (seen.has(key)) throw new RangeError(`specs[${i}]: a second ring ${s.producer} -> ${s.consumer}`);
      seen.add(key);
      if (!consumers.includes(s.consumer)) consumers.push(s.consumer);
    });
    const headerWords = kArenaTable + specs.length * kArenaEntryWords + consumers.length * kDoorbellEntryWords;
    const headerBytes = Math.ceil((headerWords * 4) / 64) * 64;
    let off = headerBytes + consumers.length * DOORBELL_BYTES;
    const offsets = specs.map((s) => { const o = off; off += Ring.bytesFor(s.capacity); return o; });
    const sab = new SharedArrayBuffer(off);
    const i32 = new Int32Array(sab);
    i32[kArenaRings] = specs.length;
    i32[kArenaDoorbells] = consumers.length;
    const doorbellWord = (c: number): number => (headerBytes + consumers.indexOf(c) * DOORBELL_BYTES) >> 2;
    specs.forEach((s, i) => {
      const e = kArenaTable + i * kArenaEntryWords;
      i32[e + kEntryOffset] = offsets[i]!;
      i32[e + kEntryProducer] = s.producer;
      i32[e + kEntryConsumer] = s.consumer;
      Ring.format(sab, offsets[i]!, s.capacity, { doorbellWord: doorbellWord(s.consumer), producer: s.producer, consumer: s.consumer });
    });
    const d0 = kArenaTable + specs.length * kArenaEntryWords;
    consumers.forEach((c, i) => {
      i32[d0 + i * kDoorbellEntryWords] = c;
      i32[d0 + i * kDoorbellEntryWords + 1] = doorbellWord(c);
    });
    Atomics.store(i32, kArenaMagic, ARENA_MAGIC);
    return new RingArena(sab);
  }

  /** Rebuild the arena from a buffer posted by the thread that created it. */
  static attach(sab: SharedArrayBuffer): RingArena {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('sab must be a SharedArrayBuffer');
    return new RingArena(sab);
  }

  /** A new Ring object for ring `index` (one per thread and side). */
  open(index: number): Ring {
    const r = this.rings[index];
    if (r === undefined) throw new RangeError(`no ring ${index} in the arena`);
    return Ring.attach(this.sab, r.byteOffset);
  }

  /** The ring from `producer` to `consumer`, or undefined. */
  find(producer: number, consumer: number): ArenaRing | undefined {
    return this.rings.find((r) => r.producer === producer && r.consumer === consumer);
  }

  /** The doorbell shared by every ring `consumer` reads, or undefined if it reads none. */
  doorbellFor(consumer: number): Doorbell | undefined {
    const w = this.doorbells.get(consumer);
    return w === undefined ? undefined : new Doorbell(new Int32Array(this.sab), w);
  }
}
