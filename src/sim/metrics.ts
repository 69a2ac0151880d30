/**
 * What a simulation measures, and its final report. Everything here is
 * computed from virtual time and the run's events, so one seed gives one
 * report; only `wall` (seconds and rates of the machine that ran it) varies.
 *
 * Resolution latency of the emulator: from the first `arp.request_sent`
 * (reason resolve) for an address that was not being resolved to the
 * `arp.learned` that completes it; `arp.reject` (or the entry expiring
 * while incomplete) ends it as a failure. Resolution latency of the hosts
 * comes from their own `resolved` events (sim/host.ts), split into hosts
 * resolving one of the emulator's (or its published) addresses and hosts
 * resolving each other.
 */
import type { ArpemuEvent, EventSink } from '../util/events.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { EmuDump } from '../cpu/emulator.js';
import type { FaultStats } from '../link/faults.js';
import type { SegmentStats } from '../link/segment.js';
import { formatIpv4, formatMac, type Ipv4 } from '../wire/addr.js';
import { emptyHostCounters, type HostCounters, type HostEvent } from './host.js';

/** Latencies in virtual milliseconds (null when there is no sample). */
export interface LatencyStats {
  /** Resolutions completed. */
  count: number;
  /** Resolutions given up (rejected, expired incomplete, maxtries). */
  failed: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Milliseconds rounded to the microsecond, so reports read (and compare) cleanly. */
function ms(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}

export function latencyStats(samples: readonly number[], failed: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  const r = (v: number | null): number | null => (v === null ? null : ms(v));
  return {
    count: s.length, failed,
    p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)),
    max: r(s.length === 0 ? null : s[s.length - 1]!), mean: r(s.length === 0 ? null : sum / s.length),
  };
}

/** Events worth showing as they happen (the chatty per-frame ones are only counted). */
const NOTABLE = new Set<string>([
  'arp.moved', 'arp.dupip', 'arp.reject', 'arp.permanent_modify', 'arp.wrong_iface', 'arp.bcast_lladdr',
  'arp.held_dropped', 'acd.conflict', 'acd.defended', 'acd.defence_failed', 'inet.addr_added', 'inet.addr_deleted',
  'cpu.restarted', 'cpu.resynced',
]);
const NOTABLE_HOST = new Set<HostEvent['kind']>(['mac_changed', 'silent', 'back', 'claimed', 'probe_bound', 'probe_conflict']);

/** One line about a notable event, for the live view. */
export interface Notice { t: number; text: string }

/** Collects emulator events (as an EventSink) and host events during a run. */
export class SimMetrics implements EventSink {
  readonly events = new Map<string, number>();
  readonly hostEvents = new Map<string, number>();
  readonly heldDropReasons = new Map<string, number>();
  /** Emulator resolutions: address -> time of the first request. */
  private readonly resolving = new Map<string, number>();
  private readonly emuSamples: number[] = [];
  private emuFailed = 0;
  private readonly hostToEmuSamples: number[] = [];
  private hostToEmuFailed = 0;
  private readonly hostSamples: number[] = [];
  private hostFailed = 0;
  private readonly emuAddrs: ReadonlySet<Ipv4>;
  /** Notable events not yet taken by the view. */
  private notices: Notice[] = [];
  /** Emulator events seen (all types). */
  eventCount = 0;

  /** `emulatorAddrs`: the emulator's own and published addresses (host resolutions of these are reported apart). */
  constructor(emulatorAddrs: Iterable<Ipv4>, private readonly keepNotices = true) {
    this.emuAddrs = new Set(emulatorAddrs);
  }

