/**
 * Which pages `--pages N` captures (issue 20: `--pages 3` chose a "coming soon" page over
 * /pricing). Conversion pages first, dead ends last, query variants of a captured page after new
 * pages; the start page always first.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrawlQueue, linkScore } from '../../src/web/crawl.js';
import { captureSite } from '../../src/web/capture.js';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';

const html = (res: http.ServerResponse, title: string, body = ''): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`);
};

describe('linkScore and CrawlQueue', () => {
  it('scores conversion links up and dead ends down', () => {
    expect(linkScore('https://s.test/pricing', 'Pricing')).toBe(2);
    expect(linkScore('https://s.test/signup?plan=pro', 'Choose Pro')).toBe(2);
    expect(linkScore('https://s.test/x', 'Start free trial')).toBe(2);
    expect(linkScore('https://s.test/ai', 'Gizmo AI — coming soon')).toBe(-2);
    expect(linkScore('https://s.test/coming-soon', 'Gizmo AI')).toBe(-2);
    expect(linkScore('https://s.test/blog/launch', 'Read the launch post')).toBe(-2);
    expect(linkScore('https://s.test/features', 'Features')).toBe(0);
  });

  it('takes the best first, in found order within a score, and query variants of captured pages last', () => {
    const q = new CrawlQueue();
    for (const [href, text] of [
      ['https://s.test/soon', 'Coming soon'],
      ['https://s.test/features', 'Features'],
      ['https://s.test/signup?plan=a', 'Plan A'],
      ['https://s.test/signup?plan=b', 'Plan B'],
      ['https://s.test/pricing', 'Pricing'],
    ] as const)
      q.push(href, text);
    expect(q.take(2)).toEqual(['https://s.test/signup?plan=a', 'https://s.test/pricing']); // one variant per batch
    q.markCaptured('https://s.test/signup?plan=a');
    expect(q.take(3)).toEqual(['https://s.test/features', 'https://s.test/soon', 'https://s.test/signup?plan=b']);
    expect(q.size).toBe(0);
  });
});

describe('--pages spends the budget on conversion pages', () => {
  let srv: FixtureServer;
  beforeAll(async () => {
    srv = await startFixtureServer({
      '/l/': (_q, r) =>
        html(
          r,
          'Gizmo',
          `<a class="btn btn-primary" href="/l/soon.html">Gizmo AI: coming soon</a> <a class="btn btn-primary" href="/l/blog.html">Read our blog</a>
           <nav><a href="/l/about.html">About</a> <a href="/l/pricing.html">Pricing</a> <a href="/l/signup.html?plan=pro">Sign up</a> <a href="/l/signup.html?plan=team">Sign up for teams</a></nav>`,
        ),
      '/l/soon.html': (_q, r) => html(r, 'Coming soon'),
      '/l/blog.html': (_q, r) => html(r, 'Blog'),
      '/l/about.html': (_q, r) => html(r, 'About'),
      '/l/pricing.html': (_q, r) => html(r, 'Pricing', '<a class="btn" href="/l/signup.html?plan=starter">Start with Starter</a>'),
      '/l/signup.html': (_q, r) => html(r, 'Sign up'),
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('captures /pricing and /signup before "coming soon" and the blog, and one signup variant only', async () => {
    const site = await captureSite({ url: `${srv.origin}/l/`, pages: 3, viewports: ['desktop'], browserPath: null, timeoutMs: 5000 });
    expect(site.pages.map((p) => `${new URL(p.url).pathname}${new URL(p.url).search}`)).toEqual(['/l/', '/l/pricing.html', '/l/signup.html?plan=pro']);
    const more = await captureSite({ url: `${srv.origin}/l/`, pages: 5, viewports: ['desktop'], browserPath: null, timeoutMs: 5000 });
    expect(more.pages.map((p) => new URL(p.url).pathname)).toEqual(['/l/', '/l/pricing.html', '/l/signup.html', '/l/about.html', '/l/soon.html']);
  });
});
