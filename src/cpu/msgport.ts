/**
 * lwkt-like message ports between threads (DragonFly's lwkt_msg/lwkt_port as
 * used by arp_update_msghandler and the netisr): send (fire and forget),
 * domsg (send and wait for the reply), forward (hand a received message to
 * the next port, as the update chain does from CPU to CPU) and reply (to the
 * message's origin). Two transports behind one interface:
 *   - `ring`: SharedArrayBuffer SPSC rings (./ring.ts), all of a topology in
 *     one buffer, one doorbell per endpoint; batched publish, no allocation per
 *     message on send / receive / forward / reply;
 *   - `port`: one raw MessagePort per directed edge, one transferred
 *     ArrayBuffer per message: the baseline.
 *
 * A message on the wire, identical on both transports (little-endian Int32 words):
 *   word 0   (type << 16) | len      the ring record header (len = 12 + body)
 *   word 1   seq                     correlation id, unique per origin
 *   word 2   origin | flags << 16    endpoint to reply to; MSGF_*
 *   word 3   error                   a reply's status (lwkt ms_error), 0 otherwise
 *   body     len - 12 bytes, encoded and decoded by the protocol layer.
 *
 * Handlers get one reused Msg whose body is a view into the ring: valid only
 * during the call (copy what must outlive it; on the port transport, not
 * after forward(), which transfers the buffer on).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ArpemuError } from '../util/errors.js';
import { Doorbell, MAX_RECORD_TYPE, Ring, RingArena, copyBytes, copyWords } from './ring.js';

/** Bytes of seq, origin|flags and error in front of the body. */
export const MSG_HEADER_BYTES = 12;
// Int32 word indexes of the message header, from the start of the ring payload.
export const kMsgSeq = 0;
export const kMsgOriginFlags = 1;
export const kMsgError = 2;
/** The message is a reply travelling back to its origin. */
export const MSGF_REPLY = 0x1;
/** The origin waits for the reply (domsg). */
export const MSGF_DOMSG = 0x2;
/** Endpoint ids are 0..MAX_ENDPOINT (16 bits on the wire). */
export const MAX_ENDPOINT = 0xfffe;
/** Largest message type (16 bits on the wire; 0xffff is the ring's pad). */
export const MAX_MSG_TYPE = MAX_RECORD_TYPE;

export type TransportKind = 'ring' | 'port';

/** A received message. One object per port, reused: valid only during the handler call. */
export class Msg {
  type = 0;
  /** Correlation id given by the origin. */
  seq = 0;
  /** The endpoint a reply goes to. */
  origin = 0;
  flags = 0;
  error = 0;
  /** The endpoint it came from on this hop. */
  from = -1;
  /** Body: bytes[offset .. offset+len). */
  bytes: Uint8Array = EMPTY;
  offset = 0;
  len = 0;
  /** @internal ring path: the inbound ring and the record payload offset (header start). */
  srcRing: Ring | null = null;
  at = 0;
  /** @internal port path: the buffer it arrived in. */
  buffer: ArrayBuffer | null = null;

  get isReply(): boolean { return (this.flags & MSGF_REPLY) !== 0; }

  /** An owned copy of the body. */
  copyBody(): Uint8Array { return this.bytes.slice(this.offset, this.offset + this.len); }
}

const EMPTY = new Uint8Array(0);

/** What domsg resolves with: an owned copy. */
export interface Reply {
  type: number;
  seq: number;
  /** The endpoint that replied. */
  from: number;
  error: number;
  body: Uint8Array;
}

/**
 * Handles one message. Return false to leave it unconsumed (ring: it is
 * delivered again after the port that refused a send has room; act only when
 * every send can succeed, see canSend). On the port transport sends never
 * fail, and false is treated as consumed.
 */
export type MsgHandler = (msg: Msg, port: MsgPort) => boolean | void;

export interface MsgPortStats {
  sent: number;
  forwarded: number;
  replied: number;
  received: number;
  /** Sends refused because the destination ring was full. */
  full: number;
  /** Times the receive loop slept / waited for space on a full ring. */
  sleeps: number;
  stalls: number;
}

