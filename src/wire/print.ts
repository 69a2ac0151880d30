/**
 * One tcpdump-like line per frame, for logs, the tracer and tests:
 *
 *   02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 42
 *
 * Never throws: every field is read only when the bytes are there, and
 * what cannot be decoded is shown as `[|arp]`, `[|ip]` or a raw value.
 */

import { formatIpv4, formatMac, readIpv4, readMac } from './addr.js';
import {
  ARPHRD_ETHER, ARPHRD_FRELAY, ARPHRD_IEEE1394, ARPHRD_IEEE802, ARPHRD_INFINIBAND,
  ARPOP_INVREPLY, ARPOP_INVREQUEST, ARPOP_REPLY, ARPOP_REQUEST, ARPOP_REVREPLY, ARPOP_REVREQUEST,
  ARP_HDR_LEN,
} from './arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IP, ETHERTYPE_IPV6, ETHERTYPE_REVARP, ETHERTYPE_VLAN, ETHER_HDR_LEN, ETHER_MAX_LENGTH_FIELD } from './ethernet.js';
import {
  IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_BAD_IHL, IPV4_BAD_LEN, IPV4_BAD_VERSION, IPV4_OK,
  IPV4_TRUNCATED, IP_MF, IP_OFFMASK, Ipv4Packet, UDP_HDR_LEN,
} from './ipv4.js';

const HEX = '0123456789abcdef';

function hex16(v: number): string {
  return '0x' + HEX[(v >>> 12) & 15]! + HEX[(v >>> 8) & 15]! + HEX[(v >>> 4) & 15]! + HEX[v & 15]!;
}

/** Longer addresses are cut so one hostile frame can't flood a log line. */
const MAX_HW_SHOWN = 16;

/** Any-length address as colon-separated hex (`-` for zero length, `..(N bytes)` when cut). */
function formatHw(b: Uint8Array, off: number, len: number): string {
  if (len === 6) return formatMac(readMac(b, off));
  if (len === 0) return '-';
  let s = '';
  const shown = len > MAX_HW_SHOWN ? MAX_HW_SHOWN : len;
  if (shown < len) return formatHw(b, off, shown) + `..(${len} bytes)`;
  for (let i = 0; i < shown; i++) {
    const x = b[off + i]!;
    s += (i === 0 ? '' : ':') + HEX[x >>> 4]! + HEX[x & 15]!;
  }
  return s;
}

function isZero(b: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[off + i] !== 0) return false;
  return true;
}

