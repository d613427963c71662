/**
 * BigQuery as an engine through the maintained `@google-cloud/bigquery` (jobs.query, then
 * getQueryResults until the job is complete and every page is read). This module is imported only
 * when the bigquery engine is chosen (open.ts), so the client loads only then. Settings:
 * engine.options.project (billing project), engine.options.location, engine.url (only to point at
 * another endpoint: the client's apiEndpoint); the OAuth access token from
 * STATSIG_HACK_BIGQUERY_TOKEN (e.g. `gcloud auth print-access-token`), handed to the client as an
 * OAuth2 client holding that token (no credential discovery, no metadata server, no refresh).
 * BigQuery reports the bytes each query processed (totalBytesProcessed): the job log keeps them.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC = new Set(['INTEGER', 'INT64', 'FLOAT', 'FLOAT64', 'NUMERIC', 'BIGNUMERIC']);

interface QueryResponse {
  schema?: { fields?: { name: string; type: string }[] };
  totalBytesProcessed?: string;
}

export class BigQueryEngine extends RemoteEngine {
  readonly name = 'bigquery' as const;
  readonly dialect = dialectFor('bigquery');

  private constructor(
    private readonly origin: string,
    private readonly client: BigQuery,
    private readonly location: string | undefined,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<BigQueryEngine> {
    const project = settings.options?.project;
    if (typeof project !== 'string') throw new UserError('the bigquery engine needs engine.options.project (the billing project)', { code: 'ENGINE_CONFIG', exitCode: 2 });
    const token = env.STATSIG_HACK_BIGQUERY_TOKEN;
    if (!token) throw new UserError('the bigquery engine needs an OAuth access token in STATSIG_HACK_BIGQUERY_TOKEN', { hint: 'e.g. STATSIG_HACK_BIGQUERY_TOKEN=$(gcloud auth print-access-token)', code: 'ENGINE_CONFIG', exitCode: 2 });
    const location = typeof settings.options?.location === 'string' ? settings.options.location : undefined;
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    const origin = new URL(settings.url ?? 'https://bigquery.googleapis.com/').origin;
    const client = new BigQuery({
      projectId: project,
      ...(location ? { location } : {}),
      ...(settings.url ? { apiEndpoint: origin } : {}),
      authClient: auth as unknown as NonNullable<ConstructorParameters<typeof BigQuery>[0]>['authClient'],
    });
    const engine = new BigQueryEngine(origin, client, location);
    try {
      await engine.run('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach bigquery at ${engine.origin}: ${errorMessage(error)}`, { hint: 'check engine.options.project and STATSIG_HACK_BIGQUERY_TOKEN (tokens expire after an hour)', code: 'ENGINE_CONNECT' });
    }
    return engine;
  }

  private async run(sql: string): Promise<{ fields: { name: string; type: string }[]; rows: Row[]; bytes: number | null }> {
    let out: [Row[], unknown, unknown?];
    try {
      out = await this.client.query({ query: sql, useLegacySql: false, ...(this.location ? { location: this.location } : {}) });
    } catch (error) {
      throw new Error(errorMessage(error).split('\n')[0]);
    }
    const [rows, , response] = out;
    const res = (response ?? {}) as QueryResponse;
    const fields = res.schema?.fields ?? [];
    const bytes = res.totalBytesProcessed === undefined ? null : Number(res.totalBytesProcessed);
    return { fields, rows: rows.map((r) => normalize(r, fields)), bytes };
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

/** Values as plain JSON: numbers by their field type (the client may hand back wrapped numerics). */
function normalize(row: Row, fields: { name: string; type: string }[]): Row {
  const out: Row = { ...row };
  for (const f of fields) {
    const v = out[f.name];
    if (v !== null && v !== undefined && NUMERIC.has(f.type.toUpperCase()) && typeof v !== 'number') out[f.name] = Number(typeof v === 'object' && 'value' in v ? (v).value : v);
  }
  return out;
}
