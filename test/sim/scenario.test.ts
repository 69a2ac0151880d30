import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isArpemuError } from '../../src/util/errors.js';
import { formatIpv4, parseIpv4, parseMac } from '../../src/wire/addr.js';
import { parseScenario, parseScenarioText, type Scenario } from '../../src/sim/scenario.js';

const root = join(import.meta.dirname, '..', '..', '..');
const shipped = (name: string): Scenario => parseScenarioText(readFileSync(join(root, 'scenarios', `${name}.json`), 'utf8'), `${name}.json`);

/** A small valid scenario to mutate. */
function base(): Record<string, unknown> {
  return {
    duration: 20,
    config: {
      interfaces: [{ name: 'vemu0', mac: '02:00:00:00:01:01', addresses: ['10.0.0.1/24'] }],
      arp: [{ ip: '10.0.0.50', mac: '02:00:00:00:00:50', pub: true }],
    },
    hosts: [
      { name: 'h', count: 5, first: '10.0.0.2' },
      { name: 'solo', ip: '10.0.0.100', mac: '02:00:00:00:00:aa' },
    ],
    timeline: [{ t: 1, host: 'h1', do: 'silent' }],
    traffic: [{ kind: 'noise', rate: 5 }],
  };
}

function errorOf(doc: unknown): string {
  try {
    parseScenario(doc);
  } catch (e) {
    if (isArpemuError(e) && e.code === 'ERR_CONFIG') return e.message;
    throw e;
  }
  return '(no error)';
}

test('scenario: the shipped scenarios parse; lan is 250 hosts on a /24 with static and published entries', (t) => {
  const lan = shipped('lan');
  t.is(lan.hosts.length, 250);
  t.is(lan.config.interfaces[0]!.addresses[0]!.plen, 24);
  t.true(lan.hosts.every((h) => (h.addresses[0]! >>> 8) === (parseIpv4('10.0.0.0')! >>> 8)));
  t.true(lan.config.arp.some((e) => !e.pub));
  t.true(lan.config.arp.some((e) => e.pub));
  const actions = new Set(lan.timeline.map((e) => e.action.do));
  for (const a of ['move', 'silent', 'back', 'claim', 'probe', 'flood']) t.true(actions.has(a as never), `lan has no ${a}`);
  t.deepEqual([...new Set(lan.traffic.map((x) => x.kind))].sort(), ['emulator-send', 'host-requests', 'noise', 'published']);
  t.true(shipped('dc-rack').hosts.length >= 1000);
  t.true(shipped('storm').timeline.some((e) => e.action.do === 'flood'));
  t.true(shipped('churn').traffic.some((x) => x.kind === 'churn'));
});

