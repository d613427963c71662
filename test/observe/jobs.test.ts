import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_COST } from '../../src/observe/jobs/cost.js';
import { fingerprint, normalizeSql, type JobRecord } from '../../src/observe/jobs/record.js';
import { parseSince } from '../../src/observe/jobs/log.js';
import { spoolPath } from '../../src/observe/jobs/scope.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore, writeFile } from '../support/tmp.js';

interface Group {
  key: string;
  jobs: number;
  total_ms: number;
  rows_scanned: number;
  bytes_scanned: number;
  peak_memory: number;
  cpu_ms: number;
  errors: number;
  cost_usd: number;
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
    expect(show.stdout).toMatch(/Plan and profile \(operator timings not recorded: set jobs.detail to "plan"[^\n]*\nQUERY +\([\d.]+ ?[mµ]?s, 2000 scanned\)[\s\S]*(SEQ_SCAN|TABLE_SCAN) +\(2000 scanned\)/);
    expect(failed?.error).toMatch(/no_such_column/);
    expect(failed?.plan).toBeNull();

    // SQL is shown without its control characters (no escape sequence reaches the terminal).
    const esc = await runCli(['jobs', 'show', String(escaped?.id)], { cwd: dir });
    expect(esc.stdout).toContain("SELECT 'a[31mb' AS x");
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
    expect(show.stdout).toMatch(/Plan and profile:\nQUERY +\([^)]*\d+ rows[^)]*\)[\s\S]*(SEQ_SCAN|TABLE_SCAN) +\([\d.]+ ?[mµ]?s, 2000 rows, 2000 scanned\) +Table: /);
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
