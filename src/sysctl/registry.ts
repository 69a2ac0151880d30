/**
 * Per-replica sysctl: each CPU holds its own Sysctl instance (no module-level
 * mutable state), kept equal across CPUs by the update chain and by
 * snapshot()/restore() on resync.
 *
 * Values are BSD ints: bool knobs hold 0/1. `enum` knobs (arpemu's own
 * choices such as a transport name) hold one of a fixed list of strings.
 */
import { errno } from '../util/errors.js';
import { DEFAULT_KNOBS, type KnobValues } from './knobs.js';

export type KnobType = 'int' | 'bool' | 'enum';
export type KnobValue = number | string;

/** A knob's definition: what `sysctl -d` and `sysctl -a` show. */
export interface KnobDef {
  /** FreeBSD spelling, e.g. `net.link.ether.inet.max_age`. */
  readonly name: string;
  /** Property of `Sysctl.v` that mirrors the value (camelCase of the leaf). */
  readonly key: keyof KnobValues & string;
  readonly type: KnobType;
  readonly default: KnobValue;
  /** Inclusive range for int/bool (bool is always 0..1); ignored for enum. */
  readonly min: number;
  readonly max: number;
  /** Allowed strings of an enum knob. */
  readonly choices?: readonly string[];
  /** 'seconds', 'requests', 'lines/second', or '' when unitless. */
  readonly unit: string;
  /** One line, no trailing period. */
  readonly description: string;
}

/** A knob with its current value, as list() returns it. */
export interface KnobInfo extends KnobDef {
  readonly value: KnobValue;
}

/** name -> value; structured-clonable, so it crosses threads and goes into state files. */
export type SysctlSnapshot = Record<string, KnobValue>;

/** Called after a knob's value changed through set/setMany/restore/reset. */
export type KnobListener = (name: string, value: KnobValue, old: KnobValue) => void;

/** Input accepted by set(): a number, a JS boolean for bool knobs, or text (CLI `name=value`). */
export type KnobInput = number | string | boolean;

export class Sysctl {
  /** Fast accessors for hot paths: `sysctl.v.maxTries`. Read only; write through set(). */
  readonly v: Readonly<KnobValues>;
  private readonly defs = new Map<string, KnobDef>();
  private readonly keys = new Set<string>();
  private readonly listeners: KnobListener[] = [];

  constructor(defs: readonly KnobDef[] = DEFAULT_KNOBS) {
    // The object is filled by register(); its fields exist once registered.
    this.v = {} as KnobValues;
    this.register(defs);
  }

  /**
   * Add knobs at their defaults. Definitions are checked (name unused, key
   * unused, default valid); a bad table throws EINVAL/EEXIST before any knob
   * of it is added.
   */
  register(defs: readonly KnobDef[]): void {
    const names = new Set<string>();
    const keys = new Set<string>();
    for (const d of defs) {
      if (this.defs.has(d.name) || names.has(d.name)) throw errno('EEXIST', `sysctl ${d.name} is already registered`);
      if (this.keys.has(d.key) || keys.has(d.key)) throw errno('EEXIST', `sysctl ${d.name}: accessor key '${d.key}' is already used`);
      checkDef(d);
      names.add(d.name);
      keys.add(d.key);
    }
    const vals = this.v as unknown as Record<string, KnobValue>;
    for (const d of defs) {
      const def: KnobDef = d.type === 'bool' ? { ...d, min: 0, max: 1 } : { ...d };
      this.defs.set(def.name, Object.freeze(def));
      this.keys.add(def.key);
      vals[def.key] = def.default;
    }
  }

  has(name: string): boolean { return this.defs.has(name); }

  /** The definition of `name`; ENOENT if unknown. */
  describe(name: string): KnobDef { return this.def(name); }

  get(name: string): KnobValue {
    const d = this.def(name);
    return (this.v as unknown as Record<string, KnobValue>)[d.key]!;
  }

  /** Validate and set; returns the previous value. ENOENT for an unknown name, EINVAL naming the knob and its range. */
  set(name: string, input: KnobInput): KnobValue {
    const d = this.def(name);
    return this.apply(d, parseValue(d, input));
  }

  /** Set several knobs all-or-nothing: every value is validated before any is applied. */
  setMany(values: Readonly<Record<string, KnobInput>>): void {
    const parsed: [KnobDef, KnobValue][] = [];
    for (const [name, input] of Object.entries(values)) {
      const d = this.def(name);
      parsed.push([d, parseValue(d, input)]);
    }
    for (const [d, v] of parsed) this.apply(d, v);
  }