  emit(ev: ArpemuEvent): void {
    this.eventCount++;
    this.events.set(ev.event, (this.events.get(ev.event) ?? 0) + 1);
    switch (ev.event) {
      case 'arp.request_sent':
        if (ev.reason === 'resolve' && !this.resolving.has(ev.tpa)) this.resolving.set(ev.tpa, ev.t);
        break;
      case 'arp.learned': {
        const t0 = this.resolving.get(ev.ip);
        if (t0 !== undefined) { this.resolving.delete(ev.ip); this.emuSamples.push(ev.t - t0); }
        break;
      }
      case 'arp.reject':
        if (this.resolving.delete(ev.ip)) this.emuFailed++;
        break;
      case 'arp.expired':
        if (this.resolving.delete(ev.ip)) this.emuFailed++;
        break;
      case 'arp.held_dropped':
        this.heldDropReasons.set(ev.reason, (this.heldDropReasons.get(ev.reason) ?? 0) + 1);
        break;
      default:
        break;
    }
    if (this.keepNotices && NOTABLE.has(ev.event)) this.notice(ev.t, describeEvent(ev));
  }

  hostEvent(e: HostEvent): void {
    this.hostEvents.set(e.kind, (this.hostEvents.get(e.kind) ?? 0) + 1);
    if (e.kind === 'resolved') {
      (this.emuAddrs.has(e.ip) ? this.hostToEmuSamples : this.hostSamples).push(e.latency);
    } else if (e.kind === 'resolve_failed') {
      if (this.emuAddrs.has(e.ip)) this.hostToEmuFailed++;
      else this.hostFailed++;
    }
    if (this.keepNotices && NOTABLE_HOST.has(e.kind)) this.notice(e.t, describeHostEvent(e));
  }

  /** Resolutions the emulator completed so far. */
  get resolutions(): number { return this.emuSamples.length; }
  /** Held packets dropped or sent so far (from events). */
  count(event: string): number { return this.events.get(event) ?? 0; }

  /** Notable events since the last call. */
  takeNotices(): Notice[] {
    const n = this.notices;
    this.notices = [];
    return n;
  }

  emulatorLatency(): LatencyStats { return latencyStats(this.emuSamples, this.emuFailed); }
  hostToEmulatorLatency(): LatencyStats { return latencyStats(this.hostToEmuSamples, this.hostToEmuFailed); }
  hostLatency(): LatencyStats { return latencyStats(this.hostSamples, this.hostFailed); }

  private notice(t: number, text: string): void {
    // The view shows a handful; keep the newest if nobody takes them.
    if (this.notices.length >= 256) this.notices.splice(0, 128);
    this.notices.push({ t, text });
  }
}

function describeEvent(ev: ArpemuEvent): string {
  const f = ev as unknown as Record<string, unknown>;
  switch (ev.event) {
    case 'arp.moved': return `arp: ${ev.ip} moved from ${ev.from} to ${ev.to} on ${ev.iface}`;
    case 'arp.dupip': return `arp: ${ev.mac} is using my address ${ev.ip} on ${ev.iface}`;
    case 'arp.reject': return `arp: ${ev.ip} is down (no reply after maxtries), rejected for ${ev.down} s`;
    case 'arp.held_dropped': return `arp: held packet for ${ev.ip} dropped (${ev.reason})`;
    default: {
      const rest = Object.entries(f).filter(([k]) => k !== 't' && k !== 'cpu' && k !== 'event').map(([k, v]) => `${k}=${String(v)}`).join(' ');
      return `${ev.event} ${rest}`;
    }
  }
}

function describeHostEvent(e: HostEvent): string {
  switch (e.kind) {
    case 'mac_changed': return `host ${e.host} moved from ${formatMac(e.from)} to ${formatMac(e.to)}`;
    case 'silent': return `host ${e.host} went silent`;
    case 'back': return `host ${e.host} came back`;
    case 'claimed': return `host ${e.host} claimed ${formatIpv4(e.ip)}`;
    case 'probe_bound': return `host ${e.host} probed and bound ${formatIpv4(e.ip)}`;
    case 'probe_conflict': return `host ${e.host} found ${formatIpv4(e.ip)} in use by ${formatMac(e.mac)}`;
    default: return `host ${e.host} ${e.kind}`;
  }
}

// ---- replicas ----

