import test from 'ava';
import fc from 'fast-check';
import { readIpv4 } from '../../src/wire/addr.js';
import { ETHERTYPE_IP, emitEthernet } from '../../src/wire/ethernet.js';
import {
  DISCARD_PORT, IPPROTO_UDP, IPV4_BAD_IHL, IPV4_BAD_LEN, IPV4_BAD_VERSION, IPV4_OK, IPV4_REASON_NAMES, IPV4_RUNT,
  IPV4_TRUNCATED, Ipv4Packet, type Ipv4Repr, emitIpv4Header, emitUdpDatagram, internetChecksum, parseIpv4Header,
  udpChecksumOk,
} from '../../src/wire/ipv4.js';
import { runTshark, tsharkTest } from './tshark.js';

import { hex, toHex } from '../helpers/bytes.js';

// A widely published example header (192.168.0.1 > 192.168.0.199, UDP, DF, checksum 0xb861) + 95 zero bytes.
const HEADER = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
const DATAGRAM = new Uint8Array(0x73);
DATAGRAM.set(HEADER);
const REPR: Ipv4Repr = { src: 0xc0a8_0001, dst: 0xc0a8_00c7, proto: IPPROTO_UDP, payloadLen: 0x73 - 20, ttl: 64, id: 0, df: true };

/** RFC 1071 checksum written differently (DataView, 32-bit accumulate, fold at the end) to cross-check. */
function refChecksum(b: Uint8Array, pseudo = 0): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let s = pseudo;
  for (let i = 0; i + 1 < b.length; i += 2) s += dv.getUint16(i);
  if (b.length % 2 === 1) s += b[b.length - 1]! * 256;
  while (s >= 0x10000) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return (0xffff - s);
}

test('Ipv4Packet: deconstruct a header byte literal', (t) => {
  const v = new Ipv4Packet();
  t.is(v.reset(DATAGRAM), IPV4_OK);
  t.is(v.version, 4);
  t.is(v.ihl, 5);
  t.is(v.headerLength, 20);
  t.is(v.totalLength, 0x73);
  t.is(v.ident, 0);
  t.is(v.fragWord, 0x4000);
  t.is(v.ttl, 64);
  t.is(v.proto, IPPROTO_UDP);
  t.is(v.checksum, 0xb861);
  t.is(v.src, 0xc0a8_0001);
  t.is(v.dst, 0xc0a8_00c7);
  t.is(v.payloadOffset, 20);
  t.is(v.payloadLength, 0x73 - 20);
  t.true(v.checksumOk());
});

test('emitIpv4Header: construct the literal header, checksum included', (t) => {
  const b = new Uint8Array(22).fill(0xee);
  t.is(emitIpv4Header(REPR, b, 1), 21);
  t.is(toHex(b.subarray(1, 21)), toHex(HEADER));
  t.is(b[0], 0xee);
  t.is(b[21], 0xee);
});

test('parseIpv4Header: the literal to a value; a corrupted checksum gives undefined', (t) => {
  t.deepEqual(parseIpv4Header(new Ipv4Packet(DATAGRAM)), REPR);
  const bad = Uint8Array.from(DATAGRAM);
  bad[11] ^= 1;
  const v = new Ipv4Packet();
  t.is(v.reset(bad), IPV4_OK, 'the checksum is not part of the structural check');
  t.false(v.checksumOk());
  t.is(parseIpv4Header(v), undefined);
});

test('internetChecksum: RFC 1071 section 3 example, odd lengths, initial sum', (t) => {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (complement 220d).
  t.is(internetChecksum(hex('0001f203f4f5f6f7'), 0, 8), 0x220d);
  t.is(internetChecksum(hex('0001f203f4f5f6f7'), 0, 8), refChecksum(hex('0001f203f4f5f6f7')));
  t.is(internetChecksum(hex('ab'), 0, 1), 0xffff - 0xab00);
  t.is(internetChecksum(hex('00'), 0, 0), 0xffff);
  t.is(internetChecksum(hex('0001'), 0, 2, 0xfffe), 0, 'the initial partial sum is added in');
});

test('property: internetChecksum agrees with a reference implementation', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0x3ffff }), (b, init) =>
    internetChecksum(b, 0, b.length, init) === refChecksum(b, init)), { numRuns: 1000 });
  t.pass();
});

test('emitUdpDatagram: fields, default port 9 (discard), checksum verifies', (t) => {
  const b = new Uint8Array(80).fill(0xee);
  const n = emitUdpDatagram(b, 2, { src: 0x0a00_0001, dst: 0x0a00_004d, srcPort: 49152, payloadLen: 18, id: 7, payload: hex('6172') });
  t.is(n, 20 + 8 + 18);
  t.is(b[1], 0xee);
  t.is(b[2 + n], 0xee, 'nothing written after the datagram');
  const d = b.subarray(2, 2 + n);
  t.is(toHex(d.subarray(0, 10)), '4500002e000700004011', 'v4, ihl 5, length 46, id 7, no DF, ttl 64, UDP');
  const v = new Ipv4Packet();
  t.is(v.reset(d), IPV4_OK);
  t.deepEqual(parseIpv4Header(v), { src: 0x0a00_0001, dst: 0x0a00_004d, proto: IPPROTO_UDP, payloadLen: 26, ttl: 64, id: 7, df: false });
  t.is(toHex(d.subarray(20, 26)), 'c000' + '0009' + '001a');
  t.is(toHex(d.subarray(28, 31)), '617200', 'payload copied, rest zero');
  t.is(refChecksum(d.subarray(0, 20)), 0);
  // UDP pseudo-header (RFC 768): src, dst, zero, proto, UDP length.
  const pseudo = 0x0a00 + 0x0001 + 0x0a00 + 0x004d + IPPROTO_UDP + 26;
  t.is(refChecksum(d.subarray(20), pseudo), 0);
  t.true(udpChecksumOk(v));
  t.is(DISCARD_PORT, 9);
});

