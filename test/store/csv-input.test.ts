/**
 * CSV files as R and pandas write them (review 2, findings 1 and 7): the missing-value token NA
 * is missing, not a variant; mixed CRLF / LF line endings are read; a ragged row is reported in
 * one line with its line number and field count. Real files in a temp dir, real DuckDB.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MISSING_MARKERS } from '../../src/forecast/data.js';
import { CSV_NULL_STRINGS } from '../../src/store/import.js';
import { scanCsv } from '../../src/store/csv-scan.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const cwd = tmpDir();
const csv = (name: string, text: string) => writeFile(cwd, name, text);
const analyze = (args: string[]) => runCli(['analyze', ...args], { cwd });

/** 200 units, control = odd i, test = even i, y = i % 7 (control mean 2.98, test mean 2.96). */
function units(eol = '\n'): string[] {
  const lines = ['unit_id,group,y'];
  for (let i = 0; i < 200; i += 1) lines.push(`u${i},${i % 2 ? 'control' : 'test'},${i % 7}`);
  return lines.map((l) => l + eol);
}

/** The 200 units plus 3 rows whose group is NA, one N/A and one empty. */
function naFile(): void {
  csv('na.csv', [...units(), 'n0,NA,1\n', 'n1,NA,2\n', 'n2,NA,3\n', 'n3,N/A,4\n', 'n4,,5\n'].join(''));
}

