/**
 * --segments: per-segment effects (CUPAC inside each), Cochran's Q per column, BH across cells.
 * Checked against closed forms (Q for two segments is the squared z of their difference; the
 * chi-square tail with 2 df is exp(-Q/2)), by A/A simulation from sums (seeded), and on a seeded
 * project whose plan=vip segment has a planted larger effect.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeMean } from '../../src/stats/cuped.js';
import type { Moments } from '../../src/stats/moments.js';
import { cochranQ, segmentReport, type SegmentInput } from '../../src/stats/segments.js';
import { mulberry32 } from '../support/rng.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

function normal(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Sufficient statistics of [y, x] for n units with y = base + 0.8 x + noise (x the pre-period covariate). */
function armMoments(n: number, base: number, z: () => number): Moments {
  const sums = [0, 0];
  const cross = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < n; i += 1) {
    const x = 5 + 2 * z();
    const y = base + 0.8 * x + z();
    const v = [y, x];
    for (let a = 0; a < 2; a += 1) {
      sums[a]! += v[a]!;
      for (let b = 0; b < 2; b += 1) cross[a]![b]! += v[a]! * v[b]!;
    }
  }
  return { n, names: ['y', 'x'], shift: [0, 0], sums, cross };
}

describe('Cochran Q', () => {
  it('equals the squared z of the difference for two segments, with the chi-square(1) tail', () => {
    const q = cochranQ([
      { estimate: 0.1, se: 0.03 },
      { estimate: 0.02, se: 0.04 },
    ])!;
    const z2 = (0.1 - 0.02) ** 2 / (0.03 ** 2 + 0.04 ** 2);
    expect(q.q).toBeCloseTo(z2, 12);
    expect(q.df).toBe(1);
    // scipy.stats.chi2.sf(2.56, 1) = 0.10959858339911...
    expect(q.p_value).toBeCloseTo(0.109598583399, 9);
  });

  it('has the exp(-Q/2) tail with three segments and skips segments without a standard error', () => {
    const e = [
      { estimate: 0.05, se: 0.01 },
      { estimate: 0.07, se: 0.02 },
      { estimate: 0.2, se: 0.03 },
      { estimate: 9, se: 0 },
    ];
    const q = cochranQ(e)!;
    const w = e.slice(0, 3).map((x) => 1 / x.se ** 2);
    const sw = w.reduce((a, b) => a + b, 0);
    const swd = e.slice(0, 3).reduce((a, x, i) => a + w[i]! * x.estimate, 0);
    const swd2 = e.slice(0, 3).reduce((a, x, i) => a + w[i]! * x.estimate ** 2, 0);
    expect(q.k).toBe(3);
    expect(q.q).toBeCloseTo(swd2 - swd ** 2 / sw, 10);
    expect(q.p_value).toBeCloseTo(Math.exp(-q.q / 2), 12);
    expect(q.i2).toBeCloseTo((q.q - 2) / q.q, 12);
    expect(cochranQ([{ estimate: 1, se: 1 }])).toBeNull();
  });
});

