import test from 'ava';
import { addr, ip, rig, MAC1 } from './helpers.js';
import {
  LLE_CREATE, LLE_DELETE, LLE_DELETED, LLE_IFADDR, LLE_LINKED, LLE_PUB, LLE_PROXY, LLE_STATIC, LLE_VALID,
  inLltableDump, inLltableFind, inLltableLookup, inLltablePrefixFree, inLltableRtcheck, lleFlags, isLle,
} from '../../src/inet/lltable.js';
import { IFF_NOARP, IFF_STATICARP } from '../../src/inet/ifnet.js';
import { RTF_ANNOUNCE, RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_PROXY, RTF_STATIC, RTF_WASCLONED } from '../../src/route/rtentry.js';

function lan() {
  const r = rig({ arp: true });
  addr(r, r.em0, '10.0.0.1/24');
  addr(r, r.em1, '192.168.1.1/24');
  return r;
}

test('in_lltable_rtcheck: no route covers the address -> refused', (t) => {
  const r = lan();
  t.is(inLltableRtcheck(r.s, r.em0, ip('172.16.0.1')), 'no route');
  t.is(inLltableRtcheck(r.s, r.em0, ip('10.0.0.77')), null);
});

test('in_lltable_rtcheck: refuses gateway route', (t) => {
  const r = lan();
  r.s.routes.add({ dst: 0, mask: 0, gateway: ip('10.0.0.254') });
  t.is(inLltableRtcheck(r.s, r.em0, ip('8.8.8.8')), 'gateway route');
  // a host route through a gateway that is not the address itself
  r.s.routes.add({ dst: ip('172.16.0.9'), flags: RTF_HOST, gateway: ip('10.0.0.254') });
  t.is(inLltableRtcheck(r.s, r.em0, ip('172.16.0.9')), 'gateway route');
});

test('in_lltable_rtcheck: a host route whose gateway is the address itself (MANET) is allowed, not on noarp/staticarp', (t) => {
  const r = lan();
  r.s.routes.add({ dst: ip('172.16.0.9'), flags: RTF_HOST, gateway: ip('172.16.0.9'), ifp: r.em0 });
  t.is(inLltableRtcheck(r.s, r.em0, ip('172.16.0.9')), null);
  r.em0.flags |= IFF_NOARP;
  t.is(inLltableRtcheck(r.s, r.em0, ip('172.16.0.9')), 'gateway route');
  r.em0.flags = (r.em0.flags & ~IFF_NOARP) | IFF_STATICARP;
  t.is(inLltableRtcheck(r.s, r.em0, ip('172.16.0.9')), 'gateway route');
  // a network route through that gateway is refused whatever the gateway
  r.em0.flags &= ~IFF_STATICARP;
  r.s.routes.add({ dst: ip('172.17.0.0'), mask: ip('255.255.0.0'), gateway: ip('172.17.0.0'), ifp: r.em0 });
  t.is(inLltableRtcheck(r.s, r.em0, ip('172.17.0.0')), 'gateway route');
});

test('in_lltable_rtcheck: not on the network (a network route of another interface that does not cover it)', (t) => {
  const r = lan();
  const other = r.s.routes.lookupExact(ip('192.168.1.0'), ip('255.255.255.0'))!;
  t.is(inLltableRtcheck(r.s, r.em0, ip('10.0.0.5'), other), 'not on the network');
  t.is(inLltableRtcheck(r.s, r.em0, ip('192.168.1.5'), other), null, 'covered by its prefix: the two-interfaces-one-prefix case');
  t.is(inLltableRtcheck(r.s, r.em1, ip('10.0.0.5'), other), null, 'the route\'s own interface is not checked');
});

