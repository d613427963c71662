import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_COST } from '../../src/observe/jobs/cost.js';
import { fingerprint, MAX_SQL_CHARS, normalizeSql, textHash, type JobRecord } from '../../src/observe/jobs/record.js';
import { refingerprint } from '../../src/observe/jobs/refingerprint.js';
import { parseSince } from '../../src/observe/jobs/log.js';
import { JobScope, shapesPath, spoolPath } from '../../src/observe/jobs/scope.js';
import { afterRun, carryKey, COMPACT_BYTES, decide, DEFAULT_POLICY, MAX_SHAPES, ShapeBook, type ScanSource, type ShapeState } from '../../src/observe/jobs/shapes.js';
import { queryObserver } from '../../src/store/observer.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore, writeFile } from '../support/tmp.js';
import { runsOfGrowingTable } from '../support/growing-table.js';

interface Group {
  key: string;
  jobs: number;
  total_ms: number;
  rows_scanned: number;
  bytes_scanned: number;
  peak_memory: number;
  cpu_ms: number;
  errors: number;
  estimated: number;
  cost_usd: number;
}

interface Row extends Record<string, unknown> {
  id: number;
  run_id: string;
  fingerprint: string;
  profiled: boolean;
  scan_from: number | null;
  rows_scanned: number | null;
  bytes_scanned: number | null;
  peak_memory: number | null;
  rows_returned: number | null;
  plan: string | null;
}

/** The analyze jobs in the store, in the order they ran. */
async function analyzeJobs(file: string): Promise<Row[]> {
  const s = await Store.open(file, { readOnly: true });
  try {
    return await s.all<Row>(`SELECT id, run_id, fingerprint, profiled, scan_from, rows_scanned, bytes_scanned, peak_memory, rows_returned, plan FROM jobs WHERE command = 'analyze' ORDER BY id`);
  } finally {
    s.close();
  }
}

/** A project with a small and a large table: a metric on the large one is deliberately expensive. */
async function project(withBig = false): Promise<{ dir: string; file: string }> {
  const { dir, file, store } = await tmpStore();
  await store.run(`CREATE TABLE small AS SELECT 'u' || range AS unit, CASE WHEN range % 2 = 0 THEN 'control' ELSE 'test' END AS grp, (range % 7)::DOUBLE AS light FROM range(2000)`);
  if (withBig) {
    // The expensive metric: a million rows, and a hash per row on every read (a view).
    await store.run(`CREATE TABLE big_raw AS SELECT 'u' || range AS unit, CASE WHEN range % 2 = 0 THEN 'control' ELSE 'test' END AS grp FROM range(1000000)`);
    await store.run(`CREATE VIEW big AS SELECT unit, grp, (hash(md5(md5(unit))) % 13)::DOUBLE AS heavy FROM big_raw`);
  }
  store.close();
  return { dir, file };
}

const analyzeArgs = (table: string, metric: string): string[] => ['analyze', '--data', table, '--unit', 'unit', '--group', 'grp', '--metric', metric, '--method', 'none', '--json'];

