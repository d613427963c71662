/**
 * Time saved by CUPED/CUPAC: how many days of traffic an experiment needs to reach the target
 * power with and without the variance reduction, at the experiment's own exposure rate.
 *
 * From one comparison: the per-unit variance sigma^2 implied by the UNADJUSTED standard error of
 * the difference (se^2 / (1/n_c + 1/n_t), as `power --experiment` measures it), the unadjusted
 * control mean, the measured variance reduction VR, and the MDE (configured, or the observed
 * relative lift). power.ts's sample size (normal approximation)
 *
 *   n per arm = 2 (z_{1-alpha/2} + z_power)^2 sigma^2 (1 - VR) / (MDE |mean|)^2
 *
 * times the number of arms, divided by the units exposed per day, gives the days; the unadjusted
 * figure uses VR = 0. Days saved = days without - days with (= days without x VR, up to rounding
 * to whole units).
 */
import { sampleSize, type PowerTails } from './power.js';

export interface TimeSavedInput {
  n_control: number;
  n_test: number;
  /** Unadjusted standard error of the difference. */
  raw_diff_se: number | null;
  /** Unadjusted control mean (estimate). */
  control_mean: number | null;
  variance_reduction: number | null;
  rel_lift: number | null;
}

export interface TimeSavedOptions {
  /** Units exposed per day (all arms). */
  unitsPerDay: number;
  arms: number;
  /** Relative MDE; default the observed |rel_lift|. */
  mde?: number | undefined;
  alpha?: number;
  power?: number;
  tails?: PowerTails;
  /** Days the experiment has run: the days needed are "not reachable" past 10x this (or 3 years). */
  daysRun?: number | undefined;
}

/** Days past which a time-to-power figure is not a plan: 10x the days run, and never more than 3 years. */
export function reachableDays(daysRun: number | undefined): number {
  const cap = 3 * 365;
  return daysRun !== undefined && daysRun > 0 ? Math.min(cap, 10 * daysRun) : cap;
}

export interface TimeSaved {
  /** Relative MDE the days are for, and where it came from. */
  mde: number;
  mde_source: 'configured' | 'observed';
  /** The lift the days are for, with its sign: the observed relative lift, or +mde when configured. */
  lift: number;
  /** False when the days needed exceed reachableDays(daysRun): print "not reachable", not days saved. */
  reachable: boolean;
  power: number;
  alpha: number;
  units_per_day: number;
  n_total: number;
  n_total_unadjusted: number;
  days: number;
  days_unadjusted: number;
  days_saved: number;
}

/** Days to the target power with and without the adjustment; null (with the reason) when there is no basis. */
export function timeSaved(c: TimeSavedInput, opts: TimeSavedOptions): { value: TimeSaved | null; reason: string | null } {
  const mde = opts.mde ?? (c.rel_lift === null ? null : Math.abs(c.rel_lift));
  const source = opts.mde !== undefined ? 'configured' : 'observed';
  if (mde === null || !(mde > 0)) return { value: null, reason: source === 'observed' ? 'the observed lift is 0: pass --mde for the effect to plan for' : 'the MDE must be positive' };
  if (c.raw_diff_se === null || !(c.raw_diff_se > 0)) return { value: null, reason: 'no variance' };
  if (c.control_mean === null || c.control_mean === 0) return { value: null, reason: 'the control mean is 0, so a relative MDE has no size' };
  if (!(opts.unitsPerDay > 0)) return { value: null, reason: 'no exposures per day' };
  const variance = (c.raw_diff_se * c.raw_diff_se) / (1 / c.n_control + 1 / c.n_test);
  const vr = Math.min(Math.max(0, c.variance_reduction ?? 0), 0.999);
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  const s = sampleSize({ variance, mean: c.control_mean, alpha, power, tails: opts.tails ?? 'two', varianceReduction: vr, arms: opts.arms, mde, mdeType: 'relative' });
  const days = s.n_total / opts.unitsPerDay;
  const daysRaw = s.n_total_unadjusted / opts.unitsPerDay;
  return {
    value: {
      mde,
      mde_source: source,
      lift: source === 'observed' && c.rel_lift !== null ? c.rel_lift : mde,
      reachable: days <= reachableDays(opts.daysRun),
      power,
      alpha,
      units_per_day: opts.unitsPerDay,
      n_total: s.n_total,
      n_total_unadjusted: s.n_total_unadjusted,
      days,
      days_unadjusted: daysRaw,
      days_saved: daysRaw - days,
    },
    reason: null,
  };
}
