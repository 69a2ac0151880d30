/**
 * ARP counters: FreeBSD's flat `struct arpstat` (net/if_arp.h) field names,
 * one instance per CPU replica, summed on read. Plus a counter per input
 * drop reason, indexed by the reason code so the hot path bumps an array
 * slot instead of looking a name up.
 *
 * Frame accounting (every frame offered to arpIntr ends in exactly one place):
 *   rxframes = received + (drops of the arpintr stage)
 *   received = accepted + (drops of the in_arpinput stage)
 */
import {
  ARP_BAD_HLN, ARP_BAD_HRD, ARP_BAD_OP, ARP_BAD_PLN, ARP_BAD_PRO, ARP_NOT_ARP,
  ARP_RUNT, ARP_TRUNCATED,
} from '../wire/arp.js';

// Drop reason codes. 1..8 are the wire check codes (src/wire/arp.ts) so a
// failed check indexes the array directly; ours follow.
export const DROP_RUNT = ARP_RUNT;
export const DROP_NOT_ARP = ARP_NOT_ARP;
export const DROP_BAD_HRD = ARP_BAD_HRD;
export const DROP_TRUNCATED = ARP_TRUNCATED;
export const DROP_BAD_PRO = ARP_BAD_PRO;
export const DROP_BAD_HLN = ARP_BAD_HLN;
export const DROP_BAD_PLN = ARP_BAD_PLN;
export const DROP_BAD_OP = ARP_BAD_OP;
/** A unicast frame for another station's address (ether_input drops it unless promiscuous). */
export const DROP_OTHER_HOST = 9;
/** ARP on an interface marked noarp (ether_demux frees it before arpintr). */
export const DROP_NOARP = 10;
/** in_arpinput: neither address matched and the interface has no IPv4 address. */
export const DROP_NO_INET_ADDR = 11;
/** in_arpinput: the sender hardware address is our own (our frame came back). */
export const DROP_FROM_SELF = 12;
/** in_arpinput: the sender hardware address is the broadcast address. */
export const DROP_BCAST_LLADDR = 13;
/** in_arpinput: restricted_match and the target is not our address. */
export const DROP_RESTRICTED = 14;

export type DropReason =
  | 'runt' | 'not_arp' | 'bad_hrd' | 'truncated' | 'bad_pro' | 'bad_hln' | 'bad_pln' | 'bad_op'
  | 'other_host' | 'noarp' | 'no_inet_addr' | 'from_self' | 'bcast_lladdr' | 'restricted_match';

/** Name by code; index 0 (ok) is unused. */
export const DROP_REASON_NAMES: readonly (DropReason | 'ok')[] = [
  'ok', 'runt', 'not_arp', 'bad_hrd', 'truncated', 'bad_pro', 'bad_hln', 'bad_pln', 'bad_op',
  'other_host', 'noarp', 'no_inet_addr', 'from_self', 'bcast_lladdr', 'restricted_match',
];
export const DROP_REASON_COUNT = DROP_REASON_NAMES.length;
/** Codes dropped by the arpintr stage (netisr); the rest by in_arpinput. */
export const INTR_STAGE_MAX = DROP_NOARP;

export function dropReasonName(code: number): DropReason {
  const n = DROP_REASON_NAMES[code];
  if (n === undefined || n === 'ok') throw new RangeError(`dropReasonName: no drop reason ${code}`);
  return n;
}

