/** `arpemu bench`: scalability experiments (issue 9). See src/bench/runner.ts. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { intArg, usage } from './common.js';
import { defaultSuitesDir, gridFor, loadRegistry, reportFromResults, runBench } from '../bench/runner.js';
import { pointLabel } from '../bench/grid.js';
import { formatValue } from '../bench/report.js';

interface BenchCliOptions {
  suite?: string[];
  quick?: boolean;
  out: string;
  reps?: number;
  warmup?: number;
  set?: string[];
  list?: boolean;
  suitesDir?: string;
  from?: string;
  snapshot?: boolean;
}

/** Some points failed: exit 1 with one line (the CLI's error convention reads `code`). */
class BenchFailed extends Error {
  readonly code = 'ERR_BENCH_FAILED';
}

/** `arpemu bench ARGS` whether run as `arpemu bench` or as dist/bench/run.js. */
function commandLine(name: string): string {
  const args = process.argv.slice(2);
  if (args[0] === name) args.shift();
  return ['arpemu', 'bench', ...args].join(' ');
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',').filter((s) => s !== '')];

export function benchCommand(name = 'bench'): Command {
  return new Command(name)
    .description('scalability experiments: suites over parameter grids, each point in a fresh process; JSON lines, Markdown, SVG charts, an HTML report')
    .option('--suite <name>', 'run only this suite (repeatable, or comma-separated; default: all)', collect)
    .option('--quick', 'small grids and fewer repetitions (the whole run under 2 minutes)')
    .option('--out <dir>', 'output directory', 'bench/out')
    .option('--reps <n>', 'measured repetitions per point (default: the suite\'s, 3 with --quick)', intArg('--reps', 1, 1000))
    .option('--warmup <n>', 'warm-up repetitions per point (default: the suite\'s)', intArg('--warmup', 0, 100))
    .option('--set <[suite.]key=v1,v2>', 'override a grid parameter (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--list', 'list the suites and their grids, run nothing')
    .option('--suites-dir <dir>', 'directory of compiled suites (default: the built-in ones)')
    .option('--snapshot', 'measure a private copy of the build (a rebuild of dist/ during the run cannot change the code measured)')
    .option('--from <results.jsonl>', 'measure nothing: rebuild the reports (summary, HTML, charts, targets, model) from an earlier run\'s results')
    .action(async (o: BenchCliOptions) => {
      const suitesDir = o.suitesDir === undefined ? defaultSuitesDir() : resolve(o.suitesDir);
      if (o.list === true) {
        const { registry, suites } = await loadRegistry(suitesDir);
        for (const n of registry.suites) {
          const s = suites.get(n)!;
          const full = gridFor(s, false, []).length, quick = gridFor(s, true, []).length;
          process.stdout.write(`${n.padEnd(9)} ${s.title} (${full} points, ${quick} with --quick)\n`);
          for (const [k, v] of Object.entries(s.grid)) process.stdout.write(`           ${k}: ${v.map(String).join(', ')}\n`);
        }
        return;
      }
      let run;
      try {
        run = o.from !== undefined ? await reportFromResults(resolve(o.from), resolve(o.out), suitesDir) : await runBench({
          ...(o.suite === undefined ? {} : { suites: o.suite }),
          quick: o.quick === true,
          out: resolve(o.out),
          ...(o.reps === undefined ? {} : { reps: o.reps }),
          ...(o.warmup === undefined ? {} : { warmup: o.warmup }),
          sets: o.set ?? [],
          suitesDir,
          snapshot: o.snapshot === true,
          command: commandLine(name),
        });
      } catch (e) {
        if (e instanceof RangeError) throw usage(e.message);
        throw e;
      }
      const lines: string[] = [];
      for (const t of run.targets) {
        const v = t.measured === undefined ? '–' : formatValue(t.measured, t.target.ratioOf !== undefined ? 'x' : t.target.unit);
        lines.push(`issue ${t.target.issue}: ${t.target.text}: ${v}: ${t.verdict}${t.note === undefined ? '' : ` (${t.note})`}`);
      }
      for (const m of run.models) {
        lines.push(`MODEL (fitted to ${m.source}, not measured): latency(n) = ${formatValue(m.a, 's')} + ${formatValue(m.b, 's')}·n${m.note === undefined ? '' : ` (${m.note})`}`);
        for (const p of m.points) {
          lines.push(`  model n=${String(p.cpus).padStart(3)}: latency ${formatValue(p.latency, 's')}, throughput ${formatValue(p.throughput, 'updates/s')} (a core per CPU), ${formatValue(p.throughputHere, 'updates/s')} on ${m.cores} cores`);
        }
      }
      const failed = run.results.filter((r) => r.status === 'failed');
      for (const r of failed) lines.push(`FAILED ${r.suite} ${pointLabel(r.point)}: ${r.reason ?? ''}`);
      lines.push(o.from !== undefined
        ? `reports rebuilt from ${o.from} in ${run.outDir}: summary.md, report.html, charts/ (${run.results.length} points)`
        : `results: ${run.outDir}/results.jsonl, summary.md, report.html, charts/ (${run.results.length} points, ${failed.length} failed)`);
      process.stdout.write(lines.join('\n') + '\n');
      if (failed.length > 0) throw new BenchFailed(`${failed.length} point(s) failed (listed above)`);
    });
}
