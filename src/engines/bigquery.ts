/**
 * BigQuery as an engine over its REST API (jobs.query, then getQueryResults until the job is
 * complete and every page is read), with plain fetch: no SDK. Settings: engine.options.project
 * (billing project), engine.options.location, engine.url (only to point at another endpoint); the
 * OAuth access token from STATSIG_HACK_BIGQUERY_TOKEN (e.g. `gcloud auth print-access-token`).
 * BigQuery reports the bytes each query processed (totalBytesProcessed): the job log keeps them.
 */
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC = new Set(['INTEGER', 'INT64', 'FLOAT', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC']);
const TIMEOUT_MS = 120_000;
const MAX_PAGES = 10_000;

interface QueryResponse {
  jobComplete?: boolean;
  jobReference?: { jobId: string; location?: string };
  schema?: { fields?: { name: string; type: string }[] };
  rows?: { f: { v: unknown }[] }[];
  pageToken?: string;
  totalBytesProcessed?: string;
  error?: { message?: string };
}

export class BigQueryEngine extends RemoteEngine {
  readonly name = 'bigquery' as const;
  readonly dialect = dialectFor('bigquery');

  private constructor(
    private readonly base: URL,
    private readonly project: string,
    private readonly location: string | undefined,
    private readonly headers: Record<string, string>,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<BigQueryEngine> {
    const project = settings.options?.project;
    if (typeof project !== 'string') throw new UserError('the bigquery engine needs engine.options.project (the billing project)', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const token = env.STATSIG_HACK_BIGQUERY_TOKEN;
    if (!token) throw new UserError('the bigquery engine needs an OAuth access token in STATSIG_HACK_BIGQUERY_TOKEN', { hint: 'e.g. STATSIG_HACK_BIGQUERY_TOKEN=$(gcloud auth print-access-token)', code: 'ENGINE_CONFIG', exitCode: 2 });
    const location = typeof settings.options?.location === 'string' ? settings.options.location : undefined;
    const engine = new BigQueryEngine(new URL(settings.url ?? 'https://bigquery.googleapis.com/'), project, location, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });
    try {
      await engine.run('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach bigquery at ${engine.base.origin}: ${errorMessage(error)}`, { hint: 'check engine.options.project and STATSIG_HACK_BIGQUERY_TOKEN (tokens expire after an hour)', code: 'ENGINE_CONNECT' });
    }
    return engine;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<QueryResponse> {
    const res = await fetch(new URL(path, this.base), { method, headers: this.headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(TIMEOUT_MS) });
    const json = (await res.json().catch(() => ({}))) as QueryResponse;
    if (!res.ok || json.error) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
    return json;
  }

  private async run(sql: string): Promise<{ fields: { name: string; type: string }[]; rows: Row[]; bytes: number | null }> {
    const p = encodeURIComponent(this.project);
    let r = await this.call('POST', `/bigquery/v2/projects/${p}/queries`, { query: sql, useLegacySql: false, timeoutMs: 10_000, ...(this.location ? { location: this.location } : {}) });
    const results = (job: NonNullable<QueryResponse['jobReference']>, token?: string): Promise<QueryResponse> => {
      const q = new URLSearchParams({ timeoutMs: '10000', ...(job.location ? { location: job.location } : {}), ...(token ? { pageToken: token } : {}) });
      return this.call('GET', `/bigquery/v2/projects/${p}/queries/${encodeURIComponent(job.jobId)}?${q.toString()}`);
    };
    for (let i = 0; !r.jobComplete; i += 1) {
      if (!r.jobReference || i >= MAX_PAGES) throw new Error('the query did not complete');
      r = await results(r.jobReference);
    }
    const fields = r.schema?.fields ?? [];
    const bytes = r.totalBytesProcessed === undefined ? null : Number(r.totalBytesProcessed);
    const rows: Row[] = [];
    const take = (page: QueryResponse): void => {
      for (const row of page.rows ?? []) rows.push(Object.fromEntries(fields.map((f, i) => [f.name, parse(row.f[i]?.v, f.type)])));
    };
    take(r);
    for (let i = 0; r.pageToken; i += 1) {
      if (!r.jobReference || i >= MAX_PAGES) throw new Error('too many result pages');
      r = await results(r.jobReference, r.pageToken);
      take(r);
    }
    return { fields, rows, bytes };
  }

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    return observeEngineQuery('bigquery', sql, async () => {
      let out: Awaited<ReturnType<BigQueryEngine['run']>>;
      try {
        out = await this.run(sql);
      } catch (error) {
        throw new UserError(`bigquery: ${errorMessage(error)}`, { hint: 'check the table names (config engine.tables, as dataset.table) and their columns', code: 'ENGINE_QUERY' });
      }
      this.stats = { bytesScanned: out.bytes, bytesReturned: resultBytes(out.rows), rowsReturned: out.rows.length };
      return { result: out.rows as T[], stats: this.stats };
    });
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const { fields } = await this.run(`SELECT * FROM ${relation} LIMIT 0`);
    return fields.map((f) => ({ name: f.name, type: f.type, numeric: NUMERIC.has(f.type.toUpperCase()) }));
  }

}

/** BigQuery's REST rows carry every value as text (or null): numbers by their field type. */
function parse(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  return NUMERIC.has(type.toUpperCase()) ? Number(v) : v;
}
