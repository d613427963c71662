/**
 * The store side of `serve`: entities, audit rows, webhooks and deliveries as SQL. Every function
 * takes a `Sql` (the writer's store inside its transaction, or the reader connection).
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { normalizeValue, type Row, type Store } from '../store/store.js';
import { isKind, statusOf, typeOf, type Change, type Entity, type Kind } from './entities.js';

export interface Sql {
  all<T extends Row = Row>(sql: string, params?: DuckDBValue[]): Promise<T[]>;
  run(sql: string, params?: DuckDBValue[]): Promise<void>;
}

/** A `Sql` over a bare connection (the reader beside the writer). */
export function sqlOf(conn: DuckDBConnection): Sql {
  return {
    async all<T extends Row = Row>(sql: string, params?: DuckDBValue[]): Promise<T[]> {
      const reader = await conn.runAndReadAll(sql, params);
      return reader.getRowObjectsJS().map((r) => normalizeValue(r) as T);
    },
    async run(sql: string, params?: DuckDBValue[]): Promise<void> {
      await conn.run(sql, params);
    },
  };
}

export function storeSql(store: Store): Sql {
  return store;
}

const ENTITY_COLUMNS = `kind, name, epoch_ms(created_at) AS created_ms, epoch_ms(updated_at) AS updated_ms, CAST(spec AS VARCHAR) AS spec`;

interface EntityRow extends Row {
  kind: string;
  name: string;
  created_ms: number;
  updated_ms: number;
  spec: string;
}

