/**
 * A robust seasonal-trend decomposition (STL-like, with running medians instead of loess) used
 * to score anomalies and to test holiday effects, and the model components of a forecast
 * (trend, seasonalities, holidays, regressors) over the history and the horizon.
 *
 * The decomposition: trend = running median over two seasons (+1), seasonal = the median of the
 * detrended values at the same phase in the 3 seasons on either side, trend re-estimated on the
 * deseasonalised series, residual = y - a fit that leaves the point out (its trend without its
 * own weight, its seasons without its own value). Medians ignore single spikes (a spike stays in
 * the residual instead of leaking into the trend or the season), and the residual's scale is the
 * biweight midvariance's sd (biweightScale), so outliers do not inflate it.
 */
import type { ProphetPredictions } from '@bsull/augurs/prophet';
import { valueText } from './output.js';
import { inverse } from './transform.js';
import { FREQ_INFO, gridPosition, gridTime } from './calendar.js';
import { emptyScored, median, summarize, type Scored } from './metrics.js';
import { formatTime, interpolate } from './series.js';
import type { BacktestStep, ForecastComponents, Freq, ModelName, Transform } from './types.js';

export interface Decomposition {
  /** The longest season removed, in grid steps, or null when the series is too short for one. */
  period: number | null;
  /** Each season removed (shortest first), centred to sum to about zero over its cycle. */
  seasons: { period: number; values: number[] }[];
  trend: number[];
  /** The seasons summed. */
  seasonal: number[];
  /**
   * What each point is scored against: the trend plus its seasons estimated without the point
   * itself (so a point's own noise or spike is not shrunk by a median that includes it).
   */
  fit: number[];
  /** y - fit (NaN at gaps). */
  resid: number[];
  /** Median of the residuals. */
  center: number;
  /** Robust standard deviation of the residuals (biweightScale), on the scale of a typical point. */
  scale: number;
  /**
   * Each residual's sd relative to a typical point's (residualSpread): fewer cycles on one side
   * leave a point's seasons the median of fewer values, so its residual varies more.
   */
  spread: number[];
}

/** Seasons on each side whose same-phase values set the seasonal component. */
const SEASON_NEIGHBOURS = 3;

/**
 * The seasons the decomposition removes: the frequency's periods seen at least `minCycles` times
 * (default four, for anomalies; the components accept two), shortest first (daily data uses the
 * week only: the year is left to the running-median trend).
 */
export function decompositionPeriods(freq: Freq, n: number, minCycles = 4): number[] {
  let periods = FREQ_INFO[freq].periods.filter((p) => n >= minCycles * p);
  if (freq === 'D') periods = periods.filter((p) => p === 7);
  return periods;
}

/** The longest season of decompositionPeriods, or null. */
export function decompositionPeriod(freq: Freq, n: number, minCycles = 4): number | null {
  const periods = decompositionPeriods(freq, n, minCycles);
  return periods[periods.length - 1] ?? null;
}

/**
 * Centred moving average over one cycle of `p` steps (2 x p for even p, as in classical
 * decomposition), so a season of period p (or a divisor of p) averages out exactly. Where the
 * window does not fit (the first and last half cycle) the nearest full-window value is held.
 */
export function cycleMean(x: number[], p: number): number[] {
  const n = x.length;
  const half = p >> 1;
  if (n < p + (p % 2 === 0 ? 1 : 0) || p <= 1) return x.slice();
  const prefix = [0];
  for (const v of x) prefix.push((prefix[prefix.length - 1] as number) + v);
  const sum = (a: number, b: number): number => (prefix[b + 1] as number) - (prefix[a] as number);
  const out = new Array<number>(n).fill(NaN);
  const lo = half;
  const hi = n - 1 - half;
  for (let i = lo; i <= hi; i++) {
    out[i] = p % 2 === 1 ? sum(i - half, i + half) / p : (sum(i - half + 1, i + half - 1) + ((x[i - half] as number) + (x[i + half] as number)) / 2) / p;
  }
  for (let i = 0; i < lo; i++) out[i] = out[lo] as number;
  for (let i = hi + 1; i < n; i++) out[i] = out[hi] as number;
  return out;
}

