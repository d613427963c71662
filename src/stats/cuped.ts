/**
 * Two-arm comparison of a mean metric, with optional regression adjustment on k covariates
 * (CUPED when the covariates are pre-period values, CUPAC when one is a model prediction;
 * the math is the same). Also the shared engine that ratio.ts feeds with linearised arms.
 *
 * Method (after GrowthBook gbstats' RegressionAdjustedStatistic, generalised to k covariates,
 * and tea-tasting's centring on the pooled covariate mean):
 *
 *   theta   = Sxx^-1 Sxy from the covariance of the POOLED sample (control and this variant
 *             merged, so between-arm differences count, as in gbstats), solved by a Cholesky
 *             factorisation that drops constant covariates and covariates collinear with
 *             earlier ones (R^2 >= 1 - 1e-9), each with a warning.
 *   A_v     = ybar_v - theta'(xbar_v - xbar_pooled)                adjusted mean of arm v
 *   s2_v    = var_v(y) - 2 theta' cov_v(x, y) + theta' Sxx_v theta  adjusted per-unit variance,
 *             each arm from its own covariances
 *   diff    = A_test - A_control; Welch t-test on (A_v, s2_v, n_v) with Satterthwaite df.
 *   rel     = diff / |ybar_control| (the UNADJUSTED control mean, as gbstats does), with a
 *             delta-method variance that includes the covariance between the control arm's
 *             adjusted mean and its unadjusted mean (see relativeLift).
 *   variance_reduction      = 1 - Var_adj(diff) / Var_raw(diff)
 *   equivalent_sample_saved = 1 / (1 - variance_reduction) - 1: the extra sample an
 *             unadjusted test would need for the same precision (0.41 = 41% more).
 *   covariate_shares        = the Shapley decomposition of variance_reduction over the kept
 *             covariates (each covariate's average marginal reduction over all orders in
 *             which covariates could be added, theta refitted on each subset), divided by the
 *             total so that shares sum to 1. Exact for up to 12 covariates; above that, the
 *             average over 256 fixed pseudo-random orders. `covariate_contributions` gives the
 *             same in absolute points of variance reduction (they sum to variance_reduction).
 *             With `covariateGroups`, the players are groups of columns (a one-hot categorical
 *             counts once, under its own name).
 */
import {
  type Matrix,
  at,
  choleskySolve,
  choleskyWithDrop,
  dot,
  quadForm,
  subMatrix,
  subVector,
  vAt,
  zeros,
} from './linalg.js';
import { type Moments, StatsInputError, columnIndex, covariance, means, mergeMoments, validateMoments } from './moments.js';
import { type Interval, type Tails, type WelchResult, interval, validateAlpha, validateTails, welchTest } from './ttest.js';

export type AdjustmentMethod = 'none' | 'cuped' | 'cupac';

export interface AnalysisOptions {
  /** Covariate columns to adjust on; [] or absent for an unadjusted test. */
  covariates?: readonly string[];
  /** Label of the adjustment; defaults to 'cuped' when there are covariates, else 'none'. */
  method?: AdjustmentMethod;
  /** Significance level, default 0.05. */
  alpha?: number;
  /** Alternative hypothesis, default 'two'. */
  tails?: Tails;
  /**
   * Reporting groups for covariate shares: encoded column -> covariate name, e.g.
   * { 'country=US': 'country', 'country=DE': 'country' } so a one-hot categorical gets one
   * share. Columns not listed are their own group. theta stays per column.
   */
  covariateGroups?: Readonly<Record<string, string>>;
}

export interface MeanOptions extends AnalysisOptions {
  /** The outcome column. */
  metric: string;
}

/** The plain (no covariates) comparison, always reported next to the adjusted one. */
export interface UnadjustedResult {
  control_mean: number;
  test_mean: number;
  diff: number;
  diff_se: number;
  diff_ci: Interval;
  p_value: number | null;
  df: number | null;
  rel_lift: number | null;
  rel_se: number | null;
  rel_ci: Interval;
}

