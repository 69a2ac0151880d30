import test from 'ava';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EVENT_NAMES, isEventName, makeEvent, formatEventLine, eventClass,
  CollectingSink, JsonLinesSink, JsonLinesFileSink, TeeSink, nullSink,
  type ArpemuEvent,
} from '../../src/util/events.js';

// The list of ../shared/CONTRACT.md "Events".
const CONTRACT_NAMES = [
  'arp.request_sent', 'arp.reply_sent', 'arp.learned', 'arp.moved', 'arp.permanent_modify',
  'arp.wrong_iface', 'arp.dupip', 'arp.bcast_lladdr', 'arp.expired', 'arp.reject',
  'arp.held_sent', 'arp.held_dropped', 'arp.drop', 'acd.probe', 'acd.announce',
  'acd.conflict', 'acd.defended', 'acd.defence_failed', 'acd.bound', 'inet.addr_added',
  'inet.addr_deleted', 'cpu.restarted', 'cpu.resynced',
];

test('EVENT_NAMES is exactly the contract list', (t) => {
  t.deepEqual([...EVENT_NAMES].sort(), [...CONTRACT_NAMES].sort());
  t.is(new Set(EVENT_NAMES).size, EVENT_NAMES.length);
  for (const n of CONTRACT_NAMES) t.true(isEventName(n));
  t.false(isEventName('arp.nope'));
});

test('JSON line: t, cpu, event first, then fields in order, one object', (t) => {
  const ev = makeEvent('arp.moved', 12.5, 0, { ip: '10.0.0.2', from: '02:00:00:00:00:02', to: '02:00:00:00:00:03', iface: 'vemu0' });
  t.is(formatEventLine(ev),
    '{"t":12.5,"cpu":0,"event":"arp.moved","ip":"10.0.0.2","from":"02:00:00:00:00:02","to":"02:00:00:00:00:03","iface":"vemu0"}');
});

test('JSON line: header first even when the object was built in another order; undefined left out, null kept', (t) => {
  const ev = { iface: 'vemu0', event: 'arp.expired', ip: '10.0.0.9', mac: null, cpu: 3, t: 0, extra: undefined } as unknown as ArpemuEvent;
  t.is(formatEventLine(ev), '{"t":0,"cpu":3,"event":"arp.expired","iface":"vemu0","ip":"10.0.0.9","mac":null}');
  const nan = makeEvent('arp.reject', Number.NaN, 1, { ip: '10.0.0.1', iface: 'e0', down: Infinity });
  t.is(formatEventLine(nan), '{"t":null,"cpu":1,"event":"arp.reject","ip":"10.0.0.1","iface":"e0","down":null}');
});

test('JsonLinesSink: one line per event, newline-terminated, each parses back', (t) => {
  const chunks: string[] = [];
  const sink = new JsonLinesSink({ write: (s: string) => chunks.push(s) });
  sink.emit(makeEvent('inet.addr_added', 1, 0, { iface: 'vemu0', addr: '10.0.0.1', mask: '255.255.255.0', broadcast: '10.0.0.255' }));
  sink.emit(makeEvent('arp.drop', 1.25, 0, { reason: 'runt' }));
  const text = chunks.join('');
  t.is(text,
    '{"t":1,"cpu":0,"event":"inet.addr_added","iface":"vemu0","addr":"10.0.0.1","mask":"255.255.255.0","broadcast":"10.0.0.255"}\n' +
    '{"t":1.25,"cpu":0,"event":"arp.drop","reason":"runt"}\n');
  t.deepEqual(text.trimEnd().split('\n').map((l) => JSON.parse(l).event), ['inet.addr_added', 'arp.drop']);
});

