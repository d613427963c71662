/**
 * Trino as an engine over its REST protocol (POST /v1/statement, then GET nextUri until the query
 * is done), with plain fetch: the protocol is small, so no SDK is needed. Settings: engine.url
 * (the coordinator), engine.user, engine.options.catalog / engine.options.schema; a bearer token
 * from STATSIG_HACK_TRINO_TOKEN or a password (basic auth) from STATSIG_HACK_TRINO_PASSWORD.
 * Trino reports the bytes it processed (stats.processedBytes), which the job log records.
 */
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC = /^(tinyint|smallint|integer|bigint|real|double|decimal.*)$/i;
const TIMEOUT_MS = 120_000;
const MAX_PAGES = 100_000;

interface TrinoResponse {
  nextUri?: string;
  columns?: { name: string; type: string }[];
  data?: unknown[][];
  stats?: { state?: string; processedBytes?: number };
  error?: { message?: string; errorName?: string };
}

export class TrinoEngine extends RemoteEngine {
  readonly name = 'trino' as const;
  readonly dialect = dialectFor('trino');

  private constructor(
    private readonly base: URL,
    private readonly headers: Record<string, string>,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<TrinoEngine> {
    if (!settings.url) throw new UserError('the trino engine needs engine.url (the coordinator, e.g. https://trino.internal:8443)', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const base = new URL(settings.url);
    const user = settings.user ?? 'statsig-hack';
    const headers: Record<string, string> = { 'X-Trino-User': user, 'X-Trino-Source': 'statsig-hack' };
    const catalog = settings.options?.catalog;
    const schema = settings.options?.schema;
    if (typeof catalog === 'string') headers['X-Trino-Catalog'] = catalog;
    if (typeof schema === 'string') headers['X-Trino-Schema'] = schema;
    if (env.STATSIG_HACK_TRINO_TOKEN) headers.Authorization = `Bearer ${env.STATSIG_HACK_TRINO_TOKEN}`;
    else if (env.STATSIG_HACK_TRINO_PASSWORD) headers.Authorization = `Basic ${Buffer.from(`${user}:${env.STATSIG_HACK_TRINO_PASSWORD}`).toString('base64')}`;
    const engine = new TrinoEngine(base, headers);
    try {
      await engine.run('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach trino at ${base.origin}: ${errorMessage(error)}`, { hint: 'check engine.url and STATSIG_HACK_TRINO_TOKEN (or _PASSWORD)', code: 'ENGINE_CONNECT' });
    }
    return engine;
  }

  /** Runs one statement to completion: columns, rows (as objects) and the bytes Trino processed. */
  private async run(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: Row[]; processedBytes: number | null }> {
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    let res = await fetch(new URL('/v1/statement', this.base), { method: 'POST', headers: { ...this.headers, 'Content-Type': 'text/plain' }, body: sql, signal });
    let columns: { name: string; type: string }[] = [];
    const rows: Row[] = [];
    let processed: number | null = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      if (!res.ok) throw new Error(`HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      const body = (await res.json()) as TrinoResponse;
      if (body.error) throw new Error(body.error.message ?? body.error.errorName ?? 'query failed');
      if (body.columns) columns = body.columns;
      for (const values of body.data ?? []) rows.push(Object.fromEntries(columns.map((c, i) => [c.name, values[i]])));
      if (typeof body.stats?.processedBytes === 'number') processed = body.stats.processedBytes;
      if (!body.nextUri) return { columns, rows, processedBytes: processed };
      // Only follow the coordinator's own pages (a hostile answer cannot send the token elsewhere).
      const next = new URL(body.nextUri, this.base);
      if (next.origin !== this.base.origin) throw new Error(`nextUri points away from the coordinator (${next.origin})`);
      res = await fetch(next, { headers: this.headers, signal });
    }
    throw new Error('too many result pages');
  }

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    return observeEngineQuery('trino', sql, async () => {
      let out: Awaited<ReturnType<TrinoEngine['run']>>;
      try {
        out = await this.run(sql);
      } catch (error) {
        throw new UserError(`trino: ${errorMessage(error)}`, { hint: 'check the table names (config engine.tables) and their columns', code: 'ENGINE_QUERY' });
      }
      this.stats = { bytesScanned: out.processedBytes, bytesReturned: resultBytes(out.rows), rowsReturned: out.rows.length };
      return { result: out.rows as T[], stats: this.stats };
    });
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const { columns } = await this.run(`SELECT * FROM ${relation} LIMIT 0`);
    return columns.map((c) => ({ name: c.name, type: c.type, numeric: NUMERIC.test(c.type) }));
  }

}
