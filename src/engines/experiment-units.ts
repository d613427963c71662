/**
 * The experiment's unit-level relation (store mode of analyze) without common table expressions,
 * for engines that have none (ClickHouse 18.16: `WITH` there names scalars, not subqueries) and at
 * most one JOIN per SELECT. The same rows as experiment.ts' WITH form:
 *
 *   x    the experiment's exposures (unit, group, first exposure)
 *   e    the used events of exposed units from preDays before their first exposure, `post` flagged
 *   agg  per unit, the metric aggregates over e
 *   out  x LEFT JOIN agg (aggregates of units without events are 0), then LEFT JOIN users
 *
 * Every table is read through its own sub-SELECT (so on a ClickHouse Distributed table the filter
 * runs on the shards and the join on the rows that come back), joins are USING (unit_id), and each
 * layer names its columns apart from the ones it reads (no alias shadows a column it is made of).
 */
import type { Dialect } from './dialect.js';

export interface UnitsParts {
  tables: { events: string; exposures: string; users: string };
  experiment: string;
  events: string[];
  preDays: number;
  /** `<aggregate over e> AS <quoted alias>` per metric column (e has unit_id, event, value, ts, post). */
  aggs: string[];
  /** The quoted aliases of `aggs`, in order. */
  aliases: string[];
  properties: string[];
}

export function unitsWithoutCtes(d: Dialect, p: UnitsParts): string {
  const exposures = `(SELECT unit_id, group_name, first_exposure FROM ${p.tables.exposures} WHERE experiment = ${d.literal(p.experiment)})`;
  const events = `(SELECT unit_id, event AS __event, value AS __value, ts AS __ts FROM ${p.tables.events} WHERE event IN (${p.events.map((e) => d.literal(e)).join(', ')}))`;
  const e = `(SELECT unit_id, __event AS event, coalesce(__value, 0) AS value, __ts AS ts, __ts >= first_exposure AS post
      FROM ${events} AS __ev INNER JOIN ${exposures} AS __x USING (unit_id)
      WHERE __ts >= first_exposure - ${d.days(p.preDays)})`;
  const agg = `(SELECT unit_id, ${p.aggs.join(', ')} FROM ${e} AS __e GROUP BY unit_id)`;
  const joined = `(SELECT unit_id, group_name, ${p.aliases.map((a, i) => `${a} AS __j${i}`).join(', ')}
    FROM ${exposures} AS __x LEFT JOIN ${agg} AS __agg USING (unit_id))`;
  const users = `(SELECT unit_id, ${p.properties.map((c) => `${c} AS __u_${c}`).join(', ')} FROM ${p.tables.users})`;
  return `SELECT unit_id, group_name, ${p.aliases.map((a, i) => `coalesce(__j${i}, 0) AS ${a}`).join(', ')},
      ${p.properties.map((c) => `__u_${c} AS ${c}`).join(', ')}
    FROM ${joined} AS __xa LEFT JOIN ${users} AS __u USING (unit_id)`;
}
