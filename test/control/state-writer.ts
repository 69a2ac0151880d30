/**
 * Test child for state.test.ts: writes state versions 0, 1, 2, ... as fast
 * as it can, printing `ack N` after each save returns, until killed.
 * Version N has counter N and N % 7 addresses, so a torn mix would show.
 */
import { saveState, emptyState, setAddress, setSysctl } from '../../src/control/state.js';

const path = process.argv[2]!;
for (let n = 0; ; n++) {
  const s = emptyState();
  setSysctl(s, 'counter', n);
  for (let i = 0; i < n % 7; i++) setAddress(s, { iface: 'vemu0', addr: `10.0.${n % 256}.${i + 1}`, plen: 24, present: true }, false);
  saveState(path, s);
  process.stdout.write(`ack ${n}\n`);
  if (n % 16 === 0) await new Promise((r) => setImmediate(r)); // let stdout drain
}
