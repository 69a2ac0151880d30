/**
 * Measuring helpers for suites: wall and process-CPU time of a loop, heap
 * bytes after a full GC, latency samples. Suites run in a child process of
 * their own, so process-wide numbers belong to the point being measured.
 */
import { performance } from 'node:perf_hooks';
import { percentiles } from './stats.js';
import type { RepSample } from './types.js';

/** CPU seconds of this process (user + system, all its threads). */
export function cpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/**
 * Run `body` (which performs `ops` operations) once and return its rates:
 * `rate` per wall second and `cpuRate` per CPU second of this process. On a
 * shared machine the CPU rate is disturbed less by other processes; it
 * includes V8's helper threads (GC), so it is not flattering.
 */
export function timeOps(ops: number, body: () => void): RepSample {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  body();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  return { rate: ops / wall, cpuRate: ops / Math.max(cpu, 1e-9), seconds: wall };
}

export async function timeOpsAsync(ops: number, body: () => Promise<void>): Promise<RepSample> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  await body();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  return { rate: ops / wall, cpuRate: ops / Math.max(cpu, 1e-9), seconds: wall };
}

/** Wall seconds of one awaited operation. */
export async function wallSeconds(body: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await body();
  return (performance.now() - t0) / 1000;
}

/**
 * `count` operations one at a time (one in flight: a latency, not a
 * throughput); `one` resolves with its own measurement in seconds, or with
 * nothing to be timed from the outside.
 */
export async function latencySamples(count: number, one: (i: number) => Promise<number | void>): Promise<Float64Array> {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const own = await one(i);
    out[i] = typeof own === 'number' ? own : (performance.now() - t0) / 1000;
  }
  return out;
}

const gcFn = (globalThis as { gc?: () => void }).gc;

export function hasGc(): boolean { return gcFn !== undefined; }

/** JS heap plus ArrayBuffer backing stores after two full GCs (needs --expose-gc). */
export function heapBytes(): number {
  if (gcFn === undefined) throw new Error('heapBytes needs node --expose-gc');
  gcFn(); gcFn();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** p50/p90/p99/max of latency samples in seconds, as metrics. */
export function latencyMetrics(samples: Float64Array | number[], prefix = ''): RepSample {
  const [p50, p90, p99, max] = percentiles(samples, [0.5, 0.9, 0.99, 1]);
  return { [`${prefix}p50`]: p50!, [`${prefix}p90`]: p90!, [`${prefix}p99`]: p99!, [`${prefix}max`]: max! };
}

/** Seeded xorshift32: deterministic inputs, no allocation. */
export function xorshift32(seed: number): () => number {
  let s = (seed >>> 0) || 0x2545f491;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

/** Keeps results observable so the JIT cannot drop a measured loop. */
export const blackhole = { sink: 0 };
