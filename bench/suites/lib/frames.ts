/** Deterministic ARP frame sets for the suites. */
import { ARPOP_REPLY, ARPOP_REQUEST, emitArpFrame } from '../../../src/wire/arp.js';
import { xorshift32 } from '../../../src/bench/measure.js';

export const STRIDE = 64;

/**
 * `n` frames packed at a fixed stride in one buffer, about `badShare` of
 * them invalid across every reason the checks know (runt, not ARP, bad
 * hardware/protocol/lengths/opcode, truncated), the rest requests and
 * replies among 250 hosts; lengths as sent (42) or padded (60).
 */
export function mixedFrames(n: number, badShare = 0.2, seed = 42): { buf: Uint8Array; lens: Uint16Array } {
  const buf = new Uint8Array(new ArrayBuffer(n * STRIDE));
  const lens = new Uint16Array(n);
  const r = xorshift32(seed);
  const u = (): number => r() / 2 ** 32;
  for (let i = 0; i < n; i++) {
    const off = i * STRIDE;
    const host = (r() % 250) + 1;
    const op = u() < 0.6 ? ARPOP_REQUEST : ARPOP_REPLY;
    const mac = (u() < 0.5 ? 0xf8_ed_a5_00_00_00 : 0x02_00_00_00_00_00) + host;
    emitArpFrame(buf, 0xffff_ffff_ffff, mac, {
      op, sha: mac, spa: 0xc0a8_0000 + host, tha: op === ARPOP_REPLY ? 0xf8_ed_a5_c0_a4_f1 : 0, tpa: 0xc0a8_0000 + (r() % 250) + 1,
    }, off);
    let len = u() < 0.5 ? 42 : 60;
    const p = off + 14;
    const bad = u();
    if (bad >= badShare) { /* valid */ } else {
      const kind = Math.floor((bad / badShare) * 8);
      if (kind === 0) len = r() % 22; // runt
      else if (kind === 1) buf[off + 13] = 0x00; // not ARP
      else if (kind === 2) buf[p + 1] = 3; // bad_hrd
      else if (kind === 3) { len = 42; buf[p + 4] = 7 + (r() % 200); } // truncated
      else if (kind === 4) buf[p + 3] = 0xdd; // bad_pro
      else if (kind === 5) buf[p + 4] = 5; // bad_hln
      else if (kind === 6) buf[p + 5] = 3; // bad_pln
      else buf[p + 7] = 3 + (r() % 200); // bad_op
    }
    lens[i] = len;
  }
  return { buf, lens };
}
