/**
 * `arpemu stress`: seeded concurrent load, faults, CPU kills, fuzzing or a
 * soak against the per-CPU emulator, every invariant checked against the
 * replicas and the single-threaded model; a violation is shrunk to a
 * replayable reproducer (`--replay FILE`). Exit 0 only with zero
 * violations, 1 with any (or a failure), 2 on bad usage.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ArpemuError } from '../util/errors.js';
import { INJECTED_BUGS, type InjectedBug } from '../cpu/testhooks.js';
import { loadCorpus } from '../stress/fuzz.js';
import { formatFaults, parseFaults, parseReproducer } from '../stress/oplog.js';
import { formatStressReport } from '../stress/report.js';
import { replayReproducer, runStress, type StressReport } from '../stress/stress.js';
import { StressView } from '../stress/view.js';
import { choiceArg, intArg, secondsArg } from './common.js';
import { packageRoot } from './run.js';

interface StressCliOptions {
  cpus: number;
  duration?: number;
  rate?: number;
  ops?: number;
  seed?: number;
  strategy: 'chain' | 'fanout' | 'shared';
  transport: 'port' | 'ring';
  emulator: 'inline' | 'threaded';
  model: 'inline' | 'single' | 'none';
  faults: string;
  killCpu: number;
  injectBug?: InjectedBug;
  fuzz?: boolean;
  soak?: boolean;
  concurrent?: boolean;
  soakSample?: number;
  soakThreshold: number;
  checkEvery: number;
  watchdog: number;
  repro: string;
  shrink: boolean;
  shrinkTime: number;
  pcaps?: string;
  json?: string;
  replay?: string;
  saveOps?: string;
  progress: boolean;
}

function rateArg(name: string): (v: string) => number {
  return (v) => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new ArpemuError('ERR_USAGE', `${name} must be a number >= 0, got ${JSON.stringify(v)}`);
    return x;
  };
}

export function stressCommand(): Command {
  return new Command('stress')
    .description('concurrency stress test: seeded load, link faults, channel delays, CPU kills, fuzzing or a soak; invariants checked on every replica and against the single-threaded model; violations shrunk to replayable reproducers')
    .option('--cpus <n>', 'CPU replicas', intArg('--cpus', 1, 64), 8)
    .option('--duration <seconds>', 'virtual seconds of load (default 30); with --soak, wall seconds (default 600)', secondsArg('--duration', 1e7))
    .option('--rate <ops>', 'ops per virtual second (default 40); with --soak, ops per wall second (default 300, 0: unpaced)', rateArg('--rate'))
    .option('--ops <n>', 'exactly n ops (instead of duration x rate)', intArg('--ops', 1, 1e9))
    .option('--seed <n>', 'seed of the whole run (default: from the clock, printed in the report)', intArg('--seed', 0, 0xffff_ffff))
    .addOption(new Option('--strategy <name>', 'replication strategy').argParser(choiceArg('--strategy', ['chain', 'fanout', 'shared'] as const)).default('chain'))
    .addOption(new Option('--transport <name>', 'inter-CPU channel (threaded emulator)').argParser(choiceArg('--transport', ['port', 'ring'] as const)).default('ring'))
    .addOption(new Option('--emulator <kind>', 'under test: worker threads, or every CPU in this thread (deterministic)').argParser(choiceArg('--emulator', ['threaded', 'inline'] as const)).default('threaded'))
    .addOption(new Option('--model <kind>', 'single-threaded model fed the same ops: InlineEmulator with 1 CPU, SingleCpuEmulator, or none').argParser(choiceArg('--model', ['inline', 'single', 'none'] as const)).default('inline'))
    .option('--faults <spec>', 'none, default, or name=value,... (loss, dup, reorder, corrupt: probabilities on the emulator\'s links; delay, jitter: seconds; stall: probability a CPU stalls before a record; stall-us)', 'default')
    .option('--kill-cpu <rate>', 'CPU kills per virtual second (restart + resync)', rateArg('--kill-cpu'), 0)
    .addOption(new Option('--inject-bug <name>', 'break one mechanism on purpose so the checker must catch it').argParser(choiceArg('--inject-bug', INJECTED_BUGS)))
    .option('--concurrent', 'the threaded emulator runs free: every stimulus of an instant in flight at once, kills mid-flight (not deterministic: no model comparison)')
    .option('--fuzz', 'most ops are random or mutated frames (from ../shared/pcaps) into the full input path')
    .option('--soak', 'run --duration wall seconds at a steady --rate; sample RSS and heap, flag growth')
    .option('--soak-sample <seconds>', 'wall seconds between memory samples (default duration/60, at least 1)', secondsArg('--soak-sample', 3600))
    .option('--soak-threshold <mb>', 'heap growth (MB per minute) flagged as a leak; RSS at 4x', rateArg('--soak-threshold'), 1)
    .option('--check-every <n>', 'full invariant checkpoint every n ops (and after every kill and timer jump)', intArg('--check-every', 1, 1e6), 5)
    .option('--watchdog <ms>', 'wall milliseconds an emulator call may take before it counts as a hang', intArg('--watchdog', 100, 3_600_000), 10_000)
    .option('--repro <path>', 'reproducer file (.json) or directory for stress-repro-SEED-INVARIANT.json', '.')
    .option('--no-shrink', 'write the whole op log up to the violation instead of a minimal one')
    .option('--shrink-time <seconds>', 'wall-time budget of the shrinker', secondsArg('--shrink-time', 86400), 60)
    .option('--pcaps <dir>', 'captures to mutate when fuzzing (default ../shared/pcaps beside the package)')
    .option('--json <file>', 'write the report as JSON; - for stdout instead of the text')
    .option('--replay <file>', 're-run a reproducer file (or a --save-ops log); exit 1 when it hits a violation')
    .option('--save-ops <file>', 'write the whole op log of the run (up to the first violation) as a replayable file')
    .option('--no-progress', 'no live view or progress lines')
    .action(async (o: StressCliOptions) => {
      const jsonToStdout = o.json === '-';
      const viewOut = jsonToStdout ? process.stderr : process.stdout;
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let view: StressView | undefined;
      try {
        let report: StressReport;
        let replayNote = '';
        if (o.replay !== undefined) {
          const rep = parseReproducer(readFileSync(o.replay, 'utf8'), o.replay);
          view = o.progress ? new StressView({ out: viewOut, title: `arpemu stress --replay ${o.replay}: ${rep.ops.length} ops, expecting ${rep.violation === null ? 'no violation' : `[${rep.violation.invariant}]`}` }) : undefined;
          const r = await replayReproducer(rep, { watchdogMs: o.watchdog, ...(view === undefined ? {} : { onProgress: (p) => view!.update(p) }) });
          report = r.report;
          const e = r.expected;
          const found = report.violations.length > 0 ? `; found [${report.violations[0]!.invariant}] instead` : '';
          replayNote = e === null
            ? `replay: an op log recorded without violations${r.same ? ', replayed without any' : found}\n`
            : r.same
              ? `replay: reproduced [${e.invariant}] (recorded: ${e.message})\n`
              : `replay: did NOT reproduce [${e.invariant}] (recorded: ${e.message})${found}\n`;
        } else {
          const soak = o.soak === true;
          const duration = o.duration ?? (soak ? 600 : 30);
          if (!(duration > 0)) throw new ArpemuError('ERR_USAGE', '--duration must be greater than 0');
          const rate = o.rate ?? (soak ? 300 : 40);
          if (!soak && !(rate > 0)) throw new ArpemuError('ERR_USAGE', '--rate must be greater than 0');
          const faults = parseFaults(o.faults);
          const seed = o.seed ?? (Date.now() >>> 0);
          const concurrent = o.concurrent === true;
          if (concurrent && o.emulator !== 'threaded') throw new ArpemuError('ERR_USAGE', '--concurrent needs --emulator threaded (the inline emulator has no threads to race)');
          const run = { emulator: o.emulator, cpus: o.cpus, strategy: o.strategy, transport: o.transport, model: concurrent ? 'none' as const : o.model, bug: o.injectBug ?? null, faults, concurrent };
          const corpus = o.fuzz === true ? loadCorpus(o.pcaps ?? resolve(packageRoot(), '..', 'shared', 'pcaps')) : [];
          if (o.fuzz === true && o.pcaps !== undefined && corpus.length === 0) throw new ArpemuError('ENOENT', `--pcaps ${o.pcaps}: no Ethernet captures found there`);
          const repro = o.repro.endsWith('.json') ? o.repro : resolve(o.repro);
          if (!o.repro.endsWith('.json') && !existsSync(repro)) throw new ArpemuError('ENOENT', `--repro ${o.repro}: no such directory`);
          const mode = `${o.fuzz === true ? 'fuzz' : soak ? 'soak' : 'stress'}${concurrent ? ', concurrent' : ''}`;
          view = o.progress
            ? new StressView({ out: viewOut, title: `arpemu stress (${mode}): seed ${seed}, ${o.cpus} CPUs ${o.emulator} ${o.strategy}/${o.transport}, faults ${formatFaults(faults)}${o.killCpu > 0 ? `, kills ${o.killCpu}/s` : ''}${o.injectBug !== undefined ? `, bug ${o.injectBug}` : ''}` })
            : undefined;
          report = await runStress({
            run, seed, duration, rate, ops: o.ops, killRate: o.killCpu, fuzz: o.fuzz === true, corpus,
            soak: soak ? { sampleMs: (o.soakSample ?? Math.max(1, duration / 60)) * 1000, thresholdMBPerMin: o.soakThreshold } : undefined,
            checkEvery: o.checkEvery, watchdogMs: o.watchdog,
            shrink: { enabled: o.shrink, budgetMs: o.shrinkTime * 1000 }, reproPath: repro, saveOps: o.saveOps,
            signal: abort.signal,
            ...(view === undefined ? {} : { onProgress: (p) => view!.update(p), onShrink: (ops, tests) => view!.shrinking(ops, tests) }),
          });
        }
        view?.close();
        const json = JSON.stringify(report, null, 2) + '\n';
        if (o.json !== undefined && !jsonToStdout) writeFileSync(o.json, json);
        process.stdout.write(jsonToStdout ? json : formatStressReport(report) + replayNote);
        if (report.violations.length > 0) {
          const v = report.violations[0]!;
          throw new ArpemuError('ERR_VIOLATION', `${report.violations.length} violation(s); first [${v.invariant}] after op ${v.op} (seed ${report.seed})${v.reproducer === undefined ? '' : `; reproducer ${v.reproducer}`}`);
        }
        if (report.stopped) throw new ArpemuError('ERR_INTERRUPTED', `interrupted after ${report.executed} ops (the report covers the run so far)`);
      } finally {
        view?.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