describe('finding 1: NA, N/A, NULL and None in a CSV are missing, like an empty cell', () => {
  it('analyze leaves rows whose group is NA out and counts them, instead of a variant "NA" with an SRM alarm', async () => {
    naFile();
    const out = await analyze(['--data', 'na.csv', '--metric', 'y', '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const d = out.json();
    expect(d.variants).toEqual(['test']);
    expect(Object.keys(d.srm.counts).sort()).toEqual(['control', 'test']);
    expect(d.srm.mismatch).toBe(false);
    expect(d.warnings.join('\n')).toContain('5 rows with no group (NULL) left out');
    // Means over the 100 + 100 units only (numpy: mean(i % 7) over odd / even i < 200).
    expect(d.results[0].n_control).toBe(100);
    expect(d.results[0].control_mean).toBeCloseTo(2.98, 12);
    expect(d.results[0].test_mean).toBeCloseTo(2.96, 12);
  });

  it('NA in a metric column is a missing value (here counted as 0 by the default --nulls zero), not an unreadable column', async () => {
    const lines = units();
    lines[1] = 'u0,test,NA\n'; // was 0 % 7 = 0: the means do not move
    lines[2] = 'u1,control,null\n'; // was 1: the control sum drops by 1
    csv('na-metric.csv', lines.join(''));
    const d = (await analyze(['--data', 'na-metric.csv', '--metric', 'y', '--json'])).json();
    expect(d.results[0].control_mean).toBeCloseTo(2.97, 12);
    expect(d.results[0].test_mean).toBeCloseTo(2.96, 12);
  });

  it('--keep-na reads NA as text: the documented opt-out for a column where NA is a value', async () => {
    naFile();
    const out = await analyze(['--data', 'na.csv', '--metric', 'y', '--keep-na', '--json']);
    expect(out.code).toBe(1);
    // N/A (1 row) and NA (3 rows) are groups again; the first too small to test is refused.
    expect(out.stdout + out.stderr).toMatch(/group N\/?A has fewer than 2 units/);
  });

  it('import stores NA as NULL, and as the text NA with --keep-na (Namibia)', async () => {
    const file = csv('users.csv', 'unit_id,country,plan\nu1,NA,free\nu2,US,NA\nu3,None,pro\n');
    const db = path.join(cwd, 'import.duckdb');
    const first = await runCli(['import', file, '--into', 'users', '--db', db], { cwd });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    let store = await Store.open(db, { readOnly: true });
    expect(await store.all('SELECT unit_id, country, plan FROM users ORDER BY unit_id')).toEqual([
      { unit_id: 'u1', country: null, plan: 'free' },
      { unit_id: 'u2', country: 'US', plan: null },
      { unit_id: 'u3', country: null, plan: 'pro' },
    ]);
    store.close();
    const kept = await runCli(['import', file, '--into', 'users', '--db', db, '--replace', '--keep-na'], { cwd });
    expect(kept.code).toBe(0);
    store = await Store.open(db, { readOnly: true });
    expect(await store.all('SELECT unit_id, country, plan FROM users ORDER BY unit_id')).toEqual([
      { unit_id: 'u1', country: 'NA', plan: 'free' },
      { unit_id: 'u2', country: 'US', plan: 'NA' },
      { unit_id: 'u3', country: 'None', plan: 'pro' },
    ]);
    store.close();
  });

  it('every CSV missing token is one of forecast\'s missing markers', () => {
    const markers = new Set(MISSING_MARKERS.map((m) => m.toUpperCase()));
    for (const token of CSV_NULL_STRINGS) expect(markers.has(token.toUpperCase())).toBe(true);
  });
});

describe('finding 7: line endings and ragged rows', () => {
  it('reads a CRLF file with LF lines appended, with the same result as the all-LF file', async () => {
    const crlf = units('\r\n');
    const mixed = [...crlf.slice(0, 150), ...units('\n').slice(150)].join('');
    csv('mixed.csv', mixed);
    csv('lf.csv', units('\n').join(''));
    const a = await analyze(['--data', 'mixed.csv', '--metric', 'y', '--json']);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const b = (await analyze(['--data', 'lf.csv', '--metric', 'y', '--json'])).json();
    const r = a.json().results[0];
    expect(r.n_control + r.n_test).toBe(200);
    expect(r.control_mean).toBeCloseTo(2.98, 12);
    expect(r.test_mean).toBeCloseTo(2.96, 12);
    expect(r.p_value).toBe(b.results[0].p_value);
  });

  const ragged9 = (eol: string): string => {
    const lines = ['user_id,variant,revenue,a,b,c,d,e,f'];
    for (let i = 1; i <= 80; i += 1) lines.push(i === 50 ? `u${i},a,1,2,3,4` : `u${i},${i % 2 ? 'a' : 'b'},1,2,3,4,5,6,7`);
    return lines.map((l) => l + eol).join('');
  };

  for (const [name, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
    it(`names the line of a ragged row and its field count (${name})`, async () => {
      csv(`ragged-${name}.csv`, ragged9(eol));
      const out = await analyze(['--data', `ragged-${name}.csv`, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue']);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`error: line 51 of ragged-${name}.csv has 6 fields, the header 9`);
      expect(out.stderr).toContain('fix or remove that row');
      expect(out.stderr).not.toMatch(/sniffing|\n\s+at /);
    });
  }

  it('a ragged first data row is named too (was: the whole header read as one column)', async () => {
    csv('ragged3.csv', 'user_id,variant,revenue\nu1,a,1,2,3\nu2,b,4\nu3,a,5\n');
    const out = await analyze(['--data', 'ragged3.csv', '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue']);
    expect(out.code).toBe(1);
    expect(out.stderr.split('\n')[0]).toBe('error: line 2 of ragged3.csv has 5 fields, the header 3');
    // import reads files the same way
    const imp = await runCli(['import', path.join(cwd, 'ragged3.csv'), '--into', 'users', '--db', path.join(cwd, 'r3.duckdb')], { cwd });
    expect(imp.stderr.split('\n')[0]).toBe('error: line 2 of ragged3.csv has 5 fields, the header 3');
  });

  it('a ragged row past the sniffer\'s sample is located from DuckDB\'s own error', async () => {
    const lines = ['unit_id,group,y'];
    for (let i = 0; i < 30_000; i += 1) lines.push(i === 25_000 ? `u${i},test` : `u${i},${i % 2 ? 'control' : 'test'},${i % 7}`);
    csv('late.csv', `${lines.join('\n')}\n`);
    const out = await analyze(['--data', 'late.csv', '--metric', 'y']);
    expect(out.code).toBe(1);
    expect(out.stderr.split('\n')[0]).toBe('error: line 25,002 of late.csv has 2 fields, the header 3');
  });

  it('scanCsv honours quotes (a delimiter or a line break inside quotes) and skips blank lines', () => {
    const file = csv('quoted.csv', 'a,b,c\r\n"x,1","multi\nline",3\n\n4,"say ""hi""",6\r\n7,8\n');
    expect(scanCsv(file, ',')).toEqual({ headerFields: 3, ragged: { line: 6, fields: 2 }, crlf: 2, lf: 2 });
  });
});