test('property: any field text gives one line that parses back to the event', (t) => {
  fc.assert(fc.property(
    fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1, max: 255 }), fc.string(), fc.string({ unit: 'grapheme' }),
    // (integer-like keys are left out: JS orders them first in any object)
    fc.dictionary(fc.string().filter((k) => !['t', 'cpu', 'event', 'reason', 'iface', '__proto__'].includes(k) && !/^(0|[1-9]\d*)$/.test(k)), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))),
    (tm, cpu, reason, iface, extra) => {
      const ev = makeEvent('arp.drop', tm, cpu, { ...extra, reason, iface });
      const line = formatEventLine(ev);
      if (line.includes('\n')) return false;
      const back = JSON.parse(line) as Record<string, unknown>;
      const keys = Object.keys(back);
      return keys[0] === 't' && keys[1] === 'cpu' && keys[2] === 'event' &&
        JSON.stringify(back) === JSON.stringify({ t: Object.is(tm, -0) ? 0 : tm, cpu, event: 'arp.drop', ...extra, reason, iface });
    }));
  t.pass();
});

test('JsonLinesFileSink writes the file; close() flushes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arpemu-ev-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.jsonl');
  const sink = new JsonLinesFileSink(path);
  sink.emit(makeEvent('cpu.restarted', 3, 1, { reason: 'exit 1' }));
  sink.emit(makeEvent('cpu.resynced', 3.5, 1, { from: 0 }));
  await sink.close();
  t.is(readFileSync(path, 'utf8'),
    '{"t":3,"cpu":1,"event":"cpu.restarted","reason":"exit 1"}\n{"t":3.5,"cpu":1,"event":"cpu.resynced","from":0}\n');
  const again = new JsonLinesFileSink(path, { append: true });
  again.emit(makeEvent('acd.bound', 4, 0, { iface: 'e0', ip: '10.0.0.1' }));
  await again.close();
  t.is(readFileSync(path, 'utf8').split('\n').length, 4);
});

test('JsonLinesFileSink on a missing directory: close() rejects, nothing crashes', async (t) => {
  const sink = new JsonLinesFileSink('/nonexistent-arpemu-dir/x/events.jsonl');
  sink.emit(makeEvent('acd.bound', 0, 0, { iface: 'e0', ip: '10.0.0.1' }));
  const e = await t.throwsAsync(sink.close());
  t.is((e as NodeJS.ErrnoException).code, 'ENOENT');
});

test('CollectingSink, TeeSink and nullSink', (t) => {
  const a = new CollectingSink();
  const b = new CollectingSink();
  const tee = new TeeSink(a, nullSink, b);
  tee.emit(makeEvent('arp.learned', 1, 0, { ip: '10.0.0.2', mac: '02:00:00:00:00:02', iface: 'e0' }));
  tee.emit(makeEvent('arp.dupip', 2, 0, { ip: '10.0.0.1', mac: '02:00:00:00:00:09', iface: 'e0' }));
  tee.emit(makeEvent('arp.learned', 3, 0, { ip: '10.0.0.3', mac: '02:00:00:00:00:03', iface: 'e0' }));
  t.deepEqual(a.names(), ['arp.learned', 'arp.dupip', 'arp.learned']);
  t.deepEqual(a.named('arp.learned').map((e) => e.ip), ['10.0.0.2', '10.0.0.3']);
  t.deepEqual(b.events, a.events);
  a.clear();
  t.is(a.events.length, 0);
});

test('eventClass: remote-triggered diagnostics are log, per-frame activity trace, the rest state', (t) => {
  const log = EVENT_NAMES.filter((n) => eventClass(n) === 'log');
  t.deepEqual(log.sort(), ['arp.bcast_lladdr', 'arp.drop', 'arp.dupip', 'arp.moved', 'arp.permanent_modify', 'arp.wrong_iface']);
  t.is(eventClass('arp.reply_sent'), 'trace');
  t.is(eventClass('arp.expired'), 'trace');
  t.is(eventClass('acd.conflict'), 'state');
  t.is(eventClass('inet.addr_added'), 'state');
  t.is(eventClass('cpu.restarted'), 'state');
});

test('types: declared fields are required, extra flat fields allowed', (t) => {
  const build = (): void => {
    // @ts-expect-error arp.moved needs from and to
    makeEvent('arp.moved', 0, 0, { ip: '10.0.0.1', iface: 'e0' });
    // @ts-expect-error fields are flat scalars
    makeEvent('arp.drop', 0, 0, { reason: 'runt', nested: { a: 1 } });
    makeEvent('arp.drop', 0, 0, { reason: 'runt', iface: 'e0', len: 12 });
  };
  t.is(typeof build, 'function');
});
