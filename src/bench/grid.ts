/** Parameter grids: expansion, overrides from the command line, baselines. */
import type { Grid, ParamValue, Point } from './types.js';

/** Every point of the grid: the cartesian product, the first key varying slowest. */
export function expandGrid(grid: Grid, exclude?: (p: Point) => boolean): Point[] {
  let points: Point[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    if (values.length === 0) throw new RangeError(`grid key ${key} has no values`);
    const next: Point[] = [];
    for (const p of points) for (const v of values) next.push({ ...p, [key]: v });
    points = next;
  }
  return exclude === undefined ? points : points.filter((p) => !exclude(p));
}

/** A value from the command line: numbers (1e6, 0x10 too) and booleans keep their type. */
export function parseParamValue(s: string): ParamValue {
  const t = s.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/**
 * `--set key=v1,v2`: replace the values of `key`. The key must exist in the
 * grid (a typo would otherwise silently run the whole grid).
 */
export function applySets(grid: Grid, sets: readonly string[], suite: string): Grid {
  const out: Record<string, readonly ParamValue[]> = { ...grid };
  for (const s of sets) {
    const m = /^([A-Za-z_][\w-]*)=(.+)$/.exec(s);
    if (m === null) throw new RangeError(`--set ${JSON.stringify(s)}: expected key=value[,value...]`);
    const key = m[1]!;
    if (!(key in grid)) throw new RangeError(`--set ${key}: suite ${suite} has no parameter ${key} (it has ${Object.keys(grid).join(', ')})`);
    out[key] = m[2]!.split(',').map(parseParamValue);
  }
  return out;
}

/** Whether p has every value of `part`. */
export function matches(p: Point, part: Partial<Point>): boolean {
  for (const [k, v] of Object.entries(part)) if (p[k] !== v) return false;
  return true;
}

export function samePoint(a: Point, b: Point): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/** The baseline of p: p with the baseline's values substituted (p itself when it already is one). */
export function baselineOf(p: Point, baseline: Partial<Point>): Point {
  return { ...p, ...baseline } as Point;
}

/** `transport=port` - the label a baseline's ratios are filed under. */
export function baselineLabel(baseline: Partial<Point>): string {
  return Object.entries(baseline).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** `cpus=4 transport=ring` - one line naming a point. */
export function pointLabel(p: Point): string {
  return Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}
