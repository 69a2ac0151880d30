/**
 * The invariants of a stress run, as pure functions over what a World
 * observed at a quiescent checkpoint (and, for the model comparison, what
 * the single-threaded model's world observed after the same ops). Each
 * returns the first thing found wrong, or null.
 *
 *  - replicas_agree       every CPU's ARP entries and routes equal CPU0's
 *                         (per-CPU held/asked/preempt and counters aside);
 *  - model_agree          CPU0 equals the model: tables, counters summed
 *                         over CPUs, every frame transmitted (a digest of
 *                         the whole stream), results of admin operations;
 *  - permanent_unchanged  a permanent entry keeps its MAC across anything
 *                         received from the network (windows without
 *                         administration);
 *  - held_once            (continuous) every datagram the emulator was asked
 *                         to send leaves at most once, to the MAC its next
 *                         hop had when it left;
 *  - held_accounting      datagrams in = sent + dropped (counted) + still
 *                         held + lost with a killed CPU + refused at once,
 *                         with `refused` never shrinking (a held packet
 *                         leaves only by being sent or counted dropped);
 *  - table_bound          no CPU holds more entries than addresses the run
 *                         ever named, and none for an address never named;
 *  - route_check          every entry is covered by a non-gateway network
 *                         route of its interface (in_lltable_rtcheck);
 *  - counters             arpintr's frame accounting holds (rxframes =
 *                         received + arpintr drops, received = accepted +
 *                         in_arpinput drops = rxrequests + rxreplies), every
 *                         frame delivered was counted, and the ARP frames
 *                         transmitted are the txrequests and txreplies.
 */
import { formatIpv4, parseIpv4 } from '../wire/addr.js';
import { DROP_REASON_NAMES, INTR_STAGE_MAX, type ArpStatValues, type DropReason } from '../arp/stats.js';
import type { ArpEntryDump } from '../arp/admin.js';
import type { EmuDump } from '../cpu/emulator.js';
import type { ViolationInfo } from './oplog.js';

export interface TxCounts {
  frames: number;
  arpRequests: number;
  arpReplies: number;
  ipv4: number;
  other: number;
}

/** What a World saw, at a quiescent point. */
export interface Observation {
  dump: EmuDump;
  /** Counters summed over CPUs, plus what killed CPUs took with them. */
  stats: ArpStatValues;
  /** Frames handed to the emulator's input. */
  rxDelivered: number;
  tx: TxCounts;
  txDigest: number;
  /** Datagrams the emulator was asked to send, and how many of them left (once each). */
  outputs: number;
  sent: number;
  /** Packets held by a CPU when it was killed. */
  lostHeld: number;
  /** Errors thrown inside CPU handlers, replica divergence reports. */
  errors: number;
  lastError: string | undefined;
  divergences: number;
}

const v = (invariant: ViolationInfo['invariant'], message: string): ViolationInfo => ({ invariant, message });

/** An entry without the per-CPU fields. */
export function entryKey(e: ArpEntryDump): string {
  return `${e.ip} ${e.mac ?? '(incomplete)'} ${e.iface} [${e.flags.join(',')}] expires ${e.expires}`;
}

/** Held packets over every CPU. */
export function heldCount(d: EmuDump): number {
  let n = 0;
  for (const c of d.cpus) for (const e of c.arp) n += e.held;
  return n;
}

function firstDiff(a: string[], b: string[], nameA: string, nameB: string): string | null {
  const sa = new Set(a), sb = new Set(b);
  for (const x of a) if (!sb.has(x)) {
    const ip = x.split(' ')[0]!;
    const other = b.find((y) => y.split(' ')[0] === ip);
    return `${nameA} has ${x}; ${nameB} ${other === undefined ? 'has no entry for it' : `has ${other}`}`;
  }
  for (const y of b) if (!sa.has(y)) return `${nameB} has ${y}; ${nameA} has no such entry`;
  if (a.length !== b.length) return `${nameA} has ${a.length} entries, ${nameB} ${b.length} (duplicates)`;
  return null;
}

const routeKey = (r: EmuDump['cpus'][number]['routes'][number]): string =>
  `${r.dst}/${r.mask} ${r.gateway ?? '-'} ${r.iface} [${r.flags.join(',')}]`;

export function checkReplicas(d: EmuDump): ViolationInfo | null {
  const c0 = d.cpus[0];
  if (c0 === undefined) return null;
  const a0 = c0.arp.map(entryKey);
  const r0 = c0.routes.map(routeKey);
  for (const c of d.cpus.slice(1)) {
    const diff = firstDiff(c.arp.map(entryKey), a0, `cpu${c.cpu}`, 'cpu0') ?? firstDiff(c.routes.map(routeKey), r0, `cpu${c.cpu}`, 'cpu0');
    if (diff !== null) return v('replicas_agree', `cpu${c.cpu} differs from cpu0 after quiescence: ${diff}`);
  }
  return null;
}

