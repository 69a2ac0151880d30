import test, { type ExecutionContext } from 'ava';
import { RouteTable, RTM_ADD, RTM_DELETE, RTM_RESOLVE, RTL_DOCLONE, RTL_PROXY, RTL_REF, RTL_REPORTMSG, type RtMsg, type RtRequestCmd } from '../../src/route/table.js';
import {
  RtEntry, RTF_CLONING, RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_PROXY, RTF_STATIC, RTF_UP, RTF_WASCLONED, RTF_ANNOUNCE,
  rtFlagNames, parseRtFlags, type RtTypes,
} from '../../src/route/rtentry.js';
import { isArpemuError } from '../../src/util/errors.js';
import { parseIpv4, parseMac, prefixMask } from '../../src/wire/addr.js';

const ip = (s: string): number => parseIpv4(s)!;
const em0 = { name: 'em0', index: 2 };
const em1 = { name: 'em1', index: 3 };
const ia0 = { addr: ip('10.0.0.1'), ifp: em0 };
const ia1 = { addr: ip('192.168.1.1'), ifp: em1 };

function throwsCode(t: ExecutionContext, fn: () => unknown, code: string): void {
  const e = t.throws(fn);
  t.true(isArpemuError(e), 'an ArpemuError');
  t.is((e as { code?: string }).code, code);
}

interface Recorder { calls: [RtRequestCmd, string][]; msgs: RtMsg[] }
function table(reporting = false): { rt: RouteTable<RtTypes>; rec: Recorder } {
  const rec: Recorder = { calls: [], msgs: [] };
  const rt = new RouteTable<RtTypes>({
    reporting,
    hooks: {
      rtRequest: (cmd, r) => rec.calls.push([cmd, `${r.dst >>> 0}/${r.plen}`]),
      report: (m) => rec.msgs.push(m),
    },
  });
  return { rt, rec };
}

/** Two connected networks with cloning routes, and a default route through 10.0.0.254. */
function connected(reporting = false): { rt: RouteTable<RtTypes>; rec: Recorder } {
  const r = table(reporting);
  r.rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(24), flags: RTF_CLONING, ifp: em0, ifa: ia0 });
  r.rt.add({ dst: ip('192.168.1.0'), mask: prefixMask(24), flags: RTF_CLONING, ifp: em1, ifa: ia1 });
  r.rt.add({ dst: 0, mask: 0, gateway: ip('10.0.0.254') });
  r.rec.calls.length = 0;
  r.rec.msgs.length = 0;
  return r;
}

test('rtrequest: RTM_ADD of an existing destination and mask -> EEXIST', (t) => {
  const { rt } = connected();
  throwsCode(t, () => rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(24), ifp: em0, ifa: ia0 }), 'EEXIST');
  // the same destination with another mask is another route
  t.notThrows(() => rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(25), ifp: em0, ifa: ia0 }));
  rt.add({ dst: ip('10.0.0.9'), flags: RTF_HOST, ifp: em0, ifa: ia0 });
  throwsCode(t, () => rt.add({ dst: ip('10.0.0.9'), flags: RTF_HOST, ifp: em0, ifa: ia0 }), 'EEXIST');
  throwsCode(t, () => rt.rtrequest(RTM_ADD, { dst: ip('10.0.0.9'), mask: 0xffff_ffff, ifp: em0 }), 'EEXIST');
});

test('rtrequest: RTM_DELETE of a missing route -> ESRCH', (t) => {
  const { rt } = connected();
  throwsCode(t, () => rt.delete(ip('10.0.0.0'), prefixMask(16)), 'ESRCH');
  throwsCode(t, () => rt.delete(ip('10.0.0.5')), 'ESRCH');
  throwsCode(t, () => rt.rtrequest(RTM_DELETE, { dst: ip('172.16.0.0'), mask: prefixMask(12) }), 'ESRCH');
  const r = rt.delete(ip('10.0.0.0'), prefixMask(24));
  t.is(r.flags & RTF_UP, 0, 'a deleted route is no longer up');
  throwsCode(t, () => rt.deleteEntry(r), 'ESRCH');
});

