/**
 * `arpemu bench`: run the selected suites point by point, each point in a
 * fresh child process (sequentially: on a 2-core machine two points at once
 * would measure each other), then write results.jsonl, summary.md,
 * report.html, charts/*.svg and model.json to the output directory.
 *
 * Why child processes and not the shared piscina pool: a pool's thread keeps
 * its JIT state, heap and module cache from one point to the next, cannot
 * get per-point V8 flags (--expose-gc, heap limits), and the suites that
 * measure threads start worker pools of their own; a process per point costs
 * ~50 ms, nothing next to a point's seconds of measuring.
 */
import { fork } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { applySets, baselineLabel, baselineOf, expandGrid, matches, pointLabel, samePoint } from './grid.js';
import { loadAverage, machineInfo } from './machine.js';
import { fitChainModel, type ChainObservation } from './model.js';
import { Progress } from './progress.js';
import { buildReport, formatValue, renderHtml, renderMarkdown, type RunMeta } from './report.js';
import { relativeSpread, summarize } from './stats.js';
import { evaluateTargets } from './targets.js';
import type { ChildMessage, ChildRequest } from './child.js';
import type { ChainModel, MetricResult, Point, PointResult, RepSample, SuiteDef, TargetDef, TargetResult } from './types.js';

/** Where the chain model takes its observations from, in order of preference. */
export interface ModelSource {
  suite: string;
  where: Partial<Point>;
  /** Metric holding the round-trip latency of one update (seconds). */
  latency: string;
  /** Metric holding pipelined updates per second. */
  throughput: string;
}

/** What bench/suites/index.ts exports. */
export interface SuiteRegistry {
  suites: readonly string[];
  targets: readonly TargetDef[];
  modelSources: readonly ModelSource[];
}

export interface BenchOptions {
  /** Suite names (default: all). */
  suites?: readonly string[];
  quick: boolean;
  out: string;
  reps?: number;
  warmup?: number;
  /** `key=v1,v2` grid overrides. */
  sets?: readonly string[];
  /** Directory of the compiled suites (default: dist/bench/suites beside this build). */
  suitesDir?: string;
  /** The command line, for the report. */
  command: string;
  progress?: Progress;
  /** Progress/log stream (default stderr). */
  stream?: NodeJS.WriteStream;
  /**
   * Run every point from a private copy of the build, so a rebuild of dist/
   * during a long run (other people compiling on a shared machine) cannot
   * change the code under measurement half-way.
   */
  snapshot?: boolean;
}

export interface BenchRun {
  results: PointResult[];
  targets: TargetResult[];
  /** Chain models fitted to this run (MODELS, not measurements), preferred first. */
  models: ChainModel[];
  outDir: string;
  failed: number;
}

export function defaultSuitesDir(): string {
  return fileURLToPath(new URL('../../bench/suites/', import.meta.url));
}

export async function loadRegistry(dir: string): Promise<{ registry: SuiteRegistry; suites: Map<string, SuiteDef>; files: Map<string, string> }> {
  const registry = (await import(pathToFileURL(join(dir, 'index.js')).href)) as SuiteRegistry;
  const suites = new Map<string, SuiteDef>();
  const files = new Map<string, string>();
  for (const name of registry.suites) {
    const file = join(dir, `${name}.js`);
    const mod = (await import(pathToFileURL(file).href)) as { default: SuiteDef };
    if (mod.default?.name !== name) throw new TypeError(`${file}: default export must be the suite named ${name}`);
    suites.set(name, mod.default);
    files.set(name, file);
  }
  return { registry, suites, files };
}

