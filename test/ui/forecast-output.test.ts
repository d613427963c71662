/**
 * forecast --by on a terminal: say how many groups are charted and how to see the rest, and keep
 * the table compact (one row per group; every day with --table full, --out or --json).
 * Regression: charts for 3 of 7 groups without a notice, then a 210-row table scrolled them away.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { spawnPty } from '../support/pty.js';
import { tmpDir } from '../support/tmp.js';

let cwd = '';
let db = '';
beforeAll(async () => {
  cwd = tmpDir();
  db = path.join(cwd, '.statsig-hack', 'demo.duckdb');
  expect((await runCli(['demo', '--users', '2000', '--json'], { cwd })).code).toBe(0);
}, 120_000);

const tooWide = (lines: string[], width: number): string[] => lines.filter((l) => [...l].length > width);

describe('forecast --by output', () => {
  it('on a 100-column TTY: a notice for the groups not charted, a one-row-per-group table, nothing wider', { timeout: 120_000 }, async () => {
    const t = spawnPty(['forecast', '--metric', 'dau', '--by', 'country', '--db', db], { cwd, cols: 100, rows: 40 });
    expect(await t.exit).toBe(0);
    const out = t.output();
    expect(out).toContain('Charts for 3 of 7 country groups, the largest by forecast: US, ');
    expect(out).toContain('Every group: --max-charts 7, or --out forecast.html (one page).');
    expect(out.match(/^country = \w+ · model/gm)).toHaveLength(3);
    const table = out.slice(out.indexOf('Forecast per country'));
    expect(table.split('\n').filter((l) => /^(BR|DE|FR|GB|IN|JP|US) /.test(l))).toHaveLength(7);
    expect(out).toContain('every day of each group: --table full, --out forecast.csv, or --json');
    // The report itself, without the spinner's frames (one per redraw, more on a loaded machine).
    const report = out.split('\n').filter((l) => !/^[\u2800-\u28ff] /.test(l));
    expect(report.length).toBeLessThan(80);
    expect(tooWide(t.lines(), 100)).toEqual([]);
    expect(t.screen().wraps).toBe(0);
  });

  it('--max-charts charts every group; --table full prints every day', { timeout: 120_000 }, async () => {
    const t = spawnPty(['forecast', '--metric', 'dau', '--by', 'country', '--db', db, '--max-charts', '7', '--table', 'full', '--horizon', '7'], { cwd, cols: 100, rows: 40 });
    expect(await t.exit).toBe(0);
    const out = t.output();
    expect(out).not.toContain('Charts for');
    expect(out.match(/^country = \w+ · model/gm)).toHaveLength(7);
    expect(out.split('\n').filter((l) => /^\d{4}-\d\d-\d\d {2}[A-Z]{2} /.test(l))).toHaveLength(49);
  });

  for (const width of [80, 100]) {
    it(`tables fit ${width} columns (summary and full)`, { timeout: 120_000 }, async () => {
      for (const extra of [[], ['--table', 'full']]) {
        const r = await runCli(['forecast', '--metric', 'dau', '--by', 'country', '--db', db, '--horizon', '7', ...extra], { cwd, env: baseEnv({ COLUMNS: String(width) }) });
        expect(r.code).toBe(0);
        expect(tooWide(r.stdout.split('\n'), width)).toEqual([]);
      }
    });
  }

  it('hints suggest values the flag accepts', async () => {
    const interval = await runCli(['forecast', '--metric', 'dau', '--db', db, '--interval', '80'], { cwd });
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('e.g. --interval 0.8');
    const level = await runCli(['forecast', '--metric', 'dau', '--db', db, '--anomaly-level', '2'], { cwd });
    expect(level.stderr).toContain('e.g. --anomaly-level 0.99');
    // Any fractional flag: the example lies inside its range (--winsorize takes 0.5 .. 1).
    const w = await runCli(['analyze', '--experiment', 'x', '--db', db, '--winsorize', '2'], { cwd });
    const example = Number(/e\.g\. --winsorize ([\d.]+)/.exec(w.stderr)?.[1]);
    expect(example).toBeGreaterThanOrEqual(0.5);
    expect(example).toBeLessThan(1);
  });
});