test('rtrequest: gateway not reachable through an interface route -> ENETUNREACH', (t) => {
  const { rt } = connected();
  throwsCode(t, () => rt.add({ dst: ip('172.16.0.0'), mask: prefixMask(12), gateway: ip('203.0.113.1') }), 'ENETUNREACH');
  // a gateway reached through another gateway route does not do either (ifa_ifwithroute)
  rt.add({ dst: ip('198.51.100.0'), mask: prefixMask(24), gateway: ip('10.0.0.254') });
  throwsCode(t, () => rt.add({ dst: ip('172.16.0.0'), mask: prefixMask(12), gateway: ip('198.51.100.7') }), 'ENETUNREACH');
  const g = rt.add({ dst: ip('172.16.0.0'), mask: prefixMask(12), gateway: ip('192.168.1.254') });
  t.is(g.ifp, em1, 'interface taken from the route to the gateway');
  t.is(g.ifa, ia1);
  t.is(g.gateway, ip('192.168.1.254'));
  t.is(g.flags & (RTF_GATEWAY | RTF_UP), RTF_GATEWAY | RTF_UP);
  t.is(g.lladdr, null);
});

test('rtrequest: non-contiguous mask or gateway flag without gateway -> EINVAL; host bits are masked off', (t) => {
  const { rt } = connected();
  throwsCode(t, () => rt.add({ dst: ip('172.16.0.0'), mask: ip('255.0.255.0'), ifp: em0 }), 'EINVAL');
  throwsCode(t, () => rt.add({ dst: ip('172.16.0.0'), mask: prefixMask(16), flags: RTF_GATEWAY, ifp: em0 }), 'EINVAL');
  const r = rt.add({ dst: ip('172.16.9.9'), mask: prefixMask(16), ifp: em0, ifa: ia0 });
  t.is(r.dst, ip('172.16.0.0'));
  t.is(r.plen, 16);
  t.is(rt.lookupExact(ip('172.16.0.0'), prefixMask(16)), r);
});

test('rtlookup: clone on a cloning route creates the host route and calls the hook (RTM_RESOLVE)', (t) => {
  const { rt, rec } = connected();
  const parent = rt.lookupExact(ip('10.0.0.0'), prefixMask(24))!;
  parent.flags |= RTF_STATIC;
  parent.expire = 42;
  parent.setLladdr(null);
  const c = rt.rtlookup(ip('10.0.0.77'), { clone: true })!;
  t.not(c, parent);
  t.is(c.dst, ip('10.0.0.77'));
  t.is(c.plen, 32);
  t.is(c.flags, RTF_UP | RTF_HOST | RTF_WASCLONED, 'cloning and static dropped, wascloned|host added');
  t.is(c.ifp, em0);
  t.is(c.ifa, ia0);
  t.is(c.expire, 42, 'metrics copied from the parent');
  t.false(c.hasLladdr());
  t.is(rt.parentOf(c), parent);
  t.deepEqual(rec.calls, [[RTM_RESOLVE, `${ip('10.0.0.77')}/32`]]);
  t.is(rt.lookup(ip('10.0.0.77')), c, 'the clone answers later lookups');
  t.is(rt.rtlookup(ip('10.0.0.77'), { clone: true }), c, 'no second clone');
  t.is(rec.calls.length, 1);
});

test('rtlookup: a pure lookup never clones', (t) => {
  const { rt, rec } = connected();
  const parent = rt.lookupExact(ip('10.0.0.0'), prefixMask(24));
  t.is(rt.lookup(ip('10.0.0.77')), parent);
  t.is(rt.rtlookup(ip('10.0.0.77')), parent);
  t.is(rt.rtlookup(ip('10.0.0.77'), { report: true }), parent);
  t.is(rt.hostCount, 0);
  t.deepEqual(rec.calls, []);
});

test('rtlookup: clone asked on a non-cloning route returns that route', (t) => {
  const { rt } = connected();
  const def = rt.rtlookup(ip('8.8.8.8'), { clone: true })!;
  t.is(def.gateway, ip('10.0.0.254'));
  t.is(rt.hostCount, 0);
});

test('rtlookup: when the hook fails, no clone stays and the cloning route is returned (RTM_MISS)', (t) => {
  const rec: RtMsg[] = [];
  const rt = new RouteTable<RtTypes>({
    reporting: true,
    hooks: { rtRequest: (cmd) => { if (cmd === RTM_RESOLVE) throw new Error('no memory'); }, report: (m) => rec.push(m) },
  });
  const parent = rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(24), flags: RTF_CLONING, ifp: em0, ifa: ia0 });
  rec.length = 0;
  t.is(rt.rtlookup(ip('10.0.0.5'), { clone: true, report: true }), parent);
  t.is(rt.hostCount, 0);
  t.deepEqual(rec.map((m) => m.type), ['RTM_MISS']);
});

