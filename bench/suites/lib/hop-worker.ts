/**
 * One stage of the hops suite's chain: receives update records, applies
 * each to its own replica with arpUpdateOnCpu (as arp_update_msghandler does
 * on every CPU) and forwards it to the next stage. Transport `port`: one
 * MessagePort message per update. Transport `ring`: SharedArrayBuffer SPSC
 * rings (src/cpu/ring.ts), batched, doorbell wake-ups, optional spinning.
 */
import { workerData } from 'node:worker_threads';
import { Ring } from '../../../src/cpu/ring.js';
import { arpUpdateOnCpu } from '../../../src/arp/update.js';
import { makeReplica } from './replica.js';
import { HOP_LEN, type HopWorkerData } from './hop-proto.js';


const d = workerData as HopWorkerData;
const b = makeReplica(d.cpu);
// Entries exist before measuring: every update is a refresh, the steady state.
for (let i = 0; i < d.hosts; i++) arpUpdateOnCpu(b.rep, b.update(i));

function apply(host: number, hi: number, lo: number): void {
  arpUpdateOnCpu(b.rep, b.update(host, hi * 2 ** 32 + (lo >>> 0)));
}

if (d.transport === 'port') {
  const out = d.outPort!;
  d.inPort!.on('message', (m: number[]) => {
    apply(m[1]!, m[2]!, m[3]!);
    out.postMessage(m);
  });
} else {
  const inR = Ring.attach(d.inSab!);
  const outR = Ring.attach(d.outSab!);
  const in32 = inR.i32, out32 = outR.i32;
  let full = false;
  const handler = (type: number, _bytes: Uint8Array, off: number): boolean => {
    const o = outR.reserve(HOP_LEN, type);
    if (o < 0) { full = true; return false; }
    const w = off >> 2, v = o >> 2;
    const host = in32[w + 1]!, hi = in32[w + 2]!, lo = in32[w + 3]!;
    apply(host, hi, lo);
    out32[v] = in32[w]!; out32[v + 1] = host; out32[v + 2] = hi; out32[v + 3] = lo;
    outR.commit();
    return true;
  };
  const loop = async (): Promise<void> => {
    for (;;) {
      full = false;
      const k = inR.poll(handler, 256);
      outR.publish();
      if (inR.closed && !inR.hasData()) return;
      if (full) { if (!(await outR.waitSpace(HOP_LEN))) return; continue; }
      if (k > 0) continue;
      const p = inR.sleep(d.spin);
      if (p !== undefined) await p;
    }
  };
  void loop();
}
