import test from 'ava';
import { ArpStack } from '../../src/arp/stack.js';
import { CollectingSink } from '../../src/util/events.js';
import { IP_H2, IP_US, MAC_H2, MAC_US, names, request } from './helpers.js';

/** A log at info level: trace-class events would be dropped, so it says so. */
class InfoLevelSink extends CollectingSink {
  readonly traces = false;
}

function stack(ev: CollectingSink): ArpStack {
  const s = new ArpStack({ events: ev });
  s.ifAttach('eth0', MAC_US);
  s.addAddress('eth0', '10.0.0.1/24');
  s.takeSent();
  ev.clear();
  return s;
}

test('a sink that drops trace events is not handed per-frame events, only log-class ones', (t) => {
  const ev = new InfoLevelSink();
  const s = stack(ev);
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  t.is(s.takeSent().length, 1, 'the request is still answered');
  t.deepEqual(names(ev), [], 'no arp.learned, no arp.reply_sent built');
  s.input('eth0', request(MAC_H2, IP_US, IP_US));
  t.deepEqual(names(ev), ['arp.dupip'], 'someone using my address is still logged');
});

test('a sink that keeps trace events gets the per-frame ones too', (t) => {
  const ev = new CollectingSink();
  const s = stack(ev);
  s.input('eth0', request(MAC_H2, IP_H2, IP_US));
  t.deepEqual(names(ev), ['arp.learned', 'arp.reply_sent']);
});
