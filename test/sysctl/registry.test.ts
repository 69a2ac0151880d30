import test from 'ava';
import fc from 'fast-check';
import { Sysctl, knobRange, DEFAULT_KNOBS, ARP_KNOBS, INET_KNOBS, type KnobDef, type SysctlSnapshot } from '../../src/sysctl/index.js';
import { isArpemuError } from '../../src/util/errors.js';

// The defaults of DragonFly if_ether.c (static variables next to SYSCTL_INT),
// FreeBSD in.c (no_same_prefix) and FreeBSD's arp_maxpps.
const EXPECTED: Record<string, number> = {
  'net.link.ether.inet.prune_intvl': 300,
  'net.link.ether.inet.max_age': 1200,
  'net.link.ether.inet.host_down_time': 20,
  'net.link.ether.inet.maxtries': 5,
  'net.link.ether.inet.useloopback': 1,
  'net.link.ether.inet.proxyall': 0,
  'net.link.ether.inet.restricted_match': 0,
  'net.link.ether.inet.refresh': 60,
  'net.link.ether.inet.log_arp_wrong_iface': 1,
  'net.link.ether.inet.log_arp_movements': 1,
  'net.link.ether.inet.log_arp_permanent_modify': 1,
  'net.link.ether.inet.max_log_per_second': 1,
  'net.inet.ip.no_same_prefix': 0,
};

function throwsCode(t: import('ava').ExecutionContext, fn: () => unknown, code: string, ...mentions: string[]): void {
  const e = t.throws(fn);
  t.true(isArpemuError(e), 'an ArpemuError');
  t.is((e as { code?: string }).code, code);
  for (const m of mentions) t.true(e!.message.includes(m), `message ${JSON.stringify(e!.message)} names ${m}`);
}

test('every knob of the seeds is registered with its default', (t) => {
  const s = new Sysctl();
  t.deepEqual(s.list().map((k) => k.name).sort(), Object.keys(EXPECTED).sort());
  for (const [name, def] of Object.entries(EXPECTED)) {
    t.is(s.get(name), def, name);
    t.is(s.describe(name).default, def, name);
  }
  t.is(DEFAULT_KNOBS.length, ARP_KNOBS.length + INET_KNOBS.length);
});

test('fast accessors mirror the defaults', (t) => {
  const { v } = new Sysctl();
  t.deepEqual({ ...v }, {
    pruneIntvl: 300, maxAge: 1200, hostDownTime: 20, maxTries: 5, useLoopback: 1, proxyAll: 0,
    restrictedMatch: 0, refresh: 60, logArpWrongIface: 1, logArpMovements: 1, logArpPermanentModify: 1,
    maxLogPerSecond: 1, noSamePrefix: 0,
  });
});

test('every knob has a type, range holding its default, unit field and a one-line description', (t) => {
  for (const k of new Sysctl().list()) {
    t.true(k.type === 'int' || k.type === 'bool', k.name);
    t.true(k.min <= (k.default as number) && (k.default as number) <= k.max, k.name);
    t.is(typeof k.unit, 'string');
    t.true(k.description.length > 10 && !k.description.includes('\n') && !k.description.endsWith('.'), k.name);
    if (k.type === 'bool') t.deepEqual([k.min, k.max], [0, 1], k.name);
  }
  t.deepEqual(['prune_intvl', 'max_age', 'host_down_time', 'refresh'].map((n) => new Sysctl().describe(`net.link.ether.inet.${n}`).unit), ['seconds', 'seconds', 'seconds', 'seconds']);
});

test('log_arp_wrong_iface takes 0, 1 and 2 (arp_update_oncpu), not 3', (t) => {
  const s = new Sysctl();
  for (const v of [0, 1, 2]) { s.set('net.link.ether.inet.log_arp_wrong_iface', v); t.is(s.v.logArpWrongIface, v); }
  throwsCode(t, () => s.set('net.link.ether.inet.log_arp_wrong_iface', 3), 'EINVAL', 'net.link.ether.inet.log_arp_wrong_iface', '0..2');
  t.is(s.v.logArpWrongIface, 2);
});

