import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { Random } from '../../src/util/random.js';
import { CollectingSink } from '../../src/util/events.js';
import { MAC_BROADCAST, formatIpv4, formatMac, parseIpv4, parseMac, type Ipv4, type Mac } from '../../src/wire/addr.js';
import { ARPHRD_IEEE802, ARPOP_REPLY, ARPOP_REQUEST, ArpPacket, emitArpFrame } from '../../src/wire/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IP, EthernetFrame } from '../../src/wire/ethernet.js';
import { Segment } from '../../src/link/segment.js';
import {
  ANNOUNCE_INTERVAL, ANNOUNCE_NUM, ANNOUNCE_WAIT, AcdConflictCounter, AcdMachine, AcdManager,
  DEFEND_INTERVAL, MAX_CONFLICTS, PROBE_MAX, PROBE_MIN, PROBE_NUM, PROBE_WAIT, RATE_LIMIT_INTERVAL,
  acdTiming, buildArpAnnounce, buildArpProbe, type AcdCallbacks, type AcdConflict, type AcdInputResult,
} from '../../src/arp/acd.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const mac = (s: string): Mac => parseMac(s)!;

const US = mac('02:00:00:00:01:01');
const US_OTHER_IF = mac('02:00:00:00:01:02');
const PEER = mac('02:00:00:00:00:02');
const PEER_ETH = mac('02:00:00:00:00:03'); // a frame source that differs from the ARP sender
const ADDR = ip('10.0.0.1');
const ADDR2 = ip('10.0.0.7');
const PEER_IP = ip('10.0.0.2');

interface Decoded {
  t: number; len: number; dst: Mac; src: Mac; type: number;
  op: number; sha: Mac; spa: Ipv4; tha: Mac; tpa: Ipv4;
}

/** Read a sent frame back through the wire views. */
function decode(t: number, frame: Uint8Array): Decoded {
  const eth = new EthernetFrame(frame);
  const arp = new ArpPacket();
  arp.reset(frame, eth.payloadOffset);
  return {
    t, len: frame.length, dst: eth.dst, src: eth.src, type: eth.ethertype,
    op: arp.op, sha: arp.sha, spa: arp.spa, tha: arp.tha, tpa: arp.tpa,
  };
}

interface PeerFrame { op?: number; src?: Mac; dst?: Mac; sha?: Mac; spa: Ipv4; tha?: Mac; tpa: Ipv4; hrd?: number }

/** A received ARP frame, padded to 60 bytes as from the wire. */
function peerFrame(f: PeerFrame): Uint8Array {
  const b = new Uint8Array(60);
  const sha = f.sha ?? PEER;
  emitArpFrame(b, f.dst ?? MAC_BROADCAST, f.src ?? sha,
    { op: (f.op ?? ARPOP_REQUEST) as 1 | 2, sha, spa: f.spa, tha: f.tha ?? 0, tpa: f.tpa }, 0, f.hrd);
  return b;
}

interface Harness {
  clock: VirtualClock;
  timers: TimerQueue;
  ev: CollectingSink;
  sent: Decoded[];
  calls: string[];
  conflicts: AcdConflict[];
  run(until: number): void;
}

function harness(start = 0): Harness {
  const clock = new VirtualClock(start);
  const timers = new TimerQueue(clock);
  const h: Harness = {
    clock, timers, ev: new CollectingSink(), sent: [], calls: [], conflicts: [],
    run: (until) => runVirtualUntil(clock, timers, until),
  };
  return h;
}

function callbacks(h: Harness): AcdCallbacks {
  return {
    onBound: (a) => h.calls.push(`bound ${formatIpv4(a)} @${h.clock.now()}`),
    onConflict: (c) => { h.conflicts.push(c); h.calls.push(`conflict ${formatIpv4(c.ip)} ${c.outcome}`); },
    onGiveUp: (a) => h.calls.push(`giveup ${formatIpv4(a)} @${h.clock.now()}`),
  };
}

function machine(h: Harness, opts: { seed?: number; ip?: Ipv4; counter?: AcdConflictCounter; isLocalMac?: (m: Mac) => boolean } = {}): AcdMachine {
  return new AcdMachine({
    iface: 'eth0', mac: US, ip: opts.ip ?? ADDR, clock: h.clock, timers: h.timers,
    random: new Random(opts.seed ?? 1), events: h.ev, cpu: 0, counter: opts.counter,
    isLocalMac: opts.isLocalMac,
    send: (f) => h.sent.push(decode(h.clock.now(), f)),
    ...callbacks(h),
  });
}

