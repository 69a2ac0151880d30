/**
 * What the control commands print, in the BSD tools' shapes: ifconfig(8)
 * interface blocks, netstat -s counters (arpstat names), sysctl(8) lines,
 * and the per-CPU replica summary and diff of `arpemu cpus`. Pure
 * functions of the protocol results, so they are tested without a daemon.
 */
import { ARPSTAT_FIELDS, type ArpStatField, type ArpStatValues } from '../arp/stats.js';
import type { ArpEntryDump } from '../arp/admin.js';
import type { CpuDump, EmuDump } from '../cpu/emulator.js';
import type { KnobInfo } from '../sysctl/index.js';
import { formatIpv4, parseIpv4, prefixMask } from '../wire/addr.js';
import type { IfInfo, ResolveResult } from './protocol.js';

// ---- ifconfig ----

/** FreeBSD IFF_* bits in the order ifconfig prints them. */
const IFF_PRINT: readonly (readonly [number, string, string | null])[] = [
  [0x1, 'UP', 'up'], [0x2, 'BROADCAST', 'broadcast'], [0x8, 'LOOPBACK', 'loopback'],
  [0x10, 'POINTOPOINT', 'pointopoint'], [0x40, 'RUNNING', null], [0x80, 'NOARP', 'noarp'],
  [0x800, 'SIMPLEX', null], [0x8000, 'MULTICAST', 'multicast'], [0x80000, 'STATICARP', 'staticarp'],
];

/** `flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>` from the dump's flag words. */
export function formatIfFlags(words: readonly string[]): string {
  const up = words.includes('up');
  const loop = words.includes('loopback');
  let bits = 0;
  const names: string[] = [];
  for (const [bit, name, word] of IFF_PRINT) {
    const on = word !== null ? words.includes(word) : bit === 0x40 ? up : !loop; // RUNNING when up; SIMPLEX on Ethernet
    if (!on) continue;
    bits |= bit;
    names.push(name);
  }
  return `flags=${bits.toString(16)}<${names.join(',')}>`;
}

/** in_control's classful default mask for an address given without a prefix length. */
export function classfulPlen(addr: number): number {
  if ((addr >>> 31) === 0) return 8;
  if ((addr >>> 30) === 2) return 16;
  return 24;
}

function hexMask(mask: string): string {
  const m = parseIpv4(mask);
  return m === undefined ? mask : `0x${m.toString(16).padStart(8, '0')}`;
}

/**
 * ifconfig(8) output for interfaces:
 *   vemu0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
 *   	ether 02:00:00:00:01:01
 *   	inet 10.0.0.1 netmask 0xffffff00 broadcast 10.0.0.255
 *   	inet 10.0.0.7 netmask 0xffffff00 tentative
 * Addresses conflict detection has not bound say `tentative` (being
 * probed) or `duplicated` (in use elsewhere), as NetBSD prints them.
 */
export function formatIfconfig(ifs: readonly IfInfo[]): string {
  let out = '';
  for (const i of ifs) {
    out += `${i.name}: ${formatIfFlags(i.flags)} metric 0 mtu ${i.mtu}\n`;
    if (i.mac !== null && !i.flags.includes('loopback')) out += `\tether ${i.mac}\n`;
    for (const a of i.addresses) {
      const mask = a.mask ?? formatIpv4(prefixMask(a.plen ?? classfulPlen(parseIpv4(a.addr) ?? 0)));
      let line = `\tinet ${a.addr} netmask ${hexMask(mask)}`;
      if (a.broadcast !== null) line += ` broadcast ${a.broadcast}`;
      if (a.status !== 'bound') line += ` ${a.status}`;
      if (a.status === 'duplicated' && a.conflict !== null) line += ` (in use by ${a.conflict.sha})`;
      out += `${line}\n`;
    }
    if (i.acd) out += '\tacd: rfc5227\n';
  }
  return out;
}

// ---- netstat -s ----

/** One line of explanation per arpstat field (FreeBSD netstat wording where it has one). */
export const ARPSTAT_TEXT: Readonly<Record<ArpStatField, string>> = {
  txrequests: 'ARP requests sent',
  txreplies: 'ARP replies sent',
  txannounces: 'gratuitous ARP requests sent',
  rxrequests: 'ARP requests received',
  rxreplies: 'ARP replies received',
  rxannounces: 'gratuitous ARP packets received',
  received: 'ARP packets received',
  dropped: 'total packets dropped due to no ARP entry',
  timeouts: 'ARP entries timed out',
  dupips: 'Duplicate IPs seen',
  rxframes: 'frames offered to ARP input',
  accepted: 'ARP packets processed',
  heldsent: 'held packets sent after resolution',
  wrongiface: 'updates refused: entry on another interface',
  permmodify: 'updates refused: permanent entry',
  badaddrlen: 'updates refused: hardware address length',
  rejects: 'destinations marked down after maxtries',
};

