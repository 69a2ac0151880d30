import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeEvent, nullSink } from '../../src/util/events.js';
import { createDaemonLog, eventLevel, prettyDestination, prettyMessage } from '../../src/control/log.js';
import { parseConfigText } from '../../src/config/config.js';
import { LogCapture } from './helpers.js';

test('events are JSON lines with the contract fields; per-frame events only at debug', (t) => {
  const cap = new LogCapture();
  const log = createDaemonLog({ level: 'info', destination: cap });
  log.events.emit(makeEvent('arp.reply_sent', 1.5, 0, { iface: 'vemu0', spa: '10.0.0.1', sha: '02:00:00:00:01:01', tpa: '10.0.0.2', tha: '02:00:00:00:00:02' }));
  log.events.emit(makeEvent('acd.conflict', 2.25, -1, { iface: 'vemu0', ip: '10.0.0.1', sha: '02:00:00:00:00:02', src: '02:00:00:00:00:03' }));
  log.events.emit(makeEvent('inet.addr_added', 3, 0, { iface: 'vemu0', addr: '10.0.0.1', mask: '255.255.255.0' }));
  log.info('ready', { pid: 1 });
  t.is(cap.lines.length, 3, 'arp.reply_sent is a debug event');
  const [conflict, added, ready] = cap.lines;
  t.like(conflict, { level: 40, t: 2.25, cpu: -1, event: 'acd.conflict', ip: '10.0.0.1', sha: '02:00:00:00:00:02', src: '02:00:00:00:00:03' });
  t.is(typeof conflict!['time'], 'number');
  t.like(added, { level: 30, event: 'inet.addr_added' });
  t.like(ready, { level: 30, msg: 'ready', pid: 1 });
  t.false('event' in ready!);
  t.false('hostname' in ready!, 'no pid/hostname base fields');
  t.true(log.emulatorEvents === log.events);
  t.false(log.tracing);
});

test('debug level logs per-frame events; error level gives the emulator no sink at all', (t) => {
  const cap = new LogCapture();
  const dbg = createDaemonLog({ level: 'debug', destination: cap });
  dbg.events.emit(makeEvent('arp.learned', 1, 0, { ip: '10.0.0.2', mac: '02:00:00:00:00:02', iface: 'vemu0' }));
  t.like(cap.lines[0], { level: 20, event: 'arp.learned' });
  t.true(dbg.tracing);
  t.is(createDaemonLog({ level: 'error', destination: new LogCapture() }).emulatorEvents, nullSink);
  t.is(eventLevel(makeEvent('arp.dupip', 0, 0, { ip: '10.0.0.1', mac: '02:00:00:00:00:02', iface: 'vemu0' })), 'warn');
  t.is(eventLevel(makeEvent('acd.bound', 0, -1, { iface: 'vemu0', ip: '10.0.0.1' })), 'info');
});

test('pretty form: one line per entry, event then fields', (t) => {
  let out = '';
  const d = prettyDestination({ write: (s: string) => { out += s; } }, false);
  d.write(JSON.stringify({ level: 40, time: new Date(2026, 0, 2, 3, 4, 5, 6).getTime(), t: 1, cpu: 0, event: 'arp.dupip', ip: '10.0.0.1', mac: '02:00:00:00:00:02' }) + '\n');
  d.write(JSON.stringify({ level: 30, time: new Date(2026, 0, 2, 3, 4, 5, 7).getTime(), msg: 'ready', interfaces: ['vemu0'] }) + '\n');
  t.is(out, '03:04:05.006 WARN  arp.dupip cpu0 ip=10.0.0.1 mac=02:00:00:00:00:02\n03:04:05.007 INFO  ready interfaces=["vemu0"]\n');
  t.is(prettyMessage({ event: 'acd.probe', cpu: -1, ip: '10.0.0.1', n: 1 }), 'acd.probe ip=10.0.0.1 n=1');
});

test('docs/daemon-config.json is a valid daemon config', (t) => {
  const path = fileURLToPath(new URL('../../../docs/daemon-config.json', import.meta.url));
  const c = parseConfigText(readFileSync(path, 'utf8'), path, { macOptional: true });
  t.true(c.interfaces.length > 0);
  t.true(c.interfaces.every((i) => i.mac === undefined), 'the sample takes MACs from the interfaces');
});
