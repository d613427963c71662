/**
 * Pure bookkeeping on per-value sufficient statistics for whatchanged when an engine returned
 * them (one row per period and dimension value, or per pair of values): the distinct values and
 * '(none)' per dimension, the values that move the metric most (the same order DuckDB's
 * topValuesSql gives), and the capped values folded into '(other)'. Folding is exact: every sum
 * (n, v, c, vv, cc, vc) adds over units, and each unit has one value per dimension.
 */
import { addSums, type Agg, type Sums, ZERO_SUMS } from './math.js';

export const NONE = '(none)';
export const OTHER = '(other)';

/** What the impact order needs (see math.ts decompose): the baseline scale and the overall means' parts. */
export interface ImpactParams {
  agg: Agg;
  /** Baseline scale for totals. */
  k: number;
  /** Overall baseline and current events (means). */
  C0: number;
  C1: number;
  /** Overall baseline mean (means). */
  M0: number;
}

/** One row from an engine: the period, the values of the grouping's dimensions, the sums. */
export interface KeyedSums {
  period: 0 | 1;
  keys: string[];
  sums: Sums;
}

/** Distinct values other than '(none)', and whether '(none)' occurs, among one dimension's rows. */
export function valueProfile(rows: readonly KeyedSums[]): { distinct: number; hasNone: boolean } {
  const values = new Set<string>();
  let hasNone = false;
  for (const r of rows) {
    const v = r.keys[0] as string;
    if (v === NONE) hasNone = true;
    else values.add(v);
  }
  return { distinct: values.size, hasNone };
}

/** The overall sums per period from rows that cover every unit once per period (one dimension's rows, or the total's). */
export function totals(rows: readonly KeyedSums[]): { base: Sums; cur: Sums } {
  let base: Sums = { ...ZERO_SUMS };
  let cur: Sums = { ...ZERO_SUMS };
  for (const r of rows) {
    if (r.period === 0) base = addSums(base, r.sums);
    else cur = addSums(cur, r.sums);
  }
  return { base, cur };
}

/**
 * The `limit` values of one dimension ('(none)' aside) whose impact on the change is largest:
 * |impact| descending, then units in both periods descending, then the value (code point order).
 */
export function topValues(rows: readonly KeyedSums[], limit: number, p: ImpactParams): string[] {
  const per = new Map<string, { n: number; v0: number; v1: number; c0: number; c1: number }>();
  for (const r of rows) {
    const value = r.keys[0] as string;
    if (value === NONE) continue;
    const x = per.get(value) ?? { n: 0, v0: 0, v1: 0, c0: 0, c1: 0 };
    x.n += r.sums.n;
    if (r.period === 0) {
      x.v0 += r.sums.v;
      x.c0 += r.sums.c;
    } else {
      x.v1 += r.sums.v;
      x.c1 += r.sums.c;
    }
    per.set(value, x);
  }
  const impact = (x: { v0: number; v1: number; c0: number; c1: number }): number =>
    p.agg === 'mean' ? (p.C1 > 0 ? (x.v1 - p.M0 * x.c1) / p.C1 : 0) - (p.C0 > 0 ? (x.v0 - p.M0 * x.c0) / p.C0 : 0) : x.v1 - p.k * x.v0;
  return [...per.entries()]
    .map(([value, x]) => ({ value, size: Math.abs(impact(x)), n: x.n }))
    .sort((a, b) => b.size - a.size || b.n - a.n || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, Math.max(1, Math.floor(limit)))
    .map((x) => x.value);
}

/**
 * Rows with each key outside its dimension's kept list (null: all kept) replaced by '(other)',
 * rows that then share period and keys summed. `keep[j]` applies to keys[j]; '(none)' is always kept.
 */
export function foldCapped(rows: readonly KeyedSums[], keep: readonly (readonly string[] | null)[]): KeyedSums[] {
  const sets = keep.map((k) => (k === null ? null : new Set([NONE, ...k])));
  const out = new Map<string, KeyedSums>();
  for (const r of rows) {
    const keys = r.keys.map((v, j) => {
      const s = sets[j];
      return s === null || s === undefined || s.has(v) ? v : OTHER;
    });
    const id = `${r.period}\u0000${keys.join('\u0000')}`;
    const prev = out.get(id);
    out.set(id, prev ? { ...prev, sums: addSums(prev.sums, r.sums) } : { period: r.period, keys, sums: { ...r.sums } });
  }
  return [...out.values()];
}
