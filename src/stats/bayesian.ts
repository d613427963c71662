/**
 * Bayesian read-out of an effect, GrowthBook's Gaussian model (gbstats
 * `EffectBayesianABTest`, packages/stats/gbstats/bayesian/tests.py).
 *
 * The data enter as the frequentist estimate of the effect and its standard error: for the
 * relative lift (the default) rel = diff / |control mean| with its delta-method standard error
 * (CUPED/CUPAC-adjusted when the analysis is), exactly the `rel_lift` / `rel_se` of analyze. The
 * likelihood is Normal(effect | rel, se^2); the prior on the effect is Normal(mean, variance)
 * (proper) or flat (improper). The posterior is then normal with
 *
 *   precision = 1 / se^2 + 1 / prior variance            (flat prior: 1 / se^2)
 *   mean      = (rel / se^2 + prior mean / prior variance) / precision   (flat: rel)
 *
 * and, for a posterior N(mu, sigma^2):
 *   chance to win   = P(effect > 0) = Phi(mu / sigma)      (1 - that for a metric where down is good)
 *   credible interval = the alpha/2 and 1 - alpha/2 posterior quantiles
 *   risk (expected loss) of shipping the variant = E[max(-effect, 0)] = sigma phi(mu/sigma) - mu Phi(-mu/sigma)
 *   risk of keeping control                     = E[max(effect, 0)]  = sigma phi(mu/sigma) + mu Phi(mu/sigma)
 * in the effect's units (relative lift). gbstats computes the last two as P(tail) x truncated
 * normal mean; the closed forms are the same numbers, and beyond |mu/sigma| > 37 both are the
 * limits max(+-mu, 0), as gbstats short-circuits.
 */
import { normalCdf, normalPdf, normalQuantile } from './distributions.js';
import { StatsInputError } from './moments.js';

export interface GaussianPrior {
  mean: number;
  variance: number;
  /** false: the flat (improper) prior, whatever mean and variance say (gbstats' default). */
  proper: boolean;
}

export interface BayesianOptions {
  /** The credible interval covers 1 - alpha; default 0.05. */
  alpha?: number;
  /** Default: flat (improper), as gbstats. */
  prior?: GaussianPrior;
  /** A metric where lower is better: chance to win is P(effect < 0) and the risks swap. */
  inverse?: boolean;
}

export interface BayesianResult {
  /** Posterior mean of the effect. */
  expected: number;
  /** Posterior standard deviation. */
  stddev: number;
  /** 1 - alpha credible interval. */
  ci: [number, number];
  chance_to_win: number;
  /** Expected loss (same units as the effect) if control is kept, and if the variant is shipped. */
  risk: { control: number; variant: number };
  /** Why there is no read-out (no variance and a flat prior): then the neutral gbstats default. */
  error: string | null;
}

/** The flat prior gbstats uses unless one is configured. */
export const FLAT_PRIOR: GaussianPrior = { mean: 0, variance: 1, proper: false };

/** Beyond this many posterior standard deviations one tail has probability exactly 0 in doubles. */
const RISK_SHORTCUT = 37;

/** Expected loss of keeping control and of shipping the variant, for an effect ~ N(mu, sigma^2). */
export function gaussianRisk(mu: number, sigma: number): { control: number; variant: number } {
  if (sigma > 0 && Math.abs(mu / sigma) > RISK_SHORTCUT) return { control: Math.max(mu, 0), variant: Math.max(-mu, 0) };
  if (!(sigma > 0)) return { control: Math.max(mu, 0), variant: Math.max(-mu, 0) };
  const z = mu / sigma;
  const tail = sigma * normalPdf(z);
  return { control: tail + mu * normalCdf(z), variant: tail - mu * normalCdf(-z) };
}

/** Posterior read-out of an effect estimated as `estimate` with standard error `se`. */
export function bayesianEffect(estimate: number, se: number, opts: BayesianOptions = {}): BayesianResult {
  const alpha = opts.alpha ?? 0.05;
  const prior = opts.prior ?? FLAT_PRIOR;
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError(`alpha must be between 0 and 1, got ${alpha}`, 'BAD_ALPHA');
  if (prior.proper && !(prior.variance > 0 && Number.isFinite(prior.variance))) {
    throw new StatsInputError(`the prior's variance must be positive, got ${prior.variance}`, 'BAD_PRIOR');
  }
  if (!Number.isFinite(estimate) || !(se >= 0)) throw new StatsInputError(`the effect and its standard error must be finite, got ${estimate} ± ${se}`, 'BAD_EFFECT');
  const dataVariance = se * se;
  let precision: number;
  let mean: number;
  if (dataVariance > 0) {
    precision = 1 / dataVariance + (prior.proper ? 1 / prior.variance : 0);
    mean = prior.proper ? (estimate / dataVariance + prior.mean / prior.variance) / precision : estimate;
  } else {
    precision = prior.proper ? 1 / prior.variance : 0;
    mean = prior.proper ? prior.mean : 0;
  }
  if (precision === 0) {
    return { expected: 0, stddev: 0, ci: [0, 0], chance_to_win: 0.5, risk: { control: 0, variant: 0 }, error: 'no variance in the data and a flat prior: nothing to update' };
  }
  const stddev = Math.sqrt(1 / precision);
  const up = normalCdf(mean / stddev);
  const risk = gaussianRisk(mean, stddev);
  return {
    expected: mean,
    stddev,
    ci: [mean + stddev * normalQuantile(alpha / 2), mean + stddev * normalQuantile(1 - alpha / 2)],
    chance_to_win: opts.inverse ? 1 - up : up,
    risk: opts.inverse ? { control: risk.variant, variant: risk.control } : risk,
    error: null,
  };
}

/** A prior for the relative lift from the CLI's mean and standard deviation; sd null = flat. */
export function relativePrior(mean: number, sd: number | null): GaussianPrior {
  if (sd === null) return { ...FLAT_PRIOR, mean };
  if (!(sd > 0 && Number.isFinite(sd)) || !Number.isFinite(mean)) throw new StatsInputError(`the prior needs a finite mean and a positive sd, got N(${mean}, ${sd}^2)`, 'BAD_PRIOR');
  return { mean, variance: sd * sd, proper: true };
}

/** One comparison's Bayesian read-out on its relative lift, as analyze reports it. */
export interface BayesianReadout extends BayesianResult {
  /** The effect the model is on (GrowthBook's default): the relative lift. */
  effect: 'relative';
}

/**
 * Read-outs for analyze's comparisons from their relative lift and its (adjusted) delta-method
 * standard error; null where the control mean is 0 (no relative lift).
 */
export function bayesianReadouts(
  comparisons: readonly { rel_lift: number | null; rel_se: number | null; inverse?: boolean }[],
  opts: { alpha: number; prior: GaussianPrior },
): (BayesianReadout | null)[] {
  return comparisons.map((c) =>
    c.rel_lift === null || c.rel_se === null ? null : { effect: 'relative' as const, ...bayesianEffect(c.rel_lift, c.rel_se, { alpha: opts.alpha, prior: opts.prior, inverse: c.inverse ?? false }) },
  );
}
