import test from 'ava';
import fc from 'fast-check';
import { MAC_BROADCAST } from '../../src/wire/addr.js';
import { ARPHRD_IEEE802, ARPOP_REPLY, ARPOP_REQUEST } from '../../src/wire/arp.js';
import { IFF_STATICARP, IFF_UP, IFF_BROADCAST, IFT_BRIDGE } from '../../src/inet/ifnet.js';
import {
  DROP_BCAST_LLADDR, DROP_FROM_SELF, DROP_NO_INET_ADDR, DROP_RESTRICTED,
} from '../../src/arp/stats.js';
import { ArpStack } from '../../src/arp/stack.js';
import { CollectingSink } from '../../src/util/events.js';
import {
  IP_H2, IP_H3, IP_US, MAC_H2, MAC_H3, MAC_US, MAC_US2, decodeArp, ip, mac, names, reply, request, stack1,
} from './helpers.js';

test('in_arpinput: request for us -> reply built as the seed builds it, sender learned', (t) => {
  const { s, ev } = stack1();
  t.is(s.input('eth0', request(MAC_H2, IP_H2, IP_US)), 0);
  const sent = s.takeSent();
  t.is(sent.length, 1);
  const r = decodeArp(sent[0]!);
  t.is(r.op, ARPOP_REPLY);
  t.is(r.dst, MAC_H2, 'unicast to the asker');
  t.is(r.src, MAC_US);
  t.is(r.sha, MAC_US);
  t.is(r.spa, '10.0.0.1');
  t.is(r.tha, MAC_H2);
  t.is(r.tpa, '10.0.0.2');
  t.is(r.len, 42, 'not padded: the NIC pads');
  const e = s.list().find((x) => x.ip === '10.0.0.2')!;
  t.is(e.mac, '02:00:00:00:00:02');
  t.is(e.expires, 1200);
  t.deepEqual(names(ev), ['arp.learned', 'arp.reply_sent']);
  t.is(s.stats.rxrequests, 1);
  t.is(s.stats.txreplies, 1);
  t.is(s.stats.accepted, 1);
});

test('in_arpinput: the reply keeps the request hardware type (IEEE 802)', (t) => {
  const { s } = stack1();
  const f = request(MAC_H2, IP_H2, IP_US);
  f[15] = ARPHRD_IEEE802;
  s.input('eth0', f);
  t.is(decodeArp(s.takeSent()[0]!).hrd, ARPHRD_IEEE802);
});

test('in_arpinput: a frame not for us only refreshes an existing entry, never creates', (t) => {
  const { s } = stack1();
  t.is(s.input('eth0', request(MAC_H2, IP_H2, IP_H3)), 0);
  t.is(s.takeSent().length, 0, 'not for us: no reply');
  t.falsy(s.list().find((x) => x.ip === '10.0.0.2'), 'no entry created');
  // Once an entry exists, a request between two others refreshes it.
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  s.advance(100);
  s.input('eth0', request(MAC_H2, IP_H2, IP_H3));
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.expires, 1200);
});

test('in_arpinput: our own frame coming back is ignored silently', (t) => {
  const { s, ev } = stack1();
  t.is(s.input('eth0', request(MAC_US, IP_US, IP_H2)), DROP_FROM_SELF);
  t.is(s.takeSent().length, 0);
  t.deepEqual(names(ev), []);
});

test('in_arpinput: broadcast sender hardware address -> arp.bcast_lladdr, dropped', (t) => {
  const { s, ev } = stack1();
  t.is(s.input('eth0', request(MAC_BROADCAST, IP_H2, IP_US, { src: MAC_H2 })), DROP_BCAST_LLADDR);
  t.deepEqual(names(ev), ['arp.bcast_lladdr']);
  t.is(ev.named('arp.bcast_lladdr')[0]!.ip, '10.0.0.2');
  t.is(s.takeSent().length, 0);
  t.deepEqual(s.list().map((e) => e.ip), ['10.0.0.1'], 'nothing learned');
});

test('in_arpinput: someone using my address -> dupip and defend', (t) => {
  const { s, ev } = stack1();
  // A gratuitous request claiming 10.0.0.1 from another station.
  t.is(s.input('eth0', request(MAC_H2, IP_US, IP_US)), 0);
  t.is(s.stats.dupips, 1);
  const d = ev.named('arp.dupip');
  t.is(d.length, 1);
  t.is(d[0]!.ip, '10.0.0.1');
  t.is(d[0]!.mac, '02:00:00:00:00:02');
  const sent = s.takeSent();
  t.is(sent.length, 1, 'defended with a reply');
  const r = decodeArp(sent[0]!);
  t.is(r.sha, MAC_US);
  t.is(r.spa, '10.0.0.1');
  t.is(r.dst, MAC_H2);
  // The claim is not learned: our own entry keeps our MAC.
  t.is(s.list().find((x) => x.ip === '10.0.0.1')!.mac, '02:00:00:00:01:01');
  // A reply claiming our address is reported but not answered.
  s.input('eth0', reply(MAC_H2, IP_US, MAC_US, IP_US));
  t.is(s.stats.dupips, 2);
  t.is(s.takeSent().length, 0);
});