function statDiff(a: ArpStatValues, b: ArpStatValues): string | null {
  for (const [k, x] of Object.entries(a)) {
    if (typeof x !== 'number') continue;
    const y = (b as unknown as Record<string, number>)[k];
    if (x !== y) return `${k} ${x} vs ${y}`;
  }
  for (const [k, x] of Object.entries(a.drops)) {
    const y = b.drops[k as DropReason];
    if (x !== y) return `drops.${k} ${x} vs ${y}`;
  }
  return null;
}

/** The emulator (a) against the model (b), after the same ops. */
export function checkModel(a: Observation, b: Observation): ViolationInfo | null {
  const ca = a.dump.cpus[0], cb = b.dump.cpus[0];
  if (ca !== undefined && cb !== undefined) {
    const diff = firstDiff(ca.arp.map(entryKey), cb.arp.map(entryKey), 'the emulator', 'the model')
      ?? firstDiff(ca.routes.map(routeKey), cb.routes.map(routeKey), 'the emulator', 'the model');
    if (diff !== null) return v('model_agree', `tables differ from the single-threaded model: ${diff}`);
  }
  if (a.tx.frames !== b.tx.frames || a.txDigest !== b.txDigest) {
    return v('model_agree', `frames sent differ from the model: ${a.tx.frames} frames (${a.tx.arpRequests} requests, ${a.tx.arpReplies} replies, ${a.tx.ipv4} IPv4) vs ${b.tx.frames} (${b.tx.arpRequests}, ${b.tx.arpReplies}, ${b.tx.ipv4})`);
  }
  const sd = statDiff(a.stats, b.stats);
  if (sd !== null) return v('model_agree', `counters summed over CPUs differ from the model: ${sd} (emulator vs model)`);
  const ha = heldCount(a.dump), hb = heldCount(b.dump);
  if (a.sent !== b.sent || ha !== hb) {
    return v('model_agree', `datagrams differ from the model: sent ${a.sent} vs ${b.sent}, held ${ha} vs ${hb}`);
  }
  return null;
}

export function checkCounters(o: Observation): ViolationInfo | null {
  const s = o.stats;
  let intr = 0, input = 0;
  for (let i = 1; i < DROP_REASON_NAMES.length; i++) {
    const n = s.drops[DROP_REASON_NAMES[i] as DropReason] ?? 0;
    if (i <= INTR_STAGE_MAX) intr += n; else input += n;
  }
  if (s.rxframes !== o.rxDelivered) return v('counters', `rxframes ${s.rxframes} but ${o.rxDelivered} frames were delivered to the emulator`);
  if (s.rxframes !== s.received + intr) return v('counters', `rxframes ${s.rxframes} != received ${s.received} + arpintr drops ${intr}`);
  if (s.received !== s.accepted + input) return v('counters', `received ${s.received} != accepted ${s.accepted} + in_arpinput drops ${input}`);
  if (s.received !== s.rxrequests + s.rxreplies) return v('counters', `received ${s.received} != rxrequests ${s.rxrequests} + rxreplies ${s.rxreplies}`);
  if (s.txrequests !== o.tx.arpRequests) return v('counters', `txrequests ${s.txrequests} but ${o.tx.arpRequests} ARP requests left the emulator`);
  if (s.txreplies !== o.tx.arpReplies) return v('counters', `txreplies ${s.txreplies} but ${o.tx.arpReplies} ARP replies left the emulator`);
  if (s.heldsent > o.tx.ipv4) return v('counters', `heldsent ${s.heldsent} but only ${o.tx.ipv4} IPv4 frames left the emulator`);
  return null;
}

/**
 * datagrams in = sent + dropped + held + lost + refused. Returns the
 * violation, or the new `refused` (which must not shrink).
 */
export function checkHeld(o: Observation, prevRefused: number): ViolationInfo | number {
  const held = heldCount(o.dump);
  const refused = o.outputs - (o.sent + o.stats.dropped + held + o.lostHeld);
  const what = `${o.outputs} datagrams in, ${o.sent} sent, ${o.stats.dropped} dropped, ${held} held, ${o.lostHeld} lost with killed CPUs`;
  if (refused < 0) return v('held_accounting', `more datagrams accounted for than were sent: ${what}`);
  if (refused < prevRefused) return v('held_accounting', `a held datagram vanished without being sent or counted dropped: ${what} (unaccounted went from ${prevRefused} to ${refused})`);
  return refused;
}

