import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parseConfigText } from '../config/config.js';
import { replay } from '../control/replay.js';
import { formatSummary } from '../control/report.js';
import { choiceArg, ifFileArg, intArg, secondsArg, usage, type IfFileArg } from './common.js';
import { createEmulator, defaultCpus } from './emulator.js';

interface ReplayCliOptions {
  config: string;
  in?: IfFileArg[];
  out?: IfFileArg[];
  cpus?: number;
  strategy: 'chain' | 'fanout' | 'shared';
  transport: 'port' | 'ring';
  settle: number;
  dump?: string;
  events?: string;
  json?: boolean;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description('deterministic offline run: frames from pcap files in, frames the emulator sends to pcap files out, on a virtual clock')
    .requiredOption('--config <file>', 'emulator configuration (JSON, see CONTRACT.md)')
    .option('--in <[IF=]file>', 'capture whose frames arrive on interface IF (default: the first configured); repeatable', ifFileArg('--in'))
    .option('--out <[IF=]file>', 'pcap file receiving every frame sent on IF (default: the first configured); repeatable', ifFileArg('--out'))
    .option('--cpus <n>', 'number of CPU replicas (default: the config\'s cpus, else the number of cores)', intArg('--cpus', 1, 256))
    .addOption(new Option('--strategy <name>', 'replication strategy').argParser(choiceArg('--strategy', ['chain', 'fanout', 'shared'] as const)).default('chain'))
    .addOption(new Option('--transport <name>', 'inter-CPU channel').argParser(choiceArg('--transport', ['port', 'ring'] as const)).default('ring'))
    .option('--settle <seconds>', 'seconds the clock runs on after the last input, so timers fire', secondsArg('--settle'), 0)
    .option('--dump <file>', 'write the final state (CONTRACT.md dump) as JSON')
    .option('--events <file>', 'write the event log as JSON lines')
    .option('--json', 'print the summary as JSON')
    .action(async (o: ReplayCliOptions) => {
      const config = parseConfigText(readFileSync(o.config, 'utf8'), o.config);
      if ((o.in ?? []).length === 0 && config.traffic.length === 0) throw usage('--in: nothing to replay (give --in FILE or traffic in the config)');
      const summary = await replay({
        config,
        inputs: o.in ?? [],
        outputs: o.out ?? [],
        settle: o.settle,
        dumpPath: o.dump,
        eventsPath: o.events,
        emulator: { cpus: o.cpus ?? config.cpus ?? defaultCpus(), strategy: o.strategy, transport: o.transport },
        createEmulator,
      });
      process.stdout.write(o.json === true ? JSON.stringify(summary) + '\n' : formatSummary(summary));
    });
}
