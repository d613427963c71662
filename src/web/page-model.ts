/**
 * The page model: what a person and a front-end engineer notice on a page, built from a
 * `DomTree` (with layout facts from the browser, or without them from plain HTML). Every
 * element it mentions carries a CSS selector that matches exactly that element in the tree.
 */
import {
  bodyOf,
  chroma,
  contrastRatio,
  effectiveBackground,
  isPinned,
  isVisible,
  normalizeSpace,
  parseColor,
  type DomNode,
  type DomTree,
} from './dom.js';
import { querySelectorAll, uniqueSelector } from './selector.js';
import { detectThirdParty, type ThirdPartyTool } from './third-party.js';
import { normalizeUrl, sameOrigin } from './url.js';

export type ViewportName = 'desktop' | 'mobile';

export const VIEWPORTS: Record<ViewportName, { width: number; height: number }> = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 390, height: 844 },
};

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Prominence = 'primary' | 'secondary' | 'tertiary';

export interface Cta {
  selector: string;
  text: string;
  role: 'button' | 'link' | 'submit';
  href: string | null;
  box: Box | null;
  /** Fully visible in the first screen, per captured viewport (empty without a browser). */
  above_fold: Partial<Record<ViewportName, boolean>>;
  prominence: Prominence | null;
  /** 0..1 from size, fill, colour, font; null without a browser. */
  prominence_score: number | null;
  /** Text contrast against its background (WCAG ratio); null without a browser. */
  contrast: number | null;
  in_nav: boolean;
  in_form: boolean;
}

export interface Heading {
  level: number;
  text: string;
  selector: string;
}

export interface FormField {
  selector: string;
  tag: string;
  type: string;
  name: string | null;
  label: string | null;
  label_source: 'label' | 'aria' | 'title' | 'placeholder' | null;
  required: boolean;
}

export type FormPurpose = 'signup' | 'login' | 'checkout' | 'newsletter' | 'search' | 'contact' | 'other';

export interface FormModel {
  selector: string;
  action: string | null;
  method: string;
  purpose: FormPurpose;
  fields: FormField[];
  submit: { selector: string; text: string } | null;
  box: Box | null;
}

export interface NavLink {
  text: string;
  href: string;
  selector: string;
}

export interface NavModel {
  selector: string;
  links: NavLink[];
}

export interface PricingPlan {
  selector: string;
  name: string | null;
  price: string | null;
  highlighted: boolean;
  features: number;
}

export interface PricingModel {
  selector: string;
  plans: PricingPlan[];
  /** Price anchors: struck-through prices, "save 20%", "2 months free". */
  anchors: { selector: string; text: string }[];
}

export type TrustKind = 'testimonial' | 'logos' | 'rating' | 'stat' | 'badge';

export interface TrustSignal {
  kind: TrustKind;
  selector: string;
  text: string;
  box: Box | null;
}

export interface ImageIssue {
  selector: string;
  src: string | null;
  box: Box | null;
}

export interface Timing {
  ttfb_ms: number | null;
  fcp_ms: number | null;
  lcp_ms: number | null;
  dom_content_loaded_ms: number | null;
  load_ms: number | null;
  /** The largest contentful paint element, when known. */
  lcp_element: string | null;
}

export interface PageModel {
  url: string;
  final_url: string;
  status: number | null;
  title: string;
  meta_description: string | null;
  lang: string | null;
  viewports: { name: ViewportName; width: number; height: number; page_height: number | null }[];
  headings: Heading[];
  ctas: Cta[];
  forms: FormModel[];
  nav: NavModel[];
  pricing: PricingModel[];
  trust: TrustSignal[];
  images: { total: number; lazy: number; not_loaded: number; missing_alt: ImageIssue[] };
  third_party: ThirdPartyTool[];
  timing: Timing | null;
  /** Same-origin links on the page (normalized URLs), most prominent first. */
  links: { href: string; text: string }[];
  text_excerpt: string;
  stats: { dom_nodes: number; truncated: boolean; layout: boolean };
}

