import test from 'ava';
import { isArpemuError } from '../../src/util/errors.js';
import { RTF_ANNOUNCE, RTF_PROXY, RTF_STATIC } from '../../src/route/rtentry.js';
import { arpAdminApply, arpSetOp, checkAdminOp, formatArpLine, type ArpAdminOp } from '../../src/arp/admin.js';
import { IP_H2, IP_US, MAC_H2, MAC_H3, MAC_US, decodeArp, ip, reply, request, stack1 } from './helpers.js';

function code(fn: () => unknown): string | undefined {
  try { fn(); return undefined; } catch (e) { return isArpemuError(e) ? e.code : 'not an ArpemuError'; }
}

test('arp -s: a permanent entry (expire 0), static, used for output at once', (t) => {
  const { s } = stack1();
  t.deepEqual(s.arpSet(IP_H2, MAC_H2), { count: 1 });
  const e = s.list().find((x) => x.ip === '10.0.0.2')!;
  t.deepEqual(e, { ip: '10.0.0.2', mac: '02:00:00:00:00:02', iface: 'eth0', flags: ['static', 'permanent'], expires: 0, asked: 0, preempt: 0, held: 0 });
  t.deepEqual(s.sendUdp(IP_H2), { kind: 'resolved', mac: MAC_H2 });
  s.advance(100000);
  t.truthy(s.net.routes.lookupHost(IP_H2), 'never expires');
});

test('arp -s temp: expires after 20 minutes (max_age)', (t) => {
  const { s } = stack1();
  s.advance(5);
  s.arpSet(IP_H2, MAC_H2, { temp: true });
  const e = s.list().find((x) => x.ip === '10.0.0.2')!;
  t.is(e.expires, 1200);
  t.deepEqual(e.flags, ['static']);
  // The op carries an absolute expiry: every replica gets the same.
  const op = arpSetOp(IP_H2, MAC_H2, { temp: true, now: 100, maxAge: 60 });
  t.is(op.op === 'set' && op.expire, 160);
  t.throws(() => arpSetOp(IP_H2, MAC_H2, { temp: true }), { instanceOf: TypeError });
});

test('arp -s pub: published entry, answered for and announced; pub only is proxy-only', (t) => {
  const { s } = stack1();
  s.arpSet(ip('10.0.0.50'), MAC_H3, { pub: true });
  const rt = s.net.routes.lookupHost(ip('10.0.0.50'))!;
  t.true((rt.flags & RTF_ANNOUNCE) !== 0);
  t.true((rt.flags & RTF_STATIC) !== 0);
  t.deepEqual(s.list().find((x) => x.ip === '10.0.0.50')!.flags, ['static', 'pub', 'permanent']);
  s.takeSent();
  s.arpSet(ip('10.0.0.51'), MAC_H3, { pub: true, only: true });
  t.is(s.net.routes.lookupHost(ip('10.0.0.51')), null, 'not an ordinary entry');
  const p = s.net.routes.lookupExact(ip('10.0.0.51'), undefined, { proxy: true })!;
  t.true((p.flags & RTF_PROXY) !== 0);
  s.takeSent();
  s.input('eth0', request(MAC_H2, IP_H2, ip('10.0.0.51')));
  t.is(decodeArp(s.takeSent()[0]!).sha, MAC_H3, 'answered for');
  // But our own output does not use a proxy-only entry.
  t.is(s.sendUdp(ip('10.0.0.51')).kind, 'held');
});

test('arp -s: over a learned entry replaces it; over a static one EEXIST (the manual tolerates it)', (t) => {
  const { s } = stack1();
  s.input('eth0', reply(MAC_H2, IP_H2, MAC_US, IP_US));
  s.arpSet(IP_H2, MAC_H3);
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, '02:00:00:00:00:03');
  t.is(code(() => s.arpSet(IP_H2, MAC_H2)), 'EEXIST');
  t.is(s.list().find((x) => x.ip === '10.0.0.2')!.mac, '02:00:00:00:00:03', 'unchanged');
  t.is(code(() => s.arpSet(IP_US, MAC_H2)), 'EEXIST', 'our own address');
});

