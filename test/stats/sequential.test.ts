import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMean } from '../../src/stats/cuped.js';
import { regularizedBeta } from '../../src/stats/distributions.js';
import type { Moments } from '../../src/stats/moments.js';
import { sequentialRho, sequentialTest } from '../../src/stats/sequential.js';
import { pValue } from '../../src/stats/ttest.js';
import { normalStream } from './helpers.js';

/**
 * gbstats' numbers for its sequential test vectors (tests/frequentist/test_tests.py,
 * TestSequentialTTest and TestSequentialOneSided*), at full precision: see
 * test/fixtures/analyze/gbstats_bayes_seq_reference.py (gbstats 0.8.0, growthbook @ 8f1db445).
 */
interface SeqCase {
  name: string;
  test: string;
  a: { kind: string; n?: number; sum?: number; sum_squares?: number };
  b: { kind: string; n?: number; sum?: number; sum_squares?: number };
  relative: boolean;
  alpha: number;
  tuning: number;
  n: number;
  rho: number;
  point_estimate: number;
  standard_error: number;
  ci: [number | null, number | null];
  p_value: number;
  /** One-sided: the exact root of gbstats' bound; null where there is none (or two-sided). */
  p_value_exact: number | null;
}
const ref = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/analyze/gbstats_bayes_seq.json'), 'utf8')) as { sequential: SeqCase[] };
const tailsOf = (test: string): 'two' | 'greater' | 'less' => (test.includes('Greater') ? 'greater' : test.includes('Lesser') ? 'less' : 'two');
const near = (a: number | null, e: number | null, tol: number): void => {
  if (e === null) {
    expect(a).toBeNull();
    return;
  }
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - e), `${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
};

describe('confidence sequences: gbstats test vectors', () => {
  it('the JSON agrees with the rounded numbers gbstats publishes in its tests', () => {
    const first = ref.sequential[0] as SeqCase;
    expect(first.ci.map((x) => (x as number).toFixed(5))).toEqual(['-0.55844', '1.56516']);
    const ratio = ref.sequential.find((c) => c.name === 'regression adjusted ratio') as SeqCase;
    expect(ratio.ci.map((x) => (x as number).toFixed(5))).toEqual(['-0.02063', '0.01923']);
  });

  for (const c of ref.sequential) {
    it(`${c.test}, ${c.name}: rho, interval and p-value`, () => {
      const tails = tailsOf(c.test);
      expect(Math.abs(sequentialRho(c.alpha, c.tuning, tails === 'two') - c.rho)).toBeLessThan(1e-15);
      const r = sequentialTest(c.point_estimate, c.standard_error, c.n, { alpha: c.alpha, tails, tuning: c.tuning });
      near(r.ci[0], c.ci[0], 1e-9);
      near(r.ci[1], c.ci[1], 1e-9);
      if (tails === 'two') {
        // p as small as 5e-44 (the proportion vector): relative agreement.
        expect(Math.abs(r.p_value - c.p_value)).toBeLessThanOrEqual(1e-9 * c.p_value + 1e-300);
      } else {
        // gbstats bisects alpha in [1e-5, 0.4999] until the bound is near 0; p_value_exact is the
        // root of gbstats' own bound (brentq), or null where the bound never crosses 0.
        if (c.p_value_exact === null) expect(r.p_value).toBe(1);
        else near(r.p_value, c.p_value_exact, 1e-9);
        if (c.p_value === 0.4999) expect(r.p_value).toBeGreaterThanOrEqual(0.4999);
        else near(r.p_value, c.p_value, 2e-4);
      }
    });
  }

  it('one-sided closed-form p-value: the one-sided bound touches 0 exactly at alpha = p', () => {
    const c = ref.sequential.find((x) => x.name === 'shifted +0.35, absolute' && x.test.includes('Greater')) as SeqCase;
    const r = sequentialTest(c.point_estimate, c.standard_error, c.n, { alpha: c.alpha, tails: 'greater', tuning: c.tuning });
    const at = sequentialTest(c.point_estimate, c.standard_error, c.n, { alpha: c.alpha, tails: 'greater', tuning: c.tuning, ciAlpha: r.p_value });
    expect(Math.abs(at.ci[0] as number)).toBeLessThan(1e-12);
  });

  it('from the sums: analyze\'s estimate and SE give gbstats\' sequential interval (sample means, relative and absolute)', () => {
    const arm = (s: SeqCase['a']): Moments => ({ n: s.n as number, names: ['y'], shift: [0], sums: [s.sum as number], cross: [[s.sum_squares as number]] });
    const cases = ref.sequential.filter((c) => c.a.kind === 'mean' && c.test === 'SequentialTwoSidedTTest');
    expect(cases.length).toBeGreaterThanOrEqual(6);
    for (const c of cases) {
      const cmp = analyzeMean(arm(c.a), arm(c.b), { metric: 'y' });
      const est = (c.relative ? cmp.rel_lift : cmp.diff) as number;
      const se = (c.relative ? cmp.rel_se : cmp.diff_se) as number;
      const r = sequentialTest(est, se, cmp.n_control + cmp.n_test, { alpha: c.alpha, tuning: c.tuning });
      near(r.ci[0], c.ci[0], 1e-9);
      near(r.ci[1], c.ci[1], 1e-9);
      near(r.p_value, c.p_value, 1e-9);
    }
  });

  it('from the sums with CUPED: analyze\'s regression-adjusted estimate gives gbstats\' RegressionAdjustedStatistic interval', () => {
    type Ra = { n: number; post: { sum: number; sum_squares: number }; pre: { sum: number; sum_squares: number }; post_pre_sum_of_products: number };
    const arm = (s: Ra): Moments => ({
      n: s.n,
      names: ['y', 'x'],
      shift: [0, 0],
      sums: [s.post.sum, s.pre.sum],
      cross: [
        [s.post.sum_squares, s.post_pre_sum_of_products],
        [s.post_pre_sum_of_products, s.pre.sum_squares],
      ],
    });
    const cases = ref.sequential.filter((c) => c.a.kind === 'regression_adjusted');
    expect(cases.map((c) => c.relative).sort()).toEqual([false, true]);
    for (const c of cases) {
      const cmp = analyzeMean(arm(c.a as unknown as Ra), arm(c.b as unknown as Ra), { metric: 'y', covariates: ['x'] });
      const est = (c.relative ? cmp.rel_lift : cmp.diff) as number;
      const se = (c.relative ? cmp.rel_se : cmp.diff_se) as number;
      // Absolute: the same numbers. Relative: the arms' pre-period means differ (0.0056 vs 0.0066), and
      // gbstats' relative CUPED variance puts the unadjusted test mean in the control gradient where
      // analyze uses the exact delta method (src/stats/cuped.ts relativeLift): the SE differs by 8e-6.
      const tol = c.relative ? 2e-5 : 1e-9;
      near(est, c.point_estimate, 1e-9);
      near(se, c.standard_error, tol);
      const r = sequentialTest(est, se, cmp.n_control + cmp.n_test, { alpha: c.alpha, tuning: c.tuning });
      near(r.ci[0], c.ci[0], tol);
      near(r.ci[1], c.ci[1], tol);
      near(r.p_value, c.p_value, tol);
    }
  });

  it('the interval is tightest when the tuning parameter is near the sample size (gbstats test_sequential_test_tuning_as_expected)', () => {
    const w = (name: string): number => {
      const c = ref.sequential.find((x) => x.name === name) as SeqCase;
      return (c.ci[1] as number) - (c.ci[0] as number);
    };
    expect(w('mean, tuning 6461')).toBeLessThan(w('mean, tuning 10000'));
    expect(w('mean, tuning 10000')).toBeLessThan(w('mean, tuning 10'));
  });

  it('an interval and its p-value agree: the CI excludes 0 exactly when p < alpha', () => {
    for (const est of [0.01, 0.05, 0.0849, 0.085, 0.2]) {
      const r = sequentialTest(est, 0.02, 4000, { alpha: 0.05, tuning: 4000 });
      expect((r.ci[0] as number) > 0).toBe(r.p_value < 0.05);
    }
    expect(() => sequentialTest(0.1, 0.02, 100, { alpha: 0.05, tuning: 0 })).toThrow(/tuning/);
  });
});

/** P(X >= k) for X ~ Binomial(n, p). */
const binomUpper = (k: number, n: number, p: number): number => (k <= 0 ? 1 : regularizedBeta(p, k, n - k + 1));

/**
 * A/A experiments peeked at daily for 30 days: 50 new units per arm per day; the metric is
 * y = x + noise with a pre-period covariate x (corr 0.7). Each peek analyses the cumulative sums
 * (no row is kept): the fixed-horizon Welch test, and the confidence sequence on the
 * CUPED-adjusted difference (theta refitted at every peek, as analyze does).
 */
function simulate(experiments: number, seed: number): { fixed: number; sequential: number; sequentialCuped: number } {
  const days = 30;
  const perDay = 50;
  const alpha = 0.05;
  const z = normalStream(seed);
  let fixed = 0;
  let sequential = 0;
  let sequentialCuped = 0;
  for (let e = 0; e < experiments; e++) {
    // Per arm: shifted sums of y and x, and their cross-products (shift 0: the data are centred).
    const arms = [0, 1].map(() => ({ n: 0, sy: 0, sx: 0, syy: 0, sxx: 0, sxy: 0 }));
    let anyFixed = false;
    let anySeq = false;
    let anyCuped = false;
    for (let d = 0; d < days; d++) {
      for (const a of arms) {
        for (let i = 0; i < perDay; i++) {
          const x = z();
          const y = 0.7 * x + Math.sqrt(1 - 0.49) * z();
          a.n += 1;
          a.sy += y;
          a.sx += x;
          a.syy += y * y;
          a.sxx += x * x;
          a.sxy += x * y;
        }
      }
      const mom = (a: (typeof arms)[number]): Moments => ({ n: a.n, names: ['y', 'x'], shift: [0, 0], sums: [a.sy, a.sx], cross: [[a.syy, a.sxy], [a.sxy, a.sxx]] });
      const [c, t] = arms as [(typeof arms)[number], (typeof arms)[number]];
      // Fixed horizon, unadjusted, from the sums.
      const mc = c.sy / c.n;
      const mt = t.sy / t.n;
      const vc = (c.syy - c.n * mc * mc) / (c.n - 1);
      const vt = (t.syy - t.n * mt * mt) / (t.n - 1);
      const se = Math.sqrt(vc / c.n + vt / t.n);
      const df = (vc / c.n + vt / t.n) ** 2 / ((vc / c.n) ** 2 / (c.n - 1) + (vt / t.n) ** 2 / (t.n - 1));
      if (pValue((mt - mc) / se, df, 'two') < alpha) anyFixed = true;
      if (sequentialTest(mt - mc, se, c.n + t.n, { alpha, tuning: 3000 }).p_value < alpha) anySeq = true;
      const adj = analyzeMean(mom(c), mom(t), { metric: 'y', covariates: ['x'] });
      if (sequentialTest(adj.diff, adj.diff_se, c.n + t.n, { alpha, tuning: 3000 }).p_value < alpha) anyCuped = true;
    }
    if (anyFixed) fixed += 1;
    if (anySeq) sequential += 1;
    if (anyCuped) sequentialCuped += 1;
  }
  return { fixed, sequential, sequentialCuped };
}

describe('peeking: daily looks at 30 days of A/A data', () => {
  it('the confidence sequence keeps P(any peek rejects) <= alpha; the fixed-horizon test with peeking does not', { timeout: 120_000 }, () => {
    const runs = 2000;
    const alpha = 0.05;
    const r = simulate(runs, 20261202);
    // One-sided binomial tests at 0.001: the sequential rates are not above alpha ...
    expect(binomUpper(r.sequential, runs, alpha), `sequential rejected in ${r.sequential}/${runs}`).toBeGreaterThan(0.001);
    expect(binomUpper(r.sequentialCuped, runs, alpha), `sequential CUPED rejected in ${r.sequentialCuped}/${runs}`).toBeGreaterThan(0.001);
    // ... and are well below it (the sequence is conservative), while peeking at the fixed test is far above it.
    expect(r.sequential / runs).toBeLessThan(alpha);
    expect(r.sequentialCuped / runs).toBeLessThan(alpha);
    expect(1 - binomUpper(r.fixed + 1, runs, alpha), `fixed-horizon rejected in ${r.fixed}/${runs}`).toBeGreaterThan(0.999);
    expect(r.fixed / runs).toBeGreaterThan(2 * alpha);
  });
});
