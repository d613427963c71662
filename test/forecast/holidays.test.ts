/**
 * Holiday effects (issue 17): reported only when consistent across occurrences, and named in
 * the country's English ("Labor Day" in the US, "Labour Day" in Canada).
 */
import { describe, expect, it } from 'vitest';
import { decompose } from '../../src/forecast/components.js';
import { holidayEffects, holidaysBetween } from '../../src/forecast/holidays.js';
import { forecastSeries } from '../../src/forecast/index.js';
import type { ModelChoice } from '../../src/forecast/types.js';
import { mulberry32 } from '../support/rng.js';

const DAY = 86_400;
const START = Date.parse('2021-01-01T00:00:00Z') / 1000;

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Four years of a daily metric (trend, weekly season, N(0, 2) noise) with no holiday effect, plus `planted` on given dates. */
function series(seed: number, planted: Map<string, number> = new Map()): { ds: string[]; y: number[] } {
  const r = mulberry32(seed);
  const ds: string[] = [];
  const y: number[] = [];
  for (let i = 0; i < 4 * 365; i++) {
    const d = new Date((START + i * DAY) * 1000).toISOString().slice(0, 10);
    ds.push(d);
    y.push(100 + 0.01 * i + [0, 4, 6, 5, 3, -8, -10][i % 7]! + 2 * normal(r) + (planted.get(d) ?? 0));
  }
  return { ds, y };
}

describe('holiday effects', () => {
  it('reports no effect for AU holidays on a series without any', async () => {
    for (const [seed, model] of [
      [1, 'mstl'],
      [2, 'prophet'],
      [3, 'ensemble'],
      [4, 'naive'],
    ] as [number, ModelChoice][]) {
      const { ds, y } = series(seed);
      const res = await forecastSeries([{ ds, y }], { horizon: 14, model, holidays: 'AU', workers: 0, uncertaintySamples: 100 });
      const s = res.series[0];
      expect(s?.country).toBe('AU');
      expect(s?.holidays, `seed ${seed}, ${model}`).toEqual([]);
    }
  });

  it('finds one planted effect, with its sign and size, and nothing else', async () => {
    const au = await holidaysBetween('AU', START, START + 4 * 365 * DAY);
    const christmas = au.find((h) => h.name === 'Christmas Day');
    expect(christmas?.dates.length).toBe(4);
    const planted = new Map((christmas?.dates ?? []).map((d) => [d, -25]));
    for (const model of ['mstl', 'prophet'] as ModelChoice[]) {
      const { ds, y } = series(7, planted);
      const res = await forecastSeries([{ ds, y }], { horizon: 14, model, holidays: 'AU', workers: 0, uncertaintySamples: 100 });
      const found = res.series[0]?.holidays ?? [];
      expect(found.map((h) => h.name), model).toEqual(['Christmas Day']);
      const h = found[0];
      expect(h?.effect).toBeLessThan(-15);
      expect(h?.effect).toBeGreaterThan(-32);
      expect(h?.same_sign).toBe(1);
      expect(h?.occurrences).toBe(4);
      expect(h?.material).toBe(true);
    }
  });

  it('drops an effect that one occurrence carries alone', () => {
    const { y } = series(9);
    const dates = ['2021-06-01', '2022-06-01', '2023-06-01', '2024-06-01'];
    // One huge occurrence and three that go the other way: the mean is large, the signs are not consistent.
    const idx = (d: string): number => Math.round((Date.parse(`${d}T00:00:00Z`) / 1000 - START) / DAY);
    y[idx(dates[0] as string)] = (y[idx(dates[0] as string)] as number) + 60;
    for (const d of dates.slice(1)) y[idx(d)] = (y[idx(d)] as number) - 3;
    const dec = decompose(y, 'D');
    expect(holidayEffects({ holidays: [{ name: 'Spike Day', dates }], y, freq: 'D', start: START, decomposition: dec })).toEqual([]);
    // The same four occurrences all at -8: reported.
    const { y: y2 } = series(9);
    for (const d of dates) y2[idx(d)] = (y2[idx(d)] as number) - 8;
    const found = holidayEffects({ holidays: [{ name: 'Dip Day', dates }], y: y2, freq: 'D', start: START, decomposition: decompose(y2, 'D') });
    expect(found.map((h) => h.name)).toEqual(['Dip Day']);
    expect(found[0]?.z).toBeLessThan(-3);
  });

  it("names holidays in the country's English", async () => {
    const from = Date.parse('2024-01-01T00:00:00Z') / 1000;
    const to = Date.parse('2024-12-31T00:00:00Z') / 1000;
    const us = (await holidaysBetween('US', from, to)).map((h) => h.name);
    const ca = (await holidaysBetween('CA', from, to)).map((h) => h.name);
    expect(us).toContain('Labor Day');
    expect(us).not.toContain('Labour Day');
    expect(ca).toContain('Labour Day');
    const de = (await holidaysBetween('DE', from, to)).map((h) => h.name);
    expect(de).toContain('Christmas Day');
  });
});
