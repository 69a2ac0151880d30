import test from 'ava';
import fc from 'fast-check';
import { parseIpv4, parseMac, MAC_BROADCAST } from '../../src/wire/addr.js';
import { ArpPacket, ARPOP_REPLY, ARPOP_REQUEST, ARPHRD_IEEE802, emitArpFrame } from '../../src/wire/arp.js';
import { EthernetFrame, ETHERTYPE_ARP, ETHERTYPE_IP } from '../../src/wire/ethernet.js';
import { arpIntr } from '../../src/arp/intr.js';
import { IFF_NOARP } from '../../src/inet/ifnet.js';
import { buildArpReply, buildArpRequest, buildIpv4Frame } from '../../src/arp/frames.js';
import {
  ArpStat, DROP_BAD_HRD, DROP_BAD_OP, DROP_BAD_PRO, DROP_NOARP, DROP_NOT_ARP, DROP_OTHER_HOST, DROP_RUNT, DROP_TRUNCATED,
  DROP_REASON_NAMES, sumArpStats,
} from '../../src/arp/stats.js';

const MAC_A = parseMac('02:00:00:00:00:0a')!;
const MAC_B = parseMac('02:00:00:00:00:0b')!;
const IP_A = parseIpv4('10.0.0.10')!;
const IP_B = parseIpv4('10.0.0.11')!;
const IF = { lladdr: MAC_B, flags: 0, bridge: null };
const IF_NOARP = { lladdr: MAC_B, flags: IFF_NOARP, bridge: null };

function request(): Uint8Array {
  const b = new Uint8Array(60);
  emitArpFrame(b, MAC_BROADCAST, MAC_A, { op: ARPOP_REQUEST, sha: MAC_A, spa: IP_A, tha: 0, tpa: IP_B });
  return b;
}

test('arpintr: a padded 60-byte request passes and counts received', (t) => {
  const s = new ArpStat();
  const v = new ArpPacket();
  t.is(arpIntr(v, request(), IF, s), 0);
  t.is(s.received, 1);
  t.is(s.rxframes, 1);
  t.is(v.spa, IP_A);
  t.is(v.tpa, IP_B);
});

test('arpintr: runt, unknown hardware format, truncated, protocol not IPv4, opcode, not ARP', (t) => {
  const s = new ArpStat();
  const v = new ArpPacket();
  t.is(arpIntr(v, request().subarray(0, 10), IF, s), DROP_RUNT);
  t.is(arpIntr(v, request().subarray(0, 20), IF, s), DROP_RUNT); // 6 bytes of ARP header
  const hrd = request(); hrd[15] = 7;
  t.is(arpIntr(v, hrd, IF, s), DROP_BAD_HRD);
  t.is(arpIntr(v, request().subarray(0, 14 + 27), IF, s), DROP_TRUNCATED);
  const pro = request(); pro[16] = 0x86; pro[17] = 0xdd;
  t.is(arpIntr(v, pro, IF, s), DROP_BAD_PRO);
  const op = request(); op[21] = 9;
  t.is(arpIntr(v, op, IF, s), DROP_BAD_OP);
  const ip = request(); ip[12] = 0x08; ip[13] = 0x00;
  t.is(arpIntr(v, ip, IF, s), DROP_NOT_ARP);
  const ieee = request(); ieee[15] = ARPHRD_IEEE802;
  t.is(arpIntr(v, ieee, IF, s), 0, 'IEEE 802 hardware type is accepted as DragonFly does');
  t.is(s.rxframes, 8);
  t.is(s.received, 1);
  t.is(s.dropsIn('intr'), 7);
  t.is(s.drops[DROP_RUNT], 2);
});

test('arpintr: ARP on a noarp interface is dropped before any check', (t) => {
  const s = new ArpStat();
  const v = new ArpPacket();
  t.is(arpIntr(v, request(), IF_NOARP, s), DROP_NOARP);
  t.is(arpIntr(v, request().subarray(0, 16), IF_NOARP, s), DROP_NOARP);
  t.is(s.drops[DROP_NOARP], 2);
  t.is(s.received, 0);
});

test('arpintr: never throws and every frame lands in received or one drop reason', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, noarp) => {
    const s = new ArpStat();
    const code = arpIntr(new ArpPacket(), bytes, noarp ? IF_NOARP : IF, s);
    return s.rxframes === 1 && s.received + s.dropsIn('all') === 1 && (code === 0) === (s.received === 1);
  }));
  t.pass();
});

