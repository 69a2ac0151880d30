/**
 * The daemon's administrative state (`--state FILE`): what the
 * administrator changed through the control socket, kept as overrides of
 * the config file, so that a restart (or a kill -9 at any moment) comes
 * back with every acknowledged change.
 *
 * Merge rule (desiredState): the config gives the starting point; each override names
 * one key and wins over the config for that key only:
 *  - an address is keyed by (interface, address): present (with its prefix
 *    length) or removed;
 *  - a static ARP entry by (ip, proxy-only): present (with MAC, pub, temp
 *    expiry, interface) or removed;
 *  - a sysctl by name: its value.
 * Keys the administrator never touched follow the config, also across a
 * SIGHUP reload; a removal is only recorded (as a tombstone) when the
 * config has the key, so a later config may bring back a key the
 * administrator had added and removed.
 *
 * Writes are atomic: a fresh temporary file in the same directory,
 * written, fsync'ed, renamed over the state file, then the directory
 * fsync'ed. A crash leaves either the old or the new file, never a mix;
 * leftover temporary files are removed at load. The daemon writes BEFORE
 * it answers a control command.
 */
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatIpv4, formatMac, parseIpv4, parseMac, type Ipv4, type Mac } from '../wire/addr.js';
import type { Config, RouteConfig } from '../config/config.js';
import { DaemonError } from './protocol.js';

export const STATE_VERSION = 1;

export interface AddrOverride {
  iface: string;
  /** Dotted quad. */
  addr: string;
  /** Prefix length; null = classful default (in_control). */
  plen: number | null;
  present: boolean;
}

export interface ArpOverride {
  ip: string;
  /** Proxy-only published entry (a separate key from the ordinary entry). */
  only: boolean;
  present: boolean;
  mac?: string;
  pub?: boolean;
  /** temp entries: wall-clock expiry (seconds since the epoch); null = permanent. */
  expiresAt?: number | null;
  iface?: string | null;
}

export interface AdminState {
  version: number;
  /** In the order they were made (the first address of an interface is its primary). */
  addresses: AddrOverride[];
  arp: ArpOverride[];
  sysctl: Record<string, number | string>;
}

export function emptyState(): AdminState {
  return { version: STATE_VERSION, addresses: [], arp: [], sysctl: {} };
}

function cloneState(s: AdminState): AdminState {
  return {
    version: s.version,
    addresses: s.addresses.map((a) => ({ ...a })),
    arp: s.arp.map((a) => ({ ...a })),
    sysctl: { ...s.sysctl },
  };
}

// ---- validation of a loaded file ----

