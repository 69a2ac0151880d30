/**
 * Test hooks of the per-CPU machinery: deliberately broken mechanisms and
 * channel delays for `arpemu stress` (issue 10), so anyone can watch the
 * invariant checker catch a real class of bug. Plain data: they travel to
 * worker threads inside WorkerInit. Off unless an emulator is built with
 * `hooks`; nothing outside tests and the stress tester sets them.
 *
 * Bugs (`bug`), each breaking one mechanism on purpose:
 *  - 'skip-update'    the last CPU of the chain (CPU0 with one CPU) passes
 *                     OP_UPDATE records on without applying them: a replica
 *                     misses what arp_update_msghandler should have applied;
 *  - 'double-send'    a CPU releasing a held packet (la_hold, sent from the
 *                     chain when the entry resolves) transmits it twice;
 *  - 'perm-overwrite' an update from the network overwrites the MAC of a
 *                     permanent entry on every replica (arp_update_oncpu's
 *                     "permanent entry" refusal skipped);
 *  - 'skip-counter'   the input CPU does not count rxrequests;
 *  - 'reorder-chain'  CPU1 keeps every other chain message (administrative
 *                     ones aside) and lets it out after the next one: CPUs
 *                     after CPU0 see the chain out of order (needs 2 CPUs or
 *                     more).
 *
 * Delays (`stall`): before handling a record, a CPU worker thread waits
 * (busy) up to `maxUs` µs with probability `p`, which shifts the
 * interleaving of its inbound channels against the other CPUs (a slow or
 * delayed inter-CPU channel). The InlineEmulator, which has no threads,
 * realizes the same knob as a seeded random choice of which CPU's queue to
 * serve next (FIFO order per destination kept).
 */

export type InjectedBug = 'skip-update' | 'double-send' | 'perm-overwrite' | 'skip-counter' | 'reorder-chain';

export const INJECTED_BUGS: readonly InjectedBug[] = ['skip-update', 'double-send', 'perm-overwrite', 'skip-counter', 'reorder-chain'];

export interface CpuStall {
  /** Probability per record, in [0, 1]. */
  p: number;
  /** Longest wait, microseconds. */
  maxUs: number;
  /** Seed of the choices (each CPU mixes in its index). */
  seed: number;
}

export interface CpuTestHooks {
  bug?: InjectedBug | undefined;
  stall?: CpuStall | undefined;
}

/** A tiny seeded generator for the hooks (xorshift32; no dependency on src/util/random's stream layout). */
export class HookRandom {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  /** A float in [0, 1). */
  next(): number {
    let x = this.s;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x1_0000_0000;
  }
}

/** Busy-wait up to `stall.maxUs` µs with probability `stall.p` (worker threads only). */
export function stallMaybe(stall: CpuStall, rnd: HookRandom): void {
  if (rnd.next() >= stall.p) return;
  const until = performance.now() + (rnd.next() * stall.maxUs) / 1000;
  while (performance.now() < until) { /* a slow channel */ }
}
