/**
 * Full rings: with tiny rings every channel fills at once. The netisr and
 * the chain wait for room (backpressure along the chain's direction), the
 * edges back queue; nothing deadlocks, nothing is lost, replicas agree.
 */
import test from 'ava';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import type { Strategy } from '../../src/cpu/emulator.js';
import { parseIpv4, parseMac } from '../../src/wire/addr.js';
import { ARPOP_REQUEST, emitArpFrame } from '../../src/wire/arp.js';

const US = parseMac('02:00:00:00:01:01')!;
const NET = parseIpv4('10.0.0.0')!;

for (const strategy of ['chain', 'fanout'] as const satisfies readonly Strategy[]) {
  test.serial(`arp_update_msghandler over 1 KiB rings (${strategy}, 4 CPUs): 20000 requests and 20000 updates, every reply sent, replicas equal`, async (t) => {
    const emu = new ThreadedEmulator({
      cpus: 4, strategy, transport: 'ring', capacities: { data: 1024, main: 4096 },
      time: { kind: 'virtual', start: 0, lockstep: false },
    });
    let replies = 0;
    emu.onTransmit((_i, f) => { if (f[21] === 2) replies++; });
    try {
      await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: US, flags: [] } });
      await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: NET + 1, plen: 16 });
      const b = new Uint8Array(60);
      for (let i = 0; i < 20000; i++) {
        const mac = 0x020001000000 + (i % 500);
        emitArpFrame(b, 0xffff_ffff_ffff, mac, { op: ARPOP_REQUEST, sha: mac, spa: NET + 2 + (i % 500), tha: 0, tpa: NET + 1 });
        emu.input('eth0', b);
        if (i % 256 === 255) await emu.netisrRoom();
      }
      await emu.injectUpdates(20000, { ifindex: 2, net: NET, hosts: 700 });
      await emu.quiesce();
      t.is(replies, 20000);
      const d = await emu.dump();
      const tables = d.cpus.map((c) => JSON.stringify(c.arp.map((e) => ({ ...e, held: 0 }))));
      t.is(d.cpus[0]!.arp.length, 701);
      for (const x of tables) t.is(x, tables[0]);
      t.is(d.stats.rxrequests, 20000);
    } finally {
      await emu.close();
    }
  });
}
