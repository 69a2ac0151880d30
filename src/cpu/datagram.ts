/**
 * The emulator's own IPv4 output (CONTRACT.md `traffic`): build the datagram
 * a local socket would send to `dst`, with the source address taken from the
 * route's interface address as ip_output/in_pcbconnect would.
 */
import type { Ipv4 } from '../wire/addr.js';
import { IPPROTO_UDP, IPV4_DEFAULT_TTL, IPV4_HDR_LEN, UDP_HDR_LEN, emitIpv4Header, emitUdpDatagram } from '../wire/ipv4.js';
import type { ArpReplica } from '../arp/replica.js';
import type { Datagram } from './emulator.js';

/** Source port of the emulator's datagrams (an ephemeral-range constant, so output is reproducible). */
export const TRAFFIC_SRC_PORT = 49152;

export function buildDatagram(rep: ArpReplica, dst: Ipv4, d: Datagram): Uint8Array {
  const src = rep.routes.lookup(dst)?.ifa?.addr ?? 0;
  if (d.proto === IPPROTO_UDP) {
    const buf = new Uint8Array(IPV4_HDR_LEN + UDP_HDR_LEN + d.size);
    emitUdpDatagram(buf, 0, { src, dst, srcPort: TRAFFIC_SRC_PORT, payloadLen: d.size, id: d.id });
    return buf;
  }
  const buf = new Uint8Array(IPV4_HDR_LEN + d.size);
  emitIpv4Header({ src, dst, proto: d.proto, ttl: IPV4_DEFAULT_TTL, id: d.id, payloadLen: d.size }, buf, 0);
  return buf;
}
