/**
 * The emulator's configuration file (CONTRACT.md "Config"): parsed and
 * validated in one place, every error naming the offending field
 * (`interfaces[0].mac: "zz" is not a MAC address`).
 */
import { ArpemuError } from '../util/errors.js';
import { type Ipv4, type Mac, isMacGroup, parseCidr, parseIpv4, parseMac } from '../wire/addr.js';

export const INTERFACE_FLAGS = ['noarp', 'staticarp', 'pointopoint', 'loopback', 'down'] as const;
export type InterfaceFlag = typeof INTERFACE_FLAGS[number];

export interface InterfaceConfig {
  name: string;
  /** Undefined only in daemon mode, where the interface's real address is used. */
  mac: Mac | undefined;
  flags: InterfaceFlag[];
  addresses: { addr: Ipv4; plen: number | undefined; text: string }[];
  /** RFC 5227 conflict detection; undefined = the mode's default. */
  acd: boolean | undefined;
}

export interface ArpEntryConfig { ip: Ipv4; mac: Mac; pub: boolean; temp: boolean; iface: string | undefined }
export interface RouteConfig { dst: Ipv4; plen: number; gateway: Ipv4 }
export interface TrafficConfig {
  t: number; dst: Ipv4; count: number; interval: number;
  /** IPv4 protocol number (17 = UDP by default). */
  proto: number;
  /** Payload bytes of each datagram. */
  size: number;
}

export interface Config {
  interfaces: InterfaceConfig[];
  arp: ArpEntryConfig[];
  routes: RouteConfig[];
  sysctl: Record<string, number>;
  traffic: TrafficConfig[];
  cpus: number | undefined;
}

export interface ParseOptions {
  /** Daemon mode allows interfaces without `mac`. */
  macOptional?: boolean;
}

function fail(path: string, msg: string): never {
  throw new ArpemuError('ERR_CONFIG', `config: ${path}: ${msg}`);
}

