/**
 * SQL for percentile metrics: two aggregation passes per metric, grouped by arm.
 *   1. COUNT, the p-quantile, the 0.25 and 0.75 quantiles (for the IQR) and STDDEV_SAMP;
 *   2. the band count COUNT(*) FILTER (WHERE x BETWEEN q - h AND q + h) with each arm's q and h,
 *      and the units exactly at q (ties).
 * Dialect: quantile_cont(x, p) is DuckDB's; standard SQL (PostgreSQL, Snowflake, Redshift) spells it
 * PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x), BigQuery uses PERCENTILE_CONT(x, p) OVER () or
 * APPROX_QUANTILES. Everything else is COUNT/STDDEV_SAMP/FILTER. The math is in percentile.ts.
 */
import { quoteIdent, quoteLiteral } from '../store/store.js';
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

function lit(x: number): string {
  return `CAST(${x.toPrecision(17)} AS DOUBLE)`;
}

export function quantileStatsQuery(relation: string, group: string, expr: string, p: number): string {
  return `SELECT CAST(${quoteIdent(group)} AS VARCHAR) AS __group, COUNT(__x) AS n, quantile_cont(__x, ${lit(p)}) AS q,
    quantile_cont(__x, 0.75) - quantile_cont(__x, 0.25) AS iqr, STDDEV_SAMP(__x) AS sd
  FROM (SELECT ${quoteIdent(group)}, ${expr} AS __x FROM ${relation}) AS __p
  WHERE __x IS NOT NULL GROUP BY 1 ORDER BY 1`;
}

export function bandCountQuery(relation: string, group: string, expr: string, arms: { group: string; q: number; h: number }[]): string {
  const g = `CAST(${quoteIdent(group)} AS VARCHAR)`;
  const band = arms.map((a) => `(${g} = ${quoteLiteral(a.group)} AND __x BETWEEN ${lit(a.q - a.h)} AND ${lit(a.q + a.h)})`).join(' OR ');
  const ties = arms.map((a) => `(${g} = ${quoteLiteral(a.group)} AND __x = ${lit(a.q)})`).join(' OR ');
  return `SELECT ${g} AS __group, COUNT(*) FILTER (WHERE ${band}) AS in_band, COUNT(*) FILTER (WHERE ${ties}) AS ties
  FROM (SELECT ${quoteIdent(group)}, ${expr} AS __x FROM ${relation}) AS __p
  WHERE __x IS NOT NULL GROUP BY 1 ORDER BY 1`;
}

/** Quantile differences of every spec for every variant against the control, with warnings for point masses. */
export async function percentileComparisons(
  store: Pick<Engine, 'all'>,
  a: { relation: string; group: string; control: string; variants: readonly string[]; specs: PercentileSpec[]; alpha: number; tails: Tails },
): Promise<{ results: PercentileResult[]; warnings: string[] }> {
  const results: PercentileResult[] = [];
  const warnings: string[] = [];
  for (const s of a.specs) {
    const stats = await store.all(quantileStatsQuery(a.relation, a.group, s.expr, s.p));
    const arms = new Map<string, QuantileArm>();
    for (const row of stats) {
      const n = Number(row.n ?? 0);
      const h = silvermanBandwidth(Number(row.sd ?? 0), Number(row.iqr ?? 0), n);
      if (n >= 2 && h !== null) arms.set(String(row.__group), { n, q: Number(row.q), h, inBand: 0 });
    }
    const wanted = [a.control, ...a.variants].filter((g) => arms.has(g));
    if (wanted.length > 0) {
      const counts = await store.all(bandCountQuery(a.relation, a.group, s.expr, wanted.map((g) => ({ group: g, ...(arms.get(g) as QuantileArm) }))));
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
