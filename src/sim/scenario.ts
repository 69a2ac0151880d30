/**
 * Scenario files for `arpemu run`: the emulator's config, the virtual hosts
 * on its segments, a timeline of scripted behaviours and the traffic, all
 * on a seeded virtual clock. Parsed and validated in one place; every error
 * names the offending field (`scenario: hosts[3].mac: "zz" is not a MAC
 * address`). Address sets and host sets are expanded here, so the runner
 * gets numbers and names only.
 *
 * Schema (JSON; every field optional unless marked *):
 *
 * | field             | type / default                 | meaning |
 * |-------------------|--------------------------------|---------|
 * | name              | string / file name             | shown in the report |
 * | description       | string / ""                    | one line |
 * | seed              | integer 0..2^53 / 1            | the run's only randomness (`--seed` overrides) |
 * | duration          | seconds > 0 / 60               | virtual time simulated (`--duration` overrides) |
 * | sample            | seconds > 0 / duration / 40    | period of the per-CPU table samples (report timeline, live view) |
 * | config *          | CONTRACT.md config             | the emulator: interfaces (mac required), arp, routes, sysctl, traffic, cpus |
 * | link.latency      | seconds / 0.0001               | segment delay from send to delivery |
 * | link.emulator     | {loss, duplicate, reorder, delay, jitter, corrupt} / none | seeded faults on the emulator's ports (both directions), see link/faults.ts |
 * | hosts[]           | host groups                    | see below |
 * | timeline[]        | scripted events                | see below |
 * | traffic[]         | generators                     | see below |
 *
 * A host group: `{ name*, count (1), first | ip, mac, iface, boot, cacheTimeout,
 * cacheSize, maxTries, retryInterval, holdMax, defend }`.
 * - `count` hosts named `<name>1..<name>N` (a group without `count` is one
 *   host named `<name>`); host i gets address `first + i - 1` (`ip` is the
 *   same for a single host; neither: the host has no address until it
 *   probes or claims one) and MAC `mac + i - 1` (default 02:00:00:GG:00:00
 *   + i, GG the group's position + 1; so at most 65535 hosts a group).
 * - `iface`: which emulator interface's segment the hosts sit on (default
 *   the first). Addresses must be on one of its subnets and unused.
 * - `boot`: `{ "at": T, "spread": S }` (default at 0, spread 1): each host
 *   boots (gratuitous ARP) at T + U[0, S); a number is `at` with no
 *   spread; `false` never boots (the host still answers).
 * - the rest are virtual-host knobs (sim/host.ts HostOptions).
 *
 * A timeline entry: `{ t*, do*, host, ... }`. With `host` it scripts that
 * host: `move {mac}`, `silent`, `back`, `claim {ip}`, `release {ip}`,
 * `probe {ip}`, `gratuitous {ip, form: request|reply}`, `arping {ip}`,
 * `send {ip, count (1), interval (1)}`, `flood {rate*, targets (emulator),
 * duration | count, order: round-robin|random, spacing, sender}`. Without
 * `host` it acts on the emulator: `send {ip, count, interval, proto, size}`,
 * `arp-set {ip, mac, pub, temp}`, `arp-delete {ip}`, `arp-flush`,
 * `sysctl {name, value}`, `addr-add {iface, addr}`, `addr-delete {iface, addr}`.
 *
 * A traffic generator (sim/traffic.ts): `{ kind*, rate*, spacing
 * (constant|poisson), start (0), duration, count, ... }` with per kind
 * - `emulator-send`: `destinations` (address set, default "hosts"), `mix`,
 *   `proto` (17), `size` (18): the emulator's own stack sends IPv4;
 * - `host-requests`: `targets` (default "emulator"), `hosts` (host set,
 *   default "all"), `mode` (arping|resolve|datagram, default arping),
 *   `hostMix`, `targetMix`;
 * - `published`: as host-requests with `targets` default "published";
 * - `noise`: hosts asking for other hosts: `hosts`, `mode`, `hostMix`, `targetMix`;
 * - `churn`: at each event a random host of `hosts` does one of `actions`
 *   (default all): `move` to a fresh MAC, go `silent` for `downtime`
 *   seconds (10; 0 = for good), `claim` another host's address for `hold`
 *   seconds (5), or send a `gratuitous` ARP.
 * A mix is "uniform", "zipf" (s = 1) or `{ "kind": "zipf", "s": 1.1, "shuffle": true }`.
 * An address set is "emulator" (its addresses), "published" (config arp
 * entries with pub), "hosts" (every host's first address), an address, a
 * prefix `A.B.C.D/N` (its host addresses, the emulator's left out), or a
 * list of these. A host set is "all", a group name, or a list of host names.
 */
