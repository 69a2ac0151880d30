import test from 'ava';
import { addr, ip, rig, routeLines, throwsCode, MAC0, MAC1 } from './helpers.js';
import {
  AF_INET, SIN_LEN, aliasReq, inBroadcast, inCanForward, inControl, inLocalAddr, inLocalIp, inScrubPrefix, sin,
} from '../../src/inet/in.js';
import { IFA_ROUTE, IFF_BROADCAST, IFF_LOOPBACK, IFF_POINTOPOINT, IFF_UP, IFT_LOOP } from '../../src/inet/ifnet.js';
import { LLE_IFADDR, LLE_STATIC, LLE_VALID, inLltableDump, inLltableFind, lleFlags } from '../../src/inet/lltable.js';
import { RTF_CLONING, RTF_GATEWAY, RTF_HOST, RTF_LOCAL, RTF_STATIC, RTF_UP, RTF_WASCLONED } from '../../src/route/rtentry.js';
import { formatIpv4 } from '../../src/wire/addr.js';

// ------------------------------------------------------------------ in_control (get)

test('in_control: no interface -> EADDRNOTAVAIL', (t) => {
  const { s } = rig();
  throwsCode(t, () => inControl(s, 'SIOCGIFADDR', null), 'EADDRNOTAVAIL');
  throwsCode(t, () => inControl(s, 'SIOCAIFADDR', undefined, aliasReq(ip('10.0.0.1'))), 'EADDRNOTAVAIL');
});

test('in_control: SIOCGIFADDR returns the first address; no address -> EADDRNOTAVAIL', (t) => {
  const r = rig();
  throwsCode(t, () => inControl(r.s, 'SIOCGIFADDR', r.em0), 'EADDRNOTAVAIL');
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em0, '10.0.1.1/24');
  t.is(inControl(r.s, 'SIOCGIFADDR', r.em0, { addr: sin(ip('10.0.1.1')) }), ip('10.0.0.1'), 'the first, whatever is asked');
});

test('in_control: SIOCGIFBRDADDR without broadcast flag -> EINVAL', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  t.is(inControl(r.s, 'SIOCGIFBRDADDR', r.em0, { addr: sin(ip('10.0.0.1')) }), ip('10.0.0.255'));
  r.em0.flags &= ~IFF_BROADCAST;
  throwsCode(t, () => inControl(r.s, 'SIOCGIFBRDADDR', r.em0, { addr: sin(ip('10.0.0.1')) }), 'EINVAL');
});

test('in_control: SIOCGIFDSTADDR without point-to-point -> EINVAL; with it, the peer', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  throwsCode(t, () => inControl(r.s, 'SIOCGIFDSTADDR', r.em0), 'EINVAL');
  const tun = r.s.ifAttach('tun0', { flags: IFF_UP | IFF_POINTOPOINT });
  addr(r, tun, '172.16.0.1/32', { dstaddr: '172.16.0.2' });
  t.is(inControl(r.s, 'SIOCGIFDSTADDR', tun), ip('172.16.0.2'));
});

test('in_control: SIOCGIFNETMASK of the named address; an address not on the interface -> EADDRNOTAVAIL', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em0, '10.9.0.1/16');
  t.is(inControl(r.s, 'SIOCGIFNETMASK', r.em0, { addr: sin(ip('10.9.0.1')) }), ip('255.255.0.0'));
  t.is(inControl(r.s, 'SIOCGIFNETMASK', r.em0, { addr: sin(0) }), ip('255.255.255.0'), '0.0.0.0 picks the first');
  throwsCode(t, () => inControl(r.s, 'SIOCGIFNETMASK', r.em0, { addr: sin(ip('10.0.0.2')) }), 'EADDRNOTAVAIL');
  throwsCode(t, () => inControl(r.s, 'SIOCGIFNETMASK', r.em1, { addr: sin(ip('10.0.0.1')) }), 'EADDRNOTAVAIL');
});

