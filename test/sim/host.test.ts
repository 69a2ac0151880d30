import test from 'ava';
import { ARPOP_REPLY, ARPOP_REQUEST } from '../../src/wire/arp.js';
import { MAC_BROADCAST, MAC_ZERO, formatIpv4 } from '../../src/wire/addr.js';
import { ANNOUNCE_NUM, PROBE_NUM, type ProbeHandle } from '../../src/sim/host.js';
import { HOST_IP, IP, MAC, lan } from './helpers.js';

test('host: answers ARP for its own address and learns the asker (RFC 826)', (t) => {
  const w = lan();
  const a = w.h(1), b = w.h(2), c = w.h(3);
  t.is(a.sendDatagram(HOST_IP(2)), 'queued');
  w.run();
  const arp = w.arpFrames();
  t.is(arp.length, 2);
  t.deepEqual(arp[0]!.arp, { op: ARPOP_REQUEST, sha: MAC(1), spa: HOST_IP(1), tha: MAC_ZERO, tpa: HOST_IP(2) });
  t.is(arp[0]!.dst, MAC_BROADCAST);
  t.deepEqual(arp[1]!.arp, { op: ARPOP_REPLY, sha: MAC(2), spa: HOST_IP(2), tha: MAC(1), tpa: HOST_IP(1) });
  t.is(arp[1]!.dst, MAC(1), 'the reply is unicast to the asker');
  // The held datagram went out after the reply, to B's MAC.
  const ip = w.frames.filter((f) => f.arp === undefined);
  t.is(ip.length, 1);
  t.is(ip[0]!.dst, MAC(2));
  t.regex(ip[0]!.line, /IP 10\.0\.0\.1 > 10\.0\.0\.2: UDP 40000 > 9 len 18/);
  t.is(b.counters().rxDatagrams, 1);
  // Target learns the sender; A learned B from the reply.
  t.is(b.neighbour(HOST_IP(1))?.mac, MAC(1));
  t.is(a.neighbour(HOST_IP(2))?.mac, MAC(2));
  // A bystander is neither target nor already knows A: it learns nothing (RFC 826).
  t.is(c.neighbour(HOST_IP(1)), undefined);
  t.is(c.counters().rxRequests, 1);
  t.like(a.counters(), { txRequests: 1, rxReplies: 1, txDatagrams: 1, resolutions: 1, learned: 1 });
  t.like(b.counters(), { txReplies: 1, rxRequests: 1, learned: 1 });
  t.deepEqual(w.ofKind('resolved').map((e) => [e.host, e.ip, e.mac, e.latency]), [['h1', HOST_IP(2), MAC(2), 0]]);
  // Once cached, the next datagram needs no ARP.
  t.is(a.sendDatagram(HOST_IP(2)), 'sent');
  w.run();
  t.is(w.arpFrames().length, 2);
  t.is(b.counters().rxDatagrams, 2);
});

test('host: boot sends one gratuitous ARP per address; nobody learns from it without knowing the sender (RFC 826 merge)', (t) => {
  const w = lan({ hosts: 3 });
  const multi = w.add(9, [HOST_IP(9), HOST_IP(99)]);
  for (const h of w.hosts) h.boot();
  multi.boot(); // idempotent
  w.run();
  const req = w.requests();
  t.deepEqual(req.map((f) => [f.arp!.spa, f.arp!.tpa]), [
    [HOST_IP(1), HOST_IP(1)], [HOST_IP(2), HOST_IP(2)], [HOST_IP(3), HOST_IP(3)], [HOST_IP(9), HOST_IP(9)], [HOST_IP(99), HOST_IP(99)],
  ]);
  t.true(req.every((f) => f.dst === MAC_BROADCAST && f.arp!.tha === MAC_ZERO));
  t.is(multi.counters().txGratuitous, 2);
  for (const h of w.hosts) t.is(h.neighbours().length, 0, `${h.name} learned from a gratuitous ARP`);
  t.is(w.ofKind('booted').length, 4);
});

