import test from 'ava';
import { MAC_BROADCAST, ipv4MulticastMac } from '../../src/wire/addr.js';
import {
  RTF_CLONING, RTF_LLINFO, RTF_LOCAL, RTF_STATIC, RTF_WASCLONED,
} from '../../src/route/rtentry.js';
import { ArpStack } from '../../src/arp/stack.js';
import { laAsked } from '../../src/arp/llinfo.js';
import { CollectingSink } from '../../src/util/events.js';
import {
  IP_H2, IP_US, MAC_H3, MAC_US, decodeArp, ip, stack1,
} from './helpers.js';

test('arp_rtrequest: cloning network route gets a null link-level gateway and expires now', (t) => {
  const { s } = stack1();
  const net = s.net.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!;
  t.true((net.flags & RTF_CLONING) !== 0);
  t.false(net.hasLladdr());
  t.is(net.expire, s.rep.now(), 'expires at the time it was added: its clones start expired');
  t.true(net.expire !== 0, 'never 0 (permanent), even on a clock that starts at 0');
});

test('arp_rtrequest: resolving a host route attaches an llinfo', (t) => {
  const { s } = stack1();
  s.sendUdp(IP_H2);
  const rt = s.net.routes.lookupHost(IP_H2)!;
  t.true((rt.flags & RTF_LLINFO) !== 0);
  t.true((rt.flags & RTF_WASCLONED) !== 0);
  t.not(rt.llinfo, null);
  t.is(laAsked(rt), 1);
  t.not(rt.expire, 0, 'a clone is dynamic');
});

test('arp_rtrequest: multicast destination maps to multicast MAC, never expires', (t) => {
  const { s } = stack1();
  const eth0 = s.net.ifunit('eth0')!;
  // A cloning route for the multicast range on eth0 (route add -net 224/4 -interface eth0).
  s.net.routes.add({ dst: ip('224.0.0.0'), mask: ip('240.0.0.0'), ifp: eth0, ifa: eth0.addrs[0]! });
  t.is(s.sendUdp(ip('224.0.0.251')).kind, 'resolved');
  const rt = s.net.routes.lookupHost(ip('224.0.0.251'))!;
  t.is(rt.lladdr, ipv4MulticastMac(ip('224.0.0.251')));
  t.is(rt.expire, 0);
  const e = s.list().find((x) => x.ip === '224.0.0.251')!;
  t.is(e.mac, '01:00:5e:00:00:fb');
  t.true(e.flags.includes('permanent'));
});

test('arp_rtrequest: broadcast destination uses the broadcast MAC, never expires', (t) => {
  const { s } = stack1();
  t.is(s.sendUdp(ip('10.0.0.255')).kind, 'resolved');
  const rt = s.net.routes.lookupHost(ip('10.0.0.255'))!;
  t.is(rt.lladdr, MAC_BROADCAST);
  t.is(rt.expire, 0);
  s.advance(5000);
  t.truthy(s.net.routes.lookupHost(ip('10.0.0.255')), 'arptimer leaves it alone');
});

test('arp_rtrequest: own address is permanent with its own MAC, through lo0 when useloopback', (t) => {
  const { s } = stack1();
  const rt = s.net.routes.lookupHost(IP_US)!;
  t.true((rt.flags & RTF_LLINFO) !== 0);
  t.true((rt.flags & RTF_LOCAL) !== 0);
  t.is(rt.expire, 0);
  t.is(rt.lladdr, MAC_US);
  t.is(rt.ifp.name, 'lo0');
  t.is(s.list().find((x) => x.ip === '10.0.0.1')!.iface, 'eth0', 'listed on its own interface');

  const s2 = new ArpStack({ events: new CollectingSink() });
  s2.sysctl.set('net.link.ether.inet.useloopback', 0);
  s2.ifAttach('eth0', MAC_US);
  s2.addAddress('eth0', '10.0.0.1/24');
  t.is(s2.net.routes.lookupHost(IP_US)!.ifp.name, 'eth0', 'useloopback 0: out the hardware');
});

