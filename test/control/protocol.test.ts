import test from 'ava';
import fc from 'fast-check';
import {
  DaemonError, LineSplitter, METHODS, PROTOCOL_VERSION, checkParams, decodeRequest, decodeResponse,
  encodeError, encodeRequest, encodeResult, requestIdOf,
} from '../../src/control/protocol.js';

const req = (o: unknown): string => JSON.stringify(o);

function codeOf(fn: () => unknown): string | undefined {
  try { fn(); return undefined; } catch (e) { return (e as DaemonError).code; }
}

function messageOf(fn: () => unknown): string {
  try { fn(); return ''; } catch (e) { return (e as Error).message; }
}

test('request round trip: encodeRequest -> decodeRequest keeps id, method and params', (t) => {
  const line = encodeRequest(7, 'arp.set', { ip: '10.0.0.9', mac: '02:00:00:00:00:09', pub: true });
  t.true(line.endsWith('\n'));
  const r = decodeRequest(line.trim());
  t.deepEqual(r, { v: PROTOCOL_VERSION, id: 7, method: 'arp.set', params: { ip: '10.0.0.9', mac: '02:00:00:00:00:09', pub: true } });
});

test('response round trip: results and errors (messages flattened to one line)', (t) => {
  t.deepEqual(decodeResponse(encodeResult(3, { count: 1 }).trim()), { v: PROTOCOL_VERSION, id: 3, ok: true, result: { count: 1 } });
  const e = decodeResponse(encodeError(4, 'ESRCH', 'no\n  entry').trim());
  t.deepEqual(e, { v: PROTOCOL_VERSION, id: 4, ok: false, error: { code: 'ESRCH', message: 'no entry' } });
  const c = decodeResponse(encodeError(null, 'EPROTO', 'bad').trim());
  t.is(c.id, null);
});

test('decodeRequest: malformed requests are EPROTO naming the field; unknown methods ENOSYS', (t) => {
  t.is(codeOf(() => decodeRequest('{not json')), 'EPROTO');
  t.is(codeOf(() => decodeRequest('[1]')), 'EPROTO');
  t.regex(messageOf(() => decodeRequest(req({ v: 1, method: 'hello' }))), /^id:/);
  t.regex(messageOf(() => decodeRequest(req({ v: 2, id: 1, method: 'hello' }))), /^v: protocol version 2/);
  t.is(codeOf(() => decodeRequest(req({ v: 1, id: 1, method: 'rm -rf' }))), 'ENOSYS');
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'hello', extra: 1 }))), /request\.extra: unknown field/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'arp.set', params: { ip: '10.0.0.300', mac: '02:00:00:00:00:01' } }))), /params\.ip/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'arp.set', params: { ip: '10.0.0.3', mac: 'zz' } }))), /params\.mac/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'arp.set', params: { ip: '10.0.0.3', mac: '02:00:00:00:00:01', temp: 'yes' } }))), /params\.temp/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'ifconfig.set', params: { iface: 'e0', addr: '10.0.0.1', action: 'nuke' } }))), /params\.action/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'ifconfig.set', params: { iface: 'e0', addr: '10.0.0.1', action: 'alias', plen: 33 } }))), /params\.plen/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'resolve', params: { ip: '10.0.0.1', timeout: -1 } }))), /params\.timeout/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'sysctl.set', params: { name: 'x', value: [1] } }))), /params\.value/);
  t.regex(messageOf(() => decodeRequest(req({ v: 1, id: 1, method: 'dump', params: { all: true } }))), /params\.all: unknown field/);
});

test('every method accepts its minimal params', (t) => {
  const minimal: Record<string, unknown> = {
    hello: {}, dump: {}, 'arp.list': {}, 'arp.set': { ip: '10.0.0.1', mac: '02:00:00:00:00:01' },
    'arp.delete': { ip: '10.0.0.1' }, 'arp.flush': {}, 'ifconfig.list': {},
    'ifconfig.set': { iface: 'e0', addr: '10.0.0.1', action: 'alias', plen: null },
    'sysctl.get': {}, 'sysctl.set': { name: 'a.b', value: 1 }, stats: {}, resolve: { ip: '10.0.0.1' },
  };
  for (const m of METHODS) t.notThrows(() => checkParams(m, minimal[m]), m);
});

test('requestIdOf recovers the id of a request that fails validation', (t) => {
  t.is(requestIdOf(req({ v: 1, id: 42, method: 'nope' })), 42);
  t.is(requestIdOf('garbage'), null);
});

test('LineSplitter: lines across chunks, blank lines skipped, overlong lines refused', (t) => {
  const s = new LineSplitter(16);
  t.deepEqual(s.push('ab'), []);
  t.deepEqual(s.push('c\n\nde\nf'), ['abc', 'de']);
  t.deepEqual(s.push('\n'), ['f']);
  t.is(codeOf(() => s.push('x'.repeat(17))), 'EPROTO');
  t.is(codeOf(() => new LineSplitter(4).push('12345\n')), 'EPROTO');
});

test('decodeRequest never throws anything but a coded DaemonError on arbitrary input', (t) => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ v: 1, id: 1, method: 'arp.set', params: v }))), (s) => {
    try {
      decodeRequest(s);
    } catch (e) {
      return e instanceof DaemonError && (e.code === 'EPROTO' || e.code === 'ENOSYS');
    }
    return true;
  }), { numRuns: 2000 });
  t.pass();
});