/** Start a machine and run until it is bound and has announced; returns the bind time. */
function bindIt(h: Harness, m: AcdMachine): number {
  m.start();
  h.run(PROBE_WAIT + PROBE_NUM * PROBE_MAX + ANNOUNCE_WAIT + ANNOUNCE_NUM * ANNOUNCE_INTERVAL + 1);
  const bound = h.ev.named('acd.bound')[0];
  if (bound === undefined) throw new Error('did not bind');
  return bound.t;
}

const EPS = 1e-9;

function assertProbe(t: import('ava').ExecutionContext, f: Decoded): void {
  t.like(f, { len: 42, dst: MAC_BROADCAST, src: US, type: ETHERTYPE_ARP, op: ARPOP_REQUEST, sha: US, spa: 0, tha: 0, tpa: ADDR });
}
function assertAnnounce(t: import('ava').ExecutionContext, f: Decoded, a: Ipv4 = ADDR): void {
  t.like(f, { len: 42, dst: MAC_BROADCAST, src: US, type: ETHERTYPE_ARP, op: ARPOP_REQUEST, sha: US, spa: a, tha: 0, tpa: a });
}

test('arp_probe: 3 probes from 0.0.0.0, 1-2 s apart after PROBE_WAIT', (t) => {
  const h = harness(100);
  const m = machine(h);
  m.start();
  t.is(m.state, 'probing');
  t.is(h.sent.length, 0, 'nothing before the PROBE_WAIT delay');
  while (m.probes < PROBE_NUM) h.run(h.timers.nextDeadline()!); // every probe out, not bound yet
  h.run(h.sent[PROBE_NUM - 1]!.t + ANNOUNCE_WAIT - 0.001);
  t.is(h.sent.length, PROBE_NUM);
  for (const f of h.sent) assertProbe(t, f);
  t.true(h.sent[0]!.t >= 100 && h.sent[0]!.t <= 100 + PROBE_WAIT);
  for (let i = 1; i < h.sent.length; i++) {
    const gap = h.sent[i]!.t - h.sent[i - 1]!.t;
    t.true(gap >= PROBE_MIN - EPS && gap <= PROBE_MAX + EPS, `gap ${gap}`);
  }
  t.deepEqual(h.ev.named('acd.probe').map((e) => [e.n, e.of, e.ip, e.iface, e.t]),
    h.sent.map((f, i) => [i + 1, PROBE_NUM, '10.0.0.1', 'eth0', f.t]));
  t.is(m.probes, PROBE_NUM);
  t.false(m.usable);
  t.deepEqual(h.calls, []);
});

test('arp_probed: no answer -> bound and 2 announcements 2 s apart', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  h.run(1000);
  t.is(h.sent.length, PROBE_NUM + ANNOUNCE_NUM, 'nothing after the announcements');
  const lastProbe = h.sent[PROBE_NUM - 1]!.t;
  const ann = h.sent.slice(PROBE_NUM);
  for (const f of ann) assertAnnounce(t, f);
  t.is(ann[0]!.t, lastProbe + ANNOUNCE_WAIT);
  t.is(ann[1]!.t, lastProbe + ANNOUNCE_WAIT + ANNOUNCE_INTERVAL);
  t.deepEqual(h.ev.names(), ['acd.probe', 'acd.probe', 'acd.probe', 'acd.bound', 'acd.announce', 'acd.announce']);
  t.is(h.ev.named('acd.bound')[0]!.t, lastProbe + ANNOUNCE_WAIT);
  t.deepEqual(h.ev.named('acd.announce').map((e) => [e.n, e.of]), [[1, 2], [2, 2]]);
  t.deepEqual(h.calls, [`bound 10.0.0.1 @${lastProbe + ANNOUNCE_WAIT}`]);
  t.is(m.state, 'bound');
  t.true(m.usable);
  t.is(m.announcements, ANNOUNCE_NUM);
  t.is(h.timers.size, 0, 'no timer left once bound');
});

test('RFC 5227 2.1: the address is not usable while probing, usable from the bind on', (t) => {
  const h = harness();
  const m = machine(h, { seed: 7 });
  m.start();
  const seen: [number, boolean, string][] = [];
  // Sample just before and at every deadline.
  for (;;) {
    const next = h.timers.nextDeadline();
    if (next === undefined) break;
    h.run(next - 1e-6);
    seen.push([h.clock.now(), m.usable, m.state]);
    h.run(next);
    seen.push([h.clock.now(), m.usable, m.state]);
  }
  const bindAt = h.ev.named('acd.bound')[0]!.t;
  for (const [at, usable, state] of seen) {
    t.is(usable, at >= bindAt, `usable at ${at}`);
    if (at < bindAt) t.is(state, 'probing');
  }
  t.true(seen.some(([at, , s]) => at === bindAt && s === 'announcing'));
});

