/**
 * Page capture for `ideas`: loads a site's pages in the discovered Chromium (playwright-core)
 * or, without a browser, fetches their HTML, and returns a page model per page plus the
 * links between them.
 *
 * In the browser, each page gets a browser context of its own, guarded (src/web/guard.ts: GET
 * requests only, no navigation away from the page the tool loaded, the HTML and all responses
 * capped in bytes) and under one deadline for every step. Per page: navigate (http(s) only,
 * downloads refused), wait for `load` and for the network to go quiet (bounded: a page that never
 * settles is captured as it is, with a warning), read the Performance API timings, hide cookie
 * banners and modal overlays (never click: a click can follow a link or submit a form), scroll a
 * screen at a time to trigger lazy content, serialize the DOM with layout facts, and take an
 * above-the-fold screenshot and, when the page is taller than the screen, a full-page one (JPEG;
 * cut at `maxFullPageHeight`) per viewport. With two viewports the page is loaded once in the
 * first and re-laid out in the second. When the deadline passes the context is closed (which
 * stops a renderer stuck in a script) and the page is skipped with a warning naming the step.
 *
 * Flows: from each captured page the same-origin links are queued (deduplicated) and the best
 * are captured next (src/web/crawl.ts: conversion pages such as pricing and signup first, "coming
 * soon", legal and blog pages last, query variants of a captured page after new pages; then
 * breadth-first, most prominent first) until `pages` pages are captured.
 *
 * Bounded everywhere: a node cap and a text cap on the DOM snapshot, a byte cap on fetched
 * HTML (and in the browser on all responses), a height cap on screenshots, a step cap on scrolling. The start page failing is a
 * UserError (one line); a later page failing is a warning and the capture goes on.
 */
import type { ReadableStreamReadResult } from 'node:stream/web';
import type { Browser, BrowserContext, Page, Request, Response } from 'playwright-core';
import { UserError, errorMessage } from '../core/errors.js';
import { DomNode, finishTree, type DomTree, type Layout } from './dom.js';
import { parseHtml } from './html.js';
import { buildPageModel, VIEWPORTS, type PageModel, type Timing, type ViewportName } from './page-model.js';
import { guardWarnings, PageGuard } from './guard.js';
import { OVERLAY_SCRIPT, SCROLL_SCRIPT, SNAPSHOT_SCRIPT, TIMING_SCRIPT, evalCall } from './scripts.js';
import { CrawlQueue } from './crawl.js';
import { isFollowable, normalizeUrl, sameOrigin } from './url.js';

export interface Screenshot {
  viewport: ViewportName;
  kind: 'fold' | 'full';
  width: number;
  height: number;
  /** The full-page shot was cut at the height cap. */
  truncated: boolean;
  /** JPEG bytes. */
  data: Buffer;
}

/** A cookie banner or modal the capture hid (it never clicks them). */
export interface HiddenOverlay {
  kind: 'consent' | 'modal';
  /** The element, described (tag#id.class). */
  element: string;
}

export interface CapturedPage {
  url: string;
  model: PageModel;
  /** The DOM in the first viewport (grounding checks selectors against it). */
  tree: DomTree;
  /** The DOM re-laid out in other viewports. */
  views: { name: ViewportName; tree: DomTree }[];
  screenshots: Screenshot[];
  /** Cookie banners and modal overlays hidden before the screenshots. */
  overlays: HiddenOverlay[];
  /** The network went quiet within the settle budget. */
  settled: boolean;
  warnings: string[];
  captureMs: number;
}

export interface PageLink {
  from: string;
  to: string;
  text: string;
}

export interface SiteCapture {
  startUrl: string;
  mode: 'browser' | 'html';
  browserVersion: string | null;
  /** Why the capture ran without a browser (null when it used one). */
  fallbackReason: string | null;
  viewports: ViewportName[];
  pages: CapturedPage[];
  links: PageLink[];
  skipped: { url: string; reason: string }[];
  warnings: string[];
  totalMs: number;
}