/** The grid a run sweeps: the quick grid (default: first value of each key) or the full one, then --set. */
export function gridFor(suite: SuiteDef, quick: boolean, sets: readonly string[]): Point[] {
  let grid = suite.grid;
  if (quick) grid = suite.quickGrid ?? Object.fromEntries(Object.entries(suite.grid).map(([k, v]) => [k, v.slice(0, 1)]));
  // `--set key=v,...` applies to every suite having `key`; `--set suite.key=v,...` to that suite only.
  const mine: string[] = [];
  for (const set of sets) {
    const m = /^(?:([\w-]+)\.)?([A-Za-z_][\w-]*)=(.*)$/.exec(set);
    if (m === null) throw new RangeError(`--set ${JSON.stringify(set)}: expected [suite.]key=value[,value...]`);
    if (m[1] !== undefined && m[1] !== suite.name) continue;
    if (m[1] === undefined && !(m[2]! in suite.grid)) continue;
    mine.push(`${m[2]}=${m[3]}`);
  }
  return expandGrid(applySets({ ...suite.grid, ...grid }, mine, suite.name), suite.exclude);
}

/** The shared captures and tools (../shared beside the checkout), passed to children run from a snapshot. */
export function sharedDir(): string {
  return process.env['ARPEMU_SHARED'] ?? fileURLToPath(new URL('../../../../shared/', import.meta.url));
}

/**
 * Copy dist/ (with package.json and a node_modules link) to a temporary
 * directory; returns the copy's root. Children then load only the copy.
 */
export function snapshotBuild(): string {
  const dist = fileURLToPath(new URL('../../', import.meta.url));
  const root = join(dist, '..');
  const snap = mkdtempSync(join(tmpdir(), 'arpemu-bench-build-'));
  cpSync(dist, join(snap, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  copyFileSync(join(root, 'package.json'), join(snap, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(snap, 'node_modules'), 'dir');
  return snap;
}

function runChild(childPath: string, file: string, suite: SuiteDef, req: ChildRequest, onLog: (m: string) => void): Promise<Extract<ChildMessage, { type: 'result' }>> {
  return new Promise((resolve) => {
    const child = fork(childPath, [], {
      execArgv: suite.nodeArgs ?? [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ARPEMU_SHARED: sharedDir() },
    });
    let stderr = '';
    let result: Extract<ChildMessage, { type: 'result' }> | undefined;
    child.stdout?.on('data', () => {});
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const timer = setTimeout(() => {
      result ??= { type: 'result', status: 'failed', reason: `timed out after ${suite.timeoutSec ?? 300} s`, samples: [] };
      child.kill('SIGKILL');
    }, (suite.timeoutSec ?? 300) * 1000);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'log') onLog(m.message);
      else result = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      resolve(result ?? { type: 'result', status: 'failed', reason: `child exited (${signal ?? code}) without a result${tail === '' ? '' : ': ' + tail}`, samples: [] });
    });
    child.send({ ...req, suiteFile: file });
  });
}

