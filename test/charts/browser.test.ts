/**
 * Every chart in the real Chromium: each HTML output opens offline (every request that is not
 * about:/data: fails the test) without console errors, draws one view per chart, and answers
 * hover with a tooltip and the wheel with a zoom; each SVG output parses with the browser's
 * XML parser.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { forecastSpecs } from '../../src/charts/forecast.js';
import { renderChartFile } from '../../src/charts/render.js';
import { launchBrowser } from '../../src/web/browser.js';
import { runCli } from '../support/run-cli.js';
import { tmpDir } from '../support/tmp.js';
import { forecastFixture } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const analyzeData = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');

let browser: Browser;
let dir: string;

async function open(html: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('about:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.setContent(html, { waitUntil: 'load' });
  return { page, errors, requests };
}

/** Waits until vega-embed has drawn `n` views. */
async function views(page: Page, n: number): Promise<void> {
  await page.waitForFunction(`(window.vegaViews || []).filter(Boolean).length === ${n}`, undefined, { timeout: 30_000 });
}

async function parsesAsSvg(page: Page, svg: string): Promise<string | null> {
  // Page code as source text (the tests are compiled without the DOM types).
  return page.evaluate<string | null>(`(() => {
    const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, 'image/svg+xml');
    const err = doc.querySelector('parsererror');
    return err ? err.textContent : doc.documentElement.nodeName;
  })()`);
}

describe.skipIf(!fs.existsSync(CHROMIUM))('charts in Chromium', () => {
  beforeAll(async () => {
    browser = await launchBrowser(CHROMIUM);
    dir = tmpDir();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('forecast HTML: offline, no console errors, a tooltip on the anomaly, the wheel zooms the time axis', { timeout: 120_000 }, async () => {
    const { result, spikeDay, spikeValue } = forecastFixture();
    const html = (await renderChartFile('html', forecastSpecs(result, { interactive: true }), { title: 'forecast' })) as string;
    const { page, errors, requests } = await open(html);
    try {
      await views(page, 1);
      const t = Date.UTC(2024, 0, 1) + spikeDay * 86_400_000;
      // Where the anomaly is on screen, from the live view's own scales.
      const [x, y] = await page.evaluate<[number, number]>(`(() => {
        const view = window.vegaViews[0];
        const box = view.container().querySelector('canvas, svg').getBoundingClientRect();
        const [ox, oy] = view.origin();
        const pad = view.padding();
        return [box.left + pad.left + ox + view.scale('concat_0_x')(${t}), box.top + pad.top + oy + view.scale('concat_0_y')(${spikeValue})];
      })()`);
      await page.mouse.move(x, y);
      const tip = page.locator('#vg-tooltip-element');
      await expect.poll(async () => ((await tip.count()) > 0 ? await tip.textContent() : ''), { timeout: 10_000 }).toMatch(/score/);
      expect(await tip.textContent()).toContain('400');
      const domain = (): Promise<number[]> => page.evaluate<number[]>(`window.vegaViews[0].scale('concat_0_x').domain().map(Number)`);
      const before = await domain();
      // The wheel over the plot (below the spike, inside the main panel) zooms the time axis.
      await page.mouse.move(x - 150, y + 150);
      await page.mouse.wheel(0, -400);
      await expect
        .poll(domain, { timeout: 10_000 })
        .not.toEqual(before);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('analyze, whatchanged and power HTML open offline without console errors; every SVG output parses', { timeout: 240_000 }, async () => {
    const events = ['ts,country', ...Array.from({ length: 14 }, (_, d) => Array.from({ length: d < 7 ? 20 : 14 }, (_, i) => `${new Date(Date.UTC(2026, 9, 1 + d, 12)).toISOString().slice(0, 19).replace('T', ' ')},${['US', 'BR'][i % 2]}`)).flat()];
    fs.writeFileSync(path.join(dir, 'events.csv'), `${events.join('\n')}\n`);
    const commands: [string, string[]][] = [
      ['analyze', ['analyze', '--data', analyzeData, '--unit', 'user_id', '--group', 'variant', '--metric', 'revenue,orders', '--covariates', 'pre_revenue,country']],
      ['whatchanged', ['whatchanged', '--data', 'events.csv', '--time', 'ts', '--dimensions', 'country', '--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14']],
      ['power', ['power', '--metric', 'revenue', '--variance', '400', '--mean', '20', '--variance-reduction', '0.4', '--mde', '0.05']],
    ];
    const page0 = await browser.newPage();
    try {
      const { result } = forecastFixture();
      expect(await parsesAsSvg(page0, (await renderChartFile('svg', forecastSpecs(result), { title: 'f' })) as string)).toBe('svg');
      for (const [name, argv] of commands) {
        for (const ext of ['html', 'svg']) {
          const res = await runCli([...argv, '--chart', `${name}.${ext}`], { cwd: dir });
          expect(res.code, `${name} ${ext}: ${res.stderr}`).toBe(0);
        }
        expect(await parsesAsSvg(page0, fs.readFileSync(path.join(dir, `${name}.svg`), 'utf8')), name).toBe('svg');
        const { page, errors, requests } = await open(fs.readFileSync(path.join(dir, `${name}.html`), 'utf8'));
        try {
          await views(page, 1);
          expect(await page.locator('.chart canvas, .chart svg').count(), name).toBeGreaterThan(0);
          expect(errors, name).toEqual([]);
          expect(requests, name).toEqual([]);
        } finally {
          await page.close();
        }
      }
      // A broken SVG is caught by the same check.
      expect(await parsesAsSvg(page0, '<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')).not.toBe('svg');
    } finally {
      await page0.close();
    }
  });
});
