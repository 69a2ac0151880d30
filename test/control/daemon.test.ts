/**
 * The daemon in this process on in-memory links (no root): control
 * requests, persistence before acknowledgement, restart from the state
 * file, reload, and RFC 5227 conflict detection with shortened timing.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ARPOP_REPLY, ARPOP_REQUEST } from '../../src/wire/arp.js';
import { IPV4_ANY, MAC_BROADCAST } from '../../src/wire/addr.js';
import { diffCpus } from '../../src/control/format.js';
import { loadState } from '../../src/control/state.js';
import type { DaemonError } from '../../src/control/protocol.js';
import { FAST_ACD, arpFrame, decodeArp, cpusUnavailable, ip, mac, startTestDaemon, tmpDir, type TestDaemon } from './helpers.js';

const US = mac('02:00:00:00:01:01');
const PEER = mac('02:00:00:00:00:02');
const PEER_IP = ip('10.0.0.2');

function noAcd(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24'], acd: false }],
    arp: [{ ip: '10.0.0.50', mac: '02:00:00:00:00:50', pub: true }],
    ...extra,
  };
}

async function started(t: { teardown(fn: () => void | Promise<void>): void }, config: unknown, opts?: Parameters<typeof startTestDaemon>[1]): Promise<TestDaemon> {
  const d = await startTestDaemon(config, opts);
  t.teardown(() => d.stop());
  return d;
}

/** Ask for `target` from the peer; the reply the daemon sent, if any (the emulator answers synchronously). */
function ask(d: TestDaemon, target: string): { sha: number; spa: number } | undefined {
  const link = d.links.get('vemu0')!;
  const n = link.sent.length;
  link.inject(arpFrame({ op: 'request', src: PEER, spa: PEER_IP, tpa: ip(target) }));
  for (const f of link.sent.slice(n)) {
    const a = decodeArp(f);
    if (a !== undefined && a.op === ARPOP_REPLY) return { sha: a.sha, spa: a.spa };
  }
  return undefined;
}

test('daemon: answers for its address and published entries with the interface MAC; learns the peer', async (t) => {
  const d = await started(t, noAcd());
  t.deepEqual(ask(d, '10.0.0.1'), { sha: US, spa: ip('10.0.0.1') });
  t.deepEqual(ask(d, '10.0.0.50'), { sha: mac('02:00:00:00:00:50'), spa: ip('10.0.0.50') });
  t.is(ask(d, '10.0.0.77'), undefined);
  const list = await d.daemon.request('arp.list', {});
  t.truthy(list.find((e) => e.ip === '10.0.0.2' && e.mac === '02:00:00:00:00:02'));
  const hello = await d.daemon.request('hello', {});
  t.deepEqual(hello.interfaces, ['vemu0']);
});