test('host: a host with two addresses answers each with that address as sender', (t) => {
  const w = lan({ hosts: 2 });
  w.add(9, [HOST_IP(9), HOST_IP(99)]);
  w.h(1).resolve(HOST_IP(9));
  w.h(2).resolve(HOST_IP(99));
  w.run();
  const replies = w.arpFrames().filter((f) => f.arp!.op === ARPOP_REPLY);
  t.deepEqual(replies.map((f) => [f.arp!.spa, f.dst]), [[HOST_IP(9), MAC(1)], [HOST_IP(99), MAC(2)]]);
  t.is(w.h(1).neighbour(HOST_IP(9))?.mac, MAC(9));
  t.is(w.h(2).neighbour(HOST_IP(99))?.mac, MAC(9));
});

test('host: moveTo announces the new MAC and neighbours that knew it update their entry (RFC 826 merge)', (t) => {
  const w = lan({ hosts: 4 });
  const a = w.h(1), b = w.h(2), c = w.h(3);
  a.sendDatagram(HOST_IP(2));
  w.run(1);
  t.is(a.neighbour(HOST_IP(2))?.mac, MAC(2));
  const before = w.frames.length;
  b.moveTo(MAC(0x42));
  w.run();
  const g = w.frames.slice(before);
  t.is(g.length, 1);
  t.deepEqual(g[0]!.arp, { op: ARPOP_REQUEST, sha: MAC(0x42), spa: HOST_IP(2), tha: MAC_ZERO, tpa: HOST_IP(2) });
  t.is(g[0]!.src, MAC(0x42));
  t.is(a.neighbour(HOST_IP(2))?.mac, MAC(0x42), 'A updated its entry');
  t.is(a.counters().moved, 1);
  t.deepEqual(w.ofKind('moved').map((e) => [e.host, e.ip, e.from, e.to]), [['h1', HOST_IP(2), MAC(2), MAC(0x42)]]);
  t.is(c.neighbour(HOST_IP(2)), undefined, 'C did not know B and still does not');
  t.is(b.mac, MAC(0x42));
  t.is(w.seg.port('h2')!.mac, MAC(0x42), 'the segment port moved too');
  // A's next datagram reaches B at its new address.
  t.is(a.sendDatagram(HOST_IP(2)), 'sent');
  w.run();
  t.is(b.counters().rxDatagrams, 2);
  t.is(w.seg.stats().unknownUnicast, 0);
});

test('host: resolution of a silent host gives up after maxTries requests one second apart and drops the held datagrams', (t) => {
  const w = lan({ hosts: 3 });
  const a = w.h(1), b = w.h(2);
  b.goSilent();
  w.runTo(10);
  a.sendDatagram(HOST_IP(2));
  a.sendDatagram(HOST_IP(2));
  w.run(5);
  const req = w.requests().filter((f) => f.arp!.tpa === HOST_IP(2));
  t.deepEqual(req.map((f) => f.t), [10, 11, 12]);
  t.like(a.counters(), { txRequests: 3, resolveFailures: 1, datagramsDropped: 2, resolutions: 0 });
  t.deepEqual(w.ofKind('resolve_failed').map((e) => [e.t, e.ip, e.tries, e.dropped]), [[13, HOST_IP(2), 3, 2]]);
  t.is(a.resolving, 0);
  t.is(b.counters().txReplies, 0);
  t.is(b.counters().rxIgnored, 3);
  t.is(w.timers.size, 0, 'no timer left behind');
  // Back: it announces itself, and A resolves it again from scratch.
  b.comeBack();
  w.run();
  t.is(w.frames.at(-1)!.arp?.spa, HOST_IP(2));
  t.is(a.sendDatagram(HOST_IP(2)), 'queued');
  w.run(1);
  t.is(b.counters().rxDatagrams, 1);
  t.deepEqual(w.ofKind('silent').length + w.ofKind('back').length, 2);
});

