import test from 'ava';
import fc from 'fast-check';
import { VirtualClock } from '../../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { isArpemuError } from '../../src/util/errors.js';
import { MAC_BROADCAST, ipv4MulticastMac, parseIpv4, readMac, type Mac } from '../../src/wire/addr.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { Segment, type SegmentPort } from '../../src/link/segment.js';
import { withFaults } from '../../src/link/faults.js';
import { Random } from '../../src/util/random.js';

const MAC = (n: number): Mac => 0x02_00_00_00_00_00 + n;

function frame(dst: Mac, src: Mac, tag = 0, len = 60): Uint8Array {
  const f = new Uint8Array(len);
  emitEthernet(f, 0, dst, src, 0x88b5); // IEEE local experimental ethertype
  f[14] = tag;
  return f;
}

interface Rx { port: string; tag: number; time: number; src: Mac }

function world(latency = 0) {
  const clock = new VirtualClock(100);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers, latency });
  const log: Rx[] = [];
  const listen = (p: SegmentPort): SegmentPort => {
    p.onReceive((f, time) => log.push({ port: p.name, tag: f[14]!, time, src: readMac(f, 6) }));
    return p;
  };
  return { clock, timers, seg, log, listen, run: (dt = 0) => runVirtualUntil(clock, timers, clock.now() + dt) };
}

test('unicast reaches only the port with the destination MAC, not the sender', (t) => {
  const w = world();
  const a = w.listen(w.seg.attach('a', MAC(1)));
  w.listen(w.seg.attach('b', MAC(2)));
  w.listen(w.seg.attach('c', MAC(3)));
  a.send(frame(MAC(2), MAC(1), 7));
  w.run();
  t.deepEqual(w.log.map((r) => [r.port, r.tag]), [['b', 7]]);
  t.is(w.seg.stats().deliveries, 1);
});

test('broadcast reaches every other port in attach order, never the sender', (t) => {
  const w = world();
  const ports = [1, 2, 3, 4].map((i) => w.listen(w.seg.attach(`p${i}`, MAC(i))));
  ports[2]!.send(frame(MAC_BROADCAST, MAC(3), 1));
  w.run();
  t.deepEqual(w.log.map((r) => r.port), ['p1', 'p2', 'p4']);
});

test('multicast (group bit) is flooded like broadcast', (t) => {
  const w = world();
  const a = w.listen(w.seg.attach('a', MAC(1)));
  w.listen(w.seg.attach('b', MAC(2)));
  w.listen(w.seg.attach('c', MAC(3)));
  a.send(frame(ipv4MulticastMac(parseIpv4('224.0.0.251')!), MAC(1), 2));
  w.run();
  t.deepEqual(w.log.map((r) => r.port), ['b', 'c']);
});

test('a promiscuous port sees unicast for others, but not its own frames twice or its own sends', (t) => {
  const w = world();
  const a = w.listen(w.seg.attach('a', MAC(1)));
  const b = w.listen(w.seg.attach('b', MAC(2)));
  const mon = w.listen(w.seg.attach('mon', MAC(9), { promiscuous: true }));
  a.send(frame(MAC(2), MAC(1), 1)); // a -> b: b and mon
  b.send(frame(MAC(9), MAC(2), 2)); // b -> mon: mon once
  mon.send(frame(MAC(1), MAC(9), 3)); // mon -> a: a only
  w.run();
  t.deepEqual(w.log.map((r) => [r.port, r.tag]), [['b', 1], ['mon', 1], ['mon', 2], ['a', 3]]);
  mon.promiscuous = false;
  a.send(frame(MAC(2), MAC(1), 4));
  w.run();
  t.deepEqual(w.log.slice(4).map((r) => r.port), ['b']);
});

test('unknown unicast reaches nobody and is counted', (t) => {
  const w = world();
  const a = w.listen(w.seg.attach('a', MAC(1)));
  w.listen(w.seg.attach('b', MAC(2)));
  a.send(frame(MAC(77), MAC(1)));
  w.run();
  t.is(w.log.length, 0);
  t.like(w.seg.stats(), { frames: 1, deliveries: 0, unknownUnicast: 1, undelivered: 1 });
});

test('a runt frame too short for a destination is repeated to everyone else', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  const got: number[] = [];
  w.seg.attach('b', MAC(2)).onReceive((f) => got.push(f.length));
  w.seg.attach('c', MAC(3)).onReceive((f) => got.push(f.length));
  a.send(new Uint8Array([1, 2, 3]));
  a.send(new Uint8Array(0));
  w.run();
  t.deepEqual(got, [3, 3, 0, 0]);
});

