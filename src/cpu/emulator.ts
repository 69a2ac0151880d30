/**
 * The Emulator: what every front end (replay, simulation, stress, daemon)
 * drives, whatever runs underneath: N replicas in worker threads (the
 * DragonFly design) or in one thread (the single-CPU model the stress tester
 * compares against).
 *
 * Two ways to run time:
 *  - virtual (replay, simulation, stress): the front end calls advanceTo(t);
 *    every CPU's clock moves there and its due timers fire in deadline
 *    order, CPU0 first at equal deadlines. In `lockstep` mode each stimulus
 *    (frame, packet, op, timer) runs to quiescence before the next, so a run
 *    is deterministic and independent of the number of CPUs and threads;
 *  - real (daemon): clocks are RealClocks and timers fire by themselves.
 */
import type { EventSink } from '../util/events.js';
import type { Ipv4, Mac } from '../wire/addr.js';
import type { ArpAdminOp, ArpEntryDump } from '../arp/admin.js';
import type { ArpResolveOutcome } from '../arp/resolve.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { NetDump } from '../inet/stack.js';
import type { KnobInfo } from '../sysctl/index.js';

/** An Ethernet interface of the emulator (config `interfaces[]`). */
export interface EmuInterface {
  name: string;
  mac: Mac;
  /** ifconfig words: noarp, staticarp, pointopoint, loopback, down. */
  flags: string[];
}

/** Every change of replicated state; each travels the replication path so all replicas apply it in one order. */
export type EmuOp =
  | ArpAdminOp
  | { op: 'ifattach'; iface: EmuInterface }
  /** ifconfig IF inet ADDR[/PLEN] alias | -alias (plen undefined: classful default, as in_control). */
  | { op: 'ifaddr'; cmd: 'add' | 'delete'; iface: string; addr: Ipv4; plen: number | undefined }
  /** route add|delete DST/PLEN GATEWAY */
  | { op: 'route'; cmd: 'add' | 'delete'; dst: Ipv4; plen: number; gateway: Ipv4 };

export interface EmuOpResult {
  /** Entries changed (arp delete/flush), 1 for a set, 0 otherwise. */
  count: number;
  /** The previous value (sysctl). */
  old?: number | string;
}

/** One replica in the CONTRACT.md dump. */
export interface CpuDump {
  cpu: number;
  arp: ArpEntryDump[];
  routes: NetDump['routes'];
}

/** The CONTRACT.md dump. */
export interface EmuDump {
  interfaces: NetDump['interfaces'];
  cpus: CpuDump[];
  stats: ArpStatValues;
}

export type Strategy = 'chain' | 'fanout' | 'shared';
export type Transport = 'port' | 'ring';

export interface EmulatorOptions {
  /** Number of CPU replicas (>= 1). */
  cpus: number;
  strategy: Strategy;
  transport: Transport;
  /** Virtual time starting at `start` (replay, simulation) or real time (daemon). */
  time: { kind: 'virtual'; start: number; lockstep: boolean } | { kind: 'real' };
  /** Send the ARP reply only after the update chain has replied (the seed's lwkt_domsg). Default true. */
  syncReply?: boolean;
  /** Events of every CPU (only CPU0 reports protocol events). */
  events?: EventSink;
}

/** An IPv4 datagram of the emulator's own stack (UDP to port 9 unless `proto` says otherwise). */
export interface Datagram {
  /** IPv4 protocol number; 17 (UDP) builds a UDP datagram to port 9. */
  proto: number;
  /** Payload bytes. */
  size: number;
  /** IPv4 identification. */
  id: number;
}

/** Called for every frame the emulator transmits; `frame` is valid only during the call. */
export type TransmitHandler = (iface: string, frame: Uint8Array, t: number) => void;

export interface Emulator {
  readonly cpus: number;
  /** Apply an operation on every replica; rejects with the same errno everywhere when it fails. */
  apply(op: EmuOp): Promise<EmuOpResult>;
  /** A frame received on interface `iface` (copied before return). */
  input(iface: string, frame: Uint8Array): void;
  /**
   * The emulator's own stack sends an IPv4 datagram to `dst` (CONTRACT.md
   * `traffic`): the CPU that owns the flow picks the source address from
   * the route, builds the packet, and sends it through arpresolve (sent,
   * held or dropped).
   */
  output(dst: Ipv4, datagram: Datagram): void;
  /** arpemu resolve: run resolution for `dst` and report the outcome once it is known (or after timeout seconds). */
  resolve(dst: Ipv4, timeout: number): Promise<ArpResolveOutcome>;
  /** Virtual time only: move to `t`, firing every timer due on the way. */
  advanceTo(t: number): Promise<void>;
  /** Virtual time only: earliest pending timer over all CPUs. */
  nextDeadline(): number | undefined;
  /** Resolves when no message is in flight on any CPU or channel. */
  quiesce(): Promise<void>;
  onTransmit(handler: TransmitHandler): void;
  dump(): Promise<EmuDump>;
  /** Counters of each CPU, in CPU order (netstat -s --per-cpu); dump().stats is their sum. */
  stats(): Promise<ArpStatValues[]>;
  /** sysctl NAME (every knob when omitted), read from CPU0; ENOENT for an unknown name. */
  sysctl(name?: string): Promise<KnobInfo[]>;
  close(): Promise<void>;
}