/** The plain-value form (dump `stats`, netstat -s, crossing threads). */
export interface ArpStatValues {
  /** ARP requests sent (gratuitous ones included). */
  txrequests: number;
  /** ARP replies sent. */
  txreplies: number;
  /** Gratuitous requests sent (address added, announce entries); also in txrequests. */
  txannounces: number;
  /** Requests received (after the arpintr checks). */
  rxrequests: number;
  /** Replies received (after the arpintr checks). */
  rxreplies: number;
  /** Received frames whose sender and target protocol addresses are equal. */
  rxannounces: number;
  /** Frames that passed the arpintr checks. */
  received: number;
  /** Held packets dropped while waiting for a reply (replaced, or freed with the entry). */
  dropped: number;
  /** Entries freed by arptimer because they expired. */
  timeouts: number;
  /** Frames from someone else using one of our addresses. */
  dupips: number;
  /** Every frame offered to arpIntr (ours: accounting). */
  rxframes: number;
  /** Frames in_arpinput processed to the end (learned from and/or answered). */
  accepted: number;
  /** Held packets sent after their entry resolved. */
  heldsent: number;
  /** Updates refused: entry on another interface (arp_update_oncpu). */
  wrongiface: number;
  /** Updates refused: permanent entry with another address. */
  permmodify: number;
  /** Updates refused: hardware address length differs from the interface's. */
  badaddrlen: number;
  /** Entries rejected (host down) after maxtries unanswered requests. */
  rejects: number;
  /** Input drops by reason name. */
  drops: Record<DropReason, number>;
}

const SCALAR_FIELDS = [
  'txrequests', 'txreplies', 'txannounces', 'rxrequests', 'rxreplies', 'rxannounces',
  'received', 'dropped', 'timeouts', 'dupips', 'rxframes', 'accepted', 'heldsent',
  'wrongiface', 'permmodify', 'badaddrlen', 'rejects',
] as const satisfies readonly (keyof ArpStatValues)[];

export type ArpStatField = (typeof SCALAR_FIELDS)[number];
export const ARPSTAT_FIELDS: readonly ArpStatField[] = SCALAR_FIELDS;

/** One CPU's counters. Fields are plain numbers: `stats.txrequests++` on hot paths. */
export class ArpStat {
  txrequests = 0;
  txreplies = 0;
  txannounces = 0;
  rxrequests = 0;
  rxreplies = 0;
  rxannounces = 0;
  received = 0;
  dropped = 0;
  timeouts = 0;
  dupips = 0;
  rxframes = 0;
  accepted = 0;
  heldsent = 0;
  wrongiface = 0;
  permmodify = 0;
  badaddrlen = 0;
  rejects = 0;
  /** Input drops, indexed by DROP_* code. */
  readonly drops = new Float64Array(DROP_REASON_COUNT);

  /** Count one dropped input frame. */
  drop(code: number): void { this.drops[code]!++; }

  /** Sum of the drop counters of the arpintr stage, or of in_arpinput (`stage`). */
  dropsIn(stage: 'intr' | 'input' | 'all' = 'all'): number {
    let s = 0;
    for (let i = 1; i < DROP_REASON_COUNT; i++) {
      if (stage === 'intr' && i > INTR_STAGE_MAX) continue;
      if (stage === 'input' && i <= INTR_STAGE_MAX) continue;
      s += this.drops[i]!;
    }
    return s;
  }

  reset(): void {
    for (const f of SCALAR_FIELDS) this[f] = 0;
    this.drops.fill(0);
  }

  /** Add another CPU's counters into this one. */
  add(o: ArpStat | ArpStatValues): this {
    for (const f of SCALAR_FIELDS) this[f] += o[f];
    if (o instanceof ArpStat) {
      for (let i = 0; i < DROP_REASON_COUNT; i++) this.drops[i]! += o.drops[i]!;
    } else {
      for (let i = 1; i < DROP_REASON_COUNT; i++) this.drops[i]! += o.drops[DROP_REASON_NAMES[i] as DropReason] ?? 0;
    }
    return this;
  }

  toJSON(): ArpStatValues {
    const drops = {} as Record<DropReason, number>;
    for (let i = 1; i < DROP_REASON_COUNT; i++) drops[DROP_REASON_NAMES[i] as DropReason] = this.drops[i]!;
    const out = { drops } as ArpStatValues;
    for (const f of SCALAR_FIELDS) out[f] = this[f];
    return out;
  }

  static from(v: ArpStatValues): ArpStat { return new ArpStat().add(v); }
}

/** Sum per-CPU counters (netstat -s). */
export function sumArpStats(all: readonly (ArpStat | ArpStatValues)[]): ArpStatValues {
  const s = new ArpStat();
  for (const a of all) s.add(a);
  return s.toJSON();
}
