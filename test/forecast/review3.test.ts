/**
 * Review 3 (forecast): the robust decomposition's seasons against a known truth (centred, one per
 * period, named by frequency), one components line for the terminal and --json, events counted
 * once per occurrence, holiday effects in the anomaly expectation, low counts scored at the
 * stated familywise rate, partial resampling buckets, --by calibration notes, stable piped output.
 */
import { describe, expect, it } from 'vitest';
import { componentsNote, decompose, decompositionComponents } from '../../src/forecast/components.js';
import { detectAnomalies } from '../../src/forecast/anomalies.js';
import { columnTexts } from '../../src/forecast/output.js';
import { holidayEffects } from '../../src/forecast/holidays.js';
import { forecastSeries } from '../../src/forecast/index.js';
import type { SeriesForecast } from '../../src/forecast/types.js';
import { groupSummaries, renderForecastText } from '../../src/ui/chart.js';
import { mulberry32 } from '../support/rng.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** The reviewer's daily series: 200 + 0.05 t + 15 sin(2 pi t / 7) + 25 sin(2 pi t / 365.25) + N(0, 4). */
function dailySine(seed: number, n = 730): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, t) => 200 + 0.05 * t + 15 * Math.sin((2 * Math.PI * t) / 7) + 25 * Math.sin((2 * Math.PI * t) / 365.25) + 4 * normal(r));
}

describe('robust decomposition (review 3 #8)', () => {
  it('recovers a weekly sine: centred over every week, within 3.5 (noise sd 4) of the truth at every phase, amplitude near 15', () => {
    for (const seed of [1, 2, 3]) {
      const y = dailySine(seed);
      const dec = decompose(y, 'D');
      expect(dec.seasons.map((s) => s.period)).toEqual([7]);
      const n = y.length;
      // Each 7-day window sums to about zero (truth: exactly zero).
      for (let i = 0; i + 7 <= n; i += 7) {
        const sum = dec.seasonal.slice(i, i + 7).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum)).toBeLessThan(3.5);
      }
      // The last cycle (the one the forecast repeats) against the truth, phase by phase.
      for (let t = n - 7; t < n; t++) expect(Math.abs((dec.seasonal[t] as number) - 15 * Math.sin((2 * Math.PI * t) / 7))).toBeLessThan(3.5);
      // No phase is pinned to exactly zero by the trend filter returning its own point.
      const zeros = dec.seasonal.filter((v) => v === 0).length;
      expect(zeros).toBeLessThan(n / 20);
      const comps = decompositionComponents(dec, new Array<number>(14).fill(230), 'D');
      const note = componentsNote(comps, n, [], 'none', 'D');
      const amp = Number(/weekly season \+-([\d.]+)/.exec(note)?.[1]);
      // The discrete sine's largest value is 15 sin(2 pi 2/7) = 14.62.
      expect(Math.abs(amp - 14.62)).toBeLessThan(1.5);
    }
  });

  it('hourly: a daily season and a weekly one, each named for its period, the daily one the large one', () => {
    const r = mulberry32(7);
    const n = 28 * 24;
    const y = Array.from({ length: n }, (_, t) => {
      const day = Math.floor(t / 24) % 7;
      return 50 + 40 * Math.sin((2 * Math.PI * t) / 24) + (day >= 5 ? -10 : 4) + 2 * normal(r);
    });
    const dec = decompose(y, 'H');
    expect(dec.seasons.map((s) => s.period)).toEqual([24, 168]);
    const comps = decompositionComponents(dec, new Array<number>(48).fill(50), 'H');
    expect(comps.seasonal.map((s) => s.name)).toEqual(['daily', 'weekly']);
    const daily = comps.seasonal[0]?.values ?? [];
    const weekly = comps.seasonal[1]?.values ?? [];
    // The daily season against the truth over the last day.
    for (let t = n - 24; t < n; t++) expect(Math.abs((daily[t] as number) - 40 * Math.sin((2 * Math.PI * t) / 24))).toBeLessThan(3);
    // The weekly one holds the weekday/weekend step (14 apart), not the daily swing.
    const lastWeek = weekly.slice(n - 168, n);
    expect(Math.max(...lastWeek) - Math.min(...lastWeek)).toBeLessThan(25);
    const weekend = lastWeek.filter((_, k) => Math.floor((n - 168 + k) / 24) % 7 >= 5);
    const weekdays = lastWeek.filter((_, k) => Math.floor((n - 168 + k) / 24) % 7 < 5);
    const mean = (a: number[]): number => a.reduce((x, v) => x + v, 0) / a.length;
    expect(Math.abs(mean(weekdays) - mean(weekend) - 14)).toBeLessThan(3);
    // The parts add up to the history where y is known.
    for (let t = 0; t < n; t++) expect((dec.fit[t] as number) + (dec.resid[t] as number)).toBeCloseTo(y[t] as number, 9);
  });

  it('the components line: flat trend said as flat, sqrt-scale figures in data units', () => {
    const n = 48;
    const trend = new Array<number>(n + 4).fill(7);
    const daily = Array.from({ length: n + 4 }, (_, t) => 2 * Math.sin((2 * Math.PI * t) / 24));
    const note = componentsNote({ trend, seasonal: [{ name: 'daily', values: daily }], holidays: null, regressors: [] }, n, [], 'sqrt', 'H');
    expect(note).toContain('trend flat at 49');
    // sqrt scale 7 +- 2: (81 - 25) / 2 = 28 requests.
    expect(note).toContain('daily season +-28');
    expect(note).toContain('data units');
  });
});