/** One (metric, variant vs control) comparison; field names are the JSON output's. */
export interface Comparison {
  metric: string;
  kind: 'mean' | 'ratio';
  /** 'none' when no covariate was usable, whatever was asked. */
  method: AdjustmentMethod;
  alpha: number;
  tails: Tails;
  n_control: number;
  n_test: number;
  /** Adjusted arm estimates A_v (plain means / ratios when unadjusted); test_mean - control_mean = diff. */
  control_mean: number;
  test_mean: number;
  diff: number;
  diff_se: number;
  diff_ci: Interval;
  /** diff / |unadjusted control estimate|; null when that is zero. */
  rel_lift: number | null;
  rel_se: number | null;
  rel_ci: Interval;
  /** Welch p-value of diff; null when both arms have zero variance. */
  p_value: number | null;
  df: number | null;
  t_stat: number | null;
  /** Covariates actually used, in order. */
  covariates: string[];
  /** Requested covariates left out (constant or collinear); each also has a warning. */
  dropped_covariates: string[];
  theta: Record<string, number>;
  variance_reduction: number;
  /** null when the adjustment removed all variance. */
  equivalent_sample_saved: number | null;
  covariate_shares: Record<string, number>;
  covariate_contributions: Record<string, number>;
  unadjusted: UnadjustedResult;
  warnings: string[];
  /** Why each dropped covariate was left out (it changes nothing: the fit is the same without it). */
  notes: string[];
}

/**
 * First-order (delta-method) picture of one arm's estimator: estimate ~ truth + mean of a
 * per-unit influence value u. For a mean metric u = y; for a ratio u = (num - R den) / mean(den).
 */
export interface LinearArm {
  n: number;
  estimate: number;
  /** Per-unit sample variance of u. */
  varU: number;
  /** Per-unit covariances of the covariates with u. */
  covXU: number[];
  covXX: Matrix;
  xMean: number[];
}

/** Differences below this share of the terms they come from are rounding noise: set to 0. */
const CANCELLATION_TOL = 1e-10;

function clampCancellation(value: number, magnitude: number): number {
  return value <= CANCELLATION_TOL * magnitude ? 0 : value;
}

export interface Resolved {
  alpha: number;
  tails: Tails;
  covariates: string[];
  method: AdjustmentMethod;
}

/** Validates the common options and the arms; throws StatsInputError. */
export function resolveOptions(
  control: Moments,
  test: Moments,
  outcomeColumns: readonly string[],
  options: AnalysisOptions,
): Resolved {
  validateMoments(control, 'control');
  validateMoments(test, 'test');
  const alpha = options.alpha ?? 0.05;
  validateAlpha(alpha);
  const tails: string = options.tails ?? 'two';
  validateTails(tails);
  for (const [label, m] of [
    ['control', control],
    ['test', test],
  ] as const) {
    if (m.n < 2) throw new StatsInputError(`the ${label} arm has ${m.n} unit(s); at least 2 are needed`, 'TOO_FEW_UNITS');
  }
  const covariates = [...(options.covariates ?? [])];
  if (new Set(covariates).size !== covariates.length) {
    throw new StatsInputError(`a covariate is listed twice: ${covariates.join(', ')}`, 'DUPLICATE_COVARIATE');
  }
  for (const c of covariates) {
    if (outcomeColumns.includes(c)) throw new StatsInputError(`"${c}" is the metric itself and cannot be its own covariate`, 'COVARIATE_IS_METRIC');
  }
  for (const name of [...outcomeColumns, ...covariates]) {
    columnIndex(control, name);
    columnIndex(test, name);
  }
  const method = options.method ?? (covariates.length > 0 ? 'cuped' : 'none');
  if (method !== 'none' && method !== 'cuped' && method !== 'cupac') {
    throw new StatsInputError(`method must be none, cuped or cupac, got "${String(method)}"`, 'BAD_METHOD');
  }
  return { alpha, tails, covariates: method === 'none' ? [] : covariates, method };
}

