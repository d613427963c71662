import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyzeMean, compareLinear, meanLinearArm } from '../../src/stats/cuped.js';
import { analyzeRatio } from '../../src/stats/ratio.js';
import { mergeMoments, momentsFromRows } from '../../src/stats/moments.js';
import { expectClose, normalStream } from './helpers.js';

const NAMES = ['y', 'x1', 'x2'];

/** A value with 3 decimals in [-lim, lim] (like data read from a CSV; no subnormals). */
const value = (lim: number): fc.Arbitrary<number> => fc.integer({ min: -lim * 1000, max: lim * 1000 }).map((v) => v / 1000);

/** An arm of n rows [y, x1, x2] with y correlated to the covariates. */
const armArb = (min: number, max: number): fc.Arbitrary<number[][]> =>
  fc.array(
    fc.tuple(value(50), value(50), value(5)).map(([a, b, e]) => [0.7 * a - 0.3 * b + e, a, b]),
    { minLength: min, maxLength: max },
  );

const FIELDS = ['diff', 'diff_se', 't_stat', 'df', 'rel_lift', 'rel_se'] as const;

describe('properties (fast-check)', () => {
  it('theta = 0 reproduces the unadjusted analysis', () => {
    fc.assert(
      fc.property(armArb(3, 30), armArb(3, 30), (rc, rt) => {
        const c = momentsFromRows(rc, NAMES);
        const t = momentsFromRows(rt, NAMES);
        const covs = ['x1', 'x2'];
        const r = compareLinear({
          metric: 'y',
          kind: 'mean',
          control: meanLinearArm(c, 'y', covs),
          test: meanLinearArm(t, 'y', covs),
          pooled: meanLinearArm(mergeMoments(c, t), 'y', covs),
          covariateNames: covs,
          method: 'cuped',
          alpha: 0.05,
          tails: 'two',
          theta: [0, 0],
        });
        const u = analyzeMean(c, t, { metric: 'y' });
        expect(r.diff).toBe(u.diff);
        expect(r.diff_se).toBe(u.diff_se);
        expect(r.p_value).toBe(u.p_value);
        expect(r.rel_se).toBe(u.rel_se);
        expect(r.variance_reduction).toBe(0);
        expect(u.unadjusted.diff_ci).toEqual(u.diff_ci);
      }),
      { numRuns: 60 },
    );
  });

  it('shifting a covariate (in the data) or the shift vector (in the sums) changes nothing', () => {
    fc.assert(
      fc.property(armArb(6, 30), armArb(6, 30), value(1e4), (rc, rt, k) => {
        const covariates = ['x1', 'x2'];
        const base = analyzeMean(momentsFromRows(rc, NAMES), momentsFromRows(rt, NAMES), { metric: 'y', covariates });
        fc.pre(base.covariates.length === 2);
        const shiftRow = (r: number[]): number[] => [r[0] as number, (r[1] as number) + k, r[2] as number];
        const moved = analyzeMean(momentsFromRows(rc.map(shiftRow), NAMES, [0, k, 0]), momentsFromRows(rt.map(shiftRow), NAMES, [1, k + 3, -2]), {
          metric: 'y',
          covariates,
        });
        expect(moved.covariates).toEqual(base.covariates);
        for (const f of FIELDS) {
          const b = base[f];
          if (b === null) expect(moved[f]).toBeNull();
          else expectClose(moved[f], b, 1e-6, 1e-9);
        }
        if (base.p_value === null) expect(moved.p_value).toBeNull();
        else expect(Math.abs((moved.p_value as number) - base.p_value)).toBeLessThan(1e-9);
        expectClose(moved.theta.x1, base.theta.x1 as number, 1e-6, 1e-9);
        expectClose(moved.control_mean, base.control_mean, 1e-6, 1e-9);
      }),
      { numRuns: 60 },
    );
  });

  it('Shapley contributions sum to the variance reduction; swapping arms mirrors the result', () => {
    fc.assert(
      fc.property(armArb(5, 40), armArb(5, 40), (rc, rt) => {
        const c = momentsFromRows(rc, NAMES);
        const t = momentsFromRows(rt, NAMES);
        const r = analyzeMean(c, t, { metric: 'y', covariates: ['x1', 'x2'] });
        const sum = Object.values(r.covariate_contributions).reduce((s, v) => s + v, 0);
        expectClose(sum, r.variance_reduction, 1e-9, 1e-9);
        const s = analyzeMean(t, c, { metric: 'y', covariates: ['x1', 'x2'] });
        expectClose(s.diff, -r.diff, 1e-9, 1e-9);
        expectClose(s.diff_se, r.diff_se, 1e-9, 1e-12);
        if (r.p_value !== null) expectClose(s.p_value, r.p_value, 1e-9, 1e-12);
      }),
      { numRuns: 60 },
    );
  });

  it('never returns NaN, even on small integer data with ties and constants', () => {
    const small = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1 })), {
      minLength: 2,
      maxLength: 6,
    });
    fc.assert(
      fc.property(small, small, (rc, rt) => {
        const names = ['num', 'den', 'x'];
        const c = momentsFromRows(rc, names);
        const t = momentsFromRows(rt, names);
        for (const r of [
          analyzeMean(c, t, { metric: 'num', covariates: ['x'] }),
          analyzeMean(c, t, { metric: 'num', covariates: ['x', 'den'], tails: 'less' }),
          analyzeRatio(c, t, { numerator: 'num', denominator: 'den', covariates: ['x'] }),
        ]) {
          expect(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? 'BAD' : v))).not.toMatch(/BAD/);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('A/A and effect simulations (seeded)', () => {
  /** n units: x ~ N(0,1), y = 5 + 2x + N(0,1) + effect. */
  function arm(z: () => number, n: number, effect: number): number[][] {
    return Array.from({ length: n }, () => {
      const x = z();
      return [5 + 2 * x + z() + effect, x];
    });
  }
  const RUNS = 400;
  // Binomial tolerance for the count of rejections: |k - RUNS alpha| <= 3.5 sd.
  const tolerance = 3.5 * Math.sqrt(RUNS * 0.05 * 0.95);

  it('false-positive rate of the CUPED test is alpha within binomial tolerance', () => {
    const z = normalStream(12345);
    let adjRejects = 0;
    let rawRejects = 0;
    let meanVr = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = analyzeMean(momentsFromRows(arm(z, 100, 0), ['y', 'x']), momentsFromRows(arm(z, 100, 0), ['y', 'x']), { metric: 'y', covariates: ['x'] });
      if ((r.p_value as number) < 0.05) adjRejects++;
      if ((r.unadjusted.p_value as number) < 0.05) rawRejects++;
      meanVr += r.variance_reduction / RUNS;
    }
    expect(Math.abs(adjRejects - RUNS * 0.05)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(rawRejects - RUNS * 0.05)).toBeLessThanOrEqual(tolerance);
    // theoretical reduction rho^2 = 4/5
    expect(meanVr).toBeGreaterThan(0.75);
    expect(meanVr).toBeLessThan(0.85);
  });

  it('the adjusted estimate is unbiased for a true effect and its CI covers it', () => {
    const z = normalStream(777);
    const effect = 0.3;
    const diffs: number[] = [];
    let covered = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = analyzeMean(momentsFromRows(arm(z, 100, 0), ['y', 'x']), momentsFromRows(arm(z, 100, effect), ['y', 'x']), { metric: 'y', covariates: ['x'] });
      diffs.push(r.diff);
      const [lo, hi] = r.diff_ci as [number, number];
      if (lo <= effect && effect <= hi) covered++;
    }
    const mean = diffs.reduce((s, v) => s + v, 0) / RUNS;
    const sd = Math.sqrt(diffs.reduce((s, v) => s + (v - mean) ** 2, 0) / (RUNS - 1));
    expect(Math.abs(mean - effect)).toBeLessThan((4 * sd) / Math.sqrt(RUNS));
    expect(Math.abs(covered - RUNS * 0.95)).toBeLessThanOrEqual(tolerance);
  });

  it('ratio CUPED keeps its false-positive rate', () => {
    const z = normalStream(4242);
    const runs = 300;
    let rejects = 0;
    const ratioArm = (n: number): number[][] =>
      Array.from({ length: n }, () => {
        const pre = Math.max(0.2, 3 + z());
        const den = Math.max(0.2, pre + 0.5 * z());
        return [0.3 * den + 0.2 * pre + 0.3 * z(), den, pre];
      });
    for (let i = 0; i < runs; i++) {
      const names = ['num', 'den', 'pre'];
      const r = analyzeRatio(momentsFromRows(ratioArm(150), names), momentsFromRows(ratioArm(150), names), { numerator: 'num', denominator: 'den', covariates: ['pre'] });
      if ((r.p_value as number) < 0.05) rejects++;
    }
    expect(Math.abs(rejects - runs * 0.05)).toBeLessThanOrEqual(3.5 * Math.sqrt(runs * 0.05 * 0.95));
  });
});
