import test from 'ava';
import fc from 'fast-check';
import {
  IPV4_BROADCAST, MAC_BROADCAST, formatIpv4, formatMac, ipv4MulticastMac, isIpv4Multicast, isMacBroadcast,
  isMacGroup, isMacMulticast, maskPrefixLen, parseCidr, parseIpv4, parseMac, prefixMask, readIpv4, readMac,
  writeIpv4, writeMac,
} from '../../src/wire/addr.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('readMac/writeMac: byte literal both ways, high bytes included', (t) => {
  const b = Uint8Array.from([0xee, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0xee]);
  t.is(readMac(b, 1), 0xfedc_ba98_7654);
  const w = new Uint8Array(8).fill(0xee);
  writeMac(w, 1, 0xfedc_ba98_7654);
  t.is(toHex(w), toHex(b));
  t.is(readMac(Uint8Array.from([255, 255, 255, 255, 255, 255]), 0), MAC_BROADCAST);
});

test('readIpv4/writeIpv4: byte literal both ways, unsigned', (t) => {
  const b = Uint8Array.from([0xc0, 0xa8, 0x01, 0xfe]);
  t.is(readIpv4(b, 0), 0xc0a8_01fe);
  t.true(readIpv4(b, 0) > 0, 'u32, not a negative int32');
  const w = new Uint8Array(4);
  writeIpv4(w, 0, 0xc0a8_01fe);
  t.is(toHex(w), 'c0a801fe');
});

test('formatMac/parseMac: lowercase, zero-padded, both separators', (t) => {
  t.is(formatMac(0x02_00_0a_0b_00_01), '02:00:0a:0b:00:01');
  t.is(formatMac(0), '00:00:00:00:00:00');
  t.is(formatMac(MAC_BROADCAST), 'ff:ff:ff:ff:ff:ff');
  t.is(parseMac('02:00:0A:0b:00:01'), 0x02_00_0a_0b_00_01);
  t.is(parseMac('2-0-a-b-0-1'), 0x02_00_0a_0b_00_01, 'arp(8) accepts one hex digit a byte');
  t.is(parseMac('ff:ff:ff:ff:ff:ff'), MAC_BROADCAST);
});

for (const bad of ['', '02:00:00:00:00', '02:00:00:00:00:00:00', '02:00:00:00:00:100', '02:00:00:00:00:', '02:00:00:00:00:0g',
  '02-00:00:00:00:00', ' 02:00:00:00:00:01', '02:00:00:00:00:01 ', '0x2:00:00:00:00:01', '02::00:00:00:00']) {
  test(`parseMac rejects ${JSON.stringify(bad)}`, (t) => {
    t.is(parseMac(bad), undefined);
  });
}

test('formatIpv4/parseIpv4: dotted quad', (t) => {
  t.is(formatIpv4(0x0a00_0001), '10.0.0.1');
  t.is(formatIpv4(IPV4_BROADCAST), '255.255.255.255');
  t.is(parseIpv4('255.255.255.255'), IPV4_BROADCAST);
  t.is(parseIpv4('0.0.0.0'), 0);
  t.is(parseIpv4('192.168.100.7'), 0xc0a8_6407);
});

// Leading zeros: inet_aton reads them as octal; we refuse rather than guess.
for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '01.2.3.4', '1.2.3.00', '1.2.3.-1', '+1.2.3.4', ' 1.2.3.4',
  '1.2.3.4 ', '1..3.4', '0x1.2.3.4', '1.2.3.4/24', '', '1234.1.1.1', '1e2.1.1.1']) {
  test(`parseIpv4 rejects ${JSON.stringify(bad)}`, (t) => {
    t.is(parseIpv4(bad), undefined);
  });
}

test('parseCidr: with and without a prefix length', (t) => {
  t.deepEqual(parseCidr('10.0.0.1/24'), { addr: 0x0a00_0001, plen: 24 });
  t.deepEqual(parseCidr('10.0.0.1'), { addr: 0x0a00_0001, plen: undefined });
  t.deepEqual(parseCidr('10.0.0.1/0'), { addr: 0x0a00_0001, plen: 0 });
  t.deepEqual(parseCidr('10.0.0.1/32'), { addr: 0x0a00_0001, plen: 32 });
  for (const bad of ['10.0.0.1/33', '10.0.0.1/', '10.0.0.1/2/3', '10.0.0.1/-1', '10.0.0/8', '/8', '10.0.0.1/100']) {
    t.is(parseCidr(bad), undefined, bad);
  }
});

