/**
 * The netisr worker thread (loaded by workers/netisr.ts): a Netisr on the
 * channels it is given. Its counters and interface table are read with
 * comlink like a CPU's.
 */
import * as Comlink from 'comlink';
import { VirtualClock } from '../util/clock.js';
import type { ArpStatValues } from '../arp/stats.js';
import { endpointOf, installErrorTransfer } from '../cpu/control.js';
import { Endpoint } from '../cpu/endpoint.js';
import { EpochClock } from '../cpu/epoch.js';
import { MAIN, type WorkerInit } from '../cpu/wiring.js';
import type { RecordOut } from '../cpu/channel.js';
import { Netisr } from './dispatch.js';

export interface NetisrControl {
  stats(): ArpStatValues;
  /** Frames and output requests handed to each CPU. */
  perCpu(): number[];
}

let current: Netisr | undefined;

/** piscina task: set the netisr up; resolves once it takes work. */
export function startNetisrWorker(init: WorkerInit): { ok: true } {
  if (current !== undefined) throw new Error('this thread already runs the netisr');
  installErrorTransfer();
  const ep = new Endpoint(init);
  const outs: RecordOut[] = [];
  for (let j = 0; j < init.ncpus; j++) outs.push(ep.out(j));
  const netisr = new Netisr({
    ncpus: init.ncpus, strategy: init.strategy, inputHash: init.inputHash,
    clock: init.time.kind === 'virtual' ? new VirtualClock(init.time.start) : new EpochClock(init.time.epochNs),
    events: init.events,
    outs: { cpu: (j) => outs[j]!, up: ep.out(MAIN) },
  });
  current = netisr;
  const control: NetisrControl = {
    stats: () => netisr.stats.toJSON(),
    perCpu: () => [...netisr.perCpu],
  };
  if (init.control !== undefined) Comlink.expose(control, endpointOf(init.control));
  ep.start(
    (type, u8, dv, off, len) => netisr.handle(type, u8, dv, off, len),
    () => netisr.flush(),
    () => (netisr.blocked === null ? Promise.resolve() : netisr.blocked.waitRoom(netisr.blockedLen)),
  );
  return { ok: true };
}
