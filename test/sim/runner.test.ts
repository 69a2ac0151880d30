import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CollectingSink, type ArpemuEvent } from '../../src/util/events.js';
import type { EmulatorOptions } from '../../src/cpu/emulator.js';
import { InlineEmulator } from '../../src/cpu/inline.js';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import { createEmulator } from '../../src/cli/emulator.js';
import { arpSetOp } from '../../src/arp/admin.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { parseScenario, parseScenarioText } from '../../src/sim/scenario.js';
import { runScenario, type Progress, type RunOptions } from '../../src/sim/runner.js';
import { formatReport, percentile, type SimReport } from '../../src/sim/metrics.js';

const root = join(import.meta.dirname, '..', '..', '..');
const lanText = readFileSync(join(root, 'scenarios', 'lan.json'), 'utf8');

/**
 * 40 hosts on 10.0.0.0/24 (h1 = 10.0.0.2 ... h40 = 10.0.0.41; MAC of hN =
 * 02:00:00:01:00:NN in hex). h10 is silent from the start; the emulator
 * resolves h5, which then moves; h7 claims the emulator's address; the
 * emulator sends to the silent h10.
 */
function small(extra: Record<string, unknown> = {}) {
  return parseScenario({
    duration: 30,
    link: { latency: 0.0001, emulator: { jitter: 0.001, loss: 0.01 } },
    config: {
      interfaces: [{ name: 'vemu0', mac: '02:00:00:00:01:01', addresses: ['10.0.0.1/24'] }],
      arp: [
        { ip: '10.0.0.250', mac: '02:00:00:00:01:01', pub: true },
        { ip: '10.0.0.9', mac: '02:00:00:01:00:08' },
      ],
      sysctl: { 'net.link.ether.inet.max_log_per_second': -1 },
    },
    hosts: [{ name: 'h', count: 40, first: '10.0.0.2' }],
    timeline: [
      { t: 0, host: 'h10', do: 'silent' },
      { t: 1.5, do: 'send', ip: '10.0.0.6', count: 2, interval: 0.1 },
      { t: 5, host: 'h5', do: 'move', mac: '02:00:00:aa:00:05' },
      { t: 8, host: 'h7', do: 'claim', ip: '10.0.0.1' },
      { t: 10, do: 'send', ip: '10.0.0.11', count: 20, interval: 0.5 },
    ],
    traffic: [
      { kind: 'emulator-send', rate: 40, spacing: 'poisson', destinations: ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.20', '10.0.0.30'], mix: 'zipf' },
      { kind: 'host-requests', rate: 5, spacing: 'poisson', mode: 'resolve' },
      { kind: 'published', rate: 1 },
      { kind: 'noise', rate: 10, spacing: 'poisson', mode: 'datagram' },
    ],
    ...extra,
  }, 'small');
}

function opts(over: Partial<RunOptions> = {}): RunOptions {
  return { scenario: small(), createEmulator, ...over };
}

/** The report without the machine-dependent part. */
function stable(r: SimReport): Omit<SimReport, 'wall'> {
  const { wall: _wall, ...rest } = r;
  return rest;
}

test('runner: the same seed gives the same report, another seed a different one', async (t) => {
  const a = await runScenario(opts());
  const b = await runScenario(opts());
  t.deepEqual(stable(b), stable(a));
  t.is(JSON.stringify(stable(b)), JSON.stringify(stable(a)));
  const c = await runScenario(opts({ seed: 2 }));
  t.is(c.scenario.seed, 2);
  t.notDeepEqual(stable(c).events, stable(a).events);
  t.true(a.frames.segment.frames > 1000, `${a.frames.segment.frames} frames`);
});

test('runner: the lan scenario (shortened) is deterministic too', async (t) => {
  const scenario = parseScenarioText(lanText, 'lan.json');
  const a = await runScenario({ scenario, createEmulator, duration: 15 });
  const b = await runScenario({ scenario, createEmulator, duration: 15 });
  t.deepEqual(stable(b), stable(a));
  const c = await runScenario({ scenario, createEmulator, duration: 15, seed: 99 });
  t.notDeepEqual(stable(c).frames, stable(a).frames);
});

test('runner: scripted hosts produce the emulator events: arp.moved, arp.dupip, arp.reject; no acd.* with ACD off', async (t) => {
  const sink = new CollectingSink();
  const r = await runScenario(opts({ events: sink }));
  const named = (n: string): ArpemuEvent[] => sink.events.filter((e) => e.event === n);
  // h5 moved to a new MAC after the emulator had resolved it.
  const moved = named('arp.moved') as ArpemuEvent<'arp.moved'>[];
  t.true(moved.some((e) => e.ip === '10.0.0.6' && e.from === '02:00:00:01:00:05' && e.to === '02:00:00:aa:00:05' && e.t >= 5), JSON.stringify(moved));
  // h7 claimed the emulator's own address.
  const dupip = named('arp.dupip') as ArpemuEvent<'arp.dupip'>[];
  t.true(dupip.some((e) => e.ip === '10.0.0.1' && e.mac === '02:00:00:01:00:07' && e.t >= 8), JSON.stringify(dupip));
  // The emulator gave up on the silent h10 (10.0.0.11) after maxtries requests.
  const reject = named('arp.reject') as ArpemuEvent<'arp.reject'>[];
  t.true(reject.some((e) => e.ip === '10.0.0.11' && e.t >= 14 && e.t < 20), JSON.stringify(reject));
  t.is(sink.events.filter((e) => e.event.startsWith('acd.')).length, 0);
  // The published address was answered by proxy.
  t.true(sink.events.some((e) => e.event === 'arp.reply_sent' && e.spa === '10.0.0.250' && e.proxy === true));
  // The report counts exactly the events the sink saw.
  const counts: Record<string, number> = {};
  for (const e of sink.events) counts[e.event] = (counts[e.event] ?? 0) + 1;
  t.deepEqual(r.events, Object.fromEntries(Object.entries(counts).sort(([x], [y]) => x.localeCompare(y))));
  t.is(r.held.sent, r.stats.heldsent);
  t.true(r.resolution.emulator.failed >= 1);
  t.true(r.resolution.hostsToEmulator.count > 0);
  t.is(r.timeline.events, 5);
  t.deepEqual(r.timeline.failed, {});
});

test('runner: host-side events follow the timeline (moved host, conflict owner, silent host)', async (t) => {
  const r = await runScenario(opts());
  t.is(r.hostEvents['mac_changed'], 1);
  t.is(r.hostEvents['silent'], 1);
  t.is(r.hostEvents['claimed'], 1);
  t.is(r.hostEvents['booted'], 40);
  // Hosts that had h5 cached saw it move.
  t.true((r.hostEvents['moved'] ?? 0) > 0);
});

test('runner: the lan default shows a moved MAC, a conflict and a rejected silent host', async (t) => {
  const scenario = parseScenarioText(lanText, 'lan.json');
  const sink = new CollectingSink();
  const r = await runScenario({ scenario, createEmulator, duration: 70, events: sink });
  t.true(sink.events.some((e) => e.event === 'arp.moved' && e.ip === '10.0.0.21'), 'h20 moved');
  t.true(sink.events.some((e) => e.event === 'arp.dupip' && e.ip === '10.0.0.1'), 'h7 claimed the emulator address');
  t.true(sink.events.some((e) => e.event === 'arp.reject' && e.ip === '10.0.0.43'), 'silent h42 rejected');
  t.true(r.held.sent > 0 && r.held.dropped > 0);
  t.true(r.resolution.emulator.count > 100);
  t.is(r.replicas.length, r.scenario.cpus);
  t.true(r.agree);
  t.is(r.dump.cpus[0]!.arp.length, r.replicas[0]!.entries);
  t.is(r.end, 70);
});

test('runner: table samples at fixed virtual times, the last at the end', async (t) => {
  const r = await runScenario(opts({ duration: 20 }));
  const every = small().sample; // duration / 40 of the file's 30 s
  t.is(r.samples.at(-1)!.t, 20);
  t.deepEqual(r.samples.slice(0, 3).map((s) => s.t), [every, 2 * every, 3 * every]);
  t.true(r.samples.every((s) => s.entries.length === r.scenario.cpus && s.agree));
  for (let i = 1; i < r.samples.length; i++) t.true(r.samples[i]!.frames >= r.samples[i - 1]!.frames);
});

test('runner: aborting stops at the current virtual time and the report says so', async (t) => {
  const ac = new AbortController();
  const seen: Progress[] = [];
  const r = await runScenario(opts({
    signal: ac.signal,
    progressInterval: 0,
    onProgress: (p) => { seen.push(p); if (p.t >= 5) ac.abort(); },
  }));
  t.true(r.stopped);
  t.true(r.end >= 5 && r.end < 30, `${r.end}`);
  t.true(seen.at(-1)!.done);
  t.true(formatReport(r).includes('stopped early'));
});

test('runner: progress snapshots move forward and carry notable events', async (t) => {
  const seen: Progress[] = [];
  await runScenario(opts({ progressInterval: 0, onProgress: (p) => seen.push(p) }));
  t.true(seen.length > 2);
  for (let i = 1; i < seen.length; i++) {
    t.true(seen[i]!.t >= seen[i - 1]!.t);
    t.true(seen[i]!.frames >= seen[i - 1]!.frames);
  }
  const notices = seen.flatMap((p) => p.notices.map((n) => n.text));
  t.true(notices.some((n) => n.includes('moved')), notices.join('\n'));
  t.true(notices.some((n) => n.includes('is using my address 10.0.0.1')), notices.join('\n'));
  t.true(seen.at(-1)!.done);
});

test('runner: realtime paces virtual time against the wall clock', async (t) => {
  const start = performance.now();
  const r = await runScenario(opts({ duration: 0.4, realtime: true }));
  const wall = (performance.now() - start) / 1000;
  t.is(r.end, 0.4);
  t.true(wall >= 0.38, `${wall} s`);
  t.true(r.scenario.realtime);
});

test('runner: a timeline operation the emulator refuses is reported, not fatal', async (t) => {
  const s = small({ timeline: [{ t: 1, do: 'addr-delete', addr: '10.9.9.9' }] });
  const r = await runScenario({ scenario: s, createEmulator, duration: 3 });
  t.deepEqual(Object.keys(r.timeline.failed).length, 1);
  t.regex(Object.keys(r.timeline.failed)[0]!, /^addr-delete: E[A-Z]+$/);
});

test('runner: churn moves, silences, claims and re-announces random hosts, deterministically', async (t) => {
  const scenario = small({
    timeline: [],
    traffic: [
      { kind: 'churn', rate: 4, spacing: 'poisson', downtime: 3, hold: 1 },
      { kind: 'emulator-send', rate: 50, destinations: 'hosts' },
    ],
  });
  const sink = new CollectingSink();
  const a = await runScenario({ scenario, createEmulator, events: sink });
  const b = await runScenario({ scenario, createEmulator });
  t.deepEqual(stable(b), stable(a));
  for (const k of ['mac_changed', 'silent', 'back', 'claimed']) t.true((a.hostEvents[k] ?? 0) > 0, `no ${k}`);
  // Moved VMs show up at the emulator with their fresh 02:fe:... MACs.
  t.true(sink.events.some((e) => e.event === 'arp.moved' && String(e.to).startsWith('02:fe:')));
});

test('runner: onReady and inject feed the emulator; afterStimulus sees every stimulus at quiescence', async (t) => {
  const kinds: Record<string, number> = {};
  const times: number[] = [];
  const r = await runScenario(opts({
    duration: 6,
    onReady: (runner) => {
      runner.timers.at(2, () => runner.inject({ kind: 'op', op: arpSetOp(parseIpv4('10.0.0.99')!, 0x02_00_00_00_99_99), what: 'injected' }));
    },
    afterStimulus: (s, runner) => {
      kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
      times.push(runner.clock.now());
    },
  }));
  t.is(kinds['frame'], r.frames.emulatorRx);
  t.is(kinds['output'], r.emulator.datagrams);
  t.is(kinds['op'], 1);
  t.is(kinds['sample'], r.samples.length);
  t.true(times.every((x, i) => i === 0 || x >= times[i - 1]!));
  t.true(r.dump.cpus[0]!.arp.some((e) => e.ip === '10.0.0.99' && e.mac === '02:00:00:00:99:99' && e.flags.includes('permanent')));
});

test('metrics: nearest-rank percentiles', (t) => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  t.is(percentile(v, 50), 5);
  t.is(percentile(v, 90), 9);
  t.is(percentile(v, 99), 10);
  t.is(percentile([7], 1), 7);
  t.is(percentile([], 50), null);
});