test('control: every change is in the state file when the request resolves', async (t) => {
  const d = await started(t, noAcd());
  t.false(existsSync(d.state), 'nothing written before the first change');
  await d.daemon.request('arp.set', { ip: '10.0.0.9', mac: '02:00:00:00:00:09' });
  t.deepEqual(loadState(d.state).arp, [{ ip: '10.0.0.9', only: false, present: true, mac: '02:00:00:00:00:09', pub: false, expiresAt: null, iface: null }]);
  await d.daemon.request('arp.delete', { ip: '10.0.0.50' });
  t.deepEqual(loadState(d.state).arp.find((a) => a.ip === '10.0.0.50'), { ip: '10.0.0.50', only: false, present: false }, 'a config entry deleted leaves a tombstone');
  await d.daemon.request('sysctl.set', { name: 'net.link.ether.inet.max_age', value: '600' });
  t.is(loadState(d.state).sysctl['net.link.ether.inet.max_age'], 600);
  const r = await d.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.0.7', plen: 24, action: 'alias', wait: 0 });
  t.is(r.status, 'bound', 'no ACD on this interface: bound at once');
  t.deepEqual(loadState(d.state).addresses, [{ iface: 'vemu0', addr: '10.0.0.7', plen: 24, present: true }]);
  t.deepEqual(ask(d, '10.0.0.7'), { sha: US, spa: ip('10.0.0.7') });
  // A refused change writes nothing.
  const before = readFileSync(d.state, 'utf8');
  const e = await t.throwsAsync(d.daemon.request('arp.set', { ip: '192.168.9.9', mac: '02:00:00:00:00:99' }));
  t.is((e as DaemonError).code, 'ENETUNREACH');
  await t.throwsAsync(d.daemon.request('sysctl.set', { name: 'net.link.ether.inet.max_age', value: 'x' }));
  await t.throwsAsync(d.daemon.request('ifconfig.set', { iface: 'vemu9', addr: '10.0.0.8', action: 'alias' }), { message: /no such interface/ });
  await t.throwsAsync(d.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.0.8', action: 'delete' }), { message: /not an address/ });
  t.is(readFileSync(d.state, 'utf8'), before);
});

test('restart: the state wins over the config for what the administrator changed', async (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const cfg = noAcd({ sysctl: { 'net.link.ether.inet.proxyall': 0 }, interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24', '10.0.5.1/24'], acd: false }] });
  const d1 = await startTestDaemon(cfg, { dir });
  await d1.daemon.request('arp.set', { ip: '10.0.0.9', mac: '02:00:00:00:00:09', pub: true });
  await d1.daemon.request('arp.set', { ip: '10.0.0.60', mac: '02:00:00:00:00:60', temp: true });
  await d1.daemon.request('arp.delete', { ip: '10.0.0.50' });
  await d1.daemon.request('sysctl.set', { name: 'net.link.ether.inet.proxyall', value: 1 });
  await d1.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.1.1', plen: 24, action: 'alias' });
  await d1.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.5.1', action: 'delete' });
  const before = await d1.daemon.request('arp.list', {});
  await d1.stop();
  t.false(existsSync(d1.socket), 'the socket is removed on stop');

  const d2 = await startTestDaemon(cfg, { dir });
  t.teardown(() => d2.stop());
  const after = await d2.daemon.request('arp.list', {});
  const key = (l: typeof before): string[] => l.filter((e) => e.flags.includes('static') || e.flags.includes('local')).map((e) => `${e.ip} ${e.mac} ${e.flags.filter((f) => f !== 'permanent').join(',')}`).sort();
  t.deepEqual(key(after), key(before));
  t.truthy(after.find((e) => e.ip === '10.0.0.60' && e.expires > 1100), 'the temp entry keeps its remaining lifetime');
  t.is((await d2.daemon.request('sysctl.get', { names: ['net.link.ether.inet.proxyall'] }))[0]!.value, 1);
  const ifs = await d2.daemon.request('ifconfig.list', {});
  t.deepEqual(ifs[0]!.addresses.map((a) => a.addr), ['10.0.0.1', '10.0.1.1']);
});

test('reload: config changes are applied; administrator overrides stay on top; a bad config is refused whole', async (t) => {
  const d = await started(t, noAcd());
  await d.daemon.request('arp.set', { ip: '10.0.0.9', mac: '02:00:00:00:00:09' });
  writeFileSync(d.config, JSON.stringify({
    interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24', '10.0.2.1/24'], acd: false }],
    arp: [{ ip: '10.0.0.51', mac: '02:00:00:00:00:51' }, { ip: '10.0.0.9', mac: '02:00:00:00:00:99' }],
    sysctl: { 'net.link.ether.inet.max_age': 700 },
  }));
  const r = await d.daemon.reload();
  t.is(r.errors, 0);
  const list = await d.daemon.request('arp.list', {});
  t.falsy(list.find((e) => e.ip === '10.0.0.50'), 'removed from the config: deleted');
  t.truthy(list.find((e) => e.ip === '10.0.0.51'));
  t.is(list.find((e) => e.ip === '10.0.0.9')!.mac, '02:00:00:00:00:09', 'the admin entry wins over the config');
  t.deepEqual(ask(d, '10.0.2.1'), { sha: US, spa: ip('10.0.2.1') });
  t.is((await d.daemon.request('sysctl.get', { names: ['net.link.ether.inet.max_age'] }))[0]!.value, 700);
  writeFileSync(d.config, '{"interfaces": [');
  await t.throwsAsync(d.daemon.reload());
  t.truthy((await d.daemon.request('arp.list', {})).find((e) => e.ip === '10.0.0.51'), 'still running the old config');
  writeFileSync(d.config, JSON.stringify({ interfaces: [{ name: 'other0' }] }));
  await t.throwsAsync(d.daemon.reload(), { message: /interfaces changed/ });
});

test('ACD (RFC 5227 2.1): probes from 0.0.0.0, not used while probing, bound and announced, then answered', async (t) => {
  const d = await started(t, { interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24'] }] });
  const link = d.links.get('vemu0')!;
  const probe = await link.next((a) => a.op === ARPOP_REQUEST && a.spa === IPV4_ANY && a.tpa === ip('10.0.0.1'));
  t.is(probe.dst, MAC_BROADCAST);
  t.is(probe.sha, US);
  t.is(ask(d, '10.0.0.1'), undefined, 'a tentative address is not answered for');
  const ifs = await d.daemon.request('ifconfig.list', {});
  t.is(ifs[0]!.addresses[0]!.status, 'tentative');
  await d.capture.waitEvent('inet.addr_added', { addr: '10.0.0.1' });
  const probes = d.capture.events('acd.probe').length;
  t.is(probes, 3, 'PROBE_NUM probes before binding');
  t.truthy(d.capture.events('acd.bound').length);
  await link.next((a) => a.op === ARPOP_REQUEST && a.spa === ip('10.0.0.1') && a.tpa === ip('10.0.0.1'));
  t.deepEqual(ask(d, '10.0.0.1'), { sha: US, spa: ip('10.0.0.1') });
  t.is((await d.daemon.request('dump', {})).acd[0]!.ip, '10.0.0.1');
});

test('ACD: an answer to a probe is a conflict: not bound, reported with sha and Ethernet source, ifconfig says duplicated', async (t) => {
  const d = await started(t, { interfaces: [{ name: 'vemu0', addresses: [] }] });
  const link = d.links.get('vemu0')!;
  // The peer owns 10.0.0.5 and answers the probe (frame source differs from sha, as behind a bridge).
  link.next((a) => a.spa === IPV4_ANY && a.tpa === ip('10.0.0.5')).then(() => {
    link.inject(arpFrame({ op: 'reply', src: mac('02:00:00:00:00:03'), dst: US, sha: PEER, spa: ip('10.0.0.5'), tha: US, tpa: 0 }));
  }, () => undefined);
  const r = await d.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.0.5', plen: 24, action: 'alias', wait: 10 });
  t.is(r.status, 'duplicated');
  t.deepEqual(r.conflict && { sha: r.conflict.sha, src: r.conflict.src }, { sha: '02:00:00:00:00:02', src: '02:00:00:00:00:03' });
  const ev = d.capture.events('acd.conflict')[0]!;
  t.like(ev, { ip: '10.0.0.5', sha: '02:00:00:00:00:02', src: '02:00:00:00:00:03' });
  t.is(ask(d, '10.0.0.5'), undefined, 'never bound');
  t.is(d.capture.events('inet.addr_added').length, 0);
  t.is((await d.daemon.request('ifconfig.list', {}))[0]!.addresses[0]!.status, 'duplicated');
  t.deepEqual(loadState(d.state).addresses, [{ iface: 'vemu0', addr: '10.0.0.5', plen: 24, present: true }], 'the administrator asked for it: kept configured');
});

test('ACD (RFC 5227 2.4): defended once, a second claim within DEFEND_INTERVAL gives the address up', async (t) => {
  const d = await started(t, { interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24'] }] });
  const link = d.links.get('vemu0')!;
  await d.capture.waitEvent('inet.addr_added', { addr: '10.0.0.1' });
  await d.capture.waitEvent('acd.announce', { n: 2 });
  const claim = (): void => link.inject(arpFrame({ op: 'request', src: PEER, spa: ip('10.0.0.1'), tpa: ip('10.0.0.1') }));
  const defence = link.next((a) => a.spa === ip('10.0.0.1') && a.tpa === ip('10.0.0.1') && a.sha === US);
  claim();
  await d.capture.waitEvent('acd.defended', { ip: '10.0.0.1' });
  await defence;
  t.deepEqual(ask(d, '10.0.0.1'), { sha: US, spa: ip('10.0.0.1') }, 'still ours after one defence');
  claim();
  await d.capture.waitEvent('acd.defence_failed', { ip: '10.0.0.1' });
  await d.capture.waitEvent('inet.addr_deleted', { addr: '10.0.0.1' });
  t.is(ask(d, '10.0.0.1'), undefined);
  t.is((await d.daemon.request('ifconfig.list', {}))[0]!.addresses[0]!.status, 'duplicated');
  t.true(FAST_ACD.defendInterval > 0);
});

test('resolve: the peer answers -> its MAC; nobody answers -> host down after maxtries requests', async (t) => {
  const d = await started(t, noAcd({ sysctl: { 'net.link.ether.inet.maxtries': 2 } }));
  const link = d.links.get('vemu0')!;
  link.next((a) => a.op === ARPOP_REQUEST && a.tpa === PEER_IP).then(() => {
    link.inject(arpFrame({ op: 'reply', src: PEER, dst: US, spa: PEER_IP, tha: US, tpa: ip('10.0.0.1') }));
  }, () => undefined);
  const ok = await d.daemon.request('resolve', { ip: '10.0.0.2', timeout: 5 });
  t.like(ok, { outcome: 'resolved', mac: '02:00:00:00:00:02', iface: 'vemu0' });
  const n0 = (await d.daemon.request('stats', {})).total.txrequests;
  const down = await d.daemon.request('resolve', { ip: '10.0.0.99', timeout: 10 });
  t.is(down.outcome, 'hostdown');
  // arptimer's first walk (1 s after start) may free the entry while it resolves, as the
  // seed's arptimer does; count the requests of the entry that was finally rejected.
  const ev = d.capture.lines.filter((e) => e['ip'] === '10.0.0.99' || e['tpa'] === '10.0.0.99');
  const lastFree = ev.map((e) => e['event']).lastIndexOf('arp.expired');
  const asked = ev.slice(lastFree + 1).filter((e) => e['event'] === 'arp.request_sent').length;
  t.is(asked, 2, 'maxtries requests, then down');
  t.is((await d.daemon.request('stats', {})).total.txrequests - n0, ev.filter((e) => e['event'] === 'arp.request_sent').length);
  t.truthy(d.capture.events('arp.reject').find((e) => e['ip'] === '10.0.0.99'));
  t.is((await d.daemon.request('resolve', { ip: '192.168.1.1', timeout: 1 })).outcome, 'unreachable');
});

test('stop: later requests are refused with ESHUTDOWN; links closed', async (t) => {
  const d = await startTestDaemon(noAcd());
  await d.stop();
  const e = await t.throwsAsync(d.daemon.request('hello', {}));
  t.is((e as DaemonError).code, 'ESHUTDOWN');
  t.true(d.links.get('vemu0')!.closed);
});

for (const cpus of [1, 2, 4]) {
  const why = cpusUnavailable(cpus);
  const title = `control with ${cpus} CPU(s): arp -s/-d, alias/-alias and sysctl leave every replica equal`;
  if (why !== undefined) {
    console.log(`SKIP ${title}: ${why}`);
    test.skip(`${title} [skipped: ${why}]`, () => {});
    continue;
  }
  test(title, async (t) => {
    const d = await started(t, noAcd(), { cpus });
    t.is(d.daemon.cpus, cpus);
    await d.daemon.request('arp.set', { ip: '10.0.0.9', mac: '02:00:00:00:00:09' });
    await d.daemon.request('arp.set', { ip: '10.0.0.10', mac: '02:00:00:00:00:0a', pub: true, temp: true });
    await d.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.3.1', plen: 24, action: 'alias' });
    await d.daemon.request('arp.set', { ip: '10.0.3.9', mac: '02:00:00:00:03:09' });
    await d.daemon.request('arp.delete', { ip: '10.0.0.9' });
    await d.daemon.request('sysctl.set', { name: 'net.link.ether.inet.max_age', value: 300 });
    const link = d.links.get('vemu0')!;
    const reply = link.next((a) => a.op === ARPOP_REPLY && a.spa === ip('10.0.3.1'));
    link.inject(arpFrame({ op: 'request', src: PEER, spa: PEER_IP, tpa: ip('10.0.3.1') }));
    t.is((await reply).sha, US, 'the alias is answered for with the interface MAC');
    await d.daemon.request('ifconfig.set', { iface: 'vemu0', addr: '10.0.3.1', action: 'delete' });
    const dump = await d.daemon.request('dump', {});
    t.is(dump.cpus.length, cpus);
    t.deepEqual(diffCpus(dump), []);
    t.truthy(dump.cpus[0]!.arp.find((e) => e.ip === '10.0.0.2'), 'learned from the request');
    t.falsy(dump.cpus[0]!.arp.find((e) => e.ip === '10.0.0.9'));
  });
}
