/**
 * ARIMA-class forecasts with the `arima` npm package (an Emscripten build of the C library ctsa:
 * ARIMA, SARIMA and AutoARIMA fitted by exact maximum likelihood, Hyndman-Khandakar stepwise
 * search). The package is CommonJS and compiles its wasm synchronously on first load, which
 * works in Node 20 ESM and in our worker threads (each thread loads its own copy).
 *
 * - Short seasons (m <= 12: months, quarters, and days of the week when they fit): AutoARIMA
 *   searches seasonal orders (P, D, Q <= 1) as well.
 * - Long seasons (24 hours, 288 five-minute steps, 52 weeks, ...): a seasonal ARIMA with such
 *   periods is too slow and unstable, so the series is seasonally adjusted first (a classical
 *   decomposition: the seasonal index is the mean detrended value at each position of the season,
 *   over the last seasons) and a non-seasonal AutoARIMA is fitted to the adjusted series; the
 *   index is added back to the forecast (as forecast's `stlf(method = "arima")` does).
 *
 * Intervals are normal, from the forecast variances the library returns.
 */
import { createRequire } from 'node:module';
import { normalQuantile } from './metrics.js';

interface ArimaOptions {
  p?: number;
  d?: number;
  q?: number;
  P?: number;
  D?: number;
  Q?: number;
  s?: number;
  auto?: boolean;
  verbose?: boolean;
}

interface ArimaInstance {
  train(ts: number[]): ArimaInstance;
  predict(length: number): [number[], number[]];
  destroy(): void;
}

type ArimaConstructor = new (options?: ArimaOptions) => ArimaInstance;

let ctor: ArimaConstructor | undefined;

function loadArima(): ArimaConstructor {
  ctor ??= createRequire(import.meta.url)('arima') as ArimaConstructor;
  return ctor;
}

/** Longest season fitted as a seasonal ARIMA; longer ones are adjusted out first. */
export const MAX_SARIMA_PERIOD = 12;
/** Most recent points the ARIMA sees (the likelihood search is quadratic-ish in practice). */
export const MAX_ARIMA_POINTS = 1000;

export interface ArimaForecast {
  point: number[];
  lower: number[];
  upper: number[];
  /** What was fitted, for notes: "SARIMA(12)" or "ARIMA on seasonally adjusted data (24)". */
  spec: string;
}

/**
 * Seasonal index of period m (m values summing to ~0), from the last `seasons` full seasons:
 * the mean of y minus its centred moving average at each position. Index k is the seasonal
 * effect at positions t with t % m === k.
 */
export function seasonalIndex(y: number[], m: number, seasons = 8): number[] {
  const n = y.length;
  const half = Math.floor(m / 2);
  const from = Math.max(half, n - half - seasons * m);
  const sums = new Array<number>(m).fill(0);
  const counts = new Array<number>(m).fill(0);
  // Centred moving average (2 x m for even m), via prefix sums.
  const pre = [0];
  for (const v of y) pre.push((pre[pre.length - 1] as number) + v);
  const sum = (a: number, b: number): number => (pre[b] as number) - (pre[a] as number);
  for (let t = from; t < n - half; t++) {
    const ma = m % 2 === 1 ? sum(t - half, t + half + 1) / m : (sum(t - half, t + half) + sum(t - half + 1, t + half + 1)) / (2 * m);
    sums[t % m] = (sums[t % m] as number) + (y[t] as number) - ma;
    counts[t % m] = (counts[t % m] as number) + 1;
  }
  const idx = sums.map((s, k) => ((counts[k] as number) > 0 ? s / (counts[k] as number) : 0));
  const mean = idx.reduce((a, b) => a + b, 0) / m;
  return idx.map((v) => v - mean);
}

function fit(y: number[], options: ArimaOptions, horizon: number): { point: number[]; variance: number[] } {
  const Arima = loadArima();
  const model = new Arima({ verbose: false, ...options });
  try {
    model.train(y);
    const [point, variance] = model.predict(horizon);
    if (!point.every(Number.isFinite) || !variance.every((v) => Number.isFinite(v) && v >= 0)) throw new Error('ARIMA produced non-finite forecasts');
    return { point, variance };
  } finally {
    model.destroy();
  }
}

/**
 * AutoARIMA forecast of `horizon` steps for a gap-free series `y` with seasonal periods
 * `periods` (shortest first; empty = none), at interval `level`. With `sarima` and one season of
 * at most MAX_SARIMA_PERIOD steps, a seasonal AutoARIMA; otherwise the series is adjusted for
 * each season in turn (shortest first) and a non-seasonal AutoARIMA forecasts the rest.
 */
export function forecastArima(y: number[], periods: number[], horizon: number, level: number, sarima: boolean): ArimaForecast {
  const z = normalQuantile((1 + level) / 2);
  const n = y.length;
  const bands = (point: number[], variance: number[]): { lower: number[]; upper: number[] } => ({
    lower: point.map((p, k) => p - z * Math.sqrt(variance[k] as number)),
    upper: point.map((p, k) => p + z * Math.sqrt(variance[k] as number)),
  });
  const m = periods[0] ?? 1;
  if (sarima && periods.length === 1 && m > 1 && m <= MAX_SARIMA_PERIOD && n >= 3 * m + 10) {
    const recent = y.slice(-Math.max(MAX_ARIMA_POINTS / 2, 10 * m));
    try {
      const f = fit(recent, { auto: true, p: 3, d: 2, q: 3, P: 1, D: 1, Q: 1, s: m }, horizon);
      return { point: f.point, ...bands(f.point, f.variance), spec: `seasonal AutoARIMA (period ${m})` };
    } catch {
      // fall through to the adjusted fit
    }
  }
  const used = periods.filter((p) => p > 1 && n >= 2 * p + 1);
  let adjusted = y;
  const indices: [number, number[]][] = [];
  for (const p of used) {
    const idx = seasonalIndex(adjusted, p);
    indices.push([p, idx]);
    adjusted = adjusted.map((v, t) => v - (idx[t % p] as number));
  }
  const recent = adjusted.slice(-MAX_ARIMA_POINTS);
  if (recent.length < 20) throw new Error(`ARIMA needs at least 20 points, got ${recent.length}`);
  const f = fit(recent, { auto: true, p: 3, d: 2, q: 3 }, horizon);
  const point = f.point.map((v, k) => indices.reduce((acc, [p, idx]) => acc + (idx[(n + k) % p] as number), v));
  return { point, ...bands(point, f.variance), spec: used.length > 0 ? `AutoARIMA on data adjusted for seasons ${used.join(', ')}` : 'AutoARIMA' };
}