/** One CPU's table at a moment. */
export interface ReplicaSummary {
  cpu: number;
  /** ARP entries (all kinds). */
  entries: number;
  resolved: number;
  incomplete: number;
  permanent: number;
  published: number;
  rejected: number;
  routes: number;
  /** Entries (ip, mac, iface, flags, expiry) that differ from CPU0's, plus entries only one of them has; routes likewise. */
  differsFromCpu0: number;
}

/** Per-CPU table sizes and their agreement with CPU0 (per-CPU state, la_asked and held packets, is not compared). */
export function summarizeReplicas(d: EmuDump): ReplicaSummary[] {
  const arpKey = (e: EmuDump['cpus'][number]['arp'][number]): string => JSON.stringify([e.mac, e.iface, e.flags, e.expires]);
  const rtKey = (r: EmuDump['cpus'][number]['routes'][number]): string => JSON.stringify(r);
  const cpu0 = d.cpus[0];
  const base = new Map<string, string>();
  const baseRoutes = new Set<string>();
  if (cpu0 !== undefined) {
    for (const e of cpu0.arp) base.set(e.ip, arpKey(e));
    for (const r of cpu0.routes) baseRoutes.add(rtKey(r));
  }
  return d.cpus.map((c) => {
    let differs = 0;
    if (c !== cpu0) {
      const mine = new Map(c.arp.map((e) => [e.ip, arpKey(e)]));
      for (const [ip, k] of mine) if (base.get(ip) !== k) differs++; // different, or only here
      for (const ip of base.keys()) if (!mine.has(ip)) differs++; // only on CPU0
      const routes = new Set(c.routes.map(rtKey));
      for (const r of routes) if (!baseRoutes.has(r)) differs++;
      for (const r of baseRoutes) if (!routes.has(r)) differs++;
    }
    let resolved = 0, incomplete = 0, permanent = 0, published = 0, rejected = 0;
    for (const e of c.arp) {
      if (e.mac === null) incomplete++;
      else resolved++;
      if (e.flags.includes('permanent')) permanent++;
      if (e.flags.includes('pub')) published++;
      if (e.flags.includes('reject')) rejected++;
    }
    return { cpu: c.cpu, entries: c.arp.length, resolved, incomplete, permanent, published, rejected, routes: c.routes.length, differsFromCpu0: differs };
  });
}

// ---- the report ----

/** The table sizes at one sample time. */
export interface Sample {
  t: number;
  /** Frames the segments carried so far. */
  frames: number;
  /** ARP entries per CPU. */
  entries: number[];
  /** Every replica agrees with CPU0. */
  agree: boolean;
}

export interface SimReport {
  scenario: {
    name: string;
    description: string;
    seed: number;
    /** Virtual seconds asked for. */
    duration: number;
    hosts: number;
    cpus: number;
    strategy: string;
    transport: string;
    realtime: boolean;
  };
  /** Virtual time reached (the duration, unless stopped). */
  end: number;
  stopped: boolean;
  frames: {
    /** Everything the segments carried. */
    segment: Omit<SegmentStats, 'dropped'>;
    /** Frames the emulator received and sent (over all its interfaces). */
    emulatorRx: number;
    emulatorTx: number;
    /** Segment frames per virtual second. */
    perSecond: number;
  };
  emulator: {
    /** IPv4 datagrams the emulator's stack was asked to send (traffic, timeline, config traffic). */
    datagrams: number;
  };
  timeline: {
    /** Timeline entries that ran. */
    events: number;
    /** Entries (or the emulator operations they queued) that failed, by `timeline[i] action: code`. */
    failed: Record<string, number>;
  };
  resolution: {
    /** The emulator resolving hosts. */
    emulator: LatencyStats;
    /** Hosts resolving the emulator's own and published addresses. */
    hostsToEmulator: LatencyStats;
    /** Hosts resolving each other. */
    hosts: LatencyStats;
  };
  held: { sent: number; dropped: number; dropReasons: Record<string, number> };
  /** Emulator events by type (CONTRACT.md names). */
  events: Record<string, number>;
  /** Virtual host events by kind (sim/host.ts). */
  hostEvents: Record<string, number>;
  /** Virtual host counters summed over every host. */
  hostCounters: HostCounters;
  /** Fault injection on the emulator's ports, if any. */
  faults: FaultStats | null;
  replicas: ReplicaSummary[];
  /** Every replica holds CPU0's entries and routes. */
  agree: boolean;
  samples: Sample[];
  /** arpstat counters summed over CPUs. */
  stats: ArpStatValues;
  /** The final state (CONTRACT.md dump). */
  dump: EmuDump;
  /** The only part that depends on the machine. */
  wall: {
    seconds: number;
    framesPerSecond: number;
    virtualPerWall: number;
    /**
     * Wall µs from handing the emulator a stimulus to its quiescence: for a
     * frame that updates the table this is the update's trip through every
     * CPU (the chain), for a datagram the resolve path.
     */
    stimulusUs: { frames: WallStats; datagrams: WallStats };
  };
}