test('in_control: the old set-style commands -> EINVAL, anything else -> EOPNOTSUPP', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  for (const cmd of ['SIOCSIFADDR', 'SIOCSIFBRDADDR', 'SIOCSIFDSTADDR', 'SIOCSIFNETMASK'] as const) {
    throwsCode(t, () => inControl(r.s, cmd, r.em0, { addr: sin(ip('10.0.0.9')) }), 'EINVAL');
  }
  throwsCode(t, () => inControl(r.s, 'SIOCSIFMTU', r.em0), 'EOPNOTSUPP');
  t.is(r.em0.addrs.length, 1, 'nothing changed');
});

// ------------------------------------------------------------------ in_aifaddr

test('in_aifaddr: address must be a full AF_INET sockaddr_in -> EINVAL', (t) => {
  const r = rig();
  throwsCode(t, () => inControl(r.s, 'SIOCAIFADDR', r.em0, { addr: { len: 8, family: AF_INET, addr: ip('10.0.0.1') } }), 'EINVAL');
  throwsCode(t, () => inControl(r.s, 'SIOCAIFADDR', r.em0, { addr: { len: SIN_LEN, family: 28, addr: ip('10.0.0.1') } }), 'EINVAL');
  throwsCode(t, () => inControl(r.s, 'SIOCAIFADDR', r.em0, { addr: sin(ip('10.0.0.1')), mask: { len: SIN_LEN, family: 0, addr: 0xffffff00 } }), 'EINVAL');
  throwsCode(t, () => inControl(r.s, 'SIOCAIFADDR', r.em0, { addr: sin(ip('10.0.0.1')), broadaddr: { len: 4, family: AF_INET, addr: 1 } }), 'EINVAL');
  t.is(r.em0.addrs.length, 0);
  t.is(r.s.routes.size, 0);
  // a zero-length (absent) mask or broadcast is fine
  t.notThrows(() => inControl(r.s, 'SIOCAIFADDR', r.em0, { addr: sin(ip('10.0.0.1')), mask: { len: 0, family: 0, addr: 0 } }));
});

test('in_aifaddr: point-to-point without destination -> EDESTADDRREQ', (t) => {
  const r = rig();
  const tun = r.s.ifAttach('tun0', { flags: IFF_UP | IFF_POINTOPOINT });
  throwsCode(t, () => inControl(r.s, 'SIOCAIFADDR', tun, aliasReq(ip('172.16.0.1'), { plen: 32 })), 'EDESTADDRREQ');
  throwsCode(t, () => inControl(r.s, 'SIOCAIFADDR', tun, aliasReq(ip('172.16.0.1'), { plen: 32, dstaddr: 0 })), 'EDESTADDRREQ');
  t.is(tun.addrs.length, 0);
});

test('in_aifaddr: classful default mask when none is given', (t) => {
  const r = rig();
  t.is(addr(r, r.em0, '10.1.2.3').subnetmask, ip('255.0.0.0'), 'class A');
  t.is(addr(r, r.em0, '172.16.5.4').subnetmask, ip('255.255.0.0'), 'class B');
  t.is(addr(r, r.em0, '192.168.7.1').subnetmask, ip('255.255.255.0'), 'class C');
  t.is(addr(r, r.em1, '224.1.1.1').subnetmask, ip('255.255.255.0'), 'beyond class C: the class C mask');
  t.is(inControl(r.s, 'SIOCGIFNETMASK', r.em0, { addr: sin(ip('172.16.5.4')) }), ip('255.255.0.0'));
});

