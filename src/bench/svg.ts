/**
 * A small SVG line-chart plotter (no dependencies, nothing fetched at view
 * time): scaling curves with min..max error bars, log or linear axes, dashed
 * series for model predictions.
 */

export interface SeriesPoint {
  x: number;
  y: number;
  /** Spread shown as an error bar. */
  lo?: number;
  hi?: number;
}

export interface Series {
  name: string;
  points: SeriesPoint[];
  /** Drawn dashed, marked "(model)" in the legend by the caller. */
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Appended to the y tick labels ('s': 10ms, 100µs). */
  yUnit?: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** 1.2M, 350k, 12, 0.45, 3.1µ: short numbers for tick labels. */
export function formatSi(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const units: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n']];
  for (const [scale, suffix] of units) {
    if (a >= scale) {
      const x = v / scale;
      const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
      return `${Number(x.toFixed(digits))}${suffix}`;
    }
  }
  return v.toExponential(1);
}

/** Round tick positions covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const t = 10 ** e;
    if (t >= lo * 0.999 && t <= hi * 1.001) out.push(t);
  }
  return out.length >= 2 ? out : [lo, hi];
}

export function renderLineChart(c: LineChart): string {
  const W = c.width ?? 860, H = c.height ?? 420;
  const left = 72, right = 330, top = 36, bottom = 52;
  const pw = W - left - right, ph = H - top - bottom;
  const pts = c.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(c.title)}</text>`);
  if (pts.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text></svg>`);
    return parts.join('\n');
  }
  const xLog = c.xLog === true && pts.every((p) => p.x > 0);
  const ys = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter(Number.isFinite);
  const yLog = c.yLog === true && ys.every((y) => y > 0);
  let xMin = Math.min(...pts.map((p) => p.x)), xMax = Math.max(...pts.map((p) => p.x));
  let yMin = yLog ? Math.min(...ys) : Math.min(0, ...ys), yMax = Math.max(...ys);
  if (xMax === xMin) { xMin = xLog ? xMin / 2 : xMin - 1; xMax = xLog ? xMax * 2 : xMax + 1; }
  if (yMax === yMin) { yMax = yLog ? yMax * 2 : yMax + 1; if (yLog) yMin /= 2; }
  if (yLog) { yMin = 10 ** Math.floor(Math.log10(yMin)); yMax = 10 ** Math.ceil(Math.log10(yMax)); } else yMax *= 1.05;
  const fx = (x: number): number => left + pw * (xLog ? (Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin)) : (x - xMin) / (xMax - xMin));
  const fy = (y: number): number => top + ph * (1 - (yLog ? (Math.log(y) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin)) : (y - yMin) / (yMax - yMin)));
  const r = (v: number): string => v.toFixed(1);

  // Axes and grid.
  const xTicks = xLog ? [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b) : niceTicks(xMin, xMax, 6);
  const yTicks = yLog ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, 5);
  parts.push(`<g stroke="#e5e5e5" stroke-width="1">`);
  for (const t of yTicks) parts.push(`<line x1="${left}" y1="${r(fy(t))}" x2="${left + pw}" y2="${r(fy(t))}"/>`);
  parts.push('</g>');
  parts.push(`<g stroke="#333" stroke-width="1"><line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}"/></g>`);
  parts.push('<g fill="#333">');
  for (const t of xTicks) parts.push(`<text x="${r(fx(t))}" y="${top + ph + 16}" text-anchor="middle">${escapeXml(formatSi(t))}</text>`);
  for (const t of yTicks) parts.push(`<text x="${left - 6}" y="${r(fy(t) + 4)}" text-anchor="end">${escapeXml(formatSi(t) + (c.yUnit ?? ''))}</text>`);
  parts.push('</g>');
  parts.push(`<text x="${left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(c.xLabel)}${xLog ? ' (log scale)' : ''}</text>`);
  parts.push(`<text transform="translate(16 ${top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(c.yLabel)}${yLog ? ' (log scale)' : ''}</text>`);

  // Series.
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const sp = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!yLog || p.y > 0)).sort((a, b) => a.x - b.x);
    if (sp.length === 0) return;
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (sp.length > 1) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${sp.map((p) => `${r(fx(p.x))},${r(fy(p.y))}`).join(' ')}"/>`);
    }
    for (const p of sp) {
      if (p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo) && Number.isFinite(p.hi) && (!yLog || p.lo > 0)) {
        const x = r(fx(p.x));
        parts.push(`<line x1="${x}" y1="${r(fy(p.lo))}" x2="${x}" y2="${r(fy(p.hi))}" stroke="${color}" stroke-width="1.5"/>`);
      }
      if (s.dashed !== true) parts.push(`<circle cx="${r(fx(p.x))}" cy="${r(fy(p.y))}" r="3.5" fill="${color}"><title>${escapeXml(`${s.name}: ${formatSi(p.x)} → ${formatSi(p.y)}`)}</title></circle>`);
    }
    parts.push('</g>');
    const ly = top + 8 + i * 18;
    parts.push(`<line x1="${left + pw + 14}" y1="${ly}" x2="${left + pw + 38}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${left + pw + 44}" y="${ly + 4}">${escapeXml(s.name.length > 46 ? s.name.slice(0, 45) + '…' : s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
