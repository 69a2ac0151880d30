/**
 * A pcap tap: wraps any Link and records every frame that crosses it, in
 * both directions, into a writer (a PcapWriter from src/wire/pcap.ts, e.g.
 * openPcapWriter(path) from ./pcapio.ts, or anything with the same
 * `write(frame, time)`), like smoltcp's PcapWriter
 * device wrapper. Received frames are stamped with the time the link gave
 * them; sent frames with `clock.now()` at send.
 *
 * The writer belongs to whoever made it: closing the tap closes the link
 * under it, not the writer (several taps may share one file).
 */
import type { Clock } from '../util/clock.js';
import type { FrameHandler, Link, LinkStats } from './link.js';

/** What a tap writes to; PcapWriter satisfies it. */
export interface FrameRecorder {
  write(frame: Uint8Array, time: number): void;
}

export type TapDirection = 'rx' | 'tx' | 'both';

export interface TapOptions {
  /** Which frames to record; default 'both'. */
  direction?: TapDirection;
}

export interface TappedLink extends Link {
  readonly inner: Link;
  /** Frames recorded so far. */
  readonly recorded: number;
}

class Tap implements TappedLink {
  readonly name: string;
  recorded = 0;
  private handler: FrameHandler | undefined;
  private readonly rx: boolean;
  private readonly tx: boolean;

  constructor(
    readonly inner: Link,
    private readonly writer: FrameRecorder,
    private readonly clock: Clock,
    opts: TapOptions,
  ) {
    const dir = opts.direction ?? 'both';
    if (dir !== 'rx' && dir !== 'tx' && dir !== 'both') {
      throw new RangeError(`withTap: options.direction must be 'rx', 'tx' or 'both', got ${String(dir)}`);
    }
    this.rx = dir !== 'tx';
    this.tx = dir !== 'rx';
    this.name = inner.name;
    inner.onReceive((frame, time) => {
      if (this.rx) {
        this.writer.write(frame, time);
        this.recorded++;
      }
      this.handler?.(frame, time);
    });
  }

  send(frame: Uint8Array): void {
    // Record only what the link accepted (a closed link throws). No Link of
    // ours delivers inside send(), so a reply cannot be recorded first.
    const time = this.clock.now();
    this.inner.send(frame);
    if (this.tx) {
      this.writer.write(frame, time);
      this.recorded++;
    }
  }

  onReceive(handler: FrameHandler): void {
    this.handler = handler;
  }

  stats(): LinkStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Record every frame in and out of `link` into `writer`; `clock` stamps sent frames. */
export function withTap(link: Link, writer: FrameRecorder, clock: Clock, opts: TapOptions = {}): TappedLink {
  return new Tap(link, writer, clock, opts);
}
