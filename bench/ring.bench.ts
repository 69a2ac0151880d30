/**
 * Message transports between threads: SharedArrayBuffer rings (with
 * Atomics.waitAsync wake-ups, and with bounded busy-polling) against the raw
 * MessagePort baseline, all through the same msgport interface, in one run.
 *
 *  - chain: origin (main thread) -> CPU0 -> CPU1 -> CPU2 -> CPU3 -> origin,
 *    pipelined (the update chain's shape: each CPU applies and forwards, the
 *    last replies to the origin); messages/s end to end;
 *  - single hop: main -> one worker, pipelined; messages/s until the worker
 *    has acknowledged the last one;
 *  - per-hop latency: one message in flight, main <-> worker ping-pong;
 *    per hop = round trip / 2; p50 and p99.
 * Each figure is the median of REPS repetitions after two warm-up runs of the
 * same size, on the same topology (threads started once per configuration);
 * the repetitions of the three variants are interleaved.
 *
 * Run: node dist/bench/ring.bench.js [--quick] [--verbose] [--spin N] [--body BYTES]
 */
import { Worker } from 'node:worker_threads';
import { openMsgPort, transferList, wireMsgPorts, type MsgPort, type MsgPortStats, type TransportKind } from '../src/cpu/msgport.js';
import type { BenchJob } from './workers/ring-bench-worker.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const verbose = args.includes('--verbose');
const progress = (line: string): void => { if (verbose) console.error(line); };
const argNum = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REPS = quick ? 3 : 5;
const SPIN = argNum('--spin', 100_000);
const BODY = argNum('--body', 24);
/** Sends between explicit flushes on the origin (netisr would flush per input batch). */
const SEND_BATCH = 64;
const T_MSG = 1;
const T_ACK = 2;
const workerUrl = new URL('./workers/ring-bench-worker.js', import.meta.url);

interface Variant { name: string; kind: TransportKind; spin: number }
const VARIANTS: Variant[] = [
  { name: 'ring (wake-ups)', kind: 'ring', spin: 0 },
  { name: `ring (spin ${SPIN})`, kind: 'ring', spin: SPIN },
  { name: 'port', kind: 'port', spin: 0 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Topology {
  origin: MsgPort;
  workers: Worker[];
  close(): Promise<{ stats: MsgPortStats }[]>;
}

function startTopology(v: Variant, edges: [number, number][], originId: number,
  roles: { id: number; role: BenchJob['role']; next: number }[]): Topology {
  const descs = wireMsgPorts(v.kind, edges, { capacity: 1 << 18 });
  const workers = roles.map(({ id, role, next }) => {
    const desc = descs.get(id)!;
    const job: BenchJob = { desc, role, next, spin: v.spin };
    return new Worker(workerUrl, { workerData: job, transferList: transferList(desc) });
  });
  const origin = openMsgPort(descs.get(originId)!, { spin: v.spin });
  return {
    origin,
    workers,
    async close() {
      const exits = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
      const reports = await Promise.all(workers.map((w) => new Promise<{ stats: MsgPortStats }>((resolve) => {
        w.once('message', resolve);
        w.postMessage('close');
      })));
      await Promise.all(exits);
      origin.close();
      return reports;
    },
  };
}

/** Send `n` messages to `to` with backpressure, flushing every SEND_BATCH, yielding now and then. */
async function pump(port: MsgPort, to: number, n: number, body: Uint8Array, type = T_MSG): Promise<void> {
  for (let i = 0; i < n; i++) {
    body[0] = i;
    while (!port.send(to, type, body, 0, body.length)) await port.waitSpace(to, body.length);
    if ((i + 1) % SEND_BATCH === 0) {
      port.flush();
      if ((i + 1) % (SEND_BATCH * 16) === 0) await yieldToLoop();
    }
  }
  port.flush();
}

/** One scenario on one variant's topology: run(n) measures once; close() ends the threads and returns a note. */
interface Bench<R> { run(n: number): Promise<R>; close(): Promise<string> }

// ---- chain of 4 ----

function setupChain(v: Variant): Bench<number> {
  const CPUS = 4;
  const ORIGIN = CPUS;
  const edges: [number, number][] = [[ORIGIN, 0], [0, 1], [1, 2], [2, 3], [3, ORIGIN]];
  const topo = startTopology(v, edges, ORIGIN, [0, 1, 2, 3].map((id) => ({ id, role: 'chain' as const, next: id + 1 < CPUS ? id + 1 : -1 })));
  let replies = 0;
  let target = 0;
  let onDone: () => void = () => {};
  topo.origin.start(() => { if (++replies === target) onDone(); });
  const body = new Uint8Array(BODY);
  return {
    async run(count) {
      replies = 0;
      target = count;
      const done = new Promise<void>((resolve) => { onDone = resolve; });
      const t0 = performance.now();
      await Promise.all([pump(topo.origin, 0, count, body), done]);
      return count / ((performance.now() - t0) / 1000);
    },
    async close() {
      const s = (await topo.close()).map((x) => x.stats);
      return `per CPU: sleeps ${s.map((x) => x.sleeps).join('/')}, stalls ${s.map((x) => x.stalls).join('/')}; origin sleeps ${topo.origin.stats.sleeps}`;
    },
  };
}

// ---- single hop ----

function setupHop(v: Variant): Bench<number> {
  const topo = startTopology(v, [[0, 1], [1, 0]], 0, [{ id: 1, role: 'sink', next: -1 }]);
  topo.origin.start(() => {});
  const body = new Uint8Array(BODY);
  return {
    async run(count) {
      const t0 = performance.now();
      await pump(topo.origin, 1, count - 1, body);
      await topo.origin.domsg(1, T_ACK, body, 0, body.length); // the sink acknowledges the last one
      return count / ((performance.now() - t0) / 1000);
    },
    async close() {
      const s = (await topo.close())[0]!.stats;
      return `sink sleeps ${s.sleeps}`;
    },
  };
}

// ---- ping-pong latency ----

function setupLatency(v: Variant, max: number): Bench<[number, number]> {
  const topo = startTopology(v, [[0, 1], [1, 0]], 0, [{ id: 1, role: 'echo', next: -1 }]);
  const body = new Uint8Array(BODY);
  const rtt = new Float64Array(max);
  let k = 0;
  let count = 0;
  let t0 = 0;
  let onDone: () => void = () => {};
  const o = topo.origin;
  o.start(() => {
    rtt[k++] = performance.now() - t0;
    if (k === count) { onDone(); return; }
    t0 = performance.now();
    o.send(1, T_MSG, body, 0, body.length);
  });
  return {
    async run(c) {
      k = 0;
      count = c;
      const done = new Promise<void>((resolve) => { onDone = resolve; });
      t0 = performance.now();
      o.send(1, T_MSG, body, 0, body.length);
      o.flush();
      await done;
      const s = rtt.slice(0, c).sort();
      return [(percentile(s, 0.5) / 2) * 1000, (percentile(s, 0.99) / 2) * 1000];
    },
    async close() {
      const s = (await topo.close())[0]!.stats;
      return `echo sleeps ${s.sleeps}`;
    },
  };
}

/**
 * Start the scenario on every variant, warm each up (two runs), then take
 * REPS rounds, each running every variant once: the machine is shared, so
 * interleaving keeps a burst of someone else's load from landing on one
 * variant only.
 */
async function interleaved<R>(name: string, setup: (v: Variant) => Bench<R>, n: (v: Variant) => number,
  fmt: (r: R) => string): Promise<{ results: R[][]; notes: string[] }> {
  const benches = VARIANTS.map(setup);
  for (let i = 0; i < VARIANTS.length; i++) {
    await benches[i]!.run(n(VARIANTS[i]!));
    await benches[i]!.run(n(VARIANTS[i]!));
  }
  const results: R[][] = VARIANTS.map(() => []);
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const x = await benches[i]!.run(n(VARIANTS[i]!));
      results[i]!.push(x);
      progress(`${name} ${VARIANTS[i]!.name}: ${fmt(x)}`);
    }
  }
  const notes: string[] = [];
  for (let i = 0; i < VARIANTS.length; i++) {
    notes.push(`${name} ${VARIANTS[i]!.name}: reps ${results[i]!.map(fmt).join(', ')}; ${await benches[i]!.close()}`);
  }
  return { results, notes };
}