function metricsOf(suite: SuiteDef, samples: readonly RepSample[]): Record<string, MetricResult> {
  const out: Record<string, MetricResult> = {};
  for (const md of suite.metrics) {
    const xs = samples.map((s) => s[md.name]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (xs.length === 0) continue;
    out[md.name] = { ...summarize(xs), unit: md.unit, better: md.better, samples: xs };
  }
  return out;
}

/** Fill in every result's ratios against the suite's baselines (medians over medians). */
export function computeRatios(suite: SuiteDef, results: PointResult[]): void {
  for (const r of results) {
    if (r.status !== 'ok') continue;
    for (const b of suite.baselines) {
      const bp = baselineOf(r.point, b);
      if (samePoint(bp, r.point)) continue;
      const base = results.find((x) => x.status === 'ok' && samePoint(x.point, bp));
      if (base === undefined) continue;
      const ratios: Record<string, number> = {};
      for (const [name, m] of Object.entries(r.metrics)) {
        const bm = base.metrics[name];
        if (bm !== undefined && bm.median !== 0) ratios[name] = m.median / bm.median;
      }
      r.ratios[baselineLabel(b)] = ratios;
    }
  }
}

export interface FittedModel { model: ChainModel; observed: ChainObservation[] }

/** A chain model from every source with measurements at 2+ CPU counts (in the registry's order of preference). */
export function modelsFrom(results: readonly PointResult[], sources: readonly ModelSource[], cores: number): { models: FittedModel[]; note: string } {
  const notes: string[] = [];
  const models: FittedModel[] = [];
  for (const src of sources) {
    const ok = results.filter((r) => r.suite === src.suite && r.status === 'ok' && matches(r.point, src.where));
    const observed: ChainObservation[] = [];
    for (const r of ok) {
      const lat = r.metrics[src.latency]?.median, thr = r.metrics[src.throughput]?.median;
      if (typeof r.point['cpus'] === 'number' && lat !== undefined && thr !== undefined) observed.push({ cpus: r.point['cpus'], latency: lat, throughput: thr });
    }
    if (new Set(observed.map((o) => o.cpus)).size >= 2) {
      const label = `${src.suite} (${pointLabel(src.where as Point)}; ${src.latency} and ${src.throughput}, medians)`;
      models.push({ model: fitChainModel(observed, cores, label, undefined, src.suite), observed: observed.sort((a, b) => a.cpus - b.cpus) });
    } else notes.push(`${src.suite}: ${observed.length} usable point(s)`);
  }
  return { models, note: models.length > 0 ? '' : `No model: it needs chain measurements at two or more CPU counts (${notes.join('; ') || 'no source suite ran'}).` };
}

export async function runBench(opts: BenchOptions): Promise<BenchRun> {
  const t0 = Date.now();
  const snap = opts.snapshot === true ? snapshotBuild() : undefined;
  const dir = snap !== undefined ? join(snap, 'dist', 'bench', 'suites') : opts.suitesDir ?? defaultSuitesDir();
  const childPath = snap !== undefined ? join(snap, 'dist', 'src', 'bench', 'child.js') : fileURLToPath(new URL('./child.js', import.meta.url));
  try {
    return await runIn(opts, t0, dir, childPath, snap);
  } finally {
    if (snap !== undefined) rmSync(snap, { recursive: true, force: true });
  }
}

async function runIn(opts: BenchOptions, t0: number, dir: string, childPath: string, snap: string | undefined): Promise<BenchRun> {
  const { registry, suites, files } = await loadRegistry(dir);
  const names = opts.suites === undefined || opts.suites.length === 0 ? [...registry.suites] : [...opts.suites];
  for (const n of names) if (!suites.has(n)) throw new RangeError(`--suite ${n}: no such suite (have ${registry.suites.join(', ')})`);
  const sets = opts.sets ?? [];
  for (const set of sets) {
    const m = /^(?:([\w-]+)\.)?([A-Za-z_][\w-]*)=/.exec(set);
    const used = m !== null && names.some((n) => (m[1] === undefined || m[1] === n) && m[2]! in suites.get(n)!.grid);
    if (!used) throw new RangeError(`--set ${set}: no selected suite has that parameter`);
  }
  const plan = names.map((n) => ({ suite: suites.get(n)!, points: gridFor(suites.get(n)!, opts.quick, sets) }));
  const total = plan.reduce((a, p) => a + p.points.length, 0);
  const progress = opts.progress ?? new Progress({ total, ...(opts.stream === undefined ? {} : { stream: opts.stream }) });

  mkdirSync(join(opts.out, 'charts'), { recursive: true });
  const jsonl = join(opts.out, 'results.jsonl');
  writeFileSync(jsonl, '');
  const machine = machineInfo();
  const loadStart = loadAverage();
  const all: PointResult[] = [];
  let failed = 0;

  for (const { suite, points } of plan) {
    progress.note(`== ${suite.name}: ${suite.title} (${points.length} point${points.length === 1 ? '' : 's'})`);
    const results: PointResult[] = [];
    for (const point of points) {
      const label = `${suite.name} ${pointLabel(point)}`;
      progress.start(label);
      const reps = opts.reps ?? (opts.quick ? suite.quickReps ?? 3 : suite.reps ?? 5);
      const warmup = opts.warmup ?? suite.warmup ?? 1;
      const loadavg = loadAverage();
      const date = new Date().toISOString();
      const p0 = Date.now();
      const res = await runChild(childPath, files.get(suite.name)!, suite, { type: 'run', suiteFile: '', point, quick: opts.quick, warmup, reps }, (m) => progress.note(`  ${suite.name}: ${m}`));
      const r: PointResult = {
        suite: suite.name, point, status: res.status, metrics: metricsOf(suite, res.samples), ratios: {},
        warmup, reps, machine, loadavg, date, seconds: (Date.now() - p0) / 1000, quick: opts.quick,
        ...(res.reason === undefined ? {} : { reason: res.reason }),
        ...(res.info === undefined ? {} : { info: res.info }),
      };
      if (r.status === 'failed') failed++;
      results.push(r);
      const pm = r.metrics[suite.primary];
      progress.finish(r.status !== 'ok' ? `${label}: ${r.status}: ${r.reason ?? ''}`
        : `${label}: ${suite.primary} ${formatValue(pm?.median, pm?.unit ?? '')}${pm === undefined ? '' : ` ±${(relativeSpread(pm) * 50).toFixed(0)}%`}`);
    }
    computeRatios(suite, results);
    appendFileSync(jsonl, results.map((r) => JSON.stringify(r)).join('\n') + (results.length > 0 ? '\n' : ''));
    all.push(...results);
  }
  progress.end();
  if (snap !== undefined) progress.note(`(measured from a snapshot of the build taken at the start: ${snap})`);
  const meta: RunMeta = {
    command: opts.command, date: new Date(t0).toISOString(), machine, loadStart, loadEnd: loadAverage(),
    quick: opts.quick, seconds: (Date.now() - t0) / 1000,
  };
  const { targets, models } = writeReports(opts.out, meta, registry, names.map((n) => suites.get(n)!), all);
  return { results: all, targets, models, outDir: opts.out, failed };
}

/** Targets, models, summary.md, report.html, charts/ and the JSON side files of a set of results. */
function writeReports(out: string, meta: RunMeta, registry: SuiteRegistry, ran: SuiteDef[], all: PointResult[]): { targets: TargetResult[]; models: ChainModel[] } {
  const byName = new Map(ran.map((s) => [s.name, s]));
  const targets = evaluateTargets(registry.targets.filter((t) => byName.has(t.suite)), all, byName);
  const { models, note } = modelsFrom(all, registry.modelSources, meta.machine.cores);
  const report = buildReport({ meta, suites: ran, results: all, targets, models, modelNote: note });
  mkdirSync(join(out, 'charts'), { recursive: true });
  for (const c of report.charts) writeFileSync(join(out, 'charts', `${c.id}.svg`), c.svg + '\n');
  writeFileSync(join(out, 'summary.md'), renderMarkdown(report.blocks));
  writeFileSync(join(out, 'report.html'), renderHtml(report.blocks, 'arpemu bench'));
  writeFileSync(join(out, 'targets.json'), JSON.stringify(targets, null, 2) + '\n');
  if (models.length > 0) writeFileSync(join(out, 'model.json'), JSON.stringify(models.map((m) => ({ label: 'MODEL (fitted, not measured)', ...m.model })), null, 2) + '\n');
  return { targets, models: models.map((m) => m.model) };
}

/**
 * Rebuild the reports of an earlier run from its results.jsonl (after a
 * change of the report code, or to merge runs): nothing is measured again.
 */
export async function reportFromResults(file: string, out: string, suitesDir: string = defaultSuitesDir()): Promise<BenchRun> {
  const { registry, suites } = await loadRegistry(suitesDir);
  const all = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as PointResult);
  if (all.length === 0) throw new RangeError(`--from ${file}: no results in it`);
  const names = registry.suites.filter((n) => all.some((r) => r.suite === n));
  const first = all[0]!, last = all[all.length - 1]!;
  const meta: RunMeta = {
    command: `${first.quick ? 'arpemu bench --quick' : 'arpemu bench'} (reports rebuilt from ${file})`,
    date: first.date, machine: first.machine, loadStart: first.loadavg, loadEnd: last.loadavg, quick: first.quick,
    seconds: (Date.parse(last.date) - Date.parse(first.date)) / 1000 + last.seconds,
  };
  const { targets, models } = writeReports(out, meta, registry, names.map((n) => suites.get(n)!), all);
  return { results: all, targets, models, outDir: out, failed: all.filter((r) => r.status === 'failed').length };
}
