/** The targets of the earlier issues' "Speed" sections, checked against a run. */
import { baselineLabel, matches } from './grid.js';
import type { PointResult, SuiteDef, TargetDef, TargetResult } from './types.js';

export function evaluateTargets(targets: readonly TargetDef[], results: readonly PointResult[], suites: ReadonlyMap<string, SuiteDef>): TargetResult[] {
  return targets.map((t) => {
    const candidates = results.filter((r) => r.suite === t.suite && matches(r.point, t.where));
    if (candidates.length === 0) {
      return { target: t, verdict: 'not measured', note: `no ${t.suite} point with ${JSON.stringify(t.where)} in this run` };
    }
    const ok = candidates.find((r) => r.status === 'ok');
    if (ok === undefined) {
      const r = candidates[0]!;
      return { target: t, verdict: 'not measured', note: `${r.status}: ${r.reason ?? ''}`.trim() };
    }
    let measured: number | undefined;
    let spread: [number, number] | undefined;
    if (t.ratioOf !== undefined) {
      const base = suites.get(t.suite)?.baselines[t.ratioOf];
      if (base === undefined) return { target: t, verdict: 'not measured', note: `suite ${t.suite} has no baseline #${t.ratioOf}` };
      measured = ok.ratios[baselineLabel(base)]?.[t.metric];
      if (measured === undefined) return { target: t, verdict: 'not measured', note: `baseline ${baselineLabel(base)} not measured` };
    } else {
      const m = ok.metrics[t.metric];
      if (m === undefined) {
        const why = (ok.info?.['notes'] as Record<string, string> | undefined)?.[t.metric];
        return { target: t, verdict: 'not measured', note: why ?? `metric ${t.metric} missing` };
      }
      measured = m.median;
      spread = [m.min, m.max];
    }
    const base: TargetResult = { target: t, verdict: 'reported', measured, ...(spread === undefined ? {} : { spread }) };
    if (t.op === undefined || t.value === undefined) return base;
    const met = t.op === '>=' ? measured >= t.value : measured <= t.value;
    return { ...base, verdict: met ? 'met' : 'not met' };
  });
}
