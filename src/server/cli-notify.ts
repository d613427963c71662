/**
 * Changes made by CLI commands that write entities (seed, push, ideas --create): one audit row per
 * entity and one delivery per concerned webhook, in one transaction, then a bounded delivery.
 */
import type { Store } from '../store/store.js';
import type { Change } from './entities.js';
import { insertAudit } from './repo.js';
import { Deliverer, enqueue, loadWebhooks, type EntityChange, type Outcome } from './webhooks.js';

export interface CliChange {
  kind: string;
  id: string;
  action: EntityChange['action'];
  diff?: Change[];
}

export interface CliNotifyResult {
  audited: number;
  queued: number;
  delivered: number;
  pending: number;
  dead: number;
}

/** One line on stderr about what the run's notifications did (nothing when no webhook is concerned). */
export function reportNotify(out: { info(text: string): void; warn(text: string): void }, r: CliNotifyResult): void {
  if (r.queued === 0) return;
  if (r.pending + r.dead === 0) out.info(`Notified ${r.delivered} webhook${r.delivered === 1 ? '' : 's'} of the changes.`);
  else out.warn(`${r.delivered} of ${r.queued} webhook notifications delivered; ${r.pending} pending, ${r.dead} dead: see statsig-hack notify status, then notify retry`);
}

/** Records and sends the changes of one command run; waits at most `waitMs` for delivery. */
export async function notifyCliChanges(
  store: Store,
  source: string,
  changes: CliChange[],
  opts: { waitMs?: number; fetch?: typeof globalThis.fetch; now?: () => number } = {},
): Promise<CliNotifyResult> {
  const now = opts.now ?? Date.now;
  if (changes.length === 0) return { audited: 0, queued: 0, delivered: 0, pending: 0, dead: 0 };
  const at = now();
  const entityChanges: EntityChange[] = changes.map((c) => ({ kind: c.kind, id: c.id, name: c.id, action: c.action, diff: c.diff ?? [], link: null }));
  const queued = await store.transaction(async () => {
    for (const c of entityChanges) await insertAudit(store, { at, actor: 'cli', source, action: c.action, kind: c.kind, entity_id: c.id, diff: c.diff });
    return enqueue(store, await loadWebhooks(store), { id: `evt_${source}_${at}`, type: 'entities.changed', at, actor: 'cli', source, changes: entityChanges });
  });
  let outcomes: Outcome[] = [];
  if (queued > 0) {
    const deliverer = new Deliverer({ exec: (fn) => fn(store), ...(opts.fetch ? { fetch: opts.fetch } : {}), now });
    outcomes = await deliverer.drain(now() + (opts.waitMs ?? 10_000));
  }
  const last = new Map<number, Outcome>();
  for (const o of outcomes) last.set(o.id, o);
  const final = [...last.values()];
  return {
    audited: changes.length,
    queued,
    delivered: final.filter((o) => o.status === 'delivered').length,
    dead: final.filter((o) => o.status === 'dead').length,
    pending: queued - final.filter((o) => o.status !== 'pending').length,
  };
}
