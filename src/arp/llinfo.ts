/**
 * ARP's per-entry state (DragonFly `struct llinfo_arp`), kept small enough
 * for a million entries per replica.
 *
 * The seed's llinfo is a separate allocation linked into a per-CPU list. Here
 * the two counters that matter on every entry, `la_asked` and `la_preempt`
 * (both u_short in the seed), are packed into one small integer stored in the
 * route's `llinfo` slot: no object per entry, and the route table itself is
 * the list arptimer walks. The rarely used parts live beside it, in the
 * replica: the held packet (`la_hold`) in a Map keyed by the entry's address
 * (its int32 key: one ordinary entry per address; proxy-only entries never
 * hold), and the holding CPU (`la_msgport`) is simply the replica that holds
 * the Map.
 *
 * Time: ARP keeps `rt_expire` in "ARP seconds", the clock's whole seconds
 * plus one (arpTime). FreeBSD's `time_uptime` likewise starts at 1, and it
 * matters: 0 means "permanent", so a clock that starts at 0 must never make
 * `rt_expire = time_second` read as permanent (arpresolve does exactly that
 * assignment while resolving).
 */
import type { Clock } from '../util/clock.js';
import type { Ipv4 } from '../wire/addr.js';
import type { InRtEntry, InRouteTable } from '../inet/ifnet.js';

/** Packed llinfo_arp: low 16 bits la_asked, high 16 bits la_preempt. */
export type Llinfo = number;
/** A route of an ARP replica. */
export type ArpRt = InRtEntry<Llinfo>;
export type ArpRouteTable = InRouteTable<Llinfo>;

/** A fresh llinfo (the seed bzero()s it). */
export const LLINFO_NEW: Llinfo = 0;

export function laAsked(rt: ArpRt): number { return (rt.llinfo ?? 0) & 0xffff; }
export function laPreempt(rt: ArpRt): number { return ((rt.llinfo ?? 0) >>> 16) & 0xffff; }

/** Set la_asked (u_short arithmetic: wraps at 65536 as in C). */
export function setLaAsked(rt: ArpRt, v: number): void {
  rt.llinfo = ((rt.llinfo ?? 0) & 0xffff0000) | (v & 0xffff);
}
export function setLaPreempt(rt: ArpRt, v: number): void {
  rt.llinfo = (((v & 0xffff) << 16) | ((rt.llinfo ?? 0) & 0xffff)) | 0;
}
export function setLlinfo(rt: ArpRt, asked: number, preempt: number): void {
  rt.llinfo = (((preempt & 0xffff) << 16) | (asked & 0xffff)) | 0;
}

/** `la_hold`: the one packet kept while an entry resolves (a private copy). */
export interface HeldPacket {
  /** The IPv4 packet (no Ethernet header). */
  readonly bytes: Uint8Array;
  /** Next-hop address it was sent to (arpresolve's `dst`). */
  readonly dst: Ipv4;
  /** Interface it leaves on once resolved (arpresolve's `ifp`), by index. */
  readonly ifindex: number;
}

/** ARP's `time_second`: the clock's whole seconds plus one, never 0. */
export function arpTime(clock: Clock): number {
  return clock.uptime() + 1;
}

/**
 * Seconds until `expire` (ARP seconds) from `now`: 0 for permanent
 * (CONTRACT dump `expires`); an expired entry that arptimer has not freed
 * yet gives 0 or less, as BSD arp(8) prints "expired" for it.
 */
export function expiresIn(expire: number, now: number): number {
  return expire === 0 ? 0 : expire - now;
}
