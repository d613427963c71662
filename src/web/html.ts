/**
 * A forgiving HTML parser for the no-browser mode: HTML text in, `DomTree` out (no layout).
 * It is not a full HTML5 tree builder, but it handles what real pages throw at it: implied
 * html/head/body, void and raw-text elements, unquoted and boolean attributes, character
 * references, implied end tags (p, li, dt/dd, option, table parts) and stray end tags.
 */
import { DomNode, finishTree, normalizeSpace, type DomTree, type ScriptInfo } from './dom.js';

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'keygen']);
/** Elements whose contents are raw text up to their end tag. */
const RAW = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'template']);
const HEAD_TAGS = new Set(['title', 'meta', 'link', 'base', 'script', 'style', 'noscript', 'template']);
/** Start tags that close an open <p>. */
const CLOSES_P = new Set([
  'address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'form',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'ul',
]);
/** For a start tag: the open elements it closes, and the elements that stop the search. */
const IMPLIED_END: Record<string, { closes: string[]; stop: string[] }> = {
  li: { closes: ['li'], stop: ['ul', 'ol', 'menu'] },
  dt: { closes: ['dt', 'dd'], stop: ['dl'] },
  dd: { closes: ['dt', 'dd'], stop: ['dl'] },
  option: { closes: ['option'], stop: ['select', 'datalist', 'optgroup'] },
  optgroup: { closes: ['optgroup', 'option'], stop: ['select'] },
  tr: { closes: ['tr', 'td', 'th'], stop: ['table', 'thead', 'tbody', 'tfoot'] },
  td: { closes: ['td', 'th'], stop: ['tr', 'table'] },
  th: { closes: ['td', 'th'], stop: ['tr', 'table'] },
  thead: { closes: ['thead', 'tbody', 'tfoot', 'tr', 'td', 'th'], stop: ['table'] },
  tbody: { closes: ['thead', 'tbody', 'tfoot', 'tr', 'td', 'th'], stop: ['table'] },
  tfoot: { closes: ['thead', 'tbody', 'tfoot', 'tr', 'td', 'th'], stop: ['table'] },
};

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', middot: '·', bull: '•', euro: '€', pound: '£', yen: '¥', cent: '¢',
  times: '×', divide: '÷', deg: '°', plusmn: '±', frac12: '½', frac14: '¼', frac34: '¾', check: '✓', star: '☆', starf: '★', rarr: '→', larr: '←',
  uarr: '↑', darr: '↓', hearts: '♥', sect: '§', para: '¶', iexcl: '¡', iquest: '¿', eacute: 'é', egrave: 'è', agrave: 'à', ccedil: 'ç',
  uuml: 'ü', ouml: 'ö', auml: 'ä', szlig: 'ß', ntilde: 'ñ', zwj: '\u200d', zwnj: '\u200c', shy: '\u00ad', thinsp: '\u2009', ensp: '\u2002', emsp: '\u2003',
};

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z][A-Za-z0-9]{1,31});?/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff) return '\ufffd';
      return String.fromCodePoint(cp);
    }
    return NAMED[ref] ?? NAMED[ref.toLowerCase()] ?? whole;
  });
}

export interface ParseOptions {
  /** Stop adding elements after this many (the tree is marked truncated). Default 20,000. */
  maxNodes?: number;
  /** Text kept per text node. Default 2,000 characters. */
  maxTextPerNode?: number;
  /** Inline script characters kept. Default 2,000. */
  maxScriptText?: number;
}

