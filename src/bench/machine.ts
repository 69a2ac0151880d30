/** Facts about the machine recorded with every measured point. */
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import type { MachineInfo } from './types.js';

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    hostname: hostname(),
  };
}

export function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
