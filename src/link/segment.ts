/**
 * An in-memory Ethernet broadcast domain: a switch that does not learn.
 * Every attached port is a Link with a MAC address. A frame sent on a port
 * goes to every OTHER port that
 *   - has the frame's destination MAC, or
 *   - any port at all when the destination is a group address (broadcast or
 *     multicast, the I/G bit), or
 *   - is promiscuous (sees everything, like a capture or a bridge port).
 * A unicast frame to a MAC nobody owns reaches only the promiscuous ports
 * (counted as `unknownUnicast`). A frame too short to carry a destination
 * (< 6 bytes) is repeated to everyone, as a hub would, so the receivers'
 * runt checks see it.
 *
 * Delivery is never synchronous with send(). send() copies the frame once
 * and queues it with a deadline of now + latency (default 0); one timer on
 * the TimerQueue drains the queue in FIFO order. So:
 *   - a handler that replies from inside its receive callback does not
 *     recurse: the reply is queued behind the frames already in flight and
 *     delivered in the same drain when latency is 0;
 *   - order is deterministic: frames are delivered in the order they were
 *     sent, and receivers of one frame in the order their ports attached;
 *   - nothing moves until whoever owns the clock runs the timers
 *     (runVirtualUntil, or timers.runDue() at the current time). Frames in
 *     flight get no priority over timers due at the same instant beyond the
 *     queue's own timer order (the drain timer is armed when the first frame
 *     of a batch is sent).
 * With a fixed latency deadlines never decrease, so a plain FIFO is the
 * right queue; there is exactly one armed timer whatever the load.
 *
 * All receivers of one frame get the same copy, so handlers must treat it
 * as read-only (and, per the Link contract, not keep it after returning).
 */
import type { Clock } from '../util/clock.js';
import type { TimerHandle, TimerQueue } from '../util/timers.js';
import { ArpemuError } from '../util/errors.js';
import { formatMac, isMacGroup, readMac, type Mac } from '../wire/addr.js';
import { emptyLinkStats, type FrameHandler, type Link, type LinkStats } from './link.js';

export interface SegmentOptions {
  clock: Clock;
  timers: TimerQueue;
  /** Seconds from send to delivery; default 0 (same virtual instant). */
  latency?: number;
  /** A name for diagnostics. */
  name?: string;
}

export interface PortOptions {
  /** Receive every frame sent by the other ports. */
  promiscuous?: boolean;
}

/** What the segment carried as a whole. */
export interface SegmentStats {
  /** Frames accepted by send() on any port. */
  frames: number;
  bytes: number;
  /** Copies handed to receivers (a broadcast to n other ports counts n). */
  deliveries: number;
  /** Unicast frames that matched no port (promiscuous ports may still have seen them). */
  unknownUnicast: number;
  /** Frames that reached no port at all (includes unknown unicast nobody promiscuous saw). */
  undelivered: number;
  /** Frames still queued when the segment closed. */
  dropped: number;
}

/** One end attached to the segment: a Link plus its address. */
export interface SegmentPort extends Link {
  readonly segment: Segment;
  /** The port's MAC; assign to move the host to another address. */
  mac: Mac;
  promiscuous: boolean;
  readonly closed: boolean;
}

interface InFlight {
  at: number;
  from: PortImpl;
  frame: Uint8Array;
}

export class Segment {
  readonly name: string;
  readonly latency: number;
  private readonly clock: Clock;
  private readonly timers: TimerQueue;
  /** Ports in attach order: delivery order for group frames. */
  private readonly portList: PortImpl[] = [];
  /** Unicast index: MAC -> ports with that MAC (in attach order). */
  private readonly byMac = new Map<Mac, PortImpl[]>();
  /** Promiscuous ports in attach order. */
  private promiscList: PortImpl[] = [];
  private attachSeq = 0;
  // FIFO of frames in flight: an array with a moving head, compacted when drained.
  private queue: InFlight[] = [];
  private head = 0;
  private timer: TimerHandle | undefined;
  private draining = false;
  private isClosed = false;
  private readonly totals: SegmentStats = { frames: 0, bytes: 0, deliveries: 0, unknownUnicast: 0, undelivered: 0, dropped: 0 };

