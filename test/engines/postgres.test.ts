/**
 * PostgreSQL for real: a throwaway cluster (test/support/postgres.ts) holds the same rows as a
 * DuckDB store (a seeded project and the analyze fixture), and every analysis computed there
 * equals DuckDB's to 1e-9 relative: plain, CUPED, CUPAC (numeric and categorical covariates),
 * ratio metrics, winsorized, and the experiment (store) mode with metric definitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { offlineProjectSpec } from '../../src/ai/seed/offline.js';
import { writeSeedProject } from '../../src/ai/seed/service.js';
import { runAnalysis, type AnalysisRequest } from '../../src/engines/run.js';
import { chooseEngine, type EngineChoice } from '../../src/engines/open.js';
import type { AnalyzeResult } from '../../src/engines/analyze.js';
import { loadFromStore, pgUnavailable, startPostgres, type PgServer } from '../support/postgres.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { expectSameResult } from './same.js';

const skip = pgUnavailable();
if (skip) console.warn(`skipping the PostgreSQL engine tests: ${skip}`);

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');

describe.skipIf(skip !== null)('postgres engine: the same numbers as DuckDB', () => {
  let server: PgServer;
  let cwd: string;
  let db: string;
  let pg: EngineChoice;
  let experiments: string[];

  beforeAll(async () => {
    server = await startPostgres();
    cwd = tmpDir();
    db = path.join(cwd, '.statsig-hack/project.duckdb');
    const store = await Store.open(db, { create: true });
    try {
      const spec = offlineProjectSpec({ prompt: 'engines', domain: 'ecommerce', seed: 11 }).spec;
      await writeSeedProject(store, spec, { seed: 11, users: 1200, days: 21, preDays: 14, start: '2025-11-03' }, { prompt: 'engines', source: 'offline', domain: 'ecommerce', theme: 'test' });
      await store.run(`CREATE TABLE exp AS SELECT * FROM read_csv_auto('${FIXTURE}')`);
      experiments = (await store.all<{ e: string }>('SELECT DISTINCT experiment AS e FROM exposures ORDER BY 1')).map((r) => r.e);
      // Same rows under other names than the store's, so a query that went to DuckDB by mistake
      // fails instead of passing: the config's table mapping points at them.
      await loadFromStore(server, store, {
        wh_exp: 'SELECT * FROM exp',
        wh_events: 'SELECT unit_id, event, ts, value FROM events',
        wh_exposures: 'SELECT * FROM exposures',
        wh_users: 'SELECT unit_id, country, platform, plan, channel, tenure_days FROM users',
      });
    } finally {
      store.close();
    }
    const tables = { events: 'public.wh_events', exposures: 'wh_exposures', users: 'wh_users' };
    pg = chooseEngine('postgres', { engine: { type: 'postgres', host: server.host, port: server.port, user: server.user, database: server.database, tables } }, {}) as EngineChoice;
  }, 120_000);
  afterAll(() => server?.stop());

  const base = (over: Partial<AnalysisRequest>): AnalysisRequest => ({
    cwd,
    db,
    data: 'exp',
    unit: 'user_id',
    group: 'variant',
    metrics: ['revenue'],
    ratios: [],
    covariates: [],
    preDays: 14,
    alpha: 0.05,
    tails: 'two',
    correction: 'none',
    ...over,
  });
  const both = async (req: AnalysisRequest): Promise<[AnalyzeResult, AnalyzeResult]> => {
    const duck = await runAnalysis(req);
    const post = await runAnalysis({ ...req, ...(req.data === 'exp' ? { data: 'wh_exp' } : {}), engine: pg });
    return [duck, { ...post, warnings: post.warnings.map((w) => w.replaceAll('wh_exp', 'exp')) }];
  };

  it('table mode, every method: plain, CUPED, CUPAC with a categorical covariate, ratios, winsorized, Holm', async () => {
    const cases: Partial<AnalysisRequest>[] = [
      { metrics: ['revenue', 'orders'], method: 'none' },
      { metrics: ['revenue'], method: 'cuped', covariates: ['pre_revenue'] },
      { metrics: ['revenue', 'orders'], method: 'cupac', covariates: ['pre_revenue', 'pre_orders', 'country', 'tenure_days'], correction: 'holm' },
      { metrics: [], ratios: [{ name: 'orders/sessions', kind: 'ratio', num: 'orders', den: 'sessions' }] },
      { metrics: ['revenue'], ratios: [{ name: 'revenue/sessions', kind: 'ratio', num: 'revenue', den: 'sessions' }], method: 'cupac', covariates: ['pre_revenue', 'country'], winsorize: 0.99 },
      { metrics: ['revenue'], method: 'cuped', tails: 'greater' },
    ];
    for (const c of cases) {
      const [duck, post] = await both(base(c));
      expect(duck.results.length).toBeGreaterThan(0);
      expectSameResult(post, duck);
    }
  }, 120_000);

  it('experiment mode: metric definitions from the store, exposures/events/users from PostgreSQL (CUPAC and CUPED)', async () => {
    expect(experiments.length).toBeGreaterThan(0);
    for (const experiment of experiments.slice(0, 2)) {
      for (const method of ['cupac', 'cuped', 'none'] as const) {
        const [duck, post] = await both(base({ data: undefined, experiment, unit: 'unit_id', group: 'group_name', metrics: [], method }));
        expect(duck.results.length).toBeGreaterThan(0);
        expectSameResult(post, duck);
      }
    }
  }, 180_000);

  it('segments and percentiles (exact percentile_cont, band counts by FILTER): table and experiment mode equal DuckDB', async () => {
    const cases: Partial<AnalysisRequest>[] = [
      { metrics: ['revenue', 'orders'], method: 'cupac', covariates: ['pre_revenue', 'tenure_days'], segments: ['country', 'flat'], correction: 'bh' },
      { metrics: ['revenue'], ratios: [{ name: 'orders/sessions', kind: 'ratio', num: 'orders', den: 'sessions' }], segments: ['country'], percentiles: [{ metric: 'revenue', p: 0.9 }, { metric: 'orders', p: 0.5 }, { metric: 'pre_revenue', p: 0.25 }] },
    ];
    for (const c of cases) {
      const [duck, post] = await both(base(c));
      expect(duck.segments?.cells.filter((x) => x.skipped === null).length ?? 0).toBeGreaterThan(4);
      expectSameResult(post, duck);
    }
    const [duck] = await both(base(cases[1] as Partial<AnalysisRequest>));
    expect([...new Set(duck.percentiles?.map((x) => x.name))]).toEqual(['revenue p90', 'orders p50', 'pre_revenue p25']);
    expect(duck.percentiles?.every((x) => x.diff_se !== null && x.diff_se > 0)).toBe(true);
    const experiment = experiments[0] as string;
    const plain = await runAnalysis(base({ data: undefined, experiment, unit: 'unit_id', group: 'group_name', metrics: [] }));
    const metric = plain.results[0]?.metric as string;
    const [d2, p2] = await both(base({ data: undefined, experiment, unit: 'unit_id', group: 'group_name', metrics: [], segments: ['country', 'platform'], percentiles: [{ metric, p: 0.9 }] }));
    expect(d2.segments?.cells.length ?? 0).toBeGreaterThan(4);
    expect(d2.percentiles?.length).toBeGreaterThan(0);
    expectSameResult(p2, d2);
  }, 180_000);

  it('says which table is missing, in the data or in the table mapping', async () => {
    await expect(runAnalysis(base({ data: 'no_such_table', engine: pg }))).rejects.toThrow(/no_such_table: no such table in the postgres engine/);
    const unmapped = chooseEngine('postgres', { engine: { ...pg.settings, type: 'postgres', tables: undefined } }, {}) as EngineChoice;
    await expect(runAnalysis(base({ data: undefined, experiment: experiments[0], engine: unmapped }))).rejects.toThrow(/^postgres: relation "exposures" does not exist/);
  }, 120_000);

  it('analyze --engine postgres on the command line: one JSON document equal to DuckDB\'s; the password never printed', async () => {
    const args = ['analyze', '--data', 'exp', '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--covariates', 'pre_revenue,country', '--json', '--db', db];
    const env = baseEnv({ PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGDATABASE: server.database, STATSIG_HACK_PG_PASSWORD: 'hunter2-secret' });
    const duck = await runCli(args, { cwd, env });
    const post = await runCli([...args.map((a) => (a === 'exp' ? 'wh_exp' : a)), '--engine', 'postgres'], { cwd, env });
    expect(post.stderr).toBe('');
    expect(post.code).toBe(0);
    expectSameResult(JSON.parse(post.stdout) as AnalyzeResult, JSON.parse(duck.stdout) as AnalyzeResult);
    // A file is analyzed in DuckDB even when the config's engine is postgres; --engine postgres with a file is refused.
    fs.writeFileSync(path.join(cwd, 'statsig-hack.config.json'), JSON.stringify({ engine: { type: 'postgres', port: 1 } }));
    try {
      const file = await runCli(['analyze', '--data', FIXTURE, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--json'], { cwd, env });
      expect(file.code).toBe(0);
      const refused = await runCli(['analyze', '--data', FIXTURE, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--engine', 'postgres'], { cwd, env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/is a file: files are analyzed in DuckDB, the postgres engine reads tables/);
    } finally {
      fs.rmSync(path.join(cwd, 'statsig-hack.config.json'));
    }
    const bad = await runCli([...args, '--engine', 'postgres'], { cwd, env: { ...env, PGPORT: '1' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toMatch(/cannot connect to postgres at 127\.0\.0\.1:1/);
    expect(bad.stdout + bad.stderr).not.toContain('hunter2-secret');
  }, 120_000);

  it('power --engine postgres measures the same variance and variance reduction as DuckDB', async () => {
    const env = baseEnv({ PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGDATABASE: server.database });
    const args = (data: string) => ['power', '--metric', 'revenue', '--mde', '0.02', '--data', data, '--unit', 'user_id', '--group', 'variant', '--covariates', 'pre_revenue,country', '--json', '--db', db];
    const duck = await runCli(args('exp'), { cwd, env });
    const post = await runCli([...args('wh_exp'), '--engine', 'postgres'], { cwd, env });
    expect(post.code).toBe(0);
    const p = JSON.parse(post.stdout) as { measured: { source: string }; variance_reduction: number };
    expect(p.variance_reduction).toBeGreaterThan(0.1);
    expectSameResult({ ...p, measured: { ...p.measured, source: 'exp' } }, JSON.parse(duck.stdout));
  }, 60_000);

  it('doctor checks the configured engine: connects, tables mapped, columns present; fails when it cannot connect', async () => {
    const dir = tmpDir();
    const engine = { type: 'postgres', host: server.host, port: server.port, user: server.user, database: server.database, tables: { events: 'wh_events', exposures: 'wh_exposures', users: 'wh_users' } };
    const doctor = async (cfg: Record<string, unknown>) => {
      fs.writeFileSync(path.join(dir, 'statsig-hack.config.json'), JSON.stringify({ engine: cfg }));
      const r = await runCli(['doctor', '--json', '--offline', '--no-launch'], { cwd: dir, env: baseEnv({ STATSIG_HACK_PG_PASSWORD: 'hunter2-secret' }) });
      const report = JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string; hint: string | null }[] };
      return { code: r.code, text: r.stdout + r.stderr, check: report.checks.find((c) => c.name === 'engine') };
    };
    const good = await doctor(engine);
    expect(good.check?.status).toBe('ok');
    expect(good.check?.detail).toMatch(/^postgres connects in \d+ ms/);
    const unmapped = await doctor({ ...engine, tables: { events: 'wh_events', exposures: 'no_such_exposures', users: 'wh_exp' } });
    expect(unmapped.check?.status).toBe('warn');
    expect(unmapped.check?.detail).toContain('exposures table no_such_exposures not found');
    expect(unmapped.check?.hint).toContain('engine.tables');
    const down = await doctor({ ...engine, port: 1 });
    expect(down.code).toBe(1);
    expect(down.check?.status).toBe('fail');
    expect(down.check?.detail).toContain('cannot connect to postgres at 127.0.0.1:1');
    expect(down.text).not.toContain('hunter2-secret');
  }, 120_000);

  it('the job log records each engine query with the rows and bytes that came back', async () => {
    const { queryObserver } = await import('../../src/store/observer.js');
    const { jobRecord } = await import('../../src/observe/jobs/record.js');
    const seen: ReturnType<typeof jobRecord>[] = [];
    const r = await queryObserver.run({ active: true, record: (q) => seen.push(jobRecord(q, { command: 'analyze', experiment: null, metric: null }, 'r1')) }, () => runAnalysis(base({ data: 'wh_exp', engine: pg, metrics: ['revenue'], method: 'cupac', covariates: ['pre_revenue'] })));
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((j) => j.outcome === 'ok' && j.rows_returned !== null)).toBe(true);
    const moments = seen.find((j) => j.sql.includes('GROUP BY __group'));
    // One row per group comes back from the moments pass, whatever the number of units.
    expect(moments?.rows_returned).toBe(1 + r.variants.length);
  }, 60_000);
});
