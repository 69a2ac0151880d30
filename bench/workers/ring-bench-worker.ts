/**
 * Worker for bench/ring.bench.ts: one endpoint of a message-port topology.
 *  - chain: apply (a few loads and stores), forward to `next`, or reply to
 *    the origin when last (the update chain's shape);
 *  - sink: count; reply to a message of type T_ACK (end of a burst);
 *  - echo: reply to everything at once (ping-pong latency).
 * The parent ends it with 'close' and gets the port's stats back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openMsgPort, type Msg, type MsgPort, type MsgPortDesc } from '../../src/cpu/msgport.js';

export interface BenchJob {
  desc: MsgPortDesc;
  role: 'chain' | 'sink' | 'echo';
  next: number;
  spin: number;
}

const T_ACK = 2;
const job = workerData as BenchJob;
const port = openMsgPort(job.desc, { spin: job.spin });
let applied = 0;
let acc = 0;

function chain(msg: Msg, p: MsgPort): boolean {
  if (job.next >= 0 ? !p.canSend(job.next, msg.len) : !p.canSend(msg.origin, msg.len)) return false;
  const b = msg.bytes;
  acc = (acc + b[msg.offset]! + b[msg.offset + msg.len - 1]!) | 0;
  b[msg.offset + 8] = applied++;
  return job.next >= 0 ? p.forward(job.next, msg) : p.reply(msg, msg.type, b, msg.offset, msg.len);
}

port.start((msg, p) => {
  if (job.role === 'chain') return chain(msg, p);
  if (job.role === 'echo') return p.reply(msg, msg.type, msg.bytes, msg.offset, msg.len);
  applied++;
  if (msg.type === T_ACK) return p.reply(msg, T_ACK);
  return true;
});

parentPort!.on('message', (m: string) => {
  if (m === 'close') {
    parentPort!.postMessage({ applied, acc, stats: port.stats });
    port.close();
    parentPort!.close();
  }
});
