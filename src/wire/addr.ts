/**
 * MAC and IPv4 address helpers.
 *
 * Addresses are plain numbers so hot paths never allocate:
 *  - an IPv4 address is an unsigned 32-bit integer (host order, `>>> 0`);
 *  - a 48-bit MAC address is an integer below 2^48 (exact in a double).
 */

export type Ipv4 = number;
export type Mac = number;

export const MAC_BROADCAST: Mac = 0xffff_ffff_ffff;
export const MAC_ZERO: Mac = 0;
export const IPV4_ANY: Ipv4 = 0;
export const IPV4_BROADCAST: Ipv4 = 0xffff_ffff;

const TWO_32 = 0x1_0000_0000;

/** Read a MAC from 6 bytes at `off` (caller checked the bounds). */
export function readMac(b: Uint8Array, off: number): Mac {
  return ((b[off]! << 8) | b[off + 1]!) * TWO_32 +
    (((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!) >>> 0);
}

export function writeMac(b: Uint8Array, off: number, mac: Mac): void {
  const hi = Math.floor(mac / TWO_32);
  const lo = mac >>> 0;
  b[off] = hi >>> 8; b[off + 1] = hi;
  b[off + 2] = lo >>> 24; b[off + 3] = lo >>> 16; b[off + 4] = lo >>> 8; b[off + 5] = lo;
}

export function readIpv4(b: Uint8Array, off: number): Ipv4 {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function writeIpv4(b: Uint8Array, off: number, ip: Ipv4): void {
  b[off] = ip >>> 24; b[off + 1] = ip >>> 16; b[off + 2] = ip >>> 8; b[off + 3] = ip;
}

/** The I/G bit: set for group (broadcast and multicast) addresses. */
export function isMacGroup(mac: Mac): boolean {
  return (Math.floor(mac / 0x100_0000_0000) & 1) === 1;
}

export function isMacBroadcast(mac: Mac): boolean {
  return mac === MAC_BROADCAST;
}

export function isMacMulticast(mac: Mac): boolean {
  return mac !== MAC_BROADCAST && isMacGroup(mac);
}

/** 224.0.0.0/4 (RFC 5771). */
export function isIpv4Multicast(ip: Ipv4): boolean {
  return (ip >>> 28) === 0xe;
}

/** RFC 1112 §6.4: 01:00:5e followed by the low 23 bits of the group address. */
export function ipv4MulticastMac(ip: Ipv4): Mac {
  return 0x01_00_5e * 0x100_0000 + (ip & 0x7f_ffff);
}

const HEX = '0123456789abcdef';

export function formatMac(mac: Mac): string {
  let s = '';
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) & 0xff;
    s += (shift === 40 ? '' : ':') + HEX[byte >>> 4] + HEX[byte & 15];
  }
  return s;
}

export function formatIpv4(ip: Ipv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/**
 * Parse `aa:bb:cc:dd:ee:ff` (or all `-` separated; 1 or 2 hex digits a byte
 * as arp(8) accepts). Mixed separators are rejected.
 */
export function parseMac(s: string): Mac | undefined {
  const parts = s.split(s.includes('-') && !s.includes(':') ? '-' : ':');
  if (parts.length !== 6) return undefined;
  let mac = 0;
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return undefined;
    mac = mac * 256 + parseInt(p, 16);
  }
  return mac;
}

/**
 * Parse dotted-quad IPv4: exactly four decimal octets, no sign, spaces or
 * leading zeros. inet_aton would read `010` as octal 8; rather than guess,
 * we refuse it, as Node's net.isIPv4 and Go's net.ParseIP do.
 */
export function parseIpv4(s: string): Ipv4 | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let ip = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    ip = ip * 256 + v;
  }
  return ip >>> 0;
}

/** Netmask of a prefix length 0..32. */
export function prefixMask(plen: number): Ipv4 {
  if (plen <= 0) return 0;
  if (plen >= 32) return 0xffff_ffff; // a shift count is taken mod 32, so guard both ends
  return (0xffff_ffff << (32 - plen)) >>> 0;
}

/** Prefix length of a contiguous mask, or -1 when the mask has holes. */
export function maskPrefixLen(mask: Ipv4): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  return Math.clz32(inv); // inv is 2^k - 1, so its leading zeros are the prefix length
}

/** Parse `A.B.C.D/N` (N optional). */
export function parseCidr(s: string): { addr: Ipv4; plen: number | undefined } | undefined {
  const [a, p, extra] = s.split('/');
  if (extra !== undefined || a === undefined) return undefined;
  const addr = parseIpv4(a);
  if (addr === undefined) return undefined;
  if (p === undefined) return { addr, plen: undefined };
  if (!/^\d{1,2}$/.test(p) || Number(p) > 32) return undefined;
  return { addr, plen: Number(p) };
}
