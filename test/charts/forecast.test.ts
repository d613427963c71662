import { describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { FORECAST_COLORS, componentRows, forecastSpecs, forecastTitle, seriesSpec, timeOf, timeTicks } from '../../src/charts/forecast.js';
import { renderChartFile, specToSvg, svgToPng } from '../../src/charts/render.js';
import { forecastFixture } from './fixtures.js';
import { colourNear, decodePng, placer, pngSize, rasterize, svgSize } from './pixels.js';

const textOf = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');
const day = (ds: string): number => timeOf(ds);

describe('forecast chart spec', () => {
  it('puts time ticks on month starts for a year of days, and on year starts for several years', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const months = timeTicks(t0, Date.UTC(2025, 1, 20));
    expect(months.unit).toBe('month');
    expect(months.values.length).toBeGreaterThanOrEqual(4);
    expect(months.values.length).toBeLessThanOrEqual(10);
    for (const v of months.values) expect(new Date(v).getUTCDate()).toBe(1);
    const years = timeTicks(Date.UTC(2019, 5, 3), Date.UTC(2026, 2, 1));
    expect(years.unit).toBe('year');
    expect(years.values).toEqual([2020, 2021, 2022, 2023, 2024, 2025, 2026].map((y) => Date.UTC(y, 0, 1)));
    // A month or two of days: day starts, never mid-day.
    const days = timeTicks(Date.UTC(2024, 0, 1, 13), Date.UTC(2024, 0, 20));
    expect(days.unit).toBe('day');
    for (const v of days.values) expect(v % 86_400_000).toBe(0);
  });

  it('titles the chart with the metric and aggregation, never a file path', () => {
    const { result } = forecastFixture();
    expect(forecastTitle(result)).toBe('Forecast of purchase: sum of values per day');
    const file = { ...result, source: { kind: 'file' as const, name: '/home/me/data/metrics.csv', by: null } };
    expect(forecastTitle(file, { metric: 'revenue' })).toBe('Forecast of revenue per day');
    expect(forecastTitle(file, { metric: 'revenue' })).not.toContain('metrics.csv');
  });

  it('draws only the holidays that had a material effect, and a components row per part', () => {
    const { result } = forecastFixture();
    const spec = seriesSpec(result, result.series[0]!) as unknown as { vconcat: { layer?: { data: { values: { name?: string }[] }; mark: { type: string } }[]; facet?: unknown }[] };
    const rules = spec.vconcat[0]?.layer?.filter((l) => l.mark.type === 'rule' && l.data.values.some((v) => v.name)) ?? [];
    expect(rules.flatMap((l) => l.data.values.map((v) => v.name))).toEqual(['Christmas Day']);
    expect(spec.vconcat[1]?.facet).toBeDefined();
    expect([...new Set(componentRows(result.series[0]!).map((r) => r.component))]).toEqual(['trend', 'weekly', 'yearly', 'holidays']);
    const without = forecastFixture({ components: false }).result;
    expect((seriesSpec(without, without.series[0]!) as unknown as { vconcat: unknown[] }).vconcat).toHaveLength(1);
  });
});

describe('forecast chart pictures', () => {
  it('renders SVG with month-start labels, the title and the component names; the PNG has the SVG size and the marks in their colours', async () => {
    const { result, spikeDay, spikeValue } = forecastFixture();
    const spec = forecastSpecs(result)[0] as TopLevelSpec;
    const svg = await specToSvg(spec);
    const texts = textOf(svg);
    expect(texts).toContain('Forecast of purchase: sum of values per day');
    for (const label of ['Jan 2024', 'Mar 2024', 'Jan 2025']) expect(texts).toContain(label);
    for (const name of ['trend', 'weekly', 'yearly', 'holidays']) expect(texts).toContain(name);
    expect(svg).not.toContain('store.duckdb');
    expect(svg).not.toMatch(/NaN|undefined/);
    expect(() => rasterize(svg)).not.toThrow();

    const png = svgToPng(svg);
    const size = pngSize(png);
    expect(size).toEqual(svgSize(svg));
    const img = decodePng(png);
    expect([img.width, img.height]).toEqual([size.width, size.height]);
    const at = await placer(spec, svg, { group: 'concat_0_group', x: 'concat_0_x', y: 'concat_0_y' });
    const spikeDs = new Date(Date.UTC(2024, 0, 1) + spikeDay * 86_400_000).toISOString().slice(0, 10);
    // The anomaly (the spike) is a red dot at its value; the same height a month earlier is empty.
    expect(colourNear(img, ...at(day(spikeDs), spikeValue), FORECAST_COLORS.anomaly)).toBe(true);
    expect(colourNear(img, ...at(day(spikeDs) - 30 * 86_400_000, spikeValue), FORECAST_COLORS.anomaly)).toBe(false);
    // The material holiday is an orange rule; the non-material one is not drawn.
    expect(colourNear(img, ...at(day('2024-12-25'), 250), FORECAST_COLORS.holiday)).toBe(true);
    expect(colourNear(img, ...at(day('2024-10-14'), 250), FORECAST_COLORS.holiday)).toBe(false);
    // The forecast line runs through yhat.
    const f = result.series[0]!.forecast[10]!;
    expect(colourNear(img, ...at(day(f.ds), f.yhat), FORECAST_COLORS.forecast)).toBe(true);
  });

  it('stacks several series in one SVG, each titled with its group', async () => {
    const a = forecastFixture({ group: 'US' }).result;
    const b = forecastFixture({ group: 'GB', components: false }).result;
    const both = { ...a, series: [a.series[0]!, b.series[0]!] };
    const svg = (await renderChartFile('svg', forecastSpecs(both), { title: 'x' })) as string;
    const texts = textOf(svg).join('\n');
    expect(texts).toMatch(/country = US/);
    expect(texts).toMatch(/country = GB/);
    expect(() => rasterize(svg)).not.toThrow();
  });
});
