/**
 * What every arpemu command shares: argument parsers that name the bad
 * argument, and the exit-code convention of CONTRACT.md (0 success, 1 a
 * failure explained on one stderr line, 2 bad usage).
 */
import { InvalidArgumentError } from 'commander';
import { ArpemuError, isArpemuError } from '../util/errors.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An interface name as ifconfig takes it (IFNAMSIZ 16 with the NUL). */
export const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

export function intArg(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer, got ${JSON.stringify(v)}`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be in ${min}..${max}, got ${n}`);
    return n;
  };
}

export function secondsArg(name: string, max = 1e9): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new InvalidArgumentError(`${name} must be a number of seconds in 0..${max}, got ${JSON.stringify(v)}`);
    return n;
  };
}

export function choiceArg<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(choices as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
}

/** `[IF=]PATH`, repeatable. */
export interface IfFileArg { iface: string | undefined; path: string }

export function ifFileArg(name: string): (v: string, prev: IfFileArg[] | undefined) => IfFileArg[] {
  return (v, prev) => {
    const m = /^([A-Za-z][A-Za-z0-9_.-]{0,14})=(.+)$/.exec(v);
    const arg = m === null ? { iface: undefined, path: v } : { iface: m[1]!, path: m[2]! };
    if (arg.path === '') throw new InvalidArgumentError(`${name} needs a file path`);
    return [...(prev ?? []), arg];
  };
}

/** Print a failure as one line and pick the exit code. */
export function reportFailure(e: unknown, command: string): number {
  const err = e as NodeJS.ErrnoException;
  // File-system errors carry a path and a syscall: name the file, not the syscall.
  if (err instanceof Error && typeof err.path === 'string' && typeof err.syscall === 'string') {
    const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    process.stderr.write(`arpemu ${command}: ${err.path}: ${why}\n`);
    return EXIT_FAILURE;
  }
  if (isArpemuError(e)) {
    process.stderr.write(`arpemu ${command}: ${e.message}\n`);
    return e.code === 'ERR_USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
  process.stderr.write(`arpemu ${command}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  return EXIT_FAILURE;
}

export function usage(message: string): ArpemuError {
  return new ArpemuError('ERR_USAGE', message);
}
