/**
 * Trino as an engine through the maintained `trino-client` (POST /v1/statement, then the pages at
 * nextUri until the query is done). This module is imported only when the trino engine is chosen
 * (open.ts), so the client loads only then. Settings: engine.url (the coordinator), engine.user,
 * engine.options.catalog / engine.options.schema; a bearer token from STATSIG_HACK_TRINO_TOKEN or
 * a password (basic auth) from STATSIG_HACK_TRINO_PASSWORD. Trino reports the bytes it processed
 * (stats.processedBytes), which the job log records. The client follows nextUri as the
 * coordinator gives it; each page we see is checked to stay on the coordinator's origin.
 */
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC = /^(tinyint|smallint|integer|bigint|real|double|decimal.*)$/i;
const MAX_PAGES = 100_000;

/** The one line worth showing from a client failure (axios errors carry the HTTP status). */
function clientMessage(error: unknown): string {
  const status = (error as { response?: { status?: number; data?: unknown } }).response;
  if (status?.status) return `HTTP ${status.status} ${String(typeof status.data === 'string' ? status.data : JSON.stringify(status.data ?? '')).slice(0, 200)}`;
  return errorMessage(error);
}

export class TrinoEngine extends RemoteEngine {
  readonly name = 'trino' as const;
  readonly dialect = dialectFor('trino');

  private constructor(
    private readonly base: URL,
    private readonly client: Trino,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<TrinoEngine> {
    if (!settings.url) throw new UserError('the trino engine needs engine.url (the coordinator, e.g. https://trino.internal:8443)', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const base = new URL(settings.url);
    const user = settings.user ?? 'statsig-hack';
    const catalog = settings.options?.catalog;
    const schema = settings.options?.schema;
    const extraHeaders: Record<string, string> = { 'X-Trino-User': user };
    if (env.STATSIG_HACK_TRINO_TOKEN) extraHeaders.Authorization = `Bearer ${env.STATSIG_HACK_TRINO_TOKEN}`;
    const client = Trino.create({
      server: base.origin,
      source: 'statsig-hack',
      ...(typeof catalog === 'string' ? { catalog } : {}),
      ...(typeof schema === 'string' ? { schema } : {}),
      ...(!env.STATSIG_HACK_TRINO_TOKEN && env.STATSIG_HACK_TRINO_PASSWORD ? { auth: new BasicAuth(user, env.STATSIG_HACK_TRINO_PASSWORD) } : {}),
      extraHeaders,
    });
    const engine = new TrinoEngine(base, client);
    try {
      await engine.run('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach trino at ${base.origin}: ${errorMessage(error)}`, { hint: 'check engine.url and STATSIG_HACK_TRINO_TOKEN (or _PASSWORD)', code: 'ENGINE_CONNECT' });
    }
    return engine;
  }

  /** Runs one statement to completion: columns, rows (as objects) and the bytes Trino processed. */
  private async run(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: Row[]; processedBytes: number | null }> {
    let columns: { name: string; type: string }[] = [];
    const rows: Row[] = [];
    let processed: number | null = null;
    const take = (page: QueryResult): void => {
      if (page.error) throw new Error(page.error.message || page.error.errorName || 'query failed');
      if (page.columns) columns = page.columns;
      for (const values of page.data ?? []) rows.push(Object.fromEntries(columns.map((c, i) => [c.name, values[i] as unknown])));
      if (typeof page.stats?.processedBytes === 'number') processed = page.stats.processedBytes;
      if (page.nextUri && new URL(page.nextUri, this.base).origin !== this.base.origin) throw new Error(`nextUri points away from the coordinator (${new URL(page.nextUri, this.base).origin})`);
    };
    let iter: Awaited<ReturnType<Trino['query']>>;
    try {
      iter = await this.client.query(sql);
      // The iterator yields each fetched page, then ends with the last result it holds: the
      // statement's own answer when it had no pages (a failed statement's error is there).
      let last: QueryResult | undefined;
      for (let pages = 0; ; pages += 1) {
        if (pages > MAX_PAGES) throw new Error('too many result pages');
        const step = await iter.next();
        if (step.done) {
          if (step.value !== last) take(step.value as QueryResult);
          break;
        }
        take(step.value);
        last = step.value;
      }
    } catch (error) {
      throw new Error(clientMessage(error));
    }
    return { columns, rows, processedBytes: processed };
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
