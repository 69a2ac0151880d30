/**
 * hops: the update chain's transport, measured on real threads. N worker
 * threads in a line, each holding its own ARP replica; an update record
 * enters at the first, each stage applies it (arpUpdateOnCpu) and forwards
 * it, the last returns it to the main thread (DragonFly's
 * arp_update_msghandler chain, without netisr and input decisions). This is
 * a model of the chain built from the real pieces (replica, ring), usable
 * before the Emulator's threaded chain exists; the chain suite measures that.
 *
 * Per point: pipelined throughput (a window of updates in flight) and the
 * round trip of one update at a time (p50/p90/p99), over the `port`
 * transport (a MessagePort message per update: the baseline) and `ring`
 * (SharedArrayBuffer rings, batched, doorbell wake-ups; `spin` busy-polls a
 * bounded number of iterations before sleeping).
 */
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Ring } from '../../src/cpu/ring.js';
import { latencyMetrics } from '../../src/bench/measure.js';
import type { Point, RepSample, SuiteDef } from '../../src/bench/types.js';
import { HOP_LEN, HOP_RECORD, type HopWorkerData } from './lib/hop-proto.js';
import { hostMac } from './lib/replica.js';

const HOSTS = 4096;
const WINDOW = 1024;
const SPIN = 20_000;
const TWO32 = 2 ** 32;

interface Chain {
  /** Pipelined: `total` updates with up to WINDOW in flight; returns seconds. */
  throughput(total: number): Promise<number>;
  /** One update at a time: round-trip seconds of each. */
  latency(count: number): Promise<Float64Array>;
  close(): Promise<void>;
}

function workerUrl(): URL { return new URL('./lib/hop-worker.js', import.meta.url); }

async function started(w: Worker): Promise<void> {
  await new Promise<void>((resolve, reject) => { w.once('online', resolve); w.once('error', reject); });
}

async function portChain(n: number): Promise<Chain> {
  const channels = Array.from({ length: n + 1 }, () => new MessageChannel());
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const data: HopWorkerData = { cpu: i, transport: 'port', spin: 0, hosts: HOSTS, inPort: channels[i]!.port2, outPort: channels[i + 1]!.port1 };
    workers.push(new Worker(workerUrl(), { workerData: data, transferList: [channels[i]!.port2, channels[i + 1]!.port1] }));
  }
  await Promise.all(workers.map(started));
  const first: MessagePort = channels[0]!.port1, last: MessagePort = channels[n]!.port2;
  const msg = (seq: number): number[] => { const h = seq % HOSTS; const mac = hostMac(h); return [seq, h, Math.floor(mac / TWO32), mac % TWO32]; };
  // Let every stage finish building its replica: one round trip.
  await new Promise<void>((resolve) => { last.once('message', () => resolve()); first.postMessage(msg(0)); });
  return {
    throughput: (total) => new Promise((resolve) => {
      let sent = 0, done = 0;
      const t0 = performance.now();
      last.on('message', function onMsg() {
        done++;
        if (sent < total) first.postMessage(msg(sent++));
        if (done === total) { last.off('message', onMsg); resolve((performance.now() - t0) / 1000); }
      });
      while (sent < Math.min(WINDOW, total)) first.postMessage(msg(sent++));
    }),
    latency: (count) => new Promise((resolve) => {
      const out = new Float64Array(count);
      let i = 0, t0 = 0;
      last.on('message', function onMsg() {
        out[i++] = (performance.now() - t0) / 1000;
        if (i === count) { last.off('message', onMsg); resolve(out); return; }
        t0 = performance.now(); first.postMessage(msg(i));
      });
      t0 = performance.now(); first.postMessage(msg(0));
    }),
    close: async () => { for (const c of channels) { c.port1.close(); c.port2.close(); } await Promise.all(workers.map((w) => w.terminate())); },
  };
}

