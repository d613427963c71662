/**
 * The Databricks engine against a local stub of the Statement Execution API
 * (test/support/warehouse-stubs.ts): statements polled while pending, result chunks followed, text
 * values parsed by type; the Databricks-dialect SQL (backticks, FILTER) runs in DuckDB behind the
 * stub and the analysis equals DuckDB's own to 1e-9.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runAnalysis, type AnalysisRequest } from '../../src/engines/run.js';
import { chooseEngine, type EngineChoice } from '../../src/engines/open.js';
import { startDatabricksStub, type DatabricksStub } from '../support/warehouse-stubs.js';
import { expectSameResult, STUB_CASES, stubProject, stubRequest } from './same.js';


describe('databricks engine against a Statement Execution API stub', () => {
  let stub: DatabricksStub;
  let warehouse: Store;
  let cwd: string;
  let db: string;
  let dbx: EngineChoice;

  beforeAll(async () => {
    // The "warehouse": another DuckDB holding the same rows under the schema-qualified name.
    ({ cwd, db, warehouse } = await stubProject('sales'));
    stub = await startDatabricksStub(warehouse, 'dapi-123');
    dbx = chooseEngine('databricks', { engine: { type: 'databricks', url: stub.url, options: { warehouse: 'wh-1', catalog: 'main', schema: 'sales' } } }, { STATSIG_HACK_DATABRICKS_TOKEN: 'dapi-123' }) as EngineChoice;
  });
  afterAll(async () => {
    await stub?.close();
    warehouse?.close();
  });

  const base = (over: Partial<AnalysisRequest>): AnalysisRequest => stubRequest(cwd, db, over);

  it('plain, CUPAC with a categorical covariate and a ratio equal DuckDB; polled and chunked as Databricks answers', async () => {
    const cases = STUB_CASES;
    for (const c of cases) {
      const duck = await runAnalysis(base(c));
      stub.requests.length = 0;
      const house = await runAnalysis(base({ ...c, data: 'sales.exp', engine: dbx }));
      expectSameResult({ ...house, warnings: house.warnings.map((w) => w.replaceAll('sales.exp', 'exp')) }, duck);
      const posts = stub.requests.filter((r) => r.method === 'POST');
      for (const p of posts) expect(JSON.parse(p.body)).toMatchObject({ warehouse_id: 'wh-1', catalog: 'main', schema: 'sales', format: 'JSON_ARRAY', disposition: 'INLINE' });
      expect(posts.some((p) => (JSON.parse(p.body) as { statement: string }).statement.includes('FROM `sales`.`exp`'))).toBe(true);
      expect(stub.requests.some((r) => r.url.includes('/result/chunks/1'))).toBe(true);
    }
  }, 120_000);

  it('a bad token or a missing table is one line, the token never in it', async () => {
    const wrong = chooseEngine('databricks', { engine: { type: 'databricks', url: stub.url, options: { warehouse: 'wh-1' } } }, { STATSIG_HACK_DATABRICKS_TOKEN: 'dapi-secret-old' }) as EngineChoice;
    const err = await runAnalysis(base({ data: 'sales.exp', engine: wrong })).then(
      () => new Error('no error'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/^cannot reach databricks at http:\/\/127\.0\.0\.1:\d+: Invalid access token/);
    expect(err.message).not.toContain('dapi-secret-old');
    await expect(runAnalysis(base({ data: 'sales.nope', engine: dbx }))).rejects.toThrow(/sales\.nope: no such table in the databricks engine/);
  }, 60_000);
});
