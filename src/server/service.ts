/**
 * The Console API service behind `serve`: reads from the Sigma cache (or from the store with
 * `--no-cache`), writes through the one writer queue (store first, then the cache), one audit row
 * per mutation and the webhook deliveries it causes in the same transaction.
 */
import type { z } from 'zod';
import type { Store } from '../store/store.js';
import { SigmaCache } from './cache.js';
import {
  createSchema,
  diff,
  etag,
  fullSchema,
  idFromName,
  nameOf,
  ifMatchOk,
  patchSchema,
  semanticProblem,
  withServerFields,
  type Entity,
  type Kind,
  type ListQuery,
} from './entities.js';
import { loadKeys, type KeyInfo } from './keys.js';
import { getEntity, insertAuditRows, listEntities, loadEntities, readAudit, sqlOf, writeEntities, type AuditEntry, type Sql } from './repo.js';
import { Deliverer, WebhookInputSchema, addWebhook, deliveriesFor, insertDeliveries, loadWebhooks, type DeliveryRow, type EntityChange, type Webhook } from './webhooks.js';
import { ApiError, WriteQueue, type Batch } from './writer.js';

export interface ServiceOptions {
  cache: boolean;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
  /** Base of links in notifications, e.g. http://127.0.0.1:8787. */
  baseUrl?: string;
}

export interface Actor {
  id: string;
  source: string;
}

type Action = EntityChange['action'];

const overlayKey = (kind: Kind, id: string) => `${kind}\u0000${id}`;

function push(b: Batch, table: string, row: unknown): void {
  let list = b.rows.get(table);
  if (!list) b.rows.set(table, (list = []));
  list.push(row);
}

export function zodProblem(error: z.ZodError): ApiError {
  return new ApiError(
    400,
    `invalid body: ${error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ')}`,
    error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message })),
  );
}

export class ConsoleService {
  readonly writer: WriteQueue;
  readonly deliverer: Deliverer;
  baseUrl: string;
  private readonly now: () => number;
  private lastNow = 0;

  private constructor(
    readonly store: Store,
    readonly cache: SigmaCache | null,
    readonly reader: Sql,
    private readonly readerConn: { closeSync(): void },
    readonly keys: Map<string, KeyInfo>,
    private hooks: Webhook[],
    opts: ServiceOptions,
  ) {
    this.writer = new WriteQueue(store, (b) => this.flush(b));
    this.now = opts.now ?? Date.now;
    this.baseUrl = opts.baseUrl ?? '';
    this.deliverer = new Deliverer({ exec: (fn) => this.writer.submit((b) => fn(b.sql)), ...(opts.fetch ? { fetch: opts.fetch } : {}), now: this.now });
  }

  /** Opens the service over a migrated store: loads keys and webhooks, and rebuilds the cache unless `cache` is false. */
  static async open(store: Store, opts: ServiceOptions): Promise<ConsoleService> {
    const conn = await store.connect();
    const entities = await loadEntities(store);
    const cache = opts.cache ? new SigmaCache(entities) : null;
    const service = new ConsoleService(store, cache, sqlOf(conn), conn, await loadKeys(store), await loadWebhooks(store), opts);
    // versions (ETags) are write times: never reuse one, even if the clock went back since the last run
    service.lastNow = entities.reduce((m, e) => Math.max(m, e.updatedAt), 0);
    return service;
  }

  /** A strictly increasing clock, so that creation order is a total order. */
  private tick(): number {
    this.lastNow = Math.max(this.now(), this.lastNow + 1);
    return this.lastNow;
  }

  async get(kind: Kind, idOrName: string): Promise<Entity | undefined> {
    return this.cache ? this.cache.get(kind, idOrName) : getEntity(this.reader, kind, idOrName);
  }

  async list(kind: Kind, q: ListQuery): Promise<{ items: Entity[]; total: number }> {
    return this.cache ? this.cache.list(kind, q) : listEntities(this.reader, kind, q);
  }

  async audit(q: { limit: number; page: number; kind?: string | undefined; entity?: string | undefined }) {
    return readAudit(this.reader, q);
  }

  webhooks(): Omit<Webhook, 'secret'>[] {
    return this.hooks.map(({ secret: _secret, ...h }) => h);
  }

  /** The current entity as this batch sees it (earlier writes of the batch first). */
  private async current(b: Batch, kind: Kind, idOrName: string): Promise<Entity | undefined> {
    const direct = b.overlay.get(overlayKey(kind, idOrName));
    if (direct !== undefined) return (direct as Entity | null) ?? undefined;
    for (const v of b.overlay.values()) {
      const e = v as Entity | null;
      if (e && e.kind === kind && e.body.name === idOrName) return e;
    }
    const found = this.cache ? this.cache.get(kind, idOrName) : await getEntity(b.sql, kind, idOrName);
    if (found && b.overlay.has(overlayKey(kind, found.id))) return (b.overlay.get(overlayKey(kind, found.id)) as Entity | null) ?? undefined;
    return found;
  }

