/**
 * The pieces of arpemu stress on their own: each invariant on crafted
 * dumps (so each can be seen to fire), delta debugging on a synthetic
 * failure, the fault spec and reproducer parsers, the memory slope.
 */
import test from 'ava';
import type { ArpEntryDump } from '../../src/arp/admin.js';
import { sumArpStats } from '../../src/arp/stats.js';
import type { EmuDump } from '../../src/cpu/emulator.js';
import {
  checkBound, checkCounters, checkHeld, checkModel, checkPermanent, checkReplicas, checkRoutes, nexthopOf, permanentEntries,
  type Observation,
} from '../../src/stress/invariants.js';
import { slope } from '../../src/stress/memory.js';
import { DEFAULT_FAULTS, parseFaults, parseReproducer, type StressOp } from '../../src/stress/oplog.js';
import { ddmin } from '../../src/stress/shrink.js';
import type { Violation } from '../../src/stress/runner.js';
import { FrameMutator } from '../../src/stress/fuzz.js';
import { StressView } from '../../src/stress/view.js';
import { Random } from '../../src/util/random.js';

const entry = (ip: string, mac: string | null, extra: Partial<ArpEntryDump> = {}): ArpEntryDump =>
  ({ ip, mac, iface: 'vemu0', flags: [], expires: 60, asked: 0, preempt: 0, held: 0, ...extra });

const ROUTES: EmuDump['cpus'][number]['routes'] = [
  { dst: '10.0.0.0', mask: '255.255.255.0', gateway: null, iface: 'vemu0', flags: ['up', 'cloning'] },
  { dst: '10.0.1.0', mask: '255.255.255.0', gateway: null, iface: 'vemu1', flags: ['up', 'cloning'] },
  { dst: '192.168.7.0', mask: '255.255.255.0', gateway: '10.0.0.254', iface: 'vemu0', flags: ['up', 'gateway', 'static'] },
];

function dump(...cpus: ArpEntryDump[][]): EmuDump {
  return { interfaces: [], cpus: cpus.map((arp, cpu) => ({ cpu, arp, routes: ROUTES })), stats: sumArpStats([]) };
}

function obs(d: EmuDump, over: Partial<Observation> = {}): Observation {
  return {
    dump: d, stats: sumArpStats([]), rxDelivered: 0, tx: { frames: 0, arpRequests: 0, arpReplies: 0, ipv4: 0, other: 0 },
    txDigest: 0, outputs: 0, sent: 0, lostHeld: 0, errors: 0, lastError: undefined, divergences: 0, ...over,
  };
}

test('replicas_agree: per-CPU held/asked/preempt differ freely; a MAC or an expiry does not', (t) => {
  const a = entry('10.0.0.5', '02:00:00:00:00:05');
  t.is(checkReplicas(dump([a], [{ ...a, held: 1, asked: 3, preempt: 1 }])), null);
  t.regex(checkReplicas(dump([a], [{ ...a, mac: '02:00:00:00:00:06' }]))!.message, /cpu1 differs from cpu0.*10\.0\.0\.5/);
  t.is(checkReplicas(dump([a], [{ ...a, expires: 59 }]))!.invariant, 'replicas_agree');
  t.regex(checkReplicas(dump([a], []))!.message, /has no entry|no such entry/);
});

test('model_agree: tables, frame digest, counters and datagrams against the model', (t) => {
  const d = dump([entry('10.0.0.5', '02:00:00:00:00:05')]);
  t.is(checkModel(obs(d), obs(d)), null);
  t.regex(checkModel(obs(d), obs(dump([])))!.message, /tables differ/);
  t.regex(checkModel(obs(d, { txDigest: 1 }), obs(d))!.message, /frames sent differ/);
  const s = sumArpStats([]);
  t.regex(checkModel(obs(d, { stats: { ...s, txreplies: 1 } }), obs(d))!.message, /txreplies 1 vs 0/);
  t.regex(checkModel(obs(d, { sent: 2 }), obs(d, { sent: 1 }))!.message, /datagrams differ/);
});

test('counters: rxframes identity, frames delivered, ARP frames transmitted', (t) => {
  const s = { ...sumArpStats([]), rxframes: 10, received: 7, accepted: 6, rxrequests: 5, rxreplies: 2, txrequests: 3, txreplies: 1 };
  s.drops = { ...s.drops, runt: 2, not_arp: 1, from_self: 1 };
  const ok = obs(dump(), { stats: s, rxDelivered: 10, tx: { frames: 4, arpRequests: 3, arpReplies: 1, ipv4: 0, other: 0 } });
  t.is(checkCounters(ok), null);
  t.regex(checkCounters({ ...ok, rxDelivered: 11 })!.message, /rxframes 10 but 11/);
  t.regex(checkCounters({ ...ok, stats: { ...s, rxrequests: 4 } })!.message, /received 7 != rxrequests 4/);
  t.regex(checkCounters({ ...ok, stats: { ...s, accepted: 5 } })!.message, /accepted 5/);
  t.regex(checkCounters({ ...ok, tx: { ...ok.tx, arpReplies: 2 } })!.message, /txreplies 1 but 2/);
});

