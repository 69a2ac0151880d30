/**
 * The per-CPU emulator on threads (issue 6), measured in one run with the
 * MessagePort transports as the baselines:
 *
 *  1. chain throughput, 4 CPUs: ARP updates (OP_UPDATE records, as
 *     in_arpinput submits them) handed to CPU0 back to back; each visits
 *     CPU0..CPU3 and is applied to every replica; updates/s until the last
 *     replica applied the last one;
 *  2. frames from an in-memory segment link through the netisr (arpintr) to
 *     CPU0 (in_arpinput) and the chain, 2 CPUs: ARP replies to us from 4096
 *     hosts; frames/s until every replica applied the last one;
 *  3. per-hop latency: one record main -> CPU0 (-> CPU1) -> main, one at a
 *     time; per hop = round trip / hops; p50 and p99;
 *  4. arpresolve hits on each replica (65536 entries), one CPU alone, then
 *     two concurrently: lookups/s and the scaling efficiency.
 * 1 and 3 are the `chain` suite's entry=inject points (bench/suites/chain.ts,
 * where that measurement lives); 2 and 4 are defined here. Transports:
 * MessagePort posting every record on its own (the baseline the issue
 * means), MessagePort posting one batch per flush (the emulator's port
 * transport), SAB rings with Atomics.waitAsync wake-ups, and rings with
 * bounded busy-polling. Medians of the repetitions after warm-up.
 * Wall-clock rates: this is a 2-core machine shared with other work, so the
 * load average is printed.
 *
 * Run: node dist/bench/cpu.bench.js [--quick]
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { VirtualClock } from '../src/util/clock.js';
import { TimerQueue, runVirtualUntil } from '../src/util/timers.js';
import { parseIpv4, parseMac } from '../src/wire/addr.js';
import { ARPOP_REPLY, emitArpFrame } from '../src/wire/arp.js';
import { Segment } from '../src/link/segment.js';
import { ThreadedEmulator } from '../src/cpu/threaded.js';
import { measureOrThrow, metricStats, type PointOutcome } from '../src/bench/point.js';
import type { Point, RepSample, SuiteDef } from '../src/bench/types.js';
import chain from './suites/chain.js';

const quick = process.argv.includes('--quick');
const FRAMES = quick ? 200_000 : 500_000;
const LOOKUPS = quick ? 2_000_000 : 5_000_000;
const HOSTS = 4096;
const US = parseMac('02:00:00:00:01:01')!;
const NET = parseIpv4('10.0.0.0')!;

const fmtM = (x: number): string => `${(x / 1e6).toFixed(3)}M`;

interface Variant { name: string; transport: 'port-msg' | 'port' | 'ring'; wake: 'wait' | 'spin' }
const VARIANTS: Variant[] = [
  { name: 'port (per message)', transport: 'port-msg', wake: 'wait' },
  { name: 'port (batched)', transport: 'port', wake: 'wait' },
  { name: 'ring (wake-ups)', transport: 'ring', wake: 'wait' },
  { name: 'ring (busy-poll)', transport: 'ring', wake: 'spin' },
];

async function emulator(cpus: number, v: Variant): Promise<ThreadedEmulator> {
  const emu = new ThreadedEmulator({
    cpus, strategy: 'chain', transport: v.transport === 'ring' ? 'ring' : 'port', spin: v.wake === 'spin' ? 100_000 : 0,
    portPerMessage: v.transport === 'port-msg', time: { kind: 'virtual', start: 0, lockstep: false },
  });
  await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: US, flags: [] } });
  await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: NET + 1, plen: 16 });
  await emu.quiesce();
  return emu;
}

/** ARP replies to us (10.0.0.1) from HOSTS hosts, as they come off the wire (60 bytes). */
function replies(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let h = 0; h < HOSTS; h++) {
    const b = new Uint8Array(60);
    const mac = 0x020001000000 + h;
    emitArpFrame(b, US, mac, { op: ARPOP_REPLY, sha: mac, spa: NET + 2 + h, tha: US, tpa: NET + 1 });
    out.push(b);
  }
  return out;
}