test('in_aifaddr: broadcast address from the mask; an explicit one is kept', (t) => {
  const r = rig();
  t.is(addr(r, r.em0, '10.0.0.1/24').broadaddr, ip('10.0.0.255'));
  t.is(addr(r, r.em0, '10.1.0.1/30').broadaddr, ip('10.1.0.3'));
  t.is(addr(r, r.em0, '10.2.0.1/24', { broadaddr: '10.2.0.0' }).broadaddr, ip('10.2.0.0'));
  t.is(addr(r, r.em1, '10.3.0.1/32').broadaddr, ip('10.3.0.1'));
  // a /32 address: its prefix route is its route to self
  t.deepEqual(routeLines(r.s).filter((l) => l.startsWith('10.3.')), ['10.3.0.1/32 lo0 up,static,local']);
  inControl(r.s, 'SIOCDIFADDR', r.em1, { addr: sin(ip('10.3.0.1')) });
  t.deepEqual(routeLines(r.s).filter((l) => l.startsWith('10.3.')), []);
  const noBcast = r.s.ifAttach('em2', { flags: IFF_UP });
  t.is(addr(r, noBcast, '10.4.0.1/24').broadaddr, null, 'no broadcast address without the broadcast flag');
});

test('in_aifaddr: /31 broadcasts to 255.255.255.255', (t) => {
  const r = rig();
  const ia = addr(r, r.em0, '10.0.0.0/31');
  t.is(ia.broadaddr, 0xffff_ffff);
  t.is(inControl(r.s, 'SIOCGIFBRDADDR', r.em0), 0xffff_ffff);
  t.deepEqual(r.s.dump().interfaces[1]!.addresses, [{ addr: '10.0.0.0', mask: '255.255.255.254', broadcast: '255.255.255.255' }]);
});

test('in_aifaddr: prefix route (cloning on Ethernet) and loopback route to self through lo0', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  t.deepEqual(routeLines(r.s), ['10.0.0.0/24 em0 up,cloning', '10.0.0.1/32 lo0 up,host,static,local']);
  const self = r.s.routes.lookupHost(ip('10.0.0.1'))!;
  t.true(self.lladdrEquals(MAC0), 'the own-address entry carries our MAC');
  t.is(self.expire, 0);
  t.is(r.em0.addrs[0]!.flags & IFA_ROUTE, IFA_ROUTE);
});

test('in_aifaddr: with useloopback=0 the route to self goes through the interface', (t) => {
  const r = rig();
  r.s.sysctl.set('net.link.ether.inet.useloopback', 0);
  addr(r, r.em0, '10.0.0.1/24');
  t.is(r.s.routes.lookupHost(ip('10.0.0.1'))!.ifp, r.em0);
});

test('in_aifaddr: point-to-point gets a host route to the peer; loopback a host route to itself and no route to self', (t) => {
  const r = rig();
  const tun = r.s.ifAttach('tun0', { flags: IFF_UP | IFF_POINTOPOINT });
  addr(r, tun, '172.16.0.1/32', { dstaddr: '172.16.0.2' });
  t.deepEqual(routeLines(r.s), ['172.16.0.1/32 lo0 up,host,static,local', '172.16.0.2/32 tun0 up,host']);
  const r2 = rig();
  const ia = addr(r2, r2.s.lo0, '127.0.0.1/8');
  t.is(ia.dstaddr, ip('127.0.0.1'), 'a loopback address is its own destination');
  t.deepEqual(routeLines(r2.s), ['127.0.0.1/32 lo0 up,host']);
  t.is(r2.s.lo0.type, IFT_LOOP);
  t.is(r2.s.lo0.flags & IFF_LOOPBACK, IFF_LOOPBACK);
  // a point-to-point address equal to its peer gets no route to self either
  const r3 = rig();
  const tun3 = r3.s.ifAttach('tun0', { flags: IFF_UP | IFF_POINTOPOINT });
  addr(r3, tun3, '172.16.0.1/32', { dstaddr: '172.16.0.1' });
  t.deepEqual(routeLines(r3.s), ['172.16.0.1/32 tun0 up,host']);
});

