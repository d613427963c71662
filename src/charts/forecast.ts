/**
 * Forecast charts as Vega-Lite specs (pure: a forecast result in, specs out). One chart per
 * series: the history with the model's in-sample fit, the forecast with its interval band,
 * anomalies as points, the holidays that had a material effect as rules, and, when the model
 * reports a decomposition, a components panel (trend, each seasonality, holidays) on the
 * same time axis. Time ticks fall on month or year starts (days or hours for short spans).
 */
import type { TopLevelSpec } from 'vega-lite';
import { FREQ_INFO, horizonText } from '../forecast/calendar.js';
import type { ForecastResult, SeriesForecast } from '../forecast/types.js';

/** Epoch milliseconds of a forecast time ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', UTC). */
export function timeOf(ds: string): number {
  return Date.parse(ds.length <= 10 ? `${ds}T00:00:00Z` : `${ds.replace(' ', 'T')}Z`);
}

/** Colours of the forecast marks (also what tests look for in the pixels). */
export const FORECAST_COLORS = {
  actual: '#1f2937',
  fitted: '#a855f7',
  forecast: '#2563eb',
  interval: '#93c5fd',
  anomaly: '#dc2626',
  holiday: '#f59e0b',
  start: '#9ca3af',
  component: '#0f766e',
} as const;

const DAY = 86_400_000;

export interface TimeTicks {
  values: number[];
  /** d3 time format of the labels (UTC). */
  format: string;
  unit: 'year' | 'month' | 'day' | 'hour';
}

/**
 * Tick values on calendar boundaries within [t0, t1] (epoch ms, UTC): year starts for spans
 * of three years or more, month starts (every 1, 2, 3 or 6 months) from two months, else
 * day starts, else hours; at most about `max` ticks.
 */
export function timeTicks(t0: number, t1: number, max = 10): TimeTicks {
  const span = t1 - t0;
  const fits = (n: number): boolean => n <= max;
  if (!(span > 0)) return { values: Number.isFinite(t0) ? [t0] : [], format: '%Y-%m-%d', unit: 'day' };
  const d0 = new Date(t0);
  const d1 = new Date(t1);
  if (span >= 3 * 365 * DAY) {
    const y0 = d0.getUTCFullYear() + (t0 > Date.UTC(d0.getUTCFullYear(), 0, 1) ? 1 : 0);
    const y1 = d1.getUTCFullYear();
    const step = [1, 2, 5, 10, 20, 50, 100].find((s) => fits(Math.floor((y1 - y0) / s) + 1)) ?? 100;
    const values: number[] = [];
    for (let y = Math.ceil(y0 / step) * step; y <= y1; y += step) values.push(Date.UTC(y, 0, 1));
    return { values, format: '%Y', unit: 'year' };
  }
  if (span >= 60 * DAY) {
    const m0 = d0.getUTCFullYear() * 12 + d0.getUTCMonth() + (t0 > Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth(), 1) ? 1 : 0);
    const m1 = d1.getUTCFullYear() * 12 + d1.getUTCMonth();
    const step = [1, 2, 3, 6, 12].find((s) => fits(Math.floor((m1 - m0) / s) + 1)) ?? 12;
    const values: number[] = [];
    for (let m = Math.ceil(m0 / step) * step; m <= m1; m += step) values.push(Date.UTC(Math.floor(m / 12), m % 12, 1));
    return { values, format: step === 12 ? '%Y' : '%b %Y', unit: 'month' };
  }
  if (span >= 3 * DAY) {
    const first = Math.ceil(t0 / DAY) * DAY;
    const step = [1, 2, 7, 14].find((s) => fits(Math.floor((t1 - first) / (s * DAY)) + 1)) ?? 14;
    const values: number[] = [];
    for (let t = first; t <= t1; t += step * DAY) values.push(t);
    return { values, format: '%b %d', unit: 'day' };
  }
  const H = 3_600_000;
  const step = [1, 2, 3, 6, 12, 24].find((s) => fits(Math.floor(span / (s * H)) + 1)) ?? 24;
  const values: number[] = [];
  for (let t = Math.ceil(t0 / (step * H)) * step * H; t <= t1; t += step * H) values.push(t);
  return { values, format: '%b %d %H:%M', unit: 'hour' };
}

