import { describe, expect, it } from 'vitest';
import { conformalScale, rollingCutoffs } from '../../src/forecast/cv.js';
import { coverage, mae, mape, mase, naiveScale, normalQuantile, rmse, robustSd, smape, summarize } from '../../src/forecast/metrics.js';
import { forecastSeries } from '../../src/forecast/index.js';

describe('forecast metrics', () => {
  // a = [10, 20, 0, 4], f = [12, 15, 0, 5]; errors 2, -5... by hand:
  // MAE = (2 + 5 + 0 + 1) / 4 = 2; RMSE = sqrt((4 + 25 + 0 + 1) / 4) = sqrt(7.5)
  // sMAPE = 100/4 * (4/22 + 10/35 + 0 + 2/9); MAPE skips the zero actual: 100/3 * (0.2 + 0.25 + 0.25)
  const a = [10, 20, 0, 4];
  const f = [12, 15, 0, 5];
  it('MAE, RMSE, sMAPE, MAPE', () => {
    expect(mae(a, f)).toBeCloseTo(2, 12);
    expect(rmse(a, f)).toBeCloseTo(Math.sqrt(7.5), 12);
    expect(smape(a, f)).toBeCloseTo(25 * (4 / 22 + 10 / 35 + 2 / 9), 12);
    expect(mape(a, f)).toBeCloseTo((100 / 3) * 0.7, 12);
  });

  it('skips missing actuals and reports null when nothing is left', () => {
    expect(mae([1, NaN, 3], [2, 2, 2])).toBeCloseTo(1, 12);
    expect(smape([NaN], [1])).toBeNull();
    expect(mape([0, 0], [1, 2])).toBeNull();
  });

  it('coverage and the MASE scale', () => {
    expect(coverage([1, 2, 3, 4], [0, 2.5, 2, 4], [2, 3, 3, 5])).toBeCloseTo(0.75, 12);
    // Seasonal naive scale with m = 2 on [1, 2, 4, 8]: mean(|4-1|, |8-2|) = 4.5
    expect(naiveScale([1, 2, 4, 8], 2)).toBeCloseTo(4.5, 12);
    // Shorter than m + 1: falls back to m = 1: mean(|2-1|, |4-2|) = 1.5
    expect(naiveScale([1, 2, 4], 7)).toBeCloseTo(1.5, 12);
    expect(naiveScale([3, 3, 3], 1)).toBeNull();
    expect(mase([10, 10], [12, 7], [2, 3])).toBeCloseTo((1 + 1) / 2, 12);
  });

  it('normal quantiles match scipy.stats.norm.ppf', () => {
    // python3 -c "from scipy.stats import norm; print([repr(norm.ppf(p)) for p in (0.9, 0.975, 0.995, 0.001, 1e-6)])"
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489004, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 7);
  });

  it('robust sd is 1.4826 MAD', () => {
    // median 3, |x - 3| = [2, 1, 0, 1, 97] -> MAD 1
    expect(robustSd([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 12);
  });

  it('summarize pools points and counts them', () => {
    const s = summarize({ actual: [1, NaN, 3], forecast: [1, 5, 2], lower: [0, 0, 0], upper: [2, 2, 2], scale: [1, 1, 1] });
    expect(s.n).toBe(2);
    expect(s.mae).toBeCloseTo(0.5, 12);
    expect(s.coverage).toBeCloseTo(0.5, 12);
  });
});

describe('rolling-origin cutoffs', () => {
  it('steps back from the end by half the horizon, oldest first', () => {
    expect(rollingCutoffs(100, 10, { folds: 3 })).toEqual([80, 85, 90]);
    expect(rollingCutoffs(20, 3, { folds: 2 })).toEqual([16, 17]);
  });
  it('stops at the initial training length', () => {
    // initial = min(3 * 10, 40 / 2) = 20: cutoffs 30, 25, 20 and no further
    expect(rollingCutoffs(40, 10, { folds: 10 })).toEqual([20, 25, 30]);
    expect(rollingCutoffs(12, 10, { folds: 3 })).toEqual([]);
  });
});

describe('conformal interval scale', () => {
  it('is the ceil((N+1) level)-th smallest score', () => {
    // Point 0, half-width 1 on both sides; actuals at distances 0.1 .. 1.9 (19 scores).
    const actual = Array.from({ length: 19 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (0.1 * (i + 1)));
    const zeros = actual.map(() => 0);
    const q = conformalScale(actual, zeros, zeros.map(() => -1), zeros.map(() => 1), 0.8);
    // ceil(20 * 0.8) = 16th smallest of 0.1..1.9 = 1.6
    expect(q).toBeCloseTo(1.6, 12);
    expect(conformalScale([1, 2], [0, 0], [-1, -1], [1, 1], 0.8)).toBeNull();
  });
});

describe('backtest metrics against hand-computed values', () => {
  // Seasonal naive (m = 7), horizon 3, 2 folds with cutoffs 16 and 17, 80% intervals.
  // Reference (numpy / scipy), computed with:
  //   y = [12,15,11,14,13,16,10,13,14,12,15,12,17,11,12,16,13,14,13,15]; h, m = 3, 7; z = norm.ppf(0.9)
  //   for c in (16, 17): tr = y[:c]; d = tr[m:] - tr[:-m]; sigma = sqrt(mean(d**2)); scale = mean(|d|)
  //     for k in range(h): f = tr[c - m + k]; w = z * sigma; collect (y[c+k], f, f - w, f + w, scale)
  //   mae = mean|e|, rmse = sqrt(mean e^2), smape = 100 mean(2|e|/(|a|+|f|)), mape = 100 mean|e/a|,
  //   mase = mean(|e| / scale), coverage = mean(lo <= a <= hi)
  const y = [12, 15, 11, 14, 13, 16, 10, 13, 14, 12, 15, 12, 17, 11, 12, 16, 13, 14, 13, 15];
  const ds = y.map((_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));

  it('reproduces MAE, RMSE, sMAPE, MAPE, MASE and coverage', async () => {
    const res = await forecastSeries([{ ds, y }], { horizon: 3, model: 'naive', backtest: true, folds: 2, level: 0.8, holidays: 'none' });
    const s = res.series[0];
    expect(s?.backtest?.cutoffs).toEqual(['2024-01-16', '2024-01-17']);
    const m = s?.backtest?.models.find((x) => x.model === 'naive');
    expect(m?.n).toBe(6);
    expect(m?.mae).toBeCloseTo(1.1666666666666667, 10);
    expect(m?.rmse).toBeCloseTo(1.224744871391589, 10);
    expect(m?.smape).toBeCloseTo(8.382183908045977, 10);
    expect(m?.mape).toBeCloseTo(8.449328449328448, 10);
    expect(m?.mase).toBeCloseTo(1.056060606060606, 10);
    expect(m?.coverage).toBeCloseTo(0.8333333333333334, 10);
    // The final forecast repeats the last week; interval z * sigma over all 13 seasonal differences.
    expect(s?.forecast.map((p) => p.yhat)).toEqual([11, 12, 16]);
    // Whole counts (every value an integer): the bounds 9.4507 and 12.5493 are rounded.
    expect(s?.whole_counts).toBe(true);
    expect(s?.forecast[0]?.yhat_lower).toBe(Math.round(9.450679705164813));
    expect(s?.forecast[0]?.yhat_upper).toBe(Math.round(12.549320294835187));
    expect(s?.forecast.map((p) => p.ds)).toEqual(['2024-01-21', '2024-01-22', '2024-01-23']);
  });
});
