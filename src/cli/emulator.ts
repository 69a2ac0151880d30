/** Picks the Emulator implementation for a command's options. */
import { ArpemuError } from '../util/errors.js';
import type { Emulator, EmulatorOptions } from '../cpu/emulator.js';
import { SingleCpuEmulator } from '../cpu/single.js';

export function createEmulator(opts: EmulatorOptions): Emulator {
  if (opts.cpus === 1) return new SingleCpuEmulator(opts);
  throw new ArpemuError('ERR_USAGE', `--cpus ${opts.cpus}: only 1 CPU is available in this build (the per-CPU workers are not built yet)`);
}
