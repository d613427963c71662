/**
 * power through the CLI. Reference: n = ceil(2 (z_{1-a/2} + z_power)^2 sigma^2 (1 - VR) / delta^2),
 * with scipy.stats.norm.ppf(0.975) = 1.959963984540054 and norm.ppf(0.8) = 0.8416212335729143:
 * sigma^2 = 400, mean 20, MDE 5% -> delta 1: 2 * 7.848879734 * 400 = 6279.10 -> 6280; VR 0.5 -> 3140.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');

describe('power', () => {
  it('sample size from a given variance, with and without variance reduction', async () => {
    const r = await runCli(['power', '--metric', 'revenue', '--mde', '0.05', '--variance', '400', '--mean', '20', '--variance-reduction', '0.5', '--json'], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.n_per_arm_unadjusted).toBe(6280);
    expect(j.n_per_arm).toBe(3140);
    expect(j.n_total).toBe(6280);
  });

  it('MDE for a sample size: sqrt(2 * 7.848879734 * 400 / 5000) = 1.12063', async () => {
    const r = await runCli(['power', '--metric', 'y', '--n', '5000', '--variance', '400', '--mean', '20', '--json'], { cwd: tmpDir() });
    expect(r.json().absolute_mde_unadjusted).toBeCloseTo(Math.sqrt((2 * 7.848879734 * 400) / 5000), 6);
    expect(r.json().relative_mde_unadjusted).toBeCloseTo(Math.sqrt((2 * 7.848879734 * 400) / 5000) / 20, 6);
  });

  it('measures variance and the CUPAC reduction from data', async () => {
    const r = await runCli(['power', '--metric', 'revenue', '--mde', '0.02', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--covariates', 'pre_revenue', '--json'], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.measured.method).toBe('cupac');
    expect(j.variance_reduction).toBeGreaterThan(0.5);
    expect(j.n_per_arm).toBeLessThan(j.n_per_arm_unadjusted);
    // n scales with (1 - VR): the two sizes agree with that to rounding.
    expect(Math.abs(j.n_per_arm - j.n_per_arm_unadjusted * (1 - j.variance_reduction))).toBeLessThan(2);
    const human = await runCli(['power', '--metric', 'revenue', '--mde', '0.02', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--covariates', 'pre_revenue'], { cwd: tmpDir() });
    expect(human.stdout).toMatch(/without adjustment: [\d,]+ units per arm/);
    expect(human.stdout).toMatch(/with CUPAC \(variance cut \d+\.\d%\): [\d,]+ units per arm/);
  });

  it('needs exactly one of --mde and --n, and a variance source', async () => {
    const cwd = tmpDir();
    expect((await runCli(['power', '--metric', 'y'], { cwd })).code).toBe(2);
    expect((await runCli(['power', '--metric', 'y', '--mde', '0.1', '--n', '10'], { cwd })).code).toBe(2);
    const nov = await runCli(['power', '--metric', 'y', '--mde', '0.1'], { cwd });
    expect(nov.code).toBe(2);
    expect(nov.stderr).toContain('--variance');
    const rel = await runCli(['power', '--metric', 'y', '--mde', '0.1', '--variance', '4'], { cwd });
    expect(rel.code).toBe(1);
    expect(rel.stderr).toContain('relative MDE needs a non-zero baseline mean');
  });
});
