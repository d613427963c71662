/**
 * analyze as a forest plot (pure: result in, Vega-Lite spec out): one row per metric (and
 * variant), the lift with its confidence interval with the variance reduction (CUPED/CUPAC)
 * and without it, side by side. Both are the difference in means over the same unadjusted
 * control mean, so the two intervals compare directly: the adjusted one is narrower by
 * exactly what the adjustment bought.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { AnalyzeResult } from '../engines/analyze.js';

export const FOREST_COLORS = { adjusted: '#2563eb', unadjusted: '#9ca3af', zero: '#111827' } as const;

const METHOD_NAMES: Record<string, string> = { cuped: 'CUPED', cupac: 'CUPAC' };

export interface ForestRow {
  /** Metric (with the variant when there are several). */
  label: string;
  /** 'CUPAC', 'CUPED' or 'unadjusted'. */
  kind: string;
  adjusted: boolean;
  /** Difference over the control mean, in percent. */
  lift: number;
  lo: number;
  hi: number;
  /** An interval end that is open (one-sided test) is drawn to the plot's edge. */
  open: 'lo' | 'hi' | null;
  p_value: number | null;
  significant: boolean;
}

const pct = (x: number, c: number): number => (100 * x) / Math.abs(c);
/** Axis labels: up to this many characters each (the axis allows LABEL_LIMIT_PX for them). */
const LABEL_CHARS = 48;
const LABEL_LIMIT_PX = 400;
const shorten = (s: string, max = LABEL_CHARS): string => ([...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s);

/** The plotted rows, and the metrics left out (no control mean to scale by). */
export function forestRows(result: AnalyzeResult, maxRows = 40): { rows: ForestRow[]; skipped: string[]; more: number } {
  const rows: ForestRow[] = [];
  const skipped: string[] = [];
  const several = result.variants.length > 1;
  // One picture stays readable: at most `maxRows` metric rows (the rest are counted in the subtitle).
  const more = Math.max(0, result.results.length - maxRows);
  for (const r of result.results.slice(0, maxRows)) {
    // The variant is never the part cut: a long metric name gives way first.
    const label = several ? `${shorten(r.metric)} (${shorten(r.variant, 24)})` : shorten(r.metric);
    const c = r.unadjusted.control_mean ?? r.control_mean;
    if (c === null || c === 0 || !Number.isFinite(c)) {
      skipped.push(label);
      continue;
    }
    const add = (kind: string, adjusted: boolean, diff: number | null, ci: [number | null, number | null], p: number | null, significant: boolean): void => {
      if (diff === null || !Number.isFinite(diff)) return;
      const lo = ci[0] !== null && Number.isFinite(ci[0]) ? pct(ci[0], c) : null;
      const hi = ci[1] !== null && Number.isFinite(ci[1]) ? pct(ci[1], c) : null;
      const lift = pct(diff, c);
      rows.push({ label, kind, adjusted, lift, lo: lo ?? lift, hi: hi ?? lift, open: lo === null ? 'lo' : hi === null ? 'hi' : null, p_value: p, significant });
    };
    if (r.method !== 'none') add(METHOD_NAMES[r.method] ?? r.method, true, r.diff, r.diff_ci, r.p_value_adjusted ?? r.p_value, r.significant);
    add('unadjusted', false, r.unadjusted.diff, r.unadjusted.diff_ci, r.unadjusted.p_value, r.unadjusted.p_value !== null && r.unadjusted.p_value < result.alpha);
  }
  // Open ends reach the edge of what the closed ends and the estimates span.
  const span = rows.flatMap((x) => [x.lift, ...(x.open === 'lo' ? [] : [x.lo]), ...(x.open === 'hi' ? [] : [x.hi])]);
  const min = Math.min(0, ...span);
  const max = Math.max(0, ...span);
  const pad = (max - min) * 0.1 || 1;
  for (const x of rows) {
    if (x.open === 'lo') x.lo = min - pad;
    if (x.open === 'hi') x.hi = max + pad;
  }
  return { rows, skipped, more };
}

export function forestSpec(result: AnalyzeResult, options: { interactive?: boolean } = {}): TopLevelSpec {
  const { rows, skipped, more } = forestRows(result);
  const level = Math.round((1 - (result.results[0]?.ci_alpha ?? result.alpha)) * 1000) / 10;
  const labels = [...new Set(rows.map((r) => r.label))];
  const kinds = [...new Set(rows.map((r) => r.kind))].sort((a, b) => (a === 'unadjusted' ? 1 : b === 'unadjusted' ? -1 : a.localeCompare(b)));
  const range = kinds.map((k) => (k === 'unadjusted' ? FOREST_COLORS.unadjusted : FOREST_COLORS.adjusted));
  const x = { field: 'lift', type: 'quantitative' as const, title: `difference in means, % of the control mean (${level}% CI)`, scale: { zero: true, nice: true } };
  const y = { field: 'label', type: 'nominal' as const, title: null, sort: labels, axis: { labelLimit: LABEL_LIMIT_PX } };
  const yOffset = { field: 'kind', type: 'nominal' as const, sort: kinds, scale: { paddingInner: 0.2 } };
  const color = { field: 'kind', type: 'nominal' as const, title: null, sort: kinds, scale: { domain: kinds, range }, legend: { orient: 'top' as const, direction: 'horizontal' as const } };
  const fmt = { type: 'quantitative' as const, format: '+.2f' };
  const tooltip = [
    { field: 'label', type: 'nominal' as const, title: 'metric' },
    { field: 'kind', type: 'nominal' as const, title: 'estimate' },
    { field: 'lift', ...fmt, title: 'lift %' },
    { field: 'lo', ...fmt, title: 'CI low %' },
    { field: 'hi', ...fmt, title: 'CI high %' },
    { field: 'p_value', type: 'quantitative' as const, format: '.3g', title: 'p' },
  ];
  const notes = [
    `control = ${result.control}; both estimates are divided by the unadjusted control mean`,
    ...(skipped.length > 0 ? [`not drawn (control mean 0 or missing): ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', ...' : ''}`] : []),
    ...(more > 0 ? [`${more} more metric rows not drawn (see the table or --json)`] : []),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: { text: `Lift by metric${result.experiment ? `: ${result.experiment}` : ''}, adjusted and unadjusted`, subtitle: notes },
    data: { values: rows },
    width: 560,
    height: { step: 44 },
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: FOREST_COLORS.zero, strokeWidth: 1 }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
      { mark: { type: 'rule', strokeWidth: 3 }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' }, yOffset, color, ...(options.interactive ? { tooltip } : {}) } },
      {
        mark: { type: 'point', filled: true, size: 110, opacity: 1 },
        encoding: { y, x, yOffset, color, tooltip },
        ...(options.interactive ? { params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }] } : {}),
      },
    ],
  } as unknown as TopLevelSpec;
}
