/**
 * Per-frame (trace-class) events are not built on any CPU when the
 * supervisor's sink drops them (a daemon logging at info level): with
 * workers, they would also cross a ring per frame only to be thrown away.
 */
import test from 'ava';
import { InlineEmulator } from '../../src/cpu/inline.js';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import type { Emulator, EmulatorOptions } from '../../src/cpu/emulator.js';
import { CollectingSink } from '../../src/util/events.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { IP_H2, IP_US, MAC_H2, MAC_US, request } from '../arp/helpers.js';

class InfoLevelSink extends CollectingSink {
  readonly traces = false;
}

const KINDS: [string, (o: EmulatorOptions) => Emulator][] = [
  ['inline', (o) => new InlineEmulator(o)],
  ['threaded', (o) => new ThreadedEmulator(o)],
];

async function arpEvents(make: (o: EmulatorOptions) => Emulator, sink: CollectingSink): Promise<string[]> {
  const emu = make({ cpus: 2, strategy: 'chain', transport: 'ring', time: { kind: 'virtual', start: 0, lockstep: true }, events: sink });
  try {
    await emu.apply({ op: 'ifattach', iface: { name: 'eth0', mac: MAC_US, flags: [] } });
    await emu.apply({ op: 'ifaddr', cmd: 'add', iface: 'eth0', addr: parseIpv4('10.0.0.1')!, plen: 24 });
    emu.input('eth0', request(MAC_H2, IP_H2, IP_US));
    emu.input('eth0', request(MAC_H2, IP_US, IP_US)); // someone claims our address
    await emu.quiesce();
  } finally {
    await emu.close();
  }
  return sink.events.map((e) => e.event).filter((n) => n.startsWith('arp.'));
}

for (const [kind, make] of KINDS) {
  test(`${kind}, 2 CPUs: a sink that drops trace events gets the log-class ones only`, async (t) => {
    t.deepEqual(await arpEvents(make, new InfoLevelSink()), ['arp.dupip']);
  });
  test(`${kind}, 2 CPUs: a sink that keeps trace events gets the per-frame ones too`, async (t) => {
    const names = await arpEvents(make, new CollectingSink());
    t.true(names.includes('arp.reply_sent') && names.includes('arp.learned') && names.includes('arp.dupip'), names.join(' '));
  });
}
