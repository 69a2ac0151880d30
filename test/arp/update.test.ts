import test from 'ava';
import { RTF_REJECT } from '../../src/route/rtentry.js';
import { IFT_BRIDGE } from '../../src/inet/ifnet.js';
import { arpUpdateOnCpu } from '../../src/arp/update.js';
import { laAsked, laPreempt } from '../../src/arp/llinfo.js';
import { newArpUpdate } from '../../src/arp/input.js';
import { ArpStack } from '../../src/arp/stack.js';
import { CollectingSink } from '../../src/util/events.js';
import {
  IP_H2, IP_US, MAC_H2, MAC_H3, MAC_US, MAC_US2, decodeIp, ip, mac, names, reply, request, stack1,
} from './helpers.js';

function twoIfs(level: number): ReturnType<typeof stack1> {
  const r = stack1({ sysctl: { 'net.link.ether.inet.log_arp_wrong_iface': level } });
  r.s.ifAttach('eth1', MAC_US2);
  r.s.addAddress('eth1', '10.1.0.1/24');
  r.s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  r.s.takeSent();
  r.ev.clear();
  return r;
}

test('arp_update_oncpu: an entry of another interface is left alone; log_arp_wrong_iface 1 logs it', (t) => {
  const { s, ev } = twoIfs(1);
  s.input('eth1', request(MAC_H3, IP_H2, ip('10.1.0.1')));
  const w = ev.named('arp.wrong_iface');
  t.is(w.length, 1);
  t.is(w[0]!.ip, '10.0.0.2');
  t.is(w[0]!.iface, 'eth1');
  t.is(w[0]!.expected, 'eth0');
  t.is(w[0]!.mac, '02:00:00:00:00:03');
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, '02:00:00:00:00:02', 'unchanged');
  t.is(s.stats.wrongiface, 1);
});

test('arp_update_oncpu: log_arp_wrong_iface 0 is silent, still refuses', (t) => {
  const { s, ev } = twoIfs(0);
  s.input('eth1', request(MAC_H3, IP_H2, ip('10.1.0.1')));
  t.deepEqual(ev.named('arp.wrong_iface'), []);
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, '02:00:00:00:00:02');
});

test('arp_update_oncpu: log_arp_wrong_iface 2 logs bridged members too, 1 does not', (t) => {
  for (const level of [1, 2]) {
    const ev = new CollectingSink();
    const s = new ArpStack({ events: ev });
    s.sysctl.set('net.link.ether.inet.log_arp_wrong_iface', level);
    const br = s.net.ifAttach('bridge0', { type: IFT_BRIDGE, lladdr: mac('02:00:00:00:0b:00') });
    s.net.bridgeAttach(br, s.ifAttach('eth0', MAC_US));
    s.net.bridgeAttach(br, s.ifAttach('eth1', MAC_US2));
    s.addAddress('eth0', '10.0.0.1/24');
    s.input('eth0', request(MAC_H2, IP_H2, IP_US));
    ev.clear();
    // The same host now heard on the other member: bridge case 1, not an error.
    s.input('eth1', reply(MAC_H2, IP_H2, MAC_US2, IP_US, { dst: MAC_US2 }));
    t.is(ev.named('arp.wrong_iface').length, level === 2 ? 1 : 0, `level ${level}`);
    t.is(s.list().find((x) => x.ip === '10.0.0.2')!.iface, 'bridge0');
  }
});

test('arp_update_oncpu: moved for a dynamic entry (the manual\'s "info overwritten")', (t) => {
  const { s, ev } = stack1();
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  ev.clear();
  s.input('eth0', request(MAC_H3, IP_H2, IP_US));
  const m = ev.named('arp.moved');
  t.is(m.length, 1);
  t.is(m[0]!.from, '02:00:00:00:00:02');
  t.is(m[0]!.to, '02:00:00:00:00:03');
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, '02:00:00:00:00:03');
  s.sysctl.set('net.link.ether.inet.log_arp_movements', 0);
  ev.clear();
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  t.deepEqual(ev.named('arp.moved'), [], 'log_arp_movements 0: silent');
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, '02:00:00:00:00:02', 'but still moved');
});