/** Wall-time percentiles in µs. */
export interface WallStats { count: number; mean: number | null; p50: number | null; p90: number | null; p99: number | null; max: number | null }

/** Wall-clock durations (µs), kept up to a bound (then only counted and averaged). */
export class WallSamples {
  private buf = new Float64Array(1024);
  private n = 0;
  private total = 0;
  private sum = 0;
  private windowSum = 0;
  private windowCount = 0;
  constructor(private readonly limit = 1 << 20) {}

  add(us: number): void {
    this.total++;
    this.sum += us;
    this.windowSum += us;
    this.windowCount++;
    if (this.n >= this.limit) return;
    if (this.n === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = us;
  }

  /** Mean since the previous call (undefined when nothing happened). */
  takeWindowMean(): number | undefined {
    const m = this.windowCount === 0 ? undefined : this.windowSum / this.windowCount;
    this.windowSum = 0;
    this.windowCount = 0;
    return m;
  }

  stats(): WallStats {
    const s = Array.from(this.buf.subarray(0, this.n)).sort((a, b) => a - b);
    const r = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
    return {
      count: this.total, mean: r(this.total === 0 ? null : this.sum / this.total),
      p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s.length === 0 ? null : s[s.length - 1]!),
    };
  }
}

export function sortedRecord(m: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
}

export function sumHostCounters(list: readonly HostCounters[]): HostCounters {
  const sum = emptyHostCounters();
  const s = sum as unknown as Record<string, number>;
  for (const c of list) for (const [k, v] of Object.entries(c)) s[k] = (s[k] ?? 0) + v;
  return sum;
}

// ---- text ----

