/**
 * Pushes entities to the Statsig Console API: POST /console/v1/<kind> for segments, gates,
 * dynamic_configs, metrics, layers (then PATCH with the layer's parameters) and experiments, in
 * that dependency order. The entities come from a project spec (`seed --push`) or from the
 * store's `entities` table (`push`: what `seed` and `ideas --create` stored); same rules.
 *
 * - Experiments are created in `setup` (nothing starts in the user's project) unless `start`.
 *   The Console API's `controlGroupID` is the id of one of the experiment's groups, and group ids
 *   are assigned by Statsig on create (Console API OpenAPI 20240601: "Optional control group
 *   ID"; groups[].id is server-assigned). So the create body lists the control group first and
 *   carries no controlGroupID; then, when the reply gives the groups' ids, PATCH
 *   /console/v1/experiments/<id> sets controlGroupID to the control group's id.
 * - HTTP 429: retried (at most MAX_429_RETRIES times per request) after `Retry-After` (seconds or
 *   an HTTP date; capped at MAX_RETRY_WAIT_MS), else after an exponential backoff.
 *
 * - Auth: header STATSIG-API-KEY (from env STATSIG_CONSOLE_API_KEY, never printed) and
 *   STATSIG-API-VERSION 20240601.
 * - Idempotent: the existing entities of each kind are listed first (GET, all pages); an entity
 *   whose name (or id) exists is skipped and reported.
 * - Rate limited to the documented 100 mutations per 10 seconds (a sliding window).
 * - Dry run: no request at all; returns the exact requests that would be sent (key redacted).
 */
import type { z } from 'zod';
import { UserError } from '../../core/errors.js';
import {
  DynamicConfigSchema,
  ExperimentSchema,
  GateSchema,
  LayerSchema,
  MetricSchema,
  PUSH_ORDER,
  SegmentSchema,
  createBody,
  type ProjectSpec,
  type PushKind,
} from './schema.js';
import { controlGroupOf } from './validate.js';
import { shortReason } from '../llm.js';
import { readCapped } from '../meter.js';

export const DEFAULT_API_URL = 'https://statsigapi.net';
export const API_VERSION = '20240601';
export const MUTATIONS_PER_WINDOW = 100;
export const WINDOW_MS = 10_000;
/** Retries of one request answered 429 before giving up. */
export const MAX_429_RETRIES = 5;
/** Longest wait for one retry (a Retry-After beyond it is capped). */
export const MAX_RETRY_WAIT_MS = 60_000;
/** Per-request timeout. */
export const REQUEST_TIMEOUT_MS = 30_000;
const REDACTED = '***';

export interface PushRequest {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface PushItem {
  kind: PushKind;
  name: string;
  /** plan: create; result: created | skipped (exists) | failed | not_attempted. */
  action: 'create' | 'created' | 'skipped' | 'failed' | 'not_attempted';
  id?: string;
  status?: number;
  error?: string;
  /** Experiments: the status it was created in (setup unless --start) and its control group. */
  experiment_status?: 'setup' | 'active';
  control_group?: string;
  control_group_id?: string | null;
}

export interface PushResult {
  api_url: string;
  dry_run: boolean;
  items: PushItem[];
  created: number;
  skipped: number;
  mutations: number;
  /** Requests answered 429 and retried, and the total time waited for them. */
  rate_limited: { retries: number; waited_ms: number };
  /** Experiments are created active (--start) or in setup. */
  start: boolean;
  /** Dry run only: the requests that would be sent. */
  requests: PushRequest[];
}

export interface PushOptions {
  apiUrl?: string;
  apiKey?: string;
  dryRun?: boolean;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Create experiments active (started) instead of in setup. */
  start?: boolean;
  /** The command to run again after a failure, for hints (default `seed --push`). */
  rerun?: string;
  timeoutMs?: number;
  /** Called with each planned step, before any request is sent (the command prints the plan). */
  onPlan?: (plan: { kind: PushKind; name: string }[]) => void;
  onItem?: (item: PushItem) => void;
  /** Called before waiting out a 429. */
  onRetry?: (info: { url: string; waitMs: number; attempt: number }) => void;
}

/** One entity to create. */
export interface PushStep {
  kind: PushKind;
  name: string;
  body: Record<string, unknown>;
  /** Layers: the parameters set by the follow-up PATCH. */
  parameters?: unknown[];
  /** Experiments: the control group's name (its id is set after create). */
  control?: string;
}

/** Sliding-window limiter: at most `max` acquisitions in any `windowMs`. */
export class RateLimiter {
  private readonly times: number[] = [];
  waitedMs = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async acquire(): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.times.length > 0 && (this.times[0] ?? 0) <= t - this.windowMs) this.times.shift();
      if (this.times.length < this.max) {
        this.times.push(t);
        return;
      }
      const wait = (this.times[0] ?? t) + this.windowMs - t;
      this.waitedMs += wait;
      await this.sleep(wait);
    }
  }
}

