/**
 * Picks the Emulator implementation for a command's options: one CPU runs
 * in the calling thread (no workers to start); more run as worker threads,
 * one piscina pool per CPU plus the netisr thread (DragonFly's design).
 */
import { availableParallelism } from 'node:os';
import type { Emulator, EmulatorOptions } from '../cpu/emulator.js';
import { SingleCpuEmulator } from '../cpu/single.js';
import { ThreadedEmulator } from '../cpu/threaded.js';

/** The default CPU count: the number of cores, as the kernel has one netisr per CPU. */
export function defaultCpus(): number {
  return availableParallelism();
}

export function createEmulator(opts: EmulatorOptions): Emulator {
  if (opts.cpus === 1) return new SingleCpuEmulator(opts);
  return new ThreadedEmulator(opts);
}
