import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAUNCH_ARGS, browserVersion, findBrowser, launchBrowser } from '../../src/web/browser.js';
import { UserError } from '../../src/core/errors.js';
import { tmpDir } from '../support/tmp.js';

const only = (...present: string[]) => (file: string) => present.includes(file);
const noPlaywright = async () => undefined;

describe('findBrowser', () => {
  const PW = '/root/.cache/ms-playwright/chromium-1/chrome-linux64/chrome';
  const all = ['/env/chrome', '/config/chrome', PW, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/opt/bin/google-chrome', '/opt/bin/google-chrome-stable'];
  const env = { PATH: '/nothing:/opt/bin', STATSIG_HACK_CHROMIUM: '/env/chrome' };
  const pw = async () => PW;

  it('searches env, config, playwright, /usr/bin, then PATH, in that order', async () => {
    const steps: [NodeJS.ProcessEnv, string | undefined, string[], { path: string; source: string }][] = [
      [env, '/config/chrome', all, { path: '/env/chrome', source: 'env' }],
      [{ PATH: env.PATH }, '/config/chrome', all, { path: '/config/chrome', source: 'config' }],
      [{ PATH: env.PATH }, undefined, all, { path: PW, source: 'playwright' }],
      [{ PATH: env.PATH }, undefined, all.slice(3), { path: '/usr/bin/chromium', source: 'system' }],
      [{ PATH: env.PATH }, undefined, all.slice(4), { path: '/usr/bin/chromium-browser', source: 'system' }],
      [{ PATH: env.PATH }, undefined, all.slice(5), { path: '/opt/bin/google-chrome', source: 'path' }],
      [{ PATH: env.PATH }, undefined, all.slice(6), { path: '/opt/bin/google-chrome-stable', source: 'path' }],
    ];
    for (const [e, configPath, present, expected] of steps) {
      await expect(findBrowser({ env: e, configPath, exists: only(...present), playwrightPath: pw })).resolves.toEqual(expected);
    }
  });

  it('skips a Playwright path whose file is not there', async () => {
    await expect(findBrowser({ env: {}, exists: only('/usr/bin/chromium'), playwrightPath: async () => '/missing/chrome' })).resolves.toEqual({
      path: '/usr/bin/chromium',
      source: 'system',
    });
  });

  it('says what to install when nothing is found', async () => {
    const err = await findBrowser({ env: { PATH: '/opt/bin' }, exists: () => false, playwrightPath: noPlaywright }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ message: 'no Chromium browser found', code: 'NO_BROWSER' });
    expect((err as UserError).hint).toContain('apt-get install -y chromium');
    expect((err as UserError).hint).toContain('STATSIG_HACK_CHROMIUM');
  });

  it('fails clearly on a configured path that does not exist, without falling back', async () => {
    const fromConfig = await findBrowser({ env: {}, configPath: '/nope/chrome', exists: only('/usr/bin/chromium'), playwrightPath: noPlaywright }).catch((e: unknown) => e);
    expect(fromConfig).toMatchObject({ code: 'BROWSER_PATH_MISSING', message: expect.stringContaining('browser.executablePath in the config does not exist or is not executable: /nope/chrome') });
    const fromEnv = await findBrowser({ env: { STATSIG_HACK_CHROMIUM: '/nope/env' }, exists: only('/usr/bin/chromium'), playwrightPath: noPlaywright }).catch((e: unknown) => e);
    expect(fromEnv).toMatchObject({ code: 'BROWSER_PATH_MISSING', message: expect.stringContaining('STATSIG_HACK_CHROMIUM') });
  });

  it('by default only accepts executable files', async () => {
    const dir = tmpDir('sh-browser-');
    const plain = path.join(dir, 'chrome');
    fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    const err = await findBrowser({ env: { STATSIG_HACK_CHROMIUM: plain }, playwrightPath: noPlaywright }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BROWSER_PATH_MISSING' });
    expect(await findBrowser({ env: { STATSIG_HACK_CHROMIUM: dir }, playwrightPath: noPlaywright }).catch((e: unknown) => e)).toMatchObject({ code: 'BROWSER_PATH_MISSING' });
    fs.chmodSync(plain, 0o755);
    await expect(findBrowser({ env: { STATSIG_HACK_CHROMIUM: plain }, playwrightPath: noPlaywright })).resolves.toEqual({ path: plain, source: 'env' });
  });

  it('uses the documented launch flags', () => {
    expect(LAUNCH_ARGS).toEqual(['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(`real launch of ${CHROMIUM} (skipped when it is not installed: apt-get install -y chromium)`, () => {
  it('finds it, launches headless, renders a 127.0.0.1 page and reports a version', async () => {
    const found = await findBrowser({ env: { PATH: '/usr/bin' }, playwrightPath: noPlaywright });
    expect(found).toEqual({ path: CHROMIUM, source: 'system' });

    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Shop</title><button id="buy">Buy now</button><script>document.title += " ready"</script>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const browser = await launchBrowser(found.path);
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(await page.title()).toBe('Shop ready');
      expect(await page.textContent('#buy')).toBe('Buy now');
      expect(browser.version()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    } finally {
      await browser.close();
      server.close();
    }
  });

  it('browserVersion launches and closes', async () => {
    await expect(browserVersion(CHROMIUM)).resolves.toMatch(/^\d+\./);
  });

  it('a file that is not a browser fails to launch with a UserError', async () => {
    await expect(launchBrowser('/bin/true', { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'BROWSER_LAUNCH' });
  });
});
