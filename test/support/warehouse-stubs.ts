/**
 * Local stand-ins for warehouses that cannot run here, on 127.0.0.1, recording every request.
 *
 * startTrinoStub speaks Trino's REST protocol (POST /v1/statement, then pages at nextUri with
 * columns, data and stats.processedBytes, errors as { error: { message } }) and answers by running
 * the SQL in a DuckDB store: Trino's dialect is close enough, with `is_finite` added as a macro.
 * So the client, the protocol and the Trino-dialect SQL are exercised end to end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Store } from '../../src/store/store.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A stub listening on 127.0.0.1: its base URL, every request it received, and how to stop it. */
export interface RecordingStub {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts `server` on a free loopback port. */
async function listenStub(server: http.Server, requests: RecordedRequest[]): Promise<RecordingStub> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface TrinoStub extends RecordingStub {
  /** Makes the next statement answer with a nextUri on another origin (a hostile coordinator). */
  redirectNextTo(origin: string | null): void;
}

function trinoType(duck: string): string {
  const t = duck.toUpperCase();
  if (t === 'BIGINT' || t === 'HUGEINT') return 'bigint';
  if (t === 'INTEGER') return 'integer';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'double';
  if (t.startsWith('DECIMAL')) return t.toLowerCase();
  if (t === 'BOOLEAN') return 'boolean';
  return 'varchar';
}

const PAGE_ROWS = 2;

export async function startTrinoStub(store: Store): Promise<TrinoStub> {
  await store.run('CREATE OR REPLACE MACRO is_finite(x) AS isfinite(x)');
  const requests: RecordedRequest[] = [];
  const pending = new Map<string, { columns: { name: string; type: string }[]; data: unknown[][]; bytes: number }>();
  let hostile: string | null = null;
  let next = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const send = (o: unknown): void => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
      };
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      void (async () => {
        if (req.method === 'POST' && req.url === '/v1/statement') {
          const id = `q${(next += 1)}`;
          try {
            const described = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE ${body}`);
            const columns = described.map((c) => ({ name: c.column_name, type: trinoType(c.column_type) }));
            const rows = await store.all(body);
            pending.set(id, { columns, data: rows.map((r) => columns.map((c) => r[c.name] ?? null)), bytes: body.length * 100 });
            // The first answer has no rows yet (as a queued Trino query).
            send({ id, nextUri: `${hostile ?? origin}/v1/statement/executing/${id}/0`, stats: { state: 'QUEUED' } });
          } catch (error) {
            send({ id, error: { message: String(error instanceof Error ? error.message.split('\n')[0] : error), errorName: 'SYNTAX_ERROR' }, stats: { state: 'FAILED' } });
          }
          return;
        }
        const m = /^\/v1\/statement\/executing\/(q\d+)\/(\d+)$/.exec(req.url ?? '');
        const q = m ? pending.get(m[1] as string) : undefined;
        if (!m || !q) {
          res.writeHead(404).end('not found');
          return;
        }
        const page = Number(m[2]);
        const data = q.data.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS);
        const more = (page + 1) * PAGE_ROWS < q.data.length;
        send({ id: m[1], columns: q.columns, ...(data.length > 0 ? { data } : {}), ...(more ? { nextUri: `${origin}/v1/statement/executing/${m[1]}/${page + 1}` } : {}), stats: { state: more ? 'RUNNING' : 'FINISHED', processedBytes: q.bytes } });
      })();
    });
  });
  return {
    ...(await listenStub(server, requests)),
    redirectNextTo(origin) {
      hostile = origin;
    },
  };
}

export type SnowflakeStub = RecordingStub;

function snowflakeType(duck: string): string {
  const t = duck.toUpperCase();
  if (/INT|DECIMAL|HUGEINT/.test(t)) return 'fixed';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'real';
  if (t === 'BOOLEAN') return 'boolean';
  return 'text';
}

/**
 * Snowflake's SQL API v2: a statement first answers 202 (running asynchronously) with a
 * statementStatusUrl; polling it answers 200 with resultSetMetaData (rowType, partitionInfo) and
 * the first partition's rows, every value as text; `?partition=n` serves the rest. Unquoted names
 * come back upper-cased, as Snowflake folds them. The SQL runs in DuckDB.
 */
export async function startSnowflakeStub(store: Store): Promise<SnowflakeStub> {
  const requests: RecordedRequest[] = [];
  const results = new Map<string, { rowType: { name: string; type: string }[]; data: (string | null)[][] }>();
  let next = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const send = (status: number, o: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      void (async () => {
        if (req.headers.authorization !== 'Bearer sf-token') return send(401, { code: '390303', message: 'Invalid OAuth access token.' });
        if (req.method === 'POST' && req.url === '/api/v2/statements') {
          const { statement } = JSON.parse(body) as { statement: string };
          const handle = `h-${(next += 1)}`;
          try {
            const described = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE ${statement}`);
            const rows = await store.all(statement);
            const fold = (n: string): string => (/^[a-z_][a-z0-9_]*$/.test(n) && !statement.includes(`"${n}"`) ? n.toUpperCase() : n);
            results.set(handle, {
              rowType: described.map((c) => ({ name: fold(c.column_name), type: snowflakeType(c.column_type) })),
              data: rows.map((r) => described.map((c) => (r[c.column_name] === null || r[c.column_name] === undefined ? null : String(r[c.column_name])))),
            });
            return send(202, { code: '333334', message: 'Asynchronous execution in progress.', statementHandle: handle, statementStatusUrl: `/api/v2/statements/${handle}` });
          } catch (error) {
            return send(422, { code: '002003', sqlState: '42S02', message: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error), statementHandle: handle });
          }
        }
        const m = /^\/api\/v2\/statements\/(h-\d+)(?:\?partition=(\d+))?$/.exec(req.url ?? '');
        const r = m ? results.get(m[1] as string) : undefined;
        if (!m || !r) return send(404, { message: 'not found' });
        const half = Math.ceil(r.data.length / 2);
        const parts = r.data.length > 2 ? [r.data.slice(0, half), r.data.slice(half)] : [r.data];
        const p = Number(m[2] ?? 0);
        if (p > 0) return send(200, { data: parts[p] ?? [] });
        return send(200, { statementHandle: m[1], resultSetMetaData: { numRows: r.data.length, format: 'jsonv2', rowType: r.rowType, partitionInfo: parts.map((x) => ({ rowCount: x.length })) }, data: parts[0] });
      })();
    });
  });
  return listenStub(server, requests);
}

