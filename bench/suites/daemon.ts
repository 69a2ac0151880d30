/**
 * daemon: `arpemu daemon` on a veth pair against the Linux kernel answering
 * on the same kind of link, measured in one run by the same black-box
 * measurers (issue 7: request->reply p50 <= 1.5x the kernel's; at the
 * kernel's highest offered rate with >= 99% answered, the daemon answers
 * >= 99% too). The namespaces, links and measurers are the daemon helper's
 * bench/daemon.bench.ts, run as a child process once per repetition (it
 * warms both sides up, measures them interleaved and prints one JSON line);
 * this suite reads that line. The kernel is the baseline inside each
 * repetition: the ratios are same-run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchUnavailable, type DetailTable, type PointResult, type RepSample, type SuiteDef } from '../../src/bench/types.js';
import { median } from '../../src/bench/stats.js';
import { formatValue } from '../../src/bench/report.js';

const DAEMON_BENCH = fileURLToPath(new URL('../daemon.bench.js', import.meta.url));

/** One rate of daemon.bench's tcpreplay sweep; offered 0 is --topspeed. */
export interface Sweep { offered: number; achieved: number; ratio: number }
interface SideResults { rtt: Record<string, number>[]; flood: Record<string, number>[]; sweep: Sweep[] }
/** The floors (user-space responders with nothing else to do) are optional: older daemon.bench builds lack them. */
interface DaemonBenchLine {
  bench: 'daemon'; cpus: number; reps: number; kernel: SideResults; daemon: SideResults;
  floor?: { rtt: Record<string, number>[] }; capFloor?: SideResults; cFloor?: SideResults;
}

function runDaemonBench(cpus: number, reps: number): Promise<DaemonBenchLine> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DAEMON_BENCH, String(reps)], {
      encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20, env: { ...process.env, ARPEMU_BENCH_CPUS: String(cpus) },
    }, (err, stdout, stderr) => {
      const skip = /^SKIP daemon bench: (.*)$/m.exec(stdout);
      if (skip !== null) { reject(new BenchUnavailable(`bench/daemon.bench.ts: ${skip[1]}`)); return; }
      if (err !== null) { reject(new Error(`daemon.bench.js: ${(stderr || err.message).trim().split('\n').slice(-2).join(' | ')}`)); return; }
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('{"bench":"daemon"'));
      if (line === undefined) { reject(new Error('daemon.bench.js printed no result line')); return; }
      resolve(JSON.parse(line) as DaemonBenchLine);
    });
  });
}

/** The rate a sweep entry stands for: what was offered, or what --topspeed achieved. */
const rateOf = (s: Sweep): number => (s.offered === 0 ? s.achieved : s.offered);

export interface SweepVerdict {
  /** Highest rate at which the kernel answered >= 99% (NaN: at none). */
  rate: number;
  /** The daemon's answered fraction at that rate (0..1; NaN when rate is). */
  daemonShare: number;
  /** Why there is no verdict, when there is none. */
  note?: string;
}

/**
 * Issue 7's second target from the two sweeps of one run (entries at the
 * same index were offered at the same rate): the highest rate with the
 * kernel >= 99% answered, and the daemon's share there.
 */
export function sweepVerdict(k: readonly Sweep[], d: readonly Sweep[]): SweepVerdict {
  let best = -1;
  for (let i = 0; i < k.length; i++) {
    if (k[i]!.ratio >= 0.99 && Number.isFinite(rateOf(k[i]!)) && (best < 0 || rateOf(k[i]!) > rateOf(k[best]!))) best = i;
  }
  if (best < 0) return { rate: NaN, daemonShare: NaN, note: `the kernel answered < 99% at every offered rate (${k.map((s) => s.ratio.toFixed(3)).join(', ')})` };
  const at = d[best];
  if (at === undefined || at.offered !== k[best]!.offered) return { rate: rateOf(k[best]!), daemonShare: NaN, note: 'the daemon\'s sweep has no entry at that rate' };
  return { rate: rateOf(k[best]!), daemonShare: at.ratio };
}

/** The sweeps of every repetition, kept in the point's info for the summary's table. */
interface SweepRecord { kernel: Sweep[]; daemon: Sweep[]; capFloor?: Sweep[] }

