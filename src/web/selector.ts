/**
 * CSS selectors over a `DomTree` (src/web/dom.ts): a parser and matcher for the standard
 * selectors a page model and a model's ideas use, and a generator of short, stable, unique
 * selectors for elements.
 *
 * Supported: type, *, #id, .class, [attr], [attr=v], ~= |= ^= $= *= (with the i/s flags),
 * combinators (descendant, >, +, ~), selector lists, and the structural pseudo-classes
 * :first-child :last-child :only-child :first-of-type :last-of-type :only-of-type
 * :nth-child() :nth-last-child() :nth-of-type() :nth-last-of-type() (an+b, odd, even),
 * :not() :is() :where() :has() :root :empty :scope, and the attribute-backed
 * :checked :disabled :enabled :required :optional :link :any-link.
 * Anything else (pseudo-elements, :hover, Playwright's :has-text, jQuery's :contains) is a
 * `SelectorError`: it cannot be checked against a captured page.
 */
import type { DomNode, DomTree } from './dom.js';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

type AttrOp = '=' | '~=' | '|=' | '^=' | '$=' | '*=';

type Simple =
  | { kind: 'tag'; name: string }
  | { kind: 'universal' }
  | { kind: 'id'; value: string }
  | { kind: 'class'; value: string }
  | { kind: 'attr'; name: string; op: AttrOp | null; value: string; insensitive: boolean }
  | { kind: 'nth'; of: 'child' | 'type'; last: boolean; a: number; b: number }
  | { kind: 'only'; of: 'child' | 'type' }
  | { kind: 'not' | 'is'; list: Complex[] }
  | { kind: 'has'; list: Complex[] }
  | { kind: 'root' }
  | { kind: 'scope' }
  | { kind: 'empty' }
  | { kind: 'flag'; attr: string; negate: boolean; tags: string[] | null };

type Combinator = ' ' | '>' | '+' | '~';

interface Compound {
  parts: Simple[];
}

/** Compounds right to left: compounds[0] is the subject; combinators[i] joins compounds[i] to compounds[i + 1]. */
interface Complex {
  compounds: Compound[];
  combinators: Combinator[];
}

export interface Selector {
  source: string;
  list: Complex[];
}

