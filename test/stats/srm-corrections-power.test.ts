import { describe, expect, it } from 'vitest';
import { srmTest } from '../../src/stats/srm.js';
import { adjustPValues } from '../../src/stats/corrections.js';
import { achievedPower, minimumDetectableEffect, sampleSize } from '../../src/stats/power.js';
import { StatsInputError } from '../../src/stats/moments.js';
import { expectAllClose, expectClose } from './helpers.js';

describe('SRM chi-square', () => {
  // scipy.stats.chisquare(obs, f_exp)
  it('matches scipy for equal and custom weights', () => {
    const a = srmTest([5100, 4900]);
    expectClose(a.chi2, 4.0, 1e-14);
    expectClose(a.pValue, 0.04550026389635857, 1e-12);
    expect(a.mismatch).toBe(false);
    const b = srmTest([3050, 3000, 3950], [0.3, 0.3, 0.4]);
    expectClose(b.chi2, 1.4583333333333335, 1e-13);
    expectClose(b.pValue, 0.48231074829127807, 1e-12);
    expectAllClose(b.expected, [3000, 3000, 4000], 1e-14);
    expect(b.df).toBe(2);
  });

  it('flags below 0.001 and keeps tiny p-values exact', () => {
    expect(srmTest([10230, 9770]).mismatch).toBe(false); // p = 0.0011431765973566508
    const c = srmTest([50500, 49500]);
    expectClose(c.pValue, 0.001565402258002549, 1e-12);
    const d = srmTest([52000, 48000]);
    expectClose(d.pValue, 1.1314837902433038e-36, 1e-10);
    expect(d.mismatch).toBe(true);
  });

  it('edge cases', () => {
    expect(srmTest([0, 0]).pValue).toBe(1);
    expect(() => srmTest([10])).toThrow(StatsInputError);
    expect(() => srmTest([10, 10], [1, 0])).toThrow(/positive/);
    expect(() => srmTest([10, 10], [1])).toThrow(/weights/);
  });
});

describe('multiple comparisons', () => {
  // Worked by hand from the definitions R's p.adjust uses:
  //   holm: sort ascending, cummax of (m - i + 1) p_(i), cap 1;  BH: sort descending, cummin of m p_(i) / i, cap 1
  //   (0.01, 0.02, 0.03, 0.04, 0.05): holm 0.05 0.08 0.09 0.09 0.09; BH 0.05 x5
  //   (0.04, 0.001, 0.3, 0.02):       holm 0.08 0.004 0.30 0.06;    BH 0.0533 0.004 0.30 0.04
  it('Holm', () => {
    expectAllClose(adjustPValues([0.01, 0.02, 0.03, 0.04, 0.05], 'holm'), [0.05, 0.08, 0.09, 0.09, 0.09], 1e-14);
    expectAllClose(adjustPValues([0.04, 0.001, 0.3, 0.02], 'holm'), [0.08, 0.004, 0.3, 0.06], 1e-14);
  });
  it('Benjamini-Hochberg', () => {
    expectAllClose(adjustPValues([0.01, 0.02, 0.03, 0.04, 0.05], 'bh'), [0.05, 0.05, 0.05, 0.05, 0.05], 1e-14);
    expectAllClose(adjustPValues([0.04, 0.001, 0.3, 0.02], 'bh'), [0.16 / 3, 0.004, 0.3, 0.04], 1e-14);
  });
  it('caps at 1, passes none through, keeps nulls out of the count', () => {
    expect(adjustPValues([0.6, 0.7], 'holm')).toEqual([1, 1]);
    expect(adjustPValues([0.6, 0.7], 'none')).toEqual([0.6, 0.7]);
    expect(adjustPValues([0.01, null, 0.04], 'holm')).toEqual([0.02, null, 0.04]);
    expect(adjustPValues([], 'bh')).toEqual([]);
    expect(() => adjustPValues([1.2], 'bh')).toThrow(StatsInputError);
  });
  it('is monotone in the raw p-values', () => {
    const p = [0.2, 0.001, 0.04, 0.04, 0.7, 0.011, 0.03];
    for (const method of ['holm', 'bh'] as const) {
      const adj = adjustPValues(p, method);
      const order = p.map((v, i) => i).sort((a, b) => (p[a] as number) - (p[b] as number));
      for (let k = 1; k < order.length; k++) expect(adj[order[k] as number]).toBeGreaterThanOrEqual(adj[order[k - 1] as number] as number);
      adj.forEach((a, i) => expect(a).toBeGreaterThanOrEqual(p[i] as number));
    }
  });
});

describe('power', () => {
  // za = stats.norm.ppf(0.975); zb = stats.norm.ppf(0.8)
  // n = 2*(za+zb)**2*var/delta**2 with var 25, mean 10, relative MDE 2% (delta 0.2) -> 9811.0997 (ceil 9812)
  // with variance reduction 0.4 -> 5886.6598 (ceil 5887)
  it('sample size for a relative MDE, with and without variance reduction', () => {
    const r = sampleSize({ variance: 25, mean: 10, mde: 0.02, varianceReduction: 0.4 });
    expect(r.n_per_arm).toBe(5887);
    expect(r.n_per_arm_unadjusted).toBe(9812);
    expect(r.n_total).toBe(2 * 5887);
    expectClose(r.absolute_mde, 0.2, 1e-15);
    expectClose(r.relative_mde, 0.02, 1e-15);
    expectClose(r.z_alpha, 1.959963984540054, 1e-14);
    expectClose(r.z_power, 0.8416212335729143, 1e-14);
  });

  it('absolute MDE, one-sided, power 0.9, three arms', () => {
    // 2*(norm.ppf(0.95)+norm.ppf(0.9))**2*25/0.5**2 -> 1712.769 (ceil 1713)
    const r = sampleSize({ variance: 25, mde: 0.5, mdeType: 'absolute', tails: 'one', power: 0.9, arms: 3 });
    expect(r.n_per_arm).toBe(1713);
    expect(r.n_total).toBe(3 * 1713);
    expect(r.relative_mde).toBeNull();
  });

  it('MDE for a sample size and the power it achieves', () => {
    // (za+zb)*sqrt(2*25/10000) -> 0.19810199057996727; with VR 0.4 -> 0.15344914207335036
    const m = minimumDetectableEffect({ variance: 25, mean: 10, nPerArm: 10000, varianceReduction: 0.4 });
    expectClose(m.absolute_mde_unadjusted, 0.19810199057996727, 1e-12);
    expectClose(m.absolute_mde, 0.15344914207335036, 1e-12);
    expectClose(m.relative_mde, 0.015344914207335036, 1e-12);
    // norm.cdf(s - za) + norm.cdf(-s - za), s = 0.2/sqrt(2*25/10000) -> 0.8074304194325572
    expectClose(achievedPower({ variance: 25, nPerArm: 10000, delta: 0.2 }), 0.8074304194325572, 1e-12);
    // round trip: the MDE at n has the requested power (one tail is negligible)
    expectClose(achievedPower({ variance: 25, nPerArm: 10000, delta: m.absolute_mde_unadjusted }), 0.8, 1e-5);
  });

  it('rejects bad input', () => {
    expect(() => sampleSize({ variance: 0, mean: 1, mde: 0.1 })).toThrow(StatsInputError);
    expect(() => sampleSize({ variance: 1, mde: 0.1 })).toThrow(/baseline mean/);
    expect(() => sampleSize({ variance: 1, mean: 1, mde: 0.1, varianceReduction: 1 })).toThrow(/variance reduction/);
    expect(() => minimumDetectableEffect({ variance: 1, nPerArm: 1 })).toThrow(/at least 2/);
  });
});