test('in_arpinput: probe from 0.0.0.0 for our address is answered, nothing learned', (t) => {
  const { s } = stack1();
  t.is(s.input('eth0', request(MAC_H2, 0, IP_US)), 0);
  const r = decodeArp(s.takeSent()[0]!);
  t.is(r.tpa, '0.0.0.0');
  t.is(r.tha, MAC_H2);
  t.is(r.dst, MAC_H2);
  t.falsy(s.list().find((x) => x.ip === '0.0.0.0'));
});

test('in_arpinput: staticarp interface answers but never learns', (t) => {
  const { s, ev } = stack1({ flags: IFF_UP | IFF_BROADCAST | IFF_STATICARP });
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  t.is(s.takeSent().length, 1);
  t.falsy(s.list().find((x) => x.ip === '10.0.0.2'));
  t.false(names(ev).includes('arp.learned'));
});

test('in_arpinput: restricted_match ignores frames not targeted at us', (t) => {
  const { s } = stack1({ sysctl: { 'net.link.ether.inet.restricted_match': 1 } });
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  s.takeSent();
  s.advance(100);
  t.is(s.input('eth0', request(MAC_H2, IP_H2, IP_H3)), DROP_RESTRICTED);
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.expires, 1100, 'not refreshed');
  t.is(s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US)), 0);
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.expires, 1200, 'a frame for us still refreshes');
});

test('in_arpinput: no IPv4 address on the receiving interface -> dropped', (t) => {
  const { s } = stack1();
  s.ifAttach('eth1', MAC_US2);
  t.is(s.input('eth1', request(MAC_H2, ip('10.9.0.2'), ip('10.9.0.1'))), DROP_NO_INET_ADDR);
  t.is(s.stats.drops[DROP_NO_INET_ADDR], 1);
});

test('in_arpinput: target on another interface does not match; the first address stands in', (t) => {
  const { s } = stack1();
  s.ifAttach('eth1', MAC_US2);
  s.addAddress('eth1', '10.1.0.1/24');
  s.takeSent();
  // A request on eth1 for eth0's address: no match on (1) or (2); eth1's first
  // address stands in, and it is not the target, so there is no reply.
  t.is(s.input('eth1', request(MAC_H2, ip('10.1.0.2'), IP_US)), 0);
  t.is(s.takeSent().length, 0);
});

test('in_arpinput: sender match (2) on the receiving interface finds the dupip', (t) => {
  const { s } = stack1();
  s.ifAttach('eth1', MAC_US2);
  s.addAddress('eth1', '10.1.0.1/24');
  s.addAddress('eth1', '10.1.0.7/24');
  s.takeSent();
  // Target not ours; sender is eth1's second address: (2) matches it, so it is a dupip.
  s.input('eth1', request(MAC_H2, ip('10.1.0.7'), ip('10.1.0.9')));
  t.is(s.stats.dupips, 1);
  t.is(decodeArp(s.takeSent()[0]!).spa, '10.1.0.7', 'defends the matched address');
});

test('in_arpinput: published entry is answered with its MAC, Ethernet source ours', (t) => {
  const { s, ev } = stack1();
  s.arpSet(ip('10.0.0.50'), MAC_H3, { pub: true });
  s.takeSent();
  ev.clear();
  s.input('eth0', request(MAC_H2, IP_H2, ip('10.0.0.50')));
  const r = decodeArp(s.takeSent()[0]!);
  t.is(r.sha, MAC_H3);
  t.is(r.src, MAC_US);
  t.is(r.spa, '10.0.0.50');
  t.true(ev.named('arp.reply_sent')[0]!.proxy);
  // An ordinary (unpublished) entry is not answered for.
  s.arpSet(ip('10.0.0.60'), MAC_H3);
  s.input('eth0', request(MAC_H2, IP_H2, ip('10.0.0.60')));
  t.is(s.takeSent().length, 0);
});

test('in_arpinput: proxyall replies only through a route on another interface', (t) => {
  const { s } = stack1();
  s.ifAttach('eth1', MAC_US2);
  s.addAddress('eth1', '10.1.0.1/24');
  s.addRoute('192.168.7.0/24', ip('10.1.0.254'));
  s.takeSent();
  const ask = (target: string): number => { s.input('eth0', request(MAC_H2, IP_H2, ip(target))); return s.takeSent().length; };
  t.is(ask('192.168.7.9'), 0, 'proxyall off');
  s.sysctl.set('net.link.ether.inet.proxyall', 1);
  t.is(ask('192.168.7.9'), 1, 'routed through eth1: proxied');
  t.is(ask('10.1.0.5'), 1, 'on eth1: proxied');
  t.is(ask('10.0.0.77'), 0, 'on the same interface: never');
  t.is(ask('172.16.0.1'), 0, 'no route: no reply');
  s.input('eth0', request(MAC_H2, IP_H2, ip('10.1.0.5')));
  const r = decodeArp(s.takeSent()[0]!);
  t.is(r.sha, MAC_US, 'answers with our own address');
  t.is(r.spa, '10.1.0.5');
});