const SCOPE: Compound = { parts: [{ kind: 'scope' }] };

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  fail(what: string): never {
    throw new SelectorError(`${what} at position ${this.pos + 1} of "${this.src}"`);
  }

  peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  eof(): boolean {
    return this.pos >= this.src.length;
  }

  skipSpace(): boolean {
    const start = this.pos;
    while (/\s/.test(this.peek())) this.pos++;
    return this.pos > start;
  }

  isIdentStart(ch: string): boolean {
    return /[A-Za-z_\u00a0-\uffff\\-]/.test(ch);
  }

  ident(): string {
    let out = '';
    const start = this.pos;
    while (!this.eof()) {
      const ch = this.peek();
      if (ch === '\\') {
        out += this.escape();
      } else if (/[A-Za-z0-9_\u00a0-\uffff-]/.test(ch)) {
        out += ch;
        this.pos++;
      } else break;
    }
    const raw = this.src.slice(start, this.pos);
    if (this.pos === start || raw === '-' || /^-?\d/.test(raw)) this.fail('expected a name');
    return out;
  }

  escape(): string {
    this.pos++; // backslash
    const hex = /^[0-9a-fA-F]{1,6}/.exec(this.src.slice(this.pos));
    if (hex) {
      this.pos += hex[0].length;
      if (/\s/.test(this.peek())) this.pos++;
      const cp = parseInt(hex[0], 16);
      return cp === 0 || cp > 0x10ffff ? '\ufffd' : String.fromCodePoint(cp);
    }
    if (this.eof()) this.fail('unfinished escape');
    const ch = this.peek();
    this.pos++;
    return ch;
  }

  string(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    while (!this.eof() && this.peek() !== quote) {
      if (this.peek() === '\\') {
        if (this.peek(1) === '\n') {
          this.pos += 2;
          continue;
        }
        out += this.escape();
      } else {
        out += this.peek();
        this.pos++;
      }
    }
    if (this.eof()) this.fail('unclosed string');
    this.pos++;
    return out;
  }

  /** A selector list, up to `end` (')' inside a pseudo-class) or the end of input. */
  list(relative: boolean, end: string): Complex[] {
    const out: Complex[] = [];
    for (;;) {
      this.skipSpace();
      out.push(this.complex(relative, end));
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (end === '' ? this.eof() : this.peek() === end) return out;
      this.fail(`unexpected "${this.peek()}"`);
    }
  }

  complex(relative: boolean, end: string): Complex {
    const compounds: Compound[] = [];
    const combinators: Combinator[] = [];
    if (relative) {
      const c = this.peek();
      if (c === '>' || c === '+' || c === '~') {
        this.pos++;
        this.skipSpace();
        compounds.push(SCOPE);
        combinators.push(c);
      } else {
        compounds.push(SCOPE);
        combinators.push(' ');
      }
    }
    compounds.push(this.compound());
    for (;;) {
      const hadSpace = this.skipSpace();
      const c = this.peek();
      if (c === '' || c === ',' || (end !== '' && c === end)) break;
      if (c === '>' || c === '+' || c === '~') {
        this.pos++;
        this.skipSpace();
        combinators.push(c);
      } else if (hadSpace) {
        combinators.push(' ');
      } else {
        this.fail(`unexpected "${c}"`);
      }
      compounds.push(this.compound());
    }
    return { compounds: compounds.reverse(), combinators: combinators.reverse() };
  }

  compound(): Compound {
    const parts: Simple[] = [];
    const c = this.peek();
    if (c === '*') {
      this.pos++;
      parts.push({ kind: 'universal' });
    } else if (this.isIdentStart(c)) {
      parts.push({ kind: 'tag', name: this.ident().toLowerCase() });
    }
    for (;;) {
      const ch = this.peek();
      if (ch === '#') {
        this.pos++;
        parts.push({ kind: 'id', value: this.ident() });
      } else if (ch === '.') {
        this.pos++;
        parts.push({ kind: 'class', value: this.ident() });
      } else if (ch === '[') {
        parts.push(this.attribute());
      } else if (ch === ':') {
        parts.push(this.pseudo());
      } else break;
    }
    if (parts.length === 0) this.fail(this.eof() ? 'unexpected end' : `unexpected "${this.peek()}"`);
    return { parts };
  }

  attribute(): Simple {
    this.pos++;
    this.skipSpace();
    const name = this.ident().toLowerCase();
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return { kind: 'attr', name, op: null, value: '', insensitive: false };
    }
    let op: AttrOp;
    if (this.peek() === '=') {
      op = '=';
      this.pos++;
    } else {
      const two = this.src.slice(this.pos, this.pos + 2);
      if (!['~=', '|=', '^=', '$=', '*='].includes(two)) this.fail('expected an attribute operator');
      op = two as AttrOp;
      this.pos += 2;
    }
    this.skipSpace();
    const value = this.peek() === '"' || this.peek() === "'" ? this.string() : this.ident();
    this.skipSpace();
    let insensitive = false;
    if (/[iIsS]/.test(this.peek()) && /[\s\]]/.test(this.peek(1))) {
      insensitive = this.peek().toLowerCase() === 'i';
      this.pos++;
      this.skipSpace();
    }
    if (this.peek() !== ']') this.fail('expected "]"');
    this.pos++;
    return { kind: 'attr', name, op, value, insensitive };
  }

  pseudo(): Simple {
    this.pos++;
    if (this.peek() === ':') this.fail('pseudo-elements (::) do not select elements');
    const name = this.ident().toLowerCase();
    const hasArgs = this.peek() === '(';
    const simpleNames: Record<string, Simple> = {
      'first-child': { kind: 'nth', of: 'child', last: false, a: 0, b: 1 },
      'last-child': { kind: 'nth', of: 'child', last: true, a: 0, b: 1 },
      'first-of-type': { kind: 'nth', of: 'type', last: false, a: 0, b: 1 },
      'last-of-type': { kind: 'nth', of: 'type', last: true, a: 0, b: 1 },
      'only-child': { kind: 'only', of: 'child' },
      'only-of-type': { kind: 'only', of: 'type' },
      root: { kind: 'root' },
      scope: { kind: 'scope' },
      empty: { kind: 'empty' },
      checked: { kind: 'flag', attr: 'checked', negate: false, tags: ['input', 'option'] },
      disabled: { kind: 'flag', attr: 'disabled', negate: false, tags: ['button', 'input', 'select', 'textarea', 'option', 'fieldset'] },
      enabled: { kind: 'flag', attr: 'disabled', negate: true, tags: ['button', 'input', 'select', 'textarea', 'option', 'fieldset'] },
      required: { kind: 'flag', attr: 'required', negate: false, tags: ['input', 'select', 'textarea'] },
      optional: { kind: 'flag', attr: 'required', negate: true, tags: ['input', 'select', 'textarea'] },
      link: { kind: 'flag', attr: 'href', negate: false, tags: ['a', 'area'] },
      'any-link': { kind: 'flag', attr: 'href', negate: false, tags: ['a', 'area'] },
    };
    if (!hasArgs) {
      const s = simpleNames[name];
      if (!s) this.fail(`:${name} is not supported (only structural and attribute pseudo-classes can be checked on a captured page)`);
      return s;
    }
    this.pos++;
    this.skipSpace();
    let out: Simple;
    if (name === 'not' || name === 'is' || name === 'where' || name === 'matches') {
      out = { kind: name === 'not' ? 'not' : 'is', list: this.list(false, ')') };
    } else if (name === 'has') {
      out = { kind: 'has', list: this.list(true, ')') };
    } else if (name === 'nth-child' || name === 'nth-last-child' || name === 'nth-of-type' || name === 'nth-last-of-type') {
      const close = this.src.indexOf(')', this.pos);
      if (close < 0) this.fail('expected ")"');
      const { a, b } = parseNth(this.src.slice(this.pos, close), this);
      this.pos = close;
      out = { kind: 'nth', of: name.endsWith('type') ? 'type' : 'child', last: name.includes('last'), a, b };
    } else {
      this.fail(`:${name}() is not standard CSS or cannot be checked on a captured page`);
    }
    this.skipSpace();
    if (this.peek() !== ')') this.fail('expected ")"');
    this.pos++;
    return out;
  }
}

