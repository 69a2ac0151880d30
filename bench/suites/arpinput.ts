/**
 * arpinput: the whole one-CPU input path, no threads (issue 5: in_arpinput +
 * update >= 2M frames/s): arpIntr, inArpInput, arpUpdateOnCpu and the reply
 * built (its transmit a no-op), for requests to us from 64k senders whose
 * entries exist (steady state: every frame refreshes an entry and is
 * answered). Baseline: arpIntr alone (the frame checks) on the same frames.
 */
import { MAC_BROADCAST } from '../../src/wire/addr.js';
import { ArpPacket, ARPOP_REQUEST, emitArpFrame } from '../../src/wire/arp.js';
import { arpIntr } from '../../src/arp/intr.js';
import { ArpInputDecision, arpInputReply, inArpInput } from '../../src/arp/input.js';
import { arpUpdateOnCpu } from '../../src/arp/update.js';
import { timeOps } from '../../src/bench/measure.js';
import type { SuiteDef } from '../../src/bench/types.js';
import { MY_IP, hostIp, hostMac, makeReplica } from './lib/replica.js';

const suite: SuiteDef = {
  name: 'arpinput',
  title: 'ARP input path on one CPU (arpIntr + in_arpinput + update + reply)',
  description: 'Requests for our address from 64k senders whose entries exist, through arpIntr, inArpInput, arpUpdateOnCpu and arpInputReply on one replica in one thread ' +
    '(every frame refreshes an entry and builds a reply); baseline: arpIntr alone on the same frames.',
  grid: { path: ['intr-only', 'input+update+reply'], frames: [2_000_000] },
  quickGrid: { frames: [400_000] },
  baselines: [{ path: 'intr-only' }],
  metrics: [
    { name: 'cpuRate', unit: 'frames/s', better: 'higher', label: 'frames per CPU-second' },
    { name: 'rate', unit: 'frames/s', better: 'higher', label: 'frames per wall second' },
  ],
  primary: 'cpuRate',
  warmup: 1,
  reps: 5,
  setup(p) {
    const n = p['frames'] as number;
    const senders = 1 << 16;
    const { rep, ifp } = makeReplica();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < senders; i++) {
      const f = new Uint8Array(60);
      emitArpFrame(f, MAC_BROADCAST, hostMac(i), { op: ARPOP_REQUEST, sha: hostMac(i), spa: hostIp(i), tha: 0, tpa: MY_IP });
      frames.push(f);
    }
    const view = new ArpPacket();
    const d = new ArpInputDecision();
    let replies = 0;
    const one = (f: Uint8Array): void => {
      if (arpIntr(view, f, ifp, rep.stats) !== 0) return;
      if (inArpInput(rep, view, ifp, d) !== 0) return;
      if (d.hasUpdate) arpUpdateOnCpu(rep, d.update);
      if (arpInputReply(rep, d) !== null) replies++;
    };
    // Creating pass: the first frame of each sender clones its entry (reported, not a repetition).
    const created = timeOps(senders, () => { for (let i = 0; i < senders; i++) one(frames[i]!); });
    const full = p['path'] !== 'intr-only';
    const body = full
      ? () => { for (let i = 0; i < n; i++) one(frames[i & (senders - 1)]!); }
      : () => { let ok = 0; for (let i = 0; i < n; i++) if (arpIntr(view, frames[i & (senders - 1)]!, ifp, rep.stats) === 0) ok++; replies += ok; };
    return {
      rep() {
        const before = replies;
        const s = timeOps(n, body);
        if (replies - before !== n) throw new Error(`${replies - before} of ${n} frames answered/accepted`);
        return s;
      },
      info: () => ({ frames: n, senders, createRate: created['cpuRate'] }),
    };
  },
};
export default suite;
