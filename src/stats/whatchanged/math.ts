/**
 * Pure math of whatchanged, on per-segment sufficient statistics (no rows):
 *
 *   Sums per segment and period: n units, v = Σ per-unit value, c = Σ per-unit events,
 *   vv = Σ v², cc = Σ c², vc = Σ v·c (per-unit sums; for --agg count v = c).
 *
 * Totals (count, sum). The metric is V = Σ v. A segment's size is its active units N and its
 * rate m = V / N (value per active unit). With the baseline scaled by k (current length /
 * baseline length, 1 for equal periods), the segment's impact is ΔV_s = V1 - k·V0 and the
 * Shapley (midpoint) split of the product N·m is exact:
 *   mix  = (N1 - N0)·(m0 + m1)/2        (more or fewer active units)
 *   rate = (m1 - m0)·(N0 + N1)/2        (more or less per active unit)
 *
 * Means (mean). The metric is M = Σ v / Σ c (per event). A segment's size is its share of
 * events W = c_s / C and its rate m = v_s / c_s. The change of the overall mean is split per
 * segment anchored on the baseline overall mean M0 (Σ ΔW = 0 makes the anchor free):
 *   mix  = (W1 - W0)·((m0 + m1)/2 - M0)  (the segment's share moved; counts only insofar as the
 *                                         segment's mean differs from the overall mean)
 *   rate = (W0 + W1)/2·(m1 - m0)         (the segment's own mean moved)
 * so mix + rate = W1·m1 - W0·m0 - ΔW·M0 and Σ over segments = M1 - M0 exactly.
 * A segment absent in one period takes its mean from the other (all of its change is mix).
 *
 * contribution = impact / total change (sums to 1 over a dimension's segments).
 *
 * Ranking (Adtributor, Bhagwan et al., NSDI 2014): explanatory power EP = contribution;
 * surprise = Jensen-Shannon divergence term (bits) between the segment's baseline share p and
 * current share q of the measure: ½(p log 2p/(p+q) + q log 2q/(p+q)). For means (a derived
 * measure) the surprise adds the terms of its two fundamental measures (value and events).
 * A dimension's explanatory set: segments by surprise, descending, with EP > 0.1, added until
 * the set's EP exceeds 0.67; its score is the set's total surprise.
 *
 * Significance per segment: totals use an unequal-variance (Welch-type) z-test on the change of
 * the total, each period's variance estimated as Σ v² (a compound-Poisson total); means use
 * Welch's t-test on the segment mean with Satterthwaite df, the per-period variance of the
 * ratio mean by the delta method (reduces to the plain sample variance with one event per
 * unit). p-values are corrected with Benjamini-Hochberg.
 */
import { normalSf, studentTSf } from '../distributions.js';

export type Agg = 'count' | 'sum' | 'mean';

export interface Sums {
  n: number;
  v: number;
  c: number;
  vv: number;
  cc: number;
  vc: number;
}

export const ZERO_SUMS: Readonly<Sums> = Object.freeze({ n: 0, v: 0, c: 0, vv: 0, cc: 0, vc: 0 });

export interface Pair {
  base: Sums;
  cur: Sums;
}

export const T_EEP = 0.1;
export const T_EP = 0.67;

export function isTotal(agg: Agg): boolean {
  return agg !== 'mean';
}

/** The metric value of a period: the total (scaled by k) or the per-event mean. */
export function metricValue(s: Sums, agg: Agg, k = 1): number | null {
  if (isTotal(agg)) return k * s.v;
  return s.c > 0 ? s.v / s.c : null;
}

export interface Decomposition {
  baseline: number | null;
  current: number | null;
  delta: number | null;
  rel_delta: number | null;
  /** Active units (totals, scaled by k in the baseline) or events (means). */
  baseline_size: number;
  current_size: number;
  /** Share of the period's size. */
  baseline_share: number | null;
  current_share: number | null;
  /** Value per active unit (totals) or per event (means). */
  baseline_rate: number | null;
  current_rate: number | null;
  impact: number;
  mix: number;
  rate: number;
}

function ratio(a: number, b: number): number | null {
  return b !== 0 ? a / b : null;
}

/**
 * The segment's own numbers and its exact part of the overall change, split into mix and rate.
 * `overall` is the whole population (for shares and the baseline overall mean).
 */
