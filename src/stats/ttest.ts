/**
 * Welch's unequal-variance t-test on two arm summaries (estimate, per-unit variance, n), with
 * Satterthwaite degrees of freedom, one- and two-tailed p-values and confidence intervals.
 */
import { StatsInputError } from './moments.js';
import { studentTQuantile, studentTSf } from './distributions.js';

/** Alternative hypothesis: `two` (test != control), `greater` (test > control), `less` (test < control). */
export type Tails = 'two' | 'greater' | 'less';

/** A confidence interval; null marks an unbounded side (one-tailed tests). */
export type Interval = [number | null, number | null];

export interface ArmSummary {
  n: number;
  /** Per-unit sample variance of the arm's (adjusted or linearised) outcome. */
  variance: number;
}

export interface WelchResult {
  diff: number;
  se: number;
  /** Satterthwaite degrees of freedom; null when both variances are zero. */
  df: number | null;
  /** diff / se; null when se is zero. */
  t: number | null;
  /** null when se is zero (no test is possible). */
  p_value: number | null;
  ci: Interval;
  /** t quantile used for the interval half-width (two-sided: 1 - alpha/2, one-sided: 1 - alpha); null when df is. */
  critical: number | null;
}

export function validateAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError(`alpha must be between 0 and 1, got ${alpha}`, 'BAD_ALPHA');
}

export function validateTails(tails: string): asserts tails is Tails {
  if (tails !== 'two' && tails !== 'greater' && tails !== 'less') {
    throw new StatsInputError(`tails must be two, greater or less, got "${tails}"`, 'BAD_TAILS');
  }
}

/** Welch-Satterthwaite degrees of freedom; null when both arms have zero variance. */
export function welchDf(control: ArmSummary, test: ArmSummary): number | null {
  const vc = control.variance / control.n;
  const vt = test.variance / test.n;
  const num = (vc + vt) ** 2;
  const den = (vc * vc) / (control.n - 1) + (vt * vt) / (test.n - 1);
  if (!(den > 0)) return null;
  return num / den;
}

/** The critical t value for a CI at level 1 - alpha (two-sided) or one-sided 1 - alpha. */
export function criticalValue(df: number, alpha: number, tails: Tails): number {
  return studentTQuantile(tails === 'two' ? 1 - alpha / 2 : 1 - alpha, df);
}

/** p-value of the statistic t under H0, for the given alternative. */
export function pValue(t: number, df: number, tails: Tails): number {
  if (tails === 'greater') return studentTSf(t, df);
  if (tails === 'less') return studentTSf(-t, df);
  return Math.min(1, 2 * studentTSf(Math.abs(t), df));
}

/** Interval around `estimate` with half-width `critical * se` on the tested side(s). */
export function interval(estimate: number, se: number, critical: number | null, tails: Tails): Interval {
  if (critical === null) return [estimate, estimate];
  const h = critical * se;
  if (tails === 'greater') return [estimate - h, null];
  if (tails === 'less') return [null, estimate + h];
  return [estimate - h, estimate + h];
}

/**
 * Welch test of diff = test estimate - control estimate with standard error
 * sqrt(var_c / n_c + var_t / n_t). Zero variance in both arms gives se = 0, p_value, df and
 * t null, and the degenerate interval [diff, diff]; it never produces NaN.
 */
export function welchTest(diff: number, control: ArmSummary, test: ArmSummary, alpha: number, tails: Tails): WelchResult {
  const variance = Math.max(0, control.variance) / control.n + Math.max(0, test.variance) / test.n;
  const se = Math.sqrt(variance);
  const df = welchDf(control, test);
  if (!(se > 0) || df === null) {
    return { diff, se: 0, df: null, t: null, p_value: null, ci: [diff, diff], critical: null };
  }
  const t = diff / se;
  const critical = criticalValue(df, alpha, tails);
  return { diff, se, df, t, p_value: pValue(t, df, tails), ci: interval(diff, se, critical, tails), critical };
}
