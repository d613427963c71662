/**
 * Review 2, finding 5: a page whose only styled button above the fold is "Learn more" jumping to
 * `#more`, while "Start free trial" to the signup page sits at y≈1358. The jump within the page is
 * never the primary conversion; the link to the crawled signup page is, and the below-the-fold rule
 * fires for it. Captured by real Chromium from test/fixtures/sites/trial/ (3 pages, as the reviewer
 * ran `ideas --offline --pages 3`), and without a browser for the parts that need no layout.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPages, isInPageLink, leadsToConversion, offlineSiteSummary, primaryCta, siteFacts, type AuditPage } from '../../src/ai/ideas/audit.js';
import { launchBrowser } from '../../src/web/browser.js';
import { captureSite, type CapturedPage } from '../../src/web/capture.js';
import { parseHtml } from '../../src/web/html.js';
import { buildPageModel } from '../../src/web/page-model.js';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { installedChromium } from './support/helpers.js';

let srv: FixtureServer;
beforeAll(async () => {
  srv = await startFixtureServer();
});
afterAll(async () => {
  await srv?.close();
});

const asAudit = (p: CapturedPage): AuditPage => ({ model: p.model, tree: p.tree });

describe('links within the page (no browser)', () => {
  const model = (href: string, url = 'https://taskly.test/home?x=1') =>
    buildPageModel({ url, finalUrl: url, status: 200, tree: parseHtml(`<!doctype html><html><body><h1>T</h1><a class="btn btn-primary" href="${href}">Go</a></body></html>`), viewport: null });
  it('knows a jump to a place on the same page from a link elsewhere', () => {
    const cases: [string, boolean][] = [
      ['#more', true],
      ['?x=1#more', true],
      ['https://taskly.test/home?x=1#pricing', true],
      ['#', false], // a script hook, not a jump
      ['#/signup', false], // a single-page app's route
      ['#!signup', false],
      ['/home#more', false], // another document: the query differs
      ['/signup#form', false],
      ['/signup', false],
    ];
    for (const [href, inPage] of cases) {
      const m = model(href);
      const cta = m.ctas[0];
      expect(cta, href).toBeDefined();
      expect(isInPageLink(cta!, m), href).toBe(inPage);
    }
  });

  it('never makes a jump within the page the main call to action, however loud', () => {
    const m = model('#more');
    expect(m.ctas[0]?.prominence).toBe('primary');
    expect(primaryCta(m)).toBeNull();
  });

  it('weighs a link to a page the crawl found holding a signup form above its styling', () => {
    const url = 'https://taskly.test/';
    const tree = parseHtml(
      `<!doctype html><html><body><h1>Taskly</h1><a class="btn btn-primary" href="/tour">Take the tour</a> <a class="btn" href="/welcome">Try Taskly</a></body></html>`,
    );
    const home = buildPageModel({ url, finalUrl: url, status: 200, tree, viewport: null });
    const welcomeTree = parseHtml(
      '<!doctype html><html><head><title>Welcome</title></head><body><h1>Create your account</h1><form action="/register"><label for="e">Email</label><input id="e" type="email" name="email"><label for="p">Password</label><input id="p" type="password" name="password"><button type="submit">Create account</button></form></body></html>',
    );
    const welcome = buildPageModel({ url: 'https://taskly.test/welcome', finalUrl: 'https://taskly.test/welcome', status: 200, tree: welcomeTree, viewport: null });
    // Alone, the primary-styled tour wins: /welcome is not named like a signup page.
    expect(primaryCta(home)?.text).toBe('Take the tour');
    const facts = siteFacts([{ model: home, tree }, { model: welcome, tree: welcomeTree }]);
    expect([...facts.conversionPages]).toEqual(['https://taskly.test/welcome']);
    const tryIt = home.ctas.find((c) => c.text === 'Try Taskly')!;
    expect(leadsToConversion(tryIt, home, facts)).toBe(true);
    expect(primaryCta(home, facts)?.text).toBe('Try Taskly');
    expect(offlineSiteSummary([{ model: home, tree }, { model: welcome, tree: welcomeTree }]).primary_conversion).toBe('“Try Taskly” (to /welcome) on /');
  });
});

const chromium = await installedChromium();

describe.skipIf(!chromium)('the reviewer\'s page in Chromium', () => {
  let browser: Browser;
  let pages: CapturedPage[] = [];
  beforeAll(async () => {
    browser = await launchBrowser(chromium as string);
    const site = await captureSite({ url: `${srv.origin}/trial/`, pages: 3, viewports: ['desktop'], browserPath: null, browser, timeoutMs: 15_000 });
    pages = site.pages;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('lays the page out as reported: a styled "#more" button above the fold, the signup link at y≈1358', () => {
    const home = pages[0]!.model;
    const more = home.ctas.find((c) => c.text === 'Learn more');
    const trial = home.ctas.find((c) => c.text === 'Start free trial');
    expect(more).toMatchObject({ href: `${srv.origin}/trial/#more`, above_fold: { desktop: true }, prominence: 'primary', in_nav: false });
    expect(trial).toMatchObject({ href: `${srv.origin}/trial/signup.html?ref=hero`, above_fold: { desktop: false }, in_nav: false });
    expect(Math.abs((trial?.box?.y ?? 0) - 1358)).toBeLessThanOrEqual(40);
    // Styling alone would crown "Learn more" (the cause of the finding).
    expect(more!.prominence_score!).toBeGreaterThan(trial!.prominence_score!);
    expect(pages.map((p) => new URL(p.url).pathname + new URL(p.url).search)).toContain('/trial/signup.html?ref=hero');
  });

  it('takes "Start free trial" as the primary conversion and moves it into the first screen', () => {
    const audit = pages.map(asAudit);
    expect(offlineSiteSummary(audit).primary_conversion).toBe('“Start free trial” (to /trial/signup.html?ref=hero) on /trial/');
    const ideas = auditPages(audit);
    const below = ideas.filter((i) => i.rule === 'cta-below-fold');
    expect(below).toHaveLength(1);
    expect(below[0]?.title).toBe('Move “Start free trial” into the first screen');
    expect(below[0]?.page_url).toBe(`${srv.origin}/trial/`);
    const y = pages[0]!.model.ctas.find((c) => c.text === 'Start free trial')?.box?.y;
    expect(below[0]?.evidence[0]?.observation).toBe(`“Start free trial” starts at y=${y} px, below the fold on desktop (800 px); no other primary call to action is in the first screen`);
    // No idea builds on "Learn more" as the conversion point; it is only called vague.
    for (const i of ideas.filter((x) => x.rule !== 'vague-cta-copy')) expect(i.title, i.rule).not.toContain('Learn more');
    expect(ideas.find((i) => i.rule === 'vague-cta-copy')?.title).toBe('Say what happens next on “Learn more”');
  });
});
