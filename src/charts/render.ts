/**
 * Rendering of every picture the tool draws: a Vega-Lite spec to SVG (vega, server side),
 * any SVG to PNG (resvg, with the fonts shipped in assets/fonts, nothing fetched), and a
 * spec to one self-contained HTML file with an interactive view (vega-embed inlined, works
 * offline). Features build specs or SVG; only this module knows how they become files.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ResvgModule from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { UsageError, UserError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** The font family every chart and card uses; shipped as TTF in assets/fonts. */
export const FONT_FAMILY = 'DejaVu Sans';

/** Paths of the shipped TTF fonts (regular and bold). */
export function fontFiles(): string[] {
  const dir = fileURLToPath(new URL('../../assets/fonts/', import.meta.url));
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => dir + f);
}

/** The shipped fonts as buffers, for satori (which takes font data, not paths). */
export function fontData(): { name: string; data: Buffer; weight: 400 | 700; style: 'normal' }[] {
  const [regular, bold] = fontFiles() as [string, string];
  return [
    { name: FONT_FAMILY, data: fs.readFileSync(regular), weight: 400, style: 'normal' },
    { name: FONT_FAMILY, data: fs.readFileSync(bold), weight: 700, style: 'normal' },
  ];
}

/** Config merged into every spec: the shipped font, so SVG, PNG and HTML look alike. */
export const BASE_CONFIG = {
  font: FONT_FAMILY,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eeeeee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 15, anchor: 'start' as const, offset: 10 },
};

function withBaseConfig(spec: TopLevelSpec): TopLevelSpec {
  const config = (spec as { config?: Record<string, unknown> }).config ?? {};
  return { ...spec, config: { ...BASE_CONFIG, ...config } };
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Compiles a Vega-Lite spec and renders it to an SVG string (no browser, no network: data must be inline). */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(withBaseConfig(spec)).spec;
  if ((compiled.data ?? []).some((d) => 'url' in d)) throw new Error('charts carry their data inline; a spec with a data URL is refused');
  // A loader that refuses every URL: specs carry their data inline, and nothing is fetched.
  const loader = vega.loader();
  loader.load = () => Promise.reject(new Error('charts carry their data inline; nothing is fetched'));
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    // Labels come from data: a control character is not allowed in XML and would make the SVG
    // (and the PNG made from it) unreadable, so it is dropped.
    return (await view.toSVG()).replace(CONTROL_CHARS, '');
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Output width in pixels (the SVG is scaled to it); default: the SVG's own width. */
  width?: number;
  /** Background colour; default white. */
  background?: string;
}

/** Renders SVG to PNG with resvg and the shipped fonts (system fonts are not used, so output is the same everywhere). */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const { Resvg } = require('@resvg/resvg-js') as typeof ResvgModule;
  const resvg = new Resvg(svg, {
    background: options.background ?? '#ffffff',
    fitTo: options.width ? { mode: 'width', value: options.width } : { mode: 'original' },
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
  });
  return Buffer.from(resvg.render().asPng());
}

/** A package's root folder (its exports map may hide build files from require.resolve). */
function packageRoot(pkg: string): string {
  let dir = path.dirname(require.resolve(pkg));
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) !== pkg.split('/').pop()) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${pkg} package folder`);
    dir = up;
  }
  return dir;
}

function inlineScript(pkg: string, file: string): string {
  const js = fs.readFileSync(path.join(packageRoot(pkg), file), 'utf8');
  // A script body must not close its own tag early.
  return `<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface HtmlOptions {
  title: string;
  /** Extra HTML placed above the chart (already escaped by the caller). */
  headerHtml?: string;
}

/**
 * One self-contained HTML file: the spec, vega, vega-lite and vega-embed inlined, tooltips
 * on; no request leaves the page. Several specs stack vertically.
 */
export function specsToHtml(specs: TopLevelSpec[], options: HtmlOptions): string {
  const blocks = specs.map((_, i) => `<div class="chart" id="chart${i}"></div>`).join('\n');
  const json = JSON.stringify(specs.map(withBaseConfig)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}.chart{margin:16px 0}.vega-embed summary{display:none}</style>
${inlineScript('vega', 'build/vega.min.js')}
${inlineScript('vega-lite', 'build/vega-lite.min.js')}
${inlineScript('vega-embed', 'build/vega-embed.min.js')}
</head><body>
<h1>${escapeHtml(options.title)}</h1>
${options.headerHtml ?? ''}
${blocks}
<script>
const specs = ${json};
const loader = vega.loader(); loader.load = () => Promise.reject(new Error('offline'));
window.vegaViews = [];
specs.forEach((spec, i) => vegaEmbed('#chart' + i, spec, { actions: false, tooltip: true, loader }).then((r) => { window.vegaViews[i] = r.view; }).catch((e) => console.error(e)));
</script>
</body></html>
`;
}

export type ChartFormat = 'svg' | 'png' | 'html';

/** The picture format of a file name (.svg, .png, .html/.htm), or null. */
export function chartFormatOf(file: string): ChartFormat | null {
  const m = /\.(svg|png|html?)$/i.exec(file);
  if (!m) return null;
  const ext = (m[1] as string).toLowerCase();
  return ext === 'htm' ? 'html' : (ext as ChartFormat);
}

/** Several charts as one spec, stacked (for one SVG or PNG file); a single chart is returned as is. */
export function stackSpecs(specs: TopLevelSpec[]): TopLevelSpec {
  if (specs.length === 1 && specs[0]) return specs[0];
  const inner = specs.map((s) => {
    const { $schema: _schema, background: _bg, config: _config, ...rest } = s as unknown as Record<string, unknown>;
    return rest;
  });
  return { background: 'white', vconcat: inner, spacing: 32 } as unknown as TopLevelSpec;
}

/** The bytes of a chart file: SVG, PNG (resvg) or one offline HTML page (each spec its own interactive view). */
export async function renderChartFile(format: ChartFormat, specs: TopLevelSpec[], options: HtmlOptions): Promise<string | Buffer> {
  if (format === 'html') return specsToHtml(specs, options);
  const svg = await specToSvg(stackSpecs(specs));
  return format === 'svg' ? svg : svgToPng(svg);
}

export interface ChartFile {
  file: string;
  format: ChartFormat;
}

/** Checks a --chart/--out picture path before any work is done: a known extension, an existing folder. */
export function chartFileOption(flag: string, raw: string | undefined, cwd: string): ChartFile | undefined {
  if (raw === undefined) return undefined;
  const file = path.resolve(cwd, raw);
  const format = chartFormatOf(file);
  if (!format) throw new UsageError(`${flag} must end in .svg, .png or .html, got "${raw}"`, { hint: `e.g. ${flag} chart.svg` });
  if (!fs.existsSync(path.dirname(file))) throw new UserError(`the folder for ${file} does not exist`, { hint: 'create it first or choose another path', code: 'CHART_DIR' });
  return { file, format };
}

/** Renders the specs in the file's format and writes the file. */
export async function writeChartFile(target: ChartFile, specs: TopLevelSpec[], options: HtmlOptions): Promise<void> {
  fs.writeFileSync(target.file, await renderChartFile(target.format, specs, options));
}
