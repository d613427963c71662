/**
 * analyze --bayesian and --sequential through the CLI on test/fixtures/analyze/exp.csv: the JSON
 * read-outs follow gbstats' formulas (re-derived here from each result's own rel_lift / rel_se /
 * diff_se, so the wiring is checked, not the library against itself), the human output shows the
 * peeking-safe interval next to the fixed-horizon one, and bad settings are one clear line.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../src/stats/distributions.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');
const base = ['analyze', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--covariates', 'pre_revenue,tenure_days,country'];
const close = (a: number | null, e: number, tol = 1e-9): void => {
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - e), `${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
};

describe('analyze --bayesian', () => {
  it('posterior on the CUPAC-adjusted relative lift with the N(0, 0.3^2) prior', async () => {
    const r = await runCli([...base, '--bayesian', '--json'], { cwd: tmpDir() });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.bayesian.prior).toEqual({ mean: 0, variance: 0.09, proper: true });
    for (const m of out.results) {
      const prec = 1 / m.rel_se ** 2 + 1 / 0.09;
      const mu = m.rel_lift / m.rel_se ** 2 / prec;
      const sd = Math.sqrt(1 / prec);
      close(m.bayesian.expected, mu, 1e-12);
      close(m.bayesian.chance_to_win, normalCdf(mu / sd), 1e-12);
      close(m.bayesian.ci[1], mu + sd * normalQuantile(0.975), 1e-12);
      // risk of shipping = E[max(-lift, 0)]; of keeping control = E[max(lift, 0)]; their difference is the mean
      close(m.bayesian.risk.control - m.bayesian.risk.variant, mu, 1e-12);
    }
    const test = out.results.find((m: { variant: string }) => m.variant === 'test');
    expect(test.bayesian.chance_to_win).toBeGreaterThan(0.999);
  });

  it('a flat prior gives back the frequentist lift; the human output has the read-out', async () => {
    const r = await runCli([...base, '--bayesian', '--prior-sd', 'flat'], { cwd: tmpDir() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Bayesian \(Gaussian model on the relative lift, prior flat\):/);
    expect(r.stdout).toMatch(/revenue: chance to beat control 100\.0%/);
    expect(r.stdout).toMatch(/revenue \(test2\): chance to beat control \d+\.\d%/);
    const j = (await runCli([...base, '--bayesian', '--prior-sd', 'flat', '--json'], { cwd: tmpDir() })).json();
    for (const m of j.results) close(m.bayesian.expected, m.rel_lift, 1e-14);
  });

  it('a bad prior is one line with the fix', async () => {
    const r = await runCli([...base, '--bayesian', '--prior-sd', '-1'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--prior-sd/);
    expect(r.stderr).not.toMatch(/at .*\.ts/);
  });
});

describe('analyze --sequential', () => {
  it('the confidence sequence on the adjusted estimate (gbstats eq. 9 / 155) sits next to the fixed-horizon CI', async () => {
    const r = await runCli([...base, '--sequential', '--sequential-tuning', '3000', '--json'], { cwd: tmpDir() });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.sequential).toEqual({ tuning: 3000 });
    for (const m of out.results) {
      const n = m.n_control + m.n_test;
      expect(m.sequential.n).toBe(n);
      const rho2 = (-2 * Math.log(0.05) + Math.log(-2 * Math.log(0.05) + 1)) / 3000;
      const half = (se: number): number => Math.sqrt(se * se * n) * Math.sqrt((2 * (n * rho2 + 1) * Math.log(Math.sqrt(n * rho2 + 1) / 0.05)) / (n * n * rho2));
      close(m.sequential.diff_ci[0], m.diff - half(m.diff_se), 1e-12);
      close(m.sequential.rel_ci[1], m.rel_lift + half(m.rel_se), 1e-12);
      const e = Math.exp((rho2 * n * n * m.diff ** 2) / (2 * m.diff_se ** 2 * n * (n * rho2 + 1))) / Math.sqrt(n * rho2 + 1);
      close(m.sequential.p_value, Math.min(1, 1 / e), 1e-9);
      // wider than the fixed-horizon interval, which is what peeking costs
      expect(m.sequential.diff_ci[1] - m.sequential.diff_ci[0]).toBeGreaterThan(m.diff_ci[1] - m.diff_ci[0]);
    }
    const test = out.results.find((m: { variant: string }) => m.variant === 'test');
    expect(test.sequential.significant).toBe(true);
  });

  it('with --correction holm the always-valid p-values are adjusted and the intervals agree with them', async () => {
    const out = (await runCli([...base, '--sequential', '--correction', 'holm', '--json'], { cwd: tmpDir() })).json();
    const ps = out.results.map((m: { sequential: { p_value: number } }) => m.sequential.p_value);
    const min = Math.min(...ps);
    const first = out.results.find((m: { sequential: { p_value: number } }) => m.sequential.p_value === min);
    close(first.sequential.p_value_adjusted, Math.min(1, 2 * min), 1e-12);
    for (const m of out.results) expect(m.sequential.diff_ci[0] > 0 || m.sequential.diff_ci[1] < 0).toBe(m.sequential.significant);
  });

  it('one-sided (--tails greater): a one-sided sequence and its closed-form p-value', async () => {
    const out = (await runCli([...base, '--sequential', '--tails', 'greater', '--json'], { cwd: tmpDir() })).json();
    for (const m of out.results) {
      expect(m.sequential.diff_ci[1]).toBeNull();
      const n = m.n_control + m.n_test;
      const rho2 = (-2 * Math.log(0.1) + Math.log(-2 * Math.log(0.1) + 1)) / 5000;
      const k = (rho2 * n * n * m.diff ** 2) / (2 * m.diff_se ** 2 * n * (n * rho2 + 1));
      const p = m.diff > 0 ? Math.min(1, Math.sqrt(n * rho2 + 1) / (2 * Math.expm1(k))) : 1;
      close(m.sequential.p_value, p, 1e-12);
      expect(m.sequential.diff_ci[0] > 0).toBe(m.sequential.significant);
    }
  });

  it('human output: the peeking-safe CI next to the fixed-horizon one', async () => {
    const r = await runCli([...base, '--sequential'], { cwd: tmpDir() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Peeking-safe \(always-valid confidence sequences, tuned for 5,000 units\):/);
    expect(r.stdout).toMatch(/revenue: 95% CI [-+]\d+\.\d%\.\.[-+]\d+\.\d% \(fixed-horizon [-+]\d+\.\d%\.\.[-+]\d+\.\d%\), always-valid p=/);
  });

  it('one-sided human output: the open end is "+inf" in the summary, the table and the peeking-safe line (never n/a)', async () => {
    const r = await runCli([...base, '--sequential', '--tails', 'greater', '--wide'], { cwd: tmpDir() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/revenue: [-+]\d+\.\d% \(95% CI [-+]\d+\.\d%\.\.\+inf\)/);
    expect(r.stdout).toMatch(/revenue: 95% CI [-+]\d+\.\d%\.\.\+inf \(fixed-horizon [-+]\d+\.\d%\.\.\+inf\)/);
    expect(r.stdout).toMatch(/ [-+]\d+\.\d%\.\.\+inf /);
    expect(r.stdout).not.toMatch(/\.\.n\/a|n\/a\.\./);
    const less = await runCli([...base, '--tails', 'less'], { cwd: tmpDir() });
    expect(less.stdout).toMatch(/95% CI -inf\.\.[-+]\d+\.\d%\)/);
  });

  it('a bad tuning parameter is a usage error', async () => {
    const r = await runCli([...base, '--sequential', '--sequential-tuning', '0'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sequential-tuning/);
  });
});
