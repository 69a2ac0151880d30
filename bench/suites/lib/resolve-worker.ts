/**
 * One CPU of the resolve suite: its own replica filled with `entries`
 * resolved entries, answering "run" with a timed loop of lookups.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { arpResolve, ARPRES_RESOLVED } from '../../../src/arp/resolve.js';
import { arpUpdateOnCpu } from '../../../src/arp/update.js';
import type { ArpRt } from '../../../src/arp/llinfo.js';
import { xorshift32 } from '../../../src/bench/measure.js';
import { fillReplica, hostIp, makeReplica } from './replica.js';
import type { ResolveWorkerData } from './resolve-proto.js';

const d = workerData as ResolveWorkerData;
const b = makeReplica(d.cpu);
fillReplica(b, d.entries);
const { rep, ifp } = b;
const rnd = xorshift32(0x9e3779b9 + d.cpu);
const q = new Uint32Array(d.ops);
const idx = new Uint32Array(d.ops);
const hotN = Math.max(1, Math.floor(d.entries / 100));
for (let i = 0; i < d.ops; i++) {
  const k = d.op === 'hot' ? (rnd() % 10 === 0 ? rnd() % d.entries : ((rnd() % hotN) * 97) % d.entries) : rnd() % d.entries;
  idx[i] = k;
  q[i] = hostIp(k);
}
let routes: ArpRt[] = [];
if (d.op === 'by-route') routes = Array.from(q, (a) => rep.routes.lookupHost(a)!);
let map: Map<number, ArpRt> | undefined;
if (d.op === 'map-get' || d.op === 'map-deref') {
  map = new Map();
  rep.routes.forEach((rt) => { if (!rt.isNet) map!.set(rt.key, rt); });
}
const every = d.mix > 0 ? Math.round(1 / d.mix) : 0;

function run(): number {
  let hits = 0;
  const n = d.ops;
  if (d.op === 'map-get' || d.op === 'map-deref') {
    for (let i = 0; i < n; i++) if (map!.get(q[i]! | 0) !== undefined) hits++;
  } else if (d.op === 'by-route') {
    for (let i = 0; i < n; i++) if (arpResolve(rep, ifp, routes[i]!, null, q[i]!) === ARPRES_RESOLVED) hits++;
  } else if (every > 0) {
    for (let i = 0; i < n; i++) {
      if (i % every === 0) { if (arpUpdateOnCpu(rep, b.update(idx[i]!)) === 'updated') hits++; }
      else if (arpResolve(rep, ifp, null, null, q[i]!) === ARPRES_RESOLVED) hits++;
    }
  } else {
    for (let i = 0; i < n; i++) if (arpResolve(rep, ifp, null, null, q[i]!) === ARPRES_RESOLVED) hits++;
  }
  return hits;
}

parentPort!.on('message', () => {
  const t0 = performance.now();
  const hits = run();
  parentPort!.postMessage({ hits, seconds: (performance.now() - t0) / 1000 });
});
parentPort!.postMessage({ ready: true });
