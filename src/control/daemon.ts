/**
 * `arpemu daemon`: the emulator on real interfaces, managed over a unix
 * socket like a BSD host.
 *
 *  - a live link per configured interface (MAC from the interface unless
 *    the config gives one); frames from each link go to conflict detection
 *    and to the emulator (running in real time); what the emulator sends
 *    goes out on the link;
 *  - RFC 5227 conflict detection (dhcpcd semantics) for every address
 *    added, from the config, the state file or `ifconfig`, unless the
 *    interface says `"acd": false`. While an address is probed it is not
 *    given to the emulator, so it is neither answered for nor used as a
 *    source; once bound it is added (SIOCAIFADDR); a conflict while probing
 *    leaves it out (status `duplicated`); a failed defence deletes it
 *    (SIOCDIFADDR). The emulator's own gratuitous ARP on address add is
 *    kept, as on a BSD host running dhcpcd: the kernel announces the
 *    address when dhcpcd adds it, and dhcpcd announces it too (three in
 *    all: dhcpcd's first at bind, the kernel's just after it, dhcpcd's
 *    second ANNOUNCE_INTERVAL later);
 *  - administrative state (addresses, static and published entries,
 *    sysctls) as overrides of the config (state.ts), written atomically
 *    before a control command is answered, restored at start;
 *  - SIGHUP re-reads the config and applies the difference through the
 *    emulator; SIGTERM/SIGINT stop cleanly (cli/daemon.ts wires them).
 *
 * Every change to the emulator runs on one serial queue, so control
 * commands, conflict-detection outcomes and reloads apply in one order.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { RealClock } from '../util/clock.js';
import { ArpemuError } from '../util/errors.js';
import { formatIpv4, formatMac, isIpv4Multicast, parseIpv4, parseMac, prefixMask, type Ipv4, type Mac } from '../wire/addr.js';
import type { Link } from '../link/link.js';
import { openLiveLink, readInterfaceMac } from '../link/live.js';
import { arpSetOp, type ArpSetOp } from '../arp/admin.js';
import { sumArpStats } from '../arp/stats.js';
import type { AcdConflict, AcdTiming } from '../arp/acd.js';
import type { Emulator, EmulatorOptions, EmuOp, EmuOpResult, Strategy, Transport } from '../cpu/emulator.js';
import type { KnobInfo } from '../sysctl/index.js';
import { parseConfigText, type Config, type RouteConfig } from '../config/config.js';
import { AcdHost } from './acd-host.js';
import type { DaemonLog } from './log.js';
import { DaemonMetrics, serveMetrics } from './metrics.js';
import {
  DaemonError, MUTATING, PROTOCOL_VERSION,
  type DaemonDump, type IfAddrInfo, type IfconfigParams, type IfconfigResult, type IfInfo,
  type Method, type Params, type ResolveResult, type Result,
} from './protocol.js';
import { ControlServer, prepareSocketPath } from './server.js';
import {
  StateStore, arpKey, arpOverride, configHasAddress, configHasArp, desiredState, setAddress, setArp, setSysctl,
  type Desired, type DesiredArp,
} from './state.js';

export interface DaemonOptions {
  configPath: string;
  /** CPU replicas (default: the config's cpus, else the number of cores). */
  cpus?: number;
  socketPath: string;
  /** Prometheus endpoint (omitted: none). */
  metrics?: { host: string; port: number };
  statePath?: string;
  log: DaemonLog;
  createEmulator(opts: EmulatorOptions): Emulator;
  strategy?: Strategy;
  transport?: Transport;
  /** libpcap ring size per interface in bytes (default DEFAULT_CAPTURE_BUFFER). */
  captureBuffer?: number;
  /** Open the link of an interface (default: a live libpcap link). */
  openLink?(name: string, mac: Mac): Link;
  /** The hardware address of an interface the config gives none for (default: sysfs). */
  interfaceMac?(name: string): Mac;
  /** Conflict-detection timing (default RFC 5227). */
  acdTiming?: Partial<AcdTiming>;
  acdSeed?: number;
  /** Wall clock in seconds since the epoch (temp entry expiry in the state file). */
  wallClock?(): number;
}

interface IfaceInfo { name: string; mac: Mac; flags: string[]; acd: boolean }

interface AddrRecord {
  iface: string;
  addr: Ipv4;
  plen: number | undefined;
  status: IfAddrInfo['status'] | 'failed';
  /** Added to the emulator (SIOCAIFADDR done). */
  inEmu: boolean;
  conflict: IfAddrInfo['conflict'];
  error: string | null;
  waiters: (() => void)[];
}

