/**
 * whatchanged on a warehouse engine (--engine): the SQL that returns only aggregates, in the
 * engine's dialect, portable down to ClickHouse 18.16 (no CTEs, no GROUPING SETS, one JOIN per
 * SELECT, USING joins). Nothing is written to the warehouse; every query is one SELECT:
 *
 *  - perUnitSql: the metric per unit and period (Σ value or events, and events) from the events
 *    table; unitsSql joins it (nested, one LEFT JOIN per level) to the users table and to one
 *    exposures subquery per experiment, and names each dimension's value as text, NULL as '(none)'.
 *  - groupingsSql: sufficient statistics (n, Σv, Σc, Σv², Σc², Σvc) per period and value for
 *    several groupings at once, in ONE scan: the units cross joined to a small list of grouping
 *    numbers (an unpivot), grouped by (grouping, period, key(s)). Groupings are one dimension
 *    (per-value rows), two (2-D cells) or none (the period totals).
 *  - dailySql, quantilesSql, and the probes (events, value counts, non-finite values, time range).
 *
 * The math on what comes back is src/stats/whatchanged/ (fold.ts, math.ts).
 */
import type { Dialect } from '../dialect.js';
import type { Agg } from '../../stats/whatchanged/math.js';
import type { Period } from '../../stats/whatchanged/period.js';
import { NONE } from '../../stats/whatchanged/fold.js';

export interface WarehouseTables {
  /** Quoted relation names in the engine (dialect.table of the config's mapping). */
  events: string;
  users: string;
  exposures: string;
}

/** The users columns a built-in dimension reads. */
export const USER_DIMENSIONS: Readonly<Record<string, string>> = { country: 'country', platform: 'platform', plan: 'plan', channel: 'channel', tenure: 'tenure_days', cohort: 'created_at' };

/** A dimension on the engine: a users column's derived value, or an experiment's group. */
export type WarehouseDim = { name: string; kind: 'user'; builtin: string } | { name: string; kind: 'experiment'; experiment: string };

export interface WarehousePlan {
  dialect: Dialect;
  tables: WarehouseTables;
  event: string;
  agg: Agg;
  periods: { baseline: Period; current: Period };
  /** The value expression over the events table (NaN-guarded with --non-finite null). */
  value: string;
  /** --where, over the events table's columns. */
  where: string | null;
  dims: WarehouseDim[];
}

/** A timestamp literal the engine compares with its timestamp column. */
export function timestampSql(d: Dialect, t: Date): string {
  const iso = t.toISOString().replace('T', ' ').replace('Z', '');
  // ClickHouse's DateTime has whole seconds and its own constructor.
  if (d.name === 'clickhouse') return `toDateTime(${d.literal(iso.slice(0, 19))})`;
  return `TIMESTAMP ${d.literal(iso)}`;
}

/** The UTC day of a timestamp as 'YYYY-MM-DD' text. */
export function dayTextSql(d: Dialect, expr: string): string {
  if (d.name === 'clickhouse') return `toString(toDate(${expr}))`;
  return d.text(`CAST(${expr} AS DATE)`);
}

/** The Monday of a timestamp's ISO week as 'YYYY-MM-DD' text (the cohort dimension). */
export function weekTextSql(d: Dialect, expr: string): string {
  if (d.name === 'clickhouse') return `toString(toMonday(${expr}))`;
  if (d.name === 'bigquery') return `CAST(DATE_TRUNC(CAST(${expr} AS DATE), ISOWEEK) AS STRING)`;
  return d.text(`CAST(date_trunc('week', ${expr}) AS DATE)`);
}

/** ClickHouse fills unmatched LEFT JOIN columns with type defaults ('' for String) unless told otherwise. */
function joinSettings(d: Dialect): string {
  return d.name === 'clickhouse' ? ' SETTINGS join_use_nulls = 1' : '';
}

function inPeriod(d: Dialect, p: Period): string {
  return `(ts >= ${timestampSql(d, p.from)} AND ts < ${timestampSql(d, p.to)})`;
}

function periodCase(plan: WarehousePlan): string {
  return `CASE WHEN ${inPeriod(plan.dialect, plan.periods.baseline)} THEN 0 ELSE 1 END`;
}

/** The event rows in either period that the metric reads. */
function eventFilter(plan: WarehousePlan): string {
  const d = plan.dialect;
  const parts = [`event = ${d.literal(plan.event)}`, `(${inPeriod(d, plan.periods.baseline)} OR ${inPeriod(d, plan.periods.current)})`];
  if (plan.agg !== 'count') parts.push(`${plan.value} IS NOT NULL`);
  if (plan.where !== null) parts.push(`(${plan.where})`);
  return parts.join(' AND ');
}