export function decompose(seg: Pair, overall: Pair, agg: Agg, k = 1): Decomposition {
  if (isTotal(agg)) {
    const N0 = k * seg.base.n;
    const N1 = seg.cur.n;
    const V0 = k * seg.base.v;
    const V1 = seg.cur.v;
    const m0 = N0 > 0 ? V0 / N0 : null;
    const m1 = N1 > 0 ? V1 / N1 : null;
    let mix = 0;
    let rate = 0;
    if (m0 !== null && m1 !== null) {
      mix = ((N1 - N0) * (m0 + m1)) / 2;
      rate = ((m1 - m0) * (N0 + N1)) / 2;
    } else if (m1 !== null) {
      mix = V1;
    } else if (m0 !== null) {
      mix = -V0;
    }
    const impact = V1 - V0;
    return {
      baseline: V0,
      current: V1,
      delta: impact,
      rel_delta: V0 !== 0 ? impact / Math.abs(V0) : null,
      baseline_size: N0,
      current_size: N1,
      baseline_share: ratio(seg.base.n, overall.base.n),
      current_share: ratio(seg.cur.n, overall.cur.n),
      baseline_rate: m0,
      current_rate: m1,
      impact,
      mix,
      rate,
    };
  }
  const C0 = overall.base.c;
  const C1 = overall.cur.c;
  const M0 = C0 > 0 ? overall.base.v / C0 : 0;
  const W0 = C0 > 0 ? seg.base.c / C0 : 0;
  const W1 = C1 > 0 ? seg.cur.c / C1 : 0;
  const m0 = seg.base.c > 0 ? seg.base.v / seg.base.c : null;
  const m1 = seg.cur.c > 0 ? seg.cur.v / seg.cur.c : null;
  let mix = 0;
  let rate = 0;
  if (m0 !== null && m1 !== null) {
    mix = (W1 - W0) * ((m0 + m1) / 2 - M0);
    rate = ((W0 + W1) / 2) * (m1 - m0);
  } else if (m1 !== null) {
    mix = W1 * (m1 - M0);
  } else if (m0 !== null) {
    mix = -W0 * (m0 - M0);
  }
  const delta = m0 !== null && m1 !== null ? m1 - m0 : null;
  return {
    baseline: m0,
    current: m1,
    delta,
    rel_delta: delta !== null && m0 !== null && m0 !== 0 ? delta / Math.abs(m0) : null,
    baseline_size: seg.base.c,
    current_size: seg.cur.c,
    baseline_share: C0 > 0 ? W0 : null,
    current_share: C1 > 0 ? W1 : null,
    baseline_rate: m0,
    current_rate: m1,
    impact: mix + rate,
    mix,
    rate,
  };
}

/** One Jensen-Shannon term in bits for shares p (baseline) and q (current). */
export function jsTerm(p: number, q: number): number {
  const a = Math.max(0, p);
  const b = Math.max(0, q);
  const m = (a + b) / 2;
  if (m === 0) return 0;
  const t = (x: number): number => (x > 0 ? x * Math.log2(x / m) : 0);
  return 0.5 * (t(a) + t(b));
}

/** Adtributor surprise of a segment (see the header). */
export function surprise(seg: Pair, overall: Pair, agg: Agg): number {
  const share = (x: number, total: number): number => (total > 0 ? Math.max(0, x) / total : 0);
  const s = jsTerm(share(seg.base.v, overall.base.v), share(seg.cur.v, overall.cur.v));
  if (isTotal(agg)) return s;
  return s + jsTerm(share(seg.base.c, overall.base.c), share(seg.cur.c, overall.cur.c));
}

export interface TestResult {
  statistic: number | null;
  df: number | null;
  p_value: number | null;
}

const NO_TEST: TestResult = { statistic: null, df: null, p_value: null };

/** Per-unit variance of the ratio mean v/c for one period by the delta method; null when n < 2. */
export function ratioUnitVariance(s: Sums): number | null {
  if (s.n < 2 || s.c <= 0) return null;
  const R = s.v / s.c;
  const cbar = s.c / s.n;
  const ss = Math.max(0, s.vv - 2 * R * s.vc + R * R * s.cc);
  return ss / ((s.n - 1) * cbar * cbar);
}

