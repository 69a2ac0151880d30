/**
 * Parse + classify of ARP frames from one pre-filled buffer, on one thread.
 *
 *   node dist/bench/wire.bench.js [--frames N] [--runs R] [--json]
 *
 * Target (issue 3): >= 20 million frames/s with zero allocations per frame.
 * Frames (1M by default, ~20% invalid across every reason) are packed at a
 * fixed stride in one ArrayBuffer. Variants, each measured as the median of
 * R runs after warm-up:
 *   - classify:        classifyFrame only (the netisr's per-frame check)
 *   - classify+fields: classifyFrame, then op/sha/spa/tha/tpa of accepted frames
 *   - naive baseline:  a subarray + DataView + an object per frame, as one
 *                      would write it without care
 * Rates are frames per wall-clock second (and per second of process CPU
 * time, which a busy machine disturbs less). Allocation is measured over whole runs: GC events seen by a
 * PerformanceObserver and the heapUsed delta between runs without a GC.
 */

import { PerformanceObserver, performance } from 'node:perf_hooks';
import {
  ARPOP_REPLY, ARPOP_REQUEST, ARP_OK, ARP_REASON_COUNT, ARP_REASON_NAMES, ArpPacket, classifyFrame, emitArpFrame,
} from '../src/wire/arp.js';

const STRIDE = 64;

function argNum(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`wire.bench: ${name} must be a positive integer`);
    process.exit(2);
  }
  return v;
}

const FRAMES = argNum('--frames', 1_000_000);
const RUNS = argNum('--runs', 7);
const JSON_OUT = process.argv.includes('--json');

/** Seeded PRNG (mulberry32) so every run sees the same frames. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fill(n: number): { buf: Uint8Array; lens: Uint16Array } {
  const buf = new Uint8Array(new ArrayBuffer(n * STRIDE));
  const lens = new Uint16Array(n);
  const r = rng(42);
  for (let i = 0; i < n; i++) {
    const off = i * STRIDE;
    const host = Math.floor(r() * 250) + 1;
    const op = r() < 0.6 ? ARPOP_REQUEST : ARPOP_REPLY;
    // Addresses above 2^31 on purpose: a number that large escaping a call that
    // is not inlined becomes a heap number, so the GC count would show it.
    const mac = (r() < 0.5 ? 0xf8_ed_a5_00_00_00 : 0x02_00_00_00_00_00) + host;
    emitArpFrame(buf, 0xffff_ffff_ffff, mac, {
      op, sha: mac, spa: 0xc0a8_0000 + host, tha: op === ARPOP_REPLY ? 0xf8_ed_a5_c0_a4_f1 : 0,
      tpa: 0xc0a8_0000 + Math.floor(r() * 250) + 1,
    }, off);
    let len = r() < 0.5 ? 42 : 60; // as sent, or padded by a NIC
    const p = off + 14;
    const bad = r();
    if (bad < 0.8) { /* valid */ }
    else if (bad < 0.825) len = Math.floor(r() * 22); // runt (Ethernet or ARP)
    else if (bad < 0.85) buf[off + 13] = 0x00; // not ARP (IPv4 ethertype)
    else if (bad < 0.875) buf[p + 1] = 3; // bad_hrd
    else if (bad < 0.9) { len = 42; buf[p + 4] = 6 + 1 + Math.floor(r() * 200); } // truncated
    else if (bad < 0.925) buf[p + 3] = 0xdd; // bad_pro
    else if (bad < 0.95) buf[p + 4] = 5; // bad_hln
    else if (bad < 0.975) buf[p + 5] = 3; // bad_pln
    else buf[p + 7] = 3 + Math.floor(r() * 200); // bad_op
    lens[i] = len;
  }
  return { buf, lens };
}

const { buf, lens } = fill(FRAMES);

// ---- the variants ----

const view = new ArpPacket();
const counts = new Float64Array(ARP_REASON_COUNT);
let sink = 0;

function runClassify(b: Uint8Array, l: Uint16Array, n: number, c: Float64Array): void {
  for (let i = 0; i < n; i++) c[classifyFrame(view, b, i * STRIDE, l[i]!)]!++;
}

function runClassifyFields(b: Uint8Array, l: Uint16Array, n: number, c: Float64Array): number {
  let acc = 0;
  let hw = 0;
  for (let i = 0; i < n; i++) {
    const r = classifyFrame(view, b, i * STRIDE, l[i]!);
    c[r]!++;
    if (r === ARP_OK) {
      acc = (acc + (view.op ^ view.spa ^ view.tpa)) | 0;
      hw += view.sha - view.tha;
    }
  }
  return acc + (hw > 0 ? 1 : 0);
}

interface NaiveArp { dst: number; src: number; type: number; hrd: number; pro: number; hln: number; pln: number; op: number;
  sha: number; spa: number; tha: number; tpa: number }
type NaiveResult = { ok: true; arp: NaiveArp } | { ok: false; reason: string };