function rowValue(plan: WarehousePlan): string {
  return plan.agg === 'count' ? '1' : plan.value;
}

/** One row per unit and period it was active in: __unit, __period, __v (metric), __c (events). */
export function perUnitSql(plan: WarehousePlan): string {
  const d = plan.dialect;
  const period = periodCase(plan);
  return `SELECT unit_id AS __unit, ${period} AS __period, ${d.double(`SUM(${rowValue(plan)})`)} AS __v, ${d.double('COUNT(*)')} AS __c FROM ${plan.tables.events} WHERE ${eventFilter(plan)} GROUP BY unit_id, ${period}`;
}

/** Dimension i's value column in unitsSql. */
export function dimColumn(i: number): string {
  return `__d${i}`;
}

function dimValue(plan: WarehousePlan, dim: WarehouseDim, expIndex: number): string {
  const d = plan.dialect;
  if (dim.kind === 'experiment') return `__x${expIndex}`;
  const col = `__u_${USER_DIMENSIONS[dim.builtin] as string}`;
  if (dim.builtin === 'tenure') {
    return `CASE WHEN ${col} IS NULL THEN NULL WHEN ${col} < 7 THEN '0-6d' WHEN ${col} < 30 THEN '7-29d' WHEN ${col} < 90 THEN '30-89d' WHEN ${col} < 365 THEN '90-364d' ELSE '365d+' END`;
  }
  if (dim.builtin === 'cohort') return weekTextSql(d, col);
  return d.text(col);
}

/**
 * The per-unit rows joined to their dimensions: __period, __v, __c and __d<i> (text, '(none)' for
 * NULL or no match). One LEFT JOIN per nesting level (ClickHouse 18.16 takes one per SELECT).
 */
export function unitsSql(plan: WarehousePlan): string {
  const d = plan.dialect;
  const userCols = [...new Set(plan.dims.flatMap((x) => (x.kind === 'user' ? [USER_DIMENSIONS[x.builtin] as string] : [])))];
  const experiments = [...new Set(plan.dims.flatMap((x) => (x.kind === 'experiment' ? [x.experiment] : [])))];
  const cols = ['__unit', '__period', '__v', '__c'];
  let rel = perUnitSql(plan);
  let level = 0;
  if (userCols.length > 0) {
    const picked = userCols.map((c) => `${c} AS __u_${c}`).join(', ');
    rel = `SELECT ${cols.join(', ')}, ${userCols.map((c) => `__u_${c}`).join(', ')} FROM (${rel}) AS __j${level} LEFT JOIN (SELECT unit_id AS __unit, ${picked} FROM ${plan.tables.users}) AS __r${level} USING (__unit)`;
    cols.push(...userCols.map((c) => `__u_${c}`));
    level += 1;
  }
  experiments.forEach((x, i) => {
    rel = `SELECT ${cols.join(', ')}, __x${i} FROM (${rel}) AS __j${level} LEFT JOIN (SELECT unit_id AS __unit, group_name AS __x${i} FROM ${plan.tables.exposures} WHERE experiment = ${d.literal(x)}) AS __r${level} USING (__unit)`;
    cols.push(`__x${i}`);
    level += 1;
  });
  const dims = plan.dims.map((dim, i) => `coalesce(${dimValue(plan, dim, dim.kind === 'experiment' ? experiments.indexOf(dim.experiment) : -1)}, ${d.literal(NONE)}) AS ${dimColumn(i)}`);
  return `SELECT __period, __v, __c${dims.map((x) => `, ${x}`).join('')} FROM (${rel}) AS __joined`;
}

/**
 * Sufficient statistics per grouping, period and value(s) in one scan of the units: rows
 * grp (the grouping's index), per (0 baseline, 1 current), k1 and k2 (the values; '' where the
 * grouping has fewer dimensions), n, v, c, vv, cc, vc. A grouping lists dimension indices
 * ([] = the period totals, [i] = dimension i, [i, j] = the 2-D cells of i and j).
 */
