/**
 * Capture files on disk (src/link/pcapio.ts): reading whole files,
 * streaming them, writing them through a PcapWriter over a file descriptor.
 * The byte formats themselves are tested in test/wire/pcap.test.ts.
 */
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { fdSink, openCapture, openPcapWriter, readCaptureFile, readPcapFile } from '../../src/link/pcapio.js';
import { PcapWriter, encodePcap, type CaptureRecord } from '../../src/wire/pcap.js';
import { cat, hex, toHex } from '../helpers/bytes.js';
import { ETH, HDR_LE_US, REC_LE_US, manyRecords, testDir } from '../helpers/pcap.js';

const tmp = (t: { teardown(fn: () => void): void }): string => testDir(t, 'arpemu-pcapio-');

test('openPcapWriter: to a file, buffered, flushed on close; readCaptureFile reads it back', async (t) => {
  const path = join(tmp(t), 'out.pcap');
  const recs = manyRecords(3000);
  const w = openPcapWriter(path, { bufferSize: 4096 });
  for (const r of recs.slice(0, 10)) w.write(r.data, r.time);
  t.is(readFileSync(path).length, 0, 'small writes stay in the buffer');
  for (const r of recs.slice(10)) w.writeRecord(r);
  await w.close();
  const bytes = readFileSync(path);
  t.is(toHex(bytes), toHex(encodePcap(recs)), 'same bytes as encodePcap');
  t.is(w.count, 3000);
  t.is(w.bytesWritten, bytes.length);
  const f = readCaptureFile(path);
  t.is(f.records.length, 3000);
  t.throws(() => w.write(ETH, 1), { code: 'ERR_LINK_CLOSED' });
});

test('openCapture: streams a file in small chunks with the same records as readCaptureFile', async (t) => {
  const path = join(tmp(t), 'stream.pcap');
  const w = openPcapWriter(path);
  for (const r of manyRecords(500)) w.writeRecord(r);
  await w.close();
  const sync = readCaptureFile(path).records;
  const streamed: CaptureRecord[] = [];
  const it = openCapture(path, { highWaterMark: 1000 }); // not a multiple of any record size
  let res = await it.next();
  while (res.done !== true) { streamed.push(res.value); res = await it.next(); }
  t.like(res.value, { format: 'pcap', count: 500, truncated: false });
  t.is(streamed.length, sync.length);
  t.true(streamed.every((r, i) => r.sec === sync[i]!.sec && toHex(r.data) === toHex(sync[i]!.data)));
  let batched = 0, batches = 0;
  for await (const batch of openCapture(path, { highWaterMark: 4096 }).batches()) {
    t.true(batch.length > 0);
    for (const r of batch) t.is(r.number, ++batched);
    batches++;
  }
  t.is(batched, 500);
  t.true(batches > 1);
});

test('openCapture / readCaptureFile: non-Ethernet and garbage files throw coded errors naming the file', async (t) => {
  const dir = tmp(t);
  const sll = join(dir, 'sll.pcap');
  const h = Uint8Array.from(HDR_LE_US);
  h[20] = 113;
  writeFileSync(sll, cat(h, REC_LE_US, ETH));
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'hello, I am not a capture');
  t.throws(() => readCaptureFile(sll), { code: 'ERR_PCAP_LINKTYPE', message: /sll\.pcap: .*113/ });
  t.throws(() => readCaptureFile(junk), { code: 'ERR_PCAP_FORMAT', message: /junk\.pcap: / });
  await t.throwsAsync(async () => { for await (const r of openCapture(sll)) void r; }, { code: 'ERR_PCAP_LINKTYPE' });
  await t.throwsAsync(async () => { for await (const r of openCapture(junk)) void r; }, { code: 'ERR_PCAP_FORMAT' });
});

test('fdSink: writes at each flush; the caller\'s fd stays open at close, an owned one is closed', async (t) => {
  const dir = tmp(t);
  const recs = manyRecords(300);
  const path = join(dir, 'fd.pcap');
  const fd = openSync(path, 'w');
  const w = new PcapWriter(fdSink(fd), { bufferSize: 4096 });
  for (const r of recs) w.writeRecord(r);
  const flushed = readFileSync(path).length;
  t.true(flushed > 0 && flushed < encodePcap(recs).length, 'full buffers reached the file, the rest is buffered');
  await w.close();
  t.notThrows(() => fstatSync(fd), 'not the writer\'s fd to close');
  closeSync(fd);
  t.is(toHex(readFileSync(path)), toHex(encodePcap(recs)));

  const owned = openSync(join(dir, 'owned.pcap'), 'w');
  const o = new PcapWriter(fdSink(owned, { close: true }));
  o.write(ETH, 1);
  const closing = o.close();
  // Checked before any await, so no other test can have reused the number.
  t.throws(() => fstatSync(owned), { code: 'EBADF' });
  await closing;
  t.is(readPcapFile(join(dir, 'owned.pcap')).records.length, 1);
});

test('openCapture: an async source of chunks is streamed as is, errors without a file name', async (t) => {
  const good = encodePcap(manyRecords(20));
  const seen: number[] = [];
  for await (const r of openCapture((async function* () { yield good.subarray(0, 500); yield good.subarray(500); })())) seen.push(r.number);
  t.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
  await t.throwsAsync(async () => {
    for await (const r of openCapture((async function* () { yield hex('00112233'); })())) void r;
  }, { code: 'ERR_PCAP_FORMAT', message: /^not a capture file/ });
});

test('openPcapWriter / readCaptureFile: file-system errors pass through', (t) => {
  const dir = tmp(t);
  t.throws(() => readCaptureFile(join(dir, 'missing.pcap')), { code: 'ENOENT' });
  t.throws(() => openPcapWriter(join(dir, 'no/such/dir.pcap')), { code: 'ENOENT' });
});
