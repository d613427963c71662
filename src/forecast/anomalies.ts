/**
 * Anomalies. Inside one series: points whose residual from a robust seasonal-trend
 * decomposition (components.ts) is extreme, merged into runs with a severity. Across a `--by`
 * group: which series diverge from their peers. Each series is put on the common time range,
 * divided by its median (so levels do not matter, shapes do), smoothed over one season (weekly
 * noise and day-of-week effects cancel), and fed to augurs' DBSCAN outlier detector.
 */
import { loadOutlier } from './augurs.js';
import { FREQ_INFO, gridSteps, gridTime, isCalendarFreq } from './calendar.js';
import { BIWEIGHT_EFFICIENCY, biweightScale, decompose, type Decomposition } from './components.js';
import { median } from './metrics.js';
import { normalQuantile, regularizedGammaP, regularizedGammaQ, studentTQuantile } from '../stats/distributions.js';
import { formatTime, interpolate } from './series.js';
import type { Anomaly, DivergentSeries, Freq, PreparedSeries } from './types.js';

/** How far beyond the series' own extremes (its 99th percentile absolute score) a point must lie. */
export const TAIL_FACTOR = 1.5;

/**
 * The score threshold for `n` residual scores: the larger of the familywise bound (a series of
 * pure noise flags nothing with probability `level`) and TAIL_FACTOR times the 99th
 * percentile of the absolute scores (the 20th largest when there are fewer than 2,000 points), so
 * a heavy-tailed series only flags what stands out from its own extremes.
 */
export function anomalyThreshold(absScores: number[], level: number): number {
  const n = absScores.length;
  if (n === 0) return Infinity;
  // Sidak: each of n two-sided tests at 1 - level^(1/n). The scale is estimated, so the bound is
  // Student's t with the scale's effective degrees of freedom: its wider tail pays for the
  // scale's own sampling error (about 4.44 instead of 4.42 sds for 1,000 points at 0.99).
  const df = Math.max(1, BIWEIGHT_EFFICIENCY * n);
  const familywise = studentTQuantile(1 - -Math.expm1(Math.log(level) / n) / 2, df);
  const sorted = absScores.slice().sort((a, b) => b - a);
  const rank = Math.max(Math.ceil(0.01 * n), 20);
  const tail = rank < n ? (sorted[rank - 1] as number) : 0;
  return Math.max(familywise, TAIL_FACTOR * tail);
}

/** Severity of a run from its peak score: high from twice the threshold, medium from 1.25 times. */
export function severityOf(score: number, threshold: number): Anomaly['severity'] {
  const r = Math.abs(score) / threshold;
  return r >= 2 ? 'high' : r >= 1.25 ? 'medium' : 'low';
}

export interface AnomalyInput {
  /** Values on the grid (NaN = missing), on the model's (transformed) scale. */
  y: number[];
  /** The same on the original scale (reported as `y`). */
  raw: number[];
  freq: Freq;
  start: number;
  /** See anomalyThreshold. */
  level: number;
  /** Back-transform to the original scale. */
  inverse: (v: number) => number;
  /** A decomposition already computed for y. */
  decomposition?: Decomposition;
  /** Known effects on the model scale (the holidays' estimated effects), added to the expectation. */
  offset?: number[];
  /**
   * `raw` holds whole counts and `y` their Anscombe values: each point is scored by its Poisson
   * mid-p quantile residual at its expected count (poissonScore) instead of its Anscombe residual.
   */
  counts?: boolean;
}

/**
 * The normal score of a count k under Poisson(mean): the normal quantile of its mid-p tail
 * probability (P(Y < k) + P(Y = k) / 2 below the mean, the mirror above), a quantile residual
 * (Dunn and Smyth 1996). On the Anscombe scale a 0 where about 10 are expected lies 5.2 sds out
 * although it happens 1 time in 22,000 (4.1 sds): zeros at low counts were flagged 13 times as
 * often as the normal bound allows.
 */
export function poissonScore(k: number, mean: number): number {
  if (!(mean > 0)) return k > 0 ? MAX_SCORE : 0;
  const below = 0.5 * ((k > 0 ? regularizedGammaQ(k, mean) : 0) + regularizedGammaQ(k + 1, mean));
  const above = 0.5 * (regularizedGammaP(k + 1, mean) + (k > 0 ? regularizedGammaP(k, mean) : 1));
  const z = below < above ? normalQuantile(below) : -normalQuantile(above);
  return Math.max(-MAX_SCORE, Math.min(MAX_SCORE, z));
}

/** Gauss-Hermite nodes and weights for a standard normal (probabilists', 7 points). */
const GH_NODES = [-3.750439717725742, -2.366759410734541, -1.154405394739968, 0, 1.154405394739968, 2.366759410734541, 3.750439717725742];
const GH_WEIGHTS = [0.000548268855972218, 0.0307571239675865, 0.2401231786050127, 0.4571428571428571, 0.2401231786050127, 0.0307571239675865, 0.000548268855972218];

/** poissonScore with the mean uncertain: mean(e) at a standard normal e; the mid-p tails are averaged over e. */
export function predictiveScore(k: number, mean: (e: number) => number): number {
  let below = 0;
  let above = 0;
  GH_NODES.forEach((e, j) => {
    const m = Math.max(1e-9, mean(e));
    const w = GH_WEIGHTS[j] as number;
    below += w * 0.5 * ((k > 0 ? regularizedGammaQ(k, m) : 0) + regularizedGammaQ(k + 1, m));
    above += w * 0.5 * (regularizedGammaP(k + 1, m) + (k > 0 ? regularizedGammaP(k, m) : 1));
  });
  const z = below < above ? normalQuantile(below) : -normalQuantile(above);
  return Math.max(-MAX_SCORE, Math.min(MAX_SCORE, z));
}

