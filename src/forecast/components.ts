/**
 * A robust seasonal-trend decomposition (STL-like, with running medians instead of loess) used
 * to score anomalies and to test holiday effects, and the model components of a forecast
 * (trend, seasonalities, holidays, regressors) over the history and the horizon.
 *
 * The decomposition: trend = running median over two seasons (+1), seasonal = the median of the
 * detrended values at the same phase in the 3 seasons on either side, trend re-estimated on the
 * deseasonalised series, residual = y - trend - seasonal. Medians ignore single spikes (a spike
 * stays in the residual instead of leaking into the trend or the season), and the residual's
 * scale is the MAD (1.4826 x median absolute deviation), so outliers do not inflate it.
 */
import type { ProphetPredictions } from '@bsull/augurs/prophet';
import { valueText } from './output.js';
import { FREQ_INFO, gridPosition, gridTime } from './calendar.js';
import { emptyScored, median, summarize, type Scored } from './metrics.js';
import { formatTime, interpolate } from './series.js';
import type { BacktestStep, ForecastComponents, Freq, ModelName, Transform } from './types.js';

export interface Decomposition {
  /** Season length in grid steps, or null when the series is too short for one. */
  period: number | null;
  trend: number[];
  seasonal: number[];
  /** y - trend - seasonal (NaN at gaps). */
  resid: number[];
  /** Median of the residuals. */
  center: number;
  /** Robust standard deviation of the residuals (1.4826 MAD). */
  scale: number;
}

/** Seasons on each side whose same-phase values set the seasonal component. */
const SEASON_NEIGHBOURS = 3;

/**
 * The season the decomposition removes: the longest of the frequency's periods seen at least
 * `minCycles` times (default four, for anomalies; the components accept two) (daily data uses the
 * week: the year is left to the running-median trend).
 */
export function decompositionPeriod(freq: Freq, n: number, minCycles = 4): number | null {
  let periods = FREQ_INFO[freq].periods.filter((p) => n >= minCycles * p);
  if (freq === 'D') periods = periods.filter((p) => p === 7);
  return periods[periods.length - 1] ?? null;
}

/** Insertion index of v in the sorted array a. */
function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Centered running median over `w` points (odd), skipping NaN, shrinking at the ends. */
export function runningMedian(x: number[], w: number): number[] {
  const n = x.length;
  const half = Math.max(0, (w - 1) >> 1);
  const win: number[] = [];
  const out = new Array<number>(n).fill(NaN);
  const add = (v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) win.splice(lowerBound(win, v), 0, v);
  };
  const remove = (v: number | undefined): void => {
    if (v !== undefined && Number.isFinite(v)) win.splice(lowerBound(win, v), 1);
  };
  for (let i = 0; i < Math.min(n, half); i++) add(x[i]);
  for (let i = 0; i < n; i++) {
    add(x[i + half]);
    if (i - half - 1 >= 0) remove(x[i - half - 1]);
    const m = win.length;
    if (m > 0) out[i] = m % 2 === 1 ? (win[m >> 1] as number) : ((win[(m >> 1) - 1] as number) + (win[m >> 1] as number)) / 2;
  }
  return out;
}