/** Weight of x[j] in cycleMean(x, p)[r] (length n; rows in the first and last half cycle are held). */
function cycleWeight(n: number, p: number, r: number, j: number): number {
  const half = p >> 1;
  if (n < p + (p % 2 === 0 ? 1 : 0) || p <= 1) return r === j ? 1 : 0;
  const row = Math.min(n - 1 - half, Math.max(half, r));
  const d = Math.abs(j - row);
  return d < half || (d === half && p % 2 === 1) ? 1 / p : d === half ? 1 / (2 * p) : 0;
}

/**
 * Each point's own weight in the double cycle mean cycleMean(cycleMean(x, p), p): the diagonal
 * of that linear filter (1/p inside for odd p), so its value can be taken out of its own trend.
 */
export function ownTrendWeights(n: number, p: number): number[] {
  const half = p >> 1;
  const at = (i: number): number => {
    const row = Math.min(n - 1 - half, Math.max(half, i));
    let w = 0;
    for (let j = Math.max(0, row - half); j <= Math.min(n - 1, row + half); j++) w += cycleWeight(n, p, i, j) * cycleWeight(n, p, j, i);
    return w;
  };
  // Away from the held first and last half cycles (and a half cycle more) the filter is the same everywhere.
  const lo = 2 * half;
  const hi = n - 1 - 2 * half;
  const inner = lo <= hi ? at(lo) : NaN;
  return Array.from({ length: n }, (_, i) => (i >= lo && i <= hi ? inner : at(i)));
}

/**
 * The season of period p in r: at each point the median of the same phase in the
 * SEASON_NEIGHBOURS cycles on either side, then centred (its own cycle mean taken off). With
 * `leaveOut`, the point itself is left out of its median (its own noise or spike then stays
 * whole in its residual instead of being shrunk by the median that includes it).
 */
