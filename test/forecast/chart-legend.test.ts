import { describe, expect, it } from 'vitest';
import { seriesSpec } from '../../src/charts/forecast.js';
import { specToSvg } from '../../src/charts/render.js';
import { forecastFixture } from '../charts/fixtures.js';

const textOf = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');

describe('forecast chart legend', () => {
  it('lists "anomaly" and "holiday" only when such marks are drawn', async () => {
    const { result } = forecastFixture();
    const full = result.series[0]!;
    expect(full.anomalies.length).toBeGreaterThan(0);
    const withMarks = textOf(await specToSvg(seriesSpec(result, full)));
    expect(withMarks).toContain('anomaly');
    expect(withMarks).toContain('holiday');

    const bare = { ...full, anomalies: [], holidays: [], holiday_dates: [] };
    const texts = textOf(await specToSvg(seriesSpec(result, bare)));
    expect(texts).toContain('forecast');
    expect(texts).toContain('actual');
    expect(texts).not.toContain('anomaly');
    expect(texts).not.toContain('holiday');
  });
});