describe('segment report by simulation (seeded, from sums)', () => {
  const SEGMENTS = ['a', 'b', 'c', 'd'];
  const run = (r: () => number, z: () => number, lift: Record<string, number>): ReturnType<typeof segmentReport> => {
    const inputs: SegmentInput[] = SEGMENTS.map((s) => {
      const n = 150 + Math.floor(r() * 100);
      const mc = armMoments(n, 10, z);
      const mt = armMoments(n, 10 * (1 + (lift[s] ?? 0)), z);
      const c = analyzeMean(mc, mt, { metric: 'y', covariates: ['x'], method: 'cupac' });
      return { dimension: 'seg', value: s, metric: 'y', variant: 'test', n_control: mc.n, n_test: mt.n, comparison: c };
    });
    return segmentReport(inputs, 0.05);
  };

  it('A/A: BH keeps the chance of any flagged segment at alpha, and Q rejects at about alpha', () => {
    const r = mulberry32(19);
    const z = normal(r);
    const runs = 600;
    let anyFlag = 0;
    let qReject = 0;
    let cells = 0;
    let flagged = 0;
    for (let i = 0; i < runs; i += 1) {
      const rep = run(r, z, {});
      const f = rep.cells.filter((c) => c.significant).length;
      flagged += f;
      cells += rep.cells.length;
      if (f > 0) anyFlag += 1;
      if ((rep.heterogeneity[0]!.p_value ?? 1) < 0.05) qReject += 1;
    }
    const sd = Math.sqrt((0.05 * 0.95) / runs);
    console.log(`segments A/A: any BH flag in ${anyFlag}/${runs} runs, ${flagged}/${cells} cells flagged, Q rejected in ${qReject}/${runs}`);
    // Under the global null BH controls the family-wise error at alpha.
    expect(anyFlag / runs).toBeLessThanOrEqual(0.05 + 3 * sd);
    expect(qReject / runs).toBeGreaterThan(0.05 - 3 * sd);
    expect(qReject / runs).toBeLessThan(0.05 + 3 * sd);
  });

  it('finds a planted segment effect (CUPAC inside the segment) and calls the dimension heterogeneous', () => {
    const r = mulberry32(5);
    const z = normal(r);
    let found = 0;
    let het = 0;
    let falseCells = 0;
    const runs = 100;
    for (let i = 0; i < runs; i += 1) {
      const rep = run(r, z, { c: 0.05 });
      if (rep.cells.find((c) => c.value === 'c')!.significant) found += 1;
      falseCells += rep.cells.filter((c) => c.value !== 'c' && c.significant).length;
      if (rep.heterogeneity[0]!.heterogeneous) het += 1;
      // The adjustment is fitted inside each segment: a variance cut on every cell.
      for (const c of rep.cells) expect(c.variance_reduction!).toBeGreaterThan(0.5);
    }
    expect(found / runs).toBeGreaterThan(0.9);
    expect(het / runs).toBeGreaterThan(0.8);
    expect(falseCells / (3 * runs)).toBeLessThan(0.05);
  });
});

