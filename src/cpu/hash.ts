/**
 * Flow hashing: which CPU owns an IPv4 address. One next hop always lands on
 * the same CPU, so the packet it holds, the requests it sends and the held
 * packet it releases all happen on one replica, whatever N is (the one-CPU
 * order is then the N-CPU order).
 */

/** Fibonacci hash of an IPv4 address onto 0..n-1. */
export function cpuOfAddr(ip: number, n: number): number {
  if (n <= 1) return 0;
  return (Math.imul(ip | 0, 0x9e3779b1) >>> 0) % n;
}
