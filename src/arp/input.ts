/**
 * in_arpinput, split the way DragonFly splits it across CPUs:
 *
 *  1. inArpInput (the input CPU, CPU0 by default) matches the frame against
 *     our addresses and decides. Its result is an ArpInputDecision whose
 *     `update` is a plain value (ArpUpdate) for arpUpdateOnCpu.
 *  2. The driver applies the update on every replica in order (the seed's
 *     arp_update_msghandler chain: CPU0 first, reporting only there).
 *  3. arpInputReply (the input CPU again) builds the reply, if the frame was
 *     a request we answer, as the seed does after lwkt_domsg returned.
 *
 * No allocation per frame: the decision object is the caller's, reused.
 */
import { formatIpv4, formatMac, readIpv4, readMac, type Ipv4, type Mac } from '../wire/addr.js';
import { ARPOP_REQUEST, type ArpPacket } from '../wire/arp.js';
import { etherBridgeInterface, IFF_STATICARP, type Ifnet, type InIfaddr } from '../inet/ifnet.js';
import { buildArpReply } from './frames.js';
import { arpLookup } from './lookup.js';
import type { ArpReplica } from './replica.js';
import {
  DROP_BCAST_LLADDR, DROP_FROM_SELF, DROP_NOARP, DROP_NOT_ARP, DROP_NO_INET_ADDR, DROP_OTHER_HOST,
  DROP_RESTRICTED, dropReasonName,
} from './stats.js';

/**
 * The update in_arpinput sends down the CPU chain (netmsg_arp_update): what
 * every replica needs to apply it, as plain structured-clonable data.
 */
export interface ArpUpdate {
  /** Receiving interface (m_pkthdr.rcvif), by index. */
  ifindex: number;
  /** Sender protocol address (ar_spa): the entry to update. */
  saddr: Ipv4;
  /** Sender hardware address (ar_sha). */
  sha: Mac;
  /** ar_hln of the frame (checked against the interface's address length). */
  hln: number;
  /** The frame targeted one of our addresses: create the entry if missing. */
  create: boolean;
  /** ARP second at the input CPU when it decided; every replica computes expiry from it. */
  time: number;
  /** Ethernet source address of the frame (for logs). */
  src: Mac;
}

export function newArpUpdate(): ArpUpdate {
  return { ifindex: 0, saddr: 0, sha: 0, hln: 6, create: false, time: 0, src: 0 };
}

/** inArpInput's result. Reuse one per input CPU. */
export class ArpInputDecision {
  /** 0: processed; otherwise the DROP_* code the frame was dropped for. */
  drop = 0;
  /** `update` is to be applied on every replica. */
  hasUpdate = false;
  readonly update: ArpUpdate = newArpUpdate();
  /** The frame is a request: arpInputReply decides whether and how to answer. */
  isRequest = false;
  /** Interface the reply leaves on (the receiving one, or its bridge). */
  replyIfindex = 0;
  /** Hardware type of the request (the reply keeps it). */
  hrd = 1;
  /** Target protocol address to answer for (our address when defending it). */
  itaddr = 0;
  /** Our address that matched (or the interface's first one). */
  myaddr = 0;
  /** Our hardware address on the reply interface. */
  enaddr = 0;
  /** The requester's hardware and protocol addresses. */
  sha = 0;
  spa = 0;
  /** Someone else uses one of our addresses. */
  dupip = false;

  reset(): void {
    this.drop = 0; this.hasUpdate = false; this.isRequest = false; this.dupip = false;
  }
}

/**
 * Match `ia` (an address equal to the frame's target or sender) against the
 * receiving interface, with the bridge cases of the seed. Returns the
 * interface the frame is handled on (the bridge's own one when the address
 * sits on another member of the same bridge), or null for no match.
 */
