import test from 'ava';
import { addr, ip, rig, throwsCode, MAC0 } from './helpers.js';
import { NetStack, arpCapable } from '../../src/inet/stack.js';
import { inControl, sin } from '../../src/inet/in.js';
import { inLltableDump } from '../../src/inet/lltable.js';
import { IFF_NOARP, IFF_UP, IFT_BRIDGE, IFT_LOOP, etherBridgeInterface, iffFlagNames, parseIffFlags } from '../../src/inet/ifnet.js';
import { RTM_ADD } from '../../src/route/table.js';
import { RTF_HOST, RTF_STATIC } from '../../src/route/rtentry.js';
import { VirtualClock } from '../../src/util/clock.js';

test('replicas: two stacks in one thread share nothing', (t) => {
  const a = rig();
  const b = rig();
  addr(a, a.em0, '10.0.0.1/24');
  a.s.sysctl.set('net.inet.ip.no_same_prefix', 1);
  t.is(b.s.routes.size, 0);
  t.is(b.em0.addrs.length, 0);
  t.is(b.s.sysctl.v.noSamePrefix, 0);
  t.not(a.s.lo0, b.s.lo0);
  t.is(b.s.addrsWithIp(ip('10.0.0.1')).length, 0);
});

test('interfaces: lo0 always exists first; names are unique; flags as ifconfig words', (t) => {
  const s = new NetStack({ clock: new VirtualClock() });
  t.deepEqual(s.ifnets.map((i) => [i.name, i.index, i.type]), [['lo0', 1, IFT_LOOP]]);
  const e = s.ifAttach('vemu0', { lladdr: MAC0 });
  t.is(e.index, 2);
  t.is(s.ifunit('vemu0'), e);
  t.is(s.ifnetByIndex(2), e);
  throwsCode(t, () => s.ifAttach('vemu0'), 'EEXIST');
  t.deepEqual(iffFlagNames(e.flags), ['up', 'broadcast', 'multicast']);
  t.is(parseIffFlags(['noarp', 'down'], e.flags), (e.flags | IFF_NOARP) & ~IFF_UP);
  t.is(parseIffFlags(['bogus']), undefined);
});

test('hooks: the ARP route hook sees only routes of addresses on ARP-capable interfaces', (t) => {
  const r = rig();
  addr(r, r.s.lo0, '127.0.0.1/8');
  t.deepEqual(r.hookCalls, [], 'nothing for lo0');
  addr(r, r.em0, '10.0.0.1/24');
  t.deepEqual(r.hookCalls, [[RTM_ADD, `${ip('10.0.0.0')}/24`], [RTM_ADD, `${ip('10.0.0.1')}/32`]]);
  t.true(arpCapable(r.em0));
  t.false(arpCapable(r.s.lo0));
});

test('bridges: members answer for the bridge interface (ether_bridge_interface)', (t) => {
  const r = rig();
  const br = r.s.ifAttach('bridge0', { type: IFT_BRIDGE, lladdr: 0x02_00_00_00_00_99 });
  r.s.bridgeAttach(br, r.em0);
  r.s.bridgeAttach(br, r.em1);
  t.is(etherBridgeInterface(r.em0), br);
  t.is(etherBridgeInterface(r.em1), br);
  t.is(r.em0.bridge, r.em1.bridge);
  t.deepEqual(br.bridge, null);
  t.is(etherBridgeInterface(br), br);
  throwsCode(t, () => r.s.bridgeAttach(br, r.em0), 'EBUSY');
  throwsCode(t, () => r.s.bridgeAttach(br, br), 'EINVAL');
  r.s.bridgeDetach(r.em1);
  t.is(etherBridgeInterface(r.em1), r.em1);
  t.deepEqual(r.em0.bridge!.members, [r.em0]);
  t.true(arpCapable(br));
});

