/**
 * whatchanged as waterfalls (pure: result in, Vega-Lite specs out): for a dimension, the
 * baseline total, each segment's part of the change (its impact, mix + rate) as a step up or
 * down, the segments not listed folded into one step, and the current total. The steps sum to
 * the change, so the last bar lands on the current value.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { DimensionResult, WhatChangedResult } from '../engines/whatchanged/index.js';

export const WATERFALL_COLORS = { up: '#16a34a', down: '#dc2626', total: '#6b7280' } as const;

export interface WaterfallStep {
  label: string;
  kind: 'total' | 'up' | 'down';
  /** Where the bar starts and ends on the metric's axis. */
  start: number;
  end: number;
  /** The step's size (the total itself for the two totals). */
  value: number;
}

/** The steps of one dimension's waterfall; null when the result has no totals. */
export function waterfallSteps(r: WhatChangedResult, dim: DimensionResult, maxSegments = 12): WaterfallStep[] | null {
  const current = r.headline.current;
  const delta = r.headline.delta;
  if (current === null || delta === null || !Number.isFinite(current) || !Number.isFinite(delta)) return null;
  const baseline = current - delta;
  const steps: WaterfallStep[] = [{ label: 'baseline', kind: 'total', start: 0, end: baseline, value: baseline }];
  let at = baseline;
  const shown = [...dim.segments].sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact)).slice(0, maxSegments);
  for (const s of shown) {
    if (!Number.isFinite(s.impact)) continue;
    steps.push({ label: s.value, kind: s.impact >= 0 ? 'up' : 'down', start: at, end: at + s.impact, value: s.impact });
    at += s.impact;
  }
  const rest = current - at;
  if (Math.abs(rest) > 1e-9 * Math.max(1, Math.abs(current), Math.abs(delta))) {
    steps.push({ label: 'other segments', kind: rest >= 0 ? 'up' : 'down', start: at, end: current, value: rest });
  }
  steps.push({ label: 'current', kind: 'total', start: 0, end: current, value: current });
  // Totals are drawn from the axis floor, so the steps are not squashed against a tall zero-based bar.
  const values = steps.flatMap((s) => (s.kind === 'total' ? [s.end] : [s.start, s.end]));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) || 1;
  let floor = lo - 0.5 * span;
  if (lo >= 0 && floor < 0) floor = 0;
  for (const s of steps) if (s.kind === 'total') s.start = floor;
  return steps;
}

const AGG_WORDS: Record<string, string> = { count: 'count', sum: 'sum', mean: 'mean per event' };

export function waterfallSpec(r: WhatChangedResult, dim: DimensionResult, options: { interactive?: boolean } = {}): TopLevelSpec | null {
  const steps = waterfallSteps(r, dim);
  if (!steps) return null;
  const labels = steps.map((s) => s.label);
  const floor = steps[0]?.start ?? 0;
  const top = Math.max(...steps.flatMap((s) => [s.start, s.end]));
  const headroom = (top - floor) * 0.08 || 1;
  const notes = [`by ${dim.dimension}: each segment's part of the change (mix + rate)`];
  if (r.headline.scale !== 1) notes.push(`baseline scaled to the current period's length (x${r.headline.scale.toFixed(3)})`);
  if (floor !== 0) notes.push('the axis does not start at zero');
  const x = { field: 'label', type: 'ordinal' as const, sort: labels, title: null, axis: { labelAngle: -30, labelLimit: 140 } };
  const tooltip = [
    { field: 'label', type: 'nominal' as const, title: dim.dimension },
    { field: 'value', type: 'quantitative' as const, format: ',.6~g', title: 'change' },
    { field: 'end', type: 'quantitative' as const, format: ',.6~g', title: 'running total' },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: { text: `What changed: ${r.metric} (${AGG_WORDS[r.agg] ?? r.agg}), ${r.periods.baseline.label} → ${r.periods.current.label}`, subtitle: notes },
    data: { values: steps.map((s) => ({ ...s, text: s.kind === 'total' ? fmt(s.value) : `${s.value >= 0 ? '+' : ''}${fmt(s.value)}`, top: Math.max(s.start, s.end) })) },
    width: Math.max(480, 64 * steps.length),
    height: 300,
    encoding: { x },
    layer: [
      {
        mark: { type: 'bar', width: { band: 0.7 } },
        encoding: {
          y: { field: 'start', type: 'quantitative', title: r.metric, scale: { zero: false, nice: false, domain: [floor, top + headroom] } },
          y2: { field: 'end' },
          color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['total', 'up', 'down'], range: [WATERFALL_COLORS.total, WATERFALL_COLORS.up, WATERFALL_COLORS.down] }, legend: null },
          tooltip,
        },
        ...(options.interactive ? { params: [{ name: 'zoom', select: { type: 'interval', encodings: ['y'] }, bind: 'scales' }] } : {}),
      },
      { mark: { type: 'text', dy: -6, fontSize: 10, color: '#374151' }, encoding: { y: { field: 'top', type: 'quantitative' }, text: { field: 'text' } } },
    ],
  } as unknown as TopLevelSpec;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  return Number(v.toPrecision(4)).toLocaleString('en-US');
}

/** One waterfall per dimension, the top-ranked `max` dimensions. */
export function whatChangedSpecs(r: WhatChangedResult, options: { interactive?: boolean; max?: number } = {}): TopLevelSpec[] {
  return [...r.dimensions]
    .sort((a, b) => a.rank - b.rank)
    .slice(0, options.max ?? 3)
    .map((d) => waterfallSpec(r, d, options))
    .filter((s): s is TopLevelSpec => s !== null);
}
