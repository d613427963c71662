/**
 * whatchanged: "Oh no, what happened?" drill-down of a metric that moved between two periods.
 *
 *   whatChanged(store, options) -> WhatChangedResult (plain data; never prints)
 *
 * Data: the project store's events for one event name (or a metric entity mapped to one),
 * joined to users (country, platform, plan, channel, cohort = signup week, tenure bucket,
 * attribute keys) and exposures (experiment groups); or any relation (a file reader) with a
 * time, an optional value and an optional unit column, whose other columns are dimensions.
 *
 * Work in DuckDB: one scan builds a per-unit temp table, then a handful of aggregate queries
 * (period totals, capped values, GROUPING SETS per dimension and per pair, daily totals,
 * quantiles). The math on the returned sufficient statistics is in math.ts.
 */
import { UsageError, UserError, duckdbMessage, errorMessage } from '../../core/errors.js';
import { quoteIdent, quoteLiteral, type Store } from '../../store/store.js';
import {
  type Agg,
  type Pair,
  type Sums,
  ZERO_SUMS,
  benjaminiHochberg,
  decompose,
  explanatorySet,
  isTotal,
  metricValue,
  segmentTest,
  surprise,
  welchSamples,
} from '../../stats/whatchanged/math.js';
import { assertDisjoint, dayBuckets, describePeriod, formatInstant, lastDays, periodAfter, periodArg, periodBefore, periodDays, splitRange, type Period } from '../../stats/whatchanged/period.js';
import {
  type DimensionDef,
  type Periods,
  type RowsSource,
  NONE,
  OTHER,
  PERCENTILES,
  AGG_TABLE,
  UNITS_TABLE,
  USERS_VIEW,
  dailyFromAggSql,
  dailySql,
  storeAggSql,
  unitsFromAggSql,
  experimentColumn,
  groupingSql,
  overallSql,
  percentilesSql,
  profileSql,
  storeRowsSql,
  storeUnitsSql,
  topValuesSql,
  unitsFromRowsSql,
} from './sql.js';
import { summarize, type SummaryDriver, type SummaryLaggard } from '../../stats/whatchanged/summary.js';
import { listPreview, plural } from './text.js';
import { resolveMetric, type EventCatalog } from './metric.js';
import { checkEngineWhere, engineAggregates, engineValue, resolveEngineDimensions, resolveEngineSource, warehouseTables, type EngineTarget } from './on-engine.js';
import type { WarehousePlan } from './warehouse-sql.js';

export type { Agg } from '../../stats/whatchanged/math.js';
export type * from './types.js';
export type { EngineTarget } from './on-engine.js';
import type { Aggregates, CellResult, DailyRow, DimensionResult, ExplainSource, FileSource, Headline, NoiseResult, PercentileRow, PeriodInfo, SegmentResult, WhatChangedOptions, WhatChangedResult } from './types.js';
export type { Period } from '../../stats/whatchanged/period.js';
export { parsePeriod } from '../../stats/whatchanged/period.js';

export const AGGS: readonly Agg[] = ['count', 'sum', 'mean'];
export const DEFAULT_TOP = 10;
export const DEFAULT_MAX_VALUES = 50;
/** Auto mode skips dimensions with more distinct values than this (identifiers, free text). */
export const AUTO_MAX_DISTINCT = 1000;
/** Auto mode drills into at most this many dimensions (fewest distinct values first); --max-dimensions changes it. */
export const DEFAULT_MAX_DIMENSIONS = 20;
/** Auto mode measures the cardinality of at most this many file columns (in file order). */
export const AUTO_CANDIDATE_COLUMNS = 1000;
/** Columns whose cardinality is measured in one scan (bounds the sketches held at once). */
const DISTINCT_BATCH = 250;
/** The narrowed copy of a CSV or JSON file (FileSource.materialize). */
const DATA_TABLE = '__whatchanged_data';
/** An explicit --dimensions list may name at most this many. */
export const MAX_NAMED_DIMENSIONS = 100;
/** 2-D cells are computed for pairs among this many top dimensions. */
export const CELL_DIMENSIONS = 3;
/** Cells whose share of the change is below this are pruned. */
export const MIN_CELL_CONTRIBUTION = 0.05;
/** A change where no segment's contribution is further than this from its baseline share (above or below) is "broad". */
export const BROAD_EXCESS = 0.1;

// --- source resolution --------------------------------------------------------------------

interface ResolvedSource {
  kind: 'store' | 'file';
  label: string;
  event: string | null;
  agg: Agg;
  rows: RowsSource;
  source: string;
  /** First and last event time (computed on demand: it costs a scan in the store). */
  range: () => Promise<{ lo: Date | null; hi: Date | null }>;
  /** File columns other than time, value and unit (file mode). */
  columns: { name: string; type: string }[];
  /** The time, value and unit columns in use (file mode). */
  used: string[];
}

function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

async function resolveStoreSource(store: Store, options: WhatChangedOptions): Promise<ResolvedSource> {
  const catalog: EventCatalog = {
    where: 'the project store',
    async probe(event) {
      const [r] = await store.all(
        `SELECT EXISTS (SELECT 1 FROM events WHERE event = $1) AS e, EXISTS (SELECT 1 FROM events WHERE event = $1 AND value IS NOT NULL) AS v`,
        [event],
      );
      return { exists: Boolean(r?.e), values: Boolean(r?.v) };
    },
    async names() {
      return (await store.all<{ event: string }>(`SELECT event, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 200`)).map((e) => e.event);
    },
  };
  const { event, agg: finalAgg } = await resolveMetric(store, options, catalog);
  const experiments = experimentsFor(options, null);
  return {
    kind: 'store',
    label: options.metric,
    event,
    agg: finalAgg,
    rows: { rows: storeRowsSql(event, experiments), timeExpr: 'ts', valueExpr: 'value', unitExpr: 'unit_id' },
    source: 'store',
    range: async () => {
      const [x] = await store.all(`SELECT min(ts) AS lo, max(ts) AS hi FROM events WHERE event = $1`, [event]);
      return { lo: toDate(x?.lo), hi: toDate(x?.hi) };
    },
    columns: [],
    used: [],
  };
}

function findColumn(columns: { name: string }[], name: string): string | undefined {
  return columns.find((c) => c.name === name)?.name ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.name;
}

const TIME_TYPES = /^(TIMESTAMP.*|DATE)$/i;
const TIME_NAMES = ['ts', 'time', 'timestamp', 'event_time', 'event_ts', 'date', 'day', 'created_at'];

