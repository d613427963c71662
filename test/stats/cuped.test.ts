import { describe, expect, it } from 'vitest';
import { analyzeMean } from '../../src/stats/cuped.js';
import { type Moments, momentsFromRows } from '../../src/stats/moments.js';
import { MEAN_COLUMNS, MEAN_CONTROL, MEAN_TEST } from './fixtures.js';
import { expectClose, normalStream } from './helpers.js';

const control = momentsFromRows(MEAN_CONTROL, MEAN_COLUMNS, [9, 10, 4, 0.4]);
const test = momentsFromRows(MEAN_TEST, MEAN_COLUMNS);

describe('CUPED with three covariates against numpy/scipy', () => {
  // from data import mean_data (fixtures.ts); c, t = mean_data()
  // P = np.vstack([c, t]); X = P[:, 1:]; y = P[:, 0]
  // theta = np.linalg.lstsq(X - X.mean(0), y - y.mean(), rcond=None)[0]
  // ac = c[:,0] - c[:,1:] @ theta; at = t[:,0] - t[:,1:] @ theta
  // ra = stats.ttest_ind(at, ac, equal_var=False); ra.pvalue, ra.df, ra.confidence_interval(0.95)
  // A_v = y_v.mean() - theta @ (X_v.mean(0) - X.mean(0))
  // vr = 1 - (ac.var(ddof=1)/nc + at.var(ddof=1)/nt) / (c[:,0].var(ddof=1)/nc + t[:,0].var(ddof=1)/nt)
  const r = analyzeMean(control, test, { metric: 'y', covariates: ['x1', 'x2', 'x3'] });

  it('theta is the pooled least-squares fit', () => {
    expectClose(r.theta.x1, 0.7445246610720571, 1e-10);
    expectClose(r.theta.x2, -0.5450023590638844, 1e-10);
    expectClose(r.theta.x3, 1.6109587031873573, 1e-10);
    expect(r.covariates).toEqual(['x1', 'x2', 'x3']);
    expect(r.method).toBe('cuped');
  });

  it('adjusted means, Welch test and CI equal scipy on the adjusted values', () => {
    expectClose(r.control_mean, 8.633695251707938, 1e-12);
    expectClose(r.test_mean, 9.363670887370718, 1e-12);
    expectClose(r.diff, 0.7299756356627807, 1e-11);
    expectClose(r.diff_se, 0.42349241903100265, 1e-11);
    expectClose(r.df, 82.9945008119775, 1e-10);
    expectClose(r.p_value, 0.0884846872578834, 1e-9);
    expectClose(r.diff_ci[0], -0.11233457838569638, 1e-9);
    expectClose(r.diff_ci[1], 1.5722858497112586, 1e-10);
  });

  it('variance reduction and the sample it is worth', () => {
    expectClose(r.variance_reduction, 0.6238679223502275, 1e-10);
    expectClose(r.equivalent_sample_saved, 1.658640566495711, 1e-10);
  });

  it('relative lift: exact delta method (numeric gradient in numpy)', () => {
    // rel(ybar_c, xbar_c, ybar_t, xbar_t) = (A_t - A_c) / |ybar_c|, theta and pooled xbar fixed;
    // central-difference gradients gc, gt (h = 1e-6 relative);
    // var = gc @ np.cov(c.T) @ gc / nc + gt @ np.cov(t.T) @ gt / nt
    expectClose(r.rel_lift, 0.0830166335248027, 1e-11);
    expectClose(r.rel_se, 0.05043760184349703, 1e-8); // finite differences limit the digits
    expectClose(r.rel_ci[0], -0.017301826253287744, 1e-7);
    expectClose(r.rel_ci[1], 0.18333509330289313, 1e-8);
  });

  it('covariate shares: Shapley over all orders (brute force in numpy, theta refitted per subset)', () => {
    expectClose(r.covariate_contributions.x1, 0.4031245167622244, 1e-10);
    expectClose(r.covariate_contributions.x2, 0.18704909692258814, 1e-10);
    expectClose(r.covariate_contributions.x3, 0.03369430866541502, 1e-9);
    expectClose(r.covariate_shares.x1, 0.64616964956874, 1e-10);
    expectClose(r.covariate_shares.x2, 0.29982162926078826, 1e-10);
    expectClose(r.covariate_shares.x3, 0.054008721170471855, 1e-9);
  });

  it('covariate groups: a set of columns is one Shapley player (e.g. a one-hot categorical)', () => {
    // players {x1}, {x2, x3}: phi_x1 = (v({x1}) + v(all) - v({x2,x3})) / 2 with red() as above
    const g = analyzeMean(control, test, { metric: 'y', covariates: ['x1', 'x2', 'x3'], covariateGroups: { x2: 'g', x3: 'g' } });
    expect(Object.keys(g.covariate_shares)).toEqual(['x1', 'g']);
    expect(Object.keys(g.theta)).toEqual(['x1', 'x2', 'x3']);
    expectClose(g.covariate_contributions.x1, 0.4040928192483982, 1e-10);
    expectClose(g.covariate_contributions.g, 0.21977510310182935, 1e-10);
    expectClose((g.covariate_shares.x1 ?? 0) + (g.covariate_shares.g ?? 0), 1, 1e-12);
  });

  it('reports the unadjusted result next to it', () => {
    expectClose(r.unadjusted.diff, 0.42883055555555494, 1e-12);
    expectClose(r.unadjusted.p_value, 0.5362998670816328, 1e-10);
    expectClose(r.unadjusted.control_mean, 8.793125, 1e-14);
  });
});

