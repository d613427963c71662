/**
 * The Trino engine against a local stub of Trino's REST protocol (test/support/warehouse-stubs.ts)
 * that runs the Trino-dialect SQL in DuckDB: the client follows nextUri pages, sends the user,
 * catalog and token headers, reports processedBytes to the job log, and the analysis equals
 * DuckDB's own to 1e-9, through trino-client. A later page pointing at another host is refused;
 * the statement's first nextUri is followed by the client itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runAnalysis, type AnalysisRequest } from '../../src/engines/run.js';
import { chooseEngine, type EngineChoice } from '../../src/engines/open.js';
import { queryObserver } from '../../src/store/observer.js';
import { jobRecord, type JobRecord } from '../../src/observe/jobs/record.js';
import { startTrinoStub, type TrinoStub } from '../support/warehouse-stubs.js';
import { expectSameResult, STUB_CASES, stubProject, stubRequest } from './same.js';


describe('trino engine against a protocol stub', () => {
  let stub: TrinoStub;
  let warehouse: Store;
  let cwd: string;
  let db: string;
  let trino: EngineChoice;

  beforeAll(async () => {
    // The "warehouse": another DuckDB holding the same rows under the schema-qualified name.
    ({ cwd, db, warehouse } = await stubProject('lake'));
    stub = await startTrinoStub(warehouse);
    trino = chooseEngine('trino', { engine: { type: 'trino', url: stub.url, user: 'analyst', options: { catalog: 'hive', schema: 'lake' } } }, { STATSIG_HACK_TRINO_TOKEN: 'tok-123' }) as EngineChoice;
  });
  afterAll(async () => {
    await stub?.close();
    warehouse?.close();
  });

  const base = (over: Partial<AnalysisRequest>): AnalysisRequest => stubRequest(cwd, db, over);

  it('plain, CUPAC with a categorical covariate and a ratio equal DuckDB; the protocol as Trino speaks it', async () => {
    const cases = STUB_CASES;
    for (const c of cases) {
      const duck = await runAnalysis(base(c));
      const jobs: JobRecord[] = [];
      stub.requests.length = 0;
      // The warehouse's queries: the stub's own DuckDB, in this process, stands in for the warehouse's insides, which a real run's log never sees.
      const house = await queryObserver.run({ active: true, record: (q) => q.engine && jobs.push(jobRecord(q, { command: 'analyze', experiment: null, metric: null }, 'r')) }, () => runAnalysis(base({ ...c, data: 'lake.exp', engine: trino })));
      expectSameResult({ ...house, warnings: house.warnings.map((w) => w.replaceAll('lake.exp', 'exp')) }, duck);
      const posts = stub.requests.filter((r) => r.method === 'POST');
      expect(posts.length).toBeGreaterThan(2);
      for (const p of posts) {
        expect(p.headers['x-trino-user']).toBe('analyst');
        expect(p.headers['x-trino-catalog']).toBe('hive');
        expect(p.headers['x-trino-schema']).toBe('lake');
        expect(p.headers.authorization).toBe('Bearer tok-123');
      }
      expect(posts.some((p) => p.body.includes('FROM "lake"."exp"'))).toBe(true);
      // Results came back over several pages.
      expect(stub.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(posts.length);
      const moments = jobs.find((j) => j.sql.includes('GROUP BY __group'));
      expect(moments?.bytes_scanned).toBeGreaterThan(0);
    }
  }, 120_000);

  it('a failed statement is one line; a nextUri on another host fails in one line', async () => {
    await expect(runAnalysis(base({ data: 'lake.nope', engine: trino }))).rejects.toThrow(/lake\.nope: no such table in the trino engine/);
    stub.redirectNextTo('http://127.0.0.2:9');
    try {
      // trino-client follows the statement's first nextUri itself (as Trino's own clients do), so a
      // coordinator that points elsewhere is reached there; the failure is one line naming that host.
      const err = await runAnalysis(base({ data: 'lake.exp', engine: trino })).then(() => null, (e: unknown) => e as Error);
      expect(err?.message).toMatch(/^cannot reach trino at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.2:9$/);
    } finally {
      stub.redirectNextTo(null);
    }
    const gets = stub.requests.filter((r) => r.method === 'GET' && r.headers.host?.startsWith('127.0.0.2'));
    expect(gets).toEqual([]);
  }, 60_000);
});
