/**
 * Issue 19 "speed and memory": file mode reads a Parquet file in place (a view, no copy), parses a
 * CSV once keeping only the columns in use, checks NaN / Infinity / huge values from the moments
 * pass's own sums (the exact count runs only when those are not clean), and profiles a large
 * relation on its first rows / a block sample. The answers and the messages must not change.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { fileRelationSql, usedColumns } from '../../src/engines/run.js';
import { runCli } from '../support/run-cli.js';
import { mulberry32 as rng } from '../support/rng.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const cwd = tmpDir();
const run = (args: string[]) => runCli(['analyze', ...args], { cwd });

/** Writes `select` to cwd/<name> as Parquet (DuckDB). */
async function parquet(name: string, select: string): Promise<string> {
  const store = await Store.memory({ migrate: false });
  try {
    await store.run(`COPY (${select}) TO '${path.join(cwd, name).replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    store.close();
  }
  return name;
}

function data(n: number, seed: number): { csv: string; rows: { g: string; y: number; x: number; c: string }[] } {
  const r = rng(seed);
  const rows = Array.from({ length: n }, (_, i) => {
    const g = i % 2 ? 'control' : 'test';
    const x = r() * 10;
    const c = ['US', 'BR', 'DE'][Math.floor(r() * 3)] as string;
    return { g, x, c, y: x * 0.8 + r() * 4 + (g === 'test' ? 0.3 : 0) + (c === 'BR' ? 1 : 0) };
  });
  const csv = ['unit_id,grp,y,pre_x,country,unused_text', ...rows.map((o, i) => `u${i},${o.g},${o.y},${o.x},${o.c},note ${i}`)].join('\n');
  return { csv, rows };
}

describe('which relation a data file becomes', () => {
  const req = { unit: 'unit_id', group: 'grp', metrics: ['Revenue'], ratios: [{ name: 'r', kind: 'ratio' as const, num: 'n', den: 'd' }], covariates: ['country'], segments: ['platform'], percentiles: [{ metric: 'lat', p: 0.9 }] };
  const cols = ['unit_id', 'grp', 'revenue', 'pre_revenue', 'n', 'd', 'country', 'platform', 'lat', 'big_unused_blob'];

  it('Parquet is a view over the file (no copy); --dedupe first (row order) reads a copy', () => {
    expect(fileRelationSql('parquet', "read_parquet('x.parquet')", cols, usedColumns(req), undefined)).toBe("CREATE TEMP VIEW __data AS SELECT * FROM read_parquet('x.parquet')");
    expect(fileRelationSql('parquet', "read_parquet('x.parquet')", cols, usedColumns(req), 'exclude')).toMatch(/^CREATE TEMP VIEW/);
    expect(fileRelationSql('parquet', "read_parquet('x.parquet')", cols, usedColumns(req), 'first')).toMatch(/^CREATE TEMP TABLE __data AS SELECT "unit_id", /);
  });

  it('CSV keeps only the columns in use (case-insensitive, pre_<metric> when present); a missing one keeps all for the error', () => {
    const sql = fileRelationSql('csv', "read_csv('x.csv')", cols, usedColumns(req), undefined);
    expect(sql).toBe(`CREATE TEMP TABLE __data AS SELECT "unit_id", "grp", "revenue", "pre_revenue", "n", "d", "country", "platform", "lat" FROM read_csv('x.csv')`);
    expect(fileRelationSql('csv', "read_csv('x.csv')", cols, usedColumns({ ...req, covariates: ['nope'] }), undefined)).toBe("CREATE TEMP TABLE __data AS SELECT * FROM read_csv('x.csv')");
  });
});

describe('Parquet read in place gives the same analysis as the CSV', () => {
  it('CUPAC with a numeric and a categorical covariate, and method none against the plain difference of means', async () => {
    const { csv, rows } = data(3000, 7);
    writeFile(cwd, 'same.csv', `${csv}\n`);
    await parquet('same.parquet', `SELECT * FROM read_csv('${path.join(cwd, 'same.csv')}')`);
    const args = ['--group', 'grp', '--metric', 'y', '--covariates', 'pre_x,country', '--json'];
    const a = (await run(['--data', 'same.csv', ...args])).json();
    const b = (await run(['--data', 'same.parquet', ...args])).json();
    for (const k of ['diff', 'diff_se', 'p_value', 'variance_reduction'] as const) expect(b.results[0][k]).toBeCloseTo(a.results[0][k], 12);
    expect(b.results[0].covariates).toEqual(a.results[0].covariates);
    const plain = (await run(['--data', 'same.parquet', '--group', 'grp', '--metric', 'y', '--method', 'none', '--json'])).json();
    const mean = (g: string) => rows.filter((o) => o.g === g).reduce((s, o, _i, all) => s + o.y / all.length, 0);
    expect(plain.results[0].diff).toBeCloseTo(mean('test') - mean('control'), 9);
  });
});

describe('non-finite and huge values found from the moments pass', () => {
  const expectError = async (args: string[], message: string) => {
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/sums must be finite|unexpected error|Binder Error|\n\s+at /);
  };
  const base = (y: string, x = 'i % 3') => `SELECT 'u' || i AS unit_id, CASE WHEN i % 2 = 0 THEN 'test' ELSE 'control' END AS "group", ${y} AS y, CAST(${x} AS DOUBLE) AS x, CAST(i % 7 AS DOUBLE) AS lat FROM range(40) t(i)`;

  it('NaN and Infinity in a Parquet metric: counted exactly, the same message as before', async () => {
    await parquet('nan.parquet', base(`CASE WHEN i = 4 THEN 'NaN'::DOUBLE WHEN i = 5 THEN 'inf'::DOUBLE ELSE CAST(i % 5 AS DOUBLE) END`));
    await expectError(['--data', 'nan.parquet', '--metric', 'y'], 'column y of nan.parquet has NaN or Infinity in 2 rows');
    const r = await run(['--data', 'nan.parquet', '--metric', 'y', '--non-finite', 'null', '--json']);
    expect(r.code).toBe(0);
    expect(r.json().warnings.join('\n')).toContain('column y: NaN or Infinity in 2 rows treated as missing (--non-finite null)');
  });

  it('NaN in a covariate (its mean is no centring constant) and in a percentile-only column', async () => {
    await parquet('nancov.parquet', base('CAST(i % 5 AS DOUBLE)', `CASE WHEN i = 3 THEN 'NaN'::DOUBLE ELSE i % 3 END`));
    await expectError(['--data', 'nancov.parquet', '--metric', 'y', '--covariates', 'x'], 'column x of nancov.parquet has NaN or Infinity in 1 row');
    await parquet('nanlat.parquet', base('CAST(i % 5 AS DOUBLE)').replace('CAST(i % 7 AS DOUBLE) AS lat', "CASE WHEN i = 9 THEN '-inf'::DOUBLE ELSE i % 7 END AS lat"));
    await expectError(['--data', 'nanlat.parquet', '--metric', 'y', '--percentile', 'lat:0.9'], 'column lat of nanlat.parquet has NaN or Infinity in 1 row');
  });

  it('a value whose square overflows, and one just beyond 1e150 whose square does not', async () => {
    await parquet('huge.parquet', base(`CASE WHEN i = 4 THEN 1e300 ELSE CAST(i % 5 AS DOUBLE) END`));
    await expectError(['--data', 'huge.parquet', '--metric', 'y'], 'column y of huge.parquet has values beyond 1e150 in 1 row: their squares overflow');
    await parquet('big.parquet', base(`CASE WHEN i = 4 THEN 2e150 ELSE CAST(i % 5 AS DOUBLE) END`));
    await expectError(['--data', 'big.parquet', '--metric', 'y'], 'column y of big.parquet has values beyond 1e150 in 1 row');
  });
});

describe('a large relation is profiled without reading it whole, and the guards still hold', () => {
  it('a file sorted by its categorical covariate keeps every level (block sample, not the first rows)', async () => {
    await parquet(
      'sorted.parquet',
      `SELECT i AS unit_id, CASE WHEN hash(i) % 2 = 0 THEN 'test' ELSE 'control' END AS "group", CASE WHEN i < 120000 THEN 'US' WHEN i < 200000 THEN 'BR' ELSE 'DE' END AS country,
        (hash(i, 1) % 1000) / 100.0 + CASE WHEN i >= 200000 THEN 5 WHEN i >= 120000 THEN 3 ELSE 0 END AS y FROM range(300000) t(i) ORDER BY country DESC, i`,
    );
    const r = await run(['--data', 'sorted.parquet', '--metric', 'y', '--covariates', 'country', '--json']);
    expect(r.code).toBe(0);
    const res = r.json().results[0];
    expect(res.covariates.sort()).toEqual(['country=BR', 'country=DE']); // US (the most frequent) is the reference
    // Level effects DE +5, BR +3 on U(0, 10): their variance share is 4.649 / (8.333 + 4.649) = 0.358.
    expect(res.variance_reduction).toBeGreaterThan(0.33);
    expect(res.variance_reduction).toBeLessThan(0.39);
  });

  it('a text covariate that is numbers but for a few values is still refused past the sample size', async () => {
    await parquet(
      'mostly.parquet',
      `SELECT i AS unit_id, CASE WHEN i % 2 = 0 THEN 'test' ELSE 'control' END AS "group", CAST(i % 10 AS DOUBLE) AS y,
        CASE WHEN i % 50000 = 7 THEN 'n/a' ELSE CAST(i % 13 AS VARCHAR) END AS tenure FROM range(300000) t(i)`,
    );
    const r = await run(['--data', 'mostly.parquet', '--metric', 'y', '--covariates', 'tenure']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('covariate tenure of mostly.parquet is numeric except for 6 values that are not a number (e.g. "n/a")');
  });
});

describe('a categorical covariate in the moments pass', () => {
  /** Level k (k = 0..levels-1) has 150 - 3k units, so the ranking is fixed; y depends on the level. */
  const units = (levels: number) => `
    WITH u AS (SELECT k, row_number() OVER (ORDER BY k, j) AS i FROM (SELECT k, unnest(range(150 - 3 * k)) AS j FROM range(${levels}) t(k)))
    SELECT i AS unit_id, CASE WHEN hash(i, 1) % 2 = 0 THEN 'test' ELSE 'control' END AS "group", 'L' || k AS country,
      (hash(i, 2) % 1000) / 100.0 AS x, (hash(i, 2) % 1000) / 125.0 + 0.4 * k + (hash(i, 3) % 1000) / 250.0 + CASE WHEN hash(i, 1) % 2 = 0 THEN 0.3 ELSE 0 END AS y,
      ${Array.from({ length: Math.min(levels, 20) - 1 }, (_, j) => `CAST(k = ${j + 1} AS DOUBLE) AS d${j + 1}`).join(', ')}
    FROM u`;

  // Few levels: the pass groups by the raw value and labels the cells; more than 20: a label per row.
  // Either way the answer is CUPAC on the one-hot columns of the kept levels (the 19 most frequent
  // after the reference L0; L20-L24 pooled with it), given here as numeric covariates.
  it.each([4, 25])('with %i levels gives the answer of its one-hot columns', async (levels) => {
    const file = await parquet(`levels${levels}.parquet`, units(levels));
    const dummies = Array.from({ length: Math.min(levels, 20) - 1 }, (_, j) => `d${j + 1}`);
    const a = (await run(['--data', file, '--metric', 'y', '--covariates', 'x,country', '--json'])).json();
    const b = (await run(['--data', file, '--metric', 'y', '--covariates', ['x', ...dummies].join(','), '--json'])).json();
    expect(a.results[0].covariates).toHaveLength(dummies.length + 1);
    for (const k of ['diff', 'diff_se', 'p_value', 'variance_reduction', 'control_mean'] as const) expect(a.results[0][k]).toBeCloseTo(b.results[0][k], 10);
    expect(a.results[0].variance_reduction).toBeGreaterThan(0.3);
    const pooled = a.warnings.some((w: string) => w.includes('rare levels pooled'));
    expect(pooled).toBe(levels > 20);
  });
});
