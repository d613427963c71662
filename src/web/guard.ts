/**
 * What a captured page may do in the browser. `ideas` loads pages it does not trust, so each page
 * gets a guard on its own browser context:
 *
 * - **GET only.** Requests with any other method (a form POST, a `fetch(..., { method: 'DELETE' })`,
 *   a beacon) are aborted, so capturing a site never changes anything on it.
 * - **One navigation.** The tool navigates the main frame once, to a page on the site's origin, and
 *   follows the server's redirects. Any later main-frame navigation (a timer setting
 *   `location`, a meta refresh, a form submission) is aborted, so the page captured is the page
 *   asked for and its final URL is the true one. Popups are closed.
 * - **Size caps.** The main document is cut at `maxDocumentBytes` and the whole page (all
 *   responses) at `maxPageBytes`: past a cap the page stops loading (as if the user pressed Esc)
 *   and further requests are aborted.
 *
 * `guardDecision` is the pure rule; `PageGuard` wires it to playwright's routing and to a CDP
 * session for the byte counts.
 */
import type { BrowserContext, CDPSession, Page, Route } from 'playwright-core';

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface GuardState {
  /** The origin the main frame may navigate to (until locked). */
  origin: string;
  /** The tool's one navigation has committed: the main frame may not navigate again. */
  locked: boolean;
  /** A size cap was reached: nothing more is loaded. */
  overBudget: boolean;
}

export interface GuardRequest {
  method: string;
  url: string;
  /** A navigation request of the page's main frame. */
  mainFrameNavigation: boolean;
}

export type GuardVerdict = { allow: true } | { allow: false; kind: 'method' | 'navigation' | 'budget' };

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** Whether a request may go out. */
export function guardDecision(req: GuardRequest, state: GuardState): GuardVerdict {
  if (!SAFE_METHODS.has(req.method.toUpperCase())) return { allow: false, kind: 'method' };
  if (req.mainFrameNavigation) {
    if (state.locked || originOf(req.url) !== state.origin) return { allow: false, kind: 'navigation' };
    return { allow: true };
  }
  if (state.overBudget) return { allow: false, kind: 'budget' };
  return { allow: true };
}

export interface GuardLimits {
  maxDocumentBytes: number;
  maxPageBytes: number;
}

export interface GuardReport {
  /** Main-frame navigations the page tried after it loaded (URLs). */
  navigations: string[];
  /** Requests refused for their method ("POST /path"). */
  methods: string[];
  /** Requests refused after a size cap was reached. */
  overBudget: number;
  /** Which cap stopped the page, if any. */
  cut: null | { what: 'document' | 'page'; bytes: number };
  popups: number;
}

const KEEP = 20;

/** The guard of one page: install before the navigation, `lock()` once it committed. */
export class PageGuard {
  readonly state: GuardState;
  readonly report: GuardReport = { navigations: [], methods: [], overBudget: 0, cut: null, popups: 0 };
  private docBytes = 0;
  private pageBytes = 0;
  private docRequestId: string | null = null;
  private cdp: CDPSession | null = null;
  private stopWaiters: (() => void)[] = [];

  constructor(
    private readonly page: Page,
    startUrl: string,
    private readonly limits: GuardLimits,
  ) {
    this.state = { origin: originOf(startUrl) ?? '', locked: false, overBudget: false };
  }

  async install(context: BrowserContext): Promise<void> {
    await context.route('**/*', (route) => this.onRoute(route));
    context.on('page', (p) => {
      if (p === this.page) return;
      this.report.popups++;
      void p.close().catch(() => undefined);
    });
    try {
      const cdp = await context.newCDPSession(this.page);
      this.cdp = cdp;
      cdp.on('Network.requestWillBeSent', (e) => {
        // The first document request is the tool's own navigation (redirects keep its id).
        if (e.type === 'Document' && this.docRequestId === null) this.docRequestId = e.requestId;
      });
      cdp.on('Network.dataReceived', (e) => this.onData(e.requestId, e.dataLength));
      await cdp.send('Network.enable');
    } catch {
      this.cdp = null; // not Chromium: no byte caps beyond the page deadline
    }
  }

  /** The tool's navigation committed: from now on the main frame stays where it is. */
  lock(): void {
    this.state.locked = true;
  }

  /** Resolves when a size cap stopped the page. */
  stopped(): Promise<void> {
    if (this.report.cut) return Promise.resolve();
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  private onData(requestId: string, bytes: number): void {
    this.pageBytes += bytes;
    if (requestId === this.docRequestId) this.docBytes += bytes;
    if (this.report.cut) return;
    if (this.docBytes > this.limits.maxDocumentBytes) this.stop('document', this.docBytes);
    else if (this.pageBytes > this.limits.maxPageBytes) this.stop('page', this.pageBytes);
  }

  private stop(what: 'document' | 'page', bytes: number): void {
    this.report.cut = { what, bytes };
    this.state.overBudget = true;
    void this.cdp?.send('Page.stopLoading').catch(() => undefined);
    for (const w of this.stopWaiters.splice(0)) w();
  }

  private async onRoute(route: Route): Promise<void> {
    const req = route.request();
    let mainFrameNavigation = false;
    try {
      mainFrameNavigation = req.isNavigationRequest() && req.frame() === this.page.mainFrame();
    } catch {
      mainFrameNavigation = false; // a service worker's request has no frame
    }
    const verdict = guardDecision({ method: req.method(), url: req.url(), mainFrameNavigation }, this.state);
    if (verdict.allow) {
      await route.continue().catch(() => undefined);
      return;
    }
    if (verdict.kind === 'method') {
      if (this.report.methods.length < KEEP) this.report.methods.push(`${req.method()} ${shortUrl(req.url(), this.state.origin)}`);
    } else if (verdict.kind === 'navigation') {
      if (this.report.navigations.length < KEEP) this.report.navigations.push(req.url());
    } else {
      this.report.overBudget++;
    }
    // ERR_ABORTED leaves the current document in place; any other error would commit an error page.
    await route.abort(mainFrameNavigation ? 'aborted' : 'blockedbyclient').catch(() => undefined);
  }
}

/** A path for same-origin URLs, the whole URL otherwise. */
function shortUrl(url: string, origin: string): string {
  try {
    const u = new URL(url);
    return u.origin === origin ? `${u.pathname}${u.search}` : u.href;
  } catch {
    return url;
  }
}

/** One-line warnings for what the guard refused (empty when it refused nothing). */
export function guardWarnings(url: string, r: GuardReport, limits: GuardLimits): string[] {
  const out: string[] = [];
  if (r.navigations.length > 0) out.push(`${url} tried to navigate away (to ${r.navigations.slice(0, 3).join(', ')}${r.navigations.length > 3 ? ', …' : ''}); blocked, captured the page as loaded`);
  if (r.methods.length > 0) out.push(`${url}: blocked ${r.methods.length} request${r.methods.length === 1 ? '' : 's'} other than GET (${r.methods.slice(0, 3).join(', ')}${r.methods.length > 3 ? ', …' : ''})`);
  if (r.cut) {
    const cap = r.cut.what === 'document' ? limits.maxDocumentBytes : limits.maxPageBytes;
    out.push(`${url} is very large (${r.cut.what === 'document' ? 'the HTML' : 'all its files'} over ${mib(cap)}); stopped loading it there and captured what had arrived`);
  }
  if (r.popups > 0) out.push(`${url} opened ${r.popups} popup${r.popups === 1 ? '' : 's'}; closed`);
  return out;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KiB`;
}
