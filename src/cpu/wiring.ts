/**
 * How the threads of a ThreadedEmulator are wired: endpoint numbers, the
 * shared control block (in-flight counter, supervisor doorbell, per-CPU
 * timer deadlines), and the channels: one SPSC ring per directed pair in one
 * RingArena (ring transport) or one MessageChannel per pair (port).
 *
 *   supervisor -> netisr            frames, output requests, interfaces, ticks
 *   supervisor -> CPU j             admin operations (to CPU0), probes, ticks
 *   netisr -> CPU j                 checked ARP frames (input CPU), output work
 *   CPU i -> CPU j (i != j)         submit, chain, ack, done, output hand-off
 *   CPU j, netisr -> supervisor     frames to transmit, events, results
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Doorbell, RingArena, type RingSpec } from './ring.js';
import type { Strategy, Transport } from './emulator.js';
import type { CpuTestHooks } from './testhooks.js';

export const NETISR = 0x100;
export const MAIN = 0x101;

// Control block (Int32 words).
/** Records sent and not yet handled, over every channel. */
export const C_INFLIGHT = 0;
/** The sequence counter of CPU0 (survives CPU0's death). */
export const C_SEQ = 1;
/** The supervisor's doorbell (two words), one cache line further (port transport). */
export const C_MAIN_BELL = 16;
/** Per-CPU: 1 while the worker is up (cleared by the supervisor when it dies). */
export const C_ALIVE = 32;
/** Float64 index of CPU 0's next timer deadline (Infinity: none). */
export const C_DEADLINE_F64 = 64;
export const CTL_BYTES = (64 + 64) * 8;
export const MAX_CPUS = 64;

export function createControlBlock(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(CTL_BYTES);
  new Float64Array(sab).fill(Infinity, C_DEADLINE_F64, C_DEADLINE_F64 + MAX_CPUS);
  return sab;
}

/**
 * The supervisor's doorbell: the up rings ring it (ring transport: the
 * arena's doorbell of MAIN), and so does a worker that brings the in-flight
 * count to 0.
 */
export function mainBell(ctl: SharedArrayBuffer, arena: SharedArrayBuffer | undefined): Doorbell {
  if (arena !== undefined) {
    const d = RingArena.attach(arena).doorbellFor(MAIN);
    if (d !== undefined) return d;
  }
  return new Doorbell(new Int32Array(ctl), C_MAIN_BELL);
}

export interface Edge { from: number; to: number }

/** Every directed channel of a topology of `n` CPUs. */
export function edges(n: number): Edge[] {
  const e: Edge[] = [];
  e.push({ from: MAIN, to: NETISR });
  for (let j = 0; j < n; j++) e.push({ from: MAIN, to: j });
  for (let j = 0; j < n; j++) e.push({ from: NETISR, to: j });
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) e.push({ from: i, to: j });
  for (let j = 0; j < n; j++) e.push({ from: j, to: MAIN });
  e.push({ from: NETISR, to: MAIN });
  return e;
}

export interface RingCapacities {
  /** CPU <-> CPU and netisr -> CPU rings (bytes, a power of two). */
  data: number;
  /** Rings into the supervisor and out of it. */
  main: number;
}

export const DEFAULT_CAPACITIES: RingCapacities = { data: 1 << 18, main: 1 << 20 };

export function createArena(n: number, cap: RingCapacities = DEFAULT_CAPACITIES): RingArena {
  const specs: RingSpec[] = edges(n).map((e) => ({
    producer: e.from, consumer: e.to,
    capacity: e.from === MAIN || e.to === MAIN ? cap.main : cap.data,
  }));
  return RingArena.create(specs);
}

/** One MessageChannel per edge: port1 stays with the producer, port2 goes to the consumer. */
export function createChannels(n: number): Map<string, MessageChannel> {
  const m = new Map<string, MessageChannel>();
  for (const e of edges(n)) m.set(`${e.from}>${e.to}`, new MessageChannel());
  return m;
}

/** The ports an endpoint needs: outbound by destination, inbound by source. */
export function portsOf(channels: Map<string, MessageChannel>, self: number): { out: Map<number, MessagePort>; in: Map<number, MessagePort> } {
  const out = new Map<number, MessagePort>();
  const inn = new Map<number, MessagePort>();
  for (const [k, ch] of channels) {
    const [from, to] = k.split('>').map(Number) as [number, number];
    if (from === self) out.set(to, ch.port1);
    if (to === self) inn.set(from, ch.port2);
  }
  return { out, in: inn };
}

/** What a worker's start task carries (structured-cloned; ports transferred). */
export interface WorkerInit {
  /** CPU index, or NETISR. */
  self: number;
  ncpus: number;
  strategy: Strategy;
  syncReply: boolean;
  inputHash: boolean;
  transport: Transport;
  /** Virtual clock start (the current virtual time for a restarted CPU), or real time. */
  time: { kind: 'virtual'; start: number } | { kind: 'real'; epochNs: string };
  events: boolean;
  /** Whether trace-class (per-frame) events are wanted (EventSink.traces). */
  traces: boolean;
  ctl: SharedArrayBuffer;
  /** ring transport: the arena. */
  arena?: SharedArrayBuffer | undefined;
  /** port transport: outbound ports by destination, inbound by source. */
  portsOut?: [number, MessagePort][] | undefined;
  /** port transport: one postMessage per record (the unbatched baseline). */
  portPerMessage?: boolean | undefined;
  portsIn?: [number, MessagePort][] | undefined;
  /** comlink control channel (CPUs only). */
  control?: MessagePort | undefined;
  /** shared strategy: the mirror table. */
  shared?: SharedArrayBuffer | undefined;
  /** Busy-poll iterations before sleeping (0: sleep at once). */
  spin: number;
  /** This CPU replaces one that died: wait for restore() before taking work. */
  restarted: boolean;
  /** Stress-test hooks (testhooks.ts); CPUs only. */
  hooks?: CpuTestHooks | undefined;
}
