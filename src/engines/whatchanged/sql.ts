/**
 * SQL builders for whatchanged. Everything heavy is done by DuckDB in a few statements:
 *
 *  1. unitsSql: one scan of the events that builds a temp table with one row per unit and
 *     period (or per event row when the data has no unit column): period, unit, v (the unit's
 *     value: events for count, Σ value for sum and mean), c (events) and the dimension values
 *     as VARCHAR, NULL as '(none)'.
 *  2. overallSql: the period totals plus each dimension's distinct count.
 *  3. topValuesSql: for a dimension with too many values, the ones that move the metric most.
 *  4. groupingSql: sufficient statistics per period and dimension value (GROUPING SETS, one scan
 *     of the units table), or per pair of dimensions for the 2-D cells.
 *  5. dailySql: daily totals for the day-to-day noise check; percentilesSql: per-unit quantiles.
 *
 * Only standard aggregates (count, sum, quantile_cont) so the same shape can run on a warehouse.
 */
import { quoteIdent, quoteLiteral } from '../../store/store.js';
import type { Agg } from '../../stats/whatchanged/math.js';
import { inPeriodSql, type Period } from '../../stats/whatchanged/period.js';
import { NONE, OTHER, type ImpactParams } from '../../stats/whatchanged/fold.js';

export { NONE, OTHER, type ImpactParams };

export const UNITS_TABLE = '__whatchanged_units';
export const AGG_TABLE = '__whatchanged_agg';

export interface Periods {
  baseline: Period;
  current: Period;
}

export interface DimensionDef {
  name: string;
  /** SQL over the rows view producing the raw value (any type). */
  expr: string;
}

/** Column alias of the i-th dimension in the units table. */
export function dimCol(i: number): string {
  return `__d${i}`;
}

export function dimValueSql(expr: string): string {
  return `coalesce(CAST(${expr} AS VARCHAR), ${quoteLiteral(NONE)})`;
}

function periodCase(timeExpr: string, p: Periods): string {
  return `CASE WHEN ${inPeriodSql(timeExpr, p.baseline)} THEN 0 ELSE 1 END`;
}

function timeFilter(timeExpr: string, p: Periods): string {
  return `(${inPeriodSql(timeExpr, p.baseline)} OR ${inPeriodSql(timeExpr, p.current)})`;
}

/** The per-row metric value: 1 per event for count, the value for sum and mean. */
function rowValue(agg: Agg, valueExpr: string | null): string {
  return agg === 'count' || valueExpr === null ? '1' : valueExpr;
}

export interface RowsSource {
  /** A SELECT yielding event-level rows (the columns --where and the dimensions refer to). */
  rows: string;
  timeExpr: string;
  valueExpr: string | null;
  /** Unit id expression, or null when every row is its own unit. */
  unitExpr: string | null;
}

/** Per-period sums of a GROUP BY over event rows: v<p> (metric) and c<p> (events) for p = 0, 1. */
function periodSums(rowValueSql: string, inBaseline: string): string {
  return [
    `coalesce(sum(${rowValueSql}) FILTER (WHERE ${inBaseline}), 0) AS __v0`,
    `CAST(count(*) FILTER (WHERE ${inBaseline}) AS DOUBLE) AS __c0`,
    `coalesce(sum(${rowValueSql}) FILTER (WHERE NOT ${inBaseline}), 0) AS __v1`,
    `CAST(count(*) FILTER (WHERE NOT ${inBaseline}) AS DOUBLE) AS __c1`,
  ].join(', ');
}

/**
 * Event rows (file data, or the store with --where) into AGG_TABLE in one scan: GROUPING SETS
 * ((unit, dims), (day)) with per-period sums, i.e. per-unit rows (__day NULL) and per-day rows.
 * Without a unit column every row is a unit: the units table is written directly instead and
 * the daily totals come from dailySql.
 */
