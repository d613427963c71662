/** Summary of what a store holds. */
import { DATA_TABLES } from './schema.js';
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
  let project: StoreStatus['project'] = null;
  if (meta[0]) {
    const parsed = JSON.parse(String(meta[0].value)) as { name?: string; description?: string };
    project = { name: parsed.name ?? 'unnamed', ...(parsed.description ? { description: parsed.description } : {}) };
  }
  return { db: store.path, schema_version: await store.version(), project, tables, entities, experiments_by_status, experiments };
}