/**
 * The create body of an experiment: status setup (active with `start`), the control group first,
 * no controlGroupID (a group id that only exists once Statsig has created the groups).
 */
export function experimentCreateBody(entity: Record<string, unknown>, start: boolean): { body: Record<string, unknown>; control: string } {
  const exp = entity as { groups?: { name: string }[]; controlGroupID?: string };
  const groups = Array.isArray(exp.groups) ? exp.groups : [];
  const control = controlGroupOf({ groups: groups as never, ...(typeof exp.controlGroupID === 'string' ? { controlGroupID: exp.controlGroupID } : {}) });
  const ordered = [...groups.filter((g) => g.name === control), ...groups.filter((g) => g.name !== control)];
  const { controlGroupID: _control, status: _status, ...rest } = createBody('experiments', entity);
  return { body: { ...rest, groups: ordered, status: start ? 'active' : 'setup' }, control };
}

function stepFor(kind: PushKind, entity: Record<string, unknown>, start: boolean): PushStep {
  if (kind === 'experiments') {
    const { body, control } = experimentCreateBody(entity, start);
    return { kind, name: String(entity.name), body, control };
  }
  const step: PushStep = { kind, name: String(entity.name), body: createBody(kind, entity) };
  if (kind === 'layers' && Array.isArray(entity.parameters) && entity.parameters.length > 0) step.parameters = entity.parameters;
  return step;
}

/** The entities of a spec to create, in dependency order, with their create bodies. */
export function planPush(spec: ProjectSpec, rules: { start?: boolean } = {}): PushStep[] {
  const out: PushStep[] = [];
  for (const kind of PUSH_ORDER) {
    for (const entity of spec[kind]) out.push(stepFor(kind, entity, Boolean(rules.start)));
  }
  return out;
}

const ENTITY_SCHEMAS: Record<PushKind, z.ZodType> = {
  segments: SegmentSchema,
  gates: GateSchema,
  dynamic_configs: DynamicConfigSchema,
  metrics: MetricSchema,
  layers: LayerSchema.partial({ parameters: true }),
  experiments: ExperimentSchema,
};

export interface StoredEntity {
  kind: string;
  name: string;
  spec: unknown;
}

/**
 * The store's entities to create, in dependency order. Each spec is checked against its kind's
 * schema first: an invalid one fails the whole plan (before any request) with its problems.
 */
export function planFromEntities(rows: StoredEntity[], rules: { start?: boolean } = {}): PushStep[] {
  const problems: string[] = [];
  const steps: PushStep[] = [];
  for (const kind of PUSH_ORDER) {
    for (const row of rows.filter((r) => r.kind === kind)) {
      let spec: unknown = row.spec;
      if (typeof spec === 'string') {
        try {
          spec = JSON.parse(spec) as unknown;
        } catch {
          problems.push(`${kind} ${row.name}: its spec is not JSON`);
          continue;
        }
      }
      const checked = ENTITY_SCHEMAS[kind].safeParse(spec);
      if (!checked.success) {
        const first = checked.error.issues[0];
        problems.push(`${kind} ${row.name}: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'}`);
        continue;
      }
      const entity = { ...(checked.data as Record<string, unknown>), name: row.name };
      steps.push(stepFor(kind, entity, Boolean(rules.start)));
    }
  }
  if (problems.length > 0) {
    throw new UserError(`${problems.length} stored ${problems.length === 1 ? 'entity is not a valid Console API body' : 'entities are not valid Console API bodies'}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}`, {
      hint: 'fix or delete them in the store (statsig-hack query "SELECT kind, name, spec FROM entities"), or push only other kinds with --kind',
      code: 'PUSH_INVALID_ENTITY',
    });
  }
  return steps;
}

