import { describe, expect, it } from 'vitest';
import { bucketStart, calendarSteps, FREQS, gridPosition, gridTime } from '../../src/forecast/calendar.js';
import { loadStoreSeries } from '../../src/forecast/data.js';
import { forecastSeries } from '../../src/forecast/index.js';
import { naivePeriod, seasonalPeriods } from '../../src/forecast/models.js';
import { detectFreq, prepareSeries, rawFromArrays } from '../../src/forecast/series.js';
import type { Freq } from '../../src/forecast/types.js';
import { tmpStore } from '../support/tmp.js';

const utc = (y: number, m: number, d = 1, h = 0, min = 0): number => Date.UTC(y, m, d, h, min) / 1000;
const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const raw = (ts: number[]) => [{ key: null, points: ts.map((t) => ({ t, n: 1, valid: 1, sum: 1, min: 1 })) }];

describe('frequency detection beyond hourly, daily and weekly', () => {
  it('detects monthly data whether dated on month starts or month ends (the "31 days" refusal)', () => {
    const starts = Array.from({ length: 30 }, (_, i) => utc(2020, i));
    expect(detectFreq(raw(starts))).toBe('M');
    // Month ends: Jan 31, Feb 29, Mar 31, ...
    const ends = Array.from({ length: 30 }, (_, i) => utc(2020, i + 1, 0));
    expect(detectFreq(raw(ends))).toBe('M');
    // With a missing month (a two-month gap).
    expect(detectFreq(raw(starts.filter((_, i) => i !== 7)))).toBe('M');
  });

  it('detects quarterly data', () => {
    expect(detectFreq(raw(Array.from({ length: 12 }, (_, i) => utc(2019, 3 * i))))).toBe('Q');
  });

  it('detects 5-, 10-, 15- and 30-minute data', () => {
    for (const [min, freq] of [[5, '5min'], [10, '10min'], [15, '15min'], [30, '30min']] as const) {
      expect(detectFreq(raw(Array.from({ length: 20 }, (_, i) => utc(2024, 0, 1, 0, i * min))))).toBe(freq);
    }
  });

  it('still refuses a 28-day (4-weekly) step, which is not monthly, and names the frequencies it supports', () => {
    const ts = Array.from({ length: 20 }, (_, i) => utc(2024, 0, 1) + i * 28 * 86_400);
    expect(() => detectFreq(raw(ts))).toThrow(/most common step is 4 weeks/);
    try {
      detectFreq(raw(ts));
    } catch (error) {
      expect((error as { hint: string }).hint).toMatch(/monthly/);
      expect((error as { hint: string }).hint).toMatch(/5min\|10min/);
    }
  });
});

describe('calendar grid', () => {
  it('steps by calendar months and quarters, not by a fixed number of days', () => {
    const jan = utc(2024, 0);
    expect(iso(gridTime('M', jan, 1))).toBe('2024-02-01');
    expect(iso(gridTime('M', jan, 2))).toBe('2024-03-01');
    expect(iso(gridTime('M', jan, 13))).toBe('2025-02-01');
    expect(iso(gridTime('Q', jan, 5))).toBe('2025-04-01');
    expect(gridPosition('M', jan, utc(2025, 1))).toBe(13);
    expect(gridPosition('Q', jan, utc(2025, 3))).toBe(5);
    expect(iso(bucketStart('M', utc(2024, 1, 29, 13)))).toBe('2024-02-01');
    expect(iso(bucketStart('Q', utc(2024, 7, 15)))).toBe('2024-07-01');
    expect(calendarSteps('M', utc(2024, 0, 31), utc(2024, 1, 29))).toBe(1);
    expect(calendarSteps('M', utc(2024, 0, 1), utc(2024, 0, 29))).toBeNull();
    expect(gridTime('5min', 0, 3)).toBe(900);
  });

  it('buckets month-end dates onto month starts, with a gap as a missing month', () => {
    const ds = [utc(2023, 1, 0), utc(2023, 2, 0), utc(2023, 4, 0), utc(2023, 5, 0)].map(iso); // Jan 31, Feb 28, Apr 30, May 31
    const p = prepareSeries([rawFromArrays(null, ds, [1, 2, 4, 5])], { duplicates: 'mean' });
    expect(p.freq).toBe('M');
    expect(iso(p.series[0]?.start as number)).toBe('2023-01-01');
    expect(p.series[0]?.y).toEqual([1, 2, NaN, 4, 5]);
    expect(p.series[0]?.notes[0]).toMatch(/1 missing monthly point/);
  });
});

describe('resampling to calendar buckets (--freq M|Q)', () => {
  it('sums daily values into calendar months and quarters of their true lengths', () => {
    const days = Array.from({ length: 182 }, (_, i) => iso(utc(2024, 0, 1 + i))); // 2024-01-01 .. 2024-06-30
    const series = [rawFromArrays(null, days, days.map(() => 1))];
    const m = prepareSeries(series, { freq: 'M', duplicates: 'sum' });
    expect(m.series[0]?.y).toEqual([31, 29, 31, 30, 31, 30]);
    expect(m.warnings.join(' ')).toMatch(/resampled to monthly: 6 buckets/);
    const q = prepareSeries(series, { freq: 'Q', duplicates: 'sum' });
    expect(q.series[0]?.y).toEqual([91, 91]);
  });
});