/** Parses an HTML document into a DomTree without layout facts. */
export function parseHtml(html: string, options: ParseOptions = {}): DomTree {
  const maxNodes = options.maxNodes ?? 20_000;
  const maxText = options.maxTextPerNode ?? 2_000;
  const maxScript = options.maxScriptText ?? 2_000;
  const root = new DomNode('html');
  const head = new DomNode('head');
  const body = new DomNode('body');
  root.append(head);
  let bodyStarted = false;
  const stack: DomNode[] = [];
  const scripts: ScriptInfo[] = [];
  let count = 3;
  let truncated = false;

  const current = (): DomNode => stack[stack.length - 1] ?? body;
  const startBody = (): void => {
    if (!bodyStarted) {
      bodyStarted = true;
      root.append(body);
    }
  };
  const closeUntil = (names: string[], stop: string[]): void => {
    for (let i = stack.length - 1; i >= 0; i--) {
      const t = (stack[i] as DomNode).tag;
      if (names.includes(t)) {
        stack.length = i;
        return;
      }
      if (stop.includes(t)) return;
    }
  };

  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      addText(html.slice(i, textEnd));
      i = textEnd;
      continue;
    }
    // at '<'
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html[i + 1] === '!' || html[i + 1] === '?') {
      const end = html.indexOf('>', i + 2);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (html[i + 1] === '/') {
      const m = /^<\/([A-Za-z][A-Za-z0-9:-]*)[^>]*>?/.exec(html.slice(i, i + 200));
      if (!m) {
        addText('</');
        i += 2;
        continue;
      }
      i += m[0].length;
      const tag = (m[1] as string).toLowerCase();
      if (tag === 'body' || tag === 'html' || tag === 'head') continue;
      if (tag === 'p' && !stack.some((s) => s.tag === 'p')) continue;
      closeUntil([tag], []);
      continue;
    }
    const tagMatch = /^<([A-Za-z][A-Za-z0-9:-]*)/.exec(html.slice(i, i + 100));
    if (!tagMatch) {
      addText('<');
      i += 1;
      continue;
    }
    const tag = (tagMatch[1] as string).toLowerCase();
    const parsed = parseAttributes(html, i + tagMatch[0].length);
    i = parsed.end;
    const attrs = parsed.attrs;

    if (tag === 'html') {
      for (const [k, v] of Object.entries(attrs)) if (!root.has(k)) root.attrs[k] = v;
      continue;
    }
    if (tag === 'head') continue;
    if (tag === 'body') {
      startBody();
      for (const [k, v] of Object.entries(attrs)) if (!body.has(k)) body.attrs[k] = v;
      continue;
    }

    let rawText: string | null = null;
    if (RAW.has(tag) && !parsed.selfClosing) {
      const close = new RegExp(`</${tag}\\s*>`, 'i');
      const rest = html.slice(i);
      const m = close.exec(rest);
      rawText = m ? rest.slice(0, m.index) : rest;
      i = m ? i + m.index + m[0].length : n;
    }

    if (count >= maxNodes) {
      truncated = true;
      continue;
    }
    count += 1;
    const node = new DomNode(tag, attrs);
    const inHead = !bodyStarted && HEAD_TAGS.has(tag);
    if (inHead) {
      head.append(node);
    } else {
      startBody();
      if (CLOSES_P.has(tag) && stack.some((s) => s.tag === 'p')) closeUntil(['p'], ['button', 'table', 'td', 'th']);
      const implied = IMPLIED_END[tag];
      if (implied) closeUntil(implied.closes, implied.stop);
      current().append(node);
    }
    if (tag === 'script') {
      scripts.push({ src: attrs.src ?? null, text: attrs.src ? '' : (rawText ?? '').trim().slice(0, maxScript) });
    } else if (rawText !== null && (tag === 'title' || tag === 'textarea')) {
      const t = normalizeSpace(decodeEntities(rawText));
      if (t) node.append(t.slice(0, maxText));
    }
    if (!inHead && !VOID.has(tag) && !parsed.selfClosing && rawText === null) stack.push(node);
  }

  function addText(raw: string): void {
    const t = normalizeSpace(decodeEntities(raw));
    if (!t) return;
    if (!bodyStarted) startBody();
    current().append(t.slice(0, maxText));
  }

  if (!bodyStarted) root.append(body);
  return finishTree(root, { count, truncated, viewport: null, docHeight: null, scripts });
}

function parseAttributes(html: string, start: number): { attrs: Record<string, string>; end: number; selfClosing: boolean } {
  const attrs: Record<string, string> = {};
  let i = start;
  const n = html.length;
  for (;;) {
    while (i < n && /\s/.test(html[i] as string)) i++;
    if (i >= n) return { attrs, end: n, selfClosing: false };
    const ch = html[i] as string;
    if (ch === '>') return { attrs, end: i + 1, selfClosing: false };
    if (ch === '/' && html[i + 1] === '>') return { attrs, end: i + 2, selfClosing: true };
    if (ch === '/') {
      i++;
      continue;
    }
    let nameEnd = i;
    while (nameEnd < n && !/[\s/>=]/.test(html[nameEnd] as string)) nameEnd++;
    if (nameEnd === i) nameEnd = i + 1;
    const name = html.slice(i, nameEnd).toLowerCase();
    i = nameEnd;
    while (i < n && /\s/.test(html[i] as string)) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (i < n && /\s/.test(html[i] as string)) i++;
      const q = html[i];
      if (q === '"' || q === "'") {
        const close = html.indexOf(q, i + 1);
        const end = close < 0 ? n : close;
        value = html.slice(i + 1, end);
        i = end + 1;
      } else {
        let e = i;
        while (e < n && !/[\s>]/.test(html[e] as string)) e++;
        value = html.slice(i, e);
        i = e;
      }
    }
    if (!Object.prototype.hasOwnProperty.call(attrs, name) && /^[^\s"'<>/=]+$/.test(name)) attrs[name] = decodeEntities(value);
  }
}
