/**
 * Conformal calibration of prediction intervals from rolling-origin cross-validation.
 *
 * Each CV point (fold f, step k) gives a score: how many of the model's own half-widths the
 * actual fell from the point forecast, on its own side, |a - f| / w. The interval at step k is
 * then widened (or narrowed) by the conformal quantile of the scores, the
 * ceil((N + 1) * level)-th smallest of N, so that the CV intervals would have covered `level`.
 *
 * Per horizon: the steps are cut into at most `maxBands` consecutive bands (default 3: early,
 * middle and late steps) of at least `minPerBand` (30) scores each; each band gets its own
 * quantile, and steps between band centres are interpolated linearly (constant beyond the first
 * and last centre). With fewer than 2 * minPerBand scores there is one pooled factor. The points
 * of one fold are strongly correlated across neighbouring steps, so with the usual 5 folds a
 * band per step would rest on 5 effective draws: bands are only worth it with many folds
 * (`maxBands` = horizon then gives one factor per step). Scaling the model's own half-widths keeps its horizon profile
 * (intervals that grow with the step); the bands correct that profile where CV disagrees.
 *
 * Correlated folds (the default when the points carry their fold): the (N + 1) rank assumes N
 * exchangeable scores, but a fold's points share its origin, so whether they fall outside the
 * band goes together (a level shift the fold did not foresee misses every step). With F folds of
 * m points and an intra-fold correlation rho of the miss indicators 1{score > q} (one-way ANOVA
 * ICC(1) at the plain conformal quantile q), the scores are worth n_eff = N / (1 + (m - 1) rho)
 * independent ones (the design effect of cluster sampling), and the band's factor is the
 * ceil((n_eff + 1) * level) / n_eff quantile of its scores (the ceil(p * N)-th smallest; the
 * largest when p reaches 1). rho = 0 gives back the plain rank; rho = 1 treats each fold as one draw. On
 * the six-series bench the plain rank under-covered over 10 windows (0.71-0.81); this one gives
 * 0.79-0.87 (README, forecast accuracy). It errs on the wide side: with an error shared by each
 * fold's points it covers about 0.86 where the plain rank covers 0.78 (models-cv.test.ts).
 */

/** Fewer effective CV scores than this: the calibration factor is weak evidence (said in the notes). */
export const WEAK_EFFECTIVE_SCORES = 20;
/** ... or from fewer folds (forecast origins) than this. */
export const WEAK_FOLDS = 3;

export interface CvPoint {
  /** 0-based horizon step. */
  step: number;
  actual: number;
  point: number;
  lower: number;
  upper: number;
  /** Weight of the point in the quantile (default 1): recency weighting gives newer folds more. */
  weight?: number;
  /** The CV fold the point comes from (any id): enables the correction for correlated folds. */
  fold?: number;
}

export interface Calibration {
  /** Factor for each horizon step 0..horizon-1. */
  scales: number[];
  /** Number of bands the steps were cut into (1 = pooled). */
  bands: number;
  /** Scores used. */
  n: number;
  /** Effective number of independent scores per band (the correlated-folds correction), when applied. */
  effective?: number[];
}

/** The conformal quantile: the ceil((N + 1) * level)-th smallest score (the largest when that exceeds N). */
export function conformalQuantile(scores: number[], level: number): number {
  const s = scores.slice().sort((a, b) => a - b);
  const k = Math.min(s.length, Math.ceil((s.length + 1) * level));
  return s[Math.max(0, k - 1)] as number;
}

/**
 * The weighted conformal quantile (Barber et al. 2023, non-exchangeable conformal prediction):
 * the smallest score s whose weight at or below it reaches level * (total weight + testWeight),
 * the test point's own weight counting as mass at infinity (the largest score when none does).
 * With every weight 1 and testWeight 1 it is conformalQuantile.
 */
export function weightedConformalQuantile(scores: { s: number; w: number }[], level: number, testWeight = 1): number {
  const sorted = scores.slice().sort((a, b) => a.s - b.s);
  const total = sorted.reduce((a, b) => a + b.w, 0);
  const target = level * (total + testWeight);
  let acc = 0;
  for (const x of sorted) {
    acc += x.w;
    if (acc >= target - 1e-12) return x.s;
  }
  return sorted[sorted.length - 1]?.s ?? NaN;
}

