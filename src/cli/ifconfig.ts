/**
 * arpemu ifconfig: interface addresses of a running daemon (FreeBSD
 * in_control semantics).
 *   ifconfig [IF]                                        show (all or one)
 *   ifconfig IF inet ADDR[/PLEN] [netmask MASK]          replace the first address
 *   ifconfig IF inet ADDR[/PLEN] [netmask MASK] alias    add an address
 *   ifconfig IF inet ADDR -alias | delete                remove it
 * On an interface with conflict detection, an added address is probed
 * first: the command waits for the outcome (--wait S, default 15; 0 does
 * not wait) and fails (exit 1) when the address is in use elsewhere.
 */
import { Command } from 'commander';
import { maskPrefixLen, parseCidr, parseIpv4 } from '../wire/addr.js';
import { socketPathOf, withDaemon } from '../control/client.js';
import { formatIfconfig } from '../control/format.js';
import { DaemonError, type IfconfigParams } from '../control/protocol.js';
import { IFNAME, secondsArg, usage } from './common.js';

export type IfconfigCommand =
  | { kind: 'show'; iface: string | undefined }
  | { kind: 'set'; params: IfconfigParams };

/** The command the words describe; ERR_USAGE naming the bad word. */
export function parseIfconfigArgs(words: readonly string[], wait: number): IfconfigCommand {
  const [iface, family, address, ...rest] = words;
  if (iface === undefined) return { kind: 'show', iface: undefined };
  if (!IFNAME.test(iface)) throw usage(`interface ${JSON.stringify(iface)} is not an interface name`);
  if (family === undefined) return { kind: 'show', iface };
  if (family !== 'inet') throw usage(`${JSON.stringify(family)}: only the inet family is supported`);
  if (address === undefined) throw usage('inet: missing address');
  const c = parseCidr(address);
  if (c === undefined) throw usage(`inet ${JSON.stringify(address)} is not ADDR or ADDR/PLEN`);
  let plen: number | null = c.plen ?? null;
  let action: IfconfigParams['action'] = 'set';
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === 'alias' || w === 'add') { action = 'alias'; continue; }
    if (w === '-alias' || w === 'delete' || w === 'remove') { action = 'delete'; continue; }
    if (w === 'netmask') {
      const m = rest[++i];
      if (m === undefined) throw usage('netmask: missing mask');
      const mask = /^0x[0-9a-f]{1,8}$/i.test(m) ? Number.parseInt(m.slice(2), 16) >>> 0 : parseIpv4(m);
      const pl = mask === undefined || Number.isNaN(mask) ? -1 : maskPrefixLen(mask);
      if (pl < 0) throw usage(`netmask ${JSON.stringify(m)} is not a contiguous mask`);
      if (c.plen !== undefined && c.plen !== pl) throw usage(`netmask ${m} contradicts /${c.plen}`);
      plen = pl;
      continue;
    }
    throw usage(`unknown word ${JSON.stringify(w)} (expected alias, -alias, delete or netmask MASK)`);
  }
  const params: IfconfigParams = { iface, addr: address.split('/')[0]!, action };
  if (action !== 'delete') {
    params.plen = plen;
    params.wait = wait;
  }
  return { kind: 'set', params };
}

interface IfconfigCliOptions { socket?: string; json?: boolean; wait: number }

export function ifconfigCommand(): Command {
  return new Command('ifconfig')
    .description('interface addresses: ifconfig [IF] | ifconfig IF inet ADDR[/PLEN] [netmask MASK] [alias|-alias|delete]; an added address is probed first where conflict detection is on (exit 1 when it is in use)')
    .argument('[words...]', 'IF inet ADDR[/PLEN] [netmask MASK] [alias|-alias|delete]')
    .option('--json', 'print the interfaces (or the outcome of a change) as JSON')
    .option('--wait <seconds>', 'wait this long for conflict detection on an added address (0: do not wait)', secondsArg('--wait', 3600), 15)
    .option('--socket <path>', 'control socket (default $ARPEMU_SOCKET or /run/arpemu.sock)')
    .allowUnknownOption()
    .action(async (words: string[], o: IfconfigCliOptions) => {
      const bad = words.find((w) => w.startsWith('--'));
      if (bad !== undefined) throw usage(`unknown option ${bad}`);
      const cmd = parseIfconfigArgs(words, o.wait);
      await withDaemon(socketPathOf(o.socket), async (c) => {
        if (cmd.kind === 'show') {
          const ifs = await c.call('ifconfig.list', cmd.iface === undefined ? {} : { iface: cmd.iface });
          process.stdout.write(o.json === true ? JSON.stringify(ifs, null, 2) + '\n' : formatIfconfig(ifs));
          return;
        }
        const r = await c.call('ifconfig.set', cmd.params, { timeoutMs: (o.wait + 30) * 1000 });
        if (o.json === true) process.stdout.write(JSON.stringify(r) + '\n');
        if (r.status === 'duplicated') {
          const by = r.conflict === null ? '' : ` by ${r.conflict.sha}${r.conflict.src !== r.conflict.sha ? ` (frame from ${r.conflict.src})` : ''}`;
          throw new DaemonError('EADDRINUSE', `${r.addr} on ${r.iface}: address in use${by}; kept configured but not used`);
        }
      });
    });
}
