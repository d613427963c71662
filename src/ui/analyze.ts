/** Human rendering of analyze results: a side-by-side table, SRM status, one sentence per metric. */
import type { AnalyzeResult, MetricResult } from '../engines/analyze.js';
import { int, num, paintOf, pct, PLAIN, pval, share, sig, significance, wrap, type Target } from './format.js';
import { fitTable, hiddenNote } from './table.js';
import { renderSegments } from './segments.js';
import { renderPercentiles } from './percentiles.js';
import { stripControl } from '../core/sanitize.js';
import { ciRange } from './ci.js';

export { num, pct, pval };

const METHOD_NAMES: Record<string, string> = { cuped: 'CUPED', cupac: 'CUPAC', none: 'no adjustment' };

export function sentence(r: MetricResult, alpha: number): string {
  const level = Math.round((1 - (r.ci_alpha ?? alpha)) * 1000) / 10;
  const parts = [`${r.metric}${r.variant !== 'test' ? ` (${r.variant})` : ''}: ${pct(r.rel_lift)} (${level}% CI ${ciRange(r.rel_ci, pct)}), p=${pval(r.p_value_adjusted ?? r.p_value)}`];
  if (r.method !== 'none' && r.variance_reduction !== null) {
    parts.push(`${METHOD_NAMES[r.method]} cut variance by ${Math.round(r.variance_reduction * 100)}%, worth ${Math.round((r.equivalent_sample_saved ?? 0) * 100)}% more sample`);
  }
  if (r.significant) parts.push('significant');
  const gap = marginNote(r, alpha);
  return parts.join(', ') + (gap ? `; ${gap}` : '');
}

/**
 * The lift CI inverts the relative lift's own test (delta method), while p and "significant" are the
 * difference test's. Near the margin they can disagree (the relative test also carries the control
 * mean's noise): say so rather than print a CI that excludes 0 beside "not significant".
 */
export function marginNote(r: MetricResult, alpha: number): string | null {
  const rel = r.rel_p_value_adjusted ?? r.rel_p_value;
  if (rel === null || rel === undefined || r.p_value === null) return null;
  const relSignificant = rel < alpha;
  if (relSignificant === r.significant) return null;
  return relSignificant
    ? `the lift CI excludes 0 (lift test p=${pval(rel)}) but the difference test is not significant; significance follows the difference test`
    : `the lift CI includes 0 (lift test p=${pval(rel)}) although the difference test is significant; significance follows the difference test`;
}

/** Columns hidden first when the table must fit a terminal: the unadjusted (raw) figures, then the detail. */
const ANALYZE_DROP = ['raw CI', 'raw diff', 'raw p', 'diff', 'var cut', ['control', 'test']];

/** The method the header names: what was applied, not only what was asked for. */
export function methodApplied(res: AnalyzeResult): string {
  const asked = METHOD_NAMES[res.method] ?? res.method;
  if (res.method === 'none' || res.results.length === 0) return asked;
  const adjusted = res.results.filter((r) => r.method !== 'none').length;
  if (adjusted === res.results.length) return asked;
  if (adjusted === 0) return `no adjustment (${asked} found no usable covariate)`;
  return `${asked} on ${adjusted} of ${res.results.length} comparisons (the rest unadjusted)`;
}

export function renderAnalyze(res: AnalyzeResult, target: Target = PLAIN): string {
  const c = paintOf(target);
  const lines: string[] = [];
  const title = res.experiment ? `Experiment ${res.experiment}` : 'Experiment results';
  lines.push(`${title}: control = ${res.control}, method = ${methodApplied(res)}, alpha = ${res.alpha}, ${res.tails === 'two' ? 'two-sided' : `one-sided (${res.tails})`}${res.correction !== 'none' ? `, ${res.correction.toUpperCase()} correction` : ''}`);
  const counts = Object.entries(res.srm.counts).map(([g, n]) => `${g} ${int(n)}`).join(', ');
  if (res.ci_adjustment) lines.push(c.dim(`CIs: ${res.ci_adjustment}.`));
  lines.push(`SRM: ${res.srm.mismatch ? c.red('MISMATCH') : 'ok'} (chi2 = ${num(res.srm.chi2)}, p = ${pval(res.srm.p_value)}; ${counts})`);
  lines.push('');
  const rows = res.results.map((r) => ({
    metric: r.metric,
    variant: r.variant,
    // The same significant digits on every row: "5.730" next to "5.722", not "5.73".
    control: sig(r.control_mean),
    test: sig(r.test_mean),
    diff: sig(r.diff),
    lift: pct(r.rel_lift),
    'lift CI': ciRange(r.rel_ci, pct),
    p: pval(r.p_value_adjusted ?? r.p_value),
    'raw diff': num(r.unadjusted.diff),
    'raw CI': ciRange(r.unadjusted.diff_ci, num),
    'raw p': pval(r.unadjusted.p_value),
    'var cut': r.method === 'none' || r.variance_reduction === null ? '-' : share(r.variance_reduction),
    _result: r,
  }));
  // Nothing adjusted: the raw columns repeat diff, CI and p, and var cut is empty; leave them out.
  const adjusted = res.results.some((r) => r.method !== 'none');
  const columns = ['metric', 'variant', 'control', 'test', 'diff', 'lift', 'lift CI', 'p', ...(adjusted ? ['raw diff', 'raw CI', 'raw p', 'var cut'] : [])];
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
  if (res.percentiles && res.percentiles.length > 0) lines.push('', renderPercentiles(res.percentiles, target));
  if (res.segments) lines.push('', renderSegments(res.segments, target));
  lines.push('');
  for (const r of res.results) lines.push(sentence(r, res.alpha));
  const extra = readoutLines(res);
  if (extra.length > 0) lines.push('', ...extra);
  if (res.warnings.length > 0) {
    lines.push('');
    for (const w of res.warnings) lines.push(`${c.yellow('!')} ${w}`);
  }
  return wrap(lines.join('\n'), target.width);
}

