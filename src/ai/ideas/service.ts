/**
 * `ideas`: capture a site (src/web/capture.ts), then ask the model for grounded experiment
 * ideas, or run the offline CRO audit, rank them by ICE, write the report, and optionally
 * store them as experiments. Takes everything as arguments; returns plain data.
 *
 * Browser: the one src/web/browser.ts finds. None installed (NO_BROWSER) or one that will not
 * start (BROWSER_LAUNCH): the pages are fetched as HTML without a browser, with a warning
 * (no screenshots, no layout facts, so the layout rules of the audit are skipped). A browser
 * path set explicitly (STATSIG_HACK_CHROMIUM, browser.executablePath) that does not exist is
 * an error: the user asked for that browser. `--no-browser` asks for the HTML mode.
 */
import path from 'node:path';
import type { Config, Settings } from '../../core/config.js';
import { UserError } from '../../core/errors.js';
import { stripControl } from '../../core/sanitize.js';
import { phase, silentProgress, type Progress } from '../../core/progress.js';
import type { Redactor } from '../../core/redact.js';
import type { SiteCapture } from '../../web/capture.js';
import type { FindBrowserOptions, FoundBrowser } from '../../web/browser.js';
import type { ViewportName } from '../../web/page-model.js';
import { parseTargetUrl } from '../../web/url.js';
import type { LlmClient, LogLevel } from '../llm.js';
import { auditPages, offlineSiteSummary, type AuditOptions } from './audit.js';
import { dedupeIdeas } from './dedupe.js';
import { createExperiments } from './experiments.js';
import { groundIdeas, groundingProblems, type GroundPage } from './grounding.js';
import { buildMessages, type SentImage } from './prompt.js';
import { writeOutput, type ShotToWrite } from './report.js';
import { ideaFigure } from './report-html.js';
import type { IdeasResult, PageSummary, ViewportChoice } from './result.js';
import { IdeasReplySchema, iceScore, rankIdeas, type Idea, type SiteSummary } from './schema.js';

export type { IdeasResult, PageSummary, ScreenshotFile, ViewportChoice } from './result.js';

export interface IdeasInput {
  /** The URL as typed. */
  url: string;
  pages: number;
  maxIdeas: number;
  viewport: ViewportChoice;
  /** Absolute output folder, or null to write nothing. */
  outDir: string | null;
  /** --offline: the rule-based audit even when a model is configured. */
  offline: boolean;
  /** --no-browser: fetch HTML without a browser. */
  noBrowser: boolean;
  /** --create: store the ideas as experiments in this store file. */
  createIn: string | null;
  timeoutMs: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  settings: Settings;
  redactor?: Redactor;
  audit?: AuditOptions;
  /** Notices for the user (stderr, at once): the offline default, an assumed scheme. */
  notice?: (message: string) => void;
  onLog?: (message: string, level: LogLevel) => void;
  progress?: Progress;
  /** Test seams. */
  llm?: LlmClient;
  findBrowser?: (options: FindBrowserOptions) => Promise<FoundBrowser>;
  now?: () => number;
}

function screenshotPath(pageIndex: number, viewport: ViewportName, kind: 'fold' | 'full'): string {
  return `screenshots/page-${pageIndex + 1}-${viewport}-${kind}.jpg`;
}

/** `value` with `stripControl` applied to every string in it (selectors and URLs have none to lose). */
export function stripStrings<T>(value: T): T {
  if (typeof value === 'string') return stripControl(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => stripStrings(v)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripStrings(v)])) as T;
  return value;
}

/** The Chromium to use, or null (with the reason) for the HTML-only mode. */
export async function resolveBrowser(input: Pick<IdeasInput, 'noBrowser' | 'config' | 'env' | 'findBrowser'>): Promise<{ path: string | null; reason: string | null; warning: string | null }> {
  if (input.noBrowser) return { path: null, reason: '--no-browser', warning: null };
  const find = input.findBrowser ?? (await import('../../web/browser.js')).findBrowser;
  try {
    const found = await find({ configPath: input.config.browser?.executablePath, env: input.env });
    return { path: found.path, reason: null, warning: null };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    if (error.code === 'NO_BROWSER') {
      return {
        path: null,
        reason: 'no Chromium found',
        warning: `no Chromium found: fetching the HTML without a browser (no screenshots, no layout facts); ${error.hint ?? ''}`.replace(/; $/, ''),
      };
    }
    if (error.code === 'BROWSER_PATH_MISSING') {
      throw new UserError(error.message, { hint: `${error.hint ?? 'fix the browser path'}; or pass --no-browser to fetch the HTML without a browser`, code: error.code, cause: error });
    }
    throw error;
  }
}

