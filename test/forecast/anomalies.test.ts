/**
 * Point anomalies (issue 17): robust residuals of a robust decomposition, merged runs, severity.
 * Outliers are planted with a seeded generator at random non-missing points at least 30 steps
 * apart (and 30 from the ends); a flagged run is a true positive when it contains a planted point.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anomalyThreshold, detectAnomalies, severityOf } from '../../src/forecast/anomalies.js';
import { decompose, runningMedian } from '../../src/forecast/components.js';
import { forecastSeries } from '../../src/forecast/index.js';
import type { Anomaly } from '../../src/forecast/types.js';
import { mulberry32 } from '../support/rng.js';

const repo = path.resolve(import.meta.dirname, '../..');
const DAY = 86_400;

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Peyton Manning's daily log page views on the full daily grid (NaN on the 59 missing days). */
function peyton(): { start: number; y: number[] } {
  const rows = fs.readFileSync(path.join(repo, 'test/fixtures/forecast/peyton_manning.csv'), 'utf8').trim().split('\n').slice(1);
  const t = rows.map((l) => Date.parse(`${(l.split(',')[0] ?? '').replace(/"/g, '')}T00:00:00Z`) / 1000);
  const start = t[0] as number;
  const y = new Array<number>(Math.round(((t[t.length - 1] as number) - start) / DAY) + 1).fill(NaN);
  rows.forEach((l, i) => {
    y[Math.round(((t[i] as number) - start) / DAY)] = Number(l.split(',')[1]);
  });
  return { start, y };
}

/** Plants `count` outliers of +-magnitude; returns the planted indices. */
function plant(y: number[], seed: number, count: number, magnitude: (r: () => number) => number): number[] {
  const r = mulberry32(seed);
  const planted: number[] = [];
  while (planted.length < count) {
    const i = 30 + Math.floor(r() * (y.length - 60));
    if (Number.isNaN(y[i]) || planted.some((p) => Math.abs(p - i) < 30)) continue;
    planted.push(i);
    y[i] = (y[i] as number) + (r() < 0.5 ? -1 : 1) * magnitude(r);
  }
  return planted;
}

function score(found: Anomaly[], planted: number[], start: number): { precision: number; recall: number } {
  const idx = (ds: string): number => Math.round((Date.parse(`${ds}T00:00:00Z`) / 1000 - start) / DAY);
  const hit = (a: Anomaly, p: number): boolean => p >= idx(a.start) && p <= idx(a.end);
  const tp = found.filter((a) => planted.some((p) => hit(a, p))).length;
  return { precision: found.length === 0 ? 0 : tp / found.length, recall: planted.filter((p) => found.some((a) => hit(a, p))).length / planted.length };
}

const detect = (y: number[], start: number): Anomaly[] => detectAnomalies({ y, raw: y, freq: 'D', start, level: 0.99, inverse: (v) => v });

/** Three years of a daily metric: trend, weekly and yearly seasons, N(0, 2) noise. */
function simulated(seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: 3 * 365 }, (_, i) => 100 + 0.02 * i + [0, 4, 6, 5, 3, -8, -10][i % 7]! + 15 * Math.sin((2 * Math.PI * i) / 365.25) + 2 * normal(r));
}

