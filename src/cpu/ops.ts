/**
 * Applying an EmuOp to one replica. Every CPU runs this for every op in
 * chain order; an op that fails, fails the same way on every replica before
 * changing anything (arpAdminApply and inControl validate first).
 */
import { errno } from '../util/errors.js';
import { prefixMask } from '../wire/addr.js';
import { aliasReq, inControl, sin } from '../inet/in.js';
import { parseIffFlags, IFF_UP, IFF_BROADCAST, IFF_MULTICAST } from '../inet/ifnet.js';
import { RTF_STATIC } from '../route/rtentry.js';
import { arpAdminApply } from '../arp/admin.js';
import type { ArpReplica } from '../arp/replica.js';
import type { EmuOp, EmuOpResult } from './emulator.js';

export function applyEmuOp(rep: ArpReplica, op: EmuOp, isCpu0: boolean): EmuOpResult {
  const net = rep.net;
  switch (op.op) {
    case 'ifattach': {
      const flags = parseIffFlags(op.iface.flags, IFF_UP | IFF_BROADCAST | IFF_MULTICAST);
      if (flags === undefined) throw errno('EINVAL', `interface ${op.iface.name}: unknown flag in ${op.iface.flags.join(',')}`);
      net.ifAttach(op.iface.name, { lladdr: op.iface.mac, flags });
      return { count: 0 };
    }
    case 'ifaddr': {
      const ifp = net.ifunit(op.iface);
      if (ifp === undefined) throw errno('ENXIO', `no interface ${op.iface}`);
      return rep.withRole(isCpu0, () => {
        if (op.cmd === 'add') {
          inControl(net, 'SIOCAIFADDR', ifp, aliasReq(op.addr, op.plen === undefined ? {} : { plen: op.plen }));
        } else {
          inControl(net, 'SIOCDIFADDR', ifp, { addr: sin(op.addr) });
        }
        return { count: 1 };
      });
    }
    case 'route': {
      const mask = op.plen === 32 ? undefined : prefixMask(op.plen);
      // route(8) marks what an administrator adds RTF_STATIC.
      if (op.cmd === 'add') net.routes.add({ dst: op.dst, mask, gateway: op.gateway, flags: RTF_STATIC });
      else net.routes.delete(op.dst, mask);
      return { count: 1 };
    }
    default:
      return arpAdminApply(rep, op, { isCpu0 });
  }
}