test('held_accounting: in = sent + dropped + held + lost + refused, refused never shrinks', (t) => {
  const held = dump([entry('10.0.0.5', null, { held: 1 })]);
  const s = { ...sumArpStats([]), dropped: 2 };
  t.is(checkHeld(obs(held, { outputs: 10, sent: 5, stats: s }), 0), 2);
  t.is(checkHeld(obs(held, { outputs: 10, sent: 5, stats: s }), 3).constructor, Object, 'a held packet vanished');
  t.regex((checkHeld(obs(held, { outputs: 5, sent: 5, stats: s }), 0) as { message: string }).message, /more datagrams accounted/);
});

test('permanent_unchanged: a permanent MAC may not change between checkpoints', (t) => {
  const p = entry('10.0.0.9', '02:00:00:00:00:09', { flags: ['static', 'permanent'], expires: 0 });
  const before = permanentEntries(dump([p]));
  t.is(checkPermanent(before, permanentEntries(dump([p]))), null);
  t.regex(checkPermanent(before, permanentEntries(dump([{ ...p, mac: '02:00:00:00:00:66' }])))!.message, /10\.0\.0\.9.*is now 02:00:00:00:00:66/);
  t.regex(checkPermanent(before, permanentEntries(dump([])))!.message, /gone/);
});

test('table_bound: no entry for an address the run never named, no more entries than named addresses', (t) => {
  const u = new Set([0x0a000005, 0x0a000006]);
  t.is(checkBound(dump([entry('10.0.0.5', null)]), u, u.size), null);
  t.regex(checkBound(dump([entry('10.0.0.77', null)]), u, u.size)!.message, /10\.0\.0\.77, an address nothing/);
  t.regex(checkBound(dump([entry('10.0.0.5', null), entry('10.0.0.6', null)]), u, 1)!.message, /more than the 1/);
});

test('route_check (in_lltable_rtcheck): entries under a network route of their own interface, not behind a gateway', (t) => {
  t.is(checkRoutes(dump([entry('10.0.0.5', null), entry('10.0.1.5', null, { iface: 'vemu1' })])), null);
  t.is(checkRoutes(dump([entry('172.16.0.1', '02:00:00:00:01:01', { flags: ['local'] })])), null, 'own addresses are exempt');
  t.regex(checkRoutes(dump([entry('172.16.0.1', null)]))!.message, /no route covers/);
  t.regex(checkRoutes(dump([entry('192.168.7.5', null)]))!.message, /gateway route/);
  t.regex(checkRoutes(dump([entry('10.0.1.5', null)]))!.message, /not on the network/);
});

test('nexthopOf: the gateway of the covering route, else the destination', (t) => {
  t.is(nexthopOf(0xc0a80705, ROUTES), 0x0a0000fe);
  t.is(nexthopOf(0x0a000005, ROUTES), 0x0a000005);
});

test('ddmin: a failure that needs two ops far apart shrinks to exactly those two', async (t) => {
  const ops: StressOp[] = Array.from({ length: 40 }, (_, i) => ({ k: 'jump' as const, t: i }));
  const v: Violation = { invariant: 'replicas_agree', message: 'x', op: 39, t: 39, world: 'emulator' };
  let runs = 0;
  const r = await ddmin(ops, v, async (c) => { runs++; return c.some((o) => o.t === 3) && c.some((o) => o.t === 31) ? v : undefined; }, { budgetMs: 10_000 });
  t.deepEqual(r.ops.map((o) => o.t), [3, 31]);
  t.true(r.complete);
  t.is(r.tests, runs);
  t.true(runs < 200);
});

test('ddmin: a violation of the setup alone shrinks to no ops', async (t) => {
  const ops: StressOp[] = Array.from({ length: 5 }, (_, i) => ({ k: 'jump' as const, t: i }));
  const v: Violation = { invariant: 'counters', message: 'x', op: 4, t: 4, world: 'emulator' };
  const r = await ddmin(ops, v, async () => v, { budgetMs: 10_000 });
  t.deepEqual(r.ops, []);
});

