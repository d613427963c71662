/**
 * The Snowflake engine against a local stub of the SQL API v2 (test/support/warehouse-stubs.ts)
 * that runs the Snowflake-dialect SQL (CASE aggregates, no FILTER) in DuckDB: asynchronous
 * statements are polled, result partitions fetched, text values parsed by column type, upper-cased
 * names read back; the analysis equals DuckDB's own to 1e-9.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runAnalysis, type AnalysisRequest } from '../../src/engines/run.js';
import { chooseEngine, type EngineChoice } from '../../src/engines/open.js';
import { startSnowflakeStub, type SnowflakeStub } from '../support/warehouse-stubs.js';
import { expectSameResult, SEGMENT_PERCENTILE_CASE, stubProject, stubRequest } from './same.js';


describe('snowflake engine against an SQL API stub', () => {
  let stub: SnowflakeStub;
  let warehouse: Store;
  let cwd: string;
  let db: string;
  let sf: EngineChoice;

  beforeAll(async () => {
    // The "warehouse": another DuckDB holding the same rows under the schema-qualified name.
    ({ cwd, db, warehouse } = await stubProject('analytics'));
    stub = await startSnowflakeStub(warehouse);
    sf = chooseEngine('snowflake', { engine: { type: 'snowflake', url: stub.url, database: 'PROD', options: { warehouse: 'XS', schema: 'ANALYTICS' } } }, { STATSIG_HACK_SNOWFLAKE_TOKEN: 'sf-token' }) as EngineChoice;
  });
  afterAll(async () => {
    await stub?.close();
    warehouse?.close();
  });

  const base = (over: Partial<AnalysisRequest>): AnalysisRequest => stubRequest(cwd, db, over);

  it('plain, CUPED, CUPAC with a categorical covariate and a ratio equal DuckDB; statements polled and partitions fetched', async () => {
    const cases: Partial<AnalysisRequest>[] = [
      { metrics: ['revenue', 'orders'], method: 'none' },
      { metrics: ['revenue'], method: 'cuped', covariates: ['pre_revenue'] },
      { metrics: ['revenue'], method: 'cupac', covariates: ['pre_revenue', 'country'] },
      { metrics: [], ratios: [{ name: 'orders/sessions', kind: 'ratio', num: 'orders', den: 'sessions' }] },
      SEGMENT_PERCENTILE_CASE,
    ];
    for (const c of cases) {
      const duck = await runAnalysis(base(c));
      stub.requests.length = 0;
      const house = await runAnalysis(base({ ...c, data: 'analytics.exp', engine: sf }));
      // Snowflake names the columns in upper case (PRE_REVENUE): the result says so; the numbers are the same.
      const named = JSON.parse(JSON.stringify(house).replace(/\b(PRE_REVENUE|COUNTRY)\b/g, (m) => m.toLowerCase())) as typeof house;
      expectSameResult({ ...named, warnings: named.warnings.map((w) => w.replaceAll('analytics.exp', 'exp')) }, duck);
      const posts = stub.requests.filter((r) => r.method === 'POST');
      for (const p of posts) {
        const body = JSON.parse(p.body) as Record<string, string>;
        expect(body).toMatchObject({ database: 'PROD', schema: 'ANALYTICS', warehouse: 'XS' });
        expect(body.statement).not.toContain('FILTER');
        expect(p.headers['x-snowflake-authorization-token-type']).toBe('OAUTH');
      }
      expect(stub.requests.some((r) => r.url.endsWith('?partition=1'))).toBe(true);
    }
  }, 120_000);

  it('a covariate named in another case than its column is that column, not silently dropped (DuckDB too)', async () => {
    const r = await runAnalysis(base({ method: 'cuped', covariates: ['PRE_REVENUE'] }));
    expect(r.results[0]?.covariates).toEqual(['pre_revenue']);
    expect(r.results[0]?.variance_reduction).toBeGreaterThan(0.5);
  });

  it('a bad token or a missing table is one line, the token never in it', async () => {
    const wrong = chooseEngine('snowflake', { engine: { type: 'snowflake', url: stub.url } }, { STATSIG_HACK_SNOWFLAKE_TOKEN: 'nope-secret' }) as EngineChoice;
    const err = (await runAnalysis(base({ data: 'analytics.exp', engine: wrong })).then(
      () => new Error('no error'),
      (e: unknown) => e as Error,
    ));
    expect(err.message).toMatch(/cannot reach snowflake at http:\/\/127\.0\.0\.1:\d+: Invalid OAuth access token/);
    expect(err.message).not.toContain('nope-secret');
    await expect(runAnalysis(base({ data: 'analytics.nope', engine: sf }))).rejects.toThrow(/analytics\.nope: no such table in the snowflake engine/);
    const none = chooseEngine('snowflake', { engine: { type: 'snowflake', url: stub.url } }, {}) as EngineChoice;
    await expect(runAnalysis(base({ data: 'analytics.exp', engine: none }))).rejects.toThrow(/needs a token in STATSIG_HACK_SNOWFLAKE_TOKEN/);
  }, 60_000);
});
