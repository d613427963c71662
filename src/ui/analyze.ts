/** Human rendering of analyze results: a side-by-side table, SRM status, one sentence per metric. */
import type { AnalyzeResult, MetricResult } from '../stats/analyze.js';
import { renderTable } from './table.js';

export function pct(x: number | null, digits = 1): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const v = x * 100;
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}%`;
}

export function num(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

export function pval(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return 'n/a';
  if (p < 1e-4) return p.toExponential(1);
  return p.toFixed(4);
}

const METHOD_NAMES: Record<string, string> = { cuped: 'CUPED', cupac: 'CUPAC', none: 'no adjustment' };

export function sentence(r: MetricResult, alpha: number): string {
  const level = Math.round((1 - alpha) * 100);
  const parts = [`${r.metric}${r.variant !== 'test' ? ` (${r.variant})` : ''}: ${pct(r.rel_lift)} (${level}% CI ${pct(r.rel_ci[0])}..${pct(r.rel_ci[1])}), p=${pval(r.p_value_adjusted ?? r.p_value)}`];
  if (r.method !== 'none' && r.variance_reduction !== null) {
    parts.push(`${METHOD_NAMES[r.method]} cut variance by ${Math.round(r.variance_reduction * 100)}%, worth ${Math.round((r.equivalent_sample_saved ?? 0) * 100)}% more sample`);
  }
  if (r.significant) parts.push('significant');
  return parts.join(', ');
}

export function renderAnalyze(res: AnalyzeResult): string {
  const lines: string[] = [];
  const title = res.experiment ? `Experiment ${res.experiment}` : 'Experiment results';
  lines.push(`${title}: control = ${res.control}, method = ${METHOD_NAMES[res.method] ?? res.method}, alpha = ${res.alpha}, ${res.tails === 'two' ? 'two-sided' : `one-sided (${res.tails})`}${res.correction !== 'none' ? `, ${res.correction.toUpperCase()} correction` : ''}`);
  const counts = Object.entries(res.srm.counts).map(([g, n]) => `${g} ${n}`).join(', ');
  lines.push(`SRM: ${res.srm.mismatch ? 'MISMATCH' : 'ok'} (chi2 = ${num(res.srm.chi2)}, p = ${pval(res.srm.p_value)}; ${counts})`);
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
    'var cut': r.method === 'none' || r.variance_reduction === null ? '-' : `${Math.round(r.variance_reduction * 100)}%`,
  }));
  lines.push(renderTable(Object.keys(rows[0] ?? { metric: '' }), rows, { align: { control: 'right', test: 'right', diff: 'right', lift: 'right', p: 'right', 'raw diff': 'right', 'raw p': 'right', 'var cut': 'right' } }));
  lines.push('');
  for (const r of res.results) lines.push(sentence(r, res.alpha));
  if (res.warnings.length > 0) {
    lines.push('');
    for (const w of res.warnings) lines.push(`! ${w}`);
  }
  return lines.join('\n');
}