function rows(list: readonly (readonly [string, string | number])[], indent = '  '): string {
  const w = Math.max(0, ...list.map(([k]) => k.length));
  return list.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}\n`).join('');
}

function grid(head: readonly string[], body: readonly (readonly (string | number)[])[], indent = '  '): string {
  const all = [head, ...body].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => indent + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ') + '\n').join('');
}

const fmtMs = (v: number | null): string => (v === null ? '-' : v.toFixed(3));

function latencyRow(name: string, l: LatencyStats): (string | number)[] {
  return [name, l.count, l.failed, fmtMs(l.p50), fmtMs(l.p90), fmtMs(l.p99), fmtMs(l.max)];
}

/** The report as text tables. */
export function formatReport(r: SimReport): string {
  const s = r.scenario;
  let out = `arpemu run: scenario ${s.name} (seed ${s.seed}), ${s.hosts} hosts, ${s.cpus} CPU${s.cpus === 1 ? '' : 's'} (${s.strategy}/${s.transport})\n`;
  out += `virtual time ${r.end.toFixed(3)} s${r.stopped ? ` (stopped early; ${s.duration} s asked)` : ''} in ${r.wall.seconds.toFixed(2)} s wall (${r.wall.virtualPerWall.toFixed(1)}x), ${Math.round(r.wall.framesPerSecond)} frames/s wall\n\n`;

  const fr = r.wall.stimulusUs.frames;
  const dg = r.wall.stimulusUs.datagrams;
  const us = (w: WallStats): string => (w.count === 0 ? '-' : `p50 ${w.p50} µs, p99 ${w.p99} µs`);
  out += 'traffic\n' + rows([
    ['segment frames', `${r.frames.segment.frames} (${r.frames.perSecond.toFixed(1)}/s virtual), ${r.frames.segment.deliveries} deliveries`],
    ['emulator frames in / out', `${r.frames.emulatorRx} / ${r.frames.emulatorTx}`],
    ['emulator datagrams sent', r.emulator.datagrams],
    ['held packets sent / dropped', `${r.held.sent} / ${r.held.dropped}`],
    ...Object.entries(r.held.dropReasons).map(([k, v]): [string, number] => [`  dropped: ${k}`, v]),
    ['timeline events', `${r.timeline.events}${Object.keys(r.timeline.failed).length > 0 ? ` (failed: ${Object.entries(r.timeline.failed).map(([k, v]) => `${k} x${v}`).join(', ')})` : ''}`],
    ...(r.faults === null ? [] : [['faults (emulator ports)', `rx lost ${r.faults.rx.lost} dup ${r.faults.rx.duplicated} delayed ${r.faults.rx.delayed}; tx lost ${r.faults.tx.lost} dup ${r.faults.tx.duplicated} delayed ${r.faults.tx.delayed}`] as [string, string]]),
    ['frame in to quiescence (wall)', us(fr)],
    ['datagram to quiescence (wall)', us(dg)],
  ]);

  out += '\nresolution latency (virtual ms)\n' + grid(
    ['who', 'done', 'failed', 'p50', 'p90', 'p99', 'max'],
    [latencyRow('emulator -> hosts', r.resolution.emulator), latencyRow('hosts -> emulator', r.resolution.hostsToEmulator), latencyRow('hosts -> hosts', r.resolution.hosts)],
  );

  out += `\nper-CPU tables (${r.agree ? 'all replicas agree with cpu0' : 'REPLICAS DIFFER from cpu0'})\n` + grid(
    ['cpu', 'entries', 'resolved', 'incomplete', 'permanent', 'published', 'rejected', 'routes', 'differ'],
    r.replicas.map((c) => [`cpu${c.cpu}`, c.entries, c.resolved, c.incomplete, c.permanent, c.published, c.rejected, c.routes, c.cpu === 0 ? '-' : c.differsFromCpu0]),
  );

  const stats = Object.entries(r.stats).filter(([, v]) => typeof v === 'number' && v > 0) as [string, number][];
  const drops = Object.entries(r.stats.drops).filter(([, n]) => n > 0).map(([k, n]): [string, number] => [`drop ${k}`, n]);
  out += '\ncounters (arpstat, summed over CPUs)\n' + (stats.length + drops.length === 0 ? '  (none)\n' : columns([...stats, ...drops]));

  const ev = Object.entries(r.events);
  out += '\nemulator events\n' + (ev.length === 0 ? '  (none)\n' : columns(ev));
  const hev = Object.entries(r.hostEvents);
  out += '\nhost events\n' + (hev.length === 0 ? '  (none)\n' : columns(hev));
  return out;
}

/** name/value pairs in two columns to keep the report short. */
function columns(list: readonly (readonly [string, number])[]): string {
  const half = Math.ceil(list.length / 2);
  const w = Math.max(...list.map(([k, v]) => k.length + String(v).length)) + 2;
  let out = '';
  for (let i = 0; i < half; i++) {
    const a = list[i]!;
    const b = list[i + half];
    const cell = ([k, v]: readonly [string, number]): string => k + ' '.repeat(Math.max(1, w - k.length - String(v).length)) + v;
    out += '  ' + cell(a) + (b === undefined ? '' : '    ' + cell(b)) + '\n';
  }
  return out;
}
