import { describe, expect, it } from 'vitest';
import { renderTerminalChart, type ChartSeries } from '../../src/ui/chart.js';

const day = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

function series(spikeAt: number, spike: number, n = 300): ChartSeries {
  return {
    history: Array.from({ length: n }, (_, i) => ({ ds: day(i), y: i === spikeAt ? spike : 10 + (i % 2) })),
    forecast: Array.from({ length: 20 }, (_, k) => ({ ds: day(n + k), yhat: 10.5, yhat_lower: 9, yhat_upper: 12 })),
    anomalies: [],
  };
}

/** The plot rows (without the y labels), top first. */
const plotRows = (text: string): string[] => text.split('\n').filter((l) => l.includes('┤')).map((l) => l.slice(l.indexOf('┤') + 1));

describe('terminal chart', () => {
  // Regression: each column drew the mean of its points, so a one-day spike squeezed into a
  // column with four ordinary days came out at a quarter of its height.
  it('keeps a single-point spike: the top row holds a history mark where the spike falls', () => {
    for (const at of [37, 150, 299]) {
      const rows = plotRows(renderTerminalChart(series(at, 100), { width: 64, height: 10, historyPoints: 300 }));
      expect(rows).toHaveLength(10);
      const top = rows[0] ?? '';
      expect(top.match(/•/g)?.length, `spike at ${at}`).toBe(1);
      // The column of the spike is where its time falls: point index * columns / points.
      expect(top.indexOf('•')).toBe(Math.floor((at * 64) / 320));
    }
  });

  it('draws the low and the high point of each column (a min/max envelope), not one sample', () => {
    // Alternating 10 and 11, five points per column: each column must mark both levels.
    const rows = plotRows(renderTerminalChart({ ...series(-1, 0), history: series(-1, 0).history.map((h, i) => ({ ...h, y: i % 2 === 0 ? 0 : 100 })) }, { width: 64, height: 10, historyPoints: 300 }));
    const top = rows[0] ?? '';
    const bottom = rows[rows.length - 1] ?? '';
    const histCols = Math.floor((300 * 64) / 320);
    expect(top.slice(0, histCols).replace(/[^•]/g, '')).toHaveLength(histCols);
    expect(bottom.slice(0, histCols).replace(/[^•]/g, '')).toHaveLength(histCols);
  });

  it('marks an anomaly at its own value', () => {
    const s = { ...series(120, 60), anomalies: [{ ds: day(120), y: 60 }] };
    const rows = plotRows(renderTerminalChart(s, { width: 64, height: 10, historyPoints: 300 }));
    expect(rows[0]).toContain('x');
    expect(rows.slice(1).join('')).not.toContain('x');
  });
});
