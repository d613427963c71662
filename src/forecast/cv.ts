/**
 * Rolling-origin cross-validation, as Prophet's `cross_validation`: cutoffs step back from the
 * end of the history by `period` (half the horizon), each fold trains on everything up to its
 * cutoff and forecasts the next `horizon` points; metrics pool every (fold, step) point.
 */
import { conformalQuantile, score } from './conformal.js';

export interface CutoffOptions {
  folds: number;
  /** Points between cutoffs; default half the horizon (at least 1). */
  period?: number;
  /** Smallest training length; default min(3 * horizon, n / 2), at least 8. */
  initial?: number;
}

/**
 * Training lengths of the folds, oldest first: fold k trains on y[0 .. c_k) and is scored on
 * y[c_k .. c_k + horizon). The newest cutoff leaves exactly `horizon` points to score.
 */
export function rollingCutoffs(n: number, horizon: number, options: CutoffOptions): number[] {
  const period = Math.max(1, options.period ?? Math.floor(horizon / 2));
  const initial = Math.max(8, options.initial ?? Math.min(3 * horizon, Math.floor(n / 2)));
  const out: number[] = [];
  for (let k = 0; k < options.folds; k++) {
    const c = n - horizon - k * period;
    if (c < initial) break;
    out.push(c);
  }
  return out.reverse();
}

/**
 * One pooled split-conformal scale for interval half-widths (see conformal.ts, which the engine
 * uses per horizon band): the conformal quantile of |a - f| / half-width over the CV points.
 * Null when there are fewer than `minScores` scores or the quantile is not positive.
 */
export function conformalScale(actual: number[], point: number[], lower: number[], upper: number[], level: number, minScores = 10): number | null {
  const scores: number[] = [];
  actual.forEach((a, i) => {
    const s = score({ step: 0, actual: a, point: point[i] as number, lower: lower[i] as number, upper: upper[i] as number });
    if (s !== null) scores.push(s);
  });
  if (scores.length < minScores) return null;
  const q = conformalQuantile(scores, level);
  return Number.isFinite(q) && q > 0 ? q : null;
}