/** Permanent entries of CPU0 (ip -> mac). */
export function permanentEntries(d: EmuDump): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of d.cpus) {
    for (const e of c.arp) if (e.flags.includes('permanent') && e.mac !== null) m.set(`${c.cpu} ${e.ip}${e.flags.includes('only') ? ' only' : ''}`, e.mac);
  }
  return m;
}

/** After a window with only network input and time: every permanent entry kept its MAC. */
export function checkPermanent(before: Map<string, string>, after: Map<string, string>): ViolationInfo | null {
  for (const [k, mac] of before) {
    const now = after.get(k);
    if (now !== mac) {
      const [cpu, ip] = k.split(' ');
      return v('permanent_unchanged', `permanent entry ${ip} on cpu${cpu} was ${mac}, ${now === undefined ? 'is gone or no longer permanent' : `is now ${now}`}, with nothing but network input and time in between`);
    }
  }
  return null;
}

/** No more entries than addresses the run named; none for an address never named. */
export function checkBound(d: EmuDump, universe: ReadonlySet<number>, bound: number): ViolationInfo | null {
  for (const c of d.cpus) {
    if (c.arp.length > bound) return v('table_bound', `cpu${c.cpu} holds ${c.arp.length} ARP entries, more than the ${bound} addresses the run could have taught it`);
    for (const e of c.arp) {
      const ip = parseIpv4(e.ip);
      if (ip === undefined || !universe.has(ip)) return v('table_bound', `cpu${c.cpu} has an entry for ${e.ip}, an address nothing in the run named`);
    }
  }
  return null;
}

function maskLen(mask: string): number {
  const m = parseIpv4(mask) ?? 0;
  let n = 0;
  for (let b = 31; b >= 0 && ((m >>> b) & 1) === 1; b--) n++;
  return n;
}

/** in_lltable_rtcheck over the dump: every entry sits under a non-gateway network route of its interface. */
export function checkRoutes(d: EmuDump): ViolationInfo | null {
  for (const c of d.cpus) {
    const nets = c.routes
      .filter((r) => r.mask !== '255.255.255.255')
      .map((r) => ({ r, dst: parseIpv4(r.dst) ?? 0, plen: maskLen(r.mask) }));
    for (const e of c.arp) {
      if (e.flags.includes('local')) continue;
      const ip = parseIpv4(e.ip) ?? 0;
      let best: (typeof nets)[number] | undefined;
      for (const n of nets) {
        const m = n.plen === 0 ? 0 : (0xffffffff << (32 - n.plen)) >>> 0;
        if (((ip & m) >>> 0) === ((n.dst & m) >>> 0) && (best === undefined || n.plen > best.plen)) best = n;
      }
      if (best === undefined) return v('route_check', `cpu${c.cpu} has an entry for ${e.ip} but no route covers it (in_lltable_rtcheck: no route)`);
      if (best.r.flags.includes('gateway')) return v('route_check', `cpu${c.cpu} has an entry for ${e.ip} behind gateway route ${best.r.dst}/${best.plen} (in_lltable_rtcheck: gateway route)`);
      if (best.r.iface !== e.iface) return v('route_check', `cpu${c.cpu} has an entry for ${e.ip} on ${e.iface}, but its network ${best.r.dst}/${best.plen} is on ${best.r.iface} (in_lltable_rtcheck: not on the network)`);
    }
  }
  return null;
}

export function checkCrash(o: Observation): ViolationInfo | null {
  if (o.errors > 0) return v('crash', `${o.errors} error(s) thrown inside CPU handlers${o.lastError === undefined ? '' : `; last: ${o.lastError}`}`);
  if (o.divergences > 0) return v('crash', `${o.divergences} replica divergence report(s): an operation failed on a replica where CPU0 succeeded`);
  return null;
}

/** The address a datagram to `dst` is handed to: the gateway of the covering route, else dst. */
export function nexthopOf(dst: number, routes: EmuDump['cpus'][number]['routes']): number {
  let best: { plen: number; gw: string | null } | undefined;
  for (const r of routes) {
    const plen = maskLen(r.mask);
    const net = parseIpv4(r.dst) ?? 0;
    const m = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
    if (((dst & m) >>> 0) !== ((net & m) >>> 0)) continue;
    if (best === undefined || plen > best.plen) best = { plen, gw: r.flags.includes('gateway') ? r.gateway : null };
  }
  if (best?.gw != null) return parseIpv4(best.gw) ?? dst;
  return dst;
}

export { formatIpv4 };
