/**
 * analyze through the CLI on test/fixtures/analyze/exp.csv (3000 units, 3 arms). Reference values
 * come from test/fixtures/analyze/reference.py (numpy / scipy: pooled-theta OLS, Welch with
 * Satterthwaite df, hand delta method for the ratio, scipy.stats.chisquare for SRM).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');
const REF = {
  test: {
    theta: { pre_revenue: 0.7003617039331329, tenure_days: 0.009996341674339366, 'country=BR': -2.1211006242643236, 'country=DE': -2.5282042635917685, 'country=IN': -1.9783348078858711, 'country=JP': -1.0656202325872894, 'country=FR': -0.7084931573963229 },
    adjusted: { diff: 1.1289362064816153, se: 0.26529846701331666, p: 2.1837244861797425e-5, lo: 0.6086458420219077, hi: 1.6492265709413227 },
    raw: { diff: 1.1018809466830213, se: 0.5153572993788496, p: 0.03263032157574186, lo: 0.09118701767168291, hi: 2.1125748756943596 },
    variance_reduction: 0.7349958850462783,
    control_mean_raw: 16.625962487660416,
    ratio: { diff: 0.02897096271766289, se: 0.008914236110632311, control: 0.24546360917248253 },
  },
  test2: {
    adjusted: { diff: -0.12807807906197155, se: 0.2716449296087816, p: 0.6373415423338091, lo: -0.6608135689498207, hi: 0.4046574108258776 },
    raw: { diff: -0.45812898715891137, se: 0.5147884226265693, p: 0.3736068072051408 },
    variance_reduction: 0.7215509992238296,
    ratio: { diff: 0.008577500386487774, se: 0.008840441761262932 },
  },
  srm: { counts: [1013, 990, 997], chi2: 0.278, p: 0.8702280284582515 },
};

const close = (actual: number | null, expected: number, rel = 1e-9) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
};

async function analyzeJson(args: string[], cwd = tmpDir()) {
  const r = await runCli(['analyze', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--json', ...args], { cwd });
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.json();
}

describe('analyze --data (file mode) against numpy/scipy', () => {
  it('CUPAC with numeric and categorical covariates matches pooled-theta OLS and Welch', async () => {
    const out = await analyzeJson(['--metric', 'revenue', '--covariates', 'pre_revenue,tenure_days,country']);
    expect(out.control).toBe('control');
    expect(out.method).toBe('cupac');
    const t = out.results.find((r: any) => r.variant === 'test');
    for (const [k, v] of Object.entries(REF.test.theta)) close(t.theta[k], v, 1e-8);
    close(t.diff, REF.test.adjusted.diff);
    close(t.diff_se, REF.test.adjusted.se);
    close(t.p_value, REF.test.adjusted.p, 1e-7);
    close(t.diff_ci[0], REF.test.adjusted.lo, 1e-8);
    close(t.diff_ci[1], REF.test.adjusted.hi, 1e-8);
    close(t.unadjusted.diff, REF.test.raw.diff);
    close(t.unadjusted.diff_se, REF.test.raw.se);
    close(t.unadjusted.p_value, REF.test.raw.p, 1e-8);
    close(t.variance_reduction, REF.test.variance_reduction, 1e-8);
    close(t.equivalent_sample_saved, 1 / (1 - REF.test.variance_reduction) - 1, 1e-7);
    close(t.rel_lift, REF.test.adjusted.diff / REF.test.control_mean_raw);
    const t2 = out.results.find((r: any) => r.variant === 'test2');
    close(t2.diff, REF.test2.adjusted.diff);
    close(t2.diff_se, REF.test2.adjusted.se);
    close(t2.p_value, REF.test2.adjusted.p, 1e-8);
    close(t2.unadjusted.p_value, REF.test2.raw.p, 1e-8);
    close(t2.variance_reduction, REF.test2.variance_reduction, 1e-8);
    expect(Object.values(t.covariate_shares as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('SRM is the chi-square test against an equal split', async () => {
    const out = await analyzeJson(['--metric', 'revenue']);
    expect(out.srm.counts).toEqual({ control: 1013, test: 990, test2: 997 });
    close(out.srm.chi2, REF.srm.chi2, 1e-9);
    close(out.srm.p_value, REF.srm.p, 1e-9);
    expect(out.srm.mismatch).toBe(false);
    const skewed = await analyzeJson(['--metric', 'revenue', '--weights', 'control=80,test=10,test2=10']);
    expect(skewed.srm.mismatch).toBe(true);
    expect(skewed.warnings.join('\n')).toContain('sample ratio mismatch');
  });

  it('with no covariates the method is none and equals Welch on the raw metric', async () => {
    const out = await analyzeJson(['--metric', 'revenue']);
    const t = out.results.find((r: any) => r.variant === 'test');
    expect(t.method).toBe('none');
    close(t.diff, REF.test.raw.diff);
    close(t.diff_se, REF.test.raw.se);
    close(t.p_value, REF.test.raw.p, 1e-8);
    close(t.diff_ci[0], REF.test.raw.lo, 1e-8);
    close(t.diff_ci[1], REF.test.raw.hi, 1e-8);
  });

  it('a ratio metric uses the delta method', async () => {
    const out = await analyzeJson(['--ratio', 'orders/sessions']);
    const t = out.results.find((r: any) => r.variant === 'test');
    expect(t.metric).toBe('orders/sessions');
    close(t.control_mean, REF.test.ratio.control);
    close(t.diff, REF.test.ratio.diff);
    close(t.diff_se, REF.test.ratio.se, 1e-8);
    const t2 = out.results.find((r: any) => r.variant === 'test2');
    close(t2.diff_se, REF.test2.ratio.se, 1e-8);
  });

  it('--method cuped without covariates uses pre_<metric>; one-sided tests halve the p-value', async () => {
    const out = await analyzeJson(['--metric', 'revenue', '--method', 'cuped']);
    const t = out.results.find((r: any) => r.variant === 'test');
    expect(t.method).toBe('cuped');
    expect(t.covariates).toEqual(['pre_revenue']);
    expect(t.variance_reduction).toBeGreaterThan(0.5);
    const greater = await analyzeJson(['--metric', 'revenue', '--method', 'cuped', '--tails', 'greater']);
    const g = greater.results.find((r: any) => r.variant === 'test');
    close(g.p_value, t.p_value / 2, 1e-9);
    expect(g.diff_ci[1]).toBeNull();
  });

  it('Holm and BH adjust across metrics x variants', async () => {
    const none = await analyzeJson(['--metric', 'revenue,orders', '--covariates', 'pre_revenue']);
    const holm = await analyzeJson(['--metric', 'revenue,orders', '--covariates', 'pre_revenue', '--correction', 'holm']);
    const bh = await analyzeJson(['--metric', 'revenue,orders', '--covariates', 'pre_revenue', '--correction', 'bh']);
    const p = none.results.map((r: any) => r.p_value as number);
    const m = p.length;
    // Holm by hand: sort ascending, multiply by (m - rank), running max, cap at 1.
    const order = p.map((v: number, i: number) => [v, i] as const).sort((a: any, b: any) => a[0] - b[0]);
    const holmRef = new Array<number>(m);
    let run = 0;
    order.forEach(([v, i]: readonly [number, number], k: number) => {
      run = Math.max(run, Math.min(1, (m - k) * v));
      holmRef[i] = run;
    });
    holm.results.forEach((r: any, i: number) => close(r.p_value_adjusted, holmRef[i]!, 1e-12));
    // BH by hand: from the largest down, min of p * m / rank.
    const bhRef = new Array<number>(m);
    let mn = 1;
    for (let k = m - 1; k >= 0; k -= 1) {
      const [v, i] = order[k]!;
      mn = Math.min(mn, (v * m) / (k + 1));
      bhRef[i] = mn;
    }
    bh.results.forEach((r: any, i: number) => close(r.p_value_adjusted, bhRef[i]!, 1e-12));
  });

  it('renders a human table with adjusted and unadjusted numbers and a sentence per metric', async () => {
    const r = await runCli(['analyze', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--covariates', 'pre_revenue,country'], { cwd: tmpDir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SRM: ok');
    expect(r.stdout).toMatch(/metric\s+variant\s+control\s+test\s+diff\s+lift\s+lift CI\s+p\s+raw diff\s+raw CI\s+raw p\s+var cut/);
    expect(r.stdout).toMatch(/^revenue: \+\d+\.\d% \(95% CI \+\d+\.\d%\.\.\+\d+\.\d%\), p=[\d.e-]+, CUPAC cut variance by \d+%, worth \d+% more sample/m);
    expect(r.stdout).not.toContain('NaN');
  });

  it('without adjustment the table leaves out the raw columns (they would repeat diff, CI and p) and var cut, and shows the lift CI', async () => {
    const r = await runCli(['analyze', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue'], { cwd: tmpDir(), env: baseEnv({ COLUMNS: '100' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/method = no adjustment/);
    expect(r.stdout).toMatch(/^metric\s+variant\s+control\s+test\s+diff\s+lift\s+lift CI\s+p$/m);
    expect(r.stdout).not.toMatch(/raw diff|raw CI|raw p|var cut|hidden/);
  });
});

describe('analyze bad input', () => {
  const cwd = tmpDir();
  const csv = (name: string, text: string) => writeFile(cwd, name, text);
  const run = (args: string[]) => runCli(['analyze', ...args], { cwd });

  it('names a missing column and lists the file columns', async () => {
    const r = await run(['--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('metric column "revenu" is not in');
    expect(r.stderr).toContain('(did you mean "revenue"?)');
    expect(r.stderr).toContain('user_id, variant, revenue, orders');
  });

  it('points at --unit and an id-like column when the unit column was left at its default', async () => {
    const r = await run(['--data', fixture, '--group', 'variant', '--metric', 'revenue']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unit column "unit_id" is not in');
    expect(r.stderr).toContain('name the unit column with --unit (e.g. --unit user_id)');
  });

  it('refuses a non-numeric metric, an unknown control, a single variant and a group of one', async () => {
    expect((await run(['--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'country'])).stderr).toContain('metric column "country" is VARCHAR, not numeric');
    const ctl = await run(['--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--control', 'baseline']);
    expect(ctl.code).toBe(2);
    expect(ctl.stderr).toContain('control group "baseline" is not in the data');
    expect(ctl.stderr).toContain('control, test, test2');
    csv('one.csv', 'unit_id,group,y\na,control,1\nb,control,2\n');
    expect((await run(['--data', 'one.csv', '--metric', 'y'])).stderr).toContain('only one group (control)');
    csv('tiny.csv', 'unit_id,group,y\na,control,1\nb,control,2\nc,test,3\n');
    expect((await run(['--data', 'tiny.csv', '--metric', 'y'])).stderr).toContain('group test has fewer than 2 units');
  });

  it('zero variance and constant or collinear covariates give warnings, never NaN', async () => {
    const lines = ['unit_id,group,y,c,x,x2'];
    for (let i = 0; i < 40; i += 1) lines.push(`u${i},${i % 2 ? 'test' : 'control'},5,7,${i % 5},${2 * (i % 5) + 1}`);
    csv('flat.csv', `${lines.join('\n')}\n`);
    const r = await run(['--data', 'flat.csv', '--metric', 'y', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('NaN');
    const res = r.json().results[0];
    expect(res.diff).toBe(0);
    const c = await run(['--data', 'flat.csv', '--metric', 'x', '--covariates', 'c,x2', '--json']);
    expect(c.code).toBe(0);
    const w = c.json().warnings.join('\n');
    expect(w).toMatch(/c\b.*(constant|zero variance)/i);
    expect(c.stdout).not.toContain('NaN');
  });

  it('NULL metric values: zero by default, --nulls drop, always reported', async () => {
    csv('nulls.csv', 'unit_id,group,y\na,control,1\nb,control,\nc,control,3\nd,test,4\ne,test,\nf,test,6\n');
    const zero = await run(['--data', 'nulls.csv', '--metric', 'y', '--json']);
    const z = zero.json();
    expect(z.results[0].control_mean).toBeCloseTo(4 / 3, 12);
    expect(z.results[0].nulls).toEqual({ policy: 'zero', count: 2 });
    expect(z.warnings.join('\n')).toContain('metric y: 2 NULL values counted as 0');
    const drop = (await run(['--data', 'nulls.csv', '--metric', 'y', '--nulls', 'drop', '--json'])).json();
    expect(drop.results[0].control_mean).toBeCloseTo(2, 12);
    expect(drop.results[0].n_test).toBe(2);
  });

  it('usage errors exit 2 with the flag named', async () => {
    expect((await run(['--metric', 'y'])).code).toBe(2);
    const a = await run(['--data', fixture, '--metric', 'revenue', '--alpha', '2']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--alpha must be less than 0.5');
    const cuped = await run(['--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--method', 'cuped', '--covariates', 'pre_revenue,tenure_days']);
    expect(cuped.code).toBe(2);
    expect(cuped.stderr).toContain('CUPED takes one covariate');
    const nofile = await run(['--data', 'missing.csv', '--metric', 'y']);
    expect(nofile.stderr).toContain('file not found');
    expect(fs.existsSync(path.join(cwd, '.statsig-hack'))).toBe(false);
  });
});
