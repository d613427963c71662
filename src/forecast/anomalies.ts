/**
 * Group-level anomalies: which series of a `--by` group diverge from their peers. Each series is
 * put on the common time range, divided by its median (so levels do not matter, shapes do),
 * smoothed over one season (weekly noise and day-of-week effects cancel), and fed to augurs'
 * DBSCAN outlier detector. (Point anomalies inside one series are found in engine.ts.)
 */
import { loadOutlier } from './augurs.js';
import { FREQ_INFO, gridSteps, gridTime, isCalendarFreq } from './calendar.js';
import { median } from './metrics.js';
import { formatTime, interpolate } from './series.js';
import type { DivergentSeries, PreparedSeries } from './types.js';

/** Centered moving average over `w` points (shrinking at the ends). */
export function smooth(y: number[], w: number): number[] {
  if (w <= 1) return y.slice();
  const half = w >> 1;
  const prefix = [0];
  for (const v of y) prefix.push((prefix[prefix.length - 1] as number) + v);
  return y.map((_, i) => {
    const a = Math.max(0, i - half);
    const b = Math.min(y.length - 1, i + half);
    return ((prefix[b + 1] as number) - (prefix[a] as number)) / (b - a + 1);
  });
}

export async function divergentSeries(series: PreparedSeries[], sensitivity = 0.6): Promise<DivergentSeries[]> {
  if (series.length < 3) return [];
  const first = series[0] as PreparedSeries;
  const freq = first.freq;
  let start = -Infinity;
  let end = Infinity;
  for (const s of series) {
    start = Math.max(start, s.start);
    end = Math.min(end, gridTime(freq, s.start, s.y.length - 1));
  }
  if (!(end >= start)) return [];
  const len = gridSteps(freq, start, end) + 1;
  if (!(len >= 8)) return [];
  // Smooth over the shortest season (a week of days, a day of hours or minutes); none for weeks, months, quarters.
  const window = freq === 'W' || isCalendarFreq(freq) ? 1 : (FREQ_INFO[freq].periods[0] as number);
  const data: number[][] = [];
  for (const s of series) {
    const offset = gridSteps(freq, s.start, start);
    const y = interpolate(s.y).slice(offset, offset + len);
    const m = median(y.map(Math.abs));
    const rel = m > 0 ? y.map((v) => v / m) : y.map(() => 0);
    data.push(smooth(rel, window));
  }
  const { OutlierDetector } = await loadOutlier();
  const detector = OutlierDetector.dbscan({ sensitivity });
  try {
    const out = detector.detect(data);
    return out.outlyingSeries.map((i) => {
      const r = out.seriesResults[i];
      const key = series[i]?.key ?? String(i);
      return {
        group: key,
        intervals: (r?.outlierIntervals ?? []).map((iv) => ({
          start: formatTime(gridTime(freq, start, iv.start), freq),
          end: iv.end === undefined || iv.end === null ? null : formatTime(gridTime(freq, start, iv.end - 1), freq),
        })),
        score: (r?.scores ?? []).reduce((a, b) => Math.max(a, b), 0),
      };
    });
  } finally {
    detector.free();
  }
}