describe('CUPED against gbstats RegressionAdjustedStatistic (run on this machine)', () => {
  // gbstats (growthbook/growthbook packages/stats), one covariate:
  //   ra(n, s, ss, ps, pss, spp) = RegressionAdjustedStatistic(n=n,
  //     post_statistic=SampleMeanStatistic(n=n, sum=s, sum_squares=ss),
  //     pre_statistic=SampleMeanStatistic(n=n, sum=ps, sum_squares=pss), post_pre_sum_of_products=spp, theta=None)
  //   a = ra(3407, 1396.87, 52377.9767, 0.3*3407, 0.34*3407, 3740.0)
  //   b = ra(3461, 2422.7, 134698.29, 0.3*3461, 0.34*3461, 6090.0)
  //   TwoSidedTTest([(a, b)], FrequentistConfig(difference_type=...)).compute_result()
  // Equal pre-period means, so gbstats' relative CUPED variance (which uses the unadjusted
  // test mean in the control gradient) coincides with the exact delta method.
  const mk = (n: number, s: number, ss: number, ps: number, pss: number, spp: number): Moments => ({
    n,
    names: ['y', 'x'],
    shift: [0, 0],
    sums: [s, ps],
    cross: [
      [ss, spp],
      [spp, pss],
    ],
  });
  const a = mk(3407, 1396.87, 52377.9767, 0.3 * 3407, 0.34 * 3407, 3740.0);
  const b = mk(3461, 2422.7, 134698.29, 0.3 * 3461, 0.34 * 3461, 6090.0);

  it('absolute and relative, two-sided', () => {
    const r = analyzeMean(a, b, { metric: 'y', covariates: ['x'] });
    expectClose(r.diff, 0.29000000000000004, 1e-12);
    expectClose(r.diff_se, 0.10895716488650842, 1e-12);
    expectClose(r.diff_ci[0], 0.07640385397196858, 1e-9);
    expectClose(r.diff_ci[1], 0.5035961460280315, 1e-9);
    expectClose(r.p_value, 0.0077982816698063395, 1e-9);
    expectClose(r.rel_lift, 0.7073170731707319, 1e-12);
    expectClose(r.rel_se, 0.33060226697571704, 1e-12);
    expectClose(r.rel_ci[0], 0.05921494819622808, 1e-8);
    expectClose(r.rel_ci[1], 1.3554191981452357, 1e-9);
  });

  it('one-sided greater at alpha 0.1', () => {
    // OneSidedTreatmentGreaterTTest([(a, b)], FrequentistConfig(difference_type='absolute', alpha=0.1))
    const r = analyzeMean(a, b, { metric: 'y', covariates: ['x'], tails: 'greater', alpha: 0.1 });
    expectClose(r.diff_ci[0], 0.1503500643709687, 1e-9);
    expect(r.diff_ci[1]).toBeNull();
    expectClose(r.p_value, 0.0038991408349031698, 1e-9);
  });

  it('absolute matches gbstats on the fixture with x1; relative uses the exact gradient', () => {
    // gbstats on mean_data() with x1: absolute [0.9398567486560871, 0.5305259517713415,
    // -0.11533821472445815, 1.9950517120366325, p 0.0801386533185644]; relative stddev
    // 0.06181 (gbstats) vs 0.06368 here, because the arms' x1 means differ (10.10 vs 9.42).
    const r = analyzeMean(control, test, { metric: 'y', covariates: ['x1'] });
    expectClose(r.diff, 0.9398567486560871, 1e-11);
    expectClose(r.diff_se, 0.5305259517713415, 1e-11);
    expectClose(r.diff_ci[0], -0.11533821472445815, 1e-9);
    expectClose(r.diff_ci[1], 1.9950517120366325, 1e-10);
    expectClose(r.p_value, 0.0801386533185644, 1e-9);
    expectClose(r.rel_lift, 0.10688540748096804, 1e-11);
  });
});

