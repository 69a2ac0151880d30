/**
 * daemon: `arpemu daemon` on a veth pair against the Linux kernel answering
 * on the same kind of link, measured in one run by the same black-box
 * measurers (issue 7: request->reply p50 <= 1.5x the kernel's; at the
 * kernel's highest offered rate with >= 99% answered, the daemon answers
 * >= 99% too). The namespaces, links and measurers are the daemon helper's
 * bench/daemon.bench.ts, run as a child process (it measures both sides
 * interleaved and prints one JSON line); this suite reads that line. The
 * kernel is the baseline inside each point: the ratios are same-run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchUnavailable, type RepSample, type SuiteDef } from '../../src/bench/types.js';
import { median } from '../../src/bench/stats.js';

const DAEMON_BENCH = fileURLToPath(new URL('../daemon.bench.js', import.meta.url));

interface Sweep { offered: number; achieved: number; ratio: number }
interface SideResults { rtt: Record<string, number>[]; flood: Record<string, number>[]; sweep: Sweep[] }
interface DaemonBenchLine { bench: 'daemon'; cpus: number; reps: number; kernel: SideResults; daemon: SideResults }

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

/** Highest offered rate (topspeed counts as what it achieved) at which the kernel answered >= 99%, and the daemon's share there. */
function sweepVerdict(k: Sweep[], d: Sweep[]): { rate: number; daemonShare: number } {
  let best = -1, rate = NaN;
  for (let i = 0; i < k.length; i++) {
    const r = k[i]!.offered === 0 ? k[i]!.achieved : k[i]!.offered;
    if (k[i]!.ratio >= 0.99 && r > rate) { best = i; rate = r; }
  }
  if (best < 0) return { rate: NaN, daemonShare: NaN };
  return { rate, daemonShare: d[best]?.ratio ?? NaN };
}

const suite: SuiteDef = {
  name: 'daemon',
  title: 'daemon round trip and answered share vs the Linux kernel (veth, namespaces)',
  description: 'bench/daemon.bench.ts run as a child: the kernel and arpemu daemon each answer on a veth pair in namespaces of their own, measured interleaved by ' +
    '../shared/tools/arpprobe.py rtt (one request in flight) and tcpreplay at fixed offered rates. daemonP50/kernelP50 is the same-run ratio; the share is the daemon\'s ' +
    'answered fraction at the highest rate where the kernel answered >= 99%. Needs root, namespaces, python3, tcpreplay; takes minutes, so --quick skips it.',
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
  ],
  primary: 'p50Ratio',
  warmup: 0,
  reps: 1,
  quickReps: 1,
  timeoutSec: 1000,
  unavailable(_p, ctx) {
    if (ctx.quick) return 'not run with --quick (the sweep takes minutes): run `arpemu bench --suite daemon`';
    if (!existsSync(DAEMON_BENCH)) return 'bench/daemon.bench.ts (the daemon-vs-kernel measurer, issue 7) is not in this build';
    return undefined;
  },
  setup(p) {
    const cpus = p['cpus'] as number;
    let reps = 0;
    return {
      async rep(): Promise<RepSample> {
        const r = await runDaemonBench(cpus, 3);
        reps = r.reps;
        const p50 = (s: SideResults, k: string): number => median(s.rtt.map((x) => x[k] ?? NaN)) / 1e6;
        const v = sweepVerdict(r.kernel.sweep, r.daemon.sweep);
        return {
          p50Ratio: p50(r.daemon, 'p50_us') / p50(r.kernel, 'p50_us'),
          daemonP50: p50(r.daemon, 'p50_us'), kernelP50: p50(r.kernel, 'p50_us'),
          daemonP99: p50(r.daemon, 'p99_us'), kernelP99: p50(r.kernel, 'p99_us'),
          kernelMaxRate: v.rate, daemonShare: v.daemonShare * 100,
        };
      },
      info: () => ({ innerRepetitions: reps, measurer: 'bench/daemon.bench.ts (arpprobe.py rtt, tcpreplay sweep)' }),
    };
  },
};
export default suite;