export function groupingsSql(plan: WarehousePlan, groupings: readonly (readonly number[])[]): string {
  const d = plan.dialect;
  // A slot no grouping uses is the constant '' (and not grouped by: PostgreSQL refuses GROUP BY '').
  const key = (slot: number): string | null => {
    const arms = groupings.map((g, gi) => (g[slot] === undefined ? null : `WHEN __grp = ${gi} THEN ${dimColumn(g[slot])}`)).filter((x): x is string => x !== null);
    return arms.length === 0 ? null : `CASE ${arms.join(' ')} ELSE ${d.literal('')} END`;
  };
  const keys = [key(0), key(1)];
  const [k1, k2] = keys.map((k) => k ?? d.literal(''));
  const groupBy = ['__grp', '__period', ...keys.filter((k): k is string => k !== null)].join(', ');
  const list = groupings.map((_, gi) => `SELECT ${gi} AS __grp`).join(' UNION ALL ');
  const sums = [
    `${d.double('COUNT(*)')} AS n`,
    `SUM(__v) AS v`,
    `SUM(__c) AS c`,
    `SUM(__v * __v) AS vv`,
    `SUM(__c * __c) AS cc`,
    `SUM(__v * __c) AS vc`,
  ].join(', ');
  return `SELECT __grp AS grp, __period AS per, ${k1} AS k1, ${k2} AS k2, ${sums} FROM (${unitsSql(plan)}) AS __units CROSS JOIN (${list}) AS __groupings GROUP BY ${groupBy}${joinSettings(d)}`;
}

/** Daily events and metric sum per period (the day-to-day noise check); day as 'YYYY-MM-DD'. */
export function dailySql(plan: WarehousePlan): string {
  const d = plan.dialect;
  const period = periodCase(plan);
  const day = dayTextSql(d, 'ts');
  return `SELECT ${period} AS per, ${day} AS day, ${d.double('COUNT(*)')} AS c, ${d.double(`SUM(${rowValue(plan)})`)} AS v FROM ${plan.tables.events} WHERE ${eventFilter(plan)} GROUP BY ${period}, ${day}`;
}

/** Quantiles of the per-unit metric (per event for means) in each period: per, q0..q<n-1>. */
export function quantilesSql(plan: WarehousePlan, ps: readonly number[]): string {
  const d = plan.dialect;
  const x = plan.agg === 'mean' ? '(__v / __c)' : '__v';
  return `SELECT __period AS per, ${ps.map((p, i) => `${d.quantile(x, p)} AS q${i}`).join(', ')} FROM (${perUnitSql(plan)}) AS __per_unit GROUP BY __period`;
}

/** Events and events with a value for one event name. */
export function probeSql(d: Dialect, events: string, event: string): string {
  return `SELECT COUNT(*) AS n, COUNT(value) AS nv FROM ${events} WHERE event = ${d.literal(event)}`;
}

/** The most frequent event names (for hints). */
export function eventNamesSql(d: Dialect, events: string): string {
  return `SELECT ${d.text('event')} AS event, COUNT(*) AS n FROM ${events} GROUP BY event ORDER BY n DESC, event LIMIT 200`;
}

/** First and last event time as text. */
export function rangeSql(d: Dialect, events: string, event: string): string {
  return `SELECT ${d.text('MIN(ts)')} AS lo, ${d.text('MAX(ts)')} AS hi FROM ${events} WHERE event = ${d.literal(event)}`;
}

/** Rows of one event whose value is NaN or ±Infinity. */
export function nonFiniteSql(d: Dialect, events: string, event: string): string {
  return `SELECT ${d.count(`NOT ${d.isFinite(d.double('value'))}`)} AS n FROM ${events} WHERE event = ${d.literal(event)}`;
}

/** Non-NULL values of each users column (auto mode keeps the built-ins that have data). */
export function userColumnsSql(d: Dialect, users: string, columns: readonly string[]): string {
  return `SELECT ${columns.map((c) => `COUNT(${c}) AS ${d.ident(c)}`).join(', ')} FROM ${users}`;
}

/** Experiments with exposures. */
export function experimentsSql(d: Dialect, exposures: string): string {
  return `SELECT DISTINCT ${d.text('experiment')} AS experiment FROM ${exposures} ORDER BY experiment`;
}

/** Parses an engine's timestamp text (UTC-naive, as the store's) into a Date. */
export function parseTimestampText(v: unknown): Date | null {
  if (v instanceof Date) return v;
  if (typeof v !== 'string' || v.trim() === '') return null;
  const s = v.trim().replace(' ', 'T');
  const withZone = /([+-]\d{2}(:?\d{2})?|Z)$/.test(s) && /T/.test(s) ? s.replace(/([+-]\d{2})$/, '$1:00') : `${s}Z`;
  const t = new Date(withZone);
  return Number.isNaN(t.getTime()) ? null : t;
}
