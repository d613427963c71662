/** The map's HTML and SVG in the real Chromium: offline, no console errors, hover, zoom and pan. */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PATHS, launchBrowser } from '../../src/web/browser.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { buildMapStore } from './map-fixtures.js';

const chromium = process.env.STATSIG_HACK_CHROMIUM ?? SYSTEM_PATHS.find((p) => fs.existsSync(p));

interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
}

describe.skipIf(!chromium)('map HTML in Chromium', () => {
  let browser: Browser;
  let dir = '';
  let html = '';
  let liftHtml = '';
  let svg = '';

  beforeAll(async () => {
    const built = await buildMapStore();
    dir = built.dir;
    const run = async (args: string[]) => {
      const r = await runCli(['map', '--db', built.file, ...args], { cwd: dir, env: baseEnv() });
      expect(r.code, r.stderr).toBe(0);
    };
    await run(['--metric', 'purchase', '--out', 'map.html']);
    await run(['--metric', 'purchase', '--out', 'map.svg']);
    await run(['--metric', 'checkout', '--experiment', 'exp1', '--out', 'lift.html']);
    html = fs.readFileSync(path.join(dir, 'map.html'), 'utf8');
    svg = fs.readFileSync(path.join(dir, 'map.svg'), 'utf8');
    liftHtml = fs.readFileSync(path.join(dir, 'lift.html'), 'utf8');
    browser = await launchBrowser(chromium as string);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** Opens `content` with every request routed to a recorder that fails it. */
  async function open(content: string): Promise<Opened> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const requests: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => requests.push(r.url()));
    await page.setContent(content, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  const viewBox = async (page: Page): Promise<number[]> => (await page.locator('#map').getAttribute('viewBox'))?.split(' ').map(Number) ?? [];

  it('opens without console errors or network requests, and shows a value on hover', async () => {
    const { page, requests, errors } = await open(html);
    expect(await page.locator('#map path[data-key]').count()).toBeGreaterThan(150);
    await page.hover('#map path[data-key="BR"]');
    await expect.poll(() => page.locator('#tip').isVisible()).toBe(true);
    expect(await page.locator('#tip').textContent()).toBe('Brazil: 35');
    await page.hover('#map path[data-key="CN"]');
    expect(await page.locator('#tip').textContent()).toBe("People's Republic of China: no data");
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('zooms with the wheel around the pointer, pans by dragging, and resets on double-click', async () => {
    const { page, errors } = await open(html);
    const home = await viewBox(page);
    const box = (await page.locator('#map').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => (await viewBox(page))[2]).toBeLessThan(home[2] as number);
    const zoomed = await viewBox(page);
    await page.mouse.move(box.x + 300, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(box.x + 400, box.y + 260, { steps: 5 });
    await page.mouse.up();
    const panned = await viewBox(page);
    expect(panned[0]).toBeLessThan(zoomed[0] as number);
    expect(panned[1]).toBeLessThan(zoomed[1] as number);
    expect(panned[2]).toBeCloseTo(zoomed[2] as number, 6);
    await page.mouse.dblclick(box.x + 50, box.y + 50);
    expect(await viewBox(page)).toEqual(home);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the lift map shows the CI and hatching on hover and uses its patterns without errors', async () => {
    const { page, requests, errors } = await open(liftHtml);
    await page.hover('#map path[data-key="DE"]');
    expect(await page.locator('#tip').textContent()).toMatch(/^Germany: 0(\.0)?% \[−\d+(\.\d)?%, \+\d+(\.\d)?%\] \(not significant\)$/);
    expect(await page.locator('#map path[data-key="DE"]').getAttribute('fill')).toMatch(/^url\(#map-hatch-\d\)$/);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('the SVG file parses as SVG', async () => {
    const page = await browser.newPage();
    const parsed = await page.evaluate<{ error: number; root: string; paths: number }>(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml');
      return { error: doc.getElementsByTagName('parsererror').length, root: doc.documentElement.nodeName, paths: doc.querySelectorAll('path[data-key]').length };
    })()`);
    expect(parsed).toEqual({ error: 0, root: 'svg', paths: expect.any(Number) });
    expect(parsed.paths).toBeGreaterThan(150);
    await page.close();
  });

  it('the checks catch a page that fetches something (negative control)', async () => {
    const tampered = html.replace('</body>', '<img src="http://127.0.0.1:9/x.png"><script>fetch("http://127.0.0.1:9/y")</script></body>');
    const { page, requests, errors } = await open(tampered);
    await page.waitForTimeout(200);
    // The page's content security policy blocks both requests before they leave, and says so.
    expect(errors.length + requests.length).toBeGreaterThan(0);
    await page.close();
  });
});
