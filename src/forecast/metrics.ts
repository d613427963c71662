/**
 * Forecast accuracy metrics (as in Prophet's `performance_metrics`) and small robust
 * statistics helpers. Pure functions on arrays; NaN actuals are skipped everywhere.
 */
import { normalCdf } from '../stats/distributions.js';
import type { Metrics } from './types.js';

/** Pairs of actual / forecast / interval collected over folds. */
export interface Scored {
  actual: number[];
  forecast: number[];
  lower: number[];
  upper: number[];
  /** Per point: the in-sample MAE of the seasonal naive forecast on the fold's training data (MASE scale). */
  scale: number[];
}

export function emptyScored(): Scored {
  return { actual: [], forecast: [], lower: [], upper: [], scale: [] };
}

/**
 * Mean of `err(actual, forecast)` over the points where both are finite and `err` gives a number
 * (it returns null to skip a point); null when no point counts.
 */
function meanError(actual: number[], forecast: number[], err: (a: number, f: number) => number | null): number | null {
  let s = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const f = forecast[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(f)) continue;
    const e = err(a, f);
    if (e === null) continue;
    s += e;
    n++;
  }
  return n > 0 ? s / n : null;
}

export function mae(actual: number[], forecast: number[]): number | null {
  return meanError(actual, forecast, (a, f) => Math.abs(a - f));
}

export function rmse(actual: number[], forecast: number[]): number | null {
  const mse = meanError(actual, forecast, (a, f) => (a - f) ** 2);
  return mse === null ? null : Math.sqrt(mse);
}

/** Symmetric MAPE in percent. A point where both actual and forecast are 0 counts as 0 error. */
export function smape(actual: number[], forecast: number[]): number | null {
  const m = meanError(actual, forecast, (a, f) => {
    const d = Math.abs(a) + Math.abs(f);
    return d === 0 ? 0 : (2 * Math.abs(a - f)) / d;
  });
  return m === null ? null : 100 * m;
}

/** MAPE in percent over non-zero actuals; null when every actual is zero. */
export function mape(actual: number[], forecast: number[]): number | null {
  const m = meanError(actual, forecast, (a, f) => (a === 0 ? null : Math.abs((a - f) / a)));
  return m === null ? null : 100 * m;
}

/** Share of actuals within [lower, upper]. */
export function coverage(actual: number[], lower: number[], upper: number[]): number | null {
  let c = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const lo = lower[i] as number;
    const hi = upper[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    if (a >= lo && a <= hi) c++;
    n++;
  }
  return n > 0 ? c / n : null;
}

/**
 * In-sample MAE of the seasonal naive forecast (y[t] predicted by y[t - m]) over `train`,
 * the MASE denominator (Hyndman & Koehler 2006). Falls back to m = 1 when the series is shorter
 * than m + 1. Null when the series is too short or the scale is zero.
 */
export function naiveScale(train: number[], m: number): number | null {
  const period = train.length > m ? m : 1;
  let s = 0;
  let n = 0;
  for (let t = period; t < train.length; t++) {
    const a = train[t] as number;
    const b = train[t - period] as number;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    s += Math.abs(a - b);
    n++;
  }
  if (n === 0 || s === 0) return null;
  return s / n;
}

/**
 * Chance that a calibrated forecaster's pooled coverage over `windows` equal windows lands in
 * [lo, hi] (normal approximation): each window's coverage has mean `nominal` and sd `windowSd`
 * (misses inside a window are dependent, so this sd is usually well above the binomial
 * sqrt(nominal (1 - nominal) / H)), windows independent. NaN for a negative sd or no windows.
 */
export function coverageBandProbability(windowSd: number, windows: number, lo: number, hi: number, nominal = 0.8): number {
  if (!(windowSd >= 0) || !(windows >= 1)) return Number.NaN;
  const se = windowSd / Math.sqrt(windows);
  if (se === 0) return nominal >= lo && nominal <= hi ? 1 : 0;
  return normalCdf((hi - nominal) / se) - normalCdf((lo - nominal) / se);
}

/** P(at least k of independent events happen), event i with probability ps[i] (Poisson-binomial). */
export function probAtLeast(ps: number[], k: number): number {
  let dist = [1];
  for (const p of ps) {
    const next = new Array<number>(dist.length + 1).fill(0);
    for (const [j, d] of dist.entries()) {
      next[j] = (next[j] ?? 0) + d * (1 - p);
      next[j + 1] = (next[j + 1] ?? 0) + d * p;
    }
    dist = next;
  }
  return dist.slice(Math.max(0, k)).reduce((a, b) => a + b, 0);
}

/** MASE pooled over folds: mean over points of |a - f| / scale(point's fold). */
export function mase(actual: number[], forecast: number[], scale: number[]): number | null {
  let s = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const f = forecast[i] as number;
    const q = scale[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(f) || !Number.isFinite(q) || q <= 0) continue;
    s += Math.abs(a - f) / q;
    n++;
  }
  return n > 0 ? s / n : null;
}

export function summarize(s: Scored): Metrics {
  let n = 0;
  for (let i = 0; i < s.actual.length; i++) if (Number.isFinite(s.actual[i]) && Number.isFinite(s.forecast[i])) n++;
  return {
    mae: mae(s.actual, s.forecast),
    rmse: rmse(s.actual, s.forecast),
    smape: smape(s.actual, s.forecast),
    mape: mape(s.actual, s.forecast),
    mase: mase(s.actual, s.forecast, s.scale),
    coverage: coverage(s.actual, s.lower, s.upper),
    n,
  };
}

export function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Median absolute deviation scaled to a normal standard deviation (1.4826 MAD). */
export function robustSd(values: number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}

export function mean(values: number[]): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    s += v;
    n++;
  }
  return n > 0 ? s / n : NaN;
}

export function sd(values: number[]): number {
  const m = mean(values);
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    s += (v - m) ** 2;
    n++;
  }
  return n > 1 ? Math.sqrt(s / (n - 1)) : NaN;
}

/** The standard normal quantile function (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  return x;
}
