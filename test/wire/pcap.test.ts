import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { isArpemuError } from '../../src/util/errors.js';
import {
  CaptureReader, CaptureStream, PcapWriter, encodePcap, iterateCapture, readCapture,
  type CaptureFile, type CaptureRecord, type PcapWriteRecord,
} from '../../src/wire/pcap.js';
import { needTool, requireOrSkip } from '../helpers/env.js';
import { cat, hex, toHex } from '../helpers/bytes.js';
import { ETH, HDR_LE_US, REC_LE_US, manyRecords, testDir } from '../helpers/pcap.js';

// HDR_LE_US/REC_LE_US (helpers/pcap.ts): 2020-01-01T00:00:00Z + 0.999999 s, 14 of 60 bytes captured.
const HDR_BE_US = hex('a1b2c3d4 0002 0004 00000000 00000000 00040000 00000001');
const REC_BE_US = hex('5e0be100 000f423f 0000000e 0000003c');
// Same instant + 0.999999999 s with the nanosecond magic.
const HDR_LE_NS = hex('4d3cb2a1 0200 0400 00000000 00000000 00000400 01000000');
const REC_LE_NS = hex('00e10b5e ffc99a3b 0e000000 3c000000');
const HDR_BE_NS = hex('a1b23c4d 0002 0004 00000000 00000000 00040000 00000001');
const REC_BE_NS = hex('5e0be100 3b9ac9ff 0000000e 0000003c');
const SEC_2020 = 1_577_836_800;

function ok(f: CaptureFile): CaptureRecord[] {
  if (f.error !== undefined) throw f.error;
  return f.records;
}

for (const [name, file, nsec, nanosecond, littleEndian] of [
  ['little-endian microseconds', cat(HDR_LE_US, REC_LE_US, ETH), 999_999_000, false, true],
  ['big-endian microseconds', cat(HDR_BE_US, REC_BE_US, ETH), 999_999_000, false, false],
  ['little-endian nanoseconds', cat(HDR_LE_NS, REC_LE_NS, ETH), 999_999_999, true, true],
  ['big-endian nanoseconds', cat(HDR_BE_NS, REC_BE_NS, ETH), 999_999_999, true, false],
] as const) {
  test(`pcap read: deconstruct a ${name} byte literal`, (t) => {
    const f = readCapture(file);
    const [r] = ok(f);
    t.is(f.records.length, 1);
    t.like(f, { format: 'pcap', linkType: 1, snaplen: 262144, nanosecond, littleEndian, truncated: false, count: 1 });
    t.like(r, { sec: SEC_2020, nsec, capLen: 14, origLen: 60, iface: 0, number: 1 });
    t.true(Math.abs(r!.time - (SEC_2020 + nsec / 1e9)) < 1e-6);
    t.is(toHex(r!.data), toHex(ETH));
    // No copy: the record is a view of the input.
    t.is(r!.data.buffer, file.buffer);
    t.is(r!.data.byteOffset, file.byteOffset + 40);
  });
}

test('pcap write: encodePcap emits the byte literals (LE/BE, us/ns)', (t) => {
  const us: PcapWriteRecord = { data: ETH, time: SEC_2020 + 0.999999, origLen: 60 };
  t.is(toHex(encodePcap([us])), toHex(cat(HDR_LE_US, REC_LE_US, ETH)));
  t.is(toHex(encodePcap([us], { bigEndian: true })), toHex(cat(HDR_BE_US, REC_BE_US, ETH)));
  const ns: PcapWriteRecord = { data: ETH, time: 0, sec: SEC_2020, nsec: 999_999_999, origLen: 60 };
  t.is(toHex(encodePcap([ns], { nanosecond: true })), toHex(cat(HDR_LE_NS, REC_LE_NS, ETH)));
  t.is(toHex(encodePcap([ns], { nanosecond: true, bigEndian: true })), toHex(cat(HDR_BE_NS, REC_BE_NS, ETH)));
});

