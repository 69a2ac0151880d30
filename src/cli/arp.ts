/**
 * arpemu arp: BSD arp(8) against a running daemon.
 *   arp -a [-n] [-i IF] [--json]  every entry (CPU0's replica); --json: the CONTRACT.md dump
 *   arp IP [-i IF]                one entry
 *   arp -s IP MAC [temp] [pub [only]] [-i IF]
 *   arp -d IP  |  arp -d -a
 *   arp -f FILE [-i IF]           lines of `IP MAC [temp] [pub [only]]`, # comments
 * -i IF: with -a and IP, only the entries on IF (FreeBSD arp(8)); with -s
 * and -f, the interface the entries go on.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { formatArpLine, type ArpEntryDump } from '../arp/admin.js';
import { parseIpv4, parseMac } from '../wire/addr.js';
import { socketPathOf, withDaemon, type ControlClient } from '../control/client.js';
import { DaemonError, type ArpSetParams } from '../control/protocol.js';
import { IFNAME, usage } from './common.js';

export type ArpCommand =
  | { kind: 'list'; json: boolean; iface?: string }
  | { kind: 'show'; ip: string; iface?: string }
  | { kind: 'set'; entry: ArpSetParams }
  | { kind: 'delete'; ip: string }
  | { kind: 'flush' }
  | { kind: 'file'; path: string };

export interface ArpCliOptions {
  a?: boolean;
  n?: boolean;
  s?: boolean;
  d?: boolean;
  f?: string;
  i?: string;
  json?: boolean;
  socket?: string;
}

function ipArg(v: string | undefined, what: string): string {
  if (v === undefined) throw usage(`${what}: missing IPv4 address`);
  if (parseIpv4(v) === undefined) throw usage(`${what}: ${JSON.stringify(v)} is not an IPv4 address`);
  return v;
}

/**
 * `IP MAC [temp] [pub [only]]` (arp -s and each line of arp -f). `where`
 * prefixes errors (`-s`, `FILE:3`).
 */
export function parseArpEntry(words: readonly string[], where: string, iface?: string): ArpSetParams {
  const [ip, mac, ...rest] = words;
  ipArg(ip, `${where} IP`);
  if (mac === undefined) throw usage(`${where} MAC: missing hardware address`);
  const m = parseMac(mac);
  if (m === undefined) throw usage(`${where} MAC: ${JSON.stringify(mac)} is not a hardware address (xx:xx:xx:xx:xx:xx)`);
  const e: ArpSetParams = { ip: ip!, mac };
  for (const w of rest) {
    if (w === 'temp') e.temp = true;
    else if (w === 'pub') e.pub = true;
    else if (w === 'only') {
      if (e.pub !== true) throw usage(`${where}: 'only' must follow 'pub'`);
      e.only = true;
    } else if (w === 'permanent') { /* the default */ } else {
      throw usage(`${where}: unknown word ${JSON.stringify(w)} (expected temp, pub, only)`);
    }
  }
  if (iface !== undefined) e.iface = iface;
  return e;
}

/** The command the flags and words describe; ERR_USAGE naming the bad argument. */
export function parseArpArgs(o: ArpCliOptions, args: readonly string[]): ArpCommand {
  const modes = [o.s && '-s', o.d && '-d', o.f !== undefined && '-f'].filter(Boolean);
  if (modes.length > 1) throw usage(`${modes.join(' and ')} cannot be combined`);
  const unknown = args.find((w) => w.startsWith('-'));
  if (unknown !== undefined) throw usage(`unknown option ${unknown}`);
  if (o.i !== undefined && !IFNAME.test(o.i)) throw usage(`-i ${JSON.stringify(o.i)} is not an interface name`);
  if (o.i !== undefined && o.d) throw usage('-i goes with -a, IP, -s or -f, not with -d');
  if (o.json === true && (!o.a || o.d || o.s)) throw usage('--json goes with -a only');
  const scope = o.i === undefined ? {} : { iface: o.i };
  if (o.s) {
    if (o.a) throw usage('-s cannot be combined with -a');
    return { kind: 'set', entry: parseArpEntry(args, '-s', o.i) };
  }
  if (o.d) {
    if (o.a) {
      if (args.length > 0) throw usage(`-d -a takes no address (got ${args[0]})`);
      return { kind: 'flush' };
    }
    if (args.length !== 1) throw usage(args.length === 0 ? '-d: missing IPv4 address (or -a for every entry)' : `-d: one address only (extra ${args[1]})`);
    return { kind: 'delete', ip: ipArg(args[0], '-d') };
  }
  if (o.f !== undefined) {
    if (args.length > 0) throw usage(`-f FILE takes no other argument (got ${args[0]})`);
    if (o.f === '') throw usage('-f: missing file name');
    return { kind: 'file', path: o.f };
  }
  if (o.a) {
    if (args.length > 0) throw usage(`-a takes no address (got ${args[0]})`);
    return { kind: 'list', json: o.json === true, ...scope };
  }
  if (args.length === 1) return { kind: 'show', ip: ipArg(args[0], 'IP'), ...scope };
  if (args.length === 0) throw usage('nothing to do: give -a, -s IP MAC, -d IP, -d -a, -f FILE or an IP');
  throw usage(`unexpected argument ${args[1]}`);
}

