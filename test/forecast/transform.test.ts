import { describe, expect, it } from 'vitest';
import { forecastSeries } from '../../src/forecast/index.js';
import { forward, inverse, isCountSeries, resolveTransform } from '../../src/forecast/transform.js';
import { mulberry32 } from '../support/rng.js';

/** Poisson draws by inversion (small and moderate means; a normal approximation above 500). */
function poisson(u: () => number): (mean: number) => number {
  return (mean) => {
    if (mean > 500) return Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u())));
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    const x = u();
    while (x > cdf && k < 10_000) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  };
}

/** Hourly departures-like counts: a few at night, hundreds by day (mean 2 at 03:00, 400 at noon). */
function hourlyCounts(seed: number, days: number): { ds: string[]; y: number[] } {
  const draw = poisson(mulberry32(seed));
  const ds: string[] = [];
  const y: number[] = [];
  for (let i = 0; i < days * 24; i++) {
    const hour = i % 24;
    const mean = 2 + 398 * Math.max(0, Math.sin((Math.PI * (hour - 4)) / 20)) ** 2;
    ds.push(new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString().slice(0, 19).replace('T', ' '));
    y.push(draw(mean));
  }
  return { ds, y };
}

describe('transform auto (sqrt for counts spanning more than a factor of 10)', () => {
  it('recognises counts and picks the scale', () => {
    expect(isCountSeries([0, 3, NaN, 12])).toBe(true);
    expect(isCountSeries([0, 3.5, 12])).toBe(false);
    expect(isCountSeries([-1, 3, 12])).toBe(false);
    expect(isCountSeries([NaN])).toBe(false);
    // Flights-like: 1 at night, 1000 by day.
    expect(resolveTransform('auto', [1, 2, 5, 300, 900, 1000, 950, 1, 0, 800])).toBe('sqrt');
    // DAU-like counts within +-20% of their level: as is.
    expect(resolveTransform('auto', Array.from({ length: 50 }, (_, i) => 10_000 + (i % 7) * 500))).toBe('none');
    // Not counts: as is, however wide.
    expect(resolveTransform('auto', [0.5, 1000.25, 2, 900])).toBe('none');
    // An explicit choice is kept.
    expect(resolveTransform('log1p', [1, 1000])).toBe('log1p');
    expect(resolveTransform('none', [1, 1000])).toBe('none');
  });

  it('forward and inverse are each other\'s inverse; the sqrt scale maps negative values to 0', () => {
    for (const t of ['none', 'log', 'log1p', 'sqrt'] as const) for (const v of [0.5, 3, 1234]) expect(inverse(t, forward(t, v))).toBeCloseTo(v, 9);
    expect(inverse('sqrt', -2)).toBe(0);
    expect(forward('sqrt', 16)).toBe(4);
  });

  it('fits hourly counts on the sqrt scale: whole-count forecasts, narrow bands at night and wide by day', async () => {
    const { ds, y } = hourlyCounts(5, 28);
    const res = await forecastSeries([{ ds, y }], { horizon: 24, model: 'mstl', holidays: 'none', calibrate: false, freq: 'H' });
    const s = res.series[0];
    expect(s?.transform).toBe('sqrt');
    expect(s?.whole_counts).toBe(true);
    expect(s?.notes.join('\n')).toMatch(/fitted on the square-root scale/);
    const f = s?.forecast ?? [];
    for (const p of f) for (const v of [p.yhat, p.yhat_lower, p.yhat_upper]) expect(Number.isInteger(v) && v >= 0).toBe(true);
    // Poisson: sd 1.4 at 03:00 (mean 2), 20 at noon (mean 400): the band's width follows.
    const width = (h: number): number => (f[h]?.yhat_upper ?? 0) - (f[h]?.yhat_lower ?? 0);
    expect(width(3)).toBeLessThan(10);
    expect(width(12)).toBeGreaterThan(30);
    expect(width(12)).toBeGreaterThan(5 * width(3));
    // The same data fitted as is: one width for every hour.
    const flat = await forecastSeries([{ ds, y }], { horizon: 24, model: 'mstl', holidays: 'none', calibrate: false, freq: 'H', transform: 'none' });
    const g = flat.series[0]?.forecast ?? [];
    expect(flat.series[0]?.transform).toBe('none');
    const w3 = (g[3]?.yhat_upper ?? 0) - (g[3]?.yhat_lower ?? 0);
    const w12 = (g[12]?.yhat_upper ?? 0) - (g[12]?.yhat_lower ?? 0);
    expect(w12 / w3).toBeLessThan(2);
  }, 60_000);

  it('on held-out days of simulated counts, calibrated sqrt-scale 80% bands cover about 80% at night and by day (as is: far more at night)', async () => {
    const cover = async (transform: 'auto' | 'none'): Promise<{ night: number; day: number }> => {
      const c = { night: 0, nightN: 0, day: 0, dayN: 0 };
      for (const seed of [1, 2, 3]) {
        const { ds, y } = hourlyCounts(seed, 31);
        const n = 28 * 24;
        const res = await forecastSeries([{ ds: ds.slice(0, n), y: y.slice(0, n) }], { horizon: 72, model: 'mstl', holidays: 'none', freq: 'H', transform });
        (res.series[0]?.forecast ?? []).forEach((p, k) => {
          const a = y[n + k] as number;
          const inside = a >= p.yhat_lower && a <= p.yhat_upper ? 1 : 0;
          if (k % 24 < 6) {
            c.night += inside;
            c.nightN++;
          } else if (k % 24 >= 9 && k % 24 < 18) {
            c.day += inside;
            c.dayN++;
          }
        });
      }
      return { night: c.night / c.nightN, day: c.day / c.dayN };
    };
    const sqrt = await cover('auto');
    // Whole-count bounds of a discrete variable cover at least their level: allow 0.7-0.95.
    expect(sqrt.night).toBeGreaterThan(0.7);
    expect(sqrt.night).toBeLessThan(0.95);
    expect(sqrt.day).toBeGreaterThan(0.7);
    expect(sqrt.day).toBeLessThan(0.95);
    // One width for all hours: it covers nearly everything at night, and less than the sqrt bands by day.
    const flat = await cover('none');
    expect(flat.night).toBeGreaterThan(0.97);
    expect(flat.day).toBeLessThan(sqrt.day);
  }, 120_000);

  it('refuses --transform sqrt on negative values with the fix', async () => {
    const ds = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
    await expect(forecastSeries([{ ds, y: ds.map((_, i) => (i === 3 ? -1 : 10 + i)) }], { transform: 'sqrt' })).rejects.toThrow(/--transform sqrt needs values of 0 or more, but the smallest value is -1/);
  });
});
