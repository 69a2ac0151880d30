/**
 * Supervisor: a CPU worker killed in the middle of a replay is restarted
 * and resynchronised from a live replica before it takes work again; the
 * output, the event log and every replica's tables are those of the
 * one-CPU model, and the log says cpu.restarted / cpu.resynced.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InlineEmulator } from '../../src/cpu/inline.js';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import { ArpemuError } from '../../src/util/errors.js';
import type { Strategy } from '../../src/cpu/emulator.js';
import { parseMac, parseIpv4 } from '../../src/wire/addr.js';
import { sumArpStats } from '../../src/arp/stats.js';
import { runScenario, sameRun, scenarioNamed, type ScenarioResult } from '../fixtures/replay-scenarios.js';

const TMP = mkdtempSync(join(tmpdir(), 'arpemu-restart-test-'));
test.after.always(() => rmSync(TMP, { recursive: true, force: true }));
let dirs = 0;

/** A dead CPU's counters and held packets die with it: compare everything else. */
const withoutCpuEvents = (r: ScenarioResult): ScenarioResult => ({
  ...r, events: r.events.filter((e) => !e.event.startsWith('cpu.')), dump: { ...r.dump, stats: sumArpStats([]) },
});

const CASES: { scenario: string; cpu: number; afterFrames: number; strategy: Strategy }[] = [
  { scenario: 'arpresolve: unanswered resolution -> 5 requests one second apart, arp.reject, 20 s of silence, then it asks again', cpu: 2, afterFrames: 3, strategy: 'chain' },
  { scenario: 'arptimer: an entry past max_age (60) is freed by the next prune walk (prune_intvl 10), not before', cpu: 0, afterFrames: 2, strategy: 'chain' },
  { scenario: 'arp_update_oncpu: a reply that moves a dynamic entry -> arp.moved, later traffic goes to the new MAC', cpu: 1, afterFrames: 1, strategy: 'fanout' },
  { scenario: 'in_arpinput: a published entry is answered for with its own MAC (and announced once when added)', cpu: 3, afterFrames: 1, strategy: 'shared' },
  { scenario: 'arp_update_oncpu: a reply that moves a dynamic entry -> arp.moved, later traffic goes to the new MAC', cpu: 0, afterFrames: 1, strategy: 'shared' },
];

for (const c of CASES) {
  test.serial(`supervisor: cpu${c.cpu} of 4 (${c.strategy}) dies after ${c.afterFrames} frames, is restarted and resynced, output unchanged: ${c.scenario}`, async (t) => {
    const s = scenarioNamed(c.scenario);
    const ref = await runScenario(s, { dir: join(TMP, `r${dirs++}`), createEmulator: (o) => new InlineEmulator(o), cpus: 1 });
    let emu: ThreadedEmulator | undefined;
    let crash: Promise<void> | undefined;
    const r = await runScenario(s, {
      dir: join(TMP, `r${dirs++}`), cpus: 4, strategy: c.strategy, transport: 'ring',
      createEmulator: (o) => {
        const e = new ThreadedEmulator(o);
        emu = e;
        let frames = 0;
        e.onTransmit(() => { if (++frames === c.afterFrames) crash = e.crashCpu(c.cpu); });
        return e;
      },
    });
    t.truthy(crash, 'the crash was triggered');
    await crash;
    t.is(emu!.restarts, 1);
    t.is(sameRun(withoutCpuEvents(ref), withoutCpuEvents(r)), undefined);
    const restarted = r.events.filter((e) => e.event === 'cpu.restarted');
    const resynced = r.events.filter((e) => e.event === 'cpu.resynced');
    t.deepEqual(restarted.map((e) => e.cpu), [c.cpu]);
    t.deepEqual(resynced.map((e) => e.cpu), [c.cpu]);
    t.is((resynced[0] as unknown as { from: number }).from, c.cpu === 0 ? 3 : 0);
  });
}

