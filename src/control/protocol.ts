/**
 * The control protocol between the arpemu CLI and a running daemon: JSON
 * lines over a unix socket, one request and one response a line.
 *
 *   request:  {"v":1,"id":7,"method":"arp.set","params":{"ip":"10.0.0.9","mac":"02:00:00:00:00:09"}}
 *   response: {"v":1,"id":7,"ok":true,"result":{"count":1}}
 *             {"v":1,"id":7,"ok":false,"error":{"code":"ESRCH","message":"..."}}
 *
 * A client may send several requests before reading; responses carry the
 * request's id and may come out of order (a resolve takes seconds). Every
 * method's params and result are typed in MethodMap; the server validates
 * params with checkParams() and names the bad field in an EPROTO error.
 * Addresses travel as text (dotted quads, colon MACs), as a person types them.
 */
import type { Socket } from 'node:net';
import type { ArpEntryDump } from '../arp/admin.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { AcdState } from '../arp/acd.js';
import type { EmuDump } from '../cpu/emulator.js';
import type { KnobInfo } from '../sysctl/index.js';
import { parseIpv4, parseMac } from '../wire/addr.js';

export const PROTOCOL_VERSION = 1;
/** Longest request or response line accepted (bytes). */
export const MAX_LINE = 1 << 20;
/** Default control socket (CONTRACT.md daemon). */
export const DEFAULT_SOCKET = '/run/arpemu.sock';

/**
 * Error codes a response can carry: the emulator's errno and arpemu codes,
 * plus the protocol's own:
 * - EPROTO: malformed request (bad JSON, unknown field, bad param), message names the field;
 * - ENOSYS: unknown method;
 * - EADDRINUSE: conflict detection found the address in use (not bound);
 * - ERR_STATE: the change took effect but the state file could not be written;
 * - ESHUTDOWN: the daemon is stopping;
 * - EINTERNAL: a bug (the daemon logs the stack).
 */
export type ControlErrorCode = string;

export interface ControlError { code: ControlErrorCode; message: string }

// ---- results ----

export interface HelloResult {
  version: number;
  pid: number;
  cpus: number;
  interfaces: string[];
  /** Seconds since the daemon started. */
  uptime: number;
  state: string | null;
}

/** An address as ifconfig shows it: the emulator's view plus conflict detection. */
export interface IfAddrInfo {
  addr: string;
  /** Prefix length as configured (null: classful default). */
  plen: number | null;
  mask: string | null;
  broadcast: string | null;
  /**
   * bound: in use; tentative: being probed (not used yet); duplicated:
   * conflict detection found it in use elsewhere, or lost it (not used).
   */
  status: 'bound' | 'tentative' | 'duplicated';
  /** ACD machine state; null when ACD is off for the interface. */
  acd: AcdState | null;
  /** Last conflict seen for the address. */
  conflict: { sha: string; src: string; t: number } | null;
}

export interface IfInfo {
  name: string;
  index: number;
  mac: string | null;
  flags: string[];
  mtu: number;
  acd: boolean;
  addresses: IfAddrInfo[];
}

export interface IfconfigResult {
  iface: string;
  addr: string;
  /** What became of an added address (deletes: 'deleted'). */
  status: IfAddrInfo['status'] | 'deleted';
  conflict: IfAddrInfo['conflict'];
}

export interface SysctlSetResult { name: string; old: number | string; value: number | string }

export interface StatsResult { cpus: ArpStatValues[]; total: ArpStatValues }

export type ResolveResult =
  | { ip: string; outcome: 'resolved'; mac: string; iface: string | null; requests: number; seconds: number }
  | { ip: string; outcome: 'local'; requests: number; seconds: number }
  | { ip: string; outcome: 'hostdown' | 'unreachable' | 'netdown' | 'timeout'; requests: number; seconds: number };

/** `dump` result: the CONTRACT.md dump plus conflict detection. */
export interface DaemonDump extends EmuDump {
  acd: { iface: string; ip: string; state: AcdState }[];
}

// ---- methods ----

export interface ArpSetParams {
  ip: string;
  mac: string;
  temp?: boolean;
  pub?: boolean;
  /** pub only: proxy-only entry. */
  only?: boolean;
  iface?: string;
}

export interface IfconfigParams {
  iface: string;
  addr: string;
  /** null or absent: classful default (in_control). */
  plen?: number | null;
  /** set: replace the first address (ifconfig IF inet ADDR); alias: add; delete: -alias/delete. */
  action: 'set' | 'alias' | 'delete';
  /** Seconds to wait for conflict detection's outcome before answering (default 0). */
  wait?: number;
}

