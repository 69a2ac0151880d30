/**
 * Repeated CPU deaths on the ThreadedEmulator (4 CPUs, ring transport,
 * free-running): seeded victims (CPU0 included) and ways of dying, each
 * kill striking while learned updates and an admin operation are in
 * flight. Every restart completes (crashCpu resolves, one cpu.restarted and
 * one cpu.resynced per kill) and, once quiet, every replica holds the same
 * table with every entry sent to it. No sleeps: each step waits on the
 * emulator's promises; the test timeout is the only clock.
 */
import test from 'ava';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import type { Strategy } from '../../src/cpu/emulator.js';
import type { ArpemuEvent } from '../../src/util/events.js';
import { Random } from '../../src/util/random.js';
import { ARPOP_REQUEST, emitArpFrame } from '../../src/wire/arp.js';
import { MAC_BROADCAST, parseIpv4, parseMac } from '../../src/wire/addr.js';

const CPUS = 4;
const MY_MAC = parseMac('02:00:00:00:01:01')!;
const MY_IP = parseIpv4('10.0.0.1')!;
/** Neighbours that ask for us between two kills (each: an update through the replication path). */
const BURST = 40;

/** A broadcast request for our address from neighbour `i` (10.0.(i>>8).(i&255)+..., MAC 02:00:00:01:xx:xx). */
function requestFrom(i: number, moved = false): Uint8Array {
  const f = new Uint8Array(60);
  const sha = 0x020000010000 + i + (moved ? 0x100000 : 0);
  const spa = (MY_IP & 0xffff0000) + 0x100 + i;
  emitArpFrame(f, MAC_BROADCAST, sha, { op: ARPOP_REQUEST, sha, spa, tha: 0, tpa: MY_IP });
  return f;
}

async function killRepeatedly(strategy: Strategy, kills: number, seed: number): Promise<{
  restarted: number[]; resynced: number[]; victims: number[]; tables: string[]; entries: number; restarts: number; adminCounts: number[];
}> {
  const events: ArpemuEvent[] = [];
  const emu = new ThreadedEmulator({
    cpus: CPUS, strategy, transport: 'ring', time: { kind: 'virtual', start: 100, lockstep: false },
    events: { emit: (ev) => { if (ev.event.startsWith('cpu.')) events.push(ev); } },
  });
  try {
    await emu.apply({ op: 'ifattach', iface: { name: 'vemu0', mac: MY_MAC, flags: [] } });
    await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'vemu0', addr: MY_IP, plen: 16 });
    const r = new Random(seed);
    const victims: number[] = [];
    const admin: Promise<{ count: number }>[] = [];
    let next = 0;
    for (let k = 0; k < kills; k++) {
      // In flight at the kill: new neighbours, a few that move, one static entry.
      for (let i = 0; i < BURST; i++) emu.input('vemu0', requestFrom(next++));
      for (let i = 0; i < 4; i++) emu.input('vemu0', requestFrom(r.nextInt(next), r.chance(0.5)));
      admin.push(emu.apply({ op: 'set', ip: (MY_IP & 0xffff0000) + 0xfe00 + k, mac: 0x020000fe0000 + k, expire: 0, pub: false, only: false, iface: null }));
      const victim = r.nextInt(CPUS);
      victims.push(victim);
      await emu.crashCpu(victim, r.chance(0.5) ? 'exit' : 'throw');
    }
    const adminCounts = (await Promise.all(admin)).map((a) => a.count);
    const d = await emu.dump();
    // Held packets and la_asked are per CPU; everything else is replicated.
    const tables = d.cpus.map((c) => JSON.stringify(c.arp.map((e) => ({ ip: e.ip, mac: e.mac, flags: e.flags, expires: e.expires }))));
    return {
      restarted: events.filter((e) => e.event === 'cpu.restarted').map((e) => e.cpu),
      resynced: events.filter((e) => e.event === 'cpu.resynced').map((e) => e.cpu),
      victims, tables, entries: d.cpus[0]!.arp.length, restarts: emu.restarts, adminCounts,
    };
  } finally {
    await emu.close();
  }
}

for (const { strategy, kills, seed } of [
  { strategy: 'chain' as const, kills: 20, seed: 20261122 },
  { strategy: 'shared' as const, kills: 12, seed: 7 },
  { strategy: 'fanout' as const, kills: 12, seed: 11 },
]) {
  test.serial(`${kills} kills and restarts of worker threads (4 CPUs, ${strategy}, seed ${seed}, updates in flight): every restart completes, all replicas agree`, async (t) => {
    t.timeout(240_000);
    const r = await killRepeatedly(strategy, kills, seed);
    t.is(r.restarts, kills);
    t.true(r.victims.includes(0), `CPU0 among the victims (${r.victims.join(' ')})`);
    t.deepEqual(r.restarted, r.victims, 'one cpu.restarted per kill, in order');
    t.deepEqual(r.resynced, r.victims, 'one cpu.resynced per kill, in order');
    t.deepEqual(r.adminCounts, r.adminCounts.map(() => 1), 'every admin operation in flight at a kill completed');
    // Our own address, every neighbour that asked, every static entry.
    t.is(r.entries, 1 + kills * BURST + kills);
    t.deepEqual(r.tables, r.tables.map(() => r.tables[0]), 'every replica holds the same table');
  });
}
