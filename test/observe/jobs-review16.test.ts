/** `jobs` after review 16: findings 4 (a foreign --db), 8 (ids), 6 (max by metric), 11 (empty reports), 13 (a torn spool line), 10 (provisional ids), 14 (unknown metrics), 16. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_COST } from '../../src/observe/jobs/cost.js';
import { ingestSpool, jobsSummary, parseSince } from '../../src/observe/jobs/log.js';
import { spoolPath } from '../../src/observe/jobs/scope.js';
import type { Store } from '../../src/store/store.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { holdStore } from '../support/store-holder.js';
import { tmpDir, tmpStore, writeFile } from '../support/tmp.js';

const EPOCH = new Date(0);

/** Inserts jobs rows (the columns not given take defaults of an ok, unprofiled, unattributed query a minute ago). */
async function insertJobs(store: Store, rows: Record<string, unknown>[]): Promise<void> {
  for (const r of rows) {
    const j: Record<string, unknown> = { run_id: 'r1', command: 'analyze', experiment: null, metric: null, fingerprint: 'fp', sql: 'SELECT 1', started_at: new Date(Date.now() - 60_000), duration_ms: 10, cpu_ms: 10, outcome: 'ok', ...r };
    await store.run(
      `INSERT INTO jobs (id, run_id, command, experiment, metric, fingerprint, sql, started_at, duration_ms, cpu_ms, outcome, profiled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8 AS TIMESTAMP), $9, $10, $11, false)`,
      [j.id, j.run_id, j.command, j.experiment, j.metric, j.fingerprint, j.sql, (j.started_at as Date).toISOString().replace('T', ' ').replace('Z', ''), j.duration_ms, j.cpu_ms, j.outcome] as never,
    );
  }
}

/** A plain DuckDB database with one table `t`, written by DuckDB itself (not by statsig-hack). */
async function plainDuckDb(file: string): Promise<void> {
  const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run('CREATE TABLE t AS SELECT range AS x FROM range(10)');
  conn.closeSync();
  instance.closeSync();
}

async function tablesOf(file: string): Promise<string[]> {
  const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const rows = (await conn.runAndReadAll(`SELECT table_name AS t FROM information_schema.tables ORDER BY 1`)).getRowObjectsJS().map((r) => r.t as string);
  conn.closeSync();
  instance.closeSync();
  return rows;
}

