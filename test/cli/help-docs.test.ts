/**
 * The daemon and control commands' options as --help lists them (the
 * commander definitions) are all in the command's row of docs/CONTRACT.md
 * and of the README's command table, so the three cannot drift apart.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { daemonCommand } from '../../src/cli/daemon.js';
import { arpCommand } from '../../src/cli/arp.js';
import { ifconfigCommand } from '../../src/cli/ifconfig.js';
import { sysctlCommand } from '../../src/cli/sysctl.js';
import { netstatCommand } from '../../src/cli/netstat.js';
import { resolveCommand } from '../../src/cli/resolve.js';
import { cpusCommand } from '../../src/cli/cpus.js';

// dist/test/cli -> the checkout
const ROOT = new URL('../../../', import.meta.url);
const docs = {
  'docs/CONTRACT.md': readFileSync(fileURLToPath(new URL('docs/CONTRACT.md', ROOT)), 'utf8'),
  'README.md': readFileSync(fileURLToPath(new URL('README.md', ROOT)), 'utf8'),
};

/** Table rows that document `arpemu NAME`. */
function rows(text: string, name: string): string {
  return text.split('\n').filter((l) => l.startsWith('|') && l.includes(`arpemu ${name}`)).join('\n');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const cmd of [daemonCommand(), arpCommand(), ifconfigCommand(), sysctlCommand(), netstatCommand(), resolveCommand(), cpusCommand()] as Command[]) {
  test(`${cmd.name()}: every --help option is in its row of CONTRACT.md and README.md`, (t) => {
    // --socket is documented once for every control command (beside the table).
    const flags = cmd.options.map((o) => o.long ?? o.short!).filter((f) => f !== '--help' && (f !== '--socket' || cmd.name() === 'daemon'));
    t.true(flags.length > 0);
    for (const [file, text] of Object.entries(docs)) {
      const r = rows(text, cmd.name());
      t.not(r, '', `${file} has a row for arpemu ${cmd.name()}`);
      for (const f of flags) t.regex(r, new RegExp(`(^|[\\s\`[(])${escape(f)}([\\s\`\\])|]|$)`, 'm'), `${file}: arpemu ${cmd.name()} ${f}`);
    }
  });
}
