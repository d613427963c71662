/**
 * report.html: the ideas report as one self-contained page to open in a browser or attach to a
 * ticket. The screenshots are embedded (each once, as a CSS background), every idea shows the
 * part of its page's screenshot around what it cites with the cited elements outlined and
 * numbered, and a strict Content-Security-Policy allows nothing but inline styles and data:
 * images (no scripts, no requests). Everything the page or the model wrote is HTML-escaped.
 */
import { isVisible, type DomTree } from '../../web/dom.js';
import type { ViewportName } from '../../web/page-model.js';
import { tryQueryAll } from '../../web/selector.js';
import { pathOf } from '../../web/url.js';
import type { Idea } from './schema.js';
import type { IdeasResult, ScreenshotFile } from './result.js';

export interface Mark {
  /** 1-based: the evidence item it outlines. */
  n: number;
  selector: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An idea's picture: a screenshot file and the boxes of its evidence on it. */
export interface Figure {
  rank: number;
  shot: string;
  viewport: ViewportName;
  width: number;
  height: number;
  marks: Mark[];
}

export interface FigurePage {
  url: string;
  /** The DOM per captured viewport, the first one first. */
  trees: { viewport: ViewportName; tree: DomTree }[];
  screenshots: ScreenshotFile[];
}

/**
 * Where an idea's evidence is on its page: the boxes of the first element each selector matches,
 * on the tallest screenshot of the first viewport that shows at least one of them.
 */
export function ideaFigure(idea: Idea, page: FigurePage): Figure | null {
  for (const { viewport, tree } of page.trees) {
    const shots = page.screenshots.filter((s) => s.viewport === viewport && s.path);
    const shot = shots.find((s) => s.kind === 'full') ?? shots[0];
    if (!shot?.path) continue;
    const marks: Mark[] = [];
    idea.evidence.forEach((e, i) => {
      const node = tryQueryAll(tree, e.selector).nodes.find((n) => n.layout && isVisible(n));
      const l = node?.layout;
      if (!l || l.y >= shot.height || l.w <= 0 || l.h <= 0) return;
      marks.push({ n: i + 1, selector: e.selector, x: l.x, y: l.y, w: l.w, h: Math.min(l.h, shot.height - l.y) });
    });
    if (marks.length > 0) return { rank: idea.rank, shot: shot.path, viewport, width: shot.width, height: shot.height, marks };
  }
  return null;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c] as string);
}

const pct = (v: number, of: number): string => `${((v / of) * 100).toFixed(3)}%`;

const CSS = `
:root { color-scheme: light; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --accent: #e11d48; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; background: #f9fafb; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 20px; margin: 40px 0 12px; }
h3 { font-size: 17px; margin: 0 0 6px; }
.meta, .muted { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
.idea { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 18px 0; display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 420px); gap: 20px; }
.idea dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 10px 0 0; font-size: 14px; }
.idea dt { color: var(--muted); }
.idea dd { margin: 0; }
.ice { display: inline-block; background: #eef2ff; color: #3730a3; border-radius: 999px; padding: 1px 10px; font-weight: 600; font-size: 13px; }
ol.evidence { margin: 6px 0 0; padding-left: 22px; font-size: 14px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f3f4f6; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
.crop { position: relative; overflow: hidden; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.shot { position: absolute; left: 0; width: 100%; background-size: 100% 100%; background-repeat: no-repeat; }
.mark { position: absolute; outline: 3px solid var(--accent); outline-offset: 2px; border-radius: 3px; }
.mark span { position: absolute; top: -14px; left: -14px; background: var(--accent); color: #fff; font: 700 12px/22px system-ui, sans-serif; width: 22px; height: 22px; text-align: center; border-radius: 50%; }
.pages .shots { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.pages figure { margin: 0; width: 300px; }
.pages figcaption { font-size: 12px; color: var(--muted); }
.pages .frame { position: relative; border: 1px solid var(--line); background: #fff; }
@media (max-width: 800px) { .idea { grid-template-columns: 1fr; } }
`;

/** The part of a figure to show: all of its marks with some margin, at most two screens tall. */
function cropOf(f: Figure): { top: number; height: number } {
  const screen = Math.round(f.width * (f.viewport === 'mobile' ? 2.16 : 0.625));
  const lo = Math.min(...f.marks.map((m) => m.y));
  const hi = Math.max(...f.marks.map((m) => m.y + m.h));
  const height = Math.min(f.height, Math.max(screen, Math.min(hi - lo + 160, screen * 2)));
  const top = Math.max(0, Math.min(f.height - height, lo - 80));
  return { top, height };
}

function figureHtml(f: Figure, cls: string): string {
  const { top, height } = cropOf(f);
  const marks = f.marks
    .map((m) => `<div class="mark" title="${esc(m.selector)}" style="left:${pct(m.x, f.width)};top:${pct(m.y, f.height)};width:${pct(m.w, f.width)};height:${pct(m.h, f.height)}"><span>${m.n}</span></div>`)
    .join('');
  return `<div class="crop" style="aspect-ratio:${f.width} / ${height}"><div class="shot ${cls}" style="top:${pct(-top, height)};aspect-ratio:${f.width} / ${f.height}">${marks}</div></div>`;
}

