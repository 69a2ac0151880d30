import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/util/clock.js';
import { TimerQueue, runVirtualUntil, type TimerHandle } from '../../src/util/timers.js';

function setup(start = 0): { clock: VirtualClock; q: TimerQueue; log: string[] } {
  const clock = new VirtualClock(start);
  return { clock, q: new TimerQueue(clock), log: [] };
}

test('timers due at the same deadline fire in scheduling order', (t) => {
  const { clock, q, log } = setup();
  for (const name of ['a', 'b', 'c', 'd', 'e']) q.at(5, () => log.push(name));
  q.at(4, () => log.push('early'));
  q.after(5, () => log.push('f')); // also at 5, scheduled last
  clock.set(5);
  t.is(q.runDue(), 7);
  t.deepEqual(log, ['early', 'a', 'b', 'c', 'd', 'e', 'f']);
  t.is(q.size, 0);
});

test('runDue fires only what is due', (t) => {
  const { clock, q, log } = setup();
  q.at(1, () => log.push('1'));
  q.at(2, () => log.push('2'));
  t.is(q.runDue(), 0);
  clock.set(1.5);
  t.is(q.runDue(), 1);
  t.deepEqual(log, ['1']);
  t.is(q.nextDeadline(), 2);
  t.is(q.size, 1);
});

test('cancel: a cancelled timer never fires; cancelling twice, after firing, undefined or another queue\'s handle is harmless', (t) => {
  const { clock, q, log } = setup();
  const other = new TimerQueue(clock);
  const a = q.at(1, () => log.push('a'));
  const b = q.at(1, () => log.push('b'));
  const c = q.at(2, () => log.push('c'));
  const foreign = other.at(1, () => log.push('foreign'));
  q.cancel(a);
  q.cancel(a);
  q.cancel(undefined);
  q.cancel(foreign);
  t.is(q.size, 2);
  t.is(other.size, 1);
  clock.set(1);
  q.runDue();
  q.cancel(b); // already fired
  t.is(q.size, 1);
  q.cancel(c);
  t.is(q.size, 0);
  t.is(q.nextDeadline(), undefined);
  clock.set(3);
  q.runDue();
  other.runDue();
  t.deepEqual(log, ['b', 'foreign']);
});

test('nextDeadline skips cancelled timers', (t) => {
  const { q } = setup();
  const a = q.at(1, () => {});
  q.at(3, () => {});
  t.is(q.nextDeadline(), 1);
  q.cancel(a);
  t.is(q.nextDeadline(), 3);
});

test('callbacks scheduling more timers: due ones fire in the same runDue, later ones wait', (t) => {
  const { clock, q, log } = setup();
  q.at(1, () => {
    log.push('first');
    q.at(1, () => log.push('same-time'));
    q.at(0.5, () => log.push('past'));
    q.after(0, () => log.push('after0'));
    q.after(1, () => log.push('later'));
  });
  q.at(1, () => log.push('second'));
  clock.set(1);
  t.is(q.runDue(), 5);
  t.deepEqual(log, ['first', 'past', 'second', 'same-time', 'after0']);
  t.is(q.nextDeadline(), 2);
});

test('a callback cancelling a timer due in the same run stops it', (t) => {
  const { clock, q, log } = setup();
  let victim: TimerHandle | undefined;
  q.at(1, () => { log.push('killer'); q.cancel(victim); });
  victim = q.at(1, () => log.push('victim'));
  clock.set(1);
  q.runDue();
  t.deepEqual(log, ['killer']);
  t.is(q.size, 0);
});

test('a callback that throws: the error reaches the caller, the queue stays consistent', (t) => {
  const { clock, q, log } = setup();
  q.at(1, () => { throw new Error('boom'); });
  q.at(1, () => log.push('next'));
  clock.set(1);
  t.throws(() => q.runDue(), { message: 'boom' });
  t.is(q.size, 1);
  t.is(q.runDue(), 1);
  t.deepEqual(log, ['next']);
});

test('at(NaN) is refused (it would corrupt the heap order)', (t) => {
  const { q } = setup();
  t.throws(() => q.at(Number.NaN, () => {}), { instanceOf: RangeError });
  t.throws(() => q.after(Number.NaN, () => {}), { instanceOf: RangeError });
  t.is(q.size, 0);
});

test('runVirtualUntil fires each timer with the clock at its exact deadline, ends at until', (t) => {
  const { clock, q, log } = setup(10);
  for (const at of [12.25, 11, 19.5, 11, 30]) q.at(at, () => log.push(`${at}@${clock.now()}`));
  runVirtualUntil(clock, q, 20);
  t.deepEqual(log, ['11@11', '11@11', '12.25@12.25', '19.5@19.5']);
  t.is(clock.now(), 20);
  t.is(q.size, 1);
  t.is(q.nextDeadline(), 30);
});