function parseNth(raw: string, p: Parser): { a: number; b: number } {
  const s = raw.replace(/\s+/g, '').toLowerCase();
  if (s === 'odd') return { a: 2, b: 1 };
  if (s === 'even') return { a: 2, b: 0 };
  if (/^[+-]?\d+$/.test(s)) return { a: 0, b: Number(s) };
  const m = /^([+-]?\d*)n([+-]\d+)?$/.exec(s);
  if (!m) p.fail(`bad :nth argument "${raw}"`);
  const coef = m[1] as string;
  const a = coef === '' || coef === '+' ? 1 : coef === '-' ? -1 : Number(coef);
  return { a, b: m[2] ? Number(m[2]) : 0 };
}

const cache = new Map<string, Selector>();

/** Parses a selector list (cached). Throws SelectorError. */
export function parseSelector(source: string): Selector {
  const hit = cache.get(source);
  if (hit) return hit;
  const trimmed = source.trim();
  if (trimmed.length === 0) throw new SelectorError('empty selector');
  const p = new Parser(trimmed);
  const sel = { source, list: p.list(false, '') };
  if (cache.size > 2000) cache.clear();
  cache.set(source, sel);
  return sel;
}

// ---------------------------------------------------------------------------------------------
// Matching

function siblingsOf(node: DomNode): DomNode[] {
  return node.parent ? node.parent.children : [node];
}

