/**
 * pcap reading and writing speed (issue 3 target: >= 2 million frames/s
 * read). The readers are the points of the `pcap` suite
 * (bench/suites/pcap.ts: bare header walk baseline, CaptureReader whole and
 * in 64 KiB chunks, pcapng, openCapture from a file per record and per
 * chunk), measured in this process; the writers (encodePcap, PcapWriter into
 * a function sink) are measured here by the same harness. Each line: median
 * of the repetitions after warm-up, with min and max.
 *
 * Run: npx tsc -p . && node dist/bench/pcap.bench.js [records]
 */
import { PcapWriter, encodePcap } from '../src/wire/pcap.js';
import { blackhole, timeOps } from '../src/bench/measure.js';
import { measureOrThrow, metricStats } from '../src/bench/point.js';
import type { SuiteDef } from '../src/bench/types.js';
import pcap, { stormFrames, stormRecords } from './suites/pcap.js';

const RECORDS = Number(process.argv[2] ?? 2_000_000);

/** The writers, as a suite of this script's own (not in `arpemu bench`: no target depends on them). */
const writers: SuiteDef = {
  name: 'pcap-write',
  title: 'pcap writing',
  description: 'encodePcap of the records at once; PcapWriter record by record into a function sink.',
  grid: { writer: ['encodePcap', 'PcapWriter'] },
  baselines: [],
  metrics: [{ name: 'rate', unit: 'frames/s', better: 'higher' }],
  primary: 'rate',
  warmup: 2,
  reps: 7,
  setup(p) {
    const records = stormRecords(RECORDS);
    const body = p['writer'] === 'encodePcap'
      ? () => { blackhole.sink += encodePcap(records).length; }
      : () => {
        const w = new PcapWriter((c) => { blackhole.sink += c.length; });
        for (const r of records) w.write(r.data, r.time);
        void w.close();
      };
    return { rep: () => timeOps(records.length, body) };
  },
};

const line = (name: string, o: Awaited<ReturnType<typeof measureOrThrow>>, metric: string): number => {
  const s = metricStats(o, metric);
  console.log(`${name.padEnd(34)} ${(s.median / 1e6).toFixed(2).padStart(7)} M frames/s  (min ${(s.min / 1e6).toFixed(2)}, max ${(s.max / 1e6).toFixed(2)})`);
  return s.median;
};

console.log(`pcap bench: ${RECORDS} records from ${stormFrames().length} distinct frames; node ${process.version}; rates per wall second`);
const rates = new Map<string, number>();
for (const reader of pcap.grid['reader']!) {
  rates.set(String(reader), line(`read: ${String(reader)}`, await measureOrThrow(pcap, { reader, records: RECORDS }), 'rate'));
}
for (const writer of writers.grid['writer']!) line(`write: ${String(writer)}`, await measureOrThrow(writers, { writer }), 'rate');
const whole = rates.get('whole')!, base = rates.get('bare-walk')!;
console.log(`pcap read (one buffer): ${(whole / 1e6).toFixed(2)} M frames/s = ${(100 * whole / base).toFixed(0)}% of the bare walk; target 2 M/s: ${whole >= 2e6 ? 'met' : 'NOT met'}`);
