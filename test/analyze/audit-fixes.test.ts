/**
 * Issue 19 "fix first": wrong numbers and unclear messages an audit found in analyze / power.
 * Reference figures were computed independently with numpy / scipy (snippets quoted per test).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { runCli } from '../support/run-cli.js';
import { mulberry32 as rng } from '../support/rng.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const cwd = tmpDir();
const csv = (name: string, text: string) => writeFile(cwd, name, text);
const run = (args: string[]) => runCli(['analyze', ...args], { cwd });

describe('1: ratio with all-zero denominators', () => {
  it('is refused by count when one arm has only zero denominators (was R = 4e15, p ~ 0)', async () => {
    const r = rng(1);
    const lines = ['unit_id,group,num,den'];
    for (let i = 0; i < 200; i += 1) {
      const c = i % 2 === 1;
      lines.push(`u${i},${c ? 'control' : 'test'},${Math.floor(r() * 4)},${c ? 0 : (0.1 + r() * 3).toFixed(3)}`);
    }
    csv('zden.csv', `${lines.join('\n')}\n`);
    const out = await run(['--data', 'zden.csv', '--ratio', 'num/den', '--json']);
    expect(out.code).toBe(1);
    expect(out.stdout + out.stderr).toContain('every denominator (den) is 0 or NULL in group control');
    expect(out.stdout + out.stderr).not.toContain('unexpected error');
  });
});

const fixtures = new URL('../fixtures/analyze/', import.meta.url).pathname;
const close = (actual: number | null, expected: number, rel: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.max(1e-12, Math.abs(expected)));
};

describe('2: constancy is judged on shifted statistics', () => {
  // test/fixtures/analyze/audit_reference.py: y, x ~ 1e9 + N(0, 1.1), pooled-theta OLS + Welch.
  const REF = { theta: 0.8311008197555886, diff: 0.3340782165701311, se: 0.04786004351211318, p: 1.2393515323063053e-11, vr: 0.7744534831740711 };
  it('a metric with mean 1e9 and sd 1.1 keeps its variance and its covariate', async () => {
    const out = await run(['--data', `${fixtures}bigmean.csv`, '--metric', 'y', '--covariates', 'x', '--json']);
    expect(out.code).toBe(0);
    const d = out.json();
    expect(d.warnings).toEqual([]);
    const r = d.results[0];
    close(r.theta.x, REF.theta, 1e-8);
    close(r.diff, REF.diff, 1e-6); // values near 1e9 carry ~1e-7 absolute rounding
    close(r.diff_se, REF.se, 1e-8);
    close(r.p_value, REF.p, 1e-4);
    close(r.variance_reduction, REF.vr, 1e-8);
  });
});

describe('3: NULL in the group column', () => {
  it('is excluded and counted with a warning, not a variant "null" with an SRM alarm', async () => {
    const lines = ['unit_id,group,y'];
    for (let i = 0; i < 200; i += 1) lines.push(`u${i},${i % 2 ? 'control' : 'test'},${i % 7}`);
    for (let i = 0; i < 30; i += 1) lines.push(`n${i},,${i % 5}`);
    csv('nullgroup.csv', `${lines.join('\n')}\n`);
    const out = await run(['--data', 'nullgroup.csv', '--metric', 'y', '--json']);
    expect(out.code).toBe(0);
    const d = out.json();
    expect(d.variants).toEqual(['test']);
    expect(Object.keys(d.srm.counts).sort()).toEqual(['control', 'test']);
    expect(d.srm.mismatch).toBe(false);
    expect(d.srm.p_value).toBe(1);
    expect(d.warnings.join('\n')).toContain('30 rows with no group (NULL) left out');
    // Means over the 100 + 100 units only: control = odd i, test = even i (numpy: mean(i % 7)).
    expect(d.results[0].n_control).toBe(100);
    expect(d.results[0].control_mean).toBeCloseTo(2.98, 12);
    expect(d.results[0].test_mean).toBeCloseTo(2.96, 12);
  });
});

describe('4: --correction adjusts the CIs too', () => {
  // audit_reference.py: Welch on exp.csv, Holm over 4 comparisons, CI at the Holm step's alpha.
  const REF = [
    { metric: 'revenue', variant: 'test', p: 0.03263032157574186, holm: 0.09789096472722558, ci_alpha: 0.0125, lo: -0.18649650951304286, hi: 2.3902584028790854 },
    { metric: 'revenue', variant: 'test2', p: 0.3736068072051408, holm: 0.42922363755359855, ci_alpha: 0.0125, lo: -1.7450807455193544, hi: 0.8288227712015317 },
    { metric: 'orders', variant: 'test', p: 0.0016087635619006341, holm: 0.0064350542476025365, ci_alpha: 0.0125, lo: 0.032848907785436365, hi: 0.2822008992683196 },
    { metric: 'orders', variant: 'test2', p: 0.21461181877679927, holm: 0.42922363755359855, ci_alpha: 0.0125, lo: -0.0624826411020859, hi: 0.18573888565014285 },
  ];
  const exp = `${fixtures}exp.csv`;
  it('Holm: CIs at the adjusted alpha agree with the adjusted p-values, and the output says so', async () => {
    const out = await run(['--data', exp, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue,orders', '--correction', 'holm', '--json']);
    expect(out.code).toBe(0);
    const d = out.json();
    expect(d.ci_adjustment).toContain('Holm');
    for (const ref of REF) {
      const r = d.results.find((x: any) => x.metric === ref.metric && x.variant === ref.variant);
      close(r.p_value, ref.p, 1e-8);
      close(r.p_value_adjusted, ref.holm, 1e-8);
      expect(r.ci_alpha).toBeCloseTo(ref.ci_alpha, 15);
      close(r.diff_ci[0], ref.lo, 1e-8);
      close(r.diff_ci[1], ref.hi, 1e-8);
      // Consistency: the CI excludes 0 exactly when the adjusted p < alpha.
      expect(r.diff_ci[0] > 0 || r.diff_ci[1] < 0).toBe(r.p_value_adjusted < 0.05);
    }
    const human = await run(['--data', exp, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue,orders', '--correction', 'holm']);
    expect(human.stdout).toContain('CIs: confidence intervals use the Holm');
    expect(human.stdout).toContain('98.8% CI');
  });
  it('BH: one false-coverage alpha for all, consistent with the BH p-values', async () => {
    const d = (await run(['--data', exp, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue,orders', '--correction', 'bh', '--json'])).json();
    const rejected = d.results.filter((r: any) => r.p_value_adjusted < 0.05).length;
    for (const r of d.results) {
      expect(r.ci_alpha).toBeCloseTo((0.05 * Math.max(rejected, 1)) / 4, 15);
      expect(r.diff_ci[0] > 0 || r.diff_ci[1] < 0).toBe(r.p_value_adjusted < 0.05);
    }
  });
});

describe('5: --winsorize with --ratio', () => {
  // audit_reference.py: orders and sessions each capped at their pooled 0.95 quantile (3 and 8), delta method.
  const REF = { control: 0.2402662900948154, diff: 0.02722088939236414, se: 0.008257305991080025 };
  it('caps numerator and denominator at their own quantile (was silently ignored)', async () => {
    const out = await run(['--data', `${fixtures}exp.csv`, '--unit', 'user_id', '--group', 'variant', '--ratio', 'orders/sessions', '--winsorize', '0.95', '--json']);
    expect(out.code).toBe(0);
    const r = out.json().results.find((x: any) => x.variant === 'test');
    close(r.control_mean, REF.control, 1e-10);
    close(r.diff, REF.diff, 1e-9);
    close(r.diff_se, REF.se, 1e-9);
  });
});

describe('6: store-mode CUPED on a ratio metric', () => {
  // ratio_cuped_reference.py: the linearised pre-period ratio as the one covariate (pooled theta), Welch.
  const REF = { theta: 0.5700858148918274, diff: 0.02248654527128427, se: 0.015165800653896881, vr: 0.30139356963465147, vrNumeratorOnly: 0.19167138112950688 };
  it('adjusts on the pre-period numerator and denominator (linearised ratio), not the numerator alone', async () => {
    const units = JSON.parse(fs.readFileSync(`${fixtures}ratio_cuped.json`, 'utf8')) as { id: string; group: string; pre_views: number; pre_buys: number; views: number; buys: number }[];
    const dir = tmpDir();
    const store = await Store.open(path.join(dir, '.statsig-hack/project.duckdb'), { create: true });
    await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
      ('metrics', 'conv', 'ratio', 'active', '{"name":"conv","type":"ratio","metricEvents":[{"name":"purchase"},{"name":"view"}]}'),
      ('experiments', 'exp1', 'experiment', 'active', '{"name":"exp1","groups":[{"name":"control","size":50},{"name":"test","size":50}],"primaryMetrics":[{"name":"conv","type":"ratio"}]}')`);
    await store.run(`INSERT INTO exposures VALUES ${units.map((u) => `('${u.id}', 'exp1', '${u.group}', TIMESTAMP '2026-10-15 00:00:00')`).join(',')}`);
    const ev: string[] = [];
    const times = (k: number, row: string) => Array.from({ length: k }, () => ev.push(row));
    for (const u of units) {
      times(u.pre_views, `('${u.id}', 'view', TIMESTAMP '2026-10-10 10:00:00', NULL)`);
      times(u.pre_buys, `('${u.id}', 'purchase', TIMESTAMP '2026-10-10 11:00:00', NULL)`);
      times(u.views, `('${u.id}', 'view', TIMESTAMP '2026-10-16 10:00:00', NULL)`);
      times(u.buys, `('${u.id}', 'purchase', TIMESTAMP '2026-10-16 11:00:00', NULL)`);
    }
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${ev.join(',')}`);
    store.close();
    const out = await runCli(['analyze', '--experiment', 'exp1', '--method', 'cuped', '--no-save', '--json'], { cwd: dir });
    expect(out.code).toBe(0);
    const r = out.json().results[0];
    expect(r.covariates).toEqual(['pre_conv']);
    close(r.theta.pre_conv, REF.theta, 1e-9);
    close(r.diff, REF.diff, 1e-9);
    close(r.diff_se, REF.se, 1e-9);
    close(r.variance_reduction, REF.vr, 1e-8);
    expect(r.variance_reduction).toBeGreaterThan(REF.vrNumeratorOnly + 0.05);
  });
});

describe('7: power and analyze measure the same variance cut', () => {
  // power_cut_reference.py: CUPAC on revenue with pre-period revenue and pre-period orders (the
  // experiment's listed metrics), pooled theta; own pre-period only would give 0.2446.
  const REF = { vr: 0.2509095108229705, vrOwnPreOnly: 0.2445943900501557, theta: [0.46586187185587535, 2.854474611086511] };
  it('power --metric revenue and analyze (all metrics) report one CUPAC variance reduction', async () => {
    const units = JSON.parse(fs.readFileSync(`${fixtures}power_cut.json`, 'utf8')) as { id: string; group: string; pre: number[]; post: number[] }[];
    const dir = tmpDir();
    const store = await Store.open(path.join(dir, '.statsig-hack/project.duckdb'), { create: true });
    await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
      ('metrics', 'revenue', 'sum', 'active', '{"name":"revenue","type":"sum","metricEvents":[{"name":"purchase","type":"value"}]}'),
      ('metrics', 'orders', 'event_count_custom', 'active', '{"name":"orders","type":"event_count_custom","metricEvents":[{"name":"purchase"}]}'),
      ('experiments', 'exp1', 'experiment', 'active', '{"name":"exp1","groups":[{"name":"control","size":50},{"name":"test","size":50}],"primaryMetrics":[{"name":"revenue","type":"sum"},{"name":"orders","type":"event_count_custom"}]}')`);
    await store.run(`INSERT INTO exposures VALUES ${units.map((u) => `('${u.id}', 'exp1', '${u.group}', TIMESTAMP '2026-10-15 00:00:00')`).join(',')}`);
    const ev = units.flatMap((u) => [
      ...u.pre.map((v) => `('${u.id}', 'purchase', TIMESTAMP '2026-10-10 10:00:00', ${v})`),
      ...u.post.map((v) => `('${u.id}', 'purchase', TIMESTAMP '2026-10-16 10:00:00', ${v})`),
    ]);
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${ev.join(',')}`);
    store.close();
    const power = await runCli(['power', '--experiment', 'exp1', '--metric', 'revenue', '--n', '1000', '--json'], { cwd: dir });
    expect(power.code).toBe(0);
    const analyzed = await runCli(['analyze', '--experiment', 'exp1', '--no-save', '--json'], { cwd: dir });
    expect(analyzed.code).toBe(0);
    const r = analyzed.json().results.find((x: any) => x.metric === 'revenue');
    close(r.variance_reduction, REF.vr, 1e-8);
    close(r.theta.pre_revenue, REF.theta[0] as number, 1e-8);
    close(r.theta.pre_orders, REF.theta[1] as number, 1e-8);
    close(power.json().variance_reduction, REF.vr, 1e-8);
  });
});

describe('8: bad inputs each get their own clear one-line message', () => {
  const base = () => {
    const lines = ['unit_id,group,y,x'];
    for (let i = 0; i < 40; i += 1) lines.push(`u${i},${i % 2 ? 'control' : 'test'},${i % 5},${i % 3}`);
    return lines;
  };
  const expectError = async (args: string[], message: string, code = 1) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/sums must be finite|duplicate column names|column0|unexpected error|\n\s+at /);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
  };
  it('NaN / inf literals and values whose squares overflow', async () => {
    const nan = base();
    nan[5] = 'u4,test,NaN,1';
    nan[6] = 'u5,control,inf,1';
    csv('nan.csv', `${nan.join('\n')}\n`);
    await expectError(['--data', 'nan.csv', '--metric', 'y'], 'column y of nan.csv has NaN or Infinity in 2 rows');
    const huge = base();
    huge[5] = 'u4,test,1e300,1';
    csv('huge.csv', `${huge.join('\n')}\n`);
    await expectError(['--data', 'huge.csv', '--metric', 'y'], 'column y of huge.csv has values beyond 1e150 in 1 row: their squares overflow');
  });
  it('the metric as its own covariate', async () => {
    csv('base.csv', `${base().join('\n')}\n`);
    await expectError(['--data', 'base.csv', '--metric', 'y', '--covariates', 'y'], 'covariate y is also a metric', 2);
  });
  it('an empty file and a header-only file', async () => {
    csv('empty.csv', '');
    await expectError(['--data', 'empty.csv', '--metric', 'y'], 'empty.csv is empty');
    csv('header.csv', 'unit_id,group,y,x\n');
    await expectError(['--data', 'header.csv', '--metric', 'y'], 'header.csv has a header but no rows');
  });
  it('one bad string in a numeric covariate is named, not silently made categorical and dropped', async () => {
    const bad = base();
    bad[7] = 'u6,test,1,abc';
    csv('badcov.csv', `${bad.join('\n')}\n`);
    await expectError(['--data', 'badcov.csv', '--metric', 'y', '--covariates', 'x'], 'covariate x of badcov.csv is numeric except for 1 value that is not a number (e.g. "abc")');
  });
});

describe('9: --nulls help, df and rel_se in the JSON, --dedupe', () => {
  it('--nulls help states the real default (zero), which file mode applies', async () => {
    const help = await runCli(['analyze', '--help'], { cwd });
    expect(help.stdout).toContain('zero (default');
    expect(help.stdout).not.toContain('drop for means');
    expect(help.stdout).toContain('--dedupe');
  });
  it('the JSON carries the Welch df and rel_se (scipy: ttest_ind(equal_var=False).df; delta method)', async () => {
    // audit_reference.py, item 9: revenue, test vs control of exp.csv, no covariates.
    const d = (await run(['--data', `${fixtures}exp.csv`, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--json'])).json();
    const r = d.results.find((x: any) => x.variant === 'test');
    close(r.df, 1998.2512433455922, 1e-10);
    close(r.rel_se, 0.03209060858260013, 1e-10);
  });
  it('duplicate units and units in several arms: counted by default, --dedupe first | exclude', async () => {
    const lines = ['unit_id,group,y'];
    for (let i = 0; i < 40; i += 1) lines.push(`u${i},${i % 2 ? 'control' : 'test'},${i % 5}`);
    lines.push('u1,control,9', 'u2,control,7', 'u4,test,8'); // u1, u4 repeated in their arm; u2 in two arms
    csv('dups.csv', `${lines.join('\n')}\n`);
    const warn = (await run(['--data', 'dups.csv', '--metric', 'y', '--json'])).json();
    expect(warn.warnings.join('\n')).toContain('3 duplicate unit rows (3 units with several rows, 1 of them in several groups)');
    // numpy on the same rows: first occurrence per unit; or only units with a single row.
    const first = (await run(['--data', 'dups.csv', '--metric', 'y', '--dedupe', 'first', '--json'])).json();
    expect(first.srm.counts).toEqual({ control: 20, test: 20 });
    expect(first.results[0].control_mean).toBeCloseTo(2.0, 12);
    expect(first.results[0].test_mean).toBeCloseTo(2.0, 12);
    expect(first.warnings.join('\n')).toContain('3 units with several rows (1 in several groups): kept each one\'s first row, 3 rows dropped (--dedupe first)');
    const excl = (await run(['--data', 'dups.csv', '--metric', 'y', '--dedupe', 'exclude', '--json'])).json();
    expect(excl.srm.counts).toEqual({ control: 19, test: 18 });
    expect(excl.results[0].control_mean).toBeCloseTo(2.0526315789473686, 12);
    expect(excl.results[0].test_mean).toBeCloseTo(1.8888888888888888, 12);
  });
});
