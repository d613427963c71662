/**
 * Where sums are computed. An Engine runs the aggregation queries the plans build (sql.ts,
 * profile.ts, analyze.ts) in its dialect and returns the few rows of per-group sums; the
 * math on them is src/stats/. The DuckDB project store is the default engine; each warehouse
 * is another (postgres.ts, clickhouse.ts, rest.ts), loaded only when configured.
 */
import type { Config } from '../core/config.js';
import { errorLine, queryObserver } from '../store/observer.js';
import { Store, type Row } from '../store/store.js';
import { dialectFor, type Dialect, type DialectName } from './dialect.js';

/** The config's `engine` section. */
export type EngineSettings = NonNullable<Config['engine']>;

export interface EngineColumn {
  name: string;
  /** The engine's own type name. */
  type: string;
  numeric: boolean;
}

/** What the engine reports about one query (the job log records it). */
export interface EngineQueryStats {
  /** Bytes the engine says it scanned (null when it does not say). */
  bytesScanned: number | null;
  /** Bytes of the result that came back over the wire. */
  bytesReturned: number;
  rowsReturned: number;
}

export interface Engine {
  readonly name: DialectName;
  readonly dialect: Dialect;
  /** Runs one read-only query; rows as plain objects keyed by column alias. */
  all<T extends Row = Row>(sql: string): Promise<T[]>;
  /** Columns of a relation (a quoted table name, or a parenthesised subquery with an alias). */
  columns(relation: string): Promise<EngineColumn[]>;
  /** Makes a relation that later queries may read more than once: a temp table where allowed, else the subquery itself. */
  materialize(name: string, select: string): Promise<string>;
  /** Stats of the last query (bytes back, bytes scanned as reported). */
  lastStats(): EngineQueryStats | null;
  close(): Promise<void>;
}

const DUCKDB_NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/i;

/** A column as DuckDB's DESCRIBE gives it (name and type), with whether analyze reads it as a number. */
export function duckdbColumn(name: string, type: string): EngineColumn {
  return { name, type, numeric: DUCKDB_NUMERIC.test(type) };
}

/** Rough size of rows as the bytes of their JSON text (what came back, engine-independent). */
export function resultBytes(rows: unknown[]): number {
  return Buffer.byteLength(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/**
 * What the warehouses reached over HTTP share: no temp tables (a relation read twice is the
 * subquery itself), the last query's stats, nothing to close. Each says how to query and describe.
 */
export abstract class RemoteEngine implements Engine {
  abstract readonly name: DialectName;
  abstract readonly dialect: Dialect;
  protected stats: EngineQueryStats | null = null;
  abstract all<T extends Row = Row>(sql: string): Promise<T[]>;
  abstract columns(relation: string): Promise<EngineColumn[]>;

  materialize(name: string, select: string): Promise<string> {
    return Promise.resolve(`(${select}) AS ${this.dialect.ident(name)}`);
  }

  lastStats(): EngineQueryStats | null {
    return this.stats;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The DuckDB project store (or an in-memory store holding a data file) as an engine. */
export class DuckDBEngine implements Engine {
  readonly name = 'duckdb' as const;
  readonly dialect = dialectFor('duckdb');
  private stats: EngineQueryStats | null = null;

  constructor(readonly store: Store) {}

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    const rows = await this.store.all<T>(sql);
    this.stats = { bytesScanned: null, bytesReturned: resultBytes(rows), rowsReturned: rows.length };
    return rows;
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const rows = await this.store.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${relation}`);
    return rows.map((r) => duckdbColumn(r.column_name, r.column_type));
  }

  async materialize(name: string, select: string): Promise<string> {
    await this.store.run(`DROP TABLE IF EXISTS ${this.dialect.ident(name)}`);
    await this.store.run(`CREATE TEMP TABLE ${this.dialect.ident(name)} AS ${select}`);
    return this.dialect.ident(name);
  }

  lastStats(): EngineQueryStats | null {
    return this.stats;
  }

  /** The store belongs to whoever opened it. */
  async close(): Promise<void> {}
}

/** Old callers pass a Store: it is the DuckDB engine. */
export function asEngine(source: Store | Engine): Engine {
  return source instanceof Store ? new DuckDBEngine(source) : source;
}

/**
 * Runs one warehouse query under the job log's observer (when `jobs` is recording): the record
 * carries what the engine reported, bytes scanned when it says so and the bytes that came back.
 */
export async function observeEngineQuery<T>(name: string, sql: string, exec: () => Promise<{ result: T; stats: EngineQueryStats }>): Promise<T> {
  const obs = queryObserver.getStore();
  if (!obs?.active) return (await exec()).result;
  const startedAt = Date.now();
  const t0 = performance.now();
  // As for a store query (observer.ts): a record that throws fails no query, and the query's own
  // result or error is what the caller gets.
  let done: { result: T; stats: EngineQueryStats };
  try {
    done = await exec();
  } catch (error) {
    try {
      obs.record({ sql, startedAt, durationMs: performance.now() - t0, ok: false, error: errorLine(error), profile: null, engine: { name, bytesScanned: null, bytesReturned: 0, rowsReturned: 0 } });
    } catch {
      // the log must never fail a query
    }
    throw error;
  }
  try {
    obs.record({ sql, startedAt, durationMs: performance.now() - t0, ok: true, error: null, profile: null, engine: { name, ...done.stats } });
  } catch {
    // as above
  }
  return done.result;
}
