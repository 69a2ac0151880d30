/**
 * The netisr: the arpintr checks and the demultiplexer between the Link
 * (the supervisor's, on the main thread) and the CPUs. It holds no replica:
 * only what arpintr needs of each interface (station address, noarp flag).
 *
 *  - R_FRAME: arpIntr (runt, hardware format, length, protocol, frames for
 *    another station, noarp), counted per drop reason in its own ArpStat;
 *    a good ARP frame goes to the ARP input CPU: CPU0 (DragonFly), or the
 *    owner of the sender address when `inputHash` is set.
 *  - R_OUTREQ: IPv4 output work to the CPU owning the destination (flow hash).
 *  - R_IFCONF: an interface was attached; R_TICK: the virtual clock moves.
 *
 * Frames are copied once into a scratch buffer (arpIntr reads a frame that
 * starts at index 0) and once into the CPU's ring: no allocation per frame.
 */
import type { Clock } from '../util/clock.js';
import { VirtualClock } from '../util/clock.js';
import { makeEvent, formatEventLine, type ArpemuEvent } from '../util/events.js';
import { RateLimitedLog, RateLimiter } from '../util/ratelimit.js';
import { ArpPacket } from '../wire/arp.js';
import { Sysctl } from '../sysctl/index.js';
import { arpIntr, type ArpIntrIf } from '../arp/intr.js';
import { ArpStat, DROP_NOARP, DROP_NOT_ARP, DROP_OTHER_HOST, dropReasonName } from '../arp/stats.js';
import type { RecordOut } from '../cpu/channel.js';
import type { Strategy } from '../cpu/emulator.js';
import { cpuOfAddr } from '../cpu/hash.js';
import * as R from '../cpu/records.js';

/** An interface as the netisr knows it (R_IFCONF). */
export interface NetisrIf {
  index: number;
  name: string;
  mac: number;
  flags: number;
}

export interface NetisrOuts {
  cpu(j: number): RecordOut;
  readonly up: RecordOut;
}

export interface NetisrOptions {
  ncpus: number;
  strategy: Strategy;
  /** Pick the input CPU by the sender address instead of CPU0 (experiments; chain/fanout only). */
  inputHash?: boolean | undefined;
  clock: Clock;
  events: boolean;
  outs: NetisrOuts;
}

interface IfState extends ArpIntrIf {
  name: string;
  lladdr: number;
  flags: number;
  bridge: null;
}

export class Netisr {
  readonly stats = new ArpStat();
  readonly n: number;
  readonly strategy: Strategy;
  readonly inputHash: boolean;
  readonly clock: Clock;
  readonly outs: NetisrOuts;
  /** Frames handed to each CPU (diagnostics). */
  readonly perCpu: Float64Array;
  private readonly ifs: (IfState | undefined)[] = [];
  private readonly view = new ArpPacket();
  private scratch = new Uint8Array(2048);
  private readonly eventsOn: boolean;
  private readonly log: RateLimitedLog;
  private curKey = 0;
  private evIdx = 0;

  constructor(opts: NetisrOptions) {
    this.n = opts.ncpus;
    this.strategy = opts.strategy;
    this.inputHash = opts.inputHash === true && opts.strategy !== 'shared';
    this.clock = opts.clock;
    this.outs = opts.outs;
    this.eventsOn = opts.events;
    this.perCpu = new Float64Array(this.n);
    const sysctl = new Sysctl();
    this.log = new RateLimitedLog({ emit: (ev) => this.emitUp(ev) }, new RateLimiter(this.clock, () => sysctl.v.maxLogPerSecond));
  }

  /**
   * The channel whose CPU had no room for the record handle() refused last
   * (backpressure: the netisr stops reading until it has room), or null.
   */
  blocked: RecordOut | null = null;
  blockedLen = 0;

