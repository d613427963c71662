/** Human rendering of --segments: one compact table, a heading per (column, metric, variant) with its heterogeneity test. */
import type { SegmentReport } from '../stats/segments.js';
import { int, num, paintOf, pct, pval, significance, type Target } from './format.js';
import { fitTable } from './table.js';
import { oneLineSafe } from '../core/sanitize.js';
import { ciRange } from './ci.js';

export function renderSegments(rep: SegmentReport, target: Target): string {
  const c = paintOf(target);
  const lines: string[] = [`Segments (${rep.dimensions.join(', ')}): effect per segment, CUPED/CUPAC inside each; p adjusted by Benjamini-Hochberg across ${int(rep.cells.length)} cells; Cochran's Q on the relative lifts per column`];
  const headingOf = (dimension: string, metric: string, variant: string): string => {
    const h = rep.heterogeneity.find((x) => x.dimension === dimension && x.metric === metric && x.variant === variant);
    const test = h && h.q !== null ? `Q = ${num(h.q)}, df = ${h.df}, p = ${pval(h.p_value)}, BH p = ${pval(h.p_value_bh)}${h.i2 !== null ? `, I2 = ${Math.round(h.i2 * 100)}%` : ''}` : 'Q: fewer than 2 testable segments';
    const flag = h?.heterogeneous ? c.yellow(' HETEROGENEOUS') : '';
    return `${oneLineSafe(dimension)} / ${oneLineSafe(metric)}${variant !== 'test' ? ` (${oneLineSafe(variant)})` : ''}: ${test}${flag}`;
  };
  const rows = rep.cells.map((x) => ({
    heading: headingOf(x.dimension, x.metric, x.variant),
    // Segment values come from the data: no terminal escapes or control characters.
    segment: oneLineSafe(x.value, 60),
    units: `${int(x.n_control)} / ${int(x.n_test)}`,
    diff: num(x.diff),
    lift: pct(x.rel_lift),
    'lift CI': x.skipped ? x.skipped : ciRange(x.rel_ci, pct),
    'p (BH)': pval(x.p_value_bh),
    '': x.significant ? '*' : '',
    _cell: x,
  }));
  const table = fitTable(['heading', 'segment', 'units', 'diff', 'lift', 'lift CI', 'p (BH)', ''], rows, {
    groupBy: 'heading',
    align: { units: 'right', diff: 'right', lift: 'right', 'p (BH)': 'right' },
    width: target.width,
    drop: ['diff', 'units'],
    shrink: ['segment'],
    paint: (col, row, text) => {
      if (col !== 'lift' && col !== 'p (BH)' && col !== '') return text;
      const cell = row._cell as SegmentReport['cells'][number];
      return significance(c, cell.significant, cell.rel_lift)(text);
    },
  });
  lines.push(table.text);
  // The stars and the HETEROGENEOUS flag use the BH-adjusted p; the cell CIs are not adjusted.
  lines.push(`lift CI: unadjusted, per cell; p (BH), * and HETEROGENEOUS: Benjamini-Hochberg adjusted (${int(rep.cells.length)} cells, ${int(rep.heterogeneity.length)} Q tests)`);
  return lines.join('\n');
}
