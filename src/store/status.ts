/** Summary of what a store holds. */
import { DATA_TABLES, LATEST_VERSION } from './schema.js';
import { fnv1a, readCached, storeStamp, writeCached } from './status-cache.js';
import type { Store } from './store.js';

export interface StoreStatus {
  db: string;
  schema_version: number;
  project: { name: string; description?: string } | null;
  tables: Record<string, number>;
  entities: Record<string, number>;
  experiments_by_status: Record<string, number>;
  /** Every experiment, by status then name. */
  experiments: { name: string; status: string }[];
}

export async function storeStatus(store: Store): Promise<StoreStatus> {
  const tables: Record<string, number> = {};
  for (const t of DATA_TABLES) tables[t] = await store.count(t);
  const entities: Record<string, number> = {};
  for (const r of await store.all<{ kind: string; n: number }>('SELECT kind, count(*) AS n FROM entities GROUP BY kind ORDER BY kind')) entities[r.kind] = r.n;
  const experiments_by_status: Record<string, number> = {};
  for (const r of await store.all<{ status: string; n: number }>("SELECT coalesce(status, 'unknown') AS status, count(*) AS n FROM entities WHERE kind = 'experiments' GROUP BY 1 ORDER BY 1")) {
    experiments_by_status[r.status] = r.n;
  }
  const experiments = await store.all<{ name: string; status: string }>(
    "SELECT name, coalesce(status, 'unknown') AS status FROM entities WHERE kind = 'experiments' ORDER BY status, name",
  );
  const meta = await store.all<{ value: string }>("SELECT value FROM project WHERE key = 'project'");
  return { db: store.path, schema_version: await store.version(), project: projectOf(meta[0]?.value), tables, entities, experiments_by_status, experiments };
}

function projectOf(value: string | null | undefined): StoreStatus['project'] {
  if (value === undefined || value === null) return null;
  const parsed = JSON.parse(String(value)) as { name?: string; description?: string };
  return { name: parsed.name ?? 'unnamed', ...(parsed.description ? { description: parsed.description } : {}) };
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Each part of the summary: its key in the document, its value as JSON, and where from (one row each). */
const STATUS_PARTS: [key: string, value: string, from: string][] = [
  ['schema_version', 'to_json(coalesce(max(version), 0))', 'schema_version'],
  ['project', 'to_json(any_value(value::VARCHAR))', "project WHERE key = 'project'"],
  ...DATA_TABLES.map((t): [string, string, string] => [`table:${t}`, 'to_json(count(*))', quote(t)]),
  // A MAP, its keys in order (as GROUP BY kind ORDER BY kind); NULL for an empty table.
  ['kinds', 'to_json(histogram(kind))', 'entities'],
  ['experiments', 'to_json(list({name: name, status: status} ORDER BY status, name))', "(SELECT name, coalesce(status, 'unknown') AS status FROM entities WHERE kind = 'experiments')"],
];

/**
 * The whole summary as one JSON document, in one statement, for the bindings-only reader
 * (store/lite.ts). A UNION of one-row aggregates: as scalar subqueries of one SELECT, DuckDB's
 * join-order optimizer alone took three times the CPU of the queries. The counts by status come
 * from the experiments list (already in status order) rather than from a query of their own.
 */
export const STATUS_SQL = `SELECT '{' || string_agg(to_json(k) || ':' || v, ',' ORDER BY i) || '}' AS doc FROM (
${STATUS_PARTS.map(([key, value, from], i) => `  SELECT ${i} AS i, ${literal(key)} AS k, ${value} AS v FROM ${from}`).join('\n  UNION ALL\n')}
)`;

interface StatusDocument {
  schema_version: number;
  project: string | null;
  kinds: Record<string, number> | null;
  experiments: { name: string; status: string }[] | null;
  [table: `table:${string}`]: number;
}

/**
 * The summary read with the DuckDB bindings alone (one read-only query, a fraction of the start-up
 * of Store), or null when that cannot answer: no store, a lock, an older schema, any error. The
 * caller then opens the Store, which words the problem as before.
 */
export async function storeStatusLite(db: string): Promise<StoreStatus | null> {
  let doc: StatusDocument;
  try {
    const { readJsonDocument } = await import('./lite.js');
    doc = (await readJsonDocument(db, STATUS_SQL)) as StatusDocument;
  } catch {
    return null;
  }
  if (!doc || doc.schema_version < LATEST_VERSION) return null;
  const tables: Record<string, number> = {};
  for (const t of DATA_TABLES) tables[t] = Number(doc[`table:${t}`]);
  const experiments = doc.experiments ?? [];
  const experiments_by_status: Record<string, number> = {};
  for (const e of experiments) experiments_by_status[e.status] = (experiments_by_status[e.status] ?? 0) + 1;
  return { db, schema_version: doc.schema_version, project: projectOf(doc.project), tables, entities: doc.kinds ?? {}, experiments_by_status, experiments };
}

/** What a cached summary must have been made by: this query, this schema, this shape (bump the `v`). */
const CACHE_KEY = fnv1a(`v1\n${LATEST_VERSION}\n${STATUS_SQL}`);

/** The summary kept beside the store at `db` when the store has not changed since it was read; else null. */
export function cachedStoreStatus(db: string): StoreStatus | null {
  const cached = readCached<Omit<StoreStatus, 'db'>>(db, CACHE_KEY);
  return cached && cached.schema_version === LATEST_VERSION ? { db, ...cached } : null;
}

/**
 * The summary of the store at `db` without opening a Store: the last one kept beside the store
 * when the store has not changed since (status-cache.ts: no DuckDB at all), else one read-only
 * query through the bindings alone (kept for next time); null when neither can answer (no store,
 * a lock, an older schema, any error). Never throws.
 */
export async function quickStoreStatus(db: string): Promise<StoreStatus | null> {
  const cached = cachedStoreStatus(db);
  if (cached) return cached;
  const before = storeStamp(db);
  const lite = await storeStatusLite(db);
  if (!lite) return null;
  const { db: _db, ...value } = lite;
  writeCached(db, CACHE_KEY, before, value);
  return lite;
}

/**
 * The summary of the store at `db` for `status`: `quickStoreStatus`, else the Store opened
 * read-only (which throws STORE_MISSING, STORE_OUTDATED, STORE_LOCKED and the rest as before).
 */
export async function readStoreStatus(db: string): Promise<StoreStatus> {
  const quick = await quickStoreStatus(db);
  if (quick) return quick;
  const { Store } = await import('./store.js');
  const store = await Store.open(db, { readOnly: true });
  try {
    return await storeStatus(store);
  } finally {
    store.close();
  }
}