test('get/set of an unknown name: ENOENT naming it', (t) => {
  const s = new Sysctl();
  throwsCode(t, () => s.get('net.link.ether.inet.nope'), 'ENOENT', 'net.link.ether.inet.nope');
  throwsCode(t, () => s.set('net.link.ether.inet.max_agee', 5), 'ENOENT', 'net.link.ether.inet.max_agee');
  throwsCode(t, () => s.describe('x.y'), 'ENOENT', 'x.y');
  t.false(s.has('x.y'));
  t.true(s.has('net.link.ether.inet.max_age'));
});

test('set out of range: EINVAL naming the knob and the allowed range, value unchanged', (t) => {
  const s = new Sysctl();
  throwsCode(t, () => s.set('net.link.ether.inet.maxtries', 0), 'EINVAL', 'net.link.ether.inet.maxtries', '1..65535');
  throwsCode(t, () => s.set('net.link.ether.inet.maxtries', 65536), 'EINVAL', 'net.link.ether.inet.maxtries', '1..65535');
  throwsCode(t, () => s.set('net.link.ether.inet.proxyall', 2), 'EINVAL', 'net.link.ether.inet.proxyall', '0 or 1');
  throwsCode(t, () => s.set('net.link.ether.inet.max_age', 0), 'EINVAL', 'max_age', '1..2147483647');
  throwsCode(t, () => s.set('net.link.ether.inet.max_log_per_second', -2), 'EINVAL', 'max_log_per_second', '-1..2147483647');
  t.is(s.v.maxTries, 5);
  t.is(s.v.proxyAll, 0);
  t.is(s.v.maxAge, 1200);
});

test('set of a non-integer: EINVAL naming the knob', (t) => {
  const s = new Sysctl();
  for (const bad of [1.5, Number.NaN, Infinity, '5x', '', '1e3', '0x10', ' ', '2.0']) {
    throwsCode(t, () => s.set('net.link.ether.inet.max_age', bad), 'EINVAL', 'net.link.ether.inet.max_age', 'not an integer');
  }
  // a JS boolean is only a value for bool knobs
  throwsCode(t, () => s.set('net.link.ether.inet.max_age', true), 'EINVAL', 'max_age');
  t.is(s.v.maxAge, 1200);
});

test('set accepts numbers, integer text (CLI name=value) and booleans for bool knobs; returns the old value', (t) => {
  const s = new Sysctl();
  t.is(s.set('net.link.ether.inet.max_age', '600'), 1200);
  t.is(s.v.maxAge, 600);
  t.is(s.get('net.link.ether.inet.max_age'), 600);
  t.is(s.set('net.link.ether.inet.max_age', ' +30 '), 600);
  t.is(s.v.maxAge, 30);
  s.set('net.link.ether.inet.proxyall', true);
  t.is(s.v.proxyAll, 1);
  s.set('net.link.ether.inet.proxyall', false);
  t.is(s.v.proxyAll, 0);
  s.set('net.link.ether.inet.max_log_per_second', '-1');
  t.is(s.v.maxLogPerSecond, -1);
  s.set('net.inet.ip.no_same_prefix', '1');
  t.is(s.v.noSamePrefix, 1);
  s.set('net.link.ether.inet.host_down_time', -0);
  t.true(Object.is(s.v.hostDownTime, 0), 'no -0');
});

test('setMany is all-or-nothing', (t) => {
  const s = new Sysctl();
  throwsCode(t, () => s.setMany({ 'net.link.ether.inet.max_age': 10, 'net.link.ether.inet.maxtries': -1 }), 'EINVAL', 'maxtries');
  t.is(s.v.maxAge, 1200);
  throwsCode(t, () => s.setMany({ 'net.link.ether.inet.max_age': 10, 'bogus.knob': 1 }), 'ENOENT', 'bogus.knob');
  t.is(s.v.maxAge, 1200);
  s.setMany({ 'net.link.ether.inet.max_age': 10, 'net.link.ether.inet.maxtries': 3 });
  t.is(s.v.maxAge, 10);
  t.is(s.v.maxTries, 3);
});

