/**
 * The fastest ARP responder that `cap` (libpcap) allows, as a baseline for
 * the daemon bench: answers every ARP request on an interface with the
 * interface's MAC and does nothing else. Everything the daemon pays on top
 * of this is arpemu's own; everything up to it is cap's per-frame cost (one
 * call into JS per captured frame, one pcap_sendpacket system call per reply).
 *
 *   node dist/bench/floors/cap-floor.js IFACE
 */
import { loadCap, readInterfaceMac } from '../../src/link/live.js';
import { writeMac } from '../../src/wire/addr.js';

const iface = process.argv[2];
if (iface === undefined) {
  console.error('usage: cap-floor IFACE');
  process.exit(2);
}
const mac = readInterfaceMac(iface);
const cap = new (loadCap().Cap)();
const rx = Buffer.alloc(65535);
const tx = Buffer.alloc(42);
tx.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2], 12);
writeMac(tx, 6, mac);
writeMac(tx, 22, mac);
cap.open(iface, 'arp', 16 << 20, rx);
cap.on('packet', (n: number) => {
  if (n < 42 || rx[20] !== 0 || rx[21] !== 1) return;
  rx.copy(tx, 0, 6, 12);   // to the requester
  rx.copy(tx, 28, 38, 42); // sender protocol: the address asked for
  rx.copy(tx, 32, 22, 32); // target: the requester
  cap.send(tx, 42);
});
