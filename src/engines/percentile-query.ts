/**
 * SQL for percentile metrics: two aggregation passes per metric, grouped by arm.
 *   1. COUNT, the p-quantile, the 0.25 and 0.75 quantiles (for the IQR) and STDDEV_SAMP;
 *   2. the band count COUNT(*) FILTER (WHERE x BETWEEN q - h AND q + h) with each arm's q and h,
 *      and the units exactly at q (ties).
 * The quantile is the exact one with linear interpolation (type 7: DuckDB's quantile_cont) on every
 * engine, so the estimates agree across engines: the dialect's exact aggregate where it has one
 * (PostgreSQL, Snowflake, Databricks: percentile_cont WITHIN GROUP; ClickHouse: the sorted group
 * array), else (BigQuery, Trino: only approximate aggregates) the two order statistics around
 * (n - 1) p picked by ROW_NUMBER() in a window and interpolated here. Everything else is
 * COUNT/STDDEV_SAMP and filtered COUNTs. The math is in percentile.ts.
 */
import type { Dialect } from './dialect.js';
import type { Engine } from './engine.js';
import { compareQuantiles, silvermanBandwidth, type QuantileArm, type QuantileComparison } from '../stats/percentile.js';
import type { Tails } from '../stats/ttest.js';

export interface PercentileSpec {
  /** Label, e.g. "revenue p90". */
  name: string;
  /** The metric (or column) it is taken of. */
  metric: string;
  /** SQL value expression per unit (NULL = left out). */
  expr: string;
  p: number;
}

export interface PercentileResult extends QuantileComparison {
  name: string;
  metric: string;
  variant: string;
  n_control: number;
  n_test: number;
  significant: boolean;
  method: 'quantile-density';
}

/** The quantiles the stats pass takes: p, and the quartiles for the IQR. */
const QUARTILES = [0.25, 0.75] as const;

/** (group as text, value) per row, NULL values left out. */
function values(d: Dialect, relation: string, group: string, expr: string): string {
  return `(SELECT ${d.text(d.ident(group))} AS __group, ${expr} AS __x FROM ${relation}) AS __p WHERE __x IS NOT NULL`;
}

/**
 * Per arm: n, q (the p-quantile), iqr, sd. On an engine without an exact quantile aggregate the
 * row holds the order statistics instead (lo<i>, hi<i> for p, 0.25, 0.75); `quantileRow` reads both.
 */
export function quantileStatsQuery(d: Dialect, relation: string, group: string, expr: string, p: number): string {
  if (d.exactQuantile) {
    return `SELECT __group, COUNT(__x) AS n, ${d.quantile('__x', p)} AS q,
    ${d.quantile('__x', QUARTILES[1])} - ${d.quantile('__x', QUARTILES[0])} AS iqr, STDDEV_SAMP(__x) AS sd
  FROM ${values(d, relation, group, expr)} GROUP BY __group ORDER BY __group`;
  }
  // 1-based ranks of floor(h) and ceil(h), h = (n - 1) q: the two values type 7 interpolates between.
  const at = (q: number, f: 'FLOOR' | 'CEIL'): string => `MIN(CASE WHEN ${d.double('__r')} = ${f}((${d.double('__n')} - 1) * ${d.number(q)}) + 1 THEN __x END)`;
  const picks = [p, ...QUARTILES].flatMap((q, i) => [`${at(q, 'FLOOR')} AS lo${i}`, `${at(q, 'CEIL')} AS hi${i}`]);
  return `SELECT __group, COUNT(*) AS n, ${picks.join(', ')}, STDDEV_SAMP(__x) AS sd
  FROM (SELECT __group, __x, ROW_NUMBER() OVER (PARTITION BY __group ORDER BY __x) AS __r, COUNT(*) OVER (PARTITION BY __group) AS __n
    FROM ${values(d, relation, group, expr)}) AS __ranked
  GROUP BY __group ORDER BY __group`;
}

