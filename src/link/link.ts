/**
 * A Link carries Ethernet frames between the emulator and a medium: the
 * in-memory segment, a pcap file, or a real interface. Middlewares (tap,
 * faults) wrap a Link and are Links themselves, like smoltcp's phy wrappers.
 */

/**
 * Called for every received frame. `frame` is only valid during the call
 * (the link may reuse its buffer); copy it to keep it. It is read-only: the
 * segment hands one copy to every receiver of a frame. `time` is the link's
 * clock in seconds (virtual for segment and pcap, the live link's Clock).
 */
export type FrameHandler = (frame: Uint8Array, time: number) => void;

export interface LinkStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames the link itself discarded (fault injection, capture drops). */
  rxDropped: number;
  txErrors: number;
}

export interface Link {
  readonly name: string;
  /**
   * Transmit one frame. The link copies what it needs before returning, so
   * the caller may reuse `frame` at once.
   */
  send(frame: Uint8Array): void;
  /** Install the receive handler (one per link; a later call replaces it). */
  onReceive(handler: FrameHandler): void;
  stats(): LinkStats;
  close(): Promise<void>;
}

export function emptyLinkStats(): LinkStats {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDropped: 0, txErrors: 0 };
}
