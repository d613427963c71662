/** The pure folding of per-value sums an engine returns: profile, impact order, capping into "(other)". */
import { describe, expect, it } from 'vitest';
import { foldCapped, topValues, totals, valueProfile, type KeyedSums } from '../../src/stats/whatchanged/fold.js';
import type { Sums } from '../../src/stats/whatchanged/math.js';

const s = (n: number, v: number, c = n): Sums => ({ n, v, c, vv: v * v, cc: c * c, vc: v * c });
const row = (period: 0 | 1, keys: string[], sums: Sums): KeyedSums => ({ period, keys, sums });

const ROWS: KeyedSums[] = [
  row(0, ['US'], s(10, 100)),
  row(1, ['US'], s(10, 110)),
  row(0, ['BR'], s(5, 50)),
  row(1, ['BR'], s(2, 10)),
  row(0, ['DE'], s(3, 30)),
  row(1, ['DE'], s(3, 30)),
  row(0, ['(none)'], s(1, 5)),
  row(1, ['(none)'], s(9, 500)),
];

describe('fold', () => {
  it('profiles distinct values apart from "(none)", and totals per period', () => {
    expect(valueProfile(ROWS)).toEqual({ distinct: 3, hasNone: true });
    expect(valueProfile(ROWS.filter((r) => r.keys[0] !== '(none)'))).toEqual({ distinct: 3, hasNone: false });
    const t = totals(ROWS);
    expect(t.base).toEqual({ n: 19, v: 185, c: 19, vv: 100 ** 2 + 50 ** 2 + 30 ** 2 + 25, cc: 100 + 25 + 9 + 1, vc: 1000 + 250 + 90 + 5 });
    expect(t.cur.n).toBe(24);
  });

  it('orders values by |impact| (totals: v1 - k v0), then units, then name; "(none)" never ranks', () => {
    // k = 1: US +10, BR -40, DE 0.
    expect(topValues(ROWS, 3, { agg: 'sum', k: 1, C0: 0, C1: 0, M0: 0 })).toEqual(['BR', 'US', 'DE']);
    // k = 2: US 110 - 200 = -90, BR 10 - 100 = -90 (tie: US has more units), DE -30.
    expect(topValues(ROWS, 2, { agg: 'sum', k: 2, C0: 0, C1: 0, M0: 0 })).toEqual(['US', 'BR']);
    // Means: (v1 - M0 c1)/C1 - (v0 - M0 c0)/C0 with M0 = 10, C0 = C1 = 20: US 0.5, BR -0.5 (fewer units), DE 0.
    expect(topValues(ROWS, 3, { agg: 'mean', k: 1, C0: 20, C1: 20, M0: 10 })).toEqual(['US', 'BR', 'DE']);
    expect(topValues(ROWS, 0, { agg: 'sum', k: 1, C0: 0, C1: 0, M0: 0 })).toEqual(['BR']);
  });

  it('folds values outside the kept list into "(other)" by adding their sums; "(none)" stays', () => {
    const folded = foldCapped(ROWS, [['US']]);
    const get = (p: 0 | 1, k: string) => folded.find((r) => r.period === p && r.keys[0] === k)?.sums;
    expect(get(0, '(other)')).toEqual({ n: 8, v: 80, c: 8, vv: 2500 + 900, cc: 25 + 9, vc: 250 + 90 });
    expect(get(1, '(none)')).toEqual(s(9, 500));
    expect(get(0, 'US')).toEqual(s(10, 100));
    expect(folded).toHaveLength(6);
    // Cells: each key against its own dimension's list; null keeps every value.
    const cells = foldCapped([row(0, ['US', 'ios'], s(1, 1)), row(0, ['BR', 'ios'], s(2, 2)), row(0, ['DE', 'web'], s(4, 4))], [['US'], null]);
    expect(cells.map((c) => [c.keys.join('/'), c.sums.n]).sort()).toEqual([['(other)/ios', 2], ['(other)/web', 4], ['US/ios', 1]]);
  });
});