function toEntity(r: EntityRow): Entity | null {
  if (!isKind(r.kind)) return null;
  let body: Record<string, unknown>;
  try {
    const parsed = JSON.parse(r.spec) as unknown;
    body = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return { kind: r.kind, id: r.name, createdAt: Number(r.created_ms), updatedAt: Number(r.updated_ms), body: { name: r.name, ...body } };
}

export async function loadEntities(sql: Sql): Promise<Entity[]> {
  const rows = await sql.all<EntityRow>(`SELECT ${ENTITY_COLUMNS} FROM entities ORDER BY created_at, name`);
  return rows.map(toEntity).filter((e): e is Entity => e !== null);
}

export async function getEntity(sql: Sql, kind: Kind, idOrName: string): Promise<Entity | undefined> {
  const rows = await sql.all<EntityRow>(
    `SELECT ${ENTITY_COLUMNS} FROM entities WHERE kind = $1 AND (name = $2 OR json_extract_string(spec, '$.name') = $2) ORDER BY name = $2 DESC LIMIT 1`,
    [kind, idOrName],
  );
  return rows[0] ? (toEntity(rows[0]) ?? undefined) : undefined;
}

/** One page of a listing straight from the store (serve --no-cache). */
export async function listEntities(
  sql: Sql,
  kind: Kind,
  q: { limit: number; page: number; type?: string | undefined; status?: string | undefined; tags?: string | undefined; search?: string | undefined },
): Promise<{ items: Entity[]; total: number }> {
  const where = ['kind = $1'];
  const params: DuckDBValue[] = [kind];
  const p = (v: DuckDBValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.type !== undefined) where.push(`coalesce(json_extract_string(spec, '$.type'), CASE WHEN kind = 'experiments' THEN 'experiment' END) = ${p(q.type)}`);
  if (q.status !== undefined) {
    where.push(`(CASE WHEN kind = 'experiments' THEN coalesce(json_extract_string(spec, '$.status'), 'setup')
                      WHEN kind IN ('gates','dynamic_configs') THEN CASE WHEN json_extract(spec, '$.isEnabled') = 'false' THEN 'disabled' ELSE 'enabled' END END) = ${p(q.status)}`);
  }
  for (const t of (q.tags ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    where.push(`list_contains(CAST(coalesce(json_extract(spec, '$.tags'), '[]') AS VARCHAR[]), ${p(t)})`);
  }
  if (q.search !== undefined) where.push(`contains(lower(coalesce(json_extract_string(spec, '$.name'), name)), ${p(q.search.toLowerCase())})`);
  const cond = where.join(' AND ');
  const total = await sql.all<{ n: number }>(`SELECT count(*) AS n FROM entities WHERE ${cond}`, params);
  const rows = await sql.all<EntityRow>(
    `SELECT ${ENTITY_COLUMNS} FROM entities WHERE ${cond} ORDER BY created_at, name LIMIT ${q.limit} OFFSET ${(q.page - 1) * q.limit}`,
    params,
  );
  return { items: rows.map(toEntity).filter((e): e is Entity => e !== null), total: Number(total[0]?.n ?? 0) };
}

/** Bulk write of a batch's final states: deletes for null, one multi-row upsert for the rest. */
export async function writeEntities(sql: Sql, finals: { kind: Kind; id: string; entity: Entity | null }[]): Promise<void> {
  const gone = finals.filter((f) => f.entity === null);
  for (let i = 0; i < gone.length; i += 200) {
    const chunk = gone.slice(i, i + 200);
    await sql.run(`DELETE FROM entities WHERE ${chunk.map((_, j) => `(kind = $${2 * j + 1} AND name = $${2 * j + 2})`).join(' OR ')}`, chunk.flatMap((f) => [f.kind, f.id]));
  }
  const live = finals.map((f) => f.entity).filter((e): e is Entity => e !== null);
  for (let i = 0; i < live.length; i += 200) {
    const chunk = live.slice(i, i + 200);
    const params: DuckDBValue[] = [];
    const values = chunk.map((e) => {
      const at = params.length;
      params.push(e.kind, e.id, typeOf(e.kind, e.body), statusOf(e.kind, e.body), e.createdAt, e.updatedAt, JSON.stringify(e.body));
      return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, epoch_ms($${at + 5}::BIGINT), epoch_ms($${at + 6}::BIGINT), CAST($${at + 7} AS JSON))`;
    });
    await sql.run(
      `INSERT INTO entities (kind, name, type, status, created_at, updated_at, spec) VALUES ${values.join(', ')}
       ON CONFLICT (kind, name) DO UPDATE SET type = excluded.type, status = excluded.status, updated_at = excluded.updated_at, spec = excluded.spec`,
      params,
    );
  }
}

/** Bulk insert of audit rows, in order. */
export async function insertAuditRows(sql: Sql, rows: Omit<AuditEntry, 'seq'>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const params: DuckDBValue[] = [];
    const values = chunk.map((a) => {
      const at = params.length;
      params.push(a.at, a.actor, a.source, a.action, a.kind, a.entity_id, JSON.stringify(a.diff));
      return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, CAST($${at + 7} AS JSON))`;
    });
    await sql.run(`INSERT INTO audit_log (at_ms, actor, source, action, kind, entity_id, diff) VALUES ${values.join(', ')}`, params);
  }
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  source: string;
  action: string;
  kind: string;
  entity_id: string;
  diff: Change[];
}

/** Records one mutation; returns its sequence number. */
export async function insertAudit(sql: Sql, a: Omit<AuditEntry, 'seq'>): Promise<number> {
  const rows = await sql.all<{ seq: number }>(
    `INSERT INTO audit_log (at_ms, actor, source, action, kind, entity_id, diff) VALUES ($1, $2, $3, $4, $5, $6, CAST($7 AS JSON)) RETURNING seq`,
    [a.at, a.actor, a.source, a.action, a.kind, a.entity_id, JSON.stringify(a.diff)],
  );
  return Number(rows[0]?.seq);
}

export async function readAudit(
  sql: Sql,
  q: { limit: number; page: number; kind?: string | undefined; entity?: string | undefined },
): Promise<{ items: AuditEntry[]; total: number }> {
  const where: string[] = ['true'];
  const params: DuckDBValue[] = [];
  if (q.kind !== undefined) {
    params.push(q.kind);
    where.push(`kind = $${params.length}`);
  }
  if (q.entity !== undefined) {
    params.push(q.entity);
    where.push(`entity_id = $${params.length}`);
  }
  const cond = where.join(' AND ');
  const total = await sql.all<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE ${cond}`, params);
  const rows = await sql.all<Row>(
    `SELECT seq, at_ms, actor, source, action, kind, entity_id, CAST(diff AS VARCHAR) AS diff FROM audit_log WHERE ${cond} ORDER BY seq DESC LIMIT ${q.limit} OFFSET ${(q.page - 1) * q.limit}`,
    params,
  );
  return {
    total: Number(total[0]?.n ?? 0),
    items: rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at_ms),
      actor: String(r.actor),
      source: String(r.source),
      action: String(r.action),
      kind: String(r.kind),
      entity_id: String(r.entity_id),
      diff: JSON.parse(String(r.diff)) as Change[],
    })),
  };
}