function ideaHtml(i: Idea, figure: Figure | null, cls: (path: string) => string): string {
  const metric = (m: Idea['primary_metric']): string => `<code>${esc(m.name)}</code> (${esc(m.type)}, ${m.direction === 'increase' ? '↑' : '↓'})`;
  const rows: [string, string][] = [
    ['Page', `<a href="${esc(i.page_url)}" rel="noreferrer noopener">${esc(pathOf(i.page_url))}</a>`],
    ['Hypothesis', esc(i.hypothesis)],
    ['Control', esc(i.control)],
    ['Test', esc(i.test)],
    ['Primary metric', metric(i.primary_metric)],
    ['Guardrails', i.guardrail_metrics.length > 0 ? i.guardrail_metrics.map(metric).join(', ') : 'none'],
    ['Unit', esc(i.id_type)],
    ['Source', i.source === 'audit' ? `offline audit rule <code>${esc(i.rule ?? '')}</code>` : 'model'],
  ];
  const evidence = i.evidence.map((e, k) => `<li value="${k + 1}"><code>${esc(e.selector)}</code>: ${esc(e.observation)}</li>`).join('');
  const pic = figure
    ? `${figureHtml(figure, cls(figure.shot))}<div class="muted">${esc(figure.viewport)} screenshot; outlined: ${figure.marks.map((m) => m.n).join(', ')}</div>`
    : '<div class="muted">No screenshot shows the cited elements.</div>';
  return `<section class="idea" id="idea-${i.rank}"><div>
<h3>${i.rank}. ${esc(i.title)} <span class="ice">ICE ${i.ice.score.toFixed(1)}</span></h3>
<p>${esc(i.summary)}</p>
<p class="muted">impact ${i.ice.impact} · confidence ${i.ice.confidence} · ease ${i.ice.ease}</p>
<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<div class="muted" style="margin-top:10px">Evidence</div><ol class="evidence">${evidence}</ol>
</div><div>${pic}</div></section>`;
}

/** The whole report as one HTML document. `images` holds the bytes of each screenshot path. */
export function renderHtmlReport(r: IdeasResult, images: Map<string, Buffer>, figures: Figure[]): string {
  const classes = new Map<string, string>();
  const cls = (p: string): string => {
    let c = classes.get(p);
    if (!c) {
      c = `s${classes.size + 1}`;
      classes.set(p, c);
    }
    return c;
  };
  const byRank = new Map(figures.map((f) => [f.rank, f]));
  const how = r.mode === 'model' ? `model ${r.model ?? '?'}` : 'the offline CRO audit (no model)';
  const captured = r.capture.mode === 'browser' ? `in Chromium ${r.capture.browser ?? ''} (${r.capture.viewports.join(' + ')})` : 'as HTML without a browser (no screenshots)';
  const out: string[] = [];
  out.push(`<h1>Experiment ideas for ${esc(r.url)}</h1>`);
  out.push(`<div class="meta">Generated ${esc(r.generated_at)} by statsig-hack ideas with ${esc(how)}; ${r.capture.pages.length} page${r.capture.pages.length === 1 ? '' : 's'} captured ${esc(captured)}.</div>`);
  out.push('<h2>The site</h2><table>');
  for (const [k, v] of [
    ['Summary', r.site.summary],
    ['Purpose', r.site.purpose],
    ['Audience', r.site.audience],
    ['Primary conversion', r.site.primary_conversion],
  ] as const)
    out.push(`<tr><th>${k}</th><td>${esc(v)}</td></tr>`);
  out.push('</table>');
  out.push('<h2>Ideas, ranked by ICE</h2>');
  if (r.experiments.length === 0) out.push('<p>No ideas: nothing on the captured pages triggered a rule, or every idea cited elements that are not on the page.</p>');
  for (const i of r.experiments) out.push(ideaHtml(i, byRank.get(i.rank) ?? null, cls));
  out.push('<h2>Pages captured</h2><div class="pages">');
  for (const p of r.capture.pages) {
    out.push(`<h3><a href="${esc(p.url)}" rel="noreferrer noopener">${esc(pathOf(p.url))}</a> <span class="muted">${esc(p.title)}</span></h3><div class="shots">`);
    for (const s of p.screenshots) {
      if (!s.path || !images.has(s.path)) continue;
      out.push(
        `<figure><div class="frame" style="aspect-ratio:${s.width} / ${s.height}"><div class="shot ${cls(s.path)}" style="top:0;aspect-ratio:${s.width} / ${s.height}"></div></div><figcaption>${s.viewport} ${s.kind === 'fold' ? 'first screen' : `full page${s.truncated ? ' (cut)' : ''}`}, ${s.width}×${s.height}</figcaption></figure>`,
      );
    }
    out.push('</div>');
  }
  out.push('</div>');
  const notes = [...r.capture.skipped.map((s) => `Skipped ${s.url}: ${s.reason}`), ...r.warnings];
  if (notes.length > 0) out.push(`<h2>Notes</h2><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  const sheets = [...classes].filter(([p]) => images.has(p)).map(([p, c]) => `.${c}{background-image:url(data:image/jpeg;base64,${(images.get(p) as Buffer).toString('base64')})}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Experiment ideas for ${esc(r.url)}</title>
<style>${CSS}
${sheets.join('\n')}</style></head>
<body><main>
${out.join('\n')}
</main></body></html>
`;
}
