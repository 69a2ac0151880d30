/**
 * The InlineEmulator (N replicas in one thread, the deterministic model):
 * every replay scenario of the ARP-core issue behaves as its `expect` says
 * with one CPU, and gives byte-identical output, the same event log and
 * counters and identical per-CPU tables with 2, 4 and 8 CPUs under each
 * strategy (arp_update_msghandler's chain, fanout, shared), also with the
 * input CPU chosen by sender address.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InlineEmulator } from '../../src/cpu/inline.js';
import type { Strategy } from '../../src/cpu/emulator.js';
import { SCENARIOS, runScenario, sameRun, scenarioFiles, type ScenarioResult, type ReplayScenario } from '../fixtures/replay-scenarios.js';
import { existsSync } from 'node:fs';

const TMP = mkdtempSync(join(tmpdir(), 'arpemu-inline-test-'));
test.after.always(() => rmSync(TMP, { recursive: true, force: true }));

let dirs = 0;
const run = (s: ReplayScenario, cpus: number, strategy: Strategy): Promise<ScenarioResult> =>
  runScenario(s, { dir: join(TMP, `r${dirs++}`), createEmulator: (o) => new InlineEmulator(o), cpus, strategy, transport: 'ring' });

for (const s of SCENARIOS) {
  const missing = scenarioFiles(s).filter((f) => !existsSync(f));
  if (missing.length > 0) {
    test(`inline: ${s.name}`, (t) => { if (process.env['CI']) t.fail(`missing ${missing.join(', ')}`); else t.log(`skipped: needs ${missing.join(', ')}`); t.pass(); });
    continue;
  }
  test(`inline 1 cpu: ${s.name}`, async (t) => {
    const r = await run(s, 1, 'chain');
    s.expect(t, r);
  });
  test(`inline 2/4/8 cpus x chain/fanout/shared equal 1 cpu: ${s.name}`, async (t) => {
    const ref = await run(s, 1, 'chain');
    for (const strategy of ['chain', 'fanout', 'shared'] as const) {
      for (const cpus of [1, 2, 4, 8]) {
        const r = await run(s, cpus, strategy);
        t.is(r.dump.cpus.length, cpus);
        t.is(sameRun(ref, r), undefined, `${cpus} cpus ${strategy}`);
      }
    }
    // The netisr knob: the input CPU chosen by the sender address instead of CPU0.
    for (const strategy of ['chain', 'fanout'] as const) {
      const r = await runScenario(s, { dir: join(TMP, `r${dirs++}`), createEmulator: (o) => new InlineEmulator({ ...o, inputHash: true }), cpus: 4, strategy, transport: 'ring' });
      t.is(sameRun(ref, r), undefined, `4 cpus ${strategy}, input CPU by sender address`);
    }
  });
}
