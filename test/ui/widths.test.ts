/** Human output fits the terminal: at 80 and 100 columns no line is wider; --wide shows every column. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const tooWide = (text: string, width: number): string[] => text.split('\n').filter((l) => [...l].length > width);

let cwd = '';
let db = '';
beforeAll(async () => {
  cwd = tmpDir();
  db = path.join(cwd, '.statsig-hack', 'demo.duckdb');
  const r = await runCli(['demo', '--users', '2000', '--json'], { cwd });
  expect(r.code).toBe(0);
}, 120_000);

describe('tables fit the terminal', () => {
  for (const width of [80, 100]) {
    it(`demo at ${width} columns`, { timeout: 120_000 }, async () => {
      const r = await runCli(['demo', '--users', '2000'], { cwd, env: baseEnv({ COLUMNS: String(width) }) });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout).toContain('hidden to fit');
      // The point of the demo stays: the truth and whether the interval covers it.
      expect(r.stdout).toMatch(/truth +in CI/);
    });

    it(`analyze at ${width} columns`, async () => {
      const r = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd, env: baseEnv({ COLUMNS: String(width) }) });
      expect(r.code).toBe(0);
      expect(tooWide(r.stdout, width)).toEqual([]);
      expect(r.stdout).toContain('raw CI, raw diff');
      expect(r.stdout).toContain('--wide shows every column');
    });
  }

  it('--wide shows every column; without a TTY or $COLUMNS the table is not cut (stable in CI)', async () => {
    const wide = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db, '--wide'], { cwd, env: baseEnv({ COLUMNS: '80' }) });
    const plain = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd });
    for (const r of [wide, plain]) {
      expect(r.stdout).toMatch(/raw diff +raw CI +raw p +var cut/);
      expect(r.stdout).not.toContain('hidden to fit');
      expect(r.stdout).not.toContain('\x1b[');
    }
    expect(tooWide(wide.stdout, 100).length).toBeGreaterThan(0);
  });

  it('colours significance when colour is on: green gain, dim for not significant', async () => {
    const r = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd, env: baseEnv({ FORCE_COLOR: '1', COLUMNS: '100' }) });
    const sig = r.stdout.split('\n').find((l) => l.startsWith('product_view:event_count  personalized'));
    const not = r.stdout.split('\n').find((l) => l.startsWith('searches_per_session      personalized'));
    expect(sig).toContain('\x1b[32m+9.2%');
    expect(not).toContain('\x1b[2m');
    expect(not).not.toContain('\x1b[32m');
  });
});

describe('power output', () => {
  it('wraps to the terminal and hints a power the flag accepts', async () => {
    const r = await runCli(['power', '--metric', 'revenue', '--n', '50000', '--variance', '400', '--mean', '20', '--variance-reduction', '0.4'], { cwd: tmpDir(), env: baseEnv({ COLUMNS: '60' }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('50,000 units per arm');
    expect(tooWide(r.stdout, 60)).toEqual([]);
    const bad = await runCli(['power', '--metric', 'revenue', '--n', '50000', '--variance', '400', '--power', '80'], { cwd: tmpDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('e.g. --power 0.8');
  });
});