test('arp_rtrequest: a clone of our own address (no local route) becomes the local entry', (t) => {
  const { s } = stack1();
  // Drop the loopback route inet made, so the next lookup clones one as DragonFly did.
  const old = s.net.routes.lookupHost(IP_US)!;
  s.net.routes.deleteEntry(old);
  const rt = s.net.routes.rtlookup(IP_US, { clone: true })!;
  t.true((rt.flags & RTF_WASCLONED) !== 0);
  t.is(rt.expire, 0);
  t.is(rt.lladdr, MAC_US);
  t.is(rt.ifp.name, 'lo0');
});

test('arp_rtrequest: announce route sends a gratuitous request with the published address', (t) => {
  const { s, ev } = stack1();
  const before = s.stats.txannounces;
  s.arpSet(ip('10.0.0.50'), MAC_H3, { pub: true });
  const sent = s.takeSent();
  t.is(sent.length, 1);
  const r = decodeArp(sent[0]!);
  t.is(r.spa, '10.0.0.50');
  t.is(r.tpa, '10.0.0.50');
  t.is(r.sha, MAC_H3);
  t.is(r.src, MAC_US, 'Ethernet source is our interface');
  t.is(ev.named('arp.request_sent')[0]!.reason, 'announce');
  t.is(s.stats.txannounces, before + 1);
  // Unpublished static entries are not announced.
  s.arpSet(ip('10.0.0.51'), MAC_H3);
  t.is(s.takeSent().length, 0);
  t.true((s.net.routes.lookupHost(ip('10.0.0.51'))!.flags & RTF_STATIC) !== 0);
});

test('arp_rtrequest: delete frees the held packet', (t) => {
  const { s, ev } = stack1();
  s.sendUdp(IP_H2);
  t.is(s.rep.held.size, 1);
  s.admin({ op: 'delete', ip: IP_H2 });
  t.is(s.rep.held.size, 0);
  t.is(s.stats.dropped, 1);
  const d = ev.named('arp.held_dropped');
  t.is(d.length, 1);
  t.is(d[0]!.reason, 'deleted');
  t.is(s.net.routes.lookupHost(IP_H2), null);
});

test('arp_ifaddr: gratuitous request on every address added, none for 0.0.0.0 or on delete', (t) => {
  const ev = new CollectingSink();
  const s = new ArpStack({ events: ev });
  s.ifAttach('eth0', MAC_US);
  s.addAddress('eth0', '10.0.0.1/24');
  s.addAddress('eth0', '10.0.0.9/24');
  const sent = s.takeSent();
  t.is(sent.length, 2);
  for (const [i, a] of ['10.0.0.1', '10.0.0.9'].entries()) {
    const r = decodeArp(sent[i]!);
    t.is(r.spa, a);
    t.is(r.tpa, a);
    t.is(r.sha, MAC_US);
    t.is(r.dst, MAC_BROADCAST);
  }
  t.deepEqual(ev.named('arp.request_sent').map((e) => e.reason), ['gratuitous', 'gratuitous']);
  s.deleteAddress('eth0', '10.0.0.9');
  t.is(s.takeSent().length, 0, 'nothing on delete');
  s.ifAttach('eth1', 0x020000000102);
  s.addAddress('eth1', '0.0.0.0/8');
  t.is(s.takeSent().length, 0, 'nothing for 0.0.0.0');
  t.is(s.stats.txannounces, 2);
});

test('arp_ifaddr: only the reporting replica (CPU0) announces', (t) => {
  const ev = new CollectingSink();
  const s = new ArpStack({ events: ev, cpu: 1 });
  s.net.reporting = false;
  s.ifAttach('eth0', MAC_US);
  s.addAddress('eth0', '10.0.0.1/24');
  t.is(s.takeSent().length, 0);
});