function phaseMedians(r: number[], p: number, leaveOut = false): number[] {
  const n = r.length;
  const out = new Array<number>(n).fill(0);
  const buf: number[] = [];
  for (let i = 0; i < n; i++) {
    buf.length = 0;
    for (let k = -SEASON_NEIGHBOURS; k <= SEASON_NEIGHBOURS; k++) {
      const v = r[i + k * p];
      if ((k !== 0 || !leaveOut) && v !== undefined && Number.isFinite(v)) buf.push(v);
    }
    const own = r[i];
    if (buf.length === 0 && own !== undefined && Number.isFinite(own)) buf.push(own);
    out[i] = buf.length > 0 ? median(buf) : 0;
  }
  const level = cycleMean(out, p);
  return out.map((v, i) => v - (level[i] as number));
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

/**
 * Robust decomposition of y (NaN = missing) on the grid of `freq`, with the seasons seen at least
 * `minCycles` times. A first trend is the cycle mean over the longest season (it holds no season,
 * unlike a running median, which returns one phase's own point); each season is the centred
 * same-phase median of what the trend and the other seasons leave (twice round, as MSTL does);
 * the final trend is the running median of the deseasonalised series (robust to spikes and steps).
 */
export function decompose(y: number[], freq: Freq, minCycles = 4): Decomposition {
  const n = y.length;
  const periods = decompositionPeriods(freq, n, minCycles);
  const period = periods[periods.length - 1] ?? null;
  const w = period ? 2 * period + 1 : Math.min(7, n % 2 === 1 ? n : n - 1);
  const seasons = periods.map((p) => ({ period: p, values: new Array<number>(n).fill(0) }));
  if (period) {
    const first = cycleMean(interpolate(y), period);
    const detrended = y.map((v, i) => v - (first[i] as number));
    for (let round = 0; round < (seasons.length > 1 ? 2 : 1); round++) {
      for (const s of seasons) {
        const rest = detrended.map((v, i) => seasons.reduce((a, o) => (o === s ? a : a - (o.values[i] as number)), v));
        s.values = phaseMedians(rest, s.period);
      }
    }
  }
  const seasonal = y.map((_, i) => seasons.reduce((a, s) => a + (s.values[i] as number), 0));
  // The trend is taken net of the seasons with each point left out of its own phase medians: the
  // full seasons' centring (a cycle mean of medians that hold the point) would carry a bounded share
  // of each point into its neighbours' deseasonalised values and so into its own trend (it halves
  // the correlation of a point's noise with its fit, 0.05 to 0.02, and the tail beyond 3 sds).
  let trendSeasonal = seasonal;
  if (period) {
    const first = cycleMean(interpolate(y), period);
    const detrended = y.map((v, i) => v - (first[i] as number));
    const loo = seasons.map((s) => phaseMedians(detrended.map((v, i) => seasons.reduce((a, o) => (o === s ? a : a - (o.values[i] as number)), v)), s.period, true));
    trendSeasonal = y.map((_, i) => loo.reduce((a, o) => a + (o[i] as number), 0));
  }
  // The trend: a running median is robust but returns some point's own value (that point is then
  // scored against itself, and the residual scale comes out too small). So the deseasonalised
  // values are clipped to the running median +- 2.5 robust sds (a spike or outage moves it by at
  // most that over a cycle) and averaged over one cycle, twice (a triangular filter).
  const deseasonalised = y.map((v, i) => v - (trendSeasonal[i] as number));
  const median0 = runningMedian(deseasonalised, w);
  let trend = median0;
  let looTrend = median0;
  if (period) {
    const r0 = deseasonalised.map((v, i) => v - (median0[i] as number)).filter((r) => Number.isFinite(r) && r !== 0);
    const s0 = r0.length > 0 ? 1.4826 * median(r0.map(Math.abs)) : 0;
    const clipped = deseasonalised.map((v, i) => {
      const m = median0[i] as number;
      return Number.isFinite(v) && s0 > 0 ? Math.min(m + 2.5 * s0, Math.max(m - 2.5 * s0, v)) : v;
    });
    const filled = interpolate(clipped);
    trend = cycleMean(cycleMean(filled, period), period);
    // The point's own (clipped) value out of its own trend: with it, a point is pulled toward
    // itself by 1/p while it is small and by at most 2.5 sds/p when it is large, which makes the
    // scores heavier-tailed than the noise (a daily series flagged 6% of pure-noise series at 0.99).
    const own = ownTrendWeights(n, period);
    looTrend = trend.map((t, i) => {
      const w = own[i] as number;
      return w < 0.5 ? (t - w * (filled[i] as number)) / (1 - w) : t;
    });
  }
  // What each point is scored against: its trend and its seasons, all estimated without the point
  // itself. Each season's same-phase median leaves the point out, and so do the other seasons it
  // is taken net of (a second round with the others' leave-one-out values: the first round's
  // hold the point in their medians, which pulls a small residual toward zero but not a large one).
  let scored = seasonal;
  if (period) {
    const detrended = y.map((v, i) => v - (trend[i] as number));
    let loo = seasons.map((s) => s.values);
    for (let round = 0; round < (seasons.length > 1 ? 2 : 1); round++) {
      const prev = loo;
      loo = seasons.map((s, k) => {
        const rest = detrended.map((v, i) => prev.reduce((a, o, m) => (m === k ? a : a - (o[i] as number)), v));
        return phaseMedians(rest, s.period, true);
      });
    }
    scored = y.map((_, i) => loo.reduce((a, o) => a + (o[i] as number), 0));
  }
  const fit = looTrend.map((t, i) => t + (scored[i] as number));
  const resid = y.map((v, i) => (Number.isFinite(v) && Number.isFinite(fit[i]) ? v - (fit[i] as number) : NaN));
  const spread = period ? residualSpread(y, periods, ownTrendWeights(n, period), period) : new Array<number>(n).fill(1);
  // The running median's own points have a residual of exactly zero: they would shrink the scale.
  const kept = resid.map((r, i) => i).filter((i) => Number.isFinite(resid[i]) && resid[i] !== 0);
  const finite = kept.map((i) => resid[i] as number);
  const center = finite.length > 0 ? median(finite) : 0;
  const standardised = kept.map((i) => ((resid[i] as number) - center) / (spread[i] as number));
  let scale = biweightScale(standardised, 0);
  // More than half the residuals exactly zero (step-like data): fall back to the mean absolute deviation.
  if (!(scale > 0) && finite.length > 0) scale = 1.2533 * (standardised.reduce((a, r) => a + Math.abs(r), 0) / finite.length);
  return { period, seasons, trend, seasonal, fit, resid, center, scale, spread };
}

/** Variance of the median of k standard normals (k = 1..6; the mean of the middle two for even k). */
const MEDIAN_VARIANCE = [1, 1, 0.5, 0.4487, 0.2982, 0.2868, 0.2147];

/**
 * Each point's residual sd relative to the median point's, from the decomposition's own
 * estimators: with unit noise, a residual y - fit varies as 1 (the point) + the leave-one-out
 * trend's variance (its weights' squares, own weight out) + for each season the variance of the
 * median of the k same-phase values it was left out of (k = 6 inside, 3 in the first and last
 * cycle; pi / 2k for many). Points near the ends of a short series have fewer values in their
 * medians and would otherwise be flagged twice as often as the rest.
 */
export function residualSpread(y: number[], periods: number[], own: number[], period: number): number[] {
  // Sum of the squared weights of the double cycle mean (a triangle over 2p - 1 points): about 2 / 3p.
  const squares = (2 * period * period + 1) / (3 * period * period * period);
  const variance = y.map((_, i) => {
    const w = own[i] as number;
    let v = 1 + (w < 0.5 ? Math.max(0, squares - w * w) / ((1 - w) * (1 - w)) : 0);
    for (const p of periods) {
      let k = 0;
      for (let m = -SEASON_NEIGHBOURS; m <= SEASON_NEIGHBOURS; m++) if (m !== 0 && Number.isFinite(y[i + m * p])) k++;
      v += k < MEDIAN_VARIANCE.length ? (MEDIAN_VARIANCE[k] as number) : Math.PI / (2 * k);
    }
    return v;
  });
  const typical = median(variance.filter((_, i) => Number.isFinite(y[i])));
  return variance.map((v) => (typical > 0 ? Math.sqrt(v / typical) : 1));
}

/**
 * Asymptotic efficiency of biweightScale at the normal (Lax 1985; the MAD's is 0.37): its
 * estimate varies like a sample sd of about this share of the points, the degrees of freedom of a
 * score divided by it.
 */
export const BIWEIGHT_EFFICIENCY = 0.867;

/**
 * A robust standard deviation of r around `center`: Tukey's biweight midvariance (c = 9 MADs),
 * which weighs each point down smoothly with its distance and drops those beyond 9 MADs (about 6
 * sds). Unlike 1.4826 x MAD, which reads the sd off the middle half alone, it stays consistent
 * for the sd when the middle is slightly more peaked than a normal's (residuals from a fit of
 * medians are: the MAD came out 2% short of their sd, which doubles the tail beyond 4.5 sds), and
 * it is 2.3 times as efficient. 0 when more than half the points equal the center.
 */
export function biweightScale(r: number[], center: number): number {
  const n = r.length;
  if (n === 0) return 0;
  const mad = median(r.map((v) => Math.abs(v - center)));
  if (!(mad > 0)) return 0;
  let num = 0;
  let den = 0;
  for (const v of r) {
    const d = v - center;
    const u2 = (d / (9 * mad)) ** 2;
    if (u2 >= 1) continue;
    num += d * d * (1 - u2) ** 4;
    den += (1 - u2) * (1 - 5 * u2);
  }
  return den > 0 ? Math.sqrt((n * num) / (den * den)) : 1.4826 * mad;
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
  const seasonal = dec.seasons.map((s) => {
    const values = s.values.slice();
    for (let k = 0; k < h; k++) values.push(n >= s.period ? (s.values[n - s.period + (k % s.period)] as number) : 0);
    return { name: seasonName(freq, s.period), values };
  });
  const trend = [...interpolate(dec.trend.map((t) => t + dec.center)), ...point.map((v, k) => seasonal.reduce((a, s) => a - (s.values[n + k] as number), v))];
  return { trend, seasonal, holidays: null, regressors: [] };
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
  return { components: { ds, ...comps }, changepoints, note: componentsNote(comps, n, changepoints, args.transform, freq) };
}

/** A figure for the components line: 3 significant digits, separators from 1,000 (12.3; 0.915; 4,568). */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return valueText(x);
  if (Math.abs(x) >= 1000) return valueText(Math.round(x));
  const r = Number(x.toPrecision(3));
  return String(r === 0 ? 0 : r);
}