describe('finding 4: jobs --db refuses a file that is not a project store, and leaves it unchanged', () => {
  it('a plain DuckDB file with one table: non-zero, one line with the hint, same tables and bytes after, no .status.json or spool beside it', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'plain.duckdb');
    await plainDuckDb(file);
    const bytes = fs.readFileSync(file);
    for (const args of [['jobs'], ['jobs', 'list'], ['jobs', 'show', '1'], ['jobs', 'slow'], ['jobs', '--json']]) {
      const r = await runCli([...args, '--db', file], { cwd: dir });
      expect(r.code, args.join(' ')).not.toBe(0);
      if (args.includes('--json')) {
        expect(r.json<{ error: { code: string } }>().error.code).toBe('STORE_NOT_PROJECT');
        continue;
      }
      expect(r.stderr).toContain(`error: ${file} is not a project store: a DuckDB database at schema version 0 (its tables: t); jobs leaves it unchanged`);
      expect(r.stderr).toMatch(/hint: pass --db with a project store/);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(r.stdout).toBe('');
    }
    expect(await tablesOf(file)).toEqual(['t']);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['plain.duckdb']);
  });

  it('a CSV is refused as not a DuckDB file, and nothing is written beside it', async () => {
    const dir = tmpDir();
    const csv = writeFile(dir, 'series.csv', 'day,value\n2026-11-01,3\n2026-11-02,4\n');
    const r = await runCli(['jobs', '--db', csv], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${csv} is not a project store: it is not a DuckDB database file`);
    expect(r.stderr).toMatch(/hint: pass --db with a project store/);
    expect(fs.readFileSync(csv, 'utf8')).toBe('day,value\n2026-11-01,3\n2026-11-02,4\n');
    expect(fs.readdirSync(dir)).toEqual(['series.csv']);
  });

  it('a project store at an older schema version is still migrated and read', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'old.duckdb');
    const { Store } = await import('../../src/store/store.js');
    const old = await Store.open(file, { create: true, targetVersion: 5 });
    expect(await old.version()).toBe(5);
    old.close();
    const r = await runCli(['jobs', '--db', file, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ groups: unknown[] }>().groups).toEqual([]);
  });
});

describe('finding 8: job ids beyond the safe range, and 0, are usage errors', () => {
  it('`jobs show 99999999999999999999`, `jobs show 0` and `jobs show -1` read alike (rc 2, one line)', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    for (const id of ['99999999999999999999', '9007199254740993', '0', '-1', '00']) {
      const r = await runCli(['jobs', 'show', id], { cwd: dir });
      expect(r.code, id).toBe(2);
      expect(r.stderr, id).toContain(`error: job id must be a positive integer, got "${id}"`);
      expect(r.stderr).not.toContain('unexpected');
    }
  });

  it('`jobs show ~2` (a provisional id as printed) is job 2', async () => {
    const { dir, store } = await tmpStore();
    await insertJobs(store, [{ id: 1 }, { id: 2, sql: 'SELECT 2' }]);
    store.close();
    const r = await runCli(['jobs', 'show', '~2', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ id: number; sql: string }>()).toMatchObject({ id: 2, sql: 'SELECT 2' });
  });
});

describe('finding 6: by metric, max is a share like time and mean, never above the group total', () => {
  it('a job computing 2 metrics gives each half its time: max 50 of a 100 ms job', async () => {
    const { store } = await tmpStore();
    await store.run(`INSERT INTO entities (kind, name, type, spec) VALUES ('metrics', 'a', 'sum', '{}'), ('metrics', 'b', 'sum', '{}')`);
    await insertJobs(store, [
      { id: 1, metric: 'a,b', duration_ms: 100 },
      { id: 2, metric: 'a', duration_ms: 30 },
    ]);
    const s = await jobsSummary(store, 'metric', EPOCH, DEFAULT_COST);
    const by = Object.fromEntries(s.groups.map((g) => [g.key, g]));
    expect(by.a).toMatchObject({ jobs: 2, total_ms: 80, mean_ms: 40, max_ms: 50 });
    expect(by.b).toMatchObject({ jobs: 1, total_ms: 50, mean_ms: 50, max_ms: 50 });
    for (const g of s.groups) expect(g.max_ms).toBeLessThanOrEqual(g.total_ms);
    // By command the job is whole.
    expect((await jobsSummary(store, 'command', EPOCH, DEFAULT_COST)).groups[0]).toMatchObject({ total_ms: 130, max_ms: 100 });
    store.close();
  });
});

describe('finding 14: by metric, a metric the store does not define is marked', () => {
  it('an entity, an event, a built-in and a metric computed with others are known; a typo is "(unknown: …)"; a file analysis is not judged', async () => {
    const { dir, store } = await tmpStore();
    await store.run(`INSERT INTO entities (kind, name, type, spec) VALUES ('metrics', 'revenue_sum', 'sum', '{}')`);
    await store.run(`INSERT INTO events (unit_id, event, ts) VALUES ('u1', 'purchase', TIMESTAMP '2026-11-01 00:00:00')`);
    await insertJobs(store, [
      { id: 1, experiment: 'e', metric: 'revenue_sum', duration_ms: 40 },
      { id: 2, experiment: 'e', metric: 'purchase:event_count', duration_ms: 30 },
      { id: 3, experiment: 'e', metric: 'purchase', duration_ms: 20, command: 'whatchanged' },
      { id: 4, experiment: 'e', metric: 'nosuchmetric', duration_ms: 10 },
      { id: 5, experiment: 'e', metric: 'x:event_dau', duration_ms: 8 },
      { id: 6, experiment: 'e', metric: 'listed,revenue_sum', duration_ms: 14 },
      { id: 7, experiment: 'e', metric: 'listed', duration_ms: 6 },
      { id: 8, experiment: null, metric: 'a_column', duration_ms: 4 },
    ]);
    const keys = (await jobsSummary(store, 'metric', EPOCH, DEFAULT_COST)).groups.map((g) => g.key);
    expect(keys.sort()).toEqual(['(unknown: nosuchmetric)', 'a_column', 'listed', 'purchase', 'purchase:event_count', 'revenue_sum', 'x:event_dau']);
    // Not judged where the store has no events (a warehouse's data is elsewhere).
    await store.run('DELETE FROM events');
    expect((await jobsSummary(store, 'metric', EPOCH, DEFAULT_COST)).groups.map((g) => g.key)).toContain('nosuchmetric');
    await store.run(`INSERT INTO events (unit_id, event, ts) VALUES ('u1', 'purchase', TIMESTAMP '2026-11-01 00:00:00')`);
    store.close();
    const r = await runCli(['jobs', '--by', 'metric', '--wide'], { cwd: dir });
    expect(r.stdout).toContain('(unknown: nosuchmetric)');
    expect(r.stdout).toContain('(unknown: name): a metric an experiment\'s run named that the store does not define');
  });
});

describe('finding 11: an empty report says why', () => {
  it('the log off in the config: says so and how to turn it on', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { enabled: false } }));
    for (const args of [['jobs'], ['jobs', 'list']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('(no jobs: the job log is off in the config (jobs.enabled: false): set jobs.enabled to true, or remove the key');
    }
  });

  it('the log off with earlier jobs: the report, and a warning that later runs are not logged', async () => {
    const { dir, store } = await tmpStore();
    await insertJobs(store, [{ id: 1 }]);
    store.close();
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { enabled: false } }));
    const r = await runCli(['jobs'], { cwd: dir });
    expect(r.stdout).toMatch(/^analyze /m);
    expect(r.stderr).toContain('warning: the job log is off in the config (jobs.enabled: false)');
  });

  it('a filter that matched nothing is named, with the window\'s commands', async () => {
    const { dir, store } = await tmpStore();
    await insertJobs(store, [
      { id: 1, command: 'analyze', experiment: 'e1', run_id: 'aa11' },
      { id: 2, command: 'query', run_id: 'bb22' },
      { id: 3, command: 'query', run_id: 'bb22' },
    ]);
    store.close();
    const json = await runCli(['jobs', 'list', '--command', 'nosuch', '--json'], { cwd: dir });
    expect(json.json<{ matched: number; empty: string }>()).toMatchObject({ matched: 0, empty: expect.stringMatching(/^\(no jobs match --command nosuch since /) as unknown });
    const cmd = await runCli(['jobs', 'list', '--command', 'nosuch'], { cwd: dir });
    expect(cmd.code).toBe(0);
    expect(cmd.stdout).toMatch(/^\(no jobs match --command nosuch since .* UTC; the window's commands: query, analyze\)$/m);
    const exp = await runCli(['jobs', 'list', '--experiment', 'zz', '--command', 'analyze'], { cwd: dir });
    expect(exp.stdout).toMatch(/\(no jobs match --experiment zz since /);
    const run = await runCli(['jobs', 'list', '--run', 'cc'], { cwd: dir });
    expect(run.stdout).toMatch(/\(no jobs match --run cc since /);
    const both = await runCli(['jobs', 'list', '--command', 'query', '--experiment', 'e1'], { cwd: dir });
    expect(both.stdout).toMatch(/\(no job matches these filters together since .*, though each matches jobs on its own\)/);
  });

  it('a window with no jobs names the latest one; nothing logged says so; a future --since is refused', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    const none = await runCli(['jobs'], { cwd: dir });
    expect(none.stdout).toMatch(/^\(no jobs logged yet: run a command such as `statsig-hack analyze` first\)/);
    const s2 = await (await import('../../src/store/store.js')).Store.open(path.join(dir, '.statsig-hack', 'project.duckdb'));
    await insertJobs(s2, [{ id: 1, started_at: new Date(Date.now() - 30 * 86_400_000) }]);
    s2.close();
    const old = await runCli(['jobs', '--since', '2d'], { cwd: dir });
    expect(old.stdout).toMatch(/^\(no jobs since .* UTC \(--since 2d\); the latest job started .* UTC, a longer --since shows it\)/);
    const future = await runCli(['jobs', '--since', '2999-01-01'], { cwd: dir });
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('error: --since 2999-01-01 is in the future');
    expect(() => parseSince('2026-12-03', new Date('2026-12-02T12:00:00Z'))).toThrow(/in the future/);
    expect(parseSince('2026-12-02', new Date('2026-12-02T12:00:00Z')).toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });
});

describe('finding 13: a torn spool line', () => {
  it('a torn last line alone is skipped, and the records after it survive', async () => {
    const { file, store } = await tmpStore();
    const rec = (sql: string, t: number): string =>
      JSON.stringify({ run_id: 'r1', command: 'query', experiment: null, metric: null, fingerprint: 'f', sql, started_ms: t, duration_ms: 1, cpu_ms: 1, outcome: 'ok' });
    fs.writeFileSync(spoolPath(file), `${rec('SELECT 1', 1)}\n{"id":"trunc\n${rec('SELECT 2', 2)}\n`);
    expect(await ingestSpool(store, file)).toBe(2);
    expect((await store.all<{ sql: string }>('SELECT sql FROM jobs ORDER BY id')).map((r) => r.sql)).toEqual(['SELECT 1', 'SELECT 2']);
    store.close();
  });

  it('blank lines are skipped: a writer may start each append with a newline, so that a torn line ends before the next record', async () => {
    const { file, store } = await tmpStore();
    const rec = (sql: string, t: number): string =>
      JSON.stringify({ run_id: 'r1', command: 'query', experiment: null, metric: null, fingerprint: 'f', sql, started_ms: t, duration_ms: 1, cpu_ms: 1, outcome: 'ok' });
    // A run killed mid-append left `{"id":"trunc`; the next appends start with \n.
    fs.writeFileSync(spoolPath(file), `\n${rec('SELECT 1', 1)}\n{"id":"trunc\n${rec('SELECT 2', 2)}\n\n${rec('SELECT 3', 3)}\n`);
    expect(await ingestSpool(store, file)).toBe(3);
    expect((await store.all<{ sql: string }>('SELECT sql FROM jobs ORDER BY id')).map((r) => r.sql)).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
    store.close();
  });
});

