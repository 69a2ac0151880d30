/** Capture records and headers that the pcap format tests and the capture file tests share. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PcapWriteRecord } from '../../src/wire/pcap.js';
import { hex } from './bytes.js';

// A 14-byte Ethernet header used as record data: broadcast, from 02:00:00:00:00:01, type ARP.
export const ETH = hex('ffffffffffff 020000000001 0806');

// 2020-01-01T00:00:00Z + 0.999999 s, 14 of 60 bytes captured.
export const HDR_LE_US = hex('d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000');
export const REC_LE_US = hex('00e10b5e 3f420f00 0e000000 3c000000');

/** `n` records of 42..71 bytes, a millisecond apart. */
export const manyRecords = (n: number): PcapWriteRecord[] =>
  Array.from({ length: n }, (_, i) => ({ data: new Uint8Array(42 + (i % 30)).fill(i & 0xff), time: 1_700_000_000 + i / 1000 }));

/** A fresh directory, removed when the test ends. */
export function testDir(t: { teardown(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