/** What one writes without thinking about allocation: a subarray, a DataView and an object per frame. */
function naiveParse(frame: Uint8Array): NaiveResult {
  if (frame.length < 14) return { ok: false, reason: 'runt' };
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const type = dv.getUint16(12);
  if (type !== 0x0806) return { ok: false, reason: 'not_arp' };
  if (frame.length < 22) return { ok: false, reason: 'runt' };
  const hrd = dv.getUint16(14), pro = dv.getUint16(16), hln = dv.getUint8(18), pln = dv.getUint8(19), op = dv.getUint16(20);
  if (hrd !== 1 && hrd !== 6) return { ok: false, reason: 'bad_hrd' };
  if (frame.length < 22 + 2 * (hln + pln)) return { ok: false, reason: 'truncated' };
  if (pro !== 0x0800) return { ok: false, reason: 'bad_pro' };
  if (hln !== 6) return { ok: false, reason: 'bad_hln' };
  if (pln !== 4) return { ok: false, reason: 'bad_pln' };
  if (op !== 1 && op !== 2) return { ok: false, reason: 'bad_op' };
  const mac = (o: number): number => dv.getUint16(o) * 2 ** 32 + dv.getUint32(o + 2);
  return {
    ok: true,
    arp: { dst: mac(0), src: mac(6), type, hrd, pro, hln, pln, op, sha: mac(22), spa: dv.getUint32(28), tha: mac(32), tpa: dv.getUint32(38) },
  };
}

const naiveCounts = new Map<string, number>();
function runNaive(b: Uint8Array, l: Uint16Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const r = naiveParse(b.subarray(i * STRIDE, i * STRIDE + l[i]!));
    const key = r.ok ? 'ok' : r.reason;
    naiveCounts.set(key, (naiveCounts.get(key) ?? 0) + 1);
    if (r.ok) acc = (acc + (r.arp.op ^ r.arp.spa ^ r.arp.tpa)) | 0;
  }
  return acc;
}

// ---- measuring ----

// GC entries carry their start time; a run owns the ones that started inside it.
const gcStarts: number[] = [];
const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcStarts.push(e.startTime); });
obs.observe({ entryTypes: ['gc'] });

interface Measured { name: string; rates: number[]; median: number; cpuRates: number[]; cpuMedian: number; gcs: number; bytesPerRun: number | null; bytesPerFrame: number | null }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** GC entries are delivered asynchronously, some time after the GC: wait for them. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

async function measure(name: string, fn: () => void, runs: number, warmups: number): Promise<Measured> {
  for (let i = 0; i < warmups; i++) fn();
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const spans: [number, number, number][] = []; // [t0, t1, heap growth]
  for (let i = 0; i < runs; i++) {
    const h0 = process.memoryUsage().heapUsed;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    const h1 = process.memoryUsage().heapUsed;
    spans.push([t0, t1, h1 - h0]);
    rates.push(FRAMES / ((t1 - t0) / 1000));
    cpuRates.push(FRAMES / ((c1.user + c1.system) / 1e6));
  }
  await settle();
  let gcs = 0;
  // Bytes a frame over the runs without a GC: then heapUsed growth is exactly what the run allocated.
  let cleanBytes = 0, cleanFrames = 0;
  for (const [t0, t1, grown] of spans) {
    const g = gcStarts.filter((t) => t >= t0 && t <= t1).length;
    gcs += g;
    if (g === 0) { cleanBytes += grown; cleanFrames += FRAMES; }
  }
  const cleanRuns = cleanFrames / FRAMES;
  return { name, rates, median: median(rates), cpuRates, cpuMedian: median(cpuRates), gcs, bytesPerRun: cleanRuns > 0 ? cleanBytes / cleanRuns : null,
    bytesPerFrame: cleanFrames > 0 ? cleanBytes / cleanFrames : null };
}

const fmtRate = (r: number): string => `${(r / 1e6).toFixed(1)}M frames/s`;

async function main(): Promise<void> {
  const results: Measured[] = [];
  results.push(await measure('classify', () => { counts.fill(0); runClassify(buf, lens, FRAMES, counts); }, RUNS, 3));
  const classifyCounts = Array.from(counts);
  results.push(await measure('classify+fields', () => { counts.fill(0); sink ^= runClassifyFields(buf, lens, FRAMES, counts); }, RUNS, 3));
  results.push(await measure('naive baseline', () => { naiveCounts.clear(); sink ^= runNaive(buf, lens, FRAMES); }, RUNS, 2));

  // The fast path and the baseline must agree frame for frame in aggregate.
  const agree = ARP_REASON_NAMES.every((name, code) => (naiveCounts.get(name) ?? 0) === classifyCounts[code]);
  const dist = Object.fromEntries(ARP_REASON_NAMES.map((name, code) => [name, classifyCounts[code]]));
  const base = results[2]!.median;

  if (JSON_OUT) {
    console.log(JSON.stringify({ frames: FRAMES, runs: RUNS, node: process.version, reasons: dist, agree, results }, null, 2));
  } else {
    console.log(`wire.bench: ${FRAMES} frames (${STRIDE}-byte stride, ${(FRAMES * STRIDE / 2 ** 20).toFixed(0)} MiB), ` +
      `median of ${RUNS} runs after warm-up, node ${process.version}`);
    console.log(`reasons: ${JSON.stringify(dist)}; baseline agrees: ${agree}`);
    for (const r of results) {
      const alloc = r.bytesPerFrame === null || r.bytesPerRun === null ? 'n/a (GC every run)'
        : `${r.bytesPerRun.toFixed(0)} B/run = ${r.bytesPerFrame.toFixed(4)} B/frame`;
      console.log(`  ${r.name.padEnd(16)} ${fmtRate(r.median).padStart(18)} wall (${fmtRate(r.cpuMedian)} CPU)  ` +
        `x${(r.median / base).toFixed(1)} baseline  GCs during runs: ${r.gcs}  heap growth: ${alloc}  ` +
        `[wall min ${fmtRate(Math.min(...r.rates))}, max ${fmtRate(Math.max(...r.rates))}]`);
    }
  }
  obs.disconnect();
  if (sink === 0x7fff_ffff) console.log(''); // keep the results observable
  if (!agree) process.exitCode = 1;
}

void main();