test('arp_update_oncpu: refuses to modify a permanent entry', (t) => {
  const { s, ev } = stack1();
  s.arpSet(IP_H2, MAC_H2);
  ev.clear();
  s.input('eth0', reply(MAC_H3, IP_H2, MAC_US, IP_US));
  const p = ev.named('arp.permanent_modify');
  t.is(p.length, 1);
  t.is(p[0]!.ip, '10.0.0.2');
  t.is(p[0]!.mac, '02:00:00:00:00:03');
  const e = s.list().find((x) => x.ip === '10.0.0.2')!;
  t.is(e.mac, '02:00:00:00:00:02');
  t.is(e.expires, 0);
  t.is(s.stats.permmodify, 1);
  s.sysctl.set('net.link.ether.inet.log_arp_permanent_modify', 0);
  ev.clear();
  s.input('eth0', reply(MAC_H3, IP_H2, MAC_US, IP_US));
  t.deepEqual(ev.named('arp.permanent_modify'), []);
  // The same address confirming the permanent entry is fine (and it stays permanent).
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.expires, 0);
});

test('arp_update_oncpu: a hardware address length other than the interface\'s is ignored', (t) => {
  const { s, ev } = stack1();
  const u = { ...newArpUpdate(), ifindex: s.net.ifunit('eth0')!.index, saddr: IP_H2, sha: MAC_H2, hln: 8, create: true, time: s.rep.now() };
  t.is(arpUpdateOnCpu(s.rep, u), 'bad_addrlen');
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, null);
  t.is(s.stats.badaddrlen, 1);
  t.is(ev.named('arp.drop')[0]!.reason, 'bad_addrlen');
  t.is(arpUpdateOnCpu(s.rep, { ...u, hln: 6 }), 'updated');
});

test('arp_update_oncpu: refresh of expiry, reject cleared, asked reset, preempt reset', (t) => {
  const { s } = stack1();
  s.advance(2);
  for (let i = 0; i < 6; i++) { s.sendUdp(IP_H2); s.advance(1); }
  const rt = s.net.routes.lookupHost(IP_H2)!;
  t.true((rt.flags & RTF_REJECT) !== 0);
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  t.false((rt.flags & RTF_REJECT) !== 0);
  t.is(laAsked(rt), 0);
  t.is(laPreempt(rt), 5);
  t.is(rt.expire, s.rep.now() + 1200);
  t.is(s.sendUdp(IP_H2).kind, 'resolved');
});

test('arp_update_oncpu: the held packet is sent once, by the replica that holds it', (t) => {
  const { s, ev } = stack1();
  s.sendUdp(IP_H2, { id: 42 });
  s.takeSent();
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  const sent = s.takeSent();
  t.is(sent.length, 1);
  t.is(decodeIp(sent[0]!).id, 42);
  t.is(ev.named('arp.held_sent').length, 1);
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  t.is(s.takeSent().length, 0, 'not again');
});

test('arp_update_oncpu: only CPU0 reports; every replica applies, and expiry comes from the update time', (t) => {
  const { s, ev } = stack1();
  const u = { ...newArpUpdate(), ifindex: s.net.ifunit('eth0')!.index, saddr: IP_H2, sha: MAC_H2, hln: 6, create: true, time: 50 };
  t.is(arpUpdateOnCpu(s.rep, u, { isCpu0: false }), 'updated');
  t.deepEqual(names(ev), []);
  const rt = s.net.routes.lookupHost(IP_H2)!;
  t.is(rt.lladdr, MAC_H2);
  t.is(rt.expire, 50 + 1200);
  t.is(arpUpdateOnCpu(s.rep, { ...u, sha: MAC_H3 }, { isCpu0: true }), 'updated');
  t.deepEqual(names(ev), ['arp.moved']);
});

test('arp_update_oncpu: no entry and not creating -> nothing', (t) => {
  const { s } = stack1();
  const u = { ...newArpUpdate(), ifindex: s.net.ifunit('eth0')!.index, saddr: IP_H2, sha: MAC_H2, hln: 6, create: false, time: 1 };
  t.is(arpUpdateOnCpu(s.rep, u), 'no_entry');
  t.is(arpUpdateOnCpu(s.rep, { ...u, ifindex: 99 }), 'no_iface');
});

test('arplookup: creating an entry off every local network fails and is logged', (t) => {
  const { s, ev } = stack1();
  s.addRoute('0.0.0.0/0', ip('10.0.0.254'));
  const u = { ...newArpUpdate(), ifindex: s.net.ifunit('eth0')!.index, saddr: ip('8.8.8.8'), sha: MAC_H2, hln: 6, create: true, time: 1 };
  t.is(arpUpdateOnCpu(s.rep, u), 'no_entry');
  const d = ev.named('arp.drop');
  t.is(d.length, 1);
  t.is(d[0]!.reason, 'not_on_local_network');
  t.is(d[0]!.stage, 'arplookup');
});
