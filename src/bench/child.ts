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
import { measurePoint } from './point.js';
import type { Point, RepSample, SuiteDef } from './types.js';

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

/** The suite a compiled file exports as default. */
export async function loadSuite(file: string): Promise<SuiteDef> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: SuiteDef };
  if (mod.default === undefined || typeof mod.default.setup !== 'function') throw new TypeError(`${file} does not export a suite as default`);
  return mod.default;
}

async function run(req: ChildRequest): Promise<ChildMessage> {
  let suite: SuiteDef;
  try {
    suite = await loadSuite(req.suiteFile);
  } catch (e) {
    return { type: 'result', status: 'failed', reason: `loading ${req.suiteFile}: ${(e as Error).message}`, samples: [] };
  }
  const log = (message: string): void => { void send({ type: 'log', message }); };
  return { type: 'result', ...(await measurePoint(suite, req.point, { quick: req.quick, warmup: req.warmup, reps: req.reps, log })) };
}

process.once('message', (msg: ChildRequest) => {
  void (async () => {
    const result = await run(msg);
    await send(result);
    // Suites may leave worker threads or handles behind: the point is over.
    process.exit(0);
  })();
});