export interface MethodMap {
  hello: { params: Record<string, never>; result: HelloResult };
  dump: { params: Record<string, never>; result: DaemonDump };
  'arp.list': { params: { ip?: string }; result: ArpEntryDump[] };
  'arp.set': { params: ArpSetParams; result: { count: number } };
  'arp.delete': { params: { ip: string }; result: { count: number } };
  'arp.flush': { params: Record<string, never>; result: { count: number } };
  'ifconfig.list': { params: { iface?: string }; result: IfInfo[] };
  'ifconfig.set': { params: IfconfigParams; result: IfconfigResult };
  'sysctl.get': { params: { names?: string[] }; result: KnobInfo[] };
  'sysctl.set': { params: { name: string; value: number | string }; result: SysctlSetResult };
  stats: { params: Record<string, never>; result: StatsResult };
  resolve: { params: { ip: string; timeout?: number }; result: ResolveResult };
}

export type Method = keyof MethodMap;
export type Params<M extends Method> = MethodMap[M]['params'];
export type Result<M extends Method> = MethodMap[M]['result'];

export const METHODS: readonly Method[] = [
  'hello', 'dump', 'arp.list', 'arp.set', 'arp.delete', 'arp.flush',
  'ifconfig.list', 'ifconfig.set', 'sysctl.get', 'sysctl.set', 'stats', 'resolve',
];

/** Methods that change administrative state (serialized, persisted before the answer). */
export const MUTATING: ReadonlySet<Method> = new Set<Method>(['arp.set', 'arp.delete', 'arp.flush', 'ifconfig.set', 'sysctl.set']);

export interface Request<M extends Method = Method> { v: number; id: number; method: M; params: Params<M> }

export type Response =
  | { v: number; id: number; ok: true; result: unknown }
  | { v: number; id: number | null; ok: false; error: ControlError };

/**
 * A failure with a stable code on the control path (daemon side and
 * client side). Like ArpemuError it carries `code`, so the CLI's
 * reportFailure prints it as one line and exits 1 (2 for ERR_USAGE).
 */
export class DaemonError extends Error {
  constructor(readonly code: ControlErrorCode, message: string) {
    super(message);
    this.name = 'DaemonError';
  }
}

const perr = (msg: string): DaemonError => new DaemonError('EPROTO', msg);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(o: Obj, where: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw perr(`${where}.${k}: unknown field`);
}

function ipField(o: Obj, k: string, where: string, optional = false): void {
  const v = o[k];
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || parseIpv4(v) === undefined) throw perr(`${where}.${k}: must be an IPv4 address, got ${JSON.stringify(v)}`);
}

function boolField(o: Obj, k: string, where: string): void {
  if (o[k] !== undefined && typeof o[k] !== 'boolean') throw perr(`${where}.${k}: must be true or false`);
}

function numField(o: Obj, k: string, where: string, min: number, max: number, optional: boolean): void {
  const v = o[k];
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw perr(`${where}.${k}: must be a number in ${min}..${max}, got ${JSON.stringify(v)}`);
}

function strField(o: Obj, k: string, where: string, optional = false): void {
  const v = o[k];
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || v === '' || v.length > 256) throw perr(`${where}.${k}: must be a non-empty string`);
}

/** Validate a method's params (server side); throws EPROTO naming the field. */
export function checkParams(method: Method, params: unknown): void {
  const w = `params`;
  if (!isObj(params)) throw perr(`${w}: must be an object`);
  const p = params;
  switch (method) {
    case 'hello': case 'dump': case 'arp.flush': case 'stats':
      only(p, w, []);
      return;
    case 'arp.list':
      only(p, w, ['ip']);
      ipField(p, 'ip', w, true);
      return;
    case 'arp.set':
      only(p, w, ['ip', 'mac', 'temp', 'pub', 'only', 'iface']);
      ipField(p, 'ip', w);
      if (typeof p['mac'] !== 'string' || parseMac(p['mac']) === undefined) throw perr(`${w}.mac: must be a MAC address, got ${JSON.stringify(p['mac'])}`);
      boolField(p, 'temp', w); boolField(p, 'pub', w); boolField(p, 'only', w);
      strField(p, 'iface', w, true);
      return;
    case 'arp.delete':
      only(p, w, ['ip']);
      ipField(p, 'ip', w);
      return;
    case 'ifconfig.list':
      only(p, w, ['iface']);
      strField(p, 'iface', w, true);
      return;
    case 'ifconfig.set':
      only(p, w, ['iface', 'addr', 'plen', 'action', 'wait']);
      strField(p, 'iface', w);
      ipField(p, 'addr', w);
      if (p['plen'] !== null) numField(p, 'plen', w, 0, 32, true);
      if (p['plen'] !== undefined && p['plen'] !== null && !Number.isInteger(p['plen'])) throw perr(`${w}.plen: must be an integer`);
      if (p['action'] !== 'set' && p['action'] !== 'alias' && p['action'] !== 'delete') throw perr(`${w}.action: must be set, alias or delete`);
      numField(p, 'wait', w, 0, 3600, true);
      return;
    case 'sysctl.get':
      only(p, w, ['names']);
      if (p['names'] !== undefined && (!Array.isArray(p['names']) || !p['names'].every((n) => typeof n === 'string'))) {
        throw perr(`${w}.names: must be an array of strings`);
      }
      return;
    case 'sysctl.set':
      only(p, w, ['name', 'value']);
      strField(p, 'name', w);
      if (typeof p['value'] !== 'number' && typeof p['value'] !== 'string') throw perr(`${w}.value: must be a number or a string`);
      return;
    case 'resolve':
      only(p, w, ['ip', 'timeout']);
      ipField(p, 'ip', w);
      numField(p, 'timeout', w, 0, 3600, true);
      return;
  }
}

