/**
 * File mode's cheaper profile of a large Parquet file (issue 19, 1.2x of the anchor): the first rows
 * read by file_row_number instead of a one-thread LIMIT, the categorical levels taken from the
 * moments pass's own cells instead of a block-sample query, and the centring subtraction only where
 * a column's mean is large against its spread. The answers must be those of the separate scans.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { parquetHead } from '../../src/engines/run.js';
import { levelsFromCounts, profileRelation } from '../../src/engines/profile.js';
import { runCli } from '../support/run-cli.js';
import { mulberry32 as rng } from '../support/rng.js';
import { tmpDir } from '../support/tmp.js';

const cwd = tmpDir();
const run = (args: string[]) => runCli(['analyze', ...args], { cwd });
const file = (name: string) => path.join(cwd, name).replace(/'/g, "''");

/** Writes `select` to cwd/<name>.parquet and cwd/<name>.csv (DuckDB). */
async function both(name: string, select: string): Promise<void> {
  const store = await Store.memory({ migrate: false });
  try {
    await store.run(`COPY (${select}) TO '${file(`${name}.parquet`)}' (FORMAT parquet)`);
    await store.run(`COPY (${select}) TO '${file(`${name}.csv`)}' (FORMAT csv, HEADER)`);
  } finally {
    store.close();
  }
}

// 150,000 units (past the 100,000 first rows, so the Parquet file is profiled on its head): country
// has 6 values, NULL among them, and a rare one (XX, 30 units) pooled; city has 30 values (> 20,
// so its levels keep the separate scan); y depends on both.
const UNITS = `
  SELECT i AS unit_id, CASE WHEN hash(i, 9) % 2 = 0 THEN 'test' ELSE 'control' END AS "group",
    CASE WHEN i % 5000 = 3 THEN 'XX' ELSE (['US', 'US', 'US', 'BR', 'BR', 'DE', 'IN', 'JP', NULL, 'US'])[1 + CAST(hash(i, 1) % 10 AS INTEGER)] END AS country,
    'city' || CAST((i * 7) % 30 AS VARCHAR) AS city,
    (hash(i, 2) % 1000) / 100.0 AS x,
    (hash(i, 2) % 1000) / 125.0 + (hash(i, 3) % 1000) / 250.0 + CASE WHEN hash(i, 9) % 2 = 0 THEN 0.2 ELSE 0 END
      + CASE WHEN i % 10 = 1 THEN 1.5 ELSE 0 END + ((i * 7) % 30) / 20.0 AS y
  FROM range(150000) t(i)`;

