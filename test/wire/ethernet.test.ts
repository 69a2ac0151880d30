import test from 'ava';
import fc from 'fast-check';
import { readMac } from '../../src/wire/addr.js';
import {
  ETHERTYPE_ARP, ETHERTYPE_IP, ETHER_HDR_LEN, ETHER_OK, ETHER_RUNT, EthernetFrame, type EthernetRepr,
  emitEthernet, frameEthertype, parseEthernet,
} from '../../src/wire/ethernet.js';

import { hex, toHex } from '../helpers/bytes.js';

// 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, then two payload bytes
const FRAME = hex('ffffffffffff 020000000001 0806 aabb');
const REPR: EthernetRepr = { dst: 0xffff_ffff_ffff, src: 0x02_00_00_00_00_01, ethertype: ETHERTYPE_ARP };

test('EthernetFrame: deconstruct a byte literal', (t) => {
  const v = new EthernetFrame();
  t.is(v.reset(FRAME), ETHER_OK);
  t.is(v.dst, 0xffff_ffff_ffff);
  t.is(v.src, 0x02_00_00_00_00_01);
  t.is(v.ethertype, ETHERTYPE_ARP);
  t.is(v.payloadOffset, ETHER_HDR_LEN);
  t.is(v.payloadLength, 2);
  t.is(FRAME[v.payloadOffset], 0xaa);
});

test('EthernetFrame: construct a header with the setters', (t) => {
  const b = new Uint8Array(16);
  b[14] = 0xaa; b[15] = 0xbb;
  const v = new EthernetFrame(b);
  v.dst = 0xffff_ffff_ffff; v.src = 0x02_00_00_00_00_01; v.ethertype = ETHERTYPE_ARP;
  t.is(toHex(b), toHex(FRAME));
});

test('parseEthernet: a byte literal to a value', (t) => {
  t.deepEqual(parseEthernet(new EthernetFrame(FRAME)), REPR);
  const runt = new EthernetFrame();
  t.is(runt.reset(FRAME, 0, 13), ETHER_RUNT);
  t.is(parseEthernet(runt), undefined);
});

test('emitEthernet: a value to the byte literal, returns the payload offset', (t) => {
  const b = new Uint8Array(20).fill(0xee);
  t.is(emitEthernet(b, 2, REPR.dst, REPR.src, REPR.ethertype), 16);
  t.is(toHex(b.subarray(2, 16)), toHex(FRAME.subarray(0, 14)));
  t.is(b[1], 0xee);
  t.is(b[16], 0xee);
  t.throws(() => emitEthernet(new Uint8Array(13), 0, 0, 0, 0), { instanceOf: RangeError });
  t.throws(() => emitEthernet(new Uint8Array(20), 7, 0, 0, 0), { instanceOf: RangeError });
});

test('EthernetFrame.reset: runts and hostile offsets never throw', (t) => {
  const v = new EthernetFrame();
  t.is(v.reset(new Uint8Array(0)), ETHER_RUNT);
  t.is(v.reset(FRAME.subarray(0, 13)), ETHER_RUNT);
  t.is(v.reset(FRAME.subarray(0, 14)), ETHER_OK, 'a bare header is a frame with an empty payload');
  t.is(v.reset(FRAME, -1), ETHER_RUNT);
  t.is(v.reset(FRAME, 99), ETHER_RUNT);
  t.is(v.reset(FRAME, Number.NaN), ETHER_RUNT);
  t.is(v.reset(FRAME, 0, 1e6), ETHER_OK);
  t.is(v.len, 16);
  t.is(v.reset(FRAME, 2), ETHER_OK, 'exactly 14 bytes from offset 2');
  t.is(v.reset(FRAME, 3), ETHER_RUNT, '13 bytes from offset 3');
});

test('frameEthertype: the type, or -1 for a runt', (t) => {
  t.is(frameEthertype(FRAME), ETHERTYPE_ARP);
  t.is(frameEthertype(FRAME.subarray(0, 13)), -1);
  t.is(frameEthertype(FRAME, 3), -1);
  t.is(frameEthertype(FRAME, -1), -1);
});

test('property: parseEthernet(emitEthernet(x)) equals x', (t) => {
  const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => readMac(b, 0));
  const b = new Uint8Array(32);
  const v = new EthernetFrame();
  fc.assert(fc.property(macArb, macArb, fc.oneof(fc.constantFrom(ETHERTYPE_ARP, ETHERTYPE_IP), fc.integer({ min: 0, max: 0xffff })),
    fc.integer({ min: 0, max: 18 }), (dst, src, ethertype, off) => {
      emitEthernet(b, off, dst, src, ethertype);
      return v.reset(b, off) === ETHER_OK &&
        JSON.stringify(parseEthernet(v)) === JSON.stringify({ dst, src, ethertype });
    }));
  t.pass();
});

test('property: arbitrary bytes and offsets never throw', (t) => {
  const v = new EthernetFrame();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -2, max: 42 }), fc.integer({ min: -2, max: 60 }),
    (b, off, len) => {
      const r = v.reset(b, off, len);
      void (v.dst + v.src + v.ethertype);
      parseEthernet(v);
      frameEthertype(b, off, len);
      return r === ETHER_OK || r === ETHER_RUNT;
    }), { numRuns: 2000 });
  t.pass();
});
