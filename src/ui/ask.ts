/** Plain-text renderers for ask, search, show, chat and explain (results to stdout). */
import type { ChalkInstance } from 'chalk';
import type { AskResult } from '../ask/knowledge.js';
import { resultLine } from '../ask/knowledge.js';
import type { SearchOutput } from '../ask/search.js';
import type { ShowResult } from '../ask/show.js';
import type { ChatAnswer } from '../ask/chat.js';
import type { Explanation } from '../ask/explain.js';
import { int, num, wrap } from './format.js';
import { stripControl } from '../ask/text.js';

const clean = (s: string): string => stripControl(s).replace(/[\n\t]+/g, ' ');

/**
 * Fits rendered lines to the terminal (`width` undefined: as they are): the first `prose` lines
 * (an answer, a paragraph) wrap flush left, the rest under their own indentation. Lines break
 * only between words, so numbers, dates and names stay whole.
 */
function fit(lines: string[], width: number | undefined, prose = 0, indent = '  '): string {
  return lines.map((l, i) => wrap(l, width, i < prose ? '' : indent)).join('\n');
}

export function filtersLine(r: AskResult): string {
  const f = r.filters;
  const parts: string[] = [];
  if (f.metrics.length > 0) parts.push(`metric ${f.metrics.join(', ')}`);
  if (f.direction) parts.push(f.direction);
  if (f.significant !== null) parts.push(f.significant ? 'significant' : 'not significant');
  if (f.decision) parts.push(f.decision);
  if (f.superlative) parts.push('largest effect first');
  if (f.since) parts.push(`since ${f.since}`);
  if (f.until) parts.push(`until ${f.until}`);
  return parts.length > 0 ? `filters: ${parts.join(' · ')}` : '';
}

export function renderAsk(r: AskResult, c: ChalkInstance, width?: number): string {
  const lines: string[] = [clean(r.answer), ''];
  const f = filtersLine(r);
  if (f) lines.push(c.dim(f));
  r.experiments.forEach((e, i) => {
    lines.push(`${i + 1}. ${c.bold(e.name)}  ${c.dim(e.path)}`);
    if (e.description) lines.push(`   ${clean(e.description)}`);
    if (e.results.length === 0) lines.push(c.dim('   no saved results (run analyze --experiment to save them)'));
    for (const s of e.results) lines.push(`   - ${s.significant ? (s.decision === 'loss' ? c.red(resultLine(s)) : c.green(resultLine(s))) : resultLine(s)}`);
  });
  if (r.mode === 'model' && r.citations.length > 0) lines.push('', c.dim(`cited: ${r.citations.map((x) => x.experiment).join(', ')}`));
  return fit(lines, width, 1).trimEnd();
}

export function renderSearch(out: SearchOutput, c: ChalkInstance, width?: number): string {
  if (out.results.length === 0) return `No results for "${clean(out.query)}".`;
  const lines: string[] = [];
  out.results.forEach((r, i) => {
    lines.push(`${i + 1}. ${c.dim(`[${r.kind.replace('_', ' ')}]`)} ${c.bold(clean(r.name))}  ${c.cyan(clean(r.path))}`);
    if (r.snippet) lines.push(`   ${clean(r.snippet)}`);
    if (r.show) lines.push(c.dim(`   → ${r.show}`));
  });
  if (out.reranked) lines.push('', c.dim('reranked by the model (from the results search found)'));
  // A numbered title's path continues under the title, past "1. ".
  return fit(lines, width, 0, '   ');
}

export function renderShow(r: ShowResult, c: ChalkInstance, width?: number): string {
  const spec = (r.spec ?? {}) as Record<string, unknown>;
  const lines = [`${c.bold(r.name)}  ${c.dim(r.path)}`];
  const meta = [r.type, r.status].filter((x) => x).join(' · ');
  if (meta) lines.push(c.dim(meta));
  if (typeof spec.description === 'string') lines.push(clean(spec.description));
  if (typeof spec.hypothesis === 'string') lines.push(`hypothesis: ${clean(spec.hypothesis)}`);
  lines.push('', stripControl(JSON.stringify(r.spec, null, 2)));
  if (r.scorecards.length > 0) {
    lines.push('', c.bold('saved results'));
    for (const s of r.scorecards) lines.push(`  - ${resultLine(s)}  ${c.dim(s.analyzed_at.slice(0, 10))}`);
  }
  return fit(lines, width);
}

export function quoteWhere(q: { file: string | null; heading: string | null; lines: [number, number] | null; path: string }): string {
  return q.file ? `${q.file} › ${q.heading ?? ''} (lines ${q.lines?.[0]}-${q.lines?.[1]})` : q.path;
}

export function renderChat(r: ChatAnswer, c: ChalkInstance, width?: number): string {
  const lines = [clean(r.answer)];
  if (r.quotes.length > 0) {
    lines.push('', c.dim('sources:'));
    for (const q of r.quotes) lines.push(`  "${clean(q.text)}"`, c.dim(`    — ${clean(quoteWhere(q))}`));
  }
  return fit(lines, width, 1);
}

export function renderExplain(r: Explanation, c: ChalkInstance, width?: number): string {
  const lines = [`${c.bold(r.name)}  ${c.dim(`${r.window.start}..${r.window.end}`)}`, clean(r.explanation), ''];
  if (r.kind !== 'funnel') {
    const values = r.series.map((p) => p.value);
    // One bar a day, cut to the width (the latest days kept): a sparkline has no words to wrap.
    const room = width === undefined ? values.length : Math.max(10, width - 7);
    lines.push(`${c.dim('daily')}  ${sparkline(values.slice(-room))}`);
    for (const a of r.anomalies) lines.push(c.yellow(`  anomaly ${a.day}: ${num(a.value)} (typical ${num(a.expected)})`));
  } else {
    for (const s of r.steps) lines.push(`  ${s.event.padEnd(24)} ${int(s.users).padStart(8)}  ${s.conversion === null ? '' : `${(s.conversion * 100).toFixed(1)}% of previous`}`);
  }
  return fit(lines, width, 2).trimEnd();
}

function sparkline(values: number[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => bars[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)]).join('');
}
