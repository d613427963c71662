/**
 * whatchanged on real engines: PostgreSQL and ClickHouse (a Distributed table over two shards)
 * hold the same events, users and exposures as a DuckDB store, under other names (the config's
 * table mapping points at them). The drill-down computed from the engine's aggregates equals
 * DuckDB's to 1e-9 relative (contributions, mix/rate, tests, cells, noise); the job log records
 * each engine query, and what comes back is per value, never per unit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { chooseEngine, engineTables, openEngine, type EngineChoice } from '../../src/engines/open.js';
import { parsePeriod, whatChanged, type WhatChangedOptions, type WhatChangedResult } from '../../src/engines/whatchanged/index.js';
import { queryObserver } from '../../src/store/observer.js';
import { jobRecord, type JobRecord } from '../../src/observe/jobs/record.js';
import { loadFromStore, pgUnavailable, startPostgres, type PgServer } from '../support/postgres.js';
import { clickhouseUnavailable, loadSharded, startClickHouse, type ClickHouseServer } from '../support/clickhouse.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpStore } from '../support/tmp.js';
import { generate, load } from '../whatchanged/fixtures.js';
import { expectSameResult } from './same.js';

const pgSkip = pgUnavailable();
const chSkip = clickhouseUnavailable();
if (pgSkip) console.warn(`skipping the PostgreSQL whatchanged tests: ${pgSkip}`);
if (chSkip) console.warn(`skipping the ClickHouse whatchanged tests: ${chSkip}`);

const periods = { baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'), current: parsePeriod('--current', '2026-10-08..2026-10-14') };

/** The fixture store: users with every built-in dimension, purchases with a planted change, an experiment. */
async function fixtureStore(): Promise<{ dir: string; db: string }> {
  const t = await tmpStore();
  const data = generate({
    seed: 7,
    users: 1500,
    nullCountry: 0.1,
    active: (u, p) => (u.country === 'BR' && p === 1 ? 0.25 : 0.5),
    value: (u, p) => (u.platform === 'ios' && p === 1 ? 70 : 50),
  });
  await load(t.store, data);
  // ClickHouse 18.16's DateTime has whole seconds.
  await t.store.run(`UPDATE events SET ts = date_trunc('second', ts)`);
  await t.store.run(`UPDATE users SET tenure_days = CAST(substr(unit_id, 2) AS INTEGER) % 500, channel = CASE WHEN CAST(substr(unit_id, 2) AS INTEGER) % 4 = 0 THEN 'ads' ELSE 'organic' END`);
  // An experiment on two thirds of the users (the rest are "(none)").
  await t.store.run(`INSERT INTO exposures SELECT unit_id, 'checkout', CASE WHEN CAST(substr(unit_id, 2) AS INTEGER) % 2 = 0 THEN 'control' ELSE 'test' END, TIMESTAMP '2026-09-01' FROM users WHERE CAST(substr(unit_id, 2) AS INTEGER) % 3 <> 0`);
  await t.store.run(`INSERT INTO entities (kind, name, spec) VALUES ('metrics', 'avg order value', '{"name":"avg order value","type":"mean","metricEvents":[{"name":"purchase","type":"value"}]}')`);
  t.store.close();
  return { dir: t.dir, db: t.file };
}

const TABLES = {
  wh_events: 'SELECT unit_id, event, ts, value FROM events',
  wh_users: 'SELECT unit_id, country, platform, plan, channel, tenure_days, created_at FROM users',
  wh_exposures: 'SELECT unit_id, experiment, group_name, first_exposure FROM exposures',
};

/** The cases every real engine answers as DuckDB does. */
const CASES: WhatChangedOptions[] = [
  { metric: 'purchase', ...periods, dimensions: ['country', 'platform', 'plan', 'channel', 'tenure', 'cohort', 'experiment:checkout'] },
  { metric: 'purchase', agg: 'sum', ...periods, dimensions: 'auto', experiment: 'checkout' },
  { metric: 'avg order value', ...periods, dimensions: ['country', 'platform', 'tenure'], maxValues: 2 },
  { metric: 'purchase', agg: 'sum', baseline: parsePeriod('--baseline', '2026-10-01..2026-10-04'), current: periods.current, dimensions: ['platform', 'country'], where: 'value > 30' },
  { metric: 'purchase', agg: 'mean', ...periods, dimensions: ['cohort', 'channel'], percentiles: true },
  // Default periods: the last 7 days of data (the engine's MAX(ts)) against the 7 before.
  { metric: 'purchase', dimensions: ['plan', 'experiment:checkout'] },
];