  /** One mutation in the writer queue: plan it against the current state, write, audit, notify. */
  private mutate(
    kind: Kind,
    idOrName: string,
    actor: Actor,
    ifMatch: string | undefined,
    plan: (current: Entity | undefined) => { next: Entity | null; action: Action },
  ): Promise<Entity | null> {
    return this.writer.submit(async (b) => {
      const current = await this.current(b, kind, idOrName);
      if (current && !ifMatchOk(ifMatch, current)) throw new ApiError(412, `the ${kind.replace(/s$/, '')} ${current.id} changed (its ETag is now ${etag(current)}); read it again and retry`);
      const { next, action } = plan(current);
      const target = next ?? current;
      if (!target) throw new ApiError(404, `no ${kind.replace(/s$/, '')} ${idOrName}`);
      const changes = diff(current?.body ?? null, next?.body ?? null);
      const at = next?.updatedAt ?? this.tick();
      const audit: Omit<AuditEntry, 'seq'> = { at, actor: actor.id, source: actor.source, action, kind, entity_id: target.id, diff: changes };
      const change: EntityChange = { kind, id: target.id, name: nameOf(target), action, diff: changes, link: next && this.baseUrl ? `${this.baseUrl}/console/v1/${kind}/${encodeURIComponent(target.id)}` : null };
      const deliveries = deliveriesFor(this.hooks, { id: `evt_${kind}_${target.id}_${at}`, type: 'entities.changed', at, actor: actor.id, source: actor.source, changes: [change] });
      // nothing below can fail: the job's rows are queued for the batch's flush
      b.overlay.set(overlayKey(kind, target.id), next);
      push(b, 'audit', audit);
      for (const d of deliveries) push(b, 'deliveries', d);
      if (deliveries.length > 0) b.afterCommit(() => this.deliverer.poke());
      const cache = this.cache;
      if (cache) b.afterCommit(() => (next ? cache.put(next) : cache.remove(kind, target.id)));
      return next;
    });
  }

  create(kind: Kind, raw: unknown, actor: Actor): Promise<Entity> {
    const parsed = createSchema(kind).safeParse(raw);
    if (!parsed.success) return Promise.reject(zodProblem(parsed.error));
    const body = withServerFields(kind, raw as Record<string, unknown>);
    const id = idFromName(String(body.name));
    return this.mutate(kind, id, actor, undefined, (current) => {
      if (current) throw new ApiError(409, `a ${kind.replace(/s$/, '')} named ${String(body.name)} exists (id ${current.id})`);
      const at = this.tick();
      return { next: { kind, id, createdAt: at, updatedAt: at, body }, action: 'created' };
    }) as Promise<Entity>;
  }

  /** PATCH (partial: fields merged over the current ones) or full update (the body replaces them). */
  update(kind: Kind, idOrName: string, raw: unknown, actor: Actor, ifMatch: string | undefined, partial: boolean): Promise<Entity> {
    const parsed = (partial ? patchSchema(kind) : fullSchema(kind)).safeParse(raw);
    if (!parsed.success) return Promise.reject(zodProblem(parsed.error));
    const patch = raw as Record<string, unknown>;
    return this.mutate(kind, idOrName, actor, ifMatch, (current) => {
      if (!current) throw new ApiError(404, `no ${kind.replace(/s$/, '')} ${idOrName}`);
      const merged = withServerFields(kind, partial ? { ...current.body, ...patch } : { ...patch, ...(kind === 'experiments' && !patch.status ? { status: current.body.status } : {}) });
      const full = fullSchema(kind).safeParse(merged);
      if (!full.success) throw zodProblem(full.error);
      const problem = semanticProblem(kind, merged);
      if (problem) throw new ApiError(400, problem);
      return { next: { ...current, updatedAt: this.tick(), body: merged }, action: 'updated' };
    }) as Promise<Entity>;
  }

  remove(kind: Kind, idOrName: string, actor: Actor, ifMatch: string | undefined): Promise<void> {
    return this.mutate(kind, idOrName, actor, ifMatch, (current) => {
      if (!current) throw new ApiError(404, `no ${kind.replace(/s$/, '')} ${idOrName}`);
      return { next: null, action: 'deleted' };
    }).then(() => undefined);
  }

  /** Experiment start (setup -> active) and stop (active -> experiment_stopped). */
  transition(idOrName: string, to: 'start' | 'stop', actor: Actor, ifMatch: string | undefined): Promise<Entity> {
    return this.mutate('experiments', idOrName, actor, ifMatch, (current) => {
      if (!current) throw new ApiError(404, `no experiment ${idOrName}`);
      const status = typeof current.body.status === 'string' ? current.body.status : 'setup';
      const [from, next] = to === 'start' ? [['setup'], 'active'] : [['active'], 'experiment_stopped'];
      if (!from.includes(status)) throw new ApiError(400, `cannot ${to} experiment ${current.id}: its status is ${status} (${to} needs ${from.join(' or ')})`);
      return { next: { ...current, updatedAt: this.tick(), body: { ...current.body, status: next } }, action: to === 'start' ? 'started' : 'stopped' };
    }) as Promise<Entity>;
  }

  /** Before COMMIT: the batch's final entity states, its audit rows and deliveries, in bulk. */
  private async flush(b: Batch): Promise<void> {
    const finals = [...b.overlay.entries()].map(([k, v]) => {
      const [kind, id] = k.split('\u0000') as [Kind, string];
      return { kind, id, entity: v as Entity | null };
    });
    if (finals.length > 0) await writeEntities(b.sql, finals);
    const audit = (b.rows.get('audit') ?? []) as Omit<AuditEntry, 'seq'>[];
    if (audit.length > 0) await insertAuditRows(b.sql, audit);
    const deliveries = (b.rows.get('deliveries') ?? []) as DeliveryRow[];
    if (deliveries.length > 0) await insertDeliveries(b.sql, deliveries);
  }

  addWebhook(raw: unknown): Promise<Webhook> {
    const parsed = WebhookInputSchema.safeParse(raw);
    if (!parsed.success) return Promise.reject(zodProblem(parsed.error));
    return this.writer.submit(async (b) => {
      const hook = await addWebhook(b.sql, parsed.data);
      b.afterCommit(() => (this.hooks = [...this.hooks, hook]));
      return hook;
    });
  }

  /** Waits for queued writes and stops delivering (the store stays open). */
  async close(): Promise<void> {
    await this.deliverer.stop();
    await this.writer.whenIdle();
    this.readerConn.closeSync();
  }
}
