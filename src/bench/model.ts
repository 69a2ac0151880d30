/**
 * A short analytic model of the update chain, fitted to measurements. It is
 * a model, not a measurement: every output carries that label.
 *
 *  - latency: one update visits n CPUs in turn, so its round trip is a fixed
 *    part (input, reply, the hops in and out of the chain) plus one hop and
 *    one apply per CPU: latency(n) ~ a + b n, fitted by least squares.
 *  - throughput: pipelined updates flow like a pipeline whose rate is set by
 *    its slowest stage, 1 / s, when every CPU has a core of its own. With
 *    fewer cores than CPUs the stages share the cores: at most
 *    cores / (n w) updates/s, w being the CPU work one stage spends on one
 *    update. s comes from the runs with n <= cores, w from the runs with
 *    n > cores (or s when there are none).
 */
import { linearFit } from './stats.js';
import type { ChainModel } from './types.js';

export interface ChainObservation {
  cpus: number;
  /** Median round-trip latency of one update, seconds. */
  latency: number;
  /** Median pipelined throughput, updates per second. */
  throughput: number;
}

export const MODEL_CPUS: readonly number[] = [16, 32, 64, 128, 256];

export function fitChainModel(obs: readonly ChainObservation[], cores: number, source: string, predictFor: readonly number[] = MODEL_CPUS, suite = ''): ChainModel {
  const usable = obs.filter((o) => o.cpus >= 1 && o.latency > 0 && o.throughput > 0);
  if (new Set(usable.map((o) => o.cpus)).size < 2) throw new RangeError('fitChainModel: needs measurements at 2 or more CPU counts');
  const fit = linearFit(usable.map((o) => o.cpus), usable.map((o) => o.latency));
  let note: string | undefined;
  if (fit.b < 0) {
    // Latency cannot fall as hops are added: the fixed cost and noise hide the per-hop cost.
    note = `the least-squares slope was negative (${(fit.b * 1e6).toFixed(2)} µs per CPU): the per-CPU cost is below what these measurements resolve, so the model uses slope 0 and the mean latency`;
    fit.a = usable.reduce((x, o) => x + o.latency, 0) / usable.length;
    fit.b = 0;
  }
  const withCores = usable.filter((o) => o.cpus <= cores);
  const first = [...usable].sort((x, y) => x.cpus - y.cpus)[0]!;
  const stage = withCores.length > 0 ? Math.max(...withCores.map((o) => 1 / o.throughput)) : 1 / first.throughput;
  const shared = usable.filter((o) => o.cpus > cores).map((o) => cores / (o.cpus * o.throughput));
  const work = shared.length > 0 ? shared.sort((x, y) => x - y)[shared.length >> 1]! : stage;
  const ns = [...new Set([...usable.map((o) => o.cpus), ...predictFor])].sort((x, y) => x - y);
  return {
    suite,
    source,
    ...(note === undefined ? {} : { note }),
    a: fit.a,
    b: fit.b,
    r2: fit.r2,
    stage,
    work,
    cores,
    points: ns.map((n) => ({
      cpus: n,
      latency: fit.a + fit.b * n,
      throughput: 1 / stage,
      throughputHere: Math.min(1 / stage, cores / (n * work)),
    })),
  };
}
