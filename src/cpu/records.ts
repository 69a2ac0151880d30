/**
 * The binary records every per-frame channel carries (netisr -> CPU, CPU ->
 * CPU along the chain, CPU -> supervisor), whatever the transport: a ring
 * record, a record inside a MessagePort batch, or an in-memory message of
 * the InlineEmulator. Fixed little-endian layouts, 4-byte aligned fields,
 * written and read through a DataView over the channel's buffer: nothing
 * is allocated per record on the ring path. Admin operations are rare and
 * carry JSON.
 *
 * Ordering key (`key`): in lockstep every stimulus is a tree of logical
 * messages. The root has ordinal 0; a message that creates messages gives
 * its n-th child the ordinal parent*16+n. A forward (chain hop, flow
 * handoff) keeps the ordinal; the reply that comes back after a chain has
 * phase 1. `key = ordinal*2 + phase`. The supervisor sorts the frames (and
 * events) of one stimulus by (key, cpu, idx): the tree does not depend on
 * the number of CPUs (every replica is equal when a stimulus starts), and
 * within one key the CPUs act in chain order, so the sorted order is the
 * one-CPU order.
 */

// ---- record types: to a CPU ----
/** netisr -> input CPU: a checked ARP frame. key, ifindex, frame bytes. */
export const R_INPUT = 1;
/** netisr (or a CPU handing the flow on) -> CPU: send an IPv4 datagram. */
export const R_OUTPUT = 2;
/** supervisor -> CPU: one resolution attempt for arpemu resolve. */
export const R_PROBE = 3;
/** any -> CPU0: a replicated operation to sequence (op record, seq 0). */
export const R_SUBMIT = 4;
/** CPU j -> next replica (chain) or CPU0 -> every replica (fanout): a sequenced operation. */
export const R_CHAIN = 5;
/** fanout: replica -> CPU0, the operation `seq` is applied. */
export const R_ACK = 6;
/** last replica -> originating CPU: the chain has replied (lwkt_replymsg). */
export const R_DONE = 7;
/** supervisor -> CPU / netisr: set the virtual clock to t and run due timers. */
export const R_TICK = 8;
/** supervisor -> netisr: an interface exists (JSON {index,name,mac,flags}). */
export const R_IFCONF = 9;
/** supervisor -> netisr: a received frame. key, ifindex, frame bytes. */
export const R_FRAME = 10;
/** supervisor -> netisr: output request (same body as R_OUTPUT); netisr picks the CPU. */
export const R_OUTREQ = 11;
/** benchmark: an empty hop (latency measurement). */
export const R_PING = 12;

// ---- record types: to the supervisor ----
/** A frame to transmit: key, cpu, idx, ifindex, t(f64), frame. */
export const U_TX = 20;
/** An event: key, cpu, idx, JSON. */
export const U_EVENT = 21;
/** The result of an admin operation: token, JSON ({ok,result} | {ok:false,code,message}). */
export const U_RESULT = 22;
/** The outcome of a probe: token, code, mac hi, mac lo. */
export const U_PROBE = 23;
/** A replica failed where CPU0 succeeded (or the other way): JSON. Must never happen. */
export const U_DIVERGE = 24;
/** benchmark: a pong. */
export const U_PONG = 25;

// ---- replicated operations (op records: R_SUBMIT, R_CHAIN, R_DONE) ----
export const OP_UPDATE = 1;
export const OP_RSTEP = 2;
export const OP_ADMIN = 3;
export const OP_TIMER = 4;

// op record header
export const O_KIND = 0;
export const O_KEY = 4;
/** Originating CPU, or -1 for the supervisor. */
export const O_ORIGIN = 8;
/** Supervisor token (admin operation id). */
export const O_TOKEN = 12;
/** Sequence number assigned by CPU0 (f64). */
export const O_SEQ = 16;
/** CPU0's clock when it sequenced the operation (f64): every replica applies it at this time. */
export const O_TIME = 24;
export const O_BODY = 32;

// OP_UPDATE body (u32 each): the ArpUpdate, then the reply part of the decision.
export const U_IFINDEX = 32;
export const U_SADDR = 36;
export const U_SHA_HI = 40;
export const U_SHA_LO = 44;
export const U_HLN = 48;
export const U_CREATE = 52;
export const U_UTIME = 56;
export const U_SRC_HI = 60;
export const U_SRC_LO = 64;
/** bit 0 isRequest, bit 1 dupip. */
export const U_DFLAGS = 68;
export const U_REPLY_IFINDEX = 72;
export const U_HRD = 76;
export const U_ITADDR = 80;
export const U_MYADDR = 84;
export const U_EN_HI = 88;
export const U_EN_LO = 92;
export const U_DSHA_HI = 96;
export const U_DSHA_LO = 100;
export const U_SPA = 104;
export const OP_UPDATE_LEN = 108;