const label = (r: MetricResult): string => `${r.metric}${r.variant !== 'test' ? ` (${r.variant})` : ''}`;
/** An unsigned percentage: 0.0123 -> "1.23%" (digits 2). */
const prob = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;
const days = (d: number): string => (d >= 100 ? `${int(Math.round(d))} days` : `${d.toFixed(1)} days`);
const level = (alpha: number): string => `${Math.round((1 - alpha) * 1000) / 10}%`;
const range = (ci: readonly [number | null, number | null]): string => ciRange(ci, pct);

/** The --sequential and --bayesian read-outs, one line per comparison under a heading each. */
export function readoutLines(res: AnalyzeResult): string[] {
  const lines: string[] = [];
  if (res.sequential) {
    lines.push(`Peeking-safe (always-valid confidence sequences, tuned for ${int(res.sequential.tuning)} units):`);
    for (const r of res.results) {
      const s = r.sequential;
      if (!s) {
        lines.push(`  ${label(r)}: no sequential interval (no variance)`);
        continue;
      }
      lines.push(`  ${label(r)}: ${level(s.ci_alpha)} CI ${range(s.rel_ci)} (fixed-horizon ${range(r.rel_ci)}), always-valid p=${pval(s.p_value_adjusted)}${s.significant ? ', significant' : ''}`);
    }
  }
  if (res.exposure && res.results.some((r) => r.time_saved !== undefined)) {
    const e = res.exposure;
    lines.push(`Time to 80% power (alpha 0.05) at ${int(Math.round(e.units / Math.max(1, e.days)))} units/day (${int(e.units)} exposed over ${int(e.days)} day${e.days === 1 ? '' : 's'}):`);
    for (const r of res.results) {
      const t = r.time_saved;
      if (!t) {
        lines.push(`  ${label(r)}: n/a (${r.time_saved_reason ?? 'no estimate'})`);
        continue;
      }
      const name = METHOD_NAMES[r.method] ?? r.method;
      const lift = `for a ${pct(t.lift)} lift (${t.mde_source})`;
      if (!t.reachable) {
        lines.push(`  ${label(r)}: ${lift}, not reachable at this traffic (needs ${days(t.days)}${r.method === 'none' ? '' : ` with ${name}`})`);
        continue;
      }
      lines.push(`  ${label(r)}: ${lift}, ${days(t.days)} ${r.method === 'none' ? 'without adjustment' : `with ${name}, ${days(t.days_unadjusted)} without: ${days(t.days_saved)} saved`}`);
    }
  }
  if (res.bayesian) {
    const p = res.bayesian.prior;
    lines.push(`Bayesian (Gaussian model on the relative lift, prior ${p.proper ? `normal, mean ${pct(p.mean)}, sd ${prob(Math.sqrt(p.variance))}` : 'flat'}):`);
    for (const r of res.results) {
      const b = r.bayesian;
      if (!b || b.error) {
        lines.push(`  ${label(r)}: no Bayesian read-out (${b?.error ?? 'the control mean is 0'})`);
        continue;
      }
      lines.push(`  ${label(r)}: chance to beat control ${prob(b.chance_to_win)}, expected lift ${pct(b.expected)} (${level(res.alpha)} credible ${range(b.ci)}), expected loss if shipped ${prob(b.risk.variant, 2)}, if not ${prob(b.risk.control, 2)}`);
    }
  }
  return lines;
}

