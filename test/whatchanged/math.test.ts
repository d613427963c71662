import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Agg,
  type Pair,
  type Sums,
  benjaminiHochberg,
  decompose,
  explanatorySet,
  jsTerm,
  ratioUnitVariance,
  segmentTest,
  welch,
  welchSamples,
} from '../../src/stats/whatchanged/math.js';
import { assertDisjoint, describePeriod, parsePeriod, periodBefore, periodDays } from '../../src/stats/whatchanged/period.js';

function sumsOf(units: { v: number; c: number }[]): Sums {
  const s = { n: 0, v: 0, c: 0, vv: 0, cc: 0, vc: 0 };
  for (const u of units) {
    s.n += 1;
    s.v += u.v;
    s.c += u.c;
    s.vv += u.v * u.v;
    s.cc += u.c * u.c;
    s.vc += u.v * u.c;
  }
  return s;
}

function add(a: Sums, b: Sums): Sums {
  return { n: a.n + b.n, v: a.v + b.v, c: a.c + b.c, vv: a.vv + b.vv, cc: a.cc + b.cc, vc: a.vc + b.vc };
}

const unitArb = fc.record({ v: fc.double({ min: 0, max: 1000, noNaN: true }), c: fc.integer({ min: 1, max: 20 }) });
const segArb = fc.record({ base: fc.array(unitArb, { maxLength: 6 }), cur: fc.array(unitArb, { maxLength: 6 }) });

