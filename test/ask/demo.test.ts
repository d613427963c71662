import { describe, expect, it } from 'vitest';
import { DEMO_QUESTION } from '../../src/demo/run.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

describe('demo ends with ask and search', () => {
  it('answers one question from the scorecards it saved and runs one search', async () => {
    const dir = tmpDir('sh-ask-demo-');
    const r = await runCli(['demo', '--users', '400', '--json'], { cwd: dir, env: baseEnv() });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.ask.question).toBe(DEMO_QUESTION);
    expect(j.ask.experiments.length).toBeGreaterThan(0);
    expect(j.ask.experiments[0].results[0].metric).toBe('revenue');
    expect(j.search.results[0]).toMatchObject({ name: 'garden_gnome_one_page_checkout', path: '/experiments/garden_gnome_one_page_checkout' });
    // The scorecards the demo saved are what ask reads afterwards.
    const again = await runCli(['ask', DEMO_QUESTION, '--db', '.statsig-hack/demo.duckdb', '--json'], { cwd: dir, env: baseEnv() });
    expect(again.json().experiments.map((e: { name: string }) => e.name)).toEqual(j.ask.experiments.map((e: { name: string }) => e.name));
    const human = await runCli(['demo', '--users', '400'], { cwd: dir, env: { ...baseEnv(), COLUMNS: '70' } });
    expect(human.stdout).toContain(`Ask the project:\n  statsig-hack ask '${DEMO_QUESTION}' \\\n      --db .statsig-hack/demo.duckdb\n`);
    expect(human.stdout).toContain('Search:\n  statsig-hack search checkout');
    // Commands break only before a flag, with a backslash, so they paste (never between --db and its path).
    expect(human.stdout).not.toMatch(/--db\n/);
  }, 120_000);
});
