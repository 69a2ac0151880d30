/**
 * arpemu netstat -s: ARP counters (struct arpstat names) summed over the
 * CPUs; --per-cpu shows each CPU beside the total; --json the numbers.
 */
import { Command } from 'commander';
import { socketPathOf, withDaemon } from '../control/client.js';
import { formatNetstat, formatNetstatPerCpu } from '../control/format.js';
import { usage } from './common.js';

interface NetstatCliOptions { s?: boolean; p?: string; perCpu?: boolean; json?: boolean; socket?: string }

export function checkNetstatArgs(o: NetstatCliOptions, args: readonly string[]): void {
  if (args.length > 0) throw usage(`unexpected argument ${args[0]}`);
  if (o.s !== true) throw usage('only -s (statistics) is supported: arpemu netstat -s [--per-cpu]');
  if (o.p !== undefined && o.p !== 'arp') throw usage(`-p ${o.p}: only the arp protocol is kept`);
}

export function netstatCommand(): Command {
  return new Command('netstat')
    .description('ARP counters (arpstat names) summed over the CPUs: netstat -s [-p arp] [--per-cpu] [--json]')
    .argument('[args...]')
    .option('-s', 'statistics')
    .option('-p <protocol>', 'protocol (arp)')
    .option('--per-cpu', 'a column for each CPU')
    .option('--json', 'print { cpus: [...], total } as JSON')
    .option('--socket <path>', 'control socket (default $ARPEMU_SOCKET or /run/arpemu.sock)')
    .action(async (args: string[], o: NetstatCliOptions) => {
      checkNetstatArgs(o, args);
      await withDaemon(socketPathOf(o.socket), async (c) => {
        const r = await c.call('stats', {});
        if (o.json === true) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else process.stdout.write(o.perCpu === true ? formatNetstatPerCpu(r.cpus, r.total) : formatNetstat(r.total));
      });
    });
}