describe('finding 10: provisional ids while the store is held', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const holder = (file: string): Promise<number> => holdStore(file, children);
  const spool = (file: string, sql: string, ago: number): void => {
    const rec = { run_id: 'r9', command: 'serve', experiment: 'e7', metric: null, fingerprint: 'f1', sql, started_ms: Date.now() - ago, duration_ms: 12, cpu_ms: 5, outcome: 'ok', profiled: false };
    fs.appendFileSync(spoolPath(file), `${JSON.stringify(rec)}\n`);
  };

  it('marks them ~ in the tables, provisional: true in --json, and counts bookkeeping apart in the warning', async () => {
    const { dir, file, store } = await tmpStore();
    await insertJobs(store, [{ id: 1 }]);
    store.close();
    spool(file, 'SELECT 1', 3000);
    spool(file, 'BEGIN TRANSACTION', 2000);
    spool(file, 'SELECT 2', 1000);
    await holder(file);
    const list = await runCli(['jobs', 'list', '--json'], { cwd: dir, env: baseEnv() });
    expect(list.code, list.stderr).toBe(0);
    const doc = list.json<{ jobs: { id: number; provisional?: boolean }[]; source: Record<string, unknown> }>();
    expect(doc.jobs.map((j) => [j.id, j.provisional])).toEqual([
      [3, true],
      [1, true],
    ]);
    expect(doc.source).toMatchObject({ mode: 'spool', spool_jobs: 3, spool_bookkeeping: 1, provisional_from: 1 });
    expect(list.stderr).toContain('showing only the 2 jobs (and 1 bookkeeping statement: transactions, settings, schema) not moved into the store yet');
    expect(list.stderr).not.toContain('spool');
    const text = await runCli(['jobs', 'list', '--wide'], { cwd: dir });
    expect(text.stdout).toMatch(/^\s*~3 /m);
    expect(text.stdout).toContain('"~": a provisional id (not moved into the store yet)');
    const groups = await runCli(['jobs', '--wide'], { cwd: dir });
    expect(groups.stdout).toMatch(/~3\s*$/m);
    // The spool alone holds no definitions: its experiments are not called unknown.
    const byExp = await runCli(['jobs', '--by', 'experiment', '--json'], { cwd: dir });
    expect(byExp.json<{ groups: { key: string }[] }>().groups.map((g) => g.key)).toEqual(['e7']);
    const show = await runCli(['jobs', 'show', '3'], { cwd: dir });
    expect(show.stdout).toMatch(/^job:\s+~3 \(provisional: not moved into the store yet/m);
  });
});