/** What must not depend on the number of CPUs or on threads. */
function cpuIndependent(r: SimReport) {
  return {
    end: r.end, frames: r.frames, emulator: r.emulator, timeline: r.timeline, resolution: r.resolution, heldPackets: r.held,
    events: r.events, hostEvents: r.hostEvents, hostCounters: r.hostCounters, faults: r.faults, stats: r.stats,
    // Held packets are per CPU (the flow's owner holds them): compare where they are not.
    cpu0: { ...r.dump.cpus[0], arp: r.dump.cpus[0]!.arp.map(({ held: _h, ...e }) => e) },
    held: r.dump.cpus.flatMap((c) => c.arp.filter((e) => e.held > 0).map((e) => `${e.ip} ${e.held}`)).sort(),
    interfaces: r.dump.interfaces,
  };
}

for (const [name, make] of [
  ['InlineEmulator', (o: EmulatorOptions) => new InlineEmulator(o)],
  ['ThreadedEmulator (ring)', (o: EmulatorOptions) => new ThreadedEmulator({ ...o, transport: 'ring' })],
] as const) {
  test(`runner: 1 CPU and 3 CPUs of the ${name} give the same run as the single-CPU emulator; replicas agree`, async (t) => {
    const base = await runScenario(opts({ duration: 12 }));
    const three = await runScenario(opts({ duration: 12, cpus: 3, createEmulator: make }));
    t.is(three.scenario.cpus, 3);
    t.deepEqual(cpuIndependent(three), cpuIndependent(base));
    t.is(three.replicas.length, 3);
    t.true(three.agree, JSON.stringify(three.replicas));
    t.true(three.samples.every((x) => x.entries.length === 3 && x.agree));
  });
}