/** Robust decomposition of y (NaN = missing) on the grid of `freq`, with a season seen at least `minCycles` times. */
export function decompose(y: number[], freq: Freq, minCycles = 4): Decomposition {
  const n = y.length;
  const period = decompositionPeriod(freq, n, minCycles);
  const w = period ? 2 * period + 1 : Math.min(7, n % 2 === 1 ? n : n - 1);
  const first = runningMedian(y, w);
  const seasonal = new Array<number>(n).fill(0);
  if (period) {
    const detrended = y.map((v, i) => v - (first[i] as number));
    const buf: number[] = [];
    for (let i = 0; i < n; i++) {
      buf.length = 0;
      for (let k = -SEASON_NEIGHBOURS; k <= SEASON_NEIGHBOURS; k++) {
        const v = detrended[i + k * period];
        if (v !== undefined && Number.isFinite(v)) buf.push(v);
      }
      seasonal[i] = buf.length > 0 ? median(buf) : 0;
    }
  }
  const trend = runningMedian(
    y.map((v, i) => v - (seasonal[i] as number)),
    w,
  );
  const resid = y.map((v, i) => (Number.isFinite(v) && Number.isFinite(trend[i]) ? v - (trend[i] as number) - (seasonal[i] as number) : NaN));
  // The running median's own points have a residual of exactly zero: they would shrink the scale.
  const finite = resid.filter((r) => Number.isFinite(r) && r !== 0);
  const center = finite.length > 0 ? median(finite) : 0;
  let scale = finite.length > 0 ? 1.4826 * median(finite.map((r) => Math.abs(r - center))) : 0;
  // More than half the residuals exactly zero (step-like data): fall back to the mean absolute deviation.
  if (!(scale > 0) && finite.length > 0) scale = 1.2533 * (finite.reduce((a, r) => a + Math.abs(r - center), 0) / finite.length);
  return { period, trend, seasonal, resid, center, scale };
}

/** A model's own additive components on the grid, over the history and the horizon (model scale). */
export interface ModelComponents {
  trend: number[];
  seasonal: { name: string; values: number[] }[];
  holidays: number[] | null;
  regressors: { name: string; values: number[] }[];
}

/** The grid a component is read on. */
export interface ComponentGrid {
  y: number[];
  freq: Freq;
  start: number;
  horizon: number;
}

/** Prophet's trend, seasonalities, summed holiday terms and regressor terms from its history and future predictions (gaps interpolated). */
export function prophetComponents(grid: ComponentGrid, hist: ProphetPredictions, future: ProphetPredictions): ModelComponents {
  const n = grid.y.length;
  const place = (histValues: number[], futureValues: number[]): number[] => {
    const out = new Array<number>(n).fill(NaN);
    hist.ds.forEach((t, i) => {
      const g = Math.round(gridPosition(grid.freq, grid.start, t));
      if (g >= 0 && g < n) out[g] = histValues[i] as number;
    });
    return [...interpolate(out), ...futureValues.slice(0, grid.horizon)];
  };
  const maps = (h: Map<string, { point: number[] }>, f: Map<string, { point: number[] }>): { name: string; values: number[] }[] =>
    [...h.keys()].map((name) => ({ name, values: place(h.get(name)?.point ?? [], f.get(name)?.point ?? []) }));
  const holidays = maps(hist.holidays, future.holidays);
  const summed = holidays.length > 0 ? (holidays[0] as { values: number[] }).values.map((_, i) => holidays.reduce((a, h) => a + (h.values[i] as number), 0)) : null;
  return {
    trend: place(hist.trend.point, future.trend.point),
    seasonal: maps(hist.seasonalities, future.seasonalities),
    holidays: summed,
    regressors: maps(hist.regressors, future.regressors),
  };
}

/** Name of a season of `period` grid steps: daily, weekly or yearly. */
export function seasonName(freq: Freq, period: number): string {
  const days = (period * FREQ_INFO[freq].seconds) / 86_400;
  return Math.abs(days - 1) < 0.01 ? 'daily' : Math.abs(days - 7) < 0.01 ? 'weekly' : days > 300 ? 'yearly' : `period ${period}`;
}

/**
 * Components of models without their own (MSTL, ETS, naive): the robust decomposition over the
 * history; over the horizon the last season repeats and the trend is the forecast minus it.
 */
export function decompositionComponents(dec: Decomposition, point: number[], freq: Freq): ModelComponents {
  const n = dec.trend.length;
  const h = point.length;
  const p = dec.period;
  const seasonal = dec.seasonal.slice();
  for (let k = 0; k < h; k++) seasonal.push(p && n >= p ? (dec.seasonal[n - p + (k % p)] as number) : 0);
  const trend = [...interpolate(dec.trend.map((t) => t + dec.center)), ...point.map((v, k) => v - (seasonal[n + k] as number))];
  return { trend, seasonal: p ? [{ name: seasonName(freq, p), values: seasonal }] : [], holidays: null, regressors: [] };
}