import { isArpemuError } from '../util/errors.js';
import { Sysctl } from '../sysctl/index.js';
import { formatIpv4, formatMac, isMacGroup, parseCidr, prefixMask, type Ipv4, type Mac } from '../wire/addr.js';
import type { FaultRates } from '../link/faults.js';
import { datagramFields, readConfig, type Config } from '../config/config.js';
import {
  ROOT, type Obj, array, bool, cidr, fail, ip, labelled, mac, num, object, oneOf, onlyKeys, optNum, optStr,
  parseJsonText, positive, str, within,
} from '../config/fields.js';
import type { AskMode, Mix, RateOptions } from './traffic.js';
import type { Spacing } from './arrivals.js';

export interface ScenarioHost {
  name: string;
  /** Index of its group in `hosts[]`. */
  group: number;
  /** The emulator interface whose segment it is on. */
  iface: string;
  mac: Mac;
  addresses: Ipv4[];
  /** Absolute boot time, or undefined: never boots. Jitter from `spread` is drawn by the runner. */
  boot: { at: number; spread: number } | undefined;
  cacheTimeout: number | undefined;
  cacheSize: number | undefined;
  maxTries: number | undefined;
  retryInterval: number | undefined;
  holdMax: number | undefined;
  defend: boolean;
}

export interface ScenarioGroup {
  name: string;
  /** Host names of the group, in order. */
  hosts: string[];
}

/** A scripted host behaviour. */
export type HostAction =
  | { do: 'move'; mac: Mac }
  | { do: 'silent' }
  | { do: 'back' }
  | { do: 'claim'; ip: Ipv4 }
  | { do: 'release'; ip: Ipv4 }
  | { do: 'probe'; ip: Ipv4 }
  | { do: 'gratuitous'; ip: Ipv4 | undefined; form: 'request' | 'reply' }
  | { do: 'arping'; ip: Ipv4 }
  | { do: 'send'; ip: Ipv4; count: number; interval: number }
  | { do: 'flood'; rate: number; targets: Ipv4[]; duration: number | undefined; count: number | undefined;
      order: 'round-robin' | 'random'; spacing: Spacing; sender: Ipv4 | undefined };

/** Something the emulator is told to do. */
export type EmulatorAction =
  | { do: 'send'; ip: Ipv4; count: number; interval: number; proto: number; size: number }
  | { do: 'arp-set'; ip: Ipv4; mac: Mac; pub: boolean; temp: boolean }
  | { do: 'arp-delete'; ip: Ipv4 }
  | { do: 'arp-flush' }
  | { do: 'sysctl'; name: string; value: number }
  | { do: 'addr-add' | 'addr-delete'; iface: string; addr: Ipv4; plen: number | undefined };

export type TimelineEvent =
  | { t: number; index: number; host: string; action: HostAction }
  | { t: number; index: number; host: undefined; action: EmulatorAction };

export type ScenarioTraffic =
  | ({ kind: 'emulator-send'; destinations: Ipv4[]; mix: Mix; proto: number; size: number } & RateOptions)
  | ({ kind: 'host-requests' | 'published' | 'noise'; targets: Ipv4[]; hosts: string[]; mode: AskMode; hostMix: Mix; targetMix: Mix } & RateOptions)
  | ({ kind: 'churn'; hosts: string[]; actions: ChurnAction[]; downtime: number; hold: number } & RateOptions);

/** What a churn event may do to the host it picks. */
export const CHURN_ACTIONS = ['move', 'silent', 'claim', 'gratuitous'] as const;
export type ChurnAction = typeof CHURN_ACTIONS[number];

export interface LinkSpec {
  latency: number;
  /** Faults on the emulator's ports; undefined: none. */
  emulator: FaultRates | undefined;
}

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  duration: number;
  sample: number;
  config: Config;
  link: LinkSpec;
  hosts: ScenarioHost[];
  groups: ScenarioGroup[];
  timeline: TimelineEvent[];
  traffic: ScenarioTraffic[];
}

