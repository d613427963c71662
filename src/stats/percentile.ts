/**
 * Percentile (quantile) metrics: the difference of the p-th quantiles of two arms, with a CI whose
 * variance comes from aggregates a warehouse can compute.
 *
 * Estimator: q_v = the arm's sample p-quantile with linear interpolation (type 7 of Hyndman & Fan
 * 1996: DuckDB's quantile_cont, R's default, numpy's 'linear').
 *
 * Variance: the asymptotic variance of a sample quantile (Bahadur 1966; e.g. Serfling 1980, §2.3.3,
 * or van der Vaart 1998, Cor. 21.5):
 *
 *     Var(q_v) = p (1 - p) / (n_v f_v(q_v)^2)
 *
 * with the density f_v at the quantile estimated by a uniform kernel, i.e. a histogram bin centred
 * on the quantile, from two aggregates:
 *
 *     f_v = #{ |x - q_v| <= h_v } / (2 h_v n_v)
 *     h_v = 0.9 min(sd_v, IQR_v / 1.349) n_v^(-1/5)        (Silverman's rule of thumb, Silverman 1986, eq. 3.31)
 *
 * (sd the sample standard deviation, IQR = q_0.75 - q_0.25; when IQR is 0 the sd is used). The
 * arms are independent, so Var(q_t - q_c) = Var(q_t) + Var(q_c); the CI and p-value are normal
 * (z). The relative difference (q_t - q_c) / |q_c| gets the delta-method variance
 * Var(q_t) / q_c^2 + q_t^2 Var(q_c) / q_c^4.
 *
 * A point mass at the quantile (e.g. the 0.5 quantile of revenue when most units spend 0) breaks
 * the density estimate; `ties` (units exactly at q) lets the caller warn about it.
 *
 * Pure: no SQL, no IO.
 */
import { normalQuantile, normalSf } from './distributions.js';
import type { Interval, Tails } from './ttest.js';

/** One arm's aggregates: from one GROUP BY query (n, q, sd, iqr) and one band count around q. */
export interface QuantileArm {
  n: number;
  /** The sample p-quantile (quantile_cont). */
  q: number;
  /** Bandwidth used for the band count. */
  h: number;
  /** Units with |x - q| <= h. */
  inBand: number;
  /** Units exactly at q (a point mass there makes the density estimate meaningless). */
  ties?: number;
}

/** Silverman's rule-of-thumb bandwidth: 0.9 min(sd, IQR / 1.349) n^(-1/5); IQR = 0 falls back to sd. Null when both are 0. */
export function silvermanBandwidth(sd: number, iqr: number, n: number): number | null {
  const spread = iqr > 0 ? Math.min(sd, iqr / 1.349) : sd;
  if (!(spread > 0) || !(n > 0)) return null;
  return 0.9 * spread * n ** -0.2;
}

/** The density at the quantile, f = inBand / (2 h n), and Var(q) = p (1 - p) / (n f^2). */
export function quantileVariance(arm: QuantileArm, p: number): { density: number; variance: number } | null {
  if (!(arm.n > 0) || !(arm.h > 0) || !(arm.inBand > 0)) return null;
  const density = arm.inBand / (2 * arm.h * arm.n);
  return { density, variance: (p * (1 - p)) / (arm.n * density * density) };
}

export interface QuantileComparison {
  p: number;
  control_quantile: number;
  test_quantile: number;
  diff: number;
  diff_se: number | null;
  diff_ci: Interval;
  rel_diff: number | null;
  rel_se: number | null;
  rel_ci: Interval;
  p_value: number | null;
  control_density: number | null;
  test_density: number | null;
  bandwidth: [number, number];
}

function normalInterval(est: number, se: number, alpha: number, tails: Tails): Interval {
  if (tails === 'two') {
    const z = normalQuantile(1 - alpha / 2);
    return [est - z * se, est + z * se];
  }
  const z = normalQuantile(1 - alpha);
  return tails === 'greater' ? [est - z * se, null] : [null, est + z * se];
}

function normalP(zs: number, tails: Tails): number {
  if (tails === 'two') return Math.min(1, 2 * normalSf(Math.abs(zs)));
  return tails === 'greater' ? normalSf(zs) : normalSf(-zs);
}

/** Test minus control p-quantiles with the density-based standard error. */
export function compareQuantiles(control: QuantileArm, test: QuantileArm, p: number, alpha: number, tails: Tails = 'two'): QuantileComparison {
  const vc = quantileVariance(control, p);
  const vt = quantileVariance(test, p);
  const diff = test.q - control.q;
  const base = {
    p,
    control_quantile: control.q,
    test_quantile: test.q,
    diff,
    control_density: vc?.density ?? null,
    test_density: vt?.density ?? null,
    bandwidth: [control.h, test.h] as [number, number],
  };
  if (!vc || !vt) return { ...base, diff_se: null, diff_ci: [null, null], rel_diff: control.q !== 0 ? diff / Math.abs(control.q) : null, rel_se: null, rel_ci: [null, null], p_value: null };
  const se = Math.sqrt(vc.variance + vt.variance);
  const rel = control.q !== 0 ? diff / Math.abs(control.q) : null;
  const relSe = control.q !== 0 ? Math.sqrt(vt.variance / control.q ** 2 + (test.q ** 2 * vc.variance) / control.q ** 4) : null;
  return {
    ...base,
    diff_se: se,
    diff_ci: normalInterval(diff, se, alpha, tails),
    rel_diff: rel,
    rel_se: relSe,
    rel_ci: rel !== null && relSe !== null ? normalInterval(rel, relSe, alpha, tails) : [null, null],
    p_value: se > 0 ? normalP(diff / se, tails) : null,
  };
}

/** "revenue:0.9" -> { metric: 'revenue', p: 0.9 }; null when it does not parse or p is not in (0, 1). */
export function parsePercentileSpec(raw: string): { metric: string; p: number } | null {
  const m = /^(.+):([0-9]*\.?[0-9]+)$/.exec(raw.trim());
  if (!m) return null;
  const p = Number(m[2]);
  if (!(p > 0 && p < 1)) return null;
  return { metric: (m[1] as string).trim(), p };
}