describe('analyze --segments on a seeded project', () => {
  it('finds the planted plan=vip effect of search_ranking (personalized) and no heterogeneity where none was planted', { timeout: 120_000 }, async () => {
    const cwd = tmpDir();
    const db = path.join(cwd, 'seg.duckdb');
    const s = await runCli(['seed', 'an online shop for garden gnomes', '--offline', '--users', '20000', '--seed', '3', '--db', db, '--force', '--json'], { cwd });
    expect(s.code, s.stderr).toBe(0);
    const truth = (await runCli(['query', "SELECT metric, group_name, segment, abs_effect, rel_effect FROM true_effects WHERE experiment = 'garden_gnome_search_ranking' AND metric = 'product_view:event_count'", '--db', db, '--json'], { cwd })).json().rows as {
      group_name: string;
      segment: string;
      abs_effect: number;
      rel_effect: number;
    }[];
    const vipTruth = truth.find((t) => t.group_name === 'personalized' && t.segment === 'plan=vip')!;
    const allTruth = truth.find((t) => t.group_name === 'personalized' && t.segment === 'all')!;
    expect(vipTruth.rel_effect).toBeGreaterThan(2 * allTruth.rel_effect);
    const exp = 'garden_gnome_search_ranking';
    const r = await runCli(['analyze', '--experiment', exp, '--db', db, '--metric', 'product_view:event_count', '--segments', 'plan,platform', '--no-save', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const seg = r.json().segments;
    // Every cell: 2 variants x (3 plans + 3 platforms).
    expect(seg.cells).toHaveLength(2 * 6);
    const vip = seg.cells.find((c: any) => c.dimension === 'plan' && c.value === 'vip' && c.variant === 'personalized');
    expect(vip.significant).toBe(true);
    expect(vip.method).toBe('cupac');
    expect(vip.diff_ci[0]).toBeLessThanOrEqual(vipTruth.abs_effect);
    expect(vip.diff_ci[1]).toBeGreaterThanOrEqual(vipTruth.abs_effect);
    const h = (dim: string, variant: string) => seg.heterogeneity.find((x: any) => x.dimension === dim && x.variant === variant);
    expect(h('plan', 'personalized').heterogeneous).toBe(true);
    expect(h('plan', 'personalized').df).toBe(2);
    // Planted: the same relative effect for every plan (ml_ranker) and every platform.
    expect(h('plan', 'ml_ranker').heterogeneous).toBe(false);
    expect(h('platform', 'personalized').heterogeneous).toBe(false);
    expect(h('platform', 'ml_ranker').heterogeneous).toBe(false);

    const human = await runCli(['analyze', '--experiment', exp, '--db', db, '--metric', 'product_view:event_count', '--segments', 'plan', '--no-save'], { cwd });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/plan \/ product_view:event_count \(personalized\): Q = [\d.]+, df = 2, p = \S+, BH p = \S+, I2 = \d+% HETEROGENEOUS/);
    expect(human.stdout).toMatch(/vip .*\*/);

    const bad = await runCli(['analyze', '--experiment', exp, '--db', db, '--metric', 'product_view:event_count', '--segments', 'tenure_days', '--no-save'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/segment column tenure_days .* distinct values/);
    const missing = await runCli(['analyze', '--experiment', exp, '--db', db, '--metric', 'product_view:event_count', '--segments', 'nosuch', '--no-save'], { cwd });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nosuch/);
  });
});

describe('analyze --segments on a file', () => {
  it('segments by a column with CUPAC inside each, and shows hostile segment values without escapes', { timeout: 60_000 }, async () => {
    const cwd = tmpDir();
    const r = mulberry32(77);
    const z = normal(r);
    const countries = ['US', 'DE', '\u001b[31mEVIL\u001b[0m'];
    const lines = ['unit_id,group,country,pre_revenue,revenue'];
    for (let i = 0; i < 2400; i += 1) {
      const g = i % 2 === 0 ? 'control' : 'test';
      const c = countries[i % 3]!;
      const pre = 10 + 3 * z();
      lines.push(`u${i},${g},${c},${pre.toFixed(4)},${(0.8 * pre + 2 + z() + (g === 'test' && c === 'DE' ? 1 : 0)).toFixed(4)}`);
    }
    fs.writeFileSync(path.join(cwd, 'seg.csv'), `${lines.join('\n')}\n`);
    const res = await runCli(['analyze', '--data', 'seg.csv', '--metric', 'revenue', '--covariates', 'pre_revenue', '--segments', 'country', '--json'], { cwd });
    expect(res.code, res.stderr).toBe(0);
    const seg = res.json().segments;
    expect(seg.cells).toHaveLength(3);
    const de = seg.cells.find((c: any) => c.value === 'DE');
    expect(de.significant).toBe(true);
    expect(de.method).toBe('cupac');
    expect(de.variance_reduction).toBeGreaterThan(0.5);
    expect(seg.cells.filter((c: any) => c.value !== 'DE' && c.significant)).toEqual([]);
    expect(seg.heterogeneity[0].heterogeneous).toBe(true);
    // The data really holds the escape (JSON keeps the value, escaped); the terminal table must not.
    expect(seg.cells.some((c: any) => c.value.includes('\u001b'))).toBe(true);
    const human = await runCli(['analyze', '--data', 'seg.csv', '--metric', 'revenue', '--covariates', 'pre_revenue', '--segments', 'country'], { cwd });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toContain('\u001b');
    expect(human.stdout).toMatch(/\[31mEVIL\[0m|EVIL/);
  });
});
