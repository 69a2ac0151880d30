/**
 * arpemu cpus: one line per CPU replica (entries, routes, held packets);
 * --diff lists every entry in which a replica differs from CPU0 (nothing
 * when they agree); --json prints the CONTRACT.md dump.
 */
import { Command } from 'commander';
import { socketPathOf, withDaemon } from '../control/client.js';
import { diffCpus, formatCpus, formatDiff, summarizeCpus } from '../control/format.js';

interface CpusCliOptions { diff?: boolean; json?: boolean; socket?: string }

export function cpusCommand(): Command {
  return new Command('cpus')
    .description('per-CPU replica summary; --diff: entries where a replica differs from CPU0')
    .option('--diff', 'list differences from CPU0 (empty when every replica agrees)')
    .option('--json', 'print the dump (with --diff: the differences) as JSON')
    .option('--socket <path>', 'control socket (default $ARPEMU_SOCKET or /run/arpemu.sock)')
    .action(async (o: CpusCliOptions) => {
      await withDaemon(socketPathOf(o.socket), async (c) => {
        const d = await c.call('dump', {});
        if (o.diff === true) {
          const diffs = diffCpus(d);
          process.stdout.write(o.json === true ? JSON.stringify(diffs) + '\n' : formatDiff(diffs));
          return;
        }
        process.stdout.write(o.json === true ? JSON.stringify(d, null, 2) + '\n' : formatCpus(summarizeCpus(d)));
      });
    });
}