/** The Console API key, or the one-line error that says how to get one (checked before any work). */
export function requireConsoleKey(apiKey: string | undefined): string {
  if (!apiKey) {
    throw new UserError('no Statsig Console API key: set STATSIG_CONSOLE_API_KEY', {
      hint: 'create a Console API key in Statsig (Project Settings > API Keys), export STATSIG_CONSOLE_API_KEY=..., or use --dry-run to see the requests',
      code: 'PUSH_NO_KEY',
    });
  }
  return apiKey;
}

/** The Console API base URL, checked before any work: http(s), no credentials. */
export function requireApiUrl(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new UserError(`--api-url is not a URL: "${apiUrl}"`, { hint: 'use the Console API base, e.g. --api-url https://statsigapi.net', code: 'PUSH_BAD_URL' });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw new UserError(`--api-url must be an http(s) URL without credentials: "${url.protocol}//${url.host}"`, { hint: 'use the Console API base, e.g. --api-url https://statsigapi.net', code: 'PUSH_BAD_URL' });
  }
  return apiUrl;
}

/** Milliseconds to wait for a 429: Retry-After (seconds or an HTTP date), else exponential backoff; capped. */
export function retryDelayMs(retryAfter: string | null, attempt: number, now: number): number {
  let ms: number | null = null;
  if (retryAfter) {
    const v = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
    else {
      const at = Date.parse(v);
      if (!Number.isNaN(at)) ms = Math.max(0, at - now);
    }
  }
  if (ms === null) ms = 1000 * 2 ** attempt;
  return Math.min(MAX_RETRY_WAIT_MS, Math.max(0, Math.round(ms)));
}

function headers(apiKey: string, withBody: boolean): Record<string, string> {
  return {
    'STATSIG-API-KEY': apiKey,
    'STATSIG-API-VERSION': API_VERSION,
    ...(withBody ? { 'Content-Type': 'application/json' } : {}),
  };
}

function redactHeaders(h: Record<string, string>): Record<string, string> {
  return { ...h, 'STATSIG-API-KEY': REDACTED };
}

interface ListPage {
  data?: { name?: unknown; id?: unknown }[];
  pagination?: { nextPage?: unknown; totalItems?: unknown; pageNumber?: unknown; itemsPerPage?: unknown };
}

/** Biggest Console API response read (a page of 100 entities is far below it). */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

async function readBody(res: Response): Promise<{ json: unknown; text: string }> {
  const { bytes, overflow } = await readCapped(res, MAX_RESPONSE_BYTES);
  const text = Buffer.from(bytes).toString('utf8');
  if (overflow) return { json: null, text: `(a response over ${MAX_RESPONSE_BYTES} bytes was cut) ${text.slice(0, 200)}` };
  try {
    return { json: JSON.parse(text) as unknown, text };
  } catch {
    return { json: null, text };
  }
}

function apiMessage(body: { json: unknown; text: string }): string {
  const j = body.json as { message?: unknown; errors?: unknown } | null;
  return shortReason(j && typeof j.message === 'string' ? j.message : body.text, 200);
}

/** Pushes a spec's entities (seed --push). */
export async function pushProject(spec: ProjectSpec, opts: PushOptions = {}): Promise<PushResult> {
  return pushPlan(planPush(spec, { start: Boolean(opts.start) }), opts);
}

