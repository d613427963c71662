/** `jobs` after review 3: findings 3 (carried figures), 35 (metric shares), 18 (a store in use), 34 (jobs list), 1 (demo), 4 (query). */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_COST } from '../../src/observe/jobs/cost.js';
import { ingestSpool, jobById, jobsSummary } from '../../src/observe/jobs/log.js';
import { spoolPath } from '../../src/observe/jobs/scope.js';
import type { Store } from '../../src/store/store.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { holdStore } from '../support/store-holder.js';
import { tmpStore, writeFile } from '../support/tmp.js';
import { runsOfGrowingTable } from '../support/growing-table.js';

const EPOCH = new Date(0);

/** Inserts jobs rows (the columns not given take defaults of an ok, unprofiled, unattributed query). */
async function insertJobs(store: Store, rows: Record<string, unknown>[]): Promise<void> {
  for (const r of rows) {
    const j: Record<string, unknown> = { run_id: 'r1', command: 'analyze', experiment: null, metric: null, fingerprint: 'fp', sql: 'SELECT 1', started_at: new Date(Date.now() - 60_000), duration_ms: 10, cpu_ms: 10, rows_scanned: null, bytes_scanned: null, peak_memory: null, profiled: false, scan_from: null, outcome: 'ok', ...r };
    await store.run(
      `INSERT INTO jobs (id, run_id, command, experiment, metric, fingerprint, sql, started_at, duration_ms, cpu_ms, rows_scanned, bytes_scanned, peak_memory, outcome, profiled, scan_from)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8 AS TIMESTAMP), $9, $10, $11, $12, $13, $14, $15, $16)`,
      [j.id, j.run_id, j.command, j.experiment, j.metric, j.fingerprint, j.sql, (j.started_at as Date).toISOString().replace('T', ' ').replace('Z', ''), j.duration_ms, j.cpu_ms, j.rows_scanned, j.bytes_scanned, j.peak_memory, j.outcome, j.profiled, j.scan_from] as never,
    );
  }
}

describe('finding 3: a run whose work differs from its profiled run by the slow factor carries no figures', () => {
  it('the slow run of a grown table is "not measured" (not the small run\'s rows), and points to the next profiled job', async () => {
    const { dir, file, store } = await tmpStore();
    // 3 runs on the small table; then the slow run (not profiled, it carries the 1000-row profile:
    // grown once), slow again (a change), and the run profiled again.
    const { scope, sql } = await runsOfGrowingTable(store, file, 3, 3);
    expect(scope.flush()).toBeGreaterThan(0);
    await ingestSpool(store, file);
    const ids = (await store.all<{ id: number; profiled: boolean; rows_scanned: number | null; cpu_ms: number }>(`SELECT id, profiled, rows_scanned, cpu_ms FROM jobs WHERE sql = $1 ORDER BY id`, [sql])) as { id: number; profiled: boolean; rows_scanned: number | null; cpu_ms: number }[];
    expect(ids.map((r) => r.profiled)).toEqual([true, false, false, false, false, true]);
    // In the table the slow run still holds the carried 1000 rows: only the read judges them.
    expect(ids[3]?.rows_scanned).toBe(1000);
    const slow = await jobById(store, ids[3]?.id as number, DEFAULT_COST);
    expect(slow).toMatchObject({ unmeasured: true, rows_scanned: null, bytes_scanned: null, peak_memory: null, scan_from: ids[0]?.id, next_profiled: ids[5]?.id });
    expect(await jobById(store, ids[4]?.id as number, DEFAULT_COST)).toMatchObject({ unmeasured: true, rows_scanned: null, next_profiled: ids[5]?.id });
    expect(slow.work_ratio).toBeCloseTo((ids[3]?.cpu_ms as number) / (ids[0]?.cpu_ms as number), 6);
    expect(slow.work_ratio).toBeGreaterThan(3);
    // A run like its profiled one keeps the estimate.
    expect(await jobById(store, ids[1]?.id as number, DEFAULT_COST)).toMatchObject({ unmeasured: false, rows_scanned: 1000 });
    // The summary leaves the slow runs' carried rows out: 1000 + 1000 (estimates) + 3,000,000 (profiled) + 1000 (the first).
    const fp = (await store.all<{ fingerprint: string }>('SELECT fingerprint FROM jobs WHERE id = $1', [ids[0]?.id as number]))[0]?.fingerprint as string;
    const summary = await jobsSummary(store, 'fingerprint', EPOCH, DEFAULT_COST);
    const g = summary.groups.find((x) => x.key === fp);
    expect(g).toMatchObject({ jobs: 6, rows_scanned: 3_003_000, estimated: 2, unmeasured: 2 });
    expect(summary.totals.unmeasured).toBe(2);
    store.close();

    const human = await runCli(['jobs', 'show', String(ids[3]?.id)], { cwd: dir });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/rows scanned: +not measured/);
    expect(human.stdout).toMatch(new RegExp(`not measured: this run took \\d+\\.\\dx the work \\(CPU time\\) of its profiled run, job ${ids[0]?.id}`));
    expect(human.stdout).toContain(`job ${ids[5]?.id} is the next profiled run of this shape: \`statsig-hack jobs show ${ids[5]?.id}\``);
    const table = await runCli(['jobs', '--by', 'fingerprint', '--wide'], { cwd: dir });
    expect(table.stdout).toMatch(/2 jobs were not measured: each did the slow factor/);
    // A factor the run stays within (config jobs.slowFactor) takes the estimate back.
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { slowFactor: 1e9 } }));
    const lenient = await runCli(['jobs', 'show', String(ids[3]?.id), '--json'], { cwd: dir });
    expect(lenient.json()).toMatchObject({ unmeasured: false, rows_scanned: 1000 });
  });
});

