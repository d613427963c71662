/**
 * Snowflake as an engine over its SQL API v2 (POST /api/v2/statements, poll the statement while it
 * runs asynchronously, fetch the other result partitions), with plain fetch: no SDK. Settings:
 * engine.url (https://<account>.snowflakecomputing.com), engine.database, engine.options.warehouse /
 * schema / role; the token from STATSIG_HACK_SNOWFLAKE_TOKEN (OAuth, or a key-pair JWT with
 * engine.options.tokenType = "KEYPAIR_JWT"). Snowflake folds unquoted aliases to upper case, so
 * result columns are read back in lower case (the plans' aliases are all lower case).
 */
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC_TYPES = new Set(['fixed', 'real', 'number', 'float', 'double']);
const TIMEOUT_MS = 120_000;
const MAX_POLLS = 10_000;

interface ResultSet {
  statementHandle?: string;
  statementStatusUrl?: string;
  message?: string;
  resultSetMetaData?: { rowType?: { name: string; type: string }[]; partitionInfo?: unknown[] };
  data?: (string | null)[][];
}

export class SnowflakeEngine extends RemoteEngine {
  readonly name = 'snowflake' as const;
  readonly dialect = dialectFor('snowflake');

  private constructor(
    private readonly base: URL,
    private readonly headers: Record<string, string>,
    private readonly context: Record<string, string>,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<SnowflakeEngine> {
    if (!settings.url) throw new UserError('the snowflake engine needs engine.url (https://<account>.snowflakecomputing.com)', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const token = env.STATSIG_HACK_SNOWFLAKE_TOKEN;
    if (!token) throw new UserError('the snowflake engine needs a token in STATSIG_HACK_SNOWFLAKE_TOKEN', { hint: 'an OAuth token, or a key-pair JWT with engine.options.tokenType "KEYPAIR_JWT"', code: 'ENGINE_CONFIG', exitCode: 2 });
    const o = settings.options ?? {};
    const headers = {
      Authorization: `Bearer ${token}`,
      'X-Snowflake-Authorization-Token-Type': typeof o.tokenType === 'string' ? o.tokenType : 'OAUTH',
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': 'statsig-hack',
    };
    const context: Record<string, string> = {};
    if (settings.database) context.database = settings.database;
    for (const k of ['schema', 'warehouse', 'role'] as const) if (typeof o[k] === 'string') context[k] = o[k];
    const engine = new SnowflakeEngine(new URL(settings.url), headers, context);
    try {
      await engine.run('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach snowflake at ${engine.base.origin}: ${errorMessage(error)}`, { hint: 'check engine.url and STATSIG_HACK_SNOWFLAKE_TOKEN', code: 'ENGINE_CONNECT' });
    }
    return engine;
  }

  /** Only the account's own URLs are fetched with the token. */
  private url(pathOrUrl: string): URL {
    const u = new URL(pathOrUrl, this.base);
    if (u.origin !== this.base.origin) throw new Error(`a result URL points away from the account (${u.origin})`);
    return u;
  }

  private async json(res: Response): Promise<ResultSet> {
    const body = (await res.json().catch(() => ({}))) as ResultSet;
    if (res.status !== 200 && res.status !== 202) throw new Error(body.message ?? `HTTP ${res.status}`);
    return body;
  }

  private async run(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: (string | null)[][] }> {
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    let res = await fetch(this.url('/api/v2/statements'), { method: 'POST', headers: this.headers, body: JSON.stringify({ statement: sql, timeout: TIMEOUT_MS / 1000, ...this.context }), signal });
    let body = await this.json(res);
    for (let i = 0; res.status === 202; i += 1) {
      if (i >= MAX_POLLS || !body.statementStatusUrl) throw new Error('the statement did not finish');
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(i, 5))));
      res = await fetch(this.url(body.statementStatusUrl), { headers: this.headers, signal });
      body = await this.json(res);
    }
    const columns = body.resultSetMetaData?.rowType ?? [];
    const rows = [...(body.data ?? [])];
    const partitions = body.resultSetMetaData?.partitionInfo?.length ?? 1;
    for (let p = 1; p < partitions; p += 1) {
      const part = await this.json(await fetch(this.url(`/api/v2/statements/${encodeURIComponent(body.statementHandle ?? '')}?partition=${p}`), { headers: this.headers, signal }));
      rows.push(...(part.data ?? []));
    }
    return { columns, rows };
  }

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    return observeEngineQuery('snowflake', sql, async () => {
      let out: Awaited<ReturnType<SnowflakeEngine['run']>>;
      try {
        out = await this.run(sql);
      } catch (error) {
        throw new UserError(`snowflake: ${errorMessage(error)}`, { hint: 'check the table names (config engine.tables) and their columns', code: 'ENGINE_QUERY' });
      }
      // Values come as text; numbers are parsed by their column type.
      const numeric = out.columns.map((c) => NUMERIC_TYPES.has(c.type.toLowerCase()));
      const rows = out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name.toLowerCase(), r[i] === null || r[i] === undefined ? null : numeric[i] ? Number(r[i]) : r[i]]))) as T[];
      // The SQL API does not report bytes scanned (QUERY_HISTORY does, later).
      this.stats = { bytesScanned: null, bytesReturned: resultBytes(rows), rowsReturned: rows.length };
      return { result: rows, stats: this.stats };
    });
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const { columns } = await this.run(`SELECT * FROM ${relation} LIMIT 0`);
    return columns.map((c) => ({ name: c.name, type: c.type, numeric: NUMERIC_TYPES.has(c.type.toLowerCase()) }));
  }

}