/** Parse an arp -f file: every line is checked before anything is sent. */
export function parseArpFile(text: string, path: string, iface?: string): ArpSetParams[] {
  const out: ArpSetParams[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    out.push(parseArpEntry(line.split(/\s+/), `${path}:${i + 1}`, iface));
  });
  return out;
}

export function arpCommand(): Command {
  return new Command('arp')
    .description('BSD arp(8) against a running daemon: -a [-i IF] [--json], IP [-i IF], -s IP MAC [temp] [pub [only]] [-i IF], -d IP, -d -a, -f FILE [-i IF]')
    .argument('[args...]', 'addresses and words (see the forms above)')
    .option('-a', 'all entries (with -d: delete all)')
    .option('-n', 'numeric output (names are never looked up)')
    .option('-s', 'set an entry: IP MAC [temp] [pub [only]]')
    .option('-d', 'delete an entry (-d -a: every entry)')
    .option('-f <file>', 'set the entries listed in FILE')
    .option('-i <iface>', 'with -a or IP: only the entries on this interface; with -s/-f: the interface of the entries')
    .option('--json', 'with -a: print the CONTRACT.md dump (with -i: its entries on that interface)')
    .option('--socket <path>', 'control socket (default $ARPEMU_SOCKET or /run/arpemu.sock)')
    .allowUnknownOption()
    .action(async (args: string[], o: ArpCliOptions) => {
      const cmd = parseArpArgs(o, args);
      // arp -f reads and checks the whole file before talking to the daemon.
      const fileEntries = cmd.kind === 'file' ? parseArpFile(readFile(cmd.path), cmd.path, o.i) : [];
      await withDaemon(socketPathOf(o.socket), (c) => runArp(c, cmd, fileEntries));
    });
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw usage(`-f ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** -i IF of a display: the interface must exist (as arp(8) says "interface IF does not exist"). */
async function checkIface(c: ControlClient, iface: string | undefined): Promise<(e: ArpEntryDump) => boolean> {
  if (iface === undefined) return () => true;
  const { interfaces } = await c.call('hello', {});
  if (!interfaces.includes(iface)) throw new DaemonError('ENXIO', `-i ${iface}: no such interface (configured: ${interfaces.join(', ')})`);
  return (e) => e.iface === iface;
}

async function runArp(c: ControlClient, cmd: ArpCommand, fileEntries: ArpSetParams[]): Promise<void> {
  switch (cmd.kind) {
    case 'list': {
      const on = await checkIface(c, cmd.iface);
      if (cmd.json) {
        const d = await c.call('dump', {});
        for (const cpu of d.cpus) cpu.arp = cpu.arp.filter(on);
        process.stdout.write(JSON.stringify(d, null, 2) + '\n');
        return;
      }
      const entries: ArpEntryDump[] = (await c.call('arp.list', {})).filter(on);
      process.stdout.write(entries.map((e) => formatArpLine(e) + '\n').join(''));
      return;
    }
    case 'show': {
      const on = await checkIface(c, cmd.iface);
      const entries = (await c.call('arp.list', { ip: cmd.ip })).filter(on);
      if (entries.length === 0) throw new DaemonError('ESRCH', `${cmd.ip} (${cmd.ip}) -- no entry${cmd.iface === undefined ? '' : ` on ${cmd.iface}`}`);
      process.stdout.write(entries.map((e) => formatArpLine(e) + '\n').join(''));
      return;
    }
    case 'set':
      await c.call('arp.set', cmd.entry);
      return;
    case 'delete': {
      await c.call('arp.delete', { ip: cmd.ip });
      process.stdout.write(`${cmd.ip} (${cmd.ip}) deleted\n`);
      return;
    }
    case 'flush': {
      const r = await c.call('arp.flush', {});
      process.stdout.write(`${r.count} entr${r.count === 1 ? 'y' : 'ies'} deleted\n`);
      return;
    }
    case 'file': {
      // As arp(8): go on after a failed line, fail at the end.
      let failed = 0;
      for (const e of fileEntries) {
        try {
          await c.call('arp.set', e);
        } catch (err) {
          failed++;
          process.stderr.write(`arpemu arp: ${e.ip}: ${(err as Error).message}\n`);
        }
      }
      if (failed > 0) throw new DaemonError('ERR_DAEMON', `${failed} of ${fileEntries.length} entries of the file were not set`);
      return;
    }
  }
}
