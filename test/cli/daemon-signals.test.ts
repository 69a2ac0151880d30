/**
 * arpemu daemon's signal wiring (superviseDaemon) with a stand-in daemon
 * and an EventEmitter for signals: the handlers are there before the
 * daemon starts, so a signal during the start (or right after `ready`) is
 * never the process's default action.
 */
import test from 'ava';
import { EventEmitter } from 'node:events';
import { superviseDaemon, type SignalSource, type Supervised } from '../../src/cli/daemon.js';

const quietLog = { info: () => {}, warn: () => {}, error: () => {}, flush: () => {} };

class FakeDaemon implements Supervised {
  reloads = 0;
  stops = 0;
  reload(): Promise<unknown> { this.reloads++; return Promise.resolve(); }
  stop(): Promise<void> { this.stops++; return Promise.resolve(); }
}

/** A start() the test finishes by hand. */
function gate(d: FakeDaemon): { start: () => Promise<Supervised>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const p = new Promise<Supervised>((resolve, reject) => { open = () => resolve(d); fail = reject; });
  return { start: () => p, open, fail };
}

const signalsOf = (em: EventEmitter): SignalSource => em as unknown as SignalSource;
const listeners = (em: EventEmitter): number => ['SIGTERM', 'SIGINT', 'SIGHUP'].reduce((n, s) => n + em.listenerCount(s), 0);

test('a SIGHUP while the daemon starts is handled (not fatal) and reloads once it is up', async (t) => {
  const em = new EventEmitter();
  const d = new FakeDaemon();
  const g = gate(d);
  const run = superviseDaemon(g.start, quietLog, signalsOf(em), () => t.fail('exit'));
  t.is(listeners(em), 3, 'every handler is in before start() resolves');
  em.emit('SIGHUP');
  em.emit('SIGHUP');
  t.is(d.reloads, 0, 'nothing to reload yet');
  g.open();
  await new Promise((r) => setImmediate(r));
  t.is(d.reloads, 1, 'one reload after the start, re-reading the config');
  em.emit('SIGHUP');
  t.is(d.reloads, 2);
  em.emit('SIGTERM');
  await run;
  t.is(d.stops, 1);
});

test('a SIGTERM while the daemon starts stops it once it is up; a second one exits at once', async (t) => {
  const em = new EventEmitter();
  const d = new FakeDaemon();
  const g = gate(d);
  const exits: number[] = [];
  const run = superviseDaemon(g.start, quietLog, signalsOf(em), (code) => { exits.push(code); });
  em.emit('SIGINT');
  em.emit('SIGHUP');
  g.open();
  await run;
  t.is(d.stops, 1);
  t.is(d.reloads, 0, 'no reload for a daemon that is stopping');
  em.emit('SIGTERM');
  t.deepEqual(exits, [1]);
});

test('a start that fails takes its signal handlers away and reports the failure', async (t) => {
  const em = new EventEmitter();
  const g = gate(new FakeDaemon());
  const run = superviseDaemon(g.start, quietLog, signalsOf(em), () => t.fail('exit'));
  g.fail(new Error('no such interface: eth9'));
  await t.throwsAsync(run, { message: 'no such interface: eth9' });
  t.is(listeners(em), 0);
});
