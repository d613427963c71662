/**
 * ClickHouse for real (Debian's 18.16, over its HTTP interface): the analyze fixture split over
 * two shards behind a Distributed table; every analysis equals DuckDB's to 1e-9 relative.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { writeSeedProject } from '../../src/ai/seed/service.js';
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
  let experiments: string[];

  beforeAll(async () => {
    server = await startClickHouse();
    cwd = tmpDir();
    db = path.join(cwd, '.statsig-hack/project.duckdb');
    const store = await Store.open(db, { create: true });
    try {
      await store.run(`CREATE TABLE exp AS SELECT * FROM read_csv_auto('${FIXTURE}')`);
      shards = await loadSharded(server, store, 'wh_exp', 'SELECT * FROM exp');
      // A seeded project's exposures, events and users, each a Distributed table over the two shards.
      const spec = offlineProjectSpec({ prompt: 'engines', domain: 'ecommerce', seed: 11 }).spec;
      await writeSeedProject(store, spec, { seed: 11, users: 1200, days: 21, preDays: 14, start: '2025-11-03' }, { prompt: 'engines', source: 'offline', domain: 'ecommerce', theme: 'test' });
      experiments = (await store.all<{ e: string }>('SELECT DISTINCT experiment AS e FROM exposures ORDER BY 1')).map((r) => r.e);
      await loadSharded(server, store, 'wh_events', 'SELECT unit_id, event, ts, value FROM events');
      await loadSharded(server, store, 'wh_exposures', 'SELECT unit_id, experiment, group_name, first_exposure FROM exposures');
      await loadSharded(server, store, 'wh_users', 'SELECT unit_id, country, platform, plan, channel, tenure_days FROM users');
    } finally {
      store.close();
    }
    ch = chooseEngine('clickhouse', { engine: { type: 'clickhouse', url: server.url, tables: { events: 'default.wh_events', exposures: 'wh_exposures', users: 'wh_users' } } }, {}) as EngineChoice;
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

  it('segments and percentiles (type-7 quantile from the sorted group array): equal to DuckDB', async () => {
    const cases: Partial<AnalysisRequest>[] = [
      { metrics: ['revenue', 'orders'], method: 'cupac', covariates: ['pre_revenue', 'tenure_days'], segments: ['country', 'flat'], correction: 'bh' },
      { metrics: ['revenue'], ratios: [{ name: 'orders/sessions', kind: 'ratio', num: 'orders', den: 'sessions' }], segments: ['country'], percentiles: [{ metric: 'revenue', p: 0.9 }, { metric: 'orders', p: 0.5 }, { metric: 'pre_revenue', p: 0.25 }] },
      { metrics: ['revenue'], winsorize: 0.95 },
    ];
    for (const c of cases) {
      const duck = await runAnalysis(base(c));
      const house = await runAnalysis(base({ ...c, data: 'wh_exp', engine: ch }));
      expect(duck.segments?.cells.filter((x) => x.skipped === null).length ?? 1).toBeGreaterThan(0);
      expectSameResult({ ...house, warnings: house.warnings.map((w) => w.replaceAll('wh_exp', 'exp')) }, duck);
    }
  }, 120_000);

  it('experiment mode without CTEs (18.16 has none): exposures, events and users from Distributed tables equal DuckDB', async () => {
    expect(experiments.length).toBeGreaterThan(0);
    for (const experiment of experiments.slice(0, 2)) {
      for (const method of ['cupac', 'cuped'] as const) {
        const req = base({ data: undefined, experiment, unit: 'unit_id', group: 'group_name', metrics: [], method });
        const duck = await runAnalysis(req);
        expect(duck.results.length).toBeGreaterThan(0);
        expectSameResult(await runAnalysis({ ...req, engine: ch }), duck);
      }
    }
    const experiment = experiments[0] as string;
    const plain = await runAnalysis(base({ data: undefined, experiment, unit: 'unit_id', group: 'group_name', metrics: [] }));
    const req = base({ data: undefined, experiment, unit: 'unit_id', group: 'group_name', metrics: [], segments: ['country', 'platform'], percentiles: [{ metric: plain.results[0]?.metric as string, p: 0.9 }] });
    const duck = await runAnalysis(req);
    expect(duck.segments?.cells.length ?? 0).toBeGreaterThan(4);
    expectSameResult(await runAnalysis({ ...req, engine: ch }), duck);
  }, 240_000);

  it('a missing table or an unreachable server is one line', async () => {
    await expect(runAnalysis(base({ data: 'nope', engine: ch }))).rejects.toThrow(/nope: no such table in the clickhouse engine/);
    const down = chooseEngine('clickhouse', { engine: { type: 'clickhouse', url: 'http://127.0.0.1:1/' } }, {}) as EngineChoice;
    await expect(runAnalysis(base({ data: 'wh_exp', engine: down }))).rejects.toThrow(/^cannot reach clickhouse at http:\/\/127\.0\.0\.1:1/);
  }, 60_000);
});
