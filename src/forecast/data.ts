/**
 * Loading series through DuckDB: a metrics file (CSV / Parquet / JSON) or the project
 * store's events. Each is one aggregation query that returns per-(group, time) sufficient
 * statistics; no unit-level rows reach JavaScript.
 */
import path from 'node:path';
import { UserError, didYouMean, errorMessage } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { quoteIdent, quoteLiteral } from '../store/store.js';
import type { RawPoint, RawSeries } from './series.js';
import { gridTime } from './calendar.js';
import { productEventSql } from '../store/tool-events.js';
import { FREQ_SECONDS, type Freq } from './types.js';

export interface FileSeriesSpec {
  file: string;
  time: string;
  value: string;
  by?: string | null | undefined;
  /** Extra numeric columns for Prophet (--regressor); rows after the last value give their future. */
  regressors?: string[] | undefined;
}

export type StoreAgg = 'count' | 'sum' | 'mean' | 'dau';
export const STORE_AGGS: readonly StoreAgg[] = ['count', 'sum', 'mean', 'dau'];

export interface StoreSeriesSpec {
  /** An event name, or `dau` for distinct active units over all events. */
  metric: string;
  agg?: StoreAgg | undefined;
  /** A users column (country, platform, plan, ...) or an event metadata key. */
  by?: string | null | undefined;
  /** Bucket size; daily by default. */
  freq?: Freq | undefined;
}

export interface Loaded {
  raw: RawSeries[];
  warnings: string[];
  /** The aggregation actually used (store mode). */
  agg?: StoreAgg;
  /** Where the grouping came from (store mode). */
  byKind?: 'users' | 'metadata' | null;
}

const TIME_TYPES = /^(DATE|TIMESTAMP.*|TIME WITH TIME ZONE)$/i;
const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|REAL|DOUBLE|DECIMAL.*)$/i;

function suggest(name: string, columns: string[]): string {
  const lower = name.toLowerCase();
  const close = columns.find((c) => c.toLowerCase() === lower);
  return close ? `did you mean "${close}"? ` : '';
}

