import test from 'ava';
import { VirtualClock } from '../../src/util/clock.js';
import { Random } from '../../src/util/random.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { formatIpv4, type Ipv4 } from '../../src/wire/addr.js';
import { ZipfSampler } from '../../src/sim/zipf.js';
import { Arrivals } from '../../src/sim/arrivals.js';
import {
  Picker, broadcastNoise, createTraffic, emulatorTraffic, hostsToEmulator, publishedTargets,
  type TrafficContext,
} from '../../src/sim/traffic.js';
import { HOST_IP, IP, lan } from './helpers.js';

function world(seed = 1) {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const ctx: TrafficContext = { timers, random: new Random(seed) };
  return { clock, timers, ctx, runTo: (t: number) => runVirtualUntil(clock, timers, t) };
}

const DESTS: Ipv4[] = Array.from({ length: 50 }, (_, i) => IP(`10.1.0.${i + 1}`));

function chiSquare(counts: number[], probs: number[], total: number): number {
  let x2 = 0;
  for (let i = 0; i < counts.length; i++) x2 += (counts[i]! - probs[i]! * total) ** 2 / (probs[i]! * total);
  return x2;
}
const bound = (df: number): number => df + 5 * Math.sqrt(2 * df);

test('traffic emulator-send: constant spacing calls send at start + i/rate until the duration ends', (t) => {
  const w = world();
  const calls: Array<[number, number, Ipv4]> = [];
  const g = emulatorTraffic(w.ctx, { rate: 10, start: 5, duration: 1, destinations: DESTS, send: (dst, i, time) => calls.push([i, time, dst]) });
  let ended = 0;
  g.start(() => ended++);
  g.start(); // idempotent
  t.is(g.nextAt, 5);
  w.runTo(100);
  t.deepEqual(calls.map((c) => c[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(calls.map((c) => c[1]), [5, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9]);
  t.is(w.clock.now(), 100);
  t.true(g.done);
  t.is(ended, 1);
  t.is(g.fired, 10);
  t.is(g.acted, 10);
  t.true(calls.every((c) => DESTS.includes(c[2])));
});

test('traffic emulator-send: uniform destinations are drawn evenly (chi-square)', (t) => {
  const w = world(3);
  const counts = new Array<number>(DESTS.length).fill(0);
  const index = new Map(DESTS.map((d, i) => [d, i]));
  emulatorTraffic(w.ctx, { rate: 1000, count: 50_000, destinations: DESTS, send: (d) => { counts[index.get(d)!]!++; } }).start();
  w.runTo(Infinity);
  const x2 = chiSquare(counts, counts.map(() => 1 / DESTS.length), 50_000);
  t.true(x2 < bound(DESTS.length - 1), `chi-square ${x2.toFixed(1)}`);
});

test('traffic emulator-send: Zipf destinations follow 1/k^s in list order (chi-square), and fail against another exponent', (t) => {
  const w = world(4);
  const counts = new Array<number>(DESTS.length).fill(0);
  const index = new Map(DESTS.map((d, i) => [d, i]));
  const total = 100_000;
  emulatorTraffic(w.ctx, { rate: 1000, count: total, destinations: DESTS, mix: { kind: 'zipf', s: 1.2 }, send: (d) => { counts[index.get(d)!]!++; } }).start();
  w.runTo(Infinity);
  const z = new ZipfSampler(DESTS.length, 1.2);
  const probs = DESTS.map((_, k) => z.probability(k));
  const x2 = chiSquare(counts, probs, total);
  t.true(x2 < bound(DESTS.length - 1), `chi-square ${x2.toFixed(1)}`);
  const other = new ZipfSampler(DESTS.length, 0.9);
  t.true(chiSquare(counts, DESTS.map((_, k) => other.probability(k)), total) > bound(DESTS.length - 1));
});

test('traffic: a shuffled Zipf mix keeps the distribution but not the list order', (t) => {
  const r = new Random(8);
  const p = new Picker(DESTS, { kind: 'zipf', s: 1.5, shuffle: true }, r);
  t.notDeepEqual([...p.items], DESTS);
  t.deepEqual([...p.items].sort((a, b) => a - b), DESTS);
  const counts = new Map<Ipv4, number>();
  for (let i = 0; i < 20_000; i++) { const d = p.pick(r); counts.set(d, (counts.get(d) ?? 0) + 1); }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  t.is(top, p.items[0]);
  t.throws(() => new Picker(DESTS, { kind: 'zipf', s: 1, shuffle: true }), { message: /shuffle needs a random/ });
  t.throws(() => new Picker([], { kind: 'uniform' }), { message: /empty/ });
});

test('traffic: Poisson spacing gives rate * duration events within 4 sigma and exponential gaps (CV ~ 1)', (t) => {
  const w = world(11);
  const times: number[] = [];
  emulatorTraffic(w.ctx, { rate: 50, duration: 100, spacing: 'poisson', destinations: DESTS, send: (_d, _i, time) => times.push(time) }).start();
  w.runTo(200);
  const n = times.length;
  t.true(Math.abs(n - 5000) < 4 * Math.sqrt(5000), `${n} events`);
  t.true(times[0]! > 0, 'a Poisson process has no event at its start');
  t.true(times.at(-1)! < 100);
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  t.true(Math.abs(mean - 0.02) < 0.001, `mean gap ${mean}`);
  t.true(Math.abs(sd / mean - 1) < 0.05, `CV ${sd / mean}`);
});

test('traffic: generators schedule lazily, one pending timer each, whatever the count', (t) => {
  const w = world(5);
  let maxSize = 0, maxStored = 0;
  const watch = (): void => { maxSize = Math.max(maxSize, w.timers.size); maxStored = Math.max(maxStored, w.timers.stored); };
  const gens = [
    emulatorTraffic(w.ctx, { rate: 20_000, count: 100_000, destinations: DESTS, send: watch }),
    emulatorTraffic(w.ctx, { rate: 5_000, duration: 10, spacing: 'poisson', destinations: DESTS, mix: { kind: 'zipf', s: 1 }, send: watch }),
    emulatorTraffic(w.ctx, { rate: 1_000, duration: 10, destinations: DESTS, send: watch }),
  ];
  for (const g of gens) g.start();
  t.is(w.timers.size, 3);
  w.runTo(Infinity);
  t.is(gens[0]!.fired, 100_000);
  t.true(gens[1]!.fired > 45_000);
  t.is(gens[2]!.fired, 10_000);
  // Inside a callback its own timer has fired; the other two are pending.
  t.true(maxSize <= 2, `timers pending ${maxSize}`);
  t.true(maxStored <= 3, `timers stored ${maxStored}`);
  t.is(w.timers.size, 0);
});

test('traffic: same seed, same schedule; another seed, another; a generator created later does not disturb earlier ones', (t) => {
  const trace = (seed: number, extra: boolean): string[] => {
    const w = world(seed);
    const out: string[] = [];
    const a = emulatorTraffic(w.ctx, { rate: 100, duration: 5, spacing: 'poisson', destinations: DESTS, mix: { kind: 'zipf', s: 1 }, send: (d, _i, time) => out.push(`a ${time} ${formatIpv4(d)}`) });
    const b = emulatorTraffic(w.ctx, { rate: 30, duration: 5, destinations: DESTS, send: (d, _i, time) => out.push(`b ${time} ${formatIpv4(d)}`) });
    a.start(); b.start();
    if (extra) emulatorTraffic(w.ctx, { rate: 500, duration: 5, spacing: 'poisson', destinations: DESTS, send: () => { /* noise */ } }).start();
    w.runTo(10);
    return out;
  };
  const one = trace(77, false);
  t.true(one.length > 500);
  t.deepEqual(trace(77, false), one);
  t.deepEqual(trace(77, true), one);
  t.notDeepEqual(trace(78, false), one);
});

test('traffic: stop() ends a generator at once; count ends it on its own', (t) => {
  const w = world();
  let n = 0;
  const g = emulatorTraffic(w.ctx, { rate: 10, destinations: DESTS, send: () => n++ }).start();
  w.runTo(0.95);
  g.stop();
  w.runTo(10);
  t.is(n, 10);
  t.true(g.done);
  t.is(w.timers.size, 0);
  const a = new Arrivals(w.timers, { rate: 4, count: 3 }, () => n++).start();
  w.runTo(20);
  t.is(a.fired, 3);
  t.true(a.done);
  t.throws(() => new Arrivals(w.timers, { rate: 0 }, () => undefined), { message: /rate/ });
  t.throws(() => new Arrivals(w.timers, { rate: 1, spacing: 'poisson' }, () => undefined), { message: /seeded random/ });
  t.throws(() => new Arrivals(w.timers, { rate: 1, count: 1.5 }, () => undefined), { message: /count/ });
});

test('traffic host-requests: every event is a request for the emulator address, answered (arping mode)', (t) => {
  const w = lan({ hosts: 10 });
  const emu = w.add(254);
  const hosts = w.hosts.filter((h) => h !== emu);
  const g = hostsToEmulator({ timers: w.timers, random: new Random(1) }, { hosts, targets: [HOST_IP(254)], rate: 100, count: 300 }).start();
  w.run(10);
  t.is(g.fired, 300);
  t.is(g.acted, 300);
  const req = w.requests();
  t.is(req.length, 300);
  t.true(req.every((f) => f.arp!.tpa === HOST_IP(254)));
  t.is(emu.counters().txReplies, 300);
  t.is(new Set(req.map((f) => f.src)).size, 10, 'all ten hosts asked');
  t.is(g.kind, 'host-requests');
});

test('traffic host-requests: resolve mode asks only when not cached; datagram mode delivers every datagram', (t) => {
  const w = lan({ hosts: 10 });
  const emu = w.add(254);
  const hosts = w.hosts.filter((h) => h !== emu);
  const ctx = { timers: w.timers, random: new Random(2) };
  hostsToEmulator(ctx, { hosts, targets: [HOST_IP(254)], rate: 100, count: 200, mode: 'resolve' }).start();
  w.run(5);
  t.is(w.requests().length, 10, 'one resolution per host');
  hostsToEmulator(ctx, { hosts, targets: [HOST_IP(254)], rate: 100, count: 200, mode: 'datagram' }).start();
  w.run(5);
  t.is(emu.counters().rxDatagrams, 200);
  t.is(w.requests().length, 10);
});

test('traffic host-requests: events that pick a silent host are skipped, not sent', (t) => {
  const w = lan({ hosts: 10 });
  for (let i = 1; i <= 5; i++) w.h(i).goSilent();
  const g = hostsToEmulator({ timers: w.timers, random: new Random(3) }, { hosts: w.hosts, targets: [IP('10.0.0.254')], rate: 100, count: 2000 }).start();
  w.run(30);
  t.is(g.acted + g.skipped, 2000);
  t.true(Math.abs(g.skipped - 1000) < 150, `${g.skipped} skipped`);
  t.is(w.requests().length, g.acted);
});

test('traffic published: hosts ask for published addresses with the configured mix', (t) => {
  const w = lan({ hosts: 5 });
  const pub = [IP('10.0.0.200'), IP('10.0.0.201')];
  const g = publishedTargets({ timers: w.timers, random: new Random(4) }, { hosts: w.hosts, targets: pub, targetMix: { kind: 'zipf', s: 2 }, rate: 1000, count: 5000 }).start();
  w.run(10);
  t.is(g.kind, 'published');
  const req = w.requests();
  t.is(req.length, 5000);
  const first = req.filter((f) => f.arp!.tpa === pub[0]).length;
  // p(rank 0) = 1 / (1 + 1/4) = 0.8
  t.true(Math.abs(first / 5000 - 0.8) < 0.03, `share ${first / 5000}`);
});

test('traffic noise: hosts ask for each other, never for themselves; a Zipf host mix makes the first host the busiest', (t) => {
  const w = lan({ hosts: 20 });
  const g = broadcastNoise({ timers: w.timers, random: new Random(5) }, { hosts: w.hosts, hostMix: { kind: 'zipf', s: 1 }, rate: 200, duration: 20, spacing: 'poisson' }).start();
  w.run(30);
  const req = w.requests();
  t.is(req.length, g.acted);
  t.true(req.length > 3500);
  t.true(req.every((f) => f.arp!.spa !== f.arp!.tpa));
  const mine = new Set(w.hosts.map((h) => h.addresses[0]));
  t.true(req.every((f) => mine.has(f.arp!.tpa)));
  const bySender = new Map<Ipv4, number>();
  for (const f of req) bySender.set(f.arp!.spa, (bySender.get(f.arp!.spa) ?? 0) + 1);
  const busiest = [...bySender.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  t.is(busiest, HOST_IP(1));
  t.throws(() => broadcastNoise({ timers: w.timers, random: new Random(1) }, { hosts: [w.h(1)], rate: 1 }), { message: /two hosts/ });
});

test('traffic createTraffic: builds each kind from a spec and names what is missing', (t) => {
  const w = lan({ hosts: 3 });
  const ctx = { timers: w.timers, random: new Random(6) };
  const sent: Ipv4[] = [];
  const gens = [
    createTraffic(ctx, { kind: 'emulator-send', destinations: DESTS, rate: 10, count: 5 }, { send: (d) => sent.push(d) }),
    createTraffic(ctx, { kind: 'host-requests', targets: [IP('10.0.0.254')], rate: 10, count: 5 }, { hosts: w.hosts }),
    createTraffic(ctx, { kind: 'published', targets: [IP('10.0.0.200')], rate: 10, count: 5 }, { hosts: w.hosts }),
    createTraffic(ctx, { kind: 'noise', rate: 10, count: 5 }, { hosts: w.hosts }),
  ];
  t.deepEqual(gens.map((g) => g.kind), ['emulator-send', 'host-requests', 'published', 'noise']);
  t.is(w.timers.size, 0, 'built, not started');
  for (const g of gens) g.start();
  w.run(5);
  t.is(sent.length, 5);
  t.is(w.requests().length, 15);
  t.throws(() => createTraffic(ctx, { kind: 'emulator-send', destinations: DESTS, rate: 1 }, {}), { message: /send hook/ });
  t.throws(() => createTraffic(ctx, { kind: 'noise', rate: 1 }, {}), { message: /hosts/ });
  t.throws(() => createTraffic(ctx, { kind: 'host-requests', targets: [], rate: 1 }, { hosts: w.hosts }), { message: /targets/ });
});