function bad(file: string, path: string, msg: string): never {
  throw new DaemonError('ERR_STATE', `state ${file}: ${path}: ${msg}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check a parsed state file, naming the bad field. */
export function checkState(v: unknown, file = '(state)'): AdminState {
  if (!isObj(v)) bad(file, '(root)', 'must be an object');
  if (v['version'] !== STATE_VERSION) bad(file, 'version', `must be ${STATE_VERSION}, got ${JSON.stringify(v['version'])}`);
  const addresses = v['addresses'];
  if (!Array.isArray(addresses)) bad(file, 'addresses', 'must be an array');
  addresses.forEach((a: unknown, i) => {
    const p = `addresses[${i}]`;
    if (!isObj(a)) bad(file, p, 'must be an object');
    if (typeof a['iface'] !== 'string' || a['iface'] === '') bad(file, `${p}.iface`, 'must be an interface name');
    if (typeof a['addr'] !== 'string' || parseIpv4(a['addr']) === undefined) bad(file, `${p}.addr`, 'must be an IPv4 address');
    if (a['plen'] !== null && !(Number.isInteger(a['plen']) && (a['plen'] as number) >= 0 && (a['plen'] as number) <= 32)) bad(file, `${p}.plen`, 'must be 0..32 or null');
    if (typeof a['present'] !== 'boolean') bad(file, `${p}.present`, 'must be true or false');
  });
  const arp = v['arp'];
  if (!Array.isArray(arp)) bad(file, 'arp', 'must be an array');
  arp.forEach((a: unknown, i) => {
    const p = `arp[${i}]`;
    if (!isObj(a)) bad(file, p, 'must be an object');
    if (typeof a['ip'] !== 'string' || parseIpv4(a['ip']) === undefined) bad(file, `${p}.ip`, 'must be an IPv4 address');
    if (typeof a['only'] !== 'boolean') bad(file, `${p}.only`, 'must be true or false');
    if (typeof a['present'] !== 'boolean') bad(file, `${p}.present`, 'must be true or false');
    if (a['present'] === true) {
      if (typeof a['mac'] !== 'string' || parseMac(a['mac']) === undefined) bad(file, `${p}.mac`, 'must be a MAC address');
      if (typeof a['pub'] !== 'boolean') bad(file, `${p}.pub`, 'must be true or false');
      if (a['expiresAt'] !== null && typeof a['expiresAt'] !== 'number') bad(file, `${p}.expiresAt`, 'must be a number or null');
      if (a['iface'] !== null && typeof a['iface'] !== 'string') bad(file, `${p}.iface`, 'must be a string or null');
    }
  });
  const sysctl = v['sysctl'];
  if (!isObj(sysctl)) bad(file, 'sysctl', 'must be an object');
  for (const [k, x] of Object.entries(sysctl)) {
    if (typeof x !== 'number' && typeof x !== 'string') bad(file, `sysctl.${k}`, 'must be a number or a string');
  }
  return cloneState(v as unknown as AdminState);
}

// ---- files ----

/** Test hooks around the atomic write (simulate a crash at a given step). */
export interface SaveHooks {
  /** Called after the temporary file is written and fsync'ed, before the rename. */
  beforeRename?(tmp: string): void;
}

function tmpPrefix(path: string): string { return `.${basename(path)}.tmp-`; }

/**
 * Write `state` to `path` atomically (temp + fsync + rename + fsync of the
 * directory). Throws ERR_STATE naming the file on failure; the previous
 * file is then untouched.
 */
export function saveState(path: string, state: AdminState, hooks: SaveHooks = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `${tmpPrefix(path)}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const text = JSON.stringify(state, null, 1) + '\n';
  let fd: number | undefined;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    hooks.beforeRename?.(tmp);
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* already failing */ } }
    try { unlinkSync(tmp); } catch { /* not there */ }
    throw new DaemonError('ERR_STATE', `state ${path}: cannot write: ${(e as Error).message}`);
  }
  // The rename is durable once the directory is on disk.
  try {
    const dfd = openSync(dir, fsc.O_RDONLY);
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* some filesystems refuse fsync on a directory: the rename is still atomic */ }
}

/**
 * Read the state file. A missing file is an empty state; a malformed one
 * is ERR_STATE naming the field (the daemon refuses to start rather than
 * forget acknowledged changes). Leftover temporary files of earlier
 * writers are removed.
 */
