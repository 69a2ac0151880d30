import test from 'ava';
import { escapeXml, formatSi, niceTicks, renderLineChart } from '../../src/bench/svg.js';
import { buildReport, formatValue, renderHtml, renderMarkdown } from '../../src/bench/report.js';
import type { MachineInfo, PointResult, SuiteDef } from '../../src/bench/types.js';

/** Well-formedness of the XML we emit: balanced tags, quoted attributes, no raw & or < in text. */
export function checkXml(xml: string): string | undefined {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!DOCTYPE[^>]*>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml)) !== null) {
    if (m[6] !== undefined) return `stray < at ${m.index}`;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|#39);)/.test(m[5])) return `raw & in text at ${m.index}`;
      continue;
    }
    if (m[2] === undefined) continue;
    const name = m[2];
    if (m[1] === '/') {
      const top = stack.pop();
      if (top !== name) return `</${name}> closes <${top ?? 'nothing'}> at ${m.index}`;
    } else if (m[4] !== '/' && !['meta', 'br'].includes(name)) stack.push(name);
  }
  return stack.length === 0 ? undefined : `unclosed <${stack.join('> <')}>`;
}

const machine: MachineInfo = { cores: 2, cpuModel: 'Test CPU', node: 'v20', platform: 'linux', arch: 'x64', totalMemGiB: 24, hostname: 'h' };

function result(point: PointResult['point'], rate: number, status: PointResult['status'] = 'ok'): PointResult {
  const m = (v: number, unit: string): PointResult['metrics'][string] => ({ median: v, min: v * 0.9, max: v * 1.1, q1: v, q3: v, mean: v, n: 3, unit, better: 'higher', samples: [v] });
  return {
    suite: 'fake', point, status, metrics: status === 'ok' ? { rate: m(rate, 'updates/s'), lat_p50: m(10e-6 * (point['cpus'] as number), 's') } : {},
    ratios: {}, warmup: 1, reps: 3, machine, loadavg: [1, 1, 1], date: '2026-01-01T00:00:00Z', seconds: 1, quick: true,
    ...(status === 'ok' ? {} : { reason: 'not built <yet> & later' }),
  };
}

const suite: SuiteDef = {
  name: 'fake', title: 'Fake & <title>', description: 'a "description" with <markup> & ampersands', grid: { cpus: [1, 2], transport: ['port', 'ring'] },
  baselines: [{ transport: 'port' }], metrics: [{ name: 'rate', unit: 'updates/s', better: 'higher' }, { name: 'lat_p50', unit: 's', better: 'lower' }],
  primary: 'rate', setup: () => ({ rep: () => ({}) }),
  charts: [{ id: 'rate', title: 'rate <by> cpus & transport', x: 'cpus', xLog: true, y: ['rate'], series: ['transport'] }],
};

test('formatSi and formatValue: short numbers with units', (t) => {
  t.is(formatSi(1_234_000), '1.23M');
  t.is(formatSi(350_000), '350k');
  t.is(formatSi(0.0000041), '4.1µ');
  t.is(formatValue(0.0000041, 's'), '4.1µs');
  t.is(formatValue(12.5, 'x'), '12.5x');
  t.is(formatValue(123.45, 'B'), '123.5 B');
  t.is(formatValue(undefined, 'B'), '–');
  t.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
});

test('renderLineChart: well-formed SVG with escaped text, error bars and a dashed model series', (t) => {
  const svg = renderLineChart({
    title: 'a <b> & "c"', xLabel: 'cpus', yLabel: 'rate', xLog: true, yLog: true,
    series: [
      { name: 'ring & <spin>', points: [{ x: 1, y: 100, lo: 90, hi: 110 }, { x: 2, y: 200, lo: 150, hi: 260 }, { x: 4, y: 300 }] },
      { name: 'model', dashed: true, points: [{ x: 1, y: 120 }, { x: 256, y: 50 }] },
    ],
  });
  t.is(checkXml(svg), undefined);
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.includes('a &lt;b&gt; &amp; &quot;c&quot;'));
  t.true(svg.includes('stroke-dasharray'));
  t.is((svg.match(/<polyline/g) ?? []).length, 2);
  t.true(svg.includes('(log scale)'));
  t.is(escapeXml('<&>'), '&lt;&amp;&gt;');
});

test('renderLineChart: no data is still a well-formed SVG saying so', (t) => {
  const svg = renderLineChart({ title: 'empty', xLabel: 'x', yLabel: 'y', series: [] });
  t.is(checkXml(svg), undefined);
  t.true(svg.includes('no data'));
});

test('buildReport: markdown tables with spread and ratios, charts, unavailable points listed', (t) => {
  const results = [result({ cpus: 1, transport: 'port' }, 100), result({ cpus: 1, transport: 'ring' }, 2000),
    result({ cpus: 2, transport: 'port' }, 90), result({ cpus: 2, transport: 'ring' }, 0, 'unavailable')];
  results[1]!.ratios['transport=port'] = { rate: 20 };
  const meta = { command: 'arpemu bench --quick', date: '2026-01-01T00:00:00Z', machine, loadStart: [1, 2, 3], loadEnd: [1, 2, 3], quick: true, seconds: 5 };
  const r = buildReport({ meta, suites: [suite], results, targets: [], modelNote: 'no model here' });
  const md = renderMarkdown(r.blocks);
  t.true(md.includes('| cpus | transport | rate (updates/s) | lat_p50 | vs transport=port |'));
  t.true(md.includes('| 1 | ring | 2k updates/s [1.8k–2.2k] ±10% | 10µs | 20.0x |'));
  t.true(md.includes('- unavailable: cpus=2 transport=ring: not built <yet> & later'));
  t.true(md.includes('![rate <by> cpus & transport](charts/fake-rate.svg)'));
  t.true(md.includes('arpemu bench --quick'));
  t.true(md.includes('2 cores, Test CPU'));
  t.is(r.charts.length, 1);
  t.is(checkXml(r.charts[0]!.svg), undefined);
});

test('renderHtml: self-contained (no URL, no script, no external reference) and well-formed', (t) => {
  const results = [result({ cpus: 1, transport: 'port' }, 100), result({ cpus: 2, transport: 'ring' }, 300)];
  const meta = { command: 'arpemu bench', date: 'now', machine, loadStart: [0], loadEnd: [0], quick: false, seconds: 1 };
  const html = renderHtml(buildReport({ meta, suites: [suite], results, targets: [] }).blocks, 'arpemu bench');
  t.false(/https?:\/\//.test(html), 'no http(s) URL anywhere');
  t.false(/<script|<link|<img|<iframe|src=|href=|@import|url\(/i.test(html));
  t.true(html.includes('<svg'));
  t.true(html.includes('Fake &amp; &lt;title&gt;'));
  t.is(checkXml(html.replace(/<style>[^<]*<\/style>/, '')), undefined);
});
