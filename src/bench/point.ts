/**
 * One point of one suite measured in this process: the suite's setup, its
 * warm-up repetitions (discarded), then the measured ones. The runner's
 * child process does exactly this for every point of `arpemu bench`; the
 * standalone scripts bench/*.bench.ts do it for the points they print, so a
 * measurement exists once, in its suite.
 */
import { summarize } from './stats.js';
import { BenchUnavailable, type Point, type RepSample, type Stats, type SuiteContext, type SuiteDef } from './types.js';

export interface PointOutcome {
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string;
  samples: RepSample[];
  info?: Record<string, unknown>;
}

export interface PointOptions {
  quick: boolean;
  warmup: number;
  reps: number;
  log?(message: string): void;
}

export async function measurePoint(suite: SuiteDef, point: Point, o: PointOptions): Promise<PointOutcome> {
  const ctx: SuiteContext = { quick: o.quick, log: o.log ?? (() => {}) };
  const samples: RepSample[] = [];
  try {
    const why = await suite.unavailable?.(point, ctx);
    if (why !== undefined) return { status: 'unavailable', reason: why, samples };
    const runner = await suite.setup(point, ctx);
    try {
      for (let i = 0; i < o.warmup; i++) await runner.rep();
      for (let i = 0; i < o.reps; i++) samples.push(await runner.rep());
      const info = runner.info?.();
      return { status: 'ok', samples, ...(info === undefined ? {} : { info }) };
    } finally {
      await runner.close?.();
    }
  } catch (e) {
    if (e instanceof BenchUnavailable || (e as { code?: string }).code === 'ERR_BENCH_UNAVAILABLE') {
      return { status: 'unavailable', reason: (e as Error).message, samples };
    }
    const err = e as Error;
    return { status: 'failed', reason: (err.stack ?? err.message).split('\n').slice(0, 4).join(' | '), samples };
  }
}

/** The statistics of one metric over a point's repetitions (for the standalone scripts' lines). */
export function metricStats(o: PointOutcome, metric: string): Stats {
  return summarize(o.samples.map((s) => s[metric]).filter((x): x is number => typeof x === 'number'));
}

/**
 * measurePoint with the suite's own warm-up and repetitions (overridable),
 * throwing when the point did not measure: what a standalone script wants.
 */
export async function measureOrThrow(suite: SuiteDef, point: Point, o: Partial<PointOptions> = {}): Promise<PointOutcome> {
  const quick = o.quick ?? false;
  const res = await measurePoint(suite, point, {
    quick, warmup: o.warmup ?? suite.warmup ?? 1, reps: o.reps ?? (quick ? suite.quickReps ?? 3 : suite.reps ?? 5), ...(o.log === undefined ? {} : { log: o.log }),
  });
  if (res.status !== 'ok') throw new Error(`${suite.name} ${JSON.stringify(point)}: ${res.status}: ${res.reason ?? ''}`);
  return res;
}