test('arpintr: a unicast frame for another station is dropped; ours and the bridge\'s pass', (t) => {
  const s = new ArpStat();
  const v = new ArpPacket();
  const uni = (dst: number): Uint8Array => {
    const b = new Uint8Array(42);
    emitArpFrame(b, dst, MAC_A, { op: ARPOP_REPLY, sha: MAC_A, spa: IP_A, tha: dst, tpa: IP_B });
    return b;
  };
  const other = parseMac('02:00:00:00:00:99')!;
  const bridged = { lladdr: MAC_B, flags: 0, bridge: { ifp: { lladdr: other } } };
  t.is(arpIntr(v, uni(other), IF, s), DROP_OTHER_HOST);
  t.is(arpIntr(v, uni(MAC_B), IF, s), 0);
  t.is(arpIntr(v, uni(other), bridged, s), 0);
  t.is(arpIntr(v, uni(parseMac('01:00:5e:00:00:01')!), IF, s), 0, 'group addresses pass');
  t.is(s.drops[DROP_OTHER_HOST], 1);
});

test('arprequest: broadcast who-has with zero target hardware address, 42 bytes', (t) => {
  const b = new Uint8Array(42);
  t.is(buildArpRequest(b, MAC_A, MAC_A, IP_A, IP_B), 42);
  const e = new EthernetFrame(b);
  t.is(e.dst, MAC_BROADCAST);
  t.is(e.src, MAC_A);
  t.is(e.ethertype, ETHERTYPE_ARP);
  const v = new ArpPacket();
  t.is(v.reset(b, 14), 0);
  t.is(v.op, ARPOP_REQUEST);
  t.is(v.hrd, 1);
  t.deepEqual([v.sha, v.spa, v.tha, v.tpa], [MAC_A, IP_A, 0, IP_B]);
});

test('in_arpinput: reply keeps the request hardware type and goes to the asker', (t) => {
  const b = new Uint8Array(42);
  buildArpReply(b, ARPHRD_IEEE802, MAC_B, MAC_B, IP_B, MAC_A, IP_A);
  const e = new EthernetFrame(b);
  t.is(e.dst, MAC_A);
  t.is(e.src, MAC_B);
  const v = new ArpPacket();
  t.is(v.reset(b, 14), 0);
  t.is(v.hrd, ARPHRD_IEEE802);
  t.is(v.op, ARPOP_REPLY);
  t.deepEqual([v.sha, v.spa, v.tha, v.tpa], [MAC_B, IP_B, MAC_A, IP_A]);
});

test('ether_output: IPv4 packet framed with the resolved destination', (t) => {
  const pkt = new Uint8Array([0x45, 1, 2, 3]);
  const b = new Uint8Array(18);
  t.is(buildIpv4Frame(b, MAC_B, MAC_A, pkt), 18);
  const e = new EthernetFrame(b);
  t.is(e.dst, MAC_B);
  t.is(e.ethertype, ETHERTYPE_IP);
  t.deepEqual([...b.subarray(14)], [0x45, 1, 2, 3]);
});

test('arpstat: per-CPU counters sum by field and by drop reason name', (t) => {
  const a = new ArpStat(); const b = new ArpStat();
  a.txrequests = 2; b.txrequests = 3; a.drop(DROP_RUNT); b.drop(DROP_RUNT); b.drop(DROP_NOARP);
  const s = sumArpStats([a, b.toJSON()]);
  t.is(s.txrequests, 5);
  t.is(s.drops.runt, 2);
  t.is(s.drops.noarp, 1);
  t.is(Object.keys(s.drops).length, DROP_REASON_NAMES.length - 1);
  t.is(JSON.stringify(s).includes('"ok"'), false);
});

test('arprequest / in_arpinput reply: byte for byte what the wire encoder writes', (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (a, b, ipa, ipb) => {
      const mine = new Uint8Array(42); const ref = new Uint8Array(42);
      buildArpRequest(mine, a, b, ipa, ipb);
      emitArpFrame(ref, MAC_BROADCAST, a, { op: ARPOP_REQUEST, sha: b, spa: ipa, tha: 0, tpa: ipb });
      if (Buffer.compare(mine, ref) !== 0) return false;
      buildArpReply(mine, 1, a, b, ipa, a, ipb);
      emitArpFrame(ref, a, a, { op: ARPOP_REPLY, sha: b, spa: ipa, tha: a, tpa: ipb });
      return Buffer.compare(mine, ref) === 0;
    }));
  t.throws(() => buildArpRequest(new Uint8Array(41), 1, 1, 1, 1), { instanceOf: RangeError });
});