/** Parse one request line (server side). Throws DaemonError; `id` is recovered when it can be. */
export function decodeRequest(line: string): Request {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw perr('request is not JSON');
  }
  if (!isObj(v)) throw perr('request must be a JSON object');
  const id = v['id'];
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw perr('id: must be an integer >= 0');
  if (v['v'] !== PROTOCOL_VERSION) {
    throw new DaemonError('EPROTO', `v: protocol version ${JSON.stringify(v['v'])} is not supported (this daemon speaks ${PROTOCOL_VERSION})`);
  }
  only(v, 'request', ['v', 'id', 'method', 'params']);
  const method = v['method'];
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) {
    throw new DaemonError('ENOSYS', `method: unknown method ${JSON.stringify(method)}`);
  }
  const params = v['params'] ?? {};
  checkParams(method as Method, params);
  return { v: PROTOCOL_VERSION, id, method: method as Method, params: params as Params<Method> };
}

/** The id of a line that failed to decode, if it has one (so the error can be matched). */
export function requestIdOf(line: string): number | null {
  try {
    const v: unknown = JSON.parse(line);
    if (isObj(v) && typeof v['id'] === 'number' && Number.isInteger(v['id'])) return v['id'];
  } catch { /* not JSON */ }
  return null;
}

export function encodeRequest<M extends Method>(id: number, method: M, params: Params<M>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, id, method, params }) + '\n';
}

export function encodeResult(id: number, result: unknown): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, id, ok: true, result }) + '\n';
}

export function encodeError(id: number | null, code: ControlErrorCode, message: string): string {
  // A message is one line: the CLI prints it as the command's error line.
  return JSON.stringify({ v: PROTOCOL_VERSION, id, ok: false, error: { code, message: message.replace(/\s*\n\s*/g, ' ') } }) + '\n';
}

/** Parse one response line (client side). Throws DaemonError on a malformed one. */
export function decodeResponse(line: string): Response {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw perr('daemon sent a response that is not JSON');
  }
  if (!isObj(v) || typeof v['ok'] !== 'boolean') throw perr('daemon sent a malformed response');
  if (v['v'] !== PROTOCOL_VERSION) throw perr(`daemon speaks protocol version ${JSON.stringify(v['v'])}, this client ${PROTOCOL_VERSION}`);
  const id = v['id'];
  if (v['ok'] === true) {
    if (typeof id !== 'number') throw perr('daemon sent a response without an id');
    return { v: PROTOCOL_VERSION, id, ok: true, result: v['result'] };
  }
  const e = v['error'];
  if (!isObj(e) || typeof e['code'] !== 'string' || typeof e['message'] !== 'string') throw perr('daemon sent a malformed error');
  return { v: PROTOCOL_VERSION, id: typeof id === 'number' ? id : null, ok: false, error: { code: e['code'], message: e['message'] } };
}

/**
 * Splits a byte stream into lines, refusing lines longer than MAX_LINE
 * (the caller then answers EPROTO and closes).
 */
export class LineSplitter {
  private buf = '';
  constructor(private readonly max = MAX_LINE) {}

  /** Feed a chunk; returns complete lines, or throws DaemonError when a line is too long. */
  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (line.length > this.max) throw perr(`request line longer than ${this.max} bytes`);
      if (line.trim() !== '') out.push(line);
    }
    if (this.buf.length > this.max) throw perr(`request line longer than ${this.max} bytes`);
    return out;
  }
}

/**
 * Read a socket's text line by line (both ends of the control socket):
 * each complete line goes to `onLine`; a line too long goes to `onTooLong`
 * (an EPROTO DaemonError) and the rest of that chunk is dropped.
 */
export function readLines(socket: Socket, onLine: (line: string) => void, onTooLong: (e: DaemonError) => void): void {
  socket.setEncoding('utf8');
  const lines = new LineSplitter();
  socket.on('data', (chunk: string) => {
    let got: string[];
    try {
      got = lines.push(chunk);
    } catch (e) {
      onTooLong(e as DaemonError);
      return;
    }
    for (const line of got) onLine(line);
  });
}
