/** Shared set-up for the inet tests: a NetStack with two Ethernet interfaces and recorders. */
import type { ExecutionContext } from 'ava';
import { VirtualClock } from '../../src/util/clock.js';
import { CollectingSink } from '../../src/util/events.js';
import { isArpemuError } from '../../src/util/errors.js';
import { maskPrefixLen, parseCidr, parseIpv4, parseMac } from '../../src/wire/addr.js';
import { NetStack } from '../../src/inet/stack.js';
import { aliasReq, inControl } from '../../src/inet/in.js';
import type { Ifnet, InIfaddr } from '../../src/inet/ifnet.js';
import { RTM_DELETE, type RtMsg, type RtRequestCmd } from '../../src/route/table.js';
import { RTF_CLONING, RTF_GATEWAY, RTF_LLINFO } from '../../src/route/rtentry.js';

export const ip = (s: string): number => parseIpv4(s)!;
export const mac = (s: string): number => parseMac(s)!;
export const MAC0 = mac('02:00:00:00:00:01');
export const MAC1 = mac('02:00:00:00:00:02');

export interface Rig {
  s: NetStack<object>;
  clock: VirtualClock;
  events: CollectingSink;
  msgs: RtMsg[];
  hookCalls: [RtRequestCmd, string][];
  added: InIfaddr[];
  deleted: InIfaddr[];
  em0: Ifnet;
  em1: Ifnet;
}

/**
 * A stack at uptime 1000 with em0/em1. With `arp`, a stand-in for ARP's
 * route hook (the real one lives in src/arp): cloning routes get an empty
 * link-level gateway and "expire now", host link routes get an llinfo.
 */
export function rig(opts: { arp?: boolean } = {}): Rig {
  const clock = new VirtualClock(1000);
  const events = new CollectingSink();
  const r: Rig = {
    s: undefined as unknown as NetStack<object>, clock, events, msgs: [], hookCalls: [], added: [], deleted: [],
    em0: undefined as unknown as Ifnet, em1: undefined as unknown as Ifnet,
  };
  r.s = new NetStack<object>({
    clock, events,
    hooks: {
      rtReport: (m) => r.msgs.push(m),
      addrAdded: (ia) => r.added.push(ia),
      addrDeleted: (ia) => r.deleted.push(ia),
      rtRequest: (cmd, rt) => {
        r.hookCalls.push([cmd, `${rt.dst}/${rt.plen}`]);
        if (opts.arp !== true || (rt.flags & RTF_GATEWAY) !== 0) return;
        if (cmd === RTM_DELETE) { rt.llinfo = null; rt.flags &= ~RTF_LLINFO; return; }
        if ((rt.flags & RTF_CLONING) !== 0) { rt.setLladdr(null); rt.expire = clock.uptime(); return; }
        if (rt.llinfo === null) { rt.llinfo = {}; rt.flags |= RTF_LLINFO; }
      },
    },
  });
  r.em0 = r.s.ifAttach('em0', { lladdr: MAC0 });
  r.em1 = r.s.ifAttach('em1', { lladdr: MAC1 });
  return r;
}

/** ifconfig IF inet A.B.C.D[/N] alias */
export function addr(r: { s: NetStack<object> }, ifp: Ifnet, cidr: string, o: { broadaddr?: string; dstaddr?: string } = {}): InIfaddr {
  const c = parseCidr(cidr)!;
  const extra: { plen?: number; broadaddr?: number; dstaddr?: number } = {};
  if (c.plen !== undefined) extra.plen = c.plen;
  if (o.broadaddr !== undefined) extra.broadaddr = ip(o.broadaddr);
  if (o.dstaddr !== undefined) extra.dstaddr = ip(o.dstaddr);
  return inControl(r.s, 'SIOCAIFADDR', ifp, aliasReq(c.addr, extra));
}

export function throwsCode(t: ExecutionContext, fn: () => unknown, code: string): void {
  const e = t.throws(fn);
  t.true(isArpemuError(e), 'an ArpemuError');
  t.is((e as { code?: string }).code, code);
}

/** The routes as `dst/plen iface [flags]` lines (compact assertions). */
export function routeLines(s: NetStack<object>): string[] {
  return s.routes.dump().map((d) => `${d.dst}/${maskPrefixLen(ip(d.mask))} ${d.iface} ${d.flags.join(',')}`);
}
