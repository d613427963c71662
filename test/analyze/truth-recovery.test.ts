/**
 * seed --offline plants known effects; analyze --experiment must recover them: across 20 seeds the
 * true effect lies inside the 95% CI in at least 90% of (experiment, metric, variant) pairs, and
 * CUPAC's CI is narrower than the unadjusted one where the metric has pre-period signal.
 *
 * Load: the 20 seeds (about 360 pairs, the test's statistical power) go through one store that each
 * seed replaces (`--force`), so the run writes one file instead of twenty; it takes about 25 s on an
 * idle 2-core machine, and the timeout leaves 20x that for a machine busy with the rest of the suite.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

describe('truth recovery on seeded projects', () => {
  it('covers the planted effects at the nominal rate over 20 seeds', { timeout: 600_000 }, async () => {
    const cwd = tmpDir();
    let pairs = 0;
    let covered = 0;
    let narrower = 0;
    let adjustedPairs = 0;
    const db = path.join(cwd, 'truth.duckdb');
    for (let seed = 1; seed <= 20; seed += 1) {
      const s = await runCli(['seed', 'an online shop for garden gnomes', '--offline', '--users', '3000', '--seed', String(seed), '--db', db, '--force', '--json'], { cwd });
      expect(s.code, s.stderr).toBe(0);
      expect(s.json().seed).toBe(seed);
      const truth = (await runCli(['query', "SELECT experiment, metric, group_name, abs_effect FROM true_effects WHERE segment = 'all'", '--db', db, '--json'], { cwd })).json().rows as {
        experiment: string;
        metric: string;
        group_name: string;
        abs_effect: number;
      }[];
      const experiments = [...new Set(truth.map((t) => t.experiment))];
      for (const exp of experiments) {
        const r = await runCli(['analyze', '--experiment', exp, '--db', db, '--json'], { cwd });
        expect(r.code, r.stderr).toBe(0);
        for (const row of r.json().results) {
          const t = truth.find((x) => x.experiment === exp && x.metric === row.metric && x.group_name === row.variant);
          if (!t) continue;
          pairs += 1;
          if (row.diff_ci[0] <= t.abs_effect && t.abs_effect <= row.diff_ci[1]) covered += 1;
          if (row.variance_reduction > 0.05) {
            adjustedPairs += 1;
            if (row.diff_ci[1] - row.diff_ci[0] < row.unadjusted.diff_ci[1] - row.unadjusted.diff_ci[0]) narrower += 1;
          }
        }
      }
    }
    console.log(`truth recovery: ${covered}/${pairs} planted effects inside the 95% CI; CUPAC narrower in ${narrower}/${adjustedPairs}`);
    expect(pairs).toBeGreaterThanOrEqual(20 * 4);
    expect(covered / pairs).toBeGreaterThanOrEqual(0.9);
    expect(adjustedPairs).toBeGreaterThan(0);
    expect(narrower).toBe(adjustedPairs);
  });
});
