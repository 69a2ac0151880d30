import test from 'ava';
import { ArpStat, DROP_OTHER_HOST, DROP_RUNT, sumArpStats } from '../../src/arp/stats.js';
import type { ArpEntryDump } from '../../src/arp/admin.js';
import type { CpuDump } from '../../src/cpu/emulator.js';
import {
  classfulPlen, diffCpus, formatCpus, formatDiff, formatIfFlags, formatIfconfig, formatKnob, formatKnobSet,
  formatNetstat, formatNetstatPerCpu, formatResolve, summarizeCpus,
} from '../../src/control/format.js';
import type { IfInfo } from '../../src/control/protocol.js';
import { ip } from './helpers.js';

test('ifconfig flags: FreeBSD bits and names (RUNNING when up, SIMPLEX on Ethernet)', (t) => {
  t.is(formatIfFlags(['up', 'broadcast', 'multicast']), 'flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>');
  t.is(formatIfFlags(['broadcast', 'noarp', 'multicast']), 'flags=8882<BROADCAST,NOARP,SIMPLEX,MULTICAST>');
  t.is(formatIfFlags(['up', 'loopback', 'multicast']), 'flags=8049<UP,LOOPBACK,RUNNING,MULTICAST>');
  t.is(formatIfFlags(['up', 'broadcast', 'staticarp', 'multicast']), 'flags=88843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,STATICARP>');
});

test('in_control classful defaults for addresses without a prefix length', (t) => {
  t.is(classfulPlen(ip('10.1.2.3')), 8);
  t.is(classfulPlen(ip('172.16.0.1')), 16);
  t.is(classfulPlen(ip('192.168.1.1')), 24);
});

test('ifconfig block: bound, tentative and duplicated addresses', (t) => {
  const ifs: IfInfo[] = [{
    name: 'vemu0', index: 2, mac: '02:00:00:00:01:01', flags: ['up', 'broadcast', 'multicast'], mtu: 1500, acd: true,
    addresses: [
      { addr: '10.0.0.1', plen: 24, mask: '255.255.255.0', broadcast: '10.0.0.255', status: 'bound', acd: 'bound', conflict: null },
      { addr: '10.0.0.7', plen: 24, mask: '255.255.255.0', broadcast: null, status: 'tentative', acd: 'probing', conflict: null },
      { addr: '10.0.0.8', plen: null, mask: null, broadcast: null, status: 'duplicated', acd: 'conflicted', conflict: { sha: '02:00:00:00:00:02', src: '02:00:00:00:00:02', t: 1 } },
    ],
  }];
  t.is(formatIfconfig(ifs),
    'vemu0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n' +
    '\tether 02:00:00:00:01:01\n' +
    '\tinet 10.0.0.1 netmask 0xffffff00 broadcast 10.0.0.255\n' +
    '\tinet 10.0.0.7 netmask 0xffffff00 tentative\n' +
    '\tinet 10.0.0.8 netmask 0xff000000 duplicated (in use by 02:00:00:00:00:02)\n' +
    '\tacd: rfc5227\n');
});

test('netstat -s: every arpstat counter with its name; drops by reason', (t) => {
  const a = new ArpStat();
  a.txrequests = 5; a.rxreplies = 2; a.drop(DROP_RUNT); a.drop(DROP_RUNT); a.drop(DROP_RUNT);
  const b = new ArpStat();
  b.txrequests = 1; b.drop(DROP_OTHER_HOST);
  const total = sumArpStats([a, b]);
  const text = formatNetstat(total);
  t.true(text.startsWith('arp:\n'));
  t.true(text.includes('\t6 ARP requests sent (txrequests)\n'));
  t.true(text.includes('\t2 ARP replies received (rxreplies)\n'));
  t.true(text.includes('\t4 input packets dropped\n\t\t3 runt\n\t\t1 other_host\n'));
  const per = formatNetstatPerCpu([sumArpStats([a]), sumArpStats([b])], total).split('\n');
  t.regex(per[0]!, /^counter\s+total\s+cpu0\s+cpu1$/);
  t.regex(per.find((l) => l.startsWith('txrequests'))!, /^txrequests\s+6\s+5\s+1$/);
  t.regex(per.find((l) => l.startsWith('drops.runt'))!, /^drops\.runt\s+3\s+3\s+0$/);
});