export function unitsFromRowsSql(src: RowsSource, dims: DimensionDef[], agg: Agg, periods: Periods, where: string | null): string {
  const filters = [timeFilter(src.timeExpr, periods)];
  if (agg !== 'count' && src.valueExpr !== null) filters.push(`${src.valueExpr} IS NOT NULL`);
  if (where) filters.push(`(${where})`);
  const dimSel = dims.map((d, i) => `${dimValueSql(d.expr)} AS ${dimCol(i)}`);
  const dimNames = dims.map((_, i) => dimCol(i));
  if (src.unitExpr === null) {
    const inner = [`${periodCase(src.timeExpr, periods)} AS __period`, 'NULL AS __unit', `CAST(${rowValue(agg, src.valueExpr)} AS DOUBLE) AS __v`, 'CAST(1 AS DOUBLE) AS __c', ...dimSel];
    return `CREATE OR REPLACE TEMP TABLE ${UNITS_TABLE} AS SELECT ${inner.join(', ')} FROM (${src.rows}) __r WHERE ${filters.join(' AND ')}`;
  }
  const inner = [
    `${inPeriodSql(src.timeExpr, periods.baseline)} AS __b`,
    `${src.unitExpr} AS __unit`,
    `CAST(${rowValue(agg, src.valueExpr)} AS DOUBLE) AS __x`,
    `CAST(${src.timeExpr} AS DATE) AS __day`,
    ...dimSel,
  ];
  const body = `SELECT ${inner.join(', ')} FROM (${src.rows}) __r WHERE ${filters.join(' AND ')}`;
  const keys = ['__unit', ...dimNames];
  return `CREATE OR REPLACE TEMP TABLE ${AGG_TABLE} AS SELECT ${keys.join(', ')}, __day, ${periodSums('__x', '__b')} FROM (${body}) GROUP BY GROUPING SETS ((${keys.join(', ')}), (__day))`;
}

/** Unpivots per-unit rows with v0, c0, v1, c1 into one row per unit and period it was active in. */
function unpivotUnits(source: string, dimExprs: string[]): string {
  const pick = (a: string, b: string): string => `CASE WHEN __p.x = 0 THEN ${a} ELSE ${b} END`;
  const cols = ['__p.x AS __period', '__unit', `${pick('__v0', '__v1')} AS __v`, `${pick('__c0', '__c1')} AS __c`, ...dimExprs];
  return `SELECT ${cols.join(', ')} FROM (${source}) __s CROSS JOIN (VALUES (0), (1)) __p(x) WHERE ${pick('__c0', '__c1')} > 0`;
}

/** The units table from AGG_TABLE's per-unit rows (file data or --where). */
export function unitsFromAggSql(dimCount: number): string {
  const dims = Array.from({ length: dimCount }, (_, i) => dimCol(i));
  return `CREATE OR REPLACE TEMP TABLE ${UNITS_TABLE} AS ${unpivotUnits(`SELECT * FROM ${AGG_TABLE} WHERE __day IS NULL`, dims)}`;
}

/** Daily count and value sum per period from AGG_TABLE's per-day rows. */
export function dailyFromAggSql(): string {
  const day = 'epoch_ms(CAST(__day AS TIMESTAMP))';
  return `SELECT 0 AS period, ${day} AS day, __c0 AS c, __v0 AS v FROM ${AGG_TABLE} WHERE __day IS NOT NULL AND __c0 > 0
    UNION ALL SELECT 1 AS period, ${day} AS day, __c1 AS c, __v1 AS v FROM ${AGG_TABLE} WHERE __day IS NOT NULL AND __c1 > 0 ORDER BY 1, 2`;
}

/** The store's unit attributes: users plus derived cohort and tenure columns. */
export const USERS_VIEW = `SELECT unit_id, country, platform, plan, channel, tenure_days, created_at, attributes,
  strftime(date_trunc('week', created_at), '%Y-%m-%d') AS cohort,
  CASE WHEN tenure_days IS NULL THEN NULL WHEN tenure_days < 7 THEN '0-6d' WHEN tenure_days < 30 THEN '7-29d'
       WHEN tenure_days < 90 THEN '30-89d' WHEN tenure_days < 365 THEN '90-364d' ELSE '365d+' END AS tenure
  FROM users`;