test('pcap write: a float time rounds to the nearest microsecond, carrying into seconds', (t) => {
  const [a, b] = ok(readCapture(encodePcap([
    { data: ETH, time: 1.9999996 },
    { data: ETH, time: 7.0000004 },
  ])));
  t.like(a, { sec: 2, nsec: 0 });
  t.like(b, { sec: 7, nsec: 0 });
  t.throws(() => encodePcap([{ data: ETH, time: -1 }]), { instanceOf: RangeError });
  t.throws(() => encodePcap([{ data: ETH, time: 2 ** 32 }]), { instanceOf: RangeError });
});

test('pcap write: frames longer than snaplen are cut, origLen keeps the wire length', (t) => {
  const frame = new Uint8Array(100).map((_, i) => i);
  const f = readCapture(encodePcap([{ data: frame, time: 1 }], { snaplen: 20 }));
  t.is(f.snaplen, 20);
  const [r] = ok(f);
  t.like(r, { capLen: 20, origLen: 100 });
  t.is(toHex(r!.data), toHex(frame.subarray(0, 20)));
});

// --- errors ------------------------------------------------------------------

test('pcap read: bad magic is ERR_PCAP_FORMAT and names the magic', (t) => {
  const f = readCapture(cat(hex('deadbeef'), HDR_LE_US.subarray(4)));
  t.is(f.error?.code, 'ERR_PCAP_FORMAT');
  t.regex(f.error!.message, /efbeadde|deadbeef/);
  t.is(f.records.length, 0);
});

test('pcap read: empty input and a truncated file header are ERR_PCAP_FORMAT', (t) => {
  t.is(readCapture(new Uint8Array(0)).error?.code, 'ERR_PCAP_FORMAT');
  t.is(readCapture(hex('d4c3')).error?.code, 'ERR_PCAP_FORMAT');
  const cut = readCapture(HDR_LE_US.subarray(0, 23));
  t.is(cut.error?.code, 'ERR_PCAP_FORMAT');
  t.regex(cut.error!.message, /23 of 24/);
});

test('pcap read: version other than 2.x is ERR_PCAP_FORMAT', (t) => {
  const h = Uint8Array.from(HDR_LE_US);
  h[4] = 1;
  t.is(readCapture(h).error?.code, 'ERR_PCAP_FORMAT');
});

test('pcap read: LINKTYPE_LINUX_SLL (113) is ERR_PCAP_LINKTYPE naming the link type', (t) => {
  const h = Uint8Array.from(HDR_LE_US);
  h[20] = 113;
  const f = readCapture(cat(h, REC_LE_US, ETH));
  t.is(f.error?.code, 'ERR_PCAP_LINKTYPE');
  t.regex(f.error!.message, /113 \(LINKTYPE_LINUX_SLL\)/);
  t.is(f.linkType, 113);
  t.is(f.records.length, 0);
  t.throws(() => [...iterateCapture(cat(h, REC_LE_US, ETH))], { code: 'ERR_PCAP_LINKTYPE' });
});

test('pcap read: FCS bits above the link type are masked (LT_LINKTYPE)', (t) => {
  const h = Uint8Array.from(HDR_LE_US);
  h[23] = 0x14; // LT_FCS_LENGTH_PRESENT | FCS length 1 (16-bit words)
  t.is(ok(readCapture(cat(h, REC_LE_US, ETH))).length, 1);
});

test('pcap read: a captured length above 262144 is ERR_PCAP_FORMAT after the good records', (t) => {
  const bad = hex('00000000 00000000 01000400 01000400');
  const f = readCapture(cat(HDR_LE_US, REC_LE_US, ETH, bad));
  t.is(f.records.length, 1);
  t.is(f.error?.code, 'ERR_PCAP_FORMAT');
  t.regex(f.error!.message, /record 2/);
});

test('pcap read: a cut last record stops cleanly with truncated set', (t) => {
  const whole = cat(HDR_LE_US, REC_LE_US, ETH, REC_LE_US, ETH);
  // Cut inside the second record's data, then inside its header.
  for (const keep of [whole.length - 5, 24 + 30 + 9]) {
    const f = readCapture(whole.subarray(0, keep));
    t.is(f.error, undefined);
    t.is(f.records.length, 1);
    t.true(f.truncated);
    t.is(f.truncatedBytes, keep - (24 + 30));
    const s = [...iterateCapture(whole.subarray(0, keep))];
    t.is(s.length, 1);
  }
  const full = readCapture(whole);
  t.false(full.truncated);
  t.is(full.records.length, 2);
  t.is(full.records[1]!.number, 2);
});

