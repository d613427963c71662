/**
 * Forecast charts: a compact terminal chart (plain characters, optional colour), an SVG chart
 * per series, a standalone HTML page holding them, and a PNG of that page rendered headless
 * with the discovered Chromium. Renderers take plain data and return strings.
 */
import type { ChalkInstance } from 'chalk';
import { FREQ_INFO, freqUnits } from '../forecast/calendar.js';
import type { ForecastResult, SeriesForecast } from '../forecast/types.js';
import { formatNumber, renderTable } from './table.js';
import { int, num, wrap } from './format.js';

export interface ChartSeries {
  title: string;
  history: { ds: string; y: number | null }[];
  forecast: { ds: string; yhat: number; yhat_lower: number; yhat_upper: number }[];
  anomalies: { ds: string; y: number }[];
  holidays: { ds: string; name: string }[];
}

export function chartSeriesOf(s: SeriesForecast, title?: string): ChartSeries {
  return {
    title: title ?? (s.group ?? 'forecast'),
    history: (s.history ?? []).map((h) => ({ ds: h.ds, y: h.y })),
    forecast: s.forecast,
    anomalies: s.anomalies.map((a) => ({ ds: a.ds, y: a.y })),
    holidays: s.holiday_dates ?? [],
  };
}

/** Epoch milliseconds of a chart time ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', UTC). */
export function timeOf(ds: string): number {
  return Date.parse(ds.length <= 10 ? `${ds}T00:00:00Z` : `${ds.replace(' ', 'T')}Z`);
}

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - Math.max(1, Math.abs(lo) * 0.05), hi + Math.max(1, Math.abs(hi) * 0.05)];
  return [lo, hi];
}

/** Round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface TerminalChartOptions {
  width?: number;
  height?: number;
  /** History points shown before the forecast (default: three horizons, at least 60). */
  historyPoints?: number;
  color?: ChalkInstance;
}

/**
 * A compact terminal chart: history `•`, forecast `*`, interval band `░`, anomalies `x`, the
 * forecast start marked on the time axis. One column per time bucket.
 */
