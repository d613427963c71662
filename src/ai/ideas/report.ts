/**
 * The `ideas` output folder: report.md (site summary, ideas ranked by ICE, pages with their
 * screenshots linked), report.html (the same, self-contained: screenshots embedded, cited
 * elements outlined; see report-html.ts), ideas.json (the whole result) and screenshots/*.jpg.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../../core/errors.js';
import { renderHtmlReport, type Figure } from './report-html.js';
import type { IdeasResult } from './result.js';
import type { Idea, Metric } from './schema.js';
import { pathOf } from '../../web/url.js';

export interface ShotToWrite {
  /** Relative to the output folder, with forward slashes. */
  path: string;
  data: Buffer;
}

/** Writes screenshots, ideas.json, report.md and the self-contained report.html into `dir` (created when missing). */
export function writeOutput(dir: string, result: IdeasResult, shots: ShotToWrite[], figures: Figure[] = []): { report: string; json: string; html: string } {
  try {
    fs.mkdirSync(path.join(dir, 'screenshots'), { recursive: true });
    // Screenshots of an earlier run with more pages would be stale: ours are page-*.jpg.
    for (const f of fs.readdirSync(path.join(dir, 'screenshots'))) {
      if (/^page-\d+-(?:desktop|mobile)-(?:fold|full)\.jpg$/.test(f)) fs.rmSync(path.join(dir, 'screenshots', f), { force: true });
    }
    for (const s of shots) fs.writeFileSync(path.join(dir, ...s.path.split('/')), s.data);
    const json = path.join(dir, 'ideas.json');
    const report = path.join(dir, 'report.md');
    const html = path.join(dir, 'report.html');
    fs.writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(report, renderReport(result));
    fs.writeFileSync(html, renderHtmlReport(result, new Map(shots.map((x) => [x.path, x.data])), figures));
    return { report, json, html };
  } catch (error) {
    throw new UserError(`cannot write the ideas report to ${dir}: ${errorMessage(error)}`, { hint: 'pass --out with a writable folder', code: 'IDEAS_OUT', cause: error });
  }
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function code(s: string): string {
  const ticks = s.includes('`') ? '``' : '`';
  return `${ticks}${ticks.length === 2 ? ' ' : ''}${s}${ticks.length === 2 ? ' ' : ''}${ticks}`;
}


const arrow = (m: Metric): string => (m.direction === 'increase' ? '↑' : '↓');
const metricLine = (m: Metric): string => `${code(m.name)} (${m.type}, ${m.direction} ${arrow(m)})`;

function ideaSection(idea: Idea): string {
  const lines = [
    `### ${idea.rank}. ${idea.title}`,
    '',
    idea.summary,
    '',
    `- **Page:** ${idea.page_url}`,
    `- **Hypothesis:** ${idea.hypothesis}`,
    `- **Control:** ${idea.control}`,
    `- **Test:** ${idea.test}`,
    `- **Primary metric:** ${metricLine(idea.primary_metric)}`,
    `- **Guardrails:** ${idea.guardrail_metrics.length > 0 ? idea.guardrail_metrics.map(metricLine).join(', ') : 'none'}`,
    `- **Unit:** ${idea.id_type}`,
    `- **ICE:** impact ${idea.ice.impact}, confidence ${idea.ice.confidence}, ease ${idea.ice.ease} → **${idea.ice.score.toFixed(1)}**`,
    `- **Source:** ${idea.source === 'audit' ? `offline audit rule ${code(idea.rule ?? '')}` : 'model'}`,
    '- **Evidence:**',
    ...idea.evidence.map((e) => `  - ${code(e.selector)}: ${e.observation}`),
  ];
  return lines.join('\n');
}

export function renderReport(r: IdeasResult): string {
  const how = r.mode === 'model' ? `model \`${r.model ?? '?'}\`` : 'the offline CRO audit (no model)';
  const captured =
    r.capture.mode === 'browser'
      ? `in Chromium ${r.capture.browser ?? ''} (${r.capture.viewports.join(' + ')})`
      : `as HTML without a browser (${r.capture.fallback_reason ?? 'no browser'}): no screenshots, no layout facts`;
  const out: string[] = [
    `# Experiment ideas for ${r.url}`,
    '',
    `Generated ${r.generated_at} by \`statsig-hack ideas\` with ${how}. Captured ${r.capture.pages.length} page${r.capture.pages.length === 1 ? '' : 's'} ${captured}.`,
    '',
    '## The site',
    '',
    `- **Summary:** ${r.site.summary}`,
    `- **Purpose:** ${r.site.purpose}`,
    `- **Audience:** ${r.site.audience}`,
    `- **Primary conversion:** ${r.site.primary_conversion}`,
    '',
    '## Ideas, ranked by ICE',
    '',
  ];
  if (r.experiments.length === 0) {
    out.push('No ideas: nothing on the captured pages triggered a rule, or every idea the model proposed cited elements that are not on the page.', '');
  } else {
    out.push('| # | Idea | Page | ICE (I/C/E) | Primary metric |', '|---|---|---|---|---|');
    for (const i of r.experiments) {
      out.push(`| ${i.rank} | ${cell(i.title)} | ${cell(pathOf(i.page_url))} | ${i.ice.score.toFixed(1)} (${i.ice.impact}/${i.ice.confidence}/${i.ice.ease}) | ${cell(`${i.primary_metric.name} ${arrow(i.primary_metric)}`)} |`);
    }
    out.push('');
    for (const i of r.experiments) out.push(ideaSection(i), '');
  }
  out.push('## Pages captured', '');
  out.push('| Page | Title | Largest paint | Screenshots |', '|---|---|---|---|');
  for (const p of r.capture.pages) {
    const lcp = p.timing?.lcp_ms !== null && p.timing?.lcp_ms !== undefined ? `${p.timing.lcp_ms} ms` : '—';
    const shots = p.screenshots
      .filter((s) => s.path)
      .map((s) => `[${s.viewport} ${s.kind === 'fold' ? 'first screen' : 'full page'}](${s.path})`)
      .join(' · ');
    out.push(`| ${cell(p.url)} | ${cell(p.title || '—')} | ${lcp} | ${shots || '—'} |`);
  }
  out.push('');
  const firstShots = r.capture.pages.map((p) => ({ p, s: p.screenshots.find((s) => s.kind === 'fold' && s.path) })).filter((x) => x.s);
  for (const { p, s } of firstShots) out.push(`![${cell(p.title || p.url)}: first screen](${s?.path ?? ''})`, '');
  if (r.capture.links.length > 0) {
    out.push('### Links between the pages', '');
    for (const l of r.capture.links) out.push(`- ${pathOf(l.from)} → ${pathOf(l.to)} (${l.text || 'link'})`);
    out.push('');
  }
  const notes: string[] = [];
  if (r.dropped.ideas > 0) notes.push(`${r.dropped.ideas} idea${r.dropped.ideas === 1 ? ' was' : 's were'} dropped because ${r.dropped.ideas === 1 ? 'it' : 'they'} cited no element that is on the page: ${r.dropped.details.map((d) => `“${d.title}”`).join(', ')}.`);
  if (r.dropped.evidence > 0) notes.push(`${r.dropped.evidence} evidence item${r.dropped.evidence === 1 ? '' : 's'} citing elements not on the page ${r.dropped.evidence === 1 ? 'was' : 'were'} removed from kept ideas.`);
  for (const s of r.capture.skipped) notes.push(`Skipped ${s.url}: ${s.reason}`);
  for (const w of r.warnings) notes.push(w);
  if (notes.length > 0) out.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return `${out.join('\n')}\n`;
}