// --- pcapng ------------------------------------------------------------------

// Hand-written pcapng, little-endian: SHB (section length -1), IDB (Ethernet,
// snaplen 262144, no options: microseconds), EPB on interface 0 at
// hi:lo = 1:500000 us = 4295.467296 s, 14 of 60 bytes, padded to 16.
const NG_LE = hex(`
  0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000
  01000000 14000000 0100 0000 00000400 14000000
  06000000 30000000 00000000 01000000 20a10700 0e000000 3c000000
  ffffffffffff0200000000010806 0000 30000000`);
// The same file big-endian.
const NG_BE = hex(`
  0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c
  00000001 00000014 0001 0000 00040000 00000014
  00000006 00000030 00000000 00000001 0007a120 0000000e 0000003c
  ffffffffffff0200000000010806 0000 00000030`);

for (const [name, file, le] of [['little-endian', NG_LE, true], ['big-endian', NG_BE, false]] as const) {
  test(`pcapng read: deconstruct a ${name} SHB/IDB/EPB byte literal`, (t) => {
    const f = readCapture(file);
    const [r] = ok(f);
    t.like(f, { format: 'pcapng', linkType: 1, snaplen: 262144, littleEndian: le, truncated: false, count: 1 });
    t.like(r, { sec: 4295, nsec: 467_296_000, capLen: 14, origLen: 60, iface: 0, number: 1 });
    t.is(toHex(r!.data), toHex(ETH));
    t.is(r!.data.buffer, file.buffer);
  });
}

/** One pcapng block: type, body (padded to 4), lengths at both ends. */
function block(type: number, body: Uint8Array, le = true): Uint8Array {
  const len = 12 + ((body.length + 3) & ~3);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, len, le);
  b.set(body, 8);
  v.setUint32(len - 4, len, le);
  return b;
}