describe('anomaly false flags on pure noise (review 3 #8, #33)', () => {
  it('Gaussian noise around a weekly and a yearly season: few series flag anything (was 22% before the centred decomposition)', () => {
    let flagged = 0;
    const runs = 150;
    for (let seed = 100; seed < 100 + runs; seed++) {
      const r = mulberry32(seed);
      const y = Array.from({ length: 3 * 365 }, (_, i) => 100 + 0.02 * i + ([0, 4, 6, 5, 3, -8, -10][i % 7] as number) + 15 * Math.sin((2 * Math.PI * i) / 365.25) + 2 * normal(r));
      if (detectAnomalies({ y, raw: y, freq: 'D', start: 0, level: 0.99, inverse: (v) => v }).length > 0) flagged++;
    }
    // Stated: 1%. Measured: 22% before the centred decomposition, 4% before the leave-one-out
    // fit and biweight scale, about 1.4% now (anomaly-level.test.ts checks it against the band).
    expect(flagged / runs).toBeLessThan(0.08);
  });
});

const DAY_MS = 86_400_000;
const isoDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

describe('custom events (review 3 #10)', () => {
  const start = Date.UTC(2024, 0, 1);
  const n = 366;
  const dayIndex = (d: string): number => Math.round((Date.parse(`${d}T00:00:00Z`) - start) / DAY_MS);
  const series = (eventDays: string[]): number[] => {
    const r = mulberry32(5);
    const y = Array.from({ length: n }, (_, i) => 100 + ([0, 4, 6, 5, 3, -8, -10][i % 7] as number) + 2 * normal(r));
    for (const d of eventDays) y[dayIndex(d)] = (y[dayIndex(d)] as number) + 15;
    return y;
  };
  const window = (d: string, days: number): string[] => Array.from({ length: days }, (_, k) => isoDay(Date.parse(`${d}T00:00:00Z`) + k * DAY_MS));

  it('one event with a 4-day window is one occurrence: never "consistent"', () => {
    const days = window('2024-05-31', 4);
    const y = series(days);
    const dec = decompose(y, 'D');
    const found = holidayEffects({ holidays: [{ name: 'launch', dates: days, occurrences: [days] }], y, freq: 'D', start: start / 1000, decomposition: dec });
    expect(found).toEqual([]);
  });

  it('three launches with 2-day windows: 3 occurrences, the effect found', () => {
    const occ = ['2024-03-04', '2024-06-10', '2024-09-16'].map((d) => window(d, 2));
    const y = series(occ.flat());
    const dec = decompose(y, 'D');
    const found = holidayEffects({ holidays: [{ name: 'launch', dates: occ.flat(), occurrences: occ }], y, freq: 'D', start: start / 1000, decomposition: dec });
    expect(found.map((h) => [h.name, h.occurrences])).toEqual([['launch', 3]]);
    expect(found[0]?.effect).toBeGreaterThan(10);
    expect(found[0]?.effect).toBeLessThan(20);
  });
});

