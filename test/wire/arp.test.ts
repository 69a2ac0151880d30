import test from 'ava';
import fc from 'fast-check';
import { readIpv4, readMac } from '../../src/wire/addr.js';
import {
  ARPHRD_ETHER, ARPHRD_IEEE802, ARPOP_REPLY, ARPOP_REQUEST, ARP_BAD_HLN, ARP_BAD_HRD, ARP_BAD_OP,
  ARP_BAD_PLN, ARP_BAD_PRO, ARP_FRAME_LEN, ARP_NOT_ARP, ARP_OK, ARP_REASON_CODES, ARP_REASON_COUNT,
  ARP_REASON_NAMES, ARP_RUNT, ARP_TRUNCATED, ArpPacket, type ArpRepr, arpReasonName, classifyFrame,
  emitArp, emitArpFrame, parseArp,
} from '../../src/wire/arp.js';
import { ETHERTYPE_IP } from '../../src/wire/ethernet.js';
import { tsharkTest, runTshark } from './tshark.js';

import { hex, toHex } from '../helpers/bytes.js';

// who-has 10.0.0.2 tell 10.0.0.1, from 02:00:00:00:00:01
const REQUEST = hex(`
  0001 0800 06 04 0001
  020000000001 0a000001
  000000000000 0a000002`);
const REQUEST_REPR: ArpRepr = { op: ARPOP_REQUEST, sha: 0x02_00_00_00_00_01, spa: 0x0a00_0001, tha: 0, tpa: 0x0a00_0002 };
const REQUEST_FRAME = hex(`ffffffffffff 020000000001 0806`) ;

function frame(eth: Uint8Array, arp: Uint8Array, pad = 0): Uint8Array {
  const f = new Uint8Array(eth.length + arp.length + pad);
  f.set(eth);
  f.set(arp, eth.length);
  return f;
}

/** REQUEST with byte `i` replaced. */
function patched(...edits: [number, number][]): Uint8Array {
  const b = Uint8Array.from(REQUEST);
  for (const [i, v] of edits) b[i] = v;
  return b;
}

test('ArpPacket: deconstruct a request byte literal', (t) => {
  const v = new ArpPacket();
  t.is(v.reset(REQUEST), ARP_OK);
  t.is(v.hrd, ARPHRD_ETHER);
  t.is(v.pro, ETHERTYPE_IP);
  t.is(v.hln, 6);
  t.is(v.pln, 4);
  t.is(v.op, ARPOP_REQUEST);
  t.is(v.sha, 0x02_00_00_00_00_01);
  t.is(v.spa, 0x0a00_0001);
  t.is(v.tha, 0);
  t.is(v.tpa, 0x0a00_0002);
  t.deepEqual([v.shaOffset, v.spaOffset, v.thaOffset, v.tpaOffset, v.packetLength], [8, 14, 18, 24, 28]);
});

test('ArpPacket: construct a request in place with the setters', (t) => {
  const b = new Uint8Array(28).fill(0xee);
  const v = new ArpPacket().wrap(b);
  v.hrd = ARPHRD_ETHER; v.pro = ETHERTYPE_IP; v.hln = 6; v.pln = 4; v.op = ARPOP_REQUEST;
  v.sha = 0x02_00_00_00_00_01; v.spa = 0x0a00_0001; v.tha = 0; v.tpa = 0x0a00_0002;
  t.is(toHex(b), toHex(REQUEST));
});

test('ArpPacket: offsets follow hln/pln (hln 8, pln 4: 8 + 8 + 4 + 8 + 4 bytes)', (t) => {
  const b = hex(`
    0001 0800 08 04 0001
    0102030405060708 c0a80001
    1112131415161718 c0a80002`);
  const v = new ArpPacket();
  t.is(v.reset(b), ARP_BAD_HLN);
  t.deepEqual([v.shaOffset, v.spaOffset, v.thaOffset, v.tpaOffset, v.packetLength], [8, 16, 20, 28, 32]);
  t.is(readIpv4(b, v.off + v.spaOffset), 0xc0a8_0001);
  t.is(readIpv4(b, v.off + v.tpaOffset), 0xc0a8_0002);
  t.is(v.reset(b.subarray(0, 31)), ARP_TRUNCATED);
  // Setting a length through the view moves the offsets with it.
  v.wrap(new Uint8Array(28));
  v.hln = 6; v.pln = 4;
  t.is(v.tpaOffset, 24);
  v.hln = 5;
  t.is(v.tpaOffset, 8 + 5 + 4 + 5);
});