describe('anomalies', () => {
  it('finds planted outliers in Peyton Manning with precision >= 0.5 and recall >= 0.9', () => {
    const { start, y } = peyton();
    // The unplanted series: its own few extreme days (Super Bowl Mondays, the 2015 benching), not 56 points.
    const own = detect(y, start);
    expect(own.length).toBeLessThanOrEqual(6);
    expect(own.map((a) => a.ds)).toEqual(expect.arrayContaining(['2008-02-04', '2014-02-03']));
    for (const seed of [1, 2, 3, 4]) {
      const planted = y.slice();
      // +-3.5 log units (a 33-fold spike or dip): as large as the series' own largest real spikes.
      const at = plant(planted, seed, 5, () => 3.5);
      const found = detect(planted, start);
      const { precision, recall } = score(found, at, start);
      expect(recall, `seed ${seed}`).toBeGreaterThanOrEqual(0.9);
      expect(precision, `seed ${seed}`).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('finds planted outliers in a simulated seasonal series with precision >= 0.5 and recall >= 0.9', () => {
    const start = Date.parse('2022-01-01T00:00:00Z') / 1000;
    for (const seed of [11, 12, 13, 14, 15]) {
      const y = simulated(seed);
      // 3 to 5 outliers of 7 to 10 noise sds.
      const count = 3 + (seed % 3);
      const at = plant(y, seed * 7, count, (r) => 2 * (7 + 3 * r()));
      const found = detect(y, start);
      const { precision, recall } = score(found, at, start);
      expect(recall, `seed ${seed}`).toBeGreaterThanOrEqual(0.9);
      expect(precision, `seed ${seed}`).toBeGreaterThanOrEqual(0.5);
      // Pure noise elsewhere: nothing else is flagged.
      expect(found.length, `seed ${seed}`).toBe(count);
    }
  });

  it('merges consecutive flagged points into one anomaly with start, end and severity', async () => {
    const y = simulated(21);
    for (const i of [400, 401, 402]) y[i] = (y[i] as number) + 40;
    y[700] = (y[700] as number) - 16;
    const ds = y.map((_, i) => new Date(Date.parse('2022-01-01T00:00:00Z') + i * DAY * 1000).toISOString().slice(0, 10));
    const res = await forecastSeries([{ ds, y }], { horizon: 7, model: 'naive', holidays: 'none', anomalies: true, workers: 0 });
    const found = res.series[0]?.anomalies ?? [];
    expect(found.map((a) => [a.start, a.end, a.points])).toEqual([
      ['2023-02-05', '2023-02-07', 3],
      ['2023-12-02', '2023-12-02', 1],
    ]);
    const run = found[0] as Anomaly;
    expect([run.start, run.end]).toContain(run.start);
    expect(run.ds >= run.start && run.ds <= run.end).toBe(true);
    expect(run.severity).toBe('high');
    expect(run.y).toBeGreaterThan(run.upper);
    expect(found[1]?.y).toBeLessThan(found[1]?.lower as number);
    expect(found[1]?.score).toBeLessThan(0);
  });

  it('threshold: familywise for Gaussian noise, beyond the own extremes for heavy tails', () => {
    const r = mulberry32(5);
    const gauss = Array.from({ length: 3000 }, () => Math.abs(normal(r)));
    // Sidak over 3,000 points on Student's t (df 2,601): about 4.66 (the normal's 1 - 0.01 / 6000 quantile: 4.65).
    expect(anomalyThreshold(gauss, 0.99)).toBeCloseTo(4.65, 1);
    const heavy = gauss.map((v, i) => (i % 50 === 0 ? v * 10 : v));
    expect(anomalyThreshold(heavy, 0.99)).toBeGreaterThan(10);
    expect(severityOf(5, 4)).toBe('medium');
    expect(severityOf(-9, 4)).toBe('high');
    expect(severityOf(4.5, 4)).toBe('low');
  });

  it('decomposition: the running median skips gaps, and a spike stays in the residual', () => {
    expect(runningMedian([1, NaN, 3, 100, 5], 3)).toEqual([1, 2, 51.5, 5, 52.5]);
    const y = simulated(3);
    y[500] = (y[500] as number) + 30;
    const dec = decompose(y, 'D');
    expect(dec.period).toBe(7);
    expect((dec.resid[500] as number) / dec.scale).toBeGreaterThan(10);
    expect(Math.abs((dec.resid[501] as number) / dec.scale)).toBeLessThan(4);
    expect(dec.scale).toBeGreaterThan(1.5);
    expect(dec.scale).toBeLessThan(2.5);
  });
});