function code(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function msg(e: unknown): string { return e instanceof Error ? e.message : String(e); }

/**
 * The capture: `cap` always asks libpcap for a 65535-byte snapshot, and on
 * an interface with receive offloads (veth, most NICs) libpcap then sizes
 * every ring slot (TPACKET_V2, immediate mode) for 64 KiB, so the ring
 * holds bufferSize / 64 KiB frames: 512 with the default 32 MiB. A burst
 * longer than that while the daemon is not scheduled is dropped by the
 * kernel. --capture-buffer raises it (kernel memory, per interface).
 * Our own snapshot buffer only needs an ARP frame (at most 64 bytes, 68
 * with a VLAN tag).
 */
export const LIVE_SNAPLEN = 128;
export const DEFAULT_CAPTURE_BUFFER = 32 << 20;

function defaultLink(name: string, bufferSize: number): Link {
  // Frames from the interface's own MAC are what this host sends: leave them out in the filter.
  return openLiveLink({ device: name, ignoreOwnFrames: true, snapLen: LIVE_SNAPLEN, bufferSize });
}

function addrText(a: { addr: Ipv4; plen: number | undefined }): string {
  return a.plen === undefined ? formatIpv4(a.addr) : `${formatIpv4(a.addr)}/${a.plen}`;
}

export class Daemon {
  readonly started = Date.now();
  private config: Config;
  private readonly store: StateStore;
  private readonly clock: RealClock;
  private readonly emu: Emulator;
  private readonly links = new Map<string, Link>();
  private readonly ifaces = new Map<string, IfaceInfo>();
  private readonly acd: AcdHost;
  private readonly addrs = new Map<string, AddrRecord[]>();
  /** Static entries applied from the desired state, by arpKey. */
  private readonly appliedArp = new Map<string, DesiredArp>();
  /** Desired entries that could not be applied yet (no route until an address binds). */
  private readonly pendingArp = new Map<string, DesiredArp>();
  private appliedRoutes: RouteConfig[] = [];
  private pendingRoutes: RouteConfig[] = [];
  private readonly appliedSysctl = new Map<string, number | string>();
  private queue: Promise<unknown> = Promise.resolve();
  private server: ControlServer | undefined;
  private metricsServer: { close(): Promise<void>; port: number } | undefined;
  private metrics: DaemonMetrics | undefined;
  private stopping: Promise<void> | undefined;
  private linksClosed = false;
  private readonly wall: () => number;
  private readonly log: DaemonLog;

  private constructor(private readonly opts: DaemonOptions, config: Config, store: StateStore) {
    this.config = config;
    this.store = store;
    this.log = opts.log;
    this.wall = opts.wallClock ?? (() => Date.now() / 1000);
    const macOf = opts.interfaceMac ?? readInterfaceMac;
    for (const ifc of config.interfaces) {
      this.ifaces.set(ifc.name, { name: ifc.name, mac: ifc.mac ?? macOf(ifc.name), flags: ifc.flags, acd: ifc.acd ?? true });
      this.addrs.set(ifc.name, []);
    }
    // The ARP clock reference for temp entries: made just before the emulator's own.
    this.clock = new RealClock();
    this.emu = opts.createEmulator({
      cpus: opts.cpus ?? config.cpus ?? availableParallelism(),
      strategy: opts.strategy ?? 'chain',
      transport: opts.transport ?? 'ring',
      time: { kind: 'real' },
      events: opts.log.emulatorEvents,
    });
    const macs = new Set([...this.ifaces.values()].map((i) => i.mac));
    this.acd = new AcdHost({
      send: (iface, frame) => this.send(iface, frame),
      events: opts.log.events,
      clock: this.clock,
      ...(opts.acdSeed === undefined ? {} : { seed: opts.acdSeed }),
      ...(opts.acdTiming === undefined ? {} : { timing: opts.acdTiming }),
      isLocalMac: (m) => macs.has(m),
      onBound: (iface, ip) => { this.serial(() => this.bound(iface, ip)).catch((e: unknown) => this.internal('acd bound', e)); },
      onConflict: (iface, c) => this.conflicted(iface, c),
      onGiveUp: (iface, ip) => { this.serial(() => this.givenUp(iface, ip)).catch((e: unknown) => this.internal('acd give up', e)); },
    });
  }

  /** Start a daemon: config, state, emulator, links, addresses, control socket, metrics. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const config = readConfig(opts.configPath);
    if (config.interfaces.length === 0) throw new ArpemuError('ERR_CONFIG', `config: ${opts.configPath}: interfaces: the daemon needs at least one interface`);
    const store = StateStore.open(opts.statePath);
    await prepareSocketPath(opts.socketPath); // fail before touching interfaces
    const d = new Daemon(opts, config, store);
    try {
      await d.boot();
    } catch (e) {
      await d.teardown();
      throw e;
    }
    return d;
  }

  get cpus(): number { return this.emu.cpus; }
  get socketPath(): string { return this.opts.socketPath; }
  get metricsPort(): number | undefined { return this.metricsServer?.port; }

  private async boot(): Promise<void> {
    const desired = desiredState(this.config, this.store.state, this.wall());
    await this.applySysctls(desired);
    for (const i of this.ifaces.values()) {
      await this.apply({ op: 'ifattach', iface: { name: i.name, mac: i.mac, flags: i.flags } });
    }
    const buffer = this.opts.captureBuffer ?? DEFAULT_CAPTURE_BUFFER;
    const open = this.opts.openLink ?? ((name: string) => defaultLink(name, buffer));
    for (const i of this.ifaces.values()) {
      const link = open(i.name, i.mac);
      this.links.set(i.name, link);
      if (i.acd) this.acd.attach(i.name, i.mac);
      const name = i.name;
      const acdOn = i.acd;
      // The emulator first: its reply goes out before conflict detection looks at
      // the frame (as the kernel answers in the input path and dhcpcd reads BPF later).
      link.onReceive((frame) => {
        this.emu.input(name, frame);
        if (acdOn) this.acd.input(name, frame);
      });
    }
    this.emu.onTransmit((iface, frame) => this.send(iface, frame));
    await this.serial(async () => {
      for (const list of desired.addresses.values()) {
        // A bad address is logged (addToEmu) and shown as failed; the rest still come up.
        for (const a of list) await this.startAddr(this.newRecord(a.iface, a.addr, a.plen)).catch(() => undefined);
      }
      await this.applyRoutes(desired.routes);
      for (const [key, d] of desired.arp) await this.applyArp(key, d);
    });
    this.server = await ControlServer.listen(this.opts.socketPath, {
      handle: (method, params) => this.request(method, params as Params<Method>),
      onInternalError: (what, e) => this.log.error('control request failed', { request: what, err: e instanceof Error ? e.stack : String(e) }),
    });
    if (this.opts.metrics !== undefined) {
      this.metrics = new DaemonMetrics({
        stats: () => this.emu.stats(),
        dump: () => this.dump(),
        acdCounts: () => this.acd.stateCounts(),
        links: () => [...this.links].map(([iface, l]) => ({ iface, stats: l.stats() })),
      });
      this.metricsServer = await serveMetrics(this.metrics, this.opts.metrics.host, this.opts.metrics.port);
    }
    this.log.info('ready', {
      socket: this.opts.socketPath, cpus: this.emu.cpus, interfaces: [...this.ifaces.keys()],
      state: this.opts.statePath ?? null, metrics: this.metricsServer === undefined ? null : `${this.opts.metrics!.host}:${this.metricsServer.port}`,
      pid: process.pid,
    });
  }

  /** An operation through the replication path, timed for the metrics (every CPU applied it when it resolves). */
  private async apply(op: EmuOp): Promise<EmuOpResult> {
    const t0 = process.hrtime.bigint();
    try {
      return await this.emu.apply(op);
    } finally {
      this.metrics?.observeApply(op.op, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }

  private internal(what: string, e: unknown): void {
    this.log.error(`${what} failed`, { error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }

  private send(iface: string, frame: Uint8Array): void {
    if (this.linksClosed) return;
    this.links.get(iface)?.send(frame);
  }

  /** Run `fn` after everything queued before it (emulator changes happen in one order). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  // ---------------------------------------------------------------- control requests

  /** Answer one control request (the server calls this; tests may too). */
  async request<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.stopping !== undefined) throw new DaemonError('ESHUTDOWN', 'the daemon is shutting down');
    try {
      const r = await this.dispatch(method, params);
      this.metrics?.request(method, 'ok');
      return r as Result<M>;
    } catch (e) {
      this.metrics?.request(method, code(e) ?? 'EINTERNAL');
      if (MUTATING.has(method)) this.log.info('control request refused', { method, code: code(e), error: msg(e) });
      throw e;
    }
  }

  private async dispatch(method: Method, params: Params<Method>): Promise<unknown> {
    switch (method) {
      case 'hello':
        return {
          version: PROTOCOL_VERSION, pid: process.pid, cpus: this.emu.cpus, interfaces: [...this.ifaces.keys()],
          uptime: (Date.now() - this.started) / 1000, state: this.opts.statePath ?? null,
        };
      case 'dump': return this.dump();
      case 'arp.list': {
        const p = params as Params<'arp.list'>;
        const d = await this.emu.dump();
        const all = d.cpus[0]?.arp ?? [];
        return p.ip === undefined ? all : all.filter((e) => e.ip === formatIpv4(parseIpv4(p.ip!)!));
      }
      case 'arp.set': return this.serial(() => this.arpSet(params as Params<'arp.set'>));
      case 'arp.delete': return this.serial(() => this.arpDelete(parseIpv4((params as Params<'arp.delete'>).ip)!));
      case 'arp.flush': return this.serial(() => this.arpFlush());
      case 'ifconfig.list': return this.ifconfigList((params as Params<'ifconfig.list'>).iface);
      case 'ifconfig.set': {
        const p = params as IfconfigParams;
        const rec = await this.serial(() => this.ifconfigSet(p));
        if (rec === null) return { iface: p.iface, addr: p.addr, status: 'deleted', conflict: null } satisfies IfconfigResult;
        await this.waitAddr(rec, p.wait ?? 0);
        return {
          iface: rec.iface, addr: formatIpv4(rec.addr),
          status: rec.status === 'failed' ? 'duplicated' : rec.status, conflict: rec.conflict,
        } satisfies IfconfigResult;
      }
      case 'sysctl.get': return this.sysctlGet((params as Params<'sysctl.get'>).names);
      case 'sysctl.set': {
        const p = params as Params<'sysctl.set'>;
        return this.serial(() => this.sysctlSet(p.name, p.value));
      }
      case 'stats': {
        const cpus = await this.emu.stats();
        return { cpus, total: sumArpStats(cpus) };
      }
      case 'resolve': {
        const p = params as Params<'resolve'>;
        return this.resolve(parseIpv4(p.ip)!, p.timeout ?? 10);
      }
    }
  }

  async dump(): Promise<DaemonDump> {
    const d = await this.emu.dump();
    return { ...d, acd: this.acd.list() };
  }

  // ---------------------------------------------------------------- arp

  private arpNow(): number { return this.clock.uptime() + 1; }

  private async knob(name: string): Promise<KnobInfo> {
    const [k] = await this.emu.sysctl(name);
    if (k === undefined) throw new DaemonError('ENOENT', `unknown sysctl '${name}'`);
    return k;
  }

  /** The op for a desired entry (temp: its remaining lifetime from the wall clock). */
  private arpOp(d: DesiredArp): ArpSetOp {
    const op = arpSetOp(d.ip, d.mac, { pub: d.pub, only: d.only, iface: d.iface });
    if (d.expiresAt !== null) op.expire = this.arpNow() + Math.max(1, Math.ceil(d.expiresAt - this.wall()));
    return op;
  }

  /** Apply a desired static entry; one that has no route yet waits for an address to bind. */
  private async applyArp(key: string, d: DesiredArp): Promise<boolean> {
    if (d.expiresAt !== null && d.expiresAt <= this.wall()) {
      // A temp entry whose time is up: gone, as the kernel would have it.
      this.appliedArp.delete(key);
      this.pendingArp.delete(key);
      return false;
    }
    try {
      await this.setReplacing(this.arpOp(d));
      this.appliedArp.set(key, d);
      this.pendingArp.delete(key);
      return true;
    } catch (e) {
      if (code(e) === 'ENETUNREACH') {
        this.pendingArp.set(key, d);
      } else {
        this.log.error('static ARP entry not applied', { ip: formatIpv4(d.ip), error: msg(e) });
      }
      return false;
    }
  }

  /**
   * After an address goes away the kernel code frees the entries of its
   * prefix, static ones included (in_scrubprefix). The administrator's
   * entries are part of the desired state (a restart would bring them
   * back), so put back what is still wanted: at once when another route
   * covers it, else when an address binds.
   */
  private async reconcileArp(): Promise<void> {
    if (this.appliedArp.size === 0) return;
    const have = new Set((await this.emu.dump()).cpus[0]?.arp.map((e) => arpKey(e.ip, e.flags.includes('only'))) ?? []);
    for (const [key, d] of [...this.appliedArp]) {
      if (have.has(key)) continue;
      this.appliedArp.delete(key);
      await this.applyArp(key, d);
    }
  }

  /** arp -s replaces an existing static entry (delete, then add), as arp(8) users expect. */
  private async setReplacing(op: ArpSetOp): Promise<void> {
    try {
      await this.apply(op);
    } catch (e) {
      if (code(e) !== 'EEXIST' || op.only) throw e;
      await this.apply({ op: 'delete', ip: op.ip });
      await this.apply(op);
    }
  }

  private async arpSet(p: Params<'arp.set'>): Promise<{ count: number }> {
    const ip = parseIpv4(p.ip)!;
    const mac = parseMac(p.mac)!;
    if (p.iface !== undefined && !this.ifaces.has(p.iface)) throw new DaemonError('ENXIO', `arp -s ${p.ip}: no interface ${p.iface}`);
    const only = p.only === true;
    const temp = p.temp === true;
    const maxAge = Number((await this.knob('net.link.ether.inet.max_age')).value);
    const op = arpSetOp(ip, mac, { temp, pub: p.pub === true, only, iface: p.iface ?? null, now: this.arpNow(), maxAge });
    await this.setReplacing(op);
    const d: DesiredArp = { ip, mac, pub: op.pub, only, expiresAt: temp ? this.wall() + maxAge : null, iface: p.iface ?? null };
    const key = arpKey(ip, only);
    this.persist(() => this.store.commit((s) => setArp(s, arpOverride(d), configHasArp(this.config, ip, only))));
    this.appliedArp.set(key, d);
    this.pendingArp.delete(key);
    return { count: 1 };
  }

  private async arpDelete(ip: Ipv4): Promise<{ count: number }> {
    const r = await this.apply({ op: 'delete', ip });
    // arp -d removes the ordinary entry first, else the proxy-only one.
    const plain = arpKey(ip, false);
    const key = this.appliedArp.has(plain) ? plain : this.appliedArp.has(arpKey(ip, true)) ? arpKey(ip, true) : undefined;
    if (key !== undefined) {
      const only = key !== plain;
      this.persist(() => this.store.commit((s) => setArp(s, { ip: formatIpv4(ip), only, present: false }, configHasArp(this.config, ip, only))));
      this.appliedArp.delete(key);
    }
    return { count: r.count };
  }

  private async arpFlush(): Promise<{ count: number }> {
    const r = await this.apply({ op: 'flush' });
    const keys = new Map([...this.appliedArp, ...this.pendingArp]);
    this.persist(() => this.store.commit((s) => {
      for (const d of keys.values()) setArp(s, { ip: formatIpv4(d.ip), only: d.only, present: false }, configHasArp(this.config, d.ip, d.only));
    }));
    this.appliedArp.clear();
    this.pendingArp.clear();
    return { count: r.count };
  }

  // ---------------------------------------------------------------- sysctl

  private async applySysctls(desired: Desired): Promise<void> {
    for (const [name, value] of desired.sysctl) {
      try {
        await this.apply({ op: 'sysctl', name, value });
        this.appliedSysctl.set(name, value);
      } catch (e) {
        this.log.error('sysctl not applied', { name, value, error: msg(e) });
      }
    }
  }

  private async sysctlGet(names: string[] | undefined): Promise<KnobInfo[]> {
    const all = await this.emu.sysctl();
    if (names === undefined || names.length === 0) return all;
    const out: KnobInfo[] = [];
    for (const n of names) {
      const exact = all.find((k) => k.name === n);
      const hits = exact !== undefined ? [exact] : all.filter((k) => k.name.startsWith(n.endsWith('.') ? n : `${n}.`));
      if (hits.length === 0) throw new DaemonError('ENOENT', `unknown oid '${n}'`);
      out.push(...hits);
    }
    return out;
  }

  private async sysctlSet(name: string, value: number | string): Promise<{ name: string; old: number | string; value: number | string }> {
    const r = await this.apply({ op: 'sysctl', name, value });
    const now = (await this.knob(name)).value;
    this.persist(() => this.store.commit((s) => setSysctl(s, name, now)));
    this.appliedSysctl.set(name, now);
    return { name, old: r.old ?? now, value: now };
  }

  // ---------------------------------------------------------------- addresses

  private newRecord(iface: string, addr: Ipv4, plen: number | undefined): AddrRecord {
    const rec: AddrRecord = { iface, addr, plen, status: 'tentative', inEmu: false, conflict: null, error: null, waiters: [] };
    this.addrs.get(iface)!.push(rec);
    return rec;
  }

  private findRecord(iface: string, addr: Ipv4): AddrRecord | undefined {
    return this.addrs.get(iface)?.find((r) => r.addr === addr);
  }

  private settle(rec: AddrRecord): void {
    for (const w of rec.waiters.splice(0)) w();
  }

  /** Probe the address (ACD on), or add it at once (ACD off). Runs on the serial queue. */
  private async startAddr(rec: AddrRecord): Promise<void> {
    rec.conflict = null;
    rec.error = null;
    if (this.ifaces.get(rec.iface)!.acd) {
      rec.status = 'tentative';
      this.acd.start(rec.iface, rec.addr);
      return;
    }
    await this.addToEmu(rec);
  }

  private async addToEmu(rec: AddrRecord): Promise<void> {
    try {
      await this.apply({ op: 'ifaddr', cmd: 'add', iface: rec.iface, addr: rec.addr, plen: rec.plen });
      rec.inEmu = true;
      rec.status = 'bound';
    } catch (e) {
      rec.status = 'failed';
      rec.error = msg(e);
      this.log.error('address not added', { iface: rec.iface, addr: addrText(rec), error: msg(e) });
      this.settle(rec);
      throw e;
    }
    this.settle(rec);
    await this.retryPending();
  }

  private async removeFromEmu(rec: AddrRecord): Promise<void> {
    if (!rec.inEmu) return;
    await this.apply({ op: 'ifaddr', cmd: 'delete', iface: rec.iface, addr: rec.addr, plen: rec.plen });
    rec.inEmu = false;
    await this.reconcileArp();
  }

  /** ACD: nobody else has the address. */
  private async bound(iface: string, ip: Ipv4): Promise<void> {
    const rec = this.findRecord(iface, ip);
    if (rec === undefined || rec.status !== 'tentative' || !this.acd.usable(iface, ip)) return;
    await this.addToEmu(rec).catch(() => undefined);
  }

  /** ACD: a conflict (reported for every outcome; probing conflicts end the attempt). */
  private conflicted(iface: string, c: AcdConflict): void {
    const rec = this.findRecord(iface, c.ip);
    if (rec === undefined) return;
    rec.conflict = { sha: formatMac(c.sha), src: formatMac(c.src), t: c.time };
    if (c.outcome === 'abandoned') {
      rec.status = 'duplicated';
      this.settle(rec);
    }
  }

  /** ACD: the second conflict inside DEFEND_INTERVAL: the address is given up. */
  private async givenUp(iface: string, ip: Ipv4): Promise<void> {
    const rec = this.findRecord(iface, ip);
    if (rec === undefined) return;
    rec.status = 'duplicated';
    try {
      await this.removeFromEmu(rec);
    } catch (e) {
      this.log.error('could not remove a lost address', { iface, addr: formatIpv4(ip), error: msg(e) });
    }
    this.settle(rec);
  }

  /** Drop the record and everything it holds (ACD machine, emulator address). */
  private async dropAddr(rec: AddrRecord): Promise<void> {
    this.acd.stop(rec.iface, rec.addr);
    await this.removeFromEmu(rec);
    const list = this.addrs.get(rec.iface)!;
    list.splice(list.indexOf(rec), 1);
    rec.status = 'duplicated';
    this.settle(rec);
  }

  /** ifconfig IF inet ADDR[/PLEN] [alias|-alias|delete]; null when the address was deleted. */
  private async ifconfigSet(p: IfconfigParams): Promise<AddrRecord | null> {
    const iface = this.ifaces.get(p.iface);
    if (iface === undefined) throw new DaemonError('ENXIO', `ifconfig ${p.iface}: no such interface (configured: ${[...this.ifaces.keys()].join(', ')})`);
    const addr = parseIpv4(p.addr)!;
    const plen = p.plen ?? undefined;
    const list = this.addrs.get(p.iface)!;
    const inConfig = configHasAddress(this.config, p.iface, addr);
    if (p.action === 'delete') {
      const rec = this.findRecord(p.iface, addr);
      if (rec === undefined) throw new DaemonError('EADDRNOTAVAIL', `ifconfig ${p.iface}: ${p.addr} is not an address of ${p.iface}`);
      await this.dropAddr(rec);
      this.persist(() => this.store.commit((s) => setAddress(s, { iface: p.iface, addr: formatIpv4(addr), plen: null, present: false }, inConfig)));
      return null;
    }
    if (addr === 0 || addr === 0xffff_ffff || isIpv4Multicast(addr) || (addr >>> 24) === 127) {
      throw new DaemonError('EINVAL', `ifconfig ${p.iface}: ${p.addr} is not a unicast host address`);
    }
    if (plen !== undefined && plen < 31 && ((addr & ~prefixMask(plen)) >>> 0) === 0) {
      throw new DaemonError('EINVAL', `ifconfig ${p.iface}: ${addrText({ addr, plen })} is the network address of its prefix`);
    }
    // ifconfig IF inet ADDR without alias replaces the first address (ifconfig's clearaddr).
    const replaced = p.action === 'set' && list.length > 0 && list[0]!.addr !== addr ? list[0]! : undefined;
    let rec = this.findRecord(p.iface, addr);
    if (replaced !== undefined) await this.dropAddr(replaced);
    if (rec === undefined) {
      rec = this.newRecord(p.iface, addr, plen);
      if (!iface.acd) {
        const fresh = rec;
        await this.addToEmu(fresh).catch((e: unknown) => {
          list.splice(list.indexOf(fresh), 1);
          throw e;
        });
      }
    } else if (rec.inEmu && rec.plen !== plen) {
      // A new mask for a bound address: re-add it, no new probe.
      await this.removeFromEmu(rec);
      rec.plen = plen;
      await this.addToEmu(rec);
    } else {
      rec.plen = plen;
    }
    const r = rec;
    this.persist(() => this.store.commit((s) => {
      if (replaced !== undefined) {
        setAddress(s, { iface: p.iface, addr: formatIpv4(replaced.addr), plen: null, present: false }, configHasAddress(this.config, p.iface, replaced.addr));
      }
      setAddress(s, { iface: p.iface, addr: formatIpv4(addr), plen: plen ?? null, present: true }, inConfig);
    }));
    // Start (or restart after a conflict) conflict detection once the change is saved.
    if (iface.acd && !r.inEmu && r.status !== 'tentative') await this.startAddr(r);
    else if (iface.acd && !r.inEmu && this.acd.state(r.iface, r.addr) === null) await this.startAddr(r);
    return r;
  }

  private waitAddr(rec: AddrRecord, seconds: number): Promise<void> {
    if (rec.status !== 'tentative' || seconds <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, seconds * 1000);
      function done(): void { clearTimeout(t); resolve(); }
      rec.waiters.push(done);
    });
  }

  private async ifconfigList(name: string | undefined): Promise<IfInfo[]> {
    if (name !== undefined && !this.ifaces.has(name) && name !== 'lo0') throw new DaemonError('ENXIO', `interface ${name} does not exist`);
    const d = await this.emu.dump();
    const out: IfInfo[] = [];
    for (const ifd of d.interfaces) {
      if (name === undefined ? !this.ifaces.has(ifd.name) : ifd.name !== name) continue;
      const mine = this.ifaces.get(ifd.name);
      const recs = this.addrs.get(ifd.name) ?? [];
      const addresses: IfAddrInfo[] = [];
      for (const a of ifd.addresses) {
        const rec = recs.find((r) => formatIpv4(r.addr) === a.addr);
        addresses.push({
          addr: a.addr, plen: rec?.plen ?? null, mask: a.mask, broadcast: a.broadcast, status: 'bound',
          acd: mine?.acd ? this.acd.state(ifd.name, parseIpv4(a.addr)!) : null, conflict: rec?.conflict ?? null,
        });
      }
      for (const r of recs) {
        if (r.inEmu) continue;
        addresses.push({
          addr: formatIpv4(r.addr), plen: r.plen ?? null,
          mask: r.plen === undefined ? null : formatIpv4(prefixMask(r.plen)), broadcast: null,
          status: r.status === 'failed' ? 'duplicated' : r.status,
          acd: this.acd.state(r.iface, r.addr), conflict: r.conflict,
        });
      }
      out.push({ name: ifd.name, index: ifd.index, mac: ifd.mac, flags: ifd.flags, mtu: 1500, acd: mine?.acd ?? false, addresses });
    }
    return out;
  }

  // ---------------------------------------------------------------- routes and pending work

  private async applyRoutes(routes: RouteConfig[]): Promise<void> {
    for (const r of routes) {
      try {
        await this.apply({ op: 'route', cmd: 'add', dst: r.dst, plen: r.plen, gateway: r.gateway });
        this.appliedRoutes.push(r);
      } catch (e) {
        if (code(e) === 'ENETUNREACH') this.pendingRoutes.push(r);
        else this.log.error('route not added', { dst: `${formatIpv4(r.dst)}/${r.plen}`, gateway: formatIpv4(r.gateway), error: msg(e) });
      }
    }
  }

  /** After an address binds: routes and static entries that had no route before. */
  private async retryPending(): Promise<void> {
    if (this.pendingRoutes.length > 0) {
      const todo = this.pendingRoutes;
      this.pendingRoutes = [];
      await this.applyRoutes(todo);
    }
    for (const [key, d] of [...this.pendingArp]) await this.applyArp(key, d);
  }

  // ---------------------------------------------------------------- resolve

  /**
   * arpemu resolve: keep sending towards `ip` once a second (as a program
   * retrying its packet does), so arpresolve asks up to maxtries times and
   * then reports the host down; stop at the first definite outcome.
   */
  private async resolve(ip: Ipv4, timeout: number): Promise<ResolveResult> {
    const t0 = this.clock.now();
    const text = formatIpv4(ip);
    let asks = 0;
    for (;;) {
      const left = timeout - (this.clock.now() - t0);
      const seconds = (): number => Math.round((this.clock.now() - t0) * 1000) / 1000;
      if (left <= 0) return { ip: text, outcome: 'timeout', requests: asks, seconds: seconds() };
      asks++;
      const wait = Math.min(1, left);
      const before = this.clock.now();
      const o = await this.emu.resolve(ip, wait);
      switch (o.kind) {
        case 'held': {
          // Pace the retries at one a second even if the emulator answered early.
          const rest = wait - (this.clock.now() - before);
          if (rest > 0.001) await new Promise((r) => setTimeout(r, Math.ceil(rest * 1000)));
          continue;
        }
        case 'resolved': {
          const e = (await this.emu.dump()).cpus[0]?.arp.find((x) => x.ip === text);
          return { ip: text, outcome: 'resolved', mac: formatMac(o.mac), iface: e?.iface ?? null, requests: asks, seconds: seconds() };
        }
        case 'local': return { ip: text, outcome: 'local', requests: asks, seconds: seconds() };
        case 'dropped':
          return {
            ip: text, outcome: o.errno === 'EHOSTDOWN' ? 'hostdown' : o.errno === 'ENETDOWN' ? 'netdown' : 'unreachable',
            requests: asks, seconds: seconds(),
          };
      }
    }
  }

  // ---------------------------------------------------------------- persistence

  /** Write the state; a failure means the change is in effect but not saved: say so. */
  private persist(write: () => void): void {
    try {
      write();
    } catch (e) {
      this.log.error('state not saved', { error: msg(e) });
      throw new DaemonError('ERR_STATE', `the change is in effect but was not saved: ${msg(e)}`);
    }
  }

  // ---------------------------------------------------------------- reload

  /**
   * SIGHUP: re-read the config and apply what changed (sysctls, addresses,
   * routes, static entries), with the administrator's overrides still on
   * top. Interfaces cannot change without a restart. A bad config is
   * refused whole and the running one kept.
   */
  reload(): Promise<{ applied: number; errors: number }> {
    return this.serial(async () => {
      let next: Config;
      try {
        next = readConfig(this.opts.configPath);
      } catch (e) {
        this.log.error('reload refused: the config has errors; keeping the running one', { error: msg(e) });
        throw e;
      }
      const names = (c: Config): string => c.interfaces.map((i) => i.name).sort().join(',');
      if (names(next) !== names(this.config)) {
        const e = new ArpemuError('ERR_CONFIG', `reload: interfaces changed (${names(this.config)} -> ${names(next)}); restart the daemon to change interfaces`);
        this.log.error('reload refused', { error: e.message });
        throw e;
      }
      this.config = next;
      const want = desiredState(next, this.store.state, this.wall());
      let applied = 0;
      let errors = 0;
      const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
        try { await fn(); applied++; } catch (e) { errors++; this.log.error(`reload: ${what} failed`, { error: msg(e) }); }
      };
      // sysctls: changed values, and defaults back for names no longer set
      const knobs = await this.emu.sysctl();
      for (const [name] of this.appliedSysctl) {
        if (want.sysctl.has(name)) continue;
        const k = knobs.find((x) => x.name === name);
        if (k === undefined) continue;
        await attempt(`sysctl ${name}`, async () => { await this.apply({ op: 'sysctl', name, value: k.default }); this.appliedSysctl.delete(name); });
      }
      for (const [name, value] of want.sysctl) {
        if (this.appliedSysctl.get(name) === value) continue;
        await attempt(`sysctl ${name}=${value}`, async () => { await this.apply({ op: 'sysctl', name, value }); this.appliedSysctl.set(name, value); });
      }
      // addresses
      for (const [iface, list] of this.addrs) {
        const wanted = want.addresses.get(iface) ?? [];
        for (const rec of [...list]) {
          if (!wanted.some((w) => w.addr === rec.addr)) await attempt(`delete ${formatIpv4(rec.addr)}`, () => this.dropAddr(rec));
        }
        for (const w of wanted) {
          const rec = this.findRecord(iface, w.addr);
          if (rec === undefined) {
            await attempt(`add ${addrText(w)}`, () => this.startAddr(this.newRecord(iface, w.addr, w.plen)));
          } else if (rec.plen !== w.plen) {
            await attempt(`mask of ${addrText(w)}`, async () => {
              if (rec.inEmu) { await this.removeFromEmu(rec); rec.plen = w.plen; await this.addToEmu(rec); } else rec.plen = w.plen;
            });
          }
        }
      }
      // routes
      const same = (a: RouteConfig, b: RouteConfig): boolean => a.dst === b.dst && a.plen === b.plen && a.gateway === b.gateway;
      for (const r of [...this.appliedRoutes]) {
        if (want.routes.some((w) => same(w, r))) continue;
        await attempt(`route delete ${formatIpv4(r.dst)}/${r.plen}`, async () => {
          await this.apply({ op: 'route', cmd: 'delete', dst: r.dst, plen: r.plen, gateway: r.gateway });
          this.appliedRoutes = this.appliedRoutes.filter((x) => x !== r);
        });
      }
      this.pendingRoutes = this.pendingRoutes.filter((r) => want.routes.some((w) => same(w, r)));
      const newRoutes = want.routes.filter((w) => !this.appliedRoutes.some((r) => same(r, w)) && !this.pendingRoutes.some((r) => same(r, w)));
      if (newRoutes.length > 0) await attempt('routes', () => this.applyRoutes(newRoutes));
      // static entries
      const sameArp = (a: DesiredArp, b: DesiredArp): boolean =>
        a.mac === b.mac && a.pub === b.pub && a.only === b.only && a.iface === b.iface && (a.expiresAt === null) === (b.expiresAt === null);
      for (const [key, d] of [...this.appliedArp]) {
        const w = want.arp.get(key);
        if (w !== undefined && sameArp(w, d)) continue;
        await attempt(`arp delete ${formatIpv4(d.ip)}`, async () => {
          this.appliedArp.delete(key);
          await this.apply({ op: 'delete', ip: d.ip }).catch((e) => { if (code(e) !== 'ESRCH') throw e; });
        });
      }
      for (const key of [...this.pendingArp.keys()]) if (!want.arp.has(key)) this.pendingArp.delete(key);
      for (const [key, d] of want.arp) {
        if (this.appliedArp.has(key)) continue;
        await attempt(`arp set ${formatIpv4(d.ip)}`, async () => { await this.applyArp(key, d); });
      }
      this.log.info('reloaded', { config: this.opts.configPath, applied, errors });
      return { applied, errors };
    });
  }

  // ---------------------------------------------------------------- stop

  /** Clean shutdown: stop answering (in-flight requests finish), stop ACD, drain the emulator, close links, remove the socket. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping', { pid: process.pid });
      await this.server?.close(5000);
      await this.queue;
      await this.teardown();
      this.log.info('stopped', { pid: process.pid });
      this.log.flush();
    })();
    return this.stopping;
  }

  private async teardown(): Promise<void> {
    this.acd.close();
    if (this.metricsServer !== undefined) await this.metricsServer.close();
    try { await this.emu.quiesce(); } catch { /* closing anyway */ }
    this.linksClosed = true;
    for (const l of this.links.values()) await l.close().catch(() => undefined);
    await this.emu.close();
  }
}

function readConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ArpemuError('ERR_CONFIG', `config: ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : msg(e)}`);
  }
  return parseConfigText(text, path, { macOptional: true });
}

