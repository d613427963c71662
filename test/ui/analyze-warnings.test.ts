/**
 * analyze's warnings speak the user's names, and drops the tool caused itself (a covariate that
 * is redundant by construction) are notes, not warnings. Regression: the demo's suggested
 * `analyze --experiment … --db …` printed eight warnings about `m2_num_pre` and `m2_den_pre`.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engines/analyze.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, tmpStore, writeFile } from '../support/tmp.js';

const INTERNAL = /\bm\d+_(?:v|num|den)_(?:pre|post)\b/;

describe('analyze warnings', () => {
  it("the demo's suggested analyze prints no warning and no internal name", { timeout: 120_000 }, async () => {
    const cwd = tmpDir();
    const demo = await runCli(['demo', '--users', '2000'], { cwd });
    expect(demo.code).toBe(0);
    const suggested = /statsig-hack (analyze --experiment \S+ --db \S+)/.exec(demo.stdout);
    expect(suggested).not.toBeNull();
    const argv = (suggested?.[1] ?? '').split(' ');
    const human = await runCli(argv, { cwd });
    expect(human.code).toBe(0);
    expect(human.stdout + human.stderr).not.toMatch(INTERNAL);
    expect(human.stdout.split('\n').filter((l) => l.startsWith('!'))).toEqual([]);
    const json = (await runCli([...argv, '--json'], { cwd })).json();
    expect(json.warnings).toEqual([]);
    expect(JSON.stringify(json)).not.toMatch(INTERNAL);
    // Every experiment of the demo, with CUPAC's default covariates and with CUPED.
    const db = path.join(cwd, '.statsig-hack', 'demo.duckdb');
    const experiments = (await runCli(['query', "SELECT name FROM entities WHERE kind = 'experiments'", '--db', db, '--json'], { cwd })).json().rows as { name: string }[];
    expect(experiments.length).toBeGreaterThanOrEqual(3);
    for (const d of experiments) {
      for (const method of ['cupac', 'cuped']) {
        const r = (await runCli(['analyze', '--experiment', d.name, '--db', db, '--method', method, '--json'], { cwd })).json();
        expect(JSON.stringify(r.warnings)).not.toMatch(INTERNAL);
        expect(r.warnings.filter((w: string) => /left out/.test(w))).toEqual([]);
      }
    }
  });

  it('a covariate the tool chose that adds nothing is a note (in --json, and under --debug), once, not per metric', async () => {
    const { store } = await tmpStore();
    await store.run(`CREATE TABLE t AS SELECT i AS unit_id, CASE WHEN i % 2 = 0 THEN 'control' ELSE 'test' END AS "group",
      (i * 7919) % 101 AS pre_a, 2 * ((i * 7919) % 101) + 1 AS pre_a_twice, ((i * 7919) % 101) + (i * 31) % 17 AS y, (i * 13) % 11 AS z FROM range(400) r(i)`);
    const base = {
      relation: 't', source: 't', experiment: null, unit: 'unit_id', group: 'group',
      metrics: [{ name: 'y', kind: 'value' as const, column: 'y' }, { name: 'z', kind: 'value' as const, column: 'z' }],
      covariates: ['pre_a', 'pre_a_twice'], alpha: 0.05, tails: 'two' as const, correction: 'none' as const, defaultNulls: 'zero' as const,
    };
    const auto = await analyze(store, { ...base, expectedDrops: true });
    expect(auto.warnings).toEqual([]);
    expect(auto.notes).toEqual(['covariate pre_a_twice left out: it is a linear combination of the covariates before it, so it adds nothing (every metric)']);
    // Named by the user: still said, as one warning in the user's words.
    const named = await analyze(store, base);
    expect(named.warnings).toEqual(['covariate pre_a_twice left out: it is a linear combination of the covariates before it, so it adds nothing (every metric)']);
    store.close();
  });

  it('a covariate the user named that adds nothing: one warning in their words, not one per metric and variant', async () => {
    const cwd = tmpDir();
    const lines = ['unit_id,group,y,x,x2'];
    for (let i = 0; i < 60; i += 1) lines.push(`u${i},${i % 2 ? 'test' : 'control'},${(i * 7) % 13},${i % 5},${2 * (i % 5) + 1}`);
    writeFile(cwd, 'd.csv', `${lines.join('\n')}\n`);
    const plain = await runCli(['analyze', '--data', 'd.csv', '--metric', 'y', '--covariates', 'x,x2'], { cwd });
    expect(plain.stdout).toContain('! covariate x2 left out: it is a linear combination of the covariates before it');
    expect(plain.stdout.split('\n').filter((l) => l.includes('left out'))).toEqual(['! covariate x2 left out: it is a linear combination of the covariates before it, so it adds nothing (every metric)']);
  });
});