export interface CaptureProgress {
  url: string;
  index: number;
  ok: boolean;
  ms: number;
}

export interface CaptureOptions {
  /** The start URL (http or https). */
  url: string;
  /** Pages to capture, the start page included. */
  pages: number;
  /** Viewports; the first one is the page model's layout. */
  viewports: ViewportName[];
  /** A Chromium executable, or null to fetch HTML without a browser. */
  browserPath: string | null;
  /** Why browserPath is null (reported as SiteCapture.fallbackReason). */
  noBrowserReason?: string;
  /** Per page deadline: every step of a page (load, scroll, DOM, screenshots) within it. */
  timeoutMs: number;
  /** How long to wait for the network to go quiet (default min(5 s, timeout / 3)). */
  settleMs?: number;
  maxNodes?: number;
  maxFullPageHeight?: number;
  /** The HTML of a page is cut here, in the browser and without one. */
  maxHtmlBytes?: number;
  /** All responses of a page together (browser only): past this the page stops loading. */
  maxPageBytes?: number;
  /** Pages captured at the same time (default 2). */
  concurrency?: number;
  /** Launches the browser (default src/web/browser.ts launchBrowser). */
  launch?: (path: string) => Promise<Browser>;
  /** A running browser to use instead of launching one (left open; benchmarks and tests share one). */
  browser?: Browser;
  fetch?: typeof globalThis.fetch;
  onPage?: (p: CaptureProgress) => void;
  /** Timings of the steps of each page (benchmarks, --debug). */
  trace?: (url: string, step: string, ms: number) => void;
  now?: () => number;
}

export const DEFAULTS = {
  maxNodes: 8000,
  maxDepth: 200,
  maxText: 2000,
  maxTotalText: 200_000,
  maxScript: 2000,
  maxFullPageHeight: 8000,
  maxHtmlBytes: 5 * 1024 * 1024,
  maxPageBytes: 50 * 1024 * 1024,
  scrollSteps: 30,
  scrollPauseMs: 60,
  idleMs: 300,
  jpegQuality: 70,
  maxRequestsKept: 300,
};

const USER_AGENT_SUFFIX = 'statsig-hack-ideas';

// ---------------------------------------------------------------------------------------------
// Errors

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** A one-line UserError for a page that could not be loaded. */
export function loadError(url: string, error: unknown, timeoutMs: number): UserError {
  const msg = errorMessage(error);
  const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? '';
  const all = `${msg} ${code}`;
  const name = (error as { name?: string }).name ?? '';
  if (/ERR_NAME_NOT_RESOLVED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|ERR_NAME_RESOLUTION_FAILED/.test(all)) {
    return new UserError(`cannot resolve ${hostOf(url)}: DNS lookup failed`, { hint: 'check the spelling of the host name and your network', code: 'IDEAS_DNS', cause: error });
  }
  if (/ERR_CONNECTION_REFUSED|ECONNREFUSED/.test(all)) {
    return new UserError(`connection refused by ${hostOf(url)}`, { hint: 'is the server running on that host and port?', code: 'IDEAS_CONNECTION_REFUSED', cause: error });
  }
  if (name === 'TimeoutError' || /Timeout \d+ms exceeded|timed? ?out|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|ERR_TIMED_OUT/i.test(all)) {
    return new UserError(`${url} did not respond within ${formatSeconds(timeoutMs)}`, { hint: `raise --timeout (e.g. --timeout ${raisedTimeout(timeoutMs)}), or check that the site is up`, code: 'IDEAS_TIMEOUT', cause: error });
  }
  if (/ERR_CERT|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_SSL/.test(all)) {
    return new UserError(`TLS error for ${hostOf(url)}: ${firstLine(msg)}`, { hint: 'the site\'s HTTPS certificate is not trusted; check the URL', code: 'IDEAS_TLS', cause: error });
  }
  if (/ERR_CONNECTION_(?:RESET|CLOSED)|ERR_EMPTY_RESPONSE|ECONNRESET|UND_ERR_SOCKET|other side closed/.test(all)) {
    return new UserError(`${hostOf(url)} closed the connection without an answer`, { hint: 'try again; check that the URL serves a web page', code: 'IDEAS_CONNECTION', cause: error });
  }
  if (/ERR_ADDRESS_UNREACHABLE|ENETUNREACH|EHOSTUNREACH|ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED/.test(all)) {
    return new UserError(`${hostOf(url)} is unreachable from this machine`, { hint: 'check your network connection', code: 'IDEAS_UNREACHABLE', cause: error });
  }
  if (/ERR_TOO_MANY_REDIRECTS|redirect count exceeded/i.test(all)) {
    return new UserError(`${url} redirects in a loop`, { hint: 'open it in a browser to see where it goes', code: 'IDEAS_REDIRECT_LOOP', cause: error });
  }
  if (/ERR_UNSAFE_PORT/.test(all)) {
    const port = (() => {
      try {
        return new URL(url).port;
      } catch {
        return '';
      }
    })();
    return new UserError(`browsers refuse port ${port || `of ${url}`} as unsafe (it belongs to another protocol)`, {
      hint: 'serve the site on a usual web port, e.g. 8080 or 3000',
      code: 'IDEAS_UNSAFE_PORT',
      cause: error,
    });
  }
  // Any other Chromium network error: its name in words rather than the raw net::ERR_ code.
  const net = /net::ERR_([A-Z_]+)/.exec(all);
  if (net) {
    return new UserError(`could not load ${url}: the browser reported "${(net[1] as string).toLowerCase().replace(/_/g, ' ')}"`, { hint: 'check the URL in a browser; try --no-browser to fetch the HTML without one', code: 'IDEAS_LOAD_FAILED', cause: error });
  }
  return new UserError(`could not load ${url}: ${firstLine(msg).replace(/^page\.goto:\s*/, '')}`, { hint: 'check the URL and try again', code: 'IDEAS_LOAD_FAILED', cause: error });
}