/** Type 7 from the two order statistics: lo + (h - floor h) (hi - lo), h = (n - 1) q (DuckDB's and PostgreSQL's formula). */
export function interpolate(lo: number, hi: number, n: number, q: number): number {
  const h = (n - 1) * q;
  return lo + (h - Math.floor(h)) * (hi - lo);
}

/** n, q, iqr and sd of one row of quantileStatsQuery, whichever form it took. */
export function quantileRow(row: Record<string, unknown>, p: number): { n: number; q: number; iqr: number; sd: number } {
  const n = Number(row.n ?? 0);
  const sd = Number(row.sd ?? 0);
  if (row.lo0 === undefined) return { n, q: Number(row.q), iqr: Number(row.iqr ?? 0), sd };
  const quantile = (i: number, q: number): number => interpolate(Number(row[`lo${i}`]), Number(row[`hi${i}`]), n, q);
  return { n, q: quantile(0, p), iqr: quantile(2, QUARTILES[1]) - quantile(1, QUARTILES[0]), sd };
}

export function bandCountQuery(d: Dialect, relation: string, group: string, expr: string, arms: { group: string; q: number; h: number }[]): string {
  const band = arms.map((a) => `(__group = ${d.literal(a.group)} AND __x BETWEEN ${d.number(a.q - a.h)} AND ${d.number(a.q + a.h)})`).join(' OR ');
  const ties = arms.map((a) => `(__group = ${d.literal(a.group)} AND __x = ${d.number(a.q)})`).join(' OR ');
  return `SELECT __group, ${d.count(band)} AS in_band, ${d.count(ties)} AS ties
  FROM ${values(d, relation, group, expr)} GROUP BY __group ORDER BY __group`;
}

/** Quantile differences of every spec for every variant against the control, with warnings for point masses. */
export async function percentileComparisons(
  store: Pick<Engine, 'all' | 'dialect'>,
  a: { relation: string; group: string; control: string; variants: readonly string[]; specs: PercentileSpec[]; alpha: number; tails: Tails },
): Promise<{ results: PercentileResult[]; warnings: string[] }> {
  const results: PercentileResult[] = [];
  const warnings: string[] = [];
  for (const s of a.specs) {
    const stats = await store.all(quantileStatsQuery(store.dialect, a.relation, a.group, s.expr, s.p));
    const arms = new Map<string, QuantileArm>();
    for (const row of stats) {
      const { n, q, iqr, sd } = quantileRow(row, s.p);
      const h = silvermanBandwidth(sd, iqr, n);
      if (n >= 2 && h !== null) arms.set(String(row.__group), { n, q, h, inBand: 0 });
    }
    const wanted = [a.control, ...a.variants].filter((g) => arms.has(g));
    if (wanted.length > 0) {
      const counts = await store.all(bandCountQuery(store.dialect, a.relation, a.group, s.expr, wanted.map((g) => ({ group: g, ...(arms.get(g) as QuantileArm) }))));
      for (const row of counts) {
        const arm = arms.get(String(row.__group));
        if (!arm) continue;
        arm.inBand = Number(row.in_band ?? 0);
        arm.ties = Number(row.ties ?? 0);
      }
    }
    const control = arms.get(a.control);
    for (const v of a.variants) {
      const test = arms.get(v);
      if (!control || !test) {
        warnings.push(`${s.name} (${v}): fewer than 2 values or no spread in an arm; no percentile test`);
        continue;
      }
      for (const [label, arm] of [[a.control, control], [v, test]] as const) {
        if ((arm.ties ?? 0) > 0.01 * arm.n) warnings.push(`${s.name}: ${Math.round(((arm.ties ?? 0) / arm.n) * 100)}% of ${label}'s values sit exactly at its quantile (${arm.q}); the density-based CI assumes a continuous metric there`);
      }
      const c = compareQuantiles(control, test, s.p, a.alpha, a.tails);
      results.push({ ...c, name: s.name, metric: s.metric, variant: v, n_control: control.n, n_test: test.n, significant: c.p_value !== null && c.p_value < a.alpha, method: 'quantile-density' });
    }
  }
  return { results, warnings: [...new Set(warnings)] };
}