describe('finding 16: by day in date order, an ambiguous --run, --since hints, config wording', () => {
  it('--by day runs by date, whatever each day cost', async () => {
    const { store } = await tmpStore();
    const day = (d: number): Date => new Date(Date.now() - d * 86_400_000);
    await insertJobs(store, [
      { id: 1, started_at: day(3), duration_ms: 5 },
      { id: 2, started_at: day(2), duration_ms: 50 },
      { id: 3, started_at: day(1), duration_ms: 20 },
    ]);
    const keys = (await jobsSummary(store, 'day', EPOCH, DEFAULT_COST)).groups.map((g) => g.key);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual([1, 2, 3].map((i) => [3, 2, 1].map((d) => day(d).toISOString().slice(0, 10))[i - 1]));
    store.close();
  });

  it('a --run prefix of several runs is refused, naming them; a unique prefix lists its run', async () => {
    const { dir, store } = await tmpStore();
    await insertJobs(store, [
      { id: 1, run_id: '0a1111111111', command: 'query' },
      { id: 2, run_id: '0b2222222222', command: 'profile' },
      { id: 3, run_id: '0b2222222222', command: 'profile' },
    ]);
    store.close();
    const r = await runCli(['jobs', 'list', '--run', '0'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --run 0 is ambiguous: it matches 2 runs: 0b2222222222 \(profile, .*\), 0a1111111111 \(query, .*\)/);
    expect(r.stderr).toContain('hint: give more of the run id');
    const one = await runCli(['jobs', 'list', '--run', '0b', '--json'], { cwd: dir });
    expect(one.json<{ jobs: { id: number }[] }>().jobs.map((j) => j.id)).toEqual([3, 2]);
  });

  it('--since 7x has a hint line', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    const r = await runCli(['jobs', '--since', '7x'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hint: a number and a unit, m \(minutes\), h \(hours\), d \(days\) or w \(weeks\)/);
  });

  it('a jobs.* value out of range is said in our words, pointing to the README\'s jobs.* keys', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { cost: { usdPerTBScanned: -1 }, slowFactor: 1 } }));
    const r = await runCli(['jobs'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('jobs.cost.usdPerTBScanned: must be a number >= 0, got -1');
    expect(r.stderr).toContain('hint: see "Configuration" in the README for the jobs.* keys and the allowed values');
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { slowFactor: 1 } }));
    expect((await runCli(['jobs'], { cwd: dir })).stderr).toContain('jobs.slowFactor: must be a number > 1, got 1');
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { enabled: 'no' } }));
    expect((await runCli(['jobs'], { cwd: dir })).stderr).toContain('jobs.enabled: must be a boolean, got "no"');
  });
});
