/**
 * The control plane of a CPU worker: a comlink `Remote<CpuControl>` on its
 * own MessageChannel (dump, stats, sysctl, resync, crash). Never on a
 * per-frame path: a call costs tens of microseconds.
 *
 * comlink sends a thrown Error as {message, name, stack}: the `code` that
 * callers switch on would be lost. installErrorTransfer() replaces its
 * 'throw' handler (in every thread that uses comlink) with one that carries
 * `code` and rebuilds an ArpemuError.
 */
import type { MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeAdapter from 'comlink/dist/umd/node-adapter.js';
import { ArpemuError, type ArpemuCode } from '../util/errors.js';
import type { IfDump } from '../inet/stack.js';
import type { ArpStatValues } from '../arp/stats.js';
import type { KnobInfo } from '../sysctl/index.js';
import type { CpuDump } from './emulator.js';
import type { CpuSnapshot } from './context.js';

export interface CpuDiag {
  cpu: number;
  lastSeq: number;
  applied: number;
  errors: number;
  /** Records handled, by record type. */
  handled: number[];
  /** Records written to each destination. */
  sent: Record<string, number>;
}

export interface CpuControl {
  /** This replica's tables; null without a replica (shared strategy, CPUs other than 0). */
  dump(): CpuDump | null;
  interfaces(): IfDump[];
  stats(): ArpStatValues | null;
  sysctl(name?: string): KnobInfo[];
  /** CPU0: the replica and the last sequence number, for a restarted CPU. */
  snapshot(): CpuSnapshot;
  /** A restarted CPU: become equal to CPU0's snapshot, then take work. */
  restore(snap: CpuSnapshot): void;
  diag(): CpuDiag;
  /** Benchmark: arpresolve hits on this replica (see CpuContext.benchResolve). */
  benchResolve(n: number): { lookups: number; hits: number; seconds: number };
  /** Tests: die now ('exit': process.exit in the worker; 'throw': an uncaught exception). */
  crash(how: 'exit' | 'throw'): void;
}

interface SerializedThrow { isError: boolean; value: unknown }

let installed = false;

/** Make thrown errors keep `code` across comlink (idempotent; call in every thread). */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const base = Comlink.transferHandlers.get('throw');
  if (base === undefined) return;
  Comlink.transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize(thrown: unknown): [SerializedThrow, []] {
      const value = (thrown as { value: unknown }).value;
      if (value instanceof Error) {
        const code = (value as { code?: unknown }).code;
        return [{ isError: true, value: { message: value.message, name: value.name, stack: value.stack, code: typeof code === 'string' ? code : undefined } }, []];
      }
      return [{ isError: false, value }, []];
    },
    deserialize(s: unknown): never {
      const ser = s as SerializedThrow;
      if (!ser.isError) throw ser.value;
      const v = ser.value as { message: string; name: string; stack?: string; code?: string };
      if (v.code !== undefined) {
        const e = new ArpemuError(v.code as ArpemuCode, v.message);
        if (v.stack !== undefined) e.stack = v.stack;
        throw e;
      }
      throw Object.assign(new Error(v.message), v);
    },
  } as Comlink.TransferHandler<unknown, unknown>);
}

// The UMD adapter's module.exports is the function itself; the typings say `default`.
const nodeEndpoint = ((nodeAdapter as unknown as { default?: unknown }).default ?? nodeAdapter) as unknown as (p: MessagePort) => Comlink.Endpoint;

/** A comlink endpoint over a worker_threads MessagePort. */
export function endpointOf(port: MessagePort): Comlink.Endpoint {
  return nodeEndpoint(port);
}