export type BigQueryStub = RecordingStub;

function bigqueryType(duck: string): string {
  const t = duck.toUpperCase();
  if (/INT/.test(t)) return 'INTEGER';
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'FLOAT';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  return 'STRING';
}

/**
 * BigQuery's REST API: jobs.query answers jobComplete false with a jobReference; getQueryResults
 * then serves the schema, rows as { f: [{ v }] } with text values, pageToken paging, and
 * totalBytesProcessed. The SQL runs in DuckDB after turning BigQuery's `backtick` quoting into
 * "double quotes" (and FLOAT64, IS_NAN, IS_INF into DuckDB's words): the only translation.
 */
export async function startBigQueryStub(store: Store, token: string): Promise<BigQueryStub> {
  await store.run('CREATE OR REPLACE MACRO is_nan(x) AS isnan(x)');
  await store.run('CREATE OR REPLACE MACRO is_inf(x) AS isinf(x)');
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, { fields: { name: string; type: string }[]; rows: { f: { v: string | null }[] }[]; bytes: number }>();
  let next = 0;
  const toDuck = (sql: string): string => sql.replace(/`((?:[^`\\]|\\.)*)`/g, (_m, name: string) => `"${name.replace(/\\(.)/g, '$1').replace(/"/g, '""')}"`).replace(/\bFLOAT64\b/g, 'DOUBLE');
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const send = (status: number, o: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      void (async () => {
        if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: 401, message: 'Request had invalid authentication credentials.' } });
        const url = new URL(req.url ?? '/', 'http://x');
        const post = /^\/bigquery\/v2\/projects\/([^/]+)\/queries$/.exec(url.pathname);
        if (req.method === 'POST' && post) {
          const { query } = JSON.parse(body) as { query: string };
          const jobId = `job_${(next += 1)}`;
          try {
            const sql = toDuck(query);
            const described = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`);
            const rows = await store.all(sql);
            jobs.set(jobId, {
              fields: described.map((c) => ({ name: c.column_name, type: bigqueryType(c.column_type) })),
              rows: rows.map((r) => ({ f: described.map((c) => ({ v: r[c.column_name] === null || r[c.column_name] === undefined ? null : String(r[c.column_name]) })) })),
              bytes: 1000 + query.length,
            });
            return send(200, { kind: 'bigquery#queryResponse', jobComplete: false, jobReference: { projectId: post[1], jobId, location: 'EU' } });
          } catch (error) {
            return send(400, { error: { code: 400, message: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error), status: 'INVALID_ARGUMENT' } });
          }
        }
        const get = /^\/bigquery\/v2\/projects\/([^/]+)\/queries\/(job_\d+)$/.exec(url.pathname);
        const job = get ? jobs.get(get[2] as string) : undefined;
        if (!get || !job) return send(404, { error: { message: 'Not found: Job' } });
        const page = Number(url.searchParams.get('pageToken') ?? 0);
        const size = 2;
        const more = (page + 1) * size < job.rows.length;
        return send(200, {
          jobComplete: true,
          jobReference: { projectId: get[1], jobId: get[2], location: url.searchParams.get('location') },
          schema: { fields: job.fields },
          rows: job.rows.slice(page * size, (page + 1) * size),
          totalRows: String(job.rows.length),
          totalBytesProcessed: String(job.bytes),
          ...(more ? { pageToken: String(page + 1) } : {}),
        });
      })();
    });
  });
  return listenStub(server, requests);
}

export type DatabricksStub = RecordingStub;

/**
 * Databricks' Statement Execution API: a statement answers PENDING with a statement_id; polling it
 * answers SUCCEEDED with the manifest's columns, the first chunk of rows (text values) and a
 * next_chunk_internal_link for the rest. The SQL runs in DuckDB after turning `backticks` into
 * "double quotes" (Databricks' only quoting difference that matters here).
 */
export async function startDatabricksStub(store: Store, token: string): Promise<DatabricksStub> {
  const requests: RecordedRequest[] = [];
  const results = new Map<string, { columns: { name: string; type_name: string }[]; data: (string | null)[][] }>();
  let next = 0;
  const toDuck = (sql: string): string => sql.replace(/`((?:[^`\\]|\\.)*)`/g, (_m, name: string) => `"${name.replace(/\\(.)/g, '$1').replace(/"/g, '""')}"`);
  const typeName = (duck: string): string => (/INT/i.test(duck) ? 'LONG' : /DOUBLE|FLOAT|DECIMAL/i.test(duck) ? 'DOUBLE' : /BOOL/i.test(duck) ? 'BOOLEAN' : 'STRING');
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const send = (status: number, o: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      void (async () => {
        if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
        if (req.method === 'POST' && req.url === '/api/2.0/sql/statements') {
          const { statement } = JSON.parse(body) as { statement: string };
          const id = `st-${(next += 1)}`;
          try {
            const sql = toDuck(statement);
            const described = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`);
            const rows = await store.all(sql);
            results.set(id, { columns: described.map((c) => ({ name: c.column_name, type_name: typeName(c.column_type) })), data: rows.map((r) => described.map((c) => (r[c.column_name] === null || r[c.column_name] === undefined ? null : String(r[c.column_name])))) });
            return send(200, { statement_id: id, status: { state: 'PENDING' } });
          } catch (error) {
            return send(200, { statement_id: id, status: { state: 'FAILED', error: { error_code: 'BAD_REQUEST', message: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) } } });
          }
        }
        const m = /^\/api\/2\.0\/sql\/statements\/(st-\d+)(?:\/result\/chunks\/(\d+))?$/.exec(req.url ?? '');
        const r = m ? results.get(m[1] as string) : undefined;
        if (!m || !r) return send(404, { error_code: 'NOT_FOUND', message: 'no such statement' });
        const chunk = Number(m[2] ?? 0);
        const size = 2;
        const data = r.data.slice(chunk * size, (chunk + 1) * size);
        const link = (chunk + 1) * size < r.data.length ? `/api/2.0/sql/statements/${m[1]}/result/chunks/${chunk + 1}` : undefined;
        if (m[2] !== undefined) return send(200, { chunk_index: chunk, data_array: data, ...(link ? { next_chunk_internal_link: link } : {}) });
        return send(200, { statement_id: m[1], status: { state: 'SUCCEEDED' }, manifest: { format: 'JSON_ARRAY', schema: { columns: r.columns } }, result: { chunk_index: 0, data_array: data, ...(link ? { next_chunk_internal_link: link } : {}) } });
      })();
    });
  });
  return listenStub(server, requests);
}