// ---- validation ----

/** Sets a knob as the emulator will, so an unknown name or a value out of range fails at parse time. */
function setKnob(sysctl: Sysctl, name: string, value: number, path: string): void {
  try {
    sysctl.set(name, value);
  } catch (e) {
    fail(path, isArpemuError(e) ? e.message.replace(/^[A-Z]+: /, '') : String(e));
  }
}

/** A MAC a virtual host can own. */
function unicastMac(v: unknown, path: string): Mac {
  const m = mac(v, path);
  if (isMacGroup(m)) fail(path, `${v as string} is a group address (a host needs a unicast MAC)`);
  return m;
}

const MAX_SECONDS = 1e6;
const MAX_RATE = 1e7;
/** Most addresses one prefix may expand to (a /12). */
const MAX_PREFIX_ADDRS = 1 << 20;
/** Most virtual hosts a scenario may have. */
export const MAX_HOSTS = 100_000;

function classfulPlen(a: Ipv4): number {
  return a < 0x8000_0000 ? 8 : a < 0xc000_0000 ? 16 : 24;
}

/** The subnets of each emulator interface and every emulator address. */
interface EmuNets {
  subnets: Map<string, { net: Ipv4; mask: Ipv4 }[]>;
  addrs: Set<Ipv4>;
  addrList: Ipv4[];
  published: Ipv4[];
}

function emuNets(config: Config): EmuNets {
  const subnets = new Map<string, { net: Ipv4; mask: Ipv4 }[]>();
  const addrList: Ipv4[] = [];
  for (const ifc of config.interfaces) {
    const list: { net: Ipv4; mask: Ipv4 }[] = [];
    for (const a of ifc.addresses) {
      const mask = prefixMask(a.plen ?? classfulPlen(a.addr));
      list.push({ net: (a.addr & mask) >>> 0, mask });
      addrList.push(a.addr);
    }
    subnets.set(ifc.name, list);
  }
  const published = config.arp.filter((e) => e.pub).map((e) => e.ip);
  return { subnets, addrs: new Set(addrList), addrList, published };
}

function onSubnet(nets: EmuNets, iface: string, a: Ipv4): boolean {
  return (nets.subnets.get(iface) ?? []).some((s) => ((a & s.mask) >>> 0) === s.net);
}

// ---- the parts ----

function parseScenarioConfig(v: unknown): Config {
  if (v === undefined) fail('config', 'is required (the emulator: interfaces with a mac and addresses)');
  const config = within('config', () => readConfig(v));
  if (config.interfaces.length === 0) fail('config.interfaces', 'needs at least one interface (the emulator\'s port on the segment)');
  config.interfaces.forEach((ifc, i) => {
    if (ifc.acd === true) fail(`config.interfaces[${i}].acd`, 'RFC 5227 conflict detection is not available in simulation (the emulator announces with a gratuitous ARP)');
  });
  // Knob names and ranges are checked now, not when the emulator applies them.
  const sysctl = new Sysctl();
  for (const [name, value] of Object.entries(config.sysctl)) setKnob(sysctl, name, value, `config.sysctl.${name}`);
  return config;
}

function parseFaults(v: unknown, path: string): FaultRates | undefined {
  if (v === undefined) return undefined;
  const o = object(v, path);
  onlyKeys(o, path, ['loss', 'duplicate', 'reorder', 'delay', 'jitter', 'corrupt']);
  const p = (k: string): number | undefined => optNum(o[k], `${path}.${k}`, 0, 1);
  const s = (k: string): number | undefined => optNum(o[k], `${path}.${k}`, 0, 60);
  const rates: FaultRates = {};
  const loss = p('loss'), duplicate = p('duplicate'), reorder = p('reorder'), corrupt = p('corrupt');
  const delay = s('delay'), jitter = s('jitter');
  if (loss !== undefined) rates.loss = loss;
  if (duplicate !== undefined) rates.duplicate = duplicate;
  if (reorder !== undefined) rates.reorder = reorder;
  if (corrupt !== undefined) rates.corrupt = corrupt;
  if (delay !== undefined) rates.delay = delay;
  if (jitter !== undefined) rates.jitter = jitter;
  return rates;
}