test('arp_packet: reply from another MAC during probe -> conflict with sha and frame source', (t) => {
  const h = harness();
  const counter = new AcdConflictCounter();
  const m = machine(h, { counter });
  m.start();
  h.run(h.timers.nextDeadline()!); // first probe out
  t.is(h.sent.length, 1);
  h.clock.advance(0.25);
  const r = m.input(peerFrame({ op: ARPOP_REPLY, src: PEER_ETH, dst: US, sha: PEER, spa: ADDR, tha: US, tpa: 0 }));
  t.is(r, 'conflict');
  t.is(m.state, 'conflicted');
  t.false(m.usable);
  t.is(counter.conflicts, 1);
  t.is(h.timers.size, 0, 'no more probes armed');
  t.is(h.conflicts.length, 1);
  t.like(h.conflicts[0]!, { ip: ADDR, sha: PEER, src: PEER_ETH, spa: ADDR, op: ARPOP_REPLY, kind: 'in_use', outcome: 'abandoned', time: h.clock.now() });
  const ev = h.ev.named('acd.conflict');
  t.is(ev.length, 1);
  t.like(ev[0]!, { iface: 'eth0', ip: '10.0.0.1', sha: formatMac(PEER), src: formatMac(PEER_ETH), cpu: 0, t: h.clock.now() });
  h.run(1000);
  t.is(h.sent.length, 1, 'no probe or announcement after the conflict');
  t.deepEqual(h.calls, ['conflict 10.0.0.1 abandoned']);
  t.is(h.ev.named('acd.bound').length, 0);
});

test('RFC 5227 2.1.1: conflicts count from the start of probing (during PROBE_WAIT) and during ANNOUNCE_WAIT', (t) => {
  {
    const h = harness();
    const m = machine(h);
    m.start();
    t.is(m.input(peerFrame({ spa: ADDR, tpa: ADDR })), 'conflict', 'an announcement before our first probe');
    h.run(100);
    t.is(h.sent.length, 0, 'no probe ever sent');
  }
  {
    const h = harness();
    const m = machine(h);
    m.start();
    while (m.probes < PROBE_NUM) h.run(h.timers.nextDeadline()!);
    t.is(h.sent.length, PROBE_NUM);
    const last = h.sent[PROBE_NUM - 1]!.t;
    h.run(last + ANNOUNCE_WAIT - 0.001);
    t.is(m.state, 'probing');
    t.is(m.input(peerFrame({ op: ARPOP_REQUEST, spa: ADDR, tpa: PEER_IP })), 'conflict', 'a request sent from the address');
    h.run(100);
    t.is(h.ev.named('acd.bound').length, 0);
    t.is(h.sent.length, PROBE_NUM);
  }
});

test('RFC 5227 2.1.1: simultaneous probe for the same address -> conflict', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  h.run(h.timers.nextDeadline()!);
  const r = m.input(peerFrame({ op: ARPOP_REQUEST, sha: PEER, spa: 0, tpa: ADDR }));
  t.is(r, 'conflict');
  t.like(h.conflicts[0]!, { kind: 'simultaneous_probe', sha: PEER, src: PEER, spa: 0, tpa: ADDR, outcome: 'abandoned' });
  t.like(h.ev.named('acd.conflict')[0]!, { sha: formatMac(PEER), src: formatMac(PEER), kind: 'simultaneous_probe' });
  t.is(m.state, 'conflicted');
});

test('arp_packet: a unicast probe (RFC 1122 unicast poll) is not a conflict', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  t.is(m.input(peerFrame({ dst: US, spa: 0, tpa: ADDR })), 'unrelated');
  h.run(100);
  t.is(m.state, 'bound');
});

test('arp_packet: ARP about other addresses, or asking for ours from a real sender, is unrelated', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  t.is(m.input(peerFrame({ spa: PEER_IP, tpa: ADDR })), 'unrelated', 'who-has our address from a host with its own address');
  t.is(m.input(peerFrame({ spa: 0, tpa: ADDR2 })), 'unrelated', 'probe for another address');
  t.is(m.input(peerFrame({ op: ARPOP_REPLY, spa: PEER_IP, tpa: ADDR2 })), 'unrelated');
  h.run(100);
  t.is(m.state, 'bound');
  t.is(h.conflicts.length, 0);
});