export interface ForecastChartOptions {
  /** What the series measures when the result does not say (file mode: the value column). */
  metric?: string;
  /** Hover points and x zoom (for the HTML view); off for SVG/PNG. */
  interactive?: boolean;
  /** History points drawn at most (the latest); default 2000. */
  historyPoints?: number;
  width?: number;
}

const AGG_WORDS: Record<string, string> = { count: 'count of events', sum: 'sum of values', mean: 'mean value', dau: 'distinct active units' };

/** "purchase: sum of values per day": the metric and its aggregation, never a file path. */
export function forecastTitle(result: ForecastResult, options: ForecastChartOptions = {}): string {
  const metric = result.source.metric ?? options.metric ?? 'value';
  const unit = FREQ_INFO[result.freq].unit;
  const agg = result.source.agg;
  const how = agg ? (AGG_WORDS[agg] ?? agg) : null;
  return `Forecast of ${metric}${how ? `: ${how}` : ''} per ${unit}`;
}

function subtitleOf(result: ForecastResult, s: SeriesForecast, clipped: string | null): string[] {
  const by = result.source.by ?? 'group';
  const bits = [
    ...(s.group !== null ? [`${by} = ${s.group}`] : []),
    `model ${s.model}`,
    `${horizonText(result.freq, result.horizon)} ahead`,
    `${Math.round(result.level * 100)}% interval`,
  ];
  if (s.anomalies.length > 0) bits.push(`${s.anomalies.length} anomal${s.anomalies.length === 1 ? 'y' : 'ies'}`);
  const lines = [bits.join(' · ')];
  if (clipped) lines.push(clipped);
  return lines;
}

type Row = Record<string, string | number | null>;

const finite = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

