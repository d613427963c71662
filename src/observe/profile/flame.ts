/**
 * A self-contained flame graph of a CPU profile: one HTML file with an inline SVG (root at
 * the bottom, width = total time in code: idle is left out; hover for name, file:line, self and
 * total ms; click a frame to zoom into it, click the root or press Escape to zoom out). An inline
 * script for the zoom, no external resources. Pure.
 */
import type { ProfileSummary, TreeNode } from './cpuprofile.js';

const WIDTH = 1200;
const ROW = 18;
/** Frames narrower than this many pixels (and their callees) are left out. */
const MIN_PX = 0.3;

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string).replace(CONTROL, '');
}

/** A warm colour per function (stable), grey for V8/Node internals and special nodes. */
function colour(n: TreeNode): string {
  if (n.fn.startsWith('(') || n.file.startsWith('node:') || n.file === '') return 'hsl(0, 0%, 72%)';
  let h = 0;
  for (const ch of n.fn) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${10 + (h % 45)}, ${70 + (h % 20)}%, ${55 + (h % 12)}%)`;
}

export interface FlameOptions {
  title: string;
  /** A line under the title (the command, when, how long). */
  subtitle?: string;
}

export function renderFlameGraph(s: ProfileSummary, options: FlameOptions): string {
  const byId = new Map(s.nodes.map((n) => [n.id, n]));
  const root = byId.get(s.rootId);
  // Idle is no code: it would take most of the width of a server's profile. The root's width is the rest.
  const isIdle = (n: TreeNode): boolean => n.fn === '(idle)';
  const idleMs = s.nodes.filter(isIdle).reduce((a, n) => a + n.totalMs, 0);
  const total = Math.max(0, (root?.totalMs ?? 0) - idleMs);
  const scale = total > 0 ? WIDTH / total : 0;
  const frames: { n: TreeNode; x: number; w: number }[] = [];
  let maxDepth = 0;
  const width = (n: TreeNode): number => (n.id === s.rootId ? total : isIdle(n) ? 0 : n.totalMs) * scale;
  const place = (n: TreeNode, x: number): void => {
    const w = width(n);
    if (w < MIN_PX) return;
    frames.push({ n, x, w });
    maxDepth = Math.max(maxDepth, n.depth);
    let cx = x;
    const kids = n.children.map((c) => byId.get(c)).filter((c): c is TreeNode => c !== undefined);
    kids.sort((a, b) => a.fn.localeCompare(b.fn));
    for (const k of kids) {
      place(k, cx);
      cx += width(k);
    }
  };
  if (root) place(root, 0);
  const height = (maxDepth + 1) * ROW;
  const rects = frames.map(({ n, x, w }) => {
    const y = (maxDepth - n.depth) * ROW;
    const ms = n.id === s.rootId ? total : n.totalMs;
    const pct = total > 0 ? ((ms / total) * 100).toFixed(2) : '0';
    const where = n.file ? ` ${n.file}:${n.line}` : '';
    const tip = `${n.depth === 0 ? 'all code' : n.fn}${where}\nself ${n.selfMs.toFixed(1)} ms, total ${ms.toFixed(1)} ms (${pct}%)`;
    const name = n.depth === 0 ? 'all code' : n.fn;
    const chars = Math.floor((w - 6) / 7);
    const label = chars >= 3 ? name.slice(0, chars) : '';
    return `<g data-x="${x.toFixed(2)}" data-w="${w.toFixed(2)}" data-d="${n.depth}" data-name="${esc(name)}"><title>${esc(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.1, w - 0.5).toFixed(2)}" height="${ROW - 1}" fill="${n.depth === 0 ? 'hsl(0, 0%, 85%)' : colour(n)}" rx="2"/><text x="${(x + 3).toFixed(2)}" y="${y + ROW - 5}">${esc(label)}</text></g>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(options.title)}</title>
<style>
body { font: 13px -apple-system, system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 16px; margin: 0 0 4px; } p { margin: 0 0 12px; color: #555; }
svg text { font: 11px ui-monospace, Menlo, monospace; pointer-events: none; fill: #111; }
svg g:hover rect { stroke: #000; stroke-width: 0.8; } svg g { cursor: pointer; }
</style></head>
<body>
<h1>${esc(options.title)}</h1>
<p>${esc(options.subtitle ?? '')} ${s.sampledMs.toFixed(1)} ms sampled in code over ${s.durationMs.toFixed(0)} ms, ${s.samples} samples (sampled time is wall time between samples, not CPU time). Width is total time in code (${idleMs.toFixed(0)} ms idle not shown); hover a frame for its self and total time, click it to zoom in, click the bottom bar or press Escape to zoom out.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
${rects.join('\n')}
</svg>
<script>
const W = ${WIDTH}, gs = [...document.querySelectorAll('svg g')];
function zoom(g) {
  const fx = +g.dataset.x, fw = +g.dataset.w, fd = +g.dataset.d, k = W / fw;
  for (const e of gs) {
    const x = +e.dataset.x, w = +e.dataset.w, d = +e.dataset.d;
    const inside = x + w > fx + 1e-6 && x < fx + fw - 1e-6 && (d >= fd || (x <= fx + 1e-6 && x + w >= fx + fw - 1e-6));
    e.style.display = inside ? '' : 'none';
    if (!inside) continue;
    const nx = d < fd ? 0 : (x - fx) * k, nw = d < fd ? W : w * k;
    e.querySelector('rect').setAttribute('x', nx.toFixed(2));
    e.querySelector('rect').setAttribute('width', Math.max(0.1, nw - 0.5).toFixed(2));
    const t = e.querySelector('text'), chars = Math.floor((nw - 6) / 7);
    t.setAttribute('x', (nx + 3).toFixed(2));
    t.textContent = chars >= 3 ? e.dataset.name.slice(0, chars) : '';
  }
}
for (const g of gs) g.addEventListener('click', () => zoom(g));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && gs[0]) zoom(gs[0]); });
</script>
</body></html>
`;
}
