/**
 * A free-running ThreadedEmulator (no lockstep: the daemon, the benchmarks)
 * answers on its own: apply() and resolve() resolve without anyone calling
 * quiesce(), on both transports and both clocks; and while nothing happens
 * the supervisor's pump sleeps on its doorbell instead of spinning.
 */
import test from 'ava';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import type { Transport } from '../../src/cpu/emulator.js';
import { parseIpv4, parseMac } from '../../src/wire/addr.js';

/** `n` control round trips to the CPUs: time passes on the event loop, and no record moves. */
async function roundTrips(emu: ThreadedEmulator, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await emu.diag();
}

const TIMES = [
  { kind: 'virtual', start: 0, lockstep: false },
  { kind: 'real' },
] as const;

for (const transport of ['ring', 'port'] as Transport[]) {
  for (const time of TIMES) {
    test.serial(`free-running (${transport}, ${time.kind} time): apply() and resolve() resolve without quiesce(), and the idle supervisor sleeps`, async (t) => {
      t.timeout(60_000);
      const emu = new ThreadedEmulator({ cpus: 2, strategy: 'chain', transport, time });
      try {
        // Never quiesce(): each promise must settle by itself.
        const a = await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: parseMac('02:00:00:00:01:01')!, flags: [] } });
        t.is(a.count, 0);
        await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: parseIpv4('10.0.0.1')!, plen: 24 });
        const s = await emu.apply({ op: 'set', ip: parseIpv4('10.0.0.9')!, mac: 0x020000000009, expire: 0, pub: false, only: false, iface: null });
        t.is(s.count, 1);
        t.deepEqual(await emu.resolve(parseIpv4('10.0.0.9')!, 5), { kind: 'resolved', mac: 0x020000000009 });
        // Idle: a pump that spins goes round on every turn of the event loop
        // (hundreds of thousands a second); a sleeping one not at all.
        await emu.quiesce();
        await roundTrips(emu, 5);
        const before = emu.pumpRounds;
        await roundTrips(emu, 20);
        t.true(emu.pumpRounds - before <= 2, `the pump went round ${emu.pumpRounds - before} times during 20 idle control calls`);
      } finally {
        await emu.close();
      }
    });
  }
}