test('host: a silent host sends nothing it is told to send and counts it', (t) => {
  const w = lan({ hosts: 2 });
  const a = w.h(1);
  a.goSilent();
  t.is(a.sendDatagram(HOST_IP(2)), 'dropped');
  t.is(a.resolve(HOST_IP(2)), 'dropped');
  t.false(a.arping(HOST_IP(2)));
  a.claim(IP('10.0.0.77'));
  w.run(1);
  t.is(w.frames.length, 0);
  t.like(a.counters(), { datagramsDropped: 1, txSuppressed: 2, txRequests: 0 });
});

test('host: at most holdMax datagrams wait for a resolution, the oldest are dropped', (t) => {
  const w = lan({ hosts: 2, latency: 0.01, host: { holdMax: 3 } });
  const a = w.h(1);
  for (let i = 0; i < 5; i++) a.sendDatagram(HOST_IP(2), 10 + i);
  w.run(1);
  const ip = w.frames.filter((f) => f.arp === undefined);
  t.deepEqual(ip.map((f) => f.line.match(/UDP 40000 > 9 len (\d+)/)?.[1]), ['12', '13', '14']);
  t.like(a.counters(), { datagramsDropped: 2, txDatagrams: 3, txRequests: 1 });
  // Request out at 0, at B at 0.01, reply back at 0.02.
  t.is(w.ofKind('resolved')[0]!.latency, 0.02);
});

test('host: neighbour entries expire on the clock and a later send resolves again', (t) => {
  const w = lan({ hosts: 2, host: { cacheTimeout: 5 } });
  const a = w.h(1);
  a.sendDatagram(HOST_IP(2));
  w.run();
  t.is(a.neighbour(HOST_IP(2))?.expires, 5);
  w.runTo(4.9);
  t.is(a.sendDatagram(HOST_IP(2)), 'sent');
  w.runTo(5);
  t.is(a.neighbour(HOST_IP(2)), undefined);
  t.is(a.sendDatagram(HOST_IP(2)), 'queued');
  w.run();
  t.is(w.requests().length, 2);
  t.is(w.timers.size, 0, 'expiry needs no timer per entry');
});

test('host: the neighbour cache keeps at most cacheSize entries, evicting the oldest', (t) => {
  const w = lan({ hosts: 6, host: { cacheSize: 3 } });
  const a = w.h(1);
  for (let n = 2; n <= 6; n++) a.resolve(HOST_IP(n));
  w.run();
  t.deepEqual(a.neighbours().map((e) => formatIpv4(e.ip)), ['10.0.0.4', '10.0.0.5', '10.0.0.6']);
  t.is(a.counters().resolutions, 5);
});

test('host: probe finds an address in use (the owner answers), does not take it (RFC 5227 §2.1.1)', (t) => {
  const w = lan({ hosts: 3 });
  const d = w.add(20, []);
  let done: ProbeHandle | undefined;
  const p = d.probe(HOST_IP(2), { onDone: (x) => { done = x; } });
  w.run(10);
  t.is(p.state, 'conflict');
  t.is(done, p);
  t.is(p.probesSent, 1, 'the owner answered the first probe');
  t.is(p.conflictMac, MAC(2));
  t.false(d.isMine(HOST_IP(2)));
  t.deepEqual(d.addresses, []);
  t.like(d.counters(), { probeConflicts: 1, txProbes: 1, txGratuitous: 0 });
  // The probe is from 0.0.0.0 and the owner's answer goes back to the prober's MAC.
  const arp = w.arpFrames();
  t.deepEqual(arp[0]!.arp, { op: ARPOP_REQUEST, sha: MAC(20), spa: 0, tha: 0, tpa: HOST_IP(2) });
  t.deepEqual(arp[1]!.arp, { op: ARPOP_REPLY, sha: MAC(2), spa: HOST_IP(2), tha: MAC(20), tpa: 0 });
  t.is(arp.length, 2);
  // Nobody learned 0.0.0.0, and the owner did not count the probe as a conflict.
  t.is(w.h(2).neighbours().length, 0);
  t.is(w.h(2).counters().conflicts, 0);
  t.is(w.ofKind('probe_conflict').length, 1);
  t.is(w.timers.size, 0);
});