  /** Put `name` (or every knob) back to its default. */
  reset(name?: string): void {
    if (name !== undefined) { const d = this.def(name); this.apply(d, d.default); return; }
    for (const d of this.defs.values()) this.apply(d, d.default);
  }

  /** Every knob with its value, sorted by name (the order of `sysctl -a`). */
  list(): KnobInfo[] {
    const vals = this.v as unknown as Record<string, KnobValue>;
    return [...this.defs.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((d) => ({ ...d, value: vals[d.key]! }));
  }

  /** Every value by name. */
  snapshot(): SysctlSnapshot {
    const out: SysctlSnapshot = {};
    const vals = this.v as unknown as Record<string, KnobValue>;
    for (const d of this.defs.values()) out[d.name] = vals[d.key]!;
    return out;
  }

  /**
   * Make this instance equal to the one that took `snap` (resync from CPU0):
   * names missing from `snap` go back to their defaults. All-or-nothing;
   * ENOENT for a name this instance does not know, EINVAL for a bad value.
   */
  restore(snap: Readonly<SysctlSnapshot>): void {
    const next = new Map<KnobDef, KnobValue>();
    for (const [name, input] of Object.entries(snap)) {
      const d = this.def(name);
      next.set(d, parseValue(d, input));
    }
    for (const d of this.defs.values()) this.apply(d, next.has(d) ? next.get(d)! : d.default);
  }

  /** Listen for changes; returns the function that removes the listener. */
  onChange(fn: KnobListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private def(name: string): KnobDef {
    const d = this.defs.get(name);
    if (d === undefined) throw errno('ENOENT', `unknown sysctl '${name}'`);
    return d;
  }

  private apply(d: KnobDef, value: KnobValue): KnobValue {
    const vals = this.v as unknown as Record<string, KnobValue>;
    const old = vals[d.key]!;
    if (old === value) return old;
    vals[d.key] = value;
    for (const fn of [...this.listeners]) fn(d.name, value, old);
    return old;
  }
}

/** The allowed values of `d` in words, for error messages and `sysctl -d`. */
export function knobRange(d: KnobDef): string {
  if (d.type === 'enum') return `one of ${(d.choices ?? []).join('|')}`;
  if (d.type === 'bool') return '0 or 1';
  return `${d.min}..${d.max}`;
}

const INT_TEXT = /^[+-]?\d+$/;

/** Turn an input into a valid value of `d`, or throw EINVAL naming the knob and its range. */
function parseValue(d: KnobDef, input: KnobInput): KnobValue {
  const bad = (what: string): never => { throw errno('EINVAL', `sysctl ${d.name}: ${what}; allowed ${knobRange(d)}`); };
  if (d.type === 'enum') {
    if (typeof input !== 'string' || !(d.choices ?? []).includes(input)) bad(`invalid value ${show(input)}`);
    return input as string;
  }
  let n: number;
  if (typeof input === 'boolean') {
    if (d.type !== 'bool') bad(`${show(input)} is not an integer`);
    n = input ? 1 : 0;
  } else if (typeof input === 'string') {
    const s = input.trim();
    if (!INT_TEXT.test(s)) bad(`${show(input)} is not an integer`);
    n = Number(s);
  } else if (typeof input === 'number') {
    n = input;
  } else {
    return bad(`${show(input)} is not an integer`);
  }
  if (!Number.isInteger(n)) bad(`${show(input)} is not an integer`);
  if (n < d.min || n > d.max) bad(`${show(input)} is out of range`);
  return n === 0 ? 0 : n; // no -0
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function checkDef(d: KnobDef): void {
  const bad = (what: string): never => { throw errno('EINVAL', `sysctl definition ${d.name}: ${what}`); };
  if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/.test(d.name)) bad('name must be dotted lower-case words');
  if (!/^[A-Za-z_$][\w$]*$/.test(d.key)) bad(`bad accessor key '${d.key}'`);
  if (d.description.length === 0 || d.description.includes('\n')) bad('description must be one non-empty line');
  if (d.type === 'enum') {
    if (!d.choices || d.choices.length === 0) bad('enum knob needs choices');
    if (typeof d.default !== 'string' || !d.choices!.includes(d.default)) bad('default is not one of its choices');
    return;
  }
  if (d.type !== 'int' && d.type !== 'bool') bad(`unknown type '${String(d.type)}'`);
  const min = d.type === 'bool' ? 0 : d.min, max = d.type === 'bool' ? 1 : d.max;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) bad('min/max must be integers with min <= max');
  if (typeof d.default !== 'number' || !Number.isInteger(d.default) || d.default < min || d.default > max) bad(`default ${String(d.default)} outside ${min}..${max}`);
}
