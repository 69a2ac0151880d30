/**
 * The ThreadedEmulator (CPU workers + netisr worker): the replay scenarios
 * of the ARP-core issue give byte-identical output pcaps, the same event
 * log and counters, and identical per-CPU tables as the one-CPU model,
 * with 2, 4 and 8 CPUs (on a 2-core machine), every strategy and both
 * transports. Threads are slow to start, so the full matrix runs on a few
 * scenarios and the others each take one configuration in turn.
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InlineEmulator } from '../../src/cpu/inline.js';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import type { Strategy, Transport } from '../../src/cpu/emulator.js';
import { SCENARIOS, runScenario, sameRun, scenarioFiles, type ReplayScenario, type ScenarioResult } from '../fixtures/replay-scenarios.js';

const TMP = mkdtempSync(join(tmpdir(), 'arpemu-threaded-test-'));
test.after.always(() => rmSync(TMP, { recursive: true, force: true }));

interface Combo { cpus: number; strategy: Strategy; transport: Transport }
const COMBOS: Combo[] = [];
for (const transport of ['ring', 'port'] as const) {
  for (const strategy of ['chain', 'fanout', 'shared'] as const) {
    for (const cpus of [2, 4, 8]) COMBOS.push({ cpus, strategy, transport });
  }
}
const FULL = new Set([
  'arp_update_oncpu: the held packet (the last one) is sent once when the reply arrives (arp.held_sent)',
  'arpresolve: unanswered resolution -> 5 requests one second apart, arp.reject, 20 s of silence, then it asks again',
]);

let dirs = 0;
const reference = new Map<ReplayScenario, Promise<ScenarioResult>>();
function ref(s: ReplayScenario): Promise<ScenarioResult> {
  let p = reference.get(s);
  if (p === undefined) {
    p = runScenario(s, { dir: join(TMP, `ref${dirs++}`), createEmulator: (o) => new InlineEmulator(o), cpus: 1 });
    reference.set(s, p);
  }
  return p;
}
const threaded = (s: ReplayScenario, c: Combo): Promise<ScenarioResult> =>
  runScenario(s, { dir: join(TMP, `t${dirs++}`), createEmulator: (o) => new ThreadedEmulator(o), ...c });

let turn = 0;
for (const s of SCENARIOS) {
  const missing = scenarioFiles(s).filter((f) => !existsSync(f));
  const combos = FULL.has(s.name) ? COMBOS : [COMBOS[(turn++ * 7) % COMBOS.length]!];
  for (const c of combos) {
    const title = `threaded ${c.cpus} cpus ${c.strategy} ${c.transport} = 1 cpu: ${s.name}`;
    if (missing.length > 0) {
      test(title, (t) => { if (process.env['CI']) t.fail(`missing ${missing.join(', ')}`); else t.log(`skipped: needs ${missing.join(', ')}`); t.pass(); });
      continue;
    }
    test.serial(title, async (t) => {
      const [a, b] = [await ref(s), await threaded(s, c)];
      t.is(b.dump.cpus.length, c.cpus);
      t.is(sameRun(a, b), undefined);
    });
  }
}
