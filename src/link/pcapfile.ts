/**
 * A Link over capture files, for deterministic replays: frames of one input
 * capture (pcap or pcapng) arrive at their capture times on a virtual clock,
 * and every frame sent is written to one output pcap stamped with the
 * clock's time at send.
 *
 * Time: a frame captured at T (seconds since the epoch, as in the file) is
 * due at T + offset (offset 0 by default, so the replay's virtual clock runs
 * in the capture's own time base and output times line up with input ones).
 * Frames are delivered in file order; a frame stamped earlier than the one
 * before it (clock steps, merged captures) is delivered right after it.
 *
 * Two ways to drive it:
 *   - scheduled (default): the next frame is always one timer on the
 *     TimerQueue, so runVirtualUntil(clock, timers, t) replays everything
 *     due by t interleaved with the protocol's own timers; handlers get
 *     clock.now(), which equals the due time;
 *   - pumped (`schedule: false`): the caller asks nextTime() and calls
 *     pump(until) / deliverNext(), e.g. to await other threads between
 *     frames; handlers get the frame's due time.
 *
 * The input file is read into memory once and checked whole at open, so a
 * corrupt capture fails before the replay starts (ERR_PCAP_FORMAT /
 * ERR_PCAP_LINKTYPE); records are then decoded one at a time as they fall
 * due and handed over as views of the file's bytes (no copy).
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { ArpemuError } from '../util/errors.js';
import type { TimerHandle, TimerQueue } from '../util/timers.js';
import { CaptureReader, type CaptureRecord, type CaptureSummary, type PcapWriter, type PcapWriterOptions } from '../wire/pcap.js';
import { emptyLinkStats, type FrameHandler, type Link, type LinkStats } from './link.js';
import { openPcapWriter } from './pcapio.js';

export interface PcapFileLinkOptions {
  /** The interface name this link stands for (e.g. vemu0). */
  name: string;
  clock: Clock;
  timers: TimerQueue;
  /** Capture to replay: a path, or the file's bytes. None: the link never receives. */
  input?: string | Uint8Array;
  /**
   * Where sent frames go: a path (created or truncated now; the link closes
   * it) or a PcapWriter (the caller's; the link only flushes it). None:
   * sent frames are counted and dropped.
   */
  output?: string | PcapWriter;
  writerOptions?: PcapWriterOptions;
  /** Seconds added to capture times; default 0. */
  offset?: number;
  /** Only records of this pcapng interface id (pcap files have only 0). Default: all. */
  iface?: number;
  /** Put input frames on the timers (default true); false: the caller pumps. */
  schedule?: boolean;
}

/** What the input holds, known at open. */
export interface PcapInputInfo extends CaptureSummary {
  /** Capture time of the first and last record delivered (undefined when none). */
  firstTime: number | undefined;
  lastTime: number | undefined;
  /** Records that will be delivered (after the iface filter). */
  frames: number;
}

export interface PcapFileLink extends Link {
  /** What the input holds (undefined without an input). */
  readonly input: PcapInputInfo | undefined;
  /** Due time of the next input frame, or undefined when all were delivered. */
  nextTime(): number | undefined;
  /** True when every input frame has been delivered (or there is no input). */
  readonly exhausted: boolean;
  /** Frames of the input not yet delivered. */
  readonly remaining: number;
  /** Deliver the next input frame now; false when there is none. */
  deliverNext(): boolean;
  /** Deliver every input frame due at or before `until`; returns how many. */
  pump(until: number): number;
  /** Frames written to the output so far. */
  readonly written: number;
}

function describe(src: string | Uint8Array): string {
  return typeof src === 'string' ? src : 'capture';
}

class FileLink implements PcapFileLink {
  readonly name: string;
  readonly input: PcapInputInfo | undefined;
  written = 0;
  private readonly clock: Clock;
  private readonly timers: TimerQueue;
  private readonly offset: number;
  private readonly iface: number | undefined;
  private readonly scheduled: boolean;
  private readonly reader: CaptureReader | undefined;
  private readonly writer: PcapWriter | undefined;
  private readonly ownsWriter: boolean;
  private pending: CaptureRecord | undefined;
  /** Due time of `pending` (never earlier than the previous frame's). */
  private pendingDue = 0;
  private lastDue = -Infinity;
  private delivered = 0;
  private timer: TimerHandle | undefined;
  private handler: FrameHandler | undefined;
  private readonly counters: LinkStats = emptyLinkStats();
  private closed = false;