export interface MsgPortOptions {
  /** Records taken from one inbound ring per round (default 256). */
  batch?: number;
  /** Busy-poll iterations before sleeping when idle (default 0: sleep at once). */
  spin?: number;
  /** Busy rounds between yields to the event loop (default 8). */
  yieldEvery?: number;
}

export interface MsgPort {
  readonly self: number;
  readonly kind: TransportKind;
  /** Endpoints this one can send to. */
  readonly peers: readonly number[];
  readonly stats: MsgPortStats;
  /** Buffer of the message begun last by beginSend/beginReply (valid until endSend). */
  readonly txBytes: Uint8Array;
  /** seq of the message begun last. */
  readonly lastSeq: number;

  /**
   * Begin a message of `len` body bytes to `to`; returns the body offset in
   * txBytes (encode there, then endSend), or -1 when the destination is full.
   */
  beginSend(to: number, type: number, len: number): number;
  /** Begin the reply to `msg` (goes to msg.origin, same seq). */
  beginReply(msg: Msg, type: number, len: number, error?: number): number;
  /** Finish the message begun last, optionally with a shorter body. */
  endSend(len?: number): void;
  /** Whether a message of `len` body bytes to `to` fits now. */
  canSend(to: number, len: number): boolean;
  /** Fire and forget (a reply, if the receiver sends one, reaches the handler). False when full. */
  send(to: number, type: number, body: Uint8Array, start: number, len: number): boolean;
  /** Send and wait for the reply (lwkt_domsg); waits for room when full. */
  domsg(to: number, type: number, body: Uint8Array, start: number, len: number): Promise<Reply>;
  /** Hand a received message on unchanged (same seq and origin). False when full. */
  forward(to: number, msg: Msg): boolean;
  /** Reply to `msg`'s origin with a body and a status. False when full. */
  reply(msg: Msg, type: number, body?: Uint8Array, start?: number, len?: number, error?: number): boolean;
  /** Resolve when a message of `len` body bytes to `to` fits (false if closed). */
  waitSpace(to: number, len?: number): Promise<boolean>;
  /** Make the messages sent so far visible (the ring batches until here; also done after each receive round and at the end of a tick). */
  flush(): void;
  /** Start receiving (once). */
  start(handler: MsgHandler): void;
  /** Stop receiving; pending domsg promises reject with ERR_MSGPORT_CLOSED. */
  close(): void;
}

// ---- descriptors: built once by the supervisor, posted once to each thread ----

export interface RingPortDesc {
  kind: 'ring';
  self: number;
  /** The arena holding every ring of the topology. */
  sab: SharedArrayBuffer;
}

export interface ChannelPortDesc {
  kind: 'port';
  self: number;
  inbound: { from: number; port: MessagePort }[];
  outbound: { to: number; port: MessagePort }[];
}

export type MsgPortDesc = RingPortDesc | ChannelPortDesc;

/**
 * Wire a topology: one channel per directed edge [from, to]. Returns each
 * endpoint's descriptor; post it to its thread with transferList(desc).
 */
export function wireMsgPorts(kind: TransportKind, edges: readonly (readonly [number, number])[],
  opts: { capacity?: number } = {}): Map<number, MsgPortDesc> {
  if (kind !== 'ring' && kind !== 'port') throw new TypeError(`kind must be 'ring' or 'port', got ${String(kind)}`);
  const ids = new Set<number>();
  for (const [i, [a, b]] of edges.entries()) {
    for (const id of [a, b]) {
      if (!Number.isInteger(id) || id < 0 || id > MAX_ENDPOINT) throw new RangeError(`edges[${i}]: endpoint ${id} is outside 0..${MAX_ENDPOINT}`);
      ids.add(id);
    }
    if (a === b) throw new RangeError(`edges[${i}]: an endpoint cannot send to itself`);
  }
  const out = new Map<number, MsgPortDesc>();
  if (kind === 'ring') {
    const capacity = opts.capacity ?? 1 << 18;
    const arena = RingArena.create(edges.map(([producer, consumer]) => ({ producer, consumer, capacity })));
    for (const self of ids) out.set(self, { kind: 'ring', self, sab: arena.sab });
  } else {
    for (const self of ids) out.set(self, { kind: 'port', self, inbound: [], outbound: [] });
    for (const [from, to] of edges) {
      const { port1, port2 } = new MessageChannel();
      (out.get(from) as ChannelPortDesc).outbound.push({ to, port: port1 });
      (out.get(to) as ChannelPortDesc).inbound.push({ from, port: port2 });
    }
  }
  return out;
}

