import test from 'ava';
import { parseConfig, parseConfigText } from '../../src/config/config.js';
import { formatIpv4, formatMac } from '../../src/wire/addr.js';

const good = {
  interfaces: [{ name: 'vemu0', mac: '02:00:00:00:01:01', flags: [], addresses: ['10.0.0.1/24', '10.0.1.1/31'] }],
  arp: [
    { ip: '10.0.0.9', mac: '02:00:00:00:00:09' },
    { ip: '10.0.0.50', mac: '02:00:00:00:00:50', pub: true },
    { ip: '10.0.0.60', mac: '02:00:00:00:00:60', temp: true },
  ],
  routes: [{ dst: '192.168.7.0/24', gateway: '10.0.0.254' }],
  sysctl: { 'net.link.ether.inet.proxyall': 0 },
  traffic: [{ t: 1.5, dst: '10.0.0.77', count: 3, interval: 0.1 }],
  cpus: 2,
};

test('config: the contract example parses', (t) => {
  const c = parseConfig(good);
  t.is(c.interfaces[0]!.name, 'vemu0');
  t.is(formatMac(c.interfaces[0]!.mac!), '02:00:00:00:01:01');
  t.deepEqual(c.interfaces[0]!.addresses.map((a) => [formatIpv4(a.addr), a.plen]), [['10.0.0.1', 24], ['10.0.1.1', 31]]);
  t.deepEqual(c.arp.map((a) => [a.pub, a.temp]), [[false, false], [true, false], [false, true]]);
  t.is(c.routes[0]!.plen, 24);
  t.is(c.traffic[0]!.proto, 17);
  t.is(c.cpus, 2);
});

const bad: [string, (c: typeof good) => unknown, RegExp][] = [
  ['bad MAC', (c) => ({ ...c, interfaces: [{ ...c.interfaces[0], mac: 'zz' }] }), /interfaces\[0\]\.mac: "zz" is not a MAC address/],
  ['multicast MAC', (c) => ({ ...c, interfaces: [{ ...c.interfaces[0], mac: '01:00:5e:00:00:01' }] }), /interfaces\[0\]\.mac: must be a unicast/],
  ['unknown flag', (c) => ({ ...c, interfaces: [{ ...c.interfaces[0], flags: ['fast'] }] }), /interfaces\[0\]\.flags\[0\]: unknown flag "fast"/],
  ['bad address', (c) => ({ ...c, interfaces: [{ ...c.interfaces[0], addresses: ['10.0.0.1/33'] }] }), /interfaces\[0\]\.addresses\[0\]/],
  ['bad arp ip', (c) => ({ ...c, arp: [{ ip: '10.0.0', mac: '02:00:00:00:00:09' }] }), /arp\[0\]\.ip: "10\.0\.0" is not an IPv4 address/],
  ['unknown field', (c) => ({ ...c, foo: 1 }), /\(root\)\.foo: unknown field/],
  ['cpus out of range', (c) => ({ ...c, cpus: 0 }), /cpus: 0 is out of range 1\.\.256/],
  ['traffic count not integer', (c) => ({ ...c, traffic: [{ t: 0, dst: '10.0.0.2', count: 1.5 }] }), /traffic\[0\]\.count: must be an integer/],
  ['duplicate interface', (c) => ({ ...c, interfaces: [c.interfaces[0], c.interfaces[0]] }), /interfaces\[1\]\.name: duplicate interface vemu0/],
  ['arp iface unknown', (c) => ({ ...c, arp: [{ ip: '10.0.0.9', mac: '02:00:00:00:00:09', iface: 'em0' }] }), /arp\[0\]\.iface: no interface named em0/],
];

for (const [name, mutate, re] of bad) {
  test(`config: rejects ${name}, naming the field`, (t) => {
    const e = t.throws(() => parseConfig(mutate(good)));
    t.regex(e!.message, re);
    t.is((e as Error & { code: string }).code, 'ERR_CONFIG');
  });
}

test('config: mac may be omitted only in daemon mode', (t) => {
  const c = { interfaces: [{ name: 'eth1', addresses: ['10.0.0.1/24'] }] };
  t.throws(() => parseConfig(c), { message: /interfaces\[0\]\.mac: is required/ });
  t.is(parseConfig(c, { macOptional: true }).interfaces[0]!.mac, undefined);
});

test('config: JSON syntax errors name the file', (t) => {
  t.throws(() => parseConfigText('{', 'x.json'), { message: /^config: x\.json: / });
});
