/**
 * Rolling-origin cross-validation, as Prophet's `cross_validation`: cutoffs step back from the
 * end of the history by `period` (half the horizon), each fold trains on everything up to its
 * cutoff and forecasts the next `horizon` points; metrics pool every (fold, step) point.
 */

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
 * Split-conformal scale for interval half-widths: scores are how many half-widths each CV
 * actual fell from the point forecast (on its own side); the result is the
 * ceil((N + 1) * level)-th smallest score, so that scaled intervals cover `level` of the CV points.
 * Null when there are too few scores or the intervals are degenerate.
 */
export function conformalScale(actual: number[], point: number[], lower: number[], upper: number[], level: number, minScores = 10): number | null {
  const scores: number[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const f = point[i] as number;
    const lo = lower[i] as number;
    const hi = upper[i] as number;
    if (![a, f, lo, hi].every(Number.isFinite)) continue;
    const half = a >= f ? hi - f : f - lo;
    if (!(half > 0)) continue;
    scores.push(Math.abs(a - f) / half);
  }
  if (scores.length < minScores) return null;
  scores.sort((x, y) => x - y);
  const k = Math.min(scores.length, Math.ceil((scores.length + 1) * level));
  const q = scores[k - 1] as number;
  return Number.isFinite(q) && q > 0 ? q : null;
}