describe('finding 35: --by metric marks equal shares as such', () => {
  it('metrics computed in one query are marked "*" with a note saying the split is equal and how to measure one', async () => {
    const { dir, store } = await tmpStore();
    await insertJobs(store, [
      { id: 1, metric: 'a,b', duration_ms: 100, cpu_ms: 100 },
      { id: 2, metric: 'a', duration_ms: 30, cpu_ms: 30 },
    ]);
    store.close();
    const r = await runCli(['jobs', '--by', 'metric', '--json'], { cwd: dir });
    const groups = r.json<{ groups: { key: string; total_ms: number; split: number }[] }>().groups;
    expect(groups).toEqual([expect.objectContaining({ key: 'a', total_ms: 80, split: 1 }), expect.objectContaining({ key: 'b', total_ms: 50, split: 1 })]);
    const human = await runCli(['jobs', '--by', 'metric'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(human.stdout).toMatch(/^a \* /m);
    expect(human.stdout).toMatch(/^b \* /m);
    expect(human.stdout).toMatch(/\* equal shares, not measurements: 1 job computed several metrics/);
    expect(human.stdout.replace(/\n\s*/g, ' ')).toMatch(/analyze --experiment <name> --metric <metric>/);
    expect(Math.max(...human.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});

describe('finding 34: jobs list', () => {
  it('lists the latest jobs newest first, filters by command and run, fits 100 columns, and refuses a bad --limit', async () => {
    const { dir, store } = await tmpStore();
    const rows = Array.from({ length: 25 }, (_, i) => ({
      id: i + 1,
      run_id: i < 20 ? 'aaaaaaaaaaaa' : 'bbbbbbbbbbbb',
      command: i % 2 ? 'query' : 'analyze',
      experiment: i % 2 ? null : 'checkout_flow_redesign_long_name',
      metric: i % 2 ? null : 'revenue,orders:event_count',
      sql: `SELECT ${i} AS n, sum(amount) FROM events WHERE event = 'purchase' AND ts > now() - INTERVAL 7 DAY GROUP BY user_id`,
      started_at: new Date(Date.now() - (30 - i) * 1000),
      rows_scanned: i * 10,
      profiled: true,
    }));
    await insertJobs(store, [...rows, { id: 26, sql: 'COMMIT', started_at: new Date() }]);
    store.close();
    const r = await runCli(['jobs', 'list', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ matched: number; jobs: { id: number; command: string; rows_scanned: number }[] }>();
    expect(doc.matched).toBe(25); // the COMMIT is bookkeeping, left out
    expect(doc.jobs.map((j) => j.id)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    const q = (await runCli(['jobs', 'list', '--command', 'query', '--limit', '3', '--json'], { cwd: dir })).json<{ jobs: { id: number; command: string }[] }>();
    expect(q.jobs.map((j) => [j.id, j.command])).toEqual([[24, 'query'], [22, 'query'], [20, 'query']]);
    const run = (await runCli(['jobs', 'list', '--run', 'BBBB', '--json'], { cwd: dir })).json<{ jobs: { id: number }[] }>();
    expect(run.jobs.map((j) => j.id)).toEqual([25, 24, 23, 22, 21]);
    const all = (await runCli(['jobs', 'list', '--overhead', '--limit', '1', '--json'], { cwd: dir })).json<{ jobs: { id: number }[] }>();
    expect(all.jobs.map((j) => j.id)).toEqual([26]);
    const human = await runCli(['jobs', 'list'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(human.stdout.split('\n')[0]).toMatch(/^id +started \(UTC\) +command +experiment \/ metric +time +outcome +sql$/);
    expect(human.stdout).toMatch(/^25 +\d\d-\d\d \d\d:\d\d:\d\d +analyze +checkout_flow_redesign_… +[\d.]+ ms +ok +SELECT 24 AS n, sum\(amoun…$/m);
    expect(human.stdout).toContain('hidden to fit');
    expect(human.stdout).toContain('20 of 25 jobs shown, the latest first');
    expect(Math.max(...human.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    const bad = await runCli(['jobs', 'list', '--limit', 'many'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/--limit/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const badRun = await runCli(['jobs', 'list', '--run', 'x;drop'], { cwd: dir });
    expect(badRun.code).toBe(2);
  });
});

describe('finding 18: jobs while another process holds the store', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  /** A second process that opens `file` (read-write or read-only) and keeps it open until killed. */
  const holder = (file: string, readOnly: boolean): Promise<number> => holdStore(file, children, readOnly);
  const spoolOne = (file: string, id: string): void => {
    const rec = { run_id: id, command: 'serve', experiment: null, metric: null, fingerprint: 'f1', sql: 'SELECT 1', started_ms: Date.now() - 1000, duration_ms: 12, cpu_ms: 5, rows_scanned: 1, bytes_scanned: 8, bytes_read: null, peak_memory: null, rows_returned: 1, outcome: 'ok', error: null, plan: null, profiled: false };
    fs.appendFileSync(spoolPath(file), `${JSON.stringify(rec)}\n`);
  };

  it('held read-write (a serve): shows the spool\'s jobs with a one-line warning and leaves the spool in place', async () => {
    const { dir, file, store } = await tmpStore();
    await insertJobs(store, [{ id: 1, command: 'analyze', duration_ms: 50 }]);
    store.close();
    spoolOne(file, 'r2');
    spoolOne(file, 'r3');
    const pid = await holder(file, false);
    const r = await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ groups: { key: string; jobs: number }[]; source: { mode: string; spool_jobs: number; pid: number | null } }>();
    expect(doc.source).toEqual({ mode: 'spool', spool_jobs: 2, spool_bookkeeping: 0, provisional_from: 1, pid });
    expect(doc.groups).toEqual([expect.objectContaining({ key: 'serve', jobs: 2 })]);
    expect(r.stderr).toMatch(new RegExp(`warning: the store .* is in use by another process \\(pid ${pid}\\)`));
    expect(r.stderr).toMatch(/showing only the 2 jobs not moved into the store yet/);
    expect(fs.readFileSync(spoolPath(file), 'utf8').trim().split('\n')).toHaveLength(2);
    const list = await runCli(['jobs', 'list', '--json'], { cwd: dir });
    // The store's own jobs cannot be read, so the spool's ids are provisional (the store has job 1: they become 2 and 3).
    expect(list.json<{ jobs: { id: number }[] }>().jobs.map((j) => j.id)).toEqual([2, 1]);
    expect(r.stderr).toContain('their ids (from 1 on, marked ~) are provisional');
    expect((await runCli(['jobs', 'show', '2'], { cwd: dir })).code).toBe(0);
  });

  it('held read-only: shows the store\'s jobs and the spool\'s', async () => {
    const { dir, file, store } = await tmpStore();
    await insertJobs(store, [{ id: 1, command: 'analyze', duration_ms: 50 }]);
    store.close();
    spoolOne(file, 'r2');
    await holder(file, true);
    const r = await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ groups: { key: string; jobs: number }[]; source: { mode: string; spool_jobs: number } }>();
    expect(doc.source).toMatchObject({ mode: 'copy', spool_jobs: 1 });
    expect(doc.groups.map((g) => [g.key, g.jobs])).toEqual([
      ['analyze', 1],
      ['serve', 1],
    ]);
    expect(r.stderr).toMatch(/showing its jobs read-only and the 1 job not moved into the store yet; their ids \(from 2 on, marked ~\)/);
  });
});

describe('finding 1: demo logs its own queries into the store it writes', () => {
  it('`demo` on its default path, then `jobs --db .statsig-hack/demo.duckdb` shows the demo\'s jobs', async () => {
    const { dir } = await tmpStore();
    const d = await runCli(['demo', '--users', '300', '--json'], { cwd: dir });
    expect(d.code, d.stderr).toBe(0);
    const r = await runCli(['jobs', '--db', '.statsig-hack/demo.duckdb', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const demo = r.json<{ groups: { key: string; jobs: number }[] }>().groups.find((g) => g.key === 'demo');
    expect(demo?.jobs).toBeGreaterThan(10);
    // Nothing went to the project store the demo does not touch.
    expect(fs.existsSync(spoolPath(path.join(dir, '.statsig-hack', 'project.duckdb')))).toBe(false);
  }, 120_000);
});

describe('finding 4: query jobs', () => {
  it('record the rows returned, and `jobs show` says why they have no profile and how to get one', async () => {
    const { dir, store } = await tmpStore();
    store.close();
    const q = await runCli(['query', 'SELECT range AS i FROM range(7)'], { cwd: dir });
    expect(q.code, q.stderr).toBe(0);
    const list = (await runCli(['jobs', 'list', '--command', 'query', '--json'], { cwd: dir })).json<{ jobs: { id: number; sql: string; rows_returned: number | null }[] }>();
    const job = list.jobs.find((j) => j.sql === 'SELECT range AS i FROM range(7)');
    expect(job?.rows_returned).toBe(7);
    const show = await runCli(['jobs', 'show', String(job?.id)], { cwd: dir });
    expect(show.stdout).toMatch(/no profile: `query` runs your SQL with file access disabled/);
    expect(show.stdout).toContain('query "EXPLAIN ANALYZE <the SQL above>"');
    // The suggested command works in the sandbox.
    const explain = await runCli(['query', 'EXPLAIN ANALYZE SELECT range AS i FROM range(7)'], { cwd: dir });
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(/Query Profiling Information|analyzed_plan/);
  });
});