function nthMatches(pos: number, a: number, b: number): boolean {
  if (a === 0) return pos === b;
  const k = (pos - b) / a;
  return Number.isInteger(k) && k >= 0;
}

function matchSimple(node: DomNode, s: Simple, scope: DomNode | null): boolean {
  switch (s.kind) {
    case 'universal':
      return true;
    case 'tag':
      return node.tag === s.name;
    case 'id':
      return node.attr('id') === s.value;
    case 'class':
      return node.classes.includes(s.value);
    case 'attr': {
      const v = node.attr(s.name);
      if (v === null) return false;
      if (s.op === null) return true;
      const have = s.insensitive ? v.toLowerCase() : v;
      const want = s.insensitive ? s.value.toLowerCase() : s.value;
      switch (s.op) {
        case '=':
          return have === want;
        case '~=':
          return want.length > 0 && !/\s/.test(want) && have.split(/\s+/).includes(want);
        case '|=':
          return have === want || have.startsWith(`${want}-`);
        case '^=':
          return want.length > 0 && have.startsWith(want);
        case '$=':
          return want.length > 0 && have.endsWith(want);
        case '*=':
          return want.length > 0 && have.includes(want);
      }
      return false;
    }
    case 'nth': {
      const [p, total] = s.of === 'type' ? [node.typePos, node.typeCount] : [node.pos, node.siblingCount];
      return nthMatches(s.last ? total - p + 1 : p, s.a, s.b);
    }
    case 'only':
      return (s.of === 'type' ? node.typeCount : node.siblingCount) === 1;
    case 'not':
      return !s.list.some((c) => matchComplex(node, c, scope));
    case 'is':
      return s.list.some((c) => matchComplex(node, c, scope));
    case 'has':
      return s.list.some((c) => hasMatch(node, c));
    case 'root':
      return node.parent === null;
    case 'scope':
      return scope ? node === scope : node.parent === null;
    case 'empty':
      return node.content.length === 0;
    case 'flag': {
      if (s.tags && !s.tags.includes(node.tag)) return false;
      return s.negate ? !node.has(s.attr) : node.has(s.attr);
    }
  }
}

function matchCompound(node: DomNode, c: Compound, scope: DomNode | null): boolean {
  for (const s of c.parts) if (!matchSimple(node, s, scope)) return false;
  return true;
}

function matchFrom(node: DomNode, cx: Complex, i: number, scope: DomNode | null): boolean {
  if (!matchCompound(node, cx.compounds[i] as Compound, scope)) return false;
  if (i === cx.compounds.length - 1) return true;
  const comb = cx.combinators[i] as Combinator;
  switch (comb) {
    case '>':
      return node.parent !== null && matchFrom(node.parent, cx, i + 1, scope);
    case ' ':
      for (let p = node.parent; p; p = p.parent) if (matchFrom(p, cx, i + 1, scope)) return true;
      return false;
    case '+': {
      const prev = siblingsOf(node)[node.pos - 2];
      return prev !== undefined && matchFrom(prev, cx, i + 1, scope);
    }
    case '~': {
      const sibs = siblingsOf(node);
      for (let k = node.pos - 2; k >= 0; k--) if (matchFrom(sibs[k] as DomNode, cx, i + 1, scope)) return true;
      return false;
    }
  }
}

function matchComplex(node: DomNode, cx: Complex, scope: DomNode | null): boolean {
  return matchFrom(node, cx, 0, scope);
}

