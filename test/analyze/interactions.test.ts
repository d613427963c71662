/**
 * interactions: the difference-in-differences z-test between two experiments' arms, checked against
 * values computed from the raw units, calibrated by a seeded null simulation, and run on seeded
 * projects with and without a planted interaction (seed --plant-interaction).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellEstimate, controlFdr, interactionTest, type InteractionTest } from '../../src/stats/interactions.js';
import type { Moments } from '../../src/stats/moments.js';
import { Store } from '../../src/store/store.js';
import { experimentMetrics, metricComponents } from '../../src/store/metrics.js';
import { mulberry32 } from '../support/rng.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';

function normal(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function momentsOf(cols: number[][], names: string[]): Moments {
  const n = cols[0]!.length;
  const k = cols.length;
  const sums = cols.map((c) => c.reduce((a, b) => a + b, 0));
  const cross = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => cols[i]!.reduce((a, x, u) => a + x * cols[j]![u]!, 0)));
  return { n, names, shift: names.map(() => 0), sums, cross };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]) => {
  const m = mean(v);
  return v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1);
};

const LABELS = { a: 'A', b: 'B', metric: 'y', variant_a: 't', control_a: 'c', variant_b: 't', control_b: 'c' };

describe('interaction test from cell sums', () => {
  it('matches the difference in differences computed from the units', () => {
    const r = mulberry32(3);
    const z = normal(r);
    const cells = { a0b0: 0, ab0: 0.5, a0b: 0.2, ab: 1.4 };
    const data = Object.fromEntries(Object.entries(cells).map(([k, shift], i) => [k, Array.from({ length: 300 + 50 * i }, () => 10 + shift + 2 * z())])) as Record<keyof typeof cells, number[]>;
    const est = (k: keyof typeof cells) => cellEstimate(momentsOf([data[k]], ['y']), 'y');
    const t = interactionTest(LABELS, { a0b0: est('a0b0'), ab0: est('ab0'), a0b: est('a0b'), ab: est('ab') }, 0.05);
    const did = mean(data.ab) - mean(data.a0b) - (mean(data.ab0) - mean(data.a0b0));
    const se = Math.sqrt((['a0b0', 'ab0', 'a0b', 'ab'] as const).reduce((a, k) => a + variance(data[k]) / data[k].length, 0));
    expect(t.interaction).toBeCloseTo(did, 10);
    expect(t.interaction_se).toBeCloseTo(se, 10);
    expect(t.z).toBeCloseTo(did / se, 9);
    expect(t.cell_units).toEqual([300, 350, 400, 450]);
    expect(t.lift_in_control_b).toBeCloseTo(mean(data.ab0) / mean(data.a0b0) - 1, 10);
    // scipy.stats.norm.sf(|z|) * 2, with the 95% interval from 1.959963984540054
    expect(t.interaction_ci[0]).toBeCloseTo(did - 1.959963984540054 * se, 9);
  });

  it('uses the delta method for a ratio cell', () => {
    const r = mulberry32(8);
    const num: number[] = [];
    const den: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const d = 1 + Math.floor(r() * 5);
      den.push(d);
      num.push(d * (0.3 + 0.2 * r()) + r());
    }
    const e = cellEstimate(momentsOf([num, den], ['num', 'den']), 'num', 'den')!;
    const R = mean(num) / mean(den);
    const lin = num.map((x, i) => x - R * den[i]!);
    expect(e.estimate).toBeCloseTo(R, 12);
    expect(e.variance).toBeCloseTo(variance(lin) / (500 * mean(den) ** 2), 12);
  });

  it('is calibrated under no interaction (seeded simulation), and BH keeps the family error at alpha', () => {
    const r = mulberry32(11);
    const z = normal(r);
    const runs = 2000;
    let rejected = 0;
    let anyFamily = 0;
    const cellOf = (mu: number, n: number) => {
      const xs = Array.from({ length: n }, () => mu + z());
      return cellEstimate(momentsOf([xs], ['y']), 'y');
    };
    for (let i = 0; i < runs; i += 1) {
      const family: InteractionTest[] = [];
      for (let j = 0; j < 4; j += 1) {
        // Main effects of both experiments, no interaction.
        family.push(interactionTest(LABELS, { a0b0: cellOf(5, 40), ab0: cellOf(5.5, 40), a0b: cellOf(5.3, 40), ab: cellOf(5.8, 40) }, 0.05));
      }
      if ((family[0]!.p_value ?? 1) < 0.05) rejected += 1;
      if (controlFdr(family, 0.05).some((t) => t.significant)) anyFamily += 1;
    }
    const sd = Math.sqrt((0.05 * 0.95) / runs);
    console.log(`interactions null: ${rejected}/${runs} single tests rejected, ${anyFamily}/${runs} families with a BH discovery`);
    expect(Math.abs(rejected / runs - 0.05)).toBeLessThan(3 * sd + 0.005);
    expect(anyFamily / runs).toBeLessThanOrEqual(0.05 + 3 * sd);
  });
});

describe('interactions on seeded projects', () => {
  it('finds the interaction planted by seed --plant-interaction, and none in the same project without it', { timeout: 180_000 }, async () => {
    const cwd = tmpDir();
    const planted = path.join(cwd, 'planted.duckdb');
    const plain = path.join(cwd, 'plain.duckdb');
    const seedArgs = ['seed', 'an online shop for garden gnomes', '--offline', '--users', '20000', '--seed', '3', '--force', '--json'];
    const s = await runCli([...seedArgs, '--db', planted, '--plant-interaction', '1.25'], { cwd });
    expect(s.code, s.stderr).toBe(0);
    const plant = s.json().planted_interactions as { experiments: [string, string]; event: string; factor: number }[];
    expect(plant).toHaveLength(1);
    expect(plant[0]!.factor).toBe(1.25);
    const s2 = await runCli([...seedArgs, '--db', plain], { cwd });
    expect(s2.code, s2.stderr).toBe(0);
    expect(s2.json().planted_interactions).toEqual([]);

    const [pa, pb] = plant[0]!.experiments;
    // Metrics of the planted pair that count the planted event: where the interaction must show.
    const store = await Store.open(planted, { readOnly: true });
    const touched = new Set<string>();
    try {
      for (const x of [pa, pb]) {
        const listed = await experimentMetrics(store, x);
        for (const d of [...listed!.primary, ...listed!.secondary]) {
          const c = metricComponents(d);
          if (c.numerator.event === plant[0]!.event || c.denominator?.event === plant[0]!.event) touched.add(d.key);
        }
      }
    } finally {
      store.close();
    }
    expect(touched.size).toBeGreaterThan(0);

    const r = await runCli(['interactions', '--db', planted, '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const res = r.json();
    expect(res.pairs.length).toBeGreaterThanOrEqual(3);
    const flagged = res.tests.filter((t: InteractionTest) => t.significant);
    expect(flagged.length).toBeGreaterThan(0);
    for (const t of flagged) {
      expect([t.a, t.b].sort()).toEqual([pa, pb].sort());
      expect(touched.has(t.metric)).toBe(true);
      // Units in the treatment of both get more of the event: A's lift is larger where B treats.
      expect(t.interaction).toBeGreaterThan(0);
    }
    const none = await runCli(['interactions', '--db', plain, '--json'], { cwd });
    expect(none.code, none.stderr).toBe(0);
    expect(none.json().tests.filter((t: InteractionTest) => t.significant)).toEqual([]);
    expect(none.json().tests.length).toBe(res.tests.length);

    // The true effects account for the planted interaction: they move, and analyze still recovers them.
    const truthOf = async (db: string) =>
      (await runCli(['query', `SELECT metric, group_name, abs_effect FROM true_effects WHERE segment = 'all' AND experiment = '${pa}'`, '--db', db, '--json'], { cwd })).json().rows as { metric: string; group_name: string; abs_effect: number }[];
    const [tPlanted, tPlain] = [await truthOf(planted), await truthOf(plain)];
    const an = (await runCli(['analyze', '--experiment', pa, '--db', planted, '--no-save', '--json'], { cwd })).json().results as { metric: string; variant: string; diff: number; diff_se: number }[];
    let checked = 0;
    let moved = 0;
    for (const t of tPlanted.filter((x) => touched.has(x.metric))) {
      const before = tPlain.find((x) => x.metric === t.metric && x.group_name === t.group_name)!;
      const est = an.find((x) => x.metric === t.metric && x.variant === t.group_name);
      if (!est || before.abs_effect === 0) continue;
      if (Math.abs(t.abs_effect / before.abs_effect - 1) > 0.5) moved += 1;
      expect(Math.abs(est.diff - t.abs_effect)).toBeLessThan(4 * est.diff_se);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(0);

    const one = await runCli(['interactions', '--db', planted, '--experiment', pa], { cwd });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/interactions? found/);
    expect(one.stdout).toContain(`${[pa, pb].sort().join(' x ')}`);
    const seedHuman = await runCli([...seedArgs.filter((x) => x !== '--json'), '--db', path.join(cwd, 'h.duckdb'), '--plant-interaction'], { cwd });
    expect(seedHuman.code, seedHuman.stderr).toBe(0);
    expect(seedHuman.stdout).toContain(`Planted interactions (statsig-hack interactions should find them):\n  ${plant[0]!.event} x1.25 for units in a non-control group of both ${pa} and ${pb}`);
    const badFactor = await runCli([...seedArgs, '--db', path.join(cwd, 'x.duckdb'), '--plant-interaction', 'lots'], { cwd });
    expect(badFactor.code).toBe(2);
    expect(badFactor.stdout + badFactor.stderr).toMatch(/--plant-interaction/);
    const bad = await runCli(['interactions', '--db', planted, '--experiment', 'nope'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no exposures for experiment "nope"/);
  });
});