test('host: probe of a free address sends PROBE_NUM probes, binds after ANNOUNCE_WAIT and announces ANNOUNCE_NUM times', (t) => {
  const w = lan({ hosts: 2 });
  const d = w.add(20, []);
  w.runTo(100);
  const p = d.probe(HOST_IP(50));
  w.run(30);
  t.is(p.state, 'bound');
  t.true(d.isMine(HOST_IP(50)));
  const probes = w.requests().filter((f) => f.arp!.spa === 0);
  const announcements = w.requests().filter((f) => f.arp!.spa === HOST_IP(50));
  // No Random: spacing is the middle of PROBE_MIN..PROBE_MAX.
  t.deepEqual(probes.map((f) => f.t), [100, 101.5, 103]);
  t.deepEqual(announcements.map((f) => f.t), [105, 107]);
  t.is(p.probesSent, PROBE_NUM);
  t.is(p.announcementsSent, ANNOUNCE_NUM);
  t.deepEqual(w.ofKind('probe_bound').map((e) => e.t), [105]);
  // Now it is an ordinary address: it answers for it.
  w.h(1).resolve(HOST_IP(50));
  w.run();
  t.is(w.h(1).neighbour(HOST_IP(50))?.mac, MAC(20));
  t.is(w.timers.size, 0);
});

test('host: probe spacing is drawn from PROBE_MIN..PROBE_MAX with a Random', (t) => {
  const w = lan({ hosts: 1, random: true });
  const d = w.add(20, []);
  d.probe(HOST_IP(50));
  w.run(30);
  const times = w.requests().filter((f) => f.arp!.spa === 0).map((f) => f.t);
  t.is(times.length, 3);
  const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
  for (const g of gaps) t.true(g >= 1 && g < 2, `gap ${g}`);
  t.not(gaps[0], 1.5);
});

test('host: two hosts probing the same address both back off (RFC 5227 simultaneous probe)', (t) => {
  const w = lan({ hosts: 1 });
  const d = w.add(20, []), e = w.add(21, []);
  const pd = d.probe(HOST_IP(50));
  const pe = e.probe(HOST_IP(50));
  w.run(10);
  t.is(pd.state, 'conflict');
  t.is(pe.state, 'conflict');
  t.is(pd.conflictMac, MAC(21));
  t.is(pe.conflictMac, MAC(20));
  t.deepEqual([...d.addresses, ...e.addresses], []);
});

test('host: probe refuses an address it already has or is probing', (t) => {
  const w = lan({ hosts: 1 });
  const a = w.h(1);
  t.throws(() => a.probe(HOST_IP(1)), { message: /already one of our addresses/ });
  a.probe(HOST_IP(7));
  t.throws(() => a.probe(HOST_IP(7)), { message: /already probing/ });
});