  constructor(opts: SegmentOptions) {
    const latency = opts.latency ?? 0;
    if (!(latency >= 0) || !Number.isFinite(latency)) {
      throw new RangeError('Segment: options.latency must be a finite number >= 0');
    }
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.latency = latency;
    this.name = opts.name ?? 'segment';
  }

  /** Attach a port. Names must be unique among the attached ports. */
  attach(name: string, mac: Mac, opts: PortOptions = {}): SegmentPort {
    if (this.isClosed) throw new ArpemuError('ERR_LINK_CLOSED', `${this.name}: cannot attach ${name}: segment closed`);
    if (this.portList.some((p) => p.name === name)) {
      throw new ArpemuError('EEXIST', `${this.name}: a port named ${name} is already attached`);
    }
    if (!Number.isInteger(mac) || mac < 0 || mac > 0xffff_ffff_ffff) {
      throw new RangeError(`${this.name}: attach ${name}: mac must be an integer below 2^48`);
    }
    const port = new PortImpl(this, name, mac, opts.promiscuous === true, ++this.attachSeq);
    this.portList.push(port);
    this.index(port);
    if (port.promiscuous) this.setPromiscuous(port, true);
    return port;
  }

  /** The attached ports, in attach order. */
  ports(): readonly SegmentPort[] {
    return this.portList;
  }

  port(name: string): SegmentPort | undefined {
    return this.portList.find((p) => p.name === name);
  }

  stats(): SegmentStats {
    return { ...this.totals };
  }

  /** Frames sent but not yet delivered. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** The earliest deadline of a frame in flight, or undefined. */
  nextDelivery(): number | undefined {
    return this.head < this.queue.length ? this.queue[this.head]!.at : undefined;
  }

  /** Detach every port and drop what is in flight. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.timers.cancel(this.timer);
    this.timer = undefined;
    this.totals.dropped += this.inFlight;
    this.queue = [];
    this.head = 0;
    for (const p of [...this.portList]) await p.close();
  }

  // ---- called by ports ----

  /** @internal */
  enqueue(from: PortImpl, frame: Uint8Array): void {
    // Copy once: the sender may reuse its buffer as soon as send() returns.
    const copy = frame.slice();
    const at = this.clock.now() + this.latency;
    this.totals.frames++;
    this.totals.bytes += copy.length;
    this.queue.push({ at, from, frame: copy });
    if (this.timer === undefined && !this.draining) this.arm(at);
  }

  /** @internal */
  detachPort(port: PortImpl): void {
    const i = this.portList.indexOf(port);
    if (i < 0) return;
    this.portList.splice(i, 1);
    this.unindex(port);
    if (port.promiscuous) this.setPromiscuous(port, false);
  }

  /** @internal */
  remac(port: PortImpl, oldMac: Mac): void {
    this.unindex(port, oldMac);
    this.index(port);
  }

  /** @internal */
  setPromiscuous(port: PortImpl, on: boolean): void {
    const rest = this.promiscList.filter((p) => p !== port);
    if (on) {
      rest.push(port);
      rest.sort((a, b) => a.seq - b.seq);
    }
    this.promiscList = rest;
  }

  // ---- delivery ----

  private arm(at: number): void {
    this.timer = this.timers.at(at, () => this.drain());
  }

  private drain(): void {
    this.timer = undefined;
    this.draining = true;
    try {
      const now = this.clock.now();
      // Frames queued by handlers during this loop are picked up by it when
      // already due (latency 0), so a request/reply exchange completes in
      // one drain without recursion.
      while (this.head < this.queue.length) {
        const f = this.queue[this.head]!;
        if (f.at > now) break;
        this.queue[this.head] = undefined as unknown as InFlight; // let the frame be collected
        this.head++;
        this.deliver(f);
      }
    } finally {
      this.draining = false;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else {
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        if (!this.isClosed) this.arm(this.queue[this.head]!.at);
      }
    }
  }

