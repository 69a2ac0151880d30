/**
 * chain: update throughput and latency through the real per-CPU machinery
 * (src/cpu ThreadedEmulator: netisr worker, N CPU workers, the update chain
 * or its alternatives). Every frame is a request for our address from a
 * known neighbour: netisr checks it and hands it to CPU0, in_arpinput
 * decides, the update visits every replica (chain: CPU0..CPUn-1 in turn;
 * fanout: all at once; shared: one table), and the reply goes out after the
 * chain replied (the seed's synchronous lwkt_domsg).
 */
import { performance } from 'node:perf_hooks';
import { latencyMetrics, latencySamples, wallSeconds } from '../../src/bench/measure.js';
import { BenchUnavailable, type Point, type PointRunner, type RepSample, type SuiteDef } from '../../src/bench/types.js';
import type { Emulator } from '../../src/cpu/emulator.js';
import { MY_IP } from './lib/replica.js';
import { IFACE, configure, createBenchEmulator, feed, requestsForUs } from './lib/emu.js';

const SENDERS = 4096;
/** vemu0's index: lo0 is 1 (configure() attaches vemu0 right after). */
const IFINDEX = 2;
export const SPIN = 20_000;

interface BenchHooks {
  injectUpdates?(count: number, opts: { ifindex: number; net: number; hosts: number }): Promise<number>;
  ping?(hops: number): Promise<number>;
}

/**
 * Updates straight into CPU0 (no netisr, no reply) and ping latency, through
 * the emulator's benchmark hooks. The interface is configured first: an
 * update for an interface no replica has is dropped on arrival, which would
 * time nothing.
 */
async function injectRunner(emu: Emulator & BenchHooks, cpus: number, quick: boolean): Promise<PointRunner> {
  const inject = emu.injectUpdates?.bind(emu), ping = emu.ping?.bind(emu);
  if (inject === undefined || ping === undefined) {
    await emu.close();
    throw new BenchUnavailable('this build\'s ThreadedEmulator has no injectUpdates()/ping() benchmark hooks');
  }
  await configure(emu);
  const opts = { ifindex: IFINDEX, net: MY_IP & 0xff000000, hosts: SENDERS };
  // Every sender gets its entry on every replica: the measured updates are refreshes, as with frames.
  await inject(SENDERS, opts);
  const d = await emu.dump();
  const short = d.cpus.filter((c) => c.arp.length < SENDERS);
  if (short.length > 0) throw new Error(`injected updates not applied: CPU${short[0]!.cpu} holds ${short[0]!.arp.length} of ${SENDERS} entries`);
  const total = quick ? 50_000 : 200_000;
  const count = quick ? 300 : 1500;
  return {
    async rep(): Promise<RepSample> {
      const secs = await inject(total, opts);
      const lat = await latencySamples(count, () => ping(cpus - 1));
      return { rate: total / secs, ...latencyMetrics(lat, 'lat_') };
    },
    info: () => ({ updatesPerRep: total, pingsPerRep: count, senders: SENDERS }),
    close: () => emu.close(),
  };
}