/** :has(): some element related to `anchor` matches the relative selector anchored at it. */
function hasMatch(anchor: DomNode, cx: Complex): boolean {
  const first = cx.combinators[cx.combinators.length - 1];
  const candidates: DomNode[] = [];
  if (first === '+' || first === '~') {
    const sibs = siblingsOf(anchor);
    for (const s of sibs.slice(anchor.pos)) {
      candidates.push(s, ...s.descendants());
    }
  } else {
    candidates.push(...anchor.descendants());
  }
  return candidates.some((c) => matchFrom(c, cx, 0, anchor));
}

export function matches(node: DomNode, selector: Selector | string): boolean {
  const sel = typeof selector === 'string' ? parseSelector(selector) : selector;
  return sel.list.some((c) => matchComplex(node, c, null));
}

/** The candidates worth testing for a complex selector: by id or tag of its subject, else all. */
function candidatesFor(tree: DomTree, cx: Complex): DomNode[] {
  const subject = cx.compounds[0] as Compound;
  for (const s of subject.parts) if (s.kind === 'id') return tree.byId.get(s.value) ?? [];
  for (const s of subject.parts) if (s.kind === 'tag') return tree.byTag.get(s.name) ?? [];
  return tree.nodes;
}

/** Every element matching the selector, in document order. Throws SelectorError on a bad selector. */
export function querySelectorAll(tree: DomTree, selector: Selector | string): DomNode[] {
  const sel = typeof selector === 'string' ? parseSelector(selector) : selector;
  if (sel.list.length === 1) {
    const cx = sel.list[0] as Complex;
    return candidatesFor(tree, cx).filter((n) => matchComplex(n, cx, null));
  }
  const hit = new Set<DomNode>();
  for (const cx of sel.list) for (const n of candidatesFor(tree, cx)) if (matchComplex(n, cx, null)) hit.add(n);
  return [...hit].sort((a, b) => a.index - b.index);
}

export function querySelector(tree: DomTree, selector: Selector | string): DomNode | null {
  return querySelectorAll(tree, selector)[0] ?? null;
}