async function resolveFileSource(store: Store, options: WhatChangedOptions, data: FileSource): Promise<ResolvedSource> {
  let columns: { name: string; type: string }[];
  try {
    const rows = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${data.relation}`);
    columns = rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  } catch (error) {
    throw new UserError(`cannot read ${data.source}: ${(errorMessage(error).split('\n')[0] ?? '').trim()}`, { hint: 'check that the file is a CSV, Parquet or JSON file with a header row', code: 'FILE_UNREADABLE' });
  }
  const names = columns.map((c) => c.name);
  const need = (flag: string, name: string): string => {
    const found = findColumn(columns, name);
    if (!found) throw new UserError(`${flag} ${name}: ${data.source} has no such column`, { hint: `its columns: ${listPreview(names, 40)}`, code: 'UNKNOWN_COLUMN', exitCode: 2 });
    return found;
  };
  let time: string | undefined;
  if (data.time) time = need('--time', data.time);
  else time = TIME_NAMES.map((n) => findColumn(columns, n)).find((c) => c !== undefined) ?? columns.find((c) => TIME_TYPES.test(c.type))?.name;
  if (!time) {
    throw new UsageError(`${data.source} has no obvious time column`, { hint: `pass --time <column>; its columns: ${listPreview(names, 40)}` });
  }
  let value: string | undefined;
  if (data.value) value = need('--value', data.value);
  else value = findColumn(columns, 'value');
  const agg: Agg = options.agg ?? (value ? 'sum' : 'count');
  if (agg !== 'count' && !value) {
    throw new UsageError(`--agg ${agg} needs a value column`, { hint: `pass --value <column>; ${data.source} has: ${listPreview(names, 40)}` });
  }
  let unit: string | undefined;
  if (data.unit) unit = need('--unit', data.unit);
  else unit = findColumn(columns, 'unit_id');
  const q = quoteIdent;
  const timeExpr = `TRY_CAST(${q(time)} AS TIMESTAMP)`;
  const valueExpr = value ? `TRY_CAST(${q(value)} AS DOUBLE)` : null;
  const [r] = await store.all(
    `SELECT count(*) AS n, count(${timeExpr}) AS nt, count(${q(time)}) AS nraw, ${valueExpr ? `count(${valueExpr}) AS nv, count(${q(value as string)}) AS nvraw,` : ''} min(${timeExpr}) AS lo, max(${timeExpr}) AS hi FROM ${data.relation}`,
  );
  const n = Number(r?.n ?? 0);
  if (n === 0) throw new UserError(`${data.source} has no rows`, { hint: 'pass a file with data', code: 'NO_EVENTS' });
  if (Number(r?.nt ?? 0) < Number(r?.nraw ?? 0)) {
    throw new UserError(`column "${time}" of ${data.source} has values that are not timestamps`, { hint: 'use ISO dates such as 2026-10-01 or 2026-10-01T12:00:00, or pick another column with --time', code: 'BAD_TIME' });
  }
  if (valueExpr && Number(r?.nv ?? 0) < Number(r?.nvraw ?? 0)) {
    throw new UserError(`column "${value}" of ${data.source} has values that are not numbers`, { hint: 'remove units and thousands separators, or pick another column with --value', code: 'BAD_VALUE' });
  }
  if (agg !== 'count' && Number(r?.nv ?? 0) === 0) {
    throw new UserError(`column "${value}" of ${data.source} is empty, so there is nothing to ${agg === 'sum' ? 'sum' : 'average'}`, { hint: 'use --agg count or another --value column', code: 'NO_VALUES' });
  }
  const used = new Set([time, value, unit].filter((x): x is string => x !== undefined));
  return {
    kind: 'file',
    label: options.metric,
    event: null,
    agg,
    rows: { rows: `SELECT * FROM ${data.relation}`, timeExpr, valueExpr, unitExpr: unit ? `CAST(${q(unit)} AS VARCHAR)` : null },
    source: data.source,
    range: () => Promise.resolve({ lo: toDate(r?.lo), hi: toDate(r?.hi) }),
    columns: columns.filter((c) => !used.has(c.name)),
    used: [...used],
  };
}

// --- dimensions -----------------------------------------------------------------------------

const STORE_BUILTINS = ['country', 'platform', 'plan', 'channel', 'cohort', 'tenure'] as const;

function experimentsFor(options: WhatChangedOptions, dims: readonly string[] | null): string[] {
  const out: string[] = [];
  if (options.experiment) out.push(options.experiment);
  const list = dims ?? (options.dimensions === 'auto' || options.dimensions === undefined ? [] : options.dimensions);
  for (const d of list) if (d.startsWith('experiment:') && !out.includes(d.slice('experiment:'.length))) out.push(d.slice('experiment:'.length));
  return out;
}

interface ResolvedDimensions {
  dims: DimensionDef[];
  auto: boolean;
  notices: string[];
}

async function storeAttributeKeys(store: Store): Promise<string[]> {
  const rows = await store.all<{ k: string }>(`SELECT DISTINCT unnest(json_keys(attributes)) AS k FROM users WHERE attributes IS NOT NULL ORDER BY 1 LIMIT 200`);
  return rows.map((r) => r.k);
}

function attributeExpr(key: string): string {
  return `json_extract_string(attributes, ${quoteLiteral(`$."${key.replace(/"/g, '\\"')}"`)})`;
}

async function resolveStoreDimensions(store: Store, options: WhatChangedOptions): Promise<ResolvedDimensions> {
  const notices: string[] = [];
  const exposed = (await store.all<{ experiment: string }>(`SELECT DISTINCT experiment FROM exposures ORDER BY 1`)).map((r) => r.experiment);
  const checkExperiment = (x: string, flag: string): void => {
    if (!exposed.includes(x)) {
      throw new UserError(`${flag}: no experiment "${x}" with exposures in the project store`, {
        hint: exposed.length > 0 ? `experiments with exposures: ${listPreview(exposed)}` : 'the store has no exposures; import them with `statsig-hack import exposures.csv --into exposures`',
        code: 'UNKNOWN_EXPERIMENT',
        exitCode: 2,
      });
    }
  };
  if (options.experiment) checkExperiment(options.experiment, '--experiment');
  const dims: DimensionDef[] = [];
  const add = (name: string, expr: string): void => {
    if (!dims.some((d) => d.name === name)) dims.push({ name, expr });
  };
  const auto = options.dimensions === undefined || options.dimensions === 'auto';
  if (auto) {
    const [r] = await store.all(`SELECT ${STORE_BUILTINS.map((b) => `count(${b}) AS ${b}`).join(', ')} FROM (${USERS_VIEW})`);
    for (const b of STORE_BUILTINS) if (Number(r?.[b] ?? 0) > 0) add(b, quoteIdent(b));
    const keys = (await storeAttributeKeys(store)).filter((k) => !(STORE_BUILTINS as readonly string[]).includes(k)).slice(0, 20);
    if (keys.length > 0) {
      const [c] = await store.all(`SELECT ${keys.map((k, i) => `approx_count_distinct(${attributeExpr(k)}) AS a${i}`).join(', ')} FROM users`);
      keys.forEach((k, i) => {
        const n = Number(c?.[`a${i}`] ?? 0);
        if (n > AUTO_MAX_DISTINCT) notices.push(`left out attribute ${k} (about ${n.toLocaleString('en-US')} values; name it in --dimensions to drill into it anyway)`);
        else if (n >= 1) add(k, attributeExpr(k));
      });
    }
  } else {
    const keys = await storeAttributeKeys(store);
    for (const raw of options.dimensions as readonly string[]) {
      const name = raw.trim();
      if ((STORE_BUILTINS as readonly string[]).includes(name)) add(name, quoteIdent(name));
      else if (name.startsWith('experiment:')) {
        const x = name.slice('experiment:'.length);
        checkExperiment(x, '--dimensions');
        add(name, quoteIdent(experimentColumn(x)));
      } else if (name.startsWith('attributes.') && keys.includes(name.slice('attributes.'.length))) add(name, attributeExpr(name.slice('attributes.'.length)));
      else if (keys.includes(name)) add(name, attributeExpr(name));
      else {
        const valid = [...STORE_BUILTINS, ...exposed.map((x) => `experiment:${x}`), ...keys.map((k) => ((STORE_BUILTINS as readonly string[]).includes(k) ? `attributes.${k}` : k))];
        throw new UserError(`unknown dimension "${name}"`, { hint: `valid dimensions: ${listPreview(valid, 40)}`, code: 'UNKNOWN_DIMENSION', exitCode: 2 });
      }
    }
  }
  if (options.experiment) add(experimentColumn(options.experiment), quoteIdent(experimentColumn(options.experiment)));
  return { dims, auto, notices };
}

const AUTO_FILE_TYPES = /^(VARCHAR|BOOLEAN|ENUM.*)$/i;
const INT_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/i;

async function resolveFileDimensions(store: Store, options: WhatChangedOptions, src: ResolvedSource): Promise<ResolvedDimensions> {
  const notices: string[] = [];
  if (options.experiment) throw new UsageError('--experiment reads exposures from the project store; it cannot be used with --data', { hint: 'name the file\'s group column in --dimensions instead' });
  const relation = (options.data as FileSource).relation;
  const auto = options.dimensions === undefined || options.dimensions === 'auto';
  const dims: DimensionDef[] = [];
  if (!auto) {
    for (const raw of options.dimensions as readonly string[]) {
      const found = findColumn(src.columns, raw.trim());
      if (!found) {
        throw new UserError(`unknown dimension "${raw}": ${src.source} has no such column`, {
          hint: `valid dimensions: ${listPreview(src.columns.map((c) => c.name), 40)}`,
          code: 'UNKNOWN_DIMENSION',
          exitCode: 2,
        });
      }
      if (!dims.some((d) => d.name === found)) dims.push({ name: found, expr: quoteIdent(found) });
    }
    return { dims, auto, notices };
  }
  const typed = src.columns.filter((c) => AUTO_FILE_TYPES.test(c.type) || INT_TYPES.test(c.type));
  if (typed.length === 0) return { dims, auto, notices };
  // Cardinality decides: measured for at most AUTO_CANDIDATE_COLUMNS columns, a few hundred per scan.
  const candidates = typed.slice(0, AUTO_CANDIDATE_COLUMNS);
  const unmeasured = typed.slice(AUTO_CANDIDATE_COLUMNS).map((c) => c.name);
  const distinct: number[] = [];
  let n = 0;
  for (let start = 0; start < candidates.length; start += DISTINCT_BATCH) {
    const batch = candidates.slice(start, start + DISTINCT_BATCH);
    const [r] = await store.all(`SELECT count(*) AS n, ${batch.map((c, i) => `approx_count_distinct(${quoteIdent(c.name)}) AS a${i}`).join(', ')} FROM ${relation}`);
    n = Number(r?.n ?? 0);
    batch.forEach((_, i) => distinct.push(Number(r?.[`a${i}`] ?? 0)));
  }
  const tooMany: { name: string; k: number }[] = [];
  const usable: { name: string; k: number; i: number }[] = [];
  candidates.forEach((c, i) => {
    const k = distinct[i] ?? 0;
    const limit = INT_TYPES.test(c.type) ? 20 : AUTO_MAX_DISTINCT;
    const idLike = k > 50 && k > n / 20;
    if (k > limit || idLike) tooMany.push({ name: c.name, k });
    else usable.push({ name: c.name, k, i });
  });
  // Fewest distinct values first (segments large enough to explain a change), then file order;
  // single-valued columns last (they only segment when they also have NULLs).
  const rank = (k: number): number => (k < 2 ? Number.POSITIVE_INFINITY : k);
  usable.sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i);
  const max = options.maxDimensions ?? DEFAULT_MAX_DIMENSIONS;
  // The chosen ones keep the file's order.
  for (const u of usable.slice(0, max).sort((a, b) => a.i - b.i)) dims.push({ name: u.name, expr: quoteIdent(u.name) });
  if (tooMany.length > 0 && tooMany.length <= 3) {
    for (const t of tooMany) notices.push(`left out column ${t.name} (about ${t.k.toLocaleString('en-US')} values; name it in --dimensions to drill into it anyway)`);
  } else if (tooMany.length > 3) {
    const named = tooMany.map((t) => `${t.name} (~${t.k.toLocaleString('en-US')})`);
    notices.push(`left out ${plural(tooMany.length, 'column')} with too many values to segment by: ${listPreview(named, 8)} (name one in --dimensions to drill into it anyway)`);
  }
  const capped = usable.slice(max).map((u) => u.name);
  if (capped.length > 0) {
    notices.push(
      `drilled into ${plural(max, 'dimension')} with the fewest values; skipped ${plural(capped.length, 'more column')}: ${listPreview(capped, 8)} (name them with --dimensions, or raise --max-dimensions)`,
    );
  }
  if (unmeasured.length > 0) {
    notices.push(`${src.source} has ${typed.length.toLocaleString('en-US')} candidate columns: only the first ${AUTO_CANDIDATE_COLUMNS.toLocaleString('en-US')} were considered; skipped ${listPreview(unmeasured, 8)} (name them with --dimensions)`);
  }
  return { dims, auto, notices };
}

/**
 * NaN and ±Infinity in the value column make every sum NaN (printed as n/a). Counts them in one
 * scan: with the default policy that is an error naming the column, the count and the fix; with
 * 'null' those rows are left out (the value expression maps them to NULL) and a notice says so.
 * Returns the store's value expression and the notice.
 */
async function finiteValues(store: Store, src: ResolvedSource, policy: 'error' | 'null'): Promise<{ expr: string; notice: string | null }> {
  const value = src.rows.valueExpr ?? 'value';
  const from = src.kind === 'store' ? `events WHERE event = ${quoteLiteral(src.event as string)}` : `(${src.rows.rows}) __r`;
  const [r] = await store.all(`SELECT count(*) FILTER (WHERE NOT isfinite(${value})) AS n FROM ${from}`);
  const n = Number(r?.n ?? 0);
  const finite = `CASE WHEN isfinite(${value}) THEN ${value} END`;
  if (n === 0) return { expr: value, notice: null };
  const column = src.kind === 'store' ? `value (event ${src.event as string})` : (src.used.find((c) => value.includes(quoteIdent(c))) ?? 'value');
  const rows = plural(n, 'row');
  if (policy === 'error') {
    throw new UserError(`column ${column} of ${src.source === 'store' ? 'the project store' : src.source} has NaN or Infinity in ${rows}`, {
      hint: 'fix the data, or pass --non-finite null to leave those rows out',
      code: 'NON_FINITE',
    });
  }
  if (src.kind === 'file') src.rows = { ...src.rows, valueExpr: finite };
  return { expr: finite, notice: `column ${column}: NaN or Infinity in ${rows} left out (--non-finite null)` };
}

/** Columns of `columns` whose name appears in a SQL condition (so a narrowed copy of the file still answers it). */
function mentionedColumns(columns: { name: string }[], where: string | null): string[] {
  if (where === null) return [];
  const text = where.toLowerCase();
  return columns.map((c) => c.name).filter((name) => text.includes(name.toLowerCase()));
}

// --- the drill-down -------------------------------------------------------------------------

function sumsFrom(row: Record<string, unknown>): Sums {
  const n = (k: string): number => Number(row[k] ?? 0);
  return { n: n('n'), v: n('v'), c: n('c'), vv: n('vv'), cc: n('cc'), vc: n('vc') };
}

function periodInfo(p: Period): PeriodInfo {
  return { from: p.from.toISOString(), to: p.to.toISOString(), label: describePeriod(p), days: periodDays(p) };
}

async function resolvePeriods(options: WhatChangedOptions, src: Pick<ResolvedSource, 'range'>): Promise<Periods> {
  let { baseline, current } = options;
  if (!current && !baseline) {
    const { hi } = await src.range();
    if (!hi) throw new UserError('no data to pick default periods from', { hint: 'pass --baseline and --current', code: 'NO_EVENTS' });
    current = lastDays(hi, 7);
  }
  if (!current) current = periodAfter(baseline as Period);
  if (!baseline) baseline = periodBefore(current);
  assertDisjoint(baseline, current);
  return { baseline, current };
}

interface Scored {
  value: string;
  pair: Pair;
  seg: SegmentResult;
}

/**
 * @param store the project store (metric definitions; the events too unless `on` is given)
 * @param on a warehouse engine and its table names: the events, users and exposures are read
 *           there and only aggregates come back (store mode only; --data files stay in DuckDB)
 */
export async function whatChanged(store: Store, options: WhatChangedOptions, on?: EngineTarget): Promise<WhatChangedResult> {
  const alpha = options.alpha ?? 0.05;
  const top = options.top ?? DEFAULT_TOP;
  const maxValues = options.maxValues ?? DEFAULT_MAX_VALUES;
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be between 0 and 1, got ${alpha}`);
  if (!(Number.isInteger(top) && top >= 1)) throw new UsageError(`--top must be a whole number of at least 1, got ${top}`);
  if (!(Number.isInteger(maxValues) && maxValues >= 1)) throw new UsageError(`--max-values must be a whole number of at least 1, got ${maxValues}`);
  if (options.agg !== undefined && !AGGS.includes(options.agg)) throw new UsageError(`--agg must be count, sum or mean, got "${String(options.agg)}"`);
  const where = options.where?.trim() ? options.where.trim() : null;
  if (where !== null && where.includes(';')) throw new UsageError('--where takes one SQL condition, without ";"', { hint: `e.g. --where "plan = 'pro'"` });
  if (Array.isArray(options.dimensions) && options.dimensions.length === 0) throw new UsageError('--dimensions is empty', { hint: 'name some, e.g. --dimensions country,platform, or use --dimensions auto' });
  if (Array.isArray(options.dimensions) && options.dimensions.length > MAX_NAMED_DIMENSIONS) {
    throw new UsageError(`--dimensions names ${options.dimensions.length} dimensions; at most ${MAX_NAMED_DIMENSIONS} can be drilled into at once`, { hint: 'name the ones you suspect, or use --dimensions auto' });
  }
  const maxDimensions = options.maxDimensions ?? DEFAULT_MAX_DIMENSIONS;
  if (!(Number.isInteger(maxDimensions) && maxDimensions >= 1 && maxDimensions <= MAX_NAMED_DIMENSIONS)) {
    throw new UsageError(`--max-dimensions must be a whole number from 1 to ${MAX_NAMED_DIMENSIONS}, got ${maxDimensions}`, { hint: `e.g. --max-dimensions ${DEFAULT_MAX_DIMENSIONS}` });
  }

  if (on) {
    if (options.data) {
      throw new UserError(`--data ${options.data.source} is a file: files are read in DuckDB, the ${on.engine.name} engine reads its events table`, {
        hint: 'drop --engine to drill into the file, or drop --data to read the events table (config engine.tables.events)',
        code: 'USAGE',
        exitCode: 2,
      });
    }
    return whatChangedOnEngine(store, options, on, { alpha, top, maxValues, where });
  }
  const src = options.data ? await resolveFileSource(store, options, options.data) : await resolveStoreSource(store, options);
  const agg = src.agg;
  const storeValue = agg === 'count' ? null : await finiteValues(store, src, options.nonFinite ?? 'error');
  const periods = await resolvePeriods(options, src);
  const resolved = src.kind === 'file' ? await resolveFileDimensions(store, options, src) : await resolveStoreDimensions(store, options);
  const notices = [...(storeValue?.notice ? [storeValue.notice] : [])];
  const dims = resolved.dims;
  if (src.kind === 'file' && options.data?.materialize) {
    // Only the columns in use are copied: a 10,000-column file costs the memory of the few it needs.
    const keep = [...new Set([...src.used, ...dims.map((d) => d.name), ...mentionedColumns(src.columns, where)])];
    await store.run(`CREATE OR REPLACE TEMP TABLE ${DATA_TABLE} AS SELECT ${keep.map(quoteIdent).join(', ')} FROM ${options.data.relation}`);
    src.rows = { ...src.rows, rows: `SELECT * FROM ${DATA_TABLE}` };
  }
  const experiments = src.kind === 'store' ? experimentsFor(options, dims.map((d) => d.name)) : [];
  if (src.kind === 'store') src.rows = { ...src.rows, rows: storeRowsSql(src.event as string, experiments) };

  if (where !== null) {
    try {
      // The condition comes last, so DuckDB's "at or near" text quotes only the user's own SQL.
      await store.all(`SELECT 1 FROM (SELECT * FROM (${src.rows.rows}) __r LIMIT 0) __r WHERE ${where}`);
    } catch (error) {
      const cols = await store.all<{ column_name: string }>(`DESCRIBE SELECT * FROM (${src.rows.rows})`).catch(() => []);
      throw new UserError(`--where: ${duckdbMessage(error)}`, {
        hint: `a SQL condition over the columns ${listPreview(cols.map((c) => c.column_name), 40)}`,
        code: 'BAD_WHERE',
        exitCode: 2,
      });
    }
  }

  const hasUnit = src.rows.unitExpr !== null;
  const checkUnits = src.kind === 'file' && hasUnit;
  try {
    // One scan of the events: per-unit rows (and daily totals when there is a unit column).
    let dailyRows: DailyRow[];
    if (src.kind === 'store') {
      await store.run(storeAggSql(src.event as string, agg, periods, where === null ? null : { rows: src.rows.rows, condition: where }, storeValue?.expr));
      await store.run(storeUnitsSql(experiments, dims));
      dailyRows = await store.all<DailyRow>(dailyFromAggSql());
    } else if (hasUnit) {
      await store.run(unitsFromRowsSql(src.rows, dims, agg, periods, where));
      await store.run(unitsFromAggSql(dims.length));
      dailyRows = await store.all<DailyRow>(dailyFromAggSql());
    } else {
      await store.run(unitsFromRowsSql(src.rows, dims, agg, periods, where));
      dailyRows = await store.all<DailyRow>(dailySql(src.rows, agg, periods, where));
    }
    await store.run(`DROP TABLE IF EXISTS ${AGG_TABLE}`);
    const aggregates = await duckAggregates(store, dims.length, { checkUnits, agg, quantiles: Boolean(options.percentiles), daily: dailyRows });
    return await explainChange({ label: src.label, source: src.source, event: src.event, agg, range: src.range }, periods, dims, resolved.auto, notices, aggregates, options, { alpha, top, maxValues, where }, resolved.notices);
  } finally {
    await store.run(`DROP TABLE IF EXISTS ${UNITS_TABLE}`).catch(() => undefined);
    await store.run(`DROP TABLE IF EXISTS ${AGG_TABLE}`).catch(() => undefined);
    await store.run(`DROP TABLE IF EXISTS ${DATA_TABLE}`).catch(() => undefined);
  }
}


