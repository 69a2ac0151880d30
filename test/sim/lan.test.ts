import test from 'ava';
import { Random } from '../../src/util/random.js';
import { broadcastNoise, hostsToEmulator } from '../../src/sim/traffic.js';
import { HOST_IP, IP, MAC, lan } from './helpers.js';

/**
 * A small scripted LAN: 30 hosts with seeded Randoms, Poisson noise among
 * them, hosts asking a stand-in for the emulator, and a timeline of scripted
 * behaviours. Returns the frame trace (time + tcpdump-like line) and totals.
 */
function scenario(seed: number) {
  const w = lan({ hosts: 30, seed, random: true, latency: 0.0005 });
  const emu = w.add(254);
  const ctx = { timers: w.timers, random: new Random(seed) };
  const at = (t: number, fn: () => void): void => { w.timers.at(t, fn); };
  for (const h of w.hosts) at(0, () => h.boot());
  const others = w.hosts.filter((h) => h !== emu);
  broadcastNoise(ctx, { hosts: others, rate: 40, spacing: 'poisson', duration: 20, hostMix: { kind: 'zipf', s: 1 }, mode: 'datagram' }).start();
  hostsToEmulator(ctx, { hosts: others, targets: [HOST_IP(254)], rate: 10, spacing: 'poisson', duration: 20 }).start();
  at(3, () => w.h(5).moveTo(MAC(0x505)));
  at(5, () => w.h(7).goSilent());
  at(12, () => w.h(7).comeBack());
  at(6, () => w.h(9).claim(HOST_IP(10)));
  at(8, () => { w.add(40, [], { random: w.rng.fork() }).probe(IP('10.0.0.41')); });
  at(10, () => { w.h(11).flood({ rate: 200, targets: others.map((h) => h.addresses[0]!), duration: 1, spacing: 'poisson', order: 'random' }); });
  let maxTimers = 0;
  for (let t = 0; t <= 25; t += 0.25) { w.runTo(t); maxTimers = Math.max(maxTimers, w.timers.size); }
  return {
    trace: w.frames.map((f) => `${f.t.toFixed(6)} ${f.line}`),
    counters: w.hosts.map((h) => h.counters()),
    events: w.events.map((e) => `${e.t.toFixed(6)} ${e.host} ${e.kind}`),
    maxTimers,
    w,
  };
}

test('lan: same seed gives an identical frame trace, counters and events; another seed differs', (t) => {
  const a = scenario(1234);
  const b = scenario(1234);
  t.true(a.trace.length > 1000, `${a.trace.length} frames`);
  t.log(`${a.trace.length} frames, ${a.events.length} host events`);
  t.deepEqual(b.trace, a.trace);
  t.deepEqual(b.counters, a.counters);
  t.deepEqual(b.events, a.events);
  const c = scenario(1235);
  t.notDeepEqual(c.trace, a.trace);
});

test('lan: the scripted timeline shows up as host events (moved, conflict, resolve failures, probe)', (t) => {
  const { w } = scenario(99);
  const kinds = new Set(w.events.map((e) => e.kind));
  for (const k of ['booted', 'learned', 'resolved', 'resolve_failed', 'moved', 'mac_changed', 'silent', 'back', 'claimed', 'conflict'] as const) {
    t.true(kinds.has(k), `no ${k} event`);
  }
  // The claimed address's owner (h10) counted the conflict.
  t.true(w.h(10).counters().conflicts >= 1);
  // The probe for a free address ended bound.
  t.deepEqual(w.ofKind('probe_bound').map((e) => [e.host, e.ip]), [['h40', IP('10.0.0.41')]]);
  // Hosts that had learned h5 before it moved saw the move.
  t.true(w.ofKind('moved').some((e) => e.ip === HOST_IP(5) && e.to === MAC(0x505)));
  // The flood happened: ~200 requests from h11 in one second.
  const flood = w.h(11).counters().txFlood;
  t.true(flood > 150 && flood < 250, `${flood}`);
});

test('lan: a 30-host LAN with generators keeps only a handful of timers pending', (t) => {
  const { maxTimers } = scenario(7);
  // Two generators, one flood, the segment's delivery timer, a probe, and per-host resolutions in progress.
  t.log(`max pending timers ${maxTimers}`);
  t.true(maxTimers < 20, `max pending timers ${maxTimers}`);
});