describe('jobs: every store query is logged', () => {
  it('a deliberately expensive metric tops `jobs --by metric`, with its rows scanned and peak memory', async () => {
    const { dir, file } = await project(true);
    for (let i = 0; i < 3; i++) expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    expect((await runCli(analyzeArgs('big', 'heavy'), { cwd: dir })).code).toBe(0);
    // The runs went to the spool (the store was opened read-only); `jobs` moves them into the store.
    expect(fs.existsSync(spoolPath(file))).toBe(true);
    const r = await runCli(['jobs', '--by', 'metric', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(spoolPath(file))).toBe(false);
    const groups = r.json<{ groups: Group[] }>().groups;
    expect(groups[0]?.key).toBe('heavy');
    expect(groups[0]?.rows_scanned).toBeGreaterThanOrEqual(1_000_000);
    expect(groups[0]?.bytes_scanned).toBeGreaterThan(0);
    expect(groups[0]?.peak_memory).toBeGreaterThan(0);
    const light = groups.find((g) => g.key === 'light');
    expect(light?.rows_scanned).toBeLessThan(100_000);
    expect(light?.total_ms).toBeLessThan(groups[0]?.total_ms ?? 0);

    const byCommand = (await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir })).json<{ groups: Group[] }>().groups;
    expect(byCommand.map((g) => g.key)).toEqual(['analyze']); // jobs' own queries are not logged
    // The terminal view: a table, a chart of time per day, and the cost model's assumptions.
    const human = await runCli(['jobs', '--by', 'metric'], { cwd: dir });
    expect(human.stdout).toMatch(/^metric\s+jobs\s+time/m);
    expect(human.stdout).toMatch(/^heavy\s+\d+\s/m);
    expect(human.stdout).toMatch(/time per day\n(\d{4}-\d\d-\d\d .*\n)+/);
    expect(human.stdout).toMatch(/default cost model: local DuckDB on a cloud VM at \$0\.05 per vCPU-hour/);
  });

  it('`jobs show <id>` prints the SQL and the plan DuckDB profiled; failed queries are logged with their error', async () => {
    const { dir } = await project();
    expect((await runCli(['query', 'SELECT grp, sum(light) FROM small GROUP BY grp'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['query', 'SELECT no_such_column FROM small'], { cwd: dir })).code).toBe(1);
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    expect((await runCli(['query', "SELECT 'a\u001b[31mb' AS x"], { cwd: dir })).code).toBe(0);
    const list = await runCli(['jobs', '--by', 'fingerprint', '--json'], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    const byCmd = (await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir })).json<{ groups: Group[] }>().groups;
    expect(byCmd.find((g) => g.key === 'query')?.errors).toBe(1);

    // Find the analyze job that scanned `small` (the moments query) by its SQL.
    const { Store } = await import('../../src/store/store.js');
    const s = await Store.open(path.join(dir, '.statsig-hack/project.duckdb'), { readOnly: true });
    const [job] = await s.all<{ id: number }>(`SELECT id FROM jobs WHERE command = 'analyze' AND metric = 'light' AND sql ILIKE '%FROM "small"%GROUP BY%' ORDER BY duration_ms DESC LIMIT 1`);
    const [failed] = await s.all<{ id: number; error: string; plan: unknown }>(`SELECT id, error, plan FROM jobs WHERE outcome = 'error'`);
    const [escaped] = await s.all<{ id: number }>(`SELECT id FROM jobs WHERE sql LIKE '%31mb%'`);
    s.close();
    expect(job).toBeDefined();
    const show = await runCli(['jobs', 'show', String(job?.id)], { cwd: dir });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/command:\s+analyze/);
    expect(show.stdout).toMatch(/metric:\s+light/);
    expect(show.stdout).toMatch(/SQL:\n[\s\S]*"small"[\s\S]*Plan and profile/);
    // By default the log keeps query-level figures (and the scans' rows), not operator timings.
    expect(show.stdout).toMatch(/Plan and profile \(operator timings not recorded: set jobs.detail to "plan"[^\n]*\nQUERY +\([\d.]+ ?[mµ]?s, 2,000 scanned\)[\s\S]*(SEQ_SCAN|TABLE_SCAN) +\(2,000 scanned\)/);
    expect(failed?.error).toMatch(/no_such_column/);
    expect(failed?.plan).toBeNull();

    // SQL is shown without its control characters (no escape sequence reaches the terminal): a
    // control character inside a string literal is spelled chr(n), so the copied SQL still runs.
    const esc = await runCli(['jobs', 'show', String(escaped?.id)], { cwd: dir });
    expect(esc.stdout).toContain("SELECT 'a' || chr(27) || '[31mb' AS x");
    expect(esc.stdout).not.toContain('\u001b');

    const missing = await runCli(['jobs', 'show', '99999'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no job with id 99999\n\s+hint: job ids run from 1 to \d+/);
    const bad = await runCli(['jobs', 'show', 'abc'], { cwd: dir });
    expect(bad.code).toBe(2);
  });

  it('`jobs slow` flags a query slower than the trailing median of its shape by the factor', async () => {
    const { dir, file } = await project();
    const base = Date.now() - 3_600_000;
    const job = (i: number, ms: number, sql: string): JobRecord => ({
      command: 'analyze', experiment: 'e1', metric: 'm', run_id: `r${i}`, fingerprint: fingerprint(sql), sql,
      started_ms: base + i * 60_000, duration_ms: ms, cpu_ms: ms, rows_scanned: 10, bytes_scanned: 80, bytes_read: 0,
      peak_memory: 1000, rows_returned: 1, outcome: 'ok', error: null, plan: null,
    });
    const lines = [
      ...[10, 11, 9, 10, 12].map((ms, i) => job(i, ms, `SELECT sum(v) FROM t WHERE day = '2026-11-0${i + 1}'`)),
      job(5, 95, `SELECT sum(v) FROM t WHERE day = '2026-11-06'`), // same shape, 9.5x slower
      ...[50, 52].map((ms, i) => job(6 + i, ms, `SELECT avg(v) FROM t`)), // another shape, too little history
    ];
    fs.writeFileSync(spoolPath(file), lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n');
    const r = await runCli(['jobs', 'slow', '--factor', '3', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const slow = r.json<{ jobs: { duration_ms: number; median_ms: number; factor: number }[] }>().jobs;
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ duration_ms: 95, median_ms: 10 });
    // --since after the subcommand applies to it (the slow job ran 55 minutes ago).
    const recent = await runCli(['jobs', 'slow', '--factor', '3', '--since', '10m', '--json'], { cwd: dir });
    expect(recent.json<{ jobs: unknown[] }>().jobs).toHaveLength(0);
    const hour = await runCli(['jobs', 'slow', '--since', '2h', '--json'], { cwd: dir });
    expect(hour.json<{ jobs: unknown[] }>().jobs).toHaveLength(1);
    const none = await runCli(['jobs', 'slow', '--factor', '10'], { cwd: dir });
    expect(none.stdout).toMatch(/no job ran slower than 10×/);
  });

  it('jobs.detail "plan" records each operator\'s time and rows; the default records CPU time from the process', async () => {
    const { dir } = await project();
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { detail: 'plan' } }));
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    expect((await runCli(['jobs', '--json'], { cwd: dir })).code).toBe(0);
    const { Store } = await import('../../src/store/store.js');
    const s = await Store.open(path.join(dir, '.statsig-hack/project.duckdb'), { readOnly: true });
    const summary = await s.all<{ id: number; cpu_ms: number | null; plan: string }>(`SELECT id, cpu_ms, plan FROM jobs WHERE command = 'analyze' AND sql ILIKE '%FROM "small"%GROUP BY%' ORDER BY id`);
    const detailed = summary[1];
    s.close();
    expect(summary[0]?.cpu_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(String(summary[0]?.plan)).children[0].ms).toBeNull();
    const show = await runCli(['jobs', 'show', String(detailed?.id)], { cwd: dir });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/Plan and profile:\nQUERY +\([^)]*\d+ rows[^)]*\)[\s\S]*(SEQ_SCAN|TABLE_SCAN) small +\([\d.]+ ?[mµ]?s, 2,000 rows, 2,000 scanned\)\n/);
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { detail: 'full' } }));
    const invalid = await runCli(['jobs'], { cwd: dir });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/jobs\.detail/);
  });

  it('the cost model comes from config, and its cost is the stated formula', async () => {
    const { dir } = await project(true);
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { cost: { usdPerTBScanned: 5000, usdPerCreditHour: 3, usdPerCpuSecond: 0 } } }));
    expect((await runCli(analyzeArgs('big', 'heavy'), { cwd: dir })).code).toBe(0);
    const r = await runCli(['jobs', '--by', 'metric', '--json'], { cwd: dir });
    const doc = r.json<{ cost_model: { source: string; usdPerTBScanned: number }; groups: Group[] }>();
    expect(doc.cost_model).toMatchObject({ source: 'config', usdPerTBScanned: 5000 });
    const g = doc.groups.find((x) => x.key === 'heavy') as Group;
    expect(g.cost_usd).toBeCloseTo((g.bytes_scanned / 1e12) * 5000 + (g.total_ms / 3_600_000) * 3, 12);
    expect(g.cost_usd).toBeGreaterThan(0);
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { cost: { perTB: 5 } } }));
    const invalid = await runCli(['jobs'], { cwd: dir });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/unknown key in .*jobs\.cost\.perTB/);
  });

  it('logs nothing for a file analysis outside a project, and can be turned off in config', async () => {
    const dir = tmpDir();
    writeFile(dir, 'exp.csv', 'unit,grp,y\n' + Array.from({ length: 40 }, (_, i) => `u${i},${i % 2 ? 'control' : 'test'},${i}`).join('\n'));
    expect((await runCli(['analyze', '--data', 'exp.csv', '--unit', 'unit', '--group', 'grp', '--metric', 'y'], { cwd: dir })).code).toBe(0);
    expect(fs.existsSync(path.join(dir, '.statsig-hack'))).toBe(false);

    const { dir: p, file } = await project();
    writeFile(p, '.statsig-hackrc.json', JSON.stringify({ jobs: { enabled: false } }));
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: p })).code).toBe(0);
    expect(fs.existsSync(spoolPath(file))).toBe(false);
  });

  it('bad --since and --by fail with one line and exit 2', async () => {
    const { dir } = await project();
    const since = await runCli(['jobs', '--since', 'last week'], { cwd: dir });
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since must be a duration like 7d/);
    const by = await runCli(['jobs', '--by', 'color'], { cwd: dir });
    expect(by.code).toBe(2);
  });
});

