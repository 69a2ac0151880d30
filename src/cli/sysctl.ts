/**
 * arpemu sysctl: tunables of a running daemon, FreeBSD names.
 *   sysctl -a                      every knob
 *   sysctl NAME ...                values (a prefix lists the knobs under it)
 *   sysctl NAME=VALUE ...          set (applied on every CPU, saved in the state file)
 *   -n: values only; -d: descriptions (-nd: descriptions only); --json
 */
import { Command } from 'commander';
import { socketPathOf, withDaemon } from '../control/client.js';
import { formatKnob, formatKnobSet, type SysctlStyle } from '../control/format.js';
import { usage } from './common.js';

export type SysctlItem = { kind: 'get'; name: string } | { kind: 'set'; name: string; value: string };

const NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/;

/** Each word as a get or a set; ERR_USAGE naming the bad word. */
export function parseSysctlArgs(words: readonly string[], all: boolean): SysctlItem[] {
  if (all && words.length > 0) throw usage(`-a takes no names (got ${words[0]})`);
  if (!all && words.length === 0) throw usage('give NAME, NAME=VALUE or -a');
  return words.map((w) => {
    if (w.startsWith('-')) throw usage(`unknown option ${w}`);
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    if (!NAME.test(name)) throw usage(`${JSON.stringify(name)} is not a sysctl name (e.g. net.link.ether.inet.max_age)`);
    if (eq < 0) return { kind: 'get', name };
    const value = w.slice(eq + 1);
    if (value === '') throw usage(`${name}=: missing value`);
    return { kind: 'set', name, value };
  });
}

interface SysctlCliOptions { a?: boolean; n?: boolean; d?: boolean; json?: boolean; socket?: string }

export function sysctlCommand(): Command {
  return new Command('sysctl')
    .description('tunables with FreeBSD names: sysctl -a | sysctl NAME[=VALUE] ... (a NAME prefix lists the knobs under it); -n, -d, --json')
    .argument('[names...]', 'NAME or NAME=VALUE')
    .option('-a', 'every knob')
    .option('-n', 'print values only (with -d: descriptions only)')
    .option('-d', 'print descriptions (with their unit) instead of values')
    .option('--json', 'print the knobs as JSON')
    .option('--socket <path>', 'control socket (default $ARPEMU_SOCKET or /run/arpemu.sock)')
    .allowUnknownOption()
    .action(async (words: string[], o: SysctlCliOptions) => {
      const items = parseSysctlArgs(words, o.a === true);
      const style: SysctlStyle = o.d === true ? (o.n === true ? 'bare-description' : 'description') : o.n === true ? 'value' : 'name';
      await withDaemon(socketPathOf(o.socket), async (c) => {
        if (o.a === true) {
          const all = await c.call('sysctl.get', {});
          process.stdout.write(o.json === true ? JSON.stringify(all, null, 2) + '\n' : all.map((k) => formatKnob(k, style) + '\n').join(''));
          return;
        }
        const out: unknown[] = [];
        for (const it of items) {
          if (it.kind === 'get') {
            const ks = await c.call('sysctl.get', { names: [it.name] });
            if (o.json === true) out.push(...ks);
            else process.stdout.write(ks.map((k) => formatKnob(k, style) + '\n').join(''));
          } else {
            const value = /^-?\d+$/.test(it.value) ? Number(it.value) : it.value;
            const r = await c.call('sysctl.set', { name: it.name, value });
            if (o.json === true) out.push(r);
            else process.stdout.write((o.n === true ? String(r.value) : formatKnobSet(r.name, r.old, r.value)) + '\n');
          }
        }
        if (o.json === true) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      });
    });
}
