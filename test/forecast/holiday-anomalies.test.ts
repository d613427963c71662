import { describe, expect, it } from 'vitest';
import { forecastSeries } from '../../src/forecast/index.js';
import { labelHolidayAnomalies } from '../../src/forecast/service.js';
import type { Anomaly } from '../../src/forecast/types.js';
import { renderForecastText } from '../../src/ui/chart.js';

const anomaly = (ds: string, start = ds, end = ds): Anomaly => ({ ds, start, end, points: 1, y: 10, expected: 5, lower: 4, upper: 6, magnitude: 5, score: 9, severity: 'high' });

describe('an anomaly on a public holiday is labelled with it', () => {
  it('labels the peak day, else the first holiday in the run; leaves other days alone', () => {
    const holidays = [{ name: 'Labor Day', dates: ['2026-09-07'] }, { name: 'Independence Day', dates: ['2026-07-03'] }];
    const list = [anomaly('2026-09-07'), anomaly('2026-07-05', '2026-07-02', '2026-07-05'), anomaly('2026-08-12'), anomaly('2026-09-07 14:00:00')];
    labelHolidayAnomalies(list, holidays, 'US');
    expect(list.map((a) => a.holiday)).toEqual(['Labor Day, US', 'Independence Day, US', undefined, 'Labor Day, US']);
  });

  it('forecast --holidays US --anomalies: the Labor Day spike says so in its row', async () => {
    const start = Date.UTC(2026, 4, 1);
    const n = 140; // 2026-05-01 .. 2026-09-17
    const ds = Array.from({ length: n }, (_, i) => new Date(start + i * 86_400_000));
    const y = ds.map((d, i) => 1000 + 100 * Math.sin((2 * Math.PI * i) / 7) + ((i * 37) % 11) * 3);
    const labor = ds.findIndex((d) => d.toISOString().startsWith('2026-09-07'));
    const plain = ds.findIndex((d) => d.toISOString().startsWith('2026-06-10'));
    y[labor] = (y[labor] as number) + 900;
    y[plain] = (y[plain] as number) + 900;
    const res = await forecastSeries([{ ds, y }], { horizon: 7, model: 'naive', holidays: 'US', anomalies: true, calibrate: false });
    const found = res.series[0]?.anomalies ?? [];
    expect(found.find((a) => a.ds === '2026-09-07')?.holiday).toBe('Labor Day, US');
    expect(found.find((a) => a.ds === '2026-06-10')?.holiday).toBeUndefined();
    const text = renderForecastText(res, { columns: 100 });
    expect(text).toMatch(/2026-09-07 .* high +Labor Day, US/);
    // Without holidays: no label, no column.
    const none = await forecastSeries([{ ds, y }], { horizon: 7, model: 'naive', holidays: 'none', anomalies: true, calibrate: false });
    expect(none.series[0]?.anomalies.every((a) => a.holiday === undefined)).toBe(true);
    expect(renderForecastText(none, { columns: 100 })).not.toContain('holiday');
  });
});