const USER_COLUMNS = ['country', 'platform', 'plan', 'channel', 'tenure_days', 'created_at', 'attributes', 'cohort', 'tenure'];

/** Column name of an experiment's group in the store rows view. */
export function experimentColumn(experiment: string): string {
  return `experiment:${experiment}`;
}

function storeJoins(unitRef: string, experiments: string[]): { select: string[]; joins: string } {
  const select = USER_COLUMNS.map((c) => `__u.${c}`);
  let joins = ` LEFT JOIN (${USERS_VIEW}) __u ON __u.unit_id = ${unitRef}`;
  experiments.forEach((x, i) => {
    select.push(`__x${i}.group_name AS ${quoteIdent(experimentColumn(x))}`);
    joins += ` LEFT JOIN exposures __x${i} ON __x${i}.unit_id = ${unitRef} AND __x${i}.experiment = ${quoteLiteral(x)}`;
  });
  return { select, joins };
}

/** Event-level rows of the store for one event, joined to unit attributes and experiment groups. */
export function storeRowsSql(event: string, experiments: string[]): string {
  const { select, joins } = storeJoins('__e.unit_id', experiments);
  return `SELECT __e.unit_id, __e.event, __e.ts, __e.value, __e.metadata, ${select.join(', ')} FROM events __e${joins} WHERE __e.event = ${quoteLiteral(event)}`;
}

/**
 * The store, step 1: one scan of the event's rows aggregates per unit (both periods side by side)
 * and, in the same pass, per day (GROUPING SETS) into AGG_TABLE. With --where the rows are the
 * event-level join (storeRowsSql) so the condition can use unit attributes; dimensions are per
 * unit in the store, so the grouping stays per unit either way.
 */
export function storeAggSql(event: string, agg: Agg, periods: Periods, where: { rows: string; condition: string } | null, valueExpr = 'value'): string {
  const filters = [timeFilter('ts', periods)];
  if (agg !== 'count') filters.push(`${valueExpr} IS NOT NULL`);
  const x = agg === 'count' ? '1' : valueExpr;
  const from = where ? `(${where.rows}) __r` : 'events';
  if (where) filters.push(`(${where.condition})`);
  else filters.unshift(`event = ${quoteLiteral(event)}`);
  return `CREATE OR REPLACE TEMP TABLE ${AGG_TABLE} AS SELECT unit_id AS __unit, CAST(ts AS DATE) AS __day, ${periodSums(x, inPeriodSql('ts', periods.baseline))}
    FROM ${from} WHERE ${filters.join(' AND ')} GROUP BY GROUPING SETS ((unit_id), (CAST(ts AS DATE)))`;
}

/** Step 2: join the per-unit rows to the (much smaller) unit attributes, one row per unit and active period. */
export function storeUnitsSql(experiments: string[], dims: DimensionDef[]): string {
  const { select, joins } = storeJoins('__a.__unit', experiments);
  const joined = `SELECT __a.__unit, __a.__v0, __a.__c0, __a.__v1, __a.__c1, ${select.join(', ')} FROM (SELECT * FROM ${AGG_TABLE} WHERE __day IS NULL) __a${joins}`;
  const dimSel = dims.map((d, i) => `${dimValueSql(d.expr)} AS ${dimCol(i)}`);
  return `CREATE OR REPLACE TEMP TABLE ${UNITS_TABLE} AS ${unpivotUnits(joined, dimSel)}`;
}

const SUMS = `CAST(count(*) AS DOUBLE) AS n, sum(__v) AS v, sum(__c) AS c, sum(__v * __v) AS vv, sum(__c * __c) AS cc, sum(__v * __c) AS vc`;

