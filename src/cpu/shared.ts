/**
 * The `shared` strategy's table: the non-replicated baseline (one ARP table,
 * FreeBSD/Linux style). CPU0 holds the only replica and does all protocol
 * work; after every operation it applies, it mirrors the usable ARP entries
 * into an open-addressing hash table in a SharedArrayBuffer, keyed by IPv4
 * address. The other CPUs read it without locks for arpresolve hits and
 * hand everything else (misses, entries close to expiry, input, admin) to
 * CPU0, the single writer.
 *
 * Slot (16 Int32 words, one cache line): a seqlock version word (odd while
 * the writer changes the slot; a reader retries when it reads an odd
 * version or a different version after reading the fields), then the key,
 * the state (empty / used / deleted), MAC high 16 / low 32 bits, expiry (ARP
 * seconds, 0 = permanent), la_preempt, interface index, source address.
 * Interfaces: one line per index (MAC, flags), rewritten on every full sync.
 *
 * A miss is never wrong, only slower (CPU0 answers it), so the writer may
 * clear and rebuild the whole table after a bulk change (arptimer, admin).
 */
import type { Ipv4 } from '../wire/addr.js';
import { isIpv4Multicast } from '../wire/addr.js';
import { RTF_GATEWAY, RTF_LLINFO, RTF_PROXY, RTF_REJECT, RTF_UP } from '../route/rtentry.js';
import { IFF_LOOPBACK, IFF_UP } from '../inet/ifnet.js';
import type { ArpReplica } from '../arp/replica.js';
import { arpTime, laPreempt, type ArpRt } from '../arp/llinfo.js';
import { buildIpv4Frame } from '../arp/frames.js';
import type { Clock } from '../util/clock.js';
import { macHi, macLo, macOf } from './records.js';

const MAGIC = 0x53484152; // 'SHAR'
const H_MAGIC = 0;
const H_SLOTS = 1;
const H_IFS = 2;
/** Bumped by every full rebuild (diagnostics). */
const H_GEN = 3;
const HEADER_WORDS = 16;
const MAX_IFS = 64;
const IF_WORDS = 4; // macHi, macLo, flags, present
const SLOT_WORDS = 16;
const S_VER = 0;
const S_KEY = 1;
const S_STATE = 2;
const S_MAC_HI = 3;
const S_MAC_LO = 4;
const S_EXPIRE = 5;
const S_PREEMPT = 6;
const S_IFINDEX = 7;
const S_SRC = 8;

/** Seqlock retries on one slot before a reader gives up (a miss). */
const MAX_TRIES = 1024;

const EMPTY = 0;
const USED = 1;
const DELETED = 2;

function hashSlot(ip: number, mask: number): number {
  return (Math.imul(ip | 0, 0x9e3779b1) >>> 0) & mask;
}

/** Lay out a table of `slots` (a power of two) entries. */
export function createSharedArpTable(slots = 1 << 16): SharedArrayBuffer {
  if (!(slots >= 16 && (slots & (slots - 1)) === 0)) throw new RangeError('slots must be a power of two >= 16');
  const words = HEADER_WORDS + MAX_IFS * IF_WORDS + slots * SLOT_WORDS;
  const sab = new SharedArrayBuffer(words * 4);
  const i32 = new Int32Array(sab);
  i32[H_SLOTS] = slots;
  i32[H_IFS] = MAX_IFS;
  Atomics.store(i32, H_MAGIC, MAGIC);
  return sab;
}

class TableView {
  readonly i32: Int32Array;
  readonly slots: number;
  readonly mask: number;
  readonly ifBase = HEADER_WORDS;
  readonly slotBase = HEADER_WORDS + MAX_IFS * IF_WORDS;
  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    if (Atomics.load(this.i32, H_MAGIC) !== MAGIC) throw new TypeError('not a shared ARP table');
    this.slots = this.i32[H_SLOTS]!;
    this.mask = this.slots - 1;
  }
}

