/**
 * A LiveLink in a process of its own, driven over JSON lines, so a test can
 * open it inside a network namespace (`ip netns exec NS node live-child.js`).
 *
 * argv[2]: JSON { device, filter?, ignoreOwnFrames?, tap?: pcap path }
 * stdout:  {"ev":"ready","mac":"aa:..","filter":".."}
 *          {"ev":"rx","hex":"..","t":1.23}
 *          {"ev":"sent","stats":{..}}           (after each send)
 *          {"ev":"closed","stats":{..},"afterClose":"ERR_LINK_CLOSED"}
 *          {"ev":"error","code":"ERR_..","message":".."}   (then exit 1)
 * stdin:   {"op":"send","hex":".."} | {"op":"close"}
 */
import { createInterface } from 'node:readline';
import { openLiveLink } from '../../src/link/live.js';
import type { Link } from '../../src/link/link.js';
import { openPcapWriter } from '../../src/link/pcapio.js';
import { withTap } from '../../src/link/tap.js';
import type { Clock } from '../../src/util/clock.js';
import { formatMac } from '../../src/wire/addr.js';

interface Config { device: string; filter?: string; ignoreOwnFrames?: boolean; tap?: string }

function out(msg: object): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
  let link: Link;
  let finish: () => Promise<void> = async () => undefined;
  try {
    // Wall-clock stamps so the tap's pcap has real dates for tshark.
    const clock: Clock = { now: () => Date.now() / 1000, uptime: () => Math.floor(Date.now() / 1000) };
    const live = openLiveLink({ device: cfg.device, filter: cfg.filter, ignoreOwnFrames: cfg.ignoreOwnFrames, clock });
    link = live;
    if (cfg.tap !== undefined) {
      const writer = openPcapWriter(cfg.tap);
      link = withTap(live, writer, clock);
      finish = () => writer.close();
    }
    out({ ev: 'ready', mac: live.mac === undefined ? null : formatMac(live.mac), filter: live.filter });
  } catch (e) {
    const err = e as { code?: string; message: string };
    out({ ev: 'error', code: err.code ?? 'UNKNOWN', message: err.message });
    process.exitCode = 1;
    return;
  }
  link.onReceive((frame, t) => out({ ev: 'rx', hex: Buffer.from(frame.buffer, frame.byteOffset, frame.length).toString('hex'), t }));
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const cmd = JSON.parse(line) as { op: string; hex?: string };
    if (cmd.op === 'send') {
      link.send(Buffer.from(cmd.hex ?? '', 'hex'));
      out({ ev: 'sent', stats: link.stats() });
    } else if (cmd.op === 'close') {
      await link.close();
      await finish();
      // A send after close must be refused by the link (cap would crash).
      let afterClose = 'accepted';
      try { link.send(new Uint8Array(60)); } catch (e) { afterClose = (e as { code?: string }).code ?? String(e); }
      out({ ev: 'closed', stats: link.stats(), afterClose });
      rl.close();
      break;
    }
  }
}

void main();