test('instances are independent replicas (no shared mutable state)', (t) => {
  const a = new Sysctl();
  const b = new Sysctl();
  a.set('net.link.ether.inet.maxtries', 9);
  t.is(a.v.maxTries, 9);
  t.is(b.v.maxTries, 5);
  t.is(new Sysctl().get('net.link.ether.inet.maxtries'), 5);
});

test('snapshot/restore: resync makes a replica equal, missing names return to defaults', (t) => {
  const cpu0 = new Sysctl();
  cpu0.setMany({ 'net.link.ether.inet.max_age': 77, 'net.link.ether.inet.proxyall': 1 });
  const snap = structuredClone(cpu0.snapshot());
  t.is(snap['net.link.ether.inet.max_age'], 77);
  t.is(Object.keys(snap).length, Object.keys(EXPECTED).length);

  const cpu1 = new Sysctl();
  cpu1.set('net.link.ether.inet.maxtries', 2);
  cpu1.restore(snap);
  t.deepEqual(cpu1.snapshot(), cpu0.snapshot());
  t.deepEqual({ ...cpu1.v }, { ...cpu0.v });

  cpu1.restore({ 'net.link.ether.inet.max_age': 5 });
  t.is(cpu1.v.maxAge, 5);
  t.is(cpu1.v.proxyAll, 0, 'absent from the snapshot: default');
});

test('restore of a bad snapshot changes nothing', (t) => {
  const s = new Sysctl();
  s.set('net.link.ether.inet.max_age', 99);
  const before = s.snapshot();
  const bad: SysctlSnapshot = { ...before, 'net.link.ether.inet.maxtries': 0 };
  throwsCode(t, () => s.restore(bad), 'EINVAL', 'maxtries');
  t.deepEqual(s.snapshot(), before);
  throwsCode(t, () => s.restore({ ...before, 'no.such': 1 }), 'ENOENT', 'no.such');
  t.deepEqual(s.snapshot(), before);
});

test('reset puts one knob or all back to default', (t) => {
  const s = new Sysctl();
  s.setMany({ 'net.link.ether.inet.max_age': 1, 'net.link.ether.inet.refresh': 2 });
  s.reset('net.link.ether.inet.max_age');
  t.is(s.v.maxAge, 1200);
  t.is(s.v.refresh, 2);
  s.reset();
  t.is(s.v.refresh, 60);
});

test('list() is sorted by name (sysctl -a) and carries current values', (t) => {
  const s = new Sysctl();
  s.set('net.link.ether.inet.refresh', 7);
  const names = s.list().map((k) => k.name);
  t.deepEqual(names, [...names].sort());
  t.is(s.list().find((k) => k.name === 'net.link.ether.inet.refresh')!.value, 7);
  t.is(names[0], 'net.inet.ip.no_same_prefix');
});

test('onChange reports real changes only, and can be removed', (t) => {
  const s = new Sysctl();
  const seen: string[] = [];
  const off = s.onChange((name, value, old) => seen.push(`${name}=${value}<-${old}`));
  s.set('net.link.ether.inet.maxtries', 5); // same value: no report
  s.set('net.link.ether.inet.maxtries', 6);
  s.restore({});
  off();
  s.set('net.link.ether.inet.maxtries', 7);
  t.deepEqual(seen, ['net.link.ether.inet.maxtries=6<-5', 'net.link.ether.inet.maxtries=5<-6']);
});

