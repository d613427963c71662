/**
 * One SQL builder, one dialect per engine. The query plans (sql.ts, profile.ts, analyze.ts) only
 * ever ask a dialect for the few forms that differ between engines: identifier and string quoting,
 * casts to a float and to text, filtered COUNT/SUM (FILTER where the engine has it, CASE where it
 * does not), a finiteness test and an exact quantile. Everything else is plain standard SQL:
 * COUNT, SUM, AVG, MIN, MAX, COALESCE, CASE, GROUP BY.
 */
export const DIALECT_NAMES = ['duckdb', 'postgres', 'clickhouse', 'bigquery', 'snowflake', 'databricks', 'trino'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

export interface Dialect {
  readonly name: DialectName;
  /** A quoted identifier (column or table part). */
  readonly ident: (name: string) => string;
  /** A dotted table name, each part quoted (`schema.table` -> "schema"."table"). */
  readonly table: (name: string) => string;
  /** A string literal. */
  readonly literal: (value: string) => string;
  /** A finite number as a float literal (non-finite numbers become 0). */
  readonly number: (value: number) => string;
  /** expr as a 64-bit float. */
  readonly double: (expr: string) => string;
  /** expr as text. */
  readonly text: (expr: string) => string;
  /** COUNT(*) of the rows where `filter` holds (all rows without one). */
  readonly count: (filter?: string) => string;
  /** SUM(expr) over the rows where `filter` holds. */
  readonly sum: (expr: string, filter?: string) => string;
  /** True when the float expr is neither NaN nor ±Infinity (NULL stays NULL). */
  readonly isFinite: (expr: string) => string;
  /**
   * The `q` quantile of expr as an aggregate: exact with linear interpolation (type 7, DuckDB's
   * quantile_cont) where `exactQuantile`, else the engine's approximate one (BigQuery, Trino).
   */
  readonly quantile: (expr: string, q: number) => string;
  /** Whether `quantile` is exact; where not, percentile metrics rank the rows (ROW_NUMBER) instead. */
  readonly exactQuantile: boolean;
  /** Whether `WITH name AS (...)` works (ClickHouse 18.16 has no such CTEs: subqueries instead). */
  readonly ctes: boolean;
  /** An interval of n days to add to or subtract from a timestamp. */
  readonly days: (n: number) => string;
  /** Whether the engine has `AGG(...) FILTER (WHERE ...)` (else the builder writes CASE). */
  readonly filterClause: boolean;
}

const doubleQuote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const backtick = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
const singleQuote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
/** Backslash-escaping string literals (ClickHouse, BigQuery, Databricks treat \ as an escape). */
const escapedQuote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

interface Spec {
  name: DialectName;
  ident: (name: string) => string;
  literal: (value: string) => string;
  doubleType: string;
  textType: string;
  /** Supports `AGG(...) FILTER (WHERE ...)`. */
  filter: boolean;
  isFinite: (expr: string) => string;
  quantile: (expr: string, q: number) => string;
  /** quantile is exact (type 7); default true. */
  exactQuantile?: boolean;
  /** `INTERVAL '7' DAY` (standard) or `INTERVAL 7 DAY`. */
  quotedInterval?: boolean;
}

function make(spec: Spec): Dialect {
  const double = (expr: string): string => `CAST(${expr} AS ${spec.doubleType})`;
  return {
    name: spec.name,
    ident: spec.ident,
    table: (name) =>
      name
        .split('.')
        .map((part) => spec.ident(part))
        .join('.'),
    literal: spec.literal,
    number: (value) => (Number.isFinite(value) ? double(value.toPrecision(17)) : double('0')),
    double,
    text: (expr) => `CAST(${expr} AS ${spec.textType})`,
    count: (filter) => (filter === undefined ? 'COUNT(*)' : spec.filter ? `COUNT(*) FILTER (WHERE ${filter})` : `SUM(CASE WHEN ${filter} THEN 1 ELSE 0 END)`),
    sum: (expr, filter) => (filter === undefined ? `SUM(${expr})` : spec.filter ? `SUM(${expr}) FILTER (WHERE ${filter})` : `SUM(CASE WHEN ${filter} THEN ${expr} END)`),
    isFinite: spec.isFinite,
    quantile: spec.quantile,
    exactQuantile: spec.exactQuantile !== false,
    ctes: true,
    days: (n) => (spec.quotedInterval === false ? `INTERVAL ${Math.trunc(n)} DAY` : `INTERVAL '${Math.trunc(n)}' DAY`),
    filterClause: spec.filter,
  };
}

/** Standard `x NOT IN (NaN, ±Infinity)` (PostgreSQL, Snowflake, Trino: NaN equals NaN there). */
const notSpecial = (literal: (s: string) => string, type: string) => (expr: string) =>
  `(${expr} NOT IN (CAST(${literal('NaN')} AS ${type}), CAST(${literal('Infinity')} AS ${type}), CAST(${literal('-Infinity')} AS ${type})))`;

/**
 * ClickHouse's exact type-7 quantile: with h = (n - 1) q over the n non-NULL values sorted,
 * x[floor h] + (h - floor h) (x[ceil h] - x[floor h]) (1-based arrayElement). The server computes
 * the sorted array once per group (identical expressions are evaluated once); only the value returns.
 */
function clickhouseQuantile(e: string, q: number): string {
  const sorted = `arraySort(groupArray(${e}))`;
  const h = `((count(${e}) - 1) * ${q})`;
  const lo = `arrayElement(${sorted}, toUInt64(floor(${h})) + 1)`;
  const hi = `arrayElement(${sorted}, toUInt64(ceil(${h})) + 1)`;
  return `(${lo} + (${h} - floor(${h})) * (${hi} - ${lo}))`;
}

export const DIALECTS: Record<DialectName, Dialect> = {
  duckdb: make({
    name: 'duckdb',
    ident: doubleQuote,
    literal: singleQuote,
    doubleType: 'DOUBLE',
    textType: 'VARCHAR',
    filter: true,
    isFinite: (e) => `isfinite(${e})`,
    quantile: (e, q) => `quantile_cont(${e}, ${q})`,
  }),
  postgres: make({
    name: 'postgres',
    ident: doubleQuote,
    literal: singleQuote,
    doubleType: 'DOUBLE PRECISION',
    textType: 'TEXT',
    filter: true,
    isFinite: notSpecial(singleQuote, 'DOUBLE PRECISION'),
    quantile: (e, q) => `percentile_cont(${q}) WITHIN GROUP (ORDER BY ${e})`,
  }),
  clickhouse: {
    ...make({
      name: 'clickhouse',
      quotedInterval: false,
      ident: doubleQuote,
      literal: escapedQuote,
      doubleType: 'Float64',
      textType: 'String',
      filter: false,
      isFinite: (e) => `isFinite(${e})`,
      // 18.16 (Debian's) has neither quantileExactInclusive nor an interpolating exact quantile
      // (quantileExact picks one element): type 7 from the sorted values, as DuckDB's quantile_cont.
      quantile: clickhouseQuantile,
    }),
    ctes: false,
    // CAST(NULL AS Float64) fails in ClickHouse; the conversion functions keep Nullable columns Nullable.
    double: (e) => `toFloat64(${e})`,
    text: (e) => `toString(${e})`,
    number: (v) => `toFloat64(${Number.isFinite(v) ? v.toPrecision(17) : '0'})`,
  },
  bigquery: make({
    name: 'bigquery',
    quotedInterval: false,
    ident: backtick,
    literal: escapedQuote,
    doubleType: 'FLOAT64',
    textType: 'STRING',
    filter: false,
    isFinite: (e) => `(NOT IS_NAN(${e}) AND NOT IS_INF(${e}))`,
    // BigQuery has no exact percentile aggregate: 1000 buckets of APPROX_QUANTILES (documented).
    quantile: (e, q) => `APPROX_QUANTILES(${e}, 1000)[OFFSET(${Math.round(q * 1000)})]`,
    exactQuantile: false,
  }),
  snowflake: make({
    name: 'snowflake',
    ident: doubleQuote,
    literal: singleQuote,
    doubleType: 'DOUBLE',
    textType: 'VARCHAR',
    filter: false,
    isFinite: notSpecial(singleQuote, 'DOUBLE'),
    quantile: (e, q) => `PERCENTILE_CONT(${q}) WITHIN GROUP (ORDER BY ${e})`,
  }),
  databricks: make({
    name: 'databricks',
    ident: backtick,
    literal: escapedQuote,
    doubleType: 'DOUBLE',
    textType: 'STRING',
    filter: true,
    isFinite: (e) => `(NOT isnan(${e}) AND abs(${e}) < CAST('Infinity' AS DOUBLE))`,
    // Exact with linear interpolation (Databricks SQL, Runtime 10.3+), as percentile(e, q).
    quantile: (e, q) => `percentile_cont(${q}) WITHIN GROUP (ORDER BY ${e})`,
  }),
  trino: make({
    name: 'trino',
    ident: doubleQuote,
    literal: singleQuote,
    doubleType: 'DOUBLE',
    textType: 'VARCHAR',
    filter: true,
    isFinite: (e) => `is_finite(${e})`,
    // Trino's exact quantile needs the row values; approx_percentile is the aggregate it offers (documented).
    quantile: (e, q) => `approx_percentile(${e}, ${q})`,
    exactQuantile: false,
  }),
};

export function dialectFor(name: DialectName): Dialect {
  return DIALECTS[name];
}
