/**
 * Review items 14: on a TTY the forecast table under the charts is cut to its first rows (it
 * scrolled the charts away), and a history too short for cross-validation names the horizon that fits.
 */
import { describe, expect, it } from 'vitest';
import { forecastSeries } from '../../src/forecast/index.js';
import { CHART_TABLE_ROWS, renderForecastText } from '../../src/ui/chart.js';

// the table's own rows: the lines after its header (the charts' axes hold dates too)
const tableRows = (text: string): string[] => {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*ds\s+yhat/.test(l));
  return lines.slice(at + 1).filter((l) => /^\s*2026-\d\d-\d\d\s/.test(l));
};
const ds = (i: number): string => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
const history = (n: number) => ({ ds: Array.from({ length: n }, (_, i) => ds(i)), y: Array.from({ length: n }, (_, i) => 100 + (i % 7) * 3 + i * 0.5) });

describe('forecast: short history and the TTY table', () => {
  it('names the largest --horizon that allows cross-validation, and that horizon does', async () => {
    const res = await forecastSeries([history(42)], { horizon: 30, holidays: 'none', workers: 0 });
    const note = res.series[0]?.notes.find((n) => n.startsWith('history too short for cross-validation'));
    const k = Number(/--horizon (\d+) or shorter/.exec(note ?? '')?.[1]);
    expect(note, res.series[0]?.notes.join('\n')).toMatch(/\(42 points for a 30-step horizon\): --horizon \d+ or shorter allows it/);
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(30);
    // one step more is still too long
    const over = await forecastSeries([history(42)], { horizon: k + 1, holidays: 'none', workers: 0 });
    expect(over.series[0]?.notes.join('\n')).toMatch(/too short for cross-validation/);
    const ok = await forecastSeries([history(42)], { horizon: k, holidays: 'none', workers: 0 });
    expect(ok.series[0]?.notes.join('\n')).not.toMatch(/too short for cross-validation/);
  });

  it('under terminal charts the table shows its first rows and how to get the rest; --table full shows all', async () => {
    const res = await forecastSeries([history(120)], { horizon: 48, holidays: 'none', workers: 0, includeHistory: true });
    const text = renderForecastText(res, { charts: true, width: 60, columns: 100 });
    const dataRows = tableRows(text);
    expect(dataRows).toHaveLength(CHART_TABLE_ROWS);
    expect(text).toContain(`(${48 - CHART_TABLE_ROWS} more rows: --json, or --out forecast.csv for all, or --table full to print them)`);
    const full = renderForecastText(res, { charts: true, width: 60, columns: 100, table: 'full' });
    expect(tableRows(full)).toHaveLength(48);
    // without charts (piped) the whole table as before
    expect(tableRows(renderForecastText(res, { charts: false, columns: 100 }))).toHaveLength(48);
  });
});
