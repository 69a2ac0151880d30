/**
 * Property: random interleavings of ARP input, resolution (output), admin
 * operations and timer advances, over 1..8 CPUs and every strategy, end
 * with every replica equal to a single-CPU model fed the same sequence
 * (the lead's SingleCpuEmulator over one ArpStack, the seed's own
 * per-CPU resolution), with the same frames out at the same times.
 * Most runs use the InlineEmulator; a few run the threads; free-running
 * threads (no lockstep) must still converge: all replicas equal.
 */
import test from 'ava';
import fc from 'fast-check';
import { MAC_BROADCAST, parseIpv4, parseMac, type Ipv4, type Mac } from '../../src/wire/addr.js';
import { ARPOP_REPLY, ARPOP_REQUEST, emitArpFrame } from '../../src/wire/arp.js';
import { InlineEmulator } from '../../src/cpu/inline.js';
import { ThreadedEmulator } from '../../src/cpu/threaded.js';
import { SingleCpuEmulator } from '../../src/cpu/single.js';
import type { EmuDump, EmuOp, Emulator, EmulatorOptions, Strategy, Transport } from '../../src/cpu/emulator.js';
import { isArpemuError } from '../../src/util/errors.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const mac = (s: string): Mac => parseMac(s)!;
const IFS = [
  { name: 'eth0', mac: mac('02:00:00:00:01:01'), net: '10.0.0.' },
  { name: 'eth1', mac: mac('02:00:00:00:01:02'), net: '10.1.0.' },
];
const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.9', '10.0.0.255', '10.1.0.1', '10.1.0.2', '10.1.0.7', '0.0.0.0', '192.168.7.5'].map(ip);
const MACS = [IFS[0]!.mac, mac('02:00:00:00:00:02'), mac('02:00:00:00:00:03'), mac('02:00:00:00:00:04'), MAC_BROADCAST];

type Op =
  | { k: 'frame'; iface: number; op: number; sha: number; spa: number; tpa: number; unicast: boolean }
  | { k: 'out'; dst: number; id: number }
  | { k: 'set'; ip: number; mac: number; temp: boolean; pub: boolean }
  | { k: 'delete'; ip: number }
  | { k: 'flush' }
  | { k: 'sysctl'; name: string; value: number }
  | { k: 'alias'; how: 'add' | 'delete'; iface: number; last: number }
  | { k: 'advance'; dt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('frame' as const), iface: fc.nat(1), op: fc.constantFrom(ARPOP_REQUEST, ARPOP_REPLY), sha: fc.nat(MACS.length - 1), spa: fc.nat(IPS.length - 1), tpa: fc.nat(IPS.length - 1), unicast: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('out' as const), dst: fc.nat(IPS.length - 1), id: fc.nat(0xffff) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), ip: fc.nat(IPS.length - 1), mac: fc.nat(MACS.length - 2), temp: fc.boolean(), pub: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), ip: fc.nat(IPS.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'flush' as const }) },
  { weight: 1, arbitrary: fc.oneof(
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constant('net.link.ether.inet.max_age'), value: fc.constantFrom(5, 60, 1200) }),
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constantFrom('net.link.ether.inet.restricted_match', 'net.link.ether.inet.proxyall'), value: fc.nat(1) }),
    fc.record({ k: fc.constant('sysctl' as const), name: fc.constant('net.link.ether.inet.prune_intvl'), value: fc.constantFrom(1, 7, 300) }),
  ) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('alias' as const), how: fc.constantFrom('add' as const, 'delete' as const), iface: fc.nat(1), last: fc.constantFrom(7, 9, 1) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('advance' as const), dt: fc.constantFrom(0.3, 1, 4, 30, 301) }) },
);

function frame(o: Extract<Op, { k: 'frame' }>): Uint8Array {
  const b = new Uint8Array(60);
  const sha = MACS[o.sha]!;
  const ifm = IFS[o.iface]!.mac;
  emitArpFrame(b, o.unicast ? ifm : MAC_BROADCAST, sha === MAC_BROADCAST ? MACS[1]! : sha,
    { op: o.op as 1 | 2, sha, spa: IPS[o.spa]!, tha: o.op === ARPOP_REPLY ? ifm : 0, tpa: IPS[o.tpa]! });
  return b;
}

interface Run { dump: EmuDump; sent: string[]; errors: (string | null)[] }

