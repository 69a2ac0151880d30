/**
 * Daemon tests without root: in-memory links standing in for the live
 * ones, a peer that builds ARP frames, and a daemon in this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { emptyLinkStats, type FrameHandler, type Link, type LinkStats } from '../../src/link/link.js';
import { parseIpv4, parseMac, type Ipv4, type Mac } from '../../src/wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, ArpPacket, emitArpFrame } from '../../src/wire/arp.js';
import { EthernetFrame } from '../../src/wire/ethernet.js';
import { createEmulator } from '../../src/cli/emulator.js';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import type { Emulator, EmulatorOptions } from '../../src/cpu/emulator.js';
import { Daemon, type DaemonOptions } from '../../src/control/daemon.js';
import { createDaemonLog, type DaemonLog } from '../../src/control/log.js';

export const ip = (s: string): Ipv4 => parseIpv4(s)!;
export const mac = (s: string): Mac => parseMac(s)!;

/** A Link whose far end is the test: sent frames are recorded, frames are injected. */
export class FakeLink implements Link {
  readonly sent: Uint8Array[] = [];
  private handler: FrameHandler | undefined;
  private readonly listeners: ((f: Uint8Array) => void)[] = [];
  private readonly counters: LinkStats = emptyLinkStats();
  closed = false;
  constructor(readonly name: string) {}
  send(frame: Uint8Array): void {
    if (this.closed) throw new Error('send on closed FakeLink');
    const copy = frame.slice();
    this.sent.push(copy);
    this.counters.txFrames++;
    for (const l of [...this.listeners]) l(copy);
  }
  onReceive(h: FrameHandler): void { this.handler = h; }
  /** A frame arrives from the wire. */
  inject(frame: Uint8Array): void {
    this.counters.rxFrames++;
    this.handler?.(frame, 0);
  }
  /** Resolves with the first frame sent (from now on, or already sent when `past`) matching `pred`. */
  next(pred: (a: DecodedArp) => boolean, timeoutMs = 10_000): Promise<DecodedArp> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { off(); reject(new Error(`${this.name}: no matching frame within ${timeoutMs} ms`)); }, timeoutMs);
      const fn = (f: Uint8Array): void => {
        const a = decodeArp(f);
        if (a !== undefined && pred(a)) { clearTimeout(t); off(); resolve(a); }
      };
      const off = (): void => { const i = this.listeners.indexOf(fn); if (i >= 0) this.listeners.splice(i, 1); };
      this.listeners.push(fn);
    });
  }
  stats(): LinkStats { return { ...this.counters }; }
  async close(): Promise<void> { this.closed = true; }
}

export interface DecodedArp { dst: Mac; src: Mac; op: number; sha: Mac; spa: Ipv4; tha: Mac; tpa: Ipv4 }

export function decodeArp(frame: Uint8Array): DecodedArp | undefined {
  const eth = new EthernetFrame(frame);
  if (eth.ethertype !== 0x0806) return undefined;
  const a = new ArpPacket();
  a.reset(frame, eth.payloadOffset);
  return { dst: eth.dst, src: eth.src, op: a.op, sha: a.sha, spa: a.spa, tha: a.tha, tpa: a.tpa };
}

export function arpFrame(o: { op: 'request' | 'reply'; src: Mac; dst?: Mac; sha?: Mac; spa: Ipv4; tha?: Mac; tpa: Ipv4 }): Uint8Array {
  const buf = new Uint8Array(60);
  emitArpFrame(buf, o.dst ?? 0xffff_ffff_ffff, o.src,
    { op: o.op === 'request' ? ARPOP_REQUEST : ARPOP_REPLY, sha: o.sha ?? o.src, spa: o.spa, tha: o.tha ?? 0, tpa: o.tpa }, 0);
  return buf.subarray(0, Math.max(ARP_FRAME_LEN, 60));
}

/** Collects log lines as parsed JSON objects. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const s of chunk.toString('utf8').split('\n')) {
      if (s.trim() === '') continue;
      const l = JSON.parse(s) as Record<string, unknown>;
      this.lines.push(l);
      this.waiters = this.waiters.filter((w) => { if (w.pred(l)) { w.resolve(l); return false; } return true; });
    }
    cb();
  }
  events(name: string): Record<string, unknown>[] { return this.lines.filter((l) => l['event'] === name); }
  /** The first line (already written or to come) matching `pred`. */
  wait(pred: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const have = this.lines.find(pred);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no such log line within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
    });
  }
  waitEvent(name: string, fields: Record<string, unknown> = {}, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.wait((l) => l['event'] === name && Object.entries(fields).every(([k, v]) => l[k] === v), timeoutMs);
  }
}

export function captureLog(level: 'debug' | 'info' = 'debug'): { log: DaemonLog; capture: LogCapture } {
  const capture = new LogCapture();
  const log = createDaemonLog({ level, pretty: false, destination: capture });
  return { log, capture };
}

export function tmpDir(prefix = 'arpemu-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Fast RFC 5227 timing for tests (same shape, milliseconds instead of seconds). */
export const FAST_ACD = {
  probeWait: 0.02, probeMin: 0.02, probeMax: 0.04, announceWait: 0.05, announceInterval: 0.05, defendInterval: 0.5,
};

export interface TestDaemon {
  daemon: Daemon;
  links: Map<string, FakeLink>;
  capture: LogCapture;
  socket: string;
  config: string;
  state: string;
  dir: string;
  stop(): Promise<void>;
}

/** Start a daemon in this process on fake links. `config` is the CFG object. */
export async function startTestDaemon(
  config: unknown,
  opts: { dir?: string; cpus?: number; state?: boolean; macs?: Record<string, string>; extra?: Partial<DaemonOptions> } = {},
): Promise<TestDaemon> {
  const dir = opts.dir ?? tmpDir().dir;
  const cfgPath = join(dir, 'arpemu.json');
  writeFileSync(cfgPath, JSON.stringify(config));
  const links = new Map<string, FakeLink>();
  const { log, capture } = captureLog();
  const socket = join(dir, 'arpemu.sock');
  const state = join(dir, 'state.json');
  const daemon = await Daemon.start({
    configPath: cfgPath,
    socketPath: socket,
    ...(opts.state === false ? {} : { statePath: state }),
    cpus: opts.cpus ?? 1, // these tests were written for one CPU; the N-CPU ones pass cpus
    log,
    createEmulator: testEmulator,
    openLink: (name) => { const l = new FakeLink(name); links.set(name, l); return l; },
    interfaceMac: (name) => mac(opts.macs?.[name] ?? '02:00:00:00:01:01'),
    acdTiming: FAST_ACD,
    acdSeed: 7,
    ...opts.extra,
  });
  return { daemon, links, capture, socket, config: cfgPath, state, dir, stop: () => daemon.stop() };
}

/**
 * The emulator the CLI picks; while the CLI's createEmulator still refuses
 * more than one CPU, the ThreadedEmulator directly, so the N-CPU tests run.
 */
export function testEmulator(o: EmulatorOptions): Emulator {
  try {
    return createEmulator(o);
  } catch (e) {
    if (o.cpus > 1 && (e as { code?: string }).code === 'ERR_USAGE') return new ThreadedEmulator(o);
    throw e;
  }
}

/** Whether `cpus` CPUs can run here; the reason when not (tests skip those counts). */
export function cpusUnavailable(cpus: number, viaCli = false): string | undefined {
  try {
    const e = (viaCli ? createEmulator : testEmulator)({ cpus, strategy: 'chain', transport: 'ring', time: { kind: 'real' } });
    void e.close();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
