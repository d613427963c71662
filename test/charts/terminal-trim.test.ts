/** The terminal forecast chart says when it shows only the recent history (and where to see all of it). */
import { describe, expect, it } from 'vitest';
import { renderTerminalChart, type ChartSeries } from '../../src/ui/chart.js';

const day = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
const series = (n: number, horizon: number): ChartSeries => ({
  history: Array.from({ length: n }, (_, i) => ({ ds: day(i), y: 10 + (i % 3) })),
  forecast: Array.from({ length: horizon }, (_, k) => ({ ds: day(n + k), yhat: 11, yhat_lower: 9, yhat_upper: 13 })),
  anomalies: [],
});

describe('terminal chart: trimmed history', () => {
  it('300 days with a 30-day horizon: the last 90 (3 horizons) are drawn and a note says so', () => {
    const text = renderTerminalChart(series(300, 30), { width: 64 });
    expect(text).toContain('showing the last 90 of 300 points; --out forecast.html for all');
    // The axis starts at the first point drawn: day 210.
    expect(text).toContain(day(210));
    expect(text).not.toContain(day(209));
  });

  it('a short horizon keeps at least 60 points; a history that fits gets no note', () => {
    expect(renderTerminalChart(series(100, 7), { width: 64 })).toContain('showing the last 60 of 100 points');
    expect(renderTerminalChart(series(60, 7), { width: 64 })).not.toContain('showing the last');
    expect(renderTerminalChart(series(300, 30), { width: 64, historyPoints: 300 })).not.toContain('showing the last');
  });
});