export function renderTerminalChart(chart: ChartSeries, options: TerminalChartOptions = {}): string {
  const width = Math.max(20, options.width ?? 64);
  const height = Math.max(5, options.height ?? 10);
  const c = options.color;
  const keep = options.historyPoints ?? Math.max(60, 3 * chart.forecast.length);
  const hist = chart.history.slice(-keep);
  type P = { t: number; y: number | null; lo?: number; hi?: number; kind: 'h' | 'f' };
  const pts: P[] = [
    ...hist.map((h): P => ({ t: timeOf(h.ds), y: h.y, kind: 'h' })),
    ...chart.forecast.map((f): P => ({ t: timeOf(f.ds), y: f.yhat, lo: f.yhat_lower, hi: f.yhat_upper, kind: 'f' })),
  ];
  if (pts.length === 0) return '';
  const anomalyTimes = new Set(chart.anomalies.map((a) => timeOf(a.ds)));
  const cols = Math.min(width, pts.length);
  const buckets = Array.from({ length: cols }, () => ({ h: [] as number[], f: [] as number[], lo: Infinity, hi: -Infinity, anomaly: false }));
  pts.forEach((p, i) => {
    const b = buckets[Math.min(cols - 1, Math.floor((i * cols) / pts.length))];
    if (!b) return;
    if (p.y !== null && Number.isFinite(p.y)) (p.kind === 'h' ? b.h : b.f).push(p.y);
    if (p.lo !== undefined && p.hi !== undefined) {
      b.lo = Math.min(b.lo, p.lo);
      b.hi = Math.max(b.hi, p.hi);
    }
    if (p.kind === 'h' && anomalyTimes.has(p.t)) b.anomaly = true;
  });
  const [lo, hi] = extent(pts.flatMap((p) => [p.y ?? NaN, p.lo ?? NaN, p.hi ?? NaN]));
  const row = (v: number): number => Math.max(0, Math.min(height - 1, Math.round(((hi - v) / (hi - lo)) * (height - 1))));
  const grid: string[][] = Array.from({ length: height }, () => new Array<string>(cols).fill(' '));
  const paint = (r: number, col: number, ch: string, style?: (s: string) => string): void => {
    const line = grid[r];
    if (line) line[col] = style ? style(ch) : ch;
  };
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  buckets.forEach((b, col) => {
    if (Number.isFinite(b.lo)) for (let r = row(b.hi); r <= row(b.lo); r++) paint(r, col, '░', c ? (s) => c.cyan.dim(s) : undefined);
    if (b.h.length > 0) paint(row(mean(b.h)), col, b.anomaly ? 'x' : '•', b.anomaly && c ? (s) => c.red(s) : undefined);
    if (b.f.length > 0) paint(row(mean(b.f)), col, '*', c ? (s) => c.cyan.bold(s) : undefined);
  });
  const labels = [num(hi), num((hi + lo) / 2), num(lo)];
  const lw = Math.max(...labels.map((l) => l.length));
  const lines = grid.map((cells, r) => {
    const label = r === 0 ? labels[0] : r === Math.floor((height - 1) / 2) ? labels[1] : r === height - 1 ? labels[2] : '';
    return `${(label ?? '').padStart(lw)} ┤${cells.join('')}`;
  });
  const firstForecastCol = buckets.findIndex((b) => b.f.length > 0);
  const axis = new Array<string>(cols).fill('─');
  if (firstForecastCol >= 0) axis[firstForecastCol] = '┬';
  lines.push(`${' '.repeat(lw)} └${axis.join('')}`);
  const start = pts[0]?.t ?? 0;
  const end = pts[pts.length - 1]?.t ?? 0;
  const fmt = (t: number): string => new Date(t).toISOString().slice(0, 10);
  const fStart = chart.forecast[0]?.ds.slice(0, 10) ?? '';
  const left = fmt(start);
  const right = fmt(end);
  let axisText = `${left}${' '.repeat(Math.max(1, cols - left.length - right.length))}${right}`;
  if (firstForecastCol > left.length + 1 && firstForecastCol + fStart.length < cols - right.length - 1) {
    axisText = `${left}${' '.repeat(firstForecastCol - left.length)}${fStart}${' '.repeat(cols - firstForecastCol - fStart.length - right.length)}${right}`;
  }
  lines.push(`${' '.repeat(lw + 2)}${axisText}`);
  const legend = `${' '.repeat(lw + 2)}• history  * forecast  ░ interval${chart.anomalies.length > 0 ? '  x anomaly' : ''}`;
  lines.push(c ? c.dim(legend) : legend);
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface SvgChartOptions {
  width?: number;
  height?: number;
  /** Interval level, for the legend. */
  level?: number;
  subtitle?: string;
  /** History points drawn before the forecast (default: all up to 1000, else the last max(4 horizons, 730)). */
  historyPoints?: number;
}

/** One series as a standalone SVG: history, forecast, interval band, holidays and anomalies. */
export function renderSvgChart(full: ChartSeries, options: SvgChartOptions = {}): string {
  const W = options.width ?? 920;
  const H = options.height ?? 360;
  const keep = options.historyPoints ?? (full.history.length <= 1000 ? full.history.length : Math.max(4 * full.forecast.length, 730));
  const history = full.history.slice(-keep);
  const from = history.length > 0 ? timeOf(history[0]?.ds ?? '') : -Infinity;
  const chart: ChartSeries = {
    ...full,
    history,
    anomalies: full.anomalies.filter((a) => timeOf(a.ds) >= from),
    holidays: full.holidays.filter((h) => timeOf(h.ds) >= from),
  };
  const clipped = full.history.length - history.length;
  const subtitle = options.subtitle ?? '';
  const m = { l: 64, r: 24, t: subtitle ? 50 : 36, b: 58 };
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const times = [...chart.history.map((h) => timeOf(h.ds)), ...chart.forecast.map((f) => timeOf(f.ds))];
  const [t0, t1] = extent(times);
  const [lo, hi] = extent([
    ...chart.history.map((h) => h.y ?? NaN),
    ...chart.forecast.flatMap((f) => [f.yhat_lower, f.yhat_upper, f.yhat]),
  ]);
  const pad = (hi - lo) * 0.05;
  const ylo = lo - pad;
  const yhi = hi + pad;
  const x = (t: number): number => m.l + (t1 > t0 ? ((t - t0) / (t1 - t0)) * iw : iw / 2);
  const y = (v: number): number => m.t + ((yhi - v) / (yhi - ylo)) * ih;
  const f2 = (v: number): string => v.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${m.l}" y="18" font-size="14" font-weight="600" fill="#111">${esc(chart.title)}</text>`);
  if (subtitle) parts.push(`<text x="${m.l}" y="36" fill="#555">${esc(subtitle.length > 150 ? `${subtitle.slice(0, 149)}…` : subtitle)}</text>`);
  // Grid and y axis.
  for (const v of niceTicks(ylo, yhi, 5)) {
    const yy = f2(y(v));
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#666">${esc(formatNumber(v))}</text>`);
  }
  // Time axis ticks.
  const tickCount = 6;
  for (let i = 0; i <= tickCount; i++) {
    const t = t0 + ((t1 - t0) * i) / tickCount;
    const xx = f2(x(t));
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${m.t + ih}" y2="${m.t + ih + 4}" stroke="#999"/>`);
    const anchor = i === 0 ? 'start' : i === tickCount ? 'end' : 'middle';
    parts.push(`<text x="${xx}" y="${m.t + ih + 16}" text-anchor="${anchor}" fill="#666">${new Date(t).toISOString().slice(0, 10)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ih}" y2="${m.t + ih}" stroke="#999"/>`);
  // Holidays.
  for (const h of chart.holidays) {
    const t = timeOf(h.ds);
    if (t < t0 || t > t1) continue;
    const xx = f2(x(t));
    parts.push(`<line class="holiday" x1="${xx}" x2="${xx}" y1="${m.t}" y2="${m.t + ih}" stroke="#f59e0b" stroke-opacity="0.35"><title>${esc(`${h.ds} ${h.name}`)}</title></line>`);
  }
  // Interval band.
  if (chart.forecast.length > 0) {
    const upper = chart.forecast.map((f) => `${f2(x(timeOf(f.ds)))},${f2(y(f.yhat_upper))}`);
    const lower = chart.forecast.map((f) => `${f2(x(timeOf(f.ds)))},${f2(y(f.yhat_lower))}`).reverse();
    parts.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="#3b82f6" fill-opacity="0.18" stroke="none"/>`);
    const fx = f2(x(timeOf(chart.forecast[0]?.ds ?? '')));
    parts.push(`<line x1="${fx}" x2="${fx}" y1="${m.t}" y2="${m.t + ih}" stroke="#94a3b8" stroke-dasharray="4 3"/>`);
  }
  // History (broken at gaps).
  const segments: string[][] = [];
  let cur: string[] = [];
  for (const h of chart.history) {
    if (h.y === null || !Number.isFinite(h.y)) {
      if (cur.length > 0) segments.push(cur);
      cur = [];
      continue;
    }
    cur.push(`${f2(x(timeOf(h.ds)))},${f2(y(h.y))}`);
  }
  if (cur.length > 0) segments.push(cur);
  for (const s of segments) {
    parts.push(
      s.length === 1
        ? `<circle class="history" cx="${s[0]?.split(',')[0]}" cy="${s[0]?.split(',')[1]}" r="1.5" fill="#334155"/>`
        : `<polyline class="history" points="${s.join(' ')}" fill="none" stroke="#334155" stroke-width="1.2"/>`,
    );
  }
  if (chart.forecast.length > 0) {
    parts.push(`<polyline class="forecast" points="${chart.forecast.map((f) => `${f2(x(timeOf(f.ds)))},${f2(y(f.yhat))}`).join(' ')}" fill="none" stroke="#2563eb" stroke-width="2"/>`);
  }
  for (const a of chart.anomalies) {
    parts.push(`<circle class="anomaly" cx="${f2(x(timeOf(a.ds)))}" cy="${f2(y(a.y))}" r="3.5" fill="none" stroke="#dc2626" stroke-width="1.5"><title>${esc(`${a.ds}: ${formatNumber(a.y)}`)}</title></circle>`);
  }
  // Legend.
  const lx = m.l;
  const ly = H - 14;
  const level = options.level !== undefined ? `${Math.round(options.level * 100)}% interval` : 'interval';
  parts.push(`<g class="legend" transform="translate(${lx},${ly})">`);
  parts.push(`<line x1="0" x2="16" y1="0" y2="0" stroke="#334155" stroke-width="1.5"/><text x="20" y="0" dominant-baseline="middle">history</text>`);
  parts.push(`<line x1="70" x2="86" y1="0" y2="0" stroke="#2563eb" stroke-width="2"/><text x="90" y="0" dominant-baseline="middle">forecast</text>`);
  parts.push(`<rect x="148" y="-5" width="16" height="10" fill="#3b82f6" fill-opacity="0.18"/><text x="168" y="0" dominant-baseline="middle">${esc(level)}</text>`);
  parts.push(`<circle cx="250" cy="0" r="3.5" fill="none" stroke="#dc2626" stroke-width="1.5"/><text x="258" y="0" dominant-baseline="middle">anomaly</text>`);
  parts.push(`<line x1="318" x2="318" y1="-6" y2="6" stroke="#f59e0b"/><text x="323" y="0" dominant-baseline="middle">holiday</text>`);
  parts.push('</g>');
  if (clipped > 0) parts.push(`<text x="${W - m.r}" y="${ly}" text-anchor="end" dominant-baseline="middle" fill="#777">last ${history.length} of ${full.history.length} history points shown</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function describeSeries(s: SeriesForecast): string {
  const bits = [`model ${s.model}`, `${s.points} points`];
  const best = s.candidates.find((c) => c.model === s.model);
  if (best?.smape !== null && best?.smape !== undefined) bits.push(`CV sMAPE ${best.smape.toFixed(2)}%`);
  if (s.anomalies.length > 0) bits.push(`${s.anomalies.length} anomal${s.anomalies.length === 1 ? 'y' : 'ies'}`);
  const material = s.holidays.filter((h) => h.material).map((h) => h.name);
  if (material.length > 0) bits.push(`holidays with an effect: ${material.slice(0, 3).join(', ')}${material.length > 3 ? ` and ${material.length - 3} more` : ''}`);
  return bits.join(' · ');
}

export interface HtmlReportOptions {
  title?: string;
  /** Charts drawn at most (the page notes the rest). */
  maxCharts?: number;
}

/** A standalone HTML page (no external assets) with one SVG chart per series. */
export function renderHtmlReport(result: ForecastResult, options: HtmlReportOptions = {}): string {
  const max = options.maxCharts ?? 50;
  const title = options.title ?? `Forecast: ${result.source.metric ?? result.source.name}`;
  const shown = result.series.slice(0, max);
  const by = result.source.by ?? 'group';
  const charts = shown.map((s) => {
    const name = s.group !== null ? `${by} = ${s.group}` : (result.source.metric ?? 'forecast');
    return `<figure class="chart">${renderSvgChart(chartSeriesOf(s, name), { level: result.level, subtitle: describeSeries(s) })}</figure>`;
  });
  const more = result.series.length > max ? `<p class="note">${result.series.length - max} more series not drawn (see the CSV or JSON output).</p>` : '';
  const divergent =
    result.divergent.length > 0
      ? `<p class="note">Series that diverge from their peers: ${result.divergent.map((d) => esc(d.group)).join(', ')}</p>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #111; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
p.meta, p.note { color: #555; font-size: 13px; margin: 4px 0 16px; }
figure.chart { margin: 0 0 20px; }
svg { max-width: 100%; height: auto; }
</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(`${result.horizon} ${freqUnits(result.freq)} ahead · ${Math.round(result.level * 100)}% intervals · model ${result.model} · ${result.series.length} series`)}</p>
${divergent}
${charts.join('\n')}
${more}
</body></html>
`;
}

/** Renders an HTML page to a PNG file with a headless Chromium (playwright-core). */
export async function renderPng(html: string, file: string, browserPath: string): Promise<void> {
  const { launchBrowser } = await import('../web/browser.js');
  const browser = await launchBrowser(browserPath);
  try {
    const page = await browser.newPage({ viewport: { width: 980, height: 420 }, deviceScaleFactor: 1 });
    await page.setContent(html, { waitUntil: 'load' });
    await page.screenshot({ path: file, fullPage: true, type: 'png' });
  } finally {
    await browser.close();
  }
}

export interface ForecastTextOptions {
  /** Draw terminal charts (needs the history in the result). */
  charts?: boolean;
  color?: ChalkInstance;
  /** Width of a terminal chart's plot area. */
  width?: number;
  /** Widest line a table may draw (the terminal's width; undefined: no limit). */
  columns?: number | undefined;
  /** Forecast rows printed at most. */
  maxRows?: number;
  /** Charts drawn at most (the largest series first). */
  maxCharts?: number;
  /** summary: one row per group; full: one row per time step. Default: summary with groups, full without. */
  table?: 'summary' | 'full' | undefined;
  /** Files written, shown at the end. */
  files?: string[];
}

const pctText = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const numText = (v: number | null | undefined): string => num(v, 6);

/** The human rendering of `statsig-hack forecast`. */
export function renderForecastText(result: ForecastResult, options: ForecastTextOptions = {}): string {
  const grouped = result.series.some((s) => s.group !== null);
  const groupName = result.source.by ?? 'group';
  const unit = freqUnits(result.freq);
  const what =
    result.source.kind === 'store'
      ? `${result.source.metric}${result.source.agg !== result.source.metric ? ` (${result.source.agg})` : ''} from the project store`
      : result.source.kind === 'file'
        ? result.source.name
        : 'the series';
  const lines: string[] = [];
  lines.push(
    `Forecast of ${what}${grouped ? ` by ${groupName}` : ''}: ${result.horizon} ${unit} ahead, ${Math.round(result.level * 100)}% intervals, model ${result.model}, ${int(result.series.length)} series`,
  );
  const n = result.series.length;
  const step = FREQ_INFO[result.freq].unit;
  if (options.charts) {
    // The largest series by forecast first: with many groups those are the ones worth a look.
    const meanOf = (s: SeriesForecast): number => s.forecast.reduce((a, p) => a + p.yhat, 0) / Math.max(1, s.forecast.length);
    const charted = [...result.series].filter((s) => s.history).sort((a, b) => meanOf(b) - meanOf(a)).slice(0, Math.max(0, options.maxCharts ?? 3));
    if (grouped && charted.length < n) {
      lines.push(
        '',
        `Charts for ${charted.length} of ${n} ${groupName} groups, the largest by forecast: ${charted.map((s) => s.group).join(', ')}.`,
        `  Every group: --max-charts ${n}, or --plot forecast.html (one page).`,
      );
    }
    for (const s of charted) {
      lines.push('', `${s.group !== null ? `${groupName} = ${s.group} · ` : ''}model ${s.model}`);
      lines.push(renderTerminalChart(chartSeriesOf(s), { width: options.width, color: options.color }));
    }
  }
  const fit = { width: options.columns, drop: ['model'], shrink: [groupName] };
  const fullTable = options.table === 'full' || (options.table === undefined && !grouped);
  if (fullTable) {
    const rows = result.series.flatMap((s) => s.forecast.map((p) => (grouped ? { ds: p.ds, [groupName]: s.group, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper, model: s.model } : { ds: p.ds, yhat: p.yhat, yhat_lower: p.yhat_lower, yhat_upper: p.yhat_upper, model: s.model })));
    const maxRows = options.maxRows ?? 500;
    const round = (r: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? num(v, 6) : v]));
    const columns = grouped ? ['ds', groupName, 'yhat', 'yhat_lower', 'yhat_upper', 'model'] : ['ds', 'yhat', 'yhat_lower', 'yhat_upper', 'model'];
    lines.push('', renderTable(columns, rows.slice(0, maxRows).map(round), { ...fit, align: { yhat: 'right', yhat_lower: 'right', yhat_upper: 'right' } }));
    if (rows.length > maxRows) lines.push(`(${int(rows.length - maxRows)} more rows: write them all with --out forecast.csv, or use --json)`);
  } else {
    // One row per group: where the forecast starts, its mean, and where it ends with its interval.
    const level = Math.round(result.level * 100);
    const first = result.series[0]?.forecast[0]?.ds ?? '';
    const last = result.series[0]?.forecast[result.series[0].forecast.length - 1]?.ds ?? '';
    const shown = result.series.slice(0, 50);
    lines.push('', `Forecast per ${groupName}, ${first} .. ${last}:`);
    lines.push(
      renderTable(
        [groupName, 'first', 'mean', 'last', `last ${level}%`, 'model'],
        shown.map((s) => {
          const f = s.forecast;
          const end = f[f.length - 1];
          return {
            [groupName]: s.group,
            first: num(f[0]?.yhat ?? null),
            mean: num(f.reduce((a, p) => a + p.yhat, 0) / Math.max(1, f.length)),
            last: num(end?.yhat ?? null),
            [`last ${level}%`]: end ? `${num(end.yhat_lower)}..${num(end.yhat_upper)}` : 'n/a',
            model: s.model,
          };
        }),
        { ...fit, align: { first: 'right', mean: 'right', last: 'right' } },
      ),
    );
    lines.push(`(${shown.length < n ? `${n - shown.length} more groups and ` : ''}every ${step} of each group: --table full, --out forecast.csv, or --json)`);
  }

  const withCandidates = result.series.filter((s) => s.candidates.length > 0);
  if (withCandidates.length > 0) {
    const models = [...new Set(withCandidates.flatMap((s) => s.candidates.map((c) => c.model)))];
    lines.push('', `Rolling-origin cross-validation (auto picks the lowest MASE, the ensemble weights by it; per group: MASE):`);
    if (!grouped) {
      const s = withCandidates[0] as SeriesForecast;
      lines.push(
        renderTable(
          ['model', 'smape', 'mase', 'mae', 'rmse', 'coverage', 'fit_s', 'chosen'],
          s.candidates.map((c) => ({
            model: c.model,
            smape: c.error ? 'failed' : pctText(c.smape),
            mase: pctText(c.mase, 3),
            mae: numText(c.mae),
            rmse: numText(c.rmse),
            coverage: pctText(c.coverage, 3),
            fit_s: c.seconds.toFixed(2),
            chosen: c.model === s.model ? '✓' : '',
          })),
          { ...fit, drop: ['fit_s', 'rmse', 'mae'], align: { smape: 'right', mase: 'right', mae: 'right', rmse: 'right', coverage: 'right', fit_s: 'right' } },
        ),
      );
    } else {
      const table = withCandidates.slice(0, 50).map((s) => {
        const row: Record<string, unknown> = { [groupName]: s.group };
        for (const m of models) {
          const c = s.candidates.find((x) => x.model === m);
          row[m] = c ? (c.error ? 'failed' : pctText(c.mase, 3)) : '';
        }
        row.chosen = s.model;
        return row;
      });
      lines.push(renderTable([groupName, ...models, 'chosen'], table, { ...fit, align: Object.fromEntries(models.map((m) => [m, 'right' as const])) }));
      if (withCandidates.length > 50) lines.push(`(${withCandidates.length - 50} more series in --json)`);
      const counts = new Map<string, number>();
      for (const s of result.series) counts.set(s.model, (counts.get(s.model) ?? 0) + 1);
      lines.push(`Chosen: ${[...counts.entries()].map(([m, k]) => `${m} ${int(k)}`).join(', ')}`);
    }
  }

  const backtests = result.series.filter((s) => s.backtest);
  if (backtests.length > 0) {
    const b0 = backtests[0]?.backtest;
    lines.push('', `Backtest: ${b0?.cutoffs.length ?? 0} rolling-origin folds of ${result.horizon} ${unit} (cutoffs ${b0?.cutoffs[0] ?? ''} .. ${b0?.cutoffs[b0.cutoffs.length - 1] ?? ''}):`);
    const table = backtests.slice(0, 50).flatMap((s) =>
      (s.backtest?.models ?? []).map((c) => ({
        ...(grouped ? { [groupName]: s.group } : {}),
        model: c.model,
        mae: numText(c.mae),
        rmse: numText(c.rmse),
        smape: pctText(c.smape),
        mape: pctText(c.mape),
        mase: pctText(c.mase, 3),
        coverage: pctText(c.coverage, 3),
        points: c.n,
      })),
    );
    lines.push(
      renderTable([...(grouped ? [groupName] : []), 'model', 'mae', 'rmse', 'smape', 'mape', 'mase', 'coverage', 'points'], table, {
        ...fit,
        drop: ['points', 'mape', 'rmse'],
        align: { mae: 'right', rmse: 'right', smape: 'right', mape: 'right', mase: 'right', coverage: 'right' },
      }),
    );
  }

  const anomalies = result.series.flatMap((s) => s.anomalies.map((a) => ({ s, a })));
  if (anomalies.length > 0) {
    const total = anomalies.length;
    anomalies.sort((x, y) => Math.abs(y.a.score) - Math.abs(x.a.score));
    lines.push('', `Anomalies in the history: ${total} (runs of points far from trend + season, peak shown)${total > 20 ? ', the 20 largest' : ''}:`);
    lines.push(
      renderTable(
        ['ds', ...(grouped ? [groupName] : []), 'y', 'expected', 'magnitude', 'score', 'severity'],
        anomalies.slice(0, 20).map(({ s, a }) => ({
          ds: a.start === a.end ? a.ds : `${a.start}..${a.end}`,
          ...(grouped ? { [groupName]: s.group } : {}),
          y: num(a.y, 6),
          expected: num(a.expected, 6),
          magnitude: num(a.magnitude),
          score: Number(a.score.toFixed(1)),
          severity: a.severity,
        })),
        { ...fit, align: { y: 'right', expected: 'right', magnitude: 'right', score: 'right' } },
      ),
    );
  } else if (result.checks.anomalies) {
    lines.push('', 'Anomalies in the history: none.');
  }
  if (result.divergent.length > 0) {
    lines.push('', `Series that diverge from their peers:`);
    for (const d of result.divergent) {
      const when = d.intervals.map((i) => (i.end === null ? `from ${i.start}` : i.start === i.end ? i.start : `${i.start}..${i.end}`));
      lines.push(`  ${groupName} = ${d.group}: ${when.slice(0, 4).join(', ')}${when.length > 4 ? ', ...' : ''}`);
    }
  }
  const material = result.series.flatMap((s) => s.holidays.map((h) => ({ s, h })));
  if (material.length > 0) {
    lines.push('', 'Holidays with a consistent effect (same sign in at least 75% of occurrences, at least 3 standard errors):');
    lines.push(
      renderTable(
        [...(grouped ? [groupName] : []), 'holiday', 'effect', 'score', 'occurrences', 'same sign'],
        material.slice(0, 30).map(({ s, h }) => ({
          ...(grouped ? { [groupName]: s.group } : {}),
          holiday: h.name,
          effect: num(h.effect),
          score: Number(h.score.toFixed(1)),
          occurrences: h.occurrences,
          'same sign': `${Math.round(h.same_sign * 100)}%`,
        })),
        { ...fit, align: { effect: 'right', score: 'right', occurrences: 'right', 'same sign': 'right' } },
      ),
    );
  } else if (result.series.some((s) => s.country !== null)) {
    lines.push('', 'Holidays: none had a consistent effect.');
  }
  const notes = new Map<string, string[]>();
  for (const s of result.series) {
    for (const n of s.notes) {
      const list = notes.get(n) ?? [];
      list.push(s.group ?? '');
      notes.set(n, list);
    }
  }
  if (notes.size > 0) {
    lines.push('', 'Notes:');
    for (const [n, groups] of [...notes.entries()].slice(0, 20)) {
      lines.push(`  - ${n}${grouped ? ` (${groups.length === result.series.length ? 'all series' : groups.slice(0, 5).join(', ') + (groups.length > 5 ? ', ...' : '')})` : ''}`);
    }
  }
  for (const f of options.files ?? []) lines.push(`Wrote ${f}`);
  return wrap(lines.join('\n'), options.columns);
}