  private deliver(f: InFlight): void {
    const frame = f.frame;
    const from = f.from;
    const time = this.clock.now();
    let delivered = 0;
    if (frame.length < 6 || isMacGroup(readMac(frame, 0))) {
      for (const p of this.portList) {
        if (p !== from && p.receive(frame, time)) delivered++;
      }
    } else {
      const dst = readMac(frame, 0);
      const owners = this.byMac.get(dst);
      if (owners !== undefined) {
        for (const p of owners) {
          if (p !== from && p.receive(frame, time)) delivered++;
        }
      } else {
        this.totals.unknownUnicast++;
      }
      // Promiscuous ports that did not already get it as owners.
      for (const p of this.promiscList) {
        if (p !== from && p.mac !== dst && p.receive(frame, time)) delivered++;
      }
    }
    if (delivered === 0) this.totals.undelivered++;
    this.totals.deliveries += delivered;
  }

  private index(port: PortImpl): void {
    const list = this.byMac.get(port.mac);
    if (list === undefined) this.byMac.set(port.mac, [port]);
    else {
      // Keep attach order within one MAC.
      list.push(port);
      list.sort((a, b) => a.seq - b.seq);
    }
  }

  private unindex(port: PortImpl, mac: Mac = port.mac): void {
    const list = this.byMac.get(mac);
    if (list === undefined) return;
    const i = list.indexOf(port);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byMac.delete(mac);
  }
}

class PortImpl implements SegmentPort {
  private handler: FrameHandler | undefined;
  private readonly counters: LinkStats = emptyLinkStats();
  private macAddr: Mac;
  private promisc: boolean;
  private isClosed = false;

  constructor(
    readonly segment: Segment,
    readonly name: string,
    mac: Mac,
    promiscuous: boolean,
    readonly seq: number,
  ) {
    this.macAddr = mac;
    this.promisc = promiscuous;
  }

  get mac(): Mac { return this.macAddr; }
  set mac(mac: Mac) {
    if (!Number.isInteger(mac) || mac < 0 || mac > 0xffff_ffff_ffff) {
      throw new RangeError(`${this.name}: mac must be an integer below 2^48`);
    }
    const old = this.macAddr;
    if (old === mac) return;
    this.macAddr = mac;
    if (!this.isClosed) this.segment.remac(this, old);
  }

  get promiscuous(): boolean { return this.promisc; }
  set promiscuous(on: boolean) {
    if (on === this.promisc) return;
    this.promisc = on;
    if (!this.isClosed) this.segment.setPromiscuous(this, on);
  }

  get closed(): boolean { return this.isClosed; }

  send(frame: Uint8Array): void {
    if (this.isClosed) {
      throw new ArpemuError('ERR_LINK_CLOSED', `${this.segment.name}: send on closed port ${this.name}`);
    }
    this.counters.txFrames++;
    this.counters.txBytes += frame.length;
    this.segment.enqueue(this, frame);
  }

  onReceive(handler: FrameHandler): void {
    this.handler = handler;
  }

  /** @internal Returns whether the frame was handed to this port. */
  receive(frame: Uint8Array, time: number): boolean {
    if (this.isClosed) return false;
    this.counters.rxFrames++;
    this.counters.rxBytes += frame.length;
    const h = this.handler;
    if (h === undefined) {
      // Nobody listening: the port drops it, like a NIC with no driver.
      this.counters.rxDropped++;
      return true;
    }
    h(frame, time);
    return true;
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  toString(): string {
    return `${this.name}(${formatMac(this.macAddr)})`;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.segment.detachPort(this);
    this.isClosed = true;
    this.handler = undefined;
  }
}
