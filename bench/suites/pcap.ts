/**
 * pcap: reading captures (issue 3: >= 2M frames/s). The records repeat the
 * frames of ../shared/pcaps/arp-storm.pcap (synthetic 60-byte ARP frames
 * when it is missing). Baseline: a bare walk over the record headers with a
 * DataView, the ceiling of any reader of the format.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCapture, readCaptureFile } from '../../src/link/pcapio.js';
import { CaptureReader, encodePcap, type PcapWriteRecord } from '../../src/wire/pcap.js';
import { blackhole, timeOps, timeOpsAsync } from '../../src/bench/measure.js';
import type { RepSample, SuiteDef } from '../../src/bench/types.js';

/** ../shared beside the checkout, or $ARPEMU_SHARED (set by the runner for a snapshot of the build). */
export const STORM = join(process.env['ARPEMU_SHARED'] ?? fileURLToPath(new URL('../../../../shared/', import.meta.url)), 'pcaps', 'arp-storm.pcap');

export function stormFrames(): Uint8Array[] {
  if (existsSync(STORM)) return readCaptureFile(STORM).records.map((r) => r.data.slice());
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6); f[12] = 0x08; f[13] = 0x06;
  return [f];
}

/** `n` records cycling over `frames`, 100 µs apart. */
export function stormRecords(n: number, frames: readonly Uint8Array[] = stormFrames()): PcapWriteRecord[] {
  const records: PcapWriteRecord[] = new Array(n);
  for (let i = 0; i < n; i++) records[i] = { data: frames[i % frames.length]!, time: 1_600_000_000 + i * 1e-4 };
  return records;
}

/** pcapng with one SHB, one Ethernet IDB and an EPB per record, written by hand (the reader's other format). */
export function encodePcapng(records: readonly PcapWriteRecord[]): Uint8Array {
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

function readAll(bytes: Uint8Array, chunk: number): number {
  const r = new CaptureReader();
  let n = 0;
  for (let o = 0; o < bytes.length; o += chunk) {
    r.push(bytes.subarray(o, Math.min(bytes.length, o + chunk)));
    let rec;
    while ((rec = r.next()) !== undefined) { n++; blackhole.sink += rec.data[12]!; }
  }
  r.end();
  while (r.next() !== undefined) n++;
  if (r.error !== undefined) throw r.error;
  return n;
}

function bareWalk(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 24, n = 0;
  while (o + 16 <= bytes.length) {
    const cap = v.getUint32(o + 8, true);
    blackhole.sink += v.getUint32(o, true) + bytes[o + 16 + 12]!;
    o += 16 + cap;
    n++;
  }
  return n;
}

async function readFile(path: string, batches: boolean): Promise<number> {
  let n = 0;
  if (batches) {
    for await (const batch of openCapture(path).batches()) for (const rec of batch) { n++; blackhole.sink += rec.capLen; }
  } else {
    for await (const rec of openCapture(path)) { n++; blackhole.sink += rec.capLen; }
  }
  return n;
}

const suite: SuiteDef = {
  name: 'pcap',
  title: 'pcap reading, one thread',
  description: 'CaptureReader over a classic pcap held in memory, pushed whole (whole) or in 64 KiB chunks (chunks-64k), records taken one by one; the same records as pcapng ' +
    '(pcapng); openCapture streaming the pcap from a file, a record (file-stream) or a chunk\'s records (file-batches) at a time. ' +
    'Baseline: a bare DataView walk over the record headers (no objects). Records repeat the frames of arp-storm.pcap.',
  grid: { reader: ['bare-walk', 'whole', 'chunks-64k', 'pcapng', 'file-stream', 'file-batches'], records: [2_000_000] },
  quickGrid: { records: [300_000] },
  baselines: [{ reader: 'bare-walk' }],
  metrics: [
    { name: 'cpuRate', unit: 'frames/s', better: 'higher', label: 'frames per CPU-second' },
    { name: 'rate', unit: 'frames/s', better: 'higher', label: 'frames per wall second' },
  ],
  primary: 'cpuRate',
  warmup: 2,
  reps: 7,
  setup(p) {
    const n = p['records'] as number;
    const src = stormFrames();
    const records = stormRecords(n, src);
    const reader = p['reader'] as string;
    const bytes = reader === 'pcapng' ? encodePcapng(records) : encodePcap(records);
    let dir: string | undefined;
    const check = (got: number): void => { if (got !== n) throw new Error(`read ${got} of ${n} records`); };
    let rep: () => RepSample | Promise<RepSample>;
    if (reader === 'file-stream' || reader === 'file-batches') {
      dir = mkdtempSync(join(tmpdir(), 'arpemu-bench-pcap-'));
      const path = join(dir, 'big.pcap');
      writeFileSync(path, bytes);
      rep = () => timeOpsAsync(n, async () => { check(await readFile(path, reader === 'file-batches')); });
    } else {
      const body = reader === 'bare-walk' ? () => bareWalk(bytes) : reader === 'chunks-64k' ? () => readAll(bytes, 65536) : () => readAll(bytes, bytes.length);
      rep = () => timeOps(n, () => check(body()));
    }
    return {
      rep,
      info: () => ({ records: n, bytes: bytes.length, distinctFrames: src.length }),
      close: () => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }); },
    };
  },
};
export default suite;
