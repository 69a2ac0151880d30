import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { VirtualClock } from '../../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { isArpemuError } from '../../src/util/errors.js';
import { MAC_BROADCAST, MAC_ZERO, parseIpv4, type Mac } from '../../src/wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, emitArpFrame } from '../../src/wire/arp.js';
import { encodePcap, PcapWriter } from '../../src/wire/pcap.js';
import { openPcapFileLink } from '../../src/link/pcapfile.js';
import { readCaptureFile } from '../../src/link/pcapio.js';
import { hasTool, needTool, requireOrSkip, tsharkCheck, tsharkFields } from '../helpers/env.js';
import { PCAPS } from '../helpers/shared.js';

const ME: Mac = 0x02_00_00_00_01_01;
const PEER: Mac = 0x02_00_00_00_00_09;
const ip = (s: string): number => parseIpv4(s)!;

function request(tpaLast: number): Uint8Array {
  const f = new Uint8Array(ARP_FRAME_LEN);
  emitArpFrame(f, MAC_BROADCAST, PEER, { op: ARPOP_REQUEST, sha: PEER, spa: ip('10.0.0.9'), tha: MAC_ZERO, tpa: ip(`10.0.0.${tpaLast}`) });
  return f;
}

function reply(spaLast: number): Uint8Array {
  const f = new Uint8Array(ARP_FRAME_LEN);
  emitArpFrame(f, PEER, ME, { op: ARPOP_REPLY, sha: ME, spa: ip(`10.0.0.${spaLast}`), tha: PEER, tpa: ip('10.0.0.9') });
  return f;
}

const tmp = mkdtempSync(join(tmpdir(), 'arpemu-pcapfile-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));
let nfile = 0;
const tmpFile = (ext = 'pcap'): string => join(tmp, `f${++nfile}.${ext}`);

const TIMES = [1000, 1000.5, 1001.25, 1001.25, 1002.000001];

function inputCapture(times = TIMES): Uint8Array {
  return encodePcap(times.map((time, i) => ({ data: request(i + 1), time })));
}

function world(start = 1000) {
  const clock = new VirtualClock(start);
  const timers = new TimerQueue(clock);
  return { clock, timers };
}

test('input frames arrive at their capture times on the virtual clock, in file order', (t) => {
  const { clock, timers } = world();
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, input: inputCapture() });
  const got: Array<[number, number, number]> = [];
  link.onReceive((f, time) => got.push([f[41]!, time, clock.now()]));
  t.like(link.input, { format: 'pcap', frames: 5, firstTime: 1000, lastTime: 1002.000001 });
  t.is(link.nextTime(), 1000);

  runVirtualUntil(clock, timers, 1000.4);
  t.deepEqual(got, [[1, 1000, 1000]]);
  runVirtualUntil(clock, timers, 1001.25);
  t.deepEqual(got.map((g) => g[0]), [1, 2, 3, 4]);
  t.deepEqual(got.slice(1).map((g) => g[1]), [1000.5, 1001.25, 1001.25]);
  t.false(link.exhausted);
  t.is(link.remaining, 1);
  runVirtualUntil(clock, timers, 1010);
  t.is(got.length, 5);
  t.is(got[4]![1], 1002.000001);
  t.true(link.exhausted);
  t.is(link.nextTime(), undefined);
  t.like(link.stats(), { rxFrames: 5, rxBytes: 5 * ARP_FRAME_LEN, rxDropped: 0 });
  t.is(timers.size, 0);
});

test('offset shifts the replay; a frame stamped before its predecessor follows it at once', (t) => {
  const { clock, timers } = world(0);
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, input: inputCapture([10, 12, 11, 13]), offset: -10 });
  const got: Array<[number, number]> = [];
  link.onReceive((f, time) => got.push([f[41]!, time]));
  runVirtualUntil(clock, timers, 100);
  t.deepEqual(got, [[1, 0], [2, 2], [3, 2], [4, 3]]);
});

test('pumped mode: nothing on the timers; pump(until) and deliverNext give due times', (t) => {
  const { clock, timers } = world(0);
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, input: inputCapture(), schedule: false });
  const got: Array<[number, number]> = [];
  link.onReceive((f, time) => got.push([f[41]!, time]));
  t.is(timers.size, 0);
  t.is(link.pump(999), 0);
  t.is(link.pump(1001.25), 4);
  t.deepEqual(got.map((g) => g[1]), [1000, 1000.5, 1001.25, 1001.25]);
  t.true(link.deliverNext());
  t.false(link.deliverNext());
  t.true(link.exhausted);
  t.is(clock.now(), 0, 'pumping does not move the clock');
});

test('frames with no handler are counted as dropped', (t) => {
  const { clock, timers } = world();
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, input: inputCapture() });
  runVirtualUntil(clock, timers, 2000);
  t.like(link.stats(), { rxFrames: 5, rxDropped: 5 });
});

test('sent frames are written with the virtual time of the send and read back intact', async (t) => {
  const { clock, timers } = world(1_700_000_000);
  const out = tmpFile();
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, output: out });
  const buf = new Uint8Array(ARP_FRAME_LEN);
  const sentAt: number[] = [];
  for (let i = 1; i <= 4; i++) {
    runVirtualUntil(clock, timers, clock.now() + 0.123457 * i);
    buf.set(reply(i)); // one buffer reused: the link must copy at send
    link.send(buf);
    sentAt.push(clock.now());
  }
  t.is(link.written, 4);
  await link.close();
  const f = readCaptureFile(out);
  t.is(f.records.length, 4);
  f.records.forEach((r, i) => {
    t.deepEqual(r.data, reply(i + 1));
    t.true(Math.abs(r.time - sentAt[i]!) < 1e-6, `record ${i}: ${r.time} vs ${sentAt[i]}`);
  });
  t.like(link.stats(), { txFrames: 4, txBytes: 4 * ARP_FRAME_LEN });
  const err = t.throws(() => link.send(buf));
  t.true(isArpemuError(err) && err.code === 'ERR_LINK_CLOSED');
});

