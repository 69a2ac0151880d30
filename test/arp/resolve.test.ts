import test from 'ava';
import { MAC_BROADCAST, ipv4MulticastMac } from '../../src/wire/addr.js';
import { ARPOP_REQUEST } from '../../src/wire/arp.js';
import { IFF_BROADCAST, IFF_NOARP, IFF_STATICARP, IFF_UP } from '../../src/inet/ifnet.js';
import { RTF_REJECT } from '../../src/route/rtentry.js';
import {
  ARPRES_HELD, ARPRES_HOSTUNREACH, ARPRES_RESOLVED, arpResolve,
} from '../../src/arp/resolve.js';
import { laAsked, laPreempt } from '../../src/arp/llinfo.js';
import {
  IP_H2, IP_US, MAC_H2, MAC_H3, MAC_US, decode, decodeArp, decodeIp, ip, names, reply, stack1,
} from './helpers.js';

test('arpresolve: an unresolved destination holds the packet and sends one request', (t) => {
  const { s, ev } = stack1();
  t.deepEqual(s.sendUdp(IP_H2, { id: 1 }), { kind: 'held' });
  const sent = s.takeSent();
  t.is(sent.length, 1);
  const r = decodeArp(sent[0]!);
  t.is(r.op, ARPOP_REQUEST);
  t.is(r.dst, MAC_BROADCAST);
  t.is(r.sha, MAC_US);
  t.is(r.spa, '10.0.0.1');
  t.is(r.tha, 0);
  t.is(r.tpa, '10.0.0.2');
  t.deepEqual(names(ev), ['arp.request_sent']);
  t.is(ev.named('arp.request_sent')[0]!.reason, 'resolve');
  const e = s.list().find((x) => x.ip === '10.0.0.2')!;
  t.is(e.mac, null);
  t.is(e.held, 1);
  t.is(e.asked, 1);
});

test('arpresolve: holds one packet, replacing the previous', (t) => {
  const { s, ev } = stack1();
  s.sendUdp(IP_H2, { id: 1 });
  s.sendUdp(IP_H2, { id: 2 });
  s.sendUdp(IP_H2, { id: 3 });
  t.is(s.stats.dropped, 2, 'the replaced ones count as dropped');
  t.is(ev.named('arp.held_dropped').length, 2);
  t.is(ev.named('arp.held_dropped')[0]!.reason, 'replaced');
  s.takeSent();
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  const sent = s.takeSent();
  t.is(sent.length, 1, 'exactly one held packet goes out');
  const p = decodeIp(sent[0]!);
  t.is(p.id, 3, 'the newest one');
  t.is(p.dst, MAC_H2);
  t.is(p.src, MAC_US);
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.held, 0);
  t.is(s.stats.heldsent, 1);
  // Resolved now: sent at once.
  t.deepEqual(s.sendUdp(IP_H2, { id: 4 }), { kind: 'resolved', mac: MAC_H2 });
  t.is(decodeIp(s.takeSent()[0]!).id, 4);
});

test('arpresolve: at most one request per second per entry', (t) => {
  const { s } = stack1();
  for (let i = 0; i < 10; i++) s.sendUdp(IP_H2);
  t.is(s.takeSent().length, 1);
  s.advance(0.5);
  s.sendUdp(IP_H2);
  t.is(s.takeSent().length, 0, 'same second');
  s.advance(0.5);
  s.sendUdp(IP_H2);
  t.is(s.takeSent().length, 1, 'next second');
});

test('arpresolve: after maxtries the entry is rejected for host_down_time', (t) => {
  const { s, ev } = stack1();
  // Start after arptimer's first walk (1 s after boot, as the seed's first
  // callout): a walk frees an entry that is still resolving.
  s.advance(2);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    t.is(s.sendUdp(IP_H2).kind, 'held');
    for (const f of s.takeSent()) times.push(f.t);
    if (i < 5) s.advance(1);
  }
  t.deepEqual(times, [2, 3, 4, 5, 6], 'five requests one second apart, then none');
  t.is(ev.named('arp.reject').length, 1);
  t.is(ev.named('arp.reject')[0]!.down, 20);
  const rt = s.net.routes.lookupHost(IP_H2)!;
  t.true((rt.flags & RTF_REJECT) !== 0);
  t.is(laAsked(rt), 0, 'counters reset');
  t.is(laPreempt(rt), 5);
  // Down: sends fail at once with EHOSTDOWN and nothing goes out, for 20 s.
  for (let k = 0; k < 19; k++) {
    s.advance(1);
    t.deepEqual(s.sendUdp(IP_H2), { kind: 'dropped', errno: 'EHOSTDOWN' });
  }
  t.is(s.takeSent().length, 0);
  s.advance(1);
  t.is(s.sendUdp(IP_H2).kind, 'held', 'after host_down_time resolution starts again');
  const again = s.takeSent();
  t.is(again.length, 1);
  t.is(again[0]!.t, 27);
  t.is(s.stats.rejects, 1);
});