/** 2 and 4, as a suite of this script's own (the harness warms up, repeats and closes). */
const local: SuiteDef = {
  name: 'cpu',
  title: 'segment -> netisr -> chain; arpresolve per replica',
  description: 'See the file comment.',
  grid: { what: ['segment', 'resolve'], variant: VARIANTS.map((v) => v.name) },
  baselines: [],
  metrics: [{ name: 'rate', unit: '/s', better: 'higher' }, { name: 'one', unit: '/s', better: 'higher' }, { name: 'two', unit: '/s', better: 'higher' }],
  primary: 'rate',
  warmup: 1,
  reps: quick ? 3 : 5,
  async setup(p) {
    const v = VARIANTS.find((x) => x.name === p['variant'])!;
    if (p['what'] === 'resolve') {
      const emu = await emulator(2, v);
      await emu.injectUpdates(65536, { ifindex: 2, net: NET, hosts: 65536 });
      return {
        async rep(): Promise<RepSample> {
          const [a] = await emu.benchResolve([0], LOOKUPS);
          const [x, y] = await emu.benchResolve([0, 1], LOOKUPS);
          return { one: a!.hits / a!.seconds, two: (x!.hits + y!.hits) / Math.max(x!.seconds, y!.seconds) };
        },
        close: () => emu.close(),
      };
    }
    const emu = await emulator(2, v);
    const clock = new VirtualClock(0);
    const timers = new TimerQueue(clock);
    const seg = new Segment({ clock, timers });
    const hosts = seg.attach('hosts', 0x020001ffffff);
    seg.attach('emu', US).onReceive((frame) => emu.input('eth0', frame));
    const frames = replies();
    let sent = 0;
    return {
      async rep(): Promise<RepSample> {
        const t0 = performance.now();
        for (let i = 0; i < FRAMES;) {
          const end = Math.min(FRAMES, i + 2048);
          for (; i < end; i++) hosts.send(frames[i % HOSTS]!);
          runVirtualUntil(clock, timers, clock.now());
          await emu.netisrRoom();
        }
        await emu.quiesce();
        sent += FRAMES;
        return { rate: FRAMES / ((performance.now() - t0) / 1000) };
      },
      async close() {
        const st = await emu.stats();
        await emu.close();
        await seg.close();
        if (st[0]!.drops.other_host !== 0 || st[0]!.rxframes < sent) throw new Error('frames were lost or dropped');
      },
    };
  },
};

const inject = (cpus: number, v: Variant): Promise<PointOutcome> =>
  measureOrThrow(chain, { entry: 'inject', cpus, strategy: 'chain', transport: v.transport, wake: v.wake } satisfies Point, { quick });
const spread = (o: PointOutcome, m: string, f: (x: number) => string): string => {
  const s = metricStats(o, m);
  return `${f(s.median)}  (min ${f(s.min)}, max ${f(s.max)})`;
};

console.log(`cpu.bench: ${quick ? 'quick, ' : ''}medians after warm-up; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on a 2-core machine`);

console.log('\n1. chain throughput, 4 CPUs, pipelined updates (target: ring >= 1M/s and >= 10x port per message)');
const rates = new Map<string, number>();
for (const v of VARIANTS) {
  const o = await inject(4, v);
  rates.set(v.name, metricStats(o, 'rate').median);
  console.log(`   ${v.name.padEnd(20)} ${spread(o, 'rate', fmtM)} updates/s`);
}
const base = rates.get(VARIANTS[0]!.name)!;
for (const v of VARIANTS.slice(1)) console.log(`   ${v.name} / ${VARIANTS[0]!.name} = ${(rates.get(v.name)! / base).toFixed(2)}x`);

console.log(`\n2. segment -> netisr -> CPU0 -> chain, 2 CPUs, ${fmtM(FRAMES)} ARP replies (target: >= 1M frames/s)`);
for (const v of VARIANTS) console.log(`   ${v.name.padEnd(20)} ${spread(await measureOrThrow(local, { what: 'segment', variant: v.name }), 'rate', fmtM)} frames/s`);

// Busy-polling only makes sense with no more spinning threads than cores:
// with 1 CPU, main and CPU0 spin (2 threads on 2 cores); with 2, three do.
for (const cpus of [1, 2]) {
  const path = cpus === 1 ? 'main -> CPU0 -> main' : 'main -> CPU0 -> CPU1 -> main';
  console.log(`\n3.${cpus} per-hop latency (${path}, one in flight; round trip / ${cpus + 1} hops)`);
  for (const v of VARIANTS) {
    const o = await inject(cpus, v);
    const us = (m: string): string => (metricStats(o, m).median / (cpus + 1) * 1e6).toFixed(1);
    console.log(`   ${v.name.padEnd(20)} p50 ${us('lat_p50')} us  p99 ${us('lat_p99')} us`);
  }
}

console.log(`\n4. arpresolve hits per replica, 65536 entries, ${fmtM(LOOKUPS)} lookups per CPU`);
const r = await measureOrThrow(local, { what: 'resolve', variant: VARIANTS[1]!.name });
const one = metricStats(r, 'one').median, two = metricStats(r, 'two').median;
console.log(`   1 CPU   ${fmtM(one)} lookups/s`);
console.log(`   2 CPUs  ${fmtM(two)} lookups/s  (scaling efficiency ${(two / (2 * one) * 100).toFixed(0)}%)`);
console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
