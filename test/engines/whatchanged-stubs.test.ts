/**
 * whatchanged's SQL in the four dialects that cannot run here (Trino, Snowflake, BigQuery,
 * Databricks), through each engine's client against its protocol stub (the stub runs the
 * dialect's SQL in DuckDB): the drill-down equals DuckDB's own on the same rows, the tables are
 * the mapped, schema-qualified ones quoted the dialect's way, and the job log keeps what the
 * warehouse says it scanned.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { chooseEngine, engineTables, openEngine, type EngineChoice } from '../../src/engines/open.js';
import { parsePeriod, whatChanged, type WhatChangedOptions, type WhatChangedResult } from '../../src/engines/whatchanged/index.js';
import { queryObserver } from '../../src/store/observer.js';
import { jobRecord, type JobRecord } from '../../src/observe/jobs/record.js';
import { startBigQueryStub, startDatabricksStub, startSnowflakeStub, startTrinoStub, type RecordingStub } from '../support/warehouse-stubs.js';
import { tmpDir, tmpStore } from '../support/tmp.js';
import { generate, load } from '../whatchanged/fixtures.js';
import { expectSameResult } from './same.js';

const periods = { baseline: parsePeriod('--baseline', '2026-10-01..2026-10-07'), current: parsePeriod('--current', '2026-10-08..2026-10-14') };

const TABLES = {
  wh_events: 'SELECT unit_id, event, ts, value FROM events',
  wh_users: 'SELECT unit_id, country, platform, plan, channel, tenure_days, created_at FROM users',
  wh_exposures: 'SELECT unit_id, experiment, group_name, first_exposure FROM exposures',
};

const CASES: WhatChangedOptions[] = [
  { metric: 'purchase', ...periods, dimensions: ['country', 'platform', 'tenure', 'experiment:checkout'] },
  { metric: 'purchase', agg: 'mean', ...periods, dimensions: ['country', 'plan'], maxValues: 2, where: 'value > 30' },
];

interface Target {
  name: 'trino' | 'snowflake' | 'bigquery' | 'databricks';
  start(warehouse: Store): Promise<RecordingStub>;
  choice(url: string, tables: { events: string; users: string; exposures: string }): EngineChoice;
  /** How the dialect writes the mapped events table. */
  quoted: string;
  /** The stub reports bytes scanned. */
  scanned: boolean;
}

const TARGETS: Target[] = [
  {
    name: 'trino',
    start: (w) => startTrinoStub(w),
    choice: (url, tables) => chooseEngine('trino', { engine: { type: 'trino', url, user: 'analyst', options: { catalog: 'hive', schema: 'lake' }, tables } }, { STATSIG_HACK_TRINO_TOKEN: 'tok-123' }) as EngineChoice,
    quoted: '"lake"."wh_events"',
    scanned: true,
  },
  {
    name: 'snowflake',
    start: (w) => startSnowflakeStub(w),
    choice: (url, tables) => chooseEngine('snowflake', { engine: { type: 'snowflake', url, database: 'PROD', options: { warehouse: 'XS', schema: 'LAKE' }, tables } }, { STATSIG_HACK_SNOWFLAKE_TOKEN: 'sf-token' }) as EngineChoice,
    quoted: '"lake"."wh_events"',
    scanned: false,
  },
  {
    name: 'bigquery',
    start: (w) => startBigQueryStub(w, 'ya29.token'),
    choice: (url, tables) => chooseEngine('bigquery', { engine: { type: 'bigquery', url, options: { project: 'my-proj', location: 'EU' }, tables } }, { STATSIG_HACK_BIGQUERY_TOKEN: 'ya29.token' }) as EngineChoice,
    quoted: '`lake`.`wh_events`',
    scanned: true,
  },
  {
    name: 'databricks',
    start: (w) => startDatabricksStub(w, 'dapi-123'),
    choice: (url, tables) => chooseEngine('databricks', { engine: { type: 'databricks', url, options: { warehouse: 'wh-1', catalog: 'main', schema: 'lake' }, tables } }, { STATSIG_HACK_DATABRICKS_TOKEN: 'dapi-123' }) as EngineChoice,
    quoted: '`lake`.`wh_events`',
    scanned: false,
  },
];

describe('whatchanged --engine on the warehouse stubs: the dialect SQL runs and equals DuckDB', () => {
  let db: string;
  let warehouse: Store;
  const duck = new Map<number, WhatChangedResult>();

  beforeAll(async () => {
    const t = await tmpStore();
    db = t.file;
    const data = generate({ seed: 5, users: 900, nullCountry: 0.1, active: (u, p) => (u.country === 'DE' && p === 1 ? 0.3 : 0.5) });
    await load(t.store, data);
    await t.store.run(`UPDATE users SET tenure_days = CAST(substr(unit_id, 2) AS INTEGER) % 400`);
    await t.store.run(`INSERT INTO exposures SELECT unit_id, 'checkout', CASE WHEN CAST(substr(unit_id, 2) AS INTEGER) % 2 = 0 THEN 'control' ELSE 'test' END, TIMESTAMP '2026-09-01' FROM users WHERE CAST(substr(unit_id, 2) AS INTEGER) % 3 <> 0`);
    for (const [i, c] of CASES.entries()) duck.set(i, await whatChanged(t.store, c));
    // The "warehouse": another DuckDB holding the same rows under a schema and other names.
    warehouse = await Store.memory({ migrate: false });
    await warehouse.run('CREATE SCHEMA lake');
    const dir = tmpDir('sh-wc-stub-');
    for (const [name, select] of Object.entries(TABLES)) {
      const file = path.join(dir, `${name}.parquet`);
      await t.store.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
      await warehouse.run(`CREATE TABLE lake.${name} AS SELECT * FROM read_parquet('${file}')`);
    }
    t.store.close();
  }, 120_000);
  afterAll(() => warehouse?.close());

  for (const target of TARGETS) {
    it(`${target.name}: same drill-down as DuckDB, the mapped tables quoted the ${target.name} way`, async () => {
      const stub = await target.start(warehouse);
      const choice = target.choice(stub.url, { events: 'lake.wh_events', users: 'lake.wh_users', exposures: 'lake.wh_exposures' });
      const store = await Store.open(db, { readOnly: true });
      const engine = await openEngine(choice);
      try {
        for (const [i, c] of CASES.entries()) {
          const jobs: JobRecord[] = [];
          // The warehouse's queries: the stub's own DuckDB, in this process, stands in for the warehouse's insides, which a real run's log never sees.
          const house = await queryObserver.run({ active: true, record: (q) => q.engine && jobs.push(jobRecord(q, { command: 'whatchanged', experiment: null, metric: c.metric }, 'r')) }, () =>
            whatChanged(store, c, { engine, tables: engineTables(choice.settings) }),
          );
          const expected = duck.get(i) as WhatChangedResult;
          expect(expected.dimensions.length).toBeGreaterThan(0);
          expect(house.source).toBe(target.name);
          expectSameResult({ ...house, source: expected.source }, expected);
          const scan = jobs.find((j) => j.sql.includes('CROSS JOIN'));
          expect(scan?.sql).toContain(target.quoted);
          if (target.scanned) expect(scan?.bytes_scanned).toBeGreaterThan(0);
        }
        expect(stub.requests.some((r) => r.body.includes(target.quoted.replaceAll('"', '\\"')) || r.body.includes(target.quoted))).toBe(true);
      } finally {
        await engine.close();
        store.close();
        await stub.close();
      }
    }, 120_000);
  }
});