const VERDICT: Record<string, { text: string; icon: string }> = {
  ship: { text: 'SHIP', icon: '✅' },
  'do-not-ship': { text: 'DO NOT SHIP', icon: '❌' },
  'keep-running': { text: 'KEEP RUNNING', icon: '⏳' },
};

/** The verdict and its reasons, for the human output. */
export function renderDecision(res: AnalyzeResult, target: Target = PLAIN): string {
  const d = res.decision;
  if (!d) return '';
  const c = paintOf(target);
  const v = VERDICT[d.verdict] ?? { text: d.verdict, icon: '' };
  const paint = d.verdict === 'ship' ? c.green : d.verdict === 'do-not-ship' ? c.red : c.yellow;
  const lines = [`Verdict: ${paint(v.text)}${d.ship ? ` ${d.ship}` : ''}`];
  // Each reason wraps under its own text (after "- "), not under the dash.
  for (const r of d.reasons) lines.push(wrap(`  - ${r}`, target.width, '  '));
  return lines.join('\n');
}

/**
 * Text from the data (metric and group names) made safe for a markdown table cell, cut at `max`
 * characters: 200 in a table, more for a reason in the verdict's list (the multi-arm rule is long).
 */
function cell(text: string, max = 200): string {
  return stripControl(text).replace(/[\\|`*_<>[\]]/g, (ch) => `\\${ch}`).replace(/\s+/g, ' ').slice(0, max);
}

/** A markdown summary for a CI step summary ($GITHUB_STEP_SUMMARY) or a pull-request comment. */
export function renderMarkdown(res: AnalyzeResult): string {
  const d = res.decision;
  const lines: string[] = [];
  const title = res.experiment ? `Experiment ${cell(res.experiment)}` : 'Experiment results';
  if (d) {
    const v = VERDICT[d.verdict] ?? { text: d.verdict, icon: '' };
    lines.push(`## ${v.icon} ${title}: ${v.text}${d.ship ? ` ${cell(d.ship)}` : ''}`, '');
    for (const r of d.reasons) lines.push(`- ${cell(r, 1000)}`);
    lines.push('');
  } else {
    lines.push(`## ${title}`, '');
  }
  const seq = res.sequential !== undefined;
  const roles = new Map<string, string>();
  for (const v of d?.variants ?? []) {
    for (const p of v.primary) roles.set(`${p.metric}\u0000${v.variant}`, `primary: ${p.status}`);
    for (const g of v.guardrails) roles.set(`${g.metric}\u0000${v.variant}`, `guardrail: ${g.status}`);
  }
  lines.push(`| Metric | Variant | Lift | ${seq ? 'Peeking-safe CI' : 'CI'} | p | ${res.bayesian ? 'Chance to win | ' : ''}Status |`);
  lines.push(`|---|---|---:|---|---:|${res.bayesian ? '---:|' : ''}---|`);
  for (const r of res.results) {
    const ci = r.sequential ? r.sequential.rel_ci : r.rel_ci;
    const p = r.sequential ? r.sequential.p_value_adjusted : (r.p_value_adjusted ?? r.p_value);
    const b = r.bayesian && !r.bayesian.error ? prob(r.bayesian.chance_to_win) : 'n/a';
    const status = roles.get(`${r.metric}\u0000${r.variant}`) ?? (r.significant ? 'significant' : '');
    lines.push(`| ${cell(r.metric)} | ${cell(r.variant)} | ${pct(r.rel_lift)} | ${range(ci)} | ${pval(p)} | ${res.bayesian ? `${b} | ` : ''}${status} |`);
  }
  for (const r of res.results) {
    const gap = r.sequential ? null : marginNote(r, res.alpha);
    if (gap) lines.push('', `> ${cell(label(r))}: ${gap}.`);
  }
  lines.push('');
  const counts = Object.entries(res.srm.counts).map(([g, n]) => `${cell(g)} ${int(n)}`).join(', ');
  lines.push(`SRM: ${res.srm.mismatch ? '**mismatch**' : 'ok'} (p = ${pval(res.srm.p_value)}; ${counts}). Method: ${METHOD_NAMES[res.method] ?? res.method}, alpha ${res.alpha}${res.correction !== 'none' ? `, ${res.correction.toUpperCase()} correction` : ''}${seq ? `, always-valid intervals (N* = ${int(res.sequential?.tuning ?? 0)})` : ''}.`);
  for (const w of res.warnings) lines.push(`> ⚠️ ${cell(w)}`);
  return lines.join('\n');
}