async function both(db: string, choice: EngineChoice, options: WhatChangedOptions): Promise<{ duck: WhatChangedResult; house: WhatChangedResult; jobs: JobRecord[] }> {
  const store = await Store.open(db, { readOnly: true });
  const engine = await openEngine(choice);
  const jobs: JobRecord[] = [];
  try {
    const duck = await whatChanged(store, options);
    const house = await queryObserver.run({ active: true, record: (q) => jobs.push(jobRecord(q, { command: 'whatchanged', experiment: null, metric: options.metric }, 'r')) }, () =>
      whatChanged(store, options, { engine, tables: engineTables(choice.settings) }),
    );
    return { duck, house, jobs };
  } finally {
    await engine.close();
    store.close();
  }
}

function expectSame(house: WhatChangedResult, duck: WhatChangedResult, engine: string, opts: { percentiles: boolean }): void {
  expect(house.source).toBe(engine);
  expect(duck.dimensions.length).toBeGreaterThan(0);
  expect(duck.headline.delta).not.toBe(0);
  const strip = (r: WhatChangedResult) => ({ ...r, source: 'x', percentiles: opts.percentiles ? r.percentiles : null });
  expectSameResult(strip(house), strip(duck));
}

describe.skipIf(pgSkip !== null)('whatchanged --engine postgres: the same drill-down as DuckDB', () => {
  let server: PgServer;
  let dir: string;
  let db: string;
  let pg: EngineChoice;

  beforeAll(async () => {
    server = await startPostgres();
    ({ dir, db } = await fixtureStore());
    const store = await Store.open(db, { readOnly: true });
    try {
      await loadFromStore(server, store, TABLES);
    } finally {
      store.close();
    }
    pg = chooseEngine('postgres', { engine: { type: 'postgres', host: server.host, port: server.port, user: server.user, database: server.database, tables: { events: 'public.wh_events', users: 'wh_users', exposures: 'wh_exposures' } } }, {}) as EngineChoice;
  }, 120_000);
  afterAll(() => server?.stop());

  it('count, sum, mean, capped values, --where, unequal periods, percentiles: equal to DuckDB to 1e-9', async () => {
    const seen = { cells: 0, other: 0, percentiles: 0, noise: 0 };
    for (const c of CASES) {
      const { duck, house, jobs } = await both(db, pg, c);
      expectSame(house, duck, 'postgres', { percentiles: true });
      seen.cells += duck.cells.length;
      seen.other += duck.dimensions.filter((d) => d.capped && d.segments.some((s) => s.value === '(other)')).length;
      seen.percentiles += duck.percentiles?.filter((p) => p.baseline !== null).length ?? 0;
      seen.noise += duck.headline.noise?.p_value !== null && duck.headline.noise?.p_value !== undefined ? 1 : 0;
      // Only aggregates come back: per day, per value (or cell), never per unit.
      expect(jobs.length).toBeGreaterThan(3);
      expect(jobs.every((j) => j.outcome === 'ok')).toBe(true);
      for (const j of jobs) expect(j.rows_returned ?? 0).toBeLessThan(400);
    }
    // The cases exercise 2-D cells, values capped into "(other)", quantiles and the noise check.
    expect(seen.cells).toBeGreaterThan(0);
    expect(seen.other).toBeGreaterThan(0);
    expect(seen.percentiles).toBe(6);
    expect(seen.noise).toBe(CASES.length);
  }, 180_000);

  it('an unknown metric, dimension or --where column is one line naming the engine\'s table', async () => {
    const store = await Store.open(db, { readOnly: true });
    const engine = await openEngine(pg);
    const on = { engine, tables: engineTables(pg.settings) };
    try {
      await expect(whatChanged(store, { metric: 'nope', ...periods }, on)).rejects.toThrow(/^unknown metric "nope": no such event or metric in the postgres events table public\.wh_events$/);
      await expect(whatChanged(store, { metric: 'purchase', ...periods, dimensions: ['experiment:nope'] }, on)).rejects.toThrow(/no experiment "nope" with exposures in the postgres table wh_exposures/);
      await expect(whatChanged(store, { metric: 'purchase', ...periods, where: "plan = 'pro'" }, on)).rejects.toThrow(/^--where: postgres: column "plan" does not exist/);
    } finally {
      await engine.close();
      store.close();
    }
  }, 60_000);

  it('on the command line: one JSON document equal to DuckDB\'s; --data with --engine is refused in one line', async () => {
    fs.writeFileSync(path.join(dir, 'statsig-hack.config.json'), JSON.stringify({ engine: { type: 'postgres', host: server.host, port: server.port, user: server.user, database: server.database, tables: { events: 'wh_events', users: 'wh_users', exposures: 'wh_exposures' } } }));
    try {
      const args = ['--json', 'whatchanged', '--metric', 'purchase', '--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14', '--dimensions', 'country,platform', '--db', db];
      const duck = await runCli([...args, '--engine', 'duckdb'], { cwd: dir, env: baseEnv() });
      const post = await runCli(args, { cwd: dir, env: baseEnv() });
      expect(post.stderr).toBe('');
      expect(post.code).toBe(0);
      const j = JSON.parse(post.stdout) as WhatChangedResult;
      expect(j.source).toBe('postgres');
      expectSameResult({ ...j, source: 'store' }, JSON.parse(duck.stdout));
      const file = path.join(dir, 'x.csv');
      fs.writeFileSync(file, 'ts,value\n2026-10-01,1\n');
      const refused = await runCli(['whatchanged', '--data', file, '--engine', 'postgres', '--db', db], { cwd: dir, env: baseEnv() });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/is a file: files are read in DuckDB, the postgres engine reads its events table/);
      expect(refused.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      const attr = await runCli([...args.slice(1, -4), '--dimensions', 'tier', '--db', db], { cwd: dir, env: baseEnv() });
      expect(attr.code).toBe(2);
      expect(attr.stderr).toMatch(/unknown dimension "tier" on the postgres engine/);
    } finally {
      fs.rmSync(path.join(dir, 'statsig-hack.config.json'));
    }
  }, 120_000);
});

