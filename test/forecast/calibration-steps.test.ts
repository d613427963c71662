import { describe, expect, it } from 'vitest';
import { calibrate, calibrateSteps, isotonicNonDecreasing, type CvPoint } from '../../src/forecast/conformal.js';
import { mulberry32 } from '../support/rng.js';

/** Deterministic N(0, 1) draws (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
}

/** erf by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7), independent of the code under test. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

// The model's own half-width grows linearly with the step (C (k + 1)), its CV errors only like
// sqrt(k + 1) (sd SIGMA sqrt(k + 1)): relative to its errors it is too wide late and too narrow
// early, the profile a calibration per step must correct. Errors are independent across steps
// and folds here (no fold-shared shift), so the correlated-folds correction should change little.
const FOLDS = 5;
const H = 30;
const SIGMA = 2;
const C = 0.5;

function simulate(seed: number): CvPoint[] {
  const z = normals(seed);
  const pts: CvPoint[] = [];
  for (let f = 0; f < FOLDS; f++) {
    for (let k = 0; k < H; k++) {
      const half = C * (k + 1);
      pts.push({ step: k, actual: SIGMA * Math.sqrt(k + 1) * z(), point: 0, lower: -half, upper: half, fold: f });
    }
  }
  return pts;
}

/** Exact coverage at step k of the calibrated half-width factor * C (k + 1) against N(0, sigma^2 (k + 1)). */
function trueCoverage(factor: number, k: number): number {
  const hw = factor * C * (k + 1);
  return erf(hw / (SIGMA * Math.sqrt(k + 1) * Math.SQRT2));
}

/** Mean exact coverage over `runs` simulated CV sets, at the first 5 and at the last 5 steps. */
function meanCoverage(scalesOf: (pts: CvPoint[]) => number[] | null, runs: number): { early: number; late: number; first: number } {
  let early = 0;
  let late = 0;
  let first = 0;
  for (let r = 0; r < runs; r++) {
    const scales = scalesOf(simulate(1000 + r));
    if (!scales) throw new Error('no calibration');
    for (let k = 0; k < 5; k++) early += trueCoverage(scales[k] as number, k) / 5;
    for (let k = H - 5; k < H; k++) late += trueCoverage(scales[k] as number, k) / 5;
    first += trueCoverage(scales[0] as number, 0);
  }
  return { early: early / runs, late: late / runs, first: first / runs };
}

describe('per-step calibration (calibrateSteps)', () => {
  it('covers 80% at early and late steps when errors grow like sqrt(step) and half-widths linearly', () => {
    const c = meanCoverage((pts) => calibrateSteps(pts, H, 0.8)?.scales ?? null, 200);
    expect(c.early).toBeGreaterThan(0.77);
    expect(c.early).toBeLessThan(0.84);
    expect(c.late).toBeGreaterThan(0.77);
    expect(c.late).toBeLessThan(0.84);
    expect(c.first).toBeGreaterThan(0.76);
  });

  it('recovers the profile exponent (ratio of sd to half-width ~ (k + 1)^-0.5) and the true 80% half-width', () => {
    let b = 0;
    let ratioFirst = 0;
    let ratioLast = 0;
    const runs = 100;
    for (let r = 0; r < runs; r++) {
      const cal = calibrateSteps(simulate(5000 + r), H, 0.8);
      if (!cal) throw new Error('no calibration');
      b += cal.exponent / runs;
      // the true 80% half-width is 1.2816 sigma sqrt(k + 1)
      ratioFirst += ((cal.scales[0] as number) * C * 1) / (1.2816 * SIGMA * 1) / runs;
      ratioLast += ((cal.scales[H - 1] as number) * C * H) / (1.2816 * SIGMA * Math.sqrt(H)) / runs;
    }
    expect(b).toBeGreaterThan(-0.6);
    expect(b).toBeLessThan(-0.4);
    expect(ratioFirst).toBeGreaterThan(0.9);
    expect(ratioFirst).toBeLessThan(1.2);
    expect(ratioLast).toBeGreaterThan(0.9);
    expect(ratioLast).toBeLessThan(1.2);
  });

  it('where the 3 horizon bands miss the first steps and over-cover the last (the weakness it addresses)', () => {
    const c = meanCoverage((pts) => calibrate(pts, H, 0.8)?.scales ?? null, 200);
    // measured: first step 0.49, first 5 steps 0.71, last 5 steps 0.84 (calibrateSteps: 0.80 / 0.80 / 0.81)
    expect(c.first).toBeLessThan(0.6);
    expect(c.early).toBeLessThan(0.75);
    expect(c.late).toBeGreaterThan(0.83);
  });

  it('returns null below the minimum number of scores, and a flat profile from a single step', () => {
    expect(calibrateSteps(simulate(1).slice(0, 5), H, 0.8)).toBeNull();
    const one: CvPoint[] = [1, -2, 3, -4, 5, 0.5, -1.5, 2.5, -3.5, 4.5].map((a) => ({ step: 0, actual: a, point: 0, lower: -1, upper: 1 }));
    const cal = calibrateSteps(one, 1, 0.8);
    expect(cal?.exponent).toBe(0);
    // plain conformal rank ceil(11 x 0.8) = 9th smallest of |a| = 1, 1.5, 2, ..., 5 -> 4.5
    expect(cal?.scales[0]).toBe(4.5);
  });
});

describe('isotonicNonDecreasing (pool adjacent violators)', () => {
  it('matches hand-computed fits', () => {
    expect(isotonicNonDecreasing([1, 3, 2, 4])).toEqual([1, 2.5, 2.5, 4]);
    expect(isotonicNonDecreasing([3, 2, 1])).toEqual([2, 2, 2]);
    expect(isotonicNonDecreasing([1, 2, 3])).toEqual([1, 2, 3]);
    // weighted: (4 x 1 + 1 x 2) / 3 = 2 for the first two, then 5 stays
    expect(isotonicNonDecreasing([4, 1, 5], [1, 2, 1])).toEqual([2, 2, 5]);
  });

  it('calibrate(..., { monotone: true }) gives non-decreasing factors over the horizon', () => {
    const cal = calibrate(simulate(7), H, 0.8, { monotone: true });
    const s = cal?.scales ?? [];
    expect(s.length).toBe(H);
    for (let k = 1; k < H; k++) expect(s[k] as number).toBeGreaterThanOrEqual(s[k - 1] as number);
  });
});