test('arpresolve: pre-expiry refresh sends a request while now + la_preempt > expire', (t) => {
  const { s, ev } = stack1();
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  s.takeSent();
  ev.clear();
  s.advance(1194); // 6 s left: 6 > 5, no refresh
  t.is(s.sendUdp(IP_H2).kind, 'resolved');
  t.is(s.takeSent().length, 1, 'only the packet');
  s.advance(1); // 5 s left: now + 5 > expire is false (equal)
  s.sendUdp(IP_H2);
  t.is(s.takeSent().length, 1);
  s.advance(1); // 4 s left: refresh, preempt 5 -> 4
  s.sendUdp(IP_H2);
  const sent = s.takeSent();
  t.is(sent.length, 2);
  t.is(decodeArp(sent[0]!).tpa, '10.0.0.2');
  t.is(ev.named('arp.request_sent')[0]!.reason, 'refresh');
  // preempt 4: still > 4 s left? 4 > 4 false: no more this second.
  s.sendUdp(IP_H2);
  t.is(s.takeSent().length, 1);
  s.advance(1); // 3 s left: 3+4 > ... refresh again (preempt 4 -> 3)
  s.sendUdp(IP_H2);
  s.sendUdp(IP_H2); // preempt 3: 3 > 3 false
  t.is(s.takeSent().filter((f) => decode(f).kind === 'arp').length, 1, 'one refresh request');
  t.is(laPreempt(s.net.routes.lookupHost(IP_H2)!), 3);
});

test('arpresolve: broadcast and multicast map directly', (t) => {
  const { s } = stack1();
  const ifp = s.net.ifunit('eth0')!;
  t.is(arpResolve(s.rep, ifp, null, null, ip('10.0.0.255')), ARPRES_RESOLVED);
  t.is(s.rep.mac, MAC_BROADCAST);
  t.is(arpResolve(s.rep, ifp, null, null, ip('255.255.255.255')), ARPRES_RESOLVED);
  t.is(s.rep.mac, MAC_BROADCAST);
  t.is(arpResolve(s.rep, ifp, null, null, ip('224.0.0.251')), ARPRES_RESOLVED);
  t.is(s.rep.mac, ipv4MulticastMac(ip('224.0.0.251')));
  t.is(s.takeSent().length, 0);
  t.is(s.sendUdp(ip('10.0.0.255')).kind, 'resolved');
  t.is(decodeIp(s.takeSent()[0]!).dst, MAC_BROADCAST);
});

test('arpresolve: noarp and staticarp interfaces drop instead of asking', (t) => {
  for (const flag of [IFF_NOARP, IFF_STATICARP]) {
    const { s } = stack1({ flags: IFF_UP | IFF_BROADCAST | flag });
    t.deepEqual(s.sendUdp(IP_H2), { kind: 'dropped', errno: 'EHOSTUNREACH' });
    t.is(s.takeSent().length, 0);
    t.is(s.list().find((x) => x.ip === '10.0.0.2')?.held ?? 0, 0);
    // A static entry still works there.
    s.arpSet(IP_H2, MAC_H2);
    t.is(s.sendUdp(IP_H2).kind, 'resolved');
  }
});

test('arpresolve: a gateway route resolves the gateway, and the packet keeps its destination', (t) => {
  const { s } = stack1();
  s.addRoute('192.168.7.0/24', ip('10.0.0.254'));
  t.is(s.sendUdp(ip('192.168.7.9'), { id: 7 }).kind, 'held');
  const r = decodeArp(s.takeSent()[0]!);
  t.is(r.tpa, '10.0.0.254');
  s.input('eth0', reply(MAC_H3, ip('10.0.0.254'), MAC_US, IP_US));
  const p = decodeIp(s.takeSent()[0]!);
  t.is(p.dst, MAC_H3);
  t.is(p.ipDst, '192.168.7.9');
  t.is(p.id, 7);
});

test('arpresolve: no route or a host off every network -> EHOSTUNREACH', (t) => {
  const { s } = stack1();
  t.deepEqual(s.sendUdp(ip('172.16.0.1')), { kind: 'dropped', errno: 'EHOSTUNREACH' });
  const ifp = s.net.ifunit('eth0')!;
  t.is(arpResolve(s.rep, ifp, null, null, ip('172.16.0.1')), ARPRES_HOSTUNREACH);
  t.is(arpResolve(s.rep, ifp, null, null, IP_H2), ARPRES_HELD, 'looked up and cloned by address');
});

test('arpresolve: our own address loops back without resolution', (t) => {
  const { s } = stack1();
  t.deepEqual(s.sendUdp(IP_US), { kind: 'local' });
  t.is(s.takeSent().length, 0);
});
