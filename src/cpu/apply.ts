/**
 * Apply one EmuOp (the replicated administrative operations) to one
 * replica. Every replica runs this in the same order, as CPU0 sequenced it;
 * an operation either fails before changing anything, with the same errno
 * on every replica, or succeeds on every one.
 */
import { errno } from '../util/errors.js';
import { parseIffFlags } from '../inet/ifnet.js';
import type { ArpReplica } from '../arp/replica.js';
import type { EmuOp, EmuOpResult } from './emulator.js';
import { applyEmuOp } from './ops.js';

/** EmuOpResult plus what the supervisor needs to know about interfaces. */
export interface AppliedOp extends EmuOpResult {
  /** ifattach: the new interface's index. */
  ifindex?: number;
}

/** Check an operation's shape before it enters the chain (it may come from a file or a socket). */
export function checkEmuOp(op: EmuOp): void {
  if (typeof op !== 'object' || op === null) throw errno('EINVAL', 'operation must be an object');
  switch (op.op) {
    case 'ifattach':
      if (typeof op.iface?.name !== 'string' || op.iface.name === '') throw errno('EINVAL', 'ifattach: iface.name must be a non-empty string');
      if (typeof op.iface.mac !== 'number' || !Number.isInteger(op.iface.mac) || op.iface.mac < 0 || op.iface.mac > 0xffff_ffff_ffff) {
        throw errno('EINVAL', 'ifattach: iface.mac must be a 48-bit address');
      }
      if (!Array.isArray(op.iface.flags) || parseIffFlags(op.iface.flags) === undefined) {
        throw errno('EINVAL', `ifattach: iface.flags has an unknown word (${JSON.stringify(op.iface.flags)})`);
      }
      return;
    case 'ifaddr':
      if (op.cmd !== 'add' && op.cmd !== 'delete') throw errno('EINVAL', 'ifaddr: cmd must be add or delete');
      if (typeof op.iface !== 'string') throw errno('EINVAL', 'ifaddr: iface must be a string');
      if (!isU32(op.addr)) throw errno('EINVAL', 'ifaddr: addr must be an IPv4 address (u32)');
      if (op.plen !== undefined && op.plen !== null && !(Number.isInteger(op.plen) && op.plen >= 0 && op.plen <= 32)) {
        throw errno('EINVAL', 'ifaddr: plen must be 0..32');
      }
      return;
    case 'route':
      if (op.cmd !== 'add' && op.cmd !== 'delete') throw errno('EINVAL', 'route: cmd must be add or delete');
      if (!isU32(op.dst) || !isU32(op.gateway)) throw errno('EINVAL', 'route: dst and gateway must be IPv4 addresses (u32)');
      if (!(Number.isInteger(op.plen) && op.plen >= 0 && op.plen <= 32)) throw errno('EINVAL', 'route: plen must be 0..32');
      return;
    case 'set': case 'delete': case 'flush': case 'sysctl':
      return; // arpAdminApply checks these
    default:
      throw errno('EINVAL', `unknown operation ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

/**
 * Apply `op` to `rep` (ops.ts, the lead's one-replica application shared by
 * every emulator) and say which interface index an ifattach created.
 * Throws an ArpemuError with the errno on failure.
 */
export function applyEmuOpOnCpu(rep: ArpReplica, op: EmuOp, isCpu0: boolean): AppliedOp {
  checkEmuOp(op);
  const r: AppliedOp = applyEmuOp(rep, op, isCpu0);
  if (op.op === 'ifattach') r.ifindex = rep.net.ifunit(op.iface.name)?.index;
  return r;
}