/** Per-unit rows: the units table itself when it has one row per unit and period, else re-aggregated. */
function perUnit(unitLevel: boolean): string {
  return unitLevel ? UNITS_TABLE : `(SELECT __period, __unit, sum(__v) AS __v, sum(__c) AS __c FROM ${UNITS_TABLE} GROUP BY 1, 2)`;
}

/** The period totals over units. */
export function overallSql(unitLevel: boolean): string {
  return `SELECT __period AS period, ${SUMS} FROM ${perUnit(unitLevel)} GROUP BY 1 ORDER BY 1`;
}

/**
 * One scan of the units table: rows and, with a unit column, distinct (period, unit) pairs (equal
 * counts mean the dimensions are constant per unit); each dimension's distinct values (k<i>) and
 * '(none)' rows (z<i>); the period sums (n0, v0, ..., vc1) valid when rows are units; and the
 * per-unit quantiles (q0, q1) when asked and rows are units.
 */
export function profileSql(dimCount: number, opts: { checkUnits: boolean; agg: Agg; quantiles: boolean }): string {
  const parts = ['count(*) AS rows'];
  if (opts.checkUnits) parts.push('count(DISTINCT (__period, __unit)) AS unit_rows');
  for (let i = 0; i < dimCount; i++) {
    parts.push(`count(DISTINCT ${dimCol(i)}) FILTER (WHERE ${dimCol(i)} <> ${quoteLiteral(NONE)}) AS k${i}`);
    parts.push(`count(*) FILTER (WHERE ${dimCol(i)} = ${quoteLiteral(NONE)}) AS z${i}`);
  }
  for (const p of [0, 1]) {
    const f = `FILTER (WHERE __period = ${p})`;
    parts.push(
      `CAST(count(*) ${f} AS DOUBLE) AS n${p}`,
      `coalesce(sum(__v) ${f}, 0) AS v${p}`,
      `coalesce(sum(__c) ${f}, 0) AS c${p}`,
      `coalesce(sum(__v * __v) ${f}, 0) AS vv${p}`,
      `coalesce(sum(__c * __c) ${f}, 0) AS cc${p}`,
      `coalesce(sum(__v * __c) ${f}, 0) AS vc${p}`,
    );
    if (opts.quantiles && !opts.checkUnits) parts.push(`quantile_cont(${opts.agg === 'mean' ? '__v / __c' : '__v'}, [${PERCENTILES.join(', ')}]) ${f} AS q${p}`);
  }
  return `SELECT ${parts.join(', ')} FROM ${UNITS_TABLE}`;
}

function num(x: number): string {
  if (!Number.isFinite(x)) return '0';
  return `CAST(${x.toPrecision(17)} AS DOUBLE)`;
}

/** The values of one dimension that move the metric most (see math.ts decompose), at most `limit`. */
export function topValuesSql(dim: number, limit: number, p: ImpactParams): string {
  const d = dimCol(dim);
  const agg = `SELECT ${d} AS val,
    CAST(count(*) FILTER (WHERE __period = 0) AS DOUBLE) AS n0, CAST(count(*) FILTER (WHERE __period = 1) AS DOUBLE) AS n1,
    coalesce(sum(__v) FILTER (WHERE __period = 0), 0) AS v0, coalesce(sum(__v) FILTER (WHERE __period = 1), 0) AS v1,
    coalesce(sum(__c) FILTER (WHERE __period = 0), 0) AS c0, coalesce(sum(__c) FILTER (WHERE __period = 1), 0) AS c1
    FROM ${UNITS_TABLE} WHERE ${d} <> ${quoteLiteral(NONE)} GROUP BY 1`;
  const impact =
    p.agg === 'mean'
      ? `(CASE WHEN ${num(p.C1)} > 0 THEN (v1 - ${num(p.M0)} * c1) / ${num(p.C1)} ELSE 0 END) - (CASE WHEN ${num(p.C0)} > 0 THEN (v0 - ${num(p.M0)} * c0) / ${num(p.C0)} ELSE 0 END)`
      : `v1 - ${num(p.k)} * v0`;
  return `SELECT val FROM (${agg}) ORDER BY abs(${impact}) DESC, n0 + n1 DESC, val LIMIT ${Math.max(1, Math.floor(limit))}`;
}

