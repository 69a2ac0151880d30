/** Shared fixtures for the ARP tests: a one-CPU stack, frame builders, decoders. */
import { MAC_BROADCAST, formatIpv4, parseIpv4, parseMac, type Ipv4, type Mac } from '../../src/wire/addr.js';
import { ArpPacket, ARPOP_REPLY, ARPOP_REQUEST, emitArpFrame } from '../../src/wire/arp.js';
import { EthernetFrame, ETHERTYPE_ARP, ETHERTYPE_IP } from '../../src/wire/ethernet.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { CollectingSink, type EventName } from '../../src/util/events.js';
import { ArpStack, type SentFrame } from '../../src/arp/stack.js';

export const ip = (s: string): Ipv4 => parseIpv4(s)!;
export const mac = (s: string): Mac => parseMac(s)!;

export const MAC_US = mac('02:00:00:00:01:01');
export const MAC_US2 = mac('02:00:00:00:01:02');
export const MAC_H2 = mac('02:00:00:00:00:02');
export const MAC_H3 = mac('02:00:00:00:00:03');
export const MAC_H9 = mac('02:00:00:00:00:09');
export const IP_US = ip('10.0.0.1');
export const IP_H2 = ip('10.0.0.2');
export const IP_H3 = ip('10.0.0.3');

/** A stack with eth0 (02:00:00:00:01:01) holding 10.0.0.1/24; sent frames and events cleared. */
export function stack1(opts: { sysctl?: Record<string, number>; flags?: number } = {}): { s: ArpStack; ev: CollectingSink } {
  const ev = new CollectingSink();
  const s = new ArpStack({ events: ev });
  for (const [k, v] of Object.entries(opts.sysctl ?? {})) s.sysctl.set(k, v);
  s.ifAttach('eth0', MAC_US, opts.flags);
  s.addAddress('eth0', '10.0.0.1/24');
  s.takeSent();
  ev.clear();
  return { s, ev };
}

export interface ArpFrameFields {
  op?: number; src?: Mac; dst?: Mac; sha: Mac; spa: Ipv4; tha?: Mac; tpa: Ipv4;
}

/** An ARP frame padded to 60 bytes, as it arrives from the wire. */
export function arpFrame(f: ArpFrameFields): Uint8Array {
  const b = new Uint8Array(60);
  const op = (f.op ?? ARPOP_REQUEST) as 1 | 2;
  const dst = f.dst ?? (op === ARPOP_REQUEST ? MAC_BROADCAST : f.tha ?? MAC_BROADCAST);
  emitArpFrame(b, dst, f.src ?? f.sha, { op, sha: f.sha, spa: f.spa, tha: f.tha ?? 0, tpa: f.tpa });
  return b;
}

export const request = (sha: Mac, spa: Ipv4, tpa: Ipv4, extra: Partial<ArpFrameFields> = {}): Uint8Array =>
  arpFrame({ op: ARPOP_REQUEST, sha, spa, tpa, ...extra });
export const reply = (sha: Mac, spa: Ipv4, tha: Mac, tpa: Ipv4, extra: Partial<ArpFrameFields> = {}): Uint8Array =>
  arpFrame({ op: ARPOP_REPLY, sha, spa, tha, tpa, ...extra });

export interface DecodedArp {
  kind: 'arp'; dst: Mac; src: Mac; hrd: number; op: number; sha: Mac; spa: string; tha: Mac; tpa: string; len: number;
}
export interface DecodedIp {
  kind: 'ip'; dst: Mac; src: Mac; ipSrc: string; ipDst: string; id: number; len: number;
}

/** Decode a sent frame with the wire views (throws on anything else: a test failure). */
export function decode(f: SentFrame | Uint8Array): DecodedArp | DecodedIp {
  const b = f instanceof Uint8Array ? f : f.frame;
  const e = new EthernetFrame();
  if (e.reset(b) !== 0) throw new Error('runt frame sent');
  if (e.ethertype === ETHERTYPE_ARP) {
    const a = new ArpPacket();
    const r = a.reset(b, 14);
    if (r !== 0) throw new Error(`malformed ARP sent (reason ${r})`);
    return { kind: 'arp', dst: e.dst, src: e.src, hrd: a.hrd, op: a.op, sha: a.sha, spa: formatIpv4(a.spa), tha: a.tha, tpa: formatIpv4(a.tpa), len: b.length };
  }
  if (e.ethertype === ETHERTYPE_IP) {
    const p = new Ipv4Packet();
    if (p.reset(b, 14) !== 0) throw new Error('malformed IPv4 sent');
    return { kind: 'ip', dst: e.dst, src: e.src, ipSrc: formatIpv4(p.src), ipDst: formatIpv4(p.dst), id: p.ident, len: b.length };
  }
  throw new Error(`unexpected ethertype ${e.ethertype}`);
}

export function decodeArp(f: SentFrame | Uint8Array): DecodedArp {
  const d = decode(f);
  if (d.kind !== 'arp') throw new Error('expected an ARP frame');
  return d;
}

export function decodeIp(f: SentFrame | Uint8Array): DecodedIp {
  const d = decode(f);
  if (d.kind !== 'ip') throw new Error('expected an IPv4 frame');
  return d;
}

/** Names of the collected events, optionally only some. */
export function names(ev: CollectingSink, only?: readonly EventName[]): EventName[] {
  const n = ev.names();
  return only === undefined ? n : n.filter((x) => only.includes(x));
}