test('in_aifaddr: the LLE_IFADDR entry is valid, static, with our own link-level address', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  const e = inLltableFind(r.s, r.em0, ip('10.0.0.1'))!;
  t.truthy(e);
  const f = lleFlags(e);
  t.is(f & (LLE_IFADDR | LLE_VALID | LLE_STATIC), LLE_IFADDR | LLE_VALID | LLE_STATIC);
  t.deepEqual(inLltableDump(r.s, r.em0), [{ ip: '10.0.0.1', mac: '02:00:00:00:00:01', iface: 'em0', index: r.em0.index, flags: ['up', 'host', 'llinfo', 'static'], expire: 0 }]);
  t.is(inLltableFind(r.s, r.em1, ip('10.0.0.1')), null, 'only in its own interface table');
});

test('in_aifaddr: the identical address is replaced (deleted, then added with the new mask)', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  r.events.clear();
  const ia = addr(r, r.em0, '10.0.0.1/16');
  t.deepEqual(r.em0.addrs, [ia]);
  t.deepEqual(routeLines(r.s), ['10.0.0.0/16 em0 up,cloning', '10.0.0.1/32 lo0 up,host,static,local']);
  t.deepEqual(r.events.names(), ['inet.addr_deleted', 'inet.addr_added']);
});

test('in_aifaddr: address added event and hook (the hook on every replica, the event only when reporting)', (t) => {
  const r = rig();
  const ia = addr(r, r.em0, '10.0.0.1/24');
  t.deepEqual(r.added, [ia]);
  const ev = r.events.named('inet.addr_added');
  t.is(ev.length, 1);
  t.like(ev[0]!, { t: 1000, cpu: 0, event: 'inet.addr_added', iface: 'em0', addr: '10.0.0.1', mask: '255.255.255.0', broadcast: '10.0.0.255' });
  r.s.reporting = false;
  addr(r, r.em1, '10.1.0.1/24');
  t.is(r.added.length, 2);
  t.is(r.events.named('inet.addr_added').length, 1);
});

test('in_aifaddr: a learned (cloned) entry for the new address gives way to the route to self', (t) => {
  const r = rig({ arp: true });
  addr(r, r.em0, '10.0.0.1/24');
  const learned = r.s.routes.rtlookup(ip('10.0.0.7'), { clone: true })!;
  t.is(learned.flags & RTF_WASCLONED, RTF_WASCLONED);
  addr(r, r.em0, '10.0.0.7/24');
  const self = r.s.routes.lookupHost(ip('10.0.0.7'))!;
  t.not(self, learned);
  t.is(self.flags & RTF_LOCAL, RTF_LOCAL);
});

test('in_aifaddr: a static route to the address makes the add fail with EEXIST, leaving nothing behind', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  r.s.routes.add({ dst: ip('10.1.0.5'), flags: RTF_HOST | RTF_STATIC, ifp: r.em1 });
  const before = routeLines(r.s);
  throwsCode(t, () => addr(r, r.em1, '10.1.0.5/24'), 'EEXIST');
  t.deepEqual(r.em1.addrs, []);
  t.false(inLocalIp(r.s, ip('10.1.0.5')));
  t.deepEqual(routeLines(r.s), before, 'prefix route scrubbed, the static route kept');
  t.is(r.events.named('inet.addr_added').length, 1);
});

// ------------------------------------------------------------------ in_addprefix

test('in_addprefix: a second address on the same prefix is an alias (one route, an RTM_ADD message)', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  r.msgs.length = 0;
  const alias = addr(r, r.em0, '10.0.0.2/24');
  t.deepEqual(routeLines(r.s), ['10.0.0.0/24 em0 up,cloning', '10.0.0.1/32 lo0 up,host,static,local', '10.0.0.2/32 lo0 up,host,static,local']);
  t.is(alias.flags & IFA_ROUTE, 0);
  t.is(r.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!.ifa, r.em0.addrs[0]);
  const pfx = r.msgs.filter((m) => m.dst === ip('10.0.0.0'));
  t.deepEqual(pfx.map((m) => [m.type, formatIpv4(m.gateway!)]), [['RTM_ADD', '10.0.0.2']], 'the alias message names the alias as gateway');
});