const GROUP_KEYS = ['name', 'count', 'first', 'ip', 'mac', 'iface', 'boot', 'cacheTimeout', 'cacheSize', 'maxTries', 'retryInterval', 'holdMax', 'defend'] as const;
const HOST_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;

function parseHosts(v: unknown, config: Config, nets: EmuNets): { hosts: ScenarioHost[]; groups: ScenarioGroup[] } {
  const hosts: ScenarioHost[] = [];
  const groups: ScenarioGroup[] = [];
  const names = new Map<string, string>();
  const macs = new Map<Mac, string>();
  for (const ifc of config.interfaces) if (ifc.mac !== undefined) macs.set(ifc.mac, `emulator interface ${ifc.name}`);
  const addrs = new Map<Ipv4, string>();
  array(v, 'hosts').forEach((g, gi) => {
    const p = `hosts[${gi}]`;
    const o = object(g, p);
    onlyKeys(o, p, GROUP_KEYS);
    const name = str(o['name'], `${p}.name`);
    if (!HOST_NAME.test(name)) fail(`${p}.name`, `${JSON.stringify(name)} is not a host name (letter first, letters, digits, _ . -, at most 32)`);
    const single = o['count'] === undefined;
    const count = single ? 1 : num(o['count'], `${p}.count`, 1, MAX_HOSTS, true);
    if (hosts.length + count > MAX_HOSTS) fail(`${p}.count`, `more than ${MAX_HOSTS} hosts in the scenario`);
    if (o['first'] !== undefined && o['ip'] !== undefined) fail(`${p}.ip`, 'give either first or ip, not both');
    if (o['ip'] !== undefined && count !== 1) fail(`${p}.ip`, 'is for a single host; a group of several takes first');
    const addrKey = o['ip'] !== undefined ? 'ip' : 'first';
    const first = o[addrKey] === undefined ? undefined : ip(o[addrKey], `${p}.${addrKey}`);
    const iface = o['iface'] === undefined ? config.interfaces[0]!.name : str(o['iface'], `${p}.iface`);
    if (!config.interfaces.some((i) => i.name === iface)) fail(`${p}.iface`, `no interface named ${iface} in config.interfaces`);
    const mac0 = o['mac'] === undefined ? 0x02_00_00_00_00_01 + (gi + 1) * 0x1_00_00 : unicastMac(o['mac'], `${p}.mac`);
    if (mac0 + count > 0xffff_ffff_ffff) fail(`${p}.mac`, 'the group\'s MACs run past ff:ff:ff:ff:ff:ff');
    let boot: { at: number; spread: number } | undefined = { at: 0, spread: 1 };
    const b = o['boot'];
    if (b === false) boot = undefined;
    else if (typeof b === 'number') boot = { at: num(b, `${p}.boot`, 0, MAX_SECONDS), spread: 0 };
    else if (b !== undefined) {
      const bo = object(b, `${p}.boot`);
      onlyKeys(bo, `${p}.boot`, ['at', 'spread']);
      boot = { at: optNum(bo['at'], `${p}.boot.at`, 0, MAX_SECONDS) ?? 0, spread: optNum(bo['spread'], `${p}.boot.spread`, 0, MAX_SECONDS) ?? 1 };
    }
    const knobs = {
      cacheTimeout: o['cacheTimeout'] === undefined ? undefined : positive(o['cacheTimeout'], `${p}.cacheTimeout`, MAX_SECONDS),
      cacheSize: optNum(o['cacheSize'], `${p}.cacheSize`, 1, 1e7, true),
      maxTries: optNum(o['maxTries'], `${p}.maxTries`, 1, 1000, true),
      retryInterval: o['retryInterval'] === undefined ? undefined : positive(o['retryInterval'], `${p}.retryInterval`, MAX_SECONDS),
      holdMax: optNum(o['holdMax'], `${p}.holdMax`, 0, 1000, true),
      defend: bool(o['defend'], `${p}.defend`) ?? false,
    };
    const group: ScenarioGroup = { name, hosts: [] };
    for (let i = 0; i < count; i++) {
      const hname = single ? name : `${name}${i + 1}`;
      const other = names.get(hname);
      if (other !== undefined) fail(`${p}.name`, `host name ${hname} is already used (${other})`);
      names.set(hname, p);
      const mac = mac0 + i;
      const macOwner = macs.get(mac);
      if (macOwner !== undefined) fail(`${p}.mac`, `host ${hname} would get ${formatMac(mac)}, already used by ${macOwner} (use a timeline move for a duplicate)`);
      macs.set(mac, `host ${hname}`);
      const addresses: Ipv4[] = [];
      if (first !== undefined) {
        const a = first + i;
        const where = `${p}.${addrKey}`;
        if (a > 0xffff_ffff) fail(where, 'the group\'s addresses run past 255.255.255.255');
        if (nets.addrs.has(a)) fail(where, `host ${hname} would get ${formatIpv4(a)}, an address of the emulator (script a timeline claim for a conflict)`);
        const owner = addrs.get(a);
        if (owner !== undefined) fail(where, `host ${hname} would get ${formatIpv4(a)}, already used by ${owner} (script a timeline claim for a conflict)`);
        if (!onSubnet(nets, iface, a)) fail(where, `host ${hname} would get ${formatIpv4(a)}, on no subnet of interface ${iface}`);
        addrs.set(a, `host ${hname}`);
        addresses.push(a);
      }
      hosts.push({ name: hname, group: gi, iface, mac, addresses, boot, ...knobs });
      group.hosts.push(hname);
    }
    groups.push(group);
  });
  return { hosts, groups };
}