describe('levels from the moments pass cells', () => {
  it('give the levels of a separate scan, with NULLs, a pooled rare level, and a column of more than 20 values', async () => {
    await both('cats', UNITS);
    // The Parquet file takes the new path; the CSV (a temp table of 150,000 rows) is profiled whole.
    const store = await Store.memory({ migrate: false });
    try {
      await store.run(`CREATE TEMP VIEW __data AS SELECT * FROM read_parquet('${file('cats.parquet')}')`);
      const head = parquetHead(`read_parquet('${file('cats.parquet')}')`, ['unit_id', 'group', 'country', 'city', 'x', 'y']);
      const opts = { unit: 'unit_id', numeric: ['x', 'y'], categorical: ['country', 'city'] };
      const fast = await profileRelation(store, '__data', { ...opts, rows: 150000, head });
      expect(fast.cellLevels).toEqual(['country']);
      expect(fast.levels.has('country')).toBe(false);
      const scanned = await profileRelation(store, '__data', opts);
      expect(scanned.cellLevels).toEqual([]);
      // The exact counts give the same levels as the scan (which reads all 150,000 rows here).
      const counts = await store.all<{ level: string; n: number }>(`SELECT coalesce(country, '(null)') AS level, count(*) AS n FROM __data GROUP BY 1`);
      const exact = levelsFromCounts(counts.map((r) => ({ level: String(r.level), n: Number(r.n) })), 150000);
      const { numbers: _n, ...scan } = scanned.levels.get('country') ?? {};
      expect(exact).toEqual(scan);
      expect(exact.reference).toBe('US');
      expect([...exact.kept].sort()).toEqual(['(null)', 'BR', 'DE', 'IN', 'JP']);
      expect(exact.pooled).toBe(1); // XX
      // The first rows by row number are the LIMIT's rows: the same means and duplicate screen.
      expect(fast.sampleRows).toBe(100000);
      expect(fast.sampleUnits).toBe(scanned.sampleUnits);
      for (const c of ['x', 'y']) expect(fast.means.get(c)).toBeCloseTo(scanned.means.get(c) as number, 12);
    } finally {
      store.close();
    }
    const args = ['--metric', 'y', '--covariates', 'x,country,city', '--json'];
    const a = (await run(['--data', 'cats.csv', ...args])).json();
    const b = (await run(['--data', 'cats.parquet', ...args])).json();
    expect(b.results[0].covariates).toEqual(a.results[0].covariates);
    expect(b.results[0].covariates).toContain('country=(null)');
    expect(b.results[0].covariates.filter((c: string) => c.startsWith('city='))).toHaveLength(19);
    for (const k of ['diff', 'diff_se', 'p_value', 'variance_reduction', 'control_mean'] as const) expect(b.results[0][k]).toBeCloseTo(a.results[0][k], 10);
    expect([...b.warnings].sort()).toEqual([...a.warnings].sort());
    expect(b.warnings.some((w: string) => w.includes('covariate country: rare levels pooled with "US"'))).toBe(true);
  });

  it('a column with one frequent value is left out; a mostly-numeric text column is refused with its exact count', async () => {
    await both('one', `SELECT i AS unit_id, CASE WHEN i % 2 = 0 THEN 'test' ELSE 'control' END AS "group", CASE WHEN i % 10000 = 5 THEN 'B' ELSE 'A' END AS plan, CAST(i % 10 AS DOUBLE) AS y,
      CASE WHEN i % 40000 = 11 THEN 'n/a' ELSE CAST(i % 9 AS VARCHAR) END AS tenure FROM range(150000) t(i)`);
    const r = (await run(['--data', 'one.parquet', '--metric', 'y', '--covariates', 'plan', '--json'])).json();
    expect(r.results[0].method).toBe('none');
    expect(r.warnings).toContain('covariate plan left out: it has a single frequent level');
    const bad = await run(['--data', 'one.parquet', '--metric', 'y', '--covariates', 'tenure']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('covariate tenure of one.parquet is numeric except for 4 values that are not a number (e.g. "n/a")');
  });

  it('the first rows by row number: none when the file has a column of that name', () => {
    expect(parquetHead("read_parquet('x.parquet')", ['a'])).toBe("(SELECT * EXCLUDE (file_row_number) FROM read_parquet('x.parquet', file_row_number = true) WHERE file_row_number < 100000) AS __head");
    expect(parquetHead("read_parquet('x.parquet')", ['a', 'File_Row_Number'])).toBeUndefined();
    expect(parquetHead("read_csv('x.csv')", ['a'])).toBeUndefined();
  });
});

describe('centring only where the mean is large against the spread', () => {
  /** n units per arm: values around `mean` with sd 1 (and a covariate sharing half the noise); also as a CSV. */
  function write(name: string, mean: number, seed: number): { y: number[][] } {
    const r = rng(seed);
    const y: number[][] = [[], []];
    const lines = ['unit_id,group,y,y0,pre,pre0'];
    for (let i = 0; i < 150000; i++) {
      const g = i % 2;
      const z = r() - 0.5;
      const e0 = (z + (r() - 0.5)) * 2.4 + (g === 1 ? 0.01 : 0);
      const p0 = (z + (r() - 0.5)) * 2.4;
      const v = mean + e0;
      (y[g] as number[]).push(v);
      lines.push(`u${i},${g === 1 ? 'test' : 'control'},${v},${v - mean},${mean + p0},${mean + p0 - mean}`);
    }
    fs.writeFileSync(path.join(cwd, `${name}.csv`), `${lines.join('\n')}\n`);
    return { y };
  }
  async function toParquet(name: string): Promise<void> {
    const store = await Store.memory({ migrate: false });
    try {
      await store.run(`COPY (SELECT * FROM read_csv('${file(`${name}.csv`)}')) TO '${file(`${name}.parquet`)}' (FORMAT parquet)`);
    } finally {
      store.close();
    }
  }

  it('mean 1e9 and sd 1 on the head path: the answer of the same data less 1e9', async () => {
    write('big', 1e9, 3);
    await toParquet('big');
    const a = (await run(['--data', 'big.parquet', '--metric', 'y', '--covariates', 'pre', '--json'])).json().results[0];
    const b = (await run(['--data', 'big.parquet', '--metric', 'y0', '--covariates', 'pre0', '--json'])).json().results[0];
    expect(a.method).toBe('cupac');
    expect(Math.abs(a.diff - b.diff)).toBeLessThan(1e-6); // values near 1e9 carry ~1e-7 absolute rounding
    expect(a.diff_se / b.diff_se).toBeCloseTo(1, 6);
    expect(a.variance_reduction).toBeCloseTo(b.variance_reduction, 6);
  });

  it('mean 2.9 sd (not centred): the Welch test of a two-pass computation on the values', async () => {
    // sd of e0 is 2.4 * sqrt(2/12) = 0.98, so mean 2.84 is 2.9 sd: within the 3 sd that skip the subtraction.
    const { y } = write('mid', 2.84, 5);
    await toParquet('mid');
    const r = (await run(['--data', 'mid.parquet', '--metric', 'y', '--json'])).json().results[0];
    const stats = (v: number[]) => {
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      return { m, v: v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1), n: v.length };
    };
    const [c, t] = [stats(y[0] as number[]), stats(y[1] as number[])];
    const se = Math.sqrt(c.v / c.n + t.v / t.n);
    expect(Math.abs(r.diff - (t.m - c.m))).toBeLessThan(1e-13 * 2.84 * 10);
    expect(Math.abs(r.diff_se / se - 1)).toBeLessThan(1e-11);
  });
});
