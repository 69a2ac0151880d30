/**
 * A config as the administrative ops that set it up, for every front end
 * that boots an emulator from one (replay, simulation).
 */
import { ArpemuError } from '../util/errors.js';
import { arpSetOp } from '../arp/admin.js';
import type { EmuOp } from '../cpu/emulator.js';
import type { Config } from './config.js';

/** The setup the config describes, as ops in the order a booting host applies them. */
export function configOps(config: Config, start: number): EmuOp[] {
  const ops: EmuOp[] = [];
  for (const [name, value] of Object.entries(config.sysctl)) ops.push({ op: 'sysctl', name, value });
  for (const ifc of config.interfaces) {
    if (ifc.mac === undefined) throw new ArpemuError('ERR_CONFIG', `config: interface ${ifc.name} needs a mac outside daemon mode`);
    ops.push({ op: 'ifattach', iface: { name: ifc.name, mac: ifc.mac, flags: ifc.flags } });
  }
  for (const ifc of config.interfaces) {
    for (const a of ifc.addresses) ops.push({ op: 'ifaddr', cmd: 'add', iface: ifc.name, addr: a.addr, plen: a.plen });
  }
  for (const r of config.routes) ops.push({ op: 'route', cmd: 'add', dst: r.dst, plen: r.plen, gateway: r.gateway });
  const maxAge = config.sysctl['net.link.ether.inet.max_age'] ?? 1200;
  for (const a of config.arp) {
    // A temporary entry's expiry is fixed where the op starts, so every replica gets the same one.
    ops.push(arpSetOp(a.ip, a.mac, { temp: a.temp, pub: a.pub, iface: a.iface ?? null, now: Math.floor(start) + 1, maxAge }));
  }
  return ops;
}
