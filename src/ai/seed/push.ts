/**
 * Pushes a project spec to the Statsig Console API: POST /console/v1/<kind> for segments, gates,
 * dynamic_configs, metrics, layers (then PATCH with the layer's parameters) and experiments, in
 * that dependency order.
 *
 * - Auth: header STATSIG-API-KEY (from env STATSIG_CONSOLE_API_KEY, never printed) and
 *   STATSIG-API-VERSION 20240601.
 * - Idempotent: the existing entities of each kind are listed first (GET, all pages); an entity
 *   whose name (or id) exists is skipped and reported.
 * - Rate limited to the documented 100 mutations per 10 seconds (a sliding window).
 * - Dry run: no request at all; returns the exact requests that would be sent (key redacted).
 */
import { UserError } from '../../core/errors.js';
import { PUSH_ORDER, createBody, type ProjectSpec, type PushKind } from './schema.js';

export const DEFAULT_API_URL = 'https://statsigapi.net';
export const API_VERSION = '20240601';
export const MUTATIONS_PER_WINDOW = 100;
export const WINDOW_MS = 10_000;
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
}

export interface PushResult {
  api_url: string;
  dry_run: boolean;
  items: PushItem[];
  created: number;
  skipped: number;
  mutations: number;
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
  /** Called with each planned step, before any request is sent (the command prints the plan). */
  onPlan?: (plan: { kind: PushKind; name: string }[]) => void;
  onItem?: (item: PushItem) => void;
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

/** The entities to create, in dependency order, with their create bodies. */
export function planPush(spec: ProjectSpec): { kind: PushKind; name: string; body: Record<string, unknown>; parameters?: unknown[] }[] {
  const out: { kind: PushKind; name: string; body: Record<string, unknown>; parameters?: unknown[] }[] = [];
  for (const kind of PUSH_ORDER) {
    for (const entity of spec[kind]) {
      const e = entity as Record<string, unknown>;
      const step: { kind: PushKind; name: string; body: Record<string, unknown>; parameters?: unknown[] } = { kind, name: String(e.name), body: createBody(kind, e) };
      if (kind === 'layers' && Array.isArray(e.parameters) && e.parameters.length > 0) step.parameters = e.parameters;
      out.push(step);
    }
  }
  return out;
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

async function readBody(res: Response): Promise<{ json: unknown; text: string }> {
  const text = await res.text();
  try {
    return { json: JSON.parse(text) as unknown, text };
  } catch {
    return { json: null, text };
  }
}

function apiMessage(body: { json: unknown; text: string }): string {
  const j = body.json as { message?: unknown; errors?: unknown } | null;
  const msg = j && typeof j.message === 'string' ? j.message : body.text.slice(0, 200);
  return msg.replace(/\s+/g, ' ').trim();
}

/** Pushes the spec. Throws a UserError on a refused key, an unreachable API or a failed create (after reporting progress). */
export async function pushProject(spec: ProjectSpec, opts: PushOptions = {}): Promise<PushResult> {
  const apiUrl = (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const dryRun = Boolean(opts.dryRun);
  const plan = planPush(spec);
  opts.onPlan?.(plan.map((p) => ({ kind: p.kind, name: p.name })));
  const items: PushItem[] = plan.map((p) => ({ kind: p.kind, name: p.name, action: 'create' }));
  const result: PushResult = { api_url: apiUrl, dry_run: dryRun, items, created: 0, skipped: 0, mutations: 0, requests: [] };

  if (dryRun) {
    for (const p of plan) {
      result.requests.push({ method: 'POST', url: `${apiUrl}/console/v1/${p.kind}`, headers: redactHeaders(headers('x', true)), body: p.body });
      if (p.parameters) {
        result.requests.push({ method: 'PATCH', url: `${apiUrl}/console/v1/layers/${encodeURIComponent(p.name)}`, headers: redactHeaders(headers('x', true)), body: { parameters: p.parameters } });
      }
    }
    return result;
  }

  const apiKey = opts.apiKey;
  if (!apiKey) {
    throw new UserError('no Statsig Console API key: set STATSIG_CONSOLE_API_KEY', {
      hint: 'create a Console API key in Statsig (Project Settings > API Keys), export STATSIG_CONSOLE_API_KEY=..., or use --dry-run to see the requests',
      code: 'PUSH_NO_KEY',
    });
  }
  const doFetch = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const limiter = new RateLimiter(MUTATIONS_PER_WINDOW, WINDOW_MS, now, sleep);

  const send = async (req: PushRequest): Promise<Response> => {
    try {
      return await doFetch(req.url, { method: req.method, headers: req.headers, ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new UserError(`cannot reach the Statsig Console API at ${apiUrl}${cause ? ` (${cause})` : ''}`, {
        hint: 'check --api-url and your network',
        code: 'PUSH_UNREACHABLE',
        cause: error,
      });
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
        { hint: 'fix the entity (see --out for the spec) or create it in the console, then run seed --push again: existing entities are skipped', code: 'PUSH_FAILED' },
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
    opts.onItem?.(item);
  }
  return result;
}

