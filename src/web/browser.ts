/**
 * Browser discovery and launch. We never download a browser: we find a Chromium that is
 * already installed and drive it with playwright-core.
 *
 * Search order (env beats config, like every other setting):
 *   1. env STATSIG_HACK_CHROMIUM                 (source 'env')
 *   2. config browser.executablePath             (source 'config')
 *   3. Playwright's own installed Chromium        (source 'playwright', if the file exists)
 *   4. /usr/bin/chromium, /usr/bin/chromium-browser (source 'system')
 *   5. google-chrome, google-chrome-stable, chromium, chromium-browser on PATH (source 'path')
 *   6. the usual macOS application bundles        (source 'system')
 * A path that was set explicitly (1 or 2) but does not exist is an error of its own; we do
 * not silently fall through to another browser.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { UserError, errorMessage } from '../core/errors.js';
import { isExecutableFile } from '../core/invocation.js';

export type BrowserSource = 'env' | 'config' | 'playwright' | 'system' | 'path';

export interface FoundBrowser {
  path: string;
  source: BrowserSource;
}

export interface FindBrowserOptions {
  /** config browser.executablePath */
  configPath?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Whether an executable exists at the path (default: an executable regular file). */
  exists?: (file: string) => boolean;
  /** Playwright's Chromium path (default: playwright-core's chromium.executablePath()). */
  playwrightPath?: () => Promise<string | undefined>;
}

export const NO_BROWSER_HINT = 'install one with `apt-get install -y chromium` (Debian/Ubuntu) or set STATSIG_HACK_CHROMIUM=/path/to/chrome';

export const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
export const PATH_NAMES = ['google-chrome', 'google-chrome-stable', 'chromium', 'chromium-browser'];
export const MAC_PATHS = ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium'];

export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

async function defaultPlaywrightPath(): Promise<string | undefined> {
  try {
    const { chromium } = await import('playwright-core');
    const p = chromium.executablePath();
    return p || undefined;
  } catch {
    return undefined;
  }
}

/** Finds an installed Chromium or throws NO_BROWSER (or BROWSER_PATH_MISSING for a bad explicit path). */
export async function findBrowser(options: FindBrowserOptions): Promise<FoundBrowser> {
  const exists = options.exists ?? isExecutableFile;
  const explicit: [string | undefined, BrowserSource, string][] = [
    [options.env.STATSIG_HACK_CHROMIUM, 'env', 'STATSIG_HACK_CHROMIUM'],
    [options.configPath, 'config', 'browser.executablePath in the config'],
  ];
  for (const [value, source, where] of explicit) {
    if (value === undefined || value === '') continue;
    if (!exists(value)) {
      throw new UserError(`the browser set in ${where} does not exist or is not executable: ${value}`, {
        hint: `fix ${where} to point at a Chrome/Chromium executable, or unset it to search the usual places`,
        code: 'BROWSER_PATH_MISSING',
      });
    }
    return { path: value, source };
  }

  const playwright = await (options.playwrightPath ?? defaultPlaywrightPath)();
  if (playwright && exists(playwright)) return { path: playwright, source: 'playwright' };

  for (const p of SYSTEM_PATHS) if (exists(p)) return { path: p, source: 'system' };

  const dirs = (options.env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0);
  for (const name of PATH_NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (exists(candidate)) return { path: candidate, source: 'path' };
    }
  }

  for (const p of MAC_PATHS) if (exists(p)) return { path: p, source: 'system' };

  throw new UserError('no Chromium browser found', { hint: NO_BROWSER_HINT, code: 'NO_BROWSER' });
}

export interface LaunchOptions {
  /** Launch timeout in ms (default 30 s). */
  timeoutMs?: number;
  headless?: boolean;
}

/** Launches the browser at `executablePath` headless with playwright-core. Close it when done. */
export async function launchBrowser(executablePath: string, options: LaunchOptions = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  try {
    return await chromium.launch({
      executablePath,
      headless: options.headless ?? true,
      args: LAUNCH_ARGS,
      timeout: options.timeoutMs ?? 30_000,
    });
  } catch (error) {
    const first = errorMessage(error).split('\n').find((l) => l.trim().length > 0) ?? 'unknown error';
    throw new UserError(`could not start the browser ${executablePath}: ${first.replace(/^browserType\.launch:\s*/, '')}`, {
      hint: `check that it runs: \`${executablePath} --headless --version\`; or ${NO_BROWSER_HINT}`,
      code: 'BROWSER_LAUNCH',
      cause: error,
    });
  }
}

/** Launches the browser once to read its version (doctor). */
export async function browserVersion(executablePath: string, options: LaunchOptions = {}): Promise<string> {
  const browser = await launchBrowser(executablePath, options);
  try {
    return browser.version();
  } finally {
    await browser.close();
  }
}
