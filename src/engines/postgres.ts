/**
 * PostgreSQL as an engine, through `pg` (loaded only when this engine is used). The session is
 * read-only: the plans only aggregate. Secrets come from env (STATSIG_HACK_PG_PASSWORD or
 * PGPASSWORD), never from the config file.
 */
import type * as PG from 'pg';
import type { Client } from 'pg';
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, resultBytes, type Engine, type EngineColumn, type EngineQueryStats, type EngineSettings } from './engine.js';

/** pg type OIDs of the numeric types analyze accepts as metrics (boolean is not: it does not cast to a float). */
const NUMERIC_OIDS = new Map<number, string>([
  [20, 'bigint'],
  [21, 'smallint'],
  [23, 'integer'],
  [700, 'real'],
  [701, 'double precision'],
  [1700, 'numeric'],
]);
const OTHER_OIDS = new Map<number, string>([
  [16, 'boolean'],
  [25, 'text'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [114, 'json'],
  [3802, 'jsonb'],
]);

export class PostgresEngine implements Engine {
  readonly name = 'postgres' as const;
  readonly dialect = dialectFor('postgres');
  private stats: EngineQueryStats | null = null;

  private constructor(private readonly client: Client) {}

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<PostgresEngine> {
    let pg: typeof PG;
    try {
      pg = (await import('pg')).default as unknown as typeof PG;
    } catch {
      throw new UserError('the postgres engine needs the pg package', { hint: 'npm install pg', code: 'ENGINE_CLIENT_MISSING' });
    }
    const host = settings.host ?? env.PGHOST ?? '127.0.0.1';
    const port = settings.port ?? (env.PGPORT ? Number(env.PGPORT) : 5432);
    const client = new pg.Client({
      host,
      port,
      database: settings.database ?? env.PGDATABASE ?? 'postgres',
      user: settings.user ?? env.PGUSER ?? 'postgres',
      password: env.STATSIG_HACK_PG_PASSWORD ?? env.PGPASSWORD,
      connectionTimeoutMillis: 10_000,
      application_name: 'statsig-hack',
      ...(settings.options?.ssl === true ? { ssl: { rejectUnauthorized: true } } : {}),
    });
    try {
      await client.connect();
      await client.query('SET default_transaction_read_only = on');
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new UserError(`cannot connect to postgres at ${host}:${port}: ${errorMessage(error).split('\n')[0] ?? ''}`, {
        hint: 'check engine.host/port/database/user in the config and STATSIG_HACK_PG_PASSWORD (or PGPASSWORD) in the environment',
        code: 'ENGINE_CONNECT',
      });
    }
    return new PostgresEngine(client);
  }

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    return observeEngineQuery('postgres', sql, async () => {
      let res: PG.QueryResult;
      try {
        res = await this.client.query(sql);
      } catch (error) {
        throw new UserError(`postgres: ${errorMessage(error).split('\n')[0] ?? ''}`, {
          hint: 'check the table names (config engine.tables) and that the tables have the columns the analysis reads',
          code: 'ENGINE_QUERY',
        });
      }
      const rows = res.rows as T[];
      // PostgreSQL does not report bytes scanned per query (EXPLAIN ANALYZE would run it twice).
      this.stats = { bytesScanned: null, bytesReturned: resultBytes(rows), rowsReturned: rows.length };
      return { result: rows, stats: this.stats };
    });
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const res = await this.client.query(`SELECT * FROM ${relation} LIMIT 0`);
    return res.fields.map((f) => {
      const numeric = NUMERIC_OIDS.get(f.dataTypeID);
      return { name: f.name, type: numeric ?? OTHER_OIDS.get(f.dataTypeID) ?? `oid ${f.dataTypeID}`, numeric: numeric !== undefined };
    });
  }

  /** Read-only session: the relation stays a subquery (each pass reads it again). */
  materialize(name: string, select: string): Promise<string> {
    return Promise.resolve(`(${select}) AS ${this.dialect.ident(name)}`);
  }

  lastStats(): EngineQueryStats | null {
    return this.stats;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
