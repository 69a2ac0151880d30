/**
 * Small helpers for wire tests that ask a real decoder (tshark) for its
 * opinion. If tshark is missing the test is skipped with the reason printed,
 * except under CI, where a missing prerequisite is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';

function probe(): string | undefined {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) return `tshark not runnable (${r.error.message}); install it (Debian: apt-get install tshark)`;
  if (r.status !== 0) return `tshark --version exited ${r.status}`;
  return undefined;
}

const missing = probe();

/** Register a test that needs tshark: skipped with a printed reason, or failing under CI. */
export function tsharkTest(title: string, fn: (t: ExecutionContext) => void): void {
  if (missing === undefined) {
    test(title, fn);
  } else if (process.env.CI !== undefined && process.env.CI !== '') {
    test(title, (t) => { t.fail(`CI is set and ${missing}`); });
  } else {
    console.log(`skipping "${title}": ${missing}`);
    test.skip(title, fn);
  }
}

/** A classic little-endian microsecond pcap with LINKTYPE_ETHERNET, written by hand (independent of src/wire/pcap). */
export function pcapBytes(frames: readonly Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true);
  let o = 24;
  frames.forEach((f, i) => {
    dv.setUint32(o, 1_700_000_000 + i, true);
    dv.setUint32(o + 4, 0, true);
    dv.setUint32(o + 8, f.length, true);
    dv.setUint32(o + 12, f.length, true);
    out.set(f, o + 16);
    o += 16 + f.length;
  });
  return out;
}

/** Run tshark on the frames; returns stdout (throws with stderr when tshark fails). */
export function runTshark(frames: readonly Uint8Array[], args: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'arpemu-wire-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcapBytes(frames));
    const r = spawnSync('tshark', ['-n', '-r', file, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tshark exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