describe('holidays with an estimated effect are not anomalies (review 3 #29)', () => {
  it('planted Christmas and July 4 dips are expected once estimated; the real spike is still found', async () => {
    const start = Date.UTC(2023, 0, 1);
    const n = 800;
    const r = mulberry32(29);
    const ds = Array.from({ length: n }, (_, i) => isoDay(start + i * DAY_MS));
    const y = ds.map((_, i) => 500 + ([0, 20, 30, 25, 15, -40, -50][i % 7] as number) + 8 * normal(r));
    ds.forEach((d, i) => {
      if (d.endsWith('-12-25')) y[i] = (y[i] as number) - 200;
      if (d.endsWith('-07-04')) y[i] = (y[i] as number) - 150;
      if (d === '2024-03-13') y[i] = (y[i] as number) + 120;
    });
    const res = await forecastSeries([{ ds, y }], { horizon: 14, model: 'naive', holidays: 'US', anomalies: true, calibrate: false });
    const s = res.series[0];
    const names = (s?.holidays ?? []).map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(['Christmas Day', 'Independence Day']));
    const flagged = (s?.anomalies ?? []).map((a) => a.ds);
    expect(flagged).toContain('2024-03-13');
    for (const d of ['2023-12-25', '2024-12-25', '2023-07-04', '2024-07-04']) expect(flagged).not.toContain(d);
  });
});

describe('pure Poisson counts are flagged near the stated familywise rate (review 3 #33)', () => {
  const poisson = (r: () => number, lam: number): number => {
    const limit = Math.exp(-lam);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= r();
    } while (p > limit);
    return k - 1;
  };
  it('5 days of 5-minute counts, level 5 at night to 55 by day: at most 5% of 80 series flag anything (stated 1%; the sqrt scale gave 7%)', async () => {
    const runs = 80;
    let flagged = 0;
    const start = Date.UTC(2025, 2, 1);
    for (let seed = 1; seed <= runs; seed++) {
      const r = mulberry32(seed);
      const ds = Array.from({ length: 5 * 288 }, (_, i) => new Date(start + i * 300_000));
      const y = ds.map((_, i) => poisson(r, 30 - 25 * Math.cos((2 * Math.PI * i) / 288)));
      const res = await forecastSeries([{ ds, y }], { horizon: 12, model: 'naive', holidays: 'none', anomalies: true, calibrate: false, workers: 0 });
      expect(res.series[0]?.whole_counts).toBe(true);
      if ((res.series[0]?.anomalies.length ?? 0) > 0) flagged++;
    }
    expect(flagged / runs).toBeLessThanOrEqual(0.05);
  });
});

describe('--freq resampling names incomplete buckets (review 3 #22)', () => {
  it('daily to monthly sums: the partial last month is left out and said so; a month with missing days is named', async () => {
    const start = Date.UTC(2024, 0, 1);
    const ds: Date[] = [];
    const y: number[] = [];
    for (let t = start; t <= Date.UTC(2025, 11, 30); t += DAY_MS) {
      ds.push(new Date(t));
      const d = isoDay(t);
      y.push(d === '2024-02-10' || d === '2024-02-11' ? NaN : 100);
    }
    const res = await forecastSeries([{ ds, y }], { horizon: 3, model: 'naive', holidays: 'none', freq: 'M', duplicates: 'sum', calibrate: false, includeHistory: true });
    const w = res.warnings.join('\n');
    expect(w).toContain('the last monthly bucket (2025-12-01: 30 of 31 points) was left out');
    expect(w).toMatch(/1 monthly bucket has fewer points than a full one \(2024-02-01: 27 of 29\): their sums are low/);
    const hist = res.series[0]?.history ?? [];
    expect(hist[hist.length - 1]?.ds).toBe('2025-11-01');
    expect(hist[hist.length - 1]?.y).toBe(3000);
    expect(res.series[0]?.forecast[0]?.ds).toBe('2025-12-01');
  });
});

