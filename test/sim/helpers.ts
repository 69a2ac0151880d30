/** A LAN of virtual hosts on one segment, with a promiscuous tap that records every frame. */
import { VirtualClock } from '../../src/util/clock.js';
import { Random } from '../../src/util/random.js';
import { TimerQueue, runVirtualUntil } from '../../src/util/timers.js';
import { Segment } from '../../src/link/segment.js';
import { formatFrame } from '../../src/wire/print.js';
import { parseIpv4, readMac, type Ipv4, type Mac } from '../../src/wire/addr.js';
import { ARPOP_REQUEST, ARP_OK, ArpPacket, classifyFrame } from '../../src/wire/arp.js';
import { Host, attachHost, type HostEvent, type HostOptions } from '../../src/sim/host.js';

export const MAC = (n: number): Mac => 0x02_00_00_00_00_00 + n;
export const IP = (s: string): Ipv4 => parseIpv4(s)!;
/** 10.0.0.n */
export const HOST_IP = (n: number): Ipv4 => IP(`10.0.0.${n}`);

export interface Seen {
  t: number;
  line: string;
  src: Mac;
  dst: Mac;
  /** ARP fields when the frame is ARP. */
  arp?: { op: number; sha: Mac; spa: Ipv4; tha: Mac; tpa: Ipv4 };
}

export interface LanOptions {
  hosts?: number;
  seed?: number;
  latency?: number;
  host?: Partial<Omit<HostOptions, 'clock' | 'timers' | 'mac' | 'addresses'>>;
  /** Give every host a Random forked from the seed (probe jitter, random flood order). */
  random?: boolean;
}

export function lan(opts: LanOptions = {}) {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  const seg = new Segment({ clock, timers, latency: opts.latency ?? 0 });
  const rng = new Random(opts.seed ?? 1);
  const events: HostEvent[] = [];
  const frames: Seen[] = [];
  const tap = seg.attach('tap', MAC(0xffff), { promiscuous: true });
  const view = new ArpPacket();
  tap.onReceive((f, t) => {
    const s: Seen = { t, line: formatFrame(f), src: readMac(f, 6), dst: readMac(f, 0) };
    if (classifyFrame(view, f) === ARP_OK) s.arp = { op: view.op, sha: view.sha, spa: view.spa, tha: view.tha, tpa: view.tpa };
    frames.push(s);
  });
  const hosts: Host[] = [];
  const add = (n: number, addresses: Ipv4[] = [HOST_IP(n)], extra: Partial<HostOptions> = {}): Host => {
    const h = attachHost(seg, `h${n}`, {
      clock, timers, mac: MAC(n), addresses,
      ...(opts.random === true ? { random: rng.fork() } : {}),
      onEvent: (e) => events.push(e),
      ...opts.host,
      ...extra,
    });
    hosts.push(h);
    return h;
  };
  for (let i = 1; i <= (opts.hosts ?? 10); i++) add(i);
  const run = (dt = 0): void => runVirtualUntil(clock, timers, clock.now() + dt);
  const runTo = (t: number): void => runVirtualUntil(clock, timers, t);
  const h = (n: number): Host => hosts.find((x) => x.name === `h${n}`)!;
  const arpFrames = (): Seen[] => frames.filter((f) => f.arp !== undefined);
  const requests = (): Seen[] => frames.filter((f) => f.arp?.op === ARPOP_REQUEST);
  const ofKind = <K extends HostEvent['kind']>(kind: K): Extract<HostEvent, { kind: K }>[] =>
    events.filter((e): e is Extract<HostEvent, { kind: K }> => e.kind === kind);
  return { clock, timers, seg, rng, hosts, events, frames, add, run, runTo, h, arpFrames, requests, ofKind };
}
