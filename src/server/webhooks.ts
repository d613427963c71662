/**
 * Changelog webhooks: which webhooks a change concerns, the messages (a Slack Block Kit message
 * for an incoming webhook, or a JSON event signed with HMAC-SHA256 in X-Signature), and the
 * persisted delivery queue: retries with exponential backoff, 429 Retry-After honoured, at most
 * one message per second per URL, dead letters after MAX_ATTEMPTS attempts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { retryDelayMs } from '../ai/seed/push.js';
import { stripControl, type Change } from './entities.js';
import type { Sql } from './repo.js';

export const WEBHOOK_SCOPES = ['project', 'experiments', 'gates'] as const;
export type WebhookScope = (typeof WEBHOOK_SCOPES)[number];
export const FORMATS = ['slack', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export const MAX_ATTEMPTS = 8;
/** Spacing of messages to one URL. */
export const PER_URL_INTERVAL_MS = 1000;
export const MAX_BACKOFF_MS = 5 * 60_000;
export const SEND_TIMEOUT_MS = 10_000;

export interface Webhook {
  id: string;
  scope: WebhookScope;
  /** The experiment or gate (id or name) for a scoped webhook; null for the project. */
  target: string | null;
  url: string;
  format: Format;
  secret: string | null;
}

export const WebhookInputSchema = z
  .object({
    url: z.string().url().max(2000).refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
    format: z.enum(FORMATS).default('slack'),
    experiment: z.string().min(1).max(200).optional(),
    gate: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((w) => !(w.experiment && w.gate), 'attach a webhook to an experiment or a gate, not both');

export interface EntityChange {
  kind: string;
  id: string;
  name: string;
  action: 'created' | 'updated' | 'deleted' | 'started' | 'stopped';
  diff: Change[];
  link: string | null;
}

export interface ChangeEvent {
  id: string;
  type: 'entities.changed' | 'test';
  at: number;
  actor: string;
  source: string;
  changes: EntityChange[];
}

export async function addWebhook(sql: Sql, input: z.infer<typeof WebhookInputSchema>): Promise<Webhook> {
  const scope: WebhookScope = input.experiment ? 'experiments' : input.gate ? 'gates' : 'project';
  const hook: Webhook = {
    id: `wh_${randomBytes(6).toString('hex')}`,
    scope,
    target: input.experiment ?? input.gate ?? null,
    url: input.url,
    format: input.format,
    secret: input.format === 'json' ? `whsec_${randomBytes(24).toString('base64url')}` : null,
  };
  await sql.run(`INSERT INTO webhooks (id, scope, target, url, format, secret) VALUES ($1, $2, $3, $4, $5, $6)`, [hook.id, hook.scope, hook.target, hook.url, hook.format, hook.secret]);
  return hook;
}

export async function loadWebhooks(sql: Sql): Promise<Webhook[]> {
  return sql.all<Webhook & Record<string, unknown>>(`SELECT id, scope, target, url, format, secret FROM webhooks ORDER BY created_at, id`);
}

/** The changes of an event a webhook is about (all for the project, else those of its entity). */
export function changesFor(hook: Webhook, changes: EntityChange[]): EntityChange[] {
  if (hook.scope === 'project') return changes;
  return changes.filter((c) => c.kind === hook.scope && (c.id === hook.target || c.name === hook.target));
}

export interface DeliveryRow {
  webhook_id: string;
  url: string;
  event: ChangeEvent;
}

/** One delivery per webhook the event concerns, with only the changes it is about. */
export function deliveriesFor(hooks: Webhook[], event: ChangeEvent): DeliveryRow[] {
  const out: DeliveryRow[] = [];
  for (const hook of hooks) {
    const changes = changesFor(hook, event.changes);
    if (changes.length > 0) out.push({ webhook_id: hook.id, url: hook.url, event: { ...event, changes } });
  }
  return out;
}

export async function insertDeliveries(sql: Sql, rows: DeliveryRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    await sql.run(
      `INSERT INTO webhook_deliveries (webhook_id, url, event, next_attempt_ms) VALUES ${chunk.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}, CAST($${3 * j + 3} AS JSON), 0)`).join(', ')}`,
      chunk.flatMap((r) => [r.webhook_id, r.url, JSON.stringify(r.event)]),
    );
  }
}

/** Queues one delivery per concerned webhook (inside the caller's transaction). Returns how many. */
export async function enqueue(sql: Sql, hooks: Webhook[], event: ChangeEvent): Promise<number> {
  const rows = deliveriesFor(hooks, event);
  await insertDeliveries(sql, rows);
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Messages

const MAX_VALUE_CHARS = 120;
const MAX_LINES = 25;

function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function show(v: unknown): string {
  const s = v === null || v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v);
  const clean = stripControl(s);
  return clean.length > MAX_VALUE_CHARS ? `${clean.slice(0, MAX_VALUE_CHARS - 1)}…` : clean;
}

const singular = (kind: string) => kind.replace(/s$/, '').replace(/_/g, ' ');

export function titleOf(event: ChangeEvent): string {
  if (event.type === 'test') return 'statsig-hack: test notification';
  const [one] = event.changes;
  if (event.changes.length === 1 && one) return `${singular(one.kind).replace(/^./, (c) => c.toUpperCase())} ${one.name} ${one.action}`;
  return `${event.source}: ${event.changes.length} entities changed`;
}

/** A Slack incoming-webhook message: header, who and when, the diff old -> new, links. */
export function slackMessage(event: ChangeEvent): { text: string; blocks: Record<string, unknown>[] } {
  const title = titleOf(event);
  const iso = new Date(event.at).toISOString();
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `by *${escapeMrkdwn(event.actor)}* via ${escapeMrkdwn(event.source)} · <!date^${Math.floor(event.at / 1000)}^{date_short_pretty} {time}|${iso}>` }],
    },
  ];
  for (const c of event.changes.slice(0, 10)) {
    const lines = c.diff.slice(0, MAX_LINES).map((d) => `• \`${escapeMrkdwn(d.field)}\`: ${escapeMrkdwn(show(d.old))} → ${escapeMrkdwn(show(d.new))}`);
    if (c.diff.length > MAX_LINES) lines.push(`… and ${c.diff.length - MAX_LINES} more fields`);
    const head = `*${escapeMrkdwn(singular(c.kind))} ${escapeMrkdwn(c.name)}* ${c.action}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${head}\n${lines.join('\n') || '(no field changed)'}`.slice(0, 3000) } });
    if (c.link) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${c.link}|Open ${escapeMrkdwn(singular(c.kind))} ${escapeMrkdwn(c.name)}>` }] });
  }
  if (event.changes.length > 10) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `… and ${event.changes.length - 10} more entities` }] });
  return { text: title, blocks };
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The HTTP request one delivery sends. */
export function requestFor(format: Format, secret: string | null, event: ChangeEvent): { body: string; headers: Record<string, string> } {
  if (format === 'slack') return { body: JSON.stringify(slackMessage(event)), headers: { 'content-type': 'application/json' } };
  const body = JSON.stringify(event);
  return { body, headers: { 'content-type': 'application/json', ...(secret ? { 'x-signature': sign(secret, body) } : {}) } };
}

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

// ---------------------------------------------------------------------------------------------
// Delivery

export interface DelivererDeps {
  /** Runs store work: through the writer queue in the server, directly in CLI commands. */
  exec<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  maxAttempts?: number;
}

interface Due extends Record<string, unknown> {
  id: number;
  url: string;
  event: string;
  attempts: number;
  next_attempt_ms: number;
  format: Format | null;
  secret: string | null;
}

export type Outcome = { id: number; url: string; status: 'delivered' | 'pending' | 'dead'; http: number | null; error: string | null };

export class Deliverer {
  private readonly lastSent = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  /** When the timer next needs to look at the queue (0: now; Infinity: not until poke()). */
  private nextCheck = 0;
  private readonly fetch: typeof globalThis.fetch;
  private readonly now: () => number;
  private readonly maxAttempts: number;

  constructor(private readonly deps: DelivererDeps) {
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.now = deps.now ?? Date.now;
    this.maxAttempts = deps.maxAttempts ?? MAX_ATTEMPTS;
  }

  /** Sends what is due: per URL the oldest pending message, if due and the URL's 1 s spacing allows. */
  async tick(): Promise<Outcome[]> {
    const rows = await this.deps.exec((sql) =>
      sql.all<Due>(
        `SELECT d.id, d.url, CAST(d.event AS VARCHAR) AS event, d.attempts, d.next_attempt_ms, w.format, w.secret
         FROM webhook_deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' ORDER BY d.id`,
      ),
    );
    const first = new Map<string, Due>();
    for (const r of rows) if (!first.has(r.url)) first.set(r.url, r);
    const now = this.now();
    const readyAt = (r: Due) => Math.max(Number(r.next_attempt_ms), (this.lastSent.get(r.url) ?? -Infinity) + PER_URL_INTERVAL_MS);
    const due = [...first.values()].filter((r) => readyAt(r) <= now);
    const later = [...first.values()].filter((r) => readyAt(r) > now).map(readyAt);
    // after sending, look again right away (the next message of a URL, a failed one's retry time)
    this.nextCheck = due.length > 0 ? 0 : Math.min(Infinity, ...later);
    return Promise.all(due.map((r) => this.send(r)));
  }

  private async send(r: Due): Promise<Outcome> {
    const attempts = Number(r.attempts) + 1;
    let http: number | null = null;
    let error: string | null = null;
    let retryAfter: string | null = null;
    this.lastSent.set(r.url, this.now());
    if (r.format === null) error = 'the webhook was removed';
    else {
      try {
        const req = requestFor(r.format, r.secret, JSON.parse(r.event) as ChangeEvent);
        const res = await this.fetch(r.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS), redirect: 'manual' });
        http = res.status;
        retryAfter = res.headers.get('retry-after');
        await res.body?.cancel().catch(() => undefined);
        if (!res.ok) error = `HTTP ${res.status}`;
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        error = (e as { name?: string }).name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS} ms` : `unreachable${cause ? ` (${cause})` : ''}`;
      }
    }
    const now = this.now();
    let status: Outcome['status'];
    if (error === null) status = 'delivered';
    else if (r.format === null || attempts >= this.maxAttempts) status = 'dead';
    else status = 'pending';
    const wait = http === 429 ? Math.max(PER_URL_INTERVAL_MS, retryDelayMs(retryAfter, attempts - 1, now)) : backoffMs(attempts);
    if (http === 429) this.lastSent.set(r.url, now + wait - PER_URL_INTERVAL_MS);
    await this.deps.exec((sql) =>
      sql.run(
        `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_ms = $4, last_status = $5, last_error = $6,
           delivered_at = CASE WHEN $2 = 'delivered' THEN current_timestamp ELSE NULL END WHERE id = $1`,
        [r.id, status, attempts, status === 'pending' ? now + wait : 0, http, error],
      ),
    );
    return { id: Number(r.id), url: r.url, status, http, error };
  }

  /** New deliveries were queued: look at the queue on the next timer tick. */
  poke(): void {
    this.nextCheck = 0;
  }

  /** Every `intervalMs` until stop(), looks at the queue when something may be due (no store work when idle). */
  start(intervalMs = 200): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.now() < this.nextCheck) return;
      this.nextCheck = Infinity;
      this.busy = this.busy.then(() => this.tick()).catch(() => (this.nextCheck = 0));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy;
  }

  /** Delivers until nothing is pending or `deadline` (ms since epoch) passes; returns every outcome. */
  async drain(deadline: number, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<Outcome[]> {
    const out: Outcome[] = [];
    while (this.now() < deadline) {
      out.push(...(await this.tick()));
      const left = await this.deps.exec((sql) => sql.all<{ n: number; next: number | null }>(`SELECT count(*) AS n, min(next_attempt_ms) AS next FROM webhook_deliveries WHERE status = 'pending'`));
      if (Number(left[0]?.n ?? 0) === 0) break;
      const next = Math.max(Number(left[0]?.next ?? 0), this.now() + 50);
      if (next > deadline) break;
      await sleep(Math.min(PER_URL_INTERVAL_MS, next - this.now()));
    }
    return out;
  }
}

export interface QueueStatus {
  counts: Record<'pending' | 'delivered' | 'dead', number>;
  webhooks: Omit<Webhook, 'secret'>[];
  dead: { id: number; url: string; attempts: number; last_status: number | null; last_error: string | null }[];
  pending: { id: number; url: string; attempts: number; next_attempt_ms: number; last_error: string | null }[];
}

export async function queueStatus(sql: Sql): Promise<QueueStatus> {
  const counts = { pending: 0, delivered: 0, dead: 0 };
  for (const r of await sql.all<{ status: keyof typeof counts; n: number }>(`SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status`)) counts[r.status] = Number(r.n);
  const hooks = (await loadWebhooks(sql)).map(({ secret: _s, ...h }) => h);
  const dead = await sql.all<QueueStatus['dead'][number] & Record<string, unknown>>(
    `SELECT id, url, attempts, last_status, last_error FROM webhook_deliveries WHERE status = 'dead' ORDER BY id LIMIT 100`,
  );
  const pending = await sql.all<QueueStatus['pending'][number] & Record<string, unknown>>(
    `SELECT id, url, attempts, next_attempt_ms, last_error FROM webhook_deliveries WHERE status = 'pending' ORDER BY id LIMIT 100`,
  );
  return { counts, webhooks: hooks, dead, pending };
}

/** Puts dead letters (all, or one by id) back in the queue with a fresh attempt count. */
export async function requeueDead(sql: Sql, id?: number): Promise<number> {
  const rows = await sql.all<{ n: number }>(
    `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_ms = 0 WHERE status = 'dead'${id === undefined ? '' : ' AND id = $1'} RETURNING id`,
    id === undefined ? [] : [id],
  );
  return rows.length;
}

/** A webhook URL for output: long path segments (Slack's tokens) shortened, no query string. */
export function maskUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname.replace(/[^/]{9,}/g, (s) => `${s.slice(0, 3)}…`)}`;
  } catch {
    return '(invalid URL)';
  }
}

/** The sample event `notify test` sends. */
export function sampleEvent(now: number): ChangeEvent {
  return {
    id: `evt_test_${now}`,
    type: 'test',
    at: now,
    actor: 'cli',
    source: 'notify test',
    changes: [{ kind: 'experiments', id: 'sample_experiment', name: 'sample_experiment', action: 'updated', diff: [{ field: 'status', old: 'setup', new: 'active' }], link: null }],
  };
}

/** Sends one event now, outside the queue (notify test). */
export async function sendNow(url: string, format: Format, secret: string | null, event: ChangeEvent, fetchImpl: typeof globalThis.fetch = globalThis.fetch): Promise<{ status: number | null; error: string | null }> {
  const req = requestFor(format, secret, event);
  try {
    const res = await fetchImpl(url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS), redirect: 'manual' });
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { status: null, error: (e as { name?: string }).name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS} ms` : `unreachable${cause ? ` (${cause})` : ''}` };
  }
}