/** A group value from DuckDB as a string label. */
function label(v: unknown, none: string): string {
  if (v === null || v === undefined) return none;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

type SeriesRow = { g: unknown; t: unknown; n: unknown; valid: unknown; s: unknown; mn: unknown } & Record<string, unknown>;

function rowsToSeries(rows: SeriesRow[], grouped: boolean, regressors = 0): RawSeries[] {
  const map = new Map<string, RawPoint[]>();
  for (const r of rows) {
    const key = grouped ? label(r.g, '(null)') : '';
    const list = map.get(key) ?? [];
    const point: RawPoint = { t: Number(r.t), n: Number(r.n), valid: Number(r.valid), sum: Number(r.s ?? 0), min: r.mn === null || r.mn === undefined ? null : Number(r.mn) };
    if (regressors > 0) point.x = Array.from({ length: regressors }, (_, j) => (r[`x${j}`] === null || r[`x${j}`] === undefined ? null : Number(r[`x${j}`])));
    list.push(point);
    map.set(key, list);
  }
  return [...map.entries()].map(([key, points]) => ({ key: grouped ? key : null, points }));
}

/** Cells read as missing in a text column, like an empty cell (compared trimmed, case-insensitive). */
export const MISSING_MARKERS: readonly string[] = ['', 'NA', 'N/A', 'NAN', 'NULL', 'NONE', '-'];

/** SQL: the (quoted) column holds one of the missing markers. */
function missingText(q: string): string {
  return `upper(trim(CAST(${q} AS VARCHAR))) IN (${MISSING_MARKERS.map((m) => quoteLiteral(m)).join(', ')})`;
}

/**
 * A DOUBLE expression for a column: numeric and boolean columns as they are; text columns
 * parsed, with the missing markers ("NA", "NaN", "null", "", ...) as NULL. Throws a UserError
 * naming an example when other text is not a number.
 */
export async function numericColumn(store: Store, reader: string, column: string, type: string, hint: string): Promise<string> {
  const q = quoteIdent(column);
  if (NUMERIC_TYPES.test(type)) return `${q}::DOUBLE`;
  if (/^BOOLEAN$/i.test(type)) return `${q}::INTEGER::DOUBLE`;
  const missing = missingText(q);
  // The first bad value with its data row (1 = the first row after the header), in file order.
  const bad = await store.all<{ n: number; example: string | null; row: number | null }>(
    `SELECT count(*) AS n, arg_min(CAST(${q} AS VARCHAR), rn) AS example, min(rn) AS row
     FROM (SELECT *, row_number() OVER () AS rn FROM ${reader})
     WHERE ${q} IS NOT NULL AND NOT ${missing} AND try_cast(trim(CAST(${q} AS VARCHAR)) AS DOUBLE) IS NULL`,
  );
  const n = Number(bad[0]?.n ?? 0);
  if (n > 0) {
    const row = bad[0]?.row === null || bad[0]?.row === undefined ? '' : ` (data row ${String(bad[0].row)})`;
    throw new UserError(`${n} value${n === 1 ? '' : 's'} in column "${column}" ${n === 1 ? 'is' : 'are'} not a number, e.g. "${String(bad[0]?.example ?? '').slice(0, 40)}"${row}`, {
      hint: `${hint} (empty cells, NA, NaN and null count as missing)`,
      code: 'FORECAST_BAD_VALUE',
    });
  }
  return `CASE WHEN ${missing} THEN NULL ELSE try_cast(trim(CAST(${q} AS VARCHAR)) AS DOUBLE) END`;
}

/** Reads `time`, `value` (and `by`) from a data file, grouped per timestamp. */
export async function loadFileSeries(store: Store, spec: FileSeriesSpec): Promise<Loaded> {
  const { describeFile } = await import('../store/import.js');
  const { reader, columns } = await describeFile(store, spec.file);
  const names = columns.map((c) => c.name);
  const base = path.basename(spec.file);
  const need = (flag: string, col: string): string => {
    const found = columns.find((c) => c.name === col);
    if (!found) {
      throw new UserError(`${base} has no column "${col}" (${flag})`, {
        hint: `${suggest(col, names)}the file's columns: ${names.join(', ')}`,
        code: 'FORECAST_COLUMN',
      });
    }
    return found.type;
  };
  const timeType = need('--time', spec.time);
  const valueType = need('--value', spec.value);
  if (spec.by) need('--by', spec.by);
  const regressors = spec.regressors ?? [];
  const regressorExprs: string[] = [];
  for (const col of regressors) {
    if (col === spec.time || col === spec.value || col === spec.by) {
      throw new UserError(`--regressor ${col} is already the ${col === spec.time ? 'time' : col === spec.value ? 'value' : 'group'} column`, { hint: 'name another numeric column of the file', code: 'USAGE', exitCode: 2 });
    }
    regressorExprs.push(await numericColumn(store, reader, col, need('--regressor', col), '--regressor must name a numeric column'));
  }
  const tq = quoteIdent(spec.time);
  const warnings: string[] = [];

  let timeExpr: string;
  if (/WITH TIME ZONE/i.test(timeType)) timeExpr = `epoch(${tq})`;
  else if (TIME_TYPES.test(timeType)) timeExpr = `epoch(CAST(${tq} AS TIMESTAMP))`;
  else if (NUMERIC_TYPES.test(timeType)) {
    const r = await store.all<{ lo: number | null; hi: number | null }>(`SELECT min(${tq})::DOUBLE AS lo, max(${tq})::DOUBLE AS hi FROM ${reader}`);
    const lo = Number(r[0]?.lo ?? 0);
    if (lo < 1e8) {
      throw new UserError(`column "${spec.time}" holds numbers (smallest ${lo}) that do not look like epoch seconds`, {
        hint: 'use ISO dates (2024-01-31) or epoch seconds / milliseconds in the time column',
        code: 'FORECAST_BAD_DATE',
      });
    }
    timeExpr = `CASE WHEN abs(${tq}::DOUBLE) >= 1e11 THEN ${tq}::DOUBLE / 1000 ELSE ${tq}::DOUBLE END`;
  } else {
    const bad = await store.all<{ n: number; example: string | null; row: number | null }>(
      `SELECT count(*) AS n, min(CAST(${tq} AS VARCHAR)) AS example, min(rn) AS row FROM (
         SELECT ${tq}, row_number() OVER () AS rn FROM ${reader}) WHERE ${tq} IS NOT NULL AND NOT ${missingText(tq)} AND try_cast(${tq} AS TIMESTAMP) IS NULL`,
    );
    const n = Number(bad[0]?.n ?? 0);
    if (n > 0) {
      throw new UserError(`${n} value${n === 1 ? '' : 's'} in column "${spec.time}" ${n === 1 ? 'is' : 'are'} not a date, e.g. "${bad[0]?.example ?? ''}" (data row ${bad[0]?.row ?? '?'})`, {
        hint: 'use ISO dates such as 2024-01-31 or 2024-01-31 13:00:00',
        code: 'FORECAST_BAD_DATE',
      });
    }
    timeExpr = `CASE WHEN ${missingText(tq)} THEN NULL ELSE epoch(try_cast(${tq} AS TIMESTAMP)) END`;
  }

  const valueExpr = await numericColumn(store, reader, spec.value, valueType, '--value must name a numeric column');
  // A missing group (empty, NA, null, ...: the value column's markers) is no group: those rows are
  // left out and counted, as pandas' groupby drops NaN keys (not a series named "NA").
  const groupExpr = spec.by ? `CASE WHEN ${missingText(quoteIdent(spec.by))} THEN NULL ELSE CAST(${quoteIdent(spec.by)} AS VARCHAR) END` : 'NULL';
  const kept = spec.by ? 't IS NOT NULL AND g IS NOT NULL' : 't IS NOT NULL';
  let ng = 0;
  let rows: SeriesRow[];
  const xSelect = regressorExprs.map((e, j) => `, ${e} AS x${j}`).join('');
  const xAgg = regressorExprs.map((_, j) => `, avg(x${j}) FILTER (WHERE isfinite(x${j})) AS x${j}`).join('');
  try {
    const nulls = await store.all<{ nt: number; ng: number }>(
      `SELECT count(*) FILTER (WHERE t IS NULL) AS nt, count(*) FILTER (WHERE t IS NOT NULL AND g IS NULL) AS ng FROM (SELECT ${timeExpr} AS t, ${groupExpr} AS g FROM ${reader})`,
    );
    const nt = Number(nulls[0]?.nt ?? 0);
    if (nt > 0) warnings.push(`${nt} row${nt === 1 ? '' : 's'} without a value in "${spec.time}" skipped`);
    ng = spec.by ? Number(nulls[0]?.ng ?? 0) : 0;
    if (ng > 0) warnings.push(`${ng.toLocaleString('en-US')} row${ng === 1 ? '' : 's'} with no ${spec.by} (empty, NA, null, ...) left out: they belong to no group`);
    rows = await store.all(
      `SELECT g, t, count(*) AS n, count(v) FILTER (WHERE isfinite(v)) AS valid,
              coalesce(sum(v) FILTER (WHERE isfinite(v)), 0) AS s, min(v) FILTER (WHERE isfinite(v)) AS mn${xAgg}
       FROM (SELECT ${groupExpr} AS g, ${timeExpr} AS t, ${valueExpr} AS v${xSelect} FROM ${reader}) WHERE ${kept}
       GROUP BY g, t ORDER BY g, t`,
    );
  } catch (error) {
    throw new UserError(`cannot read the series from ${base}: ${errorMessage(error).split('\n')[0] ?? ''}`, {
      hint: 'check --time and --value',
      code: 'FORECAST_READ',
      cause: error,
    });
  }
  if (rows.length === 0 && ng > 0) {
    throw new UserError(`every row of ${base} has no ${spec.by ?? ''} (empty, NA, null, ...)`, { hint: `--by must name a column that holds the groups; drop --by to forecast the total`, code: 'FORECAST_NO_DATA' });
  }
  if (rows.length === 0) throw new UserError(`${base} has no rows`, { hint: 'the file needs a header row and data rows', code: 'FORECAST_NO_DATA' });
  return { raw: rowsToSeries(rows, Boolean(spec.by), regressors.length), warnings };
}

/** DuckDB date_trunc units; the 5-30 minute frequencies use time_bucket. */
const TRUNC_UNIT: Partial<Record<Freq, string>> = { H: 'hour', D: 'day', W: 'week', M: 'month', Q: 'quarter' };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Daily (or hourly / weekly) series of one event metric from the store's events table. */
export async function loadStoreSeries(store: Store, spec: StoreSeriesSpec): Promise<Loaded> {
  const freq = spec.freq ?? 'D';
  const bucketSql = (ts: string): string => {
    const unit = TRUNC_UNIT[freq];
    return unit ? `date_trunc('${unit}', ${ts})` : `time_bucket(INTERVAL '${FREQ_SECONDS[freq]} seconds', ${ts})`;
  };
  const total = await store.all<{ n: number }>('SELECT count(*) AS n FROM events');
  if (Number(total[0]?.n ?? 0) === 0) {
    throw new UserError('the project store has no events', {
      hint: 'import events with `statsig-hack import events.csv --into events`, or try it on the demo\'s project: `statsig-hack demo`, then add --db .statsig-hack/demo.duckdb',
      code: 'FORECAST_NO_DATA',
    });
  }
  const named = await store.all<{ n: number }>('SELECT count(*) AS n FROM events WHERE event = $1', [spec.metric]);
  const allEvents = Number(named[0]?.n ?? 0) === 0 && spec.metric.toLowerCase() === 'dau';
  if (Number(named[0]?.n ?? 0) === 0 && !allEvents) {
    const all = (await store.all<{ event: string }>('SELECT event FROM events GROUP BY event ORDER BY count(*) DESC')).map((r) => String(r.event));
    const close = didYouMean(spec.metric, [...all, 'dau']);
    // An unknown name is a usage error (exit 2), as in whatchanged and analyze.
    throw new UserError(`no events named "${spec.metric}" in the project store${close ? ` (did you mean "${close}"?)` : ''}`, {
      hint: `events in the store: ${all.slice(0, 8).join(', ')}${all.length > 8 ? ` and ${all.length - 8} more` : ''} (or --metric dau for distinct active units)`,
      code: 'FORECAST_UNKNOWN_METRIC',
      exitCode: 2,
    });
  }
  const agg: StoreAgg = spec.agg ?? (allEvents ? 'dau' : 'count');
  // dau is over product events: profile runs' cpu_sample / cpu_time are not active users.
  const where = allEvents ? productEventSql('e.event') : `e.event = ${quoteLiteral(spec.metric)}`;
  if (allEvents) {
    const product = await store.all<{ n: number }>(`SELECT count(*) AS n FROM events e WHERE ${where}`);
    if (Number(product[0]?.n ?? 0) === 0) {
      throw new UserError('the project store has no product events: only the profile runs\' cpu_sample and cpu_time, which are not active units', {
        hint: 'import events with `statsig-hack import events.csv --into events`, or forecast a profile event by name: --metric cpu_time --agg sum',
        code: 'FORECAST_NO_DATA',
      });
    }
  }
  let groupExpr = 'NULL';
  let join = '';
  let byKind: Loaded['byKind'] = null;
  if (spec.by) {
    if (!IDENT.test(spec.by)) {
      throw new UserError(`--by "${spec.by}" is not a valid column or metadata key name`, { hint: 'use letters, digits and underscores', code: 'USAGE', exitCode: 2 });
    }
    const cols = (await store.all<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND table_schema = 'main'`)).map((r) => r.column_name);
    if (cols.includes(spec.by) && spec.by !== 'unit_id' && spec.by !== 'attributes') {
      groupExpr = `CAST(u.${quoteIdent(spec.by)} AS VARCHAR)`;
      join = 'LEFT JOIN users u ON u.unit_id = e.unit_id';
      byKind = 'users';
    } else {
      const present = await store.all<{ n: number }>(
        `SELECT count(*) AS n FROM events e WHERE ${where} AND json_extract_string(e.metadata, ${quoteLiteral(`$.${spec.by}`)}) IS NOT NULL`,
      );
      if (Number(present[0]?.n ?? 0) === 0) {
        const keys = await store.all<{ k: string }>(
          `SELECT DISTINCT unnest(json_keys(e.metadata)) AS k FROM (SELECT metadata FROM events e WHERE ${where} AND metadata IS NOT NULL LIMIT 1000) e ORDER BY k LIMIT 20`,
        );
        const userCols = cols.filter((c) => !['unit_id', 'attributes', 'created_at', 'tenure_days'].includes(c));
        throw new UserError(`--by ${spec.by}: no users column and no event metadata key of that name`, {
          hint: `users columns: ${userCols.join(', ')}${keys.length > 0 ? `; metadata keys: ${keys.map((r) => r.k).join(', ')}` : ''}`,
          code: 'FORECAST_BY',
          exitCode: 2,
        });
      }
      groupExpr = `json_extract_string(e.metadata, ${quoteLiteral(`$.${spec.by}`)})`;
      byKind = 'metadata';
    }
  }
  const rows = await store.all<{ g: unknown; t: number; n: number; units: number; s: number | null; nv: number; mn: number | null }>(
    `SELECT ${groupExpr} AS g, epoch(${bucketSql('e.ts')}) AS t, count(*) AS n, count(DISTINCT e.unit_id) AS units,
            sum(e.value) AS s, count(e.value) AS nv, min(e.value) AS mn
     FROM events e ${join} WHERE ${where}
     GROUP BY ALL ORDER BY 1, 2`,
  );
  const warnings: string[] = [];
  if (agg === 'sum' || agg === 'mean') {
    const withValues = rows.reduce((a, r) => a + Number(r.nv), 0);
    if (withValues === 0) {
      throw new UserError(`--agg ${agg}: the "${spec.metric}" events have no value`, { hint: 'use --agg count or --agg dau for events without values', code: 'FORECAST_NO_DATA' });
    }
  }
  // Counts, sums and distinct units are zero on buckets without events; means are missing there.
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const r of rows) {
    t0 = Math.min(t0, Number(r.t));
    t1 = Math.max(t1, Number(r.t));
  }
  const groups = new Map<string | null, Map<number, RawPoint>>();
  for (const r of rows) {
    const key = spec.by ? label(r.g, '(none)') : null;
    const t = Number(r.t);
    let v: number | null;
    if (agg === 'count') v = Number(r.n);
    else if (agg === 'dau') v = Number(r.units);
    else if (agg === 'sum') v = Number(r.s ?? 0);
    else v = Number(r.nv) > 0 ? Number(r.s) / Number(r.nv) : null;
    const m = groups.get(key) ?? new Map<number, RawPoint>();
    m.set(t, { t, n: 1, valid: v === null ? 0 : 1, sum: v ?? 0, min: v });
    groups.set(key, m);
  }
  const raw: RawSeries[] = [];
  for (const [key, m] of groups) {
    if (agg !== 'mean') {
      for (let i = 0, t = t0; t <= t1; t = gridTime(freq, t0, ++i)) if (!m.has(t)) m.set(t, { t, n: 1, valid: 1, sum: 0, min: 0 });
    }
    raw.push({ key, points: [...m.values()].sort((a, b) => a.t - b.t) });
  }
  return { raw, warnings, agg, byKind };
}
