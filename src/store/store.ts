/**
 * The embedded DuckDB project store: open (creating and migrating when allowed), typed
 * query helpers, and transactions. Only this module and store/* talk to DuckDB directly.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { looksLikeDuckDb } from './file-kind.js';
import path from 'node:path';
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader, DuckDBValue } from '@duckdb/node-api';
import { UserError, errorMessage } from '../core/errors.js';
import { LATEST_VERSION, MIGRATIONS } from './schema.js';
import { forgetConnection, observed } from './observer.js';

export type Row = Record<string, unknown>;

/**
 * The DuckDB binding, loaded on first use through `require`: it is CommonJS, and importing it as
 * ESM costs about 0.6 CPU-s more at start-up (cjs-module-lexer parses every file for named exports).
 */
function duckdb(): typeof DuckDB {
  return createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
}

export interface OpenOptions {
  /** Create the file (and its folder) when missing. Default false. */
  create?: boolean;
  /** Open read-only: no migrations, no writes. */
  readOnly?: boolean;
  /** Apply pending migrations. Default true for read-write opens. */
  migrate?: boolean;
  /** Stop migrating at this version (tests of older stores). */
  targetVersion?: number;
  /** Forbid file and network access from SQL (for user-written queries). */
  sandbox?: boolean;
}

export class Store {
  /** Whether the job log may ask DuckDB for a profile file (not in a sandbox without file access). */
  private profiling = true;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  /** An in-memory store with the latest schema (tests, scratch analysis). */
  static async memory(options: { migrate?: boolean } = {}): Promise<Store> {
    const { DuckDBInstance } = duckdb();
    const instance = await DuckDBInstance.create(':memory:');
    const store = new Store(':memory:', instance, await instance.connect(), false);
    if (options.migrate !== false) await store.migrate();
    return store;
  }

  static async open(file: string, options: OpenOptions = {}): Promise<Store> {
    const readOnly = options.readOnly ?? false;
    const exists = fs.existsSync(file);
    if (!exists && !options.create) {
      throw new UserError(`no project store at ${file}`, {
        hint: 'run `statsig-hack init` (or `statsig-hack demo`) first, or pass --db with an existing store',
        code: 'STORE_MISSING',
      });
    }
    if (!exists) fs.mkdirSync(path.dirname(file), { recursive: true });
    // A CSV or another file that is no DuckDB database: refused before DuckDB opens (or writes) it.
    if (exists && !looksLikeDuckDb(file)) {
      throw new UserError(`${file} is not a DuckDB database file`, {
        hint: 'pass --db with a project store (`statsig-hack init` creates one); to analyze a CSV or Parquet file, use --data',
        code: 'STORE_NOT_DUCKDB',
      });
    }
    const { DuckDBInstance } = duckdb();
    let instance: DuckDBInstance;
    try {
      const config: Record<string, string> = {};
      if (readOnly) config.access_mode = 'READ_ONLY';
      if (options.sandbox) config.enable_external_access = 'false';
      instance = await DuckDBInstance.create(file, config);
    } catch (error) {
      throw translateOpenError(error, file);
    }
    const store = new Store(file, instance, await instance.connect(), readOnly);
    store.profiling = !options.sandbox;
    if (readOnly) {
      const version = await store.version();
      if (version < LATEST_VERSION) {
        store.close();
        throw new UserError(`the project store at ${file} is at schema version ${version}, this statsig-hack needs ${LATEST_VERSION}`, {
          hint: 'run `statsig-hack init` once to migrate it',
          code: 'STORE_OUTDATED',
        });
      }
    } else if (options.migrate !== false) {
      await store.migrate(options.targetVersion);
    }
    return store;
  }

  async version(): Promise<number> {
    const exists = await this.all(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = 'main'`);
    if (Number(exists[0]?.n ?? 0) === 0) return 0;
    const rows = await this.all('SELECT coalesce(max(version), 0) AS v FROM schema_version');
    return Number(rows[0]?.v ?? 0);
  }

  /** Applies pending migrations, each in its own transaction. Returns the versions applied. */
  async migrate(targetVersion = LATEST_VERSION): Promise<number[]> {
    await this.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)');
    const current = await this.version();
    if (current > LATEST_VERSION) {
      throw new UserError(`the project store is at schema version ${current}, newer than this statsig-hack knows (${LATEST_VERSION})`, {
        hint: 'upgrade statsig-hack, or point --db at another store',
        code: 'STORE_TOO_NEW',
      });
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= current || m.version > targetVersion) continue;
      await this.transaction(async () => {
        for (const sql of m.statements) await this.run(sql);
        await this.run('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [m.version, m.description]);
      });
      applied.push(m.version);
    }
    return applied;
  }

  /** Another connection to the same database (a reader beside a writer: it sees only committed data). */
  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    await observed(this.conn, sql, this.profiling, () => this.conn.run(sql, params));
  }

  /** Runs a query and returns plain rows (bigint as number when safe, Date as Date). */
  async all<T extends Row = Row>(sql: string, params?: DuckDBValue[]): Promise<T[]> {
    const reader = await observed(this.conn, sql, this.profiling, () => this.conn.runAndReadAll(sql, params), rowCount);
    return reader.getRowObjectsJS().map((r) => normalizeRow(r) as T);
  }

  /** Column names and rows of a query, for rendering arbitrary SQL. */
  async table(sql: string): Promise<{ columns: string[]; rows: Row[] }> {
    const reader = await observed(this.conn, sql, this.profiling, () => this.conn.runAndReadAll(sql), rowCount);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJS().map(normalizeRow) };
  }

  /** Runs `fn` inside BEGIN/COMMIT; any error rolls back and is rethrown. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      try {
        await this.run('ROLLBACK');
      } catch {
        // the transaction may already be aborted; the original error matters
      }
      throw error;
    }
  }

  async count(table: string): Promise<number> {
    const rows = await this.all(`SELECT count(*) AS n FROM ${quoteIdent(table)}`);
    return Number(rows[0]?.n ?? 0);
  }

  close(): void {
    forgetConnection(this.conn);
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Rows a materialized result holds (the job log's rows returned). */
function rowCount(reader: DuckDBResultReader): number {
  return reader.currentRowCount;
}

function normalizeRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = normalizeValue(v);
  return out;
}

export function normalizeValue(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (Array.isArray(v)) return v.map(normalizeValue);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const o: Row = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalizeValue(x);
    return o;
  }
  return v;
}

function translateOpenError(error: unknown, file: string): unknown {
  const msg = errorMessage(error);
  if (/lock/i.test(msg)) {
    const pid = /PID (\d+)/.exec(msg)?.[1];
    return new UserError(`the project store ${file} is in use by another process${pid ? ` (pid ${pid})` : ''}`, {
      hint: 'wait for the other statsig-hack command to finish, or pass --db with another store',
      code: 'STORE_LOCKED',
      cause: error,
    });
  }
  if (/not a valid DuckDB database|Unable to open|IO Error/i.test(msg)) {
    return new UserError(`cannot open the project store ${file}: ${msg.split('\n')[0] ?? msg}`, {
      hint: 'check that the path is a DuckDB file written by statsig-hack, or pass --db with another path',
      code: 'STORE_INVALID',
      cause: error,
    });
  }
  return error;
}

/** Quotes a SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
