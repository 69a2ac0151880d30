/**
 * pcap: reading classic pcap from memory (issue 3: >= 2M frames/s). The
 * records repeat the frames of ../shared/pcaps/arp-storm.pcap (synthetic
 * 60-byte ARP frames when it is missing). Baseline: a bare walk over the
 * record headers with a DataView, the ceiling of any reader of the format.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/link/pcapio.js';
import { CaptureReader, encodePcap, type PcapWriteRecord } from '../../src/wire/pcap.js';
import { blackhole, timeOps } from '../../src/bench/measure.js';
import type { SuiteDef } from '../../src/bench/types.js';

/** ../shared beside the checkout, or $ARPEMU_SHARED (set by the runner for a snapshot of the build). */
export const STORM = join(process.env['ARPEMU_SHARED'] ?? fileURLToPath(new URL('../../../../shared/', import.meta.url)), 'pcaps', 'arp-storm.pcap');

function frames(): Uint8Array[] {
  if (existsSync(STORM)) return readCaptureFile(STORM).records.map((r) => r.data.slice());
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6); f[12] = 0x08; f[13] = 0x06;
  return [f];
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

const suite: SuiteDef = {
  name: 'pcap',
  title: 'pcap reading from memory, one thread',
  description: 'CaptureReader over a classic pcap held in memory, pushed whole or in 64 KiB chunks (streaming), records taken one by one; ' +
    'baseline: a bare DataView walk over the record headers (no objects). Records repeat the frames of arp-storm.pcap.',
  grid: { reader: ['bare-walk', 'whole', 'chunks-64k'], records: [2_000_000] },
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
    const src = frames();
    const records: PcapWriteRecord[] = new Array(n);
    for (let i = 0; i < n; i++) records[i] = { data: src[i % src.length]!, time: 1_600_000_000 + i * 1e-4 };
    const bytes = encodePcap(records);
    const reader = p['reader'] as string;
    const body = reader === 'bare-walk' ? () => bareWalk(bytes) : reader === 'whole' ? () => readAll(bytes, bytes.length) : () => readAll(bytes, 65536);
    return {
      rep() {
        let got = 0;
        const s = timeOps(n, () => { got = body(); });
        if (got !== n) throw new Error(`read ${got} of ${n} records`);
        return s;
      },
      info: () => ({ records: n, bytes: bytes.length, distinctFrames: src.length }),
    };
  },
};
export default suite;