async function drive(emu: Emulator, ops: readonly Op[], lockstep: boolean): Promise<Run> {
  const sent: string[] = [];
  emu.onTransmit((iface, f, t) => sent.push(`${t} ${iface} ${Buffer.from(f).toString('hex')}`));
  const errors: (string | null)[] = [];
  const apply = async (op: EmuOp): Promise<void> => {
    try { await emu.apply(op); errors.push(null); } catch (e) { if (!isArpemuError(e)) throw e; errors.push(e.code); }
  };
  for (const f of IFS) await apply({ op: 'ifattach', iface: { name: f.name, mac: f.mac, flags: [] } });
  for (const f of IFS) await apply({ op: 'ifaddr', cmd: 'add', iface: f.name, addr: ip(`${f.net}1`), plen: 24 });
  await apply({ op: 'route', cmd: 'add', dst: ip('192.168.7.0'), plen: 24, gateway: ip('10.0.0.3') });
  let now = 0;
  const pending: Promise<void>[] = [];
  for (const o of ops) {
    switch (o.k) {
      case 'frame': emu.input(IFS[o.iface]!.name, frame(o)); break;
      case 'out': emu.output(IPS[o.dst]!, { proto: 17, size: 8, id: o.id }); break;
      case 'set': {
        const p = apply({ op: 'set', ip: IPS[o.ip]!, mac: MACS[o.mac]!, expire: o.temp ? Math.floor(now) + 1 + 60 : 0, pub: o.pub, only: false, iface: null });
        if (lockstep) await p; else pending.push(p);
        break;
      }
      case 'delete': { const p = apply({ op: 'delete', ip: IPS[o.ip]! }); if (lockstep) await p; else pending.push(p); break; }
      case 'flush': { const p = apply({ op: 'flush' }); if (lockstep) await p; else pending.push(p); break; }
      case 'sysctl': { const p = apply({ op: 'sysctl', name: o.name, value: o.value }); if (lockstep) await p; else pending.push(p); break; }
      case 'alias': {
        const p = apply({ op: 'ifaddr', cmd: o.how, iface: IFS[o.iface]!.name, addr: ip(`${IFS[o.iface]!.net}${o.last}`), plen: 24 });
        if (lockstep) await p; else pending.push(p);
        break;
      }
      case 'advance': now += o.dt; await emu.advanceTo(now); break;
    }
    if (lockstep) await emu.quiesce();
  }
  await Promise.all(pending);
  await emu.quiesce();
  return { dump: await emu.dump(), sent, errors };
}

/** A replica's tables without the per-CPU parts (held packets). */
const table = (c: EmuDump['cpus'][number]): string => JSON.stringify({ arp: c.arp.map((e) => ({ ...e, held: 0 })), routes: c.routes });

function options(cpus: number, strategy: Strategy, transport: Transport, lockstep: boolean): EmulatorOptions {
  return { cpus, strategy, transport, time: { kind: 'virtual', start: 0, lockstep } };
}

/** Every replica equal to the model's; same frames; same errno for every operation. */
function sameAsModel(model: Run, r: Run): string | undefined {
  const ref = table(model.dump.cpus[0]!);
  for (const c of r.dump.cpus) if (table(c) !== ref) return `cpu${c.cpu}: ${table(c)}\n  model: ${ref}`;
  if (JSON.stringify(r.sent) !== JSON.stringify(model.sent)) return `frames differ:\n${r.sent.join('\n')}\n  model:\n${model.sent.join('\n')}`;
  if (JSON.stringify(r.errors) !== JSON.stringify(model.errors)) return `errnos differ: ${JSON.stringify(r.errors)} vs ${JSON.stringify(model.errors)}`;
  return undefined;
}

const config = fc.record({
  cpus: fc.integer({ min: 1, max: 8 }),
  strategy: fc.constantFrom<Strategy>('chain', 'fanout', 'shared'),
  ops: fc.array(opArb, { minLength: 1, maxLength: 50 }),
});

test('arp_update_msghandler: N inline replicas (1..8, every strategy) equal the single-CPU model after any interleaving', async (t) => {
  await fc.assert(fc.asyncProperty(config, async ({ cpus, strategy, ops }) => {
    const model = await drive(new SingleCpuEmulator(options(1, 'chain', 'ring', true)), ops, true);
    const emu = new InlineEmulator(options(cpus, strategy, 'ring', true));
    const r = await drive(emu, ops, true);
    await emu.close();
    const why = sameAsModel(model, r);
    if (why !== undefined) t.log(why);
    return why === undefined;
  }), { numRuns: 120 });
  t.pass();
});

test('arp_update_msghandler: threaded replicas in lockstep equal the single-CPU model', async (t) => {
  await fc.assert(fc.asyncProperty(config, fc.constantFrom<Transport>('ring', 'port'), async ({ cpus, strategy, ops }, transport) => {
    const model = await drive(new SingleCpuEmulator(options(1, 'chain', 'ring', true)), ops, true);
    const emu = new ThreadedEmulator(options(cpus, strategy, transport, true));
    try {
      const why = sameAsModel(model, await drive(emu, ops, true));
      if (why !== undefined) t.log(why);
      return why === undefined;
    } finally {
      await emu.close();
    }
  }), { numRuns: 6 });
  t.pass();
});

test('free-running threads (no lockstep): concurrent updates, resolutions and admin operations converge to equal replicas', async (t) => {
  await fc.assert(fc.asyncProperty(config, async ({ cpus, strategy, ops }) => {
    const emu = new ThreadedEmulator(options(Math.max(2, cpus), strategy, 'ring', false));
    try {
      const r = await drive(emu, ops, false);
      const ref = table(r.dump.cpus[0]!);
      const bad = r.dump.cpus.find((c) => table(c) !== ref);
      if (bad !== undefined) t.log(`cpu${bad.cpu}: ${table(bad)}\n  cpu0: ${ref}`);
      return bad === undefined && emu.divergences.length === 0;
    } finally {
      await emu.close();
    }
  }), { numRuns: 6 });
  t.pass();
});