/** Component-wise weighted mean, wa a + (1 - wa) b, of two decompositions (same length); a season or regressor one of them lacks counts as zero. */
export function averageComponents(a: ModelComponents, b: ModelComponents, wa = 0.5): ModelComponents {
  const half = (x: number[] | undefined, y: number[] | undefined, len: number): number[] => Array.from({ length: len }, (_, i) => wa * (x?.[i] ?? 0) + (1 - wa) * (y?.[i] ?? 0));
  const len = a.trend.length;
  const named = (xs: { name: string; values: number[] }[], ys: { name: string; values: number[] }[]): { name: string; values: number[] }[] =>
    [...new Set([...xs, ...ys].map((c) => c.name))].map((name) => ({ name, values: half(xs.find((c) => c.name === name)?.values, ys.find((c) => c.name === name)?.values, len) }));
  return {
    trend: half(a.trend, b.trend, len),
    seasonal: named(a.seasonal, b.seasonal),
    holidays: a.holidays || b.holidays ? half(a.holidays ?? undefined, b.holidays ?? undefined, len) : null,
    regressors: named(a.regressors, b.regressors),
  };
}

/** Prophet's rule for a significant changepoint: |rate change| >= 0.01 with time scaled to [0, 1] and y by its largest absolute value. */
export const CHANGEPOINT_DELTA = 0.01;

/** Where a piecewise-linear trend (over the history, on the grid) changes slope by at least CHANGEPOINT_DELTA. */
export function trendChangepoints(trend: number[], y: number[], freq: Freq, start: number): string[] {
  const n = trend.length;
  if (n < 3) return [];
  const t = (i: number): number => gridTime(freq, start, i);
  const span = t(n - 1) - t(0);
  const yScale = y.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  if (!(span > 0) || !(yScale > 0)) return [];
  const out: string[] = [];
  const slope = (i: number): number => ((trend[i + 1] as number) - (trend[i] as number)) / (t(i + 1) - t(i));
  for (let i = 1; i < n - 1; i++) {
    const delta = ((slope(i) - slope(i - 1)) * span) / yScale;
    if (Math.abs(delta) >= CHANGEPOINT_DELTA) out.push(formatTime(t(i), freq));
  }
  return out;
}

export interface FitDescription {
  components: ForecastComponents;
  changepoints: string[];
  /** One line for the human output: what the components show. */
  note: string;
}

/**
 * The components of the chosen model over history + horizon, its trend changepoints, and a
 * one-line summary. Prophet: its own terms. Ensemble: Prophet's terms at Prophet's weight w, and
 * the robust decomposition of the other members' part, (ensemble - w Prophet) / (1 - w), at 1 - w,
 * so the components still add up to the ensemble's forecast. Other models: the robust
 * decomposition. `point` is the model's forecast on its own (transformed) scale.
 */
