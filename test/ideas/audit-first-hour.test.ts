/**
 * The offline audit's mistakes seen in issue 20, each on a small page built from HTML with the
 * layout facts the browser would record: one idea repeated for three pages, a signup-page rule
 * on a page that is not a signup page, an idea crowning "Learn more" while another calls it
 * vague, and a primary CTA at y=1066 below the desktop fold that was missed.
 */
import { describe, expect, it } from 'vitest';
import { auditPages, isVague, type AuditIdea, type AuditPage } from '../../src/ai/ideas/audit.js';
import { dedupeIdeas } from '../../src/ai/ideas/dedupe.js';
import { pageKey } from '../../src/web/url.js';
import { parseHtml } from '../../src/web/html.js';
import { buildPageModel, type Cta } from '../../src/web/page-model.js';

const NAV = '<nav id="main-nav"><a href="/">Home</a> <a href="/features">Features</a> <a href="/pricing">Pricing</a> <a href="/blog">Blog</a> <a href="/about">About</a> <a href="/contact">Contact</a></nav>';
const SIGNUP_FORM =
  '<form id="register" action="/register" method="post"><label for="e">Work email</label><input id="e" type="email" name="email" required><label for="p">Password</label><input id="p" type="password" name="password" required><button type="submit">Create my account</button></form>';

/** A page model from HTML, with a browser's layout facts laid over it (desktop 1280x800). */
function page(url: string, body: string, layout?: Record<string, { y: number; prominence: Cta['prominence'] }>): AuditPage {
  const tree = parseHtml(`<!doctype html><html lang="en"><head><title>Acme</title></head><body>${body}</body></html>`);
  const model = buildPageModel({ url, finalUrl: url, status: 200, tree, viewport: null });
  if (layout) {
    model.stats.layout = true;
    model.viewports = [{ name: 'desktop', width: 1280, height: 800, page_height: 2400 }];
    model.ctas = model.ctas.map((c) => {
      const l = layout[c.text];
      if (!l) return { ...c, above_fold: { desktop: true }, prominence: 'tertiary', prominence_score: 0.1, contrast: 7 };
      return {
        ...c,
        box: { x: 100, y: l.y, width: 200, height: 48 },
        above_fold: { desktop: l.y + 48 <= 800 },
        prominence: l.prominence,
        prominence_score: l.prominence === 'primary' ? 0.9 : l.prominence === 'secondary' ? 0.5 : 0.1,
        contrast: 7,
      };
    });
  }
  return { model, tree };
}

const titles = (ideas: AuditIdea[]): string[] => ideas.map((i) => i.title);

describe('cta-below-fold', () => {
  it('fires for a primary CTA at y=1066 (above_fold.desktop=false) even with a secondary "Learn more" in the first screen', () => {
    const p = page('https://acme.test/product', `<h1>Acme</h1><a class="btn" href="/features">Learn more</a><p>…</p><a class="btn btn-primary" href="/signup">Start free trial</a>`, {
      'Learn more': { y: 400, prominence: 'secondary' },
      'Start free trial': { y: 1066, prominence: 'primary' },
    });
    const cta = p.model.ctas.find((c) => c.text === 'Start free trial');
    expect(cta).toMatchObject({ box: { y: 1066 }, above_fold: { desktop: false }, prominence: 'primary' });
    const ideas = auditPages([p]).filter((i) => i.rule === 'cta-below-fold');
    expect(ideas).toHaveLength(1);
    expect(ideas[0]?.title).toBe('Move “Start free trial” into the first screen');
    expect(ideas[0]?.evidence).toEqual([{ selector: cta?.selector, observation: '“Start free trial” starts at y=1066 px, below the fold on desktop (800 px); no other primary call to action is in the first screen' }]);
  });

  it('stays quiet when a primary CTA, or one to the same target, is in the first screen', () => {
    const sameTarget = page('https://acme.test/product', `<h1>Acme</h1><a class="btn" href="/signup">Try it</a><a class="btn btn-primary" href="/signup">Start free trial</a>`, {
      'Try it': { y: 300, prominence: 'secondary' },
      'Start free trial': { y: 1066, prominence: 'primary' },
    });
    expect(auditPages([sameTarget]).filter((i) => i.rule === 'cta-below-fold')).toEqual([]);
  });
});

