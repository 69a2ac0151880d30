import test from 'ava';
import { VirtualClock, RealClock } from '../../src/util/clock.js';

test('VirtualClock: now() fractional, uptime() whole seconds (time_uptime)', (t) => {
  const c = new VirtualClock(10);
  t.is(c.now(), 10);
  c.advance(0.75);
  t.is(c.now(), 10.75);
  t.is(c.uptime(), 10);
  c.set(11);
  t.is(c.uptime(), 11);
  c.advance(0);
  t.is(c.now(), 11);
});

test('VirtualClock never goes backwards and refuses non-finite time', (t) => {
  const c = new VirtualClock(5);
  t.throws(() => c.set(4.999), { instanceOf: RangeError });
  t.throws(() => c.advance(-1), { instanceOf: RangeError });
  t.throws(() => c.advance(Number.NaN), { instanceOf: RangeError });
  t.throws(() => c.advance(Infinity), { instanceOf: RangeError });
  t.throws(() => c.set(Number.NaN), { instanceOf: RangeError });
  t.throws(() => c.set(Infinity), { instanceOf: RangeError });
  t.throws(() => new VirtualClock(Number.NaN), { instanceOf: RangeError });
  t.is(c.now(), 5);
  c.set(5);
  t.is(c.now(), 5);
});

test('VirtualClock starting at a pcap capture time keeps integer seconds exact', (t) => {
  const c = new VirtualClock(1700000000);
  c.advance(0.5);
  t.is(c.uptime(), 1700000000);
  c.advance(0.5);
  t.is(c.uptime(), 1700000001);
});

test('RealClock: starts near 0, monotonic, uptime is the floor of now', (t) => {
  const c = new RealClock();
  const a = c.now();
  t.true(a >= 0 && a < 1, `started at ${a}`);
  let prev = a;
  for (let i = 0; i < 1000; i++) {
    const n = c.now();
    t.true(n >= prev);
    prev = n;
  }
  const u = c.uptime();
  t.true(Number.isInteger(u) && u <= c.now());
});