test('arp -s: off every network -> ENETUNREACH; through a gateway -> ENETUNREACH; unknown interface -> ENXIO', (t) => {
  const { s } = stack1();
  t.is(code(() => s.arpSet(ip('172.16.0.1'), MAC_H2)), 'ENETUNREACH');
  s.addRoute('192.168.7.0/24', ip('10.0.0.254'));
  t.is(code(() => s.arpSet(ip('192.168.7.1'), MAC_H2)), 'ENETUNREACH');
  t.is(code(() => s.arpSet(IP_H2, MAC_H2, { iface: 'nope0' })), 'ENXIO');
  t.is(s.list().length, 1);
});

test('arp -d: deletes one entry; a missing one is ESRCH; our own address is EPERM', (t) => {
  const { s } = stack1();
  s.arpSet(IP_H2, MAC_H2);
  t.deepEqual(s.admin({ op: 'delete', ip: IP_H2 }), { count: 1 });
  t.is(s.net.routes.lookupHost(IP_H2), null);
  t.is(code(() => s.admin({ op: 'delete', ip: IP_H2 })), 'ESRCH');
  t.is(code(() => s.admin({ op: 'delete', ip: IP_US })), 'EPERM');
  s.arpSet(ip('10.0.0.51'), MAC_H3, { pub: true, only: true });
  t.deepEqual(s.admin({ op: 'delete', ip: ip('10.0.0.51') }), { count: 1 }, 'a proxy-only entry');
});

test('arp -d -a: flushes every entry but our own', (t) => {
  const { s } = stack1();
  s.arpSet(IP_H2, MAC_H2);
  s.arpSet(ip('10.0.0.50'), MAC_H3, { pub: true });
  s.input('eth0', request(MAC_H3, ip('10.0.0.3'), IP_US));
  s.sendUdp(ip('10.0.0.4'));
  t.deepEqual(s.admin({ op: 'flush' }), { count: 4 });
  t.deepEqual(s.list().map((e) => e.ip), ['10.0.0.1']);
  t.is(s.rep.held.size, 0);
  t.is(s.stats.dropped, 1, 'the packet held for 10.0.0.4');
});

test('sysctl op: applied per replica, invalid values refused with EINVAL and nothing changed', (t) => {
  const { s } = stack1();
  t.deepEqual(s.admin({ op: 'sysctl', name: 'net.link.ether.inet.max_age', value: 60 }), { count: 0, old: 1200 });
  t.is(s.sysctl.v.maxAge, 60);
  t.is(code(() => s.admin({ op: 'sysctl', name: 'net.link.ether.inet.max_age', value: -1 })), 'EINVAL');
  t.is(code(() => s.admin({ op: 'sysctl', name: 'net.nope', value: 1 })), 'ENOENT');
  t.is(s.sysctl.v.maxAge, 60);
});

test('admin ops are plain data and validated at the door', (t) => {
  const { s } = stack1();
  const op: ArpAdminOp = arpSetOp(IP_H2, MAC_H2);
  t.deepEqual(structuredClone(op), op);
  t.is(code(() => checkAdminOp({ op: 'set', ip: -1, mac: 1, expire: 0, pub: false, only: false, iface: null })), 'EINVAL');
  t.is(code(() => checkAdminOp({ op: 'set', ip: 1, mac: 2 ** 48, expire: 0, pub: false, only: false, iface: null })), 'EINVAL');
  t.is(code(() => checkAdminOp({ op: 'bogus' } as unknown as ArpAdminOp)), 'EINVAL');
  t.deepEqual(arpAdminApply(s.rep, op), { count: 1 });
});

test('arp -a: BSD lines for dynamic, permanent, published and incomplete entries', (t) => {
  const { s } = stack1();
  s.advance(2); // after arptimer's first walk, which would free the incomplete entry
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  s.arpSet(ip('10.0.0.50'), MAC_H3, { pub: true });
  s.sendUdp(ip('10.0.0.3'));
  s.advance(11);
  const lines = s.list().map(formatArpLine);
  t.deepEqual(lines, [
    '? (10.0.0.1) at 02:00:00:00:01:01 on eth0 permanent [ethernet]',
    '? (10.0.0.2) at 02:00:00:00:00:02 on eth0 expires in 1189 seconds [ethernet]',
    '? (10.0.0.3) at (incomplete) on eth0 expired [ethernet]',
    '? (10.0.0.50) at 02:00:00:00:00:03 on eth0 permanent published [ethernet]',
  ]);
});
