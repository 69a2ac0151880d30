/**
 * The live link against a real Linux kernel, inside namespaces the tests
 * make and remove: a veth pair whose end B (namespace B) carries the
 * kernel's 10.77.0.2/24, and whose end A (namespace A) our LiveLink opens
 * from a child process started with `ip netns exec A` (a libpcap handle
 * opens in the namespace of the process that opens it). The host's own
 * interfaces are never touched.
 */
import test from 'ava';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isArpemuError } from '../../src/util/errors.js';
import { MAC_BROADCAST, MAC_ZERO, formatIpv4, formatMac, parseIpv4, parseMac, readMac, type Mac } from '../../src/wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, ARP_FRAME_LEN, ARP_OK, ArpPacket, classifyFrame, emitArpFrame, parseArp, type ArpRepr } from '../../src/wire/arp.js';
import { readCaptureFile } from '../../src/link/pcapio.js';
import { interfaceExists, loadCap, openLiveLink, readInterfaceMac } from '../../src/link/live.js';
import {
  createVethPair, needCap, needNetns, needRoot, needTool, requireOrSkip, tsharkCheck, type VethPair,
} from '../helpers/env.js';

const CHILD = fileURLToPath(new URL('../helpers/live-child.js', import.meta.url));
const LIVE_JS = fileURLToPath(new URL('../../src/link/live.js', import.meta.url));
const ip = (s: string): number => parseIpv4(s)!;
const KERNEL_IP = ip('10.77.0.2');
const OUR_IP = ip('10.77.0.1');