  /** Handle one record from the supervisor; false: the CPU it goes to has no room now (not consumed). */
  handle(type: number, u8: Uint8Array, dv: DataView, off: number, len: number): boolean {
    switch (type) {
      case R.R_FRAME: {
        if (!this.roomFor(0, R.F_FRAME + len)) return false;
        this.frame(dv.getUint32(off + R.F_KEY, true), dv.getUint32(off + R.F_IFINDEX, true), u8, off + R.F_FRAME, len - R.F_FRAME);
        break;
      }
      case R.R_OUTREQ:
        if (!this.roomFor(cpuOfAddr(dv.getUint32(off + R.P_DST, true), this.n), len)) return false;
        this.output(u8, dv, off, len);
        break;
      case R.R_IFCONF: this.ifconf(JSON.parse(R.readUtf8(u8, off, len)) as NetisrIf); break;
      case R.R_TICK: {
        const t = dv.getFloat64(off, true);
        if (this.clock instanceof VirtualClock && t >= this.clock.now()) this.clock.set(t);
        break;
      }
      default: throw new Error(`netisr: unknown record type ${type}`);
    }
    return true;
  }

  /** Room on the way to `cpu` (frames: the input CPU, which inputHash may vary: check all then). */
  private roomFor(cpu: number, len: number): boolean {
    if (this.inputHash && cpu === 0) {
      for (let j = 0; j < this.n; j++) if (!this.checkRoom(j, len)) return false;
      return true;
    }
    return this.checkRoom(cpu, len);
  }

  private checkRoom(cpu: number, len: number): boolean {
    const out = this.outs.cpu(cpu);
    if (out.room(len)) return true;
    this.blocked = out;
    this.blockedLen = len;
    return false;
  }

  ifconf(i: NetisrIf): void {
    this.ifs[i.index] = { name: i.name, lladdr: i.mac, flags: i.flags, bridge: null };
  }

  /** arpintr + demux of one received frame at u8[off .. off+len). Returns 0 or the drop code. */
  frame(key: number, ifindex: number, u8: Uint8Array, off: number, len: number): number {
    const ifp = this.ifs[ifindex];
    if (ifp === undefined) return -1;
    if (len > this.scratch.length) this.scratch = new Uint8Array(len);
    const f = this.scratch;
    for (let i = 0; i < len; i++) f[i] = u8[off + i]!;
    const code = arpIntr(this.view, f, ifp, this.stats, len);
    if (code !== 0) {
      if (this.eventsOn && code !== DROP_NOT_ARP && code !== DROP_OTHER_HOST && code !== DROP_NOARP) {
        this.curKey = key;
        this.log.emit(makeEvent('arp.drop', this.clock.now(), -1, { reason: dropReasonName(code), iface: ifp.name }) as unknown as ArpemuEvent);
      }
      return code;
    }
    const cpu = this.inputHash ? cpuOfAddr(this.view.spa, this.n) : 0;
    this.perCpu[cpu]!++;
    const out = this.outs.cpu(cpu);
    const at = out.begin(R.R_INPUT, R.F_FRAME + len);
    const dv = out.dv;
    dv.setUint32(at + R.F_KEY, key, true);
    dv.setUint32(at + R.F_IFINDEX, ifindex, true);
    const dst = out.u8;
    const base = at + R.F_FRAME;
    for (let i = 0; i < len; i++) dst[base + i] = f[i]!;
    out.end();
    return 0;
  }

  private output(u8: Uint8Array, dv: DataView, off: number, len: number): void {
    const cpu = cpuOfAddr(dv.getUint32(off + R.P_DST, true), this.n);
    this.perCpu[cpu]!++;
    const out = this.outs.cpu(cpu);
    const at = out.begin(R.R_OUTPUT, len);
    const d = out.u8;
    for (let i = 0; i < len; i++) d[at + i] = u8[off + i]!;
    out.end();
  }

  private emitUp(ev: ArpemuEvent): void {
    const line = formatEventLine(ev);
    const up = this.outs.up;
    const at = up.begin(R.U_EVENT, R.E_JSON + R.utf8Bound(line));
    const dv = up.dv;
    dv.setUint32(at + R.E_KEY, this.curKey, true);
    dv.setUint32(at + R.E_CPU, 0xffff_ffff, true);
    dv.setUint32(at + R.E_IDX, this.evIdx++, true);
    const n = R.writeUtf8(up.u8, at + R.E_JSON, line);
    up.end(R.E_JSON + n);
  }

  flush(): void {
    for (let j = 0; j < this.n; j++) this.outs.cpu(j).flush();
    this.outs.up.flush();
  }
}
