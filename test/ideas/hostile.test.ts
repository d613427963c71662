/**
 * Hostile pages in real Chromium (issue 11): a renderer stuck in a script, a page that navigates
 * itself away, cookie banners whose "Accept" follows a link or posts a form, and a 50 MB page.
 * Each is served on 127.0.0.1 by the fixture server; the capture must stay within its per-page
 * deadline, on the start origin, send only GET requests, and stay bounded in size.
 */
import type http from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { launchBrowser } from '../../src/web/browser.js';
import { guardDecision, type GuardState } from '../../src/web/guard.js';
import { captureSite, type CaptureOptions, type CapturedPage } from '../../src/web/capture.js';
import { querySelectorAll } from '../../src/web/selector.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { startFixtureServer, type FixtureServer, type RouteHandler } from './support/fixture-server.js';
import { installedChromium, jpegSize } from './support/helpers.js';

const page = (res: http.ServerResponse, body: string): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${/<h1>(.*?)<\/h1>/.exec(body)?.[1] ?? 'Page'}</title></head><body>${body}</body></html>`);
};
const BUTTON = 'style="display:inline-block;padding:16px 28px;background:#2563eb;color:#fff;font-size:20px"';
const BANNER_STYLE = 'style="position:fixed;left:0;right:0;bottom:0;padding:20px;background:#111;color:#fff;z-index:99"';
const TALL = '<div style="height:1600px">Features</div>';

/** Bytes the 50 MB page actually wrote before the browser went away. */
let bigBytesSent = 0;

function hostileRoutes(elsewhere: () => string): Record<string, RouteHandler> {
  return {
    '/h/start.html': (_q, r) =>
      page(r, `<h1>Start</h1><a class="btn" ${BUTTON} href="/h/spin.html">Try the live demo now</a> <a class="btn" href="/h/fine.html">Pricing</a>`),
    '/h/spin.html': (_q, r) => page(r, `<h1>Spin</h1><p>Loops forever after load.</p><script>addEventListener('load', () => setTimeout(() => { for (;;) {} }, 20));</script>`),
    '/h/spin-on-scroll.html': (_q, r) => page(r, `<h1>Spin on scroll</h1>${TALL}<script>addEventListener('scroll', () => { for (;;) {} });</script>`),
    '/h/fine.html': (_q, r) => page(r, `<h1>Pricing</h1><a class="btn" ${BUTTON} href="/h/start.html">Start free trial</a>`),
    '/h/leave.html': (_q, r) =>
      page(r, `<h1>Leave</h1><a class="btn" ${BUTTON} href="/h/fine.html">Start free trial</a>${TALL}<script>addEventListener('load', () => setTimeout(() => { location.href = '${elsewhere()}/h/away.html'; }, 150));</script>`),
    '/h/self-post.html': (_q, r) =>
      page(
        r,
        `<h1>Self post</h1><form id="f" method="post" action="/account/delete"><input name="x" value="1"></form>${TALL}
         <script>addEventListener('load', () => { fetch('/api/track', { method: 'POST', body: 'x' }).catch(() => {}); setTimeout(() => document.getElementById('f').submit(), 100); });</script>`,
      ),
    '/h/banner-link.html': (_q, r) =>
      page(r, `<h1>Banner link</h1><a class="btn" ${BUTTON} href="/h/fine.html">Start free trial</a><div id="cookie-banner" class="cookie-consent" ${BANNER_STYLE}>We use cookies. <a href="${elsewhere()}/h/tracked.html">Accept</a></div>`),
    '/h/banner-form.html': (_q, r) =>
      page(
        r,
        `<h1>Banner form</h1><a class="btn" ${BUTTON} href="/h/fine.html">Start free trial</a>
         <div class="gdpr-notice" ${BANNER_STYLE}>Cookies help us. <form method="post" action="/account/delete"><button type="submit">Accept all</button></form></div>
         <div class="newsletter-modal" style="position:fixed;inset:10% 20%;background:#fff;border:1px solid #000;z-index:98">Subscribe! <button>OK</button></div>`,
      ),
    '/h/big.html': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.write('<!doctype html><html><head><title>Everything</title></head><body><h1>All products</h1><ul>');
      const chunk = '<li class="row"><a href="#p">Product</a> <span>$42</span></li>\n'.repeat(2000);
      const target = 50 * 1024 * 1024;
      let closed = false;
      req.socket.on('close', () => (closed = true));
      const pump = (): void => {
        while (!closed && bigBytesSent < target) {
          bigBytesSent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!closed) res.end('</ul></body></html>');
      };
      pump();
    },
  };
}

describe('guardDecision', () => {
  const state = (over: Partial<GuardState> = {}): GuardState => ({ origin: 'https://shop.example', locked: false, overBudget: false, ...over });
  it('lets only GET, HEAD and OPTIONS out', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(guardDecision({ method, url: 'https://shop.example/api', mainFrameNavigation: false }, state())).toEqual({ allow: false, kind: 'method' });
    }
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(guardDecision({ method, url: 'https://cdn.example/x.js', mainFrameNavigation: false }, state()).allow).toBe(true);
  });
  it('allows the one main-frame navigation to the start origin, and none after it', () => {
    const nav = (url: string, s: GuardState) => guardDecision({ method: 'GET', url, mainFrameNavigation: true }, s);
    expect(nav('https://shop.example/pricing', state()).allow).toBe(true);
    expect(nav('https://evil.example/', state())).toEqual({ allow: false, kind: 'navigation' });
    expect(nav('http://shop.example/pricing', state())).toEqual({ allow: false, kind: 'navigation' });
    expect(nav('https://shop.example/pricing', state({ locked: true }))).toEqual({ allow: false, kind: 'navigation' });
  });
  it('refuses further requests once a size cap was reached', () => {
    expect(guardDecision({ method: 'GET', url: 'https://shop.example/a.png', mainFrameNavigation: false }, state({ overBudget: true }))).toEqual({ allow: false, kind: 'budget' });
  });
});

const chromium = await installedChromium();

describe.skipIf(!chromium)('hostile pages in Chromium', () => {
  let browser: Browser;
  let srv: FixtureServer;
  let other: FixtureServer;
  beforeAll(async () => {
    other = await startFixtureServer();
    srv = await startFixtureServer(hostileRoutes(() => other.origin));
    browser = await launchBrowser(chromium as string);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await other?.close();
  });
  const capture = (path: string, extra: Partial<CaptureOptions> = {}) =>
    captureSite({ url: `${srv.origin}${path}`, pages: 1, viewports: ['desktop'], browserPath: null, browser, timeoutMs: 4000, settleMs: 800, ...extra });
  const only = (site: { pages: CapturedPage[] }): CapturedPage => {
    expect(site.pages).toHaveLength(1);
    return site.pages[0] as CapturedPage;
  };

  it('stops a page whose script loops forever after load at the deadline, and goes on with the others', async () => {
    const t0 = Date.now();
    const site = await capture('/h/start.html', { pages: 3, timeoutMs: 4000 });
    const ms = Date.now() - t0;
    expect(site.pages.map((p) => new URL(p.url).pathname)).toEqual(['/h/start.html', '/h/fine.html']);
    expect(site.skipped.map((s) => new URL(s.url).pathname)).toEqual(['/h/spin.html']);
    expect(site.skipped[0]?.reason).toMatch(/\/h\/spin\.html timed out after 4 s while reading timings; stopped it$/);
    expect(site.warnings.some((w) => /^skipped .*spin\.html timed out after 4 s/.test(w))).toBe(true);
    expect(ms).toBeLessThan(2 * 4000 + 3000); // start + (spin, fine) in parallel, each within its deadline
  });

  it('fails a hung start page with one line naming the step, within the deadline', async () => {
    const t0 = Date.now();
    const e = await capture('/h/spin-on-scroll.html', { timeoutMs: 2000 }).catch((x: unknown) => x);
    expect(Date.now() - t0).toBeLessThan(2000 + 3000);
    expect(e).toBeInstanceOf(UserError);
    expect(e).toMatchObject({ code: 'IDEAS_PAGE_TIMEOUT', message: expect.stringMatching(/spin-on-scroll\.html timed out after 2 s while scrolling; stopped it$/) });
    expect((e as UserError).message).not.toContain('\n');
    expect((e as UserError).hint).toBe('the page kept the browser busy (a script that never ends?); if it is only slow, raise --timeout (e.g. --timeout 4)');
  });

  it('blocks a timer that navigates to another origin, and records the true final URL', async () => {
    const site = await capture('/h/leave.html');
    const p = only(site);
    await new Promise((r) => setTimeout(r, 200));
    expect(other.requests).not.toContain('/h/away.html');
    expect(p.model.final_url).toBe(`${srv.origin}/h/leave.html`);
    expect(p.model.title).toBe('Leave');
    expect(site.warnings.join('\n')).toContain(`leave.html tried to navigate away (to ${other.origin}/h/away.html); blocked`);
    expect(p.screenshots.map((s) => s.kind)).toEqual(['fold', 'full']);
  });

  it('never sends a request other than GET, even when the page submits a form or POSTs itself', async () => {
    const site = await capture('/h/self-post.html');
    const p = only(site);
    await new Promise((r) => setTimeout(r, 200));
    expect(srv.calls.filter((c) => !c.startsWith('GET '))).toEqual([]);
    expect(p.model.final_url).toBe(`${srv.origin}/h/self-post.html`);
    expect(site.warnings.join('\n')).toMatch(/self-post\.html: blocked \d+ requests? other than GET \(POST \/api\/track/);
  });

  it('hides a cookie banner whose "Accept" is a link to another origin instead of clicking it', async () => {
    const site = await capture('/h/banner-link.html');
    const p = only(site);
    expect(other.requests).not.toContain('/h/tracked.html');
    expect(p.model.final_url).toBe(`${srv.origin}/h/banner-link.html`);
    expect(p.overlays).toEqual([{ kind: 'consent', element: 'div#cookie-banner.cookie-consent' }]);
    const banner = querySelectorAll(p.tree, '#cookie-banner')[0];
    expect(banner?.layout?.visible).toBe(false);
  });

  it('hides a banner whose "Accept all" posts a form to /account/delete: the server never sees that POST', async () => {
    const before = srv.calls.length;
    const site = await capture('/h/banner-form.html');
    const p = only(site);
    await new Promise((r) => setTimeout(r, 200));
    expect(srv.calls.slice(before)).not.toContain('POST /account/delete');
    expect(srv.calls.slice(before).every((c) => c.startsWith('GET '))).toBe(true);
    expect(p.overlays.map((o) => `${o.kind} ${o.element}`)).toEqual(['consent div.gdpr-notice', 'modal div.newsletter-modal']);
    expect(p.model.ctas.map((c) => c.text)).toEqual(['Start free trial']);
    // A page no taller than the screen gets one screenshot, not two identical ones.
    expect(p.screenshots.map((s) => s.kind)).toEqual(['fold']);
  });

  it('bounds a 50 MB page in the browser: the HTML is cut at the cap and the screenshot height is capped', async () => {
    bigBytesSent = 0;
    const t0 = Date.now();
    const site = await capture('/h/big.html', { timeoutMs: 8000, maxHtmlBytes: 1024 * 1024, maxNodes: 2000, maxFullPageHeight: 3000 });
    const ms = Date.now() - t0;
    const p = only(site);
    expect(ms).toBeLessThan(8000);
    expect(bigBytesSent).toBeLessThan(50 * 1024 * 1024);
    expect(site.warnings.join('\n')).toMatch(/big\.html is very large \(the HTML over 1 MB\); stopped loading it there/);
    expect(p.model.headings[0]?.text).toBe('All products');
    const full = p.screenshots.find((s) => s.kind === 'full');
    expect(full).toMatchObject({ height: 3000, truncated: true });
    expect(jpegSize(full?.data as Buffer)).toEqual({ width: 1280, height: 3000 });
  });

  it('`ideas --timeout 5` finishes with a hung page among the pages, and says which one timed out', async () => {
    const dir = tmpDir('sh-ideas-hostile-');
    const t0 = Date.now();
    const res = await runCli(['ideas', `${srv.origin}/h/start.html`, '--pages', '3', '--timeout', '5', '--offline'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: chromium as string }) });
    expect(Date.now() - t0).toBeLessThan(25_000); // was > 300 s before the deadline held for every step
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: skipped http:\/\/127\.0\.0\.1:\d+\/h\/spin\.html timed out after 5 s while reading timings; stopped it/);
    expect(res.stdout + res.stderr).toMatch(/from 2 pages \(Chromium/);
  });
});