/** The Vega-Lite spec of one series (a vconcat of the main panel and, when known, the components). */
export function seriesSpec(result: ForecastResult, s: SeriesForecast, options: ForecastChartOptions = {}): TopLevelSpec {
  const width = options.width ?? 820;
  const interactive = options.interactive ?? false;
  const all = s.history ?? [];
  const keep = options.historyPoints ?? 2000;
  const history = all.slice(-keep);
  const from = history.length > 0 ? timeOf(history[0]?.ds ?? '') : s.forecast.length > 0 ? timeOf(s.forecast[0]?.ds ?? '') : 0;
  const clipped = all.length > history.length ? `last ${history.length} of ${all.length} history points shown` : null;
  const hist: Row[] = history.map((h) => ({ t: timeOf(h.ds), ds: h.ds, y: finite(h.y), fitted: finite(h.fitted) }));
  const fc: Row[] = s.forecast.map((f) => ({ t: timeOf(f.ds), ds: f.ds, yhat: finite(f.yhat), lower: finite(f.yhat_lower), upper: finite(f.yhat_upper) }));
  const anomalies: Row[] = s.anomalies.filter((a) => timeOf(a.ds) >= from).map((a) => ({ t: timeOf(a.ds), ds: a.ds, y: a.y, expected: a.expected, score: Number(a.score.toFixed(1)) }));
  // Only holidays that moved the metric: the engine's material flag, not every public holiday.
  const material = new Set(s.holidays.filter((h) => h.material).map((h) => h.name));
  const effects = new Map(s.holidays.map((h) => [h.name, h.effect]));
  const holidays: Row[] = (s.holiday_dates ?? [])
    .filter((h) => material.has(h.name) && timeOf(h.ds) >= from)
    .map((h) => ({ t: timeOf(h.ds), ds: h.ds, name: h.name, effect: Number((effects.get(h.name) ?? 0).toPrecision(4)) }));
  const times = [...hist.map((r) => r.t as number), ...fc.map((r) => r.t as number)];
  const t0 = times.length > 0 ? Math.min(...times) : 0;
  const t1 = times.length > 0 ? Math.max(...times) : 1;
  const ticks = timeTicks(t0, t1);
  const x = {
    field: 't',
    type: 'temporal' as const,
    title: null,
    scale: { type: 'utc' as const, domain: [t0, t1] },
    axis: { values: ticks.values, format: ticks.format, labelOverlap: true, labelFlush: true },
  };
  const date = { field: 'ds', type: 'nominal' as const, title: 'date' };
  // The legend lists only the marks that are drawn (no "anomaly" or "holiday" without any).
  const drawn: Record<string, boolean> = {
    actual: hist.length > 0,
    fitted: hist.some((r) => r.fitted !== null),
    forecast: fc.length > 0,
    interval: fc.length > 0,
    anomaly: anomalies.length > 0,
    holiday: holidays.length > 0,
  };
  const domain = Object.keys(drawn).filter((k) => drawn[k]);
  const range = domain.map((k) => FORECAST_COLORS[k as keyof typeof FORECAST_COLORS]);
  const color = (datum: string) => ({ datum, type: 'nominal' as const, scale: { domain, range }, legend: { title: null, orient: 'top' as const, direction: 'horizontal' as const, symbolOpacity: 1 } });
  const y = (field: string) => ({ field, type: 'quantitative' as const, title: null, scale: { zero: false } });
  const layers: Record<string, unknown>[] = [];
  if (fc.length > 0) {
    layers.push({
      data: { values: fc },
      mark: { type: 'area', opacity: 0.45, tooltip: interactive },
      encoding: { x, y: y('lower'), y2: { field: 'upper' }, color: color('interval'), ...(interactive ? { tooltip: [date, { field: 'lower', type: 'quantitative', format: ',.4~g' }, { field: 'upper', type: 'quantitative', format: ',.4~g' }] } : {}) },
    });
  }
  if (holidays.length > 0) {
    layers.push({
      data: { values: holidays },
      mark: { type: 'rule', strokeWidth: 2, opacity: 1, tooltip: interactive },
      encoding: { x, color: color('holiday'), tooltip: [date, { field: 'name', type: 'nominal', title: 'holiday' }, { field: 'effect', type: 'quantitative', title: 'effect' }] },
    });
  }
  if (fc.length > 0 && hist.length > 0) {
    layers.push({ data: { values: [{ t: fc[0]?.t ?? t1 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: FORECAST_COLORS.start }, encoding: { x } });
  }
  if (hist.some((r) => r.fitted !== null)) {
    layers.push({
      data: { values: hist },
      mark: { type: 'line', strokeWidth: 1.2, strokeDash: [3, 2], invalid: 'break-paths-show-domains' },
      encoding: { x, y: y('fitted'), color: color('fitted') },
    });
  }
  if (hist.length > 0) {
    layers.push({
      data: { values: hist },
      mark: { type: 'line', strokeWidth: 1.4, invalid: 'break-paths-show-domains' },
      encoding: { x, y: y('y'), color: color('actual') },
      ...(interactive ? { params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }] } : {}),
    });
    if (interactive) {
      layers.push({
        data: { values: hist.filter((r) => r.y !== null) },
        mark: { type: 'point', opacity: 0, size: 60, tooltip: true },
        encoding: { x, y: y('y'), tooltip: [date, { field: 'y', type: 'quantitative', title: 'actual', format: ',.6~g' }, { field: 'fitted', type: 'quantitative', format: ',.6~g' }] },
      });
    }
  }
  if (fc.length > 0) {
    layers.push({
      data: { values: fc },
      mark: { type: 'line', strokeWidth: 2.2, point: interactive ? { size: 20, opacity: 0 } : false, tooltip: interactive },
      encoding: { x, y: y('yhat'), color: color('forecast'), ...(interactive ? { tooltip: [date, { field: 'yhat', type: 'quantitative', title: 'forecast', format: ',.6~g' }, { field: 'lower', type: 'quantitative', format: ',.6~g' }, { field: 'upper', type: 'quantitative', format: ',.6~g' }] } : {}) },
    });
  }
  if (anomalies.length > 0) {
    layers.push({
      data: { values: anomalies },
      mark: { type: 'point', filled: true, size: 45, opacity: 1, tooltip: interactive },
      encoding: { x, y: y('y'), color: color('anomaly'), tooltip: [date, { field: 'y', type: 'quantitative', title: 'actual', format: ',.6~g' }, { field: 'expected', type: 'quantitative', format: ',.6~g' }, { field: 'score', type: 'quantitative' }] },
    });
  }
  const main = { width, height: 280, layer: layers };
  const panels: Record<string, unknown>[] = [main];
  const comp = componentsPanel(s, from, t1, x, width);
  if (comp) panels.push(comp);
  const title = { text: forecastTitle(result, options), subtitle: subtitleOf(result, s, clipped) };
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', title, vconcat: panels, spacing: 36, bounds: 'flush' } as unknown as TopLevelSpec;
}

