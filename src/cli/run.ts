/**
 * `arpemu run`: the simulation (CONTRACT.md "Commands"; `npm start` runs it
 * with defaults). The default scenario is scenarios/lan.json of the
 * package, found from this file, not from the working directory.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ArpemuError } from '../util/errors.js';
import { JsonLinesFileSink } from '../util/events.js';
import { parseScenarioText, type Scenario } from '../sim/scenario.js';
import { runScenario } from '../sim/runner.js';
import { formatReport } from '../sim/metrics.js';
import { ProgressView } from '../sim/view.js';
import { choiceArg, intArg, secondsArg } from './common.js';
import { createEmulator, defaultCpus } from './emulator.js';

interface RunCliOptions {
  scenario?: string;
  cpus?: number;
  duration?: number;
  seed?: number;
  json?: string;
  events?: string;
  realtime?: boolean;
  strategy: 'chain' | 'fanout' | 'shared';
  transport: 'port' | 'ring';
  progress: boolean;
}

/** The package root: the nearest directory above this file with arpemu's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'arpemu') return dir;
      } catch { /* not ours; keep looking */ }
    }
    const up = dirname(dir);
    if (up === dir) throw new ArpemuError('ENOENT', 'cannot find the arpemu package root (scenarios/ lives there)');
    dir = up;
  }
}

/** The scenarios shipped with the package. */
export function scenariosDir(): string {
  return join(packageRoot(), 'scenarios');
}

/** A path, or the name of a shipped scenario (`storm` = scenarios/storm.json). */
export function scenarioPath(arg: string | undefined): string {
  if (arg === undefined) return join(scenariosDir(), 'lan.json');
  if (existsSync(arg)) return resolve(arg);
  if (/^[A-Za-z0-9_.-]+$/.test(arg)) {
    const shipped = join(scenariosDir(), arg.endsWith('.json') ? arg : `${arg}.json`);
    if (existsSync(shipped)) return shipped;
  }
  throw new ArpemuError('ERR_USAGE', `--scenario ${arg}: no such file (nor a scenario shipped in ${scenariosDir()})`);
}

export function loadScenario(arg: string | undefined): Scenario {
  const path = scenarioPath(arg);
  return parseScenarioText(readFileSync(path, 'utf8'), path);
}

export function runCommand(): Command {
  return new Command('run')
    .description('simulation on an in-memory segment: virtual hosts, scripted events and traffic on a virtual clock; a live view on a terminal and a report at the end')
    .option('--scenario <file>', 'scenario JSON file, or the name of a shipped one (lan, dc-rack, storm, churn); default lan')
    .option('--cpus <n>', 'number of CPU replicas (default: the scenario config\'s cpus, else the number of cores)', intArg('--cpus', 1, 256))
    .option('--duration <seconds>', 'virtual seconds to simulate (default: the scenario\'s)', secondsArg('--duration', 1e6))
    .option('--seed <n>', 'seed of every random choice (default: the scenario\'s)', intArg('--seed', 0, Number.MAX_SAFE_INTEGER))
    .option('--json <file>', 'write the full report (with the final dump) as JSON; - for stdout instead of the tables')
    .option('--events <file>', 'write the emulator\'s event log as JSON lines')
    .option('--realtime', 'pace virtual time against the wall clock (one virtual second a second)')
    .addOption(new Option('--strategy <name>', 'replication strategy').argParser(choiceArg('--strategy', ['chain', 'fanout', 'shared'] as const)).default('chain'))
    .addOption(new Option('--transport <name>', 'inter-CPU channel').argParser(choiceArg('--transport', ['port', 'ring'] as const)).default('ring'))
    .option('--no-progress', 'no live view or progress lines')
    .action(async (o: RunCliOptions) => {
      const scenario = loadScenario(o.scenario);
      if (o.duration !== undefined && !(o.duration > 0)) throw new ArpemuError('ERR_USAGE', '--duration must be greater than 0');
      const jsonToStdout = o.json === '-';
      const cpus = o.cpus ?? scenario.config.cpus ?? defaultCpus();
      const viewOut = jsonToStdout ? process.stderr : process.stdout;
      const view = o.progress
        ? new ProgressView({ out: viewOut, title: `arpemu run: ${scenario.name} (seed ${o.seed ?? scenario.seed}, ${scenario.hosts.length} hosts, ${cpus} CPU${cpus === 1 ? '' : 's'}, ${o.strategy}/${o.transport})` })
        : undefined;
      const events = o.events === undefined ? undefined : new JsonLinesFileSink(o.events);
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let report;
      try {
        report = await runScenario({
          scenario, seed: o.seed, duration: o.duration, cpus,
          strategy: o.strategy, transport: o.transport, createEmulator,
          realtime: o.realtime === true,
          ...(view === undefined ? {} : { onProgress: (p) => view.update(p), progressInterval: view.isTty ? 100 : 250 }),
          signal: abort.signal,
          ...(events === undefined ? {} : { events }),
        });
      } finally {
        view?.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await events?.close();
      }
      const json = JSON.stringify(report, null, 2) + '\n';
      if (o.json !== undefined && !jsonToStdout) writeFileSync(o.json, json);
      process.stdout.write(jsonToStdout ? json : formatReport(report));
      if (report.stopped) {
        throw new ArpemuError('ERR_INTERRUPTED', `interrupted at ${report.end.toFixed(3)} of ${report.scenario.duration} virtual seconds (the report covers the run so far)`);
      }
    });
}