test('arp_packet: frames from our own hardware address are ignored', (t) => {
  const h = harness();
  const m = machine(h, { isLocalMac: (x) => x === US || x === US_OTHER_IF });
  m.start();
  h.run(h.timers.nextDeadline()!);
  // Our own probe looped back, our announcement, our MAC as sender behind another frame source,
  // another frame source carrying our ARP sender, and our other interface's frames.
  t.is(m.input(peerFrame({ sha: US, spa: 0, tpa: ADDR })), 'own');
  t.is(m.input(peerFrame({ sha: US, spa: ADDR, tpa: ADDR })), 'own');
  t.is(m.input(peerFrame({ src: PEER, sha: US, spa: ADDR, tpa: ADDR })), 'own');
  t.is(m.input(peerFrame({ src: US, sha: PEER, spa: ADDR, tpa: ADDR })), 'own');
  t.is(m.input(peerFrame({ sha: US_OTHER_IF, spa: ADDR, tpa: ADDR })), 'own');
  h.run(100);
  t.is(m.state, 'bound');
  t.is(h.conflicts.length, 0);
  t.is(h.ev.named('acd.conflict').length, 0);
});

test('arp_validate: non-ARP, IEEE 802 hardware, bad lengths and opcodes are invalid', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  const good = peerFrame({ spa: ADDR, tpa: ADDR });
  const ip4 = good.slice(); ip4[12] = ETHERTYPE_IP >>> 8; ip4[13] = ETHERTYPE_IP & 0xff;
  const rarp = good.slice(); rarp[14 + 7] = 3; // RARP request opcode
  const hln = good.slice(); hln[14 + 4] = 8;
  const pro = good.slice(); pro[14 + 2] = 0x86; pro[14 + 3] = 0xdd;
  for (const [name, f] of [
    ['ipv4 frame', ip4], ['rarp opcode', rarp], ['hln 8', hln], ['protocol ipv6', pro],
    ['ieee 802 hardware', peerFrame({ spa: ADDR, tpa: ADDR, hrd: ARPHRD_IEEE802 })],
    ['truncated', good.subarray(0, 14 + 27)], ['empty', new Uint8Array(0)], ['runt', good.subarray(0, 13)],
  ] as const) {
    t.is(m.input(f), 'invalid', name);
  }
  t.is(m.state, 'probing');
  t.is(m.input(good), 'conflict', 'the same frame unmodified');
});

test('arp_packet: arbitrary bytes never throw, and a conflict needs a valid ARP frame', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 90 }), (bytes, off) => {
    const h = harness();
    const mgr = new AcdManager({ iface: 'eth0', mac: US, clock: h.clock, timers: h.timers, random: new Random(1), send: () => {} });
    const m = mgr.start(ADDR);
    const r: AcdInputResult = mgr.input(bytes, off);
    const r2 = m.input(bytes, off);
    if (r === 'conflict' || r2 === 'conflict') {
      const v = new ArpPacket();
      v.reset(bytes, off + 14);
      return v.reason === 0 && v.hrd === 1 && bytes[off + 12] === 0x08 && bytes[off + 13] === 0x06;
    }
    return ['invalid', 'own', 'unrelated'].includes(r);
  }), { numRuns: 2000 });
  t.pass();
});

test('RFC 5227 2.4(b): first conflict defended, second within DEFEND_INTERVAL gives up', (t) => {
  const h = harness();
  const counter = new AcdConflictCounter();
  const m = machine(h, { counter });
  const boundAt = bindIt(h, m);
  const before = h.sent.length;
  h.ev.clear(); h.calls.length = 0;
  const t1 = boundAt + 30;
  h.run(t1);
  t.is(m.input(peerFrame({ op: ARPOP_REPLY, src: PEER_ETH, sha: PEER, spa: ADDR, dst: US, tha: US, tpa: ADDR })), 'defended');
  t.is(h.sent.length, before + 1, 'one defending announcement');
  assertAnnounce(t, h.sent[before]!);
  t.is(h.sent[before]!.t, t1);
  t.is(m.state, 'defending');
  t.true(m.usable);
  t.is(m.lastDefence, t1);
  t.is(counter.conflicts, 0, 'a defended conflict does not count');
  t.deepEqual(h.ev.names(), ['acd.conflict', 'acd.defended']);
  t.like(h.ev.named('acd.defended')[0]!, { iface: 'eth0', ip: '10.0.0.1', sha: formatMac(PEER), src: formatMac(PEER_ETH), t: t1 });

  h.run(t1 + DEFEND_INTERVAL - 0.5);
  t.is(m.input(peerFrame({ sha: PEER, spa: ADDR, tpa: ADDR })), 'defence_failed');
  t.is(h.sent.length, before + 1, 'no second defence');
  t.is(m.state, 'given_up');
  t.false(m.usable);
  t.is(counter.conflicts, 1);
  t.deepEqual(h.ev.names(), ['acd.conflict', 'acd.defended', 'acd.conflict', 'acd.defence_failed']);
  t.like(h.ev.named('acd.defence_failed')[0]!, { ip: '10.0.0.1', sha: formatMac(PEER), src: formatMac(PEER), t: t1 + DEFEND_INTERVAL - 0.5 });
  t.deepEqual(h.calls, ['conflict 10.0.0.1 defended', 'conflict 10.0.0.1 defence_failed', `giveup 10.0.0.1 @${t1 + DEFEND_INTERVAL - 0.5}`]);
  t.is(m.input(peerFrame({ sha: PEER, spa: ADDR, tpa: ADDR })), 'unrelated', 'a given-up address is not ours any more');
  h.run(t1 + 1000);
  t.is(h.sent.length, before + 1);
});

