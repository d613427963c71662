import { describe, expect, it } from 'vitest';
import { analyzeMean } from '../../src/stats/cuped.js';
import { type Moments, StatsInputError, momentsFromRows } from '../../src/stats/moments.js';
import { welchTest } from '../../src/stats/ttest.js';
import { MEAN_COLUMNS, MEAN_CONTROL, MEAN_TEST } from './fixtures.js';
import { expectClose } from './helpers.js';

/** A one-column arm from gbstats-style (n, sum, sum of squares). */
function arm(n: number, sum: number, sumSquares: number): Moments {
  return { n, names: ['y'], shift: [0], sums: [sum], cross: [[sumSquares]] };
}

describe('Welch t-test: published gbstats vectors', () => {
  // growthbook/growthbook packages/stats/tests/frequentist/test_tests.py, TestTwoSidedTTest:
  //   stat_a = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3407)
  //   stat_b = SampleMeanStatistic(sum=2422.7, sum_squares=134698.29, n=3461)
  //   absolute: expected 0.29, ci (0.04538, 0.53462), stddev 0.12478, p 0.02016
  //   relative: expected 0.70732, ci (-0.03526, 1.44989), stddev 0.37879
  // full digits from running that gbstats code on this machine.
  const a = arm(3407, 1396.87, 52377.9767);
  const b = arm(3461, 2422.7, 134698.29);

  it('two-sided, absolute and relative', () => {
    const r = analyzeMean(a, b, { metric: 'y' });
    expectClose(r.diff, 0.29, 1e-12);
    expectClose(r.diff_se, 0.12478363158758794, 1e-12);
    expectClose(r.diff_ci[0], 0.04537789255929012, 1e-9);
    expectClose(r.diff_ci[1], 0.5346221074407098, 1e-9);
    expectClose(r.p_value, 0.020158402643587037, 1e-9);
    expectClose(r.rel_lift, 0.7073170731707317, 1e-12);
    expectClose(r.rel_se, 0.3787943616681428, 1e-12);
    expectClose(r.rel_ci[0], -0.03526008906611777, 1e-9);
    expectClose(r.rel_ci[1], 1.449894235407581, 1e-9);
  });

  // TestOneSidedGreaterTTest / TestOneSidedLesserTTest with stat_a.n = 3000:
  const a3000 = arm(3000, 1396.87, 52377.9767);
  it('one-sided greater', () => {
    const r = analyzeMean(a3000, b, { metric: 'y', tails: 'greater' });
    expectClose(r.diff, 0.23437666666666668, 1e-12);
    expectClose(r.diff_se, 0.12983081254184736, 1e-12);
    expectClose(r.diff_ci[0], 0.020791480063255735, 1e-8);
    expect(r.diff_ci[1]).toBeNull();
    expectClose(r.p_value, 0.03554272489873023, 1e-9);
    expectClose(r.rel_lift, 0.5033610858562358, 1e-12);
    expectClose(r.rel_se, 0.3334122146400735, 1e-12);
    expectClose(r.rel_ci[0], -0.045136675850396046, 1e-8);
    expect(r.rel_ci[1]).toBeNull();
  });
  it('one-sided less', () => {
    const r = analyzeMean(a3000, b, { metric: 'y', tails: 'less' });
    expect(r.diff_ci[0]).toBeNull();
    expectClose(r.diff_ci[1], 0.44796185327007765, 1e-9);
    expectClose(r.p_value, 0.9644572751012698, 1e-12);
    expectClose(r.rel_ci[1], 1.0518588475628676, 1e-9);
  });
});

