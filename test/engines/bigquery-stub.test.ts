/**
 * The BigQuery engine (through @google-cloud/bigquery) against a local stub of its REST API
 * (test/support/warehouse-stubs.ts): the
 * job is polled until complete, rows paged with pageToken, text values parsed by field type,
 * totalBytesProcessed kept in the job log; the BigQuery-dialect SQL (backticks, FLOAT64, CASE
 * aggregates) runs in DuckDB behind the stub, and the analysis equals DuckDB's own to 1e-9.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runAnalysis, type AnalysisRequest } from '../../src/engines/run.js';
import { chooseEngine, type EngineChoice } from '../../src/engines/open.js';
import { queryObserver } from '../../src/store/observer.js';
import { jobRecord, type JobRecord } from '../../src/observe/jobs/record.js';
import { startBigQueryStub, type BigQueryStub } from '../support/warehouse-stubs.js';
import { expectSameResult, STUB_CASES, stubProject, stubRequest } from './same.js';


describe('bigquery engine against a REST API stub', () => {
  let stub: BigQueryStub;
  let warehouse: Store;
  let cwd: string;
  let db: string;
  let bq: EngineChoice;

  beforeAll(async () => {
    // The "warehouse": another DuckDB holding the same rows under the schema-qualified name.
    ({ cwd, db, warehouse } = await stubProject('ds'));
    stub = await startBigQueryStub(warehouse, 'ya29.token');
    bq = chooseEngine('bigquery', { engine: { type: 'bigquery', url: stub.url, options: { project: 'my-proj', location: 'EU' } } }, { STATSIG_HACK_BIGQUERY_TOKEN: 'ya29.token' }) as EngineChoice;
  });
  afterAll(async () => {
    await stub?.close();
    warehouse?.close();
  });

  const base = (over: Partial<AnalysisRequest>): AnalysisRequest => stubRequest(cwd, db, over);

  it('plain, CUPAC with a categorical covariate and a ratio equal DuckDB; bytes processed reach the job log', async () => {
    const cases = STUB_CASES;
    for (const c of cases) {
      const duck = await runAnalysis(base(c));
      stub.requests.length = 0;
      const jobs: JobRecord[] = [];
      // The warehouse's queries: the stub's own DuckDB, in this process, stands in for the warehouse's insides, which a real run's log never sees.
      const house = await queryObserver.run({ active: true, record: (q) => q.engine && jobs.push(jobRecord(q, { command: 'analyze', experiment: null, metric: null }, 'r')) }, () => runAnalysis(base({ ...c, data: 'ds.exp', engine: bq })));
      expectSameResult({ ...house, warnings: house.warnings.map((w) => w.replaceAll('ds.exp', 'exp')) }, duck);
      const posts = stub.requests.filter((r) => r.method === 'POST');
      expect(posts.every((p) => p.url.split('?')[0] === '/bigquery/v2/projects/my-proj/queries')).toBe(true);
      expect(posts.some((p) => (JSON.parse(p.body) as { query: string }).query.includes('FROM `ds`.`exp`'))).toBe(true);
      expect(stub.requests.some((r) => r.method === 'GET' && r.url.includes('pageToken=1') && r.url.includes('location=EU'))).toBe(true);
      const moments = jobs.find((j) => j.sql.includes('GROUP BY __group'));
      expect(moments?.bytes_scanned).toBeGreaterThan(1000);
    }
  }, 120_000);

  it('an expired token or a missing table is one line, the token never in it', async () => {
    const expired = chooseEngine('bigquery', { engine: { type: 'bigquery', url: stub.url, options: { project: 'my-proj' } } }, { STATSIG_HACK_BIGQUERY_TOKEN: 'old-secret' }) as EngineChoice;
    const err = await runAnalysis(base({ data: 'ds.exp', engine: expired })).then(
      () => new Error('no error'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/^cannot reach bigquery at http:\/\/127\.0\.0\.1:\d+: Request had invalid authentication credentials/);
    expect(err.message).not.toContain('old-secret');
    await expect(runAnalysis(base({ data: 'ds.nope', engine: bq }))).rejects.toThrow(/ds\.nope: no such table in the bigquery engine/);
  }, 60_000);
});
