/**
 * whatchanged on a tiny store against numbers computed independently in python (numpy/scipy)
 * from the same raw events. The script (run with python3, numpy 2, scipy 1.17):
 *
 *   import numpy as np; from scipy import stats
 *   users = {'u1':('US','ios'),'u2':('US','android'),'u3':('US','ios'),'u4':('BR','android'),
 *            'u5':('BR','ios'),'u6':('BR','android'),'u7':('US','web'),'u8':('BR','web')}
 *   base = [('u1',10),('u1',20),('u2',30),('u3',5),('u4',40),('u4',60),('u5',25),('u6',35),('u7',15),('u7',15),('u7',30),('u8',50)]
 *   cur  = [('u1',12),('u2',28),('u2',2),('u3',6),('u3',9),('u4',20),('u5',22),('u5',18),('u7',14),('u8',45),('u8',55)]
 *   # per unit: v = events (count) or sum of values, c = events; per segment and period:
 *   # totals: N units, V = sum v, m = V/N; mix = (N1-N0)(m0+m1)/2, rate = (m1-m0)(N0+N1)/2,
 *   #         p = 2 norm.sf(|V1-V0| / sqrt(sum v0^2 + sum v1^2))
 *   # means:  W = c_s/C, m = v_s/c_s, M0 = V0/C0; mix = (W1-W0)((m0+m1)/2 - M0), rate = (W0+W1)/2 (m1-m0)
 *   #         Welch t on m with per-period variance var((v - R c)/mean(c), ddof=1) / n, Satterthwaite df
 *   # percentiles: np.quantile(per-unit value (mean: v/c), q) per period
 *   # noise: stats.ttest_ind(daily(cur), daily(base), equal_var=False), event j on day j % 7 of its week
 *   #        (daily totals for count/sum, daily means for mean)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { parsePeriod, whatChanged, type Agg, type WhatChangedResult } from '../../src/engines/whatchanged/index.js';

const USERS: [string, string, string][] = [
  ['u1', 'US', 'ios'],
  ['u2', 'US', 'android'],
  ['u3', 'US', 'ios'],
  ['u4', 'BR', 'android'],
  ['u5', 'BR', 'ios'],
  ['u6', 'BR', 'android'],
  ['u7', 'US', 'web'],
  ['u8', 'BR', 'web'],
];
const BASE: [string, number][] = [
  ['u1', 10], ['u1', 20], ['u2', 30], ['u3', 5], ['u4', 40], ['u4', 60], ['u5', 25], ['u6', 35], ['u7', 15], ['u7', 15], ['u7', 30], ['u8', 50],
];
const CUR: [string, number][] = [['u1', 12], ['u2', 28], ['u2', 2], ['u3', 6], ['u3', 9], ['u4', 20], ['u5', 22], ['u5', 18], ['u7', 14], ['u8', 45], ['u8', 55]];

const EXPECTED: Record<Agg, { headline: [number, number, number]; segs: Record<string, { impact: number; mix: number; rate: number; contribution: number; p: number }>; pct: [number[], number[]]; noise: number }> = {
  count: {
    headline: [12, 11, -1],
    segs: {
      US: { impact: -1, mix: 0, rate: -1, contribution: 1, p: 0.8414805811217939 },
      BR: { impact: 0, mix: -1.4583333333333335, rate: 1.4583333333333335, contribution: 0, p: 1 },
    },
    pct: [[1, 1, 2.9299999999999997], [1, 2, 2]],
    noise: 0.6110906278924647,
  },
  sum: {
    headline: [335, 231, -104],
    segs: {
      US: { impact: -54, mix: 0, rate: -54, contribution: 0.5192307692307693, p: 0.5153336614425477 },
      BR: { impact: -50, mix: -52.91666666666667, rate: 2.916666666666675, contribution: 0.4807692307692308, p: 0.7580666940418691 },
    },
    pct: [[19, 32.5, 97.19999999999999], [13.2, 20, 96.39999999999998]],
    noise: 0.18759512508185722,
  },
  mean: {
    headline: [27.916666666666668, 21, -6.916666666666668],
    segs: {
      US: { impact: -2.9046717171717162, mix: 0.4951298701298712, rate: -3.3998015873015874, contribution: 0.4199525374224167, p: 0.17848965568766656 },
      BR: { impact: -4.01199494949495, mix: 0.34406565656565624, rate: -4.356060606060606, contribution: 0.580047462577583, p: 0.47935922792784347 },
    },
    pct: [[12, 27.5, 50], [10.200000000000001, 15, 48.19999999999999]],
    noise: 0.1755166048768626,
  },
};

let store: Store;

beforeAll(async () => {
  store = await Store.memory();
  await store.run(`INSERT INTO users (unit_id, country, platform) VALUES ${USERS.map(([u, c, p]) => `('${u}', '${c}', '${p}')`).join(', ')}`);
  const rows: string[] = [];
  BASE.forEach(([u, v], j) => rows.push(`('${u}', 'purchase', TIMESTAMP '2026-10-01 12:00' + INTERVAL ${j % 7} DAY, ${v})`));
  CUR.forEach(([u, v], j) => rows.push(`('${u}', 'purchase', TIMESTAMP '2026-10-08 12:00' + INTERVAL ${j % 7} DAY, ${v})`));
  await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${rows.join(', ')}`);
});

afterAll(() => store.close());

async function run(agg: Agg): Promise<WhatChangedResult> {
  return whatChanged(store, {
    metric: 'purchase',
    agg,
    baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'),
    current: parsePeriod('--current', '2026-10-08..2026-10-14'),
    dimensions: ['country', 'platform'],
    percentiles: true,
  });
}

describe('whatchanged against a direct computation (python reference)', () => {
  for (const agg of ['count', 'sum', 'mean'] as Agg[]) {
    it(`${agg}: headline, per-segment split, p-values, percentiles and noise`, async () => {
      const r = await run(agg);
      const e = EXPECTED[agg];
      expect(r.headline.baseline).toBeCloseTo(e.headline[0], 10);
      expect(r.headline.current).toBeCloseTo(e.headline[1], 10);
      expect(r.headline.delta).toBeCloseTo(e.headline[2], 10);
      expect(r.headline.baseline_units).toBe(8);
      expect(r.headline.current_units).toBe(7);
      const country = r.dimensions.find((d) => d.dimension === 'country');
      expect(country?.segments.map((s) => s.value).sort()).toEqual(['BR', 'US']);
      for (const s of country?.segments ?? []) {
        const x = e.segs[s.value];
        expect(x).toBeDefined();
        if (!x) continue;
        expect(s.impact).toBeCloseTo(x.impact, 10);
        expect(s.mix).toBeCloseTo(x.mix, 10);
        expect(s.rate).toBeCloseTo(x.rate, 10);
        expect(s.contribution).toBeCloseTo(x.contribution, 10);
        expect(s.p_value).toBeCloseTo(x.p, 9);
      }
      const pct = r.percentiles ?? [];
      const pick = (p: number) => pct.find((x) => x.p === p);
      [0.1, 0.5, 0.99].forEach((p, i) => {
        expect(pick(p)?.baseline).toBeCloseTo(e.pct[0][i] as number, 10);
        expect(pick(p)?.current).toBeCloseTo(e.pct[1][i] as number, 10);
      });
      expect(r.headline.noise?.p_value).toBeCloseTo(e.noise, 9);
      // Every dimension adds up to the total change.
      for (const d of r.dimensions) {
        expect(d.segments.reduce((a, s) => a + s.impact, 0)).toBeCloseTo(e.headline[2], 10);
        expect(d.mix + d.rate).toBeCloseTo(e.headline[2], 10);
      }
    });
  }
});
