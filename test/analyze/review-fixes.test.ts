/**
 * Fixes from a new user's review of analyze / power / interactions on the demo store: the sign of
 * the observed lift in "time to 80% power", and "not reachable" instead of absurd days-saved figures.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addReadouts, type AnalyzeResult, type MetricResult } from '../../src/engines/analyze.js';
import { reachableDays, timeSaved } from '../../src/stats/timesaved.js';
import { readoutLines } from '../../src/ui/analyze.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

const base = { n_control: 1000, n_test: 1000, raw_diff_se: 0.5, control_mean: 20, variance_reduction: 0.6, rel_lift: -0.05 };

function result(over: Partial<MetricResult>): MetricResult {
  return {
    metric: 'searches_per_session', variant: 'test', n_control: 1000, n_test: 1000, control_mean: 20, test_mean: 19, diff: -1, diff_se: 0.3, diff_ci: [-1.6, -0.4],
    rel_lift: -0.065, rel_ci: [-0.08, -0.02], p_value: 0.01, p_value_adjusted: 0.01, ci_alpha: 0.05, df: 1998, rel_se: 0.015, rel_p_value: 0.0001, rel_p_value_adjusted: 0.0001, significant: true, method: 'cupac',
    covariates: [], theta: {}, variance_reduction: 0.6, equivalent_sample_saved: null, covariate_shares: {}, nulls: null,
    unadjusted: { diff: -1, diff_se: 0.5, diff_ci: [-2, 0], p_value: 0.05, control_mean: 20, test_mean: 19 },
    ...over,
  };
}

function analysis(results: MetricResult[], days: number, units: number): AnalyzeResult {
  return { results, variants: ['test'], alpha: 0.05, exposure: { units, first: '2026-01-01', last: '2026-01-14', days } } as unknown as AnalyzeResult;
}

describe('time to 80% power: the sign of the observed lift', () => {
  it('keeps the minus sign of a negative observed lift (the MDE stays its size)', () => {
    const { value } = timeSaved(base, { unitsPerDay: 100, arms: 2 });
    expect(value?.mde).toBe(0.05);
    expect(value?.lift).toBe(-0.05);
    expect(timeSaved(base, { unitsPerDay: 100, arms: 2, mde: 0.1 }).value?.lift).toBe(0.1);
  });

  it('prints "for a -6.5% lift (observed)", not +6.5%', () => {
    const res = addReadouts(analysis([result({})], 14, 140000), {});
    const text = readoutLines(res).join('\n');
    expect(text).toContain('searches_per_session: for a -6.5% lift (observed)');
    expect(text).not.toContain('+6.5%');
  });
});

describe('time to 80% power: not reachable at this traffic', () => {
  it('reachable up to 10x the days run, and never past 3 years', () => {
    expect(reachableDays(14)).toBe(140);
    expect(reachableDays(400)).toBe(1095);
    expect(reachableDays(undefined)).toBe(1095);
    // 15.7 days needed at 100/day; run for 1 day -> 10 days reachable -> not reachable
    expect(timeSaved(base, { unitsPerDay: 100, arms: 2, daysRun: 1 }).value?.reachable).toBe(false);
    expect(timeSaved(base, { unitsPerDay: 100, arms: 2, daysRun: 14 }).value?.reachable).toBe(true);
  });

  it('says "not reachable at this traffic (needs N days)" instead of a days-saved figure', () => {
    // a tiny lift on few units: thousands of days
    const res = addReadouts(analysis([result({ rel_lift: -0.001 })], 14, 1400), {});
    const text = readoutLines(res).join('\n');
    expect(text).toMatch(/searches_per_session: for a -0\.1% lift \(observed\), not reachable at this traffic \(needs [\d,]+ days with CUPAC\)/);
    expect(text).not.toMatch(/saved/);
  });
});

describe('--mde 5 is refused as 500%, with the fraction meant', () => {
  it('power --mde 5 (relative) exits 2 with "5% is 0.05"; --absolute still takes 5', async () => {
    const r = await runCli(['power', '--metric', 'revenue', '--mde', '5', '--variance', '400', '--mean', '20'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mde 5 would be a 500% lift: a relative MDE is a fraction/);
    expect(r.stderr).toMatch(/hint: 5% is 0\.05: --mde 0\.05, or pass --absolute/);
    expect(r.stdout).toBe('');
    const ok = await runCli(['power', '--metric', 'revenue', '--mde', '5', '--absolute', '--variance', '400', '--mean', '20'], { cwd: tmpDir() });
    expect(ok.code, ok.stderr).toBe(0);
    const small = await runCli(['power', '--metric', 'revenue', '--mde', '0.05', '--variance', '400', '--mean', '20'], { cwd: tmpDir() });
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout).toMatch(/To detect 5\.00%/);
  });

  it('analyze --mde 5 is refused before any data is read', async () => {
    const r = await runCli(['analyze', '--experiment', 'x', '--db', 'nosuch.duckdb', '--mde', '5'], { cwd: tmpDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mde 5 would be a 500% lift/);
    expect(r.stderr).toMatch(/hint: 5% is 0\.05: --mde 0\.05/);
  });
});

/** One demo store for the store-mode checks (2,000 users). */
let cwd = '';
let db = '';
beforeAll(async () => {
  cwd = tmpDir();
  const demo = await runCli(['demo', '--users', '2000'], { cwd });
  expect(demo.code, demo.stderr).toBe(0);
  db = path.join(cwd, '.statsig-hack', 'demo.duckdb');
}, 120_000);
const EXP = 'garden_gnome_search_ranking';

