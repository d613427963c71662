/**
 * ARIMA-class forecasts with the `arima` npm package (an Emscripten build of the C library ctsa,
 * fitted by maximum likelihood; its AutoARIMA searches p and q by AIC). The package is CommonJS
 * and compiles its wasm synchronously; it works in Node 20 ESM and in our worker threads (each
 * thread loads its own copy). Three things in it are worked around here:
 *
 * - Its AutoARIMA mishandles differencing: on a random walk it forecasts 0 (the level is lost)
 *   and on a linear trend it forecasts the series mean. So the differencing order is ours (a KPSS
 *   level-stationarity test, d = 0 or 1), the differenced series gets a drift (its mean) and the
 *   library's AutoARIMA is only asked for p, q <= 3 on a stationary, demeaned series (d = 0).
 *   Forecasts are integrated back; the integrated variances use the psi weights recovered from
 *   the library's forecast variances (taken as non-negative, an approximation the conformal
 *   calibration corrects).
 * - Seasonal ARIMA with long periods (24 hours, 288 five-minute steps, 52 weeks) is far too slow,
 *   and its seasonal AutoARIMA showed the same level bugs; every season is therefore taken out
 *   first (classical decomposition, shortest season first) and added back to the forecast, as
 *   forecast's `stlf(method = "arima")` does.
 * - The module prints to stdout/stderr and sets process.exitCode when the C code exits; it is
 *   loaded with its print, printErr and quit hooks replaced, so nothing reaches our output.
 */
import path from 'node:path';
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
  if (!ctor) {
    const require = createRequire(import.meta.url);
    // The package's exports map hides these files; absolute paths reach them.
    const dir = path.dirname(require.resolve('arima'));
    const factory = require(path.join(dir, 'wasm/native-sync.js')) as (m: object) => object;
    const bin = require(path.join(dir, 'wrapper/native.bin.js')) as Uint8Array;
    const load = require(path.join(dir, 'load.js')) as (m: object) => ArimaConstructor;
    const noop = (): void => undefined;
    ctor = load(
      factory({
        wasmBinary: bin,
        print: noop,
        printErr: noop,
        quit: (_status: number, toThrow: unknown) => {
          throw toThrow instanceof Error ? toThrow : new Error('the ARIMA library exited');
        },
      }),
    );
  }
  return ctor;
}

/** Most recent points the ARIMA sees. */
export const MAX_ARIMA_POINTS = 1000;

export interface ArimaForecast {
  point: number[];
  lower: number[];
  upper: number[];
  /** What was fitted, for notes. */
  spec: string;
  /** Differencing order chosen by the KPSS test. */
  d: number;
}

/**
 * KPSS statistic for level stationarity (Kwiatkowski et al. 1992), Bartlett long-run variance
 * with lag floor(4 (n / 100)^(1/4)). Above 0.463 (5%) the series is taken as non-stationary.
 */
export function kpss(y: number[]): number {
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const e = y.map((v) => v - mean);
  let s = 0;
  let eta = 0;
  for (const v of e) {
    s += v;
    eta += s * s;
  }
  const lags = Math.floor(4 * (n / 100) ** 0.25);
  let lrv = e.reduce((a, v) => a + v * v, 0) / n;
  for (let l = 1; l <= lags; l++) {
    let c = 0;
    for (let t = l; t < n; t++) c += (e[t] as number) * (e[t - l] as number);
    lrv += (2 * (1 - l / (lags + 1)) * c) / n;
  }
  return lrv > 0 ? eta / (n * n * lrv) : 0;
}

export const KPSS_CRITICAL = 0.463;

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
    if (!point.every(Number.isFinite)) throw new Error('ARIMA produced non-finite forecasts');
    return { point, variance };
  } finally {
    model.destroy();
  }
}

/** Forecast variances must be positive and non-decreasing (the library returns garbage for ARIMA(0, 0, 0)). */
function validVariances(v: number[]): boolean {
  return v.every((x, k) => Number.isFinite(x) && x > 0 && (k === 0 || x >= (v[k - 1] as number) * (1 - 1e-9)));
}

/**
 * The library's AutoARIMA (p, q <= 3) on a stationary, demeaned series; when its variances are
 * invalid (it picked white noise), an AR(1), and failing that white noise with the sample variance.
 */
function fitStationary(w: number[], horizon: number): { point: number[]; variance: number[] } {
  for (const options of [{ auto: true, p: 3, d: 0, q: 3 }, { p: 1, d: 0, q: 0 }]) {
    try {
      const f = fit(w, options, horizon);
      if (validVariances(f.variance)) return f;
    } catch {
      // next
    }
  }
  const v = w.reduce((a, x) => a + x * x, 0) / Math.max(1, w.length - 1);
  return { point: new Array<number>(horizon).fill(0), variance: new Array<number>(horizon).fill(v) };
}

/**
 * ARIMA forecast of `horizon` steps for a gap-free series `y` with seasonal periods `periods`
 * (shortest first; empty = none), at interval `level`: seasons adjusted out, d from KPSS, drift
 * when d = 1, p and q by the library's AutoARIMA (see the top of this file).
 */
export function forecastArima(y: number[], periods: number[], horizon: number, level: number): ArimaForecast {
  const z = normalQuantile((1 + level) / 2);
  const n = y.length;
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
  const d = kpss(recent) > KPSS_CRITICAL ? 1 : 0;
  const base = d === 1 ? recent.slice(1).map((v, t) => v - (recent[t] as number)) : recent;
  const mean = base.reduce((a, b) => a + b, 0) / base.length;
  const f = fitStationary(
    base.map((v) => v - mean),
    horizon,
  );
  const point: number[] = [];
  const variance: number[] = [];
  if (d === 0) {
    f.point.forEach((v) => point.push(v + mean));
    variance.push(...f.variance);
  } else {
    // Integrate: y_{n+k} = y_n + sum_{j<=k} (drift + w_j); psi weights of the sum are cumulative sums.
    const sigma2 = f.variance[0] as number;
    const psi = f.variance.map((v, k) => (k === 0 ? 1 : Math.sqrt(Math.max(0, v - (f.variance[k - 1] as number)) / (sigma2 || 1))));
    let level0 = recent[recent.length - 1] as number;
    let cum = 0;
    let acc = 0;
    for (let k = 0; k < horizon; k++) {
      level0 += mean + (f.point[k] as number);
      point.push(level0);
      cum += psi[k] as number;
      acc += cum * cum;
      variance.push(sigma2 * acc);
    }
  }
  const out = point.map((v, k) => indices.reduce((a, [p, idx]) => a + (idx[(n + k) % p] as number), v));
  const sd = variance.map((v) => Math.sqrt(v));
  const seasons = used.length > 0 ? ` on data adjusted for seasons ${used.join(', ')}` : '';
  return {
    point: out,
    lower: out.map((v, k) => v - z * (sd[k] as number)),
    upper: out.map((v, k) => v + z * (sd[k] as number)),
    spec: `ARIMA(p, ${d}, q)${d === 1 ? ' with drift' : ''}${seasons}`,
    d,
  };
}
