/**
 * Power analysis for a two-arm comparison of means with equal arms, by the usual normal
 * approximation (as GrowthBook's and Statsig's calculators):
 *
 *   n per arm = 2 (z_{1-alpha/2} + z_{power})^2 sigma^2 (1 - VR) / delta^2
 *   MDE       = (z_{1-alpha/2} + z_{power}) sqrt(2 sigma^2 (1 - VR) / n)
 *
 * sigma^2 is the per-unit variance of the metric (for a ratio metric, var(u) of the delta
 * method), delta the absolute effect (a relative MDE is multiplied by |mean|), VR the
 * variance reduction expected from CUPED/CUPAC (0 = none). One-tailed tests use z_{1-alpha}.
 * Every result carries both the adjusted and the unadjusted figure.
 */
import { StatsInputError } from './moments.js';
import { normalCdf, normalQuantile } from './distributions.js';

export type PowerTails = 'two' | 'one';

export interface PowerOptions {
  /** Per-unit variance of the metric. */
  variance: number;
  /** Baseline (control) mean; needed for relative MDEs. */
  mean?: number;
  /** Default 0.05. */
  alpha?: number;
  /** Default 0.8. */
  power?: number;
  /** Default 'two'. */
  tails?: PowerTails;
  /** Variance reduction expected from the adjustment, in [0, 1); default 0. */
  varianceReduction?: number;
  /** Number of arms including control, for n_total; default 2. */
  arms?: number;
}

export interface SampleSizeOptions extends PowerOptions {
  /** Minimum detectable effect: a fraction of the mean (0.02 = 2%) or an absolute difference. */
  mde: number;
  /** Default 'relative'. */
  mdeType?: 'relative' | 'absolute';
}

export interface MdeOptions extends PowerOptions {
  nPerArm: number;
}

interface Common {
  alpha: number;
  power: number;
  tails: PowerTails;
  variance: number;
  adjusted_variance: number;
  variance_reduction: number;
  z_alpha: number;
  z_power: number;
  warnings: string[];
}

export interface SampleSizeResult extends Common {
  absolute_mde: number;
  relative_mde: number | null;
  n_per_arm: number;
  n_total: number;
  n_per_arm_unadjusted: number;
  n_total_unadjusted: number;
}

export interface MdeResult extends Common {
  n_per_arm: number;
  absolute_mde: number;
  relative_mde: number | null;
  absolute_mde_unadjusted: number;
  relative_mde_unadjusted: number | null;
}

function resolve(o: PowerOptions): Common & { arms: number } {
  const alpha = o.alpha ?? 0.05;
  const power = o.power ?? 0.8;
  const tails = o.tails ?? 'two';
  const vr = o.varianceReduction ?? 0;
  const arms = o.arms ?? 2;
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError(`alpha must be between 0 and 1, got ${alpha}`, 'BAD_ALPHA');
  if (!(power > 0 && power < 1)) throw new StatsInputError(`power must be between 0 and 1, got ${power}`, 'BAD_POWER');
  if (tails !== 'two' && tails !== 'one') throw new StatsInputError(`tails must be two or one, got "${String(tails)}"`, 'BAD_TAILS');
  if (!(vr >= 0 && vr < 1)) throw new StatsInputError(`variance reduction must be in [0, 1), got ${vr}`, 'BAD_VARIANCE_REDUCTION');
  if (!(o.variance > 0) || !Number.isFinite(o.variance)) {
    throw new StatsInputError(`the metric's variance must be positive, got ${o.variance}`, 'ZERO_VARIANCE');
  }
  if (!Number.isInteger(arms) || arms < 2) throw new StatsInputError(`arms must be an integer >= 2, got ${arms}`, 'BAD_ARMS');
  return {
    alpha,
    power,
    tails,
    variance: o.variance,
    adjusted_variance: o.variance * (1 - vr),
    variance_reduction: vr,
    z_alpha: normalQuantile(tails === 'two' ? 1 - alpha / 2 : 1 - alpha),
    z_power: normalQuantile(power),
    warnings: [],
    arms,
  };
}

function perArm(z: number, variance: number, delta: number): number {
  return Math.max(2, Math.ceil((2 * z * z * variance) / (delta * delta) - 1e-9));
}

/** Units per arm to detect `mde` with the given power. */
export function sampleSize(o: SampleSizeOptions): SampleSizeResult {
  const { arms, ...c } = resolve(o);
  const type = o.mdeType ?? 'relative';
  if (!(o.mde !== 0 && Number.isFinite(o.mde))) throw new StatsInputError(`the MDE must be a non-zero number, got ${o.mde}`, 'BAD_MDE');
  let absolute: number;
  let relative: number | null;
  if (type === 'relative') {
    if (o.mean === undefined || o.mean === 0 || !Number.isFinite(o.mean)) {
      throw new StatsInputError('a relative MDE needs a non-zero baseline mean', 'ZERO_MEAN');
    }
    relative = Math.abs(o.mde);
    absolute = relative * Math.abs(o.mean);
  } else {
    absolute = Math.abs(o.mde);
    relative = o.mean !== undefined && o.mean !== 0 ? absolute / Math.abs(o.mean) : null;
  }
  const z = c.z_alpha + c.z_power;
  const n = perArm(z, c.adjusted_variance, absolute);
  const nRaw = perArm(z, c.variance, absolute);
  return { ...c, absolute_mde: absolute, relative_mde: relative, n_per_arm: n, n_total: n * arms, n_per_arm_unadjusted: nRaw, n_total_unadjusted: nRaw * arms };
}

/** Smallest effect detectable with `nPerArm` units per arm at the given power. */
export function minimumDetectableEffect(o: MdeOptions): MdeResult {
  const { arms: _arms, ...c } = resolve(o);
  if (!(o.nPerArm >= 2) || !Number.isFinite(o.nPerArm)) throw new StatsInputError(`n per arm must be at least 2, got ${o.nPerArm}`, 'TOO_FEW_UNITS');
  const z = c.z_alpha + c.z_power;
  const abs = z * Math.sqrt((2 * c.adjusted_variance) / o.nPerArm);
  const absRaw = z * Math.sqrt((2 * c.variance) / o.nPerArm);
  const rel = (x: number): number | null => (o.mean !== undefined && o.mean !== 0 && Number.isFinite(o.mean) ? x / Math.abs(o.mean) : null);
  return { ...c, n_per_arm: o.nPerArm, absolute_mde: abs, relative_mde: rel(abs), absolute_mde_unadjusted: absRaw, relative_mde_unadjusted: rel(absRaw) };
}

/** Power to detect an absolute effect `delta` with `nPerArm` units per arm (normal approximation, both tails counted when two-sided). */
export function achievedPower(o: PowerOptions & { nPerArm: number; delta: number }): number {
  const { z_alpha, adjusted_variance, tails } = resolve({ ...o, power: 0.5 });
  const se = Math.sqrt((2 * adjusted_variance) / o.nPerArm);
  const shift = Math.abs(o.delta) / se;
  return tails === 'two' ? normalCdf(shift - z_alpha) + normalCdf(-shift - z_alpha) : normalCdf(shift - z_alpha);
}
