/**
 * ClickHouse for real (Debian's 18.16, over its HTTP interface): the analyze fixture split over
 * two shards behind a Distributed table; every analysis equals DuckDB's to 1e-9 relative.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { runAnalysis, type AnalysisRequest } from '../../src/engines/run.js';
import { chooseEngine, type EngineChoice } from '../../src/engines/open.js';
import { queryObserver } from '../../src/store/observer.js';
import { jobRecord, type JobRecord } from '../../src/observe/jobs/record.js';
import { clickhouseUnavailable, loadSharded, startClickHouse, type ClickHouseServer } from '../support/clickhouse.js';
import { tmpDir } from '../support/tmp.js';
import { expectSameResult } from './same.js';

const skip = clickhouseUnavailable();
if (skip) console.warn(`skipping the ClickHouse engine tests: ${skip}`);

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');

describe.skipIf(skip !== null)('clickhouse engine (Distributed over two shards): the same numbers as DuckDB', () => {
  let server: ClickHouseServer;
  let db: string;
  let cwd: string;
  let ch: EngineChoice;
  let shards: [number, number];

  beforeAll(async () => {
    server = await startClickHouse();
    cwd = tmpDir();
    db = path.join(cwd, '.statsig-hack/project.duckdb');
    const store = await Store.open(db, { create: true });
    try {
      await store.run(`CREATE TABLE exp AS SELECT * FROM read_csv_auto('${FIXTURE}')`);
      shards = await loadSharded(server, store, 'wh_exp', 'SELECT * FROM exp');
    } finally {
      store.close();
    }
    ch = chooseEngine('clickhouse', { engine: { type: 'clickhouse', url: server.url } }, {}) as EngineChoice;
  }, 120_000);
  afterAll(() => server?.stop());

  const base = (over: Partial<AnalysisRequest>): AnalysisRequest => ({ cwd, db, data: 'exp', unit: 'user_id', group: 'variant', metrics: ['revenue'], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none', ...over });

  it('the rows are split over both shards and the Distributed table sees them all', async () => {
    expect(shards[0]).toBeGreaterThan(1000);
    expect(shards[1]).toBeGreaterThan(1000);
    expect(Number((await server.query('SELECT count(*) FROM default.wh_exp')).trim())).toBe(shards[0] + shards[1]);
  });

  it('plain, CUPED, CUPAC with a categorical covariate, ratios, Holm: equal to DuckDB', async () => {
    const cases: Partial<AnalysisRequest>[] = [
      { metrics: ['revenue', 'orders'], method: 'none' },
      { metrics: ['revenue'], method: 'cuped', covariates: ['pre_revenue'] },
      { metrics: ['revenue', 'orders'], method: 'cupac', covariates: ['pre_revenue', 'pre_orders', 'country', 'tenure_days'], correction: 'holm' },
      { metrics: [], ratios: [{ name: 'orders/sessions', kind: 'ratio', num: 'orders', den: 'sessions' }], method: 'cupac', covariates: ['pre_orders'] },
    ];
    for (const c of cases) {
      const duck = await runAnalysis(base(c));
      const jobs: JobRecord[] = [];
      const house = await queryObserver.run({ active: true, record: (q) => jobs.push(jobRecord(q, { command: 'analyze', experiment: null, metric: null }, 'r')) }, () => runAnalysis(base({ ...c, data: 'wh_exp', engine: ch })));
      expect(duck.results.length).toBeGreaterThan(0);
      expectSameResult({ ...house, warnings: house.warnings.map((w) => w.replaceAll('wh_exp', 'exp')) }, duck);
      // ClickHouse reports the bytes it read; the job log keeps them.
      const moments = jobs.find((j) => j.sql.includes('GROUP BY __group'));
      expect(moments?.bytes_scanned).toBeGreaterThan(0);
      // Per group (and per cell of a categorical covariate's levels), never per unit.
      expect(moments?.rows_returned).toBeGreaterThanOrEqual(1 + duck.variants.length);
      expect(moments?.rows_returned).toBeLessThanOrEqual((1 + duck.variants.length) * 21);
    }
  }, 120_000);

  it('a missing table or an unreachable server is one line', async () => {
    await expect(runAnalysis(base({ data: 'nope', engine: ch }))).rejects.toThrow(/nope: no such table in the clickhouse engine/);
    const down = chooseEngine('clickhouse', { engine: { type: 'clickhouse', url: 'http://127.0.0.1:1/' } }, {}) as EngineChoice;
    await expect(runAnalysis(base({ data: 'wh_exp', engine: down }))).rejects.toThrow(/^cannot reach clickhouse at http:\/\/127\.0\.0\.1:1/);
  }, 60_000);
});
