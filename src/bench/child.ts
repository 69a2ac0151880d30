/**
 * The child process that measures one point of one suite (forked by the
 * runner with an IPC channel). A process per point: JIT state, GC heap and
 * worker threads of one configuration never leak into the next, and
 * --expose-gc or heap limits can be given per suite.
 *
 * Protocol: the parent sends one ChildRequest; the child answers with log
 * messages and exactly one ChildResult, then exits.
 */
import { pathToFileURL } from 'node:url';
import { BenchUnavailable, type Point, type RepSample, type SuiteContext, type SuiteDef } from './types.js';

export interface ChildRequest {
  type: 'run';
  suiteFile: string;
  point: Point;
  quick: boolean;
  warmup: number;
  reps: number;
}

export type ChildMessage =
  | { type: 'log'; message: string }
  | {
    type: 'result';
    status: 'ok' | 'unavailable' | 'failed';
    reason?: string;
    samples: RepSample[];
    info?: Record<string, unknown>;
  };

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) { process.stdout.write(JSON.stringify(m) + '\n'); resolve(); return; }
    process.send(m, undefined, {}, () => resolve());
  });
}

export async function loadSuite(file: string): Promise<SuiteDef> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: SuiteDef };
  if (mod.default === undefined || typeof mod.default.setup !== 'function') throw new TypeError(`${file} does not export a suite as default`);
  return mod.default;
}

async function run(req: ChildRequest): Promise<ChildMessage> {
  const ctx: SuiteContext = { quick: req.quick, log: (message) => { void send({ type: 'log', message }); } };
  const samples: RepSample[] = [];
  let suite: SuiteDef;
  try {
    suite = await loadSuite(req.suiteFile);
  } catch (e) {
    return { type: 'result', status: 'failed', reason: `loading ${req.suiteFile}: ${(e as Error).message}`, samples };
  }
  try {
    const why = await suite.unavailable?.(req.point, ctx);
    if (why !== undefined) return { type: 'result', status: 'unavailable', reason: why, samples };
    const runner = await suite.setup(req.point, ctx);
    try {
      for (let i = 0; i < req.warmup; i++) await runner.rep();
      for (let i = 0; i < req.reps; i++) samples.push(await runner.rep());
      const info = runner.info?.();
      return { type: 'result', status: 'ok', samples, ...(info === undefined ? {} : { info }) };
    } finally {
      await runner.close?.();
    }
  } catch (e) {
    if (e instanceof BenchUnavailable || (e as { code?: string }).code === 'ERR_BENCH_UNAVAILABLE') {
      return { type: 'result', status: 'unavailable', reason: (e as Error).message, samples };
    }
    const err = e as Error;
    return { type: 'result', status: 'failed', reason: (err.stack ?? err.message).split('\n').slice(0, 4).join(' | '), samples };
  }
}

process.once('message', (msg: ChildRequest) => {
  void (async () => {
    const result = await run(msg);
    await send(result);
    // Suites may leave worker threads or handles behind: the point is over.
    process.exit(0);
  })();
});