requireOrSkip(test, 'output pcap decodes in tshark: ARP replies at the virtual times, nothing malformed', [needTool('tshark', 'tshark')], async (t) => {
  const { clock, timers } = world(1_700_000_000.5);
  const out = tmpFile();
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, output: out });
  for (let i = 1; i <= 3; i++) {
    link.send(reply(i));
    runVirtualUntil(clock, timers, clock.now() + 0.25);
  }
  await link.close();
  const check = await tsharkCheck(out);
  t.is(check.frames, 3);
  t.deepEqual(check.problems, []);
  const rows = await tsharkFields(out, ['frame.time_epoch', 'arp.opcode', 'arp.src.proto_ipv4']);
  t.deepEqual(rows.map((r) => [Number(r[0]), r[1], r[2]]), [
    [1_700_000_000.5, '2', '10.0.0.1'],
    [1_700_000_000.75, '2', '10.0.0.2'],
    [1_700_000_001, '2', '10.0.0.3'],
  ]);
});

test('replay identity: echoing every input frame reproduces the capture (bytes and times)', async (t) => {
  const input = `${PCAPS}/arp-storm.pcap`;
  const src = readCaptureFile(input);
  const { clock, timers } = world(src.records[0]!.time);
  const out = tmpFile();
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, input, output: out });
  link.onReceive((f) => link.send(f));
  runVirtualUntil(clock, timers, link.input!.lastTime!);
  await link.close();
  const copy = readCaptureFile(out);
  t.is(copy.records.length, src.records.length);
  t.is(copy.records.length, 622);
  for (let i = 0; i < src.records.length; i++) {
    const a = src.records[i]!, b = copy.records[i]!;
    if (a.sec !== b.sec || a.nsec !== b.nsec || Buffer.compare(a.data, b.data) !== 0) {
      t.fail(`record ${i + 1} differs: ${a.sec}.${a.nsec} vs ${b.sec}.${b.nsec}`);
      return;
    }
  }
  t.pass();
});

requireOrSkip(test, 'pcapng input (made by editcap) replays like the pcap it came from', [needTool('editcap', 'tshark')], (t) => {
  const src = tmpFile();
  writeFileSync(src, inputCapture());
  const ng = tmpFile('pcapng');
  execFileSync('editcap', ['-F', 'pcapng', src, ng]);
  const { clock, timers } = world();
  const link = openPcapFileLink({ name: 'vemu0', clock, timers, input: ng });
  t.is(link.input!.format, 'pcapng');
  const got: number[] = [];
  link.onReceive((_f, time) => got.push(time));
  runVirtualUntil(clock, timers, 2000);
  t.deepEqual(got, TIMES);
});

test('a bad input fails at open, naming the file and the problem', (t) => {
  const { clock, timers } = world();
  const junk = tmpFile();
  writeFileSync(junk, Buffer.from('this is not a capture file at all'));
  const e1 = t.throws(() => openPcapFileLink({ name: 'x', clock, timers, input: junk }));
  t.true(isArpemuError(e1) && e1.code === 'ERR_PCAP_FORMAT');
  t.true(e1!.message.includes(junk));

  const e2 = t.throws(() => openPcapFileLink({ name: 'x', clock, timers, input: `${PCAPS}/zeek/linuxsll-arp.pcap` }));
  t.true(isArpemuError(e2) && e2.code === 'ERR_PCAP_LINKTYPE', String(e2));

  // A corrupt record in the middle: rejected before anything is delivered.
  const good = inputCapture();
  const bad = good.slice();
  new DataView(bad.buffer).setUint32(24 + 16 + ARP_FRAME_LEN + 8, 0x7fff_ffff, true); // caplen of record 2
  const e3 = t.throws(() => openPcapFileLink({ name: 'x', clock, timers, input: bad }));
  t.true(isArpemuError(e3) && e3.code === 'ERR_PCAP_FORMAT');
  t.is(timers.size, 0);
});

test('an output PcapWriter supplied by the caller is flushed, not closed, at close', async (t) => {
  const { clock, timers } = world();
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((c) => chunks.push(c));
  const link = openPcapFileLink({ name: 'x', clock, timers, output: writer });
  link.send(reply(1));
  await link.close();
  t.true(chunks.length > 0);
  t.notThrows(() => writer.write(reply(2), 1001));
});

test('every shared capture that is Ethernet replays completely', (t) => {
  for (const f of ['arp-storm.pcap', 'tcpdump/arp-oobr.pcap', 'tcpdump/dhcp-rfc4388.pcap', 'zeek/arp.pcap', 'zeek/arp-leak.pcap']) {
    const path = `${PCAPS}/${f}`;
    const { clock, timers } = world(0);
    const link = openPcapFileLink({ name: 'x', clock, timers, input: path });
    let n = 0;
    link.onReceive(() => { n++; });
    runVirtualUntil(clock, timers, link.input!.lastTime! + 1);
    t.is(n, link.input!.frames, f);
    t.is(n, readCaptureFile(path).records.length, f);
    if (hasTool('tshark')) {
      const frames = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      t.is(n, frames.split('\n').filter((l) => l !== '').length, `${f} vs tshark`);
    }
  }
});
