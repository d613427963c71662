/** Issue 19 fixes in the pure statistics (moments, ratio, corrections). */
import { describe, expect, it } from 'vitest';
import { analyzeRatio } from '../../src/stats/cuped.js';
import { correctedAlphas, adjustPValues } from '../../src/stats/corrections.js';
import { covariance, momentsFromRows } from '../../src/stats/moments.js';

describe('covariance constancy on shifted statistics', () => {
  it('mean 1e9 with sd 1.1 keeps its variance; identical values are constant', () => {
    // numpy: np.var([1e9-1.1, 1e9, 1e9+1.1], ddof=1) = 1.2100000000000002
    const rows = [[1e9 - 1.1], [1e9], [1e9 + 1.1]];
    expect(covariance(momentsFromRows(rows, ['y'], [1e9]))[0]?.[0]).toBeCloseTo(1.21, 6);
    const flat = [[1e9 + 0.1], [1e9 + 0.1], [1e9 + 0.1]];
    expect(covariance(momentsFromRows(flat, ['y'], [1e9]))[0]?.[0]).toBe(0);
    expect(covariance(momentsFromRows(flat, ['y'], [0]))[0]?.[0]).toBe(0);
  });
});

describe('ratio denominators within rounding of 0', () => {
  it('an arm whose denominators are all 0 is refused, whatever the shift', () => {
    const ctl = momentsFromRows(Array.from({ length: 100 }, (_, i) => [i % 3, 0]), ['num', 'den'], [1, 1.55]);
    const tst = momentsFromRows(Array.from({ length: 100 }, (_, i) => [i % 3, 1 + (i % 4)]), ['num', 'den'], [1, 1.55]);
    expect(() => analyzeRatio(ctl, tst, { numerator: 'num', denominator: 'den' })).toThrow(/denominator "den" averages 0 in the control arm/);
  });
});

describe('correctedAlphas', () => {
  const p = [0.0016087635619006341, 0.03263032157574186, 0.21461181877679927, 0.3736068072051408];
  it('Holm: the step alpha for rejections, alpha/m otherwise; the CI excludes 0 iff adjusted p < alpha', () => {
    const adj = adjustPValues(p, 'holm');
    const a = correctedAlphas(p, adj, 0.05, 'holm');
    expect(a).toEqual([0.05 / 4, 0.05 / 4, 0.05 / 4, 0.05 / 4]);
    const q = [0.001, 0.012, 0.2];
    const qa = correctedAlphas(q, adjustPValues(q, 'holm'), 0.05, 'holm');
    expect(qa).toEqual([0.05 / 3, 0.05 / 2, 0.05 / 3]);
    q.forEach((x, i) => expect(x < (qa[i] as number)).toBe((adjustPValues(q, 'holm')[i] as number) < 0.05));
  });
  it('BH: alpha * R / m for every comparison; none and nulls keep alpha', () => {
    const q = [0.001, 0.012, 0.2, null];
    const adj = adjustPValues(q, 'bh');
    expect(correctedAlphas(q, adj, 0.05, 'bh')).toEqual([(0.05 * 2) / 3, (0.05 * 2) / 3, (0.05 * 2) / 3, 0.05]);
    expect(correctedAlphas(q, q, 0.05, 'none')).toEqual([0.05, 0.05, 0.05, 0.05]);
  });
});