export interface ModelLimits {
  ctas: number;
  headings: number;
  links: number;
  navLinks: number;
  trust: number;
  images: number;
  excerpt: number;
}

export const DEFAULT_LIMITS: ModelLimits = { ctas: 40, headings: 40, links: 60, navLinks: 25, trust: 20, images: 20, excerpt: 1500 };

export interface BuildInput {
  url: string;
  finalUrl: string;
  status: number | null;
  tree: DomTree;
  /** The viewport `tree`'s layout was taken in (null without a browser). */
  viewport: ViewportName | null;
  /** The same page laid out in other viewports (fold facts only). */
  otherViews?: { name: ViewportName; tree: DomTree }[];
  timing?: Omit<Timing, 'lcp_element'> | null;
  /** URLs the page requested while loading (browser only). */
  requestUrls?: string[];
  limits?: Partial<ModelLimits>;
}

/** CTAs examined per page (document order); the model keeps `limits.ctas` of them. */
const MAX_CTA_CANDIDATES = 150;

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Builds the page model. Pure: same tree in, same model out. */
export function buildPageModel(input: BuildInput): PageModel {
  const limits = { ...DEFAULT_LIMITS, ...input.limits };
  const tree = input.tree;
  const base = input.finalUrl;
  const selCache = new Map<DomNode, string>();
  const sel = (n: DomNode): string => {
    let s = selCache.get(n);
    if (s === undefined) {
      s = uniqueSelector(tree, n);
      selCache.set(n, s);
    }
    return s;
  };
  const body = bodyOf(tree);
  const layout = tree.viewport !== null;

  const title = normalizeSpace(tree.byTag.get('title')?.[0]?.text() ?? '');
  const metaDescription = (tree.byTag.get('meta') ?? []).find((m) => (m.attr('name') ?? '').toLowerCase() === 'description')?.attr('content') ?? null;
  const lang = tree.root.attr('lang');

  const visibleEls = tree.nodes.filter((n) => body.contains(n) && isVisible(n));
  const consent = (n: DomNode): boolean => n.closest(isConsentContainer) !== null;

  // Headings
  const headings: Heading[] = visibleEls
    .filter((n) => /^h[1-6]$/.test(n.tag) && n.text().length > 0)
    .slice(0, limits.headings)
    .map((n) => ({ level: Number(n.tag[1]), text: clip(n.text(), 120), selector: sel(n) }));

  // CTAs
  const ctaNodes: DomNode[] = [];
  for (const n of visibleEls) {
    if (ctaNodes.length >= MAX_CTA_CANDIDATES) break;
    if (consent(n)) continue;
    if (!ctaRole(n)) continue;
    if (ctaNodes.some((c) => c.contains(n))) continue; // a button inside a link: keep the link
    if (ctaText(n).length === 0) continue;
    ctaNodes.push(n);
  }
  const foldOf = (n: DomNode, view: DomTree): boolean | null => {
    if (!n.layout || !view.viewport) return null;
    if (isPinned(n)) return true;
    const l = n.layout;
    return l.visible && l.y >= 0 && l.y + l.h <= view.viewport.height;
  };
  const allCtas: Cta[] = ctaNodes.map((n) => {
    const role = ctaRole(n) as Cta['role'];
    const href = n.tag === 'a' ? resolveHref(n.attr('href'), base) : null;
    const prom = prominence(n);
    const above: Partial<Record<ViewportName, boolean>> = {};
    const selector = sel(n);
    if (input.viewport && layout) above[input.viewport] = foldOf(n, tree) ?? false;
    for (const v of input.otherViews ?? []) {
      const twin = querySelectorAll(v.tree, selector)[0];
      above[v.name] = twin ? (foldOf(twin, v.tree) ?? false) : false;
    }
    return {
      selector,
      text: clip(ctaText(n), 80),
      role,
      href,
      box: boxOf(n),
      above_fold: above,
      prominence: prom ? prom.level : classProminence(n),
      prominence_score: prom ? round(prom.score, 3) : null,
      contrast: prom ? round(prom.contrast, 2) : null,
      in_nav: n.closest(isNavLike) !== null,
      in_form: n.closest((x) => x.tag === 'form') !== null,
    };
  });
  const ctas = allCtas.slice(0, limits.ctas);

  // Forms
  const labelsFor = new Map<string, string>();
  for (const l of tree.byTag.get('label') ?? []) {
    const f = l.attr('for');
    if (f && !labelsFor.has(f)) labelsFor.set(f, l.text());
  }
  const forms: FormModel[] = (tree.byTag.get('form') ?? [])
    .filter((f) => isVisible(f) && !consent(f))
    .slice(0, 10)
    .map((f) => formModel(f, sel, labelsFor, tree, base));

  // Navigation
  let navNodes = tree.nodes.filter((n) => body.contains(n) && isVisible(n) && (n.tag === 'nav' || n.attr('role') === 'navigation'));
  navNodes = navNodes.filter((n) => !navNodes.some((o) => o !== n && o.contains(n)));
  if (navNodes.length === 0) navNodes = (tree.byTag.get('header') ?? []).filter(isVisible).slice(0, 1);
  const nav: NavModel[] = navNodes.slice(0, 4).map((n) => ({
    selector: sel(n),
    links: linkNodes(n)
      .slice(0, limits.navLinks)
      .map((a) => ({ text: clip(linkText(a), 60), href: resolveHref(a.attr('href'), base) ?? '', selector: sel(a) })),
  }));

  // Same-origin links, most prominent first: CTAs by prominence, then nav links, then the rest.
  const links: { href: string; text: string }[] = [];
  const seen = new Set<string>();
  const addLink = (href: string | null, text: string): void => {
    if (!href || links.length >= limits.links) return;
    const norm = normalizeUrl(href);
    if (!norm || !sameOrigin(norm, base) || seen.has(norm)) return;
    seen.add(norm);
    links.push({ href: norm, text: clip(text, 60) });
  };
  const byProminence = [...allCtas].sort((a, b) => Number(a.in_nav) - Number(b.in_nav) || (b.prominence_score ?? promRank(b.prominence)) - (a.prominence_score ?? promRank(a.prominence)));
  for (const c of byProminence) addLink(c.href, c.text);
  for (const nv of nav) for (const l of nv.links) addLink(l.href, l.text);
  for (const a of linkNodes(body)) addLink(resolveHref(a.attr('href'), base), linkText(a));

  // Trust, pricing, images
  const trust = trustSignals(visibleEls, sel, limits.trust);
  const pricing = pricingTables(visibleEls, sel);
  const imgs = (tree.byTag.get('img') ?? []).filter((n) => body.contains(n));
  const shown = imgs.filter((n) => isVisible(n) && !isPixel(n));
  const missingAlt = shown
    .filter((n) => !n.has('alt') && n.attr('role') !== 'presentation' && n.attr('aria-hidden') !== 'true')
    .slice(0, limits.images)
    .map((n) => ({ selector: sel(n), src: clipUrl(resolveHref(n.attr('src') ?? n.attr('data-src'), base)), box: boxOf(n) }));
  const images = {
    total: shown.length,
    lazy: imgs.filter((n) => (n.attr('loading') ?? '').toLowerCase() === 'lazy' || n.has('data-src')).length,
    not_loaded: shown.filter((n) => n.layout !== null && n.layout.natural === 0).length,
    missing_alt: missingAlt,
  };

  // Third-party tools
  const scriptUrls = tree.scripts.filter((s) => s.src).map((s) => resolveHref(s.src, base) ?? (s.src as string));
  const otherUrls = [
    ...(tree.byTag.get('iframe') ?? []).map((n) => n.attr('src') ?? ''),
    ...(tree.byTag.get('link') ?? []).map((n) => n.attr('href') ?? ''),
    ...(tree.byTag.get('img') ?? []).map((n) => n.attr('src') ?? ''),
    ...(input.requestUrls ?? []),
  ].filter((u) => u.length > 0 && !u.startsWith('data:'));
  const thirdParty = detectThirdParty({ scriptUrls, inlineScripts: tree.scripts.map((s) => s.text).filter((t) => t.length > 0), otherUrls });

  const lcpNode = tree.nodes.find((n) => n.lcp);
  const timing: Timing | null = input.timing ? { ...input.timing, lcp_element: lcpNode ? sel(lcpNode) : null } : null;

  const main = tree.byTag.get('main')?.[0] ?? body;
  const excerpt = clip(main.text(), limits.excerpt);

  const viewports: PageModel['viewports'] = [];
  if (input.viewport && tree.viewport) viewports.push({ name: input.viewport, ...tree.viewport, page_height: tree.docHeight });
  for (const v of input.otherViews ?? []) if (v.tree.viewport) viewports.push({ name: v.name, ...v.tree.viewport, page_height: v.tree.docHeight });

  return {
    url: input.url,
    final_url: input.finalUrl,
    status: input.status,
    title: clip(title, 200),
    meta_description: metaDescription ? clip(normalizeSpace(metaDescription), 300) : null,
    lang,
    viewports,
    headings,
    ctas,
    forms,
    nav,
    pricing,
    trust,
    images,
    third_party: thirdParty,
    timing,
    links,
    text_excerpt: excerpt,
    stats: { dom_nodes: tree.count, truncated: tree.truncated, layout },
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function promRank(p: Prominence | null): number {
  return p === 'primary' ? 0.9 : p === 'secondary' ? 0.5 : p === 'tertiary' ? 0.1 : 0;
}

function clipUrl(u: string | null): string | null {
  return u === null ? null : clip(u, 160);
}

export function resolveHref(href: string | null, base: string): string | null {
  if (href === null) return null;
  const h = href.trim();
  if (h.length === 0 || /^(?:javascript|mailto|tel|data|blob):/i.test(h)) return null;
  try {
    return new URL(h, base).href;
  } catch {
    return null;
  }
}

function boxOf(n: DomNode): Box | null {
  const l = n.layout;
  if (!l) return null;
  return { x: Math.round(l.x), y: Math.round(l.y), width: Math.round(l.w), height: Math.round(l.h) };
}

function isPixel(n: DomNode): boolean {
  if (n.layout) return n.layout.w * n.layout.h <= 4;
  const w = Number(n.attr('width'));
  const h = Number(n.attr('height'));
  return (Number.isFinite(w) && w > 0 && w <= 2) || (Number.isFinite(h) && h > 0 && h <= 2);
}

const CONSENT_RE = /cookie|consent|gdpr|onetrust|cookiebot|\bcmp\b|cc-window|cc-banner|didomi|truste|usercentrics|qc-cmp/i;

export function isConsentContainer(n: DomNode): boolean {
  const id = n.id ?? '';
  const cls = n.attr('class') ?? '';
  const label = n.attr('aria-label') ?? '';
  return CONSENT_RE.test(id) || CONSENT_RE.test(cls) || (n.attr('role') === 'dialog' && /cookie|consent|privacy/i.test(label));
}

function isNavLike(n: DomNode): boolean {
  return n.tag === 'nav' || n.tag === 'header' || n.attr('role') === 'navigation' || n.attr('role') === 'banner';
}

const BUTTON_CLASS = /(?:^|[\s_-])(?:btn|button|cta)(?:$|[\s_-])/i;

function isButtonLikeLink(n: DomNode): boolean {
  if (BUTTON_CLASS.test(n.attr('class') ?? '') || BUTTON_CLASS.test(n.id ?? '')) return true;
  const l = n.layout;
  if (!l) return false;
  const text = ctaText(n);
  if (text.length === 0 || text.length > 50 || l.h < 28 || l.w < 60) return false;
  const bg = parseColor(l.bg);
  const parentBg = n.parent ? effectiveBackground(n.parent) : null;
  const filled = bg !== null && bg.a > 0.5 && parentBg !== null && contrastRatio(effectiveBackground(n), parentBg) > 1.15;
  return filled || l.border >= 2;
}

/** Whether an element is a call to action, and what kind. */
export function ctaRole(n: DomNode): Cta['role'] | null {
  const type = (n.attr('type') ?? '').toLowerCase();
  if (n.tag === 'button') {
    if (type === 'submit' || (type === '' && n.closest((x) => x.tag === 'form') !== null)) return 'submit';
    if (type === 'reset') return null;
    return 'button';
  }
  if (n.tag === 'input') {
    if (type === 'submit' || type === 'image') return 'submit';
    if (type === 'button') return 'button';
    return null;
  }
  if (n.attr('role') === 'button' && n.tag !== 'a') return 'button';
  if (n.tag === 'a' && n.has('href')) {
    if (n.attr('role') === 'button') return 'link';
    return isButtonLikeLink(n) ? 'link' : null;
  }
  return null;
}

export function ctaText(n: DomNode): string {
  const t = n.text();
  if (t) return t;
  const alt = (n.tag === 'img' ? n : [...n.descendants()].find((d) => d.tag === 'img'))?.attr('alt');
  return normalizeSpace(n.attr('aria-label') ?? n.attr('value') ?? n.attr('title') ?? alt ?? '');
}

function linkText(a: DomNode): string {
  return a.text() || normalizeSpace(a.attr('aria-label') ?? a.attr('title') ?? '');
}

function linkNodes(root: DomNode): DomNode[] {
  const out: DomNode[] = [];
  for (const d of root.descendants()) if (d.tag === 'a' && d.has('href') && isVisible(d) && linkText(d).length > 0) out.push(d);
  return out;
}

interface ProminenceFacts {
  level: Prominence;
  score: number;
  contrast: number;
}

/** Visual prominence from layout: fill and its colourfulness, size, font size and weight. */
function prominence(n: DomNode): ProminenceFacts | null {
  const l = n.layout;
  if (!l) return null;
  const own = effectiveBackground(n);
  const around = n.parent ? effectiveBackground(n.parent) : own;
  const bg = parseColor(l.bg);
  const filled = bg !== null && bg.a > 0.5 && contrastRatio(own, around) > 1.15;
  const text = parseColor(l.color);
  const contrast = text ? contrastRatio(text.a < 1 ? { ...text, a: 1 } : text, own) : 21;
  const area = Math.min(1, (l.w * l.h) / (200 * 56));
  const score = 0.4 * (filled ? 0.5 + 0.5 * chroma(own) : 0) + 0.3 * area + 0.15 * Math.min(1, l.fontSize / 20) + 0.1 * (l.fontWeight >= 600 ? 1 : 0) + 0.05 * (l.border > 0 && !filled ? 1 : 0);
  const level: Prominence = filled && score >= 0.55 ? 'primary' : filled || l.border > 0 ? 'secondary' : 'tertiary';
  return { level, score, contrast };
}

/** Without layout, class names hint at the prominence. */
function classProminence(n: DomNode): Prominence | null {
  const cls = `${n.attr('class') ?? ''} ${n.id ?? ''}`;
  if (/primary|\bcta\b|hero/i.test(cls)) return 'primary';
  if (/secondary|outline|ghost|\bbtn\b|button/i.test(cls)) return 'secondary';
  if (/link|tertiary/i.test(cls)) return 'tertiary';
  return n.tag === 'button' || n.tag === 'input' ? 'secondary' : null;
}

// ---------------------------------------------------------------------------------------------
// Forms

const FIELD_TAGS = new Set(['input', 'select', 'textarea']);
const NOT_FIELDS = new Set(['hidden', 'submit', 'button', 'reset', 'image']);

function formModel(f: DomNode, sel: (n: DomNode) => string, labelsFor: Map<string, string>, tree: DomTree, base: string): FormModel {
  const fields: FormField[] = [];
  let submit: FormModel['submit'] = null;
  for (const d of f.descendants()) {
    if (FIELD_TAGS.has(d.tag)) {
      const type = d.tag === 'input' ? (d.attr('type') ?? 'text').toLowerCase() : d.tag;
      if (NOT_FIELDS.has(type)) {
        if (!submit && (type === 'submit' || type === 'image') && isVisible(d)) submit = { selector: sel(d), text: ctaText(d) || 'Submit' };
        continue;
      }
      if (!isVisible(d)) continue;
      const { label, source } = fieldLabel(d, labelsFor, tree);
      fields.push({
        selector: sel(d),
        tag: d.tag,
        type,
        name: d.attr('name'),
        label: label ? clip(label, 80) : null,
        label_source: source,
        required: d.has('required') || d.attr('aria-required') === 'true',
      });
    } else if (d.tag === 'button' && !submit && isVisible(d) && ctaRole(d) === 'submit') {
      submit = { selector: sel(d), text: ctaText(d) || 'Submit' };
    }
  }
  return {
    selector: sel(f),
    action: resolveHref(f.attr('action'), base),
    method: (f.attr('method') ?? 'get').toLowerCase(),
    purpose: formPurpose(f, fields, submit?.text ?? ''),
    fields,
    submit,
    box: boxOf(f),
  };
}

function fieldLabel(d: DomNode, labelsFor: Map<string, string>, tree: DomTree): { label: string | null; source: FormField['label_source'] } {
  const id = d.id;
  if (id && labelsFor.get(id)) return { label: labelsFor.get(id) as string, source: 'label' };
  const wrap = d.closest((x) => x.tag === 'label');
  if (wrap && wrap.text()) return { label: wrap.text(), source: 'label' };
  const aria = d.attr('aria-label');
  if (aria && aria.trim()) return { label: normalizeSpace(aria), source: 'aria' };
  const by = d.attr('aria-labelledby');
  if (by) {
    const text = by
      .split(/\s+/)
      .map((i) => tree.byId.get(i)?.[0]?.text() ?? '')
      .join(' ')
      .trim();
    if (text) return { label: text, source: 'aria' };
  }
  const title = d.attr('title');
  if (title && title.trim()) return { label: normalizeSpace(title), source: 'title' };
  const ph = d.attr('placeholder');
  if (ph && ph.trim()) return { label: normalizeSpace(ph), source: 'placeholder' };
  return { label: null, source: null };
}

function formPurpose(f: DomNode, fields: FormField[], submitText: string): FormPurpose {
  const types = fields.map((x) => x.type);
  const names = fields.map((x) => `${x.name ?? ''} ${x.label ?? ''} ${x.selector}`.toLowerCase()).join(' ');
  const hint = `${f.attr('id') ?? ''} ${f.attr('class') ?? ''} ${f.attr('action') ?? ''} ${submitText}`.toLowerCase();
  if (types.includes('search') || /\bsearch\b/.test(hint) || (fields.length === 1 && /\bq\b|search/.test(names))) return 'search';
  if (/card|cc-|cvc|cvv|expir|billing/.test(names) || /checkout|pay|purchase|order/.test(hint)) return 'checkout';
  const hasPassword = types.includes('password');
  if (hasPassword && (/log ?in|sign ?in/.test(hint) || fields.length <= 2) && !/sign ?up|register|create|start|join|trial/.test(hint)) return 'login';
  if (hasPassword || /sign ?up|register|create account|get started|start (?:your )?free|join|trial/.test(hint)) return 'signup';
  if (types.includes('textarea') || /contact|message|demo|sales/.test(hint)) return 'contact';
  if (fields.length <= 2 && (types.includes('email') || /email/.test(names)) && /subscribe|newsletter|notify|updates/.test(`${hint} ${names}`)) return 'newsletter';
  if (fields.length <= 2 && types.includes('email')) return 'newsletter';
  return 'other';
}

// ---------------------------------------------------------------------------------------------
// Trust signals

const TESTIMONIAL_CLASS = /testimonial|review|quote|customer-stor|case-stud/i;
const LOGOS_CLASS = /logos?\b|logo-|clients|customers|partners|trusted|brands|as-seen/i;
const RATING_TEXT = /[★⭐]{3,}|\b\d(?:\.\d)?\s*(?:\/|out of)\s*5\b|\b\d[\d,.]*\s*(?:k\+?|\+)?\s*(?:reviews|ratings)\b/i;
const STAT_TEXT = /\b\d[\d,.]*\s*(?:k|m|million|thousand)?\+?\s+(?:customers|users|teams|companies|businesses|developers|brands|merchants|members|people)\b/i;
const BADGE_TEXT = /money-back|\bguarantee\b|\bsoc ?2\b|\bhipaa\b|\bgdpr(?:[- ]compliant)?\b|\bpci(?:[- ]dss)?\b|\bssl\b|\bsecure checkout\b|trustpilot|\bg2\b|capterra|iso ?27001/i;

function trustSignals(visible: DomNode[], sel: (n: DomNode) => string, limit: number): TrustSignal[] {
  const found: { kind: TrustKind; node: DomNode }[] = [];
  const taken = (n: DomNode): boolean => found.some((f) => f.node.contains(n) || n.contains(f.node));
  const add = (kind: TrustKind, node: DomNode): void => {
    if (found.length < limit * 2 && !taken(node)) found.push({ kind, node });
  };
  const isQuote = (n: DomNode): boolean => n.tag === 'blockquote' || (TESTIMONIAL_CLASS.test(`${n.attr('class') ?? ''} ${n.id ?? ''}`) && n.text().length >= 20);
  const quotes = visible.filter(isQuote);
  // The smallest elements that are quotes: a testimonials section holds several.
  for (const n of quotes) {
    if (quotes.some((o) => o !== n && n.contains(o) && !(n.tag === 'figure' && o.parent === n))) continue;
    add('testimonial', n.tag === 'blockquote' && n.parent?.tag === 'figure' ? n.parent : n);
  }
  for (const n of visible) {
    const cls = `${n.attr('class') ?? ''} ${n.id ?? ''}`;
    if (LOGOS_CLASS.test(cls) && !/^(?:a|img)$/.test(n.tag)) {
      const logos = [...n.descendants()].filter((d) => d.tag === 'img' || d.tag === 'svg').length;
      if (logos >= 3) add('logos', n);
    }
  }
  // Text signals: the smallest element whose text matches.
  const deepest = (re: RegExp, kind: TrustKind, maxLen: number): void => {
    for (const n of visible) {
      const t = n.text();
      if (t.length === 0 || t.length > maxLen || !re.test(t)) continue;
      if (n.children.some((c) => re.test(c.text()))) continue;
      add(kind, n);
    }
  };
  deepest(RATING_TEXT, 'rating', 160);
  deepest(STAT_TEXT, 'stat', 160);
  deepest(BADGE_TEXT, 'badge', 160);
  for (const n of visible) {
    if (n.tag === 'img' && BADGE_TEXT.test(`${n.attr('alt') ?? ''} ${n.attr('src') ?? ''}`)) add('badge', n);
  }
  found.sort((a, b) => a.node.index - b.node.index);
  return found.slice(0, limit).map((f) => ({
    kind: f.kind,
    selector: sel(f.node),
    text: clip(f.node.text() || f.node.attr('alt') || '', 140),
    box: boxOf(f.node),
  }));
}

// ---------------------------------------------------------------------------------------------
// Pricing tables

const PRICE_RE = /(?:[$€£¥₹]\s?\d[\d,.]*(?:\s?[kKmM]\b)?|\b\d[\d,.]*\s?(?:€|\$|£|usd|eur|gbp|chf)\b)/i;
const ANCHOR_TEXT = /\bsave\s+(?:up to\s+)?\d+\s?%|\b\d+\s?%\s+off\b|\b\d+\s+months?\s+free\b|\bwas\s+[$€£]/i;
const ANCHOR_CLASS = /strike|was-price|old-price|original-price|compare-at|regular-price|list-price/i;
const HIGHLIGHT_CLASS = /popular|recommended|featured|highlight|best|preferred|emphasi[sz]/i;
const HIGHLIGHT_TEXT = /most popular|recommended|best value|best deal|popular choice|most chosen/i;

function isStruck(n: DomNode): boolean {
  return n.closest((x) => x.tag === 's' || x.tag === 'del' || x.tag === 'strike' || ANCHOR_CLASS.test(x.attr('class') ?? '')) !== null;
}

const STRUCK_TAGS = new Set(['s', 'del', 'strike']);

/** Text without struck-through parts (the current price of "<s>$59</s> $49"). */
function unstruckText(n: DomNode): string {
  const parts: string[] = [];
  const walk = (x: DomNode): void => {
    for (const c of x.content) {
      if (typeof c === 'string') parts.push(c);
      else if (!STRUCK_TAGS.has(c.tag) && !ANCHOR_CLASS.test(c.attr('class') ?? '')) walk(c);
    }
  };
  walk(n);
  return normalizeSpace(parts.join(' '));
}

function pricingTables(visible: DomNode[], sel: (n: DomNode) => string): PricingModel[] {
  const prices = visible.filter((n) => {
    if (isStruck(n)) return false;
    const t = unstruckText(n);
    return t.length > 0 && t.length <= 60 && PRICE_RE.test(t) && !n.children.some((c) => !isStruck(c) && PRICE_RE.test(unstruckText(c)));
  });
  if (prices.length < 2) return [];
  const cardLike = (branch: DomNode): boolean => {
    for (const d of [branch, ...branch.descendants()]) if (/^(?:h[2-6]|ul|ol|button|a)$/.test(d.tag)) return true;
    return false;
  };
  // container -> branches (children) holding a price
  const branches = new Map<DomNode, Set<DomNode>>();
  for (const p of prices) {
    let child = p;
    for (let a = p.parent; a; child = a, a = a.parent) {
      if (a.tag === 'body' || a.tag === 'html' || a.tag === 'main') break;
      let set = branches.get(a);
      if (!set) branches.set(a, (set = new Set()));
      set.add(child);
    }
  }
  // A pricing table has a handful of plans; dozens of prices in one container are a product list.
  const qualifying = [...branches]
    .filter(([, set]) => set.size <= 8)
    .filter(([, set]) => [...set].filter(cardLike).length >= 2)
    .map(([c]) => c);
  const deepest = qualifying.filter((c) => !qualifying.some((o) => o !== c && c.contains(o)));
  return deepest.slice(0, 3).map((container) => {
    const plans = [...(branches.get(container) as Set<DomNode>)].filter(cardLike).sort((a, b) => a.index - b.index);
    const planBgs = plans.map((p) => `${p.layout?.bg ?? ''}|${p.layout && p.layout.border > 0 ? 'b' : ''}`);
    const distinct = (i: number): boolean => plans.length >= 3 && planBgs.filter((b) => b === planBgs[i]).length === 1;
    const model: PricingPlan[] = plans.map((p, i) => {
      const heading = [...p.descendants()].find((d) => /^h[2-6]$/.test(d.tag)) ?? [...p.descendants()].find((d) => d.tag === 'strong' || d.tag === 'b');
      const price = prices.find((x) => p.contains(x));
      const priceMatch = price ? PRICE_RE.exec(unstruckText(price)) : null;
      const cls = [p, ...p.descendants()].map((d) => d.attr('class') ?? '').join(' ');
      const highlighted = HIGHLIGHT_CLASS.test(cls) || HIGHLIGHT_TEXT.test(p.text()) || distinct(i);
      return {
        selector: sel(p),
        name: heading ? clip(heading.text(), 60) : null,
        price: price ? clip(unstruckText(price), 40) : priceMatch ? priceMatch[0] : null,
        highlighted,
        features: [...p.descendants()].filter((d) => d.tag === 'li').length,
      };
    });
    const scope = container.closest((x) => x.tag === 'section') ?? container.parent ?? container;
    const anchors: { selector: string; text: string }[] = [];
    for (const d of [scope, ...scope.descendants()]) {
      if (anchors.length >= 5 || !isVisible(d)) continue;
      const struck = d.tag === 's' || d.tag === 'del' || d.tag === 'strike' || ANCHOR_CLASS.test(d.attr('class') ?? '');
      const saving = ANCHOR_TEXT.test(d.text()) && d.text().length <= 80 && !d.children.some((c) => ANCHOR_TEXT.test(c.text()));
      if ((struck && PRICE_RE.test(d.text())) || saving) anchors.push({ selector: sel(d), text: clip(d.text(), 80) });
    }
    return { selector: sel(container), plans: model, anchors };
  });
}
