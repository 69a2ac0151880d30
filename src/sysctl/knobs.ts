/**
 * The tunables arpemu registers, with FreeBSD names. Pure data: a table per
 * subsystem, collected in DEFAULT_KNOBS. A later subsystem adds its own table
 * (here or in its own file), registers it on each Sysctl instance with
 * `sysctl.register(TABLE)`, and types its fast accessors by augmenting
 * `KnobValues`:
 *
 *   declare module '../sysctl/knobs.js' {
 *     interface KnobValues { cpuTransport: string }
 *   }
 *
 * Defaults follow DragonFly if_ether.c (the static variables beside its
 * SYSCTL_INT lines) and FreeBSD in.c (`no_same_prefix`).
 */
import type { KnobDef } from './registry.js';

/**
 * The fast accessors: `sysctl.v.maxTries` is a plain property kept up to date
 * by `set`, so hot paths read a field instead of looking a name up.
 * bool knobs hold 0 or 1 (as in BSD), int knobs integers.
 */
export interface KnobValues {
  pruneIntvl: number;
  maxAge: number;
  hostDownTime: number;
  maxTries: number;
  useLoopback: number;
  proxyAll: number;
  restrictedMatch: number;
  refresh: number;
  logArpWrongIface: number;
  logArpMovements: number;
  logArpPermanentModify: number;
  maxLogPerSecond: number;
  noSamePrefix: number;
}

/** Largest value a C `int` knob holds. */
export const INT_MAX = 2147483647;

/** net.link.ether.inet.* (DragonFly if_ether.c). */
export const ARP_KNOBS: readonly KnobDef[] = [
  { name: 'net.link.ether.inet.prune_intvl', key: 'pruneIntvl', type: 'int', default: 300, min: 1, max: INT_MAX, unit: 'seconds',
    description: 'Period of the per-CPU arptimer walk over the ARP entries' },
  { name: 'net.link.ether.inet.max_age', key: 'maxAge', type: 'int', default: 1200, min: 1, max: INT_MAX, unit: 'seconds',
    description: 'Lifetime of a resolved dynamic ARP entry' },
  { name: 'net.link.ether.inet.host_down_time', key: 'hostDownTime', type: 'int', default: 20, min: 0, max: INT_MAX, unit: 'seconds',
    description: 'How long a destination stays rejected (host down) after maxtries unanswered requests' },
  // la_asked and la_preempt are u_short in the seed: the count cannot exceed 65535.
  { name: 'net.link.ether.inet.maxtries', key: 'maxTries', type: 'int', default: 5, min: 1, max: 65535, unit: 'requests',
    description: 'Requests sent for one destination before it is declared down' },
  { name: 'net.link.ether.inet.useloopback', key: 'useLoopback', type: 'bool', default: 1, min: 0, max: 1, unit: '',
    description: 'Route traffic to our own addresses through the loopback interface' },
  { name: 'net.link.ether.inet.proxyall', key: 'proxyAll', type: 'bool', default: 0, min: 0, max: 1, unit: '',
    description: 'Answer requests for any address routed through another interface (proxy ARP)' },
  { name: 'net.link.ether.inet.restricted_match', key: 'restrictedMatch', type: 'bool', default: 0, min: 0, max: 1, unit: '',
    description: 'Learn from an ARP frame only when its target address is ours (in_arpinput)' },
  // The seed registers it but leaves it unused ("not impl yet"): its pre-expiry
  // refresh counts la_preempt down from maxtries instead (arpresolve).
  { name: 'net.link.ether.inet.refresh', key: 'refresh', type: 'int', default: 60, min: 0, max: INT_MAX, unit: 'seconds',
    description: 'Seconds before expiry to refresh a used entry (kept for compatibility; unused by the seed)' },
  // 2 also logs frames that arrive on another member of the same bridge (arp_update_oncpu).
  { name: 'net.link.ether.inet.log_arp_wrong_iface', key: 'logArpWrongIface', type: 'int', default: 1, min: 0, max: 2, unit: '',
    description: 'Log ARP frames for an entry of another interface: 0 never, 1 unless bridged, 2 always' },
  { name: 'net.link.ether.inet.log_arp_movements', key: 'logArpMovements', type: 'bool', default: 1, min: 0, max: 1, unit: '',
    description: 'Log a dynamic entry changing to a new hardware address' },
  { name: 'net.link.ether.inet.log_arp_permanent_modify', key: 'logArpPermanentModify', type: 'bool', default: 1, min: 0, max: 1, unit: '',
    description: 'Log an attempt by remote input to change a permanent entry' },
  // FreeBSD spells it net.link.ether.arp.max_log_per_second (arp_maxpps = 1,
  // ppsratecheck): 0 logs nothing, a negative value means no limit.
  { name: 'net.link.ether.inet.max_log_per_second', key: 'maxLogPerSecond', type: 'int', default: 1, min: -1, max: INT_MAX, unit: 'lines/second',
    description: 'Most log events caused by remote ARP input per second (-1 unlimited, 0 none)' },
];

/** net.inet.ip.* (FreeBSD in.c). */
export const INET_KNOBS: readonly KnobDef[] = [
  { name: 'net.inet.ip.no_same_prefix', key: 'noSamePrefix', type: 'bool', default: 0, min: 0, max: 1, unit: '',
    description: 'Refuse an address whose prefix another interface already holds (EEXIST)' },
];

/** Every knob a fresh `new Sysctl()` holds. */
export const DEFAULT_KNOBS: readonly KnobDef[] = [...ARP_KNOBS, ...INET_KNOBS];