/** Expands an address set (see the schema above). */
function addrSet(v: unknown, path: string, ctx: { nets: EmuNets; hosts: ScenarioHost[] }): Ipv4[] {
  const out: Ipv4[] = [];
  const seen = new Set<Ipv4>();
  const add = (a: Ipv4): void => { if (!seen.has(a)) { seen.add(a); out.push(a); } };
  const one = (item: unknown, p: string): void => {
    const s = str(item, p);
    if (s === 'emulator') { ctx.nets.addrList.forEach(add); return; }
    if (s === 'published') {
      if (ctx.nets.published.length === 0) fail(p, '"published": config.arp has no entry with pub');
      ctx.nets.published.forEach(add);
      return;
    }
    if (s === 'hosts') {
      for (const h of ctx.hosts) if (h.addresses[0] !== undefined) add(h.addresses[0]);
      return;
    }
    const c = parseCidr(s);
    if (c === undefined) fail(p, `${JSON.stringify(s)} is not an address, a prefix A.B.C.D/N, "emulator", "published" or "hosts"`);
    if (c.plen === undefined || c.plen === 32) { add(c.addr); return; }
    const mask = prefixMask(c.plen);
    const size = 2 ** (32 - c.plen);
    if (size > MAX_PREFIX_ADDRS) fail(p, `${s} has more than ${MAX_PREFIX_ADDRS} addresses`);
    const net = (c.addr & mask) >>> 0;
    // Network and broadcast addresses are not hosts, except on a /31 (RFC 3021).
    const lo = c.plen >= 31 ? net : net + 1;
    const hi = c.plen >= 31 ? net + size - 1 : net + size - 2;
    for (let a = lo; a <= hi; a++) if (!ctx.nets.addrs.has(a)) add(a);
  };
  if (Array.isArray(v)) v.forEach((item, i) => one(item, `${path}[${i}]`));
  else one(v, path);
  if (out.length === 0) fail(path, 'names no address');
  return out;
}

function hostSet(v: unknown, path: string, hosts: ScenarioHost[], groups: ScenarioGroup[]): string[] {
  if (hosts.length === 0) fail(path, 'the scenario has no hosts');
  if (v === undefined || v === 'all') return hosts.map((h) => h.name);
  if (typeof v === 'string') {
    const g = groups.find((x) => x.name === v);
    if (g !== undefined) return [...g.hosts];
    if (hosts.some((h) => h.name === v)) return [v];
    fail(path, `${JSON.stringify(v)} is neither "all", a host group nor a host`);
  }
  const list = array(v, path).map((x, i) => {
    const n = str(x, `${path}[${i}]`);
    if (!hosts.some((h) => h.name === n)) fail(`${path}[${i}]`, `no host named ${n}`);
    return n;
  });
  if (list.length === 0) fail(path, 'names no host');
  return list;
}