type Obj = Record<string, unknown>;

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function array(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

function onlyKeys(o: Obj, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path}.${k}`, `unknown field (expected one of ${keys.join(', ')})`);
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(path, 'must be true or false');
  return v;
}

function num(v: unknown, path: string, min: number, max: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a number');
  if (integer && !Number.isInteger(v)) fail(path, 'must be an integer');
  if (v < min || v > max) fail(path, `${v} is out of range ${min}..${max}`);
  return v;
}

function ip(v: unknown, path: string): Ipv4 {
  const s = str(v, path);
  const a = parseIpv4(s);
  if (a === undefined) fail(path, `${JSON.stringify(s)} is not an IPv4 address`);
  return a;
}

function mac(v: unknown, path: string): Mac {
  const s = str(v, path);
  const m = parseMac(s);
  if (m === undefined) fail(path, `${JSON.stringify(s)} is not a MAC address`);
  return m;
}

const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function parseConfig(input: unknown, opts: ParseOptions = {}): Config {
  const root = object(input, '(root)');
  onlyKeys(root, '(root)', ['interfaces', 'arp', 'routes', 'sysctl', 'traffic', 'cpus']);

  const interfaces = array(root['interfaces'], 'interfaces').map((v, i): InterfaceConfig => {
    const p = `interfaces[${i}]`;
    const o = object(v, p);
    onlyKeys(o, p, ['name', 'mac', 'flags', 'addresses', 'acd']);
    const name = str(o['name'], `${p}.name`);
    if (!IFNAME.test(name)) fail(`${p}.name`, `${JSON.stringify(name)} is not an interface name (letter first, at most 15 characters)`);
    let m: Mac | undefined;
    if (o['mac'] === undefined) {
      if (!opts.macOptional) fail(`${p}.mac`, 'is required outside daemon mode');
    } else {
      m = mac(o['mac'], `${p}.mac`);
      if (isMacGroup(m)) fail(`${p}.mac`, 'must be a unicast address (group bit set)');
    }
    const flags = array(o['flags'], `${p}.flags`).map((f, j) => {
      const s = str(f, `${p}.flags[${j}]`);
      if (!(INTERFACE_FLAGS as readonly string[]).includes(s)) fail(`${p}.flags[${j}]`, `unknown flag ${JSON.stringify(s)} (expected one of ${INTERFACE_FLAGS.join(', ')})`);
      return s as InterfaceFlag;
    });
    const addresses = array(o['addresses'], `${p}.addresses`).map((a, j) => {
      const s = str(a, `${p}.addresses[${j}]`);
      const c = parseCidr(s);
      if (c === undefined) fail(`${p}.addresses[${j}]`, `${JSON.stringify(s)} is not ADDR or ADDR/PLEN`);
      return { addr: c.addr, plen: c.plen, text: s };
    });
    return { name, mac: m, flags, addresses, acd: bool(o['acd'], `${p}.acd`) };
  });
  const names = new Set<string>();
  interfaces.forEach((ifc, i) => {
    if (names.has(ifc.name)) fail(`interfaces[${i}].name`, `duplicate interface ${ifc.name}`);
    names.add(ifc.name);
  });

  const arp = array(root['arp'], 'arp').map((v, i): ArpEntryConfig => {
    const p = `arp[${i}]`;
    const o = object(v, p);
    onlyKeys(o, p, ['ip', 'mac', 'pub', 'temp', 'iface']);
    const iface = o['iface'] === undefined ? undefined : str(o['iface'], `${p}.iface`);
    if (iface !== undefined && !names.has(iface)) fail(`${p}.iface`, `no interface named ${iface}`);
    return {
      ip: ip(o['ip'], `${p}.ip`), mac: mac(o['mac'], `${p}.mac`),
      pub: bool(o['pub'], `${p}.pub`) ?? false, temp: bool(o['temp'], `${p}.temp`) ?? false, iface,
    };
  });

  const routes = array(root['routes'], 'routes').map((v, i): RouteConfig => {
    const p = `routes[${i}]`;
    const o = object(v, p);
    onlyKeys(o, p, ['dst', 'gateway']);
    const s = str(o['dst'], `${p}.dst`);
    const c = parseCidr(s);
    if (c === undefined) fail(`${p}.dst`, `${JSON.stringify(s)} is not ADDR/PLEN`);
    return { dst: c.addr, plen: c.plen ?? 32, gateway: ip(o['gateway'], `${p}.gateway`) };
  });

  const sysctl: Record<string, number> = {};
  if (root['sysctl'] !== undefined) {
    const o = object(root['sysctl'], 'sysctl');
    for (const [k, v] of Object.entries(o)) sysctl[k] = num(v, `sysctl.${k}`, -(2 ** 31), 2 ** 31 - 1, true);
  }

  const traffic = array(root['traffic'], 'traffic').map((v, i): TrafficConfig => {
    const p = `traffic[${i}]`;
    const o = object(v, p);
    onlyKeys(o, p, ['t', 'dst', 'count', 'interval', 'proto', 'size']);
    return {
      t: num(o['t'], `${p}.t`, 0, 1e9, false),
      dst: ip(o['dst'], `${p}.dst`),
      count: o['count'] === undefined ? 1 : num(o['count'], `${p}.count`, 1, 1e9, true),
      interval: o['interval'] === undefined ? 1 : num(o['interval'], `${p}.interval`, 0, 1e6, false),
      proto: o['proto'] === undefined ? 17 : num(o['proto'], `${p}.proto`, 0, 255, true),
      size: o['size'] === undefined ? 18 : num(o['size'], `${p}.size`, 0, 1472, true),
    };
  });

  const cpus = root['cpus'] === undefined ? undefined : num(root['cpus'], 'cpus', 1, 256, true);
  return { interfaces, arp, routes, sysctl, traffic, cpus };
}

/** Parse JSON text, reporting a syntax error as a config error naming the file. */
export function parseConfigText(text: string, file: string, opts?: ParseOptions): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ArpemuError('ERR_CONFIG', `config: ${file}: ${(e as Error).message}`);
  }
  return parseConfig(json, opts);
}