test('--faults: none, default, name=value lists; bad names and ranges are usage errors naming the fault', (t) => {
  t.deepEqual(parseFaults('none'), parseFaults(''));
  t.deepEqual(parseFaults('default'), DEFAULT_FAULTS);
  t.is(parseFaults('loss=0.5,dup=0.1').duplicate, 0.1);
  t.is(parseFaults('default,loss=0').loss, 0);
  t.is(parseFaults('default,loss=0').reorder, DEFAULT_FAULTS.reorder);
  t.is(parseFaults('stall=0.2,stall-us=300').stallUs, 300);
  t.throws(() => parseFaults('loss=2'), { message: /loss must be a probability/ });
  t.throws(() => parseFaults('drop=0.1'), { message: /unknown fault 'drop'/ });
  t.throws(() => parseFaults('loss'), { message: /not name=value/ });
});

test('reproducer files: errors name the field', (t) => {
  t.throws(() => parseReproducer('{', 'r.json'), { message: /r\.json: not JSON/ });
  t.throws(() => parseReproducer('{"arpemu":"x"}', 'r.json'), { message: /field arpemu/ });
  const good = {
    arpemu: 'stress-reproducer', version: 1, runSeed: 1, checkEvery: 1,
    run: { emulator: 'inline', cpus: 2, strategy: 'chain', transport: 'ring', model: 'inline', bug: null, faults: DEFAULT_FAULTS, seed: 1 },
    setup: { interfaces: [], hosts: [], sysctl: {}, hostCacheTimeout: 60 }, ops: [{ k: 'jump', t: 1 }],
    violation: { invariant: 'counters', message: 'x', op: 0 },
  };
  t.is(parseReproducer(JSON.stringify(good), 'r.json').run.concurrent, false);
  t.throws(() => parseReproducer(JSON.stringify({ ...good, run: { ...good.run, cpus: 0 } }), 'r.json'), { message: /run\.cpus/ });
  t.throws(() => parseReproducer(JSON.stringify({ ...good, run: { ...good.run, bug: 'nope' } }), 'r.json'), { message: /run\.bug/ });
  t.throws(() => parseReproducer(JSON.stringify({ ...good, ops: [{ k: 'jump', t: 2 }, { k: 'jump', t: 1 }] }), 'r.json'), { message: /ops\[1\]\.t/ });
  t.throws(() => parseReproducer(JSON.stringify({ ...good, violation: { invariant: 'nope' } }), 'r.json'), { message: /violation\.invariant/ });
});

test('memory slope: least squares over wall time', (t) => {
  t.is(slope([0, 1, 2, 3], [10, 12, 14, 16]), 2);
  t.true(Math.abs(slope([0, 1, 2, 3, 4], [5, 5, 5, 5, 5])) < 1e-12);
  t.true(Number.isNaN(slope([0, 1], [0, 1])));
});

test('fuzz mutator: seeded, varied lengths and types, never the same frame twice in a row for long', (t) => {
  const a = new FrameMutator(new Random(1), []);
  const b = new FrameMutator(new Random(1), []);
  const fa = Array.from({ length: 200 }, () => a.next());
  const fb = Array.from({ length: 200 }, () => b.next());
  t.deepEqual(fa, fb);
  const lengths = new Set(fa.map((f) => f.length));
  t.true(lengths.size > 20);
  t.true(fa.some((f) => f.length < 14) && fa.some((f) => f.length > 60));
});

test('stress view: a terminal gets one block redrawn in place, a pipe a plain line every tenth of the run', (t) => {
  const p = {
    ops: 10, total: 100, t: 1.5, wallSeconds: 0.2, opsPerSecond: 50, rx: 5, tx: 6, outputs: 3, sent: 2, held: 1, kills: 0,
    checks: 2, violations: 0, entries: [3, 3], rss: 1e8, heapUsed: 2e7, last: 't=1.500 output 10.0.0.12 (20 bytes)', done: false,
  };
  let tty = '';
  const v = new StressView({ out: { write: (s: string) => { tty += s; }, isTTY: true, columns: 100 }, title: 'arpemu stress: seed 1' });
  v.update(p);
  v.update({ ...p, ops: 20, violations: 1 });
  v.close();
  t.regex(tty, /\x1b\[6Farpemu stress: seed 1/, 'second frame redraws the six lines');
  t.regex(tty, /op 20\/100.*\n.*\n.*violations 1 \(stopping\)/s);
  t.true(tty.endsWith('\x1b[?25h'));
  let plain = '';
  const w = new StressView({ out: { write: (s: string) => { plain += s; } }, title: 'x' });
  for (let i = 1; i <= 100; i++) w.update({ ...p, ops: i, done: i === 100 });
  w.close();
  t.is(plain.trim().split('\n').length, 10);
  t.notRegex(plain, /\x1b/);
});