async function ringChain(n: number, spin: number): Promise<Chain> {
  const rings = Array.from({ length: n + 1 }, () => Ring.create(1 << 16));
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const data: HopWorkerData = { cpu: i, transport: 'ring', spin, hosts: HOSTS, inSab: rings[i]!.sab, outSab: rings[i + 1]!.sab };
    workers.push(new Worker(workerUrl(), { workerData: data }));
  }
  await Promise.all(workers.map(started));
  const first = rings[0]!, last = rings[n]!;
  const f32 = first.i32;
  let done = 0;
  let stamp = 0;
  const lat: { out: Float64Array | null; i: number } = { out: null, i: 0 };
  const onDone = (): void => {
    done++;
    if (lat.out !== null) lat.out[lat.i++] = (performance.now() - stamp) / 1000;
  };
  const write = (seq: number): boolean => {
    const o = first.reserve(HOP_LEN, HOP_RECORD);
    if (o < 0) return false;
    const w = o >> 2, h = seq % HOSTS, mac = hostMac(h);
    f32[w] = seq; f32[w + 1] = h; f32[w + 2] = Math.floor(mac / TWO32); f32[w + 3] = mac % TWO32;
    first.commit();
    return true;
  };
  /** Send `total` updates, at most `window` in flight, until all came back. */
  const pump = async (total: number, window: number): Promise<void> => {
    let sent = 0;
    done = 0;
    while (done < total) {
      let wrote = false;
      while (sent < total && sent - done < window) {
        if (window === 1) stamp = performance.now();
        if (!write(sent)) break;
        sent++; wrote = true;
      }
      if (wrote) first.publish();
      if (last.poll(onDone) === 0) {
        const p = last.sleep(spin);
        if (p !== undefined) await p;
      }
    }
  };
  await pump(1, 1); // every stage has built its replica
  return {
    throughput: async (total) => { const t0 = performance.now(); await pump(total, WINDOW); return (performance.now() - t0) / 1000; },
    latency: async (count) => { lat.out = new Float64Array(count); lat.i = 0; await pump(count, 1); const out = lat.out; lat.out = null; return out; },
    close: async () => { for (const r of rings) r.close(); await Promise.all(workers.map((w) => w.terminate())); },
  };
}

const suite: SuiteDef = {
  name: 'hops',
  title: 'update chain over real threads: port vs ring transport',
  description: 'N worker threads in a line, each with its own replica: an update enters the first, every stage applies it with arpUpdateOnCpu and forwards it, the last returns it ' +
    '(the chain of arp_update_msghandler, without netisr or input decisions; a model built from the real replica and ring code). rate: pipelined updates/s with up to ' +
    `${WINDOW} in flight; lat_*: round trip of one update at a time; hop_p50 = lat_p50 / (N + 1) (N + 1 message hops). Baselines: the MessagePort transport, and one CPU. ` +
    'On a 2-core machine, beyond 2 CPUs the stages share cores (and the main thread): the curve then shows time-sharing, not the design.',
  grid: { cpus: [1, 2, 4, 8], transport: ['port', 'ring'], wake: ['wait', 'spin'] },
  quickGrid: { cpus: [1, 2, 4], wake: ['wait'] },
  exclude: (p: Point) => p['transport'] === 'port' && p['wake'] === 'spin',
  baselines: [{ transport: 'port', wake: 'wait' }, { cpus: 1 }],
  metrics: [
    { name: 'rate', unit: 'updates/s', better: 'higher', label: 'pipelined updates/s' },
    { name: 'lat_p50', unit: 's', better: 'lower', label: 'round trip p50' },
    { name: 'lat_p90', unit: 's', better: 'lower', label: 'p90' },
    { name: 'lat_p99', unit: 's', better: 'lower', label: 'p99' },
    { name: 'hop_p50', unit: 's', better: 'lower', label: 'per hop p50' },
  ],
  primary: 'rate',
  warmup: 1,
  reps: 5,
  timeoutSec: 240,
  async setup(p, ctx) {
    const n = p['cpus'] as number;
    const ring = p['transport'] === 'ring';
    const chain = ring ? await ringChain(n, p['wake'] === 'spin' ? SPIN : 0) : await portChain(n);
    const total = ctx.quick ? (ring ? 100_000 : 20_000) : (ring ? 400_000 : 60_000);
    const count = ctx.quick ? 500 : 3000;
    return {
      async rep(): Promise<RepSample> {
        const secs = await chain.throughput(total);
        const lat = await chain.latency(count);
        const l = latencyMetrics(lat, 'lat_');
        return { rate: total / secs, ...l, hop_p50: l['lat_p50']! / (n + 1) };
      },
      info: () => ({ updatesPerRep: total, roundTripsPerRep: count, window: WINDOW, hosts: HOSTS }),
      close: () => chain.close(),
    };
  },
  charts: [
    { id: 'throughput', title: 'Pipelined chain throughput vs CPUs', x: 'cpus', xLog: true, y: ['rate'], series: ['transport', 'wake'], yLog: true, model: 'throughput' },
    { id: 'latency', title: 'Round trip of one update vs CPUs (p50, p99)', x: 'cpus', xLog: true, y: ['lat_p50', 'lat_p99'], series: ['transport', 'wake'], yLog: true, yLabel: 'round trip (s)' },
  ],
};
export default suite;