test('in_addprefix: the same prefix on another interface is an alias too', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em1, '10.0.0.2/24');
  t.is(r.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!.ifp, r.em0);
  t.is(r.s.routes.netCount, 1);
});

test('in_addprefix: no_same_prefix makes a second address on the prefix EEXIST', (t) => {
  const r = rig();
  r.s.sysctl.set('net.inet.ip.no_same_prefix', 1);
  addr(r, r.em0, '10.0.0.1/24');
  throwsCode(t, () => addr(r, r.em1, '10.0.0.2/24'), 'EEXIST');
  t.deepEqual(r.em1.addrs, []);
  t.false(inLocalIp(r.s, ip('10.0.0.2')));
  t.notThrows(() => addr(r, r.em1, '10.0.0.3/25'), 'another mask is another prefix');
});

// ------------------------------------------------------------------ in_difaddr

test('in_difaddr: deletes the named address, its routes and its event', (t) => {
  const r = rig();
  const a = addr(r, r.em0, '10.0.0.1/24');
  const b = addr(r, r.em0, '10.1.0.1/24');
  const d = inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.1.0.1')) });
  t.is(d, b);
  t.deepEqual(r.em0.addrs, [a]);
  t.deepEqual(routeLines(r.s), ['10.0.0.0/24 em0 up,cloning', '10.0.0.1/32 lo0 up,host,static,local']);
  t.deepEqual(r.deleted, [b]);
  t.like(r.events.named('inet.addr_deleted')[0]!, { iface: 'em0', addr: '10.1.0.1' });
  t.false(inLocalIp(r.s, ip('10.1.0.1')));
});

test('in_difaddr: without an address the first one is deleted', (t) => {
  const r = rig();
  const a = addr(r, r.em0, '10.0.0.1/24');
  const b = addr(r, r.em0, '10.1.0.1/24');
  t.is(inControl(r.s, 'SIOCDIFADDR', r.em0), a);
  t.is(inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: { len: 0, family: 0, addr: ip('10.9.9.9') } }), b);
  t.is(r.s.routes.size, 0);
});

test('in_difaddr: unknown address -> EADDRNOTAVAIL', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  throwsCode(t, () => inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.0.0.2')) }), 'EADDRNOTAVAIL');
  throwsCode(t, () => inControl(r.s, 'SIOCDIFADDR', r.em1), 'EADDRNOTAVAIL');
});

test('in_ifadown: routes still using a deleted address go, static ones too', (t) => {
  const r = rig({ arp: true });
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em1, '192.168.1.1/24');
  r.s.routes.add({ dst: ip('172.16.0.0'), mask: ip('255.240.0.0'), gateway: ip('10.0.0.254') });
  r.s.routes.add({ dst: ip('10.0.0.9'), flags: RTF_HOST | RTF_STATIC, lladdr: MAC1, expire: 0 });
  r.s.routes.add({ dst: ip('203.0.113.0'), mask: ip('255.255.255.0'), gateway: ip('192.168.1.254') });
  inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.0.0.1')) });
  t.deepEqual(routeLines(r.s), ['192.168.1.0/24 em1 up,cloning', '192.168.1.1/32 lo0 up,host,llinfo,static,local', '203.0.113.0/24 em1 up,gateway']);
});

// ------------------------------------------------------------------ in_scrubprefix