test('send copies the frame: the sender may reuse its buffer at once', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  const tags: number[] = [];
  w.seg.attach('b', MAC(2)).onReceive((f) => tags.push(f[14]!));
  const buf = frame(MAC(2), MAC(1), 1);
  a.send(buf);
  buf[14] = 2;
  a.send(buf);
  buf[14] = 3;
  w.run();
  t.deepEqual(tags, [1, 2]);
});

test('nothing is delivered inside send(); delivery happens when the timers run', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  let n = 0;
  w.seg.attach('b', MAC(2)).onReceive(() => n++);
  a.send(frame(MAC(2), MAC(1)));
  t.is(n, 0);
  t.is(w.seg.inFlight, 1);
  t.is(w.seg.nextDelivery(), 100);
  w.timers.runDue();
  t.is(n, 1);
  t.is(w.seg.inFlight, 0);
});

test('latency: frames arrive at send time + latency, handlers get that time', (t) => {
  const w = world(0.25);
  const a = w.seg.attach('a', MAC(1));
  w.listen(w.seg.attach('b', MAC(2)));
  a.send(frame(MAC(2), MAC(1), 1));
  w.run(0.1);
  a.send(frame(MAC(2), MAC(1), 2));
  w.run(0.1);
  t.deepEqual(w.log.map((r) => r.tag), []);
  w.run(0.1); // now 100.3: first due at 100.25
  t.deepEqual(w.log.map((r) => [r.tag, r.time]), [[1, 100.25]]);
  w.run(1);
  t.deepEqual(w.log.map((r) => [r.tag, r.time]), [[1, 100.25], [2, 100.35]]);
});

test('a reply sent from a receive handler does not recurse and follows frames already in flight', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  const b = w.seg.attach('b', MAC(2));
  const c = w.seg.attach('c', MAC(3));
  let depth = 0, maxDepth = 0;
  const order: string[] = [];
  // Ping-pong for 1000 rounds between a and b: recursion would blow up the depth.
  const bounce = (self: SegmentPort, peer: Mac) => (f: Uint8Array) => {
    depth++; maxDepth = Math.max(maxDepth, depth);
    const tag = f[14]!;
    order.push(`${self.name}${tag}`);
    const round = (f[15]! << 8) | f[16]!;
    if (round < 1000) {
      const r = frame(peer, self.mac, tag);
      r[15] = (round + 1) >> 8; r[16] = (round + 1) & 255;
      self.send(r);
    }
    depth--;
  };
  a.onReceive(bounce(a, MAC(2)));
  b.onReceive(bounce(b, MAC(1)));
  c.onReceive((f) => order.push(`c${f[14]}`));
  c.send(frame(MAC_BROADCAST, MAC(3), 1)); // a and b both start a rally
  c.send(frame(MAC(1), MAC(3), 2));
  w.run();
  t.is(maxDepth, 1);
  // The second frame from c was queued before any reply: it comes third.
  t.deepEqual(order.slice(0, 5), ['a1', 'b1', 'a2', 'b1', 'a1']);
  t.is(a.stats().rxFrames + b.stats().rxFrames, 3 + 3 * 1000); // 3 starters, each a 1000-round rally
});

test('per-port stats count frames and bytes both ways; a port without a handler drops', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  const b = w.seg.attach('b', MAC(2));
  a.send(frame(MAC(2), MAC(1), 0, 60));
  a.send(frame(MAC_BROADCAST, MAC(1), 0, 42));
  w.run();
  t.deepEqual(a.stats(), { rxFrames: 0, rxBytes: 0, txFrames: 2, txBytes: 102, rxDropped: 0, txErrors: 0 });
  t.deepEqual(b.stats(), { rxFrames: 2, rxBytes: 102, txFrames: 0, txBytes: 0, rxDropped: 2, txErrors: 0 });
});

test('changing a port MAC moves its unicast traffic (a host moving to a new NIC)', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  const b = w.listen(w.seg.attach('b', MAC(2)));
  b.mac = MAC(22);
  a.send(frame(MAC(2), MAC(1), 1));
  a.send(frame(MAC(22), MAC(1), 2));
  w.run();
  t.deepEqual(w.log.map((r) => r.tag), [2]);
  t.throws(() => { b.mac = -1; }, { instanceOf: RangeError });
});

test('two ports with the same MAC both get its unicast', (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  w.listen(w.seg.attach('b1', MAC(2)));
  w.listen(w.seg.attach('b2', MAC(2)));
  a.send(frame(MAC(2), MAC(1)));
  w.run();
  t.deepEqual(w.log.map((r) => r.port), ['b1', 'b2']);
});