/** LinearArm of a mean metric: u = y. */
export function meanLinearArm(m: Moments, metric: string, covariates: readonly string[]): LinearArm {
  const yi = columnIndex(m, metric);
  const xi = covariates.map((c) => columnIndex(m, c));
  const mu = means(m);
  const s = covariance(m);
  return {
    n: m.n,
    estimate: vAt(mu, yi),
    varU: at(s, yi, yi),
    covXU: xi.map((j) => at(s, j, yi)),
    covXX: subMatrix(s, xi),
    xMean: subVector(mu, xi),
  };
}

/** Adjusted per-unit variance var(u) - 2 theta' cov(x, u) + theta' Sxx theta, never below 0. */
export function adjustedVariance(arm: LinearArm, theta: readonly number[]): number {
  const cross = dot(theta, arm.covXU);
  const quad = quadForm(arm.covXX, theta);
  return clampCancellation(arm.varU - 2 * cross + quad, Math.abs(arm.varU) + 2 * Math.abs(cross) + Math.abs(quad));
}

/** Adjusted estimate: estimate - theta'(xbar_arm - xbar_pooled). */
export function adjustedEstimate(arm: LinearArm, theta: readonly number[], pooledXMean: readonly number[]): number {
  return arm.estimate - dot(theta, arm.xMean.map((x, j) => x - vAt(pooledXMean, j)));
}

/**
 * Relative lift rel = diff / |c| (c = unadjusted control estimate) and its delta-method
 * standard error. With theta = 0 this is gbstats' unadjusted relative variance
 * var_t / (n_t c^2) + (test/c)^2 var_c / (n_c c^2). With theta it linearises
 * rel = (A_t - A_c) / |c| in the control arm's (u, xbar) jointly:
 *   d rel = [d A_t - a d c' ... ] with coefficient a = -1/|c| - diff sign(c) / c^2 on the control
 *   estimate and theta / |c| on the control covariate means, so
 *   var_c = (a^2 var(u_c) + 2 a (theta/|c|)' cov(x, u)_c + (theta/|c|)' Sxx_c (theta/|c|)) / n_c,
 *   var_t = s2_t / (n_t c^2).
 * gbstats' frequentist_variance_relative_cuped is the same with (|c| + diff) replaced by the
 * unadjusted test mean, which agrees when the arms' covariate means are equal.
 */
export function relativeLift(
  control: LinearArm,
  test: LinearArm,
  theta: readonly number[],
  diff: number,
  welch: WelchResult,
  tails: Tails,
): { rel_lift: number | null; rel_se: number | null; rel_ci: Interval } {
  const c = control.estimate;
  if (c === 0) return { rel_lift: null, rel_se: null, rel_ci: [null, null] };
  const absC = Math.abs(c);
  const rel = diff / absC;
  const a = -1 / absC - (diff * Math.sign(c)) / (c * c);
  const b = theta.map((t) => t / absC);
  const cross = dot(b, control.covXU);
  const quad = quadForm(control.covXX, b);
  const varCtrl = clampCancellation(a * a * control.varU + 2 * a * cross + quad, a * a * Math.abs(control.varU) + 2 * Math.abs(a * cross) + Math.abs(quad));
  const varTest = adjustedVariance(test, theta) / (c * c);
  const se = Math.sqrt(varCtrl / control.n + varTest / test.n);
  return { rel_lift: rel, rel_se: se, rel_ci: interval(rel, se, welch.critical, tails) };
}

/** Variance of the adjusted difference for a given theta (per-arm variances over n). */
function diffVariance(control: LinearArm, test: LinearArm, theta: readonly number[]): number {
  return adjustedVariance(control, theta) / control.n + adjustedVariance(test, theta) / test.n;
}