test.serial('supervisor: updates sent while a CPU is down wait in its ring and are applied after the resync', async (t) => {
  const emu = new ThreadedEmulator({ cpus: 3, strategy: 'chain', transport: 'ring', time: { kind: 'virtual', start: 0, lockstep: false } });
  try {
    await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: parseMac('02:00:00:00:01:01')!, flags: [] } });
    await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: parseIpv4('10.0.0.1')!, plen: 24 });
    await emu.quiesce();
    await emu.crashCpu(2, 'exit', 'dead');
    // While cpu2 is down: 50 static entries through the chain (they wait in its ring).
    const ops: Promise<{ count: number }>[] = [];
    for (let i = 0; i < 50; i++) ops.push(emu.apply({ op: 'set', ip: parseIpv4(`10.0.0.${100 + i}`)!, mac: 0x020000000100 + i, expire: 0, pub: false, only: false, iface: null }));
    const results = await Promise.all(ops);
    t.deepEqual(results.map((r) => r.count), results.map(() => 1));
    await emu.cpuReady(2);
    const d = await emu.dump();
    t.is(emu.restarts, 1);
    const tables = d.cpus.map((c) => JSON.stringify(c.arp.map((e) => ({ ...e, held: 0 }))));
    t.is(d.cpus[0]!.arp.length, 51);
    t.deepEqual(tables, [tables[0], tables[0], tables[0]]);
  } finally {
    await emu.close();
  }
});

test.serial('a killed CPU0 under the shared strategy is restarted and resynced from the standby copy: tables, knobs and later operations survive', async (t) => {
  t.timeout(120_000);
  const emu = new ThreadedEmulator({ cpus: 3, strategy: 'shared', transport: 'ring', time: { kind: 'virtual', start: 0, lockstep: false } });
  try {
    await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: parseMac('02:00:00:00:01:01')!, flags: [] } });
    await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: parseIpv4('10.0.0.1')!, plen: 24 });
    await emu.apply({ op: 'sysctl', name: 'net.link.ether.inet.max_age', value: 600 });
    for (let i = 0; i < 20; i++) await emu.apply({ op: 'set', ip: parseIpv4(`10.0.0.${100 + i}`)!, mac: 0x020000000100 + i, expire: 0, pub: false, only: false, iface: null });
    const before = await emu.dump();
    await emu.crashCpu(0);
    t.is(emu.restarts, 1);
    const after = await emu.dump();
    t.deepEqual(after.cpus, before.cpus);
    t.deepEqual(after.interfaces, before.interfaces);
    t.is((await emu.sysctl('net.link.ether.inet.max_age'))[0]!.value, 600);
    // The standby kept following CPU0 after the restart: a second death loses nothing either.
    await emu.apply({ op: 'set', ip: parseIpv4('10.0.0.200')!, mac: 0x020000000200, expire: 0, pub: false, only: false, iface: null });
    await emu.crashCpu(0, 'throw');
    const again = await emu.dump();
    t.is(emu.restarts, 2);
    t.is(again.cpus[0]!.arp.length, before.cpus[0]!.arp.length + 1);
    t.true(again.cpus[0]!.arp.some((e) => e.ip === '10.0.0.200' && e.mac === '02:00:00:00:02:00'));
  } finally {
    await emu.close();
  }
});

test.serial('port transport: a CPU that dies is not restarted; crashCpu, apply, quiesce and dump reject with EOPNOTSUPP instead of hanging', async (t) => {
  t.timeout(60_000);
  const emu = new ThreadedEmulator({ cpus: 2, strategy: 'chain', transport: 'port', time: { kind: 'virtual', start: 0, lockstep: false } });
  try {
    await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: parseMac('02:00:00:00:01:01')!, flags: [] } });
    const e = await t.throwsAsync(emu.crashCpu(1));
    t.is((e as ArpemuError).code, 'EOPNOTSUPP');
    t.regex(e!.message, /cpu1 died .* cannot be restarted on the port transport/);
    t.is(emu.restarts, 0);
    for (const p of [emu.apply({ op: 'flush' }), emu.quiesce(), emu.dump(), emu.cpuReady(0), emu.crashCpu(0)]) {
      t.is(((await t.throwsAsync(p)) as ArpemuError).code, 'EOPNOTSUPP');
    }
  } finally {
    await emu.close();
  }
});

test.serial('CpuControl over comlink: an errno keeps its code across threads', async (t) => {
  const emu = new ThreadedEmulator({ cpus: 2, strategy: 'chain', transport: 'port', time: { kind: 'virtual', start: 0, lockstep: true } });
  try {
    const e1 = await t.throwsAsync(emu.sysctl('net.link.ether.inet.no_such_knob'));
    t.true(e1 instanceof ArpemuError);
    t.is((e1 as ArpemuError).code, 'ENOENT');
    const e2 = await t.throwsAsync(emu.apply({ op: 'delete', ip: parseIpv4('10.9.9.9')! }));
    t.is((e2 as ArpemuError).code, 'ESRCH');
    const [k] = await emu.sysctl('net.link.ether.inet.max_age');
    t.is(k!.value, 1200);
  } finally {
    await emu.close();
  }
});