/** Welch's t-test from (mean, per-unit variance, n) of two samples; null parts when degenerate. */
export function welch(m0: number, var0: number, n0: number, m1: number, var1: number, n1: number): TestResult {
  if (n0 < 2 || n1 < 2) return NO_TEST;
  const a = Math.max(0, var0) / n0;
  const b = Math.max(0, var1) / n1;
  const se2 = a + b;
  if (!(se2 > 0)) return NO_TEST;
  const df = (se2 * se2) / ((a * a) / (n0 - 1) + (b * b) / (n1 - 1));
  const t = (m1 - m0) / Math.sqrt(se2);
  return { statistic: t, df, p_value: Math.min(1, 2 * studentTSf(Math.abs(t), df)) };
}

/** Welch's t-test on two plain samples (the day-to-day noise check). */
export function welchSamples(xs0: readonly number[], xs1: readonly number[]): TestResult & { sd0: number | null; sd1: number | null } {
  const stats = (xs: readonly number[]): { m: number; v: number; n: number } => {
    const n = xs.length;
    const m = n > 0 ? xs.reduce((a, b) => a + b, 0) / n : 0;
    const v = n > 1 ? xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (n - 1) : 0;
    return { m, v, n };
  };
  const s0 = stats(xs0);
  const s1 = stats(xs1);
  const r = welch(s0.m, s0.v, s0.n, s1.m, s1.v, s1.n);
  return { ...r, sd0: s0.n > 1 ? Math.sqrt(s0.v) : null, sd1: s1.n > 1 ? Math.sqrt(s1.v) : null };
}

/** Is the segment's change real? See the header for the tests used. */
export function segmentTest(seg: Pair, agg: Agg, k = 1): TestResult {
  if (isTotal(agg)) {
    const variance = k * k * seg.base.vv + seg.cur.vv;
    if (!(variance > 0)) return NO_TEST;
    const z = (seg.cur.v - k * seg.base.v) / Math.sqrt(variance);
    return { statistic: z, df: null, p_value: Math.min(1, 2 * normalSf(Math.abs(z))) };
  }
  const v0 = ratioUnitVariance(seg.base);
  const v1 = ratioUnitVariance(seg.cur);
  if (v0 === null || v1 === null) return NO_TEST;
  return welch(seg.base.v / seg.base.c, v0, seg.base.n, seg.cur.v / seg.cur.c, v1, seg.cur.n);
}

/** Benjamini-Hochberg adjusted p-values (q-values); nulls stay null and do not count as tests. */
export function benjaminiHochberg(ps: readonly (number | null)[]): (number | null)[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null && Number.isFinite(x.p));
  idx.sort((a, b) => a.p - b.p);
  const m = idx.length;
  const out: (number | null)[] = ps.map(() => null);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const item = idx[r] as { p: number; i: number };
    running = Math.min(running, (item.p * m) / (r + 1));
    out[item.i] = Math.min(1, running);
  }
  return out;
}

export interface ExplanatorySet {
  /** Indices of the chosen segments, in the order chosen. */
  members: number[];
  explanatory_power: number;
  surprise: number;
  /** Whether the set reaches T_EP (the dimension explains the change). */
  explains: boolean;
}

/** Adtributor's explanatory set for one dimension from its segments' EP (contribution) and surprise. */
export function explanatorySet(segs: readonly { contribution: number | null; surprise: number }[]): ExplanatorySet {
  const order = segs.map((s, i) => ({ ...s, i })).sort((a, b) => b.surprise - a.surprise || (b.contribution ?? 0) - (a.contribution ?? 0) || a.i - b.i);
  const members: number[] = [];
  let ep = 0;
  let sur = 0;
  for (const s of order) {
    if (s.contribution === null || !(s.contribution > T_EEP)) continue;
    members.push(s.i);
    ep += s.contribution;
    sur += s.surprise;
    if (ep > T_EP) break;
  }
  return { members, explanatory_power: ep, surprise: sur, explains: ep > T_EP };
}

export function addSums(a: Sums, b: Sums): Sums {
  return { n: a.n + b.n, v: a.v + b.v, c: a.c + b.c, vv: a.vv + b.vv, cc: a.cc + b.cc, vc: a.vc + b.vc };
}
