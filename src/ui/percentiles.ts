/** Human rendering of --percentile results: one row per (percentile, variant). */
import type { PercentileResult } from '../engines/percentile-query.js';
import { ciRange } from './ci.js';
import { num, paintOf, pct, pval, significance, type Target } from './format.js';
import { fitTable } from './table.js';
import { oneLineSafe } from '../core/sanitize.js';

export function renderPercentiles(rows: PercentileResult[], target: Target): string {
  const c = paintOf(target);
  const table = fitTable(
    ['percentile', 'variant', 'control', 'test', 'diff', 'diff CI', 'rel', 'p'],
    rows.map((r) => ({
      percentile: oneLineSafe(r.name, 80),
      variant: oneLineSafe(r.variant, 80),
      control: num(r.control_quantile),
      test: num(r.test_quantile),
      diff: num(r.diff),
      'diff CI': ciRange(r.diff_ci, num),
      rel: pct(r.rel_diff),
      p: pval(r.p_value),
      _r: r,
    })),
    {
      align: { control: 'right', test: 'right', diff: 'right', rel: 'right', p: 'right' },
      width: target.width,
      drop: ['diff CI', ['control', 'test']],
      shrink: ['percentile', 'variant'],
      paint: (col, row, text) => {
        if (col !== 'rel' && col !== 'p' && col !== 'diff') return text;
        const r = row._r as PercentileResult;
        return significance(c, r.significant, r.rel_diff)(text);
      },
    },
  );
  return [`Percentiles: quantile difference, CI from the density at the quantile (Silverman bandwidth), normal test`, table.text].join('\n');
}
