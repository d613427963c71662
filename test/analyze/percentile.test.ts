/**
 * --percentile: the quantile difference with the density-based variance p(1-p)/(n f(q)^2), f from a
 * band count with Silverman's bandwidth. Checked by a bootstrap on a simulated sample (widths within
 * 15%), by simulated coverage (1,000 seeded simulations at 2,000 units per arm, within 93-97%), and
 * the SQL aggregates of `analyze --percentile` against the same statistics computed here from the rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareQuantiles, parsePercentileSpec, silvermanBandwidth, type QuantileArm } from '../../src/stats/percentile.js';
import { Store } from '../../src/store/store.js';
import { metricFromSpec } from '../../src/store/metrics.js';
import { mulberry32 } from '../support/rng.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

function normal(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Type-7 (linear interpolation) quantile of sorted values: DuckDB's quantile_cont. */
function quantile7(sorted: Float64Array | number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The arm's aggregates as the SQL computes them: n, q, sd, IQR, then the band count around q. */
function armOf(values: Float64Array | number[], p: number): QuantileArm {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(s.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const q = quantile7(s, p);
  const h = silvermanBandwidth(sd, quantile7(s, 0.75) - quantile7(s, 0.25), n)!;
  let inBand = 0;
  for (const x of s) if (x >= q - h && x <= q + h) inBand += 1;
  return { n, q, h, inBand };
}

const Z90 = 1.2815515655446004; // scipy.stats.norm.ppf(0.9)

describe('percentile variance', () => {
  it('parses metric:p specs', () => {
    expect(parsePercentileSpec('revenue:0.9')).toEqual({ metric: 'revenue', p: 0.9 });
    expect(parsePercentileSpec('a:b:.5')).toEqual({ metric: 'a:b', p: 0.5 });
    expect(parsePercentileSpec('revenue:1.5')).toBeNull();
    expect(parsePercentileSpec('revenue')).toBeNull();
  });

  it('agrees with a bootstrap of the quantile difference within 15%', () => {
    const r = mulberry32(42);
    const z = normal(r);
    const n = 2000;
    const control = Array.from({ length: n }, () => Math.exp(z()));
    const test = Array.from({ length: n }, () => 1.1 * Math.exp(z()));
    const cmp = compareQuantiles(armOf(control, 0.9), armOf(test, 0.9), 0.9, 0.05);
    const B = 1500;
    const diffs: number[] = [];
    const buf = new Float64Array(n);
    const resampleQ = (xs: number[]): number => {
      for (let i = 0; i < n; i += 1) buf[i] = xs[Math.floor(r() * n)]!;
      buf.sort();
      return quantile7(buf, 0.9);
    };
    for (let b = 0; b < B; b += 1) diffs.push(resampleQ(test) - resampleQ(control));
    const m = diffs.reduce((a, x) => a + x, 0) / B;
    const bootSe = Math.sqrt(diffs.reduce((a, x) => a + (x - m) ** 2, 0) / (B - 1));
    diffs.sort((a, b) => a - b);
    const bootWidth = diffs[Math.floor(0.975 * B)]! - diffs[Math.floor(0.025 * B)]!;
    const width = cmp.diff_ci[1]! - cmp.diff_ci[0]!;
    console.log(`percentile p90: density SE ${cmp.diff_se!.toFixed(4)}, bootstrap SE ${bootSe.toFixed(4)}; CI width ${width.toFixed(4)} vs bootstrap percentile CI ${bootWidth.toFixed(4)}`);
    expect(Math.abs(cmp.diff_se! / bootSe - 1)).toBeLessThan(0.15);
    expect(Math.abs(width / bootWidth - 1)).toBeLessThan(0.15);
  });

  it('covers the true quantile difference 93-97% of the time (1,000 seeded simulations, 2,000 per arm)', () => {
    const r = mulberry32(2024);
    const z = normal(r);
    const n = 2000;
    const sims = 1000;
    // Control lognormal(0, 1), test 1.1 x lognormal(0, 1): true 90th percentiles e^z90 and 1.1 e^z90.
    const truth = 0.1 * Math.exp(Z90);
    let covered = 0;
    let relCovered = 0;
    const c = new Float64Array(n);
    const t = new Float64Array(n);
    for (let s = 0; s < sims; s += 1) {
      for (let i = 0; i < n; i += 1) {
        c[i] = Math.exp(z());
        t[i] = 1.1 * Math.exp(z());
      }
      const cmp = compareQuantiles(armOf(c, 0.9), armOf(t, 0.9), 0.9, 0.05);
      if (cmp.diff_ci[0]! <= truth && truth <= cmp.diff_ci[1]!) covered += 1;
      if (cmp.rel_ci[0]! <= 0.1 && 0.1 <= cmp.rel_ci[1]!) relCovered += 1;
    }
    console.log(`percentile p90 coverage: ${covered}/${sims} (relative: ${relCovered}/${sims})`);
    expect(covered / sims).toBeGreaterThanOrEqual(0.93);
    expect(covered / sims).toBeLessThanOrEqual(0.97);
    expect(relCovered / sims).toBeGreaterThanOrEqual(0.93);
    expect(relCovered / sims).toBeLessThanOrEqual(0.97);
  });
});

describe('analyze --percentile', () => {
  it('computes the same aggregates in SQL as from the rows, and refuses bad specs', { timeout: 60_000 }, async () => {
    const cwd = tmpDir();
    const r = mulberry32(9);
    const z = normal(r);
    const rows: { g: string; y: number }[] = [];
    for (let i = 0; i < 3000; i += 1) {
      const g = i % 3 === 0 ? 'test' : 'control';
      rows.push({ g, y: Math.round(Math.exp(1 + 0.8 * z() + (g === 'test' ? 0.1 : 0)) * 1e6) / 1e6 });
    }
    fs.writeFileSync(path.join(cwd, 'p.csv'), `unit_id,group,revenue\n${rows.map((x, i) => `u${i},${x.g},${x.y}`).join('\n')}\n`);
    const res = await runCli(['analyze', '--data', 'p.csv', '--percentile', 'revenue:0.9,revenue:0.25', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const out = res.json();
    expect(out.results).toEqual([]);
    expect(out.percentiles).toHaveLength(2);
    for (const [i, p] of [0.9, 0.25].entries()) {
      const got = out.percentiles[i];
      const want = compareQuantiles(
        armOf(rows.filter((x) => x.g === 'control').map((x) => x.y), p),
        armOf(rows.filter((x) => x.g === 'test').map((x) => x.y), p),
        p,
        0.05,
      );
      expect(got.name).toBe(`revenue p${p * 100}`);
      expect(got.n_control).toBe(2000);
      expect(got.control_quantile).toBeCloseTo(want.control_quantile, 9);
      expect(got.test_quantile).toBeCloseTo(want.test_quantile, 9);
      expect(got.bandwidth[0]).toBeCloseTo(want.bandwidth[0], 9);
      expect(got.diff_se).toBeCloseTo(want.diff_se!, 9);
      expect(got.p_value).toBeCloseTo(want.p_value!, 9);
    }
    const human = await runCli(['analyze', '--data', 'p.csv', '--percentile', 'revenue:0.9'], { cwd });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/revenue p90 +test/);

    const bad = await runCli(['analyze', '--data', 'p.csv', '--percentile', 'revenue:1.5'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--percentile expects metric:p with 0 < p < 1/);
    const missing = await runCli(['analyze', '--data', 'p.csv', '--percentile', 'nosuch:0.5'], { cwd });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nosuch/);
  });
});

describe('percentile metric type in the store', () => {
  it('maps type percentile and analyses it as the quantile of the per-unit value', { timeout: 120_000 }, async () => {
    expect(metricFromSpec({ name: 'rev_p90', type: 'percentile', percentile: 0.9, metricEvents: [{ name: 'purchase', type: 'value' }] })).toMatchObject({ kind: 'sum', event: 'purchase', percentile: 0.9 });
    expect(() => metricFromSpec({ name: 'bad', type: 'percentile', metricEvents: [{ name: 'purchase' }] })).toThrow(/needs "percentile" between 0 and 1/);

    const cwd = tmpDir();
    const db = path.join(cwd, 'p.duckdb');
    const s = await runCli(['seed', 'an online shop for garden gnomes', '--offline', '--users', '5000', '--seed', '4', '--db', db, '--force', '--json'], { cwd });
    expect(s.code, s.stderr).toBe(0);
    const store = await Store.open(db);
    try {
      await store.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES ('metrics', 'revenue_p95', 'percentile', 'active', '{"name":"revenue_p95","type":"percentile","percentile":0.95,"metricEvents":[{"name":"purchase","type":"value"}]}')`);
    } finally {
      store.close();
    }
    const exp = 'garden_gnome_one_page_checkout';
    const r = await runCli(['analyze', '--experiment', exp, '--db', db, '--metric', 'revenue_p95', '--no-save', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.results).toEqual([]);
    expect(out.percentiles).toHaveLength(1);
    const got = out.percentiles[0];
    expect(got.name).toBe('revenue_p95 p95');
    // The same quantile by an independent query: per-unit purchase value after first exposure.
    const q = await runCli(
      [
        'query',
        `SELECT x.group_name AS g, quantile_cont(coalesce(v.r, 0), 0.95) AS q FROM exposures x LEFT JOIN (SELECT e.unit_id, sum(e.value) AS r FROM events e JOIN exposures y ON y.unit_id = e.unit_id AND y.experiment = '${exp}' WHERE e.event = 'purchase' AND e.ts >= y.first_exposure GROUP BY e.unit_id) v ON v.unit_id = x.unit_id WHERE x.experiment = '${exp}' GROUP BY 1 ORDER BY 1`,
        '--db',
        db,
        '--json',
      ],
      { cwd },
    );
    const byGroup = Object.fromEntries((q.json().rows as { g: string; q: number }[]).map((x) => [x.g, x.q]));
    expect(got.control_quantile).toBeCloseTo(byGroup.Control!, 9);
    expect(got.test_quantile).toBeCloseTo(byGroup.Test!, 9);
    expect(got.diff_se).toBeGreaterThan(0);
  });
});
