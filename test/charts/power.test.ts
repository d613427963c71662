import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POWER_COLORS, powerCurves, powerSpec, type PowerChartInput } from '../../src/charts/power.js';
import { specToSvg } from '../../src/charts/render.js';
import { sampleSize } from '../../src/stats/power.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { colourNear, decodePng, placer, pngSize, rasterize, svgSize } from './pixels.js';

const given = ['power', '--metric', 'revenue', '--variance', '400', '--mean', '20', '--variance-reduction', '0.4'];

describe('power curve', () => {
  it('--chart draws power against units per arm with and without the adjustment, crossing the target at the answers', { timeout: 60_000 }, async () => {
    const dir = tmpDir();
    const res = await runCli([...given, '--mde', '0.05', '--chart', 'power.png', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const r = res.json<{ n_per_arm: number; n_per_arm_unadjusted: number; absolute_mde: number }>();
    expect(r).toMatchObject(sampleSize({ variance: 400, mean: 20, varianceReduction: 0.4, mde: 0.05 }));
    const input: PowerChartInput = {
      metric: 'revenue', variance: 400, mean: 20, varianceReduction: 0.4, alpha: 0.05, tails: 'two', power: 0.8, method: 'adjustment',
      sampleSize: { absoluteMde: r.absolute_mde, nPerArm: r.n_per_arm, nPerArmUnadjusted: r.n_per_arm_unadjusted },
    };
    const { points, answers } = powerCurves(input);
    expect(answers.map((a) => a.x)).toEqual([r.n_per_arm, r.n_per_arm_unadjusted]);
    // Each curve rises with n and passes 80% where its answer is.
    for (const curve of new Set(points.map((p) => p.curve))) {
      const ys = points.filter((p) => p.curve === curve).map((p) => p.power);
      expect(ys).toEqual([...ys].sort((a, b) => a - b));
    }
    const near = (curve: string, n: number) => points.filter((p) => p.curve === curve).reduce((best, p) => (Math.abs(p.x - n) < Math.abs(best.x - n) ? p : best));
    expect(near('with adjustment (variance -40%)', r.n_per_arm).power).toBeCloseTo(0.8, 1);
    expect(near('without adjustment', r.n_per_arm_unadjusted).power).toBeCloseTo(0.8, 1);

    const spec = powerSpec(input);
    const svg = await specToSvg(spec);
    expect(() => rasterize(svg)).not.toThrow();
    expect(svg).toContain('Power for revenue, with and without adjustment');
    const png = fs.readFileSync(path.join(dir, 'power.png'));
    expect(pngSize(png)).toEqual(svgSize(svg));
    const img = decodePng(png);
    const at = await placer(spec, svg, { x: 'x', y: 'y' });
    expect(colourNear(img, ...at(r.n_per_arm, 0.8), POWER_COLORS.adjusted)).toBe(true);
    expect(colourNear(img, ...at(r.n_per_arm_unadjusted, 0.8), POWER_COLORS.unadjusted)).toBe(true);
    // At the unadjusted answer the adjusted curve is already well above 80%: no blue there.
    expect(colourNear(img, ...at(r.n_per_arm_unadjusted, 0.8), POWER_COLORS.adjusted)).toBe(false);
  });

  it('with --n it draws power against the effect, in % of the mean', async () => {
    const dir = tmpDir();
    const res = await runCli([...given, '--n', '5000', '--chart', 'power.svg', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const r = res.json<{ relative_mde: number; relative_mde_unadjusted: number }>();
    const svg = fs.readFileSync(path.join(dir, 'power.svg'), 'utf8');
    expect(() => rasterize(svg)).not.toThrow();
    expect(svg).toContain('effect, % of the mean (5,000 units per arm)');
    const { answers } = powerCurves({
      metric: 'revenue', variance: 400, mean: 20, varianceReduction: 0.4, alpha: 0.05, tails: 'two', power: 0.8, method: 'adjustment',
      mde: { nPerArm: 5000, absoluteMde: r.relative_mde * 20, absoluteMdeUnadjusted: r.relative_mde_unadjusted * 20 },
    });
    expect(answers[0]?.x).toBeCloseTo(r.relative_mde * 100, 9);
    expect(answers[1]?.x).toBeCloseTo(r.relative_mde_unadjusted * 100, 9);
  });
});