/** What must be transferred with a descriptor's postMessage. */
export function transferList(desc: MsgPortDesc): MessagePort[] {
  return desc.kind === 'port' ? [...desc.inbound.map((e) => e.port), ...desc.outbound.map((e) => e.port)] : [];
}

/** Open this thread's endpoint from its descriptor. */
export function openMsgPort(desc: MsgPortDesc, opts: MsgPortOptions = {}): MsgPort {
  if (desc.kind === 'ring') return new RingMsgPort(desc, opts);
  if (desc.kind === 'port') return new ChannelMsgPort(desc);
  throw new TypeError(`desc.kind must be 'ring' or 'port'`);
}

// ---- common parts ----

interface Pending { resolve: (r: Reply) => void; reject: (e: Error) => void }

function checkType(type: number): void {
  if (!(type >= 0 && type <= MAX_MSG_TYPE && (type | 0) === type)) throw new RangeError(`message type ${type} is outside 0..${MAX_MSG_TYPE}`);
}

function closedError(self: number): ArpemuError {
  return new ArpemuError('ERR_MSGPORT_CLOSED', `message port ${self} closed before the reply arrived`);
}

function noLink(self: number, to: number): never {
  throw new RangeError(`no channel from endpoint ${self} to ${to}`);
}

function newStats(): MsgPortStats {
  return { sent: 0, forwarded: 0, replied: 0, received: 0, full: 0, sleeps: 0, stalls: 0 };
}

abstract class BasePort {
  readonly stats = newStats();
  lastSeq = 0;
  protected seq = 0;
  protected readonly pending = new Map<number, Pending>();
  protected handler: MsgHandler | null = null;
  protected closed = false;
  protected readonly msg = new Msg();
  /** Flags of the message begun last (a reply is counted as one). */
  protected curFlags = 0;

  constructor(readonly self: number) {
    if (!Number.isInteger(self) || self < 0 || self > MAX_ENDPOINT) throw new RangeError(`desc.self ${self} is outside 0..${MAX_ENDPOINT}`);
  }

  abstract beginSend(to: number, type: number, len: number): number;
  abstract endSend(len?: number): void;
  abstract waitSpace(to: number, len?: number): Promise<boolean>;
  abstract flush(): void;
  abstract readonly txBytes: Uint8Array;
  protected abstract begin(to: number, type: number, len: number, seq: number, origin: number, flags: number, error: number): number;

  protected countSent(): void {
    if ((this.curFlags & MSGF_REPLY) !== 0) this.stats.replied++;
    else this.stats.sent++;
  }

  protected nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  beginReply(msg: Msg, type: number, len: number, error = 0): number {
    return this.begin(msg.origin, type, len, msg.seq, msg.origin, MSGF_REPLY | (msg.flags & MSGF_DOMSG), error);
  }

  send(to: number, type: number, body: Uint8Array, start: number, len: number): boolean {
    const at = this.beginSend(to, type, len);
    if (at < 0) return false;
    copyBytes(body, start, this.txBytes, at, len);
    this.endSend(len);
    return true;
  }

  reply(msg: Msg, type: number, body: Uint8Array = EMPTY, start = 0, len = 0, error = 0): boolean {
    const at = this.beginReply(msg, type, len, error);
    if (at < 0) return false;
    copyBytes(body, start, this.txBytes, at, len);
    this.endSend(len);
    return true;
  }

