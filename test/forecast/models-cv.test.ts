import { describe, expect, it } from 'vitest';
import { forecastArima, seasonalIndex } from '../../src/forecast/arima.js';
import { applyScales, calibrate, conformalQuantile, foldConformalQuantile, intraClassCorrelation, weightedConformalQuantile, type CvPoint } from '../../src/forecast/conformal.js';
import { effectiveText, naiveBeatsEnsemble, pickByCv } from '../../src/forecast/engine.js';
import { forecastSeries } from '../../src/forecast/index.js';
import { ENSEMBLE_POWER, ensembleWeights } from '../../src/forecast/models.js';
import type { CandidateScore } from '../../src/forecast/types.js';
import { mulberry32 } from '../support/rng.js';

/** Deterministic N(0, 1) draws (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
}

const Z80 = 1.2815515655446004;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, error under 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe('weighted conformal quantile (recency weights)', () => {
  it('equals the plain conformal quantile with equal weights', () => {
    const scores = [0.3, 1.7, 0.9, 2.4, 0.1, 1.1, 0.6, 1.9, 0.8, 1.3];
    for (const level of [0.5, 0.8, 0.9]) {
      expect(weightedConformalQuantile(scores.map((s) => ({ s, w: 1 })), level)).toBe(conformalQuantile(scores, level));
    }
    // ceil(11 * 0.8) = 9th smallest of 10.
    expect(conformalQuantile(scores, 0.8)).toBe(1.9);
  });

  it('follows the heavier (newer) scores', () => {
    // Old scores small (weight 0.1 each), new ones large (weight 1), test weight 1: total 3.4.
    const old = [0.1, 0.2, 0.3, 0.4].map((s) => ({ s, w: 0.1 }));
    const all = [...old, { s: 2, w: 1 }, { s: 3, w: 1 }];
    // 40%: 1.36 is first reached at the score 2 (0.4 + 1 = 1.4).
    expect(weightedConformalQuantile(all, 0.4)).toBe(2);
    // 80%: 2.72 exceeds every score's mass (2.4): the largest score.
    expect(weightedConformalQuantile(all, 0.8)).toBe(3);
    // Equal weights at 40%: the ceil(7 * 0.4) = 3rd smallest, an old score.
    expect(conformalQuantile([0.1, 0.2, 0.3, 0.4, 2, 3], 0.4)).toBe(0.3);
  });
});

describe('correlated folds: intra-class correlation and the effective-size conformal rank', () => {
  it('ICC(1) matches a hand-computed one-way ANOVA', () => {
    // Means 2 and 5, grand 3.5: MSB = 3 * 1.5^2 * 2 / 1 = 13.5, MSW = (2 + 2) / 4 = 1, n0 = 3: (13.5 - 1) / (13.5 + 2) = 12.5 / 15.5.
    expect(intraClassCorrelation([[1, 2, 3], [4, 5, 6]])).toBeCloseTo(12.5 / 15.5, 12);
    // Unequal sizes: [1, 3] and [5, 6, 7]: grand 4.4, SSB = 2 * 2.4^2 + 3 * 1.6^2 = 19.2, SSW = 2 + 2 = 4,
    // MSW = 4 / 3, n0 = (5 - 13 / 5) / 1 = 2.4: (19.2 - 4/3) / (19.2 + 1.4 * 4/3).
    expect(intraClassCorrelation([[1, 3], [5, 6, 7]])).toBeCloseTo((19.2 - 4 / 3) / (19.2 + (1.4 * 4) / 3), 12);
    // Constant within groups, different between: 1. One group, or no spread at all: 0.
    expect(intraClassCorrelation([[1, 1, 1], [0, 0, 0], [1, 1, 1]])).toBe(1);
    expect(intraClassCorrelation([[1, 2, 3]])).toBe(0);
    expect(intraClassCorrelation([[2, 2], [2, 2]])).toBe(0);
    // Independent draws: near 0 (clipped at 0 below).
    const noise = normals(21);
    const groups = Array.from({ length: 50 }, () => Array.from({ length: 20 }, () => noise()));
    expect(intraClassCorrelation(groups)).toBeLessThan(0.05);
  });

  it('gives the plain conformal rank when the folds are uncorrelated and the largest score when each fold moves as one', () => {
    // 4 folds x 5 points, one miss (above the plain quantile) in every fold: the indicators have no between-fold variance.
    const scores = [0.1, 0.2, 0.3, 0.4, 2, 0.15, 0.25, 0.35, 0.45, 2.1, 0.12, 0.22, 0.32, 0.42, 2.2, 0.11, 0.21, 0.31, 0.41, 2.3];
    const even = scores.map((s, i) => ({ s, fold: Math.floor(i / 5) }));
    const r = foldConformalQuantile(even, 0.8);
    expect(r.rho).toBe(0);
    expect(r.effective).toBe(20);
    expect(r.q).toBe(conformalQuantile(scores, 0.8));
    // Same scores sorted, so the 3 misses (above the 17th smallest) gather in the last fold: indicator groups
    // [0 x 5] x 3 and [0, 0, 1, 1, 1]: MSB = 1.35 / 3 = 0.45, MSW = 1.2 / 16 = 0.075, n0 = 5, rho = 0.375 / 0.75 = 0.5;
    // n_eff = 20 / (1 + 4 * 0.5) = 20 / 3, ceil((20/3 + 1) * 0.8) = 7 > n_eff: the largest score.
    const sorted = scores.slice().sort((a, b) => a - b);
    const clustered = sorted.map((s, i) => ({ s, fold: Math.floor(i / 5) }));
    const c = foldConformalQuantile(clustered, 0.8);
    expect(c.rho).toBeCloseTo(0.5, 12);
    expect(c.effective).toBeCloseTo(20 / 3, 12);
    expect(c.q).toBe(2.3);
    // The human note sums the bands' effective sizes, and says nothing when no band lost any.
    expect(effectiveText([40, 56.2], 150)).toBe('; 96 effective scores of 150 (correlated folds)');
    expect(effectiveText([50, 50, 50], 150)).toBe('');
  });

  it('costs nothing when the folds are uncorrelated and errs on the wide side when they share an error (simulation, known coverage)', () => {
    // Each fold has an offset b ~ N(0, sb^2) shared by its 30 steps, plus e ~ N(0, se^2) per step; the model claims 80%
    // half-widths of Z80. A factor c then covers a new fold's point with probability 2 Phi(c Z80 / sqrt(sb^2 + se^2)) - 1,
    // known exactly, so the expected coverage of a calibration is its mean over seeds.
    const H = 30;
    const run = (sb: number, se: number): { plain: number; corrected: number } => {
      const covers = (c: number): number => 2 * normalCdf((c * Z80) / Math.hypot(sb, se)) - 1;
      let plain = 0;
      let corrected = 0;
      const seeds = 300;
      for (let seed = 0; seed < seeds; seed++) {
        const noise = normals(1000 + seed);
        const cv: CvPoint[] = [];
        for (let f = 0; f < 5; f++) {
          const b = sb * noise();
          for (let k = 0; k < H; k++) cv.push({ step: k, actual: b + se * noise(), point: 0, lower: -Z80, upper: Z80, fold: f });
        }
        plain += covers(calibrate(cv, H, 0.8, { maxBands: 1, foldCorrection: false })?.scales[0] as number) / seeds;
        corrected += covers(calibrate(cv, H, 0.8, { maxBands: 1 })?.scales[0] as number) / seeds;
      }
      return { plain, corrected };
    };
    // Independent points: rho is about 0, the correction changes little and both cover about 80%.
    const iid = run(0, 1);
    expect(iid.plain).toBeGreaterThan(0.78);
    expect(iid.plain).toBeLessThan(0.83);
    expect(Math.abs(iid.corrected - iid.plain)).toBeLessThan(0.02);
    // A shared offset per fold: 5 folds are about 5 draws; the plain rank covers a little under 80% (its spread across seeds
    // is large) and the effective-size rank is conservative (about 0.86), never below nominal.
    const shared = run(1, 0.5);
    expect(shared.plain).toBeGreaterThan(0.75);
    expect(shared.plain).toBeLessThan(0.8);
    expect(shared.corrected).toBeGreaterThan(0.82);
    expect(shared.corrected).toBeLessThan(0.9);
  });
});

describe('conformal calibration (per horizon band)', () => {
  // A misspecified model: it claims a constant sd of 1, but the error sd is 2 and grows with the step.
  const H = 30;
  const trueSd = (k: number): number => 2 * (1 + 0.1 * k);
  const draw = (noise: () => number, step: number): CvPoint => {
    const e = trueSd(step) * noise();
    return { step, actual: e, point: 0, lower: -Z80, upper: Z80 };
  };
  const coverageOf = (points: CvPoint[], scales: number[]): number => {
    let inside = 0;
    for (const p of points) {
      const { lower, upper } = applyScales([p.point], [p.lower], [p.upper], [scales[p.step] as number]);
      if (p.actual >= (lower[0] as number) && p.actual <= (upper[0] as number)) inside++;
    }
    return inside / points.length;
  };

  it('raises the coverage of a too-narrow model to about nominal, early and late in the horizon', () => {
    const noise = normals(11);
    // Calibrate on 5 folds x 30 steps, then score fresh draws.
    const cv = Array.from({ length: 5 * H }, (_, i) => draw(noise, i % H));
    const cal = calibrate(cv, H, 0.8);
    expect(cal).not.toBeNull();
    const scales = cal?.scales ?? [];
    expect(cal?.bands).toBeGreaterThan(1);
    // Later steps get larger factors (the model ignored the error growth).
    expect(scales[H - 1] as number).toBeGreaterThan((scales[0] as number) * 1.3);
    const fresh = Array.from({ length: 30 * H }, (_, i) => draw(noise, i % H));
    const uncalibrated = coverageOf(fresh, new Array<number>(H).fill(1));
    expect(uncalibrated).toBeLessThan(0.5);
    const early = fresh.filter((p) => p.step < 10);
    const late = fresh.filter((p) => p.step >= 20);
    for (const part of [fresh, early, late]) {
      const c = coverageOf(part, scales);
      expect(c).toBeGreaterThan(0.7);
      expect(c).toBeLessThan(0.92);
    }
  });

  it('narrows an over-wide model to the true 80% quantile, within tolerance across seeds', () => {
    // The model claims sd 3; the errors are N(0, 1): the true 80% half-width is Z80, so the factor is 1/3.
    const wide = (noise: () => number, step: number): CvPoint => ({ step, actual: noise(), point: 0, lower: -3 * Z80, upper: 3 * Z80 });
    const covs: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const noise = normals(100 + seed);
      const cal = calibrate(Array.from({ length: 5 * H }, (_, i) => wide(noise, i % H)), H, 0.8);
      const scales = cal?.scales ?? [];
      for (const f of scales) {
        expect(f).toBeGreaterThan(0.22);
        expect(f).toBeLessThan(0.48);
      }
      const fresh = Array.from({ length: 20 * H }, (_, i) => wide(noise, i % H));
      expect(coverageOf(fresh, new Array<number>(H).fill(1))).toBeGreaterThan(0.99);
      const c = coverageOf(fresh, scales);
      expect(c).toBeGreaterThan(0.7);
      expect(c).toBeLessThan(0.9);
      covs.push(c);
    }
    // Conformal's ceil((N + 1) 0.8)-th score errs on the wide side: the mean is near 0.8, not below 0.77.
    const mean = covs.reduce((a, b) => a + b, 0) / covs.length;
    expect(mean).toBeGreaterThan(0.77);
    expect(mean).toBeLessThan(0.86);
  });

  it('pools the horizon when there are few scores, and refuses fewer than the minimum', () => {
    const noise = normals(3);
    const few = Array.from({ length: 40 }, (_, i) => draw(noise, i % 8));
    const cal = calibrate(few, 8, 0.8);
    expect(cal?.bands).toBe(1);
    expect(new Set(cal?.scales).size).toBe(1);
    expect(calibrate(few.slice(0, 5), 8, 0.8)).toBeNull();
  });

  it('is applied by default from the CV residuals, says so, and --no-calibrate (calibrate: false) turns it off', async () => {
    const noise = normals(5);
    // Weekly season + a random walk: seasonal naive's intervals are the model's own guess.
    let level = 50;
    const ds: string[] = [];
    const y: number[] = [];
    for (let i = 0; i < 140; i++) {
      level += 0.8 * noise();
      ds.push(new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));
      y.push(level + [0, 3, 5, 4, 2, -6, -8][i % 7]! + noise());
    }
    const on = await forecastSeries([{ ds, y }], { model: 'naive', horizon: 14, holidays: 'none', workers: 0 });
    const off = await forecastSeries([{ ds, y }], { model: 'naive', horizon: 14, holidays: 'none', workers: 0, calibrate: false });
    const a = on.series[0];
    const b = off.series[0];
    expect(a?.interval_scale).toBeGreaterThan(0);
    expect(a?.interval_scales).toHaveLength(14);
    expect(a?.notes.some((n) => /^80% intervals (widened|narrowed) x\d\.\d\d from 5-fold CV/.test(n))).toBe(true);
    expect(b?.interval_scale).toBeNull();
    const half = (s: typeof a, k: number): number => (s?.forecast[k]?.yhat_upper as number) - (s?.forecast[k]?.yhat as number);
    for (const k of [0, 13]) expect(half(a, k)).toBeCloseTo(half(b, k) * (a?.interval_scales?.[k] as number), 6);
  });
});

describe('auto never picks a model that CV scores worse than seasonal naive', () => {
  const s = (model: CandidateScore['model'], mase: number | null, smape: number | null, error?: string): CandidateScore => ({
    model,
    mase,
    smape,
    mae: null,
    rmse: null,
    mape: null,
    coverage: null,
    n: 10,
    seconds: 0,
    ...(error ? { error } : {}),
  });

  it('picks the lowest MASE, naive when every other model is worse, and skips failed fits', () => {
    expect(pickByCv([s('prophet', 1.2, 5), s('mstl', 0.9, 9), s('naive', 1.0, 4)])).toBe('mstl');
    expect(pickByCv([s('prophet', 1.2, 3), s('ets', 1.1, 3), s('naive', 1.0, 4)])).toBe('naive');
    expect(pickByCv([s('prophet', 0.5, 3, 'fit failed'), s('naive', 1.0, 4)])).toBe('naive');
    // Without MASE (a zero scale), sMAPE decides.
    expect(pickByCv([s('ets', null, 3), s('naive', null, 4)])).toBe('ets');
    expect(pickByCv([])).toBeNull();
  });

  it('the default ensemble yields to seasonal naive only when naive is at least as good on MASE and sMAPE', () => {
    expect(naiveBeatsEnsemble([s('ensemble', 0.9, 5), s('naive', 1.0, 6)])).toBe(false);
    // Split verdicts keep the ensemble (hourly flights in CV: better MASE, and here worse sMAPE).
    expect(naiveBeatsEnsemble([s('ensemble', 0.46, 10), s('naive', 0.81, 9)])).toBe(false);
    expect(naiveBeatsEnsemble([s('ensemble', 1.1, 6), s('naive', 1.0, 6)])).toBe(true);
    // Without MASE (a zero scale), sMAPE alone decides.
    expect(naiveBeatsEnsemble([s('ensemble', null, 6), s('naive', null, 5)])).toBe(true);
    expect(naiveBeatsEnsemble([s('ensemble', 1.1, 6, 'no ensemble member could be fitted'), s('naive', 1.0, 5)])).toBe(false);
    expect(naiveBeatsEnsemble([s('naive', 1.0, 5)])).toBe(false);
  });

  it('a seasonal random walk (seasonal naive is the optimal forecast) is forecast by naive when CV agrees', async () => {
    const noise = normals(7);
    const y: number[] = [];
    for (let t = 0; t < 120; t++) y.push(t < 7 ? 100 + 10 * Math.sin(t) : (y[t - 7] as number) + noise());
    const ds = y.map((_, t) => new Date(Date.UTC(2024, 0, 1 + t)).toISOString().slice(0, 10));
    const res = await forecastSeries([{ ds, y }], { model: 'ensemble', horizon: 14, holidays: 'none', workers: 0 });
    const out = res.series[0];
    const ens = out?.candidates.find((c) => c.model === 'ensemble');
    const nv = out?.candidates.find((c) => c.model === 'naive');
    // Every other member scores worse than naive in CV, so the CV ensemble is naive alone (a tie).
    expect(nv?.mase).not.toBeNull();
    expect(nv?.mase as number).toBeLessThanOrEqual(ens?.mase as number);
    expect(out?.model).toBe('naive');
    expect(out?.notes.some((n) => n.startsWith('seasonal naive did at least as well as the ensemble'))).toBe(true);
  });

  it('on simulated series, the chosen model scores no worse than naive in the CV it reports', async () => {
    for (const seed of [1, 2]) {
      const noise = normals(seed);
      const ds: string[] = [];
      const y: number[] = [];
      let level = 100;
      for (let i = 0; i < 72; i++) {
        // seed 1: a seasonal random walk (naive is hard to beat); seed 2: trend + season + noise.
        level += seed === 1 ? 3 * noise() : 0.5;
        ds.push(new Date(Date.UTC(2015, i, 1)).toISOString().slice(0, 10));
        y.push(level + 10 * Math.sin((2 * Math.PI * i) / 12) + (seed === 1 ? 0 : 2 * noise()));
      }
      const res = await forecastSeries([{ ds, y }], { model: 'auto', horizon: 6, holidays: 'none', workers: 0 });
      const out = res.series[0];
      const naive = out?.candidates.find((c) => c.model === 'naive');
      const chosen = out?.candidates.find((c) => c.model === out.model);
      expect(naive?.mase).not.toBeNull();
      expect(chosen?.mase as number).toBeLessThanOrEqual(naive?.mase as number);
      for (const c of out?.candidates ?? []) if (!c.error && c.mase !== null) expect(chosen?.mase as number).toBeLessThanOrEqual(c.mase);
    }
  }, 60_000);
});

describe('ARIMA (arima npm package)', () => {
  it('recovers an AR(1) coefficient from its forecast variances and forecasts toward the mean', () => {
    const noise = normals(21);
    const phi = 0.7;
    const y = [10];
    for (let t = 1; t < 800; t++) y.push(10 + phi * ((y[t - 1] as number) - 10) + noise());
    const f = forecastArima(y, [], 20, 0.8);
    expect(f.d).toBe(0);
    // Half-widths are z * sqrt(var_k); var_2 / var_1 = 1 + psi_1^2 and psi_1 = phi for an AR(1).
    const w1 = (f.upper[0] as number) - (f.point[0] as number);
    const w2 = (f.upper[1] as number) - (f.point[1] as number);
    const psi = Math.sqrt((w2 / w1) ** 2 - 1);
    expect(Math.abs(psi - phi)).toBeLessThan(0.1);
    // The one-step sd is about 1 (the innovation sd).
    expect(w1 / Z80).toBeGreaterThan(0.85);
    expect(w1 / Z80).toBeLessThan(1.15);
    // Far ahead, the forecast reverts to the mean 10.
    expect(Math.abs((f.point[19] as number) - 10)).toBeLessThan(0.5);
  });

  it('forecasts a seasonal series with a trend better than seasonal naive', () => {
    const noise = normals(4);
    const season = [-12, -9, -3, 2, 8, 13, 15, 11, 5, -2, -8, -20];
    const truth = (i: number): number => 100 + 0.5 * i + (season[i % 12] as number);
    const y = Array.from({ length: 120 }, (_, i) => truth(i) + noise());
    const train = y.slice(0, 108);
    const f = forecastArima(train, [12], 12, 0.8);
    let errModel = 0;
    let errNaive = 0;
    for (let k = 0; k < 12; k++) {
      errModel += Math.abs((f.point[k] as number) - truth(108 + k));
      errNaive += Math.abs((train[96 + k] as number) - truth(108 + k));
    }
    expect(errModel).toBeLessThan(errNaive / 2);
    expect(f.spec).toMatch(/adjusted for seasons 12/);
  });

  // The library's own AutoARIMA forecast the mean of a trending series and 0 for a random walk.
  it('keeps the level and the drift of a trend and of a random walk (the library AutoARIMA lost them)', () => {
    const noise = normals(9);
    const trend = Array.from({ length: 108 }, (_, i) => 100 + 0.5 * i + noise());
    const t = forecastArima(trend, [], 3, 0.8);
    expect(t.d).toBe(1);
    for (let k = 0; k < 3; k++) expect(Math.abs((t.point[k] as number) - (100 + 0.5 * (108 + k)))).toBeLessThan(3);
    let level = 100;
    const walk = Array.from({ length: 300 }, () => (level += noise()));
    const w = forecastArima(walk, [], 10, 0.8);
    expect(Math.abs((w.point[0] as number) - level)).toBeLessThan(2);
    // Random-walk intervals widen like sqrt(k).
    const width = (k: number): number => (w.upper[k] as number) - (w.lower[k] as number);
    expect(width(9) / width(0)).toBeGreaterThan(2);
  });

  it('seasonal index recovers a fixed pattern and sums to zero', () => {
    const pattern = [3, -1, -4, 2];
    const y = Array.from({ length: 40 }, (_, i) => 5 + 0.2 * i + (pattern[i % 4] as number));
    const idx = seasonalIndex(y, 4);
    idx.forEach((v, k) => expect(v).toBeCloseTo(pattern[k] as number, 6));
  });
});

describe('ensemble weights follow CV error', () => {
  it('inverse squared MASE over the members no worse than naive, summing to 1', () => {
    const w = ensembleWeights({ prophet: 0.5, mstl: 1.0, ets: 1.5, arima: null, naive: 1.2 });
    expect(w).not.toBeNull();
    expect(Object.keys(w ?? {}).sort()).toEqual(['mstl', 'naive', 'prophet']);
    expect((w?.prophet as number) / (w?.mstl as number)).toBeCloseTo(2 ** ENSEMBLE_POWER, 9);
    expect((w?.mstl as number) / (w?.naive as number)).toBeCloseTo(1.2 ** ENSEMBLE_POWER, 9);
    expect(Object.values(w ?? {}).reduce((a, b) => a + (b ?? 0), 0)).toBeCloseTo(1, 12);
    // Without a naive score (no CV) there are no weights.
    expect(ensembleWeights({ prophet: 0.5 })).toBeNull();
  });


  it('the default ensemble reports weights that order like its members CV MASE', async () => {
    const noise = normals(8);
    const ds: string[] = [];
    const y: number[] = [];
    for (let i = 0; i < 96; i++) {
      ds.push(new Date(Date.UTC(2012, i, 1)).toISOString().slice(0, 10));
      y.push(200 + 1.5 * i + 20 * Math.sin((2 * Math.PI * i) / 12) + 3 * noise());
    }
    const res = await forecastSeries([{ ds, y }], { horizon: 12, holidays: 'none', workers: 0 });
    const out = res.series[0];
    expect(out?.model).toBe('ensemble');
    const w = out?.ensemble_weights ?? {};
    const mase = new Map((out?.candidates ?? []).map((c) => [c.model, c.mase]));
    const members = Object.keys(w) as (keyof typeof w)[];
    expect(members.length).toBeGreaterThan(1);
    for (const a of members) {
      expect(mase.get(a) as number).toBeLessThanOrEqual(mase.get('naive') as number);
      for (const b of members) if ((mase.get(a) as number) < (mase.get(b) as number)) expect(w[a] as number).toBeGreaterThan(w[b] as number);
    }
    expect(out?.notes.some((n) => n.startsWith('ensemble weights (inverse squared CV MASE'))).toBe(true);
  }, 60_000);
});