test('emitUdpDatagram: udpChecksum false writes 0; a computed 0 is sent as ffff (RFC 768)', (t) => {
  const o = { src: 0x0a00_0001, dst: 0x0a00_0002, srcPort: 1000, dstPort: 2000, payloadLen: 2, id: 1, ttl: 3 };
  const b = new Uint8Array(30);
  emitUdpDatagram(b, 0, { ...o, udpChecksum: false });
  t.is((b[26]! << 8) | b[27]!, 0);
  t.true(udpChecksumOk(new Ipv4Packet(b)), 'zero means no checksum');
  t.is(b[8], 3, 'ttl');
  // Choose the payload word so the checksum computes to zero.
  emitUdpDatagram(b, 0, o);
  const c = (b[26]! << 8) | b[27]!;
  emitUdpDatagram(b, 0, { ...o, payload: Uint8Array.from([c >>> 8, c & 0xff]) });
  t.is((b[26]! << 8) | b[27]!, 0xffff);
  t.true(udpChecksumOk(new Ipv4Packet(b)));
  b[29] ^= 0x10;
  t.false(udpChecksumOk(new Ipv4Packet(b)), 'a flipped payload bit is caught');
});

test('emitUdpDatagram: caller bugs throw RangeError', (t) => {
  const o = { src: 1, dst: 2, srcPort: 1, payloadLen: 10, id: 0 };
  t.throws(() => emitUdpDatagram(new Uint8Array(37), 0, o), { instanceOf: RangeError });
  t.throws(() => emitUdpDatagram(new Uint8Array(100), 0, { ...o, srcPort: 70000 }), { instanceOf: RangeError });
  t.throws(() => emitUdpDatagram(new Uint8Array(100), 0, { ...o, dstPort: -1 }), { instanceOf: RangeError });
  t.throws(() => emitUdpDatagram(new Uint8Array(100), 0, { ...o, payloadLen: -1 }), { instanceOf: RangeError });
  t.throws(() => emitUdpDatagram(new Uint8Array(70000), 0, { ...o, payloadLen: 65508 }), { instanceOf: RangeError });
  t.notThrows(() => emitUdpDatagram(new Uint8Array(70000), 0, { ...o, payloadLen: 65507 }));
});

const reasons: [string, (b: Uint8Array) => Uint8Array, number][] = [
  ['runt: 19 bytes', (b) => b.subarray(0, 19), IPV4_RUNT],
  ['bad_version: 6', (b) => { b[0] = 0x65; return b; }, IPV4_BAD_VERSION],
  ['bad_ihl: 4 words', (b) => { b[0] = 0x44; return b; }, IPV4_BAD_IHL],
  ['bad_len: total 19', (b) => { b[2] = 0; b[3] = 19; return b; }, IPV4_BAD_LEN],
  ['bad_len: total below an optioned header', (b) => { b[0] = 0x46; b[2] = 0; b[3] = 23; return b; }, IPV4_BAD_LEN],
  ['truncated: total beyond the bytes', (b) => b.subarray(0, 0x72), IPV4_TRUNCATED],
];
for (const [title, edit, want] of reasons) {
  test(`Ipv4Packet check: ${title}`, (t) => {
    t.is(IPV4_REASON_NAMES[new Ipv4Packet().reset(edit(Uint8Array.from(DATAGRAM)))], IPV4_REASON_NAMES[want]);
  });
}

const ipArb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => readIpv4(b, 0));

test('property: parseIpv4Header(emitIpv4Header(x)) equals x', (t) => {
  const b = new Uint8Array(300);
  fc.assert(fc.property(fc.record({
    src: ipArb, dst: ipArb, proto: fc.integer({ min: 0, max: 255 }), payloadLen: fc.integer({ min: 0, max: 280 }),
    ttl: fc.integer({ min: 0, max: 255 }), id: fc.integer({ min: 0, max: 0xffff }), df: fc.boolean(),
  }), (r) => {
    emitIpv4Header(r, b, 0);
    return JSON.stringify(parseIpv4Header(new Ipv4Packet(b))) === JSON.stringify(r);
  }));
  t.pass();
});

test('property: the IPv4 view never throws on arbitrary bytes, offsets and lengths', (t) => {
  const v = new Ipv4Packet();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -2, max: 82 }), fc.integer({ min: -2, max: 90 }),
    (b, off, len) => {
      const r = v.reset(b, off, len);
      if (r === IPV4_OK) { v.checksumOk(); udpChecksumOk(v); parseIpv4Header(v); }
      return r >= 0 && r < IPV4_REASON_NAMES.length;
    }), { numRuns: 3000 });
  t.pass();
});

tsharkTest('emitUdpDatagram: tshark validates both checksums of a frame to port 9', (t) => {
  const f = new Uint8Array(14 + 28 + 18);
  const off = emitEthernet(f, 0, 0x02_00_00_00_00_02, 0x02_00_00_00_00_01, ETHERTYPE_IP);
  emitUdpDatagram(f, off, { src: 0x0a00_0001, dst: 0x0a00_0002, srcPort: 40000, payloadLen: 18, id: 0x1234 });
  const out = runTshark([f], [
    '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'udp.length',
    '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', '_ws.expert',
  ]);
  // checksum status 1 = Good
  t.is(out.trim(), '10.0.0.1,10.0.0.2,9,26,1,1,');
});
