/**
 * The HTML parser and the CSS selector engine used for page models and grounding (pure, no
 * browser). The same selectors are checked against real Chromium in capture.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomNode, finishTree, contrastRatio, parseColor } from '../../src/web/dom.js';
import { decodeEntities, parseHtml } from '../../src/web/html.js';
import { SelectorError, cssEscape, isStableName, matches, parseSelector, querySelectorAll, uniqueSelector } from '../../src/web/selector.js';
import { SITES_DIR } from './support/fixture-server.js';

const DOC = `<!doctype html>
<html lang="en"><head><title>Shop &amp; Co</title><meta name="description" content="Buy &quot;things&quot;">
<script>var x = "<p>not a tag</p>";</script><style>p { color: red }</style></head>
<body class="home">
<header id="top"><nav><ul><li><a href="/">Home</a><li><a href="/pricing" class="nav-link active">Pricing</a></ul></nav></header>
<main>
  <h1>Big <em>savings</em></h1>
  <p class="lead">First<p class="lead note">Second &euro;5 &#x2713; &#8212;
  <div class="cards">
    <div class="card" data-testid="plan-basic"><h3>Basic</h3><a class="btn btn-primary" href="/buy?p=1">Buy</a></div>
    <div class="card featured"><h3>Pro</h3><a class="btn" href="/buy?p=2">Buy</a></div>
    <div class="card"><h3>Team</h3><button disabled>Soon</button></div>
  </div>
  <form id="f" action="/s"><label for="e">Email</label><input id="e" name="email" type=email required><input type="checkbox" checked name="tos"><textarea name="msg">a < b</textarea><button>Go</button></form>
  <img src="a.png"><br><img src="b.png" alt="">
</main>
</body></html>`;

describe('parseHtml', () => {
  const tree = parseHtml(DOC);
  const tags = (sel: string) => querySelectorAll(tree, sel).map((n) => n.tag);

  it('builds html/head/body, keeps head elements in head and decodes entities', () => {
    expect(tree.root.tag).toBe('html');
    expect(tree.root.attr('lang')).toBe('en');
    expect(tree.root.children.map((c) => c.tag)).toEqual(['head', 'body']);
    expect(tags('head > *')).toEqual(['title', 'meta', 'script', 'style']);
    expect(querySelectorAll(tree, 'title')[0]?.text()).toBe('Shop & Co');
    expect(querySelectorAll(tree, 'meta')[0]?.attr('content')).toBe('Buy "things"');
    expect(tree.scripts).toEqual([{ src: null, text: 'var x = "<p>not a tag</p>";' }]);
    expect(tags('script p, style p')).toEqual([]);
  });

  it('closes implied elements: li by li, p by p and by div', () => {
    expect(querySelectorAll(tree, 'nav li').length).toBe(2);
    expect(querySelectorAll(tree, 'nav li > a').map((a) => a.text())).toEqual(['Home', 'Pricing']);
    const ps = querySelectorAll(tree, 'p.lead');
    expect(ps.map((p) => p.text())).toEqual(['First', 'Second €5 ✓ —']);
    // The <div class="cards"> is not inside the second <p>: a div closes the paragraph.
    expect(querySelectorAll(tree, 'p div').length).toBe(0);
    expect(querySelectorAll(tree, 'main > div.cards').length).toBe(1);
  });

  it('handles void, raw-text and unquoted attributes', () => {
    const input = querySelectorAll(tree, '#e')[0] as DomNode;
    expect(input.attrs).toEqual({ id: 'e', name: 'email', type: 'email', required: '' });
    expect(input.children).toEqual([]);
    expect(querySelectorAll(tree, 'textarea')[0]?.text()).toBe('a < b');
    expect(tags('main > *')).toEqual(['h1', 'p', 'p', 'div', 'form', 'img', 'br', 'img']);
  });

  it('caps the number of elements and says so', () => {
    const big = `<body>${'<div><span>x</span></div>'.repeat(500)}</body>`;
    const t = parseHtml(big, { maxNodes: 100 });
    expect(t.truncated).toBe(true);
    expect(t.nodes.length).toBe(100);
    expect(parseHtml(big).truncated).toBe(false);
  });

  it('decodes named and numeric character references', () => {
    expect(decodeEntities('&lt;a&gt; &amp;amp; &#39;x&#39; &#x1F600; &nbsp;&copy;&unknown; & plain')).toBe("<a> &amp; 'x' 😀 \u00a0©&unknown; & plain");
  });
});

describe('selectors', () => {
  const tree = parseHtml(DOC);
  const texts = (sel: string) => querySelectorAll(tree, sel).map((n) => n.text());

  it('matches types, ids, classes, attributes and combinators', () => {
    expect(texts('a.btn')).toEqual(['Buy', 'Buy']);
    expect(texts('a.btn.btn-primary')).toEqual(['Buy']);
    expect(texts('#top a[href="/pricing"]')).toEqual(['Pricing']);
    expect(texts('a[href^="/buy"][href$="2"]')).toEqual(['Buy']);
    expect(texts('a[class~="nav-link"]')).toEqual(['Pricing']);
    expect(texts('[data-testid="plan-basic"] > h3')).toEqual(['Basic']);
    expect(texts('[DATA-TESTID=PLAN-BASIC i] h3')).toEqual(['Basic']);
    expect(texts('div.card + div.card h3')).toEqual(['Pro', 'Team']);
    expect(texts('div.featured ~ div h3')).toEqual(['Team']);
    expect(texts('h3, label')).toEqual(['Basic', 'Pro', 'Team', 'Email']);
    expect(querySelectorAll(tree, 'body.home > main').length).toBe(1);
  });

  it('supports structural, logical and attribute-backed pseudo-classes', () => {
    expect(texts('div.card:nth-of-type(2) h3')).toEqual(['Pro']);
    expect(texts('div.card:nth-child(odd) h3')).toEqual(['Basic', 'Team']);
    expect(texts('div.card:nth-child(-n+2) h3')).toEqual(['Basic', 'Pro']);
    expect(texts('div.card:last-child h3')).toEqual(['Team']);
    expect(texts('div.card:not(.featured) h3')).toEqual(['Basic', 'Team']);
    expect(texts('div.card:is(.featured, [data-testid]) h3')).toEqual(['Basic', 'Pro']);
    expect(texts('div.card:has(> a.btn-primary) h3')).toEqual(['Basic']);
    expect(texts('h3:has(+ button)')).toEqual(['Team']);
    expect(texts('button:disabled')).toEqual(['Soon']);
    expect(texts('button:enabled')).toEqual(['Go']);
    expect(querySelectorAll(tree, 'input:checked').map((n) => n.attr('name'))).toEqual(['tos']);
    expect(querySelectorAll(tree, 'input:required').map((n) => n.attr('name'))).toEqual(['email']);
    expect(querySelectorAll(tree, ':root').map((n) => n.tag)).toEqual(['html']);
    expect(querySelectorAll(tree, 'br:empty').length).toBe(1);
  });

  it('rejects what cannot be checked on a captured page with a SelectorError', () => {
    for (const bad of ['a:hover', 'p::before', 'button:has-text("Buy")', 'div:contains(x)', '', 'a[href', 'div >', '.', '#1a', 'a:nth-child(x)']) {
      expect(() => parseSelector(bad), bad).toThrow(SelectorError);
    }
  });

  it('escapes identifiers like CSS.escape', () => {
    expect(cssEscape('a.b')).toBe('a\\.b');
    expect(cssEscape('1st')).toBe('\\31 st');
    expect(cssEscape('-2x')).toBe('-\\32 x');
    expect(cssEscape('héllo_w-1')).toBe('héllo_w-1');
    expect(cssEscape('a b:c')).toBe('a\\ b\\:c');
    const t = finishTree(el('html', {}, [el('body', {}, [el('div', { id: 'a.b' }), el('div', { class: '1st x:y' })])]), {
      count: 4,
      truncated: false,
      viewport: null,
      docHeight: null,
      scripts: [],
    });
    expect(querySelectorAll(t, `#${cssEscape('a.b')}`).length).toBe(1);
    expect(querySelectorAll(t, `.${cssEscape('1st')}.${cssEscape('x:y')}`).length).toBe(1);
  });

  it('treats generated and stateful class names as unstable', () => {
    for (const ok of ['btn', 'btn-primary', 'plan--popular', 'hero_cta', 'signup-form']) expect(isStableName(ok), ok).toBe(true);
    for (const bad of ['css-1x2y3z', 'sc-bdVaJa', 'kDtYrZ', 'is-active', 'nav-open', 'a1b2c3d4', 'item-20240101', '_hidden']) expect(isStableName(bad), bad).toBe(false);
  });
});

function el(tag: string, attrs: Record<string, string> = {}, kids: (DomNode | string)[] = []): DomNode {
  const n = new DomNode(tag, attrs);
  for (const k of kids) n.append(k);
  return n;
}

describe('uniqueSelector', () => {
  it('gives every element of every fixture page a selector that matches exactly it', () => {
    const files = ['acme', 'shoddy'].flatMap((site) =>
      fs
        .readdirSync(path.join(SITES_DIR, site))
        .filter((f) => f.endsWith('.html'))
        .map((f) => path.join(SITES_DIR, site, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(10);
    let checked = 0;
    for (const file of files) {
      const tree = parseHtml(fs.readFileSync(file, 'utf8'));
      for (const node of tree.nodes) {
        const sel = uniqueSelector(tree, node);
        expect(querySelectorAll(tree, sel), `${path.basename(file)}: ${sel}`).toEqual([node]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(350);
  });

  it('prefers ids, test ids, names and classes over positions', () => {
    const tree = parseHtml(DOC);
    const sel = (css: string) => uniqueSelector(tree, querySelectorAll(tree, css)[0] as DomNode);
    expect(sel('form')).toBe('#f');
    expect(sel('textarea')).toBe('textarea');
    expect(sel('#e')).toBe('#e');
    expect(sel('[data-testid="plan-basic"]')).toBe('[data-testid="plan-basic"]');
    expect(sel('input[name=tos]')).toBe('input[name="tos"]');
    expect(sel('a.btn-primary')).toBe('a.btn-primary');
    expect(sel('div.featured')).toBe('div.featured');
    // Two identical links: a path through a named ancestor, not a bare position.
    expect(sel('div.featured > a')).toBe('div.featured > a.btn');
    expect(sel('div.card:nth-of-type(3) > h3')).toBe('div.cards > div:nth-of-type(3) > h3');
  });

  it('is unique on random documents (property)', () => {
    const tagArb = fc.constantFrom('div', 'section', 'a', 'span', 'p', 'li', 'button');
    const classArb = fc.constantFrom('', 'btn', 'card', 'btn primary', 'card featured', 'x1', 'is-active');
    const idArb = fc.constantFrom(null, 'main', 'hero', 'dup');
    type Spec = { tag: string; cls: string; id: string | null; kids: Spec[] };
    const specArb = (depth: number): fc.Arbitrary<Spec> =>
      fc.record({ tag: tagArb, cls: classArb, id: idArb, kids: depth === 0 ? fc.constant([]) : fc.array(specArb(depth - 1), { maxLength: 3 }) });
    const spec = specArb(3);
    const build = (s: Spec): DomNode => {
      const attrs: Record<string, string> = {};
      if (s.cls) attrs.class = s.cls;
      if (s.id) attrs.id = s.id;
      return el(s.tag, attrs, s.kids.map(build));
    };
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 4 }), (specs) => {
        const body = el('body', {}, specs.map(build));
        const tree = finishTree(el('html', {}, [body]), { count: 0, truncated: false, viewport: null, docHeight: null, scripts: [] });
        for (const n of tree.nodes) {
          const s = uniqueSelector(tree, n);
          const hit = querySelectorAll(tree, s);
          if (hit.length !== 1 || hit[0] !== n || !matches(n, s)) return false;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });
});

describe('colours', () => {
  it('parses computed colours and computes WCAG contrast', () => {
    expect(parseColor('rgb(37, 99, 235)')).toEqual({ r: 37, g: 99, b: 235, a: 1 });
    expect(parseColor('rgba(0, 0, 0, 0.5)')).toEqual({ r: 0, g: 0, b: 0, a: 0.5 });
    expect(parseColor('rgb(1 2 3 / 50%)')).toEqual({ r: 1, g: 2, b: 3, a: 0.5 });
    expect(parseColor('#fff')).toEqual({ r: 255, g: 255, b: 255, a: 1 });
    expect(parseColor('transparent')?.a).toBe(0);
    expect(parseColor('color(srgb 1 0 0)')).toBeNull();
    // Reference values from the WCAG 2 definition (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio):
    // black on white is 21:1; #777 on white is 4.48:1 (the well-known "fails AA by a hair").
    expect(contrastRatio(parseColor('#000')!, parseColor('#fff')!)).toBeCloseTo(21, 10);
    expect(contrastRatio(parseColor('#777777')!, parseColor('#ffffff')!)).toBeCloseTo(4.478, 3);
    // #2563eb with white text (the fixture's primary button): 5.17:1
    expect(contrastRatio(parseColor('#ffffff')!, parseColor('#2563eb')!)).toBeCloseTo(5.17, 2);
  });
});
