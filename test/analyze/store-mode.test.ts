import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { analyze } from '../../src/engines/analyze.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { mulberry32 as rng } from '../support/rng.js';


const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const cov = (a: number[], b: number[]) => {
  const ma = mean(a);
  const mb = mean(b);
  return a.reduce((s, x, i) => s + (x - ma) * (b[i]! - mb), 0) / (a.length - 1);
};

describe('analyze --experiment (store mode)', () => {
  it('builds per-unit metrics from exposures and events, with the pre-period as CUPED covariate', async () => {
    const cwd = tmpDir();
    const file = path.join(cwd, '.statsig-hack/project.duckdb');
    const store = await Store.open(file, { create: true });
    const r = rng(7);
    const units: { id: string; group: string; pre: number; post: number }[] = [];
    for (let i = 0; i < 400; i += 1) {
      const group = r() < 0.5 ? 'control' : 'test';
      const pre = Math.round(r() * 100 * 100) / 100;
      const post = Math.round((0.6 * pre + r() * 40 + (group === 'test' ? 5 : 0)) * 100) / 100;
      units.push({ id: `u${i}`, group, pre, post });
    }
    await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES
      ('metrics', 'revenue', 'sum', 'active', '{"name":"revenue","type":"sum","metricEvents":[{"name":"purchase","type":"value"}]}'),
      ('experiments', 'exp1', 'experiment', 'active', '{"name":"exp1","groups":[{"name":"control","size":50},{"name":"test","size":50}],"primaryMetrics":[{"name":"revenue","type":"sum"}]}')`);
    const values = units.map((u) => `('${u.id}', 'exp1', '${u.group}', TIMESTAMP '2026-10-15 00:00:00')`).join(',');
    await store.run(`INSERT INTO exposures VALUES ${values}`);
    // Each unit: two pre-period purchases summing to pre (one before the 14-day window, ignored), one post purchase split in two events.
    const ev: string[] = [];
    for (const u of units) {
      ev.push(`('${u.id}', 'purchase', TIMESTAMP '2026-10-05 10:00:00', ${u.pre / 2})`, `('${u.id}', 'purchase', TIMESTAMP '2026-10-14 23:59:00', ${u.pre / 2})`);
      ev.push(`('${u.id}', 'purchase', TIMESTAMP '2026-09-01 10:00:00', 999)`);
      ev.push(`('${u.id}', 'purchase', TIMESTAMP '2026-10-15 00:00:00', ${u.post / 2})`, `('${u.id}', 'purchase', TIMESTAMP '2026-10-20 08:00:00', ${u.post / 2})`);
      ev.push(`('${u.id}', 'page_view', TIMESTAMP '2026-10-16 08:00:00', 1000)`);
    }
    await store.run(`INSERT INTO events (unit_id, event, ts, value) VALUES ${ev.join(',')}`);
    store.close();

    // Reference: single-covariate CUPED with theta from the pooled sample, Welch SE.
    const y = units.map((u) => u.post);
    const x = units.map((u) => u.pre);
    const theta = cov(y, x) / cov(x, x);
    const xbar = mean(x);
    const arm = (g: string) => {
      const us = units.filter((u) => u.group === g);
      const ys = us.map((u) => u.post);
      const xs = us.map((u) => u.pre);
      const adj = ys.map((v, i) => v - theta * xs[i]!);
      return { n: us.length, mean: mean(ys) - theta * (mean(xs) - xbar), v: cov(adj, adj), raw: mean(ys) };
    };
    const c = arm('control');
    const t = arm('test');

    const res = await runCli(['analyze', '--experiment', 'exp1', '--method', 'cuped', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json();
    expect(out.experiment).toBe('exp1');
    const row = out.results[0];
    expect(row.metric).toBe('revenue');
    expect(row.n_control).toBe(c.n);
    expect(row.unadjusted.control_mean).toBeCloseTo(c.raw, 9);
    expect(row.theta).toEqual({ pre_revenue: expect.closeTo(theta, 9) });
    expect(row.diff).toBeCloseTo(t.mean - c.mean, 9);
    expect(row.diff_se).toBeCloseTo(Math.sqrt(t.v / t.n + c.v / c.n), 9);
    expect(row.variance_reduction).toBeGreaterThan(0.3);

    // CUPAC default with no user properties: same single pre-period covariate here.
    const cupac = (await runCli(['analyze', '--experiment', 'exp1', '--json'], { cwd })).json();
    expect(cupac.method).toBe('cupac');
    expect(cupac.results[0].diff).toBeCloseTo(t.mean - c.mean, 9);

    // Built-in metrics from events, and unknown names listing what exists.
    const counts = (await runCli(['analyze', '--experiment', 'exp1', '--metric', 'page_view:event_count', '--method', 'none', '--json'], { cwd })).json();
    expect(counts.results[0].control_mean).toBe(1);
    const bad = await runCli(['analyze', '--experiment', 'exp1', '--metric', 'nope'], { cwd });
    // unknown names are usage errors (exit 2), with a did-you-mean
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown metric "nope"');
    const revenu = await runCli(['analyze', '--experiment', 'exp1', '--metric', 'revenu'], { cwd });
    expect(revenu.stderr).toContain('unknown metric "revenu" for experiment exp1 (did you mean "revenue"?)');
    expect(bad.stderr).toContain('revenue');
    const noexp = await runCli(['analyze', '--experiment', 'exp9'], { cwd });
    expect(noexp.code).toBe(2);
    expect(noexp.stderr).toContain('no experiment named "exp9" in the project store (did you mean "exp1"?)');
    expect(noexp.stderr).toContain('experiments: exp1');
  });
});

describe('A/A simulation through the SQL path', () => {
  // 250 replicates of 300 units, generated in one batch into one table of one in-memory store, then
  // analysed replicate by replicate: the statistical power of the original test (250 independent
  // A/A runs) with a quarter fewer queries, and a timeout with room for a loaded 2-core machine.
  it('keeps the false-positive rate near alpha with CUPAC', { timeout: 180_000 }, async () => {
    const store = await Store.memory({ migrate: false });
    const runs = 250;
    await store.run(`CREATE TEMP TABLE aa AS
      SELECT rep, i AS unit_id,
        CASE WHEN hash(i, rep, 'g') % 2 = 0 THEN 'control' ELSE 'test' END AS "group",
        (hash(i, rep, 'x') % 10000) / 100.0 AS pre,
        (hash(i, rep, 'x') % 10000) / 200.0 + (hash(i, rep, 'e') % 10000) / 250.0 AS y,
        CASE hash(i, rep, 'c') % 3 WHEN 0 THEN 'US' WHEN 1 THEN 'BR' ELSE 'DE' END AS country
      FROM range(${runs}) r(rep), range(300) t(i)
      ORDER BY rep, unit_id`);
    let rejections = 0;
    let analysed = 0;
    for (let rep = 0; rep < runs; rep += 1) {
      const res = await analyze(store, {
        relation: `(SELECT unit_id, "group", pre, y, country FROM aa WHERE rep = ${rep})`,
        source: `aa replicate ${rep}`,
        experiment: null,
        unit: 'unit_id',
        group: 'group',
        metrics: [{ name: 'y', kind: 'value', column: 'y' }],
        covariates: ['pre', 'country'],
        alpha: 0.05,
        tails: 'two',
        correction: 'none',
        defaultNulls: 'zero',
      });
      const row = res.results[0]!;
      expect(row.n_control + row.n_test).toBe(300);
      expect(row.method).toBe('cupac');
      analysed += 1;
      if ((row.p_value ?? 1) < 0.05) rejections += 1;
    }
    store.close();
    expect(analysed).toBe(runs);
    // Binomial(250, 0.05): mean 12.5, sd 3.45; a 3.5-sd band.
    expect(rejections).toBeGreaterThanOrEqual(1);
    expect(rejections).toBeLessThanOrEqual(25);
  });
});
