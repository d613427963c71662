/**
 * Databricks SQL as an engine over the Statement Execution API (POST /api/2.0/sql/statements,
 * poll while pending, read the result chunks), with plain fetch: no SDK. Settings: engine.url (the
 * workspace, https://<workspace>.cloud.databricks.com), engine.options.warehouse (the SQL warehouse
 * id), catalog and schema; the token from STATSIG_HACK_DATABRICKS_TOKEN.
 */
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC = new Set(['BYTE', 'SHORT', 'INT', 'LONG', 'FLOAT', 'DOUBLE', 'DECIMAL', 'TINYINT', 'SMALLINT', 'BIGINT', 'INTEGER']);
const TIMEOUT_MS = 120_000;
const MAX_POLLS = 10_000;

interface StatementResponse {
  statement_id?: string;
  status?: { state?: string; error?: { message?: string } };
  manifest?: { schema?: { columns?: { name: string; type_name: string }[] } };
  result?: { data_array?: (string | null)[][]; next_chunk_internal_link?: string };
  data_array?: (string | null)[][];
  next_chunk_internal_link?: string;
  message?: string;
}

export class DatabricksEngine extends RemoteEngine {
  readonly name = 'databricks' as const;
  readonly dialect = dialectFor('databricks');

  private constructor(
    private readonly base: URL,
    private readonly headers: Record<string, string>,
    private readonly context: Record<string, string>,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<DatabricksEngine> {
    const o = settings.options ?? {};
    if (!settings.url || typeof o.warehouse !== 'string') throw new UserError('the databricks engine needs engine.url (the workspace) and engine.options.warehouse (the SQL warehouse id)', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const token = env.STATSIG_HACK_DATABRICKS_TOKEN;
    if (!token) throw new UserError('the databricks engine needs a token in STATSIG_HACK_DATABRICKS_TOKEN', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const context: Record<string, string> = { warehouse_id: o.warehouse };
    for (const k of ['catalog', 'schema'] as const) if (typeof o[k] === 'string') context[k] = o[k];
    const engine = new DatabricksEngine(new URL(settings.url), { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, context);
    try {
      await engine.run('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach databricks at ${engine.base.origin}: ${errorMessage(error)}`, { hint: 'check engine.url, engine.options.warehouse and STATSIG_HACK_DATABRICKS_TOKEN', code: 'ENGINE_CONNECT' });
    }
    return engine;
  }

  private async call(path: string, body?: unknown): Promise<StatementResponse> {
    const url = new URL(path, this.base);
    // Only the workspace's own URLs get the token.
    if (url.origin !== this.base.origin) throw new Error(`a result link points away from the workspace (${url.origin})`);
    const res = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers: this.headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(TIMEOUT_MS) });
    const json = (await res.json().catch(() => ({}))) as StatementResponse;
    if (!res.ok) throw new Error(json.message ?? `HTTP ${res.status}`);
    return json;
  }

  private async run(sql: string): Promise<{ columns: { name: string; type_name: string }[]; rows: (string | null)[][] }> {
    let r = await this.call('/api/2.0/sql/statements', { statement: sql, ...this.context, wait_timeout: '30s', on_wait_timeout: 'CONTINUE', format: 'JSON_ARRAY', disposition: 'INLINE' });
    for (let i = 0; r.status?.state === 'PENDING' || r.status?.state === 'RUNNING'; i += 1) {
      if (i >= MAX_POLLS || !r.statement_id) throw new Error('the statement did not finish');
      await new Promise((done) => setTimeout(done, Math.min(1000, 50 * 2 ** Math.min(i, 5))));
      r = await this.call(`/api/2.0/sql/statements/${encodeURIComponent(r.statement_id)}`);
    }
    if (r.status?.state !== 'SUCCEEDED') throw new Error(r.status?.error?.message ?? `statement ${r.status?.state ?? 'failed'}`);
    const rows = [...(r.result?.data_array ?? [])];
    let link = r.result?.next_chunk_internal_link;
    for (let i = 0; link; i += 1) {
      if (i >= MAX_POLLS) throw new Error('too many result chunks');
      const chunk = await this.call(link);
      rows.push(...(chunk.data_array ?? []));
      link = chunk.next_chunk_internal_link;
    }
    return { columns: r.manifest?.schema?.columns ?? [], rows };
  }

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    return observeEngineQuery('databricks', sql, async () => {
      let out: Awaited<ReturnType<DatabricksEngine['run']>>;
      try {
        out = await this.run(sql);
      } catch (error) {
        throw new UserError(`databricks: ${errorMessage(error)}`, { hint: 'check the table names (config engine.tables, as catalog.schema.table) and their columns', code: 'ENGINE_QUERY' });
      }
      const numeric = out.columns.map((c) => NUMERIC.has(c.type_name.toUpperCase()));
      const rows = out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c.name, r[i] === null || r[i] === undefined ? null : numeric[i] ? Number(r[i]) : r[i]]))) as T[];
      // The Statement Execution API does not report bytes scanned (the query history does).
      this.stats = { bytesScanned: null, bytesReturned: resultBytes(rows), rowsReturned: rows.length };
      return { result: rows, stats: this.stats };
    });
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const { columns } = await this.run(`SELECT * FROM ${relation} LIMIT 0`);
    return columns.map((c) => ({ name: c.name, type: c.type_name, numeric: NUMERIC.has(c.type_name.toUpperCase()) }));
  }

}
