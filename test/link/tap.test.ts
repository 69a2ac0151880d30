import test from 'ava';
import { VirtualClock } from '../../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { MAC_BROADCAST, MAC_ZERO, parseIpv4, type Mac } from '../../src/wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, emitArpFrame } from '../../src/wire/arp.js';
import { PcapWriter, readCapture } from '../../src/wire/pcap.js';
import { Segment } from '../../src/link/segment.js';
import { withTap, type FrameRecorder } from '../../src/link/tap.js';
import { withFaults } from '../../src/link/faults.js';

const A: Mac = 0x02_00_00_00_00_0a;
const B: Mac = 0x02_00_00_00_00_0b;
const ip = (s: string): number => parseIpv4(s)!;

function arp(op: 1 | 2, from: Mac, to: Mac): Uint8Array {
  const f = new Uint8Array(ARP_FRAME_LEN);
  const req = op === ARPOP_REQUEST;
  emitArpFrame(f, req ? MAC_BROADCAST : to, from, {
    op, sha: from, spa: ip(from === A ? '10.0.0.10' : '10.0.0.11'),
    tha: req ? MAC_ZERO : to, tpa: ip(from === A ? '10.0.0.11' : '10.0.0.10'),
  });
  return f;
}

function world() {
  const clock = new VirtualClock(500);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers, latency: 0.001 });
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((c) => chunks.push(c));
  const file = () => {
    writer.flush();
    return readCapture(Buffer.concat(chunks));
  };
  return { clock, timers, seg, writer, file };
}

test('tap records frames out and in, with send and receive times, in order', (t) => {
  const w = world();
  const a = withTap(w.seg.attach('a', A), w.writer, w.clock);
  const b = w.seg.attach('b', B);
  b.onReceive((f) => { if (f[21] === ARPOP_REQUEST) b.send(arp(ARPOP_REPLY, B, A)); });
  const seen: number[] = [];
  a.onReceive((f) => seen.push(f[21]!));
  a.send(arp(ARPOP_REQUEST, A, B));
  runVirtualUntil(w.clock, w.timers, 501);
  t.deepEqual(seen, [ARPOP_REPLY], 'the handler behind the tap still gets the frame');
  t.is(a.recorded, 2);
  const f = w.file();
  t.is(f.error, undefined);
  t.deepEqual(f.records.map((r) => [r.data[21], r.time]), [[ARPOP_REQUEST, 500], [ARPOP_REPLY, 500.002]]);
  t.deepEqual(f.records[0]!.data, arp(ARPOP_REQUEST, A, B));
  t.deepEqual(f.records[1]!.data, arp(ARPOP_REPLY, B, A));
});

test('tap direction rx or tx records one side only; stats and close pass through', async (t) => {
  const w = world();
  const rec: string[] = [];
  const recorder: FrameRecorder = { write: (f, time) => rec.push(`${f[21]}@${time}`) };
  const inner = w.seg.attach('a', A);
  const rxOnly = withTap(inner, recorder, w.clock, { direction: 'rx' });
  const b = w.seg.attach('b', B);
  rxOnly.send(arp(ARPOP_REQUEST, A, B));
  b.send(arp(ARPOP_REPLY, B, A));
  runVirtualUntil(w.clock, w.timers, 501);
  t.deepEqual(rec, ['2@500.001']);
  t.deepEqual(rxOnly.stats(), inner.stats());
  t.is(rxOnly.stats().txFrames, 1);
  await rxOnly.close();
  t.true(inner.closed);
  t.throws(() => withTap(inner, recorder, w.clock, { direction: 'up' as never }), { message: /options\.direction/ });
});

test('tap outside fault injection records what the protocol saw; inside, what the wire carried', (t) => {
  const w = world();
  const outer: number[] = [];
  const wire: number[] = [];
  const a = w.seg.attach('a', A);
  const b = w.seg.attach('b', B);
  // a: tap(outer) -> faults(loss on tx) -> tap(wire) -> port
  const onWire = withTap(a, { write: (f) => wire.push(f[41]!) }, w.clock);
  const lossy = withFaults(onWire, { seed: 5, loss: 0.5, direction: 'tx' }, w.clock, w.timers);
  const top = withTap(lossy, { write: (f) => outer.push(f[41]!) }, w.clock);
  let got = 0;
  b.onReceive(() => got++);
  for (let i = 0; i < 200; i++) {
    const f = arp(ARPOP_REQUEST, A, B);
    f[41] = i;
    top.send(f);
  }
  runVirtualUntil(w.clock, w.timers, 510);
  t.is(outer.length, 200);
  t.is(wire.length, 200 - lossy.faultStats().tx.lost);
  t.is(got, wire.length);
  t.true(wire.length > 60 && wire.length < 140, `${wire.length} on the wire`);
});
