/**
 * Looks at an analysis relation before the moments pass, cheaply: its columns and types,
 * its row count, and on a sample (the whole relation when small) the column means used as
 * centring shifts, the levels of categorical covariates, and duplicate units. Exact counts
 * (units per group, NULLs) come out of the moments pass itself. Winsorization caps need an
 * exact quantile, so they are one more pass, only when asked for.
 */
import { didYouMean, UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { asEngine, type Engine } from './engine.js';
import { DIALECTS, type Dialect } from './dialect.js';

export interface ColumnInfo {
  name: string;
  type: string;
  numeric: boolean;
}

/** Relations up to this many rows are profiled whole; larger ones through a block sample of about this size. */
export const PROFILE_SAMPLE_ROWS = 200_000;

/**
 * A large relation's centring means and duplicate screen read its first this many rows: about one
 * row group of a Parquet file (DuckDB writes 122,880 rows a group), all its columns decoded.
 */
export const PROFILE_HEAD_ROWS = 100_000;

/** A categorical covariate keeps at most this many levels (the rest are pooled with the reference). */
export const MAX_LEVELS = 20;

export async function describeRelation(source: Store | Engine, relation: string): Promise<ColumnInfo[]> {
  return asEngine(source).columns(relation);
}

/** The flag that names a column of each role, for the error's fix. */
const ROLE_FLAGS: Record<string, string> = {
  unit: '--unit',
  group: '--group',
  metric: '--metric',
  covariate: '--covariates',
  segment: '--segments',
  'ratio numerator': '--ratio',
  'ratio denominator': '--ratio',
  'percentile metric': '--percentile',
};

export function requireColumn(columns: ColumnInfo[], name: string, role: string, source: string): ColumnInfo {
  const c = columns.find((x) => x.name === name) ?? columns.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!c) {
    const names = columns.map((x) => x.name);
    const close = didYouMean(name, names);
    const flag = ROLE_FLAGS[role];
    // A unit column left at its default: point at --unit and at the column that looks like an id.
    const idLike = role === 'unit' && !close ? names.find((x) => /(^|_)id$/i.test(x) || /[a-z]ID$/.test(x)) : undefined;
    const fix = flag ? `name the ${role} column with ${flag}${idLike ? ` (e.g. ${flag} ${idLike})` : ''}; ` : '';
    throw new UserError(`${role} column "${name}" is not in ${source}${close ? ` (did you mean "${close}"?)` : ''}`, {
      hint: `${fix}its columns are: ${names.join(', ')}`,
      code: 'UNKNOWN_COLUMN',
      exitCode: 2,
    });
  }
  return c;
}

export interface Levels {
  /** Levels that get their own indicator column (the most frequent level is the reference). */
  kept: string[];
  reference: string;
  pooled: number;
  /** Distinct values seen (in the sample), counted up to maxLevels + 1. */
  seen: number;
  /**
   * DuckDB: non-NULL values seen and those of them that are not numbers (TRY_CAST to DOUBLE fails),
   * the screen for a text column of numbers with a few bad values; absent elsewhere.
   */
  numbers?: { values: number; bad: number };
}

export interface Profile {
  rows: number;
  /** Rows the sample statistics were computed on (= rows when the relation is small). */
  sampleRows: number;
  /** Distinct units among the sampled rows. */
  sampleUnits: number;
  /** Mean of each numeric column on the sample (a centring constant; any constant is exact). */
  means: Map<string, number>;
  /**
   * Root mean square deviation of each numeric column on the same rows, from plain AVG(x * x) (so
   * rough where |mean| >> spread: it only decides whether the centring subtraction is needed).
   */
  spreads: Map<string, number>;
  levels: Map<string, Levels>;
  /**
   * Categorical columns with at most maxLevels distinct values in the first rows of a Parquet file
   * read in place: no levels here, the moments pass groups by their stored value and its cells
   * give the exact levels (levelsFromCounts) and the numbers screen; absent from `levels`.
   */
  cellLevels: string[];
}

export interface ProfileOptions {
  unit: string;
  numeric: string[];
  categorical: string[];
  maxLevels?: number;
  /** The relation's row count when the caller knows it (one COUNT(*) fewer). */
  rows?: number | undefined;
  /**
   * A relation of the relation's first PROFILE_HEAD_ROWS rows in order that reads less than a LIMIT
   * (a Parquet file's first row group, by file_row_number: no single-thread setting, half the CPU).
   */
  head?: string | undefined;
}