test('RFC 5227 2.4(b): conflicts 10 s apart are each defended', (t) => {
  const h = harness();
  const m = machine(h);
  const boundAt = Math.ceil(bindIt(h, m));
  const before = h.sent.length;
  for (let k = 0; k < 4; k++) {
    h.run(boundAt + 20 + k * DEFEND_INTERVAL); // whole seconds: exactly DEFEND_INTERVAL apart
    t.is(m.input(peerFrame({ sha: PEER, spa: ADDR, tpa: ADDR })), 'defended', `conflict ${k}`);
    t.is(m.state, 'defending');
  }
  t.is(h.sent.length, before + 4);
  for (const f of h.sent.slice(before)) assertAnnounce(t, f);
  h.run(boundAt + 20 + 3 * DEFEND_INTERVAL + DEFEND_INTERVAL);
  t.is(m.state, 'bound', 'defending ends DEFEND_INTERVAL after the last defence');
  t.true(m.usable);
  t.is(h.calls.filter((c) => c.startsWith('giveup')).length, 0);
});

test('RFC 5227 2.4: a conflict during the announcements is defended and the announcements go on', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  while (!m.usable) h.run(h.timers.nextDeadline()!);
  h.run(h.clock.now() + 0.5);
  t.is(m.state, 'announcing');
  t.is(m.input(peerFrame({ op: ARPOP_REPLY, sha: PEER, spa: ADDR, tpa: ADDR })), 'defended');
  h.run(1000);
  t.is(h.ev.named('acd.announce').length, ANNOUNCE_NUM);
  t.is(h.ev.named('acd.defended').length, 1);
  t.is(h.sent.length, PROBE_NUM + ANNOUNCE_NUM + 1);
  t.is(m.state, 'bound');
});

test('arp_probed: a new attempt forgets the defence time of the previous one', (t) => {
  const h = harness();
  const m = machine(h);
  bindIt(h, m);
  t.is(m.input(peerFrame({ spa: ADDR, tpa: ADDR })), 'defended');
  m.stop();
  m.start();
  t.is(m.lastDefence, undefined);
  while (!m.usable) h.run(h.timers.nextDeadline()!);
  const since = h.clock.now() - h.ev.named('acd.defended')[0]!.t;
  t.true(since < DEFEND_INTERVAL, `rebound ${since} s after the defence`);
  t.is(m.input(peerFrame({ spa: ADDR, tpa: ADDR })), 'defended');
});

test('RFC 5227 2.4: a probe for our bound address is not a conflict (the kernel answers it)', (t) => {
  const h = harness();
  const m = machine(h);
  bindIt(h, m);
  t.is(m.input(peerFrame({ spa: 0, tpa: ADDR })), 'unrelated');
  t.is(m.state, 'bound');
  t.is(h.conflicts.length, 0);
});

