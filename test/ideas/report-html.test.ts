/**
 * report.html (issue 20): one self-contained file beside report.md, with the screenshots
 * embedded and each idea's cited elements outlined where they are on the screenshot. Page text
 * is hostile: it is escaped, and the page's CSP allows no script and no request.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { installedChromium, jpegSize } from './support/helpers.js';

const chromium = await installedChromium();

const page = (res: http.ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><title>Deals &lt;script&gt;alert(1)&lt;/script&gt;</title></head><body style="margin:0;font:16px sans-serif">
<h1>Gizmos &lt;img src=x onerror=alert(2)&gt;</h1>
<p style="height:1400px">Everything about gizmos.</p>
<a id="buy" class="btn btn-primary" href="/r/buy.html" style="display:inline-block;padding:18px 30px;background:#2563eb;color:#fff;font-size:22px">Learn more</a>
<p style="height:600px">More.</p></body></html>`);
};

describe.skipIf(!chromium)('report.html', () => {
  let srv: FixtureServer;
  beforeAll(async () => {
    srv = await startFixtureServer({ '/r/': (_q, r) => page(r) });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('embeds the screenshots, outlines the cited elements, escapes page text and loads nothing', async () => {
    const dir = tmpDir('sh-ideas-html-');
    const res = await runCli(['ideas', `${srv.origin}/r/`, '--pages', '1', '--offline'], { cwd: dir, env: baseEnv({ STATSIG_HACK_CHROMIUM: chromium as string }) });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Report: ideas/report.html and ideas/report.md (with ideas/ideas.json and 2 screenshots)');
    const html = fs.readFileSync(path.join(dir, 'ideas', 'report.html'), 'utf8');
    const out = JSON.parse(fs.readFileSync(path.join(dir, 'ideas', 'ideas.json'), 'utf8'));

    // Self-contained and inert: a CSP that allows only inline styles and data: images, no script,
    // no external resource (links to the pages themselves are plain anchors).
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script|<img|<iframe|<link|url\((?!data:)/i);
    expect(html).toContain('Deals &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<img src=x');

    // Each screenshot embedded once.
    const shots: { path: string; width: number; height: number; kind: string }[] = out.capture.pages[0].screenshots;
    expect(shots.map((s) => s.kind)).toEqual(['fold', 'full']);
    const embedded = [...html.matchAll(/url\(data:image\/jpeg;base64,([A-Za-z0-9+/=]+)\)/g)].map((m) => Buffer.from(m[1] as string, 'base64'));
    expect(embedded).toHaveLength(2);
    for (const s of shots) expect(embedded.some((b) => b.equals(fs.readFileSync(path.join(dir, 'ideas', s.path))))).toBe(true);
    expect(Math.max(...embedded.map((b) => jpegSize(b).height))).toBeGreaterThan(1400);

    // The below-the-fold idea outlines #buy where it is on the full-page screenshot.
    const below = out.experiments.find((e: { rule: string }) => e.rule === 'cta-below-fold');
    expect(below?.evidence[0].selector).toBe('#buy');
    const box = out.capture.pages[0].model.ctas.find((c: { selector: string }) => c.selector === '#buy').box;
    expect(box.y).toBeGreaterThan(1400);
    const full = shots.find((s) => s.kind === 'full') as { width: number; height: number };
    const section = new RegExp(`<section class="idea" id="idea-${below.rank}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? '';
    const mark = /<div class="mark" title="#buy" style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%"><span>1<\/span><\/div>/.exec(section);
    expect(mark).not.toBeNull();
    expect(Number(mark?.[1])).toBeCloseTo((box.x / full.width) * 100, 2);
    expect(Number(mark?.[2])).toBeCloseTo((box.y / full.height) * 100, 2);
    expect(Number(mark?.[3])).toBeCloseTo((box.width / full.width) * 100, 2);
    // Every idea is in the HTML, in rank order.
    const ranks = [...html.matchAll(/<section class="idea" id="idea-(\d+)">/g)].map((m) => Number(m[1]));
    expect(ranks).toEqual(out.experiments.map((e: { rank: number }) => e.rank));
  });
});
