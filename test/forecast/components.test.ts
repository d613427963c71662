/**
 * Components and diagnostics (issue 17): trend, seasonalities, holidays and regressors over the
 * history and the horizon, changepoints, fitted values, backtest metrics per horizon step.
 */
import { describe, expect, it } from 'vitest';
import { forecastSeries } from '../../src/forecast/index.js';
import type { ForecastComponents, SeriesForecast } from '../../src/forecast/types.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir, writeFile } from '../support/tmp.js';
import { mulberry32 } from '../support/rng.js';

const DAY_MS = 86_400_000;
const dayOf = (i: number): string => new Date(Date.parse('2021-01-01T00:00:00Z') + i * DAY_MS).toISOString().slice(0, 10);

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const WEEK = [0, 4, 6, 5, 3, -8, -10];

/** Three years, daily: a trend whose slope changes on day 600, a weekly season (+-8), a yearly season (+-10), N(0, 1) noise. */
function daily(seed = 1): { ds: string[]; y: number[] } {
  const r = mulberry32(seed);
  const ds: string[] = [];
  const y: number[] = [];
  for (let i = 0; i < 3 * 365; i++) {
    ds.push(dayOf(i));
    const trend = i < 600 ? 100 + 0.02 * i : 112 + 0.12 * (i - 600);
    y.push(trend + (WEEK[i % 7] as number) + 10 * Math.sin((2 * Math.PI * i) / 365.25) + normal(r));
  }
  return { ds, y };
}

function total(c: ForecastComponents, i: number): number {
  return (c.trend[i] as number) + c.seasonal.reduce((a, s) => a + (s.values[i] as number), 0) + (c.holidays?.[i] ?? 0) + c.regressors.reduce((a, s) => a + (s.values[i] as number), 0);
}

function checkAdditive(s: SeriesForecast, historyTolerance: number): void {
  const c = s.components as ForecastComponents;
  const n = s.history?.length ?? 0;
  expect(n).toBeGreaterThan(0);
  expect(c.ds.length).toBe(n + s.forecast.length);
  expect(c.ds[n]).toBe(s.forecast[0]?.ds);
  for (const arr of [c.trend, ...c.seasonal.map((x) => x.values)]) expect(arr.length).toBe(c.ds.length);
  // Over the horizon the components add up to the forecast; over the history to the fitted values (the model's own terms) or close to them.
  s.forecast.forEach((p, k) => expect(Math.abs(total(c, n + k) - p.yhat)).toBeLessThan(1e-6));
  let worst = 0;
  s.history?.forEach((p, i) => {
    if (p.fitted !== null) worst = Math.max(worst, Math.abs(total(c, i) - p.fitted));
  });
  expect(worst).toBeLessThanOrEqual(historyTolerance);
}