  async domsg(to: number, type: number, body: Uint8Array, start: number, len: number): Promise<Reply> {
    if (this.closed) throw closedError(this.self);
    const seq = this.nextSeq();
    let at = this.begin(to, type, len, seq, this.self, MSGF_DOMSG, 0);
    while (at < 0) {
      if (!(await this.waitSpace(to, len))) throw closedError(this.self);
      at = this.begin(to, type, len, seq, this.self, MSGF_DOMSG, 0);
    }
    copyBytes(body, start, this.txBytes, at, len);
    const p = new Promise<Reply>((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    this.endSend(len);
    this.flush();
    return p;
  }

  /** Deliver a received message; domsg replies settle their promise. */
  protected deliver(m: Msg): boolean | void {
    this.stats.received++;
    if ((m.flags & (MSGF_REPLY | MSGF_DOMSG)) === (MSGF_REPLY | MSGF_DOMSG) && m.origin === this.self) {
      const p = this.pending.get(m.seq);
      if (p !== undefined) {
        this.pending.delete(m.seq);
        p.resolve({ type: m.type, seq: m.seq, from: m.from, error: m.error, body: m.copyBody() });
        return true;
      }
    }
    return this.handler === null ? true : this.handler(m, this as unknown as MsgPort);
  }

  protected rejectPending(): void {
    const e = closedError(this.self);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

// ---- ring transport ----

class RingMsgPort extends BasePort implements MsgPort {
  readonly kind = 'ring' as const;
  readonly peers: readonly number[];
  txBytes: Uint8Array = EMPTY;
  private readonly out: (Ring | undefined)[] = [];
  private readonly inRings: Ring[] = [];
  private readonly inFrom: number[] = [];
  private readonly bell: Doorbell | undefined;
  private readonly dirty: Ring[] = [];
  private readonly isDirty: boolean[] = [];
  private cur: Ring | null = null;
  private curTo = -1;
  private curIn: Ring | null = null;
  private curFrom = -1;
  private inRound = false;
  private flushQueued = false;
  private stalled: Ring | null = null;
  private stalledLen = 0;
  private readonly batch: number;
  private readonly spin: number;
  private readonly yieldEvery: number;

  private readonly onRecord = (type: number, bytes: Uint8Array, off: number, len: number): boolean | void => {
    if (len < MSG_HEADER_BYTES) return true; // not ours: drop
    const m = this.msg;
    const i32 = this.curIn!.i32;
    const w = off >> 2;
    m.type = type;
    m.seq = i32[w + kMsgSeq]! >>> 0;
    const of = i32[w + kMsgOriginFlags]!;
    m.origin = of & 0xffff;
    m.flags = of >>> 16;
    m.error = i32[w + kMsgError]!;
    m.from = this.curFrom;
    m.bytes = bytes;
    m.offset = off + MSG_HEADER_BYTES;
    m.len = len - MSG_HEADER_BYTES;
    m.srcRing = this.curIn;
    m.at = off;
    const r = this.deliver(m);
    if (r === false) this.stats.received--;
    else this.stalled = null; // a refused send the handler chose to drop does not pause input
    return r;
  };
  private readonly ready = (): boolean => {
    if (this.closed) return true;
    for (let i = 0; i < this.inRings.length; i++) if (this.inRings[i]!.hasData()) return true;
    return false;
  };
  private readonly flushTask = (): void => { this.flushQueued = false; this.flush(); };

  constructor(desc: RingPortDesc, opts: MsgPortOptions) {
    super(desc.self);
    this.batch = positive(opts.batch ?? 256, 'opts.batch');
    this.spin = nonNegative(opts.spin ?? 0, 'opts.spin');
    this.yieldEvery = positive(opts.yieldEvery ?? 8, 'opts.yieldEvery');
    const arena = RingArena.attach(desc.sab);
    const peers: number[] = [];
    for (const r of arena.rings) {
      if (r.producer === this.self) {
        this.out[r.consumer] = arena.open(r.index);
        peers.push(r.consumer);
      }
      if (r.consumer === this.self) {
        this.inRings.push(arena.open(r.index));
        this.inFrom.push(r.producer);
      }
    }
    this.peers = peers;
    this.bell = arena.doorbellFor(this.self);
  }

  protected begin(to: number, type: number, len: number, seq: number, origin: number, flags: number, error: number): number {
    checkType(type);
    const ring = this.out[to] ?? noLink(this.self, to);
    if (len > ring.maxRecordLen - MSG_HEADER_BYTES || len < 0) {
      throw new RangeError(`message body length ${len} is outside 0..${ring.maxRecordLen - MSG_HEADER_BYTES}`);
    }
    const at = ring.reserve(MSG_HEADER_BYTES + len, type);
    if (at < 0) {
      this.stats.full++;
      if (this.inRound) { this.stalled = ring; this.stalledLen = MSG_HEADER_BYTES + len; }
      return -1;
    }
    const i32 = ring.i32;
    const w = at >> 2;
    i32[w + kMsgSeq] = seq;
    i32[w + kMsgOriginFlags] = origin | (flags << 16);
    i32[w + kMsgError] = error;
    this.cur = ring;
    this.curTo = to;
    this.curFlags = flags;
    this.txBytes = ring.bytes;
    this.lastSeq = seq;
    return at + MSG_HEADER_BYTES;
  }

  beginSend(to: number, type: number, len: number): number {
    return this.begin(to, type, len, this.nextSeq(), this.self, 0, 0);
  }

  endSend(len?: number): void {
    const ring = this.cur;
    if (ring === null) throw new Error('endSend without beginSend');
    ring.commit(len === undefined ? undefined : MSG_HEADER_BYTES + len);
    this.cur = null;
    this.countSent();
    this.markDirty(ring, this.curTo);
  }

  canSend(to: number, len: number): boolean {
    const ring = this.out[to] ?? noLink(this.self, to);
    return ring.canReserve(MSG_HEADER_BYTES + len);
  }

  forward(to: number, msg: Msg): boolean {
    const src = msg.srcRing;
    if (src === null) throw new TypeError('forward: the message did not arrive on this ring port');
    const ring = this.out[to] ?? noLink(this.self, to);
    const total = MSG_HEADER_BYTES + msg.len;
    const at = ring.reserve(total, msg.type);
    if (at < 0) {
      this.stats.full++;
      if (this.inRound) { this.stalled = ring; this.stalledLen = total; }
      return false;
    }
    // Rings of one arena share the buffer: one native copyWithin.
    copyWords(src.i32, msg.at >> 2, ring.i32, at >> 2, (total + 3) >> 2);
    ring.commit(total);
    this.stats.forwarded++;
    this.markDirty(ring, to);
    return true;
  }

  waitSpace(to: number, len = 0): Promise<boolean> {
    const ring = this.out[to] ?? noLink(this.self, to);
    return ring.waitSpace(MSG_HEADER_BYTES + len);
  }

  private markDirty(ring: Ring, to: number): void {
    if (this.isDirty[to] !== true) {
      this.isDirty[to] = true;
      this.dirty.push(ring);
    }
    if (!this.inRound && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
  }

  flush(): void {
    const d = this.dirty;
    for (let i = 0; i < d.length; i++) d[i]!.publish();
    for (let i = 0; i < d.length; i++) this.isDirty[d[i]!.consumerId] = false;
    d.length = 0;
  }

  start(handler: MsgHandler): void {
    if (this.handler !== null) throw new Error('start: already receiving');
    this.handler = handler;
    if (this.inRings.length > 0) void this.loop();
  }

  private async loop(): Promise<void> {
    const bell = this.bell!;
    let busy = 0;
    while (!this.closed) {
      let n = 0;
      this.inRound = true;
      try {
        for (let i = 0; i < this.inRings.length && this.stalled === null; i++) {
          this.curIn = this.inRings[i]!;
          this.curFrom = this.inFrom[i]!;
          n += this.curIn.poll(this.onRecord, this.batch);
        }
      } finally {
        this.inRound = false;
        this.flush();
      }
      const stalled = this.stalled;
      if (stalled !== null) {
        // A handler left its message for lack of room: wait for that ring, then retry.
        this.stalled = null;
        this.stats.stalls++;
        await stalled.waitSpace(this.stalledLen);
        continue;
      }
      if (n > 0) {
        if (++busy >= this.yieldEvery) {
          busy = 0;
          await yieldToLoop();
        } else {
          await undefined; // let domsg continuations run
        }
        continue;
      }
      busy = 0;
      const p = bell.sleep(this.ready, this.spin);
      if (p !== undefined) {
        this.stats.sleeps++;
        await p;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.bell?.wake();
    this.rejectPending();
  }
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer`);
  return n;
}

function nonNegative(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return n;
}

// ---- MessagePort transport ----

/** Port messages are ring records: header word, message header, body. */
const PORT_HEADER_BYTES = 4 + MSG_HEADER_BYTES;

function putI32(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v; u8[at + 1] = v >>> 8; u8[at + 2] = v >>> 16; u8[at + 3] = v >>> 24;
}

function getI32(u8: Uint8Array, at: number): number {
  return u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16) | (u8[at + 3]! << 24);
}

class ChannelMsgPort extends BasePort implements MsgPort {
  readonly kind = 'port' as const;
  readonly peers: readonly number[];
  txBytes: Uint8Array = EMPTY;
  private readonly out: (MessagePort | undefined)[] = [];
  private readonly inbound: { from: number; port: MessagePort }[];
  private curTo = -1;
  private curType = 0;
  private curLen = 0;

  constructor(desc: ChannelPortDesc) {
    super(desc.self);
    for (const { to, port } of desc.outbound) this.out[to] = port;
    this.peers = desc.outbound.map((e) => e.to);
    this.inbound = desc.inbound;
  }

  protected begin(to: number, type: number, len: number, seq: number, origin: number, flags: number, error: number): number {
    checkType(type);
    if (this.out[to] === undefined) noLink(this.self, to);
    if (!(len >= 0 && len <= 0xffff - MSG_HEADER_BYTES)) throw new RangeError(`message body length ${len} is outside 0..${0xffff - MSG_HEADER_BYTES}`);
    const u8 = new Uint8Array(PORT_HEADER_BYTES + len);
    putI32(u8, 4, seq);
    putI32(u8, 8, origin | (flags << 16));
    putI32(u8, 12, error);
    this.txBytes = u8;
    this.curTo = to;
    this.curType = type;
    this.curLen = len;
    this.curFlags = flags;
    this.lastSeq = seq;
    return PORT_HEADER_BYTES;
  }

  beginSend(to: number, type: number, len: number): number {
    return this.begin(to, type, len, this.nextSeq(), this.self, 0, 0);
  }

  endSend(len: number = this.curLen): void {
    if (this.curTo < 0) throw new Error('endSend without beginSend');
    putI32(this.txBytes, 0, (this.curType << 16) | (MSG_HEADER_BYTES + len));
    const buf = this.txBytes.buffer as ArrayBuffer;
    this.out[this.curTo]!.postMessage(buf, [buf]);
    this.curTo = -1;
    this.countSent();
  }

  canSend(to: number): boolean {
    if (this.out[to] === undefined) noLink(this.self, to);
    return true;
  }

  forward(to: number, msg: Msg): boolean {
    const port = this.out[to] ?? noLink(this.self, to);
    const buf = msg.buffer;
    if (buf === null) throw new TypeError('forward: the message did not arrive on this port');
    port.postMessage(buf, [buf]); // the same buffer travels on: no copy
    msg.buffer = null;
    this.stats.forwarded++;
    return true;
  }

  waitSpace(to: number): Promise<boolean> {
    if (this.out[to] === undefined) noLink(this.self, to);
    return Promise.resolve(!this.closed);
  }

  flush(): void {}

  start(handler: MsgHandler): void {
    if (this.handler !== null) throw new Error('start: already receiving');
    this.handler = handler;
    for (const { from, port } of this.inbound) {
      port.on('message', (buf: ArrayBuffer) => this.onMessage(from, buf));
    }
  }

  private onMessage(from: number, buf: ArrayBuffer): void {
    if (this.closed || !(buf instanceof ArrayBuffer) || buf.byteLength < PORT_HEADER_BYTES) return;
    const u8 = new Uint8Array(buf);
    const hdr = getI32(u8, 0);
    const m = this.msg;
    m.type = hdr >>> 16;
    m.len = Math.min((hdr & 0xffff) - MSG_HEADER_BYTES, buf.byteLength - PORT_HEADER_BYTES);
    m.seq = getI32(u8, 4) >>> 0;
    const of = getI32(u8, 8);
    m.origin = of & 0xffff;
    m.flags = of >>> 16;
    m.error = getI32(u8, 12);
    m.from = from;
    m.bytes = u8;
    m.offset = PORT_HEADER_BYTES;
    m.buffer = buf;
    this.deliver(m);
    m.buffer = null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { port } of this.inbound) port.close();
    for (const port of this.out) port?.close();
    this.rejectPending();
  }
}