/** Restricts a LinearArm to a subset of its covariates. */
function restrictArm(arm: LinearArm, idx: readonly number[]): LinearArm {
  return { ...arm, covXU: subVector(arm.covXU, idx), covXX: subMatrix(arm.covXX, idx), xMean: subVector(arm.xMean, idx) };
}

/** theta fitted on the pooled arm for covariate subset `idx` (assumed positive definite). */
function thetaFor(pooled: LinearArm, idx: readonly number[]): number[] {
  if (idx.length === 0) return [];
  const f = choleskyWithDrop(subMatrix(pooled.covXX, idx), [], 0);
  if (f.kept.length !== idx.length) return zeros(idx.length);
  return choleskySolve(f.L, subVector(pooled.covXU, idx));
}

/** Deterministic PRNG for the sampled Shapley orders (mulberry32). */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHAPLEY_EXACT_MAX = 12;
const SHAPLEY_SAMPLED_ORDERS = 256;

/**
 * Shapley contributions of each player (a set of covariate indices into the arms' lists; by
 * default each covariate alone) to the variance reduction 1 - Var_adj(diff; S) / Var_raw(diff),
 * theta refitted on every coalition. Sums to the full reduction.
 */
export function shapleyContributions(
  control: LinearArm,
  test: LinearArm,
  pooled: LinearArm,
  rawVarDiff: number,
  players: readonly (readonly number[])[] = pooled.covXU.map((_, j) => [j]),
): number[] {
  const m = players.length;
  if (m === 0 || !(rawVarDiff > 0)) return zeros(m);
  const cache = new Map<number, number>();
  const value = (mask: number): number => {
    const hit = cache.get(mask);
    if (hit !== undefined) return hit;
    const idx: number[] = [];
    for (let j = 0; j < m; j++) if (mask & (1 << j)) idx.push(...(players[j] ?? []));
    idx.sort((a, b) => a - b);
    const theta = thetaFor(pooled, idx);
    const v = idx.length === 0 ? 0 : 1 - diffVariance(restrictArm(control, idx), restrictArm(test, idx), theta) / rawVarDiff;
    cache.set(mask, v);
    return v;
  };
  const phi = zeros(m);
  if (m <= SHAPLEY_EXACT_MAX) {
    // weight(|S|) = |S|! (m - |S| - 1)! / m!
    const fact = [1];
    for (let i = 1; i <= m; i++) fact.push(vAt(fact, i - 1) * i);
    const full = (1 << m) - 1;
    for (let mask = 0; mask <= full; mask++) {
      let size = 0;
      for (let j = 0; j < m; j++) if (mask & (1 << j)) size++;
      if (size === m) continue;
      const w = (vAt(fact, size) * vAt(fact, m - size - 1)) / vAt(fact, m);
      const base = value(mask);
      for (let j = 0; j < m; j++) {
        if (mask & (1 << j)) continue;
        phi[j] = vAt(phi, j) + w * (value(mask | (1 << j)) - base);
      }
    }
    return phi;
  }
  const rand = mulberry32(0x5eed);
  for (let r = 0; r < SHAPLEY_SAMPLED_ORDERS; r++) {
    const order = Array.from({ length: m }, (_, j) => j);
    for (let i = m - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      const tmp = vAt(order, i);
      order[i] = vAt(order, k);
      order[k] = tmp;
    }
    let mask = 0;
    let prev = 0;
    for (const j of order) {
      mask |= 1 << j;
      const v = value(mask);
      phi[j] = vAt(phi, j) + (v - prev) / SHAPLEY_SAMPLED_ORDERS;
      prev = v;
    }
  }
  return phi;
}

