/**
 * Reports of a run: a Markdown summary, SVG charts and one self-contained
 * HTML page (inline SVG and CSS, no script, nothing fetched). Both documents
 * are rendered from one list of blocks so they always say the same thing.
 */
import { baselineLabel, matches, pointLabel } from './grid.js';
import { relativeSpread } from './stats.js';
import { escapeXml, formatSi, renderLineChart, type Series } from './svg.js';
import type { ChainModel, ChartDef, MachineInfo, Point, PointResult, SuiteDef, TargetResult } from './types.js';

export type Block =
  | { kind: 'h'; level: number; text: string }
  | { kind: 'p'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'chart'; id: string; title: string; svg: string };

export interface RunMeta {
  command: string;
  date: string;
  machine: MachineInfo;
  loadStart: number[];
  loadEnd: number[];
  quick: boolean;
  seconds: number;
}

/** A value with its unit, short: "1.23M frames/s", "4.1µs", "92.5 B". */
export function formatValue(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (unit === 's') return `${formatSi(v)}s`;
  if (unit === 'x') return `${v.toFixed(v >= 10 ? 1 : 2)}x`;
  if (unit === 'B') return `${v.toFixed(Math.abs(v) < 1 ? 3 : 1)} B`;
  if (unit === '%') return `${v.toFixed(1)}%`;
  return `${formatSi(v)} ${unit}`.trim();
}

/** A value without its unit (inside a range that follows the value with its unit). */
function bare(v: number, unit: string): string {
  return unit === 's' || unit === 'x' ? formatValue(v, unit) : formatValue(v, unit).replace(/ .*$/, '');
}

function spreadText(r: PointResult, metric: string): string {
  const m = r.metrics[metric];
  if (m === undefined) return '–';
  const rel = relativeSpread(m);
  return `${formatValue(m.median, m.unit)} [${bare(m.min, m.unit)}–${bare(m.max, m.unit)}]${Number.isFinite(rel) ? ` ±${(rel * 50).toFixed(0)}%` : ''}`;
}