function bridged(): { s: ArpStack; ev: CollectingSink } {
  const ev = new CollectingSink();
  const s = new ArpStack({ events: ev });
  const br = s.net.ifAttach('bridge0', { type: IFT_BRIDGE, lladdr: mac('02:00:00:00:0b:00') });
  s.net.bridgeAttach(br, s.ifAttach('eth0', MAC_US));
  s.net.bridgeAttach(br, s.ifAttach('eth1', MAC_US2));
  return { s, ev };
}

test('in_arpinput: target on the bridge itself, request on a member -> answered on the member', (t) => {
  const { s, ev } = bridged();
  s.addAddress('bridge0', '10.0.0.1/24');
  s.takeSent();
  s.input('eth1', request(MAC_H2, IP_H2, IP_US));
  const sent = s.takeSent();
  t.is(sent.length, 1);
  // Seed case "the receiving member's bridge is the address's interface": no substitution.
  t.is(sent[0]!.iface, 'eth1');
  t.is(decodeArp(sent[0]!).sha, MAC_US2);
  // Learned on eth1, the entry (cloned on bridge0) stays on the bridge: not a wrong interface.
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.iface, 'bridge0');
  t.deepEqual(ev.named('arp.wrong_iface'), []);
});

test('in_arpinput: target on another member of the same bridge -> answered by the bridge with its MAC', (t) => {
  const { s } = bridged();
  s.addAddress('eth0', '10.0.0.1/24');
  s.takeSent();
  s.input('eth1', request(MAC_H2, IP_H2, IP_US));
  const sent = s.takeSent();
  t.is(sent.length, 1);
  t.is(sent[0]!.iface, 'bridge0', 'the reply leaves through the bridge');
  t.is(decodeArp(sent[0]!).sha, mac('02:00:00:00:0b:00'));
  // Learned on eth1 for an entry of eth0, both members: moved to the bridge (case 1).
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.iface, 'bridge0');
});

test('in_arpinput: counts requests, replies and announcements', (t) => {
  const { s } = stack1();
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  s.input('eth0', reply(MAC_H3, IP_H3, MAC_US, IP_US));
  s.input('eth0', request(MAC_H3, IP_H3, IP_H3));
  t.is(s.stats.rxrequests, 2);
  t.is(s.stats.rxreplies, 1);
  t.is(s.stats.rxannounces, 1);
  t.is(s.stats.received, 3);
  t.is(s.stats.accepted, 3);
  t.is(s.stats.rxframes, 3);
  void ARPOP_REQUEST;
});

test('max_log_per_second: diagnostics from remote input are rate-limited, protocol trace is not', (t) => {
  const { s, ev } = stack1();
  for (let i = 0; i < 10; i++) s.input('eth0', request(MAC_H2, IP_US, IP_US)); // dupip x10, each answered
  t.is(ev.named('arp.dupip').length, 1, 'default 1 line a second');
  t.is(ev.named('arp.reply_sent').length, 10);
  t.is(s.stats.dupips, 10, 'counters count everything');
  s.advance(1);
  s.input('eth0', request(MAC_H2, IP_US, IP_US));
  const d = ev.named('arp.dupip');
  t.is(d.length, 2);
  t.is(d[1]!.suppressed, 9, 'the next line says how many were dropped');
  s.sysctl.set('net.link.ether.inet.max_log_per_second', -1);
  ev.clear();
  for (let i = 0; i < 5; i++) s.input('eth0', request(MAC_H2, IP_US, IP_US));
  t.is(ev.named('arp.dupip').length, 5, '-1: no limit');
});

test('arpintr + in_arpinput: every frame ends in exactly one place (accepted or one drop reason)', (t) => {
  const { s } = stack1();
  s.ifAttach('eth1', MAC_US2);
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.oneof(
    fc.uint8Array({ maxLength: 70 }),
    fc.record({ sha: fc.constantFrom(MAC_US, MAC_H2, MAC_BROADCAST), spa: fc.constantFrom(IP_US, IP_H2, 0), tpa: fc.constantFrom(IP_US, IP_H3), op: fc.constantFrom(1, 2, 3) })
      .map((f) => { const b = request(f.sha, f.spa, f.tpa, { src: MAC_H2 }); b[21] = f.op; return b; }),
  )), { maxLength: 30 }), (frames) => {
    for (const [second, f] of frames) s.input(second ? 'eth1' : 'eth0', f);
    const st = s.stats;
    return st.rxframes === st.received + st.dropsIn('intr') && st.received === st.accepted + st.dropsIn('input');
  }));
  t.true(s.stats.accepted > 0 && s.stats.dropsIn('intr') > 0 && s.stats.dropsIn('input') > 0, 'all three outcomes exercised');
});
