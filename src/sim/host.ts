/**
 * A virtual host on the in-memory segment: a small but honest model of a
 * host's IPv4-over-Ethernet stack, enough to be a realistic neighbour of the
 * emulator.
 *
 * - ARP input follows RFC 826's packet reception algorithm: a sender already
 *   in the cache (or being resolved) is refreshed ("merge"); when the target
 *   is one of our addresses the sender is added if it was not merged, and a
 *   request is answered. Probes (sender 0.0.0.0, RFC 5227) are answered but
 *   never learned.
 * - Like the BSD in_arpinput, a frame whose sender address is one of ours
 *   from another hardware address is a conflict: counted, reported, and a
 *   request of that kind is answered from our own MAC (which is what makes
 *   the claimer see the conflict).
 * - A small neighbour cache with expiry on the clock (checked lazily: no
 *   timer per entry) and a size bound.
 * - Resolution before an IPv4 datagram goes out: at most `holdMax` datagrams
 *   queued per destination (the oldest is dropped), one broadcast request a
 *   `retryInterval`, `maxTries` requests, then give up, count, drop.
 * - A gratuitous ARP (request with sender = target = our address) on boot,
 *   on moving to a new MAC and on coming back from silence.
 * - RFC 5227 probing (PROBE_NUM probes from 0.0.0.0, PROBE_MIN..PROBE_MAX
 *   apart, ANNOUNCE_WAIT, then ANNOUNCE_NUM announcements), modelled on
 *   dhcpcd's arp_probe/arp_probe1/arp_probed and arp_announce1.
 *
 * A Host takes over its link's receive handler (one handler per Link).
 * Time comes only from the Clock and the TimerQueue; randomness only from the
 * Random passed in (without one, probe spacing is the midpoint of its range
 * and flood targets go round-robin). Frames are built in two reusable buffers.
 */
import type { Clock } from '../util/clock.js';
import { ArpemuError } from '../util/errors.js';
import type { Random } from '../util/random.js';
import type { TimerHandle, TimerQueue } from '../util/timers.js';
import type { Link } from '../link/link.js';
import { IPV4_ANY, MAC_BROADCAST, MAC_ZERO, formatIpv4, isMacGroup, readMac, type Ipv4, type Mac } from '../wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, ARP_OK, ArpPacket, classifyFrame, emitArpFrame, type ArpRepr } from '../wire/arp.js';
import { ETHERTYPE_IP, ETHER_HDR_LEN, emitEthernet, frameEthertype } from '../wire/ethernet.js';
import { IPV4_HDR_LEN, IPV4_OK, Ipv4Packet, UDP_HDR_LEN, emitUdpDatagram } from '../wire/ipv4.js';
import { Arrivals, type Spacing } from './arrivals.js';

// RFC 5227 §1.1 constants: the same ones the emulator's ACD uses.
import { ANNOUNCE_INTERVAL, ANNOUNCE_NUM, ANNOUNCE_WAIT, DEFEND_INTERVAL, PROBE_MAX, PROBE_MIN, PROBE_NUM, PROBE_WAIT } from '../arp/acd.js';
export { ANNOUNCE_INTERVAL, ANNOUNCE_NUM, ANNOUNCE_WAIT, DEFEND_INTERVAL, PROBE_MAX, PROBE_MIN, PROBE_NUM, PROBE_WAIT };

/** Source port of the hosts' UDP datagrams (any unprivileged port would do). */
export const HOST_UDP_PORT = 40_000;
/** Default UDP payload: makes a 60-byte frame, the Ethernet minimum. */
export const DEFAULT_PAYLOAD_LEN = 60 - ETHER_HDR_LEN - IPV4_HDR_LEN - UDP_HDR_LEN;

/** The host's link; a SegmentPort also lets moveTo() change the port's MAC. */
export interface HostLink extends Link {
  mac?: Mac;
}

export interface HostOptions {
  clock: Clock;
  timers: TimerQueue;
  mac: Mac;
  /** The host's IPv4 addresses; the first is the source of what it sends. May be empty (a host that will probe). */
  addresses: readonly Ipv4[];
  /** For events; default the link's name. */
  name?: string;
  /** Needed for jittered probe spacing and random flood targets. */
  random?: Random;
  /** Seconds a learned neighbour stays valid; default 1200 (net.link.ether.inet.max_age). */
  cacheTimeout?: number;
  /** Most neighbours kept; default 256 (expired, then oldest, are evicted). */
  cacheSize?: number;
  /** Requests sent for one resolution before giving up; default 3. */
  maxTries?: number;
  /** Seconds between those requests; default 1. */
  retryInterval?: number;
  /** Datagrams queued per destination while resolving; default 3. */
  holdMax?: number;
  /** UDP payload bytes of the datagrams sent; default 18 (a 60-byte frame). */
  payloadLen?: number;
  /** Defend an address someone else announces (RFC 5227 §2.4 (b)): one announcement per DEFEND_INTERVAL. Default false. */
  defend?: boolean;
  /** Told about notable host happenings (scenario reports, tests). */
  onEvent?: (e: HostEvent) => void;
}