test('RFC 5227 2.1.1: after MAX_CONFLICTS, probes rate limited to one per 60 s', (t) => {
  const h = harness();
  const sentAt: number[] = [];
  const mgr = new AcdManager({
    iface: 'eth0', mac: US, clock: h.clock, timers: h.timers, random: new Random(3), events: h.ev,
    send: (f) => { const d = decode(h.clock.now(), f); if (d.spa === 0) sentAt.push(d.t); },
  });
  // One attempt a turn on a fresh address; someone answers each one's first probe at once.
  const firstProbes: number[] = [];
  const limitedAt: boolean[] = [];
  for (let k = 0; k < MAX_CONFLICTS + 3; k++) {
    const a = ip(`10.0.1.${k + 1}`);
    limitedAt.push(mgr.counter.rateLimited());
    const m = mgr.start(a);
    const n = sentAt.length;
    while (sentAt.length === n) h.run(h.timers.nextDeadline()!);
    firstProbes.push(sentAt[n]!);
    t.is(m.firstProbeAt, sentAt[n]);
    t.is(mgr.input(peerFrame({ op: ARPOP_REPLY, sha: PEER, spa: a, dst: US, tha: US, tpa: 0 })), 'conflict');
  }
  t.is(mgr.counter.conflicts, MAX_CONFLICTS + 3);
  t.deepEqual(limitedAt.map((x, i) => [i, x]), limitedAt.map((_, i) => [i, i >= MAX_CONFLICTS]));
  for (let k = 1; k < firstProbes.length; k++) {
    const gap = firstProbes[k]! - firstProbes[k - 1]!;
    if (k < MAX_CONFLICTS) t.true(gap <= PROBE_WAIT, `attempt ${k} not limited (gap ${gap})`);
    else t.true(gap >= RATE_LIMIT_INTERVAL - EPS && gap <= RATE_LIMIT_INTERVAL + PROBE_WAIT, `attempt ${k} limited (gap ${gap})`);
  }
  // Two addresses started together while limited get slots 60 s apart.
  const last = firstProbes[firstProbes.length - 1]!;
  const x = mgr.start(ip('10.0.2.1'));
  const y = mgr.start(ip('10.0.2.2'));
  t.true(x.firstProbeAt! >= last + RATE_LIMIT_INTERVAL - EPS);
  t.true(y.firstProbeAt! >= x.firstProbeAt! + RATE_LIMIT_INTERVAL - EPS);
  t.is(x.state, 'probing');
  h.run(x.firstProbeAt! - 0.001);
  t.is(x.probes, 0, 'no probe before its slot');
});

test('RFC 5227 2.1.1: below MAX_CONFLICTS a new attempt is not delayed', (t) => {
  const h = harness();
  const counter = new AcdConflictCounter();
  counter.conflicts = MAX_CONFLICTS - 1;
  counter.lastProbeAt = 0;
  const m = machine(h, { counter });
  m.start();
  t.true(m.firstProbeAt! <= PROBE_WAIT);
  counter.conflicts = MAX_CONFLICTS;
  const m2 = machine(h, { counter, ip: ADDR2 });
  m2.start();
  t.true(m2.firstProbeAt! >= m.firstProbeAt! + RATE_LIMIT_INTERVAL - EPS);
  counter.reset();
  const m3 = machine(h, { counter, ip: ip('10.0.0.9') });
  m3.start();
  t.true(m3.firstProbeAt! <= PROBE_WAIT, 'reset lifts the limit');
});

test('determinism: same seed -> same timings, another seed -> other timings', (t) => {
  const runOnce = (seed: number): number[] => {
    const h = harness();
    machine(h, { seed }).start();
    h.run(1000);
    return h.sent.map((f) => f.t);
  };
  t.deepEqual(runOnce(42), runOnce(42));
  t.notDeepEqual(runOnce(42), runOnce(43));
});

test('arp_probe1 property: first probe within [0, PROBE_WAIT], spacing within [PROBE_MIN, PROBE_MAX], then the RFC waits', (t) => {
  fc.assert(fc.property(fc.integer(), fc.integer({ min: 0, max: 1_000_000 }).map((k) => k / 1000), (seed, start) => {
    const h = harness(start);
    machine(h, { seed }).start();
    h.run(start + 100);
    const times = h.sent.map((f) => f.t);
    if (times.length !== PROBE_NUM + ANNOUNCE_NUM) return false;
    if (!(times[0]! - start >= 0 && times[0]! - start <= PROBE_WAIT)) return false;
    for (let i = 1; i < PROBE_NUM; i++) {
      const gap = times[i]! - times[i - 1]!;
      if (!(gap >= PROBE_MIN - EPS && gap <= PROBE_MAX + EPS)) return false;
    }
    const bound = times[PROBE_NUM]! - times[PROBE_NUM - 1]!;
    const ann = times[PROBE_NUM + 1]! - times[PROBE_NUM]!;
    return Math.abs(bound - ANNOUNCE_WAIT) < EPS && Math.abs(ann - ANNOUNCE_INTERVAL) < EPS;
  }), { numRuns: 300 });
  t.pass();
});

