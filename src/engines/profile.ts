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
  levels: Map<string, Levels>;
}

export async function profileRelation(source: Store | Engine, relation: string, opts: { unit: string; numeric: string[]; categorical: string[]; maxLevels?: number }): Promise<Profile> {
  const store = asEngine(source);
  const d = store.dialect;
  const [countRow] = await store.all(`SELECT COUNT(*) AS n FROM ${relation}`);
  const rows = Number(countRow?.n ?? 0);
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
  const head = rows <= headRows ? relation : `(SELECT * FROM ${relation} LIMIT ${headRows}) AS __head`;
  const parts = ['COUNT(*) AS n', `COUNT(DISTINCT ${d.ident(opts.unit)}) AS units`];
  opts.numeric.forEach((c, i) => parts.push(`AVG(${d.double(d.ident(c))}) AS mu${i}`));
  const [row] = await (small ? store.all(`SELECT ${parts.join(', ')} FROM ${head}`) : oneThread(store, `SELECT ${parts.join(', ')} FROM ${head}`));
  const means = new Map<string, number>();
  opts.numeric.forEach((c, i) => means.set(c, Number(row?.[`mu${i}`] ?? 0)));
  const sampleRows = Number(row?.n ?? 0);
  const levels = new Map<string, Levels>();
  for (const c of opts.categorical) levels.set(c, await categoricalLevels(store, sample, c, small ? rows : undefined, opts.maxLevels)); // small: the levels read the whole relation
  return { rows, sampleRows, sampleUnits: Number(row?.units ?? 0), means, levels };
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
  const rows = found.map((r) => ({ v: String(r.__level), n: Number(r.n) }));
  const minCount = Math.max(30, Math.ceil(total * 0.005));
  const frequent = rows.filter((r) => Number(r.n) >= minCount).slice(0, maxLevels);
  const reference = frequent[0]?.v ?? rows[0]?.v ?? '';
  const numbers = screen ? { values: Number(found[0]?.__values ?? 0), bad: Number(found[0]?.__bad ?? 0) } : undefined;
  return { kept: frequent.slice(1).map((r) => r.v), reference, pooled: rows.length - frequent.length, seen: rows.length, ...(numbers ? { numbers } : {}) };
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
