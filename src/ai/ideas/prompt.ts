/**
 * The model request for `ideas`: the system prompt (templates/ideas/system.md), and one user
 * message with the page models as JSON (bounded) followed by the screenshots as image parts.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChatMessage, ContentPart } from '../llm.js';
import type { PageLink, Screenshot } from '../../web/capture.js';
import type { PageModel } from '../../web/page-model.js';

/** templates/ideas/ (the same relative place from src/ai/ideas and dist/ai/ideas). */
export function templatesDir(): string {
  return fileURLToPath(new URL('../../../templates/ideas/', import.meta.url));
}

const loaded = new Map<string, string>();

export function loadTemplate(name: string): string {
  let t = loaded.get(name);
  if (t === undefined) {
    t = fs.readFileSync(`${templatesDir()}${name}`, 'utf8');
    loaded.set(name, t);
  }
  return t;
}

/** Fills {{name}} slots; an unknown slot is an error (a template bug, not user input). */
export function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`template slot {{${key}}} has no value`);
    return String(v);
  });
}

export interface PromptPage {
  url: string;
  model: PageModel;
  screenshots: Screenshot[];
}

export interface PromptInput {
  startUrl: string;
  pages: PromptPage[];
  links: PageLink[];
  maxIdeas: number;
  mode: 'browser' | 'html';
  /** Character budget for the page-model JSON (default 60,000). */
  maxChars?: number;
  /** Images sent at most (default 8). */
  maxImages?: number;
}

/** Shrinks the page models step by step until their JSON fits the budget. */
export function compactModels(models: PageModel[], maxChars: number): { models: PageModel[]; trimmed: boolean } {
  const steps: ((m: PageModel) => PageModel)[] = [
    (m) => ({ ...m, links: m.links.slice(0, 20), text_excerpt: m.text_excerpt.slice(0, 800) }),
    (m) => ({ ...m, headings: m.headings.slice(0, 20), trust: m.trust.slice(0, 8), nav: m.nav.map((n) => ({ ...n, links: n.links.slice(0, 10) })) }),
    (m) => ({ ...m, ctas: m.ctas.slice(0, 20), images: { ...m.images, missing_alt: m.images.missing_alt.slice(0, 5) }, third_party: m.third_party.map((t) => ({ ...t, evidence: t.evidence.slice(0, 60) })) }),
    (m) => ({ ...m, links: m.links.slice(0, 8), text_excerpt: m.text_excerpt.slice(0, 300), headings: m.headings.slice(0, 10), ctas: m.ctas.slice(0, 12) }),
    (m) => ({
      ...m,
      ctas: m.ctas.map((c) => ({ ...c, box: null })),
      trust: m.trust.map((t) => ({ ...t, box: null })),
      forms: m.forms.map((f) => ({ ...f, box: null, fields: f.fields.slice(0, 12) })),
      images: { ...m.images, missing_alt: m.images.missing_alt.map((i) => ({ ...i, box: null })) },
    }),
  ];
  let current = models;
  const size = (ms: PageModel[]): number => JSON.stringify(ms).length;
  if (size(current) <= maxChars) return { models: current, trimmed: false };
  for (const step of steps) {
    current = current.map(step);
    if (size(current) <= maxChars) return { models: current, trimmed: true };
  }
  // Still too big (many pages): keep as many whole pages as fit, the start page first.
  const kept: PageModel[] = [];
  for (const m of current) {
    if (size([...kept, m]) > maxChars && kept.length > 0) break;
    kept.push(m);
  }
  return { models: kept, trimmed: true };
}

export interface SentImage {
  url: string;
  viewport: string;
  kind: 'fold' | 'full';
}

/**
 * The screenshots worth sending, in order of value: each page's first screen, then the first
 * screens of the other viewport (so `--viewport both` always sends mobile images), then full
 * pages. A full page no taller than its first screen is the same picture and is not sent.
 */
export function pickScreenshots(pages: PromptPage[], maxImages: number): { page: PromptPage; shot: Screenshot }[] {
  const tiers: { page: PromptPage; shot: Screenshot }[][] = [[], [], [], []];
  for (const page of pages) {
    const primary = page.screenshots[0]?.viewport;
    for (const shot of page.screenshots) {
      const fold = page.screenshots.find((f) => f.kind === 'fold' && f.viewport === shot.viewport);
      if (shot.kind === 'full' && fold && shot.height <= fold.height) continue;
      const tier = (shot.kind === 'fold' ? 0 : 2) + (shot.viewport === primary ? 0 : 1);
      (tiers[tier] as { page: PromptPage; shot: Screenshot }[]).push({ page, shot });
    }
  }
  const chosen = tiers.flat().slice(0, maxImages);
  // Back in page order so each label sits next to its page.
  const order = (x: { page: PromptPage; shot: Screenshot }): number => pages.indexOf(x.page) * 10 + (x.shot.viewport === x.page.screenshots[0]?.viewport ? 0 : 2) + (x.shot.kind === 'fold' ? 0 : 1);
  return chosen.sort((a, b) => order(a) - order(b));
}

export function buildMessages(input: PromptInput): { messages: ChatMessage[]; images: SentImage[]; trimmed: boolean } {
  const urls = input.pages.map((p) => p.url);
  const system = render(loadTemplate('system.md'), { max_ideas: input.maxIdeas, page_urls: urls.join(', ') });
  const { models, trimmed } = compactModels(
    input.pages.map((p) => p.model),
    input.maxChars ?? 60_000,
  );
  const siteJson = JSON.stringify({ pages: models, links: input.links });
  const shots = pickScreenshots(input.pages, input.maxImages ?? 8);
  const note =
    shots.length > 0
      ? `Screenshots follow (${shots.length}), each labelled with its page and viewport.`
      : 'No screenshots: the pages were fetched without a browser, so there are no layout facts (boxes, fold, prominence) either.';
  const text = render(loadTemplate('user.md'), {
    start_url: input.startUrl,
    page_count: input.pages.length,
    capture_mode: input.mode === 'browser' ? 'in a real browser' : 'as HTML without a browser',
    site_json: siteJson,
    screenshot_note: note,
  });
  const content: ContentPart[] = [{ type: 'text', text }];
  const images: SentImage[] = [];
  for (const { page, shot } of shots) {
    const what = shot.kind === 'fold' ? 'first screen' : `full page${shot.truncated ? ` (cut at ${shot.height} px)` : ''}`;
    content.push({ type: 'text', text: `Screenshot: ${page.url}, ${shot.viewport} ${shot.width}x${shot.height}, ${what}.` });
    content.push({ type: 'image', dataUrl: `data:image/jpeg;base64,${shot.data.toString('base64')}`, detail: shot.kind === 'fold' ? 'high' : 'auto' });
    images.push({ url: page.url, viewport: shot.viewport, kind: shot.kind });
  }
  return {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content },
    ],
    images,
    trimmed,
  };
}
