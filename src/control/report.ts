/** Plain-text reports of a finished run (replay; the simulation adds its own). */
import type { ArpStatValues } from '../arp/stats.js';
import type { EmuDump } from '../cpu/emulator.js';
import type { ReplaySummary } from './replay.js';

/** Rows `name value`, names padded to one column. */
export function table(rows: readonly (readonly [string, string | number])[], indent = '  '): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}\n`).join('');
}

export function statRows(s: ArpStatValues): [string, number][] {
  const rows: [string, number][] = [];
  for (const [k, v] of Object.entries(s)) if (typeof v === 'number') rows.push([k, v]);
  return rows;
}

export function dropRows(s: ArpStatValues): [string, number][] {
  return Object.entries(s.drops).filter(([, n]) => n > 0).map(([k, n]) => [`drop ${k}`, n]);
}

/** Per-CPU table sizes, and whether every replica holds CPU0's entries. */
export function replicaRows(d: EmuDump): [string, string][] {
  const key = (c: EmuDump['cpus'][number]): string =>
    JSON.stringify(c.arp.map((e) => [e.ip, e.mac, e.iface, e.flags, e.expires])) + JSON.stringify(c.routes);
  const k0 = d.cpus[0] === undefined ? '' : key(d.cpus[0]);
  return d.cpus.map((c) => [`cpu${c.cpu}`, `${c.arp.length} arp entries, ${c.routes.length} routes${c.cpu === 0 ? '' : key(c) === k0 ? ', same as cpu0' : ', DIFFERS from cpu0'}`]);
}

export function formatSummary(s: ReplaySummary): string {
  let out = `replay: ${s.framesIn} frames in, ${s.datagrams} datagrams sent by the emulator, virtual time ${s.start.toFixed(6)} .. ${s.end.toFixed(6)} (${(s.end - s.start).toFixed(3)} s)\n`;
  out += 'frames out:\n' + table(Object.entries(s.framesOut));
  out += 'counters (summed over CPUs):\n' + table([...statRows(s.dump.stats).filter(([, n]) => n > 0), ...dropRows(s.dump.stats)]);
  out += 'replicas:\n' + table(replicaRows(s.dump));
  const ev = Object.entries(s.events).sort(([a], [b]) => a.localeCompare(b));
  out += 'events:\n' + (ev.length === 0 ? '  (none)\n' : table(ev));
  return out;
}