/** The series of one chart, from a suite's results (and the model's curve when asked). */
export function chartSeries(chart: ChartDef, suite: SuiteDef, results: readonly PointResult[], models: readonly ChainModel[] = []): Series[] {
  const model = models.find((m) => m.suite === suite.name);
  const ok = results.filter((r) => r.suite === suite.name && r.status === 'ok' && (chart.where === undefined || matches(r.point, chart.where)));
  const groups = new Map<string, PointResult[]>();
  for (const r of ok) {
    const keys = chart.series ?? [];
    const key = keys.map((k) => `${k}=${String(r.point[k])}`).join(' ');
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const out: Series[] = [];
  for (const metric of chart.y) {
    for (const [key, list] of groups) {
      const name = chart.y.length > 1 ? `${metric}${key === '' ? '' : ' ' + key}` : (key === '' ? metric : key);
      out.push({
        name,
        points: list.filter((r) => r.metrics[metric] !== undefined && typeof r.point[chart.x] === 'number').map((r) => {
          const m = r.metrics[metric]!;
          return { x: r.point[chart.x] as number, y: m.median, lo: m.min, hi: m.max };
        }),
      });
    }
  }
  if (chart.model !== undefined && model !== undefined) {
    const q = chart.model;
    // Dashed and named MODEL: predictions fitted to this run, not measurements.
    out.push({ name: `MODEL (not measured): ${q === 'latency' ? 'latency' : 'a core per CPU'}`, dashed: true, points: model.points.map((p) => ({ x: p.cpus, y: q === 'latency' ? p.latency : p.throughput })) });
    if (q === 'throughput') {
      out.push({ name: `MODEL (not measured): on ${model.cores} cores`, dashed: true, points: model.points.map((p) => ({ x: p.cpus, y: p.throughputHere })) });
    }
  }
  return out.filter((s) => s.points.length > 0);
}

export function renderChart(chart: ChartDef, suite: SuiteDef, results: readonly PointResult[], models: readonly ChainModel[] = []): string {
  const metric = suite.metrics.find((m) => m.name === chart.y[0]);
  return renderLineChart({
    title: chart.title,
    xLabel: chart.x,
    yLabel: chart.yLabel ?? (metric === undefined ? chart.y.join(', ') : (metric.label ?? metric.name).includes(metric.unit) ? metric.label ?? metric.name : `${metric.label ?? metric.name} (${metric.unit})`),
    xLog: chart.xLog ?? false,
    yLog: chart.yLog ?? false,
    ...(metric?.unit === 's' ? { yUnit: 's' } : {}),
    series: chartSeries(chart, suite, results, models),
  });
}

function targetRows(targets: readonly TargetResult[]): string[][] {
  return targets.map((t) => {
    const goal = t.target.op === undefined ? 'report' : `${t.target.op} ${formatValue(t.target.value, t.target.unit)}`;
    const measured = t.measured === undefined ? '–'
      : `${formatValue(t.measured, t.target.ratioOf !== undefined ? 'x' : t.target.unit)}${t.spread === undefined ? '' : ` [${bare(t.spread[0], t.target.unit)}–${bare(t.spread[1], t.target.unit)}]`}`;
    const where = `${t.target.suite}: ${pointLabel(t.target.where as Point)}`;
    const verdict = t.verdict === 'met' ? '**met**' : t.verdict === 'not met' ? '**not met**' : t.verdict;
    return [String(t.target.issue), t.target.text, goal, measured, verdict, t.note === undefined ? where : `${where} (${t.note})`];
  });
}

export function modelBlocks(model: ChainModel, observed: readonly { cpus: number; latency: number; throughput: number }[]): Block[] {
  const byN = new Map(observed.map((o) => [o.cpus, o]));
  return [
    // The source names the points (two models may come from one suite): "chain (entry=inject ...; metrics)" -> "chain (entry=inject ...)".
    { kind: 'h', level: 3, text: `Model fitted to ${model.source.includes(';') ? `${model.source.split(';')[0]!})` : model.suite}` },
    {
      kind: 'p',
      text: `Fitted to ${model.source}.${model.note === undefined ? '' : ` Caveat: ${model.note}.`} Latency of one update through n CPUs: latency(n) = a + b·n with a = ${formatValue(model.a, 's')}, ` +
        `b = ${formatValue(model.b, 's')} per CPU (least squares, r² = ${Number.isFinite(model.r2) ? model.r2.toFixed(3) : 'n/a'}). ` +
        `Pipelined throughput is set by the slowest stage: ${formatValue(model.stage, 's')} per update (measured with one core per CPU), ` +
        `so 1/stage = ${formatValue(1 / model.stage, 'updates/s')} whatever n is when every CPU has a core; on this machine's ${model.cores} cores the ` +
        `stages share the cores and the model caps it at cores / (n · ${formatValue(model.work, 's')}). Rows without a measurement are predictions only.`,
    },
    {
      kind: 'table',
      head: ['CPUs', 'latency (model)', 'latency (measured)', 'throughput, a core per CPU (model)', `throughput on ${model.cores} cores (model)`, 'throughput (measured)'],
      rows: model.points.map((p) => {
        const o = byN.get(p.cpus);
        return [String(p.cpus), formatValue(p.latency, 's'), o === undefined ? '–' : formatValue(o.latency, 's'),
          formatValue(p.throughput, 'updates/s'), formatValue(p.throughputHere, 'updates/s'), o === undefined ? '–' : formatValue(o.throughput, 'updates/s')];
      }),
    },
  ];
}

export interface ReportInput {
  meta: RunMeta;
  suites: readonly SuiteDef[];
  results: readonly PointResult[];
  targets: readonly TargetResult[];
  /** Fitted chain models with the observations they were fitted to. */
  models?: readonly { model: ChainModel; observed: readonly { cpus: number; latency: number; throughput: number }[] }[];
  /** Why there is no model, when there is none. */
  modelNote?: string;
}

export interface BuiltReport {
  blocks: Block[];
  charts: { id: string; title: string; svg: string }[];
}