test('a closed port leaves: no delivery to it, send throws ERR_LINK_CLOSED, name reusable', async (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  const b = w.listen(w.seg.attach('b', MAC(2)));
  a.send(frame(MAC(2), MAC(1)));
  await b.close();
  w.run();
  t.is(w.log.length, 0);
  t.true(b.closed);
  const err = t.throws(() => b.send(frame(MAC(1), MAC(2))));
  t.true(isArpemuError(err) && err.code === 'ERR_LINK_CLOSED');
  t.deepEqual(w.seg.ports().map((p) => p.name), ['a']);
  t.notThrows(() => w.seg.attach('b', MAC(2)));
  t.throws(() => w.seg.attach('a', MAC(5)), { message: /already attached/ });
});

test('segment close drops frames in flight', async (t) => {
  const w = world();
  const a = w.seg.attach('a', MAC(1));
  w.listen(w.seg.attach('b', MAC(2)));
  a.send(frame(MAC(2), MAC(1)));
  await w.seg.close();
  w.run(1);
  t.is(w.log.length, 0);
  t.is(w.seg.stats().dropped, 1);
  t.is(w.timers.size, 0);
});

test('latency must be a finite non-negative number', (t) => {
  const clock = new VirtualClock();
  t.throws(() => new Segment({ clock, timers: new TimerQueue(clock), latency: -1 }), { message: /latency/ });
});

// Property: the segment delivers exactly what the rules say, in send order.
test('property: deliveries match the rules (unicast/group/promiscuous, never the sender)', (t) => {
  const arb = fc.record({
    ports: fc.array(fc.record({ mac: fc.integer({ min: 1, max: 6 }), promisc: fc.boolean() }), { minLength: 1, maxLength: 6 }),
    sends: fc.array(fc.record({ from: fc.nat(), dst: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(-1), fc.constant(-2)) }), { maxLength: 30 }),
  });
  fc.assert(fc.property(arb, ({ ports, sends }) => {
    const w = world();
    const ps = ports.map((p, i) => w.listen(w.seg.attach(`p${i}`, MAC(p.mac), { promiscuous: p.promisc })));
    const expected: string[] = [];
    sends.forEach((s, k) => {
      const from = s.from % ps.length;
      const dst = s.dst === -1 ? MAC_BROADCAST : s.dst === -2 ? 0x01_00_5e_00_00_01 : MAC(s.dst);
      ps[from]!.send(frame(dst, ps[from]!.mac, k));
      const group = s.dst < 0;
      // Unicast: owners first (attach order), then promiscuous non-owners.
      const recv = group
        ? ports.map((_, i) => i).filter((i) => i !== from)
        : [
          ...ports.map((_, i) => i).filter((i) => i !== from && MAC(ports[i]!.mac) === dst),
          ...ports.map((_, i) => i).filter((i) => i !== from && ports[i]!.promisc && MAC(ports[i]!.mac) !== dst),
        ];
      for (const i of recv) expected.push(`p${i}:${k}`);
    });
    w.run();
    return JSON.stringify(w.log.map((r) => `${r.port}:${r.tag}`)) === JSON.stringify(expected);
  }));
  t.pass();
});

// A small LAN with seeded traffic and faults on every port: the whole trace
// (who got what, when, with which bytes) is a function of the seed.
function lanTrace(seed: number): string[] {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers, latency: 0.0001 });
  const rng = new Random(seed);
  const trace: string[] = [];
  const hosts = Array.from({ length: 20 }, (_, i) => {
    const port = seg.attach(`h${i}`, MAC(i + 1));
    const link = withFaults(port, { seed: seed * 100 + i, loss: 0.05, duplicate: 0.05, reorder: 0.05, corrupt: 0.02, jitter: 0.001 }, clock, timers);
    link.onReceive((f, time) => {
      trace.push(`${i}<${Buffer.from(f.subarray(6, 15)).toString('hex')}@${time.toFixed(7)}`);
      // Answer broadcasts with a unicast to the sender, as ARP would.
      if (f[0] === 0xff && f.length >= 12) link.send(frame(readMac(f, 6), MAC(i + 1), f[14]!));
    });
    return link;
  });
  for (let k = 0; k < 300; k++) {
    const at = rng.nextFloat() * 5;
    const from = rng.nextInt(hosts.length);
    const bcast = rng.chance(0.3);
    const to = rng.nextInt(hosts.length);
    timers.at(at, () => hosts[from]!.send(frame(bcast ? MAC_BROADCAST : MAC(to + 1), MAC(from + 1), k & 255)));
  }
  runVirtualUntil(clock, timers, 10);
  return trace;
}

test('determinism: same seed, identical trace through segment and faults; other seed, other trace', (t) => {
  const a = lanTrace(11), b = lanTrace(11), c = lanTrace(12);
  t.true(a.length > 1000, `${a.length} deliveries`);
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
});
