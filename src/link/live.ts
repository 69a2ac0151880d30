/**
 * A real Ethernet interface through libpcap, by way of the optional `cap`
 * addon. Frames are read with a BPF filter (`arp` by default) into one
 * reusable buffer and handed to the handler as a view of it (no copy on the
 * JS side; `cap` itself copies libpcap's ring slot into that buffer); frames
 * are sent with pcap_sendpacket.
 *
 * `cap` is loaded at run time with createRequire so that everything else in
 * arpemu works on machines without libpcap. It opens the device in
 * immediate mode (it calls pcap_set_immediate_mode when libpcap has it), so
 * a reply is not held back by the kernel's capture buffering, and always
 * in promiscuous mode.
 *
 * Threads: `cap` polls its descriptor on libuv's default loop, which is the
 * main thread's. Open a LiveLink on the main thread (or in a process of its
 * own) and pass frames to workers from there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { RealClock, type Clock } from '../util/clock.js';
import { ArpemuError } from '../util/errors.js';
import { formatMac, parseMac, type Mac } from '../wire/addr.js';
import { emptyLinkStats, type FrameHandler, type Link, type LinkStats } from './link.js';

/** The part of `cap`'s API we use (cap 0.2.x). */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  send(buffer: Uint8Array, nbytes?: number): void;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}
export interface CapModule {
  Cap: new () => CapHandle;
}

/** Cap objects whose open failed: never closed nor collected (see the constructor). */
const abandonedHandles: CapHandle[] = [];

const INSTALL_HINT = "install Debian's libpcap-dev and run npm install (cap is an optional dependency)";

/**
 * Load the `cap` addon, resolving it from `from` (a file URL or path; by
 * default this module). Throws ERR_LIVE_UNAVAILABLE, saying how to install
 * it, when it is missing or cannot load (libpcap absent, addon not built).
 */
export function loadCap(from: string | URL = import.meta.url): CapModule {
  let mod: unknown;
  try {
    mod = createRequire(from)('cap');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
      ? 'the cap package is not installed'
      : `the cap addon failed to load (${(e as Error).message.split('\n')[0]})`;
    throw new ArpemuError('ERR_LIVE_UNAVAILABLE', `live links need libpcap: ${why}; ${INSTALL_HINT}`);
  }
  const capCtor = (mod as { Cap?: unknown }).Cap;
  if (typeof capCtor !== 'function') {
    throw new ArpemuError('ERR_LIVE_UNAVAILABLE', `live links need libpcap: the cap package has no Cap class; ${INSTALL_HINT}`);
  }
  return mod as CapModule;
}

const SYS_NET = '/sys/class/net';
/** Linux IFNAMSIZ - 1; also rules out path tricks in sysfs lookups. */
const IFNAME_RE = /^[^/\s:]{1,15}$/;

function checkName(device: string): void {
  if (!IFNAME_RE.test(device) || device === '.' || device === '..') {
    throw new ArpemuError('ERR_LIVE_NO_DEVICE', `no such interface: ${JSON.stringify(device)} is not an interface name`);
  }
}

/**
 * Whether the interface exists in this network namespace (by sysfs); true
 * when sysfs is not there to ask, leaving the answer to libpcap.
 */
export function interfaceExists(device: string, sysRoot = SYS_NET): boolean {
  checkName(device);
  if (!existsSync(sysRoot)) return true;
  return existsSync(`${sysRoot}/${device}`);
}

/**
 * The interface's hardware address, from /sys/class/net/IF/address (the
 * daemon answers with the real one). ERR_LIVE_NO_DEVICE when there is no
 * such interface or it has no 6-byte address (e.g. a tunnel).
 */
export function readInterfaceMac(device: string, sysRoot = SYS_NET): Mac {
  checkName(device);
  let text: string;
  try {
    text = readFileSync(`${sysRoot}/${device}/address`, 'utf8').trim();
  } catch {
    throw new ArpemuError('ERR_LIVE_NO_DEVICE', `no such interface: ${device} (nothing at ${sysRoot}/${device}/address)`);
  }
  const mac = text.split(':').length === 6 ? parseMac(text) : undefined;
  if (mac === undefined) {
    throw new ArpemuError('ERR_LIVE_NO_DEVICE', `interface ${device} has no Ethernet address (sysfs says ${JSON.stringify(text)})`);
  }
  return mac;
}

export interface LiveLinkOptions {
  /** Interface name, e.g. eth0. */
  device: string;
  /** BPF filter (pcap-filter(7)); default 'arp'. Add IPv4 later with 'arp or ip'. */
  filter?: string;
  /**
   * Leave out frames whose Ethernet source is the interface's own MAC: what
   * the host's kernel itself sends on a shared interface (adds `and not
   * ether src MAC` to the filter). Default false: they are seen, and the
   * ARP input drops them as "from my own address". libpcap's `inbound`
   * would say it more directly, but combined with `arp` it matched nothing
   * on a Linux veth in our tests.
   */
  ignoreOwnFrames?: boolean;
  /** Time stamps handed to the handler; default a RealClock. */
  clock?: Clock;
  /** libpcap's kernel buffer in bytes; default 4 MiB. */
  bufferSize?: number;
  /** Largest frame accepted; longer ones are counted in rxDropped. Default 65535. */
  snapLen?: number;
  /** Where to resolve `cap` from (tests point it elsewhere); default this module. */
  capFrom?: string | URL;
  /** Allow opening off the main thread (see the file comment: cap polls on the main loop). */
  allowWorkerThread?: boolean;
}

export interface LiveLink extends Link {
  readonly device: string;
  /** The filter actually compiled. */
  readonly filter: string;
  /** The interface's MAC when sysfs knows it. */
  readonly mac: Mac | undefined;
  /** The last transmit failure (also counted in stats().txErrors). */
  readonly lastError: ArpemuError | undefined;
}