describe('Welch t-test against scipy', () => {
  // from scipy import stats; c, t = mean_data()   (fixtures.ts)
  // r = stats.ttest_ind(t[:,0], c[:,0], equal_var=False); r.pvalue, r.df, r.confidence_interval(0.95)
  // rg = stats.ttest_ind(..., alternative='greater'); rg.pvalue, rg.confidence_interval(0.90).low
  // rl = stats.ttest_ind(..., alternative='less');    rl.pvalue, rl.confidence_interval(0.90).high
  const c = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS);
  const t = momentsFromRows(MEAN_TEST, MEAN_COLUMNS, [9, 10, 4, 0.4]);

  it('two-sided', () => {
    const r = analyzeMean(c, t, { metric: 'y' });
    expectClose(r.diff, 0.42883055555555494, 1e-12);
    expectClose(r.diff_se, 0.6905187154229329, 1e-12);
    expectClose(r.t_stat, 0.621026694827384, 1e-12);
    expectClose(r.df, 82.22425715010152, 1e-12);
    expectClose(r.p_value, 0.5362998670816328, 1e-10);
    expectClose(r.diff_ci[0], -0.944775049348751, 1e-10);
    expectClose(r.diff_ci[1], 1.8024361604598609, 1e-10);
    expect(r.method).toBe('none');
    expect(r.variance_reduction).toBe(0);
    expect(r.warnings).toEqual([]);
  });

  it('one-sided at alpha 0.1', () => {
    const g = analyzeMean(c, t, { metric: 'y', tails: 'greater', alpha: 0.1 });
    expectClose(g.p_value, 0.2681499335408164, 1e-10);
    expectClose(g.diff_ci[0], -0.4632730279624444, 1e-10);
    const l = analyzeMean(c, t, { metric: 'y', tails: 'less', alpha: 0.1 });
    expectClose(l.p_value, 0.7318500664591836, 1e-10);
    expectClose(l.diff_ci[1], 1.3209341390735543, 1e-10);
  });

  it('relative lift by the delta method (gbstats formula by hand)', () => {
    // mc, mt = c[:,0].mean(), t[:,0].mean(); rel = (mt - mc)/abs(mc)
    // var = t[:,0].var(ddof=1)/(nt*mc**2) + mt**2*c[:,0].var(ddof=1)/(nc*mc**4); q = stats.t.ppf(0.975, r.df)
    const r = analyzeMean(c, t, { metric: 'y' });
    expectClose(r.rel_lift, 0.048768845610127794, 1e-12);
    expectClose(r.rel_se, 0.08053732109611819, 1e-12);
    expectClose(r.rel_ci[0], -0.11143899986998868, 1e-10);
    expectClose(r.rel_ci[1], 0.20897669109024425, 1e-10);
  });
});

describe('edge cases', () => {
  it('zero variance in both arms: p null, degenerate CI, a warning, no NaN', () => {
    const c = momentsFromRows([[3], [3], [3]], ['y'], [2.9]);
    const t = momentsFromRows([[5], [5]], ['y']);
    const r = analyzeMean(c, t, { metric: 'y' });
    expect(r.diff).toBe(2);
    expect(r.diff_se).toBe(0);
    expect(r.p_value).toBeNull();
    expect(r.df).toBeNull();
    expect(r.diff_ci).toEqual([2, 2]);
    expect(r.rel_ci).toEqual([2 / 3, 2 / 3]);
    expect(r.warnings.join(' ')).toMatch(/zero variance in both arms/);
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });

  it('zero variance in one arm still tests (df = n - 1 of the other)', () => {
    const c = momentsFromRows([[3], [3], [3]], ['y']);
    const t = momentsFromRows([[4], [5], [6], [7]], ['y']);
    const r = analyzeMean(c, t, { metric: 'y' });
    expectClose(r.df, 3, 1e-12);
    // scipy.stats.ttest_ind([4,5,6,7],[3,3,3], equal_var=False).pvalue
    expectClose(r.p_value, 0.030466291662170977, 1e-9);
  });

  it('control mean zero: relative lift null with a warning', () => {
    const c = momentsFromRows([[-1], [1], [0]], ['y']);
    const t = momentsFromRows([[1], [2], [3]], ['y']);
    const r = analyzeMean(c, t, { metric: 'y' });
    expect(r.rel_lift).toBeNull();
    expect(r.rel_ci).toEqual([null, null]);
    expect(r.warnings.join(' ')).toMatch(/relative lift is undefined/);
  });

  it('negative control mean: lift sign follows the direction (gbstats frequentist_diff)', () => {
    const c = momentsFromRows([[-11], [-10], [-9]], ['y']);
    const t = momentsFromRows([[-6], [-5], [-4]], ['y']);
    expectClose(analyzeMean(c, t, { metric: 'y' }).rel_lift, 0.5, 1e-12);
  });

  it('bad input throws StatsInputError', () => {
    const one = momentsFromRows([[1]], ['y']);
    const two = momentsFromRows([[1], [2]], ['y']);
    expect(() => analyzeMean(one, two, { metric: 'y' })).toThrow(StatsInputError);
    expect(() => analyzeMean(one, two, { metric: 'y' })).toThrow(/at least 2/);
    expect(() => analyzeMean(two, two, { metric: 'z' })).toThrow(/unknown column "z"/);
    expect(() => analyzeMean(two, two, { metric: 'y', alpha: 1.5 })).toThrow(/alpha/);
    expect(() => analyzeMean(two, two, { metric: 'y', tails: 'both' as never })).toThrow(/tails/);
    expect(() => analyzeMean(two, two, { metric: 'y', covariates: ['y'] })).toThrow(/own covariate/);
  });

  it('welchTest is usable on its own', () => {
    const w = welchTest(1, { n: 10, variance: 4 }, { n: 20, variance: 9 }, 0.05, 'two');
    expectClose(w.se, Math.sqrt(0.4 + 0.45), 1e-15);
    // (0.85**2) / (0.4**2/9 + 0.45**2/19)
    expectClose(w.df, 0.85 ** 2 / (0.4 ** 2 / 9 + 0.45 ** 2 / 19), 1e-14);
  });
});
