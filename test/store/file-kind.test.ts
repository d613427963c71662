import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeDuckDb } from '../../src/store/file-kind.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

describe('a --db that is no DuckDB database', () => {
  it('is refused in one line before DuckDB opens it, and the file is left as it was', async () => {
    const dir = tmpDir();
    const csv = path.join(dir, 'series.csv');
    fs.writeFileSync(csv, 'ds,y\n2024-01-01,1\n');
    expect(looksLikeDuckDb(csv)).toBe(false);
    for (const args of [['status', '--db', csv], ['analyze', '--db', csv, '--experiment', 'x']]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^error: .*series\.csv is not a DuckDB database file\n {2}hint: .*--data/);
    }
    expect(fs.readFileSync(csv, 'utf8')).toBe('ds,y\n2024-01-01,1\n');
    expect(fs.readdirSync(dir)).toEqual(['series.csv']);
  });

  it('a real store, an empty file and a missing one still open as before', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'p.duckdb');
    (await Store.open(db, { create: true })).close();
    expect(looksLikeDuckDb(db)).toBe(true);
    expect(looksLikeDuckDb(path.join(dir, 'missing.duckdb'))).toBe(true);
    fs.writeFileSync(path.join(dir, 'empty.duckdb'), '');
    expect(looksLikeDuckDb(path.join(dir, 'empty.duckdb'))).toBe(true);
    expect(looksLikeDuckDb(dir)).toBe(true); // a folder: DuckDB's own error names it
  });
});