const TRANSPORT: KnobDef = {
  name: 'arpemu.cpu.transport', key: 'cpuTransportTest' as never, type: 'enum', default: 'ring', min: 0, max: 0,
  choices: ['ring', 'port'], unit: '', description: 'Channel carrying chain messages between CPUs',
};
const ACD_PROBE_NUM: KnobDef = {
  name: 'net.inet.acd.probe_num', key: 'acdProbeNumTest' as never, type: 'int', default: 3, min: 1, max: 10,
  unit: 'probes', description: 'RFC 5227 PROBE_NUM',
};

test('register: later issues add knobs (int and enum) to an instance', (t) => {
  const s = new Sysctl();
  s.register([TRANSPORT, ACD_PROBE_NUM]);
  t.is(s.get('arpemu.cpu.transport'), 'ring');
  t.is(s.get('net.inet.acd.probe_num'), 3);
  s.set('arpemu.cpu.transport', 'port');
  t.is((s.v as unknown as Record<string, unknown>)['cpuTransportTest'], 'port');
  throwsCode(t, () => s.set('arpemu.cpu.transport', 'pigeon'), 'EINVAL', 'arpemu.cpu.transport', 'ring|port');
  throwsCode(t, () => s.set('arpemu.cpu.transport', 1), 'EINVAL', 'arpemu.cpu.transport');
  t.is(knobRange(s.describe('arpemu.cpu.transport')), 'one of ring|port');
  t.false(new Sysctl().has('arpemu.cpu.transport'), 'other instances unaffected');
  const other = new Sysctl([...DEFAULT_KNOBS, TRANSPORT]);
  throwsCode(t, () => other.restore(s.snapshot()), 'ENOENT', 'net.inet.acd.probe_num');
  const snap = s.snapshot();
  delete snap['net.inet.acd.probe_num'];
  other.restore(snap);
  t.is(other.get('arpemu.cpu.transport'), 'port');
});

test('register refuses duplicates and bad definitions, adding nothing from the bad table', (t) => {
  const s = new Sysctl();
  throwsCode(t, () => s.register([ACD_PROBE_NUM, ARP_KNOBS[0]!]), 'EEXIST', 'net.link.ether.inet.prune_intvl');
  t.false(s.has('net.inet.acd.probe_num'));
  throwsCode(t, () => s.register([{ ...ACD_PROBE_NUM, key: 'maxTries' }]), 'EEXIST', 'maxTries');
  throwsCode(t, () => s.register([ACD_PROBE_NUM, { ...ACD_PROBE_NUM, name: 'net.inet.acd.other' }]), 'EEXIST');
  throwsCode(t, () => s.register([{ ...ACD_PROBE_NUM, default: 11 }]), 'EINVAL', 'net.inet.acd.probe_num');
  throwsCode(t, () => s.register([{ ...ACD_PROBE_NUM, min: 5, max: 4, default: 4 }]), 'EINVAL');
  throwsCode(t, () => s.register([{ ...ACD_PROBE_NUM, name: 'Bad Name' }]), 'EINVAL');
  throwsCode(t, () => s.register([{ ...ACD_PROBE_NUM, description: 'two\nlines' }]), 'EINVAL');
  throwsCode(t, () => s.register([{ ...TRANSPORT, default: 'nope' }]), 'EINVAL');
  t.false(s.has('net.inet.acd.probe_num'));
});

test('property: set succeeds exactly for integers inside the range', (t) => {
  const defs = new Sysctl().list();
  fc.assert(fc.property(
    fc.constantFrom(...defs),
    fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.integer(), fc.double(), fc.constant(2147483648)),
    (k, value) => {
      const s = new Sysctl();
      const ok = Number.isInteger(value) && value >= k.min && value <= k.max;
      let threw: unknown;
      try { s.set(k.name, value); } catch (e) { threw = e; }
      if (ok) return threw === undefined && s.get(k.name) === (value === 0 ? 0 : value);
      return isArpemuError(threw) && threw.code === 'EINVAL' && threw.message.includes(k.name) && s.get(k.name) === k.default;
    }));
  t.pass();
});