/** A warehouse: the same drill-down on the aggregates it returns (on-engine.ts). */
async function whatChangedOnEngine(store: Store, options: WhatChangedOptions, on: EngineTarget, settings: { alpha: number; top: number; maxValues: number; where: string | null }): Promise<WhatChangedResult> {
  const src = await resolveEngineSource(store, options, on);
  const event = src.event as string;
  const value = src.agg === 'count' ? null : await engineValue(on, event, options.nonFinite ?? 'error');
  const periods = await resolvePeriods(options, src);
  const resolved = await resolveEngineDimensions(options, on);
  if (settings.where !== null) await checkEngineWhere(on, settings.where);
  const plan: WarehousePlan = { dialect: on.engine.dialect, tables: warehouseTables(on), event, agg: src.agg, periods, value: value?.expr ?? 'value', where: settings.where, dims: resolved.dims };
  const aggregates = await engineAggregates(on.engine, plan, { quantiles: options.percentiles ? PERCENTILES : null });
  const notices = [...(value?.notice ? [value.notice] : [])];
  const dims = resolved.dims.map((d) => ({ name: d.name, expr: d.kind === 'experiment' ? `experiment:${d.experiment}` : d.builtin }));
  return explainChange(src, periods, dims, resolved.auto, notices, aggregates, options, settings, resolved.notices);
}