function parseMix(v: unknown, path: string): Mix {
  if (v === undefined || v === 'uniform') return { kind: 'uniform' };
  if (v === 'zipf') return { kind: 'zipf', s: 1 };
  if (typeof v === 'string') fail(path, `${JSON.stringify(v)} is not "uniform", "zipf" or an object`);
  const o = object(v, path);
  onlyKeys(o, path, ['kind', 's', 'shuffle']);
  const kind = oneOf(o['kind'], `${path}.kind`, ['uniform', 'zipf'] as const, 'uniform');
  if (kind === 'uniform') return { kind };
  return { kind, s: optNum(o['s'], `${path}.s`, 0, 10) ?? 1, shuffle: bool(o['shuffle'], `${path}.shuffle`) ?? false };
}

function parseRate(o: Obj, p: string): RateOptions {
  const r: RateOptions = {
    rate: positive(o['rate'], `${p}.rate`, MAX_RATE),
    spacing: oneOf(o['spacing'], `${p}.spacing`, ['constant', 'poisson'] as const, 'constant'),
    start: optNum(o['start'], `${p}.start`, 0, MAX_SECONDS) ?? 0,
  };
  const duration = optNum(o['duration'], `${p}.duration`, 0, MAX_SECONDS);
  const count = optNum(o['count'], `${p}.count`, 0, 1e12, true);
  if (duration !== undefined) r.duration = duration;
  if (count !== undefined) r.count = count;
  return r;
}

const TRAFFIC_KINDS = ['emulator-send', 'host-requests', 'published', 'noise', 'churn'] as const;
const RATE_KEYS = ['kind', 'rate', 'spacing', 'start', 'duration', 'count'];

function parseTraffic(v: unknown, ctx: { nets: EmuNets; hosts: ScenarioHost[]; groups: ScenarioGroup[] }): ScenarioTraffic[] {
  return array(v, 'traffic').map((x, i): ScenarioTraffic => {
    const p = `traffic[${i}]`;
    const o = object(x, p);
    const kind = oneOf(o['kind'], `${p}.kind`, TRAFFIC_KINDS, 'emulator-send');
    if (o['kind'] === undefined) fail(`${p}.kind`, `is required (one of ${TRAFFIC_KINDS.join(', ')})`);
    if (kind === 'emulator-send') {
      onlyKeys(o, p, [...RATE_KEYS, 'destinations', 'mix', 'proto', 'size']);
      return {
        kind, ...parseRate(o, p),
        destinations: addrSet(o['destinations'] ?? 'hosts', `${p}.destinations`, ctx),
        mix: parseMix(o['mix'], `${p}.mix`),
        ...datagramFields(o, p),
      };
    }
    if (kind === 'churn') {
      onlyKeys(o, p, [...RATE_KEYS, 'hosts', 'actions', 'downtime', 'hold']);
      const list = o['actions'] === undefined ? [...CHURN_ACTIONS] : array(o['actions'], `${p}.actions`).map((a, j) => oneOf(a, `${p}.actions[${j}]`, CHURN_ACTIONS, 'move'));
      if (list.length === 0) fail(`${p}.actions`, `names no action (any of ${CHURN_ACTIONS.join(', ')})`);
      const hosts = hostSet(o['hosts'], `${p}.hosts`, ctx.hosts, ctx.groups);
      if (list.includes('claim') && hosts.length < 2) fail(`${p}.hosts`, 'claim needs at least two hosts');
      return {
        kind, ...parseRate(o, p), hosts, actions: list,
        downtime: optNum(o['downtime'], `${p}.downtime`, 0, MAX_SECONDS) ?? 10,
        hold: optNum(o['hold'], `${p}.hold`, 0, MAX_SECONDS) ?? 5,
      };
    }
    onlyKeys(o, p, [...RATE_KEYS, 'targets', 'hosts', 'mode', 'hostMix', 'targetMix']);
    const hosts = hostSet(o['hosts'], `${p}.hosts`, ctx.hosts, ctx.groups);
    if (kind === 'noise') {
      if (o['targets'] !== undefined) fail(`${p}.targets`, 'noise asks for the hosts themselves; it takes no targets');
      if (hosts.length < 2) fail(`${p}.hosts`, 'noise needs at least two hosts');
    }
    const dflt = kind === 'published' ? 'published' : 'emulator';
    return {
      kind, ...parseRate(o, p),
      targets: kind === 'noise' ? [] : addrSet(o['targets'] ?? dflt, `${p}.targets`, ctx),
      hosts,
      mode: oneOf(o['mode'], `${p}.mode`, ['arping', 'resolve', 'datagram'] as const, 'arping'),
      hostMix: parseMix(o['hostMix'], `${p}.hostMix`),
      targetMix: parseMix(o['targetMix'], `${p}.targetMix`),
    };
  });
}