test('parseArp: a request byte literal to a value', (t) => {
  t.deepEqual(parseArp(new ArpPacket(REQUEST)), REQUEST_REPR);
});

test('emitArp: a value to the request byte literal', (t) => {
  const b = new Uint8Array(30).fill(0xee);
  t.is(emitArp(REQUEST_REPR, b, 1), 28);
  t.is(toHex(b.subarray(1, 29)), toHex(REQUEST));
  t.is(b[0], 0xee, 'nothing written before off');
  t.is(b[29], 0xee, 'nothing written after the packet');
});

test('emitArp/emitArpFrame: a short buffer is a caller bug (RangeError)', (t) => {
  t.throws(() => emitArp(REQUEST_REPR, new Uint8Array(27)), { instanceOf: RangeError });
  t.throws(() => emitArpFrame(new Uint8Array(41), 0, 0, REQUEST_REPR), { instanceOf: RangeError });
  t.throws(() => emitArpFrame(new Uint8Array(60), 0, 0, REQUEST_REPR, 19), { instanceOf: RangeError });
});

test('emitArpFrame: 42 bytes, Ethernet header then the packet, not padded', (t) => {
  const b = new Uint8Array(64).fill(0xee);
  const n = emitArpFrame(b, 0xffff_ffff_ffff, 0x02_00_00_00_00_01, REQUEST_REPR);
  t.is(n, 42);
  t.is(n, ARP_FRAME_LEN);
  t.is(toHex(b.subarray(0, 42)), toHex(frame(REQUEST_FRAME, REQUEST)));
  t.is(b[42], 0xee);
  const v = new ArpPacket();
  t.is(classifyFrame(v, b, 0, n), ARP_OK);
  t.deepEqual(parseArp(v), REQUEST_REPR);
});

test('arpintr: hardware type IEEE 802 (6) is accepted like Ethernet', (t) => {
  t.is(new ArpPacket().reset(patched([1, ARPHRD_IEEE802])), ARP_OK);
});

test('emitArp: an explicit hardware type (a reply keeps the request\'s ar_hrd)', (t) => {
  const b = new Uint8Array(42);
  emitArpFrame(b, 0, 0, REQUEST_REPR, 0, ARPHRD_IEEE802);
  t.is(toHex(b.subarray(14)), toHex(patched([1, ARPHRD_IEEE802])));
});

test('arpintr: a reply with Ethernet trailer padding is accepted', (t) => {
  const reply = patched([7, ARPOP_REPLY]);
  const f = frame(REQUEST_FRAME, reply, 18);
  t.is(f.length, 60);
  const v = new ArpPacket();
  t.is(classifyFrame(v, f), ARP_OK);
  t.is(v.op, ARPOP_REPLY);
});