/** Map libpcap's open failure text to our codes. */
function openError(device: string, message: string): ArpemuError {
  const m = message.trim();
  if (/permission|not permitted|EPERM|EACCES/i.test(m)) {
    return new ArpemuError('ERR_LIVE_PERMISSION', `cannot capture on ${device}: ${m}; run as root or grant CAP_NET_RAW (e.g. setcap cap_net_raw,cap_net_admin=eip $(command -v node))`);
  }
  if (/no such device|doesn't exist|does not exist|SIOCGIFINDEX|ENODEV|ENXIO/i.test(m)) {
    return new ArpemuError('ERR_LIVE_NO_DEVICE', `no such interface: ${device} (${m})`);
  }
  return new ArpemuError('ERR_LIVE_UNAVAILABLE', `cannot open ${device} with libpcap: ${m}`);
}

class PcapLiveLink implements LiveLink {
  readonly name: string;
  readonly device: string;
  readonly filter: string;
  readonly mac: Mac | undefined;
  lastError: ArpemuError | undefined;
  private readonly cap: CapHandle;
  private readonly buffer: Buffer;
  /** Views of `buffer` by frame length, so receiving allocates nothing. */
  private readonly views: (Uint8Array | undefined)[] = [];
  private handler: FrameHandler | undefined;
  private readonly counters: LinkStats = emptyLinkStats();
  private readonly clock: Clock;
  private closed = false;

  constructor(opts: LiveLinkOptions) {
    const device = opts.device;
    checkName(device);
    if (!opts.allowWorkerThread && !isMainThread) {
      throw new ArpemuError('ERR_LIVE_UNAVAILABLE', `cannot open ${device} in a worker thread: cap polls libpcap on the main thread's event loop; open the live link on the main thread`);
    }
    if (!interfaceExists(device)) {
      throw new ArpemuError('ERR_LIVE_NO_DEVICE', `no such interface: ${device}`);
    }
    const bufferSize = opts.bufferSize ?? 4 * 1024 * 1024;
    const snapLen = opts.snapLen ?? 65535;
    if (!Number.isInteger(bufferSize) || bufferSize < 65536) throw new RangeError('LiveLink: options.bufferSize must be an integer >= 65536');
    if (!Number.isInteger(snapLen) || snapLen < 60 || snapLen > 262144) throw new RangeError('LiveLink: options.snapLen must be an integer in 60..262144');
    let mac: Mac | undefined;
    try { mac = readInterfaceMac(device); } catch { mac = undefined; }
    this.mac = mac;
    const base = opts.filter ?? 'arp';
    if (opts.ignoreOwnFrames && mac === undefined) {
      throw new ArpemuError('ERR_LIVE_NO_DEVICE', `${device}: ignoreOwnFrames needs the interface's MAC, which sysfs does not give`);
    }
    this.filter = opts.ignoreOwnFrames ? `(${base}) and not ether src ${formatMac(mac!)}` : base;
    const mod = loadCap(opts.capFrom);
    this.cap = new mod.Cap();
    this.buffer = Buffer.alloc(snapLen);
    let linkType: string;
    try {
      linkType = this.cap.open(device, this.filter, bufferSize, this.buffer);
    } catch (e) {
      // cap 0.2.1 keeps the half-opened pcap handle and its destructor then
      // stops a libuv poll handle that was never started, aborting the
      // process; close() does the same. Keep the object alive instead.
      abandonedHandles.push(this.cap);
      throw openError(device, (e as Error).message);
    }
    if (linkType !== 'ETHERNET') {
      this.cap.close();
      throw new ArpemuError('ERR_PCAP_LINKTYPE', `${device} is not an Ethernet interface (libpcap link type ${linkType})`);
    }
    this.device = device;
    this.name = device;
    this.clock = opts.clock ?? new RealClock();
    this.cap.on('packet', (nbytes: number, truncated: boolean) => this.onPacket(nbytes, truncated));
  }

  private onPacket(nbytes: number, truncated: boolean): void {
    if (truncated) {
      this.counters.rxDropped++;
      return;
    }
    let view = this.views[nbytes];
    if (view === undefined) {
      view = this.buffer.subarray(0, nbytes);
      if (nbytes <= 2048) this.views[nbytes] = view;
    }
    this.counters.rxFrames++;
    this.counters.rxBytes += nbytes;
    const h = this.handler;
    if (h === undefined) this.counters.rxDropped++;
    else h(view, this.clock.now());
  }

  send(frame: Uint8Array): void {
    // cap dereferences a freed pcap handle after close: never call it then.
    if (this.closed) throw new ArpemuError('ERR_LINK_CLOSED', `${this.device}: send on a closed live link`);
    try {
      // pcap_sendpacket copies into the kernel before returning.
      this.cap.send(frame, frame.length);
      this.counters.txFrames++;
      this.counters.txBytes += frame.length;
    } catch (e) {
      // A busy or downed interface must not take the daemon down: count it.
      this.counters.txErrors++;
      this.lastError = new ArpemuError('ENOBUFS', `${this.device}: send failed: ${(e as Error).message}`);
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
    this.handler = undefined;
    this.cap.removeAllListeners('packet');
    this.cap.close();
  }
}

/**
 * Open `opts.device` for live capture and transmission. Throws ArpemuError:
 * ERR_LIVE_UNAVAILABLE (cap/libpcap missing, or opened off the main thread),
 * ERR_LIVE_PERMISSION (not root, no CAP_NET_RAW), ERR_LIVE_NO_DEVICE,
 * ERR_PCAP_LINKTYPE (not Ethernet).
 */
export function openLiveLink(opts: LiveLinkOptions): LiveLink {
  return new PcapLiveLink(opts);
}