/** `netstat -s` for arp: the sum over CPUs, one counter a line, with its arpstat name. */
export function formatNetstat(total: ArpStatValues): string {
  let out = 'arp:\n';
  for (const f of ARPSTAT_FIELDS) out += `\t${total[f]} ${ARPSTAT_TEXT[f]} (${f})\n`;
  const drops = Object.entries(total.drops).filter(([, n]) => n > 0);
  out += `\t${drops.reduce((s, [, n]) => s + n, 0)} input packets dropped\n`;
  for (const [reason, n] of drops) out += `\t\t${n} ${reason}\n`;
  return out;
}

/** `netstat -s --per-cpu`: a column per CPU and the total. */
export function formatNetstatPerCpu(cpus: readonly ArpStatValues[], total: ArpStatValues): string {
  const head = ['counter', 'total', ...cpus.map((_, i) => `cpu${i}`)];
  const rows: string[][] = [head];
  for (const f of ARPSTAT_FIELDS) rows.push([f, String(total[f]), ...cpus.map((c) => String(c[f]))]);
  const reasons = Object.keys(total.drops).filter((r) => (total.drops as Record<string, number>)[r]! > 0);
  for (const r of reasons) {
    rows.push([`drops.${r}`, String((total.drops as Record<string, number>)[r]), ...cpus.map((c) => String((c.drops as Record<string, number>)[r] ?? 0))]);
  }
  return table(rows, 1);
}

function table(rows: readonly string[][], leftCols: number): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c < leftCols ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

// ---- sysctl ----

export type SysctlStyle = 'name' | 'value' | 'description' | 'bare-description';

/** `name: value` (sysctl NAME), `value` (-n), `name: description (unit)` (-d), `description (unit)` (-nd, as FreeBSD). */
export function formatKnob(k: KnobInfo, style: SysctlStyle = 'name'): string {
  if (style === 'value') return String(k.value);
  const description = `${k.description}${k.unit === '' ? '' : ` (${k.unit})`}`;
  if (style === 'bare-description') return description;
  if (style === 'description') return `${k.name}: ${description}`;
  return `${k.name}: ${k.value}`;
}

/** sysctl NAME=VALUE: `name: old -> new`. */
export function formatKnobSet(name: string, old: number | string, value: number | string): string {
  return `${name}: ${old} -> ${value}`;
}

// ---- resolve ----

export function formatResolve(r: ResolveResult): string {
  switch (r.outcome) {
    case 'resolved': return `${r.ip} at ${r.mac}${r.iface === null ? '' : ` on ${r.iface}`}`;
    case 'local': return `${r.ip} is a local address`;
    case 'hostdown': return `${r.ip}: host is down (EHOSTDOWN after ${r.seconds.toFixed(1)} s)`;
    case 'unreachable': return `${r.ip}: host is unreachable (EHOSTUNREACH: no route, or ARP off on the interface)`;
    case 'netdown': return `${r.ip}: network is down (ENETDOWN)`;
    case 'timeout': return `${r.ip}: no answer within ${r.seconds.toFixed(1)} s (still resolving)`;
  }
}

// ---- cpus ----

export interface CpuSummary {
  cpu: number;
  arp: number;
  incomplete: number;
  static: number;
  published: number;
  routes: number;
  held: number;
}

export function summarizeCpus(d: Pick<EmuDump, 'cpus'>): CpuSummary[] {
  return d.cpus.map((c) => ({
    cpu: c.cpu,
    arp: c.arp.length,
    incomplete: c.arp.filter((e) => e.mac === null).length,
    static: c.arp.filter((e) => e.flags.includes('static')).length,
    published: c.arp.filter((e) => e.flags.includes('pub')).length,
    routes: c.routes.length,
    held: c.arp.reduce((n, e) => n + e.held, 0),
  }));
}

export function formatCpus(s: readonly CpuSummary[]): string {
  const rows = [['cpu', 'arp', 'incomplete', 'static', 'published', 'routes', 'held']];
  for (const c of s) rows.push([String(c.cpu), String(c.arp), String(c.incomplete), String(c.static), String(c.published), String(c.routes), String(c.held)]);
  return table(rows, 0);
}