export function httpError(url: string, status: number, statusText: string): UserError {
  const hint =
    status === 401 || status === 403
      ? 'the page needs a login or refuses automated browsers; try a public page'
      : status === 404 || status === 410
        ? 'check the URL'
        : status === 429
          ? 'the site is rate limiting; wait and try again'
          : status >= 500
            ? 'the server failed; try again later'
            : 'check the URL';
  return new UserError(`${url} answered HTTP ${status}${statusText ? ` ${statusText}` : ''}`, { hint, code: 'IDEAS_HTTP_STATUS' });
}

export function notHtmlError(url: string, contentType: string): UserError {
  return new UserError(`${url} is not an HTML page (${contentType || 'unknown content type'})`, {
    hint: 'pass the URL of a web page, not of a file or an API',
    code: 'IDEAS_NOT_HTML',
  });
}

export function isHtmlType(contentType: string | null | undefined): boolean {
  if (!contentType) return true; // no header: let the parser decide
  return /text\/html|application\/xhtml\+xml/i.test(contentType);
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim().length > 0) ?? s).trim();
}

/** A --timeout worth trying after `ms` was too short: double, in whole seconds, at most 600. */
function raisedTimeout(ms: number): number {
  return Math.min(600, Math.max(2, Math.ceil((2 * ms) / 1000)));
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------
// Snapshot -> DomTree

interface SnapNode {
  t: string;
  a?: Record<string, string>;
  k?: (SnapNode | string)[];
  l?: [number, number, number, number, number, number, number, string, string, number, string, number, number];
  lcp?: number;
}

export interface Snapshot {
  root: SnapNode | null;
  count: number;
  truncated: boolean;
  vw: number;
  vh: number;
  docH: number;
  scripts: { src: string | null; text: string }[];
}

function toNode(s: SnapNode): DomNode {
  const n = new DomNode(s.t, s.a ?? {});
  if (s.l) {
    const [x, y, w, h, v, fs, fw, color, bg, border, position, pointer, natural] = s.l;
    const layout: Layout = { x, y, w, h, visible: v === 1, fontSize: fs, fontWeight: fw, color, bg, border, position, pointer: pointer === 1, natural };
    n.layout = layout;
  }
  if (s.lcp) n.lcp = true;
  for (const k of s.k ?? []) n.append(typeof k === 'string' ? k : toNode(k));
  return n;
}

export function treeFromSnapshot(snap: Snapshot): DomTree {
  const root = snap.root ? toNode(snap.root) : new DomNode('html');
  return finishTree(root, {
    count: snap.count,
    truncated: snap.truncated,
    viewport: { width: snap.vw, height: snap.vh },
    docHeight: snap.docH,
    scripts: snap.scripts,
  });
}

// ---------------------------------------------------------------------------------------------
// Browser capture of one page

class NetworkWatch {
  private inflight = new Set<Request>();
  private lastChange: number;
  readonly urls: string[] = [];

  constructor(
    page: Page,
    private readonly now: () => number,
  ) {
    this.lastChange = now();
    page.on('request', (r) => {
      this.inflight.add(r);
      this.lastChange = this.now();
      if (this.urls.length < DEFAULTS.maxRequestsKept) this.urls.push(r.url());
    });
    const done = (r: Request): void => {
      this.inflight.delete(r);
      this.lastChange = this.now();
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
  }

  /** Resolves true once no request was in flight for `idleMs`, false after `maxMs`. */
  async quiet(idleMs: number, maxMs: number): Promise<boolean> {
    const deadline = this.now() + maxMs;
    for (;;) {
      const t = this.now();
      if (this.inflight.size === 0 && t - this.lastChange >= idleMs) return true;
      if (t >= deadline) return false;
      await sleep(Math.min(25, Math.max(1, deadline - t)));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface PageOutcome {
  page: CapturedPage;
}

/** The per-page deadline passed; `step` is what the capture was doing. */
class PageDeadline extends Error {
  constructor(readonly step: string) {
    super(`deadline passed while ${step}`);
  }
}

/**
 * Captures one page in a browser context of its own, under a deadline of `opts.timeoutMs` for
 * every step. When the deadline passes the context is closed (which kills a renderer stuck in a
 * loop) and the page fails with a one-line error naming the step.
 */
async function captureInBrowser(browser: Browser, url: string, opts: ResolvedOptions): Promise<PageOutcome> {
  const started = opts.now();
  let step = 'opening the page';
  let context: BrowserContext | null = null;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PageDeadline(step)), opts.timeoutMs);
  });
  let finished = false;
  try {
    const work = (async () => {
      const ctx = await browser.newContext(contextOptions(opts.viewports));
      if (finished) {
        // The deadline passed while the context was being made: close it here, nobody else will.
        await ctx.close().catch(() => undefined);
        throw new PageDeadline(step);
      }
      context = ctx;
      return capturePage(ctx, url, opts, started, (s) => (step = s));
    })();
    return await Promise.race([work, expired]);
  } catch (error) {
    if (!(error instanceof PageDeadline)) throw error;
    if (error.step === 'loading') throw loadError(url, Object.assign(new Error('deadline'), { name: 'TimeoutError' }), opts.timeoutMs);
    throw new UserError(`${url} timed out after ${formatSeconds(opts.timeoutMs)} while ${error.step}; stopped it`, {
      hint: `the page kept the browser busy (a script that never ends?); if it is only slow, raise --timeout (e.g. --timeout ${raisedTimeout(opts.timeoutMs)})`,
      code: 'IDEAS_PAGE_TIMEOUT',
      cause: error,
    });
  } finally {
    finished = true;
    clearTimeout(timer);
    const ctx = context as BrowserContext | null;
    if (ctx) await Promise.race([ctx.close().catch(() => undefined), sleep(3000)]);
  }
}

function contextOptions(viewports: ViewportName[]): Parameters<Browser['newContext']>[0] {
  const primary = viewports[0] as ViewportName;
  const mobileOnly = primary === 'mobile';
  return {
    viewport: VIEWPORTS[primary],
    deviceScaleFactor: 1,
    isMobile: mobileOnly,
    hasTouch: mobileOnly,
    acceptDownloads: false,
    serviceWorkers: 'block',
    locale: 'en-US',
  };
}

async function capturePage(context: BrowserContext, url: string, opts: ResolvedOptions, started: number, setStep: (s: string) => void): Promise<PageOutcome> {
  let last = started;
  const mark = (done: string, next: string): void => {
    const t = opts.now();
    opts.trace?.(url, done, t - last);
    last = t;
    setStep(next);
  };
  const left = (): number => Math.max(1, opts.timeoutMs - (opts.now() - started));
  const page = await context.newPage();
  const limits = { maxDocumentBytes: opts.maxHtmlBytes, maxPageBytes: opts.maxPageBytes };
  const guard = new PageGuard(page, url, limits);
  await guard.install(context);
  const warnings: string[] = [];
  const net = new NetworkWatch(page, opts.now);
  let mainResponse: Response | null = null;
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && !mainResponse) mainResponse = r;
  });
  setStep('loading');
  let response: Response | null;
  try {
    response = await page.goto(url, { waitUntil: 'commit', timeout: left() });
  } catch (error) {
    const resp = mainResponse as Response | null;
    if (resp && /Download is starting|ERR_ABORTED/.test(errorMessage(error))) {
      const type = resp.headers()['content-type'] ?? '';
      if (resp.status() >= 400) throw httpError(url, resp.status(), resp.statusText());
      throw notHtmlError(url, type || 'a download');
    }
    throw loadError(url, error, opts.timeoutMs);
  }
  guard.lock();
  if (!response) throw loadError(url, new Error('no response'), opts.timeoutMs);
  if (response.status() >= 400) throw httpError(url, response.status(), response.statusText());
  const contentType = response.headers()['content-type'] ?? '';
  if (!isHtmlType(contentType)) throw notHtmlError(url, contentType);
  // The document: parsed, or cut at the size cap (a stopped load never reaches DOMContentLoaded).
  await Promise.race([page.waitForLoadState('domcontentloaded', { timeout: left() }), guard.stopped()]);
  mark('navigate', 'waiting for the page to settle');

  // Settle: the load event, then a quiet network, within the budget.
  const settleStart = opts.now();
  let settled = true;
  const settleMs = Math.min(opts.settleMs, left());
  try {
    await Promise.race([page.waitForLoadState('load', { timeout: settleMs }), guard.stopped().then(() => Promise.reject(new Error('stopped')))]);
  } catch {
    settled = false;
  }
  const rest = Math.max(0, settleMs - (opts.now() - settleStart));
  // A page stopped at a size cap never goes quiet (its document request never finishes): skip the wait.
  if (guard.report.cut || !(await net.quiet(DEFAULTS.idleMs, rest))) settled = false;
  if (!settled && !guard.report.cut) warnings.push(`${url} never settled (still loading after ${formatSeconds(opts.settleMs)}); captured it as it was`);
  mark('settle', 'reading timings');

  const timing = await page.evaluate<Omit<Timing, 'lcp_element'>>(evalCall(TIMING_SCRIPT));
  setStep('hiding overlays');
  const overlays: HiddenOverlay[] = await page.evaluate<HiddenOverlay[]>(evalCall(OVERLAY_SCRIPT));
  mark('timing+overlays', 'scrolling');

  const scroll = await page.evaluate<{ reachedEnd: boolean; height: number }>(evalCall(SCROLL_SCRIPT, { maxSteps: DEFAULTS.scrollSteps, pauseMs: DEFAULTS.scrollPauseMs }));
  if (!scroll.reachedEnd) warnings.push(`${url} is very long (${scroll.height} px); lazy content was loaded for the first ${DEFAULTS.scrollSteps} screens only`);
  if (!guard.report.cut) await net.quiet(DEFAULTS.idleMs, Math.min(2000, opts.settleMs, left()));
  overlays.push(...(await page.evaluate<HiddenOverlay[]>(evalCall(OVERLAY_SCRIPT)))); // popups that appear on scroll
  mark('scroll', 'reading the DOM');

  const snapArgs = { maxNodes: opts.maxNodes, maxDepth: DEFAULTS.maxDepth, maxText: DEFAULTS.maxText, maxTotalText: DEFAULTS.maxTotalText, maxScript: DEFAULTS.maxScript };
  const primary = opts.viewports[0] as ViewportName;
  const snap = await page.evaluate<Snapshot>(evalCall(SNAPSHOT_SCRIPT, snapArgs));
  const finalUrl = normalizeUrl(page.url()) ?? page.url();
  const tree = treeFromSnapshot(snap);
  if (tree.truncated) warnings.push(`${url} is very large (${snap.count} elements); only the first ${opts.maxNodes} were analyzed`);
  mark('snapshot', 'taking screenshots');
  const screenshots = await shoot(page, primary, snap.docH, opts, left);
  mark('screenshots', 'taking screenshots');

  const views: { name: ViewportName; tree: DomTree }[] = [];
  for (const name of opts.viewports.slice(1)) {
    setStep(`laying out for ${name}`);
    await page.setViewportSize(VIEWPORTS[name]);
    await page.evaluate(evalCall(SCROLL_SCRIPT, { maxSteps: 0, pauseMs: 0 }));
    await sleep(100);
    await net.quiet(150, Math.min(1000, left()));
    const s = await page.evaluate<Snapshot>(evalCall(SNAPSHOT_SCRIPT, snapArgs));
    views.push({ name, tree: treeFromSnapshot(s) });
    setStep(`taking ${name} screenshots`);
    screenshots.push(...(await shoot(page, name, s.docH, opts, left)));
    mark(`viewport ${name}`, 'building the page model');
  }

  warnings.push(...guardWarnings(url, guard.report, limits));
  const model = buildPageModel({ url, finalUrl, status: response.status(), tree, viewport: primary, otherViews: views, timing, requestUrls: net.urls });
  mark('page model', 'closing the page');
  return { page: { url, model, tree, views, screenshots, overlays, settled, warnings, captureMs: opts.now() - started } };
}

