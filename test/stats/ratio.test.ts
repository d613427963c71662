import { describe, expect, it } from 'vitest';
import { analyzeMean } from '../../src/stats/cuped.js';
import { analyzeRatio } from '../../src/stats/ratio.js';
import { StatsInputError, momentsFromRows } from '../../src/stats/moments.js';
import { MEAN_COLUMNS, MEAN_CONTROL, MEAN_TEST, RATIO_COLUMNS, RATIO_CONTROL, RATIO_TEST } from './fixtures.js';
import { expectClose } from './helpers.js';

const control = momentsFromRows(RATIO_CONTROL, RATIO_COLUMNS, [1, 3, 1, 5]);
const test = momentsFromRows(RATIO_TEST, RATIO_COLUMNS);

describe('ratio metric by the delta method', () => {
  // numpy, from data import ratio_data (fixtures.ts); c, t = ratio_data()
  // R_v = num.sum()/den.sum(); u_v = (num - R_v*den)/den.mean(); v_v = u_v.var(ddof=1)
  // se = sqrt(vc/nc + vt/nt); df = Welch-Satterthwaite; p = 2*stats.t.sf(|diff|/se, df)
  // and gbstats RatioStatistic(n, m_statistic=SampleMeanStatistic(...), d_statistic=..., m_d_sum_of_products=...)
  // run on this machine: TwoSidedTTest absolute -> [0.10160384270943582, 0.0610824509789495,
  // -0.020523022376488897, 0.22373070779536053, p 0.10133346504181184]; relative -> [0.42434546072764373,
  // 0.31832673289881347, -0.21210977868922715, 1.0608007001445146]
  const r = analyzeRatio(control, test, { numerator: 'num', denominator: 'den' });

  it('matches the hand delta method and gbstats (absolute)', () => {
    expect(r.metric).toBe('num/den');
    expect(r.kind).toBe('ratio');
    expectClose(r.control_mean, 0.23943661971830985, 1e-14);
    expectClose(r.test_mean, 0.34104046242774566, 1e-14);
    expectClose(r.diff, 0.10160384270943582, 1e-12);
    expectClose(r.diff_se, 0.0610824509789495, 1e-12);
    expectClose(r.df, 61.37383082677158, 1e-12);
    expectClose(r.p_value, 0.10133346504181184, 1e-9);
    expectClose(r.diff_ci[0], -0.020523022376488897, 1e-9);
    expectClose(r.diff_ci[1], 0.22373070779536053, 1e-10);
  });

  it('matches gbstats (relative)', () => {
    expectClose(r.rel_lift, 0.42434546072764373, 1e-12);
    expectClose(r.rel_se, 0.31832673289881347, 1e-12);
    expectClose(r.rel_ci[0], -0.21210977868922715, 1e-9);
    expectClose(r.rel_ci[1], 1.0608007001445146, 1e-10);
  });
});

describe('regression-adjusted ratio (pre_num, pre_den as covariates)', () => {
  // P = np.vstack([c, t]); X = P[:, 2:]; pooled u_p = (num - R_p*den)/den_p.mean()
  // theta = np.linalg.lstsq(X - X.mean(0), u_p - u_p.mean(), rcond=None)[0]
  // per arm: a_v = u_v - X_v @ theta; A_v = R_v - theta @ (X_v.mean(0) - X.mean(0)); Welch on (A_v, a_v.var(ddof=1), n_v)
  // relative: numeric gradient of (A_t - A_c)/|R_c| in each arm's (mean num, mean den, mean x), times np.cov/n
  const r = analyzeRatio(control, test, { numerator: 'num', denominator: 'den', covariates: ['pre_num', 'pre_den'] });

  it('theta, adjusted ratios, Welch', () => {
    expectClose(r.theta.pre_num, 0.08545833660005973, 1e-10);
    expectClose(r.theta.pre_den, -0.010752241471488783, 1e-9);
    expectClose(r.control_mean, 0.24288172362079852, 1e-12);
    expectClose(r.test_mean, 0.3380875162256125, 1e-12);
    expectClose(r.diff, 0.09520579260481399, 1e-11);
    expectClose(r.diff_se, 0.05951512180251303, 1e-11);
    expectClose(r.df, 54.67989834964616, 1e-10);
    expectClose(r.p_value, 0.11542997469584812, 1e-9);
    expectClose(r.diff_ci[0], -0.024080872824596103, 1e-9);
    expectClose(r.diff_ci[1], 0.21449245803422406, 1e-10);
    expectClose(r.variance_reduction, 0.05066008043503378, 1e-9);
  });

  it('relative lift and CI', () => {
    expectClose(r.rel_lift, 0.3976241926436349, 1e-11);
    expectClose(r.rel_se, 0.31041215023396684, 1e-8);
    expectClose(r.rel_ci[0], -0.2245375233829544, 1e-8);
    expectClose(r.rel_ci[1], 1.0197859086702241, 1e-8);
  });

  it('keeps the unadjusted ratio comparison', () => {
    expectClose(r.unadjusted.diff, 0.10160384270943582, 1e-12);
    expectClose(r.unadjusted.p_value, 0.10133346504181184, 1e-9);
  });
});

describe('ratio edge cases', () => {
  it('with a denominator of 1 for every unit it is the mean analysis', () => {
    const add1 = (rows: number[][]): number[][] => rows.map((r) => [r[0] as number, 1, ...r.slice(1)]);
    const names = ['y', 'one', 'x1', 'x2', 'x3'];
    const c = momentsFromRows(add1(MEAN_CONTROL), names);
    const t = momentsFromRows(add1(MEAN_TEST), names);
    const ratio = analyzeRatio(c, t, { numerator: 'y', denominator: 'one', covariates: ['x1', 'x2', 'x3'] });
    const mean = analyzeMean(momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS), momentsFromRows(MEAN_TEST, MEAN_COLUMNS), {
      metric: 'y',
      covariates: ['x1', 'x2', 'x3'],
    });
    for (const k of ['diff', 'diff_se', 'p_value', 'df', 'rel_lift', 'rel_se', 'variance_reduction'] as const) {
      expectClose(ratio[k], mean[k] as number, 1e-9);
    }
    expectClose(ratio.theta.x2, mean.theta.x2 as number, 1e-9);
  });

  it('a denominator averaging 0 throws StatsInputError', () => {
    const c = momentsFromRows(
      [
        [0, 0],
        [1, 0],
      ],
      ['num', 'den'],
    );
    const t = momentsFromRows(
      [
        [1, 2],
        [1, 3],
      ],
      ['num', 'den'],
    );
    expect(() => analyzeRatio(c, t, { numerator: 'num', denominator: 'den' })).toThrow(StatsInputError);
    expect(() => analyzeRatio(c, t, { numerator: 'num', denominator: 'den' })).toThrow(/averages 0 in the control arm/);
    expect(() => analyzeRatio(t, t, { numerator: 'num', denominator: 'num' })).toThrow(/two different columns/);
  });

  it('numerator proportional to denominator in every unit: zero variance, p null, no NaN', () => {
    const c = momentsFromRows([1, 2, 3, 4].map((d) => [0.3 * d, d]), ['num', 'den']);
    const t = momentsFromRows([2, 5, 7].map((d) => [0.4 * d, d]), ['num', 'den']);
    const r = analyzeRatio(c, t, { numerator: 'num', denominator: 'den' });
    expectClose(r.diff, 0.1, 1e-12);
    expect(r.p_value).toBeNull();
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });
});