/** Grid steps in one cycle of a season named by seasonName (daily, weekly, yearly, period N), or null. */
export function seasonSteps(name: string, freq: Freq): number | null {
  const m = /^period (\d+)$/.exec(name);
  if (m) return Number(m[1]);
  const days = name === 'daily' ? 1 : name === 'weekly' ? 7 : name === 'yearly' ? 365.25 : null;
  if (days === null) return null;
  const steps = Math.round((days * 86_400) / FREQ_INFO[freq].seconds);
  return steps >= 2 ? steps : null;
}

/**
 * "components: trend up from 200 to 236 (+18%) over the history (3 changepoints, the last on
 * 2015-06-01); weekly season +-14.6; holidays -40 to 10". A season's amplitude is half its range
 * over the last cycle of the history (a decomposition's season wobbles with the noise from cycle
 * to cycle; the last cycle is the one the forecast repeats). On a transformed scale the figures
 * are converted to the data's units at the trend's latest level.
 */
export function componentsNote(c: ModelComponents, n: number, changepoints: string[], transform: Transform, freq?: Freq): string {
  const parts: string[] = [];
  const t0 = c.trend[0] as number;
  const t1 = c.trend[n - 1] as number;
  const back = (v: number): number => inverse(transform, v);
  const d0 = back(t0);
  const d1 = back(t1);
  const rel = d0 !== 0 ? ` (${d1 >= d0 ? '+' : ''}${(((d1 - d0) / Math.abs(d0)) * 100).toFixed(0)}%)` : '';
  const cps = changepoints.length > 0 ? ` (${changepoints.length} changepoint${changepoints.length === 1 ? '' : 's'}, the last on ${changepoints[changepoints.length - 1] ?? ''})` : '';
  if (fmt(d0) === fmt(d1)) parts.push(`trend flat at ${fmt(d1)} over the history${cps}`);
  else parts.push(`trend ${d1 > d0 ? 'up' : 'down'} from ${fmt(d0)} to ${fmt(d1)}${rel} over the history${cps}`);
  // A component of size a at the trend's last level, in data units: half the span of back(t1 - a)..back(t1 + a).
  const size = (a: number): number => (transform === 'none' ? a : (back(t1 + a) - back(t1 - a)) / 2);
  const span = (lo: number, hi: number): string => (transform === 'none' ? `${fmt(lo)} to ${fmt(hi)}` : `${fmt(back(t1 + lo) - d1)} to ${fmt(back(t1 + hi) - d1)}`);
  for (const s of c.seasonal) {
    const steps = freq ? seasonSteps(s.name, freq) : null;
    const from = steps !== null && steps <= n ? n - steps : 0;
    const hist = s.values.slice(from, n).filter(Number.isFinite);
    if (hist.length === 0) continue;
    parts.push(`${s.name} season +-${fmt(size((Math.max(...hist) - Math.min(...hist)) / 2))}`);
  }
  if (c.holidays) {
    const hist = c.holidays.slice(0, n).filter(Number.isFinite);
    if (hist.length > 0) parts.push(`holidays ${span(Math.min(...hist), Math.max(...hist))}`);
  }
  for (const r of c.regressors) {
    const hist = r.values.slice(0, n).filter(Number.isFinite);
    if (hist.length > 0) parts.push(`${r.name} ${span(Math.min(...hist), Math.max(...hist))}`);
  }
  return `components${transform === 'none' ? '' : ` (fitted on the ${transform} scale; in data units at the latest level)`}: ${parts.join('; ')}`;
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
