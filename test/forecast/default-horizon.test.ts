import { describe, expect, it } from 'vitest';
import { defaultHorizon, horizonText } from '../../src/forecast/calendar.js';
import { rollingCutoffs } from '../../src/forecast/cv.js';
import { forecastSeries } from '../../src/forecast/index.js';
import { singleFoldNote } from '../../src/forecast/service.js';
import { renderForecastText } from '../../src/ui/chart.js';

const utc = (y: number, m: number, d = 1, h = 0, min = 0): number => Date.UTC(y, m, d, h, min) / 1000;
const series = (n: number, time: (i: number) => number) => ({
  ds: Array.from({ length: n }, (_, i) => new Date(time(i) * 1000)),
  y: Array.from({ length: n }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 12) + ((i * 7) % 5)),
});

describe('the default horizon is a calendar span by frequency', () => {
  it('one day of 5-minute data, two days hourly, 30 days daily, 24 months, 8 quarters; never past the history', () => {
    expect(defaultHorizon('5min', 10_000)).toBe(288);
    expect(defaultHorizon('H', 10_000)).toBe(48);
    expect(defaultHorizon('D', 10_000)).toBe(30);
    expect(defaultHorizon('W', 10_000)).toBe(13);
    expect(defaultHorizon('M', 72)).toBe(24);
    expect(defaultHorizon('Q', 40)).toBe(8);
    expect(defaultHorizon('M', 20)).toBe(20);
  });

  it('says the horizon in steps and in time: never "30 5 minutes"', () => {
    expect(horizonText('5min', 30)).toBe('30 steps (2.5 hours)');
    expect(horizonText('5min', 288)).toBe('288 steps (24 hours)');
    expect(horizonText('15min', 2)).toBe('2 steps (30 minutes)');
    expect(horizonText('30min', 200)).toBe('200 steps (4.2 days)');
    expect(horizonText('H', 48)).toBe('48 hours (2 days)');
    expect(horizonText('H', 12)).toBe('12 hours');
    expect(horizonText('D', 30)).toBe('30 days');
    expect(horizonText('D', 1)).toBe('1 day');
    expect(horizonText('M', 24)).toBe('24 months (2 years)');
    expect(horizonText('M', 6)).toBe('6 months');
    expect(horizonText('Q', 6)).toBe('6 quarters (1.5 years)');
  });

  it('a single CV fold is called weak, with the horizon that gives 3 folds', () => {
    expect(rollingCutoffs(60, 24, { folds: 5 })).toHaveLength(1);
    expect(rollingCutoffs(60, 15, { folds: 5 }).length).toBeGreaterThanOrEqual(3);
    expect(rollingCutoffs(60, 16, { folds: 5 }).length).toBeLessThan(3);
    expect(singleFoldNote(60, 24, 5)).toBe(
      'only 1 cross-validation fold fits 60 points with a 24-step horizon: the model choice and the interval calibration rest on a single forecast origin (weak evidence); --horizon 15 gives 3 folds',
    );
  });

  it('forecasts 60 months 24 months ahead by default and says the one fold is weak', async () => {
    const res = await forecastSeries([series(60, (i) => utc(2019, i))], { model: 'naive', holidays: 'none' });
    expect(res.horizon).toBe(24);
    expect(res.series[0]?.forecast).toHaveLength(24);
    expect(res.horizon_note).toBe('default horizon for monthly data; --horizon sets it');
    expect(res.series[0]?.notes.join('\n')).toContain('only 1 cross-validation fold fits 60 points');
    const text = renderForecastText(res);
    expect(text).toContain('Forecast of the series: 24 months (2 years) ahead, 80% intervals');
    // The default is in --help and the JSON; the text repeats it only when the history shortened it.
    expect(text).not.toContain('default horizon');
    // Asked for: no default note; 3 folds: no weak-evidence note.
    const given = await forecastSeries([series(60, (i) => utc(2019, i))], { model: 'naive', holidays: 'none', horizon: 12 });
    expect(given.horizon_note).toBeNull();
    expect(given.series[0]?.notes.join('\n')).not.toContain('cross-validation fold');
  });

  it('5-minute data: one day ahead by default, the header in steps and hours', async () => {
    const res = await forecastSeries([series(3 * 288, (i) => utc(2024, 4, 1, 0, 5 * i))], { model: 'naive', holidays: 'none', calibrate: false });
    expect(res.horizon).toBe(288);
    expect(renderForecastText(res)).toContain(': 288 steps (24 hours) ahead,');
    const short = await forecastSeries([series(100, (i) => utc(2024, 4, 1, 0, 5 * i))], { model: 'naive', holidays: 'none', calibrate: false });
    expect(short.horizon).toBe(100);
    expect(short.horizon_note).toBe("default horizon 288 steps (24 hours), shortened to the history's 100 points; --horizon sets it");
    expect(renderForecastText(short)).toContain(": 100 steps (8.3 hours) ahead,");
    expect(renderForecastText(short)).toContain("(default horizon 288 steps (24 hours), shortened to the history's 100 points; --horizon sets it)");
  });
});