/** DuckDB: the units temp table's profile (one scan) and the GROUPING SETS queries over it. */
async function duckAggregates(store: Store, dimCount: number, opts: { checkUnits: boolean; agg: Agg; quantiles: boolean; daily: DailyRow[] }): Promise<Aggregates> {
  const { checkUnits, agg } = opts;
  // Profile: distinct values per dimension, period sums and quantiles in one scan of the units.
  const [prof] = await store.all(profileSql(dimCount, { checkUnits, agg, quantiles: opts.quantiles }));
  const unitLevel = !checkUnits || Number(prof?.rows ?? 0) === Number(prof?.unit_rows ?? 0);
  const distinct = Array.from({ length: dimCount }, (_, i) => Number(prof?.[`k${i}`] ?? 0));
  const hasNone = Array.from({ length: dimCount }, (_, i) => Number(prof?.[`z${i}`] ?? 0) > 0);
  const overall: Pair = { base: { ...ZERO_SUMS }, cur: { ...ZERO_SUMS } };
  if (unitLevel) {
    const pick = (p: 0 | 1): Sums => ({ n: Number(prof?.[`n${p}`] ?? 0), v: Number(prof?.[`v${p}`] ?? 0), c: Number(prof?.[`c${p}`] ?? 0), vv: Number(prof?.[`vv${p}`] ?? 0), cc: Number(prof?.[`cc${p}`] ?? 0), vc: Number(prof?.[`vc${p}`] ?? 0) });
    overall.base = pick(0);
    overall.cur = pick(1);
  } else {
    for (const r of await store.all(overallSql(false))) {
      if (Number(r.period) === 0) overall.base = sumsFrom(r);
      else overall.cur = sumsFrom(r);
    }
  }
  return {
    daily: opts.daily,
    overall,
    distinct,
    hasNone,
    async keepDims(keepIdx) {
      // Rebuild column positions: recreate the table restricted to kept dimensions.
      const remap = keepIdx.map((i, j) => `__d${i} AS __d${j}`).join(', ');
      await store.run(`CREATE OR REPLACE TEMP TABLE ${UNITS_TABLE} AS SELECT __period, __unit, __v, __c${remap ? `, ${remap}` : ''} FROM ${UNITS_TABLE}`);
    },
    async topValues(dim, limit, p) {
      return (await store.all<{ val: string }>(topValuesSql(dim, limit, p))).map((r) => r.val);
    },
    grouping: (groupings, keep) => store.all(groupingSql(groupings, keep, unitLevel)),
    async quantiles() {
      if (!checkUnits) return { q0: (prof?.q0 as (number | null)[] | null) ?? [], q1: (prof?.q1 as (number | null)[] | null) ?? [] };
      const rows = await store.all<{ period: number; q: number[] }>(percentilesSql(agg, unitLevel));
      return { q0: rows.find((r) => Number(r.period) === 0)?.q ?? [], q1: rows.find((r) => Number(r.period) === 1)?.q ?? [] };
    },
  };
}


