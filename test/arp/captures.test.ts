/**
 * Real and hostile captures replayed through one ArpStack on a virtual clock
 * that follows the capture times: nothing throws, and every frame ends in
 * exactly one place (accepted, or one drop reason), which adds up to the total.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readCaptureFile } from '../../src/link/pcapio.js';
import { VirtualClock } from '../../src/util/clock.js';
import { CollectingSink } from '../../src/util/events.js';
import { ArpStack } from '../../src/arp/stack.js';
import { DROP_REASON_NAMES } from '../../src/arp/stats.js';
import { decode, mac } from './helpers.js';
import { PCAPS } from '../helpers/shared.js';



const CASES: { file: string; iface: string; addr: string }[] = [
  { file: 'tcpdump/arp-oobr.pcap', iface: '00:1f:29:da:2d:01', addr: '192.168.1.1/24' },
  { file: 'arp-storm.pcap', iface: '02:00:00:00:01:01', addr: '24.166.173.159/23' },
  { file: 'zeek/arp.pcap', iface: '00:0d:54:9c:5c:0b', addr: '192.150.187.50/24' },
  { file: 'zeek/arp-leak.pcap', iface: '02:00:00:00:01:01', addr: '10.0.0.1/8' },
  { file: 'tcpdump/arp-too-long-tha.pcap', iface: '02:00:00:00:01:01', addr: '10.0.0.1/8' },
];

for (const c of CASES) {
  const path = `${PCAPS}/${c.file}`;
  test(`arpintr + in_arpinput: replaying ${c.file} accounts for every frame`, (t) => {
    if (!existsSync(path)) {
      if (process.env.CI) t.fail(`missing capture ${path}`);
      else { t.log(`skipped: ${path} not found`); t.pass(); }
      return;
    }
    const cap = readCaptureFile(path);
    const first = cap.records[0]?.time ?? 0;
    const clock = new VirtualClock(first);
    const s = new ArpStack({ clock, events: new CollectingSink() });
    s.ifAttach('eth0', mac(c.iface));
    s.addAddress('eth0', c.addr);
    s.takeSent();
    for (const r of cap.records) s.input('eth0', r.data, Math.max(r.time, clock.now()));
    s.advance(3600);
    const st = s.stats;
    t.is(st.rxframes, cap.records.length);
    t.is(st.rxframes, st.received + st.dropsIn('intr'));
    t.is(st.received, st.accepted + st.dropsIn('input'));
    const drops = st.toJSON().drops;
    const sum = Object.values(drops).reduce((a, b) => a + b, 0);
    t.is(st.accepted + sum, cap.records.length, 'drop counters by reason + accepted = total');
    for (const f of s.sent) t.notThrows(() => decode(f), 'every frame we sent decodes');
    t.log(`${c.file}: ${cap.records.length} frames, accepted ${st.accepted}, sent ${s.sent.length}, drops ${JSON.stringify(Object.fromEntries(Object.entries(drops).filter(([, v]) => v > 0)))}`);
    t.is(Object.keys(drops).length, DROP_REASON_NAMES.length - 1);
  });
}
