/**
 * pcap reading speed (issue 3 target: >= 2 million frames/s).
 *
 * Builds a ~2M-record classic pcap in memory from the frames of
 * ../shared/pcaps/arp-storm.pcap (or synthetic 60-byte frames if that file
 * is missing) and measures, after a warm-up, the median of several runs of:
 *   - baseline:   a bare loop over the record headers (DataView, no objects),
 *                 the ceiling any reader of this file layout can reach here;
 *   - whole:      CaptureReader over the buffer pushed at once;
 *   - chunked:    the same buffer pushed in 64 KiB chunks (streaming);
 *   - pcapng:     the same records as pcapng EPBs, pushed at once;
 *   - file:       openCapture streaming the pcap from a temp file (fs ReadStream),
 *                 per record and per chunk (batches()).
 * Also the writer: encodePcap and PcapWriter into a function sink.
 *
 * Run: npx tsc -p . && node dist/bench/pcap.bench.js [records]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCapture, readCaptureFile } from '../src/link/pcapio.js';
import { CaptureReader, PcapWriter, encodePcap, type PcapWriteRecord } from '../src/wire/pcap.js';

const RECORDS = Number(process.argv[2] ?? 2_000_000);
const REPS = 7;
const here = dirname(fileURLToPath(import.meta.url));
const STORM = join(here, '../../../shared/pcaps/arp-storm.pcap');

function sourceFrames(): Uint8Array[] {
  if (existsSync(STORM)) return readCaptureFile(STORM).records.map((r) => r.data.slice());
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f[12] = 0x08; f[13] = 0x06;
  return [f];
}

function buildRecords(frames: Uint8Array[], n: number): PcapWriteRecord[] {
  const out: PcapWriteRecord[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { data: frames[i % frames.length]!, time: 1_600_000_000 + i * 1e-4 };
  return out;
}

/** pcapng with one SHB, one Ethernet IDB and an EPB per record, written by hand. */
function buildPcapng(records: PcapWriteRecord[]): Uint8Array {
  let size = 28 + 20;
  for (const r of records) size += 32 + ((r.data.length + 3) & ~3);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x0a0d0d0a, true); v.setUint32(4, 28, true); v.setUint32(8, 0x1a2b3c4d, true);
  v.setUint16(12, 1, true); v.setInt32(16, -1, true); v.setInt32(20, -1, true); v.setUint32(24, 28, true);
  v.setUint32(28, 1, true); v.setUint32(32, 20, true); v.setUint16(36, 1, true); v.setUint32(40, 0, true);
  v.setUint32(44, 20, true);
  let o = 48;
  for (const r of records) {
    const padded = (r.data.length + 3) & ~3, len = 32 + padded;
    const us = Math.round(r.time * 1e6);
    v.setUint32(o, 6, true); v.setUint32(o + 4, len, true); v.setUint32(o + 8, 0, true);
    v.setUint32(o + 12, Math.floor(us / 2 ** 32), true); v.setUint32(o + 16, us >>> 0, true);
    v.setUint32(o + 20, r.data.length, true); v.setUint32(o + 24, r.data.length, true);
    b.set(r.data, o + 28);
    v.setUint32(o + len - 4, len, true);
    o += len;
  }
  return b;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

let sink = 0;

/** Async variant of measure, same reporting. */
async function measureAsync(name: string, fn: () => Promise<number>): Promise<number> {
  await fn();
  const rates: number[] = [];
  for (let i = 0; i < Math.min(REPS, 5); i++) {
    const t0 = process.hrtime.bigint();
    const n = await fn();
    rates.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const m = median(rates);
  console.log(`${name.padEnd(34)} ${(m / 1e6).toFixed(2).padStart(7)} M frames/s  (min ${(Math.min(...rates) / 1e6).toFixed(2)}, max ${(Math.max(...rates) / 1e6).toFixed(2)})`);
  return m;
}

/** Frames per second: median over REPS runs after two warm-up runs. */
function measure(name: string, fn: () => number): number {
  fn(); fn();
  const rates: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = process.hrtime.bigint();
    const n = fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(n / dt);
  }
  const m = median(rates);
  const lo = Math.min(...rates), hi = Math.max(...rates);
  console.log(`${name.padEnd(34)} ${(m / 1e6).toFixed(2).padStart(7)} M frames/s  (min ${(lo / 1e6).toFixed(2)}, max ${(hi / 1e6).toFixed(2)})`);
  return m;
}

function readAll(bytes: Uint8Array, chunk: number): number {
  const r = new CaptureReader();
  let n = 0;
  for (let o = 0; o < bytes.length; o += chunk) {
    r.push(bytes.subarray(o, Math.min(bytes.length, o + chunk)));
    let rec;
    while ((rec = r.next()) !== undefined) { n++; sink += rec.data[12]!; }
  }
  r.end();
  while (r.next() !== undefined) n++;
  if (r.error !== undefined) throw r.error;
  return n;
}

function baseline(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 24, n = 0;
  while (o + 16 <= bytes.length) {
    const cap = v.getUint32(o + 8, true);
    sink += v.getUint32(o, true) + bytes[o + 16 + 12]!;
    o += 16 + cap;
    n++;
  }
  return n;
}

const frames = sourceFrames();
const records = buildRecords(frames, RECORDS);
const pcap = encodePcap(records);
const pcapng = buildPcapng(records);
console.log(`pcap bench: ${RECORDS} records from ${frames.length} distinct frames; pcap ${(pcap.length / 1e6).toFixed(1)} MB, pcapng ${(pcapng.length / 1e6).toFixed(1)} MB; node ${process.version}`);

const base = measure('baseline (bare header walk)', () => baseline(pcap));
const whole = measure('CaptureReader pcap, one buffer', () => readAll(pcap, pcap.length));
measure('CaptureReader pcap, 64 KiB chunks', () => readAll(pcap, 65536));
measure('CaptureReader pcapng, one buffer', () => readAll(pcapng, pcapng.length));
const dir = mkdtempSync(join(tmpdir(), 'arpemu-bench-'));
try {
  const path = join(dir, 'big.pcap');
  writeFileSync(path, pcap);
  await measureAsync('openCapture file (fs stream)', async () => {
    let n = 0;
    for await (const rec of openCapture(path)) { n++; sink += rec.capLen; }
    return n;
  });
  await measureAsync('openCapture file, batches()', async () => {
    let n = 0;
    for await (const batch of openCapture(path).batches()) for (const rec of batch) { n++; sink += rec.capLen; }
    return n;
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
measure('encodePcap', () => encodePcap(records).length > 0 ? records.length : 0);
measure('PcapWriter -> function sink', () => {
  const w = new PcapWriter((c) => { sink += c.length; });
  for (const r of records) w.write(r.data, r.time);
  void w.close();
  return records.length;
});
console.log(`pcap read (one buffer): ${(whole / 1e6).toFixed(2)} M frames/s = ${(100 * whole / base).toFixed(0)}% of the bare walk; target 2 M/s: ${whole >= 2e6 ? 'met' : 'NOT met'}`);
if (sink === 42) console.log('');