function matchIfaddr(ia: InIfaddr, ifp: Ifnet): Ifnet | null {
  const aif = ia.ifp;
  if (ifp.bridge !== null && aif.bridge === ifp.bridge) return etherBridgeInterface(ifp);
  if (aif.bridge !== null && etherBridgeInterface(aif) === ifp) return ifp;
  if (ifp.bridge !== null && etherBridgeInterface(ifp) === aif) return ifp;
  if (aif === ifp) return ifp;
  return null;
}

/**
 * in_arpinput's decision for a checked Ethernet/IPv4 request or reply
 * (`view` after arpIntr returned ARP_OK: hln 6, pln 4) received on `rcvif`. Fills `d`
 * and returns d.drop (0 when the frame was processed). Counts rxrequests,
 * rxreplies, rxannounces, dupips, accepted or the drop reason, and emits
 * the input diagnostics (arp.dupip, arp.bcast_lladdr, arp.drop).
 */
export function inArpInput(rep: ArpReplica, view: ArpPacket, rcvif: Ifnet, d: ArpInputDecision): number {
  d.reset();
  const st = rep.stats;
  // A checked view is Ethernet/IPv4 (hln 6, pln 4): fixed offsets (RFC 826).
  const buf = view.buf, o = view.off;
  const op = (buf[o + 6]! << 8) | buf[o + 7]!;
  const isaddr = readIpv4(buf, o + 14);
  let itaddr = readIpv4(buf, o + 24);
  if (op === ARPOP_REQUEST) st.rxrequests++; else st.rxreplies++;
  if (isaddr === itaddr) st.rxannounces++;

  // (1) the target, then (2) the sender, against our addresses; then (3)
  // the receiving interface's first address as a stand-in.
  let ifp = rcvif;
  let ia: InIfaddr | null = null;
  const net = rep.net;
  let cand = net.addrsWithIp(itaddr);
  for (let i = 0; i < cand.length && ia === null; i++) {
    const m = matchIfaddr(cand[i]!, rcvif);
    if (m !== null) { ia = cand[i]!; ifp = m; }
  }
  if (ia === null) {
    cand = net.addrsWithIp(isaddr);
    for (let i = 0; i < cand.length && ia === null; i++) {
      const m = matchIfaddr(cand[i]!, rcvif);
      if (m !== null) { ia = cand[i]!; ifp = m; }
    }
  }
  if (ia === null) ia = rcvif.addrs[0] ?? null;
  if (ia === null) return inputDrop(rep, d, DROP_NO_INET_ADDR, rcvif);

  const enaddr = ifp.lladdr;
  const myaddr = ia.addr;
  const sha = readMac(buf, o + 8);
  if (sha === enaddr) return inputDrop(rep, d, DROP_FROM_SELF, rcvif); // our own frame
  if (sha === ifp.broadcastLladdr) {
    if (rep.logging) rep.emit('arp.bcast_lladdr', { ip: formatIpv4(isaddr), iface: rcvif.name });
    return inputDrop(rep, d, DROP_BCAST_LLADDR, rcvif);
  }
  let learn = true;
  if (isaddr === myaddr && myaddr !== 0) {
    // Someone uses our address: say so, and answer (a request) with the
    // truth, as the seed does. Nothing is learned from it.
    st.dupips++;
    d.dupip = true;
    if (rep.logging) rep.emit('arp.dupip', { ip: formatIpv4(isaddr), mac: formatMac(sha), iface: rcvif.name, src: formatMac(etherSource(view)) });
    itaddr = myaddr;
    learn = false;
  } else if ((ifp.flags & IFF_STATICARP) !== 0) {
    learn = false;
  } else if (rep.sysctl.v.restrictedMatch !== 0 && itaddr !== myaddr) {
    // Learn only from frames aimed at us, so a stale address cannot keep
    // refreshing an entry.
    return inputDrop(rep, d, DROP_RESTRICTED, rcvif);
  }
  if (learn) {
    const u = d.update;
    u.ifindex = rcvif.index;
    u.saddr = isaddr;
    u.sha = sha;
    u.hln = buf[o + 4]!;
    u.create = itaddr === myaddr;
    u.time = rep.now();
    u.src = etherSource(view);
    d.hasUpdate = true;
  }
  d.isRequest = op === ARPOP_REQUEST;
  d.replyIfindex = ifp.index;
  d.hrd = (buf[o]! << 8) | buf[o + 1]!;
  d.itaddr = itaddr;
  d.myaddr = myaddr;
  d.enaddr = enaddr;
  d.sha = sha;
  d.spa = isaddr;
  st.accepted++;
  return 0;
}

