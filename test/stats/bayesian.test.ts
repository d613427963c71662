import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bayesianEffect, gaussianRisk, relativePrior } from '../../src/stats/bayesian.js';
import { analyzeMean } from '../../src/stats/cuped.js';
import type { Moments } from '../../src/stats/moments.js';
import { expectClose } from './helpers.js';

/**
 * gbstats' own numbers for its published Bayesian test vectors (tests/bayesian/test_tests.py),
 * at full precision: test/fixtures/analyze/gbstats_bayes_seq_reference.py ran gbstats 0.8.0
 * (growthbook/growthbook @ 8f1db445) on this machine and wrote gbstats_bayes_seq.json.
 */
interface StatJson { kind: string; n?: number; sum?: number; sum_squares?: number }
interface BayesCase {
  name: string;
  a: StatJson;
  b: StatJson;
  relative: boolean;
  alpha: number;
  prior: { mean: number; variance: number; proper: boolean };
  /** The prior on the effect's scale (gbstats scales a relative prior by the control mean for an absolute effect). */
  effective_prior: { mean: number; variance: number; proper: boolean };
  point_estimate: number;
  standard_error: number;
  expected: number;
  ci: [number, number];
  stddev: number;
  chance_to_win: number;
  risk: [number, number];
}
const ref = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/analyze/gbstats_bayes_seq.json'), 'utf8')) as {
  bayesian: BayesCase[];
  risk: { mu: number; sigma: number; risk: [number, number] }[];
};

/** |a - e| <= 1e-9 absolute or relative, whichever is looser (risks of 1e-43 are zeros). */
const near = (a: number, e: number, tol = 1e-9): void => {
  expect(Math.abs(a - e), `${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
};

describe('Bayesian Gaussian model on the effect: gbstats test vectors', () => {
  // The published (rounded to 5 places) expectations, as a check on the JSON itself.
  it('the JSON agrees with the rounded numbers gbstats publishes in its tests', () => {
    const byName = new Map(ref.bayesian.map((c) => [c.name, c]));
    const norm = byName.get('gaussian, flat prior') as BayesCase;
    expect(norm.chance_to_win.toFixed(5)).toBe('0.91923');
    expect(norm.risk.map((r) => r.toFixed(5))).toEqual(['0.05131', '0.00131']);
    const binom = byName.get('binomial 49/100 vs 51/100') as BayesCase;
    expect(binom.ci.map((r) => r.toFixed(5))).toEqual(['-0.24779', '0.32943']);
    expect(byName.get('quantile, relative informative 1')?.expected).toBe(0.07495037261804469);
  });

  for (const c of ref.bayesian) {
    it(`${c.name}: posterior, credible interval, chance to win and risk to 1e-9`, () => {
      const r = bayesianEffect(c.point_estimate, c.standard_error, { alpha: c.alpha, prior: c.effective_prior });
      expect(r.error).toBeNull();
      near(r.expected, c.expected);
      near(r.stddev, c.stddev);
      near(r.ci[0], c.ci[0]);
      near(r.ci[1], c.ci[1]);
      near(r.chance_to_win, c.chance_to_win);
      near(r.risk.control, c.risk[0]);
      near(r.risk.variant, c.risk[1]);
    });
  }

  it('from the sums: analyze\'s relative lift and delta-method SE give gbstats\' read-out (sample-mean vectors)', () => {
    const arm = (s: StatJson): Moments => ({ n: s.n as number, names: ['y'], shift: [0], sums: [s.sum as number], cross: [[s.sum_squares as number]] });
    const cases = ref.bayesian.filter((c) => c.a.kind === 'mean' && c.relative);
    expect(cases.length).toBe(3);
    for (const c of cases) {
      const cmp = analyzeMean(arm(c.a), arm(c.b), { metric: 'y' });
      expectClose(cmp.rel_lift, c.point_estimate, 1e-12);
      expectClose(cmp.rel_se, c.standard_error, 1e-12);
      const r = bayesianEffect(cmp.rel_lift as number, cmp.rel_se as number, { prior: c.prior });
      near(r.chance_to_win, c.chance_to_win, 1e-6);
      near(r.risk.control, c.risk[0], 1e-6);
      near(r.risk.variant, c.risk[1], 1e-6);
      near(r.ci[0], c.ci[0], 1e-6);
      near(r.ci[1], c.ci[1], 1e-6);
    }
  });

  it('risk: gbstats get_risk, including its extreme mu/sigma short-cut', () => {
    for (const c of ref.risk) {
      const r = gaussianRisk(c.mu, c.sigma);
      near(r.control, c.risk[0], 1e-12);
      near(r.variant, c.risk[1], 1e-12);
    }
  });

  it('risk equals the expected loss by simulation-free quadrature', () => {
    // E[max(-X, 0)] for X ~ N(0.02, 0.05^2) by the trapezoid rule on a fine grid.
    const mu = 0.02;
    const s = 0.05;
    let loss = 0;
    const h = 1e-5;
    for (let x = mu - 12 * s; x < 0; x += h) loss += -x * Math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI)) * h;
    expect(Math.abs(gaussianRisk(mu, s).variant - loss)).toBeLessThan(1e-8);
  });

  it('a metric where lower is better: chance to win and risks flip', () => {
    const up = bayesianEffect(0.05, 0.03);
    const down = bayesianEffect(0.05, 0.03, { inverse: true });
    near(down.chance_to_win, 1 - up.chance_to_win, 1e-15);
    expect(down.risk).toEqual({ control: up.risk.variant, variant: up.risk.control });
  });

  it('a proper prior shrinks toward its mean; no data and a flat prior gives gbstats\' neutral default', () => {
    const r = bayesianEffect(0.2, 0.1, { prior: relativePrior(0, 0.3) });
    // precision 100 + 11.11 -> mean 0.2 * 100 / 111.11 = 0.18
    near(r.expected, 0.18, 1e-12);
    const none = bayesianEffect(0, 0);
    expect(none.chance_to_win).toBe(0.5);
    expect(none.error).toMatch(/flat prior/);
    expect(() => relativePrior(0, -1)).toThrow(/positive sd/);
  });
});