/**
 * The first screen, and the full page when it is taller than the screen (the two would be the
 * same picture otherwise), cut at `maxFullPageHeight`.
 */
async function shoot(page: Page, viewport: ViewportName, docHeight: number, opts: ResolvedOptions, left: () => number): Promise<Screenshot[]> {
  const size = page.viewportSize() ?? VIEWPORTS[viewport];
  const common = { type: 'jpeg' as const, quality: DEFAULTS.jpegQuality, animations: 'disabled' as const };
  const fold = await page.screenshot({ ...common, timeout: left() });
  const shots: Screenshot[] = [{ viewport, kind: 'fold', width: size.width, height: size.height, truncated: false, data: fold }];
  const fullHeight = Math.ceil(docHeight);
  if (fullHeight <= size.height) return shots;
  const truncated = fullHeight > opts.maxFullPageHeight;
  const height = Math.min(fullHeight, opts.maxFullPageHeight);
  const full = await page.screenshot({ ...common, timeout: left(), fullPage: true, ...(truncated ? { clip: { x: 0, y: 0, width: size.width, height } } : {}) });
  shots.push({ viewport, kind: 'full', width: size.width, height, truncated, data: full });
  return shots;
}

// ---------------------------------------------------------------------------------------------
// Without a browser

export interface FetchedHtml {
  status: number;
  statusText: string;
  finalUrl: string;
  contentType: string;
  html: string;
  truncated: boolean;
  ttfbMs: number;
}

