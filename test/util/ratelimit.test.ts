import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/util/clock.js';
import { RateLimiter, RateLimitedLog } from '../../src/util/ratelimit.js';
import { CollectingSink, makeEvent } from '../../src/util/events.js';
import { Sysctl } from '../../src/sysctl/index.js';

/** Check at each time of `times` (nondecreasing); the results as a 0/1 string. */
function run(max: number, times: number[]): { out: string; rl: RateLimiter } {
  const clock = new VirtualClock();
  const rl = new RateLimiter(clock, max);
  let out = '';
  for (const tm of times) { clock.set(tm); out += rl.check() ? '1' : '0'; }
  return { out, rl };
}

test('ppsratecheck: max 1, the window opens at the first line and lasts exactly one second', (t) => {
  const { out, rl } = run(1, [0, 0.5, 0.999, 1, 1.5, 2, 10.25, 11, 11.25]);
  // 0 opens [0,1); 0.5 and 0.999 inside: refused; 1 opens [1,2); 1.5 refused;
  // 2 opens [2,3); 10.25 opens [10.25,11.25); 11 refused; 11.25 opens a new one.
  t.is(out, '100101101');
  t.is(rl.passed, 5);
  t.is(rl.suppressed, 4);
});

test('ppsratecheck: a burst of 10 at max 3 lets exactly 3 through per window', (t) => {
  const times = [...Array(10).fill(5), ...Array(10).fill(5.75), ...Array(10).fill(6)];
  const { out, rl } = run(3, times);
  t.is(out, '1110000000' + '0000000000' + '1110000000');
  t.is(rl.passed, 6);
  t.is(rl.suppressed, 24);
});

test('ppsratecheck: max 0 lets nothing through, max -1 everything', (t) => {
  t.is(run(0, [0, 0.5, 1, 7]).out, '0000');
  t.is(run(-1, Array(50).fill(0)).out, '1'.repeat(50));
});

test('takeSuppressed returns the refusals since the last call', (t) => {
  const { rl } = run(1, [0, 0, 0, 0.5]);
  t.is(rl.takeSuppressed(), 3);
  t.is(rl.takeSuppressed(), 0);
  t.is(rl.suppressed, 3);
});

test('max_log_per_second read from the sysctl at each check', (t) => {
  const clock = new VirtualClock();
  const sysctl = new Sysctl();
  const rl = new RateLimiter(clock, () => sysctl.v.maxLogPerSecond);
  t.true(rl.check());
  t.false(rl.check());
  sysctl.set('net.link.ether.inet.max_log_per_second', 3);
  t.true(rl.check()); // third in the window, budget now 3
  t.false(rl.check());
  sysctl.set('net.link.ether.inet.max_log_per_second', -1);
  t.true(rl.check());
  sysctl.set('net.link.ether.inet.max_log_per_second', 0);
  clock.advance(5);
  t.false(rl.check());
});

test('property: passed + suppressed = checks; an isolated line always passes; at most 2*max pass in any one-second span', (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 5 }),
    fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 200 }),
    (max, ticks) => {
      const times = ticks.map((k) => k / 16).sort((a, b) => a - b); // exact binary fractions
      const { out, rl } = run(max, times);
      if (rl.passed + rl.suppressed !== times.length) return false;
      if (rl.passed !== [...out].filter((c) => c === '1').length) return false;
      for (let i = 0; i < times.length; i++) {
        const alone = i === 0 || times[i]! - times[i - 1]! >= 1;
        if (alone && out[i] !== '1') return false;
        let n = 0;
        for (let j = i; j < times.length && times[j]! < times[i]! + 1; j++) if (out[j] === '1') n++;
        if (n > 2 * max) return false;
      }
      return true;
    }));
  t.pass();
});

const moved = (tm: number) => makeEvent('arp.moved', tm, 0, { ip: '10.0.0.2', from: '02:00:00:00:00:02', to: '02:00:00:00:00:03', iface: 'e0' });
const reply = (tm: number) => makeEvent('arp.reply_sent', tm, 0, { iface: 'e0', spa: '10.0.0.1', sha: '02:00:00:00:00:01', tpa: '10.0.0.2', tha: '02:00:00:00:00:02' });

test('RateLimitedLog: log-class events limited, trace and state events pass; next passing log event says how many were dropped', (t) => {
  const clock = new VirtualClock();
  const sink = new CollectingSink();
  const log = new RateLimitedLog(sink, new RateLimiter(clock, 1));
  for (let i = 0; i < 4; i++) { log.emit(moved(0)); log.emit(reply(0)); }
  log.emit(makeEvent('arp.dupip', 0.5, 0, { ip: '10.0.0.1', mac: '02:00:00:00:00:09', iface: 'e0' }));
  log.emit(makeEvent('acd.conflict', 0.5, 0, { iface: 'e0', ip: '10.0.0.1', sha: '02:00:00:00:00:09', src: '02:00:00:00:00:09' }));
  clock.set(1);
  log.emit(moved(1));
  log.emit(moved(1));
  clock.set(2);
  log.emit(moved(2));
  t.deepEqual(sink.names(), [
    'arp.moved', 'arp.reply_sent', 'arp.reply_sent', 'arp.reply_sent', 'arp.reply_sent', 'acd.conflict', 'arp.moved', 'arp.moved',
  ]);
  t.is(sink.events[0]!['suppressed'], undefined);
  t.is(sink.events[6]!['suppressed'], 4, '3 moved + 1 dupip dropped before it');
  t.is(sink.events[7]!['suppressed'], 1);
  t.is(log.suppressed, 5);
  t.deepEqual([...log.dropped], [['arp.moved', 4], ['arp.dupip', 1]]);
});

test('RateLimitedLog: the passed-through event is a copy, the emitter\'s object is untouched', (t) => {
  const clock = new VirtualClock();
  const sink = new CollectingSink();
  const log = new RateLimitedLog(sink, new RateLimiter(clock, 1));
  log.emit(moved(0));
  log.emit(moved(0));
  clock.set(1);
  const ev = moved(1);
  log.emit(ev);
  t.false('suppressed' in ev);
  t.is(sink.events[1]!['suppressed'], 1);
});

test('RateLimitedLog: a custom predicate chooses the limited events', (t) => {
  const clock = new VirtualClock();
  const sink = new CollectingSink();
  const log = new RateLimitedLog(sink, new RateLimiter(clock, 1), { limited: (n) => n === 'arp.reply_sent' });
  log.emit(reply(0)); log.emit(reply(0)); log.emit(moved(0)); log.emit(moved(0));
  t.deepEqual(sink.names(), ['arp.reply_sent', 'arp.moved', 'arp.moved']);
});