/**
 * One-way ANOVA intra-class correlation ICC(1) of values in groups (unequal sizes allowed:
 * n0 = (N - sum n_i^2 / N) / (k - 1)), clipped to [0, 1]; 0 with fewer than 2 non-empty groups
 * or no spread at all.
 */
export function intraClassCorrelation(groups: number[][]): number {
  const gs = groups.filter((g) => g.length > 0);
  const k = gs.length;
  const N = gs.reduce((a, g) => a + g.length, 0);
  if (k < 2 || N <= k) return 0;
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const grand = gs.reduce((a, g) => a + g.reduce((x, y) => x + y, 0), 0) / N;
  let ssb = 0;
  let ssw = 0;
  for (const g of gs) {
    const m = mean(g);
    ssb += g.length * (m - grand) ** 2;
    for (const v of g) ssw += (v - m) ** 2;
  }
  const msb = ssb / (k - 1);
  const msw = ssw / (N - k);
  const n0 = (N - gs.reduce((a, g) => a + g.length ** 2, 0) / N) / (k - 1);
  const den = msb + (n0 - 1) * msw;
  if (!(den > 0)) return 0;
  return Math.min(1, Math.max(0, (msb - msw) / den));
}

/** The k-th smallest value with k = ceil(p * N) (at least 1, at most N): the p-quantile as an order statistic. */
function orderQuantile(values: number[], p: number): number {
  const s = values.slice().sort((a, b) => a - b);
  const k = Math.min(s.length, Math.max(1, Math.ceil(p * s.length - 1e-9)));
  return s[k - 1] as number;
}

/**
 * The conformal quantile corrected for scores that come in correlated folds (see the module
 * comment): the p = ceil((n_eff + 1) * level) / n_eff quantile of the scores (ceil(p * N)-th smallest), n_eff = N / (1 + (m - 1)
 * rho), m = N / folds, rho the ICC(1) across folds of 1{score > plain conformal quantile}.
 */
export function foldConformalQuantile(scores: { s: number; fold: number }[], level: number): { q: number; effective: number; rho: number } {
  const all = scores.map((x) => x.s);
  const q0 = conformalQuantile(all, level);
  const byFold = new Map<number, number[]>();
  for (const x of scores) {
    const g = byFold.get(x.fold) ?? [];
    g.push(x.s > q0 ? 1 : 0);
    byFold.set(x.fold, g);
  }
  const rho = intraClassCorrelation([...byFold.values()]);
  const m = all.length / Math.max(1, byFold.size);
  const effective = Math.max(1, all.length / (1 + (m - 1) * rho));
  const p = Math.min(1, Math.ceil((effective + 1) * level - 1e-9) / effective);
  return { q: orderQuantile(all, p), effective, rho };
}

/** |a - f| / (half-width on the actual's side); null when not finite or the half-width is not positive. */
export function score(p: CvPoint): number | null {
  if (![p.actual, p.point, p.lower, p.upper].every(Number.isFinite)) return null;
  const half = p.actual >= p.point ? p.upper - p.point : p.point - p.lower;
  if (!(half > 0)) return null;
  return Math.abs(p.actual - p.point) / half;
}

/**
 * Per-step scale factors for `horizon` steps at `level`, or null when fewer than `minScores`
 * CV points have a score (or the quantile is not positive). When every point carries its `fold`
 * (and no recency weight), each band's quantile is corrected for correlated folds
 * (foldConformalQuantile; `foldCorrection: false` gives the plain rank). `monotone: true` makes
 * the factors non-decreasing in the step (isotonic regression; tried on the six-series bench and
 * off: README, forecast accuracy).
 */