const suite: SuiteDef = {
  name: 'daemon',
  title: 'daemon round trip and answered share vs the Linux kernel (veth, namespaces)',
  description: 'bench/daemon.bench.ts run as a child once per repetition: the kernel and arpemu daemon each answer on a veth pair in namespaces of their own, warmed up, then ' +
    'measured interleaved by ../shared/tools/arpprobe.py rtt (one request in flight) and tcpreplay at fixed offered rates (5k to 400k pps and --topspeed). ' +
    'daemonP50/kernelP50 is the same-run ratio; kernelMaxRate is the highest offered rate at which the kernel answered >= 99% (topspeed counts as what it achieved) ' +
    'and daemonShare the daemon\'s answered fraction at that rate in the same run. Floors measured beside them: the least a libpcap (cap) responder, a C AF_PACKET ' +
    'responder and a Python one pay (their round trip; the cap floor\'s share at the kernel\'s rate). Needs root, namespaces, python3, tcpreplay; takes minutes, so --quick skips it.',
  grid: { cpus: [1, 2] },
  baselines: [],
  metrics: [
    { name: 'p50Ratio', unit: 'x', better: 'lower', label: 'daemon p50 / kernel p50' },
    { name: 'daemonP50', unit: 's', better: 'lower', label: 'daemon round trip p50' },
    { name: 'kernelP50', unit: 's', better: 'lower', label: 'kernel round trip p50' },
    { name: 'daemonP99', unit: 's', better: 'lower', label: 'daemon p99' },
    { name: 'kernelP99', unit: 's', better: 'lower', label: 'kernel p99' },
    { name: 'kernelMaxRate', unit: 'requests/s', better: 'higher', label: 'kernel: highest rate with >= 99% answered' },
    { name: 'daemonShare', unit: '%', better: 'higher', label: 'daemon answered there' },
    { name: 'capFloorShare', unit: '%', better: 'higher', label: 'cap floor answered there' },
    { name: 'capFloorP50', unit: 's', better: 'lower', label: 'cap floor p50' },
    { name: 'cFloorP50', unit: 's', better: 'lower', label: 'C AF_PACKET floor p50' },
    { name: 'pyFloorP50', unit: 's', better: 'lower', label: 'Python AF_PACKET floor p50' },
  ],
  primary: 'p50Ratio',
  // Each repetition is a whole daemon.bench run that warms both sides up itself (200 round trips each).
  warmup: 0,
  reps: 3,
  timeoutSec: 1800,
  unavailable(_p, ctx) {
    if (ctx.quick) return 'not run with --quick (the sweep takes minutes): run `arpemu bench --suite daemon`';
    if (!existsSync(DAEMON_BENCH)) return 'bench/daemon.bench.ts (the daemon-vs-kernel measurer, issue 7) is not in this build';
    return undefined;
  },
  setup(p) {
    const cpus = p['cpus'] as number;
    const sweeps: SweepRecord[] = [];
    const notes: string[] = [];
    return {
      async rep(): Promise<RepSample> {
        const r = await runDaemonBench(cpus, 1);
        const p50 = (s: { rtt: Record<string, number>[] } | undefined, k: string): number => (s === undefined ? NaN : median(s.rtt.map((x) => x[k] ?? NaN)) / 1e6);
        const v = sweepVerdict(r.kernel.sweep, r.daemon.sweep);
        const cap = r.capFloor === undefined ? undefined : sweepVerdict(r.kernel.sweep, r.capFloor.sweep);
        sweeps.push({ kernel: r.kernel.sweep, daemon: r.daemon.sweep, ...(r.capFloor === undefined ? {} : { capFloor: r.capFloor.sweep }) });
        if (v.note !== undefined) notes.push(v.note);
        return {
          p50Ratio: p50(r.daemon, 'p50_us') / p50(r.kernel, 'p50_us'),
          daemonP50: p50(r.daemon, 'p50_us'), kernelP50: p50(r.kernel, 'p50_us'),
          daemonP99: p50(r.daemon, 'p99_us'), kernelP99: p50(r.kernel, 'p99_us'),
          kernelMaxRate: v.rate, daemonShare: v.daemonShare * 100, capFloorShare: (cap?.daemonShare ?? NaN) * 100,
          capFloorP50: p50(r.capFloor, 'p50_us'), cFloorP50: p50(r.cFloor, 'p50_us'), pyFloorP50: p50(r.floor, 'p50_us'),
        };
      },
      info: () => ({
        measurer: 'bench/daemon.bench.ts (arpprobe.py rtt, tcpreplay sweep), one run per repetition',
        sweeps,
        ...(notes.length === 0 ? {} : { notes: { kernelMaxRate: notes.join('; '), daemonShare: notes.join('; ') } }),
      }),
    };
  },
  details: sweepTables,
};

/** The tcpreplay sweep of each point: per offered rate, the median answered share of each side over the repetitions. */
export function sweepTables(results: readonly PointResult[]): DetailTable[] {
  const out: DetailTable[] = [];
  for (const r of results) {
    const sweeps = (r.info?.['sweeps'] ?? []) as SweepRecord[];
    if (sweeps.length === 0) continue;
    const cap = sweeps.every((s) => s.capFloor !== undefined);
    const rows = sweeps[0]!.kernel.map((k0, i) => {
      const at = (side: keyof SweepRecord, f: (s: Sweep) => number): number => median(sweeps.map((s) => s[side]?.[i]).filter((s) => s !== undefined).map(f));
      const share = (side: keyof SweepRecord): string => formatValue(100 * at(side, (s) => s.ratio), '%');
      return [k0.offered === 0 ? 'topspeed' : formatValue(k0.offered, 'pps'), formatValue(at('kernel', (s) => s.achieved), 'pps'), share('kernel'),
        formatValue(at('daemon', (s) => s.achieved), 'pps'), share('daemon'), ...(cap ? [share('capFloor')] : [])];
    });
    out.push({
      title: `tcpreplay sweep, cpus=${String(r.point['cpus'])}: answered share per offered rate (median of ${sweeps.length} run${sweeps.length === 1 ? '' : 's'})`,
      head: ['offered', 'kernel achieved', 'kernel answered', 'daemon achieved', 'daemon answered', ...(cap ? ['cap floor answered'] : [])],
      rows,
    });
  }
  return out;
}

export default suite;