/** What a host tells its observer. Addresses are numbers (format them with wire/addr). */
export type HostEvent = { t: number; host: string } & (
  | { kind: 'booted'; mac: Mac }
  | { kind: 'learned'; ip: Ipv4; mac: Mac }
  | { kind: 'moved'; ip: Ipv4; from: Mac; to: Mac }
  | { kind: 'resolved'; ip: Ipv4; mac: Mac; latency: number }
  | { kind: 'resolve_failed'; ip: Ipv4; tries: number; dropped: number }
  /** someone else (`mac`) uses our address `ip` */
  | { kind: 'conflict'; ip: Ipv4; mac: Mac }
  | { kind: 'defended'; ip: Ipv4; mac: Mac }
  | { kind: 'probe_conflict'; ip: Ipv4; mac: Mac }
  | { kind: 'probe_bound'; ip: Ipv4 }
  | { kind: 'claimed'; ip: Ipv4 }
  | { kind: 'mac_changed'; from: Mac; to: Mac }
  | { kind: 'silent' }
  | { kind: 'back' }
);
export type HostEventKind = HostEvent['kind'];

export interface HostCounters {
  /** Every ARP request frame sent: resolutions, gratuitous, probes, flood, arping, defences. */
  txRequests: number;
  txReplies: number;
  /** ARP requests received (broadcasts reach everyone, so most are not for us). */
  rxRequests: number;
  rxReplies: number;
  /** Subsets of txRequests. */
  txGratuitous: number;
  txProbes: number;
  txFlood: number;
  txDatagrams: number;
  /** IPv4 datagrams to one of our addresses on our MAC. */
  rxDatagrams: number;
  /** Resolutions completed by a reply (or any frame from the address: merge). */
  resolutions: number;
  /** Resolutions given up after maxTries requests. */
  resolveFailures: number;
  /** Datagrams not sent: queue overflow, resolution given up, silent, no source address. */
  datagramsDropped: number;
  /** Frames from another MAC using one of our addresses as sender. */
  conflicts: number;
  defences: number;
  /** Probes that found the address in use. */
  probeConflicts: number;
  learned: number;
  /** Known neighbours whose MAC changed. */
  moved: number;
  /** Frames received while silent, malformed, or neither ARP nor for us. */
  rxIgnored: number;
  /** Frames not sent because the host was silent. */
  txSuppressed: number;
}

export function emptyHostCounters(): HostCounters {
  return {
    txRequests: 0, txReplies: 0, rxRequests: 0, rxReplies: 0, txGratuitous: 0, txProbes: 0, txFlood: 0,
    txDatagrams: 0, rxDatagrams: 0, resolutions: 0, resolveFailures: 0, datagramsDropped: 0,
    conflicts: 0, defences: 0, probeConflicts: 0, learned: 0, moved: 0, rxIgnored: 0, txSuppressed: 0,
  };
}

/** A neighbour cache entry; `expires` is an absolute clock time. */
export interface Neighbour {
  mac: Mac;
  expires: number;
}

/** What sendDatagram did. */
export type SendResult = 'sent' | 'queued' | 'dropped';
/** What resolve did. */
export type ResolveResult = 'cached' | 'pending' | 'started' | 'dropped';

/** A running scheduled behaviour (flood, sendTo). */
export interface ScheduleHandle {
  stop(): void;
  /** Events fired so far (a frame each, unless the host was silent). */
  readonly fired: number;
  readonly done: boolean;
}

export type ProbeState = 'probing' | 'bound' | 'conflict' | 'cancelled';

export interface ProbeHandle {
  readonly ip: Ipv4;
  readonly state: ProbeState;
  readonly probesSent: number;
  readonly announcementsSent: number;
  /** The hardware address that showed the address is in use. */
  readonly conflictMac: Mac | undefined;
  cancel(): void;
}

