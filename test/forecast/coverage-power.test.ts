import { describe, expect, it } from 'vitest';
import { coverageBandProbability, probAtLeast } from '../../src/forecast/metrics.js';

describe('power of a coverage band', () => {
  it('normal approximation of the pooled coverage of a calibrated forecaster', () => {
    // sd 0.1 per window, 4 windows: se 0.05, band [0.75, 0.90] is [-1, +2] se: Phi(2) - Phi(-1).
    expect(coverageBandProbability(0.1, 4, 0.75, 0.9)).toBeCloseTo(0.9772498681 - 0.1586552539, 8);
    // More windows, higher chance; a narrow band around the nominal, lower.
    expect(coverageBandProbability(0.2, 10, 0.75, 0.9)).toBeGreaterThan(coverageBandProbability(0.2, 3, 0.75, 0.9));
    expect(coverageBandProbability(0, 3, 0.75, 0.9)).toBe(1);
    expect(coverageBandProbability(0, 3, 0.85, 0.9)).toBe(0);
    expect(coverageBandProbability(-1, 3, 0.75, 0.9)).toBeNaN();
    expect(coverageBandProbability(0.1, 0, 0.75, 0.9)).toBeNaN();
  });

  it('Poisson-binomial tail', () => {
    // Equal probabilities: the binomial tail. P(>= 5 of 6 | p = 0.8) = 6 * 0.8^5 * 0.2 + 0.8^6.
    expect(probAtLeast([0.8, 0.8, 0.8, 0.8, 0.8, 0.8], 5)).toBeCloseTo(0.65536, 12);
    expect(probAtLeast([0.5, 0.5], 1)).toBeCloseTo(0.75, 12);
    expect(probAtLeast([0.3, 0.6, 0.9], 0)).toBeCloseTo(1, 12);
    expect(probAtLeast([0.3, 0.6, 0.9], 3)).toBeCloseTo(0.3 * 0.6 * 0.9, 12);
    // 0.3*0.6*0.1 + 0.3*0.4*0.9 + 0.7*0.6*0.9 + all three
    expect(probAtLeast([0.3, 0.6, 0.9], 2)).toBeCloseTo(0.018 + 0.108 + 0.378 + 0.162, 12);
    expect(probAtLeast([], 1)).toBe(0);
  });

  it('the six bench series: sd of per-window coverage measured over 15 windows (values from scipy)', () => {
    // Per-window coverage sd of the default ensemble (Peyton, CO2, monthly, GDP, hourly, 5-minute),
    // recalibrated to cover 0.80 over 15 windows; README, forecast accuracy section.
    const sds = [0.148, 0.254, 0.233, 0.323, 0.176, 0.139];
    const expected: Record<number, { ps: number[]; five: number; four: number }> = {
      3: { ps: [0.599838, 0.385783, 0.416307, 0.309799, 0.526133, 0.627003], five: 0.082552, four: 0.296496 },
      10: { ps: [0.841003, 0.626624, 0.663946, 0.52398, 0.779319, 0.860885], five: 0.448256, four: 0.781204 },
      20: { ps: [0.933331, 0.771517, 0.803925, 0.672526, 0.892518, 0.94551], five: 0.747911, four: 0.948672 },
    };
    for (const [w, e] of Object.entries(expected)) {
      const ps = sds.map((sd) => coverageBandProbability(sd, Number(w), 0.75, 0.9));
      for (const [i, p] of ps.entries()) expect(p).toBeCloseTo(e.ps[i] as number, 5);
      expect(probAtLeast(ps, 5)).toBeCloseTo(e.five, 5);
      expect(probAtLeast(ps, 4)).toBeCloseTo(e.four, 5);
    }
  });
});