test('AcdManager: routes by sender IP and probe target; remove() stops a machine silently', (t) => {
  const h = harness();
  const sent: Decoded[] = [];
  const mgr = new AcdManager({
    iface: 'eth0', mac: US, clock: h.clock, timers: h.timers, random: new Random(9), events: h.ev, cpu: 2,
    send: (f) => sent.push(decode(h.clock.now(), f)), ...callbacks(h),
  });
  const a = mgr.start(ADDR);
  const b = mgr.start(ADDR2);
  t.is(mgr.add(ADDR), a, 'add returns the existing machine');
  t.is(mgr.size, 2);
  t.false(mgr.usable(ADDR));
  t.true(mgr.usable(PEER_IP), 'an address ACD does not watch is usable');
  t.is(mgr.input(peerFrame({ spa: 0, tpa: ADDR2 })), 'conflict');
  t.is(b.state, 'conflicted');
  t.is(a.state, 'probing');
  t.is(mgr.input(peerFrame({ spa: PEER_IP, tpa: ADDR })), 'unrelated');
  t.is(mgr.input(peerFrame({ sha: US, spa: ADDR, tpa: ADDR })), 'own');
  t.like(mgr.stateCounts(), { probing: 1, conflicted: 1, bound: 0 });
  h.run(PROBE_WAIT + PROBE_MIN);
  const n = sent.length;
  t.true(n >= 1);
  t.true(mgr.remove(ADDR));
  t.false(mgr.remove(ADDR));
  t.is(a.state, 'stopped');
  t.is(h.timers.size, 0);
  h.run(1000);
  t.is(sent.length, n, 'nothing sent after remove');
  t.is(mgr.input(peerFrame({ spa: ADDR, tpa: ADDR })), 'unrelated');
  t.true(mgr.usable(ADDR));
  t.deepEqual(h.calls, ['conflict 10.0.0.7 abandoned']);
  t.true(h.ev.events.every((e) => e.cpu === 2));
  // A new attempt on the conflicted machine.
  t.is(mgr.start(ADDR2), b);
  t.is(b.state, 'probing');
  h.run(2000);
  t.is(b.state, 'bound');
  t.deepEqual(b.info(), {
    iface: 'eth0', ip: '10.0.0.7', state: 'bound', usable: true, probes: PROBE_NUM, announcements: ANNOUNCE_NUM,
    firstProbeAt: b.firstProbeAt!, lastDefence: null,
  });
  mgr.clear();
  t.is(mgr.size, 0);
  t.is(b.state, 'stopped');
});

test('per-machine callbacks replace the manager ones', (t) => {
  const h = harness();
  const got: string[] = [];
  const mgr = new AcdManager({
    iface: 'eth0', mac: US, clock: h.clock, timers: h.timers, random: new Random(1), send: () => {},
    onBound: () => got.push('manager'),
  });
  mgr.start(ADDR, { onBound: (a) => got.push(`own ${formatIpv4(a)}`) });
  mgr.start(ADDR2);
  h.run(100);
  t.deepEqual(got.sort(), ['manager', 'own 10.0.0.1']);
});

test('start: EBUSY while running; a finished machine starts a new attempt', (t) => {
  const h = harness();
  const m = machine(h);
  m.start();
  t.throws(() => m.start(), { code: 'EBUSY' });
  m.input(peerFrame({ spa: ADDR, tpa: ADDR }));
  t.is(m.state, 'conflicted');
  h.clock.advance(5);
  m.start();
  t.is(m.state, 'probing');
  t.is(m.probes, 0);
  h.run(1000);
  t.is(m.state, 'bound');
  m.stop();
  t.is(m.state, 'stopped');
  t.false(m.usable);
  m.start();
  t.is(m.state, 'probing');
});

test('constructor: bad address, group MAC or timing -> EINVAL', (t) => {
  const h = harness();
  const base = { iface: 'eth0', clock: h.clock, timers: h.timers, random: new Random(1), send: () => {} };
  t.throws(() => new AcdMachine({ ...base, mac: US, ip: 0 }), { code: 'EINVAL' });
  t.throws(() => new AcdMachine({ ...base, mac: MAC_BROADCAST, ip: ADDR }), { code: 'EINVAL' });
  t.throws(() => new AcdMachine({ ...base, mac: mac('01:00:5e:00:00:01'), ip: ADDR }), { code: 'EINVAL' });
  t.throws(() => new AcdMachine({ ...base, mac: US, ip: ADDR, timing: { probeMin: 3 } }), { code: 'EINVAL', message: /probeMin/ });
  t.throws(() => new AcdManager({ ...base, mac: US, timing: { probeNum: 0 } }), { code: 'EINVAL', message: /probeNum/ });
  t.throws(() => acdTiming({ defendInterval: Number.NaN }), { code: 'EINVAL', message: /defendInterval/ });
  t.is(acdTiming({ probeNum: 5 }).probeNum, 5);
});