export interface ProbeOptions {
  /** Called once when the probe ends (bound, conflict or cancelled). */
  onDone?: (p: ProbeHandle) => void;
}

export interface FloodOptions {
  /** Requests per second. */
  rate: number;
  /** Addresses asked for, in turn (or at random with `order: 'random'`). */
  targets: readonly Ipv4[];
  /** Seconds; default Infinity (stop() it, or give `count`). */
  duration?: number;
  count?: number;
  spacing?: Spacing;
  /** Default 'round-robin'; 'random' needs the host's Random. */
  order?: 'round-robin' | 'random';
  /** Sender protocol address of the requests; default the host's first address (0.0.0.0 if none). */
  senderIp?: Ipv4;
}

interface Pending {
  ip: Ipv4;
  tries: number;
  started: number;
  timer: TimerHandle | undefined;
  /** Payload lengths of the datagrams waiting. */
  queue: number[];
}

export class Host {
  readonly name: string;
  readonly link: HostLink;
  private macAddr: Mac;
  private readonly addrs: Ipv4[];
  private readonly clock: Clock;
  private readonly timers: TimerQueue;
  private readonly random: Random | undefined;
  readonly cacheTimeout: number;
  readonly cacheSize: number;
  readonly maxTries: number;
  readonly retryInterval: number;
  readonly holdMax: number;
  readonly payloadLen: number;
  readonly defend: boolean;
  private readonly onEvent: ((e: HostEvent) => void) | undefined;
  private readonly c: HostCounters = emptyHostCounters();
  private readonly cache = new Map<Ipv4, Neighbour>();
  private readonly pending = new Map<Ipv4, Pending>();
  private readonly probes = new Map<Ipv4, ProbeRun>();
  private readonly schedules = new Set<Arrivals>();
  /** Last defence per address (RFC 5227 §2.4 (b)). */
  private readonly lastDefence = new Map<Ipv4, number>();
  private isSilent = false;
  private isBooted = false;
  private isClosed = false;
  private ipId = 0;
  // Reused for every frame: views for input, buffers and a repr for output.
  private readonly arpView = new ArpPacket();
  private readonly ipView = new Ipv4Packet();
  private readonly arpBuf = new Uint8Array(ARP_FRAME_LEN);
  private ipBuf = new Uint8Array(0);
  private readonly repr: ArpRepr = { op: ARPOP_REQUEST, sha: 0, spa: 0, tha: 0, tpa: 0 };

  constructor(link: HostLink, opts: HostOptions) {
    this.link = link;
    this.name = opts.name ?? link.name;
    checkMac(opts.mac, 'options.mac');
    this.macAddr = opts.mac;
    this.addrs = [];
    for (const a of opts.addresses) {
      checkIp(a, 'options.addresses');
      if (a === IPV4_ANY) throw new RangeError('Host: options.addresses must not contain 0.0.0.0');
      if (!this.addrs.includes(a)) this.addrs.push(a);
    }
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.random = opts.random;
    this.cacheTimeout = positive(opts.cacheTimeout ?? 1200, 'options.cacheTimeout');
    this.cacheSize = wholeAtLeast(opts.cacheSize ?? 256, 1, 'options.cacheSize');
    this.maxTries = wholeAtLeast(opts.maxTries ?? 3, 1, 'options.maxTries');
    this.retryInterval = positive(opts.retryInterval ?? 1, 'options.retryInterval');
    this.holdMax = wholeAtLeast(opts.holdMax ?? 3, 0, 'options.holdMax');
    this.payloadLen = wholeAtLeast(opts.payloadLen ?? DEFAULT_PAYLOAD_LEN, 0, 'options.payloadLen');
    this.defend = opts.defend === true;
    this.onEvent = opts.onEvent;
    link.onReceive((frame) => this.input(frame));
  }

  // ---- state ----