// One literal per reason; the order of the checks follows arpintr.
const cases: [string, Uint8Array, number][] = [
  ['runt: 7 bytes, shorter than the fixed header', REQUEST.subarray(0, 7), ARP_RUNT],
  ['runt: empty', new Uint8Array(0), ARP_RUNT],
  ['bad_hrd: hardware type 3', patched([1, 3]), ARP_BAD_HRD],
  ['bad_hrd: hardware type 0x0100 (byte-swapped Ethernet)', patched([0, 1], [1, 0]), ARP_BAD_HRD],
  ['bad_hrd wins over truncated (checked first, as arpintr does)', patched([1, 3]).subarray(0, 10), ARP_BAD_HRD],
  ['truncated: 27 bytes', REQUEST.subarray(0, 27), ARP_TRUNCATED],
  ['truncated: only the fixed header', REQUEST.subarray(0, 8), ARP_TRUNCATED],
  ['truncated wins over bad_pro (the whole packet is pulled up first)', patched([2, 0x86], [3, 0xdd]).subarray(0, 20), ARP_TRUNCATED],
  ['truncated: hln 255 makes the packet claim 526 bytes', patched([4, 255]), ARP_TRUNCATED],
  ['bad_pro: IPv6 ethertype', patched([2, 0x86], [3, 0xdd]), ARP_BAD_PRO],
  ['bad_pro wins over bad_hln', patched([3, 0x01], [4, 5]), ARP_BAD_PRO],
  ['bad_hln: hln 5 (packet long enough for it)', patched([4, 5]), ARP_BAD_HLN],
  ['bad_hln: hln 0', patched([4, 0]), ARP_BAD_HLN],
  ['bad_hln wins over bad_pln', patched([4, 5], [5, 3]), ARP_BAD_HLN],
  ['bad_pln: pln 3', patched([5, 3]), ARP_BAD_PLN],
  ['bad_pln wins over bad_op', patched([5, 3], [7, 9]), ARP_BAD_PLN],
  ['bad_op: op 0', patched([7, 0]), ARP_BAD_OP],
  ['bad_op: RARP request (3)', patched([7, 3]), ARP_BAD_OP],
  ['bad_op: op 0x0101', patched([6, 1], [7, 1]), ARP_BAD_OP],
];
for (const [title, bytes, want] of cases) {
  test(`arpintr check: ${title}`, (t) => {
    const v = new ArpPacket();
    const got = v.reset(bytes);
    t.is(ARP_REASON_NAMES[got], ARP_REASON_NAMES[want]);
    t.is(v.reason, want);
    t.is(parseArp(v), undefined);
  });
}

test('bad_op: the unknown opcode stays readable after the check', (t) => {
  const v = new ArpPacket();
  t.is(v.reset(patched([6, 0x75], [7, 0x01])), ARP_BAD_OP);
  t.is(v.op, 0x7501);
  t.is(v.spa, 0x0a00_0001);
});

test('reset: one view reused over packets at offsets in one buffer', (t) => {
  const buf = new Uint8Array(100);
  buf.set(REQUEST, 3);
  buf.set(patched([7, 2], [17, 9]), 50);
  const v = new ArpPacket();
  t.is(v.reset(buf, 3, 28), ARP_OK);
  t.is(v.op, 1);
  t.is(v.spa, 0x0a00_0001);
  t.is(v.reset(buf, 50, 28), ARP_OK);
  t.is(v.op, 2);
  t.is(v.spa, 0x0a00_0009);
  t.is(v.reset(buf, 50, 27), ARP_TRUNCATED, 'the length argument bounds the packet, not the buffer');
});

test('reset: hostile offsets and lengths never throw', (t) => {
  const v = new ArpPacket();
  t.is(v.reset(REQUEST, -1), ARP_RUNT);
  t.is(v.reset(REQUEST, 28), ARP_RUNT);
  t.is(v.reset(REQUEST, 1000), ARP_RUNT);
  t.is(v.reset(REQUEST, Number.NaN), ARP_RUNT);
  t.is(v.reset(REQUEST, 0, -5), ARP_RUNT);
  t.is(v.reset(REQUEST, 0, Number.NaN), ARP_RUNT);
  t.is(v.reset(REQUEST, 0, 1e9), ARP_OK, 'a length beyond the buffer is clamped');
  t.is(v.len, 28);
});

test('classifyFrame: Ethernet runt, not ARP, then the ARP checks', (t) => {
  const v = new ArpPacket();
  const ok = frame(REQUEST_FRAME, REQUEST);
  t.is(classifyFrame(v, ok), ARP_OK);
  t.is(v.off, 14);
  t.is(classifyFrame(v, ok.subarray(0, 13)), ARP_RUNT, '13 bytes: no Ethernet header');
  t.is(classifyFrame(v, ok.subarray(0, 14)), ARP_RUNT, 'a header and no ARP bytes');
  t.is(classifyFrame(v, ok.subarray(0, 21)), ARP_RUNT, '7 ARP bytes');
  t.is(classifyFrame(v, ok, 0, 41), ARP_TRUNCATED);
  const ip = Uint8Array.from(ok); ip[13] = 0x00;
  t.is(classifyFrame(v, ip), ARP_NOT_ARP);
  const vlan = Uint8Array.from(ok); vlan[12] = 0x81; vlan[13] = 0x00;
  t.is(classifyFrame(v, vlan), ARP_NOT_ARP, '802.1Q-tagged frames are not ours');
  t.is(classifyFrame(v, ok, -3), ARP_RUNT);
  t.is(classifyFrame(v, ok, 50), ARP_RUNT);
});

