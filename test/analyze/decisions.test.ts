/**
 * analyze --guardrails / --decide / --fail-on / --format markdown through the CLI: each verdict
 * path on small seeded CSVs with planted effects, the exit code 3 from --fail-on (with the result
 * still on stdout), the markdown summary (stdout and --summary-file), and in store mode the metric
 * direction from the store and the days-to-power with and without CUPAC.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { sampleSize } from '../../src/stats/power.js';
import { runCli } from '../support/run-cli.js';
import { mulberry32 } from '../support/rng.js';
import { tmpDir, writeFile } from '../support/tmp.js';

/** Per arm n units; revenue and latency with relative lifts planted in the test arm; pre_revenue predicts revenue. */
function csv(opts: { n?: [number, number]; revenueLift?: number; latencyLift?: number; seed?: number } = {}): string {
  const [nc, nt] = opts.n ?? [2000, 2000];
  const r = mulberry32(opts.seed ?? 11);
  const z = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const rows = ['unit_id,group,revenue,latency,pre_revenue'];
  let i = 0;
  for (const [group, n] of [['control', nc], ['test', nt]] as const) {
    for (let k = 0; k < n; k++) {
      const pre = 50 + 10 * z();
      const revenue = (0.8 * pre + 10 + 4 * z()) * (group === 'test' ? 1 + (opts.revenueLift ?? 0) : 1);
      const latency = (200 + 20 * z()) * (group === 'test' ? 1 + (opts.latencyLift ?? 0) : 1);
      rows.push(`u${i++},${group},${revenue.toFixed(3)},${latency.toFixed(3)},${pre.toFixed(3)}`);
    }
  }
  return `${rows.join('\n')}\n`;
}

async function analyzeCsv(content: string, args: string[]) {
  const cwd = tmpDir();
  const file = writeFile(cwd, 'exp.csv', content);
  const r = await runCli(['analyze', '--data', file, '--metric', 'revenue', '--covariates', 'pre_revenue', ...args], { cwd });
  return { ...r, cwd };
}

