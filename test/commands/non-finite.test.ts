/**
 * Non-finite values and NUL bytes in input files. Before: analyze failed with "unexpected error:
 * control: sums must be finite numbers", whatchanged printed n/a everywhere without a warning,
 * import stored NaN/Infinity silently, and a NUL byte in a column name gave a multi-line parser
 * error. Now each is one line naming the column, the number of rows and the fix, and the
 * --non-finite flag maps the values when asked.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

let dir: string;
const bad = new Set([5, 17, 33, 40]);
const special = ['NaN', 'Infinity', '-inf', 'NaN'];

/** 200 units in two arms; revenue is NaN / ±Infinity in 4 rows. */
function experimentCsv(): string {
  const rows = ['unit_id,group,revenue,pre_revenue'];
  let k = 0;
  for (let i = 0; i < 200; i++) {
    const revenue = bad.has(i) ? special[k++] : String(((i * 37) % 100) / 10 + (i % 2 ? 0 : 0.5));
    rows.push(`u${i},${i % 2 ? 'control' : 'test'},${revenue},${((i * 53) % 100) / 10}`);
  }
  return `${rows.join('\n')}\n`;
}

/** Two weeks of events with an amount; 3 amounts are NaN / Infinity. */
function eventsCsv(): string {
  const rows = ['unit_id,event,ts,amount,country'];
  for (let i = 0; i < 140; i++) {
    const day = String(1 + (i % 14)).padStart(2, '0');
    const amount = i === 3 ? 'NaN' : i === 50 ? 'Infinity' : i === 99 ? '-Infinity' : String(1 + (i % 9));
    rows.push(`u${i % 40},purchase,2026-10-${day} 12:00:00,${amount},${i % 3 ? 'US' : 'BR'}`);
  }
  return `${rows.join('\n')}\n`;
}

const PERIODS = ['--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14'];

beforeAll(async () => {
  dir = tmpDir();
  writeFile(dir, 'exp.csv', experimentCsv());
  writeFile(dir, 'events.csv', eventsCsv());
  writeFile(dir, 'nul.csv', 'unit_id,group,reve\u0000nue\nu1,control,1\nu2,test,2\n');
  expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
});

function oneLineError(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines.length).toBeLessThanOrEqual(2); // the error line and its hint
  expect(stderr).not.toMatch(/unexpected error|\n\s+at |LINE 1/);
  return stderr;
}

describe('analyze with NaN / Infinity', () => {
  it('refuses with one line naming the column, the rows and the fix', async () => {
    const r = await runCli(['analyze', '--data', 'exp.csv', '--metric', 'revenue'], { cwd: dir });
    expect(r.code).toBe(1);
    const err = oneLineError(r.stderr);
    expect(err).toContain('error: column revenue of exp.csv has NaN or Infinity in 4 rows');
    expect(err).toContain('--non-finite null');
    expect(err).toContain('--nulls drop');
  });

  it('--non-finite null --nulls drop analyzes the other 196 units and says so', async () => {
    const r = await runCli(['--json', 'analyze', '--data', 'exp.csv', '--metric', 'revenue', '--non-finite', 'null', '--nulls', 'drop'], { cwd: dir });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.results[0].n_control + j.results[0].n_test).toBe(196);
    expect(Number.isFinite(j.results[0].p_value)).toBe(true);
    expect(j.warnings).toContain('column revenue: NaN or Infinity in 4 rows treated as missing (--non-finite null)');
  });
});

describe('whatchanged with NaN / Infinity', () => {
  it('refuses a file whose value column has them (it printed n/a without a warning)', async () => {
    const r = await runCli(['whatchanged', '--data', 'events.csv', '--value', 'amount', ...PERIODS], { cwd: dir });
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toContain('error: column amount of events.csv has NaN or Infinity in 3 rows');
    expect(r.stderr).toContain('--non-finite null');
  });

  it('--non-finite null leaves those rows out and gives finite numbers', async () => {
    const r = await runCli(['--json', 'whatchanged', '--data', 'events.csv', '--value', 'amount', ...PERIODS, '--non-finite', 'null'], { cwd: dir });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(Number.isFinite(j.headline.baseline)).toBe(true);
    expect(Number.isFinite(j.headline.delta)).toBe(true);
    expect(j.notices).toContain('column amount: NaN or Infinity in 3 rows left out (--non-finite null)');
    // count does not read the values: no refusal.
    const count = await runCli(['--json', 'whatchanged', '--data', 'events.csv', '--value', 'amount', '--agg', 'count', ...PERIODS], { cwd: dir });
    expect(count.code).toBe(0);
  });

  it('refuses them in the store too', async () => {
    const imported = await runCli(['import', 'events.csv', '--into', 'events', '--map', 'value=amount', '--non-finite', 'keep'], { cwd: dir });
    expect(imported.code).toBe(0);
    const r = await runCli(['whatchanged', '--metric', 'purchase', '--agg', 'sum', ...PERIODS], { cwd: dir });
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toContain('error: column value (event purchase) of the project store has NaN or Infinity in 3 rows');
    const ok = await runCli(['--json', 'whatchanged', '--metric', 'purchase', '--agg', 'sum', ...PERIODS, '--non-finite', 'null'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(Number.isFinite(ok.json().headline.delta)).toBe(true);
  });
});

describe('import with NaN / Infinity', () => {
  it('refuses them by default and writes nothing', async () => {
    const cwd = tmpDir();
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    writeFile(cwd, 'events.csv', eventsCsv());
    const r = await runCli(['import', 'events.csv', '--into', 'events', '--map', 'value=amount'], { cwd });
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toContain('error: column "amount" (value) of events.csv has NaN or Infinity in 3 rows');
    expect(r.stderr).toContain('--non-finite null');
    const store = await Store.open(path.join(cwd, '.statsig-hack/project.duckdb'), { readOnly: true });
    expect(await store.count('events')).toBe(0);
    store.close();
  });

  it('--non-finite null stores NULL; keep stores them as they are; both say how many', async () => {
    const cwd = tmpDir();
    expect((await runCli(['init'], { cwd })).code).toBe(0);
    writeFile(cwd, 'events.csv', eventsCsv());
    const r = await runCli(['import', 'events.csv', '--into', 'events', '--map', 'value=amount', '--non-finite', 'null'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: NaN or Infinity stored as NULL in value: 3 rows (--non-finite null)');
    const store = await Store.open(path.join(cwd, '.statsig-hack/project.duckdb'), { readOnly: true });
    const [c] = await store.all('SELECT count(*) AS n, count(value) AS v, count(*) FILTER (WHERE NOT isfinite(value)) AS nf FROM events');
    expect(c).toEqual({ n: 140, v: 137, nf: 0 });
    store.close();
    const j = await runCli(['--json', 'import', 'events.csv', '--into', 'events', '--map', 'value=amount', '--non-finite', 'keep'], { cwd });
    expect(j.json().non_finite).toEqual({ policy: 'keep', rows: { value: 3 } });
  });
});

describe('a NUL byte in a column name', () => {
  for (const argv of [
    ['analyze', '--data', 'nul.csv', '--metric', 'revenue'],
    ['whatchanged', '--data', 'nul.csv', '--time', 'unit_id'],
    ['import', 'nul.csv', '--into', 'users'],
  ]) {
    it(`${argv[0]}: one line naming the column and the fix`, async () => {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code).toBe(1);
      expect(oneLineError(r.stderr)).toContain('error: column 3 of nul.csv, "reve\\0nue", has a NUL byte in its name');
      expect(r.stderr).toContain('hint: rename the column');
    });
  }
});
