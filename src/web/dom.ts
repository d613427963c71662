/**
 * A small, plain-data DOM used by page capture: the rendered page's DOM serialized in the
 * browser (with layout facts per element), or an HTML document parsed without a browser
 * (no layout). Both become the same `DomTree`, so the page model, the CSS selector engine
 * (src/web/selector.ts) and the grounding of ideas work the same either way.
 *
 * Every element of the page is a node (script, style, template and svg elements too, but
 * without their contents) so that sibling positions (`:nth-of-type`) agree with the real
 * page. Text is whitespace-normalized, with terminal escapes and control characters removed
 * (src/core/sanitize.ts): page text is untrusted and ends up in terminals and reports.
 */
import { stripControl } from '../core/sanitize.js';

/** Layout facts of an element from the browser, in CSS pixels, document coordinates. */
export interface Layout {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Rendered: display, visibility, opacity of it and its ancestors, and a non-empty box. */
  visible: boolean;
  fontSize: number;
  fontWeight: number;
  /** Computed `color` and `background-color` (rgb()/rgba() strings). */
  color: string;
  bg: string;
  /** Sum of the four border widths. */
  border: number;
  /** Computed `position`. */
  position: string;
  /** `cursor: pointer`. */
  pointer: boolean;
  /** Natural width of an <img> (0 when not loaded), else -1. */
  natural: number;
}

export class DomNode {
  parent: DomNode | null = null;
  /** Element children and text, in document order. */
  readonly content: (DomNode | string)[] = [];
  readonly children: DomNode[] = [];
  layout: Layout | null = null;
  /** The element reported as the largest contentful paint. */
  lcp = false;
  /** Position in document order (set when the tree is finished). */
  index = 0;
  /** 1-based position among the parent's element children, and among those with the same tag (set by finishTree). */
  pos = 1;
  typePos = 1;
  /** How many element siblings (including this one), and how many with the same tag. */
  siblingCount = 1;
  typeCount = 1;
  private textCache: string | null = null;

  constructor(
    /** Lower-case tag name. */
    readonly tag: string,
    readonly attrs: Record<string, string> = {},
  ) {}

  append(child: DomNode | string): void {
    if (typeof child === 'string') {
      // Page text is untrusted: no escape sequence or control character gets past the DOM.
      const text = stripControl(child);
      if (text.length > 0) this.content.push(text);
      return;
    }
    child.parent = this;
    this.content.push(child);
    this.children.push(child);
  }

  attr(name: string): string | null {
    return Object.prototype.hasOwnProperty.call(this.attrs, name) ? (this.attrs[name] ?? null) : null;
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.attrs, name);
  }

  get id(): string | null {
    return this.attr('id');
  }

  get classes(): string[] {
    const c = this.attr('class');
    return c ? c.split(/\s+/).filter((s) => s.length > 0) : [];
  }

  /** The whitespace-normalized text of the subtree (like textContent, without script/style). */
  text(): string {
    if (this.textCache === null) {
      const parts: string[] = [];
      collectText(this, parts);
      this.textCache = normalizeSpace(parts.join(' '));
    }
    return this.textCache;
  }

  /** Nearest ancestor-or-self for which `pred` holds. */
  closest(pred: (n: DomNode) => boolean): DomNode | null {
    if (pred(this)) return this;
    for (let n = this.parent; n; n = n.parent) if (pred(n)) return n;
    return null;
  }

  /** Whether `other` is this node or inside it. */
  contains(other: DomNode): boolean {
    for (let n: DomNode | null = other; n; n = n.parent) if (n === this) return true;
    return false;
  }

  /** Descendants in document order (not including this node). */
  *descendants(): Generator<DomNode> {
    for (const c of this.children) {
      yield c;
      yield* c.descendants();
    }
  }
}

function collectText(node: DomNode, parts: string[]): void {
  if (NO_TEXT_TAGS.has(node.tag)) return;
  for (const c of node.content) {
    if (typeof c === 'string') parts.push(c);
    else collectText(c, parts);
  }
}

/** Elements whose contents are not page text. */
export const NO_TEXT_TAGS = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'iframe', 'object', 'canvas']);

/** One line of page text: terminal escapes and control characters removed, whitespace collapsed. */
export function normalizeSpace(s: string): string {
  return stripControl(s, { newlines: false });
}

export interface ScriptInfo {
  src: string | null;
  /** The first characters of an inline script. */
  text: string;
}

export interface DomTree {
  root: DomNode;
  /** Every element in document order; nodes[i].index === i. */
  nodes: DomNode[];
  /** Elements in the page (may exceed nodes.length when truncated). */
  count: number;
  /** The node or text cap was hit: the rest of the page is missing. */
  truncated: boolean;
  /** The viewport the layout was taken in, or null without a browser. */
  viewport: { width: number; height: number } | null;
  /** Full document height in CSS pixels, or null without a browser. */
  docHeight: number | null;
  scripts: ScriptInfo[];
  /** Indexes for the selector engine. */
  byId: Map<string, DomNode[]>;
  byTag: Map<string, DomNode[]>;
}

