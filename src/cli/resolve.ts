/**
 * arpemu resolve IP [--timeout S]: run address resolution in the daemon
 * (arpresolve, retried once a second as a sending program would) and
 * print the outcome: `IP at MAC on IF` (exit 0), or host down /
 * unreachable / no answer in time (one line on stderr, exit 1).
 */
import { Command } from 'commander';
import { parseIpv4 } from '../wire/addr.js';
import { socketPathOf, withDaemon } from '../control/client.js';
import { formatResolve } from '../control/format.js';
import { DaemonError } from '../control/protocol.js';
import { secondsArg, usage } from './common.js';

interface ResolveCliOptions { timeout: number; json?: boolean; socket?: string }

export function resolveCommand(): Command {
  return new Command('resolve')
    .description('resolve IP through the daemon (arpresolve, retried once a second) and print the MAC (exit 0), or why not: host down, unreachable, no answer in time (exit 1)')
    .argument('<ip>', 'IPv4 address')
    .option('--timeout <seconds>', 'give up after this long', secondsArg('--timeout', 3600), 10)
    .option('--json', 'print the outcome as JSON (exit status as without)')
    .option('--socket <path>', 'control socket (default $ARPEMU_SOCKET or /run/arpemu.sock)')
    .action(async (ip: string, o: ResolveCliOptions) => {
      if (parseIpv4(ip) === undefined) throw usage(`IP ${JSON.stringify(ip)} is not an IPv4 address`);
      if (o.timeout <= 0) throw usage('--timeout must be more than 0 seconds');
      await withDaemon(socketPathOf(o.socket), async (c) => {
        const r = await c.call('resolve', { ip, timeout: o.timeout }, { timeoutMs: (o.timeout + 30) * 1000 });
        if (o.json === true) process.stdout.write(JSON.stringify(r) + '\n');
        if (r.outcome === 'resolved' || r.outcome === 'local') {
          if (o.json !== true) process.stdout.write(formatResolve(r) + '\n');
          return;
        }
        throw new DaemonError(r.outcome === 'hostdown' ? 'EHOSTDOWN' : r.outcome === 'timeout' ? 'ETIMEDOUT' : 'EHOSTUNREACH', formatResolve(r));
      });
    });
}
