/**
 * Ratio metrics: per arm R = mean(num) / mean(den) over units (e.g. orders per session, with
 * both summed per user), compared by the delta method, with optional regression adjustment.
 *
 * Delta method (gbstats' RatioStatistic, tea-tasting's RatioOfMeans): R_hat is, to first
 * order, R plus the mean of the per-unit influence value
 *     u_i = (num_i - R den_i) / mean(den),
 * so Var(R_hat) = var(u) / n with
 *     var(u) = (var(num) - 2 R cov(num, den) + R^2 var(den)) / mean(den)^2.
 * The difference of ratios is then tested with Welch on (R_v, var(u_v), n_v), exactly as a
 * mean metric; the relative lift (R_t - R_c) / |R_c| gets the same delta-method treatment.
 *
 * Regression adjustment on ratios (CUPED/CUPAC): we adjust the linearised outcome u, which
 * handles any number of unit-level covariates x (e.g. pre_orders and pre_sessions, or a model
 * prediction). theta = Sxx^-1 cov(x, u) on the POOLED sample, where the pooled u uses the
 * pooled ratio and mean(den):
 *     cov(x, u) = (cov(x, num) - R cov(x, den)) / mean(den);
 * per arm A_v = R_v - theta'(xbar_v - xbar_pooled), with adjusted variance
 * var(u_v) - 2 theta' cov(x, u_v) + theta' Sxx_v theta from the arm's own moments.
 * gbstats' RegressionAdjustedRatioStatistic instead adjusts by one pre-period RATIO with a
 * scalar theta fitted on within-arm covariances; passing pre_num and pre_den as two
 * covariates here spans that adjustment (theta on each), so it reduces variance at least as
 * much up to estimation noise. With den = 1 for every unit this is exactly analyzeMean.
 */
import { type AnalysisOptions, type Comparison, type LinearArm, compareLinear, resolveOptions } from './cuped.js';
import { at, subMatrix, subVector, vAt } from './linalg.js';
import { type Moments, StatsInputError, columnIndex, covariance, means, mergeMoments } from './moments.js';

export interface RatioOptions extends AnalysisOptions {
  /** Numerator column (summed per unit). */
  numerator: string;
  /** Denominator column (summed per unit). */
  denominator: string;
  /** Name to report; default "numerator/denominator". */
  metric?: string;
}

/** Below this share of its terms, var(u) is rounding noise (num proportional to den in every unit). */
const CANCELLATION_TOL = 1e-10;

/** LinearArm of the ratio mean(num)/mean(den): u = (num - R den) / mean(den). */
export function ratioLinearArm(m: Moments, numerator: string, denominator: string, covariates: readonly string[], label: string): LinearArm {
  const yi = columnIndex(m, numerator);
  const di = columnIndex(m, denominator);
  const xi = covariates.map((c) => columnIndex(m, c));
  const mu = means(m);
  const s = covariance(m);
  const ybar = vAt(mu, yi);
  const dbar = vAt(mu, di);
  // A denominator constant within the arm whose mean is within rounding of 0 is 0 (the shifted
  // sums cancel to a hair off 0, which would give a ratio of ~1e16).
  const dScale = Math.abs(vAt(m.shift, di)) + Math.abs(dbar);
  if (dbar === 0 || (at(s, di, di) === 0 && Math.abs(dbar) <= 1e-9 * dScale)) {
    throw new StatsInputError(`the denominator "${denominator}" averages 0 in the ${label}; the ratio is undefined`, 'ZERO_DENOMINATOR');
  }
  const r = ybar / dbar;
  const syy = at(s, yi, yi);
  const syd = at(s, yi, di);
  const sdd = at(s, di, di);
  const raw = (syy - 2 * r * syd + r * r * sdd) / (dbar * dbar);
  const magnitude = (Math.abs(syy) + 2 * Math.abs(r * syd) + r * r * Math.abs(sdd)) / (dbar * dbar);
  return {
    n: m.n,
    estimate: r,
    varU: raw <= CANCELLATION_TOL * magnitude ? 0 : raw,
    covXU: xi.map((j) => (at(s, j, yi) - r * at(s, j, di)) / dbar),
    covXX: subMatrix(s, xi),
    xMean: subVector(mu, xi),
  };
}

/**
 * Compares the ratio mean(numerator)/mean(denominator) between the arms (delta method, Welch),
 * adjusted on `covariates` when given. Throws StatsInputError when the denominator averages 0
 * in an arm, and for the same bad inputs as analyzeMean.
 */
export function analyzeRatio(control: Moments, test: Moments, options: RatioOptions): Comparison {
  const { numerator, denominator } = options;
  if (numerator === denominator) throw new StatsInputError(`a ratio needs two different columns, got "${numerator}" twice`, 'BAD_RATIO');
  const r = resolveOptions(control, test, [numerator, denominator], options);
  const metric = options.metric ?? `${numerator}/${denominator}`;
  const pooled = mergeMoments(control, test);
  return compareLinear({
    metric,
    kind: 'ratio',
    control: ratioLinearArm(control, numerator, denominator, r.covariates, 'control arm'),
    test: ratioLinearArm(test, numerator, denominator, r.covariates, 'test arm'),
    pooled: ratioLinearArm(pooled, numerator, denominator, r.covariates, 'pooled sample'),
    covariateNames: r.covariates,
    ...(options.covariateGroups ? { covariateGroups: options.covariateGroups } : {}),
    method: r.method,
    alpha: r.alpha,
    tails: r.tails,
  });
}