  constructor(opts: PcapFileLinkOptions) {
    const offset = opts.offset ?? 0;
    if (!Number.isFinite(offset)) throw new RangeError('PcapFileLink: options.offset must be a finite number');
    if (opts.iface !== undefined && !(Number.isInteger(opts.iface) && opts.iface >= 0)) {
      throw new RangeError('PcapFileLink: options.iface must be an integer >= 0');
    }
    this.name = opts.name;
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.offset = offset;
    this.iface = opts.iface;
    this.scheduled = opts.schedule !== false;

    if (opts.input !== undefined) {
      const bytes = typeof opts.input === 'string' ? readFileSync(opts.input) : opts.input;
      this.input = this.scan(bytes, describe(opts.input));
      const r = new CaptureReader();
      r.push(bytes);
      r.end();
      this.reader = r;
    }
    if (typeof opts.output === 'string') {
      this.writer = openPcapWriter(opts.output, opts.writerOptions);
      this.ownsWriter = true;
    } else {
      this.writer = opts.output;
      this.ownsWriter = false;
    }
    this.advance();
  }

  /** Check the whole capture and learn its extent before replaying it. */
  private scan(bytes: Uint8Array, what: string): PcapInputInfo {
    const r = new CaptureReader();
    r.push(bytes);
    r.end();
    let first: number | undefined, last: number | undefined, frames = 0;
    for (let rec = r.next(); rec !== undefined; rec = r.next()) {
      if (this.iface !== undefined && rec.iface !== this.iface) continue;
      frames++;
      first ??= rec.time;
      last = rec.time;
    }
    if (r.error !== undefined) throw new ArpemuError(r.error.code, `${what}: ${r.error.message}`);
    return { ...r.summary(), firstTime: first, lastTime: last, frames };
  }

  /** Load the next wanted record into `pending` and arm its timer. */
  private advance(): void {
    this.pending = undefined;
    const r = this.reader;
    if (r === undefined || this.closed) return;
    for (let rec = r.next(); rec !== undefined; rec = r.next()) {
      if (this.iface !== undefined && rec.iface !== this.iface) continue;
      this.pending = rec;
      this.pendingDue = Math.max(rec.time + this.offset, this.lastDue);
      if (this.scheduled) this.timer = this.timers.at(this.pendingDue, () => this.fire());
      return;
    }
  }

  private fire(): void {
    this.timer = undefined;
    this.deliver(this.clock.now());
  }

  private deliver(time: number): void {
    const rec = this.pending;
    if (rec === undefined) return;
    this.lastDue = this.pendingDue;
    this.delivered++;
    this.counters.rxFrames++;
    this.counters.rxBytes += rec.data.length;
    // Load the next one first: a handler may close the link.
    this.advance();
    const h = this.handler;
    if (h === undefined) this.counters.rxDropped++;
    else h(rec.data, time);
  }

  nextTime(): number | undefined {
    return this.pending === undefined ? undefined : this.pendingDue;
  }

  get exhausted(): boolean {
    return this.pending === undefined;
  }

  get remaining(): number {
    return this.input === undefined ? 0 : this.input.frames - this.delivered;
  }

  deliverNext(): boolean {
    if (this.pending === undefined) return false;
    this.timers.cancel(this.timer);
    this.timer = undefined;
    this.deliver(this.pendingDue);
    return true;
  }

  pump(until: number): number {
    let n = 0;
    while (this.pending !== undefined && this.pendingDue <= until) {
      this.deliverNext();
      n++;
    }
    return n;
  }

  send(frame: Uint8Array): void {
    if (this.closed) throw new ArpemuError('ERR_LINK_CLOSED', `${this.name}: send on a closed pcap link`);
    this.counters.txFrames++;
    this.counters.txBytes += frame.length;
    if (this.writer !== undefined) {
      // PcapWriter copies into its buffer at once: the caller may reuse frame.
      this.writer.write(frame, this.clock.now());
      this.written++;
    }
  }

  onReceive(handler: FrameHandler): void {
    this.handler = handler;
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.cancel(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.handler = undefined;
    if (this.writer !== undefined) {
      if (this.ownsWriter) await this.writer.close();
      else this.writer.flush();
    }
  }
}

/**
 * Open a capture-file link. Throws ArpemuError ERR_PCAP_FORMAT or
 * ERR_PCAP_LINKTYPE for a bad input (naming the file), fs errors for
 * missing files or an unwritable output.
 */
export function openPcapFileLink(opts: PcapFileLinkOptions): PcapFileLink {
  return new FileLink(opts);
}