export function calibrate(
  points: CvPoint[],
  horizon: number,
  level: number,
  options: { minPerBand?: number; minScores?: number; maxBands?: number; foldCorrection?: boolean; monotone?: boolean } = {},
): Calibration | null {
  const maxBands = options.maxBands ?? 3;
  const minScores = options.minScores ?? 10;
  type S = { s: number; w: number; fold: number | undefined };
  const byStep: S[][] = Array.from({ length: horizon }, () => []);
  let n = 0;
  let maxW = 0;
  let weighted = false;
  let withFold = true;
  for (const p of points) {
    const s = score(p);
    if (s === null || p.step < 0 || p.step >= horizon) continue;
    const w = p.weight ?? 1;
    (byStep[p.step] as S[]).push({ s, w, fold: p.fold });
    if (w > maxW) maxW = w;
    if (w !== 1) weighted = true;
    if (p.fold === undefined) withFold = false;
    n++;
  }
  if (n < minScores) return null;
  const minPerBand = Math.max(options.minPerBand ?? 30, Math.ceil(n / maxBands));
  // Consecutive bands of steps with at least minPerBand scores each (the last band absorbs a short tail).
  const bands: { start: number; end: number; scores: S[] }[] = [];
  if (n >= 2 * minPerBand) {
    let cur: S[] = [];
    let first = 0;
    for (let k = 0; k < horizon; k++) {
      cur.push(...(byStep[k] as S[]));
      if (cur.length >= minPerBand) {
        bands.push({ start: first, end: k, scores: cur });
        cur = [];
        first = k + 1;
      }
    }
    const last = bands[bands.length - 1];
    if (cur.length > 0 && last) {
      last.scores.push(...cur);
      last.end = horizon - 1;
    }
  }
  if (bands.length === 0) bands.push({ start: 0, end: horizon - 1, scores: byStep.flat() });
  // Recency weights (off by default) use the weighted quantile; folds the correlated-folds correction.
  const byFold = withFold && !weighted && options.foldCorrection !== false;
  const effective: number[] = [];
  const q = bands.map((b) => {
    let v: number;
    if (byFold) {
      const r = foldConformalQuantile(b.scores.map((x) => ({ s: x.s, fold: x.fold as number })), level);
      effective.push(r.effective);
      v = r.q;
    } else v = weightedConformalQuantile(b.scores, level, maxW);
    return { centre: (b.start + b.end) / 2, q: v };
  });
  if (!q.every((b) => Number.isFinite(b.q) && b.q > 0)) return null;
  const raw = Array.from({ length: horizon }, (_, k) => interpolate(q, k));
  // monotone (off by default): factors made non-decreasing in the step (isotonic regression).
  const scales = options.monotone ? isotonicNonDecreasing(raw) : raw;
  return { scales, bands: bands.length, n, ...(byFold ? { effective } : {}) };
}

/**
 * Isotonic (non-decreasing) least-squares fit of `values` (pool-adjacent-violators), with
 * optional positive weights (default 1 each): adjacent values that decrease are replaced by their
 * weighted mean until none does.
 */
export function isotonicNonDecreasing(values: number[], weights?: number[]): number[] {
  const blocks: { v: number; w: number; n: number }[] = [];
  values.forEach((v, i) => {
    blocks.push({ v, w: weights?.[i] ?? 1, n: 1 });
    for (;;) {
      const b = blocks[blocks.length - 1] as { v: number; w: number; n: number };
      const a = blocks[blocks.length - 2];
      if (!a || a.v <= b.v) break;
      blocks.splice(-2, 2, { v: (a.v * a.w + b.v * b.w) / (a.w + b.w), w: a.w + b.w, n: a.n + b.n });
    }
  });
  return blocks.flatMap((b) => Array.from({ length: b.n }, () => b.v));
}

export interface StepCalibration extends Calibration {
  /** Exponent b of the fitted score profile (mean score at step k proportional to (k + 1)^b). */
  exponent: number;
}

