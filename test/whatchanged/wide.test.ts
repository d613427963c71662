/**
 * Wide files: whatchanged --data on a 20-row CSV with many columns used memory in proportion to
 * columns x columns (1,000 columns: 6.3 GB; 10,000: 13.7 GB). Candidate dimensions are now chosen
 * by cardinality and capped, the skipped ones named, and a wide CSV is read without DuckDB's
 * sniffer and narrowed to the columns in use.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WIDE_CSV_COLUMNS, readerSql, splitCsvLine } from '../../src/store/import.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const PERIODS = ['--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14'];
const root = path.resolve(import.meta.dirname, '../..');
let dir: string;
let wide: string;

/** 20 rows, a time and a value column, then `n` columns c0..c{n-1}; column ci has (i % 7) + 2 distinct values. */
function wideCsv(n: number): string {
  const header = ['ts', 'value', ...Array.from({ length: n }, (_, i) => `c${i}`)];
  const rows = Array.from({ length: 20 }, (_, r) => {
    const day = String(1 + (r % 14)).padStart(2, '0');
    return [`2026-10-${day}`, String(r + 1), ...Array.from({ length: n }, (_, i) => `v${r % ((i % 7) + 2)}`)].join(',');
  });
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

beforeAll(() => {
  dir = tmpDir();
  wide = writeFile(dir, 'wide.csv', wideCsv(1000));
});

describe('whatchanged --data on a wide file', () => {
  it('drills into at most 20 dimensions, fewest values first, and names the ones it skipped', async () => {
    const r = await runCli(['--json', 'whatchanged', '--data', wide, ...PERIODS], { cwd: dir });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.settings.dimensions).toHaveLength(20);
    // c0, c7, c14, ... have 2 values: they come first.
    expect(j.settings.dimensions.slice(0, 3)).toEqual(['c0', 'c7', 'c14']);
    const notice = j.table_notices.find((n: string) => n.startsWith('drilled into 20 dimensions'));
    expect(notice).toMatch(/skipped 980 more columns: .*--max-dimensions/);
  });

  it('--max-dimensions and --dimensions choose explicitly', async () => {
    const few = await runCli(['--json', 'whatchanged', '--data', wide, ...PERIODS, '--max-dimensions', '3'], { cwd: dir });
    expect(few.json().settings.dimensions).toEqual(['c0', 'c7', 'c14']);
    const named = await runCli(['--json', 'whatchanged', '--data', wide, ...PERIODS, '--dimensions', 'c999,c500'], { cwd: dir });
    expect(named.code).toBe(0);
    expect(named.json().settings.dimensions).toEqual(['c999', 'c500']);
    const tooMany = await runCli(['whatchanged', '--data', wide, ...PERIODS, '--dimensions', Array.from({ length: 101 }, (_, i) => `c${i}`).join(',')], { cwd: dir });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/^error: --dimensions names 101 dimensions; at most 100/);
  });

  it('reads a wide CSV without the sniffer (every column VARCHAR, parsed only when used)', () => {
    expect(readerSql(wide, 'csv', { wideAsText: true })).toMatch(/auto_detect = false, delim = ',', .* columns = \{'ts': 'VARCHAR', 'value': 'VARCHAR', 'c0': 'VARCHAR'/);
    const narrow = writeFile(dir, 'narrow.csv', 'ts,value\n2026-10-01,1\n');
    expect(readerSql(narrow, 'csv', { wideAsText: true })).toContain('auto_detect = true');
    expect(readerSql(wide)).toContain('auto_detect = true');
    expect(WIDE_CSV_COLUMNS).toBeLessThan(1000);
    expect(splitCsvLine('a,"b,c","say ""x""",', ',')).toEqual(['a', 'b,c', 'say "x"', '']);
  });

  it('stays far below the old memory on 1,000 columns (peak RSS of the whole process)', () => {
    const script = `import { run } from ${JSON.stringify(path.join(root, 'dist/cli.js'))};
      const out = { write: () => true }; const err = { write: () => true };
      const code = await run(${JSON.stringify(['whatchanged', '--data', wide, ...PERIODS])}, { stdout: out, stderr: err, stdin: { isTTY: false }, cwd: ${JSON.stringify(dir)}, env: { CI: 'true' } });
      process.stdout.write(JSON.stringify({ code, maxRSS: process.resourceUsage().maxRSS }));`;
    const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })) as { code: number; maxRSS: number };
    expect(r.code).toBe(0);
    // The old code peaked at 6.3 GB here; now about 200 MB (node and DuckDB themselves are ~100 MB).
    expect(r.maxRSS / 1024).toBeLessThan(400);
  });
});
