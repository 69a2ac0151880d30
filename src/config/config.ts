/**
 * The emulator's configuration file (CONTRACT.md "Config"): parsed and
 * validated in one place (validators in ./fields.ts), every error naming
 * the offending field (`config: interfaces[0].mac: "zz" is not a MAC address`).
 */
import { type Ipv4, type Mac, isMacGroup } from '../wire/addr.js';
import {
  ROOT, type Obj, array, bool, cidr, fail, ip, labelled, mac, num, object, onlyKeys, optNum, optStr, parseJsonText, str,
} from './fields.js';

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

const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

/** The datagram fields of a send (`traffic`, a scenario's sends): IPv4 protocol (UDP) and payload size. */
export function datagramFields(o: Obj, p: string): { proto: number; size: number } {
  return {
    proto: optNum(o['proto'], `${p}.proto`, 0, 255, true) ?? 17,
    size: optNum(o['size'], `${p}.size`, 0, 1472, true) ?? 18,
  };
}

/** A config document; errors say `config: PATH: what is wrong`. */
export function parseConfig(input: unknown, opts: ParseOptions = {}): Config {
  return labelled('config', () => readConfig(input, opts));
}

/** Parse JSON text, reporting a syntax error as a config error naming the file. */
export function parseConfigText(text: string, file: string, opts?: ParseOptions): Config {
  return parseConfig(parseJsonText(text, file, 'config'), opts);
}

/** The config without the label, for documents that hold one (run it `within` their field). */
export function readConfig(input: unknown, opts: ParseOptions = {}): Config {
  const root = object(input, ROOT);
  onlyKeys(root, ROOT, ['interfaces', 'arp', 'routes', 'sysctl', 'traffic', 'cpus']);

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
    const addresses = array(o['addresses'], `${p}.addresses`).map((a, j) => cidr(a, `${p}.addresses[${j}]`));
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
    const iface = optStr(o['iface'], `${p}.iface`);
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
    const dst = cidr(o['dst'], `${p}.dst`, 'ADDR/PLEN');
    return { dst: dst.addr, plen: dst.plen ?? 32, gateway: ip(o['gateway'], `${p}.gateway`) };
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
      t: num(o['t'], `${p}.t`, 0, 1e9),
      dst: ip(o['dst'], `${p}.dst`),
      count: optNum(o['count'], `${p}.count`, 1, 1e9, true) ?? 1,
      interval: optNum(o['interval'], `${p}.interval`, 0, 1e6) ?? 1,
      ...datagramFields(o, p),
    };
  });

  const cpus = optNum(root['cpus'], 'cpus', 1, 256, true);
  return { interfaces, arp, routes, sysctl, traffic, cpus };
}