/** Pushes planned entities. Throws a UserError on a refused key, an unreachable API or a failed create (after reporting progress). */
export async function pushPlan(plan: PushStep[], opts: PushOptions = {}): Promise<PushResult> {
  const apiUrl = (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const dryRun = Boolean(opts.dryRun);
  const rerun = opts.rerun ?? 'seed --push';
  opts.onPlan?.(plan.map((p) => ({ kind: p.kind, name: p.name })));
  const items: PushItem[] = plan.map((p) => ({ kind: p.kind, name: p.name, action: 'create' }));
  const result: PushResult = {
    api_url: apiUrl,
    dry_run: dryRun,
    items,
    created: 0,
    skipped: 0,
    mutations: 0,
    rate_limited: { retries: 0, waited_ms: 0 },
    start: Boolean(opts.start),
    requests: [],
  };

  if (dryRun) {
    for (const p of plan) {
      result.requests.push({ method: 'POST', url: `${apiUrl}/console/v1/${p.kind}`, headers: redactHeaders(headers('x', true)), body: p.body });
      if (p.parameters) {
        result.requests.push({ method: 'PATCH', url: `${apiUrl}/console/v1/layers/${encodeURIComponent(p.name)}`, headers: redactHeaders(headers('x', true)), body: { parameters: p.parameters } });
      }
      if (p.control !== undefined) {
        result.requests.push({
          method: 'PATCH',
          url: `${apiUrl}/console/v1/experiments/${encodeURIComponent(p.name)}`,
          headers: redactHeaders(headers('x', true)),
          body: { controlGroupID: `<id of group "${p.control}" from the create reply>` },
        });
      }
    }
    return result;
  }

  const apiKey = requireConsoleKey(opts.apiKey);
  const doFetch = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const limiter = new RateLimiter(MUTATIONS_PER_WINDOW, WINDOW_MS, now, sleep);

  const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const sendOnce = async (req: PushRequest): Promise<Response> => {
    try {
      return await doFetch(req.url, {
        method: req.method,
        headers: req.headers,
        signal: AbortSignal.timeout(timeoutMs),
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError') {
        throw new UserError(`the Statsig Console API at ${apiUrl} did not answer within ${timeoutMs} ms`, {
          hint: `try again later: entities already created are skipped when you run ${rerun} again`,
          code: 'PUSH_TIMEOUT',
          cause: error,
        });
      }
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new UserError(`cannot reach the Statsig Console API at ${apiUrl}${cause ? ` (${cause})` : ''}`, {
        hint: 'check --api-url and your network',
        code: 'PUSH_UNREACHABLE',
        cause: error,
      });
    }
  };
  /**
   * One request; a 429 is waited out (Retry-After, else backoff) and retried, at most
   * MAX_429_RETRIES times. A 502/503/504 is retried the same way for reads only: a create that
   * failed upstream may still have happened, so it is reported, and the next run skips it if so.
   */
  const send = async (req: PushRequest): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const res = await sendOnce(req);
      const retryable = res.status === 429 || (req.method === 'GET' && [502, 503, 504].includes(res.status));
      if (!retryable) return res;
      if (attempt >= MAX_429_RETRIES) {
        if (res.status !== 429) return res;
        await res.body?.cancel().catch(() => undefined);
        throw new UserError(`the Statsig Console API is rate limiting (HTTP 429) and still was after ${MAX_429_RETRIES} retries (${req.method} ${new URL(req.url).pathname})`, {
          hint: `wait a minute and run ${rerun} again: entities already created are skipped`,
          code: 'PUSH_RATE_LIMITED',
        });
      }
      await res.body?.cancel().catch(() => undefined);
      const waitMs = retryDelayMs(res.headers.get('retry-after'), attempt, now());
      opts.onRetry?.({ url: req.url, waitMs, attempt: attempt + 1 });
      result.rate_limited.retries++;
      result.rate_limited.waited_ms += waitMs;
      await sleep(waitMs);
    }
  };
  const refused = (status: number, body: { json: unknown; text: string }): UserError =>
    new UserError(`the Statsig Console API refused the key (HTTP ${status}${apiMessage(body) ? `: ${apiMessage(body)}` : ''})`, {
      hint: 'check STATSIG_CONSOLE_API_KEY: it must be a Console API key (not a server or client SDK key) with write access',
      code: 'PUSH_AUTH',
    });

  // Existing entities, by kind (all pages).
  const existing = new Map<PushKind, Map<string, string>>();
  for (const kind of PUSH_ORDER) {
    if (!plan.some((p) => p.kind === kind)) continue;
    const names = new Map<string, string>();
    for (let page = 1; page <= 1000; page++) {
      const res = await send({ method: 'GET', url: `${apiUrl}/console/v1/${kind}?limit=100&page=${page}`, headers: headers(apiKey, false) });
      const body = await readBody(res);
      if (res.status === 401 || res.status === 403) throw refused(res.status, body);
      if (!res.ok) {
        throw new UserError(`could not list existing ${kind} (HTTP ${res.status}${apiMessage(body) ? `: ${apiMessage(body)}` : ''})`, {
          hint: 'check --api-url (the Console API base, e.g. https://statsigapi.net)',
          code: 'PUSH_LIST_FAILED',
        });
      }
      const json = body.json as ListPage | null;
      for (const item of json?.data ?? []) {
        const id = typeof item.id === 'string' ? item.id : typeof item.name === 'string' ? item.name : '';
        if (typeof item.name === 'string') names.set(item.name, id);
        if (typeof item.id === 'string') names.set(item.id, id);
      }
      const next = json?.pagination?.nextPage;
      if (next === null || next === undefined || next === '' || (json?.data ?? []).length === 0) break;
    }
    existing.set(kind, names);
  }

  const ids = new Map<string, string>(); // layer name -> id
  for (const [i, p] of plan.entries()) {
    const item = items[i] as PushItem;
    const found = existing.get(p.kind)?.get(p.name);
    if (found !== undefined) {
      item.action = 'skipped';
      item.id = found;
      result.skipped++;
      if (p.kind === 'layers') ids.set(p.name, found);
      opts.onItem?.(item);
      continue;
    }
    const body = { ...p.body };
    if (p.kind === 'experiments' && typeof body.layerID === 'string') body.layerID = ids.get(body.layerID) ?? body.layerID;
    await limiter.acquire();
    result.mutations++;
    const res = await send({ method: 'POST', url: `${apiUrl}/console/v1/${p.kind}`, headers: headers(apiKey, true), body });
    const rb = await readBody(res);
    if (res.status === 401 || res.status === 403) throw refused(res.status, rb);
    if (!res.ok) {
      item.action = 'failed';
      item.status = res.status;
      item.error = apiMessage(rb);
      for (const rest of items.slice(i + 1)) rest.action = 'not_attempted';
      opts.onItem?.(item);
      throw new UserError(
        `creating ${p.kind.replace(/s$/, '')} ${p.name} failed (HTTP ${res.status}${item.error ? `: ${item.error}` : ''}); created ${result.created}, skipped ${result.skipped} before it`,
        {
          hint:
            res.status >= 500
              ? `the Console API failed on its side; run ${rerun} again later: existing entities (this one too, if it was created after all) are skipped`
              : `fix the entity or create it in the console, then run ${rerun} again: existing entities are skipped`,
          code: 'PUSH_FAILED',
        },
      );
    }
    const data = (rb.json as { data?: { id?: unknown } } | null)?.data;
    const id = data && typeof data.id === 'string' ? data.id : p.name;
    item.action = 'created';
    item.id = id;
    item.status = res.status;
    result.created++;
    if (p.kind === 'layers') {
      ids.set(p.name, id);
      if (p.parameters) {
        await limiter.acquire();
        result.mutations++;
        const pr = await send({ method: 'PATCH', url: `${apiUrl}/console/v1/layers/${encodeURIComponent(id)}`, headers: headers(apiKey, true), body: { parameters: p.parameters } });
        if (!pr.ok) {
          const pb = await readBody(pr);
          item.error = `created, but setting its parameters failed (HTTP ${pr.status}${apiMessage(pb) ? `: ${apiMessage(pb)}` : ''})`;
        }
      }
    }
    if (p.kind === 'experiments' && p.control !== undefined) {
      item.experiment_status = result.start ? 'active' : 'setup';
      item.control_group = p.control;
      const groups = (data as { groups?: unknown } | undefined)?.groups;
      const control = Array.isArray(groups) ? (groups as { name?: unknown; id?: unknown }[]).find((g) => g.name === p.control) : undefined;
      item.control_group_id = control && typeof control.id === 'string' && control.id.length > 0 ? control.id : null;
      if (item.control_group_id) {
        await limiter.acquire();
        result.mutations++;
        const pr = await send({ method: 'PATCH', url: `${apiUrl}/console/v1/experiments/${encodeURIComponent(id)}`, headers: headers(apiKey, true), body: { controlGroupID: item.control_group_id } });
        if (!pr.ok) {
          const pb = await readBody(pr);
          item.error = `created, but setting its control group failed (HTTP ${pr.status}${apiMessage(pb) ? `: ${apiMessage(pb)}` : ''}); "${p.control}" is its first group`;
        }
      }
    }
    opts.onItem?.(item);
  }
  return result;
}

