/**
 * Looks at an analysis relation before the moments pass: its columns and types, units per
 * group, NULL counts and means (used as centring shifts), categorical levels for one-hot
 * encoding, and winsorization caps. A couple of cheap aggregate queries; no rows leave DuckDB.
 */
import { UserError } from '../core/errors.js';
import { quoteIdent, quoteLiteral, type Store } from '../store/store.js';

export interface ColumnInfo {
  name: string;
  type: string;
  numeric: boolean;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/i;

export async function describeRelation(store: Store, relation: string): Promise<ColumnInfo[]> {
  const rows = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${relation}`);
  return rows.map((r) => ({ name: r.column_name, type: r.column_type, numeric: NUMERIC.test(r.column_type) }));
}

export function requireColumn(columns: ColumnInfo[], name: string, role: string, source: string): ColumnInfo {
  const c = columns.find((x) => x.name === name) ?? columns.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!c) {
    throw new UserError(`${role} column "${name}" is not in ${source}`, {
      hint: `its columns are: ${columns.map((x) => x.name).join(', ')}`,
      code: 'UNKNOWN_COLUMN',
    });
  }
  return c;
}

export interface ColumnStats {
  nonNull: number;
  mean: number;
  min: number;
  max: number;
}

export interface Profile {
  rows: number;
  approxDistinctUnits: number;
  groups: Map<string, number>;
  stats: Map<string, ColumnStats>;
  caps: Map<string, number>;
}

/** One aggregate query: rows, distinct units (approximate), NULL counts, means and caps of numeric columns. */
export async function profileRelation(
  store: Store,
  relation: string,
  opts: { unit: string; group: string; numeric: string[]; winsorize?: { columns: string[]; quantile: number } },
): Promise<Profile> {
  const parts = ['COUNT(*) AS n', `approx_count_distinct(${quoteIdent(opts.unit)}) AS units`];
  opts.numeric.forEach((c, i) => {
    const q = quoteIdent(c);
    parts.push(`COUNT(${q}) AS nn${i}`, `AVG(CAST(${q} AS DOUBLE)) AS mu${i}`, `MIN(CAST(${q} AS DOUBLE)) AS lo${i}`, `MAX(CAST(${q} AS DOUBLE)) AS hi${i}`);
  });
  const wcols = opts.winsorize?.columns ?? [];
  wcols.forEach((c, i) => parts.push(`quantile_cont(CAST(${quoteIdent(c)} AS DOUBLE), ${opts.winsorize?.quantile ?? 1}) AS cap${i}`));
  const [row] = await store.all(`SELECT ${parts.join(', ')} FROM ${relation}`);
  const groups = new Map<string, number>();
  for (const g of await store.all<{ g: string | null; n: number }>(`SELECT CAST(${quoteIdent(opts.group)} AS VARCHAR) AS g, COUNT(*) AS n FROM ${relation} GROUP BY 1 ORDER BY 1`)) {
    groups.set(g.g ?? '(null)', Number(g.n));
  }
  const stats = new Map<string, ColumnStats>();
  opts.numeric.forEach((c, i) => {
    stats.set(c, {
      nonNull: Number(row?.[`nn${i}`] ?? 0),
      mean: Number(row?.[`mu${i}`] ?? 0),
      min: Number(row?.[`lo${i}`] ?? 0),
      max: Number(row?.[`hi${i}`] ?? 0),
    });
  });
  const caps = new Map<string, number>();
  wcols.forEach((c, i) => {
    const v = row?.[`cap${i}`];
    if (v !== null && v !== undefined) caps.set(c, Number(v));
  });
  return { rows: Number(row?.n ?? 0), approxDistinctUnits: Number(row?.units ?? 0), groups, stats, caps };
}

export interface Levels {
  /** Levels that get their own indicator column (the most frequent level is the reference). */
  kept: string[];
  reference: string;
  pooled: number;
}

/** Levels of a categorical covariate: frequent ones kept, rare ones pooled with the reference. */
export async function categoricalLevels(store: Store, relation: string, column: string, total: number, maxLevels = 20): Promise<Levels> {
  const rows = await store.all<{ v: string; n: number }>(
    `SELECT coalesce(CAST(${quoteIdent(column)} AS VARCHAR), '(null)') AS v, COUNT(*) AS n FROM ${relation} GROUP BY 1 ORDER BY n DESC, v LIMIT ${maxLevels + 1}`,
  );
  const minCount = Math.max(30, Math.ceil(total * 0.005));
  const frequent = rows.filter((r) => Number(r.n) >= minCount).slice(0, maxLevels);
  const reference = frequent[0]?.v ?? rows[0]?.v ?? '';
  const kept = frequent.slice(1).map((r) => r.v);
  const pooled = rows.length - frequent.length;
  return { kept, reference, pooled };
}

/** SQL for the indicator of one level (NULL counts as the level "(null)"). */
export function levelIndicator(column: string, level: string): string {
  const c = `coalesce(CAST(${quoteIdent(column)} AS VARCHAR), '(null)')`;
  return `CAST(${c} = ${quoteLiteral(level)} AS DOUBLE)`;
}