describe('analyze --guardrails: verdicts through the CLI', () => {
  it('ship: revenue +5% and latency unchanged; --fail-on no-ship,guardrail,srm passes (exit 0)', async () => {
    const r = await analyzeCsv(csv({ revenueLift: 0.05 }), ['--guardrails', 'latency:decrease', '--fail-on', 'no-ship,guardrail,srm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = r.json().decision;
    expect(d.verdict).toBe('ship');
    expect(d.ship).toBe('test');
    expect(d.variants[0].primary).toEqual([expect.objectContaining({ metric: 'revenue', status: 'win' })]);
    expect(d.variants[0].guardrails).toEqual([expect.objectContaining({ metric: 'latency', status: 'pass', direction: 'decrease' })]);
  });

  it('do not ship: latency +3% breaks its guardrail; --fail-on guardrail exits 3 and the JSON is still the one document on stdout', async () => {
    const r = await analyzeCsv(csv({ revenueLift: 0.05, latencyLift: 0.03 }), ['--guardrails', 'latency:decrease', '--fail-on', 'guardrail', '--json']);
    expect(r.code).toBe(3);
    const out = r.json();
    expect(out.decision.verdict).toBe('do-not-ship');
    expect(out.decision.reasons.join('\n')).toMatch(/guardrail latency is worse than control/);
    expect(r.stderr).toMatch(/error: a guardrail failed \(--fail-on guardrail\)/);
    expect(r.stderr).toMatch(/hint: verdict: do-not-ship; the reasons are in the JSON under decision\.reasons/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a non-inferiority margin: latency +1% passes a 3% margin', async () => {
    const r = await analyzeCsv(csv({ revenueLift: 0.05, latencyLift: 0.01 }), ['--guardrails', 'latency:decrease:3%', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const g = r.json().decision.variants[0].guardrails[0];
    expect(g.status).toBe('pass');
    expect(g.margin).toBeCloseTo(0.03, 15);
    expect(g.lower).toBeGreaterThan(-0.03);
    // without the margin the same data fail the guardrail
    const strict = await analyzeCsv(csv({ revenueLift: 0.05, latencyLift: 0.01 }), ['--guardrails', 'latency:decrease', '--json']);
    expect(strict.json().decision.verdict).toBe('do-not-ship');
  });

  it('keep running: no effect yet; --fail-on no-ship passes, --fail-on keep-running exits 3', async () => {
    const content = csv({ n: [300, 300] });
    const ok = await analyzeCsv(content, ['--decide', '--fail-on', 'no-ship']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Verdict: KEEP RUNNING\n\s+- primary revenue [-+]\d+\.\d% \(not significant, p = /);
    const gate = await analyzeCsv(content, ['--fail-on', 'keep-running']);
    expect(gate.code).toBe(3);
    expect(gate.stdout).toMatch(/Verdict: KEEP RUNNING/);
    expect(gate.stderr).toMatch(/see the reasons above/);
  });

  it('the SRM gate: a 2000/2300 split is do not ship whatever the lift; --fail-on srm exits 3', async () => {
    const r = await analyzeCsv(csv({ n: [2000, 2300], revenueLift: 0.05 }), ['--fail-on', 'srm', '--json']);
    expect(r.code).toBe(3);
    expect(r.json().decision).toMatchObject({ verdict: 'do-not-ship', srm_ok: false });
    expect(r.stderr).toMatch(/sample ratio mismatch \(--fail-on srm\)/);
  });

  it('--format markdown: a summary on stdout; --summary-file appends it and keeps the normal output', async () => {
    const content = csv({ revenueLift: 0.05, latencyLift: 0.03 });
    const md = await analyzeCsv(content, ['--guardrails', 'latency:decrease', '--format', 'markdown', '--sequential', '--bayesian']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^## ❌ Experiment results: DO NOT SHIP\n\n- guardrail latency is worse than control/);
    expect(md.stdout).toMatch(/\| Metric \| Variant \| Lift \| Peeking-safe CI \| p \| Chance to win \| Status \|/);
    expect(md.stdout).toMatch(/\| latency \| test \| \+3\.\d% \| .* \| guardrail: fail \|/);
    expect(md.stdout).toMatch(/SRM: ok/);
    const cwd = tmpDir();
    const data = writeFile(cwd, 'exp.csv', content);
    const summary = writeFile(cwd, 'summary.md', '# earlier step\n');
    const r = await runCli(['analyze', '--data', data, '--metric', 'revenue', '--covariates', 'pre_revenue', '--guardrails', 'latency:decrease', '--summary-file', summary, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().decision.verdict).toBe('do-not-ship');
    const text = fs.readFileSync(summary, 'utf8');
    expect(text.startsWith('# earlier step\n## ❌ Experiment results: DO NOT SHIP')).toBe(true);
  });

  it('markdown escapes what the data names: a group called a|b<script> stays in its cell', async () => {
    const content = csv({ n: [200, 200] }).replace(/,test,/g, ',a|b<script>,');
    const r = await analyzeCsv(content, ['--format', 'markdown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('| revenue | a\\|b\\<script\\> |');
    expect(r.stdout).not.toContain('<script>');
  });

  it('bad flags are one line with the fix', async () => {
    const content = csv({ n: [50, 50] });
    const a = await analyzeCsv(content, ['--guardrails', 'latency:down']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--guardrails: guardrail "latency:down" must be metric:increase\|decrease\[:margin\]/);
    const b = await analyzeCsv(content, ['--fail-on', 'never']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--fail-on takes no-ship, keep-running, guardrail, srm/);
    const c = await analyzeCsv(content, ['--format', 'markdown', '--json']);
    expect(c.code).toBe(2);
    expect(c.stderr + c.stdout).toMatch(/--format markdown and --json both want stdout/);
  });
});

describe('store mode: direction from the store, days to power with and without CUPAC', () => {
  it('a primary metric whose good direction is "decrease" and the days saved at the exposure rate', async () => {
    const cwd = tmpDir();
    const file = path.join(cwd, '.statsig-hack/project.duckdb');
    const store = await Store.open(file, { create: true });
    await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
      ('metrics', 'load_time', 'sum', 'active', '{"name":"load_time","type":"sum","directionality":"decrease","metricEvents":[{"name":"page_load","type":"value"}]}'),
      ('experiments', 'exp1', 'experiment', 'active', '{"name":"exp1","groups":[{"name":"control","size":50},{"name":"test","size":50}],"primaryMetrics":[{"name":"load_time","type":"sum"}]}')`);
    const r = mulberry32(5);
    const z = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const exp: string[] = [];
    const ev: string[] = [];
    const n = 1400;
    for (let i = 0; i < n; i++) {
      const group = i % 2 === 0 ? 'control' : 'test';
      const day = 1 + (i % 7); // 200 units exposed per day over 7 days
      exp.push(`('u${i}', 'exp1', '${group}', TIMESTAMP '2026-10-${String(day).padStart(2, '0')} 12:00:00')`);
      const pre = 100 + 20 * z();
      const post = (0.9 * pre + 10 + 8 * z()) * (group === 'test' ? 0.95 : 1);
      ev.push(`('u${i}', 'page_load', TIMESTAMP '2026-10-${String(day).padStart(2, '0')} 08:00:00', ${pre.toFixed(3)})`);
      ev.push(`('u${i}', 'page_load', TIMESTAMP '2026-10-${String(day).padStart(2, '0')} 13:00:00', ${post.toFixed(3)})`);
    }
    await store.run(`INSERT INTO exposures VALUES ${exp.join(',')}`);
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${ev.join(',')}`);
    store.close();

    const res = await runCli(['analyze', '--experiment', 'exp1', '--decide', '--no-save', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json();
    expect(out.metric_info).toEqual({ load_time: { direction: 'decrease', primary: true } });
    expect(out.exposure).toEqual({ units: n, first: '2026-10-01', last: '2026-10-07', days: 7 });
    const m = out.results[0];
    expect(m.rel_lift).toBeLessThan(0);
    // -5% on a metric where down is good is a win
    expect(out.decision.verdict).toBe('ship');
    // days: power.ts's sample size from the unadjusted variance, the measured cut, the observed lift
    const variance = m.unadjusted.diff_se ** 2 / (1 / m.n_control + 1 / m.n_test);
    const s = sampleSize({ variance, mean: m.unadjusted.control_mean, mde: Math.abs(m.rel_lift), varianceReduction: m.variance_reduction, arms: 2 });
    expect(m.time_saved.n_total).toBe(s.n_total);
    expect(m.time_saved.days).toBeCloseTo(s.n_total / 200, 10);
    expect(m.time_saved.days_unadjusted).toBeCloseTo(s.n_total_unadjusted / 200, 10);
    expect(m.time_saved.days_saved).toBeGreaterThan(0.5 * m.time_saved.days_unadjusted);
    expect(m.variance_reduction).toBeGreaterThan(0.5);

    const missing = await runCli(['analyze', '--experiment', 'exp1', '--guardrails', 'checkout:increase', '--no-save'], { cwd });
    expect(missing.code).toBe(2);
    // checkout is no metric of this project: a typo, not a metric to add to --metric
    expect(missing.stderr).toMatch(/guardrail metric checkout is not a metric of the project\n\s+hint: metrics: load_time; or an event/);

    const human = await runCli(['analyze', '--experiment', 'exp1', '--mde', '0.02', '--no-save'], { cwd });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Time to 80% power \(alpha 0\.05\) at 200 units\/day \(1,400 exposed over 7 days\):\n\s+load_time: for a \+2\.0% lift \(configured\), \d+\.\d days with CUPAC, \d+\.\d days without: \d+\.\d days saved/);
  });
});
