/**
 * Reads one JSON document from a project store with the DuckDB bindings alone (the native
 * library), without @duckdb/node-api: loading that wrapper's ~180 CommonJS files costs more
 * CPU than the query. For start-up-bound readers such as `status`: the store is opened
 * read-only, one SQL statement runs, and its single VARCHAR cell is parsed as JSON.
 *
 * Anything that writes, migrates, or needs more than one value goes through Store (store.ts).
 * Every failure throws (a missing file, a lock, a catalog error): the caller falls back to Store,
 * which words the error for the user. The query is reported to the job log's observer like any
 * Store query, without DuckDB's profile (that takes four more statements per run).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as Bindings from '@duckdb/node-bindings';
import { observedUnprofiled } from './observer.js';

/**
 * The native bindings. @duckdb/node-bindings' own entry first asks detect-libc whether the C
 * library is musl (about 5 ms of file reads on every start); the glibc build of this platform is
 * required directly instead, from beside that package. Where it cannot load (musl, another layout
 * of node_modules), the package's own entry chooses.
 */
export function bindings(): typeof Bindings {
  const require = createRequire(import.meta.url);
  try {
    const entry = require.resolve('@duckdb/node-bindings');
    return createRequire(entry)(`@duckdb/node-bindings-${process.platform}-${process.arch}/duckdb.node`) as typeof Bindings;
  } catch {
    return require('@duckdb/node-bindings') as typeof Bindings;
  }
}

/** DuckDB's string_t: 16 bytes, a 4-byte length, then the bytes inline (up to 12) or a prefix and a pointer. */
const STRING_T = 16;
const INLINE = 12;
const utf8 = new TextDecoder();

/** The text of row `row` of `vector` (a VARCHAR vector of `rows` rows), or null when that cell is NULL. */
export function varcharAt(ddb: typeof Bindings, vector: Bindings.Vector, rows: number, row: number): string | null {
  const validity = ddb.vector_get_validity(vector, Math.ceil(rows / 64) * 8);
  if (!ddb.validity_row_is_valid(validity, row)) return null;
  const data = ddb.vector_get_data(vector, rows * STRING_T);
  const offset = row * STRING_T;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = view.getUint32(offset, true);
  const bytes =
    length <= INLINE
      ? new Uint8Array(data.buffer, data.byteOffset + offset + 4, length)
      : ddb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + offset + 8, length);
  return utf8.decode(bytes);
}

/**
 * Runs `sql` (one statement whose first column is a VARCHAR) on the store at `file`, opened
 * read-only, and returns the first row's text (null for no row or a NULL cell).
 */
export async function readFirstText(file: string, sql: string): Promise<string | null> {
  if (!fs.existsSync(file)) throw new Error(`no store at ${file}`);
  const ddb = bindings();
  const config = ddb.create_config();
  ddb.set_config(config, 'duckdb_api', 'node-neo-api');
  ddb.set_config(config, 'access_mode', 'READ_ONLY');
  // One small query: DuckDB's worker threads would cost more to start and stop than they save.
  ddb.set_config(config, 'threads', '1');
  const db = await ddb.open(file, config);
  try {
    const conn = await ddb.connect(db);
    try {
      return await observedUnprofiled(sql, async () => {
        const result = await ddb.query(conn, sql);
        const chunk = await ddb.fetch_chunk(result);
        const rows = chunk ? ddb.data_chunk_get_size(chunk) : 0;
        return chunk && rows > 0 ? varcharAt(ddb, ddb.data_chunk_get_vector(chunk, 0), rows, 0) : null;
      });
    } finally {
      ddb.disconnect_sync(conn);
    }
  } finally {
    ddb.close_sync(db);
  }
}

/** `readFirstText`'s text parsed as JSON (null for no row or a NULL cell). */
export async function readJsonDocument(file: string, sql: string): Promise<unknown> {
  const text = await readFirstText(file, sql);
  return text === null ? null : (JSON.parse(text) as unknown);
}