/** GETs a page's HTML (redirects followed, `maxBytes` kept). Throws the same one-line UserErrors as the browser. */
export async function fetchHtml(url: string, opts: { timeoutMs: number; maxBytes: number; fetch?: typeof globalThis.fetch; now?: () => number }): Promise<FetchedHtml> {
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), opts.timeoutMs);
  const started = now();
  try {
    let res: globalThis.Response;
    try {
      res = await doFetch(url, {
        redirect: 'follow',
        signal: controller.signal,
        headers: { 'user-agent': `Mozilla/5.0 (compatible; ${USER_AGENT_SUFFIX})`, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5' },
      });
    } catch (error) {
      throw loadError(url, controller.signal.aborted ? controller.signal.reason : error, opts.timeoutMs);
    }
    const ttfbMs = now() - started;
    const contentType = res.headers.get('content-type') ?? '';
    if (res.status >= 400) {
      await res.body?.cancel().catch(() => undefined);
      throw httpError(url, res.status, res.statusText);
    }
    if (!isHtmlType(contentType)) {
      await res.body?.cancel().catch(() => undefined);
      throw notHtmlError(url, contentType);
    }
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    let truncated = false;
    const reader = res.body?.getReader();
    if (reader) {
      try {
        for (;;) {
          const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
          if (done) break;
          chunks.push(value);
          bytes += value.byteLength;
          if (bytes >= opts.maxBytes) {
            truncated = true;
            await reader.cancel().catch(() => undefined);
            break;
          }
        }
      } catch (error) {
        if (bytes === 0) throw loadError(url, controller.signal.aborted ? controller.signal.reason : error, opts.timeoutMs);
        truncated = true; // keep what arrived
      }
    }
    const html = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks).subarray(0, opts.maxBytes));
    if (!contentType && !/^\s*(?:<!--[\s\S]*?-->\s*)*</.test(html.slice(0, 2000))) throw notHtmlError(url, 'no content type, and the body is not HTML');
    return { status: res.status, statusText: res.statusText, finalUrl: normalizeUrl(res.url || url) ?? url, contentType, html, truncated, ttfbMs };
  } finally {
    clearTimeout(timer);
  }
}

