/**
 * Bounded and streaming reads of arbitrary (user-written) SQL.
 *
 * - With a row limit and a single SELECT, the limit is pushed into the SQL
 *   (`SELECT * FROM (<sql>) LIMIT n`): DuckDB plans a top-N and stops scanning, and the at most n
 *   rows are read in one materialized result, so errors surface as errors.
 * - Without a limit the result is streamed in DuckDB's chunks (about 2,048 rows), so nothing
 *   holds more than a chunk. DuckDB's node binding ends a stream that fails mid-way exactly like
 *   one that is exhausted, so a streamed SELECT is checked at the end against its row count and
 *   a short stream becomes an error instead of a silently cut result.
 */
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBPreparedStatement, DuckDBResult, DuckDBValueConverter } from '@duckdb/node-api';
import { normalizeValue, type Store } from './store.js';
import { observed } from './observer.js';

export interface QueryStream {
  /** Column names, made unique (a repeated name gets a suffix, as DuckDB does). */
  columns: string[];
  /** True when the limit was pushed into the SQL (a wrapped SELECT). */
  limitPushed: boolean;
  /**
   * Rows as arrays of plain values, one chunk at a time: bigint as number when safe, TIMESTAMP as
   * Date, DATE as its 'YYYY-MM-DD' text (a calendar day has no time or zone to show).
   */
  batches: AsyncIterable<unknown[][]> | Iterable<unknown[][]>;
}

export interface QueryStreamOptions {
  /** Stop after this many rows (and push `LIMIT limit` into a single SELECT). Default: every row. */
  limit?: number;
}

const SELECT_STATEMENT = 1; // duckdb StatementType.SELECT

let converter: DuckDBValueConverter<unknown> | undefined;

/**
 * The binding's JS conversion, except that a DATE (also inside a LIST or STRUCT) becomes its
 * 'YYYY-MM-DD' text instead of a Date at UTC midnight, which every output would show as a
 * timestamp. The binding is loaded on first use, as in store.ts.
 */
export function queryValueConverter(): DuckDBValueConverter<unknown> {
  if (converter) return converter;
  const { JSDuckDBValueConverter, DuckDBTypeId } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
  const js = JSDuckDBValueConverter as DuckDBValueConverter<unknown>;
  converter = (value, type, self) => (value !== null && type.typeId === DuckDBTypeId.DATE ? String(value) : js(value, type, self));
  return converter;
}

function body(sql: string): string {
  return sql.replace(/(\s|;)+$/u, '');
}

/** `SELECT * FROM (<sql>) LIMIT n`: newlines keep a trailing `-- comment` from swallowing the parenthesis. */
export function limitedSql(sql: string, limit: number): string {
  return `SELECT * FROM (\n${body(sql)}\n) AS __query LIMIT ${Math.max(0, Math.floor(limit))}`;
}

/** Prepares the statement when `sql` is exactly one statement of type SELECT, else null. */
async function prepareSelect(store: Store, sql: string): Promise<DuckDBPreparedStatement | null> {
  try {
    const extracted = await store.conn.extractStatements(sql);
    if (extracted.count !== 1) return null;
    const statement = await extracted.prepare(0);
    return Number(statement.statementType) === SELECT_STATEMENT ? statement : null;
  } catch {
    return null;
  }
}

async function prepareLast(store: Store, sql: string): Promise<DuckDBPreparedStatement> {
  const extracted = await store.conn.extractStatements(sql);
  const count = extracted.count;
  // Earlier statements run first (as DuckDB's own `run` does); the last one is read.
  for (let i = 0; i < count - 1; i++) await (await extracted.prepare(i)).run();
  return extracted.prepare(Math.max(0, count - 1));
}

async function* chunks(result: DuckDBResult, limit: number): AsyncGenerator<unknown[][]> {
  let left = limit;
  if (left <= 0) return;
  for await (const rows of result.yieldConvertedRows(queryValueConverter())) {
    const take = rows.length > left ? rows.slice(0, left) : rows;
    left -= take.length;
    yield take.map((r) => r.map(normalizeValue));
    if (left <= 0) return;
  }
}

/** Throws when a streamed SELECT gave fewer rows than it has (the binding hides mid-stream errors). */
async function assertComplete(store: Store, sql: string, emitted: number): Promise<void> {
  // An aggregate over every column (the row as a struct) re-evaluates each value without holding
  // any: a runtime error is thrown here, with DuckDB's message, as a small materialized result.
  const [r] = await store.all(`SELECT count(*) AS n, bit_xor(hash(__query)) AS h FROM (\n${body(sql)}\n) AS __query`);
  const total = Number(r?.n ?? 0);
  if (total > emitted) {
    throw new Error(`the result stopped after ${emitted.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows (DuckDB ended the stream early)`);
  }
}

/** Results up to this many rows are read in one materialized result (errors surface directly). */
export const MATERIALIZE_MAX_ROWS = 10_000;

/**
 * Reads `sql`: at most `limit` rows (pushed into SQL when possible), or every row as a stream.
 * The job log (`jobs`) records the query up to its first rows, and its error when it fails, with
 * the rows it returned when they were read at once (a bounded read; a stream's count is not known
 * when the record is made). The sandbox (file access disabled) cannot write DuckDB's profile
 * file, so the record holds no profile: `jobs show` says so and points to EXPLAIN ANALYZE.
 */
export async function streamQuery(store: Store, sql: string, options: QueryStreamOptions = {}): Promise<QueryStream> {
  return observed(store.conn, sql, false, () => openQuery(store, sql, options), rowsRead);
}

/** Rows of a result read at once; NaN for a stream (written to the log as null: not known). */
function rowsRead(stream: QueryStream): number {
  return Array.isArray(stream.batches) ? (stream.batches as unknown[][][]).reduce((n, b) => n + b.length, 0) : Number.NaN;
}

async function openQuery(store: Store, sql: string, options: QueryStreamOptions): Promise<QueryStream> {
  const limit = options.limit;
  let select = await prepareSelect(store, sql);
  let text = sql;
  let limitPushed = false;
  if (limit !== undefined && select !== null) {
    const wrapped = await prepareSelect(store, limitedSql(sql, limit));
    if (wrapped !== null) {
      select = wrapped;
      text = limitedSql(sql, limit);
      limitPushed = true;
      if (limit <= MATERIALIZE_MAX_ROWS) {
        const reader = await wrapped.runAndReadAll();
        const rows = reader.convertRows(queryValueConverter()).map((r) => r.map(normalizeValue));
        return { columns: reader.deduplicatedColumnNames(), limitPushed, batches: rows.length > 0 ? [rows] : [] };
      }
    }
  }
  const statement = select ?? (await prepareLast(store, sql));
  const result = await statement.stream();
  const columns = result.deduplicatedColumnNames();
  const checked = select;
  async function* all(): AsyncGenerator<unknown[][]> {
    let emitted = 0;
    for await (const batch of chunks(result, limit ?? Number.POSITIVE_INFINITY)) {
      emitted += batch.length;
      yield batch;
    }
    if (checked !== null && (limit === undefined || emitted < limit)) await assertComplete(store, text, emitted);
  }
  return { columns, limitPushed, batches: all() };
}