export function buildReport(input: ReportInput): BuiltReport {
  const { meta } = input;
  const m = meta.machine;
  const blocks: Block[] = [];
  const charts: BuiltReport['charts'] = [];
  blocks.push({ kind: 'h', level: 1, text: `arpemu bench${meta.quick ? ' (--quick)' : ''}` });
  blocks.push({
    kind: 'list',
    items: [
      `command: \`${meta.command}\``,
      `date: ${meta.date}, ${Math.round(meta.seconds)} s`,
      `machine: ${m.cores} cores, ${m.cpuModel}, ${m.totalMemGiB} GiB, ${m.platform}/${m.arch}, node ${m.node}`,
      `load average (1/5/15 min) at start ${meta.loadStart.join(' / ')}, at end ${meta.loadEnd.join(' / ')}`,
      'every figure: median of the repetitions after warm-up, [min–max] and ±half the relative range; ratios are medians against a baseline measured in the same run',
    ],
  });
  if (input.targets.length > 0) {
    blocks.push({ kind: 'h', level: 2, text: 'Targets of issues 3–7' });
    blocks.push({ kind: 'table', head: ['issue', 'target', 'goal', 'measured (median [min–max])', 'verdict', 'measured at'], rows: targetRows(input.targets) });
  }
  const models = input.models ?? [];
  blocks.push({ kind: 'h', level: 2, text: 'Chain model (a MODEL fitted to this run, not a measurement)' });
  if (models.length === 0) blocks.push({ kind: 'p', text: input.modelNote ?? 'No model in this run.' });
  for (const m of models) blocks.push(...modelBlocks(m.model, m.observed));
  const fitted = models.map((m) => m.model);

  for (const suite of input.suites) {
    const rs = input.results.filter((r) => r.suite === suite.name);
    if (rs.length === 0) continue;
    blocks.push({ kind: 'h', level: 2, text: `${suite.name}: ${suite.title}` });
    blocks.push({ kind: 'p', text: suite.description });
    const keys = Object.keys(rs[0]!.point);
    const metrics = suite.metrics.filter((md) => rs.some((r) => r.metrics[md.name] !== undefined));
    const primary = suite.metrics.find((md) => md.name === suite.primary);
    const others = metrics.filter((md) => md.name !== suite.primary);
    const head = [...keys, `${primary?.label ?? suite.primary} (${primary?.unit ?? ''})`, ...others.map((md) => md.label ?? md.name),
      ...suite.baselines.map((b) => `vs ${baselineLabel(b)}`)];
    const rows = rs.filter((r) => r.status === 'ok').map((r) => [
      ...keys.map((k) => String(r.point[k])),
      spreadText(r, suite.primary),
      ...others.map((md) => formatValue(r.metrics[md.name]?.median, md.unit)),
      ...suite.baselines.map((b) => {
        const v = r.ratios[baselineLabel(b)]?.[suite.primary];
        return v === undefined ? '–' : formatValue(v, 'x');
      }),
    ]);
    if (rows.length > 0) blocks.push({ kind: 'table', head, rows });
    for (const d of suite.details?.(rs) ?? []) {
      blocks.push({ kind: 'p', text: `**${d.title}**` }, { kind: 'table', head: d.head, rows: d.rows });
    }
    const missing = rs.filter((r) => r.status !== 'ok');
    if (missing.length > 0) {
      blocks.push({ kind: 'list', items: missing.map((r) => `${r.status}: ${pointLabel(r.point)}: ${r.reason ?? ''}`) });
    }
    for (const c of suite.charts ?? []) {
      const series = chartSeries(c, suite, input.results, fitted);
      if (series.every((s) => s.dashed === true)) continue;
      const svg = renderChart(c, suite, input.results, fitted);
      const id = `${suite.name}-${c.id}`;
      charts.push({ id, title: c.title, svg });
      blocks.push({ kind: 'chart', id, title: c.title, svg });
    }
  }
  return { blocks, charts };
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown; charts are linked as charts/<id>.svg. */
export function renderMarkdown(blocks: readonly Block[], chartDir = 'charts'): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h': out.push(`${'#'.repeat(b.level)} ${b.text}`, ''); break;
      case 'p': out.push(b.text, ''); break;
      case 'list': out.push(...b.items.map((i) => `- ${i}`), ''); break;
      case 'table':
        out.push(`| ${b.head.map(mdCell).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`);
        for (const r of b.rows) out.push(`| ${r.map(mdCell).join(' | ')} |`);
        out.push('');
        break;
      case 'chart': out.push(`![${b.title}](${chartDir}/${b.id}.svg)`, ''); break;
    }
  }
  return out.join('\n');
}

/** Inline markdown used in texts: `code` and **bold** only. */
function inlineHtml(s: string): string {
  return escapeXml(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/** One HTML page with everything inline: no script, no link, no URL. */
export function renderHtml(blocks: readonly Block[], title: string): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h': body.push(`<h${b.level}>${inlineHtml(b.text)}</h${b.level}>`); break;
      case 'p': body.push(`<p>${inlineHtml(b.text)}</p>`); break;
      case 'list': body.push(`<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join('')}</ul>`); break;
      case 'table':
        body.push(`<table><thead><tr>${b.head.map((h) => `<th>${inlineHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
          b.rows.map((r) => `<tr>${r.map((c) => `<td>${inlineHtml(c)}</td>`).join('')}</tr>`).join('') + '</tbody></table>');
        break;
      case 'chart':
        // Inline SVG needs no namespace declaration in HTML, so the page names no URL at all.
        body.push(`<figure id="${escapeXml(b.id)}">${b.svg.replace(/ xmlns="[^"]*"/, '')}<figcaption>${inlineHtml(b.title)}</figcaption></figure>`);
        break;
    }
  }
  const css = 'body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}' +
    'table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}' +
    'th{background:#f3f3f3}code{background:#f3f3f3;padding:0 3px}figure{margin:1em 0}figcaption{font-size:12px;color:#555}';
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeXml(title)}</title>\n<style>${css}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`;
}