test('reason tables: names and codes agree, counters can be arrays', (t) => {
  t.is(ARP_REASON_COUNT, 9);
  ARP_REASON_NAMES.forEach((name, code) => {
    t.is(ARP_REASON_CODES[name], code);
    t.is(arpReasonName(code), name);
  });
  t.is(arpReasonName(99), undefined);
  t.is(ARP_REASON_NAMES[ARP_OK], 'ok');
});

// ---- properties ----

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => readMac(b, 0));
const ipArb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => readIpv4(b, 0));
const reprArb: fc.Arbitrary<ArpRepr> = fc.record({
  op: fc.constantFrom(ARPOP_REQUEST, ARPOP_REPLY),
  sha: macArb, spa: ipArb, tha: macArb, tpa: ipArb,
});

test('property: parseArp(emitArp(x)) equals x', (t) => {
  const buf = new Uint8Array(64);
  const v = new ArpPacket();
  fc.assert(fc.property(reprArb, fc.integer({ min: 0, max: 36 }), (r, off) => {
    const n = emitArp(r, buf, off);
    return v.reset(buf, off, n) === ARP_OK && JSON.stringify(parseArp(v)) === JSON.stringify(r);
  }), { numRuns: 2000 });
  t.pass();
});

test('property: emitArpFrame then classifyFrame round-trips', (t) => {
  const buf = new Uint8Array(60);
  const v = new ArpPacket();
  fc.assert(fc.property(reprArb, macArb, macArb, (r, dst, src) => {
    const n = emitArpFrame(buf, dst, src, r);
    if (classifyFrame(v, buf, 0, n) !== ARP_OK) return false;
    t.deepEqual(parseArp(v), r);
    return readMac(buf, 0) === dst && readMac(buf, 6) === src;
  }), { numRuns: 500 });
});

/** The spec of the checks, written the slow plain way, to compare against. */
function specReason(b: Uint8Array): number {
  if (b.length < 8) return ARP_RUNT;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hrd = dv.getUint16(0);
  if (![1, 6].includes(hrd)) return ARP_BAD_HRD;
  if (b.length < 8 + 2 * dv.getUint8(4) + 2 * dv.getUint8(5)) return ARP_TRUNCATED;
  if (dv.getUint16(2) !== 0x0800) return ARP_BAD_PRO;
  if (dv.getUint8(4) !== 6) return ARP_BAD_HLN;
  if (dv.getUint8(5) !== 4) return ARP_BAD_PLN;
  if (![1, 2].includes(dv.getUint16(6))) return ARP_BAD_OP;
  return ARP_OK;
}

// Mostly-plausible headers, so every branch is reached, not just bad_hrd.
const likely = <T>(good: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: fc.constant(good), weight: 5 }, { arbitrary: other, weight: 1 });
const headerishArb = fc.tuple(
  likely(1, fc.oneof(fc.constantFrom(0, 6, 0x100, 0x600), fc.integer({ min: 0, max: 0xffff }))),
  likely(0x0800, fc.integer({ min: 0, max: 0xffff })),
  likely(6, fc.oneof(fc.constantFrom(0, 5, 255), fc.integer({ min: 0, max: 255 }))),
  likely(4, fc.oneof(fc.constantFrom(0, 3, 255), fc.integer({ min: 0, max: 255 }))),
  likely(1, fc.oneof(fc.constantFrom(2, 0, 3, 0x101), fc.integer({ min: 0, max: 0xffff }))),
  fc.uint8Array({ minLength: 20, maxLength: 80 }),
  likely(0, fc.integer({ min: 0, max: 90 })),
).map(([hrd, pro, hln, pln, op, tail, cut]) => {
  const b = new Uint8Array(8 + tail.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, hrd); dv.setUint16(2, pro); b[4] = hln; b[5] = pln; dv.setUint16(6, op);
  b.set(tail, 8);
  return b.subarray(0, Math.max(0, b.length - cut));
});

