/**
 * How `jobs` reads: `jobs show` wraps at words and draws its plan as a tree with table names,
 * the day chart keeps to the days with jobs and counts what the table counts, the table has a
 * total row, the cost model has no float noise, fingerprints come with their SQL, and small
 * usage errors say what to type.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeCostModel, costModelOf } from '../../src/observe/jobs/cost.js';
import type { DayRow, GroupRow, JobDetail } from '../../src/observe/jobs/log.js';
import { fingerprint, type JobRecord, type PlanNode } from '../../src/observe/jobs/record.js';
import { spoolPath } from '../../src/observe/jobs/scope.js';
import { groupTotals, renderDayChart, renderGroups, renderJob, renderPlan, scanTable, sqlSnippet, wrapSql } from '../../src/ui/jobs.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore } from '../support/tmp.js';

const chars = (s: string): number => [...s].length;
const widest = (text: string): number => Math.max(...text.split('\n').map(chars));

const node = (op: string, over: Partial<PlanNode> = {}, children: PlanNode[] = []): PlanNode => ({ op, ms: null, rows: null, scanned: 0, info: '', children, ...over });

// A join of two scans under a projection: the shape of analyze's unit relation.
const PLAN = node('QUERY', { ms: 71, rows: 1, scanned: 994_822 }, [
  node('PROJECTION', { ms: 0.5, rows: 40_715, info: 'Projections: unit_id, group_name; Estimated Cardinality: 2000' }, [
    node('HASH_JOIN', { ms: 2.1, rows: 40_715, info: 'Join Type: INNER; Conditions: unit_id = unit_id' }, [
      node('SEQ_SCAN', { ms: 20, rows: 875_136, scanned: 875_136, info: `Table: s.main.events; Type: Sequential Scan; Projections: ${Array.from({ length: 40 }, (_, i) => `column_${i}`).join(', ')}` }),
      node('SEQ_SCAN', { ms: 0.2, rows: 20_000, scanned: 20_000, info: 'Table: s.raw.exposures; Type: Sequential Scan' }),
    ]),
  ]),
]);

describe('jobs show: the plan', () => {
  it('names scanned tables, draws siblings with ├ and the last with └, and writes counts with separators', () => {
    const lines = renderPlan(PLAN, 100);
    expect(lines[0]).toBe('QUERY  (71 ms, 1 row, 994,822 scanned)');
    expect(lines[1]).toBe('└ PROJECTION  (0.50 ms, 40,715 rows)');
    const join = lines.findIndex((l) => l.includes('HASH_JOIN'));
    expect(lines[join]).toBe('  └ HASH_JOIN  (2.1 ms, 40,715 rows)');
    const events = lines.findIndex((l) => l.includes('SEQ_SCAN events'));
    const exposures = lines.findIndex((l) => l.includes('SEQ_SCAN raw.exposures'));
    expect(lines[events]).toBe('    ├ SEQ_SCAN events  (20 ms, 875,136 rows, 875,136 scanned)');
    expect(lines[exposures]).toBe('    └ SEQ_SCAN raw.exposures  (0.20 ms, 20,000 rows, 20,000 scanned)');
    // The first scan's details sit beside the │ that leads down to its sibling.
    expect(lines[events + 1]).toBe('    │     Type: Sequential Scan');
    expect(lines[join + 1]).toBe('    │   Join Type: INNER');
    // Details each on a line of their own, cut to the width; the table is not repeated.
    expect(lines.every((l) => chars(l) <= 100)).toBe(true);
    expect(lines.some((l) => l.includes('Projections: column_0') && l.endsWith('…'))).toBe(true);
    expect(lines.some((l) => l.includes('Table:'))).toBe(false);
    // No width (--wide, or piped without COLUMNS): the details whole.
    expect(renderPlan(PLAN).some((l) => l.endsWith('column_39'))).toBe(true);
  });

  it('reads the table from DuckDB\'s details', () => {
    expect(scanTable('Table: memory.main.events; Type: Sequential Scan')).toBe('events');
    expect(scanTable('Type: Sequential Scan; Table: s.raw.exposures')).toBe('raw.exposures');
    expect(scanTable('Projections: a')).toBeNull();
  });
});

describe('jobs show: wrapping', () => {
  const sql = `SELECT unit_id, ${Array.from({ length: 30 }, (_, i) => `coalesce(a."m${i}_post", 0) AS "m${i}_post"`).join(', ')} FROM events WHERE experiment = 'a name with   several spaces in a long literal' AND table_schema = 'main'`;
  const job: JobDetail = {
    id: 54, run_id: 'r', command: 'analyze', experiment: 'garden_gnome_search_ranking', metric: 'searches_per_session,product_view:event_count,add_to_cart:event_count,session_start:event_dau',
    fingerprint: 'e7b6cc102931', sql, started_at: new Date('2026-12-02T10:00:00Z'), duration_ms: 329, cpu_ms: 27, rows_scanned: 2303, bytes_scanned: 80_000,
    bytes_read: null, peak_memory: 64_500_000, rows_returned: 1, outcome: 'ok', error: null, plan: null, profiled: false, scan_from: 1, cost_usd: 0.00001, unmeasured: false, work_ratio: null, work_by: null, next_profiled: null,
  };

  it('wraps the notes at words under their value, and the SQL at spaces outside literals', () => {
    const text = renderJob(job, 'statsig-hack', 100);
    expect(widest(text)).toBeLessThanOrEqual(100);
    // The profiled note is whole words on every line, continued under the value column.
    const at = text.indexOf('profiled:');
    const note = text.slice(at).split('\n\n')[0] as string;
    expect(note.split('\n').length).toBeGreaterThan(1);
    for (const l of note.split('\n').slice(1)) expect(l).toMatch(/^ {22}\S/);
    expect(note.replace(/\n {22}/g, ' ')).toBe('profiled:             no: rows and bytes scanned and peak memory are estimates from job 1, the latest profiled run of this query shape');
    // A shared job's metrics wrap between names.
    expect(text).toContain('session_start:event_dau');
    // The SQL: the literal whole, and the lines join back to the query.
    const body = text.slice(text.indexOf('SQL:\n') + 5, text.indexOf('\n\nPlan and profile')).split('\n');
    expect(body.length).toBeGreaterThan(2);
    expect(body.join('\n')).toContain("'a name with   several spaces in a long literal'");
    expect(body.map((l, i) => (i === 0 ? l : l.replace(/^ {2}/, ''))).join(' ')).toBe(sql);
    // Without a width the SQL is as it was written.
    expect(renderJob(job, 'statsig-hack')).toContain(`SQL:\n${sql}\n`);
  });

  it('wrapSql keeps a line that fits, and a quoted name with spaces whole', () => {
    expect(wrapSql('SELECT 1', 20)).toBe('SELECT 1');
    const wrapped = wrapSql('SELECT "a column name with spaces", b, c FROM t', 24);
    expect(wrapped).toContain('"a column name with spaces",');
    expect(wrapped.split('\n').length).toBeGreaterThan(1);
  });
});

const day = (d: string, jobs: number, ms: number): DayRow => ({ day: d, jobs, total_ms: ms });

describe('jobs: the time-per-day chart', () => {
  it('starts at the first day with jobs and folds runs of empty days into one line', () => {
    const days: DayRow[] = [];
    for (let i = 0; i < 91; i++) {
      const d = new Date(Date.UTC(2026, 8, 3) + i * 86_400_000).toISOString().slice(0, 10);
      days.push(day(d, i === 30 || i === 60 || i === 61 || i === 75 ? 5 : 0, i === 30 || i === 60 || i === 61 || i === 75 ? 100 * (i - 20) : 0));
    }
    const text = renderDayChart(days);
    const lines = text.split('\n');
    expect(lines[0]).toBe('time per day');
    expect(lines[1]).toMatch(/^2026-10-03 +█+ +1\.00 s \(5 jobs\)$/);
    expect(text).toContain('29 days without jobs (2026-10-04 to 2026-11-01)');
    expect(text).toContain('13 days without jobs (2026-11-04 to 2026-11-16)');
    expect(text).toContain('15 days without jobs (2026-11-18 to 2026-12-02)');
    // 4 days with jobs + 3 folded runs + the heading.
    expect(lines).toHaveLength(8);
    expect(text).not.toContain('0.00 ms');
    // The busiest day has the full bar.
    expect(lines.find((l) => l.startsWith('2026-11-17'))).toMatch(/█{40} +5\.50 s/);
    // One empty day between two is shown as such; no day with jobs: no chart (the table says so).
    expect(renderDayChart([day('2026-12-01', 1, 5), day('2026-12-02', 0, 0), day('2026-12-03', 2, 10)])).toContain('2026-12-02  ' + ' '.repeat(40) + '  - (no jobs)');
    expect(renderDayChart([day('2026-12-01', 0, 0)])).toBe('');
  });
});

const group = (over: Partial<GroupRow>): GroupRow => ({
  key: 'analyze', jobs: 10, total_ms: 1000, mean_ms: 100, max_ms: 300, cpu_ms: 900, rows_scanned: 1_000_000, bytes_scanned: 5_000_000,
  peak_memory: 10_000_000, errors: 1, last_id: 40, estimated: 0, cost_usd: 0.002, share: 0.5, ...over,
});

describe('jobs: totals', () => {
  it('a total row that sums the groups, and the same sums for --json', () => {
    const rows = [group({}), group({ key: 'seed', jobs: 5, total_ms: 600, rows_scanned: null, bytes_scanned: 1_000, cost_usd: 0.0005, errors: 0, last_id: 77, share: 0.3 }), group({ key: 'query', jobs: 2, total_ms: 400, cost_usd: 0.001, share: 0.2 })];
    expect(groupTotals(rows)).toEqual({ total_ms: 2000, cpu_ms: 2700, rows_scanned: 2_000_000, bytes_scanned: 10_001_000, cost_usd: 0.0035 });
    const text = renderGroups('command', rows);
    const lines = text.split('\n');
    expect(lines.at(-1)).toMatch(/^total +17 +2\.00 s +100\.0% +118 ms +300 ms +2,000,000 +10\.0 MB +10\.0 MB +2 +\$0\.0035 +77$/);
    expect(lines.at(-2)).toMatch(/^─+/);
    // --by metric: the jobs counted once (a shared job sits under each metric), no summed errors.
    expect(renderGroups('metric', rows, undefined, { totalJobs: 12 }).split('\n').at(-1)).toMatch(/^total +12 +2\.00 s/);
    // One group: no total row.
    expect(renderGroups('command', [group({})]).split('\n')).toHaveLength(3);
  });
});

describe('jobs: the cost model line', () => {
  it('writes rates with a few significant digits and says which are the user\'s', () => {
    const { model, source, set } = costModelOf({ jobs: { cost: { usdPerTBScanned: 6.25, usdPerCreditHour: 3 } } });
    const line = describeCostModel(model, source, set);
    expect(line).toBe('cost model: $6.25/TB scanned + $3/warehouse-hour of query time + $0.05/vCPU-hour (the last is the default; the rest from config jobs.cost)');
    const all = costModelOf({ jobs: { cost: { usdPerTBScanned: 0.1234567, usdPerCreditHour: 0, usdPerCpuSecond: 1 / 72_000_000 } } });
    // 1/72e6 per CPU-second = 0.00005 per vCPU-hour: no exponent, no 0.0000138888…
    expect(describeCostModel(all.model, all.source, all.set)).toBe('cost model: $0.1235/TB scanned + $0/warehouse-hour of query time + $0.00005/vCPU-hour (config jobs.cost)');
  });
});

describe('jobs --by fingerprint: what each shape is', () => {
  it('shows the command and the first words of the shape\'s SQL, within 100 columns', () => {
    const rows = [group({ key: 'e7b6cc102931' }), group({ key: '19c9288ec3d1', last_id: 9 })];
    const shapes = new Map([
      ['e7b6cc102931', { sql: 'select spec from entities where kind = ? and name = ? order by updated_at desc', command: 'analyze' }],
      ['19c9288ec3d1', { sql: 'insert into events (unit_id, event, ts, value, metadata) select * from read_csv(?)', command: 'seed' }],
    ]);
    const text = renderGroups('fingerprint', rows, 100, { shapes });
    expect(widest(text)).toBeLessThanOrEqual(100);
    expect(text).toMatch(/e7b6cc102931 .* 40 +select spec from entities where kind =…/);
    expect(text).toContain('insert into events (unit_id, event,…');
    const wide = renderGroups('fingerprint', rows, undefined, { shapes });
    expect(wide).toMatch(/command +sql/);
    expect(wide).toMatch(/ seed +insert into/);
    expect(sqlSnippet('select  1\n from t', 40)).toBe('select 1 from t');
  });
});

describe('jobs: usage errors', () => {
  it('an unknown subcommand, a non-number factor and an empty window say what to type', async () => {
    const cwd = tmpDir();
    const bogus = await runCli(['jobs', 'bogus'], { cwd });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown subcommand "bogus" for jobs/);
    expect(bogus.stderr).toMatch(/jobs slow, jobs show <id>/);
    const typo = await runCli(['jobs', 'slwo'], { cwd });
    expect(typo.stderr).toMatch(/did you mean "slow"/);
    const factor = await runCli(['jobs', 'slow', '--factor', 'abc'], { cwd });
    expect(factor.code).toBe(2);
    expect(factor.stderr).toMatch(/--factor must be a number, got "abc"/);
    expect(factor.stderr).toMatch(/e\.g\. --factor 3/);
    const zero = await runCli(['jobs', '--since', '0d'], { cwd });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--since must be a window longer than 0, got "0d"/);
    for (const r of [bogus, factor, zero]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('jobs: the chart and the totals count what the table counts', () => {
  it('transaction and schema statements are left out of the days as of the groups; --json totals carry time and cost', async () => {
    const { dir, file, store } = await tmpStore();
    store.close();
    const base = Date.now() - 3_600_000;
    const job = (i: number, ms: number, sql: string, command: string): JobRecord => ({
      command, experiment: null, metric: null, run_id: `r${i}`, fingerprint: fingerprint(sql), sql,
      started_ms: base + i * 1000, duration_ms: ms, cpu_ms: ms, rows_scanned: null, bytes_scanned: null, bytes_read: null,
      peak_memory: null, rows_returned: null, outcome: 'ok', error: null, plan: null,
    });
    const lines = [job(1, 10, 'BEGIN TRANSACTION', 'seed'), job(2, 40, 'SELECT sum(v) FROM t', 'seed'), job(3, 5, 'COMMIT', 'seed'), job(4, 20, 'SELECT 1', 'query'), job(5, 30, 'CREATE TABLE x (a INT)', 'seed')];
    fs.writeFileSync(spoolPath(file), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await runCli(['jobs', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ totals: { jobs: number; total_ms: number; cost_usd: number }; days: DayRow[]; groups: GroupRow[]; overhead: { jobs: number } }>();
    expect(doc.overhead.jobs).toBe(3);
    expect(doc.totals.jobs).toBe(2);
    expect(doc.totals.total_ms).toBeCloseTo(60, 9);
    expect(doc.totals.cost_usd).toBeCloseTo((60 / 1000) * (0.05 / 3600), 15);
    expect(doc.days.reduce((s, d) => s + d.jobs, 0)).toBe(2);
    expect(doc.days.reduce((s, d) => s + d.total_ms, 0)).toBeCloseTo(60, 9);
    const human = await runCli(['jobs'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(human.stdout).toMatch(/\ntotal +2 +60 ms +100\.0%/);
    expect(human.stdout).toMatch(/\(2 jobs\)/);
    expect(widest(human.stdout)).toBeLessThanOrEqual(100);
    // By fingerprint, each shape says what it is, in --json as in the table.
    const shapes = (await runCli(['jobs', '--by', 'fingerprint', '--json'], { cwd: dir })).json<{ groups: { key: string; sql: string; command: string }[] }>().groups;
    expect(shapes.find((g) => g.key === fingerprint('SELECT sum(v) FROM t'))).toMatchObject({ sql: 'select sum(v) from t', command: 'seed' });
    const table = await runCli(['jobs', '--by', 'fingerprint'], { cwd: dir, env: baseEnv({ COLUMNS: '100' }) });
    expect(table.stdout).toMatch(new RegExp(`${fingerprint('SELECT 1')} .* query +select \\?`));
  });
});