/**
 * The drill-down on the sums an engine returned: period totals and the noise check, capped
 * dimensions, per-segment decomposition and tests, the explanatory sets, 2-D cells, quantiles,
 * the summary. Everything here is math on sums (src/stats/whatchanged/) plus a few asks of `aggregates`.
 */
export async function explainChange(
  src: ExplainSource,
  periods: Periods,
  dimsIn: DimensionDef[],
  auto: boolean,
  noticesIn: string[],
  aggregates: Aggregates,
  options: WhatChangedOptions,
  settings: { alpha: number; top: number; maxValues: number; where: string | null },
  /** Notices about the dimension tables only (dimensions left out, values grouped). */
  tableNoticesIn: string[] = [],
): Promise<WhatChangedResult> {
  const { alpha, top, maxValues, where } = settings;
  const agg = src.agg;
  const notices = [...noticesIn];
  const tableNotices = [...tableNoticesIn];
  let dims = dimsIn;
  const { overall, distinct, hasNone } = aggregates;
  const dailyRows = aggregates.daily;
  const filtered = where !== null ? ' matching --where' : '';
  for (const [name, p, s] of [['baseline', periods.baseline, overall.base], ['current', periods.current, overall.cur]] as const) {
    if (s.n === 0) {
      const { lo, hi } = await src.range();
      const rangeText = lo && hi ? `${formatInstant(lo)} to ${formatInstant(hi)}` : 'nothing';
      // Hint with two periods that both hold data; a range too short to split (one session of
      // profiles) can be compared by group instead.
      const split = lo && hi ? splitRange(lo, hi) : null;
      const byGroup = options.experiment
        ? `compare its groups instead: statsig-hack analyze --experiment ${options.experiment}${src.event === 'cpu_sample' || src.event === 'cpu_time' ? ' --metric cpu_ms' : ''}`
        : 'compare experiment groups instead with statsig-hack analyze --experiment <name>';
      const hint = split
        ? `the data runs from ${rangeText}; e.g. --baseline ${periodArg(split.baseline)} --current ${periodArg(split.current)}`
        : lo && hi
          ? `the data runs from ${rangeText}, too short a time to split into a baseline and a current period; ${byGroup}`
          : `there are no ${src.label} events`;
      throw new UserError(`the ${name} period ${describePeriod(p)} has no ${src.label} events${filtered}`, { hint, code: 'EMPTY_PERIOD' });
    }
  }
  const k = isTotal(agg) ? periodDays(periods.current) / periodDays(periods.baseline) : 1;
  if (k !== 1) {
    notices.push(
      `the periods differ in length (${fmtDays(periodDays(periods.baseline))} vs ${fmtDays(periodDays(periods.current))}): baseline totals are scaled by ${Number(k.toPrecision(4))} to the current period's length`,
    );
  }

  // Auto mode: drop dimensions with a single value.
  if (auto) {
    const keepIdx = dims.map((_, i) => i).filter((i) => (distinct[i] ?? 0) + (hasNone[i] ? 1 : 0) >= 2);
    if (keepIdx.length < dims.length) {
      dims = keepIdx.map((i) => dims[i] as DimensionDef);
      await aggregates.keepDims(keepIdx);
      const d2 = keepIdx.map((i) => distinct[i] ?? 0);
      distinct.splice(0, distinct.length, ...d2);
      const n2 = keepIdx.map((i) => hasNone[i] ?? false);
      hasNone.splice(0, hasNone.length, ...n2);
    }
  }
  if (dims.length === 0) notices.push('no dimensions to drill into: name some with --dimensions');

  const V0 = overall.base.v;
  const C0 = overall.base.c;
  const C1 = overall.cur.c;
  const M0 = C0 > 0 ? V0 / C0 : 0;
  const baselineValue = metricValue(overall.base, agg, k);
  const currentValue = metricValue(overall.cur, agg);
  const totalDelta = baselineValue !== null && currentValue !== null ? currentValue - baselineValue : null;

  // Cap huge dimensions to the values that move the metric most.
  const keep: (string[] | null)[] = dims.map(() => null);
  for (let i = 0; i < dims.length; i++) {
    if ((distinct[i] ?? 0) > maxValues) {
      keep[i] = await aggregates.topValues(i, maxValues, { agg, k, C0, C1, M0 });
      tableNotices.push(
        `${(dims[i] as DimensionDef).name} has ${(distinct[i] ?? 0).toLocaleString('en-US')} values: kept the ${maxValues} that move ${src.label} most, the other ${((distinct[i] ?? 0) - maxValues).toLocaleString('en-US')} are grouped as "${OTHER}" (raise --max-values to keep more)`,
      );
    }
  }

  // Per dimension and value.
  const oneD = dims.length > 0 ? await aggregates.grouping(dims.map((_, i) => [i]), keep) : [];
  const perDim: Map<string, Pair>[] = dims.map(() => new Map<string, Pair>());
  for (const r of oneD) {
    const i = dims.findIndex((_, j) => r[`k${j}`] !== null && r[`k${j}`] !== undefined);
    if (i < 0) continue;
    const value = String(r[`k${i}`]);
    const m = perDim[i] as Map<string, Pair>;
    const pair = m.get(value) ?? { base: { ...ZERO_SUMS }, cur: { ...ZERO_SUMS } };
    if (Number(r.period) === 0) pair.base = sumsFrom(r);
    else pair.cur = sumsFrom(r);
    m.set(value, pair);
  }

  const scoredDims = perDim.map((m) =>
    [...m.entries()].map(([value, pair]): Scored => {
      const d = decompose(pair, overall, agg, k);
      const test = segmentTest(pair, agg, k);
      return {
        value,
        pair,
        seg: {
          value,
          baseline: d.baseline,
          current: d.current,
          delta: d.delta,
          rel_delta: d.rel_delta,
          contribution: totalDelta !== null && totalDelta !== 0 ? d.impact / totalDelta : null,
          impact: d.impact,
          mix: d.mix,
          rate: d.rate,
          baseline_units: pair.base.n,
          current_units: pair.cur.n,
          baseline_size: d.baseline_size,
          current_size: d.current_size,
          baseline_share: d.baseline_share,
          current_share: d.current_share,
          baseline_rate: d.baseline_rate,
          current_rate: d.current_rate,
          surprise: surprise(pair, overall, agg),
          explains: false,
          statistic: test.statistic,
          p_value: test.p_value,
          q_value: null,
          significant: false,
        },
      };
    }),
  );
  const flat = scoredDims.flat();
  const qs = benjaminiHochberg(flat.map((s) => s.seg.p_value));
  flat.forEach((s, i) => {
    s.seg.q_value = qs[i] ?? null;
    s.seg.significant = s.seg.q_value !== null && s.seg.q_value <= alpha;
  });

  const dimResults: DimensionResult[] = scoredDims.map((segs, i) => {
    const set = explanatorySet(segs.map((s) => ({ contribution: s.seg.contribution, surprise: s.seg.surprise })));
    for (const j of set.members) (segs[j] as Scored).seg.explains = true;
    const ordered = segs.map((s) => s.seg).sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact) || a.value.localeCompare(b.value));
    return {
      dimension: (dims[i] as DimensionDef).name,
      rank: 0,
      score: set.members.length > 0 ? set.surprise : 0,
      explanatory_power: totalDelta !== null && totalDelta !== 0 ? set.explanatory_power : null,
      explains: set.explains,
      mix: segs.reduce((a, s) => a + s.seg.mix, 0),
      rate: segs.reduce((a, s) => a + s.seg.rate, 0),
      values: distinct[i] ?? 0,
      capped: keep[i] !== null,
      segments: ordered,
    };
  });
  const dimOrder = dimResults
    .map((d, i) => ({ d, i }))
    .sort((a, b) => Number(b.d.explains) - Number(a.d.explains) || b.d.score - a.d.score || (b.d.explanatory_power ?? 0) - (a.d.explanatory_power ?? 0) || a.i - b.i);
  dimOrder.forEach((x, r) => (x.d.rank = r + 1));
  const rankedDims = dimOrder.map((x) => x.d);

  // 2-D cells among the top dimensions.
  const topIdx = dimOrder.filter((x) => x.d.segments.length >= 2).slice(0, CELL_DIMENSIONS).map((x) => x.i);
  const pairs: number[][] = [];
  for (let a = 0; a < topIdx.length; a++) for (let b = a + 1; b < topIdx.length; b++) pairs.push([topIdx[a] as number, topIdx[b] as number]);
  let cells: CellResult[] = [];
  if (pairs.length > 0 && totalDelta !== null && totalDelta !== 0) {
    const rows = await aggregates.grouping(pairs, keep);
    const cellMap = new Map<string, { dims: [number, string][]; pair: Pair }>();
    for (const r of rows) {
      const present = dims.map((_, j) => j).filter((j) => r[`k${j}`] !== null && r[`k${j}`] !== undefined);
      if (present.length !== 2) continue;
      const key = present.map((j) => `${j}=${String(r[`k${j}`])}`).join('\u0000');
      const entry = cellMap.get(key) ?? { dims: present.map((j) => [j, String(r[`k${j}`])] as [number, string]), pair: { base: { ...ZERO_SUMS }, cur: { ...ZERO_SUMS } } };
      if (Number(r.period) === 0) entry.pair.base = sumsFrom(r);
      else entry.pair.cur = sumsFrom(r);
      cellMap.set(key, entry);
    }
    const all = [...cellMap.values()].map((c) => {
      const d = decompose(c.pair, overall, agg, k);
      const t = segmentTest(c.pair, agg, k);
      const dimsObj: Record<string, string> = {};
      for (const [j, v] of c.dims) dimsObj[(dims[j] as DimensionDef).name] = v;
      const cell: CellResult = {
        dimensions: dimsObj,
        baseline: d.baseline,
        current: d.current,
        delta: d.delta,
        contribution: d.impact / totalDelta,
        impact: d.impact,
        mix: d.mix,
        rate: d.rate,
        baseline_units: c.pair.base.n,
        current_units: c.pair.cur.n,
        p_value: t.p_value,
        q_value: null,
        significant: false,
      };
      return cell;
    });
    const cq = benjaminiHochberg(all.map((c) => c.p_value));
    all.forEach((c, i) => {
      c.q_value = cq[i] ?? null;
      c.significant = c.q_value !== null && c.q_value <= alpha;
    });
    cells = all
      .filter((c) => Math.abs(c.contribution ?? 0) >= MIN_CELL_CONTRIBUTION)
      .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)))
      .slice(0, top);
  }

  // Day-to-day noise.
  const noise = dailyNoise(dailyRows, agg, periods);

  // Percentiles of the per-unit metric.
  let percentiles: PercentileRow[] | null = null;
  if (options.percentiles) {
    const { q0, q1 } = await aggregates.quantiles();
    percentiles = PERCENTILES.map((p, i) => {
      const b = q0[i] ?? null;
      const c = q1[i] ?? null;
      const delta = b !== null && c !== null ? c - b : null;
      return { p, baseline: b, current: c, delta, rel_delta: delta !== null && b !== null && b !== 0 ? delta / Math.abs(b) : null };
    });
  }

  const headline: Headline = {
    baseline: baselineValue,
    current: currentValue,
    delta: totalDelta,
    rel_delta: totalDelta !== null && baselineValue !== null && baselineValue !== 0 ? totalDelta / Math.abs(baselineValue) : null,
    baseline_units: overall.base.n,
    current_units: overall.cur.n,
    baseline_events: overall.base.c,
    current_events: overall.cur.c,
    scale: k,
    noise,
    beyond_noise: noise?.p_value !== null && noise?.p_value !== undefined ? noise.p_value < alpha : null,
  };

  const summary = summarize({
    metric: src.label,
    agg,
    baseline: headline.baseline,
    current: headline.current,
    delta: headline.delta,
    rel_delta: headline.rel_delta,
    noise_p: noise?.p_value ?? null,
    alpha,
    ...pickDriver(rankedDims, cells, isTotal(agg) ? k * V0 : V0, agg),
    any_significant: flat.some((s) => s.seg.significant),
  });

  return {
    metric: src.label,
    agg,
    source: src.source,
    event: src.event,
    periods: { baseline: periodInfo(periods.baseline), current: periodInfo(periods.current) },
    headline,
    dimensions: rankedDims,
    cells,
    percentiles,
    summary,
    notices,
    table_notices: tableNotices,
    settings: { alpha, top, max_values: maxValues, where, experiment: options.experiment ?? null, dimensions: dims.map((d) => d.name) },
  };
}

