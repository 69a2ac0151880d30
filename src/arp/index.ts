/**
 * src/arp: DragonFly if_ether.c on per-CPU replicas. See each module:
 *  - replica.ts   ArpReplica (one CPU's state) and ArpTransmit
 *  - stack.ts     ArpStack (one replica wired up: tests, one-CPU replays)
 *  - intr.ts      arpIntr (the netisr's checks)
 *  - input.ts     inArpInput / arpInputReply and the ArpUpdate value
 *  - update.ts    arpUpdateOnCpu (the chain's per-CPU step)
 *  - resolve.ts   arpResolve / arpOutput, replicated resolution steps
 *  - rtrequest.ts arpRtRequest (route hook), arpIfAddr / arpGratuitous
 *  - lookup.ts    arpLookup, arpTFree, arpTimer
 *  - output.ts    arpRequest, held packets
 *  - admin.ts     arp -s / -d / -d -a / sysctl as ArpAdminOp values, arpList
 *  - stats.ts     ArpStat (struct arpstat) and drop reasons
 *  - frames.ts    request / reply / IPv4 frame builders
 *  - llinfo.ts    llinfo_arp packing, arpTime
 */
export * from './stats.js';
export * from './frames.js';
export * from './llinfo.js';
export * from './intr.js';
export * from './output.js';
export * from './rtrequest.js';
export * from './lookup.js';
export * from './resolve.js';
export * from './input.js';
export * from './update.js';
export * from './admin.js';
export * from './replica.js';
export * from './stack.js';