test('prefixMask: ends and middle', (t) => {
  t.is(prefixMask(0), 0);
  t.is(prefixMask(1), 0x8000_0000);
  t.is(prefixMask(24), 0xffff_ff00);
  t.is(prefixMask(31), 0xffff_fffe);
  t.is(prefixMask(32), 0xffff_ffff);
});

test('maskPrefixLen: contiguous masks and masks with holes', (t) => {
  t.is(maskPrefixLen(0), 0);
  t.is(maskPrefixLen(0xffff_ffff), 32);
  t.is(maskPrefixLen(0xffff_ff00), 24);
  t.is(maskPrefixLen(0xffff_fffe), 31);
  t.is(maskPrefixLen(0x8000_0000), 1);
  t.is(maskPrefixLen(0xff00_ff00), -1);
  t.is(maskPrefixLen(0x0000_00ff), -1, 'an inverted mask is not a mask');
  t.is(maskPrefixLen(0xffff_fffd), -1);
  t.is(maskPrefixLen(0x7fff_ffff), -1);
});

test('property: maskPrefixLen inverts prefixMask for 0..32', (t) => {
  for (let p = 0; p <= 32; p++) t.is(maskPrefixLen(prefixMask(p)), p);
});

test('property: a mask with a hole has no prefix length', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 31 }), (p, bit) => {
    const m = prefixMask(p);
    const flipped = (m ^ (1 << bit)) >>> 0;
    const contiguous = [...Array(33).keys()].some((q) => prefixMask(q) === flipped);
    return (maskPrefixLen(flipped) === -1) === !contiguous;
  }));
  t.pass();
});

test('MAC classes: broadcast, multicast and group bit', (t) => {
  t.true(isMacBroadcast(MAC_BROADCAST));
  t.true(isMacGroup(MAC_BROADCAST));
  t.false(isMacMulticast(MAC_BROADCAST));
  t.true(isMacMulticast(0x01_00_5e_00_00_01));
  t.true(isMacGroup(0x33_33_00_00_00_01));
  t.false(isMacGroup(0x02_00_00_00_00_01));
  t.false(isMacGroup(0x00_ff_ff_ff_ff_ff), 'only the first octet carries the I/G bit');
  t.false(isMacBroadcast(0xffff_ffff_fffe));
});

test('ipv4MulticastMac: RFC 1112 6.4 maps the low 23 bits', (t) => {
  t.is(formatMac(ipv4MulticastMac(parseIpv4('224.0.0.1')!)), '01:00:5e:00:00:01');
  t.is(formatMac(ipv4MulticastMac(parseIpv4('239.255.255.250')!)), '01:00:5e:7f:ff:fa');
  t.is(formatMac(ipv4MulticastMac(parseIpv4('224.128.1.2')!)), '01:00:5e:00:01:02', 'bit 23 is dropped');
  t.true(isIpv4Multicast(parseIpv4('224.0.0.0')!));
  t.true(isIpv4Multicast(parseIpv4('239.255.255.255')!));
  t.false(isIpv4Multicast(parseIpv4('223.255.255.255')!));
  t.false(isIpv4Multicast(parseIpv4('240.0.0.0')!));
});

test('property: multicast MACs of multicast groups are multicast and keep 23 bits', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0x0fff_ffff }), (low) => {
    const ip = (0xe000_0000 | low) >>> 0;
    const mac = ipv4MulticastMac(ip);
    return isIpv4Multicast(ip) && isMacMulticast(mac) && (mac % 0x80_0000) === (ip & 0x7f_ffff) &&
      formatMac(mac).startsWith('01:00:5e:');
  }));
  t.pass();
});

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => readMac(b, 0));

test('property: parseMac(formatMac(m)) equals m, and read(write(m)) equals m', (t) => {
  const b = new Uint8Array(6);
  fc.assert(fc.property(macArb, (m) => {
    writeMac(b, 0, m);
    return parseMac(formatMac(m)) === m && readMac(b, 0) === m && Number.isSafeInteger(m) && m < 2 ** 48;
  }));
  t.pass();
});

test('property: parseIpv4(formatIpv4(a)) equals a; formatIpv4(parseIpv4(s)) equals s', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (hi, lo) => {
    const a = (hi * 0x10000 + lo) >>> 0;
    return parseIpv4(formatIpv4(a)) === a;
  }));
  fc.assert(fc.property(fc.ipV4(), (s) => formatIpv4(parseIpv4(s)!) === s));
  t.pass();
});

test('property: parsers never throw on arbitrary strings', (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
    parseMac(s); parseIpv4(s); parseCidr(s);
    return true;
  }), { numRuns: 2000 });
  t.pass();
});
