/**
 * Always-valid (peeking-safe) confidence sequences, GrowthBook's approach (gbstats
 * `SequentialTwoSidedTTest` and the one-sided variants, packages/stats/gbstats/frequentist/tests.py),
 * after Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas, "Time-uniform central limit theory and
 * asymptotic confidence sequences" (arXiv 2103.06476v7), the asymptotic normal-mixture boundary
 * of Howard, Ramdas, McAuliffe and Sekhon (2021, Annals of Statistics).
 *
 * Inputs: the estimate (absolute difference or relative lift, CUPED/CUPAC-adjusted when the
 * analysis is: the adjustment only changes the estimate and its variance, and the boundary is
 * valid for any asymptotically normal estimator), its standard error `se`, and the number of units
 * in the comparison n = n_control + n_test. With s^2 = se^2 n (the per-unit variance of the
 * estimator) and the tuning parameter N* (the sample size at which the boundary is tightest,
 * "expected sample size"):
 *
 *   rho^2     = (-2 ln a + ln(-2 ln a + 1)) / N*            a = alpha (two-sided), 2 alpha (one-sided)   (eq. 161)
 *   two-sided half-width  sqrt(s^2 * 2 (n rho^2 + 1) / (n rho)^2 * ln(sqrt(n rho^2 + 1) / alpha))        (eq. 9)
 *   one-sided half-width  sqrt(s^2 * 2 (n rho^2 + 1) / (n rho)^2 * ln(1 + sqrt(n rho^2 + 1) / (2 alpha))) (eq. 134)
 *   two-sided p-value     min(1, 1 / E) with the e-value E = exp(rho^2 n^2 est^2 / (2 s^2 (n rho^2 + 1))) / sqrt(n rho^2 + 1)  (eq. 155)
 *
 * The one-sided p-value is the alpha at which the one-sided bound touches 0 (rho held at the
 * configured alpha's). gbstats finds it by bisection within [1e-5, 0.4999]; here it is the closed
 * form  alpha = sqrt(n rho^2 + 1) / (2 (exp(K) - 1)),  K = est^2 (n rho)^2 / (2 s^2 (n rho^2 + 1)),
 * capped at 1 (the same number to the bisection's tolerance inside that range).
 *
 * Every peek may be looked at: P(some CI in the sequence misses the truth) <= alpha.
 */
import { adjustPValues, correctedAlphas, type Correction } from './corrections.js';
import { StatsInputError } from './moments.js';
import type { Interval, Tails } from './ttest.js';

/** gbstats' default tuning parameter (expected sample size N*). */
export const DEFAULT_TUNING = 5000;

export interface SequentialOptions {
  alpha: number;
  tails?: Tails;
  /** N*: the number of units (both arms) at which the sequence is tightest; default 5000. */
  tuning?: number;
  /** Alpha for the interval when it differs from the one rho is tuned at (a multiple-comparison correction). */
  ciAlpha?: number;
}

export interface SequentialResult {
  ci: Interval;
  /** Always-valid p-value: reject at any peek when it is below alpha. */
  p_value: number;
  halfwidth: number;
  rho: number;
}

function validate(alpha: number, tuning: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError(`alpha must be between 0 and 1, got ${alpha}`, 'BAD_ALPHA');
  if (!(tuning > 0 && Number.isFinite(tuning))) throw new StatsInputError(`the sequential tuning parameter must be a positive number of units, got ${tuning}`, 'BAD_TUNING');
}

/** rho of the normal mixture, tuned so the boundary is tightest at N* units (eq. 161). */
export function sequentialRho(alpha: number, tuning: number, twoSided = true): number {
  validate(alpha, tuning);
  const a = twoSided ? alpha : 2 * alpha;
  if (!(a < 1)) throw new StatsInputError(`a one-sided sequential test needs alpha < 0.5, got ${alpha}`, 'BAD_ALPHA');
  return Math.sqrt((-2 * Math.log(a) + Math.log(-2 * Math.log(a) + 1)) / tuning);
}

/** Two-sided half-width for per-unit variance s2 after n units (eq. 9). */
export function sequentialHalfwidth(s2: number, n: number, alpha: number, rho: number): number {
  const nr2 = n * rho * rho + 1;
  return Math.sqrt(s2) * Math.sqrt((2 * nr2 * Math.log(Math.sqrt(nr2) / alpha)) / (n * rho) ** 2);
}

/** One-sided half-width (eq. 134). */
export function sequentialHalfwidthOneSided(s2: number, n: number, alpha: number, rho: number): number {
  const nr2 = n * rho * rho + 1;
  return Math.sqrt(((s2 * 2 * nr2) / (n * rho) ** 2) * Math.log(1 + Math.sqrt(nr2) / (2 * alpha)));
}