// ---- main ----

const fmtRate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);
const fmtUs = (x: number): string => `${x.toFixed(1)} us`;

async function main(): Promise<void> {
  const os = await import('node:os');
  console.log(`msgport transports: Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ` +
    `body ${BODY} bytes, median of ${REPS} after warm-up, busy-poll spin ${SPIN} iterations, ` +
    `load average before ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const chainN: Record<TransportKind, number> = quick ? { ring: 100_000, port: 20_000 } : { ring: 400_000, port: 50_000 };
  const hopN: Record<TransportKind, number> = quick ? { ring: 200_000, port: 40_000 } : { ring: 1_000_000, port: 100_000 };
  const latN = quick ? 1000 : 5000;
  const rows: { name: string; cells: string[]; raw: number[] }[] = [
    { name: 'chain 4 CPUs, pipelined (msg/s)', cells: [], raw: [] },
    { name: 'single hop, pipelined (msg/s)', cells: [], raw: [] },
    { name: 'per-hop latency p50', cells: [], raw: [] },
    { name: 'per-hop latency p99', cells: [], raw: [] },
  ];
  const chain = await interleaved('chain', setupChain, (v) => chainN[v.kind], fmtRate);
  const hop = await interleaved('hop', setupHop, (v) => hopN[v.kind], fmtRate);
  const lat = await interleaved('latency', (v) => setupLatency(v, latN), () => latN,
    ([p50, p99]) => `p50 ${fmtUs(p50)} p99 ${fmtUs(p99)}`);
  for (let i = 0; i < VARIANTS.length; i++) {
    const c = median(chain.results[i]!);
    const h = median(hop.results[i]!);
    const p50 = median(lat.results[i]!.map((x) => x[0]));
    const p99 = median(lat.results[i]!.map((x) => x[1]));
    rows[0]!.raw.push(c); rows[0]!.cells.push(fmtRate(c));
    rows[1]!.raw.push(h); rows[1]!.cells.push(fmtRate(h));
    rows[2]!.raw.push(p50); rows[2]!.cells.push(fmtUs(p50));
    rows[3]!.raw.push(p99); rows[3]!.cells.push(fmtUs(p99));
  }
  const notes = [...chain.notes, ...hop.notes, ...lat.notes];
  const w0 = 34;
  const w = 21;
  // Ratios: how many times better than the port baseline (rate / port rate, port latency / latency).
  console.log(`${''.padEnd(w0)}${VARIANTS.map((v) => v.name.padStart(w)).join('')}${'wake vs port'.padStart(14)}${'spin vs port'.padStart(14)}`);
  for (const r of rows) {
    const isRate = r.name.includes('msg/s');
    const vs = (x: number): string => `${(isRate ? x / r.raw[2]! : r.raw[2]! / x).toFixed(1)}x`.padStart(14);
    console.log(`${r.name.padEnd(w0)}${r.cells.map((c) => c.padStart(w)).join('')}${vs(r.raw[0]!)}${vs(r.raw[1]!)}`);
  }
  for (const n of notes) console.log(`  ${n}`);
  console.log(`  load average after ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

await main();