/** An entry a reader may use for an arpresolve hit (what CPU0's arpresolve would send to at once). */
function usable(rt: ArpRt): boolean {
  if (rt.isNet) return false;
  if ((rt.flags & (RTF_UP | RTF_GATEWAY | RTF_REJECT | RTF_PROXY | RTF_LLINFO)) !== (RTF_UP | RTF_LLINFO)) return false;
  if (!rt.hasLladdr() || rt.llinfo === null) return false;
  const f = rt.ifp.flags;
  return (f & IFF_LOOPBACK) === 0 && (f & IFF_UP) !== 0 && !isIpv4Multicast(rt.dst);
}

/** CPU0's side: the single writer. */
export class SharedArpMirror {
  private readonly t: TableView;
  /** Entries that found no free slot (table too small: they are served by CPU0). */
  overflows = 0;
  constructor(sab: SharedArrayBuffer) { this.t = new TableView(sab); }

  /** Mirror the entry of `ip` (or remove it) after an operation on it. */
  syncAddr(rep: ArpReplica, ip: Ipv4): void {
    const rt = rep.routes.lookupHost(ip >>> 0);
    if (rt !== null && usable(rt)) this.put(rt);
    else this.remove(ip >>> 0);
  }

  /** Rebuild everything: interfaces and entries (after bulk changes). */
  syncAll(rep: ArpReplica): void {
    const { i32 } = this.t;
    for (const ifp of rep.net.ifnets) {
      if (ifp.index >= MAX_IFS) continue;
      const b = this.t.ifBase + ifp.index * IF_WORDS;
      i32[b] = macHi(ifp.lladdr);
      i32[b + 1] = macLo(ifp.lladdr) | 0;
      i32[b + 2] = ifp.flags;
      Atomics.store(i32, b + 3, 1);
    }
    // Clear, then re-insert: readers in between miss (and ask CPU0).
    for (let s = 0; s < this.t.slots; s++) {
      const b = this.t.slotBase + s * SLOT_WORDS;
      if (i32[b + S_STATE] === EMPTY) continue;
      this.writeSlot(b, 0, EMPTY, null);
    }
    Atomics.add(i32, H_GEN, 1);
    rep.routes.forEach((rt) => { if (usable(rt)) this.put(rt); });
  }

  private put(rt: ArpRt): void {
    const { i32, mask, slotBase } = this.t;
    const ip = rt.dst >>> 0;
    let s = hashSlot(ip, mask);
    let free = -1;
    for (let probes = 0; probes <= mask; probes++, s = (s + 1) & mask) {
      const b = slotBase + s * SLOT_WORDS;
      const st = i32[b + S_STATE];
      if (st === USED && i32[b + S_KEY] === (ip | 0)) { this.writeSlot(b, ip, USED, rt); return; }
      if (st === DELETED && free < 0) free = b;
      if (st === EMPTY) { if (free < 0) free = b; break; }
    }
    if (free < 0) { this.overflows++; return; }
    this.writeSlot(free, ip, USED, rt);
  }

  private remove(ip: number): void {
    const b = this.find(ip);
    if (b >= 0) this.writeSlot(b, ip, DELETED, null);
  }

  private find(ip: number): number {
    const { i32, mask, slotBase } = this.t;
    let s = hashSlot(ip, mask);
    for (let probes = 0; probes <= mask; probes++, s = (s + 1) & mask) {
      const b = slotBase + s * SLOT_WORDS;
      const st = i32[b + S_STATE];
      if (st === EMPTY) return -1;
      if (st === USED && i32[b + S_KEY] === (ip | 0)) return b;
    }
    return -1;
  }

  /**
   * Seqlock write: odd version, fields, even version. A writer that died
   * mid-write left the version odd (readers take it as a miss meanwhile); the
   * next write (a restarted CPU0's full sync) makes it even again.
   */
  private writeSlot(b: number, ip: number, state: number, rt: ArpRt | null): void {
    const i32 = this.t.i32;
    const v = i32[b + S_VER]! & ~1;
    Atomics.store(i32, b + S_VER, (v + 1) | 0);
    i32[b + S_KEY] = ip | 0;
    i32[b + S_STATE] = state;
    if (rt !== null) {
      const mac = rt.lladdr ?? 0;
      i32[b + S_MAC_HI] = macHi(mac);
      i32[b + S_MAC_LO] = macLo(mac) | 0;
      i32[b + S_EXPIRE] = rt.expire;
      i32[b + S_PREEMPT] = laPreempt(rt);
      i32[b + S_IFINDEX] = rt.ifp.index;
      i32[b + S_SRC] = (rt.ifa?.addr ?? 0) | 0;
    }
    Atomics.store(i32, b + S_VER, (v + 2) | 0);
  }
}

