/**
 * The unit-level relation of store-mode analyze on DuckDB: one row per exposed unit with each
 * metric component after first exposure and over the pre-period, from the events in one pass.
 *
 * The same numbers as the portable query in experiment.ts (which warehouses run), in a shape that
 * costs DuckDB about a third of the CPU on a seeded store (bench/analyze-store.ts):
 *   - the events a metric reads are picked by a join with a small (event, code) list, cheaper
 *     than `event IN (...)` on a text column, and carry a small integer code;
 *   - each row gets one integer `c = 2 code + post`, so every aggregate filters on an integer
 *     (`c = 3`), not on a text comparison repeated per aggregate;
 *   - distinct days (event_dau) are a bitmask of day offsets per unit (bit_or, then bit_count)
 *     when the data span at most 62 days around first exposure, instead of count(DISTINCT),
 *     which builds a hash table per unit and day and cost more than the rest of the query.
 * No CTEs: plain subqueries.
 */
import type { MetricComponent } from '../store/metrics.js';
import type { Dialect } from './dialect.js';

export interface UnitColumn {
  /** The column's name in the relation (m0_v_post, m1_num_pre, ...). */
  alias: string;
  component: MetricComponent;
  /** After first exposure (true) or in the pre-period (false). */
  post: boolean;
}

export interface StoreUnitsPlan {
  tables: { events: string; exposures: string; users: string };
  experiment: string;
  /** Days before first exposure that count as the pre-period (whole days). */
  preDays: number;
  columns: UnitColumn[];
  /** User properties joined per unit. */
  properties: readonly string[];
  /**
   * Whole days from the experiment's earliest first exposure to the latest event (dates), which
   * bounds every unit's day offset; null when unknown (distinct days then use count(DISTINCT)).
   */
  daySpan: number | null;
}

/** Bits of a BIGINT mask a day offset may use (bit 63 is the sign: left-shifting into it overflows). */
export const DAY_BITS = 63;

/** Whether distinct days fit one BIGINT bitmask per unit: offsets 0 .. preDays + daySpan. */
export function daysFitMask(preDays: number, daySpan: number | null): boolean {
  return daySpan !== null && Math.trunc(preDays) + daySpan < DAY_BITS;
}

/** The SELECT of the unit-level relation (columns: unit_id, group_name, each alias, each property). */
export function storeUnitsSql(plan: StoreUnitsPlan, d: Dialect): string {
  const events = [...new Set(plan.columns.map((c) => c.component.event))];
  const code = new Map(events.map((e, i) => [e, i]));
  const pre = Math.trunc(plan.preDays);
  const mask = daysFitMask(pre, plan.daySpan);
  const needs = (agg: MetricComponent['agg']): boolean => plan.columns.some((c) => c.component.agg === agg);
  const aggregate = (c: UnitColumn): string => {
    const k = `c = ${2 * (code.get(c.component.event) as number) + (c.post ? 1 : 0)}`;
    switch (c.component.agg) {
      case 'count':
        return d.count(k);
      case 'sum':
        return `coalesce(${d.sum('value', k)}, 0)`;
      case 'any':
        return `CASE WHEN ${d.count(k)} > 0 THEN 1 ELSE 0 END`;
      case 'days':
        return mask ? `bit_count(coalesce(bit_or(day_bit) FILTER (WHERE ${k}), 0))` : `count(DISTINCT day) FILTER (WHERE ${k})`;
    }
  };
  const exposed = `SELECT unit_id, group_name, first_exposure FROM ${plan.tables.exposures} WHERE experiment = ${d.literal(plan.experiment)}`;
  const codes = events.map((e, i) => `SELECT ${d.literal(e)} AS event, ${i} AS code`).join(' UNION ALL ');
  const rowCols = [
    'ev.unit_id',
    'm.code * 2 + CASE WHEN ev.ts >= f.first_exposure THEN 1 ELSE 0 END AS c',
    ...(needs('sum') ? ['ev.value AS value'] : []),
    ...(needs('days') ? [mask ? `CAST(1 AS BIGINT) << CAST(CAST(ev.ts AS DATE) - CAST(f.first_exposure AS DATE) + ${pre} AS INTEGER) AS day_bit` : 'CAST(ev.ts AS DATE) AS day'] : []),
  ];
  const rows = `SELECT ${rowCols.join(', ')}
      FROM ${plan.tables.events} AS ev
      JOIN (${codes}) AS m ON ev.event = m.event
      JOIN (${exposed}) AS f ON ev.unit_id = f.unit_id
      WHERE ev.ts >= f.first_exposure - ${d.days(pre)}`;
  const perUnit = `SELECT unit_id, ${plan.columns.map((c) => `${d.double(aggregate(c))} AS ${d.ident(c.alias)}`).join(', ')}
    FROM (${rows}) AS e GROUP BY unit_id`;
  return `SELECT x.unit_id, x.group_name, ${plan.columns.map((c) => `coalesce(a.${d.ident(c.alias)}, 0) AS ${d.ident(c.alias)}`).join(', ')}${plan.properties.map((p) => `, u.${p}`).join('')}
  FROM (${exposed}) AS x
  LEFT JOIN (${perUnit}) AS a ON a.unit_id = x.unit_id
  LEFT JOIN ${plan.tables.users} AS u ON u.unit_id = x.unit_id`;
}

/** The query for StoreUnitsPlan.daySpan: DuckDB answers max(ts) of a whole table from its statistics. */
export function daySpanSql(plan: Pick<StoreUnitsPlan, 'tables' | 'experiment'>, d: Dialect): string {
  return `SELECT CAST(max(ts) AS DATE) - (SELECT CAST(min(first_exposure) AS DATE) FROM ${plan.tables.exposures} WHERE experiment = ${d.literal(plan.experiment)}) AS span FROM ${plan.tables.events}`;
}
