/**
 * power and analyze take the same --tails words: power accepts greater | less as one-sided (the
 * same sample size as its old "one"); analyze refuses "one" with a hint to name the direction.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalQuantile } from '../../src/stats/distributions.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const power = ['power', '--metric', 'revenue', '--mde', '0.5', '--absolute', '--variance', '400', '--json'];

describe('--tails vocabulary', () => {
  it('power: greater and less are one-sided, the same n as "one"; two stays two-sided', async () => {
    const n = async (tails: string): Promise<number> => {
      const r = await runCli([...power, '--tails', tails], { cwd: tmpDir() });
      expect(r.code, r.stderr).toBe(0);
      return r.json<{ n_per_arm: number }>().n_per_arm;
    };
    // One-sided, alpha 0.05, power 0.8: n = 2 * 400 * (z_0.95 + z_0.8)^2 / 0.5^2, rounded up.
    const oneSided = Math.ceil((2 * 400 * (normalQuantile(0.95) + normalQuantile(0.8)) ** 2) / 0.25);
    expect(await n('greater')).toBe(oneSided);
    expect(await n('less')).toBe(oneSided);
    expect(await n('one')).toBe(oneSided);
    expect(await n('two')).toBe(Math.ceil((2 * 400 * (normalQuantile(0.975) + normalQuantile(0.8)) ** 2) / 0.25));
    const human = await runCli(power.filter((a) => a !== '--json').concat('--tails', 'greater'), { cwd: tmpDir() });
    expect(human.stdout).toContain('(one-sided)');
  });

  it('analyze --tails one: a usage error that says to pick greater or less', async () => {
    const fixture = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');
    const r = await runCli(['analyze', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--tails', 'one'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean "greater" or "less"\?/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