describe('forecast --by: calibration evidence and notes once (review 3 #27)', () => {
  it('a short series: the calibration note says weak evidence, and --json carries interval_evidence', async () => {
    const start = Date.UTC(2025, 0, 1);
    const r = mulberry32(27);
    const ds = Array.from({ length: 45 }, (_, i) => new Date(start + i * DAY_MS));
    const y = ds.map((_, i) => 100 + ([0, 4, 6, 5, 3, -8, -10][i % 7] as number) + 3 * normal(r));
    const res = await forecastSeries([{ ds, y }], { horizon: 14, model: 'naive', holidays: 'none', calibrate: true, workers: 0 });
    const s = res.series[0];
    expect(s?.interval_evidence?.weak).toBe(true);
    expect(s?.interval_evidence?.folds).toBe(2);
    expect(s?.notes.some((n) => /intervals (widened|narrowed) .*weak evidence: 2 folds, \d+ effective scores/.test(n))).toBe(true);
  });

  it('grouped: one line for the scale range with the weak groups, one for the weights, no per-group repeats', () => {
    const mk = (group: string, scale: number, eff: number): SeriesForecast =>
      ({
        group,
        interval_scale: scale,
        interval_evidence: { folds: 5, effective_scores: eff, weak: eff < 20 },
        notes: [`80% intervals ${scale >= 1 ? 'widened' : 'narrowed'} x${scale.toFixed(2)} from 5-fold CV (conformal, pooled over the horizon)`, `ensemble weights (inverse squared CV MASE, members no worse than seasonal naive): mstl ${(scale / 5).toFixed(2)}`],
      }) as unknown as SeriesForecast;
    const series = [mk('BR', 4.27, 7), mk('FR', 0.89, 25), mk('GB', 2.27, 9)];
    const { lines, drop } = groupSummaries(series);
    expect(lines).toEqual([
      'ensemble weights (inverse squared CV MASE) differ by group: ensemble_weights per group in --json',
      '80% intervals scaled x0.89 to x4.27 across 3 groups from 5-fold CV (conformal; interval_scale per group in --json); weak evidence (under 3 folds or 20 effective scores) for BR, GB',
    ]);
    for (const s of series) for (const n of s.notes) expect(drop(n)).toBe(true);
  });
});

describe('piped output is the same run to run (review 3 #23)', () => {
  it('the cross-validation table has no fit times', async () => {
    const start = Date.UTC(2025, 0, 1);
    const ds = Array.from({ length: 90 }, (_, i) => new Date(start + i * DAY_MS));
    const y = ds.map((_, i) => 100 + ([0, 4, 6, 5, 3, -8, -10][i % 7] as number) + ((i * 37) % 11));
    const res = await forecastSeries([{ ds, y }], { horizon: 7, model: 'naive', holidays: 'none', workers: 0 });
    const s = res.series[0] as SeriesForecast;
    const cand = { model: 'naive' as const, mape: 0.05, smape: 0.05, mase: 0.9, mae: 3, rmse: 4, coverage: 0.8, n: 35, seconds: 0.5123 };
    s.candidates = [cand, { ...cand, seconds: 0.4611 }];
    const text = renderForecastText(res, { columns: 200 });
    expect(text).toContain('Rolling-origin cross-validation');
    expect(text).not.toContain('fit_s');
    expect(text).not.toMatch(/0\.51|0\.46/);
    // The single series' heading says what the coverage column is, not "per group".
    expect(text).toContain('raw cov');
    expect(text).not.toContain('per group: MASE');
  });
});

describe('forecast table numbers (review 3 #14)', () => {
  it('one number of decimals per column', () => {
    expect(columnTexts([744, 731.1, 699])).toEqual(['744.0', '731.1', '699.0']);
    expect(columnTexts([4568.2, 636.4, 6.338])).toEqual(['4,568.200', '636.400', '6.338']);
    expect(columnTexts([12, 30, -4])).toEqual(['12', '30', '-4']);
    expect(columnTexts([-0.25, 1.5])).toEqual(['-0.25', '1.50']);
  });
});

describe('a bad value names its row (review 3 #23)', () => {
  it('the error gives the data row of the first value that is not a number', async () => {
    const dir = tmpDir('fc-review3-');
    const lines = ['ds,y', ...Array.from({ length: 60 }, (_, i) => `${isoDay(Date.UTC(2025, 0, 1) + i * DAY_MS)},${i === 41 ? 'abc' : 100 + i}`)];
    writeFile(dir, 'badval.csv', `${lines.join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'badval.csv', '--holidays', 'none'], { cwd: dir });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/1 value in column "y" is not a number, e\.g\. "abc" \(data row 42\)/);
    expect(res.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
