/** What the hops suite and its worker share (importing the worker module would run it). */
import type { MessagePort } from 'node:worker_threads';

export interface HopWorkerData {
  cpu: number;
  transport: 'port' | 'ring';
  spin: number;
  /** Neighbours in rotation (entries of each replica). */
  hosts: number;
  inPort?: MessagePort;
  outPort?: MessagePort;
  inSab?: SharedArrayBuffer;
  outSab?: SharedArrayBuffer;
}

/** Record type; payload: seq, host index, MAC high 16 bits, MAC low 32 bits (4 x int32). */
export const HOP_RECORD = 1;
export const HOP_LEN = 16;