function fields(le: boolean, ...parts: [bits: 8 | 16 | 32, value: number][]): Uint8Array {
  const size = parts.reduce((n, [bits]) => n + bits / 8, 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  let o = 0;
  for (const [bits, x] of parts) {
    if (bits === 8) v.setUint8(o, x); else if (bits === 16) v.setUint16(o, x, le); else v.setUint32(o, x, le);
    o += bits / 8;
  }
  return b;
}

function option(le: boolean, code: number, value: Uint8Array): Uint8Array {
  const padded = new Uint8Array((value.length + 3) & ~3);
  padded.set(value);
  return cat(fields(le, [16, code], [16, value.length]), padded);
}

const END_OF_OPT = new Uint8Array(4);

const shb = (le = true): Uint8Array =>
  block(0x0a0d0d0a, fields(le, [32, 0x1a2b3c4d], [16, 1], [16, 0], [32, 0xffffffff], [32, 0xffffffff]), le);
const idb = (linkType: number, snaplen: number, le = true, ...opts: Uint8Array[]): Uint8Array =>
  block(1, cat(fields(le, [16, linkType], [16, 0], [32, snaplen]), ...opts, ...(opts.length ? [END_OF_OPT] : [])), le);
const epb = (iface: number, hi: number, lo: number, data: Uint8Array, origLen = data.length, le = true): Uint8Array =>
  block(6, cat(fields(le, [32, iface], [32, hi], [32, lo], [32, data.length], [32, origLen]), data), le);
const spb = (origLen: number, data: Uint8Array, le = true): Uint8Array =>
  block(3, cat(fields(le, [32, origLen]), data), le);

test('pcapng read: if_tsresol 10^-9 and 2^-10, and if_tsoffset', (t) => {
  const f = readCapture(cat(
    shb(),
    idb(1, 0, true, option(true, 9, Uint8Array.of(9))),
    idb(1, 0, true, option(true, 9, Uint8Array.of(0x80 | 10)), option(true, 14, fields(true, [32, 100], [32, 0]))),
    idb(1, 0), // default: microseconds
    // 1_600_000_000.123456789 s in ns = 0x16345785_dffbcd15
    epb(0, 0x16345785, 0xdffbcd15, ETH),
    // 3.5 s in 1/1024 s units, + 100 s offset
    epb(1, 0, 3584, ETH),
    epb(2, 0, 2_500_001, ETH),
  ));
  const [a, b, c] = ok(f);
  t.like(a, { sec: 1_600_000_000, nsec: 123_456_789, iface: 0 });
  t.like(b, { sec: 103, nsec: 500_000_000, iface: 1, time: 103.5 });
  t.like(c, { sec: 2, nsec: 500_001_000, iface: 2 });
});

test('pcapng read: SPB takes its length from IDB 0 snaplen and the previous time', (t) => {
  const data = new Uint8Array(40).fill(7);
  const f = readCapture(cat(shb(), idb(1, 20), epb(0, 0, 5_000_000, ETH), spb(60, data)));
  const [, s] = ok(f);
  t.like(s, { capLen: 20, origLen: 60, sec: 5, nsec: 0, iface: 0, number: 2 });
  t.is(toHex(s!.data), toHex(data.subarray(0, 20)));
  // Without a snaplen the block's own size and the original length bound it.
  const [u] = ok(readCapture(cat(shb(), idb(1, 0), spb(30, data))));
  t.is(u!.capLen, 30);
});

test('pcapng read: NRB, ISB, custom and unknown blocks are skipped by length', (t) => {
  const f = readCapture(cat(
    shb(), block(4, new Uint8Array(12).fill(0xaa)), idb(1, 0),
    block(5, new Uint8Array(20)), block(0x00000bad, new Uint8Array(8)), block(0x40000bad, new Uint8Array(5)),
    epb(0, 0, 1, ETH), block(0x12345678, new Uint8Array(0)), epb(0, 0, 2, ETH),
  ));
  t.deepEqual(ok(f).map((r) => r.nsec), [1000, 2000]);
});

test('pcapng read: a second section may switch byte order and resets interfaces', (t) => {
  const f = readCapture(cat(
    shb(true), idb(1, 0, true), epb(0, 0, 1, ETH, 14, true),
    shb(false), idb(1, 0, false), epb(0, 0, 2, ETH, 14, false),
  ));
  t.deepEqual(ok(f).map((r) => r.nsec), [1000, 2000]);
  t.false(f.littleEndian);
  // Interface 1 of the first section does not exist in the second.
  const g = readCapture(cat(shb(), idb(1, 0), idb(1, 0), epb(1, 0, 1, ETH), shb(), idb(1, 0), epb(1, 0, 2, ETH)));
  t.is(g.records.length, 1);
  t.is(g.error?.code, 'ERR_PCAP_FORMAT');
});

test('pcapng read: a packet on a non-Ethernet interface is ERR_PCAP_LINKTYPE', (t) => {
  // Declaring the interface is fine; reading a packet on it is not.
  const f = readCapture(cat(shb(), idb(1, 0), idb(113, 0), epb(0, 0, 1, ETH), epb(1, 0, 2, ETH)));
  t.is(f.records.length, 1);
  t.is(f.error?.code, 'ERR_PCAP_LINKTYPE');
  t.regex(f.error!.message, /interface 1.*113 \(LINKTYPE_LINUX_SLL\)/);
});

test('pcapng read: corrupt lengths are ERR_PCAP_FORMAT, a cut block is truncated', (t) => {
  const good = cat(shb(), idb(1, 0), epb(0, 0, 1, ETH));
  const badTrailer = Uint8Array.from(good);
  badTrailer[badTrailer.length - 4] ^= 4;
  t.is(readCapture(badTrailer).error?.code, 'ERR_PCAP_FORMAT');
  const oddLen = cat(good, hex('06000000 0d000000 00000000'));
  const f = readCapture(oddLen);
  t.is(f.records.length, 1);
  t.is(f.error?.code, 'ERR_PCAP_FORMAT');
  const epbPastBlock = cat(shb(), idb(1, 0), epb(0, 0, 1, ETH, 14));
  new DataView(epbPastBlock.buffer).setUint32(28 + 20 + 20, 200, true); // captured length 200
  t.is(readCapture(epbPastBlock).error?.code, 'ERR_PCAP_FORMAT');
  const cut = readCapture(good.subarray(0, good.length - 3));
  t.is(cut.error, undefined);
  t.true(cut.truncated);
  t.is(cut.records.length, 0);
  const noBom = Uint8Array.from(shb());
  noBom[8] = 0;
  t.is(readCapture(noBom).error?.code, 'ERR_PCAP_FORMAT');
});

// --- streaming ---------------------------------------------------------------

function readChunked(bytes: Uint8Array, cuts: number[]): { f: CaptureReader; records: CaptureRecord[] } {
  const f = new CaptureReader();
  const records: CaptureRecord[] = [];
  let prev = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b).concat(bytes.length)) {
    if (c < prev) continue;
    f.push(bytes.subarray(prev, c));
    for (const r of f.records()) records.push(r);
    prev = c;
  }
  f.end();
  for (const r of f.records()) records.push(r);
  return { f, records };
}