function fmtDays(d: number): string {
  const r = Number(d.toPrecision(4));
  return `${r} day${r === 1 ? '' : 's'}`;
}


function dailyNoise(daily: DailyRow[], agg: Agg, periods: Periods): NoiseResult | null {
  const series = (period: 0 | 1, p: Period): number[] => {
    const byDay = new Map<number, { c: number; v: number }>();
    for (const r of daily) if (Number(r.period) === period) byDay.set(Number(r.day), { c: Number(r.c), v: Number(r.v ?? 0) });
    const out: number[] = [];
    for (const day of dayBuckets(p)) {
      const x = byDay.get(day);
      if (isTotal(agg)) out.push(x?.v ?? 0);
      else if (x && x.c > 0) out.push(x.v / x.c);
    }
    return out;
  };
  const b = series(0, periods.baseline);
  const c = series(1, periods.current);
  if (b.length < 2 || c.length < 2) return null;
  const w = welchSamples(b, c);
  const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
  return {
    bucket: 'day',
    baseline_days: b.length,
    current_days: c.length,
    baseline_daily_mean: mean(b),
    current_daily_mean: mean(c),
    baseline_daily_sd: w.sd0,
    current_daily_sd: w.sd1,
    t: w.statistic,
    df: w.df,
    p_value: w.p_value,
  };
}