async function captureWithoutBrowser(url: string, opts: ResolvedOptions): Promise<PageOutcome> {
  const started = opts.now();
  const got = await fetchHtml(url, { timeoutMs: opts.timeoutMs, maxBytes: opts.maxHtmlBytes, fetch: opts.fetch, now: opts.now });
  const warnings: string[] = [];
  if (got.truncated) warnings.push(`${url} is very large; only its first ${Math.round(opts.maxHtmlBytes / 1024)} KiB were read`);
  const tree = parseHtml(got.html, { maxNodes: opts.maxNodes });
  if (tree.truncated) warnings.push(`${url} is very large; only the first ${opts.maxNodes} elements were analyzed`);
  const timing = { ttfb_ms: got.ttfbMs, fcp_ms: null, lcp_ms: null, dom_content_loaded_ms: null, load_ms: null };
  const model = buildPageModel({ url, finalUrl: got.finalUrl, status: got.status, tree, viewport: null, timing });
  return { page: { url, model, tree, views: [], screenshots: [], overlays: [], settled: true, warnings, captureMs: opts.now() - started } };
}

// ---------------------------------------------------------------------------------------------
// The site

interface ResolvedOptions extends CaptureOptions {
  settleMs: number;
  maxNodes: number;
  maxFullPageHeight: number;
  maxHtmlBytes: number;
  maxPageBytes: number;
  concurrency: number;
  now: () => number;
}

