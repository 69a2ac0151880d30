#!/usr/bin/env node
/**
 * The arpemu command (CONTRACT.md "Commands"). Exit codes: 0 success, 1 a
 * failure explained on one stderr line, 2 bad usage.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, reportFailure } from './common.js';
import { replayCommand } from './replay.js';
import { benchCommand } from './bench.js';
import { runCommand } from './run.js';
import { daemonCommand } from './daemon.js';
import { arpCommand } from './arp.js';
import { ifconfigCommand } from './ifconfig.js';
import { sysctlCommand } from './sysctl.js';
import { netstatCommand } from './netstat.js';
import { resolveCommand } from './resolve.js';
import { cpusCommand } from './cpus.js';
import { stressCommand } from './stress.js';

/**
 * commander's own usage errors ("error: unknown option '-x'", with a
 * "(Did you mean ...?)" line after it) printed as our one line:
 * `arpemu CMD: unknown option '-x' (Did you mean ...?)`.
 */
function oneLineErrors(cmd: Command, prefix: string): void {
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(`${prefix}: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
  });
  for (const sub of cmd.commands) oneLineErrors(sub, `${prefix} ${sub.name()}`);
}

const program = new Command('arpemu')
  .description('a multi-threaded, per-CPU re-creation of a BSD kernel\'s IPv4 ARP subsystem')
  .version('0.1.0')
  .exitOverride();

for (const cmd of [runCommand(), replayCommand(), benchCommand(),
  daemonCommand(), arpCommand(), ifconfigCommand(), sysctlCommand(), netstatCommand(), resolveCommand(), cpusCommand(), stressCommand()]) {
  cmd.exitOverride();
  program.addCommand(cmd);
}
oneLineErrors(program, 'arpemu');

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is bad usage.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const command = program.args[0] ?? 'arpemu';
    return reportFailure(e, command);
  }
}

process.exitCode = await main(process.argv);