const frameArb = fc.uint8Array({ minLength: 0, maxLength: 200 });
const usRecordArb = fc.record({
  data: frameArb,
  sec: fc.integer({ min: 0, max: 0xffff_ffff }),
  usec: fc.integer({ min: 0, max: 999_999 }),
});

test('pcap round trip (property): encodePcap -> read keeps microsecond times and bytes', (t) => {
  fc.assert(fc.property(fc.array(usRecordArb, { maxLength: 20 }), fc.boolean(), (recs, bigEndian) => {
    const bytes = encodePcap(recs.map((r) => ({ data: r.data, time: r.sec + r.usec / 1e6 })), { bigEndian });
    const f = readCapture(bytes);
    if (f.error !== undefined || f.truncated || f.records.length !== recs.length) return false;
    return recs.every((r, i) => {
      const g = f.records[i]!;
      return g.sec === r.sec && g.nsec === r.usec * 1000 && g.capLen === r.data.length &&
        g.origLen === r.data.length && Math.abs(g.time - (r.sec + r.usec / 1e6)) < 1e-6 &&
        toHex(g.data) === toHex(r.data);
    });
  }), { numRuns: 300 });
  t.pass();
});

test('pcap round trip (property): nanosecond files keep exact sec/nsec', (t) => {
  const nsArb = fc.record({
    data: frameArb, sec: fc.integer({ min: 0, max: 0xffff_ffff }), nsec: fc.integer({ min: 0, max: 999_999_999 }),
  });
  fc.assert(fc.property(fc.array(nsArb, { maxLength: 10 }), fc.boolean(), (recs, bigEndian) => {
    const f = readCapture(encodePcap(recs.map((r) => ({ ...r, time: 0 })), { nanosecond: true, bigEndian }));
    return f.nanosecond && f.records.length === recs.length &&
      recs.every((r, i) => f.records[i]!.sec === r.sec && f.records[i]!.nsec === r.nsec);
  }), { numRuns: 200 });
  t.pass();
});

test('pcap streaming (property): any chunking gives the same records as one buffer', (t) => {
  fc.assert(fc.property(
    fc.array(usRecordArb, { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    (recs, rawCuts) => {
      const bytes = encodePcap(recs.map((r) => ({ data: r.data, time: r.sec + r.usec / 1e6 })));
      const whole = ok(readCapture(bytes));
      const { f, records } = readChunked(bytes, rawCuts.map((c) => c % (bytes.length + 1)));
      return f.error === undefined && !f.truncated && f.done && records.length === whole.length &&
        records.every((r, i) => r.sec === whole[i]!.sec && r.nsec === whole[i]!.nsec &&
          r.number === i + 1 && toHex(r.data) === toHex(whole[i]!.data));
    },
  ), { numRuns: 300 });
  t.pass();
});

test('pcapng streaming (property): any chunking gives the same records as one buffer', (t) => {
  const recs = Array.from({ length: 9 }, (_, i) => new Uint8Array(10 + 13 * i).fill(i));
  const bytes = cat(shb(), block(4, new Uint8Array(7)), idb(1, 0), ...recs.map((d, i) => epb(0, 0, i, d)));
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 15 }), (cuts) => {
    const { f, records } = readChunked(bytes, cuts);
    return f.error === undefined && !f.truncated && records.length === recs.length &&
      records.every((r, i) => r.nsec === i * 1000 && toHex(r.data) === toHex(recs[i]!));
  }), { numRuns: 300 });
  t.pass();
});