/** A project store with experiment exp1 listing two metrics, revenue (sum of purchase values) and orders (count of purchases). */
async function experimentStore(): Promise<{ dir: string; file: string }> {
  const dir = tmpDir();
  const file = path.join(dir, '.statsig-hack/project.duckdb');
  const store = await Store.open(file, { create: true });
  await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
    ('metrics', 'revenue', 'sum', 'active', '{"name":"revenue","type":"sum","metricEvents":[{"name":"purchase","type":"value"}]}'),
    ('metrics', 'orders', 'event_count', 'active', '{"name":"orders","type":"event_count","metricEvents":[{"name":"purchase"}]}'),
    ('experiments', 'exp1', 'experiment', 'active', '{"name":"exp1","groups":[{"name":"control","size":50},{"name":"test","size":50}],"primaryMetrics":[{"name":"revenue","type":"sum"}],"secondaryMetrics":[{"name":"orders","type":"event_count"}]}')`);
  await store.run(`INSERT INTO exposures SELECT 'u' || range, 'exp1', CASE WHEN range % 2 = 0 THEN 'control' ELSE 'test' END, TIMESTAMP '2026-10-01 12:00:00' FROM range(600)`);
  await store.run(`INSERT INTO events (unit_id, event, ts, value) SELECT 'u' || (range % 600), 'purchase', TIMESTAMP '2026-10-02 10:00:00', (range % 17)::DOUBLE FROM range(3000)`);
  store.close();
  return { dir, file };
}

describe('jobs: attribution and noise (review 2, findings 9 and 10)', () => {
  it('a store-mode analyze without --metric is attributed to the metrics it computes, its time split equally', async () => {
    const { dir } = await experimentStore();
    const a = await runCli(['analyze', '--experiment', 'exp1', '--no-save', '--json'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    // The jobs carry the metric names analyze reports (a listed event_count metric is `orders:event_count`).
    const names = [...new Set(a.json<{ results: { metric: string }[] }>().results.map((x) => x.metric))];
    expect(names).toEqual(['revenue', 'orders:event_count']);
    const r = await runCli(['jobs', '--by', 'metric', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ groups: Group[]; shared_jobs: number }>();
    const revenue = doc.groups.find((g) => g.key === 'revenue');
    const orders = doc.groups.find((g) => g.key === 'orders:event_count');
    expect(revenue).toBeDefined();
    expect(orders).toBeDefined();
    // Every job after the metrics were known computed both: each metric gets half of each.
    expect(revenue?.jobs).toBe(doc.shared_jobs);
    expect(orders?.jobs).toBe(doc.shared_jobs);
    expect(revenue?.total_ms).toBeCloseTo(orders?.total_ms ?? -1, 6);
    // Independent check against the log: the shared jobs' time, halved (the DROP of the temp table is bookkeeping, counted apart).
    const s = await Store.open(path.join(dir, '.statsig-hack/project.duckdb'), { readOnly: true });
    const [{ ms, n }] = (await s.all<{ ms: number; n: number }>(`SELECT sum(duration_ms) AS ms, count(*) AS n FROM jobs WHERE metric = 'revenue,orders:event_count' AND sql NOT LIKE 'DROP TABLE%'`)) as [{ ms: number; n: number }];
    s.close();
    expect(Number(n)).toBe(doc.shared_jobs);
    expect(Number(n)).toBeGreaterThan(2); // the unit relation, the moments, ...
    expect(revenue?.total_ms).toBeCloseTo(ms / 2, 6);
    // The time still sums to 100% across the groups.
    expect(doc.groups.reduce((t, g) => t + (g as unknown as { share: number }).share, 0)).toBeCloseTo(1, 9);
    // The totals count each job once: the unattributed ones and the shared ones.
    const totals = r.json<{ totals: { jobs: number } }>().totals;
    expect(totals.jobs).toBe((doc.groups.find((g) => g.key === '(none)')?.jobs ?? 0) + doc.shared_jobs);
    const human = await runCli(['jobs', '--by', 'metric', '--wide'], { cwd: dir });
    expect(human.stdout).toMatch(/computed several metrics in one query[\s\S]*split equally/);
    const est = /(\d+) of (\d+) jobs were not profiled/.exec(human.stdout);
    if (est) expect(Number(est[2])).toBe(totals.jobs);
  });

  it('`jobs slow` leaves out transaction control, settings and DDL, and jobs under the minimum duration (config jobs.slowMinMs)', async () => {
    const { dir, file } = await project();
    const base = Date.now() - 3_600_000;
    const job = (i: number, ms: number, sql: string, command = 'seed'): JobRecord => ({
      command, experiment: null, metric: null, run_id: `r${i}`, fingerprint: fingerprint(sql), sql,
      started_ms: base + i * 1000, duration_ms: ms, cpu_ms: ms, rows_scanned: null, bytes_scanned: null, bytes_read: null,
      peak_memory: null, rows_returned: null, outcome: 'ok', error: null, plan: null,
    });
    const lines: JobRecord[] = [];
    let i = 0;
    for (const sql of ['COMMIT', 'BEGIN TRANSACTION', 'CREATE TABLE t (a INT)', 'SET threads = 1', 'SELECT sum(v) FROM t', 'SELECT avg(v) FROM t']) {
      for (let k = 0; k < 5; k++) lines.push(job(i++, 1, sql));
    }
    lines.push(job(i++, 3620, 'COMMIT')); // 3620x its median: a write flushed, not a slow query
    lines.push(job(i++, 900, 'BEGIN TRANSACTION'));
    lines.push(job(i++, 800, 'CREATE TABLE t (a INT)'));
    lines.push(job(i++, 700, 'SET threads = 1')); // a thread pool resized, not a slow query
    lines.push(job(i++, 400, 'SELECT sum(v) FROM t')); // slow: 400x, over 50 ms
    lines.push(job(i++, 30, 'SELECT avg(v) FROM t')); // 30x, but under 50 ms
    fs.writeFileSync(spoolPath(file), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await runCli(['jobs', 'slow', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ jobs: { sql: string }[] }>().jobs.map((j) => j.sql)).toEqual(['SELECT sum(v) FROM t']);
    // The minimum from config: 20 ms lets the 30 ms one in; --min-ms overrides it.
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { slowMinMs: 20 } }));
    const cfg = await runCli(['jobs', 'slow', '--json'], { cwd: dir });
    expect(cfg.json<{ jobs: { sql: string }[]; min_ms: number }>().min_ms).toBe(20);
    expect(cfg.json<{ jobs: { sql: string }[] }>().jobs.map((j) => j.sql).sort()).toEqual(['SELECT avg(v) FROM t', 'SELECT sum(v) FROM t']);
    const flag = await runCli(['jobs', 'slow', '--min-ms', '500', '--json'], { cwd: dir });
    expect(flag.json<{ jobs: unknown[] }>().jobs).toHaveLength(0);
    // By command, the seed's COMMIT/BEGIN/CREATE/SET are counted apart, with a footnote.
    const by = await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir });
    const doc = by.json<{ groups: Group[]; overhead: { jobs: number; total_ms: number } }>();
    expect(doc.overhead).toEqual({ jobs: 24, total_ms: 20 + 3620 + 900 + 800 + 700 });
    expect(doc.groups.find((g) => g.key === 'seed')?.jobs).toBe(12);
    const human = await runCli(['jobs', '--by', 'command'], { cwd: dir });
    expect(human.stdout).toMatch(/Not counted above: 24 transaction, setting and schema statements/);
  });

  it('`init` is not the top cost: its schema DDL is counted apart', async () => {
    const dir = tmpDir();
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const r = await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ groups: Group[]; overhead: { jobs: number } }>();
    expect(doc.overhead.jobs).toBeGreaterThan(10);
    expect(doc.groups.find((g) => g.key === 'init')?.jobs ?? 0).toBeLessThan(doc.overhead.jobs);
  });

  it('a failed run on a typo experiment is listed as "(unknown: name)", not as an experiment', async () => {
    const { dir } = await experimentStore();
    expect((await runCli(['analyze', '--experiment', 'exp1', '--no-save', '--json'], { cwd: dir })).code).toBe(0);
    const typo = await runCli(['analyze', '--experiment', 'exp_typo', '--no-save'], { cwd: dir });
    expect(typo.code).toBe(2);
    const r = await runCli(['jobs', '--by', 'experiment', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const keys = r.json<{ groups: Group[] }>().groups.map((g) => g.key);
    expect(keys).toContain('exp1');
    expect(keys).toContain('(unknown: exp_typo)');
    expect(keys).not.toContain('exp_typo');
    const human = await runCli(['jobs', '--by', 'experiment', '--wide'], { cwd: dir });
    expect(human.stdout).toMatch(/\(unknown: name\): an experiment that is neither defined nor exposed/);
  });
});

describe('jobs: fingerprints of an earlier build', () => {
  it('are recomputed from the stored SQL once, so a shape keeps one fingerprint across the upgrade', async () => {
    const { store } = await tmpStore();
    const long = `SELECT ${'x, '.repeat(MAX_SQL_CHARS)}1`.slice(0, MAX_SQL_CHARS - 1) + '…';
    await store.run(`INSERT INTO jobs (id, run_id, command, fingerprint, sql, started_at, duration_ms, outcome) VALUES
      (1, 'r1', 'analyze', 'sha-old-1', 'SELECT 1 AS x', now()::TIMESTAMP, 12, 'ok'), (2, 'r2', 'analyze', 'sha-old-2', 'SELECT 2 AS x', now()::TIMESTAMP, 8, 'ok'),
      (3, 'r2', 'analyze', 'sha-old-3', $1, now()::TIMESTAMP, 8, 'ok'), (4, 'r3', 'query', 'sha-old-4', 'select sum(v) from t', now()::TIMESTAMP, 3, 'ok')`, [long]);
    expect(await refingerprint(store)).toBe(3);
    const rows = await store.all<{ id: number; fingerprint: string }>('SELECT id, fingerprint FROM jobs ORDER BY id');
    expect(rows.map((r) => r.fingerprint)).toEqual([fingerprint('SELECT 9 AS x'), fingerprint('SELECT 9 AS x'), 'sha-old-3', fingerprint('SELECT sum(v) FROM t')]);
    // The latest job has this build's fingerprint: nothing to do, however often `jobs` runs.
    expect(await refingerprint(store)).toBe(0);
    store.close();
  });
});

describe('jobs: the columns profiled and scan_from come from a store migration (v8)', () => {
  for (const addedAtRuntime of [false, true]) {
    it(`a v7 store${addedAtRuntime ? ' whose jobs table got the columns at runtime (earlier releases)' : ''} migrates, keeps its jobs, and jobs still works`, async () => {
      const dir = tmpDir();
      const file = path.join(dir, '.statsig-hack/project.duckdb');
      const v7 = await Store.open(file, { create: true, targetVersion: 7 });
      await v7.run(`INSERT INTO jobs (id, run_id, command, fingerprint, sql, started_at, duration_ms, outcome, plan) VALUES
        (1, 'r1', 'analyze', 'f1', 'SELECT 1', now()::TIMESTAMP, 12, 'ok', '{"op":"QUERY"}'), (2, 'r1', 'analyze', 'f2', 'SELECT 2', now()::TIMESTAMP, 8, 'ok', NULL)`);
      if (addedAtRuntime) {
        await v7.run('ALTER TABLE jobs ADD COLUMN profiled BOOLEAN');
        await v7.run('ALTER TABLE jobs ADD COLUMN scan_from BIGINT');
        await v7.run('UPDATE jobs SET profiled = plan IS NOT NULL');
      }
      v7.close();
      const r = await runCli(['jobs', '--by', 'command', '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<{ groups: Group[] }>().groups).toMatchObject([{ key: 'analyze', jobs: 2, total_ms: 20 }]);
      const s = await Store.open(file, { readOnly: true });
      expect(await s.version()).toBe(8);
      expect(await s.all('SELECT id, profiled, scan_from FROM jobs ORDER BY id')).toEqual([
        { id: 1, profiled: true, scan_from: null },
        { id: 2, profiled: false, scan_from: null },
      ]);
      s.close();
    });
  }
});

describe('jobs.profile: which queries DuckDB profiles', () => {
  it('by default a query shape is profiled on its first run; later runs carry its scans, marked estimated', async () => {
    const { dir, file } = await project();
    // No random sample, and no run's work read as grown (on a busy machine a tiny query's CPU time
    // can triple): the test checks the first-run rule alone.
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { sampleEvery: 0, slowFactor: 1000 } }));
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    expect(fs.existsSync(shapesPath(file))).toBe(true);
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    const by = await runCli(['jobs', '--by', 'metric', '--json'], { cwd: dir });
    expect(by.code, by.stderr).toBe(0);
    const jobs = await analyzeJobs(file);
    const [first, second] = [...new Set(jobs.map((j) => j.run_id))].map((r) => jobs.filter((j) => j.run_id === r)) as [Row[], Row[]];
    expect(second.length).toBe(first.length);
    // A shape's first job is profiled; every later one, in this run or the next, is timed only
    // and carries the figures of that first job.
    const profiledOf = new Map<string, Row>();
    for (const j of jobs) {
      const source = profiledOf.get(j.fingerprint);
      if (!source) {
        expect(j).toMatchObject({ profiled: true, scan_from: null });
        expect(j.plan).not.toBeNull();
        profiledOf.set(j.fingerprint, j);
      } else {
        expect(j).toMatchObject({ profiled: false, scan_from: source.id, plan: null, rows_scanned: source.rows_scanned, bytes_scanned: source.bytes_scanned, peak_memory: source.peak_memory });
      }
      expect(j.rows_returned).not.toBeNull(); // from the result, profiled or not
    }
    expect(second.every((j) => !j.profiled)).toBe(true);
    const estimated = jobs.filter((j) => !j.profiled).length;
    // The moments query scans the whole table: 2000 rows, profiled once and carried once.
    const moments = second.find((j) => j.rows_scanned === 2000);
    expect(moments).toBeDefined();
    expect(by.json<{ groups: Group[] }>().groups.find((g) => g.key === 'light')).toMatchObject({ jobs: jobs.length, estimated });

    const show = await runCli(['jobs', 'show', String(moments?.id), '--json'], { cwd: dir });
    expect(show.json<{ profiled: boolean; scan_from: number }>()).toMatchObject({ profiled: false, scan_from: moments?.scan_from });
    const human = await runCli(['jobs', 'show', String(moments?.id)], { cwd: dir });
    expect(human.stdout).toMatch(new RegExp(`profiled: +no: rows and bytes scanned and peak memory are estimates from job ${moments?.scan_from},`));
    expect(human.stdout).toContain(`statsig-hack jobs show ${moments?.scan_from}\` prints the plan`);
    const table = await runCli(['jobs', '--by', 'metric'], { cwd: dir });
    expect(table.stdout).toMatch(new RegExp(`${estimated} of ${jobs.length} jobs were not profiled: their rows and bytes scanned and peak memory are estimates`));
  });

  it('"every" profiles every query; "off" none (time and rows returned only); a bad value names the setting', async () => {
    const { dir, file } = await project();
    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { profile: 'every' } }));
    for (let i = 0; i < 2; i++) expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    expect((await runCli(['jobs', '--json'], { cwd: dir })).code).toBe(0);
    const every = await analyzeJobs(file);
    expect(new Set(every.map((j) => j.run_id)).size).toBe(2);
    expect(every.every((j) => j.profiled && j.scan_from === null && j.plan !== null)).toBe(true);

    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { profile: 'off' } }));
    expect((await runCli(analyzeArgs('small', 'light'), { cwd: dir })).code).toBe(0);
    expect((await runCli(['jobs', '--json'], { cwd: dir })).code).toBe(0);
    const off = (await analyzeJobs(file)).slice(every.length);
    expect(off.length).toBe(every.length / 2);
    expect(off.every((j) => !j.profiled && j.scan_from === null && j.rows_scanned === null && j.plan === null && j.rows_returned !== null)).toBe(true);

    writeFile(dir, '.statsig-hackrc.json', JSON.stringify({ jobs: { profile: 'always' } }));
    const bad = await runCli(['jobs'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/jobs\.profile/);
  });

  it('a query shape whose work grew by the slow factor in two runs in a row is profiled again on the next', async () => {
    const { file, store } = await tmpStore();
    // 5 runs on the small table; then 3000x the rows: the slow run, timed only (it could not
    // know: grown once), again (a change), the run profiled again, and one carrying the new profile.
    const { scope, sql } = await runsOfGrowingTable(store, file, 5, 4);
    const recs = scope.records.filter((r) => r.sql === sql);
    expect(recs.map((r) => r.profiled)).toEqual([true, false, false, false, false, false, false, true, false]);
    // The two slow runs carry the small profile in the spool (`jobs` reads them as not measured: jobs-review).
    expect(recs.map((r) => r.rows_scanned)).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000, 3_000_000, 3_000_000]);
    expect(recs[8]).toMatchObject({ scan_run_id: scope.runId, scan_started_ms: recs[7]?.started_ms });
    store.close();
  });
  it('the random sample is drawn once per run: a sampled run profiles its shapes together (one profiler switch)', async () => {
    const { file, store } = await tmpStore();
    const queries = ['SELECT 1 AS a', 'SELECT 2 AS b, 3 AS c'];
    const run = async (): Promise<boolean[]> => {
      const scope = new JobScope();
      scope.describe('analyze', {}, file, { sampleEvery: 2 });
      scope.policy = { ...scope.policy, minChangeMs: 1000 };
      await queryObserver.run(scope, async () => {
        for (const q of queries) await store.all(q);
      });
      const flags = scope.records.map((r) => r.profiled === true);
      scope.flush();
      return flags;
    };
    expect(await run()).toEqual([true, true]); // first runs
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const [a, b] = await run();
      expect(a).toBe(b);
      seen.add(String(a));
    }
    expect([...seen].sort()).toEqual(['false', 'true']); // a half chance each run: both happen in 40 (all alike: 2 in 10^12)
    store.close();
  });

  it('the shapes journal grows by the shapes a run changed, and is compacted once past its size', async () => {
    const { file, store } = await tmpStore();
    const pad = new ShapeBook();
    for (let i = 0; i < 4000; i++) pad.set(`old${i}`, afterRun(undefined, { costMs: 1, now: i, profiled: { run_id: 'r', started_ms: i, figures: { rows_scanned: 1, bytes_scanned: 1, peak_memory: 1 }, detail: 'summary' } }, DEFAULT_POLICY));
    const big = pad.lines([...Array(4000).keys()].map((i) => `old${i}`));
    expect(big.length).toBeGreaterThan(COMPACT_BYTES);
    const run = async (sql = 'SELECT 42 AS x'): Promise<void> => {
      const scope = new JobScope();
      scope.describe('analyze', {}, file, { sampleEvery: 0 });
      scope.policy = { ...scope.policy, minChangeMs: 1000 }; // a CPU blip of a tiny query is no change here
      await queryObserver.run(scope, () => store.all(sql));
      scope.flush();
    };
    await run();
    const small = fs.readFileSync(shapesPath(file), 'utf8');
    expect(small.trim().split('\n')).toHaveLength(1);
    await run();
    expect(fs.readFileSync(shapesPath(file), 'utf8')).toBe(small); // a run like the last writes nothing
    await run('SELECT 42 AS y');
    expect(fs.readFileSync(shapesPath(file), 'utf8').trim().split('\n')).toHaveLength(2); // a new shape: appended
    fs.writeFileSync(shapesPath(file), big);
    const before = Date.now();
    await run();
    const after = fs.readFileSync(shapesPath(file), 'utf8');
    expect(after.trim().split('\n')).toHaveLength(MAX_SHAPES); // the 500 most recently seen, this run's shape first
    expect(ShapeBook.parse(after).get(carryKey('SELECT 42 AS x').key)?.profiledAt).toBeGreaterThanOrEqual(before);
    // A shape written deep in a large journal (600 lines after it) is still found.
    fs.writeFileSync(shapesPath(file), after.split('\n').filter((l) => l.includes(carryKey('SELECT 42 AS x').key)).join('\n') + '\n' + pad.lines([...Array(600).keys()].map((i) => `old${i}`)));
    expect(fs.statSync(shapesPath(file)).size).toBeGreaterThan(20_000);
    const scope = new JobScope();
    scope.describe('analyze', {}, file, { sampleEvery: 0 }); // no random sample: one run in 20 would be profiled anyway
    await queryObserver.run(scope, () => store.all('SELECT 42 AS x'));
    expect(scope.records[0]?.profiled).toBe(false); // its shape was known: carried, not profiled again
    scope.flush();
    // A query text the journal has seen takes its shape from the journal's line, not normalized again.
    const seen = afterRun(undefined, { costMs: 1, now: Date.now(), profiled: { run_id: 'r0', started_ms: 7, figures: { rows_scanned: 5, bytes_scanned: 40, peak_memory: 9 }, detail: 'summary' }, text: textHash('SELECT 43 AS x') }, DEFAULT_POLICY);
    fs.writeFileSync(shapesPath(file), new ShapeBook([['0123456789ab@files', seen]]).lines(['0123456789ab@files']));
    const again = new JobScope();
    again.describe('analyze', {}, file, { sampleEvery: 0 });
    await queryObserver.run(again, () => store.all('SELECT 43 AS x'));
    expect(again.records[0]).toMatchObject({ profiled: false, fingerprint: '0123456789ab', rows_scanned: 5, scan_run_id: 'r0', scan_started_ms: 7 });
    store.close();
  });
});