function bytesEqual(b: Uint8Array, x: number, y: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

function hrdName(hrd: number): string {
  switch (hrd) {
    case ARPHRD_ETHER: return 'Ethernet';
    case ARPHRD_IEEE802: return 'IEEE802';
    case ARPHRD_FRELAY: return 'FrameRelay';
    case ARPHRD_IEEE1394: return 'IEEE1394';
    case ARPHRD_INFINIBAND: return 'InfiniBand';
    default: return `hrd ${hrd}`;
  }
}

/** The ARP part of the line for the packet at `off` with `n` bytes. */
function formatArp(b: Uint8Array, off: number, n: number): string {
  if (n < ARP_HDR_LEN) return '[|arp]';
  const hrd = (b[off]! << 8) | b[off + 1]!;
  const pro = (b[off + 2]! << 8) | b[off + 3]!;
  const hln = b[off + 4]!, pln = b[off + 5]!;
  const op = (b[off + 6]! << 8) | b[off + 7]!;
  // Show the format only when it is not the usual Ethernet/IPv4 one.
  const usual = (hrd === ARPHRD_ETHER || hrd === ARPHRD_IEEE802) && pro === ETHERTYPE_IP && hln === 6 && pln === 4;
  const fmt = usual
    ? (hrd === ARPHRD_IEEE802 ? 'IEEE802, ' : '')
    : `${hrdName(hrd)} (len ${hln}), ${pro === ETHERTYPE_IP ? 'IPv4' : `proto ${hex16(pro)}`} (len ${pln}), `;
  if (n < ARP_HDR_LEN + 2 * (hln + pln)) return `${fmt}${opPrefix(op)}[|arp]`;
  const sha = off + ARP_HDR_LEN, spa = sha + hln, tha = spa + pln, tpa = tha + hln;
  const pa = (at: number): string =>
    pro === ETHERTYPE_IP && pln === 4 ? formatIpv4(readIpv4(b, at)) : pln === 0 ? '-' : formatHw(b, at, pln);
  const ha = (at: number): string => formatHw(b, at, hln);
  switch (op) {
    case ARPOP_REQUEST: {
      let s = `${fmt}Request who-has ${pa(tpa)}`;
      if (!isZero(b, tha, hln)) s += ` (${ha(tha)})`;
      s += ` tell ${pa(spa)}`;
      // RFC 5227 §2.1.1 probe: sender address all zeros; §2.3 announcement: spa == tpa.
      if (isZero(b, spa, pln)) s += ' (probe)';
      else if (bytesEqual(b, spa, tpa, pln)) s += ' (announcement)';
      return s;
    }
    case ARPOP_REPLY: {
      let s = `${fmt}Reply ${pa(spa)} is-at ${ha(sha)}`;
      if (bytesEqual(b, spa, tpa, pln)) s += ' (gratuitous)';
      return s;
    }
    case ARPOP_REVREQUEST: return `${fmt}RARP Request who-is ${ha(tha)} tell ${ha(sha)}`;
    case ARPOP_REVREPLY: return `${fmt}RARP Reply ${ha(tha)} at ${pa(tpa)}`;
    case ARPOP_INVREQUEST: return `${fmt}InARP Request who-is ${ha(tha)} tell ${pa(spa)}`;
    case ARPOP_INVREPLY: return `${fmt}InARP Reply ${ha(sha)} at ${pa(spa)}`;
    default:
      return `${fmt}Unknown op ${op} sha ${ha(sha)} spa ${pa(spa)} tha ${ha(tha)} tpa ${pa(tpa)}`;
  }
}

function opPrefix(op: number): string {
  switch (op) {
    case ARPOP_REQUEST: return 'Request ';
    case ARPOP_REPLY: return 'Reply ';
    case ARPOP_REVREQUEST: return 'RARP Request ';
    case ARPOP_REVREPLY: return 'RARP Reply ';
    case ARPOP_INVREQUEST: return 'InARP Request ';
    case ARPOP_INVREPLY: return 'InARP Reply ';
    default: return `Unknown op ${op} `;
  }
}

// One view for the printer: formatting is not re-entrant, and JS is single-threaded per isolate.
const ipView = new Ipv4Packet();

function protoName(p: number): string {
  switch (p) {
    case IPPROTO_ICMP: return 'ICMP';
    case IPPROTO_TCP: return 'TCP';
    case IPPROTO_UDP: return 'UDP';
    default: return `proto ${p}`;
  }
}

function formatIp(b: Uint8Array, off: number, n: number): string {
  const r = ipView.reset(b, off, n);
  if (r !== IPV4_OK && r !== IPV4_TRUNCATED) {
    if (r === IPV4_BAD_VERSION) return `IP bad version ${ipView.version}`;
    if (r === IPV4_BAD_IHL) return `IP bad header length ${ipView.headerLength}`;
    if (r === IPV4_BAD_LEN) return `IP bad total length ${ipView.totalLength}`;
    return 'IP [|ip]';
  }
  let s = `IP ${formatIpv4(ipView.src)} > ${formatIpv4(ipView.dst)}: `;
  const hl = ipView.headerLength;
  if (n < hl) return s + '[|ip]';
  const frag = ipView.fragWord;
  const proto = ipView.proto;
  const po = off + hl;
  const avail = Math.min(ipView.totalLength, n) - hl;
  if ((frag & IP_OFFMASK) !== 0) {
    s += `${protoName(proto)} frag offset ${(frag & IP_OFFMASK) * 8}`;
  } else if (proto === IPPROTO_UDP) {
    if (avail < UDP_HDR_LEN) s += 'UDP [|udp]';
    else {
      const sp = (b[po]! << 8) | b[po + 1]!, dp = (b[po + 2]! << 8) | b[po + 3]!;
      const ulen = (b[po + 4]! << 8) | b[po + 5]!;
      s += `UDP ${sp} > ${dp} len ${ulen - UDP_HDR_LEN}`;
    }
  } else if (proto === IPPROTO_ICMP && avail >= 2) {
    s += `ICMP type ${b[po]!} code ${b[po + 1]!}`;
  } else {
    s += `${protoName(proto)} len ${ipView.totalLength - hl}`;
  }
  if ((frag & IP_MF) !== 0) s += ' (more fragments)';
  if (r === IPV4_TRUNCATED) s += ' [|ip]';
  else if (!ipView.checksumOk()) s += ' [bad cksum]';
  s += ` (id ${ipView.ident}, ttl ${ipView.ttl})`;
  return s;
}

/**
 * One line for the frame at `off` (default the whole array). `length` is
 * the frame's byte count, padding included, as tcpdump's `-e` prints it.
 */
export function formatFrame(frame: Uint8Array, off = 0, len = frame.length - off): string {
  try {
    if (!(off >= 0)) off = 0;
    const avail = frame.length - off;
    const n = len > avail ? avail : len > 0 ? len : 0;
    if (n < ETHER_HDR_LEN) return `[|ether], length ${n}`;
    const dst = formatMac(readMac(frame, off)), src = formatMac(readMac(frame, off + 6));
    const type = (frame[off + 12]! << 8) | frame[off + 13]!;
    const po = off + ETHER_HDR_LEN, pn = n - ETHER_HDR_LEN;
    let body: string;
    switch (type) {
      case ETHERTYPE_ARP: body = 'ARP, ' + formatArp(frame, po, pn); break;
      case ETHERTYPE_REVARP: body = 'RARP, ' + formatArp(frame, po, pn); break;
      case ETHERTYPE_IP: body = formatIp(frame, po, pn); break;
      case ETHERTYPE_IPV6: body = 'IPv6'; break;
      case ETHERTYPE_VLAN: body = `802.1Q vlan ${pn >= 2 ? ((frame[po]! << 8) | frame[po + 1]!) & 0xfff : '[|vlan]'}`; break;
      default:
        body = type <= ETHER_MAX_LENGTH_FIELD ? `802.3 length ${type}` : `ethertype ${hex16(type)}`;
    }
    return `${src} > ${dst}, ${body}, length ${n}`;
  } catch (e) {
    // Only a bug of ours can get here; keep the logging path alive regardless.
    return `[print error: ${e instanceof Error ? e.message : String(e)}], length ${frame.length}`;
  }
}
