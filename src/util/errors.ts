/**
 * Errors with stable codes. Callers (and other threads) switch on `code`,
 * never on `instanceof`: a code survives structured cloning, a class does not.
 */

/** The errno values the BSD code paths we re-create return. */
export type Errno =
  | 'EEXIST' | 'ESRCH' | 'ENETUNREACH' | 'EINVAL' | 'EADDRNOTAVAIL'
  | 'EDESTADDRREQ' | 'EHOSTDOWN' | 'EHOSTUNREACH' | 'ENOBUFS' | 'EPERM'
  | 'ENOENT' | 'EAFNOSUPPORT' | 'ENXIO' | 'EOPNOTSUPP' | 'EBUSY' | 'ENODEV';

/** arpemu's own failure codes (configuration, files, links). */
export type ArpemuCode =
  | Errno
  | 'ERR_PCAP_FORMAT' | 'ERR_PCAP_LINKTYPE' | 'ERR_LINK_CLOSED'
  | 'ERR_LIVE_UNAVAILABLE' | 'ERR_LIVE_PERMISSION' | 'ERR_LIVE_NO_DEVICE'
  | 'ERR_CONFIG' | 'ERR_USAGE'
  | 'ERR_MSGPORT_CLOSED'
  | 'ERR_INTERRUPTED'
  /** arpemu stress found an invariant violation (the report lists it). */
  | 'ERR_VIOLATION';

export class ArpemuError extends Error {
  readonly code: ArpemuCode;
  constructor(code: ArpemuCode, message: string) {
    super(message);
    this.name = 'ArpemuError';
    this.code = code;
  }
}

/** An errno-carrying failure of a kernel-style operation (rtrequest, inControl, sysctl). */
export function errno(code: Errno, message: string): ArpemuError {
  return new ArpemuError(code, `${code}: ${message}`);
}

export function isArpemuError(e: unknown): e is ArpemuError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && e instanceof Error;
}
