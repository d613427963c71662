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
import { FREQ_INFO } from './calendar.js';
import { median } from './metrics.js';
import type { Freq } from './types.js';

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
 * The season the decomposition removes: the longest of the frequency's periods seen at least four
 * times (daily data uses the week: the year is left to the running-median trend).
 */
export function decompositionPeriod(freq: Freq, n: number): number | null {
  let periods = FREQ_INFO[freq].periods.filter((p) => n >= 4 * p);
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

/** Robust decomposition of y (NaN = missing) on the grid of `freq`. */
export function decompose(y: number[], freq: Freq): Decomposition {
  const n = y.length;
  const period = decompositionPeriod(freq, n);
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
