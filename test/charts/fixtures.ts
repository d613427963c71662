/** Hand-made results for the chart tests: known values, so marks land where a test can look. */
import type { ForecastComponents, ForecastResult, SeriesForecast } from '../../src/forecast/types.js';

const day = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

export interface ForecastFixture {
  result: ForecastResult;
  /** Index (day) of the single-point spike that is flagged as an anomaly. */
  spikeDay: number;
  spikeValue: number;
}

/**
 * 400 days of a weekly pattern around 100 with a trend, one spike of 400 on day 200 (an
 * anomaly), 30 days of forecast, two holidays (one material, one not), and a decomposition.
 */
export function forecastFixture(options: { components?: boolean; group?: string | null } = {}): ForecastFixture {
  const n = 400;
  const h = 30;
  const spikeDay = 200;
  const spikeValue = 400;
  const trend = (i: number): number => 100 + i * 0.05;
  const weekly = (i: number): number => 10 * Math.sin((2 * Math.PI * i) / 7);
  const history = Array.from({ length: n }, (_, i) => ({ ds: day(i), y: i === spikeDay ? spikeValue : trend(i) + weekly(i), fitted: trend(i) + weekly(i) }));
  const forecast = Array.from({ length: h }, (_, k) => {
    const i = n + k;
    const yhat = trend(i) + weekly(i);
    return { ds: day(i), yhat, yhat_lower: yhat - 15, yhat_upper: yhat + 15 };
  });
  const all = Array.from({ length: n + h }, (_, i) => i);
  const components: ForecastComponents = {
    ds: all.map(day),
    trend: all.map(trend),
    seasonal: [{ name: 'weekly', values: all.map(weekly) }, { name: 'yearly', values: all.map((i) => 3 * Math.sin((2 * Math.PI * i) / 365.25)) }],
    holidays: all.map((i) => (i === 359 ? -20 : 0)),
    regressors: [],
  };
  const series: SeriesForecast = {
    group: options.group ?? null,
    model: 'prophet',
    freq: 'D',
    points: n,
    gaps: 0,
    country: 'US',
    candidates: [],
    transform: 'none',
    interval_scale: null,
    forecast,
    anomalies: [{ ds: day(spikeDay), y: spikeValue, expected: trend(spikeDay) + weekly(spikeDay), lower: 80, upper: 130, magnitude: 290, score: 40, start: day(spikeDay), end: day(spikeDay), points: 1, severity: 'high' }],
    holidays: [
      { name: 'Christmas Day', effect: -20, score: -4, occurrences: 2, material: true, same_sign: 1, z: -4 },
      { name: 'Columbus Day', effect: 0.3, score: 0.1, occurrences: 2, material: false, same_sign: 0.5, z: 0.1 },
    ],
    backtest: null,
    history,
    holiday_dates: [
      { ds: '2024-10-14', name: 'Columbus Day' },
      { ds: '2024-12-25', name: 'Christmas Day' },
    ],
    ...(options.components === false ? {} : { components }),
    notes: [],
    timings: {},
  };
  const result: ForecastResult = {
    source: { kind: 'store', name: '/tmp/project/.statsig-hack/store.duckdb', metric: 'purchase', agg: 'sum', by: options.group ? 'country' : null },
    horizon: h,
    freq: 'D',
    level: 0.8,
    model: 'auto',
    transform: 'none',
    checks: { anomalies: true, backtest: false, calibrate: false },
    series: [series],
    divergent: [],
    warnings: [],
    timing: { total_s: 0, load_s: 0, fit_s: 0, workers: 1, per_model_s: {} },
  };
  return { result, spikeDay, spikeValue };
}