/** A dimension's column with capped values folded into '(other)'. */
export function cappedDimSql(dim: number, keep: string[] | null): string {
  const d = dimCol(dim);
  if (keep === null) return d;
  const list = [NONE, ...keep].map(quoteLiteral).join(', ');
  return `CASE WHEN ${d} IN (${list}) THEN ${d} ELSE ${quoteLiteral(OTHER)} END`;
}

/**
 * Sufficient statistics per period for each grouping (a list of dimension indices: [i] for one
 * dimension, [i, j] for a 2-D cell). Rows carry the values as k<i>, NULL for dimensions not in
 * the row's grouping (dimension values themselves are never NULL: they are '(none)').
 */
export function groupingSql(groupings: number[][], keep: (string[] | null)[], unitLevel: boolean): string {
  const used = [...new Set(groupings.flat())].sort((a, b) => a - b);
  const capped = (i: number): string => `${cappedDimSql(i, keep[i] ?? null)} AS ${dimCol(i)}`;
  if (unitLevel) {
    const src = `SELECT __period, __v, __c${used.map((i) => `, ${capped(i)}`).join('')} FROM ${UNITS_TABLE}`;
    const sets = groupings.map((g) => `(__period${g.map((i) => `, ${dimCol(i)}`).join('')})`).join(', ');
    return `SELECT __period AS period, ${used.map((i) => `${dimCol(i)} AS k${i}`).join(', ')}, ${SUMS} FROM (${src}) GROUP BY GROUPING SETS (${sets})`;
  }
  // Units appear in several rows (dimensions vary within a unit): re-aggregate per unit for each grouping.
  const parts = groupings.map((g) => {
    const cols = g.map((i) => capped(i));
    const keys = g.map(dimCol);
    const perUnit = `SELECT __period, __unit${keys.map((k) => `, ${k}`).join('')}, sum(__v) AS __v, sum(__c) AS __c FROM (SELECT __period, __unit, __v, __c${cols.map((c) => `, ${c}`).join('')} FROM ${UNITS_TABLE}) GROUP BY ALL`;
    const sel = used.map((i) => (g.includes(i) ? `${dimCol(i)} AS k${i}` : `CAST(NULL AS VARCHAR) AS k${i}`));
    return `SELECT __period AS period, ${sel.join(', ')}, ${SUMS} FROM (${perUnit}) GROUP BY ALL`;
  });
  return parts.join(' UNION ALL ');
}

/** Daily count and value sum for the noise check. */
export function dailySql(src: RowsSource, agg: Agg, periods: Periods, where: string | null): string {
  const filters = [timeFilter(src.timeExpr, periods)];
  if (agg !== 'count' && src.valueExpr !== null) filters.push(`${src.valueExpr} IS NOT NULL`);
  if (where) filters.push(`(${where})`);
  return `SELECT __period AS period, day, CAST(count(*) AS DOUBLE) AS c, sum(__v) AS v FROM (
    SELECT ${periodCase(src.timeExpr, periods)} AS __period, epoch_ms(CAST(CAST(${src.timeExpr} AS DATE) AS TIMESTAMP)) AS day, CAST(${rowValue(agg, src.valueExpr)} AS DOUBLE) AS __v
    FROM (${src.rows}) __r WHERE ${filters.join(' AND ')}) GROUP BY 1, 2 ORDER BY 1, 2`;
}

export const PERCENTILES = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99] as const;

/** Quantiles of the per-unit metric (value per unit; per-unit mean for means) in each period. */
export function percentilesSql(agg: Agg, unitLevel: boolean): string {
  const x = agg === 'mean' ? '__v / __c' : '__v';
  return `SELECT __period AS period, quantile_cont(${x}, [${PERCENTILES.join(', ')}]) AS q FROM ${perUnit(unitLevel)} GROUP BY 1 ORDER BY 1`;
}