export async function profileRelation(source: Store | Engine, relation: string, opts: ProfileOptions): Promise<Profile> {
  const store = asEngine(source);
  const d = store.dialect;
  const rows = opts.rows ?? Number((await store.all(`SELECT COUNT(*) AS n FROM ${relation}`))[0]?.n ?? 0);
  const pct = Math.min(100, (PROFILE_SAMPLE_ROWS / Math.max(rows, 1)) * 100);
  // Sampling syntax differs per engine and only works on base tables in some: warehouses profile the
  // whole relation (one more aggregate pass; the means are only centring constants, any one is exact).
  const small = rows <= PROFILE_SAMPLE_ROWS || d.name !== 'duckdb';
  const sample = small ? relation : `(SELECT * FROM ${relation} USING SAMPLE ${pct.toFixed(4)}% (system, 42)) AS __sample`;
  // Means (centring constants) and the duplicate screen read the first rows of a large relation: a
  // block sample still decodes every column of a file read in place, the first rows only a few
  // row groups. Levels keep the block sample (one column, and a file sorted by it must not hide them).
  // LIMIT is every engine's word, so warehouses screen the first rows too: an exact COUNT(DISTINCT unit)
  // of a large relation costs more than the analysis (on a ClickHouse Distributed table every shard
  // ships its whole set of units to be merged).
  const headRows = d.name === 'duckdb' ? PROFILE_HEAD_ROWS : PROFILE_SAMPLE_ROWS;
  const given = rows > headRows && d.name === 'duckdb' ? opts.head : undefined;
  const head = rows <= headRows ? relation : (given ?? `(SELECT * FROM ${relation} LIMIT ${headRows}) AS __head`);
  const parts = ['COUNT(*) AS n', `COUNT(DISTINCT ${d.ident(opts.unit)}) AS units`];
  opts.numeric.forEach((c, i) => parts.push(`AVG(${d.double(d.ident(c))}) AS mu${i}`, `AVG(${d.double(d.ident(c))} * ${d.double(d.ident(c))}) AS sq${i}`));
  // On a Parquet file read in place, the categoricals' distinct values in the same first rows say
  // whether the moments pass can group by their stored value and read the levels from its cells.
  const cats = given ? opts.categorical : [];
  cats.forEach((c, i) => parts.push(`COUNT(DISTINCT ${d.ident(c)}) AS k${i}`));
  const sql = `SELECT ${parts.join(', ')} FROM ${head}`;
  const [row] = await (small || given ? store.all(sql) : oneThread(store, sql));
  const means = new Map<string, number>();
  const spreads = new Map<string, number>();
  opts.numeric.forEach((c, i) => {
    const mu = Number(row?.[`mu${i}`] ?? 0);
    means.set(c, mu);
    spreads.set(c, Math.sqrt(Math.max(0, Number(row?.[`sq${i}`] ?? 0) - mu * mu)));
  });
  const sampleRows = Number(row?.n ?? 0);
  const cellLevels = cats.filter((c, i) => Number(row?.[`k${i}`] ?? Infinity) <= (opts.maxLevels ?? MAX_LEVELS));
  const levels = new Map<string, Levels>();
  for (const c of opts.categorical.filter((x) => !cellLevels.includes(x))) levels.set(c, await categoricalLevels(store, sample, c, small ? rows : undefined, opts.maxLevels)); // small: the levels read the whole relation
  return { rows, sampleRows, sampleUnits: Number(row?.units ?? 0), means, spreads, levels, cellLevels };
}

/**
 * A DuckDB query on one thread, the setting restored after: the first rows of a file are about one
 * row group, which one thread decodes; with more, each thread decodes a row group of its own past
 * the LIMIT (about a third more CPU, and more wall time on a loaded machine).
 */
async function oneThread(store: Engine, sql: string): Promise<Record<string, unknown>[]> {
  const [setting] = await store.all(`SELECT current_setting('threads') AS t`);
  const threads = Number(setting?.t);
  if (!(Number.isInteger(threads) && threads > 1)) return store.all(sql);
  await store.all('SET threads = 1');
  try {
    return await store.all(sql);
  } finally {
    await store.all(`SET threads = ${threads}`);
  }
}