/** Like querySelectorAll but returns null instead of throwing on a selector it cannot parse. */
export function tryQueryAll(tree: DomTree, selector: string): { nodes: DomNode[]; error: string | null } {
  try {
    return { nodes: querySelectorAll(tree, selector), error: null };
  } catch (error) {
    if (error instanceof SelectorError) return { nodes: [], error: error.message };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Generation

/** CSS.escape() for identifiers (CSSOM spec). */
export function cssEscape(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = ch.charCodeAt(0);
    if (code === 0) {
      out += '\ufffd';
    } else if ((code >= 1 && code <= 0x1f) || code === 0x7f || (i === 0 && code >= 0x30 && code <= 0x39) || (i === 1 && code >= 0x30 && code <= 0x39 && value[0] === '-')) {
      out += `\\${code.toString(16)} `;
    } else if (i === 0 && ch === '-' && value.length === 1) {
      out += `\\${ch}`;
    } else if (code >= 0x80 || ch === '-' || ch === '_' || /[0-9A-Za-z]/.test(ch)) {
      out += ch;
    } else {
      out += `\\${ch}`;
    }
  }
  return out;
}

function quoteAttr(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\a ')}"`;
}

/** Ids and classes that look generated (CSS-in-JS hashes, build ids) or stateful make brittle selectors. */
const UNSTABLE_PREFIX = /^(?:is-|has-|js-|ng-|v-|css-|sc-|jsx-|svelte-|emotion-|_)/;
const STATEFUL = /(?:^|[-_])(?:active|selected|current|hover|focus|focused|open|opened|visible|hidden|show|shown|loaded|loading|animated|in-view)$/;

export function isStableName(name: string): boolean {
  if (name.length === 0 || name.length > 40 || !/^[A-Za-z_-]/.test(name)) return false;
  if (UNSTABLE_PREFIX.test(name) || STATEFUL.test(name) || /\d{4,}/.test(name)) return false;
  for (const token of name.split(/[-_]+/)) {
    if (/^(?=[a-f]*\d)[a-f0-9]{6,}$/i.test(token)) return false; // hex hash
    if (/^(?=.*[a-z])(?=(?:.*[A-Z]){2})[A-Za-z0-9]{5,10}$/.test(token) && /[a-z][A-Z][a-z]*[A-Z]/.test(token)) return false; // kDtYrZ
  }
  return true;
}

const STABLE_ATTRS = ['data-testid', 'data-test', 'data-cy', 'data-qa', 'data-test-id'];

function count(tree: DomTree, sel: string): number {
  return querySelectorAll(tree, sel).length;
}

function step(node: DomNode, tree: DomTree): { part: string; anchored: boolean } {
  const id = node.id;
  if (id && isStableName(id) && (tree.byId.get(id)?.length ?? 0) === 1) return { part: `#${cssEscape(id)}`, anchored: true };
  const tag = node.tag;
  if (!node.parent) return { part: tag, anchored: true };
  if (node.typeCount === 1) {
    const named = node.classes.find(isStableName);
    return { part: named ? `${tag}.${cssEscape(named)}` : tag, anchored: false };
  }
  const stable = node.classes.filter(isStableName);
  if (stable.length > 0) {
    const sameTag = node.parent.children.filter((s) => s.tag === tag);
    const cls = stable.find((c) => sameTag.filter((s) => s.classes.includes(c)).length === 1);
    if (cls) return { part: `${tag}.${cssEscape(cls)}`, anchored: false };
  }
  return { part: `${tag}:nth-of-type(${node.typePos})`, anchored: false };
}

/**
 * A short selector that matches exactly `node` in `tree`: a unique stable #id, a test id,
 * `tag[name=...]`, `tag.class`, else a child path up to the nearest uniquely identified
 * ancestor (`#pricing > div:nth-of-type(2) > a`).
 */
export function uniqueSelector(tree: DomTree, node: DomNode): string {
  const tag = node.tag;
  const id = node.id;
  if (id && isStableName(id) && (tree.byId.get(id)?.length ?? 0) === 1) return `#${cssEscape(id)}`;
  const tries: string[] = [];
  for (const a of STABLE_ATTRS) {
    const v = node.attr(a);
    if (v && v.length <= 60) tries.push(`[${a}=${quoteAttr(v)}]`);
  }
  const name = node.attr('name');
  if (name && name.length <= 60 && ['input', 'select', 'textarea', 'button', 'form', 'meta'].includes(tag)) tries.push(`${tag}[name=${quoteAttr(name)}]`);
  const stable = node.classes.filter(isStableName);
  for (const c of stable.slice(0, 4)) tries.push(`${tag}.${cssEscape(c)}`);
  if (stable.length >= 2) tries.push(`${tag}.${stable.slice(0, 3).map(cssEscape).join('.')}`);
  if ((tree.byTag.get(tag)?.length ?? 0) === 1) tries.unshift(tag);
  for (const t of tries) if (count(tree, t) === 1) return t;

  const parts: string[] = [];
  let found: string | null = null;
  let extra = 0;
  for (let cur: DomNode | null = node; cur; cur = cur.parent) {
    const { part, anchored } = step(cur, tree);
    parts.unshift(part);
    const sel = parts.join(' > ');
    if (anchored) return sel;
    if (found === null) {
      if (count(tree, sel) === 1) {
        if (isStrong(part, tree)) return sel;
        found = sel;
      }
    } else {
      // Unique already, but anchored on a bare tag: climb a little to a named ancestor.
      if (isStrong(part, tree)) return sel;
      if (++extra >= 3) return found;
    }
  }
  return found ?? parts.join(' > ');
}

/** A path part that names something: an id, a class, an attribute, or a tag that occurs once in the page. */
function isStrong(part: string, tree: DomTree): boolean {
  if (/[#.[]/.test(part)) return true;
  const tag = /^[a-z][a-z0-9-]*$/.exec(part)?.[0];
  return tag !== undefined && (tree.byTag.get(tag)?.length ?? 0) === 1;
}