const HOST_ACTIONS = ['move', 'silent', 'back', 'claim', 'release', 'probe', 'gratuitous', 'arping', 'send', 'flood'] as const;
const EMU_ACTIONS = ['send', 'arp-set', 'arp-delete', 'arp-flush', 'sysctl', 'addr-add', 'addr-delete'] as const;

function parseHostAction(o: Obj, p: string, ctx: { nets: EmuNets; hosts: ScenarioHost[] }): HostAction {
  const what = oneOf(o['do'], `${p}.do`, HOST_ACTIONS, 'silent');
  const keys = (...k: string[]): void => onlyKeys(o, p, ['t', 'do', 'host', ...k]);
  switch (what) {
    case 'move': keys('mac'); return { do: what, mac: unicastMac(o['mac'], `${p}.mac`) };
    case 'silent': case 'back': keys(); return { do: what };
    case 'claim': case 'release': case 'probe': case 'arping': {
      keys('ip');
      const a = ip(o['ip'], `${p}.ip`);
      if (a === 0) fail(`${p}.ip`, 'must not be 0.0.0.0');
      return { do: what, ip: a };
    }
    case 'gratuitous':
      keys('ip', 'form');
      return { do: what, ip: o['ip'] === undefined ? undefined : ip(o['ip'], `${p}.ip`), form: oneOf(o['form'], `${p}.form`, ['request', 'reply'] as const, 'request') };
    case 'send':
      keys('ip', 'count', 'interval');
      return {
        do: what, ip: ip(o['ip'], `${p}.ip`),
        count: optNum(o['count'], `${p}.count`, 0, 1e9, true) ?? 1,
        interval: optNum(o['interval'], `${p}.interval`, 0, MAX_SECONDS) ?? 1,
      };
    case 'flood': {
      keys('rate', 'targets', 'duration', 'count', 'order', 'spacing', 'sender');
      const duration = optNum(o['duration'], `${p}.duration`, 0, MAX_SECONDS);
      const count = optNum(o['count'], `${p}.count`, 0, 1e12, true);
      if (duration === undefined && count === undefined) fail(`${p}.duration`, 'a flood needs a duration or a count');
      return {
        do: what,
        rate: positive(o['rate'], `${p}.rate`, MAX_RATE),
        targets: addrSet(o['targets'] ?? 'emulator', `${p}.targets`, ctx),
        duration, count,
        order: oneOf(o['order'], `${p}.order`, ['round-robin', 'random'] as const, 'round-robin'),
        spacing: oneOf(o['spacing'], `${p}.spacing`, ['constant', 'poisson'] as const, 'constant'),
        sender: o['sender'] === undefined ? undefined : ip(o['sender'], `${p}.sender`),
      };
    }
  }
}

function parseEmulatorAction(o: Obj, p: string, config: Config): EmulatorAction {
  if (o['do'] === undefined) fail(`${p}.do`, 'is required');
  if (typeof o['do'] === 'string' && (HOST_ACTIONS as readonly string[]).includes(o['do']) && !(EMU_ACTIONS as readonly string[]).includes(o['do'])) {
    fail(`${p}.host`, `"${o['do']}" is a host action: say which host`);
  }
  const what = oneOf(o['do'], `${p}.do`, EMU_ACTIONS, 'arp-flush');
  const keys = (...k: string[]): void => onlyKeys(o, p, ['t', 'do', ...k]);
  switch (what) {
    case 'send':
      keys('ip', 'count', 'interval', 'proto', 'size');
      return {
        do: what, ip: ip(o['ip'], `${p}.ip`),
        count: optNum(o['count'], `${p}.count`, 1, 1e9, true) ?? 1,
        interval: optNum(o['interval'], `${p}.interval`, 0, MAX_SECONDS) ?? 1,
        ...datagramFields(o, p),
      };
    case 'arp-set': {
      keys('ip', 'mac', 'pub', 'temp');
      return {
        do: what, ip: ip(o['ip'], `${p}.ip`), mac: mac(o['mac'], `${p}.mac`),
        pub: bool(o['pub'], `${p}.pub`) ?? false, temp: bool(o['temp'], `${p}.temp`) ?? false,
      };
    }
    case 'arp-delete': keys('ip'); return { do: what, ip: ip(o['ip'], `${p}.ip`) };
    case 'arp-flush': keys(); return { do: what };
    case 'sysctl': {
      keys('name', 'value');
      const name = str(o['name'], `${p}.name`);
      const value = num(o['value'], `${p}.value`, -(2 ** 31), 2 ** 31 - 1, true);
      setKnob(new Sysctl(), name, value, `${p}.name`);
      return { do: what, name, value };
    }
    case 'addr-add': case 'addr-delete': {
      keys('iface', 'addr');
      const iface = str(o['iface'] ?? config.interfaces[0]!.name, `${p}.iface`);
      if (!config.interfaces.some((i) => i.name === iface)) fail(`${p}.iface`, `no interface named ${iface} in config.interfaces`);
      const c = cidr(o['addr'], `${p}.addr`);
      return { do: what, iface, addr: c.addr, plen: c.plen };
    }
  }
}