test('dump: CONTRACT.md interfaces and routes', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  const tun = r.s.ifAttach('tun0', { flags: IFF_UP | 0x10, lladdr: 0 });
  addr(r, tun, '172.16.0.1/32', { dstaddr: '172.16.0.2' });
  const d = r.s.dump();
  t.deepEqual(d.interfaces[1], {
    name: 'em0', index: 2, mac: '02:00:00:00:00:01', flags: ['up', 'broadcast', 'multicast'],
    addresses: [{ addr: '10.0.0.1', mask: '255.255.255.0', broadcast: '10.0.0.255' }],
  });
  t.deepEqual(d.interfaces[3]!.addresses, [{ addr: '172.16.0.1', mask: '255.255.255.255', broadcast: null, dst: '172.16.0.2' }]);
  t.deepEqual(d.interfaces[0], { name: 'lo0', index: 1, mac: null, flags: ['up', 'loopback', 'multicast'], addresses: [] });
  t.deepEqual(d.routes[0], { dst: '10.0.0.0', mask: '255.255.255.0', gateway: null, iface: 'em0', flags: ['up', 'cloning'] });
  t.is(r.s.dump({ routeFilter: (rt) => rt.isNet }).routes.length, 1);
});

test('snapshot/restore: a fresh replica becomes equal (interfaces, addresses, routes, lltable, sysctl, llinfo)', (t) => {
  const r = rig({ arp: true });
  const br = r.s.ifAttach('bridge0', { type: IFT_BRIDGE, lladdr: 0x02_00_00_00_00_99 });
  r.s.bridgeAttach(br, r.em1);
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em0, '10.0.0.2/24');
  addr(r, r.em1, '192.168.1.1/24');
  r.s.sysctl.set('net.link.ether.inet.max_age', 600);
  r.s.routes.add({ dst: 0, mask: 0, gateway: ip('10.0.0.254') });
  r.s.routes.add({ dst: ip('10.0.0.9'), flags: RTF_HOST | RTF_STATIC, lladdr: MAC0, expire: 0 });
  const c = r.s.routes.rtlookup(ip('10.0.0.77'), { clone: true })!;
  c.setLladdr(0x02_00_00_00_00_77);
  c.expire = 2200;
  (c.llinfo as { asked?: number }).asked = 2;
  r.s.hooks.llinfoSave = (rt) => ({ ...(rt.llinfo as object) });
  const snap = structuredClone(r.s.snapshot());

  const copy = rig({ arp: true });
  copy.s.hooks.llinfoLoad = (_rt, saved) => saved as object;
  const em0Before = copy.em0;
  const calls = copy.hookCalls.length;
  copy.s.restore(snap);
  t.deepEqual(copy.s.dump(), r.s.dump());
  t.deepEqual(inLltableDump(copy.s), inLltableDump(r.s));
  t.is(copy.s.sysctl.v.maxAge, 600);
  t.is(copy.hookCalls.length, calls, 'restore calls no route hook');
  t.is(copy.events.events.length, 0, 'and emits no event');
  t.is(copy.s.ifunit('em0'), em0Before, 'an interface present on both sides keeps its object');
  t.is(etherBridgeInterface(copy.s.ifunit('em1')!), copy.s.ifunit('bridge0')!);
  t.deepEqual(copy.s.routes.lookup(ip('10.0.0.77'))!.llinfo, { asked: 2 });
  t.is(copy.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!.ifa, copy.em0.addrs[0]);
  // the copy works on: the alias takes the prefix over when the first address goes
  inControl(copy.s, 'SIOCDIFADDR', copy.em0, { addr: sin(ip('10.0.0.1')) });
  t.is(copy.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!.ifa, copy.em0.addrs[0]);
  t.is(copy.em0.addrs[0]!.addr, ip('10.0.0.2'));
});

test('snapshot/restore: a snapshot naming an unknown interface is refused', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  const snap = r.s.snapshot();
  snap.addrs[0]!.ifindex = 42;
  const copy = rig();
  throwsCode(t, () => copy.s.restore(snap), 'ENXIO');
  const bad = r.s.snapshot();
  bad.ifnets = bad.ifnets.slice(1);
  throwsCode(t, () => copy.s.restore(bad), 'EINVAL');
});