const suite: SuiteDef = {
  name: 'chain',
  title: 'update chain through the Emulator (netisr + N CPU workers)',
  description: 'Requests for our address from 4096 known neighbours fed to the ThreadedEmulator (each: netisr checks, in_arpinput on CPU0, the update applied on every replica, ' +
    'the reply sent after the chain replied). rate: pipelined updates/s (frames fed in slices of 4096, then quiescence, replies counted); lat_*: one frame at a time, from input to ' +
    'its reply reaching the supervisor (netisr, CPU0, the whole chain, the reply up); quiesce_p50: to quiescence (all in-flight records accounted for). Strategies: chain (DragonFly), fanout (all replicas at once), shared (one table, the non-replicated baseline). ' +
    'entry=inject: the same updates (4096 senders, entries existing) written straight into CPU0\'s channel as in_arpinput submits them (ThreadedEmulator.injectUpdates, ' +
    'with backpressure; no netisr, no reply), latency from ping(n - 1): one record main -> CPU0 -> ... -> CPU(n-1) -> main, the chain\'s own cost. ' +
    'Transports: port-msg (a MessagePort message per record: the baseline issue 6 names), port (MessagePort, records batched per flush), ring (SharedArrayBuffer rings). ' +
    'Baselines: the per-record MessagePort, the batched one, and one CPU. With N CPU workers + netisr + the main thread on 2 cores, every point beyond 1 CPU time-shares.',
  grid: { entry: ['frames', 'inject'], cpus: [1, 2, 4, 8], strategy: ['chain', 'fanout', 'shared'], transport: ['port-msg', 'port', 'ring'], wake: ['wait', 'spin'] },
  quickGrid: { cpus: [1, 2, 4], strategy: ['chain'], transport: ['port-msg', 'ring'], wake: ['wait'] },
  // Busy-polling only on rings and along the chain; injected updates only along the chain (the hooks write CPU0's channel);
  // the unbatched port only along the chain (it is the transport baseline, not a design).
  exclude: (p: Point) => (p['wake'] === 'spin' && (p['transport'] !== 'ring' || p['strategy'] !== 'chain')) ||
    (p['entry'] === 'inject' && p['strategy'] !== 'chain') || (p['transport'] === 'port-msg' && p['strategy'] !== 'chain'),
  baselines: [{ transport: 'port-msg', wake: 'wait' }, { transport: 'port', wake: 'wait' }, { cpus: 1 }, { wake: 'wait' }],
  metrics: [
    { name: 'rate', unit: 'updates/s', better: 'higher', label: 'pipelined updates/s' },
    { name: 'lat_p50', unit: 's', better: 'lower', label: 'latency p50' },
    { name: 'lat_p90', unit: 's', better: 'lower', label: 'p90' },
    { name: 'lat_p99', unit: 's', better: 'lower', label: 'p99' },
    { name: 'quiesce_p50', unit: 's', better: 'lower', label: 'to quiescence p50' },
  ],
  primary: 'rate',
  warmup: 1,
  reps: 5,
  timeoutSec: 300,
  async setup(p, ctx) {
    const emu = await createBenchEmulator({
      impl: 'threaded', cpus: p['cpus'] as number, strategy: p['strategy'] as 'chain', transport: p['transport'] as 'ring' | 'port' | 'port-msg',
      spin: p['wake'] === 'spin' ? SPIN : 0, lockstep: false,
    });
    if (p['entry'] === 'inject') return injectRunner(emu, p['cpus'] as number, ctx.quick);
    let replies = 0;
    let lastTx = 0;
    emu.onTransmit(() => { replies++; lastTx = performance.now(); });
    await configure(emu);
    const frames = requestsForUs(SENDERS);
    await feed(emu, frames, SENDERS); // every neighbour has an entry: updates are refreshes
    const total = ctx.quick ? 20_000 : (p['transport'] === 'ring' ? 100_000 : 40_000);
    const count = ctx.quick ? 300 : 1500;
    return {
      async rep(): Promise<RepSample> {
        const before = replies;
        const secs = await wallSeconds(() => feed(emu, frames, total));
        if (replies - before < total) throw new Error(`${total - (replies - before)} of ${total} requests not answered`);
        const quiet = new Float64Array(count);
        const lat = await latencySamples(count, async (i) => {
          const s = performance.now();
          lastTx = 0;
          emu.input(IFACE, frames[i % SENDERS]!);
          await emu.quiesce();
          const e = performance.now();
          quiet[i] = (e - s) / 1000;
          return ((lastTx === 0 ? e : lastTx) - s) / 1000;
        });
        return { rate: total / secs, ...latencyMetrics(lat, 'lat_'), quiesce_p50: latencyMetrics(quiet)['p50']! };
      },
      info: () => ({ updatesPerRep: total, roundTripsPerRep: count, senders: SENDERS }),
      close: () => emu.close(),
    };
  },
  charts: [
    { id: 'throughput', title: 'Update throughput vs CPUs, frames through netisr (Emulator)', x: 'cpus', xLog: true, y: ['rate'], series: ['strategy', 'transport', 'wake'], where: { entry: 'frames' } },
    { id: 'inject', title: 'Chain throughput vs CPUs, updates injected at CPU0, with the fitted model', x: 'cpus', xLog: true, y: ['rate'], series: ['transport', 'wake'], where: { entry: 'inject' }, yLog: true, model: 'throughput' },
    { id: 'latency', title: 'Update latency percentiles vs CPUs (frames, chain strategy)', x: 'cpus', xLog: true, y: ['lat_p50', 'lat_p90', 'lat_p99'], series: ['transport', 'wake'], where: { entry: 'frames', strategy: 'chain' }, yLog: true, yLabel: 'latency (s)' },
    { id: 'latency-inject', title: 'Chain round trip (ping through n CPUs) percentiles vs CPUs', x: 'cpus', xLog: true, y: ['lat_p50', 'lat_p99'], series: ['transport', 'wake'], where: { entry: 'inject' }, yLog: true, yLabel: 'round trip (s)' },
    { id: 'latency-model', title: 'Chain round trip p50: measured and the fitted model (to 256 CPUs)', x: 'cpus', xLog: true, y: ['lat_p50'], series: ['transport'], where: { entry: 'inject', wake: 'wait' }, yLog: true, model: 'latency', yLabel: 'round trip (s)' },
  ],
};
export default suite;