describe.skipIf(chSkip !== null)('whatchanged --engine clickhouse (Distributed over two shards): the same drill-down as DuckDB', () => {
  let server: ClickHouseServer;
  let db: string;
  let ch: EngineChoice;
  const shards: [number, number][] = [];

  beforeAll(async () => {
    server = await startClickHouse();
    ({ db } = await fixtureStore());
    const store = await Store.open(db, { readOnly: true });
    try {
      for (const [name, select] of Object.entries(TABLES)) shards.push(await loadSharded(server, store, name, select));
    } finally {
      store.close();
    }
    ch = chooseEngine('clickhouse', { engine: { type: 'clickhouse', url: server.url, tables: { events: 'wh_events', users: 'wh_users', exposures: 'wh_exposures' } } }, {}) as EngineChoice;
  }, 120_000);
  afterAll(() => server?.stop());

  it('every table is split over both shards', () => {
    for (const [a, b] of shards) {
      expect(a).toBeGreaterThan(100);
      expect(b).toBeGreaterThan(100);
    }
  });

  it('count, sum, mean, capped values, --where, unequal periods: equal to DuckDB to 1e-9; ClickHouse reports the bytes it read', async () => {
    for (const c of CASES) {
      const { duck, house, jobs } = await both(db, ch, c);
      // ClickHouse's exact quantile does not interpolate (18.16 has no quantileExactInclusive): percentiles are compared on PostgreSQL.
      expectSame(house, duck, 'clickhouse', { percentiles: false });
      const scan = jobs.find((j) => j.sql.includes('CROSS JOIN'));
      expect(scan?.bytes_scanned).toBeGreaterThan(0);
      for (const j of jobs) expect(j.rows_returned ?? 0).toBeLessThan(400);
    }
  }, 180_000);
});