/** Captures up to `pages` pages of the site breadth-first from `url`. */
export async function captureSite(options: CaptureOptions): Promise<SiteCapture> {
  const opts: ResolvedOptions = {
    ...options,
    settleMs: options.settleMs ?? Math.min(5000, Math.max(500, Math.round(options.timeoutMs / 3))),
    maxNodes: options.maxNodes ?? DEFAULTS.maxNodes,
    maxFullPageHeight: options.maxFullPageHeight ?? DEFAULTS.maxFullPageHeight,
    maxHtmlBytes: options.maxHtmlBytes ?? DEFAULTS.maxHtmlBytes,
    maxPageBytes: options.maxPageBytes ?? DEFAULTS.maxPageBytes,
    concurrency: Math.max(1, options.concurrency ?? 2),
    now: options.now ?? Date.now,
  };
  if (opts.viewports.length === 0) opts.viewports = ['desktop'];
  const started = opts.now();
  const start = normalizeUrl(opts.url);
  if (!start) throw new UserError(`not an http(s) URL: ${opts.url}`, { code: 'IDEAS_BAD_URL' });
  const warnings: string[] = [];

  let browser: Browser | null = null;
  let mode: SiteCapture['mode'] = 'html';
  let browserVersion: string | null = null;
  let fallbackReason: string | null = opts.browserPath || opts.browser ? null : (opts.noBrowserReason ?? 'no browser was given');
  if (opts.browser) {
    browser = opts.browser;
  } else if (opts.browserPath) {
    const launch = opts.launch ?? (async (p: string) => (await import('./browser.js')).launchBrowser(p));
    try {
      browser = await launch(opts.browserPath);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      fallbackReason = error.message;
      warnings.push(`${error.message}; fetched the HTML without a browser instead (no screenshots, no layout facts)`);
    }
  }
  if (browser) {
    mode = 'browser';
    browserVersion = browser.version();
  }

  const pages: CapturedPage[] = [];
  const skipped: SiteCapture['skipped'] = [];
  const queue = new CrawlQueue();
  queue.push(start, '');
  const seen = new Set<string>([start]);
  const finals = new Set<string>();
  let site = start;
  let index = 0;
  try {
    while (queue.size > 0 && pages.length < opts.pages) {
      const batch = queue.take(Math.min(opts.concurrency, opts.pages - pages.length));
      const results = await Promise.all(
        batch.map(async (url) => {
          const t0 = opts.now();
          const i = index++;
          try {
            const out = browser ? await captureInBrowser(browser, url, opts) : await captureWithoutBrowser(url, opts);
            opts.onPage?.({ url, index: i, ok: true, ms: opts.now() - t0 });
            return { url, out, error: null };
          } catch (error) {
            opts.onPage?.({ url, index: i, ok: false, ms: opts.now() - t0 });
            return { url, out: null, error };
          }
        }),
      );
      for (const r of results) {
        if (r.error !== null || !r.out) {
          if (r.url === start) throw r.error;
          const reason = r.error instanceof UserError ? r.error.message : `could not capture ${r.url}: ${firstLine(errorMessage(r.error))}`;
          skipped.push({ url: r.url, reason });
          warnings.push(`skipped ${reason.startsWith(r.url) ? reason : `${r.url}: ${reason}`}`);
          continue;
        }
        const page = r.out.page;
        const final = page.model.final_url;
        if (pages.length > 0 && (finals.has(final) || !sameOrigin(final, site))) {
          skipped.push({ url: r.url, reason: finals.has(final) ? `redirects to ${final}, already captured` : `redirects off-site to ${final}` });
          continue;
        }
        if (pages.length === 0) site = final; // the site is where the start page landed (http -> https, www.)
        finals.add(final);
        seen.add(final);
        queue.markCaptured(final);
        pages.push(page);
        warnings.push(...page.warnings);
        for (const l of page.model.links) {
          if (seen.has(l.href) || !sameOrigin(l.href, site) || !isFollowable(l.href)) continue;
          seen.add(l.href);
          queue.push(l.href, l.text);
        }
      }
    }
  } finally {
    if (!opts.browser) await browser?.close().catch(() => undefined);
  }

  return { startUrl: start, mode, browserVersion, fallbackReason, viewports: mode === 'browser' ? opts.viewports : [], pages, links: pageLinks(pages), skipped, warnings, totalMs: opts.now() - started };
}

/** Links between captured pages (one per ordered pair, the first link text). */
export function pageLinks(pages: CapturedPage[]): PageLink[] {
  const byUrl = new Map<string, string>();
  for (const p of pages) {
    byUrl.set(p.url, p.url);
    byUrl.set(p.model.final_url, p.url);
  }
  const out: PageLink[] = [];
  const seen = new Set<string>();
  for (const p of pages) {
    for (const l of p.model.links) {
      const to = byUrl.get(l.href);
      if (!to || to === p.url) continue;
      const key = `${p.url} ${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ from: p.url, to, text: l.text });
    }
  }
  return out;
}