export function describeFit(args: {
  model: ModelName;
  prophet: ModelComponents | undefined;
  /** Ensemble: Prophet's weight in it (default 0.5, the equal-weight mean of Prophet and MSTL). */
  prophetWeight?: number | undefined;
  point: number[];
  decomposition: Decomposition;
  y: number[];
  freq: Freq;
  start: number;
  transform: Transform;
}): FitDescription {
  const { decomposition: dec, point, freq, start, y } = args;
  const n = y.length;
  const h = point.length;
  let comps: ModelComponents;
  if (args.prophet && args.model === 'prophet') comps = args.prophet;
  else if (args.prophet && args.model === 'ensemble') {
    const p = args.prophet;
    const sumAt = (i: number): number => (p.trend[i] as number) + p.seasonal.reduce((a, c) => a + (c.values[i] as number), 0) + (p.holidays?.[i] ?? 0) + p.regressors.reduce((a, c) => a + (c.values[i] as number), 0);
    // The ensemble is w Prophet + (1 - w) rest: the rest's forecast is (ensemble - w Prophet) / (1 - w).
    const w = args.prophetWeight ?? 0.5;
    if (w >= 1 - 1e-9) comps = p;
    else {
      const restPoint = point.map((v, k) => (v - w * sumAt(n + k)) / (1 - w));
      comps = averageComponents(p, decompositionComponents(dec, restPoint, freq), w);
    }
  } else comps = decompositionComponents(dec, point, freq);
  const ds = Array.from({ length: n + h }, (_, i) => formatTime(gridTime(freq, start, i), freq));
  const changepoints = args.prophet && (args.model === 'prophet' || args.model === 'ensemble') ? trendChangepoints(args.prophet.trend.slice(0, n), y, freq, start) : [];
  return { components: { ds, ...comps }, changepoints, note: componentsNote(comps, n, changepoints, args.transform) };
}

const fmt = valueText;

/** "components: trend up 12% over the history (3 changepoints, the last on 2015-06-01); weekly season +-0.35; holidays -0.40 to 0.10". */
export function componentsNote(c: ModelComponents, n: number, changepoints: string[], transform: Transform): string {
  const parts: string[] = [];
  const t0 = c.trend[0] as number;
  const t1 = c.trend[n - 1] as number;
  const rel = t0 !== 0 && transform === 'none' ? ` (${t1 >= t0 ? '+' : ''}${(((t1 - t0) / Math.abs(t0)) * 100).toFixed(0)}%)` : '';
  const dir = Math.abs(t1 - t0) < 1e-9 * (1 + Math.abs(t0)) ? 'flat' : t1 > t0 ? 'up' : 'down';
  parts.push(`trend ${dir} from ${fmt(t0)} to ${fmt(t1)}${rel} over the history${changepoints.length > 0 ? ` (${changepoints.length} changepoint${changepoints.length === 1 ? '' : 's'}, the last on ${changepoints[changepoints.length - 1] ?? ''})` : ''}`);
  for (const s of c.seasonal) {
    const hist = s.values.slice(0, n).filter(Number.isFinite);
    if (hist.length === 0) continue;
    parts.push(`${s.name} season +-${fmt((Math.max(...hist) - Math.min(...hist)) / 2)}`);
  }
  if (c.holidays) {
    const hist = c.holidays.slice(0, n).filter(Number.isFinite);
    if (hist.length > 0) parts.push(`holidays ${fmt(Math.min(...hist))} to ${fmt(Math.max(...hist))}`);
  }
  for (const r of c.regressors) {
    const hist = r.values.slice(0, n).filter(Number.isFinite);
    if (hist.length > 0) parts.push(`${r.name} ${fmt(Math.min(...hist))} to ${fmt(Math.max(...hist))}`);
  }
  return `components${transform === 'none' ? '' : ` (${transform} scale)`}: ${parts.join('; ')}`;
}

/** Backtest metrics per horizon step (1 = the first step after each cutoff), per model. */
export function metricsByStep(records: { model: ModelName; scored: Scored; steps: number[] }[], horizon: number): BacktestStep[] {
  const out: BacktestStep[] = [];
  for (let step = 1; step <= horizon; step++) {
    const models = records.map((r) => {
      const sub = emptyScored();
      r.steps.forEach((k, i) => {
        if (k !== step) return;
        sub.actual.push(r.scored.actual[i] as number);
        sub.forecast.push(r.scored.forecast[i] as number);
        sub.lower.push(r.scored.lower[i] as number);
        sub.upper.push(r.scored.upper[i] as number);
        sub.scale.push(r.scored.scale[i] as number);
      });
      const m = summarize(sub);
      return { model: r.model, mae: m.mae, smape: m.smape, mase: m.mase, coverage: m.coverage, n: m.n };
    });
    if (models.some((m) => m.n > 0)) out.push({ step, models });
  }
  return out;
}