describe('contradictions', () => {
  it('never makes vague copy the single primary action while calling it vague', () => {
    const p = page('https://acme.test/', `<h1>Acme</h1><a class="btn btn-primary" href="/features">Learn more</a> <a class="btn btn-primary" href="/signup">Get started</a>`, {
      'Learn more': { y: 300, prominence: 'primary' },
      'Get started': { y: 300, prominence: 'primary' },
    });
    const ideas = auditPages([p]);
    const competing = ideas.find((i) => i.rule === 'competing-ctas');
    expect(competing?.title).toBe('Make “Get started” the single primary action');
    const vague = ideas.find((i) => i.rule === 'vague-cta-copy');
    expect(vague?.title).toBe('Say what happens next on “Learn more”');
    // No idea promotes a CTA that another idea calls vague.
    const calledVague = new Set(ideas.filter((i) => i.rule === 'vague-cta-copy').flatMap((i) => i.evidence.map((e) => e.selector)));
    for (const i of ideas.filter((x) => x.rule === 'competing-ctas' || x.rule === 'cta-below-fold')) {
      const promoted = /“(.+?)”/.exec(i.title)?.[1] ?? '';
      expect(isVague(promoted), i.title).toBe(false);
      const el = p.model.ctas.find((c) => c.text === promoted);
      expect(calledVague.has(el?.selector ?? ''), i.title).toBe(false);
    }
  });

  it('moves a vague main CTA below the fold with new copy instead of promoting "Learn more"', () => {
    const p = page('https://acme.test/product', `<h1>Acme</h1><p>…</p><a class="btn btn-primary" href="/features">Learn more</a>`, { 'Learn more': { y: 1066, prominence: 'primary' } });
    const ideas = auditPages([p]);
    const below = ideas.find((i) => i.rule === 'cta-below-fold');
    expect(below?.title).toBe('Move the main call to action into the first screen, with copy that names the outcome');
    expect(below?.test).toContain('saying where it leads instead of “Learn more”');
    expect(ideas.find((i) => i.rule === 'vague-cta-copy')?.title).toBe('Say what happens next on “Learn more”');
  });
});

describe('signup-page rules and duplicates across pages', () => {
  const home = page('https://acme.test/', `${NAV}<h1>Analytics for teams</h1>${SIGNUP_FORM}`);
  const signupPro = page('https://acme.test/signup.html?plan=pro', `${NAV}<h1>Create your account</h1>${SIGNUP_FORM}`);
  const signupTeam = page('https://acme.test/signup.html?plan=team', `${NAV}<h1>Create your account</h1>${SIGNUP_FORM}`);

  it('does not apply "remove the navigation from the signup page" to the home page', () => {
    expect(home.model.forms[0]?.purpose).toBe('signup');
    expect(auditPages([home]).map((i) => i.rule)).not.toContain('nav-distraction');
    expect(auditPages([signupPro]).map((i) => i.rule)).toContain('nav-distraction');
  });

  it('gives one idea once across pages and URLs that differ only by query', () => {
    const ideas = auditPages([home, signupPro, signupTeam]);
    const nav = ideas.filter((i) => i.rule === 'nav-distraction');
    expect(nav).toHaveLength(1);
    expect(nav[0]?.page_url).toBe('https://acme.test/signup.html?plan=pro');
    expect(nav[0]?.summary).not.toContain('The same applies');
    expect(new Set(titles(ideas)).size).toBe(ideas.length);
  });

  it('names the other pages an idea applies to', () => {
    const img = (url: string) => page(url, `<h1>Shop</h1><img src="/a.png" width="400" height="300"><a class="btn btn-primary" href="/buy">Buy the gizmo</a>`);
    const ideas = auditPages([img('https://shop.test/a'), img('https://shop.test/b?x=1'), img('https://shop.test/b?x=2'), img('https://shop.test/c')]).filter((i) => i.rule === 'images-missing-alt');
    expect(ideas).toHaveLength(1);
    expect(ideas[0]?.page_url).toBe('https://shop.test/a');
    expect(ideas[0]?.summary).toMatch(/The same applies to \/b, \/c\.$/);
  });

  it('dedupeIdeas keys pages by origin and path', () => {
    expect(pageKey('https://a.test/x?y=1#z')).toBe('https://a.test/x');
    expect(dedupeIdeas([])).toEqual([]);
  });
});
