/**
 * analyze and interactions show a spinner with the elapsed time and the named step on a TTY (a
 * real pseudo-terminal), and nothing extra in a pipe or with --json. StepProgress renames one
 * running step under one clock.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { StepProgress, type Progress } from '../../src/core/progress.js';
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

describe('StepProgress', () => {
  it('starts once, renames the step keeping the clock, ends with ✓ or ✗', async () => {
    const calls: unknown[][] = [];
    const rec: Progress = { start: (...a) => calls.push(['start', ...a]), update: () => {}, stop: (...a) => calls.push(['stop', ...a]) };
    const s = new StepProgress(rec, 'analyzing x');
    expect(await s.run(async () => {
      s.step('building units');
      s.step('computing moments');
      return 7;
    }, 'analyzed x')).toBe(7);
    expect(calls).toEqual([
      ['start', 'analyzing x', undefined, { keepTime: false }],
      ['start', 'analyzing x: building units', undefined, { keepTime: true }],
      ['start', 'analyzing x: computing moments', undefined, { keepTime: true }],
      ['stop', 'analyzed x', { failed: false }],
    ]);
    calls.length = 0;
    await expect(s.run(async () => Promise.reject(new Error('boom')), 'never')).rejects.toThrow('boom');
    expect(calls.at(-1)).toEqual(['stop', 'analyzing x: failed', { failed: true }]);
  });
});

describe('progress of analyze and interactions', () => {
  it('a TTY shows the spinner, the step and the elapsed time', { timeout: 120_000 }, async () => {
    const t = spawnPty(['analyze', '--experiment', 'garden_gnome_search_ranking', '--segments', 'plan', '--db', db], { cwd, cols: 100, rows: 40 });
    expect(await t.exit).toBe(0);
    const out = t.output();
    expect(out).toMatch(/[\u2800-\u28ff] analyzing garden_gnome_search_ranking/);
    expect(out).toMatch(/✓ analyzed garden_gnome_search_ranking \(\d/);
    const i = spawnPty(['interactions', '--db', db], { cwd, cols: 100, rows: 40 });
    expect(await i.exit).toBe(0);
    expect(i.output()).toMatch(/✓ interactions computed \(\d/);
  });

  it('a pipe and --json get no progress lines', { timeout: 120_000 }, async () => {
    for (const argv of [
      ['analyze', '--experiment', 'garden_gnome_search_ranking', '--segments', 'plan', '--db', db],
      ['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db, '--json'],
      ['interactions', '--db', db],
      ['interactions', '--db', db, '--json'],
    ]) {
      const r = await runCli(argv, { cwd, env: baseEnv() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/analyz|interactions computed|computing moments|building units|\.\.\./);
    }
    // Not CI, but not a terminal either (a pipe): still nothing.
    const r = await runCli(['analyze', '--experiment', 'garden_gnome_search_ranking', '--db', db], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    expect(r.stderr).not.toMatch(/analyz|building units/);
  });
});