test('rtlookup: report hook gets RTM_MISS, RTM_ADD (clone) and RTM_DELETE only while reporting', (t) => {
  const { rt, rec } = connected(true);
  rt.hooks.rtRequest = undefined;
  const tbl = new RouteTable<RtTypes>({ hooks: { report: (m) => rec.msgs.push(m) } });
  t.is(tbl.rtlookup(ip('1.2.3.4'), { report: true }), null);
  t.is(rec.msgs.length, 0, 'not reporting: nothing');

  const r2 = new RouteTable<RtTypes>({ reporting: true, hooks: { report: (m) => rec.msgs.push(m) } });
  t.is(r2.rtlookup(ip('1.2.3.4'), { report: true }), null);
  t.is(r2.rtlookup(ip('1.2.3.5')), null);
  t.deepEqual(rec.msgs, [{ type: 'RTM_MISS', dst: ip('1.2.3.4'), mask: 0xffff_ffff, flags: 0, gateway: null, lladdr: null, iface: null }]);
  rec.msgs.length = 0;

  const c = rt.rtlookup(ip('10.0.0.8'), { clone: true, report: true })!;
  rt.deleteEntry(c);
  t.deepEqual(rec.msgs.map((m) => [m.type, m.dst, m.iface]), [['RTM_ADD', ip('10.0.0.8'), 'em0'], ['RTM_DELETE', ip('10.0.0.8'), 'em0']]);
  rt.reporting = false;
  rt.add({ dst: ip('10.0.0.9'), flags: RTF_HOST, ifp: em0 });
  t.is(rec.msgs.length, 2);
});

test('rtrequest: deleting a cloning route deletes the routes cloned from it (rt_fixdelete)', (t) => {
  const { rt, rec } = connected();
  const a = rt.rtlookup(ip('10.0.0.5'), { clone: true })!;
  const b = rt.rtlookup(ip('10.0.0.6'), { clone: true })!;
  const other = rt.rtlookup(ip('192.168.1.5'), { clone: true })!;
  const stat = rt.add({ dst: ip('10.0.0.7'), flags: RTF_HOST | RTF_STATIC, ifp: em0, ifa: ia0 });
  rec.calls.length = 0;
  rt.delete(ip('10.0.0.0'), prefixMask(24));
  t.false(rt.contains(a));
  t.false(rt.contains(b));
  t.true(rt.contains(other));
  t.true(rt.contains(stat), 'a static host route was not cloned: it stays');
  t.deepEqual(rec.calls.map((c) => c[0]), [RTM_DELETE, RTM_DELETE, RTM_DELETE]);
  t.is(a.flags & RTF_UP, 0);
});

test('rtrequest: a more specific network route takes over the clones it covers (rt_fixchange)', (t) => {
  const { rt } = connected();
  const inLow = rt.rtlookup(ip('10.0.0.5'), { clone: true })!;
  const inHigh = rt.rtlookup(ip('10.0.0.200'), { clone: true })!;
  const half = rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(25), flags: RTF_CLONING, ifp: em1, ifa: ia1 });
  t.false(rt.contains(inLow), 'clone covered by the new route is dropped');
  t.true(rt.contains(inHigh));
  t.is(rt.parentOf(inHigh), rt.lookupExact(ip('10.0.0.0'), prefixMask(24)));
  const again = rt.rtlookup(ip('10.0.0.5'), { clone: true })!;
  t.is(again.ifp, em1);
  t.is(rt.parentOf(again), half);
  // a wider route does not steal clones of a more specific parent
  rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(23), flags: RTF_CLONING, ifp: em0, ifa: ia0 });
  t.true(rt.contains(again));
  t.true(rt.contains(inHigh));
});

test('rtrequest: RTM_RESOLVE refuses a non-cloning parent, an address outside it, an existing host', (t) => {
  const { rt } = connected();
  const def = rt.lookupExact(0, 0)!;
  throwsCode(t, () => rt.resolve(def, ip('8.8.8.8')), 'EINVAL');
  const net = rt.lookupExact(ip('10.0.0.0'), prefixMask(24))!;
  throwsCode(t, () => rt.resolve(net, ip('10.0.1.1')), 'EINVAL');
  rt.resolve(net, ip('10.0.0.3'));
  throwsCode(t, () => rt.resolve(net, ip('10.0.0.3')), 'EEXIST');
});