describe('exact decomposition', () => {
  for (const agg of ['count', 'sum', 'mean'] as Agg[]) {
    it(`${agg}: mix + rate per segment, and segments add up to the total change exactly`, () => {
      fc.assert(
        fc.property(fc.array(segArb, { minLength: 1, maxLength: 6 }), fc.double({ min: 0.25, max: 4, noNaN: true }), (raw, kRaw) => {
          // count: the unit's value is its number of events.
          const segs: Pair[] = raw.map((s) => ({
            base: sumsOf(s.base.map((u) => (agg === 'count' ? { v: u.c, c: u.c } : u))),
            cur: sumsOf(s.cur.map((u) => (agg === 'count' ? { v: u.c, c: u.c } : u))),
          }));
          const overall: Pair = segs.reduce((acc, s) => ({ base: add(acc.base, s.base), cur: add(acc.cur, s.cur) }), {
            base: sumsOf([]),
            cur: sumsOf([]),
          });
          fc.pre(overall.base.n > 0 && overall.cur.n > 0);
          const k = agg === 'mean' ? 1 : kRaw;
          const total = agg === 'mean' ? overall.cur.v / overall.cur.c - overall.base.v / overall.base.c : overall.cur.v - k * overall.base.v;
          const parts = segs.map((s) => decompose(s, overall, agg, k));
          const scale = Math.max(1, Math.abs(total), ...parts.map((p) => Math.abs(p.impact)));
          for (const p of parts) expect(Math.abs(p.mix + p.rate - p.impact)).toBeLessThan(1e-9 * scale);
          expect(Math.abs(parts.reduce((a, p) => a + p.impact, 0) - total)).toBeLessThan(1e-9 * scale);
          expect(Math.abs(parts.reduce((a, p) => a + p.mix + p.rate, 0) - total)).toBeLessThan(1e-9 * scale);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('totals: a segment that only shrank is all mix; one whose rate fell at constant size is all rate', () => {
    const overall: Pair = { base: sumsOf([{ v: 10, c: 1 }]), cur: sumsOf([{ v: 10, c: 1 }]) };
    const shrank = decompose({ base: sumsOf([{ v: 4, c: 2 }, { v: 4, c: 2 }]), cur: sumsOf([{ v: 4, c: 2 }]) }, overall, 'sum');
    expect(shrank).toMatchObject({ impact: -4, mix: -4, rate: 0 });
    const cheaper = decompose({ base: sumsOf([{ v: 4, c: 2 }, { v: 6, c: 2 }]), cur: sumsOf([{ v: 2, c: 2 }, { v: 3, c: 2 }]) }, overall, 'sum');
    expect(cheaper).toMatchObject({ impact: -5, mix: 0, rate: -5 });
  });

  it('means: a pure mix shift (segment means unchanged) has zero rate, and is anchored on the baseline mean', () => {
    // Segment A: mean 100, B: mean 40. Baseline 50/50 events, current 25/75.
    const a: Pair = { base: sumsOf([{ v: 5000, c: 50 }]), cur: sumsOf([{ v: 2500, c: 25 }]) };
    const b: Pair = { base: sumsOf([{ v: 2000, c: 50 }]), cur: sumsOf([{ v: 3000, c: 75 }]) };
    const overall: Pair = { base: add(a.base, b.base), cur: add(a.cur, b.cur) };
    const da = decompose(a, overall, 'mean');
    const db = decompose(b, overall, 'mean');
    // M0 = 70, M1 = 55: the total change is -15, all mix.
    expect(da.rate).toBe(0);
    expect(db.rate).toBe(0);
    expect(da.mix).toBeCloseTo(-0.25 * (100 - 70), 12);
    expect(db.mix).toBeCloseTo(0.25 * (40 - 70), 12);
    expect(da.mix + db.mix).toBeCloseTo(-15, 12);
  });

  it('a segment that appears only in the current period is all mix', () => {
    const overall: Pair = { base: sumsOf([{ v: 10, c: 1 }]), cur: sumsOf([{ v: 10, c: 1 }, { v: 30, c: 3 }]) };
    const d = decompose({ base: sumsOf([]), cur: sumsOf([{ v: 30, c: 3 }]) }, overall, 'mean');
    expect(d.baseline).toBeNull();
    expect(d.rate).toBe(0);
    // W1 = 3/4, m1 = 10, M0 = 10: the new segment has the baseline mean, so it moves nothing.
    expect(d.mix).toBe(0);
  });
});

describe('Adtributor surprise and explanatory set', () => {
  it('Jensen-Shannon terms in bits', () => {
    // python: 0.5*(p*log2(p/m) + q*log2(q/m)), m = (p+q)/2
    expect(jsTerm(0.3, 0.1)).toBeCloseTo(0.037744375108173384, 14);
    expect(jsTerm(1, 0)).toBeCloseTo(0.5, 14);
    expect(jsTerm(0.25, 0.5)).toBeCloseTo(0.030639062229566402, 14);
    expect(jsTerm(0.4, 0.4)).toBe(0);
  });

  it('picks the most surprising segments with enough explanatory power until 67% is explained', () => {
    const set = explanatorySet([
      { contribution: 0.5, surprise: 0.01 },
      { contribution: 0.05, surprise: 0.2 }, // too little explanatory power
      { contribution: 0.3, surprise: 0.05 },
      { contribution: 0.15, surprise: 0.001 },
    ]);
    expect(set.members).toEqual([2, 0]);
    expect(set.explains).toBe(true);
    expect(set.explanatory_power).toBeCloseTo(0.8, 12);
    expect(set.surprise).toBeCloseTo(0.06, 12);
    expect(explanatorySet([{ contribution: 0.5, surprise: 0.1 }, { contribution: 0.5, surprise: 0.1 }].slice(0, 1)).explains).toBe(false);
    expect(explanatorySet([{ contribution: null, surprise: 1 }]).members).toEqual([]);
  });
});

describe('tests', () => {
  it("Welch matches scipy.stats.ttest_ind(equal_var=False)", () => {
    // python: stats.ttest_ind(b, a, equal_var=False) -> t -2.438907639391128, p 0.03401152767123854, df 10.419927213388634
    const a = [12.0, 15.5, 9.0, 11.2, 14.1, 10.0, 13.3];
    const b = [10.1, 8.7, 9.9, 12.0, 7.5, 9.1];
    const r = welchSamples(a, b);
    expect(r.statistic).toBeCloseTo(-2.438907639391128, 10);
    expect(r.df).toBeCloseTo(10.419927213388634, 9);
    expect(r.p_value).toBeCloseTo(0.03401152767123854, 10);
  });

  it('the delta-method variance of a ratio mean is the plain sample variance with one event per unit', () => {
    const a = [12.0, 15.5, 9.0, 11.2, 14.1, 10.0, 13.3];
    const s = sumsOf(a.map((v) => ({ v, c: 1 })));
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    const plain = a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1);
    expect(ratioUnitVariance(s)).toBeCloseTo(plain, 10);
    const b = [10.1, 8.7, 9.9, 12.0, 7.5, 9.1];
    const t = segmentTest({ base: s, cur: sumsOf(b.map((v) => ({ v, c: 1 }))) }, 'mean');
    expect(t.p_value).toBeCloseTo(0.03401152767123854, 10);
  });

  it('totals: z-test with compound-Poisson variance', () => {
    // Change 1.96 * sqrt(vv0 + vv1): two-sided p = 2 * norm.sf(1.96) = 0.04999579029644087
    const base = sumsOf([{ v: 3, c: 3 }, { v: 4, c: 4 }]); // vv = 25
    const se = Math.sqrt(25 + 144);
    const cur = { n: 1, v: 7 + 1.96 * se, c: 1, vv: 144, cc: 1, vc: 0 };
    const t = segmentTest({ base, cur }, 'sum');
    expect(t.statistic).toBeCloseTo(1.96, 12);
    expect(t.p_value).toBeCloseTo(0.04999579029644087, 10);
    expect(segmentTest({ base: sumsOf([]), cur: sumsOf([]) }, 'sum').p_value).toBeNull();
  });

  it('degenerate Welch inputs give null, never NaN', () => {
    expect(welch(1, 0, 5, 1, 0, 5).p_value).toBeNull();
    expect(welch(1, 1, 1, 2, 1, 5).p_value).toBeNull();
  });

  it('Benjamini-Hochberg matches scipy.stats.false_discovery_control', () => {
    // python: stats.false_discovery_control([0.01, 0.04, 0.03, 0.005, 0.5, 0.2, 0.049])
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5, null, 0.2, 0.049]);
    const expected = [0.035, 0.0686, 0.0686, 0.035, 0.5, null, 0.23333333333333336, 0.0686];
    q.forEach((x, i) => {
      const e = expected[i];
      if (e === null || e === undefined) expect(x).toBeNull();
      else expect(x).toBeCloseTo(e, 12);
    });
  });
});

describe('periods', () => {
  it('whole days are inclusive; times are exclusive', () => {
    const p = parsePeriod('--baseline', '2026-10-01..2026-10-07');
    expect(p.from.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(p.to.toISOString()).toBe('2026-10-08T00:00:00.000Z');
    expect(periodDays(p)).toBe(7);
    expect(describePeriod(p)).toBe('2026-10-01..2026-10-07');
    const t = parsePeriod('--current', '2026-10-01T06:00..2026-10-01 18:30');
    expect(t.to.toISOString()).toBe('2026-10-01T18:30:00.000Z');
    expect(periodDays(t)).toBe(0.5208333333333334);
    expect(describePeriod(parsePeriod('--current', '2026-10-09'))).toBe('2026-10-09');
    expect(describePeriod(periodBefore(p))).toBe('2026-09-24..2026-09-30');
  });

  it('rejects bad, empty and overlapping periods with usage errors', () => {
    expect(() => parsePeriod('--baseline', 'last week')).toThrow(/--baseline expects FROM..TO/);
    expect(() => parsePeriod('--baseline', '2026-02-30..2026-03-02')).toThrow(/not a valid date/);
    expect(() => parsePeriod('--baseline', '2026-10-07..2026-10-01')).toThrow(/ends before it starts/);
    expect(() => parsePeriod('--baseline', '2026-10-01T10:00..2026-10-01T10:00')).toThrow(/ends before it starts/);
    const a = parsePeriod('--baseline', '2026-10-01..2026-10-08');
    const b = parsePeriod('--current', '2026-10-08..2026-10-14');
    expect(() => assertDisjoint(a, b)).toThrow(/overlap/);
    expect(() => assertDisjoint(parsePeriod('--baseline', '2026-10-01..2026-10-07'), b)).not.toThrow();
  });
});
