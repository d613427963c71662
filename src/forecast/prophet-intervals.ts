/**
 * Prophet's uncertainty intervals, recomputed from the fitted parameters with a seeded sampler.
 *
 * The wasm build of Prophet draws its samples from a thread-local RNG seeded from the OS once
 * per thread, with no seed option, so its intervals changed on every run. This is the same
 * procedure as Prophet's `sample_predictive_trend` + observation noise (linear growth, MAP fit):
 * each draw adds Poisson(S * (T - 1)) new changepoints uniformly over the future (T = the last
 * scaled time, 1 = the last history point), with Laplace(0, mean |delta|) slope changes, plus
 * Normal(0, sigma_obs) noise; seasonal terms are fixed at their estimates, as in Prophet. The
 * interval is the (1 - level) / 2 and (1 + level) / 2 percentile of the draws around the point.
 */
import { Rng } from '../ai/seed/random.js';

export interface ProphetFit {
  /** Scaled times of the fitted changepoints (0 = first history point, 1 = last). */
  tChange: number[];
  /** Fitted slope changes (scaled units). */
  delta: number[];
  /** Observation noise (scaled units). */
  sigmaObs: number;
  /** Raw units per scaled unit of y. */
  yScale: number;
  /** Epoch seconds of the first history point and the span to the last one. */
  t0: number;
  tSpan: number;
}

/** Default seed of the interval draws (fixed: the same data gives the same intervals). */
export const PROPHET_SEED = 20_241_202;

/** Stan's data and the optimizer's output -> the parameters the draws need; null if unusable. */
export function prophetFitOf(dataJson: string, params: { delta: ArrayLike<number>; sigmaObs: number }, ds: number[], y: number[]): ProphetFit | null {
  let data: { y?: number[]; t_change?: number[] };
  try {
    data = JSON.parse(dataJson) as typeof data;
  } catch {
    return null;
  }
  const ys = data.y ?? [];
  if (ys.length !== y.length || ds.length < 2) return null;
  // y_scaled = (y - offset) / scale (absmax: offset 0; minmax: offset min): the scale from the extremes.
  let lo = 0;
  let hi = 0;
  for (let i = 1; i < y.length; i++) {
    if ((y[i] as number) < (y[lo] as number)) lo = i;
    if ((y[i] as number) > (y[hi] as number)) hi = i;
  }
  const dy = (ys[hi] as number) - (ys[lo] as number);
  const yScale = dy > 0 ? ((y[hi] as number) - (y[lo] as number)) / dy : Math.max(...y.map(Math.abs)) || 1;
  const t0 = ds[0] as number;
  const tSpan = (ds[ds.length - 1] as number) - t0;
  if (!(tSpan > 0) || !Number.isFinite(yScale)) return null;
  return { tChange: data.t_change ?? [], delta: Array.from(params.delta), sigmaObs: params.sigmaObs, yScale, t0, tSpan };
}

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 500) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function laplace(rng: Rng, scale: number): number {
  const u = rng.next() - 0.5;
  return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
}

/** Linear-interpolated percentile (numpy's default) of a sorted array. */
function percentile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const j = Math.min(i + 1, sorted.length - 1);
  return (sorted[i] as number) + ((sorted[j] as number) - (sorted[i] as number)) * (pos - i);
}

/** Interval bounds for `point` at times `ds` (epoch seconds, ascending) from `samples` seeded draws. */
export function prophetIntervals(point: number[], ds: number[], fit: ProphetFit, opts: { level: number; samples: number; seed?: number }): { lower: number[]; upper: number[] } {
  const n = point.length;
  const samples = Math.max(1, Math.floor(opts.samples));
  if (n === 0) return { lower: [], upper: [] };
  const rng = new Rng(opts.seed ?? PROPHET_SEED);
  const t = ds.map((d) => (d - fit.t0) / fit.tSpan);
  const T = Math.max(...t);
  const S = fit.tChange.length;
  const lambda = (fit.delta.length > 0 ? fit.delta.reduce((a, d) => a + Math.abs(d), 0) / fit.delta.length : 0) + 1e-8;
  const draws = new Float64Array(n * samples);
  for (let s = 0; s < samples; s++) {
    const changes = T > 1 ? poisson(rng, S * (T - 1)) : 0;
    const cps: { at: number; by: number }[] = [];
    for (let c = 0; c < changes; c++) cps.push({ at: 1 + rng.next() * (T - 1), by: laplace(rng, lambda) });
    cps.sort((a, b) => a.at - b.at);
    // Sum over changepoints before t of by * (t - at) = t * sum(by) - sum(by * at): one sweep (t ascends).
    let j = 0;
    let sumBy = 0;
    let sumByAt = 0;
    for (let i = 0; i < n; i++) {
      const ti = t[i] as number;
      while (j < cps.length && (cps[j] as { at: number }).at < ti) {
        const cp = cps[j] as { at: number; by: number };
        sumBy += cp.by;
        sumByAt += cp.by * cp.at;
        j++;
      }
      draws[i * samples + s] = fit.yScale * (ti * sumBy - sumByAt + fit.sigmaObs * normal(rng));
    }
  }
  const lower: number[] = [];
  const upper: number[] = [];
  const qLo = (1 - opts.level) / 2;
  for (let i = 0; i < n; i++) {
    const row = draws.subarray(i * samples, (i + 1) * samples).sort();
    lower.push((point[i] as number) + percentile(row, qLo));
    upper.push((point[i] as number) + percentile(row, 1 - qLo));
  }
  return { lower, upper };
}
