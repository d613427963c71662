import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FOREST_COLORS, forestRows, forestSpec } from '../../src/charts/analyze.js';
import { specToSvg } from '../../src/charts/render.js';
import type { AnalyzeResult } from '../../src/engines/analyze.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { colourNear, decodePng, placer, pngSize, rasterize, svgSize } from './pixels.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');
// From test/fixtures/analyze/reference.py (see test/analyze/analyze.test.ts).
const REF = { adjusted: { diff: 1.1289362064816153, lo: 0.6086458420219077, hi: 1.6492265709413227 }, raw: { diff: 1.1018809466830213, lo: 0.09118701767168291, hi: 2.1125748756943596 }, control: 16.625962487660416 };
const args = ['analyze', '--data', fixture, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue', '--covariates', 'pre_revenue,tenure_days,country', '--method', 'cupac'];

describe('analyze forest plot', () => {
  it('--chart writes an SVG and a PNG; the rows are each lift and CI over the control mean, adjusted and unadjusted', { timeout: 120_000 }, async () => {
    const dir = tmpDir();
    const res = await runCli([...args, '--chart', 'forest.svg', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const result = res.json<AnalyzeResult>();
    expect(res.stderr).toContain(`wrote ${path.join(dir, 'forest.svg')}`);
    const { rows } = forestRows(result);
    const adj = rows.find((r) => r.label === 'revenue (test)' && r.adjusted);
    const raw = rows.find((r) => r.label === 'revenue (test)' && !r.adjusted);
    expect(adj?.kind).toBe('CUPAC');
    expect(adj?.lift).toBeCloseTo((100 * REF.adjusted.diff) / REF.control, 6);
    expect(adj?.lo).toBeCloseTo((100 * REF.adjusted.lo) / REF.control, 6);
    expect(adj?.hi).toBeCloseTo((100 * REF.adjusted.hi) / REF.control, 6);
    expect(raw?.lift).toBeCloseTo((100 * REF.raw.diff) / REF.control, 6);
    expect(raw?.hi).toBeCloseTo((100 * REF.raw.hi) / REF.control, 6);
    // Two variants, two estimates each.
    expect(rows.map((r) => `${r.label} ${r.kind}`)).toEqual(['revenue (test) CUPAC', 'revenue (test) unadjusted', 'revenue (test2) CUPAC', 'revenue (test2) unadjusted']);

    const svg = fs.readFileSync(path.join(dir, 'forest.svg'), 'utf8');
    expect(() => rasterize(svg)).not.toThrow();
    expect(svg).toContain('revenue (test2)');

    const png = await runCli([...args, '--chart', 'forest.png'], { cwd: dir });
    expect(png.code, png.stderr).toBe(0);
    const bytes = fs.readFileSync(path.join(dir, 'forest.png'));
    const spec = forestSpec(result);
    const same = await specToSvg(spec);
    expect(pngSize(bytes)).toEqual(svgSize(same));
    const img = decodePng(bytes);
    const at = await placer(spec, same, { x: 'x', y: 'y', yOffset: 'yOffset' });
    // The adjusted point sits at its lift on its metric's row (the two estimates share the row's band).
    expect(colourNear(img, ...at(adj?.lift, 'revenue (test)', 'CUPAC'), FOREST_COLORS.adjusted)).toBe(true);
    expect(colourNear(img, ...at(raw?.lift, 'revenue (test)', 'unadjusted'), FOREST_COLORS.unadjusted)).toBe(true);
    // The adjusted CI ends where it should: blue just inside its upper end, none just outside.
    expect(colourNear(img, at(adj?.hi, 'revenue (test)', 'CUPAC')[0] - 2, at(0, 'revenue (test)', 'CUPAC')[1], FOREST_COLORS.adjusted, 1)).toBe(true);
    expect(colourNear(img, at(adj?.hi, 'revenue (test)', 'CUPAC')[0] + 4, at(0, 'revenue (test)', 'CUPAC')[1], FOREST_COLORS.adjusted, 1)).toBe(false);
    // The unadjusted CI is wider: grey reaches past the adjusted upper end.
    expect(colourNear(img, at(adj?.hi, 'revenue (test)', 'unadjusted')[0] + 10, at(0, 'revenue (test)', 'unadjusted')[1], FOREST_COLORS.unadjusted, 1)).toBe(true);
  });

  it('refuses a chart file it cannot write before analysing', async () => {
    const dir = tmpDir();
    const bad = await runCli([...args, '--chart', 'forest.pdf'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--chart must end in .svg, .png or .html, got "forest.pdf"/);
    const missing = await runCli([...args, '--chart', 'no/such/dir/f.svg'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/the folder for .* does not exist/);
  });
});

describe('forest rows', () => {
  const metric = (name: string, control: number | null) => ({
    metric: name, variant: 'test', n_control: 100, n_test: 100, control_mean: control, test_mean: 11, diff: 1, diff_se: 0.5, diff_ci: [0, 2] as [number, number], rel_lift: 0.1, rel_ci: [0, 0.2] as [number, number],
    p_value: 0.04, p_value_adjusted: null, ci_alpha: 0.05, df: 198, rel_se: 0.05, rel_p_value: 0.046, rel_p_value_adjusted: null, significant: true, method: 'cuped' as const, covariates: ['x'], theta: {}, variance_reduction: 0.5,
    equivalent_sample_saved: 1, covariate_shares: {}, nulls: null,
    unadjusted: { diff: 1.2, diff_se: 0.7, diff_ci: [-0.2, 2.6] as [number, number], p_value: 0.09, control_mean: control, test_mean: 11.2 },
  });
  const base = { experiment: 'x', control: 'control', variants: ['test'], alpha: 0.05, tails: 'two' as const, correction: 'none' as const, ci_adjustment: null, method: 'cuped' as const, srm: { chi2: 0, p_value: 1, counts: {}, expected: {}, mismatch: false }, warnings: [], notes: [] };

  it('leaves out metrics with no control mean to scale by, and caps the rows of one picture', () => {
    const r = forestRows({ ...base, results: [metric('a', 10), metric('zero', 0), metric('b', 20)] });
    expect(r.skipped).toEqual(['zero']);
    expect(r.rows.map((x) => [x.label, x.kind, x.lift, x.lo, x.hi])).toEqual([
      ['a', 'CUPED', 10, 0, 20],
      ['a', 'unadjusted', 12, -2, 26],
      ['b', 'CUPED', 5, 0, 10],
      ['b', 'unadjusted', 6, -1, 13],
    ]);
    const many = forestRows({ ...base, results: Array.from({ length: 55 }, (_, i) => metric(`m${i}`, 10)) });
    expect(many.more).toBe(15);
    expect(new Set(many.rows.map((x) => x.label)).size).toBe(40);
  });

  it('runs a one-sided interval\'s open end to the edge of the plot', () => {
    const m = metric('a', 10);
    const r = forestRows({ ...base, results: [{ ...m, diff_ci: [0, null] }] } as unknown as AnalyzeResult);
    const adj = r.rows.find((x) => x.adjusted);
    expect(adj?.open).toBe('hi');
    expect(adj?.hi).toBeGreaterThan(26);
  });
});