test('in_scrubprefix: prefix handed to surviving alias', (t) => {
  const r = rig({ arp: true });
  const a = addr(r, r.em0, '10.0.0.1/24');
  const b = addr(r, r.em1, '10.0.0.2/24');
  const clone = r.s.routes.rtlookup(ip('10.0.0.77'), { clone: true })!;
  inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.0.0.1')) });
  const pfx = r.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!;
  t.is(pfx.ifa, b);
  t.is(pfx.ifp, r.em1);
  t.is(pfx.flags & (RTF_UP | RTF_CLONING), RTF_UP | RTF_CLONING);
  t.is(b.flags & IFA_ROUTE, IFA_ROUTE);
  t.is(a.flags & IFA_ROUTE, 0);
  t.false(r.s.routes.contains(clone), 'entries cloned from the old route went with it');
  t.is(r.s.routes.lookupHost(ip('10.0.0.1')), null, 'route to self of the deleted address gone');
});

test('in_scrubprefix: a surviving alias on a down interface does not take the prefix', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em1, '10.0.0.2/24');
  r.em1.flags &= ~IFF_UP;
  inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.0.0.1')) });
  t.is(r.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0')), null);
});

test('in_scrubprefix: deleting an alias leaves the prefix route and says RTM_DELETE for the alias', (t) => {
  const r = rig();
  const a = addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em0, '10.0.0.2/24');
  r.msgs.length = 0;
  inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.0.0.2')) });
  t.is(r.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0'))!.ifa, a);
  const m = r.msgs.find((x) => x.dst === ip('10.0.0.0'))!;
  t.is(m.type, 'RTM_DELETE');
  t.is(m.gateway, ip('10.0.0.2'));
});

test('in_scrubprefix: loopback route moved to another holder of the same IP, removed with the last', (t) => {
  const r = rig();
  const a = addr(r, r.em0, '10.0.0.1/24');
  const b = addr(r, r.em1, '10.0.0.1/24');
  t.is(r.s.routes.hostCount, 1, 'one route to self for both');
  const self = r.s.routes.lookupHost(ip('10.0.0.1'))!;
  t.is(self.ifa, a);
  inControl(r.s, 'SIOCDIFADDR', r.em0, { addr: sin(ip('10.0.0.1')) });
  t.is(r.s.routes.lookupHost(ip('10.0.0.1')), self, 'the same route, switched');
  t.is(self.ifa, b);
  t.true(self.lladdrEquals(MAC1), 'now with the surviving interface\'s address');
  t.is(inLltableFind(r.s, r.em1, ip('10.0.0.1')), self);
  inControl(r.s, 'SIOCDIFADDR', r.em1, { addr: sin(ip('10.0.0.1')) });
  t.is(r.s.routes.size, 0);
});

test('in_scrubprefix: ARP entries of the prefix are freed, static ones too on address delete', (t) => {
  const r = rig({ arp: true });
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em1, '10.1.0.1/24');
  r.s.routes.add({ dst: ip('10.0.0.9'), flags: RTF_HOST | RTF_STATIC, lladdr: MAC1, expire: 0 });
  r.s.routes.add({ dst: ip('10.1.0.9'), flags: RTF_HOST | RTF_STATIC, lladdr: MAC1, expire: 0 });
  r.s.routes.rtlookup(ip('10.0.0.8'), { clone: true });
  inControl(r.s, 'SIOCDIFADDR', r.em0);
  t.deepEqual(inLltableDump(r.s).map((e) => e.ip), ['10.1.0.1', '10.1.0.9']);
});

test('in_scrubprefix: without LLE_STATIC static entries survive and the route to self stays', (t) => {
  const r = rig({ arp: true });
  const a = addr(r, r.em0, '10.0.0.1/24');
  r.s.routes.add({ dst: ip('10.0.0.9'), flags: RTF_HOST | RTF_STATIC, lladdr: MAC1, expire: 0 });
  const dyn = r.s.routes.rtlookup(ip('10.0.0.8'), { clone: true })!;
  dyn.setLladdr(MAC1);
  dyn.expire = 2000;
  // a dynamic entry added directly (not cloned), as FreeBSD's lltable would hold it
  r.s.routes.add({ dst: ip('10.0.0.10'), flags: RTF_HOST, lladdr: MAC1, expire: 2000 });
  t.is(inScrubPrefix(r.s, a, 0), null);
  t.deepEqual(inLltableDump(r.s).map((e) => e.ip), ['10.0.0.1', '10.0.0.9']);
  t.is(r.s.routes.lookupExact(ip('10.0.0.0'), ip('255.255.255.0')), null);
  t.is(a.flags & IFA_ROUTE, 0);
});