const tmp = mkdtempSync(join(tmpdir(), 'arpemu-live-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

// ---- a LiveLink in a child process, over JSON lines ----

interface Rx { frame: Uint8Array; t: number }

class LiveChild {
  readonly rx: Rx[] = [];
  mac: Mac = 0;
  private readonly waiters = new Set<() => void>();
  private readonly lines: Array<Record<string, unknown>> = [];
  private stderr = '';

  private constructor(private readonly proc: ChildProcess) {
    let buf = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
        buf = buf.slice(i + 1);
        if (msg.ev === 'rx') this.rx.push({ frame: new Uint8Array(Buffer.from(msg.hex as string, 'hex')), t: msg.t as number });
        else this.lines.push(msg);
        for (const w of [...this.waiters]) w();
      }
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => { this.stderr += d; });
    proc.on('exit', () => { for (const w of [...this.waiters]) w(); });
  }

  static async start(pair: VethPair, ns: string, cfg: object): Promise<LiveChild> {
    const c = new LiveChild(pair.spawn(ns, [process.execPath, CHILD, JSON.stringify(cfg)]));
    const msg = await c.until(() => c.lines.find((l) => l.ev === 'ready' || l.ev === 'error'), 10_000, 'child ready');
    if (msg.ev === 'error') throw new Error(`live child: ${String(msg.code)}: ${String(msg.message)}`);
    c.mac = parseMac(msg.mac as string)!;
    return c;
  }

  /** Resolve with pred()'s first defined value, re-checked on every message; reject after ms. */
  until<T>(pred: () => T | undefined, ms: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = pred();
        if (v !== undefined) { done(); resolve(v); return; }
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          done();
          reject(new Error(`live child exited (${this.proc.exitCode ?? this.proc.signalCode}) while waiting for ${what}; stderr: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)); }, ms);
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  /** Wait for a received ARP packet matching `pred`. */
  waitArp(pred: (a: ArpRepr, frame: Uint8Array) => boolean, ms: number, what: string): Promise<{ arp: ArpRepr; frame: Uint8Array }> {
    const view = new ArpPacket();
    return this.until(() => {
      for (const { frame } of this.rx) {
        if (classifyFrame(view, frame) !== ARP_OK) continue;
        const a = parseArp(view);
        if (a !== undefined && pred(a, frame)) return { arp: a, frame };
      }
      return undefined;
    }, ms, what);
  }

  send(frame: Uint8Array): void {
    this.proc.stdin!.write(`${JSON.stringify({ op: 'send', hex: Buffer.from(frame).toString('hex') })}\n`);
  }

  async close(): Promise<{ stats: Record<string, number>; afterClose: string }> {
    this.proc.stdin!.write(`${JSON.stringify({ op: 'close' })}\n`);
    const msg = await this.until(() => this.lines.find((l) => l.ev === 'closed'), 10_000, 'child close');
    return { stats: msg.stats as Record<string, number>, afterClose: msg.afterClose as string };
  }
}

function arpFrame(ethDst: Mac, ethSrc: Mac, repr: ArpRepr): Uint8Array {
  const f = new Uint8Array(ARP_FRAME_LEN);
  emitArpFrame(f, ethDst, ethSrc, repr);
  return f;
}

/** A veth pair; the kernel in namespace B owns 10.77.0.2/24 on its end. */
async function kernelPeer(t: { teardown(fn: () => Promise<void> | void): void }): Promise<VethPair> {
  const pair = await createVethPair(t);
  await pair.exec(pair.nsB, ['ip', 'addr', 'add', '10.77.0.2/24', 'dev', pair.ifB]);
  return pair;
}

/** Make the kernel in `ns` send an IPv4 datagram to `dst`, so it must resolve it with ARP first. */
function kernelSendUdp(pair: VethPair, ns: string, dst: string): Promise<unknown> {
  const js = `const s=require('dgram').createSocket('udp4');s.send('arpemu',9,${JSON.stringify(dst)},()=>s.close())`;
  return pair.exec(ns, [process.execPath, '-e', js]);
}

const liveNeeds = [needNetns, needCap];

// ---- the kernel as a peer ----

requireOrSkip(test, 'live: our ARP request for the kernel address gets the kernel reply; tshark finds nothing malformed', [...liveNeeds, needTool('tshark', 'tshark')], async (t) => {
  const pair = await kernelPeer(t);
  const tap = join(tmp, `${pair.nsA}-request.pcap`);
  const child = await LiveChild.start(pair, pair.nsA, { device: pair.ifA, tap });
  t.not(child.mac, 0);

  child.send(arpFrame(MAC_BROADCAST, child.mac, { op: ARPOP_REQUEST, sha: child.mac, spa: OUR_IP, tha: MAC_ZERO, tpa: KERNEL_IP }));
  const { arp, frame } = await child.waitArp((a) => a.op === ARPOP_REPLY && a.spa === KERNEL_IP, 5000, 'kernel reply');
  t.is(arp.tpa, OUR_IP);
  t.is(arp.tha, child.mac);
  const kernelMac = parseMac((await pair.exec(pair.nsB, ['cat', `/sys/class/net/${pair.ifB}/address`])).stdout.trim())!;
  t.is(arp.sha, kernelMac);
  t.is(readMac(frame, 0), child.mac, 'reply unicast to us');
  // The kernel took our request as valid: it learned us.
  const neigh = (await pair.exec(pair.nsB, ['ip', 'neigh', 'show', formatIpv4(OUR_IP), 'dev', pair.ifB])).stdout;
  t.regex(neigh, new RegExp(`lladdr ${formatMac(child.mac)}`));

  const { stats, afterClose } = await child.close();
  t.like(stats, { txFrames: 1, txBytes: ARP_FRAME_LEN, txErrors: 0 });
  t.is(afterClose, 'ERR_LINK_CLOSED', 'send after close is refused, not handed to cap');
  t.true(stats.rxFrames! >= 1);
  // The tap saw our request and the reply; tshark decodes them cleanly.
  const recorded = readCaptureFile(tap).records;
  t.deepEqual(recorded[0]!.data, arpFrame(MAC_BROADCAST, child.mac, { op: ARPOP_REQUEST, sha: child.mac, spa: OUR_IP, tha: MAC_ZERO, tpa: KERNEL_IP }));
  const check = await tsharkCheck(tap);
  t.is(check.frames, recorded.length);
  t.true(check.frames >= 2);
  t.deepEqual(check.problems, []);
});

requireOrSkip(test, 'live: the kernel\'s own ARP request reaches our link, and our reply resolves it', liveNeeds, async (t) => {
  const pair = await kernelPeer(t);
  const child = await LiveChild.start(pair, pair.nsA, { device: pair.ifA });
  await kernelSendUdp(pair, pair.nsB, formatIpv4(OUR_IP));
  const { arp } = await child.waitArp((a) => a.op === ARPOP_REQUEST && a.tpa === OUR_IP, 5000, 'kernel request');
  t.is(arp.spa, KERNEL_IP);
  // Answer it as the emulator would; the kernel must then hold us as REACHABLE.
  child.send(arpFrame(arp.sha, child.mac, { op: ARPOP_REPLY, sha: child.mac, spa: OUR_IP, tha: arp.sha, tpa: KERNEL_IP }));
  const mac = formatMac(child.mac);
  let neigh = '';
  for (let i = 0; i < 50 && !neigh.includes(mac); i++) {
    neigh = (await pair.exec(pair.nsB, ['ip', 'neigh', 'show', formatIpv4(OUR_IP), 'dev', pair.ifB])).stdout;
  }
  t.regex(neigh, new RegExp(`lladdr ${mac} .*(REACHABLE|STALE|DELAY)`));
  await child.close();
});

requireOrSkip(test, 'live: an arping request from the peer namespace reaches our link', [...liveNeeds, needTool('arping', 'iputils-arping')], async (t) => {
  const pair = await kernelPeer(t);
  const child = await LiveChild.start(pair, pair.nsA, { device: pair.ifA });
  // Nobody answers 10.77.0.9: arping exits non-zero after its one probe.
  await pair.exec(pair.nsB, ['arping', '-c', '1', '-w', '2', '-I', pair.ifB, '10.77.0.9']).catch(() => undefined);
  const { arp } = await child.waitArp((a) => a.op === ARPOP_REQUEST && a.tpa === ip('10.77.0.9'), 5000, 'arping request');
  t.is(arp.spa, KERNEL_IP);
  await child.close();
});

requireOrSkip(test, 'live: ignoreOwnFrames hides the host\'s own outgoing ARP on the interface', liveNeeds, async (t) => {
  const pair = await kernelPeer(t);
  // Now the kernel in namespace A owns an address on our interface too.
  await pair.exec(pair.nsA, ['ip', 'addr', 'add', '10.77.0.3/24', 'dev', pair.ifA]);
  const all = await LiveChild.start(pair, pair.nsA, { device: pair.ifA });
  const filtered = await LiveChild.start(pair, pair.nsA, { device: pair.ifA, ignoreOwnFrames: true });
  await kernelSendUdp(pair, pair.nsA, '10.77.0.2');
  // Both see the reply from B; only `all` sees A's kernel asking.
  await filtered.waitArp((a) => a.op === ARPOP_REPLY && a.spa === KERNEL_IP, 5000, 'reply (filtered link)');
  await all.waitArp((a) => a.op === ARPOP_REPLY && a.spa === KERNEL_IP, 5000, 'reply (all link)');
  await all.waitArp((a) => a.op === ARPOP_REQUEST && a.spa === ip('10.77.0.3'), 5000, 'own request (all link)');
  const view = new ArpPacket();
  const outgoing = filtered.rx.filter(({ frame }) => classifyFrame(view, frame) === ARP_OK && view.op === ARPOP_REQUEST && view.spa === ip('10.77.0.3'));
  t.is(outgoing.length, 0);
  await all.close();
  await filtered.close();
});

// ---- errors (most need no root) ----

test('live: cap missing gives ERR_LIVE_UNAVAILABLE saying how to install it', (t) => {
  const nowhere = join(tmp, 'nowhere');
  mkdirSync(nowhere, { recursive: true });
  const err = t.throws(() => loadCap(join(nowhere, 'x.js')));
  t.true(isArpemuError(err) && err.code === 'ERR_LIVE_UNAVAILABLE');
  t.regex(err!.message, /libpcap-dev/);
  t.regex(err!.message, /npm install/);
  t.regex(err!.message, /optional dependency/);
  const viaOpen = t.throws(() => openLiveLink({ device: 'lo', capFrom: join(nowhere, 'x.js') }));
  t.true(isArpemuError(viaOpen) && viaOpen.code === 'ERR_LIVE_UNAVAILABLE');
});

test('live: an unknown or malformed interface name gives ERR_LIVE_NO_DEVICE naming it', (t) => {
  for (const name of ['aenosuchif0', '../../etc', '', 'a/b', 'x'.repeat(16)]) {
    const err = t.throws(() => openLiveLink({ device: name }));
    t.true(isArpemuError(err) && err.code === 'ERR_LIVE_NO_DEVICE', `${name}: ${String(err)}`);
    t.true(err!.message.includes(name === '' ? '""' : name), err!.message);
  }
  t.false(interfaceExists('aenosuchif0'));
  t.true(interfaceExists('lo'));
});

test('live: readInterfaceMac reads sysfs; no device or no Ethernet address are errors', (t) => {
  t.is(readInterfaceMac('lo'), 0);
  const sys = join(tmp, 'sys');
  mkdirSync(join(sys, 'eth9'), { recursive: true });
  writeFileSync(join(sys, 'eth9', 'address'), '02:ae:00:00:00:2a\n');
  mkdirSync(join(sys, 'tun0'), { recursive: true });
  writeFileSync(join(sys, 'tun0', 'address'), '\n');
  t.is(readInterfaceMac('eth9', sys), 0x02ae_0000_002a);
  const e1 = t.throws(() => readInterfaceMac('eth8', sys));
  t.true(isArpemuError(e1) && e1.code === 'ERR_LIVE_NO_DEVICE' && e1.message.includes('eth8'));
  const e2 = t.throws(() => readInterfaceMac('tun0', sys));
  t.true(isArpemuError(e2) && e2.code === 'ERR_LIVE_NO_DEVICE' && /no Ethernet address/.test(e2.message));
});

test('live: opening in a worker thread is refused (cap polls on the main loop and would abort)', async (t) => {
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(LIVE_JS)}).then(({ openLiveLink }) => {
      try { openLiveLink({ device: 'lo' }); parentPort.postMessage('opened'); }
      catch (e) { parentPort.postMessage(e.code + ' ' + e.message); }
    });`;
  const w = new Worker(code, { eval: true });
  const msg = await new Promise<string>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await w.terminate();
  t.regex(msg, /^ERR_LIVE_UNAVAILABLE .*main thread/);
});

requireOrSkip(test, 'live: without root the error is ERR_LIVE_PERMISSION and says to run as root or grant CAP_NET_RAW', [needRoot, needCap, needTool('setpriv', 'util-linux')], (t) => {
  // Drop to nobody for one child: the open fails, and the process must exit cleanly (no abort from cap).
  const js = `import(${JSON.stringify(LIVE_JS)}).then(({ openLiveLink }) => {
      try { openLiveLink({ device: 'lo' }); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
      if (global.gc) global.gc();
    });`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--expose-gc', '--input-type=module', '-e', js], { encoding: 'utf8', timeout: 20_000 });
  t.is(r.status, 0, `exit ${r.status} ${r.signal}: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim()) as { code: string; message: string };
  t.is(out.code, 'ERR_LIVE_PERMISSION');
  t.regex(out.message, /run as root or grant CAP_NET_RAW/);
  t.regex(out.message, /\blo\b/);
});