/** The segment (or cell) the summary names: the top dimension's biggest mover, or a cell that concentrates it. */
function pickDriver(dims: DimensionResult[], cells: CellResult[], baseTotal: number, agg: Agg): { driver: SummaryDriver | null; broad: boolean; laggard: SummaryLaggard | null } {
  const topDim = dims[0];
  const seg = topDim?.segments.find((s) => (s.contribution ?? 0) > 0);
  if (!topDim || !seg || seg.contribution === null) return { driver: null, broad: false, laggard: null };
  const { broad, laggard } = spread(dims, baseTotal, agg);
  const cell = cells.find((c) => (c.contribution ?? 0) > 0 && c.dimensions[topDim.dimension] === seg.value);
  if (cell && cell.contribution !== null && cell.contribution >= 0.8 * seg.contribution) {
    const order = Object.entries(cell.dimensions).sort((a, b) => (a[0] === topDim.dimension ? -1 : b[0] === topDim.dimension ? 1 : 0));
    return {
      driver: {
        where: order,
        contribution: cell.contribution,
        impact: cell.impact,
        mix: cell.mix,
        rate: cell.rate,
        baseline_share: null,
        current_share: null,
        baseline_rate: null,
        current_rate: null,
        significant: cell.significant,
      },
      broad,
      laggard,
    };
  }
  return {
    driver: {
      where: [[topDim.dimension, seg.value]],
      contribution: seg.contribution,
      impact: seg.impact,
      mix: seg.mix,
      rate: seg.rate,
      baseline_share: seg.baseline_share,
      current_share: seg.current_share,
      baseline_rate: seg.baseline_rate,
      current_rate: seg.current_rate,
      significant: seg.significant,
    },
    broad,
    laggard,
  };
}

