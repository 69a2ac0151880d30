/**
 * Validators for the JSON documents users write (the config file, scenario
 * files). Each takes the value and the path of the field it came from and
 * either returns the typed value or throws a `FieldError` naming that path;
 * the document's parser (`labelled`) turns it into one `ERR_CONFIG` line,
 * `config: interfaces[0].mac: "zz" is not a MAC address`. A document nested
 * in another (a scenario's `config`) is parsed `within` its field, so its
 * paths come out under the outer one: `scenario: config.interfaces[0].mac`.
 */
import { ArpemuError } from '../util/errors.js';
import { type Ipv4, type Mac, parseCidr, parseIpv4, parseMac } from '../wire/addr.js';

export type Obj = Record<string, unknown>;

/** How a document names itself when the whole document is at fault. */
export const ROOT = '(root)';

/** A bad field, before the document's label is put in front. */
class FieldError extends ArpemuError {
  constructor(readonly path: string, readonly reason: string) {
    super('ERR_CONFIG', `${path}: ${reason}`);
  }
}

export function fail(path: string, reason: string): never {
  throw new FieldError(path, reason);
}

/** `key` inside `path`; the root's own fields are named alone (`hostz`, not `(root).hostz`) when `path` is ''. */
export function field(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Runs a document's parser; a bad field becomes `LABEL: PATH: reason`. */
export function labelled<T>(label: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FieldError) throw new ArpemuError('ERR_CONFIG', `${label}: ${e.message}`);
    throw e;
  }
}

/** Runs the parser of a document nested at `base`; its bad fields are named under `base`. */
export function within<T>(base: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    const path = e.path.startsWith(ROOT) ? base + e.path.slice(ROOT.length) : field(base, e.path);
    throw new FieldError(path, e.reason);
  }
}

/** JSON text of a document; a syntax error is `LABEL: FILE: what JSON.parse says`. */
export function parseJsonText(text: string, file: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ArpemuError('ERR_CONFIG', `${label}: ${file}: ${(e as Error).message}`);
  }
}

export function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

/** An array; a missing one is empty. */
export function array(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

export function onlyKeys(o: Obj, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(field(path, k), `unknown field (expected one of ${keys.join(', ')})`);
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

export function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}

export function bool(v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(path, 'must be true or false');
  return v;
}

export function num(v: unknown, path: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a number');
  if (integer && !Number.isInteger(v)) fail(path, 'must be an integer');
  if (v < min || v > max) fail(path, `${v} is out of range ${min}..${max}`);
  return v;
}

export function optNum(v: unknown, path: string, min: number, max: number, integer = false): number | undefined {
  return v === undefined ? undefined : num(v, path, min, max, integer);
}

/** A number > 0 (rates, intervals, durations). */
export function positive(v: unknown, path: string, max: number): number {
  const n = num(v, path, 0, max);
  if (n <= 0) fail(path, 'must be greater than 0');
  return n;
}

/** One of `choices`; a missing value is `dflt`. */
export function oneOf<T extends string>(v: unknown, path: string, choices: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  const s = str(v, path);
  if (!(choices as readonly string[]).includes(s)) fail(path, `${JSON.stringify(s)} is not one of ${choices.join(', ')}`);
  return s as T;
}

export function ip(v: unknown, path: string): Ipv4 {
  const s = str(v, path);
  const a = parseIpv4(s);
  if (a === undefined) fail(path, `${JSON.stringify(s)} is not an IPv4 address`);
  return a;
}

export function mac(v: unknown, path: string): Mac {
  const s = str(v, path);
  const m = parseMac(s);
  if (m === undefined) fail(path, `${JSON.stringify(s)} is not a MAC address`);
  return m;
}

/** `ADDR` or `ADDR/PLEN` (`form` says which the field takes, for the message). */
export function cidr(v: unknown, path: string, form = 'ADDR or ADDR/PLEN'): { addr: Ipv4; plen: number | undefined; text: string } {
  const s = str(v, path);
  const c = parseCidr(s);
  if (c === undefined) fail(path, `${JSON.stringify(s)} is not ${form}`);
  return { addr: c.addr, plen: c.plen, text: s };
}