test('timing override: a shorter schedule is followed exactly', (t) => {
  const h = harness();
  const m = new AcdMachine({
    iface: 'eth0', mac: US, ip: ADDR, clock: h.clock, timers: h.timers, random: new Random(5),
    timing: { probeWait: 0, probeNum: 1, announceWait: 0.5, announceNum: 3, announceInterval: 0.25 },
    send: (f) => h.sent.push(decode(h.clock.now(), f)),
  });
  m.start();
  h.run(100);
  t.deepEqual(h.sent.map((f) => [f.t, f.spa]), [[0, 0], [0.5, ADDR], [0.75, ADDR], [1, ADDR]]);
});

test('arp_probed: onBound may stop the machine (no announcements then)', (t) => {
  const h = harness();
  const m: AcdMachine = new AcdMachine({
    iface: 'eth0', mac: US, ip: ADDR, clock: h.clock, timers: h.timers, random: new Random(1),
    send: (f) => h.sent.push(decode(h.clock.now(), f)),
    onBound: () => m.stop(),
  });
  m.start();
  h.run(100);
  t.is(h.sent.length, PROBE_NUM);
  t.is(m.state, 'stopped');
  t.is(h.timers.size, 0);
});

test('arp_probe1: a conflict looped back from inside send() leaves no timer behind', (t) => {
  const h = harness();
  // A hostile peer answering every probe before send() even returns.
  const m: AcdMachine = new AcdMachine({
    iface: 'eth0', mac: US, ip: ADDR, clock: h.clock, timers: h.timers, random: new Random(1),
    send: (f) => { h.sent.push(decode(h.clock.now(), f)); m.input(peerFrame({ op: ARPOP_REPLY, spa: ADDR, tpa: 0 })); },
  });
  m.start();
  h.run(100);
  t.is(h.sent.length, 1);
  t.is(m.state, 'conflicted');
  t.is(h.timers.size, 0);
});

test('buildArpProbe / buildArpAnnounce: RFC 5227 2.1.1 and 2.3 layouts', (t) => {
  const b = new Uint8Array(42);
  t.is(buildArpProbe(b, US, ADDR), 42);
  t.deepEqual([...b], [
    255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 1, 1, 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1,
  ]);
  t.is(buildArpAnnounce(b, US, ADDR), 42);
  t.deepEqual([...b.subarray(14)], [0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 1, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
});

test('RFC 5227 2.1.1 on a segment: of two hosts probing one address, the one that hears the other first backs off', (t) => {
  const h = harness();
  const seg = new Segment({ clock: h.clock, timers: h.timers });
  const A = mac('02:00:00:00:0a:01');
  const B = mac('02:00:00:00:0b:01');
  const pa = seg.attach('a', A);
  const pb = seg.attach('b', B);
  const evA = new CollectingSink();
  const evB = new CollectingSink();
  const ma = new AcdManager({ iface: 'a0', mac: A, clock: h.clock, timers: h.timers, random: new Random(11), events: evA, send: (f) => pa.send(f) });
  const mb = new AcdManager({ iface: 'b0', mac: B, clock: h.clock, timers: h.timers, random: new Random(12), events: evB, send: (f) => pb.send(f) });
  pa.onReceive((f) => { ma.input(f); });
  pb.onReceive((f) => { mb.input(f); });
  const xa = ma.start(ADDR);
  const xb = mb.start(ADDR);
  h.run(100);
  const [first, second, evFirst, evSecond, macFirst] = xa.firstProbeAt! < xb.firstProbeAt!
    ? [xa, xb, evA, evB, A] as const : [xb, xa, evB, evA, B] as const;
  t.is(first.state, 'bound');
  t.is(second.state, 'conflicted');
  t.is(evSecond.named('acd.probe').length, 0, 'it heard the first probe during its PROBE_WAIT');
  t.like(evSecond.named('acd.conflict')[0]!, { sha: formatMac(macFirst), src: formatMac(macFirst), kind: 'simultaneous_probe' });
  t.is(evFirst.named('acd.conflict').length, 0);
  // Now the loser claims the address anyway (a misconfigured host): the winner defends, then gives up.
  h.run(200);
  const loserPort = second === xb ? pb : pa;
  const loserMac = second === xb ? B : A;
  const claim = new Uint8Array(42);
  buildArpAnnounce(claim, loserMac, ADDR);
  loserPort.send(claim);
  h.run(201);
  t.is(first.state, 'defending');
  loserPort.send(claim);
  h.run(202);
  t.is(first.state, 'given_up');
  t.deepEqual(evFirst.names().slice(-4), ['acd.conflict', 'acd.defended', 'acd.conflict', 'acd.defence_failed']);
});
