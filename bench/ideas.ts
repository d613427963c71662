/**
 * `npm run bench -- ideas [--runs 3] [--viewport desktop|mobile|both] [--site acme]`
 *
 * Captures a 3-page fixture site (served on 127.0.0.1) with the real browser and runs the
 * offline audit end to end (browser launch, capture, audit, report written to a temp folder).
 * Prints the capture time per page and the end-to-end time. Target: under 3 s per page on 2 cores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveSettings } from '../src/core/config.js';
import { generateIdeas, type ViewportChoice } from '../src/ai/ideas/service.js';
import { startFixtureServer } from '../test/ideas/support/fixture-server.js';

const TARGET_S = 3;

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export default async function bench(args: string[]): Promise<void> {
  const runs = Math.max(1, Number(flag(args, '--runs', '3')));
  const viewport = flag(args, '--viewport', 'desktop') as ViewportChoice;
  const siteName = flag(args, '--site', 'acme');
  const server = await startFixtureServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-ideas-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const settings = resolveSettings(dir, {}, env, {});
  const perPage: number[] = [];
  const totals: number[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const started = Date.now();
      const result = await generateIdeas({
        url: `${server.origin}/${siteName}/`,
        pages: 3,
        maxIdeas: 8,
        viewport,
        outDir: path.join(dir, `run-${run}`),
        offline: true,
        noBrowser: false,
        createIn: null,
        timeoutMs: 30_000,
        cwd: dir,
        env,
        config: {},
        settings,
      });
      const total = Date.now() - started;
      if (run === 1) {
        console.log(`site: ${siteName} (3 pages) on ${server.origin}, ${result.capture.mode === 'browser' ? `Chromium ${result.capture.browser ?? '?'}` : `no browser (${result.capture.fallback_reason ?? ''})`}, viewport ${viewport}, ${os.cpus().length} CPU cores`);
      }
      console.log(`run ${run}: end-to-end ${secs(total)} (browser launch + capture ${secs(result.timing_ms.capture)}, audit + report ${secs(total - result.timing_ms.capture)}), ${result.experiments.length} ideas`);
      for (const p of result.capture.pages) {
        console.log(`  ${new URL(p.url).pathname.padEnd(24)} ${secs(p.capture_ms)}`);
        perPage.push(p.capture_ms);
      }
      totals.push(total);
    }
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const worst = Math.max(...perPage);
  console.log(`capture per page: mean ${secs(mean(perPage))}, max ${secs(worst)} (target < ${TARGET_S} s per page: ${worst < TARGET_S * 1000 ? 'met' : 'NOT met'})`);
  console.log(`end-to-end (3 pages, launch included): mean ${secs(mean(totals))}, max ${secs(Math.max(...totals))}`);
}
