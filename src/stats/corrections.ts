/**
 * Multiple-comparison corrections of p-values: Holm's step-down family-wise error control and
 * Benjamini-Hochberg's false discovery rate. Adjusted p-values are monotone in the raw ones and
 * capped at 1, and returned in the input order (same as R's p.adjust). Null p-values (tests
 * that could not be run) stay null and do not count towards the number of tests.
 */
import { StatsInputError } from './moments.js';

export type Correction = 'none' | 'holm' | 'bh';

export function adjustPValues(pValues: readonly number[], method: Correction): number[];
export function adjustPValues(pValues: readonly (number | null)[], method: Correction): (number | null)[];
export function adjustPValues(pValues: readonly (number | null)[], method: Correction): (number | null)[] {
  for (const p of pValues) {
    if (p !== null && !(p >= 0 && p <= 1)) throw new StatsInputError(`p-values must lie in [0, 1], got ${p}`, 'BAD_P_VALUE');
  }
  if (method === 'none') return [...pValues];
  if (method !== 'holm' && method !== 'bh') throw new StatsInputError(`correction must be none, holm or bh, got "${String(method)}"`, 'BAD_CORRECTION');
  const present = pValues.flatMap((p, i) => (p === null ? [] : [{ p, i }]));
  const m = present.length;
  const out: (number | null)[] = pValues.map(() => null);
  if (m === 0) return out;
  if (method === 'holm') {
    // ascending; adj_(j) = max_{i<=j} min(1, (m - i + 1) p_(i))
    present.sort((a, b) => a.p - b.p || a.i - b.i);
    let running = 0;
    present.forEach(({ p, i }, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * p));
      out[i] = running;
    });
    return out;
  }
  // BH: descending; adj_(j) = min_{i>=j} min(1, m p_(i) / i)
  present.sort((a, b) => b.p - a.p || b.i - a.i);
  let running = 1;
  present.forEach(({ p, i }, k) => {
    const rank = m - k;
    running = Math.min(running, Math.min(1, (m * p) / rank));
    out[i] = running;
  });
  return out;
}

/**
 * Per-comparison alpha for confidence intervals that agree with the corrected p-values: an
 * interval excludes 0 exactly when the adjusted p-value is below alpha.
 *   holm: the rejected comparison at step r (1-based, ascending p) gets alpha / (m - r + 1), the
 *         level it was tested at; the others get the Bonferroni alpha / m (their p > alpha / m
 *         whenever Holm does not reject them);
 *   bh:   every comparison gets alpha * max(R, 1) / m with R the number of rejections, the
 *         false-coverage-rate intervals of Benjamini & Yekutieli (2005).
 * Null p-values keep the nominal alpha (no interval to adjust).
 */
export function correctedAlphas(pValues: readonly (number | null)[], adjusted: readonly (number | null)[], alpha: number, method: Correction): number[] {
  if (method === 'none') return pValues.map(() => alpha);
  const present = pValues.flatMap((p, i) => (p === null ? [] : [{ p, i }]));
  const m = present.length;
  const out = pValues.map(() => alpha);
  if (m === 0) return out;
  const rejected = (i: number): boolean => {
    const a = adjusted[i];
    return a !== null && a !== undefined && a < alpha;
  };
  if (method === 'holm') {
    present.sort((a, b) => a.p - b.p || a.i - b.i);
    present.forEach(({ i }, rank) => (out[i] = rejected(i) ? alpha / (m - rank) : alpha / m));
    return out;
  }
  const r = present.filter(({ i }) => rejected(i)).length;
  for (const { i } of present) out[i] = (alpha * Math.max(r, 1)) / m;
  return out;
}