// ------------------------------------------------------------------ predicates

test('in_broadcast: limited broadcast and 0.0.0.0 on any interface, subnet broadcasts only with the flag', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  t.true(inBroadcast(0xffff_ffff, r.s.lo0));
  t.true(inBroadcast(0, r.s.lo0));
  t.true(inBroadcast(ip('10.0.0.255'), r.em0));
  t.false(inBroadcast(ip('10.0.0.254'), r.em0));
  t.false(inBroadcast(ip('10.0.0.255'), r.em1), 'another interface\'s broadcast');
  r.em0.flags &= ~IFF_BROADCAST;
  t.false(inBroadcast(ip('10.0.0.255'), r.em0));
});

test('in_broadcast: old-style host-0 broadcast, but not on a /31 (RFC 3021) nor for an all-ones mask', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  t.true(inBroadcast(ip('10.0.0.0'), r.em0), 'the subnet number is an old-style broadcast');
  addr(r, r.em1, '10.1.0.0/31');
  t.false(inBroadcast(ip('10.1.0.0'), r.em1), 'a /31 subnet number is a host');
  t.true(inBroadcast(0xffff_ffff, r.em1));
  const em2 = r.s.ifAttach('em2', { lladdr: 3 });
  const h = addr(r, em2, '10.2.0.5/32');
  t.is(h.broadaddr, ip('10.2.0.5'));
  t.false(inBroadcast(ip('10.2.0.5'), em2), 'an all-ones mask has no broadcast address');
});

test('in_localaddr: true for addresses on one of our subnets', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em1, '192.168.1.1/30');
  t.true(inLocalAddr(r.s, ip('10.0.0.200')));
  t.true(inLocalAddr(r.s, ip('192.168.1.2')));
  t.false(inLocalAddr(r.s, ip('192.168.1.4')));
  t.false(inLocalAddr(r.s, ip('10.0.1.1')));
});

test('in_localip: true for our own addresses only', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  t.true(inLocalIp(r.s, ip('10.0.0.1')));
  t.false(inLocalIp(r.s, ip('10.0.0.2')));
  inControl(r.s, 'SIOCDIFADDR', r.em0);
  t.false(inLocalIp(r.s, ip('10.0.0.1')));
});

test('in_canforward: not experimental, multicast, link-local, net 0 or loopback; class B/C nets 0 are fine', (t) => {
  const no = ['240.0.0.1', '255.255.255.255', '224.0.0.1', '239.255.255.255', '169.254.1.1', '0.1.2.3', '0.0.0.0', '127.0.0.1', '127.255.0.1'];
  const yes = ['10.0.0.1', '1.0.0.0', '126.255.255.255', '128.0.0.1', '169.253.0.1', '169.255.0.1', '192.0.0.1', '223.255.255.255'];
  for (const a of no) t.false(inCanForward(ip(a)), a);
  for (const a of yes) t.true(inCanForward(ip(a)), a);
});

test('in_aifaddr: routes through a gateway learnt later still resolve their interface from the prefix route', (t) => {
  const r = rig();
  addr(r, r.em0, '10.0.0.1/24');
  const g = r.s.routes.add({ dst: 0, mask: 0, gateway: ip('10.0.0.254') });
  t.is(g.ifp, r.em0);
  t.is(g.ifa, r.em0.addrs[0]);
  t.is(g.flags & RTF_GATEWAY, RTF_GATEWAY);
  t.is(inControl(r.s, 'SIOCGIFADDR', r.em0), ip('10.0.0.1'));
});