export interface CompareLinearInput {
  metric: string;
  kind: 'mean' | 'ratio';
  control: LinearArm;
  test: LinearArm;
  /** control and test merged; its covariances give theta. */
  pooled: LinearArm;
  covariateNames: readonly string[];
  method: AdjustmentMethod;
  alpha: number;
  tails: Tails;
  warnings?: string[];
  /** Use this theta (one per covariate) instead of fitting it; for tests and fixed-theta analyses. */
  theta?: readonly number[];
  /** See AnalysisOptions.covariateGroups. */
  covariateGroups?: Readonly<Record<string, string>>;
}

function fmtPct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** The shared engine: unadjusted and (if covariates) adjusted Welch comparison of two linearised arms. */
export function compareLinear(input: CompareLinearInput): Comparison {
  const { metric, kind, control, test, pooled, alpha, tails } = input;
  const names = [...input.covariateNames];
  const warnings = [...(input.warnings ?? [])];
  const notes: string[] = [];

  const rawDiff = test.estimate - control.estimate;
  const rawWelch = welchTest(rawDiff, { n: control.n, variance: control.varU }, { n: test.n, variance: test.varU }, alpha, tails);
  const rawRel = relativeLift(control, test, zeros(names.length), rawDiff, rawWelch, tails);
  const unadjusted: UnadjustedResult = {
    control_mean: control.estimate,
    test_mean: test.estimate,
    diff: rawDiff,
    diff_se: rawWelch.se,
    diff_ci: rawWelch.ci,
    p_value: rawWelch.p_value,
    df: rawWelch.df,
    ...rawRel,
  };
  if (rawWelch.p_value === null) warnings.push(`zero variance in both arms; no test is possible (p-value null)`);
  if (control.estimate === 0) warnings.push(`the control ${kind === 'ratio' ? 'ratio' : 'mean'} is 0; relative lift is undefined`);

  const base = {
    metric,
    kind,
    alpha,
    tails,
    n_control: control.n,
    n_test: test.n,
  };
  const plain = (method: AdjustmentMethod, dropped: string[]): Comparison => ({
    ...base,
    method,
    control_mean: control.estimate,
    test_mean: test.estimate,
    diff: rawDiff,
    diff_se: rawWelch.se,
    diff_ci: rawWelch.ci,
    rel_lift: rawRel.rel_lift,
    rel_se: rawRel.rel_se,
    rel_ci: rawRel.rel_ci,
    p_value: rawWelch.p_value,
    df: rawWelch.df,
    t_stat: rawWelch.t,
    covariates: [],
    dropped_covariates: dropped,
    theta: {},
    variance_reduction: 0,
    equivalent_sample_saved: 0,
    covariate_shares: {},
    covariate_contributions: {},
    unadjusted,
    warnings,
    notes,
  });
  if (names.length === 0 || input.method === 'none') return plain('none', []);

  let kept: number[];
  let thetaKept: number[];
  const dropped: string[] = [];
  if (input.theta) {
    if (input.theta.length !== names.length) throw new StatsInputError('theta must have one value per covariate', 'BAD_THETA');
    kept = names.map((_, j) => j);
    thetaKept = [...input.theta];
  } else {
    const f = choleskyWithDrop(pooled.covXX);
    for (const d of f.dropped) {
      const name = names[d.index] ?? `#${d.index}`;
      dropped.push(name);
      notes.push(
        d.reason === 'constant'
          ? `covariate ${name} left out: it is constant, so it carries no information`
          : `covariate ${name} left out: it is a linear combination of the covariates before it, so it adds nothing`,
      );
    }
    kept = f.kept;
    thetaKept = kept.length > 0 ? choleskySolve(f.L, subVector(pooled.covXU, kept)) : [];
  }
  if (kept.length === 0) {
    warnings.push(`no usable covariate; the result is unadjusted`);
    return plain('none', dropped);
  }

  const c = restrictArm(control, kept);
  const t = restrictArm(test, kept);
  const p = restrictArm(pooled, kept);
  const keptNames = kept.map((j) => names[j] ?? `#${j}`);
  const controlMean = adjustedEstimate(c, thetaKept, p.xMean);
  const testMean = adjustedEstimate(t, thetaKept, p.xMean);
  const diff = testMean - controlMean;
  const varC = adjustedVariance(c, thetaKept);
  const varT = adjustedVariance(t, thetaKept);
  const welch = welchTest(diff, { n: c.n, variance: varC }, { n: t.n, variance: varT }, alpha, tails);
  if (welch.p_value === null && rawWelch.p_value !== null) {
    warnings.push(`the covariates explain the metric exactly in both arms; adjusted variance is zero, no test is possible (p-value null)`);
  }
  const rel = relativeLift(c, t, thetaKept, diff, welch, tails);

  const rawVarDiff = control.varU / control.n + test.varU / test.n;
  const adjVarDiff = varC / c.n + varT / t.n;
  const vr = rawVarDiff > 0 ? 1 - adjVarDiff / rawVarDiff : 0;
  if (vr < 0) warnings.push(`the adjustment increased the variance of the difference by ${fmtPct(-vr)}`);
  // Shapley players: covariate groups (a one-hot categorical is one player), in first-seen order.
  const groupOf = (name: string): string => input.covariateGroups?.[name] ?? name;
  const groupNames: string[] = [];
  const players: number[][] = [];
  keptNames.forEach((name, j) => {
    const g = groupOf(name);
    let pos = groupNames.indexOf(g);
    if (pos < 0) {
      pos = groupNames.push(g) - 1;
      players.push([]);
    }
    players[pos]?.push(j);
  });
  const contributions = input.theta ? zeros(players.length) : shapleyContributions(c, t, p, rawVarDiff, players);

  const theta: Record<string, number> = {};
  keptNames.forEach((name, j) => {
    theta[name] = vAt(thetaKept, j);
  });
  const shares: Record<string, number> = {};
  const contrib: Record<string, number> = {};
  groupNames.forEach((g, j) => {
    contrib[g] = vAt(contributions, j);
    shares[g] = vr > 1e-12 ? vAt(contributions, j) / vr : 0;
  });

  return {
    ...base,
    method: input.method,
    control_mean: controlMean,
    test_mean: testMean,
    diff,
    diff_se: welch.se,
    diff_ci: welch.ci,
    rel_lift: rel.rel_lift,
    rel_se: rel.rel_se,
    rel_ci: rel.rel_ci,
    p_value: welch.p_value,
    df: welch.df,
    t_stat: welch.t,
    covariates: keptNames,
    dropped_covariates: dropped,
    theta,
    variance_reduction: vr,
    equivalent_sample_saved: vr < 1 ? vr / (1 - vr) : null,
    covariate_shares: shares,
    covariate_contributions: contrib,
    unadjusted,
    warnings,
    notes,
  };
}

/**
 * Compares the mean of `metric` between the control and test arms: Welch's t-test, and with
 * covariates the regression-adjusted (CUPED/CUPAC) test described at the top of this file.
 * Throws StatsInputError for fewer than 2 units in an arm, unknown columns, bad alpha/tails.
 */
export function analyzeMean(control: Moments, test: Moments, options: MeanOptions): Comparison {
  const r = resolveOptions(control, test, [options.metric], options);
  const pooledMoments = mergeMoments(control, test);
  return compareLinear({
    metric: options.metric,
    kind: 'mean',
    control: meanLinearArm(control, options.metric, r.covariates),
    test: meanLinearArm(test, options.metric, r.covariates),
    pooled: meanLinearArm(pooledMoments, options.metric, r.covariates),
    covariateNames: r.covariates,
    ...(options.covariateGroups ? { covariateGroups: options.covariateGroups } : {}),
    method: r.method,
    alpha: r.alpha,
    tails: r.tails,
  });
}

// analyzeRatio lives in ratio.ts (it feeds compareLinear with linearised arms); re-exported
// here so callers can take both analyses from one module. The import cycle is safe: neither
// module uses the other at load time.
export { analyzeRatio, type RatioOptions } from './ratio.js';