describe('covariate hygiene', () => {
  /** Adds columns computed from (y, x1, x2, x3) to every row. */
  const extend = (rows: number[][], f: (r: number[], i: number) => number[]): number[][] => rows.map((r, i) => [...r, ...f(r, i)]);
  const cols = [...MEAN_COLUMNS, 'k', 'x1b', 'x1c'];
  const fx = (r: number[], i: number): number[] => [42, 2 * (r[1] as number) + 3, (r[1] as number) + (i % 2) * 0.01];
  const c = momentsFromRows(extend(MEAN_CONTROL, fx), cols);
  const t = momentsFromRows(extend(MEAN_TEST, fx), cols);

  it('drops a constant and a collinear covariate with notes (the fit is the same without them), keeps the rest', () => {
    const r = analyzeMean(c, t, { metric: 'y', covariates: ['x1', 'k', 'x1b', 'x2', 'x3'] });
    expect(r.covariates).toEqual(['x1', 'x2', 'x3']);
    expect(r.dropped_covariates).toEqual(['k', 'x1b']);
    expect(r.warnings).toEqual([]);
    expect(r.notes).toEqual([
      'covariate k left out: it is constant, so it carries no information',
      'covariate x1b left out: it is a linear combination of the covariates before it, so it adds nothing',
    ]);
    // the same as the clean fit
    expectClose(r.theta.x1, 0.7445246610720571, 1e-9);
    expectClose(r.p_value, 0.0884846872578834, 1e-8);
  });

  it('keeps a nearly (not exactly) collinear covariate', () => {
    const r = analyzeMean(c, t, { metric: 'y', covariates: ['x1', 'x1c'] });
    expect(r.covariates).toEqual(['x1', 'x1c']);
    expect(Number.isFinite(r.diff_se)).toBe(true);
  });

  it('all covariates unusable: unadjusted result, method none', () => {
    const r = analyzeMean(c, t, { metric: 'y', covariates: ['k'] });
    expect(r.method).toBe('none');
    expect(r.covariates).toEqual([]);
    expect(r.dropped_covariates).toEqual(['k']);
    expect(r.warnings.at(-1)).toMatch(/no usable covariate/);
    expectClose(r.p_value, 0.5362998670816328, 1e-10);
  });

  it('a full one-hot encoding drops its last level', () => {
    const oh = (r: number[]): number[] => [r[3] as number, 1 - (r[3] as number)];
    const names = [...MEAN_COLUMNS, 'g=a', 'g=b'];
    const r = analyzeMean(momentsFromRows(extend(MEAN_CONTROL, oh), names), momentsFromRows(extend(MEAN_TEST, oh), names), {
      metric: 'y',
      covariates: ['x1', 'x2', 'g=a', 'g=b'],
    });
    expect(r.covariates).toEqual(['x1', 'x2', 'g=a']);
    expectClose(r.theta['g=a'], 1.6109587031873573, 1e-9);
  });

  it('a covariate that explains the metric exactly: zero adjusted variance, p null, no NaN', () => {
    const rows = (n: number, shift: number): number[][] => Array.from({ length: n }, (_, i) => [3 * i + 1 + shift, i]);
    const r = analyzeMean(momentsFromRows(rows(10, 0), ['y', 'x']), momentsFromRows(rows(10, 2), ['y', 'x']), { metric: 'y', covariates: ['x'] });
    expectClose(r.theta.x, 3, 1e-9);
    expectClose(r.diff, 2, 1e-9);
    expect(r.p_value).toBeNull();
    expect(r.variance_reduction).toBe(1);
    expect(r.equivalent_sample_saved).toBeNull();
    expect(r.warnings.join(' ')).toMatch(/explain the metric exactly/);
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });

  it('more than 12 covariates: sampled Shapley orders still sum to the reduction', () => {
    const z = normalStream(99);
    const make = (n: number): number[][] =>
      Array.from({ length: n }, () => {
        const xs = Array.from({ length: 14 }, () => z());
        const y = xs.slice(0, 4).reduce((s, v) => s + v, 0) + z();
        return [y, ...xs];
      });
    const names = ['y', ...Array.from({ length: 14 }, (_, j) => `x${j}`)];
    const r = analyzeMean(momentsFromRows(make(300), names), momentsFromRows(make(300), names), { metric: 'y', covariates: names.slice(1) });
    const sum = Object.values(r.covariate_contributions).reduce((s, v) => s + v, 0);
    expectClose(sum, r.variance_reduction, 1e-9);
    const shares = Object.values(r.covariate_shares).reduce((s, v) => s + v, 0);
    expectClose(shares, 1, 1e-9);
    // the four real predictors carry nearly all of it
    expect((r.covariate_shares.x0 ?? 0) + (r.covariate_shares.x1 ?? 0) + (r.covariate_shares.x2 ?? 0) + (r.covariate_shares.x3 ?? 0)).toBeGreaterThan(0.95);
  });
});