/** Long-format rows of the decomposition within the drawn range, trend first. */
export function componentRows(s: SeriesForecast, from = -Infinity): { t: number; ds: string; component: string; value: number }[] {
  const c = s.components;
  if (!c) return [];
  const parts: { name: string; values: number[] | null }[] = [
    { name: 'trend', values: c.trend },
    ...c.seasonal.map((x) => ({ name: x.name, values: x.values })),
    { name: 'holidays', values: c.holidays },
    ...c.regressors.map((x) => ({ name: x.name, values: x.values })),
  ];
  const rows: { t: number; ds: string; component: string; value: number }[] = [];
  for (const p of parts) {
    if (!p.values) continue;
    c.ds.forEach((ds, i) => {
      const v = p.values?.[i];
      const t = timeOf(ds);
      if (v !== undefined && Number.isFinite(v) && t >= from) rows.push({ t, ds, component: p.name, value: v });
    });
  }
  return rows;
}

function componentsPanel(s: SeriesForecast, from: number, t1: number, x: Record<string, unknown>, width: number): Record<string, unknown> | null {
  const rows = componentRows(s, from).filter((r) => r.t <= t1);
  if (rows.length === 0) return null;
  const order = [...new Set(rows.map((r) => r.component))];
  return {
    data: { values: rows },
    facet: { row: { field: 'component', type: 'nominal', sort: order, title: null, header: { labelOrient: 'top', labelAnchor: 'start', labelFontSize: 11, labelPadding: 2 } } },
    spacing: 8,
    spec: {
      width,
      height: 64,
      mark: { type: 'line', strokeWidth: 1.3, color: FORECAST_COLORS.component },
      encoding: { x: { ...x, axis: { ...(x.axis as object), labels: true } }, y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false }, axis: { tickCount: 3 } } },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The series a picture draws, the largest by forecast first when there are more than `max`. */
export function chartedSeries(result: ForecastResult, max: number): SeriesForecast[] {
  if (result.series.length <= max) return result.series;
  const meanOf = (s: SeriesForecast): number => s.forecast.reduce((a, p) => a + p.yhat, 0) / Math.max(1, s.forecast.length);
  return [...result.series].sort((a, b) => meanOf(b) - meanOf(a)).slice(0, max);
}

/** One spec per series drawn (at most `max`, the largest first). */
export function forecastSpecs(result: ForecastResult, options: ForecastChartOptions & { max?: number } = {}): TopLevelSpec[] {
  return chartedSeries(result, options.max ?? 50).map((s) => seriesSpec(result, s, options));
}
