/** One ARP replica for the suites: one Ethernet interface, 10.0.0.1/8, no timers, events to nowhere. */
import { VirtualClock } from '../../../src/util/clock.js';
import { TimerQueue } from '../../../src/util/timers.js';
import { nullSink } from '../../../src/util/events.js';
import { Sysctl } from '../../../src/sysctl/index.js';
import { NetStack } from '../../../src/inet/stack.js';
import { aliasReq, inControl } from '../../../src/inet/in.js';
import type { Ifnet } from '../../../src/inet/ifnet.js';
import { ArpReplica } from '../../../src/arp/replica.js';
import { newArpUpdate, type ArpUpdate } from '../../../src/arp/input.js';
import { arpUpdateOnCpu } from '../../../src/arp/update.js';
import type { Llinfo } from '../../../src/arp/llinfo.js';

export const MY_MAC = 0x02_00_00_00_01_01;
export const MY_IP = 0x0a_00_00_01;
/** Neighbour i: 10.16.0.0 + i, 02:10:00:00:00:00 + i. */
export const hostIp = (i: number): number => (0x0a_10_00_00 + i) >>> 0;
export const hostMac = (i: number): number => 0x02_10_00_00_00_00 + i;

export interface BenchReplica {
  rep: ArpReplica;
  ifp: Ifnet;
  clock: VirtualClock;
  /** A reusable update from neighbour i (create allowed). */
  update(i: number, mac?: number): ArpUpdate;
}

export function makeReplica(cpu = 0): BenchReplica {
  const clock = new VirtualClock(100);
  const net = new NetStack<Llinfo>({ clock, sysctl: new Sysctl(), events: nullSink, cpu, reporting: cpu === 0 });
  const rep = new ArpReplica({ net, timers: new TimerQueue(clock), transmit: () => {}, events: nullSink, startTimer: false, gratuitous: false });
  const ifp = net.ifAttach('eth0', { lladdr: MY_MAC });
  inControl(net, 'SIOCAIFADDR', ifp, aliasReq(MY_IP, { plen: 8 }));
  const u = newArpUpdate();
  u.ifindex = ifp.index; u.hln = 6; u.create = true; u.time = rep.now();
  return {
    rep, ifp, clock,
    update(i, mac = hostMac(i)) { u.saddr = hostIp(i); u.sha = mac; u.src = mac; return u; },
  };
}

/** Fill a replica with `n` resolved entries (neighbours 0..n-1). */
export function fillReplica(b: BenchReplica, n: number): void {
  for (let i = 0; i < n; i++) {
    if (arpUpdateOnCpu(b.rep, b.update(i)) !== 'updated') throw new Error(`entry ${i} not created`);
  }
}