/** Numbers the nodes in document order and builds the lookup indexes. */
export function finishTree(root: DomNode, extra: Pick<DomTree, 'count' | 'truncated' | 'viewport' | 'docHeight' | 'scripts'>): DomTree {
  const nodes: DomNode[] = [];
  const byId = new Map<string, DomNode[]>();
  const byTag = new Map<string, DomNode[]>();
  const stack: DomNode[] = [root];
  // Iterative pre-order walk: deep pages must not overflow the stack.
  while (stack.length > 0) {
    const n = stack.pop() as DomNode;
    n.index = nodes.length;
    nodes.push(n);
    const id = n.id;
    if (id) {
      const list = byId.get(id);
      if (list) list.push(n);
      else byId.set(id, [n]);
    }
    const list = byTag.get(n.tag);
    if (list) list.push(n);
    else byTag.set(n.tag, [n]);
    const typeTotals = new Map<string, number>();
    n.children.forEach((c, i) => {
      c.pos = i + 1;
      c.siblingCount = n.children.length;
      const k = (typeTotals.get(c.tag) ?? 0) + 1;
      typeTotals.set(c.tag, k);
      c.typePos = k;
    });
    for (const c of n.children) c.typeCount = typeTotals.get(c.tag) ?? 1;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as DomNode);
  }
  return { root, nodes, byId, byTag, ...extra };
}

/** The <body> (or the root when there is none). */
export function bodyOf(tree: DomTree): DomNode {
  return tree.byTag.get('body')?.[0] ?? tree.root;
}

/** Whether the node is rendered: layout facts when present, else markup hints (hidden, display:none, type=hidden). */
export function isVisible(node: DomNode): boolean {
  if (node.layout) return node.layout.visible;
  for (let n: DomNode | null = node; n; n = n.parent) {
    if (n.has('hidden')) return false;
    if (n.tag === 'head' || n.tag === 'template' || n.tag === 'noscript') return false;
    if (n.tag === 'input' && (n.attr('type') ?? '').toLowerCase() === 'hidden') return false;
    const style = n.attr('style');
    if (style && /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style)) return false;
  }
  return true;
}

/** Whether the element or an ancestor is position: fixed or sticky (it stays on screen while scrolling). */
export function isPinned(node: DomNode): boolean {
  for (let n: DomNode | null = node; n; n = n.parent) {
    const p = n.layout?.position;
    if (p === 'fixed' || p === 'sticky') return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Colours

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Parses computed colours: rgb(1, 2, 3), rgba(1, 2, 3, 0.5), rgb(1 2 3 / 50%), #abc, #aabbcc, transparent. */
export function parseColor(value: string | null | undefined): Rgba | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  if (v === 'transparent') return { r: 0, g: 0, b: 0, a: 0 };
  const hex = /^#([0-9a-f]{3,8})$/.exec(v);
  if (hex) {
    const h = hex[1] as string;
    const full = h.length <= 4 ? [...h].map((c) => c + c).join('') : h;
    if (full.length !== 6 && full.length !== 8) return null;
    const n = (i: number) => parseInt(full.slice(i, i + 2), 16);
    return { r: n(0), g: n(2), b: n(4), a: full.length === 8 ? n(6) / 255 : 1 };
  }
  const m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[,/]\s*([\d.]+)(%?)\s*)?\)$/.exec(v);
  if (!m) return null;
  let a = m[4] === undefined ? 1 : Number(m[4]);
  if (m[5] === '%') a /= 100;
  return { r: Number(m[1]), g: Number(m[2]), b: Number(m[3]), a };
}

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/** WCAG 2 relative luminance. */
export function luminance(c: Rgba): number {
  return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

/** WCAG 2 contrast ratio, 1..21. */
export function contrastRatio(a: Rgba, b: Rgba): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** `top` composited over an opaque `bottom`. */
export function blend(top: Rgba, bottom: Rgba): Rgba {
  const a = top.a;
  return { r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a), b: top.b * a + bottom.b * (1 - a), a: 1 };
}

/** Colourfulness 0..1: (max - min) / 255 of the channels. */
export function chroma(c: Rgba): number {
  return (Math.max(c.r, c.g, c.b) - Math.min(c.r, c.g, c.b)) / 255;
}

const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 1 };

/** The opaque background behind an element: its own and its ancestors' backgrounds composited over white. */
export function effectiveBackground(node: DomNode): Rgba {
  const layers: Rgba[] = [];
  for (let n: DomNode | null = node; n; n = n.parent) {
    const c = parseColor(n.layout?.bg);
    if (c && c.a > 0) {
      layers.push(c);
      if (c.a >= 0.999) break;
    }
  }
  let out = WHITE;
  for (let i = layers.length - 1; i >= 0; i--) out = blend(layers[i] as Rgba, out);
  return out;
}