test('in_lltable_lookup: create clones an unresolved entry, marked expired (cloning route\'s expiry)', (t) => {
  const r = lan();
  r.clock.advance(30);
  const e = inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.77'))!;
  t.truthy(e);
  t.true(isLle(e));
  t.is(e.flags & (RTF_WASCLONED | RTF_LLINFO), RTF_WASCLONED | RTF_LLINFO);
  const f = lleFlags(e);
  t.is(f & (LLE_VALID | LLE_STATIC | LLE_LINKED), LLE_LINKED, 'linked, not valid, not static');
  t.is(e.expire, 1000, 'the cloning route "expires now" at its creation: already past');
  t.true(e.expire <= r.clock.uptime());
  t.is(inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.77')), e, 'found, not created twice');
  t.is(inLltableLookup(r.s, r.em0, 0, ip('10.0.0.78')), null, 'without LLE_CREATE nothing is made');
});

test('in_lltable_lookup: create refused by in_lltable_rtcheck, and on an interface that does not route it', (t) => {
  const r = lan();
  const before = r.s.routes.size;
  t.is(inLltableLookup(r.s, r.em0, LLE_CREATE, ip('172.16.0.1')), null);
  r.s.routes.add({ dst: 0, mask: 0, gateway: ip('10.0.0.254') });
  t.is(inLltableLookup(r.s, r.em0, LLE_CREATE, ip('8.8.8.8')), null);
  t.is(inLltableLookup(r.s, r.em0, LLE_CREATE, ip('192.168.1.9')), null, 'one entry per address, on its route\'s interface');
  t.is(r.s.routes.size, before + 1);
});

test('in_lltable_lookup: LLE_STATIC creates a permanent entry; LLE_PUB|LLE_PROXY a published proxy entry', (t) => {
  const r = lan();
  const st = inLltableLookup(r.s, r.em0, LLE_CREATE | LLE_STATIC, ip('10.0.0.9'))!;
  st.setLladdr(MAC1);
  t.is(lleFlags(st) & (LLE_STATIC | LLE_VALID), LLE_STATIC | LLE_VALID);
  t.is(st.expire, 0);
  const pub = inLltableLookup(r.s, r.em0, LLE_CREATE | LLE_PUB | LLE_PROXY, ip('10.0.0.9'))!;
  t.not(pub, st, 'the proxy key is another entry');
  t.is(pub.flags & (RTF_PROXY | RTF_ANNOUNCE | RTF_STATIC), RTF_PROXY | RTF_ANNOUNCE | RTF_STATIC);
  t.is(lleFlags(pub) & (LLE_PUB | LLE_PROXY), LLE_PUB | LLE_PROXY);
  t.is(inLltableFind(r.s, r.em0, ip('10.0.0.9'), true), pub);
});

test('in_lltable_lookup: LLE_DELETE marks the entry LLE_DELETED; IFADDR entries need LLE_IFADDR', (t) => {
  const r = lan();
  const e = inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.77'))!;
  const gone = inLltableLookup(r.s, r.em0, LLE_DELETE, ip('10.0.0.77'));
  t.is(gone, e);
  t.is(lleFlags(e) & (LLE_DELETED | LLE_LINKED), LLE_DELETED, 'a kept reference reads deleted');
  t.is(inLltableFind(r.s, r.em0, ip('10.0.0.77')), null);

  const self = inLltableFind(r.s, r.em0, ip('10.0.0.1'))!;
  t.is(lleFlags(self) & LLE_IFADDR, LLE_IFADDR);
  t.is(inLltableLookup(r.s, r.em0, LLE_DELETE, ip('10.0.0.1')), null, 'refused without LLE_IFADDR');
  t.is(inLltableFind(r.s, r.em0, ip('10.0.0.1')), self);
  t.is(inLltableLookup(r.s, r.em0, LLE_DELETE | LLE_IFADDR, ip('10.0.0.1')), self);
  t.is(inLltableFind(r.s, r.em0, ip('10.0.0.1')), null);
  // and LLE_CREATE|LLE_IFADDR brings it back without the route check
  const back = inLltableLookup(r.s, r.em0, LLE_CREATE | LLE_IFADDR, ip('10.0.0.1'))!;
  t.is(lleFlags(back) & (LLE_IFADDR | LLE_VALID | LLE_STATIC), LLE_IFADDR | LLE_VALID | LLE_STATIC);
  t.is(back.ifp, r.s.lo0);
  t.is(back.ifa, r.em0.addrs[0]);
});

test('in_lltable_prefix_free: frees the prefix\'s dynamic entries, static ones only with LLE_STATIC', (t) => {
  const r = lan();
  const dyn = inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.20'))!;
  const st = inLltableLookup(r.s, r.em0, LLE_CREATE | LLE_STATIC, ip('10.0.0.21'))!;
  const outside = inLltableLookup(r.s, r.em1, LLE_CREATE, ip('192.168.1.20'))!;
  t.is(inLltablePrefixFree(r.s, ip('10.0.0.0'), ip('255.255.255.0'), 0), 1);
  t.false(r.s.routes.contains(dyn));
  t.true(r.s.routes.contains(st));
  t.is(inLltablePrefixFree(r.s, ip('10.0.0.0'), ip('255.255.255.0'), LLE_STATIC), 1);
  t.false(r.s.routes.contains(st));
  t.true(r.s.routes.contains(outside));
  t.truthy(inLltableFind(r.s, r.em0, ip('10.0.0.1')), 'own-address entries stay with their address');
});

test('in_lltable_dump: deleted entries skipped, expire 0 for static, announce for published, no MAC until valid', (t) => {
  const r = lan();
  r.clock.advance(5);
  const dyn = inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.20'))!;
  const res = inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.30'))!;
  res.setLladdr(MAC1);
  res.expire = 2200;
  const st = inLltableLookup(r.s, r.em0, LLE_CREATE | LLE_STATIC, ip('10.0.0.40'))!;
  st.setLladdr(MAC1);
  const pub = r.s.routes.add({ dst: ip('10.0.0.50'), flags: RTF_HOST | RTF_ANNOUNCE, ifp: r.em0, lladdr: MAC1, expire: 2500 });
  inLltableLookup(r.s, r.em0, LLE_CREATE, ip('10.0.0.60'));
  inLltableLookup(r.s, r.em0, LLE_DELETE, ip('10.0.0.60'));
  t.deepEqual(inLltableDump(r.s, r.em0), [
    { ip: '10.0.0.1', mac: '02:00:00:00:00:01', iface: 'em0', index: 2, flags: ['up', 'host', 'llinfo', 'static'], expire: 0 },
    { ip: '10.0.0.20', mac: null, iface: 'em0', index: 2, flags: ['up', 'host', 'llinfo'], expire: dyn.expire },
    { ip: '10.0.0.30', mac: '02:00:00:00:00:02', iface: 'em0', index: 2, flags: ['up', 'host', 'llinfo'], expire: 2200 },
    { ip: '10.0.0.40', mac: '02:00:00:00:00:02', iface: 'em0', index: 2, flags: ['up', 'host', 'llinfo', 'static'], expire: 0 },
    { ip: '10.0.0.50', mac: '02:00:00:00:00:02', iface: 'em0', index: 2, flags: ['up', 'host', 'llinfo', 'announce'], expire: 2500 },
  ]);
  t.is(pub.flags & RTF_GATEWAY, 0);
  t.deepEqual(inLltableDump(r.s, r.em1).map((e) => e.ip), ['192.168.1.1']);
  t.is(inLltableDump(r.s).length, 6, 'all interfaces');
});
