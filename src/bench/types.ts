/**
 * The shapes of `arpemu bench`: a suite is a named experiment over a grid of
 * parameters (node's benchmark/ style); each point of the grid runs in a
 * child process of its own and reports repetitions of its metrics; the
 * parent turns them into statistics, ratios against the suite's baselines,
 * JSON lines, charts and reports.
 */

export type ParamValue = number | string | boolean;
/** One configuration of a suite: a value for every grid key. */
export type Point = Record<string, ParamValue>;
/** Values to sweep, per key; the points are the cartesian product in key order. */
export type Grid = Record<string, readonly ParamValue[]>;

export interface MetricDef {
  /** Key in each repetition's sample. */
  name: string;
  unit: string;
  better: 'higher' | 'lower';
  /** Longer human label (default: name). */
  label?: string;
}

/** One repetition's measurements, by metric name. */
export type RepSample = Record<string, number>;

/** What a suite's setup returns for one point; the harness drives it. */
export interface PointRunner {
  /** One repetition (warm-up repetitions call it too and are discarded). */
  rep(): Promise<RepSample> | RepSample;
  /** Facts about the point worth recording (counts, sizes, what was measured). */
  info?(): Record<string, unknown>;
  close?(): Promise<void> | void;
}

export interface SuiteContext {
  quick: boolean;
  /** Progress or diagnostic line (goes to the parent's log, not the measurement). */
  log(message: string): void;
}

export interface ChartDef {
  /** File name stem (svg) and anchor. */
  id: string;
  title: string;
  /** Grid key on the x axis. */
  x: string;
  xLog?: boolean;
  /** Metrics plotted (one series per metric and per value of `series` keys). */
  y: string[];
  yLog?: boolean;
  yLabel?: string;
  /** Grid keys whose values split the points into series. */
  series?: string[];
  /** Only points matching these values. */
  where?: Partial<Point>;
  /** Add the fitted chain model's curve for this quantity (dashed, labelled model). */
  model?: 'latency' | 'throughput';
}

export interface SuiteDef {
  name: string;
  title: string;
  /** One paragraph: what is measured, how, and what the baseline is. */
  description: string;
  grid: Grid;
  /** `--quick` replaces the values of the keys it names (without it: the first value of every key). */
  quickGrid?: Grid;
  /** Points of the product that make no sense (e.g. busy-polling on a MessagePort). */
  exclude?(p: Point): boolean;
  /**
   * Baselines measured in the same run: each is a partial point; the
   * baseline of point p is p with these values substituted. Ratios of every
   * metric are reported against each baseline found.
   */
  baselines: Partial<Point>[];
  metrics: MetricDef[];
  /** The metric charts and summaries lead with. */
  primary: string;
  warmup?: number;
  reps?: number;
  quickReps?: number;
  /** Extra node flags for the child (e.g. --expose-gc). */
  nodeArgs?: string[];
  /** Seconds before a point is killed (default 300). */
  timeoutSec?: number;
  /**
   * Why this point cannot run here (missing implementation, not root...), or
   * undefined. Called in the child before setup; setup may also throw
   * BenchUnavailable.
   */
  unavailable?(p: Point, ctx: SuiteContext): Promise<string | undefined> | string | undefined;
  setup(p: Point, ctx: SuiteContext): Promise<PointRunner> | PointRunner;
  charts?: ChartDef[];
  /** Extra tables for the summary, built from the suite's results (e.g. what a point kept in its info). */
  details?(results: readonly PointResult[]): DetailTable[];
}

/** A table a suite adds to the summary beside its results. */
export interface DetailTable {
  title: string;
  head: string[];
  rows: string[][];
}

/** Thrown by a suite's setup when the point cannot run here; the reason is reported, not an error. */
export class BenchUnavailable extends Error {
  readonly code = 'ERR_BENCH_UNAVAILABLE';
  constructor(reason: string) {
    super(reason);
    this.name = 'BenchUnavailable';
  }
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  mean: number;
  n: number;
}

export interface MetricResult extends Stats {
  unit: string;
  better: 'higher' | 'lower';
  samples: number[];
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
  arch: string;
  totalMemGiB: number;
  hostname: string;
}

export type PointStatus = 'ok' | 'unavailable' | 'failed';

/** One JSON line of results.jsonl. */
export interface PointResult {
  suite: string;
  point: Point;
  status: PointStatus;
  /** Why unavailable or failed. */
  reason?: string;
  metrics: Record<string, MetricResult>;
  /** ratios[baselineLabel][metric] = median(this) / median(baseline). */
  ratios: Record<string, Record<string, number>>;
  warmup: number;
  reps: number;
  /** What the suite recorded about the point; `notes[metric]` says why a metric has no value. */
  info?: Record<string, unknown>;
  machine: MachineInfo;
  /** 1, 5, 15 minute load averages when the point started. */
  loadavg: number[];
  date: string;
  seconds: number;
  quick: boolean;
}

/** A target of an earlier issue's "Speed" section, checked against a run. */
export interface TargetDef {
  issue: number;
  text: string;
  suite: string;
  /** The point(s) that measure it (subset match); the first match in grid order is used. */
  where: Partial<Point>;
  metric: string;
  /** Compare the ratio against this baseline (index into the suite's baselines) instead of the value. */
  ratioOf?: number;
  /** Absent: reported, no threshold. */
  op?: '>=' | '<=';
  value?: number;
  /** Stated unit of value (for display). */
  unit: string;
}

export type TargetVerdict = 'met' | 'not met' | 'reported' | 'not measured';

export interface TargetResult {
  target: TargetDef;
  verdict: TargetVerdict;
  measured?: number;
  spread?: [number, number];
  note?: string;
}

/** What the analytic model printed beside the chain measurements. */
export interface ChainModel {
  /** Suite the observations came from. */
  suite: string;
  source: string;
  /** Caveat of the fit (e.g. a slope not resolved by the measurements). */
  note?: string;
  /** latency(n) = a + b n (seconds), least squares. */
  a: number;
  b: number;
  r2: number;
  /** Seconds per update of the slowest stage (one core per CPU). */
  stage: number;
  /** CPU seconds one stage spends on one update (cores shared). */
  work: number;
  /** Cores of this machine. */
  cores: number;
  points: { cpus: number; latency: number; throughput: number; throughputHere: number }[];
}
