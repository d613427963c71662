/**
 * Rollout records in the project store (table `rollouts`, migration 6): what is wanted
 * (`desired`), what was last seen (`state`, `objects`) and the inputs to plan it again (`spec`).
 */
import { UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';

export type Source = 'experiment' | 'config';
export type Desired = 'running' | 'promoted' | 'aborted' | 'applied';
export type State = 'applying' | 'progressing' | 'available' | 'failed' | 'promoted' | 'aborted' | 'applied';

export interface RolloutSpec {
  /** `param=target` texts (flags and spec merged), replayed by the watcher. */
  maps: string[];
  /** Replicas of the base before the rollout: split across groups, restored by abort. */
  totalReplicas: number;
  control?: string;
  /** The group promote writes into the base. */
  winner?: string;
}

export interface LiveObject {
  kind: string;
  name: string;
  group?: string;
  replicas?: number;
  available?: number;
}

export interface RolloutRecord {
  source: Source;
  name: string;
  namespace: string;
  deployment: string;
  desired: Desired;
  state: State;
  spec: RolloutSpec;
  objects: LiveObject[];
  message: string | null;
  updated_at: string;
}

const parse = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function fromRow(r: Record<string, unknown>): RolloutRecord {
  return {
    source: r.source as Source,
    name: String(r.name),
    namespace: String(r.namespace),
    deployment: String(r.deployment),
    desired: r.desired as Desired,
    state: r.state as State,
    spec: parse<RolloutSpec>(r.spec),
    objects: parse<LiveObject[]>(r.objects),
    message: typeof r.message === 'string' ? r.message : null,
    updated_at: r.updated_at instanceof Date ? r.updated_at.toISOString() : String(r.updated_at),
  };
}

export async function getRecord(store: Store, source: Source, name: string): Promise<RolloutRecord | null> {
  const rows = await store.all('SELECT * FROM rollouts WHERE source = $1 AND name = $2', [source, name]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function requireRecord(store: Store, name: string): Promise<RolloutRecord> {
  const r = await getRecord(store, 'experiment', name);
  if (r) return r;
  const known = (await listRecords(store)).filter((x) => x.source === 'experiment').map((x) => x.name);
  throw new UserError(`no rollout of experiment "${name}" in the project store`, {
    hint: known.length > 0 ? `rollouts: ${known.join(', ')}` : 'start one with `statsig-hack rollout start --experiment <name> --deployment <name>`',
    code: 'NO_ROLLOUT',
  });
}

export async function listRecords(store: Store): Promise<RolloutRecord[]> {
  return (await store.all('SELECT * FROM rollouts ORDER BY source, name')).map(fromRow);
}

export async function saveRecord(store: Store, r: Omit<RolloutRecord, 'updated_at'>): Promise<void> {
  await store.run(
    `INSERT INTO rollouts (source, name, namespace, deployment, desired, state, spec, objects, message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (source, name) DO UPDATE SET namespace = excluded.namespace, deployment = excluded.deployment, desired = excluded.desired,
       state = excluded.state, spec = excluded.spec, objects = excluded.objects, message = excluded.message, updated_at = now()`,
    [r.source, r.name, r.namespace, r.deployment, r.desired, r.state, JSON.stringify(r.spec), JSON.stringify(r.objects), r.message],
  );
}