test('runVirtualUntil: a periodic timer re-armed by its callback (arptimer style) fires at every period', (t) => {
  const { clock, q } = setup();
  const fired: number[] = [];
  const tick = (): void => { fired.push(clock.now()); q.after(300, tick); };
  q.after(300, tick);
  runVirtualUntil(clock, q, 1200);
  t.deepEqual(fired, [300, 600, 900, 1200]);
  t.is(clock.now(), 1200);
  t.is(q.nextDeadline(), 1500);
});

test('runVirtualUntil: timers in the past fire without moving the clock back; until in the past leaves the clock', (t) => {
  const { clock, q, log } = setup(5);
  q.at(2, () => log.push(`2@${clock.now()}`));
  runVirtualUntil(clock, q, 3);
  t.deepEqual(log, ['2@5']);
  t.is(clock.now(), 5);
});

test('runVirtualUntil(Infinity) drains the queue and leaves the clock at the last deadline', (t) => {
  const { clock, q, log } = setup();
  q.at(7, () => { log.push('7'); q.after(2, () => log.push('9')); });
  q.at(3, () => log.push('3'));
  runVirtualUntil(clock, q, Infinity);
  t.deepEqual(log, ['3', '7', '9']);
  t.is(clock.now(), 9);
  t.is(q.size, 0);
});

test('cancelled timers do not pile up: re-arming an entry timer many times keeps memory bounded', (t) => {
  const { clock, q } = setup();
  const live: TimerHandle[] = [];
  for (let i = 0; i < 100; i++) live.push(q.at(1000 + i, () => {}));
  // refresh each entry 100 times: cancel and re-arm further away
  for (let round = 1; round <= 100; round++) {
    for (let i = 0; i < live.length; i++) { q.cancel(live[i]); live[i] = q.at(1000 + round * 10 + i, () => {}); }
  }
  t.is(q.size, 100);
  t.true(q.stored <= 2 * 100 + 65, `stored ${q.stored}`);
  let n = 0;
  let last = -Infinity;
  while (q.nextDeadline() !== undefined) {
    const d = q.nextDeadline()!;
    t.true(d >= last);
    last = d;
    clock.set(d);
    n += q.runDue();
  }
  t.is(n, 100);
  t.is(last, 1000 + 100 * 10 + 99);
});

interface Op { at: number; cancel: boolean; spawn: number | null }

test('property: random schedules fire in (deadline, scheduling order), each at its exact time, cancelled ones never', (t) => {
  fc.assert(fc.property(
    fc.array(fc.record({
      at: fc.integer({ min: 0, max: 40 }).map((k) => k / 4),
      cancel: fc.boolean(),
      // a callback may schedule a further timer `spawn` seconds after its own deadline
      spawn: fc.option(fc.integer({ min: 0, max: 8 }).map((k) => k / 4)),
    }), { maxLength: 120 }),
    fc.integer({ min: 0, max: 50 }).map((k) => k / 4),
    (ops: Op[], until) => {
      const clock = new VirtualClock();
      const q = new TimerQueue(clock);
      const fired: { at: number; seq: number; now: number }[] = [];
      const expected: { at: number; seq: number }[] = [];
      let seq = 0;
      const schedule = (at: number, spawn: number | null): TimerHandle => {
        const mine = seq++;
        return q.at(at, () => {
          fired.push({ at, seq: mine, now: clock.now() });
          if (spawn !== null) schedule(at + spawn, null);
        });
      };
      const handles = ops.map((op) => schedule(op.at, op.spawn));
      ops.forEach((op, i) => { if (op.cancel) q.cancel(handles[i]); });
      runVirtualUntil(clock, q, until);

      // Reference: a naive simulation over a sorted list.
      let pending: { at: number; seq: number; spawn: number | null }[] = [];
      let rs = 0;
      ops.forEach((op) => { const s = rs++; if (!op.cancel) pending.push({ at: op.at, seq: s, spawn: op.spawn }); });
      for (;;) {
        pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = pending[0];
        if (next === undefined || next.at > until) break;
        pending = pending.slice(1);
        expected.push({ at: next.at, seq: next.seq });
        if (next.spawn !== null) pending.push({ at: next.at + next.spawn, seq: rs++, spawn: null });
      }
      return JSON.stringify(fired.map(({ at, seq: s }) => ({ at, seq: s }))) === JSON.stringify(expected) &&
        fired.every((f) => f.now === f.at) && clock.now() === until && q.size === pending.length;
    }));
  t.pass();
});