/** Levels of a categorical covariate: frequent ones kept, rare ones pooled with the reference. */
async function categoricalLevels(store: Engine, relation: string, column: string, known: number | undefined, maxLevels = MAX_LEVELS): Promise<Levels> {
  const d = store.dialect;
  const c = d.ident(column);
  const level = `coalesce(${d.text(c)}, ${d.literal('(null)')})`;
  // The size of a block sample is only known once drawn (DuckDB, where it is used): counted alongside.
  // On DuckDB the same scan screens the values for numbers (TRY_CAST once per distinct value, not per row).
  const screen = d.name === 'duckdb' ? `, SUM(COUNT(${c})) OVER () AS __values, SUM(CASE WHEN TRY_CAST(${level} AS DOUBLE) IS NULL THEN COUNT(${c}) ELSE 0 END) OVER () AS __bad` : '';
  const found = await store.all<{ __level: string; n: number; total?: number; __values?: number; __bad?: number }>(
    `SELECT ${level} AS __level, COUNT(*) AS n${known === undefined ? ', SUM(COUNT(*)) OVER () AS total' : ''}${screen} FROM ${relation} GROUP BY __level ORDER BY n DESC, __level LIMIT ${maxLevels + 1}`,
  );
  const total = known ?? Number(found[0]?.total ?? 0);
  const numbers = screen ? { values: Number(found[0]?.__values ?? 0), bad: Number(found[0]?.__bad ?? 0) } : undefined;
  return { ...levelsFromCounts(found.map((r) => ({ level: String(r.__level), n: Number(r.n) })), total, maxLevels), ...(numbers ? { numbers } : {}) };
}

/**
 * Levels from counts per level (text, NULL as "(null)"): the most frequent is the reference, the
 * next ones with at least max(30, 0.5% of `total`) units are kept (up to maxLevels in all), the
 * rest pooled with the reference; ties ranked by the level's text. Counts of a sample, or of every
 * row (the moments pass's cells). `seen` counts up to maxLevels + 1, as the sample query does.
 */
export function levelsFromCounts(counts: { level: string; n: number }[], total: number, maxLevels = MAX_LEVELS): Omit<Levels, 'numbers'> {
  const rows = [...counts]
    .sort((a, b) => b.n - a.n || (a.level < b.level ? -1 : a.level > b.level ? 1 : 0))
    .slice(0, maxLevels + 1)
    .map((r) => ({ v: r.level, n: r.n }));
  const minCount = Math.max(30, Math.ceil(total * 0.005));
  const frequent = rows.filter((r) => r.n >= minCount).slice(0, maxLevels);
  const reference = frequent[0]?.v ?? rows[0]?.v ?? '';
  return { kept: frequent.slice(1).map((r) => r.v), reference, pooled: rows.length - frequent.length, seen: rows.length };
}

/** Exact upper caps at `quantile` for each column (one pass). */
export async function winsorCaps(source: Store | Engine, relation: string, columns: string[], quantile: number): Promise<Map<string, number>> {
  const caps = new Map<string, number>();
  if (columns.length === 0) return caps;
  const store = asEngine(source);
  const d = store.dialect;
  const [row] = await store.all(`SELECT ${columns.map((c, i) => `${d.quantile(d.double(d.ident(c)), quantile)} AS q${i}`).join(', ')} FROM ${relation}`);
  columns.forEach((c, i) => {
    const v = row?.[`q${i}`];
    if (v !== null && v !== undefined) caps.set(c, Number(v));
  });
  return caps;
}

/** SQL for a categorical cell key: the value when it is a kept level, else '__other' (NULL is "(null)"). */
export function levelKey(column: string, kept: string[], d: Dialect = DIALECTS.duckdb): string {
  return levelOf(d.ident(column), kept, d);
}

/** levelKey of an SQL expression (e.g. a cell's raw value) rather than a column name. */
export function levelOf(expr: string, kept: string[], d: Dialect = DIALECTS.duckdb): string {
  const c = `coalesce(${d.text(expr)}, ${d.literal('(null)')})`;
  return `CASE WHEN ${c} IN (${kept.map((k) => d.literal(k)).join(', ')}) THEN ${c} ELSE ${d.literal('__other')} END`;
}
