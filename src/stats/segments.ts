/**
 * Segments and heterogeneous treatment effects, on per-segment comparisons (each one the same
 * CUPED/CUPAC analysis as the whole experiment, fitted on that segment's sufficient statistics).
 *
 *   Heterogeneity (per dimension, metric and variant): Cochran's Q (Cochran 1954) on the k
 *     per-segment RELATIVE lifts d_i (diff / control mean) with their delta-method standard
 *     errors s_i. Relative, because segments differ in their baselines: a treatment that lifts
 *     every segment by the same 5% has different absolute effects wherever baselines differ,
 *     and a test on absolute effects would call that heterogeneity.
 *       w_i = 1 / s_i^2,  dbar = sum w_i d_i / sum w_i,  Q = sum w_i (d_i - dbar)^2,
 *       p = P(chi2_{k-1} > Q);  I^2 = max(0, (Q - (k-1)) / Q) (Higgins & Thompson 2002).
 *     Segments without a standard error (too few units, zero variance) are left out of Q.
 *   Multiplicity: Benjamini-Hochberg (1995) across every segment cell (dimension x value x
 *     metric x variant); a cell is significant when its BH-adjusted p < alpha. The Q tests
 *     get their own BH adjustment across dimensions x metrics x variants.
 *
 * Pure: no SQL, no IO.
 */
import { adjustPValues } from './corrections.js';
import { chiSquareSf } from './distributions.js';
import type { Comparison } from './cuped.js';

export interface SegmentCell {
  dimension: string;
  value: string;
  metric: string;
  variant: string;
  n_control: number;
  n_test: number;
  control_mean: number | null;
  test_mean: number | null;
  diff: number | null;
  diff_se: number | null;
  diff_ci: [number | null, number | null];
  rel_lift: number | null;
  rel_se: number | null;
  rel_ci: [number | null, number | null];
  p_value: number | null;
  /** Benjamini-Hochberg adjusted across every segment cell. */
  p_value_bh: number | null;
  significant: boolean;
  method: string;
  variance_reduction: number | null;
  /** Why the cell has no test (too few units in an arm), else null. */
  skipped: string | null;
}

export interface Heterogeneity {
  dimension: string;
  metric: string;
  variant: string;
  /** Segments in the test (those with a standard error). */
  k: number;
  q: number | null;
  df: number | null;
  p_value: number | null;
  /** BH-adjusted across every heterogeneity test of the run. */
  p_value_bh: number | null;
  i2: number | null;
  /** Inverse-variance pooled relative lift across the segments. */
  pooled_rel_lift: number | null;
  heterogeneous: boolean;
}

export interface SegmentReport {
  dimensions: string[];
  correction: 'bh';
  /** The effect scale Cochran's Q compares. */
  heterogeneity_scale: 'relative';
  cells: SegmentCell[];
  heterogeneity: Heterogeneity[];
}

/** One segment's comparison as the analysis computed it (null when the cell could not be tested). */
export interface SegmentInput {
  dimension: string;
  value: string;
  metric: string;
  variant: string;
  n_control: number;
  n_test: number;
  comparison: Comparison | null;
  skipped?: string | undefined;
}

export interface CochranQ {
  k: number;
  q: number;
  df: number;
  p_value: number;
  i2: number;
  pooled: number;
}

/** Cochran's Q test of equal effects; null with fewer than 2 usable estimates. */
export function cochranQ(effects: readonly { estimate: number; se: number }[]): CochranQ | null {
  const usable = effects.filter((e) => Number.isFinite(e.estimate) && Number.isFinite(e.se) && e.se > 0);
  const k = usable.length;
  if (k < 2) return null;
  const w = usable.map((e) => 1 / (e.se * e.se));
  const sw = w.reduce((a, b) => a + b, 0);
  const pooled = usable.reduce((a, e, i) => a + (w[i] as number) * e.estimate, 0) / sw;
  const q = usable.reduce((a, e, i) => a + (w[i] as number) * (e.estimate - pooled) ** 2, 0);
  const df = k - 1;
  return { k, q, df, p_value: chiSquareSf(q, df), i2: q > 0 ? Math.max(0, (q - df) / q) : 0, pooled };
}

/** Per-cell results with BH across all cells, and Cochran's Q per (dimension, metric, variant). */
export function segmentReport(inputs: readonly SegmentInput[], alpha: number): SegmentReport {
  const cells: SegmentCell[] = inputs.map((s) => {
    const c = s.comparison;
    return {
      dimension: s.dimension,
      value: s.value,
      metric: s.metric,
      variant: s.variant,
      n_control: s.n_control,
      n_test: s.n_test,
      control_mean: c?.control_mean ?? null,
      test_mean: c?.test_mean ?? null,
      diff: c?.diff ?? null,
      diff_se: c?.diff_se ?? null,
      diff_ci: c?.diff_ci ?? [null, null],
      rel_lift: c?.rel_lift ?? null,
      rel_se: c?.rel_se ?? null,
      rel_ci: c?.rel_ci ?? [null, null],
      p_value: c?.p_value ?? null,
      p_value_bh: null,
      significant: false,
      method: c ? (c.covariates.length > 0 ? c.method : 'none') : 'none',
      variance_reduction: c ? c.variance_reduction : null,
      skipped: c ? null : (s.skipped ?? 'not tested'),
    };
  });
  const adjusted = adjustPValues(
    cells.map((c) => c.p_value),
    'bh',
  );
  cells.forEach((c, i) => {
    c.p_value_bh = adjusted[i] ?? null;
    c.significant = c.p_value_bh !== null && c.p_value_bh < alpha;
  });

  const keys: string[] = [];
  const byKey = new Map<string, SegmentCell[]>();
  for (const c of cells) {
    const key = JSON.stringify([c.dimension, c.metric, c.variant]);
    if (!byKey.has(key)) keys.push(key);
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }
  const heterogeneity: Heterogeneity[] = keys.map((key) => {
    const [dimension, metric, variant] = JSON.parse(key) as [string, string, string];
    const group = byKey.get(key) as SegmentCell[];
    const q = cochranQ(group.flatMap((c) => (c.rel_lift !== null && c.rel_se !== null ? [{ estimate: c.rel_lift, se: c.rel_se }] : [])));
    return {
      dimension,
      metric,
      variant,
      k: q?.k ?? 0,
      q: q?.q ?? null,
      df: q?.df ?? null,
      p_value: q?.p_value ?? null,
      p_value_bh: null,
      i2: q?.i2 ?? null,
      pooled_rel_lift: q?.pooled ?? null,
      heterogeneous: false,
    };
  });
  const hAdj = adjustPValues(
    heterogeneity.map((h) => h.p_value),
    'bh',
  );
  heterogeneity.forEach((h, i) => {
    h.p_value_bh = hAdj[i] ?? null;
    h.heterogeneous = h.p_value_bh !== null && h.p_value_bh < alpha;
  });
  return { dimensions: [...new Set(cells.map((c) => c.dimension))], correction: 'bh', heterogeneity_scale: 'relative', cells, heterogeneity };
}

/** The separator between the group and the segment value in the grouping key of the segment query. */
export const SEGMENT_SEPARATOR = '\u001f';

/** Splits a "group<US>value" key of the segment query. */
export function splitSegmentKey(key: string): { group: string; value: string } {
  const i = key.indexOf(SEGMENT_SEPARATOR);
  return i < 0 ? { group: key, value: '' } : { group: key.slice(0, i), value: key.slice(i + 1) };
}
