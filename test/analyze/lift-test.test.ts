/**
 * The lift CI and the p beside it: the CI inverts the relative lift's own (delta-method) test while
 * p is the difference test's, and near the margin they disagree. The relative test's p is reported
 * (rel_p_value) and the human and markdown outputs say when the two disagree.
 *
 * Expected values from scipy 1.17 (independent of our code):
 *   c = [-12, 32] * 100; t = [5, 9] * 100
 *   stats.ttest_ind(t, c, equal_var=False).pvalue            -> 0.05680750661106505 (df 202.289...)
 *   rel = (mean t - mean c) / |mean c|; se = sqrt(var_t/n/mc^2 + (mt/mc)^2 var_c/n/mc^2)
 *   2 * stats.t.sf(|rel / se|, df)                             -> 0.006989850475091846
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

function writeData(dir: string): string {
  const rows = ['user_id,variant,revenue'];
  for (let i = 0; i < 200; i++) rows.push(`c${i},control,${i % 2 === 0 ? -12 : 32}`);
  for (let i = 0; i < 200; i++) rows.push(`t${i},test,${i % 2 === 0 ? 5 : 9}`);
  const file = path.join(dir, 'margin.csv');
  fs.writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

const args = (file: string) => ['analyze', '--data', file, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue'];

describe('lift CI versus the difference test', () => {
  it('reports the relative test p (scipy) beside the difference test p, and says they disagree', async () => {
    const dir = tmpDir();
    const file = writeData(dir);
    const json = await runCli([...args(file), '--json'], { cwd: dir });
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout).results[0];
    expect(r.p_value).toBeCloseTo(0.05680750661106505, 12);
    expect(r.rel_p_value).toBeCloseTo(0.006989850475091846, 12);
    expect(r.significant).toBe(false);
    expect(r.rel_ci[1]).toBeLessThan(0);
    const human = await runCli(args(file), { cwd: dir, env: { COLUMNS: '200' } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/revenue: -30(\.0)?% .*p=0\.0568.*the lift CI excludes 0 \(lift test p=0\.0070\) but the difference test is not significant/);
    const md = await runCli([...args(file), '--format', 'markdown'], { cwd: dir });
    expect(md.stdout).toMatch(/> revenue: the lift CI excludes 0 .* significance follows the difference test\./);
  });

  it('says nothing when both tests agree', async () => {
    const dir = tmpDir();
    const rows = ['user_id,variant,revenue'];
    for (let i = 0; i < 200; i++) rows.push(`c${i},control,${i % 2 === 0 ? 8 : 12}`, `t${i},test,${i % 2 === 0 ? 9 : 13}`);
    fs.writeFileSync(path.join(dir, 'agree.csv'), rows.join('\n') + '\n');
    const human = await runCli(args(path.join(dir, 'agree.csv')), { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).not.toMatch(/lift test p=/);
  });
});

describe('the other way round, and under a correction', () => {
  // scipy 1.17 (independent of our code), n = 200 per arm:
  //   metric a: c = [-9, 29] * 100, t = [12, 14] * 100
  //     stats.ttest_ind(t, c, equal_var=False).pvalue      -> 0.027245783594839302 (df 200.102...)
  //     rel = 0.3, se = sqrt(var_t/n/mc^2 + (mt/mc)^2 var_c/n/mc^2) = 0.17523709710276825
  //     2 * stats.t.sf(rel / se, df)                         -> 0.0884521554923194
  //   metric b: the margin data above (p 0.05680750661106505, lift test p 0.006989850475091846)
  //   Holm over the two: p (a) 2 * 0.027245... = 0.054491567189678604, (b) 0.05680750661106505;
  //   lift test p (b) 2 * 0.006989... = 0.013979700950183692, (a) max(0.08845..., 0.01398...) = 0.0884521554923194
  function writeBoth(dir: string): string {
    const rows = ['user_id,variant,a,b'];
    for (let i = 0; i < 200; i++) rows.push(`c${i},control,${i % 2 === 0 ? -9 : 29},${i % 2 === 0 ? -12 : 32}`);
    for (let i = 0; i < 200; i++) rows.push(`t${i},test,${i % 2 === 0 ? 12 : 14},${i % 2 === 0 ? 5 : 9}`);
    const file = path.join(dir, 'both.csv');
    fs.writeFileSync(file, rows.join('\n') + '\n');
    return file;
  }
  const both = (file: string) => ['analyze', '--data', file, '--unit', 'user_id', '--group', 'variant', '--metric', 'a,b'];

  it('a significant difference whose lift CI includes 0 says so; the lift test p is adjusted with the correction', async () => {
    const dir = tmpDir();
    const file = writeBoth(dir);
    const plain = await runCli([...both(file), '--json'], { cwd: dir });
    const [a, b] = JSON.parse(plain.stdout).results;
    expect(a.p_value).toBeCloseTo(0.027245783594839302, 12);
    expect(a.rel_p_value).toBeCloseTo(0.0884521554923194, 12);
    expect(a.significant).toBe(true);
    expect(a.rel_ci[0]).toBeLessThan(0);
    expect(b.rel_p_value).toBeCloseTo(0.006989850475091846, 12);
    const human = await runCli(both(file), { cwd: dir, env: { COLUMNS: '200' } });
    expect(human.stdout).toMatch(/a: \+30(\.0)?% .*the lift CI includes 0 \(lift test p=0\.088\d*\) although the difference test is significant/);
    const holm = await runCli([...both(file), '--correction', 'holm', '--json'], { cwd: dir });
    const [ha, hb] = JSON.parse(holm.stdout).results;
    expect(ha.p_value_adjusted).toBeCloseTo(0.054491567189678604, 12);
    expect(hb.p_value_adjusted).toBeCloseTo(0.05680750661106505, 12);
    expect(ha.rel_p_value_adjusted).toBeCloseTo(0.0884521554923194, 12);
    expect(hb.rel_p_value_adjusted).toBeCloseTo(0.013979700950183692, 12);
    expect(ha.rel_p_value).toBeCloseTo(0.0884521554923194, 12); // the raw one stays
  });
});

describe('the header names the method applied', () => {
  it('says no adjustment when CUPAC found no usable covariate, and counts partial adjustment', async () => {
    const { methodApplied } = await import('../../src/ui/analyze.js');
    const r = (method: string) => ({ method }) as never;
    const res = (method: string, methods: string[]) => ({ method, results: methods.map(r) }) as never;
    expect(methodApplied(res('cupac', ['none', 'none']))).toBe('no adjustment (CUPAC found no usable covariate)');
    expect(methodApplied(res('cupac', ['cupac', 'none']))).toBe('CUPAC on 1 of 2 comparisons (the rest unadjusted)');
    expect(methodApplied(res('cuped', ['cuped']))).toBe('CUPED');
    expect(methodApplied(res('none', ['none']))).toBe('no adjustment');
  });
});
