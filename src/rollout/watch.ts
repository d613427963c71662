/**
 * The operator loop of `rollout watch`: every interval, take or renew a Lease (only its holder
 * acts), then run one level-based reconcile pass. Restart-safe: the Lease expires when a holder
 * dies, and every pass recomputes what to do from the store and the cluster, not from events.
 */
import { errorMessage } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { leaseDecision, type Cluster } from './cluster.js';
import { reconcileOnce, type ReconcileAction } from './service.js';

export interface WatchOptions {
  cluster: Cluster;
  openStore: () => Promise<Store>;
  identity: string;
  leaseName: string;
  leaseNamespace: string;
  leaseSeconds: number;
  intervalMs: number;
  /** Stop after this many passes (0 = until the signal). */
  passes: number;
  signal?: AbortSignal;
  now?: () => Date;
  onTick?: (t: Tick) => void;
}

export interface Tick {
  pass: number;
  /** When the pass started (ISO). */
  time: string;
  leader: boolean;
  holder: string | null;
  actions: ReconcileAction[];
  error?: string;
}

/** Takes or keeps the lease; returns whether we hold it, and who does. */
export async function holdLease(cluster: Cluster, o: Pick<WatchOptions, 'identity' | 'leaseName' | 'leaseNamespace' | 'leaseSeconds'>, now: Date): Promise<{ leader: boolean; holder: string | null }> {
  const lease = await cluster.getLease(o.leaseNamespace, o.leaseName);
  const decision = leaseDecision(lease, o.identity, now);
  if (decision === 'held') return { leader: false, holder: lease?.holder ?? null };
  const next = {
    name: o.leaseName,
    namespace: o.leaseNamespace,
    holder: o.identity,
    durationSeconds: o.leaseSeconds,
    renewTime: now.toISOString(),
    transitions: (lease?.transitions ?? 0) + (decision === 'take' ? 1 : 0),
    ...(lease?.resourceVersion === undefined ? {} : { resourceVersion: lease.resourceVersion }),
  };
  const ok = await cluster.writeLease(next);
  return ok ? { leader: true, holder: o.identity } : { leader: false, holder: (await cluster.getLease(o.leaseNamespace, o.leaseName))?.holder ?? null };
}

export async function watchLoop(o: WatchOptions): Promise<number> {
  const now = o.now ?? (() => new Date());
  let pass = 0;
  while (!o.signal?.aborted) {
    pass += 1;
    const started = now();
    const tick: Tick = { pass, time: started.toISOString(), leader: false, holder: null, actions: [] };
    try {
      const l = await holdLease(o.cluster, o, started);
      tick.leader = l.leader;
      tick.holder = l.holder;
      if (l.leader) {
        const store = await o.openStore();
        try {
          tick.actions = await reconcileOnce({ store, cluster: o.cluster }, o.cluster.namespace);
        } finally {
          store.close();
        }
      }
    } catch (error) {
      tick.error = errorMessage(error);
    }
    o.onTick?.(tick);
    if (o.passes > 0 && pass >= o.passes) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.intervalMs);
      o.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
  return pass;
}