/** Flags that every replica must agree on (per-CPU resolution state such as reject is not compared). */
const COMPARED_ARP_FLAGS = ['static', 'pub', 'only', 'local', 'permanent'];

export interface CpuDifference {
  cpu: number;
  what: 'arp' | 'route';
  key: string;
  /** e.g. `missing`, `extra`, `mac 02:.. (cpu0: 02:..)`. */
  detail: string;
}

function arpKeyOf(e: ArpEntryDump): string { return e.flags.includes('only') ? `${e.ip} (proxy only)` : e.ip; }

/**
 * Every entry in which a replica differs from CPU0. Compared: presence,
 * MAC, interface, the administrative flags, and expiry (to within a
 * second, as replicas read their clocks at slightly different times).
 * Not compared: held packets (each CPU holds its own), la_asked and
 * la_preempt, and the reject flag (per-CPU resolution state in the seed).
 * Routes that are ARP entries are compared as ARP entries.
 */
export function diffCpus(d: Pick<EmuDump, 'cpus'>): CpuDifference[] {
  const base = d.cpus[0];
  if (base === undefined) return [];
  const out: CpuDifference[] = [];
  const arpOf = (c: CpuDump): Map<string, ArpEntryDump> => new Map(c.arp.map((e) => [arpKeyOf(e), e]));
  const routesOf = (c: CpuDump): Map<string, CpuDump['routes'][number]> =>
    new Map(c.routes.filter((r) => !r.flags.includes('llinfo')).map((r) => [`${r.dst}/${r.mask}`, r]));
  const a0 = arpOf(base);
  const r0 = routesOf(base);
  for (const c of d.cpus.slice(1)) {
    const a = arpOf(c);
    for (const [k, e0] of a0) {
      const e = a.get(k);
      if (e === undefined) { out.push({ cpu: c.cpu, what: 'arp', key: k, detail: `missing (cpu0: ${e0.mac ?? '(incomplete)'})` }); continue; }
      if (e.mac !== e0.mac) out.push({ cpu: c.cpu, what: 'arp', key: k, detail: `mac ${e.mac ?? '(incomplete)'} (cpu0: ${e0.mac ?? '(incomplete)'})` });
      if (e.iface !== e0.iface) out.push({ cpu: c.cpu, what: 'arp', key: k, detail: `iface ${e.iface} (cpu0: ${e0.iface})` });
      const f = e.flags.filter((x) => COMPARED_ARP_FLAGS.includes(x)).join(',');
      const f0 = e0.flags.filter((x) => COMPARED_ARP_FLAGS.includes(x)).join(',');
      if (f !== f0) out.push({ cpu: c.cpu, what: 'arp', key: k, detail: `flags ${f || '-'} (cpu0: ${f0 || '-'})` });
      if (e.mac !== null && e0.mac !== null && Math.abs(e.expires - e0.expires) > 1) {
        out.push({ cpu: c.cpu, what: 'arp', key: k, detail: `expires ${e.expires} (cpu0: ${e0.expires})` });
      }
    }
    for (const [k, e] of a) if (!a0.has(k)) out.push({ cpu: c.cpu, what: 'arp', key: k, detail: `extra (${e.mac ?? '(incomplete)'})` });
    const r = routesOf(c);
    for (const [k, x0] of r0) {
      const x = r.get(k);
      if (x === undefined) { out.push({ cpu: c.cpu, what: 'route', key: k, detail: 'missing' }); continue; }
      const fx = x.flags.filter((f) => f !== 'reject').join(',');
      const fx0 = x0.flags.filter((f) => f !== 'reject').join(',');
      if (x.gateway !== x0.gateway || x.iface !== x0.iface || fx !== fx0) {
        out.push({ cpu: c.cpu, what: 'route', key: k, detail: `${x.gateway ?? '-'} ${x.iface} ${fx} (cpu0: ${x0.gateway ?? '-'} ${x0.iface} ${fx0})` });
      }
    }
    for (const k of r.keys()) if (!r0.has(k)) out.push({ cpu: c.cpu, what: 'route', key: k, detail: 'extra' });
  }
  return out;
}

export function formatDiff(diffs: readonly CpuDifference[]): string {
  return diffs.map((x) => `cpu${x.cpu}: ${x.what} ${x.key}: ${x.detail}\n`).join('');
}