test('sysctl lines: name: value, -n, -d, and set as old -> new', (t) => {
  const k = { name: 'net.link.ether.inet.max_age', key: 'maxAge', type: 'int', default: 1200, min: 1, max: 1e6, unit: 'seconds', description: 'ARP entry lifetime', value: 600 } as const;
  t.is(formatKnob(k), 'net.link.ether.inet.max_age: 600');
  t.is(formatKnob(k, 'value'), '600');
  t.is(formatKnob(k, 'description'), 'net.link.ether.inet.max_age: ARP entry lifetime (seconds)');
  t.is(formatKnobSet(k.name, 1200, 600), 'net.link.ether.inet.max_age: 1200 -> 600');
});

test('resolve outcomes', (t) => {
  t.is(formatResolve({ ip: '10.0.0.2', outcome: 'resolved', mac: '02:00:00:00:00:02', iface: 'vemu0', requests: 1, seconds: 0 }), '10.0.0.2 at 02:00:00:00:00:02 on vemu0');
  t.is(formatResolve({ ip: '10.0.0.9', outcome: 'hostdown', requests: 6, seconds: 5.01 }), '10.0.0.9: host is down (EHOSTDOWN after 5.0 s)');
  t.regex(formatResolve({ ip: '10.0.0.9', outcome: 'timeout', requests: 2, seconds: 2 }), /no answer within 2\.0 s/);
});

const e = (ipText: string, over: Partial<ArpEntryDump> = {}): ArpEntryDump => ({
  ip: ipText, mac: '02:00:00:00:00:02', iface: 'vemu0', flags: [], expires: 1000, asked: 0, preempt: 0, held: 0, ...over,
});
const cpu = (n: number, arp: ArpEntryDump[], routes: CpuDump['routes'] = []): CpuDump => ({ cpu: n, arp, routes });
const NET = { dst: '10.0.0.0', mask: '255.255.255.0', gateway: null, iface: 'vemu0', flags: ['up', 'cloning'] };

test('cpus --diff: identical replicas give nothing; held, asked, preempt and a 1 s expiry skew are not differences', (t) => {
  const a = [e('10.0.0.2'), e('10.0.0.3', { mac: null, expires: 0 })];
  const b = [e('10.0.0.2', { held: 1, asked: 2, preempt: 1, expires: 999 }), e('10.0.0.3', { mac: null, expires: 0, held: 1 })];
  t.deepEqual(diffCpus({ cpus: [cpu(0, a, [NET]), cpu(1, b, [NET]), cpu(2, a, [NET])] }), []);
  t.is(formatDiff([]), '');
});

test('cpus --diff: missing, extra, mac, flags, expiry and route differences, per CPU', (t) => {
  const base = [e('10.0.0.2'), e('10.0.0.5', { flags: ['static', 'permanent'], expires: 0 }), e('10.0.0.6')];
  const other = [e('10.0.0.2', { mac: '02:00:00:00:00:99' }), e('10.0.0.5', { flags: ['permanent'], expires: 0 }), e('10.0.0.6', { expires: 900 }), e('10.0.0.7')];
  const d = diffCpus({ cpus: [cpu(0, base, [NET]), cpu(1, other, []), cpu(2, base.slice(1), [NET, { ...NET, dst: '10.1.0.0' }])] });
  t.deepEqual(formatDiff(d).split('\n').filter(Boolean), [
    'cpu1: arp 10.0.0.2: mac 02:00:00:00:00:99 (cpu0: 02:00:00:00:00:02)',
    'cpu1: arp 10.0.0.5: flags permanent (cpu0: static,permanent)',
    'cpu1: arp 10.0.0.6: expires 900 (cpu0: 1000)',
    'cpu1: arp 10.0.0.7: extra (02:00:00:00:00:02)',
    'cpu1: route 10.0.0.0/255.255.255.0: missing',
    'cpu2: arp 10.0.0.2: missing (cpu0: 02:00:00:00:00:02)',
    'cpu2: route 10.1.0.0/255.255.255.0: extra',
  ]);
});

test('cpus summary', (t) => {
  const s = summarizeCpus({ cpus: [cpu(0, [e('10.0.0.2', { held: 1 }), e('10.0.0.3', { mac: null }), e('10.0.0.5', { flags: ['static', 'pub'] })], [NET])] });
  t.deepEqual(s, [{ cpu: 0, arp: 3, incomplete: 1, static: 1, published: 1, routes: 1, held: 1 }]);
  t.is(formatCpus(s), 'cpu  arp  incomplete  static  published  routes  held\n  0    3           1       1          1       1     1\n');
});
