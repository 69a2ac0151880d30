/**
 * The receive loop of a worker thread (a CPU or the netisr): take records
 * from every inbound channel in batches, hand them to the handler, publish
 * what the handler wrote, then release them from the in-flight count.
 *
 * Ring transport: poll each inbound ring (up to `batch` records), and when
 * all are empty spin up to `spin` times, then sleep on the endpoint's
 * doorbell (Atomics.waitAsync), shared by all its inbound rings. The loop
 * yields to the event loop every few busy rounds so control calls (comlink)
 * and timers get their turn.
 * Port transport: a 'message' listener per inbound port, one batch each.
 *
 * Quiescence: the handler's own sends are counted when published (flush),
 * before this batch is subtracted; the thread that brings the count to zero
 * rings the supervisor's doorbell.
 */
import type { MessagePort } from 'node:worker_threads';
import { Doorbell, Ring, RingArena } from './ring.js';
import { forEachRecord, PortOut, RingOut, type InflightWord, type RecordOut } from './channel.js';
import type { RecordHandler } from './records.js';
import { C_INFLIGHT, mainBell, type WorkerInit } from './wiring.js';

export interface EndpointOptions {
  /** Records taken from one ring per round. */
  batch?: number;
  /** Busy rounds between yields to the event loop. */
  yieldEvery?: number;
}

export class Endpoint {
  readonly self: number;
  readonly outs = new Map<number, RecordOut>();
  /** Records handled (diagnostics, benchmarks). */
  received = 0;
  sleeps = 0;
  private readonly ctl: Int32Array;
  private readonly inflight: InflightWord;
  private readonly bell: Doorbell;
  private readonly inRings: Ring[] = [];
  private readonly inPorts: MessagePort[] = [];
  private doorbell: Doorbell | undefined;
  private dv: DataView | undefined;
  private handler: RecordHandler = () => {};
  private afterBatch: () => void = () => {};
  private running = false;
  private stopped = false;
  private readonly spin: number;
  private readonly batch: number;
  private readonly yieldEvery: number;
  private readonly ready = (): boolean => this.stopped || this.hasData();

  constructor(private readonly init: WorkerInit, opts: EndpointOptions = {}) {
    this.self = init.self;
    this.ctl = new Int32Array(init.ctl);
    this.inflight = { i32: this.ctl, index: C_INFLIGHT };
    this.bell = mainBell(init.ctl, init.arena);
    this.spin = init.spin;
    this.batch = opts.batch ?? 256;
    this.yieldEvery = opts.yieldEvery ?? 16;
    if (init.transport === 'ring') {
      const arena = RingArena.attach(init.arena!);
      this.dv = new DataView(init.arena!);
      for (const r of arena.rings) {
        if (r.consumer === this.self) this.inRings.push(arena.open(r.index));
        if (r.producer === this.self) this.outs.set(r.consumer, new RingOut(arena.open(r.index), this.inflight));
      }
      this.doorbell = arena.doorbellFor(this.self);
    } else {
      for (const [to, port] of init.portsOut ?? []) this.outs.set(to, new PortOut(port, this.inflight, 4096, init.portPerMessage === true));
      for (const [, port] of init.portsIn ?? []) this.inPorts.push(port);
    }
  }

  out(to: number): RecordOut {
    const o = this.outs.get(to);
    if (o === undefined) throw new Error(`endpoint ${this.self}: no channel to ${to}`);
    return o;
  }

  /** Called when the handler refused a record (returned false): resolve once it may be taken. */
  private stalled: (() => Promise<void>) | undefined;

  /** Start receiving. */
  start(handler: RecordHandler, afterBatch: () => void, stalled?: () => Promise<void>): void {
    this.handler = handler;
    this.afterBatch = afterBatch;
    this.stalled = stalled;
    if (this.running) return;
    this.running = true;
    if (this.init.transport === 'ring') {
      void this.ringLoop();
    } else {
      for (const p of this.inPorts) {
        p.on('message', (batch: ArrayBuffer) => {
          let n = 0;
          try { n = forEachRecord(batch, this.handler); } finally { this.done(n); }
        });
      }
    }
  }

  /** Stop for good (close). */
  stop(): void {
    this.stopped = true;
    this.doorbell?.wake();
    for (const p of this.inPorts) p.close();
  }

  private hasData(): boolean {
    for (const r of this.inRings) if (r.hasData()) return true;
    return false;
  }

  private done(n: number): void {
    this.afterBatch();
    if (n === 0) return;
    this.received += n;
    const old = Atomics.sub(this.ctl, C_INFLIGHT, n);
    if (old === n) this.bell.wake();
  }

  private async ringLoop(): Promise<void> {
    const dv = this.dv!;
    const h = this.handler;
    let refused = false;
    const onRecord = (type: number, bytes: Uint8Array, offset: number, len: number): boolean => {
      if (h(type, bytes, dv, offset, len) !== false) return true;
      refused = true;
      return false;
    };
    let busy = 0;
    while (!this.stopped) {
      let n = 0;
      refused = false;
      try {
        for (const r of this.inRings) n += r.poll(onRecord, this.batch);
      } finally {
        this.done(n);
      }
      if (refused && this.stalled !== undefined) {
        // Backpressure: a record waits for room downstream; wait with it.
        await this.stalled();
        continue;
      }
      if (n > 0) {
        if (++busy >= this.yieldEvery) { busy = 0; await turn(); }
        continue;
      }
      busy = 0;
      const p = this.doorbell!.sleep(this.ready, this.spin);
      if (p !== undefined) { this.sleeps++; await p; }
    }
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