function parseTimeline(v: unknown, duration: number, ctx: { nets: EmuNets; hosts: ScenarioHost[]; config: Config }): TimelineEvent[] {
  const names = new Set(ctx.hosts.map((h) => h.name));
  const events = array(v, 'timeline').map((x, i): TimelineEvent => {
    const p = `timeline[${i}]`;
    const o = object(x, p);
    const t = num(o['t'], `${p}.t`, 0, MAX_SECONDS);
    if (t > duration) fail(`${p}.t`, `${t} is after the end of the run (duration ${duration})`);
    if (o['host'] === undefined) return { t, index: i, host: undefined, action: parseEmulatorAction(o, p, ctx.config) };
    const host = str(o['host'], `${p}.host`);
    if (!names.has(host)) fail(`${p}.host`, `no host named ${host}`);
    if (o['do'] === undefined) fail(`${p}.do`, `is required (one of ${HOST_ACTIONS.join(', ')})`);
    return { t, index: i, host, action: parseHostAction(o, p, ctx) };
  });
  // File order among equal times.
  return events.sort((a, b) => a.t - b.t || a.index - b.index);
}

const ROOT_KEYS = ['name', 'description', 'seed', 'duration', 'sample', 'config', 'link', 'hosts', 'timeline', 'traffic', '$schema', '//'] as const;

/** Validate a parsed scenario document; `name` is used when it has none (the file name). */
export function parseScenario(input: unknown, name = 'scenario'): Scenario {
  return labelled('scenario', () => readScenario(input, name));
}

function readScenario(input: unknown, name: string): Scenario {
  const root = object(input, ROOT);
  onlyKeys(root, '', ROOT_KEYS);
  const duration = root['duration'] === undefined ? 60 : positive(root['duration'], 'duration', MAX_SECONDS);
  const seed = optNum(root['seed'], 'seed', 0, Number.MAX_SAFE_INTEGER, true) ?? 1;
  const sample = root['sample'] === undefined ? duration / 40 : positive(root['sample'], 'sample', MAX_SECONDS);
  const config = parseScenarioConfig(root['config']);
  const nets = emuNets(config);
  let link: LinkSpec = { latency: 0.0001, emulator: undefined };
  if (root['link'] !== undefined) {
    const o = object(root['link'], 'link');
    onlyKeys(o, 'link', ['latency', 'emulator']);
    link = { latency: optNum(o['latency'], 'link.latency', 0, 60) ?? 0.0001, emulator: parseFaults(o['emulator'], 'link.emulator') };
  }
  const { hosts, groups } = parseHosts(root['hosts'], config, nets);
  const ctx = { nets, hosts, groups, config };
  const traffic = parseTraffic(root['traffic'], ctx);
  const timeline = parseTimeline(root['timeline'], duration, ctx);
  return {
    name: optStr(root['name'], 'name') ?? name,
    description: optStr(root['description'], 'description') ?? '',
    seed, duration, sample, config, link, hosts, groups, timeline, traffic,
  };
}

/** Parse JSON text, reporting a syntax error as a scenario error naming the file. */
export function parseScenarioText(text: string, file: string): Scenario {
  const base = file.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  return parseScenario(parseJsonText(text, file, 'scenario'), base);
}