describe('store mode: hints name user properties and metrics, never internal columns', () => {
  it('--segments city lists the user properties; contry suggests country', async () => {
    const r = await runCli(['analyze', '--experiment', EXP, '--db', db, '--segments', 'city'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/segment "city" is not a user property of experiment garden_gnome_search_ranking/);
    expect(r.stderr).toMatch(/hint: user properties: country, platform, plan, channel, tenure_days/);
    expect(r.stderr).not.toMatch(/m\d+_|unit_id|group_name/);
    const typo = await runCli(['analyze', '--experiment', EXP, '--db', db, '--segments', 'contry'], { cwd });
    expect(typo.stderr).toMatch(/\(did you mean "country"\?\)/);
  });

  it('--segments group_name (the assignment arm) is refused with a clear line', async () => {
    const r = await runCli(['analyze', '--experiment', EXP, '--db', db, '--segments', 'group_name'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--segments group_name is the experiment's assignment arm, not a segment/);
  });

  it('--percentile revenu:0.9 names the metrics, with a did-you-mean', async () => {
    const r = await runCli(['analyze', '--experiment', EXP, '--db', db, '--percentile', 'revenu:0.9'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/percentile metric "revenu" is not a metric of experiment garden_gnome_search_ranking \(did you mean "revenue"\?\)/);
    expect(r.stderr).toMatch(/hint: metrics analysed: searches_per_session/);
    expect(r.stderr).not.toMatch(/m\d+_|group_name/);
    const notAnalysed = await runCli(['analyze', '--experiment', EXP, '--db', db, '--percentile', 'revenue:0.9'], { cwd });
    expect(notAnalysed.stderr).toMatch(/percentile metric "revenue" is not analysed in experiment .*\n\s+hint: --metric replaces the analysed list; pass --metric searches_per_session,[a-z_:,]*revenue\n/);
    // the hint's value works as given
    const value = /pass (--metric \S+)/.exec(notAnalysed.stderr)?.[1]?.split(' ')[1] ?? '';
    const again = await runCli(['analyze', '--experiment', EXP, '--db', db, '--percentile', 'revenue:0.9', '--metric', value, '--json'], { cwd });
    expect(again.code, again.stderr).toBe(0);
  });

  it('data mode: segmenting by the group column is refused too', async () => {
    const file = path.join(cwd, 'exp.csv');
    (await import('node:fs')).writeFileSync(file, `unit_id,group,revenue\n${Array.from({ length: 40 }, (_, i) => `u${i},${i % 2 ? 'test' : 'control'},${i % 7}`).join('\n')}\n`);
    const r = await runCli(['analyze', '--data', file, '--metric', 'revenue', '--segments', 'group'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--segments group is the assignment arm/);
  });
});

describe('unknown metric names in interactions and guardrails (store mode)', () => {
  it('interactions --metric revenu fails with the metric names, not "0 tests"', async () => {
    const r = await runCli(['interactions', '--metric', 'revenu', '--db', db], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown metric "revenu" \(did you mean "revenue"\?\)/);
    expect(r.stderr).toMatch(/hint: metrics: .*searches_per_session/);
    const ok = await runCli(['interactions', '--metric', 'revenue', '--db', db, '--json'], { cwd });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json().tests.length).toBeGreaterThan(0);
  });

  it('--guardrails nosuch:increase says nosuch is not a metric of the project', async () => {
    const r = await runCli(['analyze', '--experiment', EXP, '--db', db, '--guardrails', 'nosuch:increase'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/guardrail metric nosuch is not a metric of the project/);
    expect(r.stderr).not.toMatch(/pass --metric/);
    const typo = await runCli(['analyze', '--experiment', EXP, '--db', db, '--guardrails', 'revenu:increase'], { cwd });
    expect(typo.stderr).toMatch(/guardrail metric revenu is not a metric of the project \(did you mean "revenue"\?\)/);
    // a metric of the project the experiment does not analyse: still "add it to --metric"
    const known = await runCli(['analyze', '--experiment', EXP, '--db', db, '--guardrails', 'revenue:increase'], { cwd });
    expect(known.stderr).toMatch(/guardrail metric revenue was not analysed\n\s+hint: --metric replaces the analysed list; pass --metric searches_per_session,[a-z_:,]*revenue\n/);
  });
});

describe('segments human output: both Q p-values and a legend', () => {
  it('the header shows the raw and the BH p of Cochran Q; a legend says the cell CIs are unadjusted', async () => {
    const args = ['analyze', '--experiment', EXP, '--db', db, '--segments', 'platform', '--metric', 'searches_per_session'];
    const human = await runCli(args, { cwd });
    expect(human.code, human.stderr).toBe(0);
    const doc = (await runCli([...args, '--json'], { cwd })).json();
    const h = doc.segments.heterogeneity[0];
    const fmt = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
    expect(human.stdout).toContain(`p = ${fmt(h.p_value)}, BH p = ${fmt(h.p_value_bh)}`);
    expect(human.stdout).toMatch(/lift CI: unadjusted, per cell; p \(BH\), \* and HETEROGENEOUS: Benjamini-Hochberg adjusted/);
  });
});

describe('interactions at a narrow width: the arms stay, hidden columns are named, --wide', () => {
  it('at COLUMNS=100 names are whole and every row has its arms; at 70 the hidden interaction column is named', async () => {
    const env = (columns: number) => ({ ...process.env, COLUMNS: String(columns) });
    const r = await runCli(['interactions', '--db', db], { cwd, env: env(100) });
    expect(r.code, r.stderr).toBe(0);
    const doc = (await runCli(['interactions', '--db', db, '--json'], { cwd })).json();
    const metrics = new Set<string>(doc.tests.map((t: { metric: string }) => t.metric));
    const rows = r.stdout.split('\n').filter((l) => [...metrics].some((m) => l.startsWith(`${m} `)));
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const line of rows) {
      expect(line).toMatch(/ \S+ x \S+ /); // the arms column: "<arm of A> x <arm of B>"
      expect(line.length).toBeLessThanOrEqual(100);
    }
    expect(r.stdout).not.toMatch(/session…/);
    expect(r.stdout).toMatch(/^metric\s+arms\s+lift \(B ctrl\)/m);
    const narrow = await runCli(['interactions', '--db', db], { cwd, env: env(70) });
    expect(narrow.stdout).toMatch(/\(interaction hidden to fit 70 columns; --wide shows every column\)/);
    expect(narrow.stdout).toMatch(/^metric\s+arms/m);
    const wide = await runCli(['interactions', '--db', db, '--wide'], { cwd, env: env(70) });
    expect(wide.code, wide.stderr).toBe(0);
    expect(wide.stdout).toMatch(/arms\s+lift \(B ctrl\)\s+lift \(B arm\)\s+interaction\s+p \(BH\)/);
  });
});

describe('forest chart on a 3-arm experiment: whole labels with the variant', () => {
  it('labels read "metric (variant)" in the SVG, uncut, one per arm', { timeout: 120_000 }, async () => {
    const r = await runCli(['analyze', '--experiment', EXP, '--db', db, '--chart', 'forest.svg'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const svg = (await import('node:fs')).readFileSync(path.join(cwd, 'forest.svg'), 'utf8');
    expect(svg).toContain('searches_per_session (ml_ranker)');
    expect(svg).toContain('searches_per_session (personalized)');
    expect(svg).toContain('product_view:event_count (personalized)');
    expect(svg).not.toMatch(/searches_per_sessio…/);
  });
});