test('proxy (SIN_PROXY) entries: seen only by proxy lookups, which fall back to network routes, not hosts', (t) => {
  const { rt } = connected();
  const host = rt.add({ dst: ip('10.0.0.50'), flags: RTF_HOST | RTF_STATIC, ifp: em0, ifa: ia0, lladdr: parseMac('02:00:00:00:00:50')! });
  t.is(rt.rtlookup(ip('10.0.0.50'), { proxy: true }), rt.lookupExact(ip('10.0.0.0'), prefixMask(24)), 'host route invisible to a proxy lookup');
  const pub = rt.add({ dst: ip('10.0.0.50'), flags: RTF_HOST | RTF_STATIC | RTF_ANNOUNCE | RTF_PROXY, ifp: em0, ifa: ia0, lladdr: parseMac('02:00:00:00:00:51')! });
  t.is(rt.rtlookup(ip('10.0.0.50'), { proxy: true }), pub);
  t.is(rt.lookup(ip('10.0.0.50')), host);
  throwsCode(t, () => rt.add({ dst: ip('10.0.0.0'), mask: prefixMask(24), flags: RTF_PROXY, ifp: em0 }), 'EINVAL');
  throwsCode(t, () => rt.add({ dst: ip('10.0.0.50'), flags: RTF_HOST | RTF_PROXY, ifp: em0 }), 'EEXIST');
  t.deepEqual(rt.dump().filter((d) => d.dst === '10.0.0.50').map((d) => d.gateway), ['02:00:00:00:00:50', '02:00:00:00:00:51']);
  rt.delete(ip('10.0.0.50'), undefined, { proxy: true });
  t.true(rt.contains(host));
  t.false(rt.contains(pub));
});

test('refcnt: rtlookup with ref takes a reference, rtfree drops it', (t) => {
  const { rt } = connected();
  const r = rt.rtlookup(ip('10.0.0.5'), { clone: true, ref: true })!;
  t.is(r.refcnt, 1);
  rt.rtlookup(ip('10.0.0.5'), { ref: true });
  t.is(r.refcnt, 2);
  t.is(rt.lookup(ip('10.0.0.5'))!.refcnt, 2, 'a pure lookup takes none');
  rt.rtfree(r); rt.rtfree(r); rt.rtfree(r);
  t.is(r.refcnt, 0);
});

test('RtEntry: link-level gateway round trip without loss, including the top MAC bits', (t) => {
  const r = new RtEntry<RtTypes>(ip('10.0.0.1'), RTF_HOST, em0, null, 0);
  t.is(r.lladdr, null);
  for (const s of ['ff:ff:ff:ff:ff:fe', '02:00:00:00:00:01', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '80:00:00:00:00:00', '00:00:80:00:00:00']) {
    const mac = parseMac(s)!;
    r.setLladdr(mac);
    t.true(r.hasLladdr(), s);
    t.is(r.lladdr, mac, s);
    t.true(r.lladdrEquals(mac), s);
    t.false(r.lladdrEquals((mac + 1) % 2 ** 48), s);
    const b = new Uint8Array(8);
    r.writeLladdr(b, 1);
    const r2 = new RtEntry<RtTypes>(0, 0, em0, null, 0);
    r2.readLladdr(b, 1);
    t.is(r2.lladdr, mac, s);
    t.true(r.lladdrEqualsBytes(b, 1));
  }
  r.setLladdr(null);
  t.false(r.hasLladdr());
  t.is(r.dst, ip('10.0.0.1'));
  // refcnt and the MAC's high bits share a field: neither disturbs the other
  r.refcnt = 5;
  r.setLladdr(parseMac('ff:ff:00:00:00:01')!);
  t.is(r.refcnt, 5);
  r.refcnt++;
  t.is(r.lladdr, parseMac('ff:ff:00:00:00:01')!);
  t.is(r.refcnt, 6);
  r.gwHi = -1;
  t.false(r.hasLladdr());
  t.is(r.refcnt, 6);
  r.refcnt = -3;
  t.is(r.refcnt, 0, 'never negative');
  r.refcnt = 1e9;
  t.is(r.refcnt, 8191, 'saturates');
  const hi = new RtEntry<RtTypes>(ip('224.0.0.1'), 0, em0, null, 0);
  t.is(hi.dst, ip('224.0.0.1'), 'destinations above 2^31 come back unsigned');
  t.true(hi.key < 0, 'and are kept as small integers');
});

test('flag names follow the dump order and parse back', (t) => {
  t.deepEqual(rtFlagNames(RTF_UP | RTF_CLONING), ['up', 'cloning']);
  t.deepEqual(rtFlagNames(RTF_UP | RTF_HOST | RTF_LLINFO | RTF_STATIC | RTF_WASCLONED), ['up', 'host', 'wascloned', 'llinfo', 'static']);
  t.is(parseRtFlags(['up', 'gateway']), RTF_UP | RTF_GATEWAY);
  t.is(parseRtFlags(['up', 'bogus']), undefined);
});