describe('seasonal periods per frequency', () => {
  it('uses 12 for monthly, 4 quarterly, 52 weekly, 7 daily, 24 and 168 hourly, 288 for 5-minute data', () => {
    const long = 100_000;
    const expected: Record<Freq, number[]> = {
      '5min': [288, 2016],
      '10min': [144, 1008],
      '15min': [96, 672],
      '30min': [48, 336],
      H: [24, 168],
      D: [7, 365],
      W: [52],
      M: [12],
      Q: [4],
    };
    for (const f of FREQS) expect(seasonalPeriods(f, long)).toEqual(expected[f]);
    // A period needs two full seasons plus one point.
    expect(seasonalPeriods('M', 24)).toEqual([]);
    expect(naivePeriod('M', 25)).toBe(12);
    expect(naivePeriod('5min', 600)).toBe(288);
  });
});

/** A series that repeats `season` exactly: the seasonal naive forecast must equal it. */
function periodic(n: number, season: number[], time: (i: number) => number) {
  return { ds: Array.from({ length: n }, (_, i) => time(i)).map((t) => new Date(t * 1000)), y: Array.from({ length: n }, (_, i) => season[i % season.length] as number) };
}

describe('forecasts at calendar and sub-hourly frequencies', () => {
  const months = [5, 3, 8, 12, 20, 31, 40, 38, 25, 14, 9, 6];

  it('forecasts monthly data on month starts with the 12-month seasonal naive baseline', async () => {
    const s = periodic(36, months, (i) => utc(2021, i)); // Jan 2021 .. Dec 2023
    const res = await forecastSeries([s], { horizon: 14, model: 'naive', holidays: 'none' });
    const out = res.series[0];
    expect(res.freq).toBe('M');
    expect(out?.forecast.map((p) => p.ds)).toEqual(Array.from({ length: 14 }, (_, k) => iso(utc(2024, k))));
    expect(out?.forecast.map((p) => p.yhat)).toEqual(Array.from({ length: 14 }, (_, k) => months[k % 12]));
  });

  it('forecasts quarterly data on quarter starts', async () => {
    const q = [10, 30, 20, 5];
    const s = periodic(20, q, (i) => utc(2019, 3 * i));
    const res = await forecastSeries([s], { horizon: 6, model: 'naive', holidays: 'none' });
    expect(res.freq).toBe('Q');
    expect(res.series[0]?.forecast.map((p) => p.ds)).toEqual(['2024-01-01', '2024-04-01', '2024-07-01', '2024-10-01', '2025-01-01', '2025-04-01']);
    expect(res.series[0]?.forecast.map((p) => p.yhat)).toEqual([10, 30, 20, 5, 10, 30]);
  });

  it('forecasts 5-minute data one day ahead with a 288-step season and clock-time labels', async () => {
    const day = Array.from({ length: 288 }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * i) / 288));
    const s = periodic(3 * 288, day, (i) => utc(2024, 4, 1, 0, 5 * i));
    const res = await forecastSeries([s], { horizon: 288, model: 'naive', holidays: 'none' });
    const f = res.series[0]?.forecast ?? [];
    expect(res.freq).toBe('5min');
    expect(f[0]?.ds).toBe('2024-05-04 00:00:00');
    expect(f[1]?.ds).toBe('2024-05-04 00:05:00');
    expect(f[287]?.ds).toBe('2024-05-04 23:55:00');
    for (let k = 0; k < 288; k++) expect(f[k]?.yhat).toBeCloseTo(day[k] as number, 9);
  });

  it('fits Prophet on monthly data and returns a finite forecast on month starts', async () => {
    const s = periodic(48, months, (i) => utc(2020, i));
    s.y = s.y.map((v, i) => v + 0.5 * i);
    const res = await forecastSeries([s], { horizon: 12, model: 'prophet', holidays: 'none', uncertaintySamples: 100 });
    const f = res.series[0]?.forecast ?? [];
    expect(f.map((p) => p.ds)).toEqual(Array.from({ length: 12 }, (_, k) => iso(utc(2024, k))));
    expect(f.every((p) => Number.isFinite(p.yhat) && p.yhat_lower <= p.yhat && p.yhat <= p.yhat_upper)).toBe(true);
    // The seasonal shape comes through: the July peak above the January trough (truth: 40 vs 5 plus trend).
    expect((f[6]?.yhat as number) - (f[0]?.yhat as number)).toBeGreaterThan(20);
  });
});

describe('store mode at calendar and sub-hourly frequencies', () => {
  it('counts events per calendar month (empty months are 0) and per 15 minutes', async () => {
    const { store } = await tmpStore();
    try {
      await store.run(`INSERT INTO users (unit_id, country, platform, plan) VALUES ('u1', 'US', 'web', 'free')`);
      // Jan 31 (2), Feb 29 (1), none in March, Apr 1 00:07 and 00:20 and 00:29 (3).
      const ts = ['2024-01-31 10:00:00', '2024-01-31 23:59:00', '2024-02-29 12:00:00', '2024-04-01 00:07:00', '2024-04-01 00:20:00', '2024-04-01 00:29:00'];
      await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata) VALUES ${ts.map((t) => `('u1', 'visit', TIMESTAMP '${t}', NULL, NULL)`).join(',')}`);
      const monthly = await loadStoreSeries(store, { metric: 'visit', freq: 'M' });
      expect(monthly.raw[0]?.points.map((p) => [iso(p.t), p.sum])).toEqual([
        ['2024-01-01', 2],
        ['2024-02-01', 1],
        ['2024-03-01', 0],
        ['2024-04-01', 3],
      ]);
      const quarter = await loadStoreSeries(store, { metric: 'visit', freq: '15min' });
      const april = quarter.raw[0]?.points.filter((p) => p.t >= utc(2024, 3, 1)).map((p) => [new Date(p.t * 1000).toISOString().slice(11, 16), p.sum]);
      expect(april).toEqual([
        ['00:00', 1],
        ['00:15', 2],
      ]);
    } finally {
      store.close();
    }
  });
});