test('property: the checked view agrees with the spec on random header fields', (t) => {
  const v = new ArpPacket();
  const seen = new Set<number>();
  fc.assert(fc.property(headerishArb, (b) => {
    const got = v.reset(b);
    seen.add(got);
    return got === specReason(b);
  }), { numRuns: 5000 });
  t.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 3, 4, 5, 6, 7, 8], 'every ARP reason was exercised');
});

test('property: offsets are 8, 8+hln, 8+hln+pln, 8+2hln+pln; on accepted packets the getters read there', (t) => {
  const v = new ArpPacket();
  fc.assert(fc.property(headerishArb, fc.uint8Array({ minLength: 600, maxLength: 600 }), (head, tail) => {
    const b = new Uint8Array(600);
    b.set(tail); b.set(head.subarray(0, Math.min(head.length, 8)));
    const r = v.reset(b);
    const hln = b[4]!, pln = b[5]!;
    if ([v.shaOffset, v.spaOffset, v.thaOffset, v.tpaOffset].join() !== [8, 8 + hln, 8 + hln + pln, 8 + 2 * hln + pln].join()) return false;
    return r !== ARP_OK || (v.sha === readMac(b, v.shaOffset) && v.spa === readIpv4(b, v.spaOffset) &&
      v.tha === readMac(b, v.thaOffset) && v.tpa === readIpv4(b, v.tpaOffset));
  }), { numRuns: 2000 });
  t.pass();
});

test('property: arbitrary bytes, offsets and lengths never throw (view, classify, parse)', (t) => {
  const v = new ArpPacket();
  fc.assert(fc.property(
    fc.uint8Array({ maxLength: 120 }),
    fc.oneof(fc.integer({ min: -4, max: 130 }), fc.constant(Number.NaN)),
    fc.oneof(fc.integer({ min: -4, max: 200 }), fc.constant(Number.NaN)),
    (b, off, len) => {
      const r1 = v.reset(b, off, len);
      // Getters on a failed view read garbage but must not throw either.
      void (v.hrd + v.pro + v.hln + v.pln + v.op + v.sha + v.spa + v.tha + v.tpa);
      parseArp(v);
      const r2 = classifyFrame(v, b, off, len);
      parseArp(v);
      return r1 >= 0 && r1 < ARP_REASON_COUNT && r2 >= 0 && r2 < ARP_REASON_COUNT;
    }), { numRuns: 5000 });
  t.pass();
});

tsharkTest('emitArpFrame: tshark decodes 42-byte request and reply frames with no expert warnings', (t) => {
  const req = new Uint8Array(42), rep = new Uint8Array(42);
  emitArpFrame(req, 0xffff_ffff_ffff, 0x02_00_00_00_00_01, REQUEST_REPR);
  emitArpFrame(rep, 0x02_00_00_00_00_01, 0x02_00_00_00_00_02,
    { op: ARPOP_REPLY, sha: 0x02_00_00_00_00_02, spa: 0x0a00_0002, tha: 0x02_00_00_00_00_01, tpa: 0x0a00_0001 });
  const out = runTshark([req, rep], [
    '-T', 'fields', '-E', 'separator=,', '-e', 'frame.len', '-e', 'arp.opcode', '-e', 'arp.src.hw_mac',
    '-e', 'arp.src.proto_ipv4', '-e', 'arp.dst.hw_mac', '-e', 'arp.dst.proto_ipv4', '-e', '_ws.expert',
  ]);
  t.deepEqual(out.trim().split('\n'), [
    '42,1,02:00:00:00:00:01,10.0.0.1,00:00:00:00:00:00,10.0.0.2,',
    '42,2,02:00:00:00:00:02,10.0.0.2,02:00:00:00:00:01,10.0.0.1,',
  ]);
});