test('host: claim of an address in use makes the owner see its address used (BSD: the owner answers the claimer)', (t) => {
  const w = lan({ hosts: 3 });
  const a = w.h(1), b = w.h(2), c = w.h(3);
  a.resolve(HOST_IP(2));
  w.run();
  c.claim(HOST_IP(2));
  w.run();
  t.true(c.isMine(HOST_IP(2)));
  t.is(b.counters().conflicts, 1);
  t.deepEqual(w.ofKind('conflict').filter((e) => e.host === 'h2').map((e) => [e.ip, e.mac]), [[HOST_IP(2), MAC(3)]]);
  // B answered the claim from its own MAC, so C sees the conflict as well.
  const reply = w.arpFrames().at(-1)!;
  t.deepEqual(reply.arp, { op: ARPOP_REPLY, sha: MAC(2), spa: HOST_IP(2), tha: MAC(3), tpa: HOST_IP(2) });
  t.is(c.counters().conflicts, 1);
  // A, which knew B, merged the claimer's announcement: the entry is hijacked.
  t.is(a.neighbour(HOST_IP(2))?.mac, MAC(3));
  // Requests for the address now get two answers.
  w.h(1).arping(HOST_IP(2));
  w.run();
  t.is(w.arpFrames().slice(-2).filter((f) => f.arp!.op === ARPOP_REPLY).length, 2);
});

test('host: a gratuitous ARP in reply form (RFC 2002 §4.6) is merged by neighbours that know the address, even from a spoofer', (t) => {
  const w = lan({ hosts: 4 });
  const a = w.h(1), b = w.h(2), c = w.h(3), d = w.h(4);
  a.resolve(HOST_IP(2));
  w.run();
  const before = w.frames.length;
  t.true(c.sendGratuitous(HOST_IP(2), 'reply')); // C does not own 10.0.0.2
  w.run();
  const g = w.frames.slice(before);
  t.is(g.length, 1, 'a reply is not answered, even by the owner');
  t.deepEqual(g[0]!.arp, { op: ARPOP_REPLY, sha: MAC(3), spa: HOST_IP(2), tha: MAC(3), tpa: HOST_IP(2) });
  t.is(g[0]!.dst, MAC_BROADCAST);
  t.is(a.neighbour(HOST_IP(2))?.mac, MAC(3), 'A merged it');
  t.is(d.neighbour(HOST_IP(2)), undefined, 'D did not know the address and learns nothing');
  t.is(b.counters().conflicts, 1, 'the owner saw its address used');
  t.is(c.counters().txGratuitous, 1);
  t.throws(() => b.claim(0), { message: /0\.0\.0\.0/ });
});

test('host: with defend, the owner announces its address once per DEFEND_INTERVAL (RFC 5227 §2.4 b)', (t) => {
  const w = lan({ hosts: 3, host: { defend: true } });
  const b = w.h(2), c = w.h(3);
  c.claim(HOST_IP(2));
  w.run();
  t.is(b.counters().defences, 1);
  w.runTo(5);
  c.claim(HOST_IP(2)); // announces again
  w.run();
  t.is(b.counters().defences, 1, 'still inside DEFEND_INTERVAL');
  w.runTo(11);
  c.sendGratuitous(HOST_IP(2));
  w.run();
  t.is(b.counters().defences, 2);
  t.true(b.counters().conflicts >= 3);
});

test('host: flood sends the configured number of requests at a constant rate', (t) => {
  const w = lan({ hosts: 3 });
  const a = w.h(1);
  const targets = Array.from({ length: 100 }, (_, i) => IP(`10.0.1.${i}`));
  let maxTimers = 0;
  const h = a.flood({ rate: 1000, targets, duration: 2 });
  for (let i = 0; i < 30; i++) { w.run(0.1); maxTimers = Math.max(maxTimers, w.timers.size); }
  t.true(h.done);
  t.is(h.fired, 2000);
  t.is(a.counters().txFlood, 2000);
  const req = w.requests();
  t.is(req.length, 2000);
  t.is(req[0]!.t, 0);
  t.true(Math.abs(req.at(-1)!.t - 1.999) < 1e-9);
  t.deepEqual(req.slice(0, 3).map((f) => formatIpv4(f.arp!.tpa)), ['10.0.1.0', '10.0.1.1', '10.0.1.2']);
  t.true(maxTimers <= 2, `timers pending: ${maxTimers}`);
});