// OP_RSTEP body
export const S_KIND = 32;
export const S_IP = 36;
export const S_IFINDEX = 40;
export const S_TIME = 44;
export const S_ORIGIN = 48;
export const OP_RSTEP_LEN = 52;

// OP_ADMIN body: JSON length, CPU0's outcome (0 ok, 1 failed), JSON bytes
export const A_LEN = 32;
export const A_STATUS = 36;
export const A_JSON = 40;

export const OP_TIMER_LEN = 32;

// R_INPUT / R_FRAME: key, ifindex, frame
export const F_KEY = 0;
export const F_IFINDEX = 4;
export const F_FRAME = 8;

// R_OUTPUT / R_OUTREQ: key, dst, proto, size, id, flags
export const P_KEY = 0;
export const P_DST = 4;
export const P_PROTO = 8;
export const P_SIZE = 12;
export const P_ID = 16;
/** bit 0: already handed on once (process where it lands). */
export const P_FLAGS = 20;
export const P_LEN = 24;

// R_PROBE: key, dst, token
export const Q_KEY = 0;
export const Q_DST = 4;
export const Q_TOKEN = 8;
export const Q_LEN = 12;

// U_TX: key, cpu, idx, ifindex, t, frame
export const T_KEY = 0;
export const T_CPU = 4;
export const T_IDX = 8;
export const T_IFINDEX = 12;
export const T_TIME = 16;
export const T_FRAME = 24;

// U_EVENT: key, cpu, idx, JSON
export const E_KEY = 0;
export const E_CPU = 4;
export const E_IDX = 8;
export const E_JSON = 12;

// U_PROBE: token, code, mac hi, mac lo
export const B_TOKEN = 0;
export const B_CODE = 4;
export const B_MAC_HI = 8;
export const B_MAC_LO = 12;
export const B_LEN = 16;

/** The key of the n-th (1-based) child message of a message with key `parent`. */
export function childKey(parent: number, n: number): number {
  const ord = Math.floor(parent / 2);
  return (ord * 16 + Math.min(n, 15)) * 2;
}

/** The phase-1 key of the reply to a message with key `k`. */
export function replyKey(k: number): number {
  return k - (k % 2) + 1;
}

/** Compare two sort keys (key, cpu, idx): negative when a goes first. */
export function compareOrder(ka: number, ca: number, ia: number, kb: number, cb: number, ib: number): number {
  return ka - kb || ca - cb || ia - ib;
}

const TWO32 = 0x1_0000_0000;

/** The high 16 bits of a 48-bit MAC. */
export function macHi(mac: number): number { return Math.floor(mac / TWO32); }
/** The low 32 bits of a 48-bit MAC (as u32). */
export function macLo(mac: number): number { return mac % TWO32; }
export function macOf(hi: number, lo: number): number { return hi * TWO32 + lo; }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Write `s` as UTF-8 at `at`; returns the byte count (the caller reserved utf8Length(s)). */
export function writeUtf8(u8: Uint8Array, at: number, s: string): number {
  return encoder.encodeInto(s, u8.subarray(at)).written;
}

/** Bytes `s` takes in UTF-8 (upper bound fine for reserve: 3 per UTF-16 unit). */
export function utf8Bound(s: string): number { return s.length * 3; }

export function readUtf8(u8: Uint8Array, at: number, len: number): string {
  // TextDecoder refuses views of a SharedArrayBuffer: copy first.
  const src = u8.buffer instanceof SharedArrayBuffer ? u8.slice(at, at + len) : u8.subarray(at, at + len);
  return decoder.decode(src);
}

/**
 * A record handler: `type`, then the payload at u8[off .. off+len) (dv is a
 * DataView of the same buffer). Returning false leaves the record (and the
 * rest of the batch) in a ring, to be handed out again later: a netisr whose
 * CPU ring is full stops reading instead of queueing in memory.
 */
export type RecordHandler = (type: number, u8: Uint8Array, dv: DataView, off: number, len: number) => boolean | void;
