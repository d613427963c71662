import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { detectFreq, interpolate, prepareSeries, rawFromArrays, toEpochSeconds } from '../../src/forecast/series.js';

const day = (i: number): string => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);

describe('time parsing', () => {
  it('reads ISO dates as UTC, Dates and epoch seconds or milliseconds', () => {
    expect(toEpochSeconds('2024-01-02')).toBe(1704153600);
    expect(toEpochSeconds('2024-01-02 06:00:00')).toBe(1704153600 + 6 * 3600);
    expect(toEpochSeconds('2024-01-02T06:00:00+02:00')).toBe(1704153600 + 4 * 3600);
    expect(toEpochSeconds(new Date('2024-01-02T00:00:00Z'))).toBe(1704153600);
    expect(toEpochSeconds(1704153600)).toBe(1704153600);
    expect(toEpochSeconds(1704153600000)).toBe(1704153600);
    expect(toEpochSeconds('02/01/2024')).toBeNull();
    expect(toEpochSeconds('2024-13-45')).toBeNull();
  });

  it('names the unparseable date and its position', () => {
    expect(() => rawFromArrays(null, ['2024-01-01', 'yesterday'], [1, 2])).toThrow(/unparseable date "yesterday" at position 2/);
  });
});

describe('frequency detection', () => {
  const series = (ts: number[]) => [{ key: null, points: ts.map((t) => ({ t, n: 1, valid: 1, sum: 1, min: 1 })) }];
  it('detects hourly, daily (with gaps) and weekly data', () => {
    expect(detectFreq(series([0, 3600, 7200, 14_400]))).toBe('H');
    expect(detectFreq(series([0, 86_400, 172_800, 4 * 86_400]))).toBe('D');
    expect(detectFreq(series([0, 604_800, 2 * 604_800]))).toBe('W');
  });
  it('refuses mixed frequencies and says how to resample', () => {
    const ts = [0, 86_400, 2 * 86_400, 3 * 86_400, 3 * 86_400 + 3600];
    try {
      detectFreq(series(ts), 'ds');
      expect.fail('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(/ds mixes frequencies: most steps are 1 day, but 1 of 4 are not a multiple of it \(e.g. 1 hour\)/);
      expect((error as UserError).hint).toMatch(/--freq D/);
    }
  });
  it('refuses unsupported steps', () => {
    expect(() => detectFreq(series([0, 30 * 86_400, 60 * 86_400]))).toThrow(/most common step is 30 days/);
  });
});

describe('prepareSeries', () => {
  it('puts gaps on the grid as NaN and reports them', () => {
    const raw = rawFromArrays(null, [day(0), day(1), day(3), day(4)], [1, 2, 4, 5]);
    const p = prepareSeries([raw], { duplicates: 'mean' });
    expect(p.freq).toBe('D');
    expect(p.series[0]?.y.map((v) => (Number.isNaN(v) ? null : v))).toEqual([1, 2, null, 4, 5]);
    expect(p.series[0]?.notes[0]).toMatch(/1 missing daily point/);
  });

  it('averages, sums or refuses duplicate timestamps, and says which', () => {
    const raw = () => rawFromArrays(null, [day(0), day(1), day(1), day(2)], [1, 10, 20, 3]);
    const mean = prepareSeries([raw()], { duplicates: 'mean', timeName: 'ds' });
    expect(mean.series[0]?.y).toEqual([1, 15, 3]);
    expect(mean.warnings.join(' ')).toMatch(/1 duplicate timestamp in ds: values averaged/);
    const sum = prepareSeries([raw()], { duplicates: 'sum', timeName: 'ds' });
    expect(sum.series[0]?.y).toEqual([1, 30, 3]);
    expect(sum.warnings.join(' ')).toMatch(/summed/);
    expect(() => prepareSeries([raw()], { duplicates: 'error', timeName: 'ds' })).toThrow(/ds has duplicate values: 2 rows fall on 2024-01-02/);
  });

  it('resamples to a coarser frequency when asked', () => {
    const ts: string[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 14; i++) {
      ts.push(day(i));
      ys.push(i < 7 ? 1 : 2);
    }
    const p = prepareSeries([rawFromArrays(null, ts, ys)], { duplicates: 'sum', freq: 'W' });
    expect(p.series[0]?.y).toEqual([7, 14]);
    expect(p.warnings.join(' ')).toMatch(/resampled to weekly: 2 buckets/);
  });

  it('skips null and NaN values with a warning and tracks the minimum', () => {
    const p = prepareSeries([rawFromArrays(null, [day(0), day(1), day(2)], [4, null, Number.NaN])], { duplicates: 'mean' });
    expect(p.series[0]?.y).toEqual([4]);
    expect(p.warnings.join(' ')).toMatch(/2 rows without a numeric value/);
    expect(p.minValue).toBe(4);
  });

  it('keeps groups apart', () => {
    const a = rawFromArrays('a', [day(0), day(1), day(2)], [1, 2, 3]);
    const b = rawFromArrays('b', [day(1), day(2)], [10, 20]);
    const p = prepareSeries([a, b], { duplicates: 'mean' });
    expect(p.series.map((s) => [s.key, s.y, s.start])).toEqual([
      ['a', [1, 2, 3], 1704067200],
      ['b', [10, 20], 1704153600],
    ]);
  });
});

describe('interpolate', () => {
  it('fills inner gaps linearly and holds the ends', () => {
    expect(interpolate([NaN, 1, NaN, NaN, 4, NaN])).toEqual([1, 1, 2, 3, 4, 4]);
  });
});
