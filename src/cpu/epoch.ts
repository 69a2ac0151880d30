/**
 * Real time shared by every thread of one emulator: seconds since one epoch
 * of the process-wide monotonic clock (process.hrtime is the same clock in
 * every worker). A RealClock starts at its own construction, so workers
 * started at different moments (a restarted CPU) would disagree on
 * time_second, and expiry times written by one replica would mean something
 * else on another.
 */
import type { Clock } from '../util/clock.js';

export class EpochClock implements Clock {
  private readonly epoch: bigint;
  /** `epochNs`: process.hrtime.bigint() at the emulator's start, as a decimal string (it crosses threads). */
  constructor(epochNs?: string) {
    this.epoch = epochNs === undefined ? process.hrtime.bigint() : BigInt(epochNs);
  }
  get epochNs(): string { return this.epoch.toString(); }
  now(): number { return Number(process.hrtime.bigint() - this.epoch) / 1e9; }
  uptime(): number { return Math.floor(this.now()); }
}