test('host: a Poisson flood with a Random gives rate * duration requests within 5%', (t) => {
  const w = lan({ hosts: 2, random: true });
  const a = w.h(1);
  a.flood({ rate: 500, targets: [IP('10.0.1.1'), IP('10.0.1.2')], duration: 10, spacing: 'poisson', order: 'random' });
  w.run(11);
  const n = a.counters().txFlood;
  t.true(Math.abs(n - 5000) < 250, `${n} requests`);
  const tpas = new Set(w.requests().map((f) => f.arp!.tpa));
  t.is(tpas.size, 2);
});

test('host: flood stops early on stop(), and a silent flooder sends nothing', (t) => {
  const w = lan({ hosts: 2 });
  const a = w.h(1);
  const h = a.flood({ rate: 10, targets: [IP('10.0.1.1')] });
  w.run(0.95);
  h.stop();
  w.run(5);
  t.is(h.fired, 10);
  t.is(w.timers.size, 0);
  const g = a.flood({ rate: 10, targets: [IP('10.0.1.1')], count: 5 });
  a.goSilent();
  w.run(5);
  t.is(g.fired, 5);
  t.is(a.counters().txFlood, 10);
  t.is(a.counters().txSuppressed, 5);
});

test('host: sendTo sends count datagrams interval apart, resolving first', (t) => {
  const w = lan({ hosts: 2 });
  const a = w.h(1), b = w.h(2);
  w.runTo(3);
  const h = a.sendTo(HOST_IP(2), 4, 0.5);
  w.run(10);
  t.true(h.done);
  const ip = w.frames.filter((f) => f.arp === undefined);
  t.deepEqual(ip.map((f) => f.t), [3, 3.5, 4, 4.5]);
  t.is(b.counters().rxDatagrams, 4);
  t.is(w.requests().length, 1);
  a.sendTo(HOST_IP(2), 3, 0);
  w.run();
  t.is(b.counters().rxDatagrams, 7);
});

test('host: datagrams for another address or another MAC are not counted as received', (t) => {
  const w = lan({ hosts: 3 });
  const a = w.h(1), b = w.h(2);
  a.sendDatagram(HOST_IP(2));
  w.run();
  b.release(HOST_IP(2));
  a.sendDatagram(HOST_IP(2)); // cached: goes to B's MAC, but B no longer has the address
  w.run();
  t.is(b.counters().rxDatagrams, 1);
  t.is(b.counters().rxIgnored, 1);
});

test('host: close cancels every timer and later frames are ignored', (t) => {
  const w = lan({ hosts: 2 });
  const a = w.h(1);
  w.h(2).goSilent();
  a.sendDatagram(HOST_IP(2));
  a.flood({ rate: 5, targets: [HOST_IP(2)] });
  a.probe(IP('10.0.0.50'));
  t.true(a.pendingTimers >= 3);
  a.close();
  t.is(a.pendingTimers, 0);
  t.is(w.timers.size, 1, 'only the segment\'s delivery of the frames already sent');
  w.run(10);
  t.is(w.timers.size, 0);
  w.h(2).comeBack(); // a broadcast that reaches a's port
  w.run();
  t.is(w.seg.port('h1')!.stats().rxFrames, 1);
  t.is(a.counters().rxIgnored + a.counters().rxRequests, 0, 'a closed host is off the receive path');
  t.throws(() => a.moveTo(MAC(5)), { message: /closed host/ });
});

test('host: options are checked and name the bad field', (t) => {
  const w = lan({ hosts: 0 });
  t.throws(() => w.add(1, [HOST_IP(1)], { maxTries: 0 }), { message: /options\.maxTries/ });
  t.throws(() => w.add(2, [HOST_IP(2)], { mac: 0x01_00_5e_00_00_01 }), { message: /unicast/ });
  t.throws(() => w.add(3, [0]), { message: /0\.0\.0\.0/ });
  t.throws(() => w.add(4, [HOST_IP(4)], { cacheTimeout: -1 }), { message: /options\.cacheTimeout/ });
});
