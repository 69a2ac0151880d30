/** The plain-text report of a stress run (the JSON is the StressReport itself). */
import { formatFaults } from './oplog.js';
import type { StressReport } from './stress.js';

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Rows `name value`, names padded to one column. */
function table(rows: readonly (readonly [string, string | number])[], indent = '  '): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}\n`).join('');
}

export function formatStressReport(r: StressReport): string {
  const run = r.run;
  let out = `arpemu stress (${r.mode}): seed ${r.seed}, ${run.cpus} CPU${run.cpus === 1 ? '' : 's'} ${run.emulator} ${run.strategy}/${run.transport}, model ${run.model}` +
    `, faults ${formatFaults(run.faults)}${run.bug === null ? '' : `, injected bug ${run.bug}`}\n`;
  out += `  ${n(r.executed)} ops${r.planned > 0 ? ` of ${n(r.planned)}` : ''} in ${r.wallSeconds.toFixed(2)} s wall (${n(r.opsPerSecond)} ops/s), virtual time 0 .. ${r.virtualEnd.toFixed(3)} s, ${n(r.checks)} checkpoints${r.stopped ? ', STOPPED early' : ''}\n`;
  out += 'ops:\n' + table(Object.entries(r.opCounts).filter(([, c]) => c > 0).map(([k, c]) => [k, c]));
  out += 'frames:\n' + table([
    ['delivered to the emulator', r.frames.delivered],
    ['sent by the emulator', `${r.frames.sent} (${r.frames.arpRequests} requests, ${r.frames.arpReplies} replies, ${r.frames.ipv4} IPv4)`],
  ]);
  const d = r.datagrams;
  out += 'datagrams (in = sent + dropped + held + lost + refused at once):\n' + table([
    ['in', d.in], ['sent once each', d.sent], ['dropped (counted)', d.dropped], ['still held', d.held],
    ['lost with killed CPUs', d.lostWithKilledCpus], ['refused at once', d.refusedAtOnce],
  ]);
  if (r.accounting !== null) {
    const a = r.accounting;
    out += 'input accounting (rxframes = accepted + drops by reason):\n' + table([
      ['rxframes', a.rxframes], ['received', a.received], ['accepted', a.accepted],
      ...Object.entries(a.drops).map(([k, c]) => [`drop ${k}`, c ?? 0] as [string, number]),
    ]);
  }
  if (r.faults !== null) {
    const f = r.faults;
    out += 'link faults (rx into the emulator / tx out of it):\n' + table((['lost', 'duplicated', 'reordered', 'corrupted', 'delayed'] as const)
      .map((k) => [k, `${f.rx[k]} / ${f.tx[k]}`] as [string, string]));
  }
  if (r.kills > 0) out += `cpu kills: ${r.kills} (each restarted and resynchronised)\n`;
  if (r.entries.length > 0) out += `arp entries per cpu at the end: ${r.entries.join(' ')}\n`;
  if (r.memory !== null) {
    const m = r.memory;
    const last = m.samples[m.samples.length - 1];
    out += `memory: ${m.samples.length} samples; last rss ${mb(last?.rss)} heap ${mb(last?.heapUsed)}; slope over the last ${m.fitted} samples: heap ${fix(m.heapSlopeMBPerMin)} MB/min, rss ${fix(m.rssSlopeMBPerMin)} MB/min, heap ${fix(m.heapPerMillionOpsMB)} MB per million ops${m.gcForced ? ' (heap sampled after a forced GC)' : ''} -> ${m.growing ? 'GROWING' : 'flat'} (threshold ${m.thresholdMBPerMin} MB/min)\n`;
  }
  if (r.violations.length === 0) {
    out += 'violations: none\n';
  } else {
    out += `violations: ${r.violations.length}${r.violations.length >= 20 ? ' (first 20)' : ''}\n`;
    for (const v of r.violations) {
      out += `  [${v.invariant}] after op ${v.op} (t=${v.t.toFixed(3)}, seed ${r.seed}): ${v.message}\n`;
      if (v.shrink !== undefined) out += `    shrunk ${v.shrink.from} -> ${v.shrink.to} ops in ${v.shrink.tests} runs (${v.shrink.wallSeconds} s${v.shrink.complete ? ', 1-minimal' : ', budget spent'})\n`;
      if (v.reproducer !== undefined) out += `    reproducer: ${v.reproducer} (arpemu stress --replay ${v.reproducer})${v.replayed === true ? ', replays to the same violation' : v.replayed === false ? ', DID NOT replay to the same violation' : ''}\n`;
    }
  }
  out += r.ok ? 'result: OK, every invariant held\n' : 'result: FAILED\n';
  return out;
}

function mb(x: number | undefined): string { return x === undefined ? '-' : `${(x / 1048576).toFixed(1)} MB`; }
function fix(x: number): string { return Number.isFinite(x) ? x.toFixed(3) : '-'; }
