/**
 * Frames for fuzzing the full input path (netisr arpintr checks, in_arpinput
 * on the input CPU, the update chain): random bytes, and mutations of real
 * frames (a corpus read from ../shared/pcaps, or built-in valid ARP frames
 * when there is none): bit flips, truncation, extension with garbage, edits
 * of the length and type fields (ethertype, ar_hrd, ar_pro, ar_hln, ar_pln,
 * ar_op) and addresses swapped for interesting values (ours, broadcast,
 * zero). Seeded: the same Random gives the same frames.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Random } from '../util/random.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, emitArpFrame } from '../wire/arp.js';
import { ETHER_HDR_LEN } from '../wire/ethernet.js';
import { LINKTYPE_ETHERNET, readCapture } from '../wire/pcap.js';

/** Every Ethernet frame of every pcap/pcapng file under `dir` (recursively), in file name order. */
export function loadCorpus(dir: string, limit = 20_000): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try { names = readdirSync(d).sort(); } catch { return; }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) { walk(p); continue; }
      if (!/\.(pcap|pcapng|cap)$/.test(n)) continue;
      try {
        const cap = readCapture(new Uint8Array(readFileSync(p)));
        if (cap.linkType !== LINKTYPE_ETHERNET) continue;
        for (const r of cap.records) {
          if (out.length >= limit) return;
          out.push(r.data.slice());
        }
      } catch { /* unreadable capture: not part of the corpus */ }
    }
  };
  walk(dir);
  return out;
}

/** A few valid ARP frames, the seed corpus when no captures are at hand. */
function builtinCorpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const mk = (op: 1 | 2, sha: number, spa: number, tha: number, tpa: number, dst: number): void => {
    const b = new Uint8Array(60);
    emitArpFrame(b, dst, sha, { op, sha, spa, tha, tpa });
    out.push(b);
  };
  mk(ARPOP_REQUEST, 0x02_00_00_00_00_10, 0x0a00000a, 0, 0x0a000001, 0xffff_ffff_ffff);
  mk(ARPOP_REPLY, 0x02_00_00_00_00_11, 0x0a00000b, 0x02_00_00_00_01_01, 0x0a000001, 0x02_00_00_00_01_01);
  mk(ARPOP_REQUEST, 0x02_00_00_00_00_12, 0x0a00000c, 0, 0x0a00000c, 0xffff_ffff_ffff);
  mk(ARPOP_REQUEST, 0x02_00_00_00_01_10, 0x0a00010a, 0, 0x0a000101, 0xffff_ffff_ffff);
  return out;
}

/** Values worth writing into address fields. */
const ADDR_IPS = [0x0a000001, 0x0a000101, 0x0a00000a, 0x0a0000ff, 0, 0xffffffff, 0xe00000fb, 0x7f000001];
const ADDR_MACS = [0x02_00_00_00_01_01, 0x02_00_00_00_01_02, 0xffff_ffff_ffff, 0, 0x01_00_5e_00_00_fb, 0x02_00_00_00_00_10];

export class FrameMutator {
  private readonly corpus: readonly Uint8Array[];

  constructor(private readonly r: Random, corpus: readonly Uint8Array[]) {
    this.corpus = corpus.length > 0 ? corpus : builtinCorpus();
  }

  /** One fuzz frame (a fresh array). */
  next(): Uint8Array {
    const r = this.r;
    if (r.chance(0.1)) {
      // Pure noise, any length from nothing to beyond a jumbo frame's start.
      const n = r.chance(0.5) ? r.nextInt(64) : r.nextInt(1600);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = r.nextInt(256);
      return b;
    }
    let f: Uint8Array = r.pick(this.corpus).slice();
    const rounds = 1 + r.nextInt(3);
    for (let i = 0; i < rounds; i++) f = this.mutate(f);
    return f;
  }

  private mutate(f: Uint8Array): Uint8Array {
    const r = this.r;
    const arp = ETHER_HDR_LEN;
    switch (r.nextInt(9)) {
      case 0: { // bit flips
        const g = f.slice();
        const k = 1 + r.nextInt(8);
        for (let i = 0; i < k && g.length > 0; i++) { const bit = r.nextInt(g.length * 8); g[bit >>> 3]! ^= 1 << (bit & 7); }
        return g;
      }
      case 1: // truncation
        return f.slice(0, f.length === 0 ? 0 : r.nextInt(f.length + 1));
      case 2: { // extension with garbage
        const extra = r.nextInt(r.chance(0.8) ? 32 : 1500);
        const g = new Uint8Array(f.length + extra);
        g.set(f);
        for (let i = f.length; i < g.length; i++) g[i] = r.nextInt(256);
        return g;
      }
      case 3: // ar_hln / ar_pln
        return this.setByte(f, arp + (r.chance(0.5) ? 4 : 5), r.pick([0, 1, 4, 6, 8, 14, 16, 255, r.nextInt(256)]));
      case 4: // ar_op
        return this.setWord(f, arp + 6, r.pick([0, 1, 2, 3, 4, 8, 9, 0xffff, r.nextInt(0x10000)]));
      case 5: // ar_hrd / ar_pro
        return r.chance(0.5) ? this.setWord(f, arp, r.pick([0, 1, 6, 15, 24, 32, r.nextInt(0x10000)])) : this.setWord(f, arp + 2, r.pick([0x0800, 0x86dd, 0, r.nextInt(0x10000)]));
      case 6: // ethertype
        return this.setWord(f, 12, r.pick([0x0806, 0x0800, 0x8100, 0x8035, 0x86dd, r.nextInt(0x10000)]));
      case 7: { // an interesting protocol address (sender or target)
        const g = f.slice();
        const at = arp + (r.chance(0.5) ? 14 : 24);
        if (at + 4 <= g.length) { const v = r.pick(ADDR_IPS); g[at] = v >>> 24; g[at + 1] = v >>> 16; g[at + 2] = v >>> 8; g[at + 3] = v; }
        return g;
      }
      default: { // an interesting hardware address (Ethernet dst/src, sha, tha)
        const g = f.slice();
        const at = r.pick([0, 6, arp + 8, arp + 18]);
        if (at + 6 <= g.length) {
          const v = r.pick(ADDR_MACS);
          const hi = Math.floor(v / 0x1_0000_0000);
          g[at] = hi >>> 8; g[at + 1] = hi; g[at + 2] = v >>> 24; g[at + 3] = v >>> 16; g[at + 4] = v >>> 8; g[at + 5] = v;
        }
        return g;
      }
    }
  }

  private setByte(f: Uint8Array, at: number, v: number): Uint8Array {
    if (at >= f.length) return f;
    const g = f.slice();
    g[at] = v;
    return g;
  }

  private setWord(f: Uint8Array, at: number, v: number): Uint8Array {
    if (at + 1 >= f.length) return f;
    const g = f.slice();
    g[at] = v >>> 8;
    g[at + 1] = v;
    return g;
  }
}

/** Whether a frame could be a whole Ethernet ARP frame (for reports). */
export function looksLikeArp(f: Uint8Array): boolean {
  return f.length >= ARP_FRAME_LEN && f[12] === 0x08 && f[13] === 0x06;
}