/** Scores beyond this many sds are held at it (a tail probability under about 1e-300). */
const MAX_SCORE = 37;

/**
 * Point anomalies: robust residual scores (residual - median, over the biweight scale times the
 * point's own relative spread; for counts, Poisson quantile residuals) of the robust decomposition; points beyond anomalyThreshold are flagged, and consecutive flagged points merge
 * into one anomaly reported at its peak, with its start, end and severity.
 */
export function detectAnomalies(input: AnomalyInput): Anomaly[] {
  const { y, freq } = input;
  const dec = input.decomposition ?? decompose(y, freq);
  if (!(dec.scale > 0)) return [];
  const off = (i: number): number => input.offset?.[i] ?? 0;
  const sd = (i: number): number => dec.scale * (dec.spread[i] ?? 1);
  let scores = dec.resid.map((r, i) => (Number.isFinite(r) ? (r - off(i) - dec.center) / sd(i) : NaN));
  if (input.counts) {
    // Quantile residuals at the expected counts, on their own robust scale (it takes in the fit's
    // noise and any overdispersion), each divided by its relative spread.
    // The expectation is itself estimated: its Anscombe-scale variance is the residual's less the
    // Poisson part (1), and the tail is averaged over it (Gauss-Hermite), a predictive quantile residual.
    const dev = dec.resid.map((r, i) => {
      if (!Number.isFinite(r)) return NaN;
      const base = (dec.fit[i] as number) + off(i) + dec.center;
      const fitSd = Math.sqrt(Math.max(0, sd(i) ** 2 - 1));
      return predictiveScore(input.raw[i] as number, (e) => input.inverse(base + fitSd * e));
    });
    const kept = dev.map((_, i) => i).filter((i) => Number.isFinite(dev[i]));
    const mid = median(kept.map((i) => dev[i] as number));
    const scale = biweightScale(kept.map((i) => ((dev[i] as number) - mid) / (dec.spread[i] ?? 1)), 0);
    if (scale > 0) scores = dev.map((d, i) => (Number.isFinite(d) ? (d - mid) / (scale * (dec.spread[i] ?? 1)) : NaN));
  }
  const threshold = anomalyThreshold(scores.filter(Number.isFinite).map(Math.abs), input.level);
  const at = (i: number): string => formatTime(gridTime(freq, input.start, i), freq);
  const out: Anomaly[] = [];
  let i = 0;
  while (i < scores.length) {
    if (!(Math.abs(scores[i] as number) > threshold)) {
      i++;
      continue;
    }
    let j = i;
    let peak = i;
    while (j + 1 < scores.length && Math.abs(scores[j + 1] as number) > threshold) {
      j++;
      if (Math.abs(scores[j] as number) > Math.abs(scores[peak] as number)) peak = j;
    }
    const base = (dec.fit[peak] as number) + off(peak) + dec.center;
    const expected = input.inverse(base);
    const score = scores[peak] as number;
    out.push({
      ds: at(peak),
      start: at(i),
      end: at(j),
      points: j - i + 1,
      y: input.raw[peak] as number,
      expected,
      lower: input.inverse(base - threshold * sd(peak)),
      upper: input.inverse(base + threshold * sd(peak)),
      magnitude: (input.raw[peak] as number) - expected,
      score,
      severity: severityOf(score, threshold),
    });
    i = j + 1;
  }
  return out;
}

/** Centered moving average over `w` points (shrinking at the ends). */
export function smooth(y: number[], w: number): number[] {
  if (w <= 1) return y.slice();
  const half = w >> 1;
  const prefix = [0];
  for (const v of y) prefix.push((prefix[prefix.length - 1] as number) + v);
  return y.map((_, i) => {
    const a = Math.max(0, i - half);
    const b = Math.min(y.length - 1, i + half);
    return ((prefix[b + 1] as number) - (prefix[a] as number)) / (b - a + 1);
  });
}

export async function divergentSeries(series: PreparedSeries[], sensitivity = 0.6): Promise<DivergentSeries[]> {
  if (series.length < 3) return [];
  const first = series[0] as PreparedSeries;
  const freq = first.freq;
  let start = -Infinity;
  let end = Infinity;
  for (const s of series) {
    start = Math.max(start, s.start);
    end = Math.min(end, gridTime(freq, s.start, s.y.length - 1));
  }
  if (!(end >= start)) return [];
  const len = gridSteps(freq, start, end) + 1;
  if (!(len >= 8)) return [];
  // Smooth over the shortest season (a week of days, a day of hours or minutes); none for weeks, months, quarters.
  const window = freq === 'W' || isCalendarFreq(freq) ? 1 : (FREQ_INFO[freq].periods[0] as number);
  const data: number[][] = [];
  for (const s of series) {
    const offset = gridSteps(freq, s.start, start);
    const y = interpolate(s.y).slice(offset, offset + len);
    const m = median(y.map(Math.abs));
    const rel = m > 0 ? y.map((v) => v / m) : y.map(() => 0);
    data.push(smooth(rel, window));
  }
  const { OutlierDetector } = await loadOutlier();
  const detector = OutlierDetector.dbscan({ sensitivity });
  try {
    const out = detector.detect(data);
    return out.outlyingSeries.map((i) => {
      const r = out.seriesResults[i];
      const key = series[i]?.key ?? String(i);
      return {
        group: key,
        intervals: (r?.outlierIntervals ?? []).map((iv) => ({
          start: formatTime(gridTime(freq, start, iv.start), freq),
          end: iv.end === undefined || iv.end === null ? null : formatTime(gridTime(freq, start, iv.end - 1), freq),
        })),
        score: (r?.scores ?? []).reduce((a, b) => Math.max(a, b), 0),
      };
    });
  } finally {
    detector.free();
  }
}