describe('jobs: no record is lost', () => {
  const child = path.join(import.meta.dirname, 'jobs-exit-child.ts');
  const spooled = (file: string): JobRecord[] =>
    fs.existsSync(spoolPath(file)) ? fs.readFileSync(spoolPath(file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JobRecord) : [];
  /** The constant of each logged `SELECT <i> AS x`, sorted: every query once is 0..n-1. */
  const constants = (recs: JobRecord[]): number[] => recs.map((r) => Number(/^SELECT (\d+) AS x$/.exec(r.sql)?.[1])).sort((a, b) => a - b);
  const upTo = (n: number): number[] => [...Array(n).keys()];
  /** A closed project store (a child process opens it read-only). */
  const closedStore = async (): Promise<string> => {
    const { file, store } = await tmpStore();
    store.close();
    return file;
  };

  it('every query of a long run reaches the spool once, across the writes every 500 queries', async () => {
    const { file, store } = await tmpStore();
    const scope = new JobScope();
    scope.describe('serve', {}, file);
    await queryObserver.run(scope, async () => {
      for (let i = 0; i < 1234; i++) await store.all(`SELECT ${i} AS x`);
    });
    expect(spooled(file)).toHaveLength(1000); // written at 500 and 1000; the rest wait
    expect(scope.records).toHaveLength(234);
    expect(scope.flush()).toBe(234);
    const recs = spooled(file);
    expect(constants(recs)).toEqual(upTo(1234));
    expect(new Set(recs.map((r) => r.fingerprint)).size).toBe(1); // they differ in a constant only
    expect(recs.every((r) => r.command === 'serve' && r.outcome === 'ok' && r.rows_returned === 1)).toBe(true);
    expect(scope.flush()).toBe(0); // nothing is written twice
    expect(spooled(file)).toHaveLength(1234);
    store.close();
  });

  it('records wait at most flushAfterMs in memory: the timer writes them without a flush', async () => {
    const { file, store } = await tmpStore();
    const scope = new JobScope();
    scope.describe('serve', {}, file);
    scope.flushAfterMs = 50;
    scope.armAfterMs = 0;
    await queryObserver.run(scope, async () => {
      for (let i = 0; i < 3; i++) await store.all(`SELECT ${i} AS x`);
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(constants(spooled(file))).toEqual(upTo(3));
    expect(scope.records).toHaveLength(0);
    store.close();
  });

  it('a run arms the timer only with a query armAfterMs after its first: a short CLI run writes when it ends', async () => {
    const { file, store } = await tmpStore();
    const scope = new JobScope();
    scope.describe('serve', {}, file);
    scope.flushAfterMs = 50;
    scope.armAfterMs = 60_000; // the default's second, made long enough that no slow machine reaches it
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await queryObserver.run(scope, async () => {
      for (let i = 0; i < 3; i++) await store.all(`SELECT ${i} AS x`);
      await sleep(300);
      // Young (within armAfterMs of the first query): no timer, the records wait for the run's end, well past flushAfterMs.
      expect(fs.existsSync(spoolPath(file))).toBe(false);
      expect(scope.records).toHaveLength(3);
      scope.armAfterMs = 200; // the run is now older than this: its next query arms the timer
      await store.all('SELECT 3 AS x');
    });
    await sleep(400);
    expect(constants(spooled(file))).toEqual(upTo(4));
    expect(scope.records).toHaveLength(0);
    store.close();
  });

  it.each([
    ['process.exit()', 'exit', 3],
    ['an uncaught exception', 'throw', 1],
  ] as const)('records are written when the process ends by %s, which skips the CLI\'s own flush', async (_label, how, code) => {
    const file = await closedStore();
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, file, '40', how], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(code);
    const recs = spooled(file);
    expect(constants(recs)).toEqual(upTo(40));
    expect(recs.every((rec) => rec.experiment === 'exit_test')).toBe(true);
  });

  it('a process killed with SIGKILL keeps what the timer wrote (all but the last flushAfterMs)', async () => {
    const file = await closedStore();
    const proc = spawn(process.execPath, ['--import', 'tsx', child, file, '40', 'wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => (d.toString().includes('waiting') ? resolve() : undefined));
        proc.once('exit', (c) => reject(new Error(`child exited early (${String(c)})`)));
      });
      for (let t = 0; t < 100 && spooled(file).length < 40; t++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      proc.kill('SIGKILL');
    }
    expect(constants(spooled(file))).toEqual(upTo(40));
  });
});

describe('jobs.profile (pure)', () => {
  const src = (n: number): ScanSource => ({ run_id: 'r', started_ms: n, figures: { rows_scanned: n, bytes_scanned: 8 * n, peak_memory: 100 }, detail: 'summary' });
  const P = DEFAULT_POLICY;

  it('first run, one in 20 at random, a stale profile and a change of work are profiled; the rest carry and write nothing', () => {
    expect(decide(undefined, 0, P)).toBe('first');
    let s: ShapeState = afterRun(undefined, { costMs: 10, now: 0, profiled: src(1) }, P);
    // The sample is a draw: below 1/sampleEvery it profiles, otherwise the run carries.
    expect(decide(s, 1, P, 0.049)).toBe('sample');
    expect(decide(s, 1, P, 0.05)).toBeNull();
    let sampled = 0;
    for (let i = 1; i <= 4000; i++) {
      const why = decide(s, i, P);
      const next = afterRun(s, { costMs: 10, now: i, profiled: why ? src(i) : null }, P);
      if (why) sampled += 1;
      else expect(next).toBe(s); // a run like the last leaves the state as it was (nothing to write)
      s = next;
    }
    // 4000 draws at 1/20: 200 expected, sd 13.8; this fails about once in 10^6.
    expect(sampled).toBeGreaterThan(200 - 5 * 13.8);
    expect(sampled).toBeLessThan(200 + 5 * 13.8);
    expect(decide(s, s.profiledAt + P.maxAgeMs + 1, P, 0.99)).toBe('stale');
    // Three times the profiled run's work (and by minChangeMs) once: grown, no change yet, nothing profiled.
    const once = afterRun(s, { costMs: 31, now: 5000, profiled: null }, P);
    expect(once).toMatchObject({ grown: true, changed: false });
    expect(decide(once, 5001, P, 0.99)).toBeNull();
    // A run back to normal undoes it (one spike, such as a fresh process's cold start, is no change).
    expect(afterRun(once, { costMs: 10, now: 5001, profiled: null }, P)).toMatchObject({ grown: false, changed: false });
    // Twice in a row: a change, and the next run is profiled.
    const slow = afterRun(once, { costMs: 31, now: 5001, profiled: null }, P);
    expect(slow).toMatchObject({ grown: false, changed: true });
    expect(decide(slow, 5002, P, 0.99)).toBe('changed');
    expect(afterRun(s, { costMs: 29, now: 5000, profiled: null }, P)).toBe(s);
    // A change stays marked until the next profile, which becomes the new base.
    expect(afterRun(slow, { costMs: 10, now: 5001, profiled: null }, P).changed).toBe(true);
    const reprofiled = afterRun(slow, { costMs: 30, now: 5002, profiled: src(42) }, P);
    expect(reprofiled).toMatchObject({ changed: false, baseMs: 30, profiledAt: 5002 });
    expect(decide(afterRun(reprofiled, { costMs: 31, now: 5003, profiled: null }, P), 5004, P, 0.99)).toBeNull();
    // Less work is no change (the profiled run is often the cold first one): the estimate is an upper bound until the next sample.
    expect(afterRun(s, { costMs: 3.2, now: 5000, profiled: null }, P).changed).toBe(false);
    // A jitter of less than minChangeMs (5 ms) is no change, whatever the factor, however often.
    const tiny = afterRun(undefined, { costMs: 0.1, now: 0, profiled: src(1) }, P);
    expect(P.minChangeMs).toBe(5);
    expect(afterRun(tiny, { costMs: 4.9, now: 1, profiled: null }, P)).toBe(tiny);
    expect(afterRun(tiny, { costMs: 5.2, now: 1, profiled: null }, P).grown).toBe(true);
    // The factor is the config's (jobs.slowFactor).
    expect(afterRun(s, { costMs: 21, now: 5000, profiled: null }, { ...P, factor: 2 }).grown).toBe(true);
    expect(afterRun(s, { costMs: 21, now: 5000, profiled: null }, P)).toBe(s);
  });

  it('"every" and "off" ignore the state; a profile of less detail than asked is not carried', () => {
    const s = afterRun(undefined, { costMs: 10, now: 0, profiled: src(1) }, P);
    expect(decide(s, 1, P, 0.5)).toBeNull();
    expect(decide(s, 1, { ...P, mode: 'every' })).toBe('every');
    expect(decide(undefined, 1, { ...P, mode: 'off' })).toBeNull();
    expect(decide(s, 1, { ...P, detail: 'plan' })).toBe('first');
  });

  it('a shape on another file is another key; the book keeps the latest shapes and drops what it cannot read', () => {
    const a = carryKey(`SELECT count(*) FROM read_csv('data/a.csv') WHERE day = '2026-11-01'`);
    const b = carryKey(`SELECT count(*) FROM read_csv('data/b.csv') WHERE day = '2026-11-02'`);
    const c = carryKey(`SELECT count(*) FROM read_csv('data/a.csv') WHERE day = '2026-11-03'`);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.key).not.toBe(b.key);
    expect(a.key).toBe(c.key);
    expect(carryKey(`SELECT 1 FROM t WHERE x = 'y'`).key).toBe(fingerprint(`SELECT 1 FROM t WHERE x = 'z'`));

    const book = new ShapeBook();
    for (let i = 0; i < MAX_SHAPES + 10; i++) book.set(`k${i}`, afterRun(undefined, { costMs: 1 / 3, now: i, profiled: src(i) }, P));
    const back = ShapeBook.parse(book.compacted());
    expect(back.size).toBe(MAX_SHAPES);
    expect(back.get('k9')).toBeUndefined();
    expect(back.get(`k${MAX_SHAPES + 9}`)?.source?.figures.rows_scanned).toBe(MAX_SHAPES + 9);
    expect(back.get('k10')).toEqual({ ...afterRun(undefined, { costMs: 0.33, now: 10, profiled: src(10) }, P) });
    // A state without a source and figures unknown (null) read back as they were.
    const bare = afterRun(undefined, { costMs: 5, now: 7, profiled: null }, P);
    const nulls: ShapeState = { ...afterRun(undefined, { costMs: 5, now: 8, profiled: { ...src(8), figures: { rows_scanned: null, bytes_scanned: 0, peak_memory: null } } }, P), changed: true };
    const round = ShapeBook.parse(new ShapeBook([['bare', bare], ['nulls', nulls]]).lines(['bare', 'nulls']));
    expect(round.get('bare')).toEqual(bare);
    expect(round.get('nulls')).toEqual(nulls);
    // The journal's last line of a key wins; torn and foreign lines (the JSON of earlier builds) are dropped.
    const later = afterRun(afterRun(back.get('k10'), { costMs: 6, now: 98, profiled: null }, P), { costMs: 6, now: 99, profiled: null }, P);
    expect(later.changed).toBe(true);
    const journal = `${book.lines(['k10', 'k11'])}{"k":"bad","s":{"since":"x"}}\nnull\nk12\t1\tx\t0\t1\t\t\t\t\t\t\nk1`;
    const mixed = ShapeBook.parse(journal + `\n${new ShapeBook([['k10', later]]).lines(['k10'])}`);
    expect(mixed.size).toBe(2);
    expect(mixed.get('k10')?.changed).toBe(true);
    expect(mixed.get('k12')).toBeUndefined();
    expect(ShapeBook.parse('not json').size).toBe(0);
  });

  it('a book given the journal\'s latest part reads the part before it once, when a lookup misses the latest', () => {
    const st = (at: number): ShapeState => afterRun(undefined, { costMs: 1, now: at, profiled: src(at) }, P);
    const head = `${new ShapeBook([['old', st(1)], ['both', st(2)]]).lines(['old', 'both'])}`;
    const tail = `${new ShapeBook([['both', st(3)], ['new', st(4)]]).lines(['both', 'new'])}`;
    let reads = 0;
    const book = ShapeBook.parse(tail, () => {
      reads += 1;
      return head;
    });
    expect(book.get('both')?.profiledAt).toBe(3); // the tail's line is the later one
    expect(book.get('new')?.profiledAt).toBe(4);
    expect(reads).toBe(0);
    expect(book.get('old')?.profiledAt).toBe(1);
    expect(book.get('missing')).toBeUndefined();
    expect(reads).toBe(1);
    expect(book.size).toBe(3);
    // A shape set by this run is not overwritten by an older line read later.
    const fresh = ShapeBook.parse(tail, () => head);
    fresh.set('old', st(9));
    expect(fresh.get('missing')).toBeUndefined();
    expect(fresh.get('old')?.profiledAt).toBe(9);
    expect(ShapeBook.parse(fresh.compacted()).size).toBe(3);
  });
});

describe('jobs (pure)', () => {
  it('queries that differ only in constants share a fingerprint; other shapes do not', () => {
    const a = `SELECT sum(v) FROM t WHERE day = '2026-11-01' AND n > 5 AND k IN ('a', 'b')`;
    const b = `select  sum(v)\nFROM t -- comment\nWHERE day = '2026-12-31' AND n > 17.5 AND k IN ('x','y','z')`;
    expect(normalizeSql(a)).toBe(`select sum(v) from t where day = ? and n > ? and k in (?)`);
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(fingerprint(a)).not.toBe(fingerprint(`SELECT avg(v) FROM t WHERE day = '2026-11-01'`));
    // Identifiers with digits are not constants.
    expect(normalizeSql('SELECT m0_v_post FROM t1')).toBe('select m0_v_post from t1');
  });

  it('cost is linear in bytes, warehouse time and CPU time; the default prices CPU only', () => {
    const m = { usdPerTBScanned: 6.25, usdPerCreditHour: 3, usdPerCpuSecond: 0.001 };
    expect(costOf({ bytes_scanned: 2e12, duration_ms: 1_800_000, cpu_ms: 4000 }, m)).toBeCloseTo(12.5 + 1.5 + 0.004, 12);
    expect(costOf({ bytes_scanned: 1e15, duration_ms: 3_600_000, cpu_ms: 3_600_000 }, DEFAULT_COST)).toBeCloseTo(0.05, 12);
  });

  it('--since accepts durations and dates', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-25T12:00:00.000Z');
    expect(parseSince('36h', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseSince('2026-11-01', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(() => parseSince('soon', now)).toThrow(/--since/);
  });
});