test('pcap streaming: records inside one chunk are views of it, not copies', (t) => {
  const chunkA = cat(HDR_LE_US, REC_LE_US, ETH, REC_LE_US, ETH.subarray(0, 5));
  const chunkB = cat(ETH.subarray(5), REC_LE_US, ETH);
  const r = new CaptureReader();
  r.push(chunkA);
  const a = [...r.records()];
  t.is(a.length, 1);
  t.is(a[0]!.data.buffer, chunkA.buffer);
  r.push(chunkB);
  const b = [...r.records()];
  t.is(b.length, 2);
  t.not(b[0]!.data.buffer, chunkA.buffer); // straddling: copied
  t.not(b[0]!.data.buffer, chunkB.buffer);
  t.is(toHex(b[0]!.data), toHex(ETH));
  t.is(b[1]!.data.buffer, chunkB.buffer);
  t.false(r.done);
  r.end();
  t.is(r.next(), undefined);
  t.true(r.done);
  t.false(r.truncated);
});

// --- hostile bytes -----------------------------------------------------------

const ERROR_CODES = new Set(['ERR_PCAP_FORMAT', 'ERR_PCAP_LINKTYPE']);

function sane(f: { error: unknown; records: CaptureRecord[]; count: number }): boolean {
  if (f.error !== undefined && !(isArpemuError(f.error) && ERROR_CODES.has(f.error.code))) return false;
  return f.records.length === f.count && f.records.every((r) => r.data.length === r.capLen && r.capLen <= 262144);
}

test('pcap read (property): arbitrary bytes never throw, whole or chunked', (t) => {
  const prefixes = [new Uint8Array(0), HDR_LE_US, HDR_BE_NS, cat(shb(), idb(1, 0)), cat(shb(false), idb(1, 0, false)), shb()];
  fc.assert(fc.property(
    fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 6 }),
    (prefix, tail, rawCuts) => {
      const bytes = cat(prefix, tail);
      const whole = readCapture(bytes);
      const { f, records } = readChunked(bytes, rawCuts.map((c) => c % (bytes.length + 1)));
      return sane(whole) && sane({ error: f.error, records, count: f.count }) &&
        records.length === whole.records.length && f.error?.code === whole.error?.code &&
        f.truncated === whole.truncated;
    },
  ), { numRuns: 2000 });
  t.pass();
});

test('pcap read (property): mutating a valid file never throws', (t) => {
  const base = cat(
    shb(), idb(1, 0, true, option(true, 9, Uint8Array.of(6))), epb(0, 0, 1, ETH), spb(14, ETH), epb(0, 1, 2, ETH),
  );
  const classic = encodePcap([{ data: ETH, time: 1 }, { data: ETH, time: 2 }]);
  fc.assert(fc.property(
    fc.constantFrom(base, classic), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    (file, edits) => {
      const b = Uint8Array.from(file);
      for (const [i, v] of edits) b[i % b.length] = v;
      return sane(readCapture(b));
    },
  ), { numRuns: 2000 });
  t.pass();
});

// --- PcapWriter and streams (files: test/link/pcapio.test.ts) ----------------------

const tmp = (t: { teardown(fn: () => void): void }): string => testDir(t, 'arpemu-pcap-');

test('PcapWriter: to a function sink and to a stream', async (t) => {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), { nanosecond: true, bufferSize: 100 });
  w.writeRecord({ data: new Uint8Array(300), time: 5, sec: 5, nsec: 1 }); // larger than the buffer
  w.write(ETH, 6.5);
  w.flush();
  const n = chunks.length;
  t.true(n >= 2);
  await w.close();
  const f = readCapture(cat(...chunks));
  t.deepEqual(ok(f).map((r) => [r.sec, r.nsec, r.capLen]), [[5, 1, 300], [6, 500_000_000, 14]]);

  const got: Uint8Array[] = [];
  let ended = false;
  const stream = {
    write(c: Uint8Array): boolean { got.push(c); return true; },
    end(cb?: () => void): void { ended = true; cb?.(); },
  };
  const s = new PcapWriter(stream);
  s.write(ETH, 1);
  await s.close();
  t.true(ended);
  t.is(ok(readCapture(cat(...got))).length, 1);
});

