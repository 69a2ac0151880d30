/**
 * The Emulator for the suites that measure the real per-CPU machinery
 * (src/cpu): ThreadedEmulator (N CPU workers + netisr) or, for the no-thread
 * baseline, SingleCpuEmulator. Loaded dynamically so a build without the
 * threaded emulator reports the suites as unavailable instead of failing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Emulator, EmulatorOptions } from '../../../src/cpu/emulator.js';
import { BenchUnavailable } from '../../../src/bench/types.js';
import { MAC_BROADCAST } from '../../../src/wire/addr.js';
import { ARPOP_REQUEST, emitArpFrame } from '../../../src/wire/arp.js';
import { MY_IP, MY_MAC, hostIp, hostMac } from './replica.js';

export const IFACE = 'vemu0';

export interface EmuSpec {
  /** 'single': SingleCpuEmulator (no threads, cpus must be 1); 'threaded': ThreadedEmulator. */
  impl: 'single' | 'threaded';
  cpus: number;
  strategy: 'chain' | 'fanout' | 'shared';
  /** 'port-msg': the port transport posting every record on its own (the unbatched baseline of issue 6). */
  transport: 'port' | 'port-msg' | 'ring';
  /** Busy-poll iterations before a worker sleeps. */
  spin: number;
  lockstep: boolean;
}

interface Threaded extends Emulator { ready?(): Promise<void>; crashCpu?(cpu: number): Promise<void> }

/** A synchronous factory for `spec` (what replay() takes); BenchUnavailable when the implementation is not built. */
export async function emulatorFactory(spec: EmuSpec): Promise<(o: EmulatorOptions) => Threaded> {
  if (spec.impl === 'single') {
    if (spec.cpus !== 1) throw new BenchUnavailable('the single-CPU emulator has one CPU');
    const { SingleCpuEmulator } = await import('../../../src/cpu/single.js');
    return (o) => new SingleCpuEmulator(o);
  }
  const file = fileURLToPath(new URL('../../../src/cpu/threaded.js', import.meta.url));
  if (!existsSync(file)) throw new BenchUnavailable('the threaded Emulator (src/cpu/threaded.ts, issue 6) is not in this build');
  const mod = (await import('../../../src/cpu/threaded.js')) as { ThreadedEmulator?: new (o: EmulatorOptions & { spin?: number; portPerMessage?: boolean }) => Threaded };
  const Cls = mod.ThreadedEmulator;
  if (Cls === undefined) throw new BenchUnavailable('src/cpu/threaded.js exports no ThreadedEmulator');
  return (o) => new Cls({ ...o, spin: spec.spin, ...(spec.transport === 'port-msg' ? { transport: 'port', portPerMessage: true } : {}) });
}

export async function createBenchEmulator(spec: EmuSpec, extra: Partial<EmulatorOptions> = {}): Promise<Threaded> {
  const make = await emulatorFactory(spec);
  const emu = make({
    cpus: spec.cpus, strategy: spec.strategy, transport: spec.transport === 'ring' ? 'ring' : 'port',
    time: { kind: 'virtual', start: 100, lockstep: spec.lockstep }, ...extra,
  });
  await emu.ready?.();
  return emu;
}

/** vemu0 with our MAC and 10.0.0.1/8, applied through the replication path. */
export async function configure(emu: Emulator): Promise<void> {
  await applied(emu, emu.apply({ op: 'ifattach', iface: { name: IFACE, mac: MY_MAC, flags: [] } }));
  await applied(emu, emu.apply({ op: 'ifaddr', cmd: 'add', iface: IFACE, addr: MY_IP, plen: 8 }));
}

/**
 * Wait for an operation: quiesce first. Free-running (non-lockstep)
 * ThreadedEmulator only drains its up channels inside quiesce(), so awaiting
 * apply() alone never returns there.
 */
async function applied<T>(emu: Emulator, p: Promise<T>): Promise<T> {
  await emu.quiesce();
  return p;
}

/** Broadcast requests for our address from neighbours 0..n-1 (each: an update through the chain and a reply). */
export function requestsForUs(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = new Uint8Array(60);
    emitArpFrame(f, MAC_BROADCAST, hostMac(i), { op: ARPOP_REQUEST, sha: hostMac(i), spa: hostIp(i), tha: 0, tpa: MY_IP });
    out.push(f);
  }
  return out;
}

/** Feed frames in slices, letting the event loop run between them (the up channels drain meanwhile), then quiesce. */
export async function feed(emu: Emulator, frames: readonly Uint8Array[], total: number, slice = 4096): Promise<void> {
  for (let i = 0; i < total;) {
    const end = Math.min(total, i + slice);
    for (; i < end; i++) emu.input(IFACE, frames[i % frames.length]!);
    await new Promise((r) => setImmediate(r));
  }
  await emu.quiesce();
}
