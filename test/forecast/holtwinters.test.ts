import { describe, expect, it } from 'vitest';
import { fitHoltWinters, forecastHoltWinters } from '../../src/forecast/holtwinters.js';
import { forecastSeries } from '../../src/forecast/index.js';

/** Deterministic N(0, 1) draws (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
}

const SEASON = [-12, -9, -3, 2, 8, 13, 15, 11, 5, -2, -8, -20];
const truth = (i: number): number => 100 + 0.8 * i + (SEASON[i % 12] as number);

describe('seasonal ETS (additive Holt-Winters)', () => {
  it('reproduces an exact trend + season and extrapolates it', () => {
    const y = Array.from({ length: 48 }, (_, i) => truth(i));
    const fit = fitHoltWinters(y, 12);
    const f = forecastHoltWinters(fit, 24, 0.8);
    for (let k = 0; k < 24; k++) expect(f.point[k]).toBeCloseTo(truth(48 + k), 6);
    expect(fit.sigma2).toBeLessThan(1e-12);
  });

  it('intervals widen with the horizon and cover about 80% of fresh noise', () => {
    const noise = normals(7);
    let inside = 0;
    let total = 0;
    for (let rep = 0; rep < 40; rep++) {
      const all = Array.from({ length: 72 }, (_, i) => truth(i) + 2 * noise());
      const fit = fitHoltWinters(all.slice(0, 60), 12);
      const f = forecastHoltWinters(fit, 12, 0.8);
      expect((f.upper[11] as number) - (f.lower[11] as number)).toBeGreaterThan((f.upper[0] as number) - (f.lower[0] as number));
      for (let k = 0; k < 12; k++) {
        const v = all[60 + k] as number;
        if (v >= (f.lower[k] as number) && v <= (f.upper[k] as number)) inside++;
        total++;
      }
    }
    const coverage = inside / total;
    expect(coverage).toBeGreaterThan(0.7);
    expect(coverage).toBeLessThan(0.92);
  });

  it("`--model ets` follows the season of monthly data (augurs' AutoETS alone forecast a flat line)", async () => {
    const noise = normals(3);
    const ds = Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2019, i, 1)));
    const y = ds.map((_, i) => truth(i) + noise());
    const res = await forecastSeries([{ ds, y }], { horizon: 12, model: 'ets', holidays: 'none' });
    const f = res.series[0]?.forecast ?? [];
    expect(res.series[0]?.model).toBe('ets');
    const mae = f.reduce((a, p, k) => a + Math.abs(p.yhat - truth(60 + k)), 0) / f.length;
    // The seasonal amplitude is 35; a flat (non-seasonal) forecast is off by about 9 on average.
    expect(mae).toBeLessThan(2.5);
  });
});
