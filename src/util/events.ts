/**
 * Structured events (../shared/CONTRACT.md "Events"): one JSON object a line,
 * `{"t":<seconds>,"cpu":<n>,"event":"<name>",...fields}`.
 *
 * Events are log-level (rare), so building an object per event is fine; the
 * frame hot path never builds one unless it has something to report.
 * Addresses in fields are text (formatIpv4/formatMac) so the log reads alone.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

/** Every event name of the contract. */
export const EVENT_NAMES = [
  'arp.request_sent', 'arp.reply_sent', 'arp.learned', 'arp.moved',
  'arp.permanent_modify', 'arp.wrong_iface', 'arp.dupip', 'arp.bcast_lladdr',
  'arp.expired', 'arp.reject', 'arp.held_sent', 'arp.held_dropped', 'arp.drop',
  'acd.probe', 'acd.announce', 'acd.conflict', 'acd.defended', 'acd.defence_failed', 'acd.bound',
  'inet.addr_added', 'inet.addr_deleted',
  'cpu.restarted', 'cpu.resynced',
] as const;

export type EventName = (typeof EVENT_NAMES)[number];

const NAME_SET: ReadonlySet<string> = new Set(EVENT_NAMES);
export function isEventName(s: string): s is EventName { return NAME_SET.has(s); }

/** A field value: JSON scalars only, so every event is one flat line. `undefined` fields are left out. */
export type FieldValue = string | number | boolean | null | undefined;

/** Fields an emitter may add beyond the declared ones (keep them flat). */
export interface ExtraFields { [field: string]: FieldValue }

/**
 * The declared fields of each event. IPv4 addresses as dotted quads, MACs as
 * `aa:bb:cc:dd:ee:ff`, interfaces by name. Frame-shaped events use the ARP
 * header names (sha/spa/tha/tpa); entry-shaped ones use ip/mac/iface.
 */
export interface EventFieldMap {
  /** arprequest: `reason` says why (resolve, refresh before expiry, gratuitous on address add, admin). */
  'arp.request_sent': { iface: string; spa: string; tpa: string; reason?: 'resolve' | 'refresh' | 'gratuitous' | 'announce' | 'admin' };
  /** in_arpinput reply; `proxy` when answered for a published entry or by proxyall. */
  'arp.reply_sent': { iface: string; spa: string; sha: string; tpa: string; tha: string; proxy?: boolean };
  /** a new or completed entry (arp_update_oncpu) */
  'arp.learned': { ip: string; mac: string; iface: string };
  /** a dynamic entry's hardware address changed */
  'arp.moved': { ip: string; from: string; to: string; iface: string };
  /** remote input tried to change a permanent entry (refused) */
  'arp.permanent_modify': { ip: string; mac: string; iface: string };
  /** entry is on `expected` but a frame for it came on `iface` */
  'arp.wrong_iface': { ip: string; mac: string; iface: string; expected: string };
  /** someone (`mac`) uses my address `ip` */
  'arp.dupip': { ip: string; mac: string; iface: string };
  /** sender hardware address is the broadcast address */
  'arp.bcast_lladdr': { ip: string; iface: string };
  /** arptimer freed the entry */
  'arp.expired': { ip: string; mac: string | null; iface: string };
  /** maxtries requests unanswered: down for `down` seconds */
  'arp.reject': { ip: string; iface: string; down: number };
  /** the held packet went out after resolution */
  'arp.held_sent': { ip: string; mac: string; iface: string };
  /** the held packet was dropped (replaced by a newer one, entry freed, ...) */
  'arp.held_dropped': { ip: string; iface: string; reason: string };
  /** an input frame dropped; `reason` is the drop counter name */
  'arp.drop': { reason: string; iface?: string };
  'acd.probe': { iface: string; ip: string; n: number; of: number };
  'acd.announce': { iface: string; ip: string; n: number; of: number };
  /** `sha` ARP sender hardware address, `src` Ethernet source (they may differ) */
  'acd.conflict': { iface: string; ip: string; sha: string; src: string };
  'acd.defended': { iface: string; ip: string; sha: string; src: string };
  'acd.defence_failed': { iface: string; ip: string; sha: string; src: string };
  'acd.bound': { iface: string; ip: string };
  'inet.addr_added': { iface: string; addr: string; mask: string; broadcast?: string | null };
  'inet.addr_deleted': { iface: string; addr: string };
  'cpu.restarted': { reason: string };
  /** the replica was copied from CPU `from` */
  'cpu.resynced': { from: number };
}

/** The header every event starts with. */
export interface EventHead<N extends EventName = EventName> {
  /** Clock seconds (fractional). */
  t: number;
  /** CPU that produced it (the netisr and supervisor use -1 when no CPU applies). */
  cpu: number;
  event: N;
}

/** One event: a discriminated union on `event`. */
export type ArpemuEvent<N extends EventName = EventName> = {
  [K in N]: EventHead<K> & EventFieldMap[K] & ExtraFields;
}[N];