test('PcapWriter: a sync sink gets views of the buffer at each flush, closeSync once at close; an fd number is refused', async (t) => {
  const recs = manyRecords(500);
  const blocks: string[] = [];
  let closes = 0;
  const w = new PcapWriter({
    writeSync: (b) => { blocks.push(toHex(b)); }, // a view: valid only during the call
    closeSync: () => { closes++; },
  }, { bufferSize: 4096 });
  for (const r of recs) w.writeRecord(r);
  const before = blocks.length;
  t.true(before > 1, 'full buffers were handed over while writing');
  t.is(closes, 0);
  await w.close();
  await w.close();
  t.is(closes, 1);
  t.is(blocks.join(''), toHex(encodePcap(recs)), 'same bytes as encodePcap');
  t.is(w.bytesWritten, encodePcap(recs).length);
  t.throws(() => new PcapWriter(3 as never), { instanceOf: TypeError, message: /pcapio/ });
  t.throws(() => new PcapWriter({ write: () => true } as never), { instanceOf: TypeError });
});

test('CaptureStream: leaving the loop early closes the source; errors come after the good records', async (t) => {
  let closed = false, pulled = 0;
  const good = encodePcap(manyRecords(50));
  const source = {
    [Symbol.asyncIterator]: (): AsyncIterator<Uint8Array> => ({
      next: async () => (pulled < good.length ? { value: good.subarray(pulled, (pulled += 100)), done: false } : { value: undefined, done: true }),
      return: async () => { closed = true; return { value: undefined, done: true }; },
    }),
  };
  let n = 0;
  for await (const r of new CaptureStream(source)) { void r; if (++n === 3) break; }
  t.true(closed);
  t.true(pulled < good.length);
  // Two records, then a record claiming 1 MiB: both delivered, then a rejection.
  const bad = cat(encodePcap(manyRecords(2)), hex('00000000 00000000 00001000 00001000'));
  const seen: number[] = [];
  await t.throwsAsync(async () => {
    for await (const r of new CaptureStream((async function* () { yield bad; })())) seen.push(r.number);
  }, { code: 'ERR_PCAP_FORMAT' });
  t.deepEqual(seen, [1, 2]);
});

// --- a real decoder reads what we write -----------------------------------------

requireOrSkip(test, 'PcapWriter: tshark reads our us/ns, LE/BE files with the same times and lengths', [needTool('tshark', 'tshark')], async (t) => {
  const dir = tmp(t);
  const recs: PcapWriteRecord[] = [
    { data: new Uint8Array(60).fill(1), time: 0, sec: 1_268_518_494, nsec: 558_191_123, origLen: 60 },
    { data: new Uint8Array(42).fill(2), time: 0, sec: 1_700_000_000, nsec: 1_000, origLen: 1514 },
  ];
  for (const opts of [{}, { nanosecond: true }, { bigEndian: true }, { nanosecond: true, bigEndian: true }]) {
    const path = join(dir, `t${JSON.stringify(opts).replace(/\W/g, '')}.pcap`);
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), opts);
    for (const r of recs) w.writeRecord(r);
    await w.close();
    writeFileSync(path, cat(...chunks));
    const out = spawnSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'], { encoding: 'utf8' });
    t.is(out.status, 0, out.stderr);
    const ns = opts.nanosecond === true;
    const want = recs.map((r) => {
      const nsec = ns ? r.nsec! : Math.round(r.nsec! / 1000) * 1000;
      return `${r.sec}.${String(nsec).padStart(9, '0')}\t${r.data.length}\t${r.origLen}`;
    });
    t.deepEqual(out.stdout.trim().split('\n'), want, JSON.stringify(opts));
  }
});
