import test from 'ava';
import { RTF_REJECT } from '../../src/route/rtentry.js';
import { arpTFree, arpTimer } from '../../src/arp/lookup.js';
import { laAsked, laPreempt } from '../../src/arp/llinfo.js';
import { IP_H2, IP_US, MAC_H2, MAC_US, ip, reply, request, stack1 } from './helpers.js';

test('arptimer: entry expires after max_age (freed at the next walk)', (t) => {
  const { s, ev } = stack1();
  s.advance(10);
  s.input('eth0', request(MAC_H2, IP_H2, IP_US)); // learned at t=10, expires at t=1210
  ev.clear();
  // Walks at t=1, 301, 601, 901, 1201, 1501: the one at 1501 is the first after expiry.
  s.runUntil(1500);
  t.truthy(s.net.routes.lookupHost(IP_H2));
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.expires, -290, 'expired but not yet walked');
  s.runUntil(1501);
  t.is(s.net.routes.lookupHost(IP_H2), null);
  const e = ev.named('arp.expired');
  t.is(e.length, 1);
  t.is(e[0]!.ip, '10.0.0.2');
  t.is(e[0]!.mac, '02:00:00:00:00:02');
  t.is(e[0]!.t, 1501);
  t.is(s.stats.timeouts, 1);
});

test('arptimer: runs every prune_intvl, read each time it re-arms', (t) => {
  const { s } = stack1({ sysctl: { 'net.link.ether.inet.max_age': 30 } });
  s.sysctl.set('net.link.ether.inet.prune_intvl', 10);
  // The walk at t=1 re-armed itself for t=11 with the new interval.
  s.input('eth0', request(MAC_H2, IP_H2, IP_US)); // t=0: expires at 30
  s.runUntil(30);
  t.truthy(s.net.routes.lookupHost(IP_H2), 'walks at 11, 21: not due');
  s.runUntil(31);
  t.is(s.net.routes.lookupHost(IP_H2), null, 'walk at 31');
});

test('arptimer: permanent, broadcast and own entries never expire', (t) => {
  const { s } = stack1();
  s.arpSet(ip('10.0.0.9'), MAC_H2);
  s.sendUdp(ip('10.0.0.255'));
  s.advance(100000);
  t.deepEqual(s.list().map((e) => e.ip), ['10.0.0.1', '10.0.0.9', '10.0.0.255']);
});

test('arptimer: a walk frees an entry still resolving, dropping its held packet (seed behaviour)', (t) => {
  const { s, ev } = stack1();
  s.advance(300.5);
  s.sendUdp(IP_H2); // asking at t=300; rt_expire = now
  s.advance(0.5);   // walk at t=301
  t.is(s.net.routes.lookupHost(IP_H2), null);
  t.is(s.stats.dropped, 1);
  t.is(ev.named('arp.held_dropped')[0]!.reason, 'deleted');
});

test('arptfree: static entry goes back to unresolved', (t) => {
  const { s, ev } = stack1();
  s.arpSet(IP_H2, MAC_H2, { temp: true }); // arp(8) marks temp entries static too
  const rt = s.net.routes.lookupHost(IP_H2)!;
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.expires, 1200);
  s.runUntil(1501);
  t.is(s.net.routes.lookupHost(IP_H2), rt, 'still there');
  t.false(rt.hasLladdr(), 'unresolved');
  t.is(laAsked(rt), 0);
  t.is(laPreempt(rt), 0);
  t.is(ev.named('arp.expired').length, 1);
  // Unresolved static: the next send asks for it.
  s.takeSent();
  t.is(s.sendUdp(IP_H2).kind, 'held');
  t.is(s.takeSent().length, 1);
});

test('arptfree: a referenced entry goes back to unresolved, reject lifted; others are deleted', (t) => {
  const { s } = stack1();
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  const rt = s.net.routes.lookupHost(IP_H2)!;
  rt.refcnt = 1;
  rt.flags |= RTF_REJECT;
  t.is(arpTFree(s.rep, rt), 'cleared');
  t.false(rt.hasLladdr());
  t.is(rt.flags & RTF_REJECT, 0);
  t.is(s.net.routes.lookupHost(IP_H2), rt);
  rt.refcnt = 0;
  t.is(arpTFree(s.rep, rt), 'deleted');
  t.is(s.net.routes.lookupHost(IP_H2), null);
});

test('arptimer: returns how many entries were due', (t) => {
  const { s } = stack1();
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  t.is(arpTimer(s.rep), 0);
  s.rep.stopTimer();
  s.advance(1300);
  t.is(arpTimer(s.rep), 1);
});

test('arptimer: first walk 1 s after start, then every prune_intvl; a later replica can align with nextWalk', (t) => {
  const { s } = stack1();
  t.is(s.rep.nextWalk, 1);
  s.advance(1);
  t.is(s.rep.nextWalk, 301);
  s.rep.stopTimer();
  t.is(s.rep.nextWalk, undefined);
  s.rep.startTimer(5);
  t.is(s.rep.nextWalk, 6);
});