test('dump: CONTRACT.md route shape, sorted by destination then prefix length', (t) => {
  const { rt } = connected();
  rt.rtlookup(ip('10.0.0.9'), { clone: true })!.setLladdr(parseMac('02:00:00:00:00:09')!);
  t.deepEqual(rt.dump(), [
    { dst: '0.0.0.0', mask: '0.0.0.0', gateway: '10.0.0.254', iface: 'em0', flags: ['up', 'gateway'] },
    { dst: '10.0.0.0', mask: '255.255.255.0', gateway: null, iface: 'em0', flags: ['up', 'cloning'] },
    { dst: '10.0.0.9', mask: '255.255.255.255', gateway: '02:00:00:00:00:09', iface: 'em0', flags: ['up', 'host', 'wascloned'] },
    { dst: '192.168.1.0', mask: '255.255.255.0', gateway: null, iface: 'em1', flags: ['up', 'cloning'] },
  ]);
});

test('snapshot/restore: an equal table, llinfo through the codec, no hooks; unknown interface -> ENXIO, table kept', (t) => {
  const { rt } = connected();
  const c = rt.rtlookup(ip('10.0.0.9'), { clone: true })!;
  c.setLladdr(parseMac('02:00:00:00:00:09')!);
  c.flags |= RTF_LLINFO;
  c.llinfo = { asked: 3 };
  c.refcnt = 1;
  rt.add({ dst: ip('10.0.0.50'), flags: RTF_HOST | RTF_PROXY | RTF_ANNOUNCE, ifp: em0, ifa: ia0, lladdr: 1 });
  const snap = rt.snapshot((r) => ({ ...(r.llinfo as object) }));
  const copy = structuredClone(snap);
  const { rt: other, rec } = table();
  other.add({ dst: ip('1.0.0.0'), mask: prefixMask(8), ifp: em0 });
  other.restore(copy, {
    ifp: (i) => [em0, em1].find((x) => x.index === i),
    ifa: (_i, a) => [ia0, ia1].find((x) => x.addr === a),
    llinfo: (_r, saved) => saved,
  });
  t.deepEqual(other.dump(), rt.dump());
  t.deepEqual(rec.calls, [[RTM_ADD, `${ip('1.0.0.0')}/8`]], 'restore itself calls no hook');
  const c2 = other.lookup(ip('10.0.0.9'))!;
  t.deepEqual(c2.llinfo, { asked: 3 });
  t.is(c2.refcnt, 1);
  t.is(other.parentOf(c2), other.lookupExact(ip('10.0.0.0'), prefixMask(24)));
  t.truthy(other.rtlookup(ip('10.0.0.50'), { proxy: true })!.flags & RTF_PROXY);
  const before = other.dump();
  throwsCode(t, () => other.restore(copy, { ifp: (i) => (i === 2 ? em0 : undefined), ifa: () => ia0 }), 'ENXIO');
  t.deepEqual(other.dump(), before);
});

test('snapshot/restore: without a codec the llinfo value itself is carried', (t) => {
  const { rt } = connected();
  const c = rt.rtlookup(ip('10.0.0.9'), { clone: true })!;
  c.llinfo = 0x0005_0002;
  const other = new RouteTable<RtTypes>();
  other.restore(structuredClone(rt.snapshot()), { ifp: (i) => [em0, em1].find((x) => x.index === i), ifa: (_i, a) => [ia0, ia1].find((x) => x.addr === a) });
  t.is(other.lookup(ip('10.0.0.9'))!.llinfo, 0x0005_0002);
  t.is(other.lookup(ip('10.0.0.10'))!.llinfo, null);
});

test('rtlookupFlags: RTL_* bits behave as the options (clone, report, proxy, ref)', (t) => {
  const { rt, rec } = connected(true);
  t.is(rt.rtlookupFlags(ip('10.0.0.5'), 0), rt.lookupExact(ip('10.0.0.0'), prefixMask(24)));
  const c = rt.rtlookupFlags(ip('10.0.0.5'), RTL_DOCLONE | RTL_REPORTMSG | RTL_REF)!;
  t.is(c.flags & RTF_WASCLONED, RTF_WASCLONED);
  t.is(c.refcnt, 1);
  t.deepEqual(rec.msgs.map((m) => m.type), ['RTM_ADD']);
  t.is(rt.rtlookupFlags(ip('10.0.0.5'), RTL_PROXY), rt.lookupExact(ip('10.0.0.0'), prefixMask(24)));
  t.is(rt.rtlookupFlags(ip('172.31.0.1'), RTL_REPORTMSG)!.gateway, ip('10.0.0.254'));
});
