/**
 * `npm run bench` entry: the same command as `arpemu bench`.
 *
 *   node dist/bench/run.js [--quick] [--suite NAME] [--out DIR] [--set key=v,...] [--list]
 */
import { CommanderError } from 'commander';
import { benchCommand } from '../src/cli/bench.js';
import { EXIT_USAGE, reportFailure } from '../src/cli/common.js';

const cmd = benchCommand('bench').exitOverride();
try {
  await cmd.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
  else process.exitCode = reportFailure(e, 'bench');
}