export async function generateIdeas(input: IdeasInput): Promise<IdeasResult> {
  const now = input.now ?? Date.now;
  const started = now();
  const notice = input.notice ?? (() => {});
  const { url, assumedScheme } = parseTargetUrl(input.url);
  if (assumedScheme) notice(`no scheme given: using ${url.href}`);

  const useModel = !input.offline && input.settings.llmConfigured;
  if (!input.offline && !useModel) {
    notice('no model configured: running the offline CRO audit (set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server, for model ideas; --offline hides this notice)');
  }
  // Fail on a missing model setup before spending time in the browser.
  let llm: LlmClient | null = null;
  if (useModel) {
    llm =
      input.llm ??
      (await import('../llm.js')).createLlmClient({ env: input.env, config: input.config, settings: input.settings, cwd: input.cwd, redactor: input.redactor, onLog: input.onLog });
  }

  const browser = await resolveBrowser(input);
  const viewports: ViewportName[] = input.viewport === 'both' ? ['desktop', 'mobile'] : [input.viewport];

  const { captureSite } = await import('../../web/capture.js');
  input.progress?.start(`Capturing up to ${input.pages} page${input.pages === 1 ? '' : 's'} of ${url.host}`, input.pages);
  let done = 0;
  let site: SiteCapture;
  let captured = false;
  try {
    site = await captureSite({
      url: url.href,
      pages: input.pages,
      viewports,
      browserPath: browser.path,
      noBrowserReason: browser.reason ?? undefined,
      timeoutMs: input.timeoutMs,
      now,
      onPage: (p) => {
        if (p.ok) input.progress?.update(++done, input.pages);
      },
    });
    captured = true;
  } finally {
    // An error ends the step without a "✓ Captured 0 pages" ahead of it.
    if (captured) input.progress?.stop(`Captured ${done} page${done === 1 ? '' : 's'}`);
    else input.progress?.stop(`Capture stopped after ${done} of ${input.pages} page${input.pages === 1 ? '' : 's'}`, { failed: true });
  }
  const captureMs = now() - started;
  const warnings = [...(browser.warning ? [browser.warning] : []), ...site.warnings];

  const groundPages: GroundPage[] = site.pages.map((p) => ({ url: p.url, finalUrl: p.model.final_url, trees: [p.tree, ...p.views.map((v) => v.tree)] }));
  const ideasStarted = now();
  let siteSummary: SiteSummary;
  let candidates: Omit<Idea, 'rank' | 'id'>[];
  let dropped: IdeasResult['dropped'] = { ideas: 0, evidence: 0, details: [] };
  let imagesSent: SentImage[] = [];
  let modelName: string | null = null;

  if (llm) {
    modelName = llm.model('ideas');
    const { messages, images, trimmed } = buildMessages({ startUrl: site.startUrl, pages: site.pages, links: site.links, maxIdeas: input.maxIdeas, mode: site.mode });
    imagesSent = images;
    if (trimmed) warnings.push('the page models were shortened to fit the model input budget');
    let validations = 0;
    const reply = await phase(
      input.progress ?? silentProgress,
      `Asking ${modelName} for ideas`,
      () =>
        llm.structured({
          task: 'ideas',
          schemaName: 'experiment_ideas',
          schema: IdeasReplySchema,
          messages,
          // Grounding problems get one repair turn (the first valid reply only); what is still not
          // real after it is dropped below instead of failing the run.
          validate: (value) => (validations++ === 0 ? groundingProblems(value.experiments, groundPages) : []),
          maxRepairs: 2,
        }),
      { done: 'The model answered' },
    );
    // What the model wrote reaches a terminal, a report and the store: no control characters.
    const clean = stripStrings(reply);
    const grounded = groundIdeas(clean.experiments, groundPages);
    dropped = { ideas: grounded.dropped.length, evidence: grounded.evidenceDropped, details: grounded.dropped };
    siteSummary = clean.site;
    candidates = dedupeIdeas(grounded.kept).map((e) => ({ ...e, ice: { ...e.ice, score: iceScore(e.ice) }, source: 'model' as const, rule: null }));
    if (reply.experiments.length > input.maxIdeas) warnings.push(`the model proposed ${reply.experiments.length} ideas; kept the ${input.maxIdeas} with the best ICE score`);
  } else {
    const auditInput = site.pages.map((p) => ({ model: p.model, tree: p.tree }));
    const ideas = auditPages(auditInput, input.audit);
    // The audit cites the page model's own selectors; grounding them anyway keeps both paths honest.
    const grounded = groundIdeas(ideas, groundPages);
    dropped = { ideas: grounded.dropped.length, evidence: grounded.evidenceDropped, details: grounded.dropped };
    siteSummary = offlineSiteSummary(auditInput);
    candidates = grounded.kept.map(({ rule, ...e }) => ({ ...e, ice: { ...e.ice, score: iceScore(e.ice) }, source: 'audit' as const, rule }));
    if (site.mode === 'html') warnings.push('layout rules (fold, prominence, contrast, paint timing) were skipped: no browser');
  }
  const experiments = rankIdeas(candidates, input.maxIdeas);
  const ideasMs = now() - ideasStarted;

  // Screenshots and their paths in the output folder.
  const shots: ShotToWrite[] = [];
  const pages: PageSummary[] = site.pages.map((p, i) => ({
    url: p.url,
    final_url: p.model.final_url,
    title: p.model.title,
    status: p.model.status,
    capture_ms: p.captureMs,
    settled: p.settled,
    overlays_hidden: p.overlays,
    timing: p.model.timing,
    screenshots: p.screenshots.map((s) => {
      const rel = input.outDir ? screenshotPath(i, s.viewport, s.kind) : null;
      if (rel) shots.push({ path: rel, data: s.data });
      return { viewport: s.viewport, kind: s.kind, width: s.width, height: s.height, truncated: s.truncated, path: rel };
    }),
    warnings: p.warnings,
    model: p.model,
  }));

  const result: IdeasResult = {
    url: site.startUrl,
    generated_at: new Date(now()).toISOString(),
    mode: llm ? 'model' : 'offline',
    model: modelName,
    capture: {
      mode: site.mode,
      browser: site.browserVersion,
      fallback_reason: site.fallbackReason,
      viewports: site.viewports,
      pages,
      links: site.links,
      skipped: site.skipped,
      ms: captureMs,
    },
    site: siteSummary,
    experiments,
    ideas_found: Math.max(candidates.length, experiments.length),
    dropped,
    images_sent: imagesSent,
    warnings,
    out: input.outDir
      ? { dir: input.outDir, report: path.join(input.outDir, 'report.md'), html: path.join(input.outDir, 'report.html'), json: path.join(input.outDir, 'ideas.json'), screenshots: shots.length }
      : null,
    created: null,
    usage: llm ? llm.usage() : null,
    timing_ms: { capture: captureMs, ideas: ideasMs, total: 0 },
  };

  if (input.createIn && experiments.length > 0) {
    const { Store } = await import('../../store/store.js');
    const store = await Store.open(input.createIn, { create: true });
    try {
      result.created = { db: input.createIn, experiments: await createExperiments(store, experiments) };
      const { notifyCliChanges } = await import('../../server/cli-notify.js');
      await notifyCliChanges(store, 'ideas --create', result.created.experiments.map((e) => ({ kind: 'experiments', id: e.name, action: e.action })));
    } finally {
      store.close();
    }
  } else if (input.createIn) {
    result.created = { db: input.createIn, experiments: [] };
  }

  result.timing_ms.total = now() - started;
  if (input.outDir) {
    const figures = experiments.flatMap((idea) => {
      const i = site.pages.findIndex((p) => p.url === idea.page_url);
      const p = site.pages[i];
      const summary = pages[i];
      if (!p || !summary) return [];
      const trees = [{ viewport: site.viewports[0] ?? ('desktop' as const), tree: p.tree }, ...p.views.map((v) => ({ viewport: v.name, tree: v.tree }))];
      const f = ideaFigure(idea, { url: p.url, trees, screenshots: summary.screenshots });
      return f ? [f] : [];
    });
    writeOutput(input.outDir, result, shots, figures);
  }
  return result;
}