describe('components', () => {
  it("Prophet: its own terms add up to the forecast and the fit, and the changepoints include the slope change", async () => {
    const { ds, y } = daily();
    const res = await forecastSeries([{ ds, y }], { horizon: 30, model: 'prophet', holidays: 'US', includeHistory: true, workers: 0, uncertaintySamples: 100 });
    const s = res.series[0] as SeriesForecast;
    checkAdditive(s, 1e-6);
    const c = s.components as ForecastComponents;
    expect(c.seasonal.map((x) => x.name).sort()).toEqual(['weekly', 'yearly']);
    expect(c.holidays).not.toBeNull();
    // The weekly term recovers the planted +-8 shape.
    const weekly = c.seasonal.find((x) => x.name === 'weekly')?.values.slice(0, 7) ?? [];
    expect((Math.max(...weekly) - Math.min(...weekly)) / 2).toBeGreaterThan(6);
    expect((Math.max(...weekly) - Math.min(...weekly)) / 2).toBeLessThan(10);
    // A changepoint within 60 days of the slope change on day 600 (2022-08-24).
    const near = (s.changepoints ?? []).filter((d) => Math.abs(Date.parse(d) - Date.parse(dayOf(600))) <= 60 * DAY_MS);
    expect(near.length).toBeGreaterThan(0);
    // Fitted values for the history.
    expect(s.history?.every((p) => p.fitted === null || Number.isFinite(p.fitted))).toBe(true);
    expect(s.notes.some((x) => /^components: trend up .* changepoint/.test(x) && /weekly season/.test(x))).toBe(true);
  });

  it('ensemble and MSTL: components add up to the forecast over the horizon', async () => {
    const { ds, y } = daily(2);
    for (const model of ['ensemble', 'mstl'] as const) {
      const res = await forecastSeries([{ ds, y }], { horizon: 21, model, holidays: 'none', includeHistory: true, workers: 0, uncertaintySamples: 100 });
      const s = res.series[0] as SeriesForecast;
      // On the history the decomposition is of y itself: within a few noise sds of the model's fit.
      checkAdditive(s, 8);
      expect(s.components?.seasonal.map((x) => x.name)).toContain('weekly');
      if (model === 'mstl') expect(s.changepoints).toEqual([]);
      // The CV-weighted ensemble keeps its Prophet member's terms (yearly, changepoints) at Prophet's weight.
      if (model === 'ensemble') {
        expect(s.components?.seasonal.map((x) => x.name)).toContain('yearly');
        expect(s.changepoints?.length).toBeGreaterThan(0);
      }
    }
  });

  it('backtest metrics by horizon step', async () => {
    const { ds, y } = daily(3);
    const res = await forecastSeries([{ ds, y }], { horizon: 14, model: 'mstl', backtest: true, folds: 3, holidays: 'none', workers: 0 });
    const bt = res.series[0]?.backtest;
    expect(bt?.by_step?.map((s) => s.step)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    for (const m of ['mstl', 'naive']) {
      const steps = (bt?.by_step ?? []).map((s) => s.models.find((x) => x.model === m));
      expect(steps.every((x) => x?.n === 3)).toBe(true);
      // Every step has the same number of points, so the overall MAE is the mean of the per-step MAEs.
      const overall = bt?.models.find((x) => x.model === m)?.mae as number;
      const mean = steps.reduce((a, x) => a + (x?.mae as number), 0) / steps.length;
      expect(mean).toBeCloseTo(overall, 9);
    }
  });

  it('the JSON document carries the history with fitted values, the components and the changepoints', async () => {
    const dir = tmpDir();
    const { ds, y } = daily(4);
    writeFile(dir, 'd.csv', `ds,y\n${ds.map((d, i) => `${d},${(y[i] as number).toFixed(3)}`).join('\n')}\n`);
    const res = await runCli(['forecast', '--data', 'd.csv', '--model', 'prophet', '--horizon', '10', '--holidays', 'none', '--json'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const s = res.json<{ series: SeriesForecast[] }>().series[0] as SeriesForecast;
    expect(s.history?.length).toBe(ds.length);
    expect(s.history?.[100]?.fitted).toEqual(expect.any(Number));
    expect(s.components?.ds.length).toBe(ds.length + 10);
    expect(Array.isArray(s.changepoints)).toBe(true);
    const human = await runCli(['forecast', '--data', 'd.csv', '--model', 'mstl', '--horizon', '10', '--holidays', 'none'], { cwd: dir });
    expect(human.stdout).toMatch(/components: trend up from .* weekly season \+-/);
  });

  it('with more than 20 series the JSON leaves the history and components out unless --components', async () => {
    const dir = tmpDir();
    const rows = ['ds,g,y'];
    for (let g = 0; g < 21; g++) for (let i = 0; i < 30; i++) rows.push(`${dayOf(i)},g${g},${10 + g + (WEEK[i % 7] as number)}`);
    writeFile(dir, 'm.csv', `${rows.join('\n')}\n`);
    const args = ['forecast', '--data', 'm.csv', '--by', 'g', '--model', 'naive', '--horizon', '3', '--holidays', 'none', '--workers', '0', '--json'];
    const plain = await runCli(args, { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.json<{ series: SeriesForecast[] }>().series.every((s) => s.components === undefined && s.history === undefined)).toBe(true);
    const full = await runCli([...args, '--components'], { cwd: dir });
    const series = full.json<{ series: SeriesForecast[] }>().series;
    expect(series).toHaveLength(21);
    expect(series.every((s) => s.components?.ds.length === 33 && s.history?.length === 30)).toBe(true);
  });
});