/**
 * A change proportional to size gives every segment a contribution close to its baseline share of
 * the value. Broad: no segment is BROAD_EXCESS or more away from that, above or below. The laggard:
 * the segment that falls furthest short of its share (at least BROAD_EXCESS), when its shortfall is
 * larger than any segment's excess: then it, not a segment that rose a little more, is the story.
 */
export function spread(dims: readonly DimensionResult[], baseTotal: number, agg: Agg): { broad: boolean; laggard: SummaryLaggard | null } {
  const share = (s: SegmentResult): number => (baseTotal !== 0 ? segBaseValue(s, agg) / baseTotal : 0);
  let excess = 0;
  let short: { d: DimensionResult; s: SegmentResult; gap: number } | null = null;
  for (const d of dims) {
    for (const s of d.segments) {
      if (s.contribution === null) continue;
      const gap = s.contribution - share(s);
      excess = Math.max(excess, gap);
      if (-gap >= BROAD_EXCESS && (!short || -gap > short.gap)) short = { d, s, gap: -gap };
    }
  }
  const broad = excess < BROAD_EXCESS && short === null;
  const laggard = short && short.gap > excess ? { where: [[short.d.dimension, short.s.value]] as [string, string][], share: share(short.s), contribution: short.s.contribution as number, rel_delta: short.s.rel_delta } : null;
  return { broad, laggard };
}

/** The segment's baseline value (totals: the scaled baseline total; means: mean × events). */
function segBaseValue(s: SegmentResult, agg: Agg): number {
  if (isTotal(agg)) return s.baseline ?? 0;
  return (s.baseline_rate ?? 0) * s.baseline_size;
}

export { NONE, OTHER };