export function loadState(path: string): AdminState {
  removeLeftovers(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new DaemonError('ERR_STATE', `state ${path}: cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DaemonError('ERR_STATE', `state ${path}: not JSON (${(e as Error).message}); move it away to start without it`);
  }
  return checkState(json, path);
}

function removeLeftovers(path: string): void {
  const dir = dirname(path);
  const prefix = tmpPrefix(path);
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    if (n.startsWith(prefix)) { try { unlinkSync(join(dir, n)); } catch { /* raced */ } }
  }
}

// ---- the store: mutate, persist, then swap ----

/**
 * The state in memory and (optionally) on disk. commit() applies a change
 * to a copy, writes it, and only then makes it current: when the write
 * fails nothing changed, in memory or on disk.
 */
export class StateStore {
  private cur: AdminState;
  constructor(readonly path: string | undefined, initial: AdminState = emptyState(), private readonly hooks: SaveHooks = {}) {
    this.cur = cloneState(initial);
  }

  static open(path: string | undefined): StateStore {
    return new StateStore(path, path === undefined ? emptyState() : loadState(path));
  }

  get state(): AdminState { return this.cur; }

  commit(change: (draft: AdminState) => void): void {
    const draft = cloneState(this.cur);
    change(draft);
    if (this.path !== undefined) saveState(this.path, draft, this.hooks);
    this.cur = draft;
  }
}

// ---- mutations (on a draft) ----

export function setAddress(s: AdminState, o: AddrOverride, inConfig: boolean): void {
  const i = s.addresses.findIndex((a) => a.iface === o.iface && a.addr === o.addr);
  if (!o.present && !inConfig) {
    if (i >= 0) s.addresses.splice(i, 1);
    return;
  }
  if (i >= 0) s.addresses[i] = { ...o };
  else s.addresses.push({ ...o });
}

export function setArp(s: AdminState, o: ArpOverride, inConfig: boolean): void {
  const i = s.arp.findIndex((a) => a.ip === o.ip && a.only === o.only);
  if (!o.present && !inConfig) {
    if (i >= 0) s.arp.splice(i, 1);
    return;
  }
  const v: ArpOverride = o.present ? { ...o } : { ip: o.ip, only: o.only, present: false };
  if (i >= 0) s.arp[i] = v;
  else s.arp.push(v);
}

export function setSysctl(s: AdminState, name: string, value: number | string): void {
  s.sysctl[name] = value;
}

// ---- the merge ----

export interface DesiredAddr { iface: string; addr: Ipv4; plen: number | undefined }

export interface DesiredArp {
  ip: Ipv4;
  mac: Mac;
  pub: boolean;
  only: boolean;
  /** Wall-clock expiry (seconds since the epoch) of a temp entry; null = permanent. */
  expiresAt: number | null;
  iface: string | null;
}

/** What should be configured: config plus overrides. */
export interface Desired {
  /** Per interface, in order (the first is the primary address). */
  addresses: Map<string, DesiredAddr[]>;
  /** By arpKey. */
  arp: Map<string, DesiredArp>;
  sysctl: Map<string, number | string>;
  routes: RouteConfig[];
}

export function arpKey(ip: Ipv4 | string, only: boolean): string {
  return `${typeof ip === 'number' ? formatIpv4(ip) : ip}${only ? '/only' : ''}`;
}

/**
 * Config plus state. `now` is the wall clock in seconds (epoch): config
 * temp entries expire max_age after it; state temp entries keep their
 * recorded expiry and are dropped once it has passed.
 */
export function desiredState(config: Config, state: AdminState, now: number): Desired {
  const addresses = new Map<string, DesiredAddr[]>();
  for (const ifc of config.interfaces) {
    addresses.set(ifc.name, ifc.addresses.map((a) => ({ iface: ifc.name, addr: a.addr, plen: a.plen })));
  }
  for (const o of state.addresses) {
    const list = addresses.get(o.iface);
    if (list === undefined) continue; // interface no longer configured
    const addr = parseIpv4(o.addr)!;
    const i = list.findIndex((a) => a.addr === addr);
    if (!o.present) {
      if (i >= 0) list.splice(i, 1);
      continue;
    }
    const d: DesiredAddr = { iface: o.iface, addr, plen: o.plen ?? undefined };
    if (i >= 0) list[i] = d;
    else list.push(d);
  }

  const sysctl = new Map<string, number | string>(Object.entries(config.sysctl));
  for (const [k, v] of Object.entries(state.sysctl)) sysctl.set(k, v);

  const maxAge = Number(sysctl.get('net.link.ether.inet.max_age') ?? 1200);
  const arp = new Map<string, DesiredArp>();
  for (const a of config.arp) {
    arp.set(arpKey(a.ip, false), {
      ip: a.ip, mac: a.mac, pub: a.pub, only: false, expiresAt: a.temp ? now + maxAge : null, iface: a.iface ?? null,
    });
  }
  for (const o of state.arp) {
    const key = arpKey(o.ip, o.only);
    if (!o.present) { arp.delete(key); continue; }
    if (typeof o.expiresAt === 'number' && o.expiresAt <= now) { arp.delete(key); continue; }
    arp.set(key, {
      ip: parseIpv4(o.ip)!, mac: parseMac(o.mac!)!, pub: o.pub === true || o.only, only: o.only,
      expiresAt: o.expiresAt ?? null, iface: o.iface ?? null,
    });
  }
  return { addresses, arp, sysctl, routes: config.routes };
}

/** Whether the config itself has the key (so a removal must be a tombstone). */
export function configHasAddress(config: Config, iface: string, addr: Ipv4): boolean {
  return config.interfaces.some((i) => i.name === iface && i.addresses.some((a) => a.addr === addr));
}

export function configHasArp(config: Config, ip: Ipv4, only: boolean): boolean {
  return !only && config.arp.some((a) => a.ip === ip);
}

export function arpOverride(d: DesiredArp): ArpOverride {
  return {
    ip: formatIpv4(d.ip), only: d.only, present: true, mac: formatMac(d.mac), pub: d.pub,
    expiresAt: d.expiresAt, iface: d.iface,
  };
}