/** What a reader's transmit needs. */
export interface SharedTxTarget {
  readonly packetBuf: Uint8Array;
  transmit(ifindex: number, frame: Uint8Array, len: number): void;
}

/** A non-CPU0 CPU's side: lock-free lookups. */
export class SharedArpReader {
  private readonly t: TableView;
  private readonly frame = new Uint8Array(2048 + 14);
  hits = 0;
  misses = 0;
  retries = 0;
  // The fields of the last successful lookup.
  mac = 0;
  ifindex = 0;
  src = 0;

  constructor(sab: SharedArrayBuffer, private readonly clock: Clock) { this.t = new TableView(sab); }

  /**
   * arpresolve's hit path against the mirror: true (and mac/ifindex/src set)
   * when the entry is valid and not close to expiry at this CPU's time.
   */
  lookup(ip: number): boolean {
    const { i32, mask, slotBase } = this.t;
    let s = hashSlot(ip, mask);
    for (let probes = 0; probes <= mask; probes++, s = (s + 1) & mask) {
      const b = slotBase + s * SLOT_WORDS;
      for (let tries = 0; ; tries++) {
        // A slot that stays odd belongs to a writer that died mid-write: a miss (CPU0 answers once restarted).
        if (tries > MAX_TRIES) { this.misses++; return false; }
        const v1 = Atomics.load(i32, b + S_VER);
        if ((v1 & 1) !== 0) { this.retries++; continue; }
        const st = i32[b + S_STATE]!;
        const key = i32[b + S_KEY]!;
        const hi = i32[b + S_MAC_HI]!;
        const lo = i32[b + S_MAC_LO]!;
        const expire = i32[b + S_EXPIRE]!;
        const preempt = i32[b + S_PREEMPT]!;
        const ifindex = i32[b + S_IFINDEX]!;
        const src = i32[b + S_SRC]!;
        if (Atomics.load(i32, b + S_VER) !== v1) { this.retries++; continue; }
        if (st === EMPTY) { this.misses++; return false; }
        if (st !== USED || key !== (ip | 0)) break; // next slot
        const now = arpTime(this.clock);
        if (expire !== 0 && (expire <= now || now + preempt > expire)) { this.misses++; return false; }
        this.mac = macOf(hi, lo >>> 0);
        this.ifindex = ifindex;
        this.src = src >>> 0;
        this.hits++;
        return true;
      }
    }
    this.misses++;
    return false;
  }

  /** The MAC and flags of interface `index` as last mirrored, or false. */
  private ifMac = 0;
  private iface(index: number): boolean {
    if (index <= 0 || index >= MAX_IFS) return false;
    const b = this.t.ifBase + index * IF_WORDS;
    const i32 = this.t.i32;
    if (Atomics.load(i32, b + 3) === 0) return false;
    if ((i32[b + 2]! & IFF_UP) === 0) return false;
    this.ifMac = macOf(i32[b]!, i32[b + 1]! >>> 0);
    return true;
  }

  /**
   * Send a datagram to `dst` on a hit: build it as CPU0 would (source
   * address from the entry's interface address) and transmit. False: ask
   * CPU0.
   */
  output(ctx: SharedTxTarget, dst: number, proto: number, size: number, id: number, build: (buf: Uint8Array, src: number, dst: number, proto: number, size: number, id: number) => number): boolean {
    if (isIpv4Multicast(dst) || !this.lookup(dst) || !this.iface(this.ifindex)) return false;
    const buf = ctx.packetBuf;
    const plen = build(buf, this.src, dst, proto, size, id);
    const frame = plen + 14 <= this.frame.length ? this.frame : new Uint8Array(plen + 14);
    const flen = buildIpv4Frame(frame, this.mac, this.ifMac, buf.subarray(0, plen));
    ctx.transmit(this.ifindex, frame, flen);
    return true;
  }
}