/** Ethernet source of the frame around a view set by classifyFrame (0 when there is no header). */
function etherSource(view: ArpPacket): Mac {
  return view.off >= 14 ? readMac(view.buf, view.off - 8) : 0;
}

/**
 * Drops without an arp.drop event: frames that are simply not ours (not
 * ARP, another station's, ARP switched off), our own frame echoed back
 * (the seed is silent about all of these), and a broadcast sender address
 * (it has its own event).
 */
function quietDrop(code: number): boolean {
  return code === DROP_NOT_ARP || code === DROP_OTHER_HOST || code === DROP_NOARP ||
    code === DROP_FROM_SELF || code === DROP_BCAST_LLADDR;
}

/** The rate-limited arp.drop event for a dropped input frame (arpintr or in_arpinput stage). */
export function arpDropEvent(rep: ArpReplica, code: number, iface: string): void {
  if (!quietDrop(code) && rep.logging) rep.emit('arp.drop', { reason: dropReasonName(code), iface });
}

function inputDrop(rep: ArpReplica, d: ArpInputDecision, code: number, rcvif: Ifnet): number {
  rep.stats.drops[code]!++;
  d.drop = code;
  arpDropEvent(rep, code, rcvif.name);
  return code;
}

/**
 * The reply stage of in_arpinput, run on the input CPU after the update was
 * applied: answer a request for our address, for a published entry, or -
 * with proxyall - for an address routed through another interface. Builds
 * the reply into the replica's scratch buffer and returns it (valid until
 * this replica builds its next ARP frame), or null when nothing is sent.
 * Counts txreplies and emits arp.reply_sent; transmitting is the caller's
 * (arpSendReply does both).
 */
export function arpInputReply(rep: ArpReplica, d: ArpInputDecision): Uint8Array | null {
  if (d.drop !== 0 || !d.isRequest) return null;
  const ifp = rep.net.ifnetByIndex(d.replyIfindex);
  if (ifp === undefined) return null;
  let sha: Mac;
  let proxy = false;
  if (d.itaddr === d.myaddr) {
    sha = d.enaddr; // we are the target
  } else {
    const la = arpLookup(rep, d.itaddr, false, false, true);
    if (la !== null) {
      // A published entry: answer with its address.
      const mac = la.lladdr;
      if (mac === null) return null;
      sha = mac;
    } else {
      if (rep.sysctl.v.proxyAll === 0) return null;
      const rt = rep.routes.lookup(d.itaddr);
      if (rt === null) return null;
      // Never proxy onto the interface the request came from: two hosts
      // would fight over the address.
      if (rt.ifp === ifp) return null;
      sha = d.enaddr;
    }
    proxy = true;
  }
  const frame = rep.txArp;
  buildArpReply(frame, d.hrd, ifp.lladdr, sha, d.itaddr, d.sha, d.spa);
  rep.stats.txreplies++;
  if (rep.tracing) {
    rep.emit('arp.reply_sent', {
      iface: ifp.name, spa: formatIpv4(d.itaddr), sha: formatMac(sha), tpa: formatIpv4(d.spa), tha: formatMac(d.sha),
      proxy: proxy || undefined,
    });
  }
  return frame;
}

/** arpInputReply, then transmit the reply on its interface. Returns whether one was sent. */
export function arpSendReply(rep: ArpReplica, d: ArpInputDecision): boolean {
  const frame = arpInputReply(rep, d);
  if (frame === null) return false;
  rep.transmit(rep.net.ifnetByIndex(d.replyIfindex)!, frame);
  return true;
}