/**
 * Per-step calibration (tried, not the default; README, forecast accuracy): the scores'
 * profile over the horizon is fitted as a power of the step, mean score at step k proportional
 * to (k + 1)^b (weighted least squares of the log of each step's mean score on log(k + 1); a
 * flat profile with fewer than 2 steps that have a positive mean), each score is divided by its
 * step's profile value, and the factor at step k is that profile times the conformal quantile
 * of the normalised scores pooled over the horizon (corrected for correlated folds when every
 * point carries its fold, like calibrate). So a model whose half-widths grow faster with the
 * step than its CV errors do is narrowed progressively rather than per band: with errors of sd
 * proportional to sqrt(k + 1) and half-widths proportional to k + 1 it covers `level` at early
 * and late steps alike (test/forecast/calibration-steps.test.ts), where the 3 bands under-cover
 * the first steps and over-cover the last of each band. On the six public series the CV profile
 * was steeper than the errors after the origin, and this under-covered the late steps.
 */
export function calibrateSteps(points: CvPoint[], horizon: number, level: number, options: { minScores?: number; foldCorrection?: boolean } = {}): StepCalibration | null {
  const byStep: { s: number; fold: number | undefined }[][] = Array.from({ length: horizon }, () => []);
  let n = 0;
  let withFold = true;
  for (const p of points) {
    const s = score(p);
    if (s === null || p.step < 0 || p.step >= horizon) continue;
    (byStep[p.step] as { s: number; fold: number | undefined }[]).push({ s, fold: p.fold });
    if (p.fold === undefined) withFold = false;
    n++;
  }
  if (n < (options.minScores ?? 10)) return null;
  // Weighted least squares of log(mean score) on log(k + 1), weights = scores at the step.
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let used = 0;
  byStep.forEach((g, k) => {
    const m = g.reduce((a, b) => a + b.s, 0) / g.length;
    if (!(g.length > 0 && m > 0)) return;
    const x = Math.log(k + 1);
    const y = Math.log(m);
    const w = g.length;
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
    used++;
  });
  const den = sxx - (sx * sx) / Math.max(sw, 1e-300);
  const b = used >= 2 && den > 0 ? (sxy - (sx * sy) / sw) / den : 0;
  const profile = Array.from({ length: horizon }, (_, k) => Math.exp(b * Math.log(k + 1)));
  const normalised = byStep.flatMap((g, k) => g.map((x) => ({ s: x.s / (profile[k] as number), fold: x.fold })));
  const byFold = withFold && options.foldCorrection !== false;
  let q: number;
  let effective: number[] | undefined;
  if (byFold) {
    const r = foldConformalQuantile(normalised.map((x) => ({ s: x.s, fold: x.fold as number })), level);
    q = r.q;
    effective = [r.effective];
  } else q = conformalQuantile(normalised.map((x) => x.s), level);
  if (!(Number.isFinite(q) && q > 0)) return null;
  return { scales: profile.map((p) => p * q), bands: 1, n, exponent: b, ...(effective ? { effective } : {}) };
}

function interpolate(q: { centre: number; q: number }[], k: number): number {
  const first = q[0] as { centre: number; q: number };
  const last = q[q.length - 1] as { centre: number; q: number };
  if (k <= first.centre) return first.q;
  if (k >= last.centre) return last.q;
  for (let i = 1; i < q.length; i++) {
    const a = q[i - 1] as { centre: number; q: number };
    const b = q[i] as { centre: number; q: number };
    if (k <= b.centre) return a.q + ((b.q - a.q) * (k - a.centre)) / (b.centre - a.centre);
  }
  return last.q;
}

/** Applies per-step scales to half-widths around the point forecast. */
export function applyScales(point: number[], lower: number[], upper: number[], scales: number[]): { lower: number[]; upper: number[] } {
  return {
    lower: lower.map((l, k) => (point[k] as number) - (scales[k] ?? 1) * ((point[k] as number) - l)),
    upper: upper.map((u, k) => (point[k] as number) + (scales[k] ?? 1) * (u - (point[k] as number))),
  };
}

/** "x1.42" or "x1.10-x1.80" (first to last step), for the human output. */
export function describeScales(scales: number[]): string {
  const lo = Math.min(...scales);
  const hi = Math.max(...scales);
  const f = (v: number): string => `x${v.toFixed(2)}`;
  return hi - lo < 0.005 ? f(lo) : `${f(scales[0] as number)} (step 1) to ${f(scales[scales.length - 1] as number)} (step ${scales.length})`;
}