test('scenario: groups expand to named hosts with consecutive addresses and MACs', (t) => {
  const s = parseScenario(base(), 'x');
  t.is(s.name, 'x');
  t.is(s.seed, 1);
  t.deepEqual(s.hosts.map((h) => h.name), ['h1', 'h2', 'h3', 'h4', 'h5', 'solo']);
  t.deepEqual(s.hosts.slice(0, 5).map((h) => formatIpv4(h.addresses[0]!)), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  t.is(s.hosts[1]!.mac - s.hosts[0]!.mac, 1);
  t.is(s.hosts[5]!.mac, parseMac('02:00:00:00:00:aa')!);
  t.deepEqual(s.groups.map((g) => g.name), ['h', 'solo']);
  t.is(s.hosts[0]!.iface, 'vemu0');
  t.deepEqual(s.hosts[0]!.boot, { at: 0, spread: 1 });
});

test('scenario: address sets: a prefix leaves out the network, broadcast and emulator addresses; keywords expand', (t) => {
  const doc = base();
  doc['traffic'] = [
    { kind: 'emulator-send', rate: 1, destinations: '10.0.0.0/29' },
    { kind: 'host-requests', rate: 1 },
    { kind: 'published', rate: 1 },
    { kind: 'emulator-send', rate: 1, destinations: ['hosts', '10.0.0.9', '10.0.0.2'] },
  ];
  const s = parseScenario(doc);
  const tr = s.traffic;
  t.is(tr[0]!.kind, 'emulator-send');
  if (tr[0]!.kind === 'emulator-send') t.deepEqual(tr[0]!.destinations.map(formatIpv4), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  if (tr[1]!.kind === 'host-requests') t.deepEqual(tr[1]!.targets.map(formatIpv4), ['10.0.0.1']);
  if (tr[2]!.kind === 'published') t.deepEqual(tr[2]!.targets.map(formatIpv4), ['10.0.0.50']);
  if (tr[3]!.kind === 'emulator-send') t.is(tr[3]!.destinations.length, 7); // 6 hosts + .9, .2 already there
  if (tr[1]!.kind === 'host-requests') t.is(tr[1]!.hosts.length, 6);
});

test('scenario: timeline entries are sorted by time, file order kept among equal times', (t) => {
  const doc = base();
  doc['timeline'] = [
    { t: 5, host: 'h1', do: 'back' },
    { t: 2, host: 'h2', do: 'move', mac: '02:00:00:00:99:99' },
    { t: 2, do: 'arp-flush' },
    { t: 1, host: 'h1', do: 'silent' },
  ];
  const s = parseScenario(doc);
  t.deepEqual(s.timeline.map((e) => [e.t, e.action.do]), [[1, 'silent'], [2, 'move'], [2, 'arp-flush'], [5, 'back']]);
});

/** [what to change, the field the error must name] */
const BAD: [string, (d: Record<string, any>) => void, string][] = [
  ['unknown root field', (d) => { d.hostz = []; }, 'scenario: hostz: unknown field'],
  ['duration 0', (d) => { d.duration = 0; }, 'scenario: duration: must be greater than 0'],
  ['seed not an integer', (d) => { d.seed = 1.5; }, 'scenario: seed: must be an integer'],
  ['no config', (d) => { delete d.config; }, 'scenario: config: is required'],
  ['config mac', (d) => { d.config.interfaces[0].mac = 'zz'; }, 'scenario: config.interfaces[0].mac: "zz" is not a MAC address'],
  ['config root field', (d) => { d.config.bogus = 1; }, 'scenario: config.bogus: unknown field'],
  ['config without interfaces', (d) => { d.config.interfaces = []; }, 'scenario: config.interfaces: needs at least one'],
  ['acd on', (d) => { d.config.interfaces[0].acd = true; }, 'scenario: config.interfaces[0].acd:'],
  ['unknown sysctl', (d) => { d.config.sysctl = { 'net.link.ether.inet.nope': 1 }; }, 'scenario: config.sysctl.net.link.ether.inet.nope:'],
  ['sysctl out of range', (d) => { d.config.sysctl = { 'net.link.ether.inet.maxtries': 0 }; }, 'scenario: config.sysctl.net.link.ether.inet.maxtries:'],
  ['host mac', (d) => { d.hosts[1].mac = 'zz'; }, 'scenario: hosts[1].mac: "zz" is not a MAC address'],
  ['host group mac', (d) => { d.hosts[1].mac = '01:00:5e:00:00:01'; }, 'scenario: hosts[1].mac: 01:00:5e:00:00:01 is a group address'],
  ['host address off the subnet', (d) => { d.hosts[1].ip = '10.0.1.5'; }, 'scenario: hosts[1].ip: host solo would get 10.0.1.5, on no subnet of interface vemu0'],
  ['host takes the emulator address', (d) => { d.hosts[0].first = '10.0.0.1'; }, 'scenario: hosts[0].first: host h1 would get 10.0.0.1, an address of the emulator'],
  ['two hosts one address', (d) => { d.hosts[1].ip = '10.0.0.4'; }, 'scenario: hosts[1].ip: host solo would get 10.0.0.4, already used by host h3'],
  ['duplicate MAC', (d) => { d.hosts[1].mac = '02:00:00:00:01:01'; }, 'scenario: hosts[1].mac: host solo would get 02:00:00:00:01:01, already used by emulator interface vemu0'],
  ['duplicate name', (d) => { d.hosts[1].name = 'h3'; }, 'scenario: hosts[1].name: host name h3 is already used'],
  ['bad iface', (d) => { d.hosts[0].iface = 'eth9'; }, 'scenario: hosts[0].iface: no interface named eth9'],
  ['count 0', (d) => { d.hosts[0].count = 0; }, 'scenario: hosts[0].count: 0 is out of range'],
  ['ip for a group', (d) => { d.hosts[0].ip = '10.0.0.2'; delete d.hosts[0].first; }, 'scenario: hosts[0].ip: is for a single host'],
  ['boot field', (d) => { d.hosts[0].boot = { at: 0, spred: 1 }; }, 'scenario: hosts[0].boot.spred: unknown field'],
  ['timeline unknown host', (d) => { d.timeline[0].host = 'h9'; }, 'scenario: timeline[0].host: no host named h9'],
  ['timeline unknown action', (d) => { d.timeline[0].do = 'dance'; }, 'scenario: timeline[0].do: "dance" is not one of'],
  ['timeline after the end', (d) => { d.timeline[0].t = 21; }, 'scenario: timeline[0].t: 21 is after the end of the run'],
  ['timeline move without mac', (d) => { d.timeline[0].do = 'move'; }, 'scenario: timeline[0].mac: must be a string'],
  ['timeline host action without host', (d) => { delete d.timeline[0].host; }, 'scenario: timeline[0].host: "silent" is a host action'],
  ['timeline flood without end', (d) => { d.timeline[0] = { t: 1, host: 'h1', do: 'flood', rate: 10 }; }, 'scenario: timeline[0].duration: a flood needs a duration or a count'],
  ['timeline extra field', (d) => { d.timeline[0].ip = '10.0.0.9'; }, 'scenario: timeline[0].ip: unknown field'],
  ['emulator sysctl unknown', (d) => { d.timeline[0] = { t: 1, do: 'sysctl', name: 'x.y', value: 1 }; }, 'scenario: timeline[0].name:'],
  ['traffic kind missing', (d) => { delete d.traffic[0].kind; }, 'scenario: traffic[0].kind: is required'],
  ['traffic kind unknown', (d) => { d.traffic[0].kind = 'spam'; }, 'scenario: traffic[0].kind: "spam" is not one of'],
  ['traffic rate 0', (d) => { d.traffic[0].rate = 0; }, 'scenario: traffic[0].rate: must be greater than 0'],
  ['traffic destinations', (d) => { d.traffic[0] = { kind: 'emulator-send', rate: 1, destinations: ['10.0.0.2', 'nowhere'] }; }, 'scenario: traffic[0].destinations[1]: "nowhere" is not an address'],
  ['traffic mix', (d) => { d.traffic[0].hostMix = { kind: 'pareto' }; }, 'scenario: traffic[0].hostMix.kind: "pareto" is not one of'],
  ['traffic hosts', (d) => { d.traffic[0].hosts = ['h1', 'zz']; }, 'scenario: traffic[0].hosts[1]: no host named zz'],
  ['noise with targets', (d) => { d.traffic[0].targets = 'emulator'; }, 'scenario: traffic[0].targets: noise asks for the hosts themselves'],
  ['published without pub entries', (d) => { d.config.arp = []; d.traffic[0] = { kind: 'published', rate: 1 }; }, 'scenario: traffic[0].targets: "published": config.arp has no entry with pub'],
  ['churn action', (d) => { d.traffic[0] = { kind: 'churn', rate: 1, actions: ['move', 'explode'] }; }, 'scenario: traffic[0].actions[1]: "explode" is not one of move, silent, claim, gratuitous'],
  ['link fault out of range', (d) => { d.link = { emulator: { loss: 2 } }; }, 'scenario: link.emulator.loss: 2 is out of range 0..1'],
];

for (const [what, mutate, expected] of BAD) {
  test(`scenario schema: ${what} names the field`, (t) => {
    const doc = base();
    mutate(doc);
    const msg = errorOf(doc);
    t.true(msg.startsWith(expected), `got: ${msg}`);
  });
}

test('scenario: a JSON syntax error names the file', (t) => {
  const e = t.throws(() => parseScenarioText('{ "duration": ', 'bad.json'));
  t.regex(e!.message, /^scenario: bad\.json: /);
});

test('scenario: any document either parses or fails with one scenario error (never another exception)', (t) => {
  const valid = base();
  const keys = ['duration', 'seed', 'hosts', 'timeline', 'traffic', 'config', 'link', 'sample', 'name'];
  fc.assert(fc.property(
    fc.constantFrom(...keys),
    fc.oneof(fc.jsonValue(), fc.constant(undefined)),
    fc.nat({ max: 3 }),
    (key, value, depth) => {
      const doc = structuredClone(valid) as Record<string, any>;
      // Replace a top-level field, or a field one level down in an array item / object.
      if (depth === 0 || typeof doc[key] !== 'object' || doc[key] === null) doc[key] = value;
      else if (Array.isArray(doc[key])) { if (doc[key].length > 0) doc[key][0] = value; }
      else { const inner = Object.keys(doc[key])[0]; if (inner !== undefined) doc[key][inner] = value; }
      try {
        parseScenario(doc);
      } catch (e) {
        if (!(isArpemuError(e) && e.code === 'ERR_CONFIG' && /^scenario: \S/.test(e.message))) throw e;
      }
    },
  ), { numRuns: 400, seed: 7 });
  t.pass();
});
