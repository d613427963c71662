/**
 * Page capture against the fixture sites, served on 127.0.0.1 and loaded by real Chromium
 * (one browser for the file), and without a browser. Bad input: each a one-line error for the
 * start page, or a warning with partial results.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { launchBrowser } from '../../src/web/browser.js';
import { captureSite, loadError, type CaptureOptions, type CapturedPage, type SiteCapture } from '../../src/web/capture.js';
import { querySelectorAll } from '../../src/web/selector.js';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { badRoutes, installedChromium, jpegSize } from './support/helpers.js';

let srv: FixtureServer;
beforeAll(async () => {
  srv = await startFixtureServer(badRoutes());
});
afterAll(async () => {
  await srv?.close();
});

async function failure(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a failure');
}

async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('loadError', () => {
  it('turns browser and Node network errors into one-line messages', () => {
    const url = 'https://shop.example.invalid/x';
    const cases: [unknown, string, string][] = [
      [new Error('page.goto: net::ERR_NAME_NOT_RESOLVED at https://shop.example.invalid/x\nCall log:\n  - navigating'), 'IDEAS_DNS', 'cannot resolve shop.example.invalid: DNS lookup failed'],
      [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }), 'IDEAS_DNS', 'cannot resolve shop.example.invalid: DNS lookup failed'],
      [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'IDEAS_CONNECTION_REFUSED', 'connection refused by shop.example.invalid'],
      [Object.assign(new Error('page.goto: Timeout 2000ms exceeded.'), { name: 'TimeoutError' }), 'IDEAS_TIMEOUT', `${url} did not respond within 2 s`],
      [new Error('page.goto: net::ERR_CERT_AUTHORITY_INVALID at https://x'), 'IDEAS_TLS', 'TLS error for shop.example.invalid: page.goto: net::ERR_CERT_AUTHORITY_INVALID at https://x'],
      [new Error('page.goto: net::ERR_EMPTY_RESPONSE'), 'IDEAS_CONNECTION', 'shop.example.invalid closed the connection without an answer'],
      [new Error('page.goto: net::ERR_TOO_MANY_REDIRECTS'), 'IDEAS_REDIRECT_LOOP', `${url} redirects in a loop`],
      [new Error('something odd\nwith details'), 'IDEAS_LOAD_FAILED', `could not load ${url}: something odd`],
      [new Error('page.goto: net::ERR_BLOCKED_BY_CLIENT at https://x'), 'IDEAS_LOAD_FAILED', `could not load ${url}: the browser reported "blocked by client"`],
    ];
    for (const [err, code, message] of cases) {
      const e = loadError(url, err, 2000);
      expect(e.code).toBe(code);
      expect(e.message).toBe(message);
      expect(e.message).not.toContain('\n');
      expect(e.hint).toBeTruthy();
    }
    // Chromium's raw ERR_UNSAFE_PORT (e.g. http://127.0.0.1:9/) becomes a message with the fix
    const unsafe = loadError('http://127.0.0.1:9/', new Error('page.goto: net::ERR_UNSAFE_PORT at http://127.0.0.1:9/'), 2000);
    expect([unsafe.code, unsafe.message, unsafe.hint]).toEqual(['IDEAS_UNSAFE_PORT', 'browsers refuse port 9 as unsafe (it belongs to another protocol)', 'serve the site on a usual web port, e.g. 8080 or 3000']);
  });
});

describe('without a browser', () => {
  const capture = (path: string, extra: Partial<CaptureOptions> = {}) =>
    captureSite({ url: `${srv.origin}${path}`, pages: 1, viewports: ['desktop'], browserPath: null, noBrowserReason: '--no-browser', timeoutMs: 5000, ...extra });

  it('fetches the HTML and builds the same page model, without layout', async () => {
    const site = await capture('/acme/', { pages: 3 });
    expect(site.mode).toBe('html');
    expect(site.fallbackReason).toBe('--no-browser');
    expect(site.pages.map((p) => new URL(p.url).pathname)).toEqual(['/acme/', '/acme/signup.html', '/acme/demo.html']);
    const home = site.pages[0]?.model;
    expect(home?.title).toBe('Acme Analytics — Product analytics for growing teams');
    expect(home?.stats.layout).toBe(false);
    expect(home?.ctas.find((c) => c.selector === '#hero-cta')).toMatchObject({ text: 'Start free trial', box: null, above_fold: {}, prominence: 'primary', prominence_score: null });
    expect(home?.ctas.map((c) => c.text)).not.toContain('Accept all'); // the hidden cookie banner
    expect(home?.third_party.map((t) => t.name).sort()).toEqual(['Google Analytics', 'Intercom', 'Statsig']);
    expect(site.pages.every((p) => p.screenshots.length === 0)).toBe(true);
    const signup = site.pages[1]?.model;
    expect(signup?.forms[0]?.fields.map((f) => [f.selector, f.label, f.required])).toEqual([
      ['#email', 'Work email', true],
      ['#password', 'Password', true],
      ['#company', 'Company (optional)', false],
    ]);
  });

  it('fails the start page with one-line errors', async () => {
    const port = await closedPort();
    const cases: [string, string, RegExp, Partial<CaptureOptions>?][] = [
      ['/acme/missing.html', 'IDEAS_HTTP_STATUS', /\/acme\/missing\.html answered HTTP 404 Not Found$/],
      ['/bad/broken', 'IDEAS_HTTP_STATUS', /answered HTTP 500 Internal Server Error$/],
      ['/bad/doc.pdf', 'IDEAS_NOT_HTML', /\/bad\/doc\.pdf is not an HTML page \(application\/pdf\)$/],
      ['/bad/logo.png', 'IDEAS_NOT_HTML', /is not an HTML page \(image\/png\)$/],
      ['/bad/hang', 'IDEAS_TIMEOUT', /\/bad\/hang did not respond within 0\.8 s$/, { timeoutMs: 800 }],
    ];
    for (const [path, code, message, extra] of cases) {
      const e = await failure(capture(path, extra));
      expect(e.code, path).toBe(code);
      expect(e.message, path).toMatch(message);
    }
    const refused = await failure(captureSite({ url: `http://127.0.0.1:${port}/`, pages: 1, viewports: ['desktop'], browserPath: null, timeoutMs: 3000 }));
    expect(refused).toMatchObject({ code: 'IDEAS_CONNECTION_REFUSED', message: `connection refused by 127.0.0.1:${port}` });
  });

  it('reads only the first bytes of a giant page and says so', async () => {
    const site = await capture('/bad/giant.html', { maxHtmlBytes: 64 * 1024 });
    expect(site.pages).toHaveLength(1);
    expect(site.warnings.join('\n')).toMatch(/giant\.html is very large; only its first 64 KiB were read/);
    expect(site.pages[0]?.model.headings[0]?.text).toBe('All products');
  });
});

const chromium = await installedChromium();

describe.skipIf(!chromium)('in Chromium', () => {
  let browser: Browser;
  let acme: SiteCapture;
  beforeAll(async () => {
    browser = await launchBrowser(chromium as string);
    acme = await captureSite({ url: `${srv.origin}/acme/`, pages: 3, viewports: ['desktop', 'mobile'], browserPath: null, browser, timeoutMs: 15_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });
  const capture = (path: string, extra: Partial<CaptureOptions> = {}) =>
    captureSite({ url: `${srv.origin}${path}`, pages: 1, viewports: ['desktop'], browserPath: null, browser, timeoutMs: 10_000, ...extra });
  const page = (i: number): CapturedPage => acme.pages[i] as CapturedPage;

  it('follows the most prominent same-origin CTAs breadth-first and records the links', () => {
    expect(acme.mode).toBe('browser');
    expect(acme.browserVersion).toMatch(/^\d+\./);
    expect(acme.pages.map((p) => new URL(p.url).pathname)).toEqual(['/acme/', '/acme/signup.html', '/acme/demo.html']);
    expect(acme.skipped).toEqual([]);
    expect(acme.warnings).toEqual([]);
    const links = acme.links.map((l) => `${new URL(l.from).pathname} -> ${new URL(l.to).pathname}`);
    expect(links).toEqual(expect.arrayContaining(['/acme/ -> /acme/signup.html', '/acme/ -> /acme/demo.html', '/acme/signup.html -> /acme/', '/acme/demo.html -> /acme/signup.html']));
  });

  it('builds the page model: outline, CTAs with fold and prominence, trust, tools, timing', () => {
    const m = page(0).model;
    expect(m.title).toBe('Acme Analytics — Product analytics for growing teams');
    expect(m.meta_description).toMatch(/^See where users convert/);
    expect(m.lang).toBe('en');
    expect(m.headings.slice(0, 2).map((h) => [h.level, h.text])).toEqual([
      [1, 'Understand every user journey in minutes'],
      [2, 'Everything you need to grow'],
    ]);
    expect(m.viewports.map((v) => [v.name, v.width, v.height])).toEqual([
      ['desktop', 1280, 800],
      ['mobile', 390, 844],
    ]);
    const hero = m.ctas.find((c) => c.selector === '#hero-cta');
    expect(hero).toMatchObject({ text: 'Start free trial', role: 'link', prominence: 'primary', above_fold: { desktop: true, mobile: true }, in_nav: false });
    expect(hero?.href).toBe(`${srv.origin}/acme/signup.html`);
    expect(hero?.contrast).toBeCloseTo(5.17, 2); // white on #2563eb (see selector.test.ts)
    const demo = m.ctas.find((c) => c.text === 'Book a demo');
    expect(demo?.prominence).toBe('secondary');
    expect((demo?.prominence_score ?? 1) < (hero?.prominence_score ?? 0)).toBe(true);
    const last = m.ctas[m.ctas.length - 1];
    expect(last).toMatchObject({ text: 'Start free trial', above_fold: { desktop: false, mobile: false } });
    expect(m.ctas.find((c) => c.in_nav)?.text).toBe('Start free trial');
    expect(m.ctas.map((c) => c.text)).not.toContain('Accept all');
    expect(m.nav[0]?.links.map((l) => l.text)).toEqual(['Features', 'Pricing', 'Customers', 'Talk to sales', 'Log in', 'Start free trial']);
    expect(m.trust.map((t) => t.kind)).toEqual(expect.arrayContaining(['logos', 'testimonial', 'rating']));
    expect(m.third_party.map((t) => `${t.name}/${t.category}`).sort()).toEqual(['Google Analytics/analytics', 'Intercom/chat', 'Statsig/experimentation']);
    expect(m.images.missing_alt).toEqual([]);
    const t = m.timing;
    expect(t?.ttfb_ms).toBeGreaterThan(0);
    expect(t?.fcp_ms).toBeGreaterThan(0);
    expect(t?.lcp_ms).toBeGreaterThanOrEqual(t?.fcp_ms ?? 0);
    expect(t?.load_ms).toBeGreaterThan(0);
    expect(t?.lcp_element).toBeTruthy();
    expect(querySelectorAll(page(0).tree, t?.lcp_element as string)).toHaveLength(1);
  });

  it('hides the cookie banner (without clicking it), and scrolls to load lazy images', () => {
    expect(page(0).overlays).toEqual([{ kind: 'consent', element: 'div#cookie-banner.cookie-consent' }]);
    expect(page(1).overlays).toEqual([]); // this page has no banner
    expect(querySelectorAll(page(0).tree, '#cookie-banner')[0]?.layout?.visible).toBe(false);
    const lazy = querySelectorAll(page(0).tree, 'img.lazy')[0];
    expect(lazy?.attr('src')).toBe('img/chart-1800x700-c7d2fe.png');
    expect(lazy?.layout?.natural).toBe(1800);
    expect(page(0).model.images.not_loaded).toBe(0);
    for (const img of ['funnels-640x400-bfdbfe.png', 'chart-1800x700-c7d2fe.png']) expect(srv.requests).toContain(`/acme/img/${img}`);
    expect(page(0).settled).toBe(true);
  });

  it('takes a first-screen and a full-page JPEG per viewport', () => {
    const shots = page(0).screenshots;
    expect(shots.map((s) => `${s.viewport}/${s.kind}`)).toEqual(['desktop/fold', 'desktop/full', 'mobile/fold', 'mobile/full']);
    for (const s of shots) expect(jpegSize(s.data), `${s.viewport}/${s.kind}`).toEqual({ width: s.width, height: s.height });
    expect(shots[0]).toMatchObject({ width: 1280, height: 800 });
    expect(shots[1]?.height).toBe(page(0).model.viewports[0]?.page_height);
    expect(shots[1]?.height).toBeGreaterThan(1500);
    expect(shots[3]?.height).toBeGreaterThan(shots[1]?.height ?? 0); // one column on mobile: longer
  });

  it('gives selectors that match exactly the same element in Chromium', async () => {
    const p = await browser.newPage();
    try {
      for (const cp of acme.pages) {
        await p.goto(cp.url);
        const m = cp.model;
        const items = [
          ...m.ctas.map((c) => ({ sel: c.selector, text: c.text })),
          ...m.headings.map((h) => ({ sel: h.selector, text: h.text })),
          ...m.forms.flatMap((f) => [{ sel: f.selector, text: null }, ...f.fields.map((x) => ({ sel: x.selector, text: null }))]),
          ...m.trust.map((t) => ({ sel: t.selector, text: null })),
          ...m.nav.flatMap((n) => n.links.map((l) => ({ sel: l.selector, text: l.text }))),
        ];
        expect(items.length).toBeGreaterThan(3);
        const found = await p.evaluate<{ n: number; text: string | null }[]>(
          `(${JSON.stringify(items.map((i) => i.sel))}).map((s) => { const all = document.querySelectorAll(s); return { n: all.length, text: all[0] ? (all[0].innerText || all[0].value || '').replace(/\\s+/g, ' ').trim() : null }; })`,
        );
        items.forEach((item, i) => {
          expect(found[i]?.n, `${cp.url} ${item.sel}`).toBe(1);
          if (item.text) expect(found[i]?.text, item.sel).toBe(item.text);
        });
      }
    } finally {
      await p.close();
    }
  });

  it('answers bad start pages with one-line errors', async () => {
    const port = await closedPort();
    const cases: [string, string, RegExp, Partial<CaptureOptions>?][] = [
      ['/acme/missing.html', 'IDEAS_HTTP_STATUS', /answered HTTP 404 Not Found$/],
      ['/bad/broken', 'IDEAS_HTTP_STATUS', /answered HTTP 500 Internal Server Error$/],
      ['/bad/doc.pdf', 'IDEAS_NOT_HTML', /doc\.pdf is not an HTML page \(application\/pdf\)$/],
      ['/bad/logo.png', 'IDEAS_NOT_HTML', /logo\.png is not an HTML page \(image\/png\)$/],
      ['/bad/export.bin', 'IDEAS_NOT_HTML', /export\.bin is not an HTML page \(application\/octet-stream\)$/],
      // 4 s: under load, making the browser context alone can take over a second
      ['/bad/hang', 'IDEAS_TIMEOUT', /\/bad\/hang did not respond within 4 s$/, { timeoutMs: 4000 }],
    ];
    for (const [path, code, message, extra] of cases) {
      const e = await failure(capture(path, extra));
      expect(e.code, path).toBe(code);
      expect(e.message, path).toMatch(message);
      expect(e.message).not.toContain('\n');
      if (code === 'IDEAS_TIMEOUT') expect(e.hint).toBe('raise --timeout (e.g. --timeout 8), or check that the site is up');
    }
    const refused = await failure(capture('/', { url: `http://127.0.0.1:${port}/` }));
    expect(refused).toMatchObject({ code: 'IDEAS_CONNECTION_REFUSED', message: `connection refused by 127.0.0.1:${port}` });
  });

  it('captures a page that never settles as it is, with a warning', async () => {
    const site = await capture('/bad/busy.html', { timeoutMs: 8000, settleMs: 1000 });
    const p = site.pages[0] as CapturedPage;
    expect(p.settled).toBe(false);
    expect(site.warnings.some((w) => /busy\.html never settled \(still loading after 1 s\); captured it as it was/.test(w))).toBe(true);
    expect(p.model.ctas.map((c) => c.text)).toEqual(['Buy now']);
    expect(p.screenshots.map((s) => s.kind)).toEqual(['fold']); // no taller than the screen: one picture
  });

  it('bounds a giant page: node cap, scroll cap and screenshot height, with warnings', async () => {
    const site = await capture('/bad/giant.html', { maxNodes: 3000, timeoutMs: 15_000 });
    const p = site.pages[0] as CapturedPage;
    expect(p.tree.truncated).toBe(true);
    expect(p.tree.nodes.length).toBeLessThanOrEqual(3000);
    expect(p.tree.count).toBeGreaterThan(36_000);
    const text = site.warnings.join('\n');
    expect(text).toMatch(/giant\.html is very large \(\d+ elements\); only the first 3000 were analyzed/);
    expect(text).toMatch(/giant\.html is very long \(\d+ px\); lazy content was loaded for the first 30 screens only/);
    const full = p.screenshots.find((s) => s.kind === 'full');
    expect(full).toMatchObject({ height: 8000, truncated: true });
    expect(jpegSize(full?.data as Buffer)).toEqual({ width: 1280, height: 8000 });
    expect(p.model.headings[0]?.text).toBe('All products');
  });

  it('skips later pages that fail, with a warning each, and does not follow downloads or mailto', async () => {
    const before = srv.requests.length;
    // The log-in page is a dead end for the crawl (tried last), so the two bad pages go first.
    const site = await capture('/bad/links.html', { pages: 2 });
    expect(site.pages.map((p) => new URL(p.url).pathname)).toEqual(['/bad/links.html', '/acme/login.html']);
    // Queued by prominence (the longer "Missing page" button is larger), so compare as a set.
    expect(site.skipped.map((s) => [new URL(s.url).pathname, s.reason.replace(srv.origin, '')]).sort()).toEqual([
      ['/bad/broken', '/bad/broken answered HTTP 500 Internal Server Error'],
      ['/bad/nothing-here.html', '/bad/nothing-here.html answered HTTP 404 Not Found'],
    ]);
    expect(site.warnings.filter((w) => w.startsWith('skipped '))).toHaveLength(2);
    expect(srv.requests.slice(before)).not.toContain('/bad/doc.pdf');
  });
});
