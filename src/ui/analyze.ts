/** Human rendering of analyze results: a side-by-side table, SRM status, one sentence per metric. */
import type { AnalyzeResult, MetricResult } from '../engines/analyze.js';
import { int, num, paintOf, pct, PLAIN, pval, share, significance, wrap, type Target } from './format.js';
import { fitTable, hiddenNote } from './table.js';

export { num, pct, pval };

const METHOD_NAMES: Record<string, string> = { cuped: 'CUPED', cupac: 'CUPAC', none: 'no adjustment' };

export function sentence(r: MetricResult, alpha: number): string {
  const level = Math.round((1 - (r.ci_alpha ?? alpha)) * 1000) / 10;
  const parts = [`${r.metric}${r.variant !== 'test' ? ` (${r.variant})` : ''}: ${pct(r.rel_lift)} (${level}% CI ${pct(r.rel_ci[0])}..${pct(r.rel_ci[1])}), p=${pval(r.p_value_adjusted ?? r.p_value)}`];
  if (r.method !== 'none' && r.variance_reduction !== null) {
    parts.push(`${METHOD_NAMES[r.method]} cut variance by ${Math.round(r.variance_reduction * 100)}%, worth ${Math.round((r.equivalent_sample_saved ?? 0) * 100)}% more sample`);
  }
  if (r.significant) parts.push('significant');
  return parts.join(', ');
}

/** Columns hidden first when the table must fit a terminal: the unadjusted (raw) figures, then the detail. */
const ANALYZE_DROP = ['raw CI', 'raw diff', 'raw p', 'diff', 'var cut', ['control', 'test']];

export function renderAnalyze(res: AnalyzeResult, target: Target = PLAIN): string {
  const c = paintOf(target);
  const lines: string[] = [];
  const title = res.experiment ? `Experiment ${res.experiment}` : 'Experiment results';
  lines.push(`${title}: control = ${res.control}, method = ${METHOD_NAMES[res.method] ?? res.method}, alpha = ${res.alpha}, ${res.tails === 'two' ? 'two-sided' : `one-sided (${res.tails})`}${res.correction !== 'none' ? `, ${res.correction.toUpperCase()} correction` : ''}`);
  const counts = Object.entries(res.srm.counts).map(([g, n]) => `${g} ${int(n)}`).join(', ');
  if (res.ci_adjustment) lines.push(c.dim(`CIs: ${res.ci_adjustment}.`));
  lines.push(`SRM: ${res.srm.mismatch ? c.red('MISMATCH') : 'ok'} (chi2 = ${num(res.srm.chi2)}, p = ${pval(res.srm.p_value)}; ${counts})`);
  lines.push('');
  const rows = res.results.map((r) => ({
    metric: r.metric,
    variant: r.variant,
    control: num(r.control_mean),
    test: num(r.test_mean),
    diff: num(r.diff),
    lift: pct(r.rel_lift),
    'lift CI': `${pct(r.rel_ci[0])}..${pct(r.rel_ci[1])}`,
    p: pval(r.p_value_adjusted ?? r.p_value),
    'raw diff': num(r.unadjusted.diff),
    'raw CI': `${num(r.unadjusted.diff_ci[0])}..${num(r.unadjusted.diff_ci[1])}`,
    'raw p': pval(r.unadjusted.p_value),
    'var cut': r.method === 'none' || r.variance_reduction === null ? '-' : share(r.variance_reduction),
    _result: r,
  }));
  const columns = ['metric', 'variant', 'control', 'test', 'diff', 'lift', 'lift CI', 'p', 'raw diff', 'raw CI', 'raw p', 'var cut'];
  const table = fitTable(columns, rows, {
    align: { control: 'right', test: 'right', diff: 'right', lift: 'right', p: 'right', 'raw diff': 'right', 'raw p': 'right', 'var cut': 'right' },
    width: target.width,
    drop: ANALYZE_DROP,
    shrink: ['metric', 'variant'],
    paint: (col, row, text) => {
      if (col !== 'lift' && col !== 'lift CI' && col !== 'p') return text;
      const r = row._result as MetricResult;
      return significance(c, r.significant, r.rel_lift)(text);
    },
  });
  lines.push(table.text);
  const note = hiddenNote(table.hidden, target.width);
  if (note) lines.push(c.dim(note));
  lines.push('');
  for (const r of res.results) lines.push(sentence(r, res.alpha));
  if (res.warnings.length > 0) {
    lines.push('');
    for (const w of res.warnings) lines.push(`${c.yellow('!')} ${w}`);
  }
  return wrap(lines.join('\n'), target.width);
}