/** Build an event with the header first (so its JSON line reads `t, cpu, event, ...`). */
export function makeEvent<N extends EventName>(event: N, t: number, cpu: number, fields: EventFieldMap[N] & ExtraFields): ArpemuEvent<N> {
  return { t, cpu, event, ...fields } as unknown as ArpemuEvent<N>;
}

/**
 * Which events the log rate limiter may drop:
 * - `log`: diagnostics that remote input can provoke at any rate (the seed's
 *   `log()` lines and the manual's diagnostics): rate-limited.
 * - `trace`: per-frame protocol activity (requests/replies sent, learned,
 *   expired, held): the replay event log, never dropped by the limiter.
 * - `state`: state changes of addresses, ACD and CPUs: bounded by their own
 *   procedures (ACD has its own MAX_CONFLICTS limit), never dropped.
 */
export type EventClass = 'log' | 'trace' | 'state';

const LOG_EVENTS: ReadonlySet<EventName> = new Set<EventName>([
  'arp.moved', 'arp.permanent_modify', 'arp.wrong_iface', 'arp.dupip', 'arp.bcast_lladdr', 'arp.drop',
]);

export function eventClass(name: EventName): EventClass {
  if (LOG_EVENTS.has(name)) return 'log';
  return name.startsWith('arp.') ? 'trace' : 'state';
}

export interface EventSink {
  emit(ev: ArpemuEvent): void;
  /**
   * False when the sink drops `trace`-class events (a log at info level):
   * emitters then do not build them, which would cost microseconds per
   * frame. Absent means true.
   */
  readonly traces?: boolean;
}

/** Drops everything. */
export class NullSink implements EventSink {
  readonly traces = false;
  emit(_ev: ArpemuEvent): void { /* nothing */ }
}
export const nullSink: EventSink = new NullSink();

/** Keeps every event in memory (tests, dumps). */
export class CollectingSink implements EventSink {
  readonly events: ArpemuEvent[] = [];
  emit(ev: ArpemuEvent): void { this.events.push(ev); }
  /** The events named `name`, typed. */
  named<N extends EventName>(name: N): ArpemuEvent<N>[] {
    return this.events.filter((e) => e.event === name) as unknown as ArpemuEvent<N>[];
  }
  /** The event names in order (handy in assertions). */
  names(): EventName[] { return this.events.map((e) => e.event); }
  clear(): void { this.events.length = 0; }
}

/** Sends each event to every sink, in order. */
export class TeeSink implements EventSink {
  private readonly sinks: readonly EventSink[];
  constructor(...sinks: EventSink[]) { this.sinks = sinks; }
  emit(ev: ArpemuEvent): void { for (const s of this.sinks) s.emit(ev); }
}

/**
 * The JSON line of `ev`, without the newline: `t`, `cpu`, `event` first,
 * then the other fields in their insertion order, undefined ones left out.
 */
export function formatEventLine(ev: ArpemuEvent): string {
  let s = `{"t":${num(ev.t)},"cpu":${num(ev.cpu)},"event":${JSON.stringify(ev.event)}`;
  for (const k in ev) {
    if (k === 't' || k === 'cpu' || k === 'event') continue;
    const v = (ev as unknown as Record<string, unknown>)[k];
    if (v === undefined) continue;
    s += `,${JSON.stringify(k)}:${typeof v === 'number' ? num(v) : JSON.stringify(v)}`;
  }
  return s + '}';
}

/** JSON has no NaN/Infinity: write them as null (as JSON.stringify does). */
function num(n: number): string { return Number.isFinite(n) ? String(n) : 'null'; }

/** Anything with a string `write` (fs.WriteStream, process.stdout, a test double). */
export interface LineWriter { write(chunk: string): unknown }

/** Writes one JSON line per event. */
export class JsonLinesSink implements EventSink {
  constructor(private readonly out: LineWriter) {}
  emit(ev: ArpemuEvent): void { this.out.write(formatEventLine(ev) + '\n'); }
}

/**
 * A JSON-lines sink on a file: truncates it unless `append`. Write errors
 * (e.g. a missing directory) do not crash the process: they are kept and
 * close() rejects with the first one.
 */
export class JsonLinesFileSink extends JsonLinesSink {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  constructor(path: string, opts: { append?: boolean } = {}) {
    const stream = createWriteStream(path, { flags: opts.append === true ? 'a' : 'w' });
    super(stream);
    this.stream = stream;
    stream.on('error', (e: Error) => { this.failure ??= e; });
  }
  /** Flush and close; rejects with the first write error, if any. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => { if (this.failure) reject(this.failure); else resolve(); };
      // 'close' comes after 'finish' and after 'error', so failure is known by then.
      if (this.stream.closed) { done(); return; }
      this.stream.once('close', done);
      this.stream.end();
    });
  }
}