/**
 * The peeking-safe interval and p-value for an estimate with standard error `se` over `n` units.
 * se = 0 gives the degenerate interval [estimate, estimate] and p = 1 when estimate = 0, else 0.
 */
export function sequentialTest(estimate: number, se: number, n: number, opts: SequentialOptions): SequentialResult {
  const tails = opts.tails ?? 'two';
  const tuning = opts.tuning ?? DEFAULT_TUNING;
  validate(opts.alpha, tuning);
  if (!(n > 0)) throw new StatsInputError(`a sequential test needs units, got n = ${n}`, 'TOO_FEW_UNITS');
  if (!Number.isFinite(estimate) || !(se >= 0)) throw new StatsInputError(`the estimate and its standard error must be finite, got ${estimate} ± ${se}`, 'BAD_EFFECT');
  const ciAlpha = opts.ciAlpha ?? opts.alpha;
  const twoSided = tails === 'two';
  const rho = sequentialRho(opts.alpha, tuning, twoSided);
  const s2 = se * se * n;
  if (!(s2 > 0)) return { ci: [estimate, estimate], p_value: estimate === 0 ? 1 : 0, halfwidth: 0, rho };
  const nr2 = n * rho * rho + 1;
  // The normalised squared signal rho^2 n^2 est^2 / (2 s^2 (n rho^2 + 1)): the log e-value plus ln sqrt(n rho^2 + 1).
  const k = (rho * rho * n * n * estimate * estimate) / (2 * s2 * nr2);
  if (twoSided) {
    const h = sequentialHalfwidth(s2, n, ciAlpha, rho);
    const logE = k - 0.5 * Math.log(nr2);
    return { ci: [estimate - h, estimate + h], p_value: Math.min(1, Math.exp(-logE)), halfwidth: h, rho };
  }
  const h = sequentialHalfwidthOneSided(s2, n, ciAlpha, rho);
  const right = tails === 'greater' ? estimate > 0 : estimate < 0;
  // exp(k) - 1 without losing digits when k is small.
  const p = right ? Math.min(1, Math.sqrt(nr2) / (2 * Math.expm1(k))) : 1;
  return { ci: tails === 'greater' ? [estimate - h, null] : [null, estimate + h], p_value: p, halfwidth: h, rho };
}

/** One comparison's peeking-safe read-out, next to the fixed-horizon figures. */
export interface SequentialReadout {
  /** Units in the comparison (both arms): the n of the boundary. */
  n: number;
  diff_ci: Interval;
  rel_ci: Interval;
  /** Always-valid p-value of the (adjusted) difference. */
  p_value: number;
  /** After the analysis' multiple-comparison correction (the same as p_value without one). */
  p_value_adjusted: number;
  /** Alpha the intervals are at (the correction's per-comparison alpha, as the fixed-horizon CIs). */
  ci_alpha: number;
  significant: boolean;
}

/**
 * Confidence sequences for analyze's comparisons: on the CUPED/CUPAC-adjusted difference and
 * relative lift with their standard errors, over n_control + n_test units. The p-values get the
 * analysis' correction, and the intervals the matching per-comparison alpha (correctedAlphas).
 */
export function sequentialReadouts(
  comparisons: readonly { diff: number | null; diff_se: number | null; rel_lift: number | null; rel_se: number | null; n_control: number; n_test: number }[],
  opts: { alpha: number; tails: Tails; tuning: number; correction: Correction },
): (SequentialReadout | null)[] {
  const opt = { alpha: opts.alpha, tails: opts.tails, tuning: opts.tuning };
  const raw = comparisons.map((c) => (c.diff === null || c.diff_se === null ? null : sequentialTest(c.diff, c.diff_se, c.n_control + c.n_test, opt).p_value));
  const adjusted = adjustPValues(raw, opts.correction);
  const alphas = correctedAlphas(raw, adjusted, opts.alpha, opts.correction);
  return comparisons.map((c, i) => {
    const p = raw[i];
    if (p === null || p === undefined || c.diff === null || c.diff_se === null) return null;
    const n = c.n_control + c.n_test;
    const ciAlpha = alphas[i] ?? opts.alpha;
    const diff = sequentialTest(c.diff, c.diff_se, n, { ...opt, ciAlpha });
    const rel = c.rel_lift === null || c.rel_se === null ? null : sequentialTest(c.rel_lift, c.rel_se, n, { ...opt, ciAlpha });
    const pAdj = adjusted[i] ?? p;
    return { n, diff_ci: diff.ci, rel_ci: rel ? rel.ci : [null, null], p_value: p, p_value_adjusted: pAdj, ci_alpha: ciAlpha, significant: pAdj < opts.alpha };
  });
}