  get mac(): Mac { return this.macAddr; }
  /** Our usable addresses (probed ones join when bound). */
  get addresses(): readonly Ipv4[] { return this.addrs; }
  get silent(): boolean { return this.isSilent; }
  get booted(): boolean { return this.isBooted; }
  counters(): HostCounters { return { ...this.c }; }
  /** The cache entry for `ip` if present and not expired. */
  neighbour(ip: Ipv4): Neighbour | undefined {
    const e = this.lookup(ip);
    return e === undefined ? undefined : { mac: e.mac, expires: e.expires };
  }
  /** Live cache entries (expired ones are dropped on the way). */
  neighbours(): Array<{ ip: Ipv4; mac: Mac; expires: number }> {
    const out: Array<{ ip: Ipv4; mac: Mac; expires: number }> = [];
    for (const ip of [...this.cache.keys()]) {
      const e = this.lookup(ip);
      if (e !== undefined) out.push({ ip, mac: e.mac, expires: e.expires });
    }
    return out;
  }
  /** Destinations being resolved. */
  get resolving(): number { return this.pending.size; }
  /** Timers this host holds (resolutions, probes, schedules): for scale checks. */
  get pendingTimers(): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.timer !== undefined) n++;
    for (const p of this.probes.values()) if (p.armed) n++;
    for (const s of this.schedules) if (s.running) n++;
    return n;
  }
  isMine(ip: Ipv4): boolean { return this.addrs.includes(ip); }

  // ---- scripted behaviours ----

  /** Come up: a gratuitous ARP for every address. Idempotent. */
  boot(): void {
    if (this.isBooted || this.isClosed) return;
    this.isBooted = true;
    this.emit({ kind: 'booted', mac: this.macAddr });
    this.announceAll();
  }

  /** Change hardware address (NIC swap, VM migration) and announce it. */
  moveTo(newMac: Mac): void {
    checkMac(newMac, 'moveTo: mac');
    this.live('moveTo');
    const old = this.macAddr;
    this.macAddr = newMac;
    if (this.link.mac !== undefined) this.link.mac = newMac;
    this.emit({ kind: 'mac_changed', from: old, to: newMac });
    this.announceAll();
  }

  /** Stop answering and sending (cable pulled, host hung): resolutions in progress are dropped. */
  goSilent(): void {
    this.live('goSilent');
    if (this.isSilent) return;
    this.isSilent = true;
    for (const p of [...this.pending.values()]) this.dropPending(p);
    for (const p of [...this.probes.values()]) p.finish('cancelled');
    this.emit({ kind: 'silent' });
  }

  /** Resume after goSilent(), announcing our addresses again. */
  comeBack(): void {
    this.live('comeBack');
    if (!this.isSilent) return;
    this.isSilent = false;
    this.emit({ kind: 'back' });
    this.announceAll();
  }

  /**
   * Start using `ip` at once, whoever else has it, and announce it: the
   * owner and the emulator see a duplicate address.
   */
  claim(ip: Ipv4): void {
    checkIp(ip, 'claim: ip');
    this.live('claim');
    if (ip === IPV4_ANY) throw new RangeError('claim: ip must not be 0.0.0.0');
    if (!this.addrs.includes(ip)) this.addrs.push(ip);
    this.emit({ kind: 'claimed', ip });
    this.sendGratuitous(ip);
  }

  /** Stop using `ip` (no frame is sent). Returns whether it was ours. */
  release(ip: Ipv4): boolean {
    const i = this.addrs.indexOf(ip);
    if (i < 0) return false;
    this.addrs.splice(i, 1);
    return true;
  }

  /**
   * RFC 5227 §2.1: probe for `ip` before using it. The first probe goes out
   * now (as dhcpcd's arp_probe does), then PROBE_NUM - 1 more spaced
   * PROBE_MIN..PROBE_MAX apart; ANNOUNCE_WAIT after the last, with no
   * conflict seen, the address is bound and announced ANNOUNCE_NUM times
   * ANNOUNCE_INTERVAL apart. Any ARP frame with `ip` as sender, or another
   * host's probe for it, before binding is a conflict: the address is not used.
   */
  probe(ip: Ipv4, opts: ProbeOptions = {}): ProbeHandle {
    checkIp(ip, 'probe: ip');
    this.live('probe');
    if (ip === IPV4_ANY) throw new RangeError('probe: ip must not be 0.0.0.0');
    if (this.addrs.includes(ip)) throw new ArpemuError('EEXIST', `${this.name}: probe: ${formatIpv4(ip)} is already one of our addresses`);
    if (this.probes.has(ip)) throw new ArpemuError('EBUSY', `${this.name}: probe: already probing that address`);
    const run = new ProbeRun(this, ip, opts.onDone);
    this.probes.set(ip, run);
    run.step();
    return run;
  }

  /**
   * Send ARP requests at `rate` for `targets` (a storm): plain requests from
   * our MAC, no resolution state. Replies addressed to us are learned as
   * usual. Without `duration` or `count` it runs until stop() or close().
   */
  flood(opts: FloodOptions): ScheduleHandle {
    this.live('flood');
    if (opts.targets.length === 0) throw new RangeError('flood: options.targets must not be empty');
    for (const t of opts.targets) checkIp(t, 'flood: options.targets');
    const order = opts.order ?? 'round-robin';
    if (order === 'random' && this.random === undefined) throw new RangeError('flood: random order needs the host\'s random');
    const targets = opts.targets;
    const spa = opts.senderIp ?? this.addrs[0] ?? IPV4_ANY;
    const arrivals = new Arrivals(this.timers, {
      rate: opts.rate, spacing: opts.spacing, duration: opts.duration, count: opts.count, random: this.random,
    }, (i) => {
      const tpa = order === 'random' ? targets[this.random!.nextInt(targets.length)]! : targets[i % targets.length]!;
      if (this.sendArp(ARPOP_REQUEST, MAC_BROADCAST, spa, MAC_ZERO, tpa)) {
        this.c.txRequests++;
        this.c.txFlood++;
      }
    });
    return this.track(arrivals);
  }

  /**
   * Send `count` UDP datagrams to `ip`, `interval` seconds apart starting
   * now, each resolved first (see sendDatagram). interval 0 sends them all now.
   */
  sendTo(ip: Ipv4, count: number, interval: number, payloadLen = this.payloadLen): ScheduleHandle {
    checkIp(ip, 'sendTo: ip');
    this.live('sendTo');
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`sendTo: count must be a whole number, got ${count}`);
    if (!(interval >= 0) || !Number.isFinite(interval)) throw new RangeError(`sendTo: interval must be a finite number >= 0, got ${interval}`);
    if (interval === 0) {
      for (let i = 0; i < count; i++) this.sendDatagram(ip, payloadLen);
      return { stop() { /* already done */ }, fired: count, done: true };
    }
    return this.track(new Arrivals(this.timers, { rate: 1 / interval, count }, () => { this.sendDatagram(ip, payloadLen); }));
  }

  // ---- output ----

  /**
   * Send one UDP datagram (to the discard port) to `dst`: at once when its
   * MAC is cached, else queued while a resolution runs.
   */
  sendDatagram(dst: Ipv4, payloadLen = this.payloadLen): SendResult {
    const src = this.addrs[0];
    if (this.isSilent || this.isClosed || src === undefined) {
      this.c.datagramsDropped++;
      return 'dropped';
    }
    const n = this.lookup(dst);
    if (n !== undefined) {
      this.emitDatagram(n.mac, src, dst, payloadLen);
      return 'sent';
    }
    const p = this.pending.get(dst) ?? this.startResolution(dst);
    if (this.holdMax === 0) {
      this.c.datagramsDropped++;
      return 'dropped';
    }
    if (p.queue.length >= this.holdMax) {
      p.queue.shift(); // keep the newest, like a bounded unresolved queue
      this.c.datagramsDropped++;
    }
    p.queue.push(payloadLen);
    return 'queued';
  }

  /** Make sure `ip` is resolved or being resolved, without sending data. */
  resolve(ip: Ipv4): ResolveResult {
    if (this.isSilent || this.isClosed) return 'dropped';
    if (this.lookup(ip) !== undefined) return 'cached';
    if (this.pending.has(ip)) return 'pending';
    this.startResolution(ip);
    return 'started';
  }

  /** One broadcast request for `ip` whatever the cache holds (arping). Returns whether it went out. */
  arping(ip: Ipv4): boolean {
    if (this.isClosed) return false;
    const ok = this.sendArp(ARPOP_REQUEST, MAC_BROADCAST, this.addrs[0] ?? IPV4_ANY, MAC_ZERO, ip);
    if (ok) this.c.txRequests++;
    return ok;
  }

  /** Stop every timer and detach from the link's receive path. */
  close(): void {
    if (this.isClosed) return;
    for (const p of [...this.pending.values()]) this.dropPending(p);
    for (const p of [...this.probes.values()]) p.finish('cancelled');
    for (const s of this.schedules) s.stop();
    this.schedules.clear();
    this.isClosed = true;
    this.link.onReceive(() => { /* closed */ });
  }

  toString(): string { return `host ${this.name}`; }

  // ---- input ----

  private input(frame: Uint8Array): void {
    if (this.isSilent || this.isClosed) {
      this.c.rxIgnored++;
      return;
    }
    const r = classifyFrame(this.arpView, frame);
    if (r === ARP_OK) {
      this.arpInput(readMac(frame, 6));
      return;
    }
    if (frameEthertype(frame) === ETHERTYPE_IP) {
      this.ipInput(frame);
      return;
    }
    this.c.rxIgnored++;
  }

  /** RFC 826 reception, plus the BSD "my address used by someone else" check and RFC 5227 probing. */
  private arpInput(src: Mac): void {
    const a = this.arpView;
    const op = a.op, sha = a.sha, spa = a.spa, tpa = a.tpa;
    if (op === ARPOP_REQUEST) this.c.rxRequests++;
    else this.c.rxReplies++;
    // Our own frame (or someone with our MAC): nothing to learn (dhcpcd does the same).
    if (sha === this.macAddr || src === this.macAddr) return;

    if (this.probes.size > 0) {
      // RFC 5227 §2.1.1: the address is in use (sender), or another host probes for it too.
      const run = spa !== IPV4_ANY ? this.probes.get(spa) : op === ARPOP_REQUEST ? this.probes.get(tpa) : undefined;
      run?.conflict(sha);
    }

    if (spa !== IPV4_ANY && this.addrs.includes(spa)) {
      this.conflict(spa, sha, op);
      return;
    }

    // Merge: a sender we know (or are resolving) is refreshed.
    let merged = false;
    const learnable = spa !== IPV4_ANY && !isMacGroup(sha);
    if (learnable && (this.lookup(spa) !== undefined || this.pending.has(spa))) {
      this.learn(spa, sha);
      merged = true;
    }
    if (!this.addrs.includes(tpa)) return;
    if (learnable && !merged) this.learn(spa, sha);
    if (op === ARPOP_REQUEST && !isMacGroup(sha)) this.reply(sha, tpa, sha, spa);
  }

  private ipInput(frame: Uint8Array): void {
    const v = this.ipView;
    if (v.reset(frame, ETHER_HDR_LEN) !== IPV4_OK || readMac(frame, 0) !== this.macAddr || !this.addrs.includes(v.dst)) {
      this.c.rxIgnored++;
      return;
    }
    this.c.rxDatagrams++;
  }

  /** `mac` sent a frame with our address `ip` as its sender. */
  private conflict(ip: Ipv4, mac: Mac, op: number): void {
    this.c.conflicts++;
    this.emit({ kind: 'conflict', ip, mac });
    // BSD in_arpinput answers such a request from itself, so the claimer hears the owner.
    if (op === ARPOP_REQUEST && !isMacGroup(mac)) this.reply(mac, ip, mac, ip);
    if (this.defend) {
      const now = this.clock.now();
      const last = this.lastDefence.get(ip);
      if (last === undefined || now - last >= DEFEND_INTERVAL) {
        this.lastDefence.set(ip, now);
        this.c.defences++;
        this.sendGratuitous(ip);
        this.emit({ kind: 'defended', ip, mac });
      }
    }
  }

  // ---- neighbour cache ----

  private lookup(ip: Ipv4): Neighbour | undefined {
    const e = this.cache.get(ip);
    if (e === undefined) return undefined;
    if (e.expires <= this.clock.now()) {
      this.cache.delete(ip);
      return undefined;
    }
    return e;
  }

  private learn(ip: Ipv4, mac: Mac): void {
    const expires = this.clock.now() + this.cacheTimeout;
    const e = this.lookup(ip);
    if (e !== undefined) {
      if (e.mac !== mac) {
        this.c.moved++;
        this.emit({ kind: 'moved', ip, from: e.mac, to: mac });
        e.mac = mac;
      }
      e.expires = expires;
    } else {
      if (this.cache.size >= this.cacheSize) this.evict();
      this.cache.set(ip, { mac, expires });
      this.c.learned++;
      this.emit({ kind: 'learned', ip, mac });
    }
    const p = this.pending.get(ip);
    if (p !== undefined) this.completePending(p, mac);
  }

  /** Make room: drop expired entries, else the oldest one. */
  private evict(): void {
    const now = this.clock.now();
    for (const [ip, e] of this.cache) if (e.expires <= now) this.cache.delete(ip);
    if (this.cache.size < this.cacheSize) return;
    const oldest = this.cache.keys().next();
    if (oldest.done !== true) this.cache.delete(oldest.value);
  }

  // ---- resolution ----

  private startResolution(ip: Ipv4): Pending {
    const p: Pending = { ip, tries: 0, started: this.clock.now(), timer: undefined, queue: [] };
    this.pending.set(ip, p);
    this.resolveStep(p);
    return p;
  }

  private resolveStep(p: Pending): void {
    p.timer = undefined;
    if (p.tries >= this.maxTries) {
      this.c.resolveFailures++;
      this.c.datagramsDropped += p.queue.length;
      this.pending.delete(p.ip);
      this.emit({ kind: 'resolve_failed', ip: p.ip, tries: p.tries, dropped: p.queue.length });
      return;
    }
    p.tries++;
    if (this.sendArp(ARPOP_REQUEST, MAC_BROADCAST, this.addrs[0] ?? IPV4_ANY, MAC_ZERO, p.ip)) this.c.txRequests++;
    p.timer = this.timers.after(this.retryInterval, () => this.resolveStep(p));
  }

  private completePending(p: Pending, mac: Mac): void {
    this.timers.cancel(p.timer);
    this.pending.delete(p.ip);
    this.c.resolutions++;
    this.emit({ kind: 'resolved', ip: p.ip, mac, latency: this.clock.now() - p.started });
    const src = this.addrs[0];
    for (const len of p.queue) {
      if (src === undefined) this.c.datagramsDropped++;
      else this.emitDatagram(mac, src, p.ip, len);
    }
  }

  private dropPending(p: Pending): void {
    this.timers.cancel(p.timer);
    this.pending.delete(p.ip);
    this.c.datagramsDropped += p.queue.length;
  }

  // ---- frames out ----

  /** @internal used by ProbeRun */
  sendProbe(ip: Ipv4): void {
    if (this.sendArp(ARPOP_REQUEST, MAC_BROADCAST, IPV4_ANY, MAC_ZERO, ip)) {
      this.c.txRequests++;
      this.c.txProbes++;
    }
  }

  /** @internal used by ProbeRun */
  bindProbed(ip: Ipv4): void {
    if (!this.addrs.includes(ip)) this.addrs.push(ip);
    this.emit({ kind: 'probe_bound', ip });
  }

  /** @internal used by ProbeRun */
  probeEnded(run: ProbeRun, conflictMac: Mac | undefined): void {
    if (this.probes.get(run.ip) === run) this.probes.delete(run.ip);
    if (conflictMac !== undefined) {
      this.c.probeConflicts++;
      this.emit({ kind: 'probe_conflict', ip: run.ip, mac: conflictMac });
    }
  }

  /** @internal */
  probeDelay(): number {
    const r = this.random;
    return PROBE_MIN + (r === undefined ? 0.5 : r.nextFloat()) * (PROBE_MAX - PROBE_MIN);
  }

  /** @internal */
  get timerQueue(): TimerQueue { return this.timers; }

  /**
   * Gratuitous ARP for `ip`, broadcast: by default a request with sender =
   * target = ip (what BSD and RFC 5227 announcements send); `'reply'` sends
   * the reply form of RFC 2002 §4.6 (target hardware address = ours), which
   * some stacks use.
   */
  sendGratuitous(ip: Ipv4, form: 'request' | 'reply' = 'request'): boolean {
    const ok = form === 'reply'
      ? this.sendArp(ARPOP_REPLY, MAC_BROADCAST, ip, this.macAddr, ip)
      : this.sendArp(ARPOP_REQUEST, MAC_BROADCAST, ip, MAC_ZERO, ip);
    if (ok) {
      this.c.txRequests++;
      this.c.txGratuitous++;
    }
    return ok;
  }

  private announceAll(): void {
    for (const ip of this.addrs) this.sendGratuitous(ip);
  }

  private reply(ethDst: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): void {
    if (this.sendArp(ARPOP_REPLY, ethDst, spa, tha, tpa)) this.c.txReplies++;
  }

  /** Build and send an ARP frame from our MAC; false (and counted) when silent. */
  private sendArp(op: typeof ARPOP_REQUEST | typeof ARPOP_REPLY, ethDst: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4): boolean {
    if (this.isSilent || this.isClosed) {
      this.c.txSuppressed++;
      return false;
    }
    const r = this.repr;
    r.op = op; r.sha = this.macAddr; r.spa = spa; r.tha = tha; r.tpa = tpa;
    emitArpFrame(this.arpBuf, ethDst, this.macAddr, r);
    this.link.send(this.arpBuf);
    return true;
  }

  private emitDatagram(dstMac: Mac, src: Ipv4, dst: Ipv4, payloadLen: number): void {
    const len = ETHER_HDR_LEN + IPV4_HDR_LEN + UDP_HDR_LEN + payloadLen;
    if (this.ipBuf.length !== len) this.ipBuf = new Uint8Array(len);
    emitEthernet(this.ipBuf, 0, dstMac, this.macAddr, ETHERTYPE_IP);
    this.ipId = (this.ipId + 1) & 0xffff;
    emitUdpDatagram(this.ipBuf, ETHER_HDR_LEN, { src, dst, srcPort: HOST_UDP_PORT, payloadLen, id: this.ipId });
    this.link.send(this.ipBuf);
    this.c.txDatagrams++;
  }

  // ---- helpers ----

  private track(a: Arrivals): ScheduleHandle {
    this.schedules.add(a);
    a.start(() => this.schedules.delete(a));
    if (a.done) this.schedules.delete(a);
    const schedules = this.schedules;
    return {
      stop() { a.stop(); schedules.delete(a); },
      get fired() { return a.fired; },
      get done() { return a.done; },
    };
  }

  private live(what: string): void {
    if (this.isClosed) throw new ArpemuError('ERR_LINK_CLOSED', `${this.name}: ${what} on a closed host`);
  }

  private emit(e: DistributiveOmit<HostEvent, 't' | 'host'>): void {
    const cb = this.onEvent;
    if (cb !== undefined) cb({ t: this.clock.now(), host: this.name, ...e } as HostEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One RFC 5227 probe-then-announce procedure (dhcpcd: arp_probe1 / arp_probed / arp_announce1). */
class ProbeRun implements ProbeHandle {
  state: ProbeState = 'probing';
  probesSent = 0;
  announcementsSent = 0;
  conflictMac: Mac | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly host: Host,
    readonly ip: Ipv4,
    private readonly onDone: ((p: ProbeHandle) => void) | undefined,
  ) {}

  get armed(): boolean { return this.timer !== undefined; }

  /** Send the next probe, or bind after the last one's ANNOUNCE_WAIT. */
  step(): void {
    this.timer = undefined;
    if (this.state !== 'probing') return;
    if (this.probesSent >= PROBE_NUM) {
      this.bind();
      return;
    }
    this.host.sendProbe(this.ip);
    this.probesSent++;
    const wait = this.probesSent < PROBE_NUM ? this.host.probeDelay() : ANNOUNCE_WAIT;
    this.timer = this.host.timerQueue.after(wait, () => this.step());
  }

  conflict(mac: Mac): void {
    if (this.state !== 'probing') return;
    this.conflictMac = mac;
    this.finish('conflict');
  }

  cancel(): void {
    if (this.state === 'probing') this.finish('cancelled');
    else this.stopAnnouncing();
  }

  finish(state: 'conflict' | 'cancelled'): void {
    if (this.state !== 'probing') {
      this.stopAnnouncing();
      return;
    }
    this.state = state;
    this.host.timerQueue.cancel(this.timer);
    this.timer = undefined;
    this.host.probeEnded(this, state === 'conflict' ? this.conflictMac : undefined);
    this.onDone?.(this);
  }

  private bind(): void {
    this.state = 'bound';
    this.host.bindProbed(this.ip);
    this.onDone?.(this);
    this.announce();
  }

  private announce(): void {
    this.timer = undefined;
    this.host.sendGratuitous(this.ip);
    this.announcementsSent++;
    if (this.announcementsSent < ANNOUNCE_NUM) {
      this.timer = this.host.timerQueue.after(ANNOUNCE_INTERVAL, () => this.announce());
    } else {
      this.host.probeEnded(this, undefined);
    }
  }

  private stopAnnouncing(): void {
    this.host.timerQueue.cancel(this.timer);
    this.timer = undefined;
    this.host.probeEnded(this, undefined);
  }
}

function checkMac(mac: Mac, what: string): void {
  if (!Number.isInteger(mac) || mac < 0 || mac > 0xffff_ffff_ffff) throw new RangeError(`Host: ${what} must be an integer below 2^48, got ${mac}`);
  if (isMacGroup(mac)) throw new RangeError(`Host: ${what} must be a unicast MAC`);
}

function checkIp(ip: Ipv4, what: string): void {
  if (!Number.isInteger(ip) || ip < 0 || ip > 0xffff_ffff) throw new RangeError(`Host: ${what} must be IPv4 addresses as u32 numbers, got ${ip}`);
}

function positive(v: number, what: string): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`Host: ${what} must be a finite number > 0, got ${v}`);
  return v;
}

function wholeAtLeast(v: number, min: number, what: string): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`Host: ${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Create a port on `segment` named `name` and a host on it. */
export function attachHost(
  segment: { attach(name: string, mac: Mac): HostLink },
  name: string,
  opts: HostOptions,
): Host {
  return new Host(segment.attach(name, opts.mac), { ...opts, name });
}
