/**
 * What the protocol views (Ethernet, ARP, IPv4) share: the bytes, where the
 * packet starts and how many bytes are there, `wrap` (no check) and the
 * bounds half of `reset`. Each view adds its own checks and getters; the
 * fields stay plain own properties, so a view's shape is its class's alone.
 */

const EMPTY = new Uint8Array(0);

export abstract class ByteView {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes available from `off`; an ARP or IPv4 packet may end before them (Ethernet padding). */
  len = 0;

  constructor(buf?: Uint8Array, off = 0, len?: number) {
    if (buf !== undefined) this.wrap(buf, off, len ?? buf.length - off);
  }

  /** Point at bytes without checking them (to build a packet in place). */
  wrap(buf: Uint8Array, off = 0, len = buf.length - off): this {
    this.buf = buf;
    this.off = off;
    this.len = len;
    return this;
  }

  /**
   * Point at `len` bytes at `off` in `buf`, `len` clamped to the buffer;
   * false (and an empty view) when there are none: a negative or NaN
   * offset, or one at or past the end. Never throws, allocates nothing.
   */
  protected point(buf: Uint8Array, off: number, len: number): boolean {
    const avail = buf.length - off;
    this.buf = buf;
    if (!(off >= 0) || !(avail > 0)) {
      this.off = 0;
      this.len = 0;
      return false;
    }
    this.off = off;
    this.len = len > avail ? avail : len >= 0 ? len : 0;
    return true;
  }
}
