/**
 * The rollout services: start (plan, apply, wait, record), status, promote, abort, apply a
 * dynamic config, and the reconcile step of the watcher. They take a Cluster and a Store and
 * return plain data; progress goes through a callback.
 */
import { UserError, errorMessage } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { Cluster } from './cluster.js';
import {
  LABEL_EXPERIMENT,
  LABEL_CONFIG,
  experimentGroups,
  labelValue,
  mappingsFrom,
  planRollout,
  promotionApplies,
  referencedConfigMaps,
  replicasApply,
  type ConfigMap,
  type Deployment,
  type Group,
  type KubeObject,
  type RolloutPlan,
} from './manifest.js';
import { getRecord, listRecords, saveRecord, type LiveObject, type RolloutRecord, type RolloutSpec } from './records.js';

export interface Progress {
  label: string;
  done: number;
  total: number;
}

export interface Deps {
  store: Store;
  cluster: Cluster;
  onProgress?: (p: Progress) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An entity's spec from the store, or a UserError listing the names that exist. */
export async function loadEntity(store: Store, kind: 'experiments' | 'dynamic_configs', name: string): Promise<Record<string, unknown>> {
  const rows = await store.all<{ spec: unknown }>('SELECT spec FROM entities WHERE kind = $1 AND name = $2', [kind, name]);
  const row = rows[0];
  if (!row) {
    const known = (await store.all<{ name: string }>('SELECT name FROM entities WHERE kind = $1 ORDER BY name', [kind])).map((r) => r.name);
    const what = kind === 'experiments' ? 'experiment' : 'dynamic config';
    throw new UserError(`no ${what} named "${name}" in the project store`, { hint: known.length > 0 ? `${what}s: ${known.slice(0, 20).join(', ')}` : 'run `statsig-hack seed` or `statsig-hack init` first', code: 'UNKNOWN_ENTITY' });
  }
  return typeof row.spec === 'string' ? (JSON.parse(row.spec) as Record<string, unknown>) : (row.spec as Record<string, unknown>);
}

/** The `rollout` block of an experiment or config spec: deployment, namespace, map. */
export function rolloutBlock(spec: Record<string, unknown>): { deployment?: string; namespace?: string; map?: unknown; enabled?: boolean } {
  const r = spec.rollout;
  if (!r || typeof r !== 'object') return {};
  const o = r as Record<string, unknown>;
  return {
    deployment: typeof o.deployment === 'string' ? o.deployment : undefined,
    namespace: typeof o.namespace === 'string' ? o.namespace : undefined,
    map: o.map,
    enabled: o.enabled === true,
  };
}

export interface PlanRequest {
  experiment: string;
  spec: Record<string, unknown>;
  base: Deployment;
  configMaps: readonly ConfigMap[];
  namespace: string;
  maps: readonly string[];
  totalReplicas?: number | undefined;
}

export function makePlan(req: PlanRequest): RolloutPlan {
  const { groups, control } = experimentGroups(req.experiment, req.spec);
  const mappings = mappingsFrom(rolloutBlock(req.spec).map, req.maps);
  return planRollout({ experiment: req.experiment, namespace: req.namespace, base: req.base, configMaps: req.configMaps, groups, control, mappings, totalReplicas: req.totalReplicas });
}

/** Reads the base Deployment and the ConfigMaps it uses from the cluster. */
export async function readBase(cluster: Cluster, namespace: string, name: string): Promise<{ base: Deployment; configMaps: ConfigMap[] }> {
  const base = (await cluster.get('Deployment', namespace, name)) as Deployment | null;
  if (!base) throw new UserError(`no Deployment "${name}" in namespace ${namespace} (${cluster.describe})`, { hint: 'check the name and -n <namespace> (kubectl get deployments -n <namespace>)', code: 'NO_DEPLOYMENT' });
  const configMaps: ConfigMap[] = [];
  for (const cm of referencedConfigMaps(base)) {
    const o = (await cluster.get('ConfigMap', namespace, cm));
    if (o) configMaps.push(o);
  }
  return { base, configMaps };
}

/** Whether a Deployment read back has all its replicas updated and available. */
export function isAvailable(d: Deployment): boolean {
  const s = (d.status ?? {}) as { observedGeneration?: number; availableReplicas?: number; updatedReplicas?: number };
  const want = d.spec.replicas ?? 1;
  const gen = Number(d.metadata.generation ?? 0);
  return (s.observedGeneration ?? 0) >= gen && (s.availableReplicas ?? 0) >= want && (s.updatedReplicas ?? 0) >= want;
}

export async function waitAvailable(deps: Deps, namespace: string, names: readonly string[], timeoutMs: number, intervalMs = 1000): Promise<{ ready: string[]; pending: string[] }> {
  const sleep = deps.sleep ?? defaultSleep;
  const started = Date.now();
  const ready = new Set<string>();
  for (;;) {
    for (const n of names) {
      if (ready.has(n)) continue;
      const d = (await deps.cluster.get('Deployment', namespace, n)) as Deployment | null;
      if (d && isAvailable(d)) ready.add(n);
    }
    deps.onProgress?.({ label: `waiting for ${names.length} Deployment(s) to become available`, done: ready.size, total: names.length });
    if (ready.size === names.length || Date.now() - started >= timeoutMs) break;
    await sleep(intervalMs);
  }
  return { ready: names.filter((n) => ready.has(n)), pending: names.filter((n) => !ready.has(n)) };
}

/** What the cluster holds for a rollout: objects labelled with it, plus the base. */
export async function liveObjects(cluster: Cluster, namespace: string, selector: string, base: string): Promise<LiveObject[]> {
  const out: LiveObject[] = [];
  const b = (await cluster.get('Deployment', namespace, base)) as Deployment | null;
  if (b) out.push(describeLive(b));
  for (const kind of ['ConfigMap', 'Deployment'] as const) for (const o of await cluster.list(kind, namespace, selector)) out.push(describeLive(o));
  return out;
}

function describeLive(o: KubeObject): LiveObject {
  if (o.kind !== 'Deployment') return { kind: o.kind, name: o.metadata.name, group: o.metadata.labels?.['statsig-hack/group'] };
  const d = o as Deployment;
  const s = (d.status ?? {}) as { availableReplicas?: number };
  return { kind: 'Deployment', name: d.metadata.name, group: d.metadata.labels?.['statsig-hack/group'], replicas: d.spec.replicas ?? 1, available: s.availableReplicas ?? 0 };
}

const selectorFor = (experiment: string) => `${LABEL_EXPERIMENT}=${labelValue(experiment)}`;

export interface StartRequest {
  experiment: string;
  deployment: string;
  namespace: string;
  maps: string[];
  totalReplicas?: number | undefined;
  timeoutMs: number;
  /** Take spec.replicas of the base from its other field managers (the control keeps the rest). */
  wait: boolean;
}

export interface StartResult {
  experiment: string;
  namespace: string;
  state: RolloutRecord['state'];
  groups: { group: string; deployment: string; replicas: number }[];
  applied: string[];
  objects: LiveObject[];
  warnings: string[];
}

/**
 * Applies a rollout: ConfigMap copies, Deployment copies, then the control's replicas. When an
 * apply fails, what this run created is deleted again and the record says what still exists.
 */
export async function startRollout(deps: Deps, req: StartRequest): Promise<StartResult> {
  const { store, cluster } = deps;
  const existing = await getRecord(store, 'experiment', req.experiment);
  if (existing && (existing.state === 'available' || existing.state === 'progressing' || existing.state === 'applying')) {
    throw new UserError(`experiment ${req.experiment} is already rolled out (${existing.state}) to ${existing.namespace}/${existing.deployment}`, {
      hint: `see \`statsig-hack rollout status ${req.experiment}\`, or end it with \`rollout promote\` / \`rollout abort\` first`,
      code: 'ROLLOUT_EXISTS',
    });
  }
  const spec = await loadEntity(store, 'experiments', req.experiment);
  const { base, configMaps } = await readBase(cluster, req.namespace, req.deployment);
  const plan = makePlan({ experiment: req.experiment, spec, base, configMaps, namespace: req.namespace, maps: req.maps, totalReplicas: req.totalReplicas });
  const rspec: RolloutSpec = { maps: req.maps, totalReplicas: plan.baseReplicas, control: plan.control };
  const record = { source: 'experiment' as const, name: req.experiment, namespace: req.namespace, deployment: req.deployment, desired: 'running' as const, spec: rspec };
  await saveRecord(store, { ...record, state: 'applying', objects: [], message: null });
  const applied: KubeObject[] = [];
  try {
    for (const o of plan.objects) {
      deps.onProgress?.({ label: `applying ${o.kind}/${o.metadata.name}`, done: applied.length, total: plan.objects.length + 1 });
      await cluster.apply(o, false);
      applied.push(o);
    }
    await cluster.apply(plan.baseApply, true);
  } catch (error) {
    const undone: string[] = [];
    const left: string[] = [];
    for (const o of [...applied].reverse()) {
      try {
        await cluster.remove(o.kind as 'Deployment' | 'ConfigMap', req.namespace, o.metadata.name);
        undone.push(`${o.kind}/${o.metadata.name}`);
      } catch {
        left.push(`${o.kind}/${o.metadata.name}`);
      }
    }
    let objects: LiveObject[] = [];
    try {
      objects = await liveObjects(cluster, req.namespace, selectorFor(req.experiment), req.deployment);
    } catch {
      objects = applied.filter((o) => left.includes(`${o.kind}/${o.metadata.name}`)).map((o) => ({ kind: o.kind, name: o.metadata.name }));
    }
    const message = `apply failed: ${errorMessage(error)}; rolled back ${undone.length} object(s)${left.length > 0 ? `, could not delete ${left.join(', ')}` : ''}`;
    await saveRecord(store, { ...record, desired: 'aborted', state: 'failed', objects, message });
    const copies = objects.filter((o) => o.name !== req.deployment);
    throw new UserError(`rollout of ${req.experiment} failed: ${errorMessage(error)}`, {
      hint: copies.length === 0 ? `nothing was left half-rolled: ${undone.length > 0 ? `removed ${undone.join(', ')}` : 'nothing had been created'}; the base Deployment is unchanged` : `still in the cluster: ${copies.map((o) => `${o.kind}/${o.name}`).join(', ')}; run \`statsig-hack rollout abort ${req.experiment}\``,
      code: 'ROLLOUT_FAILED',
      cause: error,
    });
  }
  const names = plan.groups.map((g) => g.deployment);
  let state: RolloutRecord['state'] = 'progressing';
  let pending: string[] = names;
  if (req.wait) {
    const w = await waitAvailable(deps, req.namespace, names, req.timeoutMs);
    pending = w.pending;
    state = pending.length === 0 ? 'available' : 'progressing';
  }
  const objects = await liveObjects(cluster, req.namespace, selectorFor(req.experiment), req.deployment);
  await saveRecord(store, { ...record, state, objects, message: pending.length > 0 && req.wait ? `not available after ${Math.round(req.timeoutMs / 1000)}s: ${pending.join(', ')}` : null });
  if (req.wait && pending.length > 0) {
    throw new UserError(`rollout of ${req.experiment} applied, but ${pending.join(', ')} did not become available within ${Math.round(req.timeoutMs / 1000)}s`, {
      hint: `check the pods (kubectl describe deployment ${pending[0] ?? ''} -n ${req.namespace}); \`statsig-hack rollout status ${req.experiment}\` shows progress, \`rollout abort\` removes the copies`,
      code: 'ROLLOUT_TIMEOUT',
    });
  }
  return { experiment: req.experiment, namespace: req.namespace, state, groups: plan.groups.map((g) => ({ group: g.group, deployment: g.deployment, replicas: g.replicas })), applied: [...plan.objects.map((o) => `${o.kind}/${o.metadata.name}`), `Deployment/${req.deployment} (replicas)`], objects, warnings: plan.warnings };
}

export interface StatusResult {
  record: RolloutRecord;
  live: LiveObject[] | null;
  liveError: string | null;
}

export async function rolloutStatus(cluster: Cluster, record: RolloutRecord): Promise<StatusResult> {
  try {
    const live = await liveObjects(cluster, record.namespace, record.source === 'experiment' ? selectorFor(record.name) : `${LABEL_CONFIG}=${labelValue(record.name)}`, record.deployment);
    return { record, live, liveError: null };
  } catch (error) {
    return { record, live: null, liveError: errorMessage(error) };
  }
}

/** Deletes every copy labelled with the experiment. Returns what it deleted. */
async function deleteCopies(cluster: Cluster, namespace: string, experiment: string, base: string): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of ['Deployment', 'ConfigMap'] as const) {
    for (const o of await cluster.list(kind, namespace, selectorFor(experiment))) {
      if (o.metadata.name === base) continue;
      if (await cluster.remove(kind, namespace, o.metadata.name)) removed.push(`${kind}/${o.metadata.name}`);
    }
  }
  return removed;
}

/** Puts the base's replicas back to what it had before the rollout. */
async function restoreReplicas(cluster: Cluster, record: RolloutRecord): Promise<void> {
  const base = (await cluster.get('Deployment', record.namespace, record.deployment)) as Deployment | null;
  if (!base) return;
  if (base.spec.replicas === record.spec.totalReplicas) return;
  await cluster.apply(replicasApply(record.deployment, record.namespace, record.spec.totalReplicas), true);
}

export interface EndResult {
  experiment: string;
  state: RolloutRecord['state'];
  removed: string[];
  applied: string[];
  objects: LiveObject[];
}

export async function abortRollout(deps: Deps, record: RolloutRecord): Promise<EndResult> {
  await saveRecord(deps.store, { ...record, desired: 'aborted' });
  const removed = await deleteCopies(deps.cluster, record.namespace, record.name, record.deployment);
  await restoreReplicas(deps.cluster, record);
  const objects = await liveObjects(deps.cluster, record.namespace, selectorFor(record.name), record.deployment);
  await saveRecord(deps.store, { ...record, desired: 'aborted', state: 'aborted', objects, message: null });
  return { experiment: record.name, state: 'aborted', removed, applied: [`Deployment/${record.deployment} (replicas ${record.spec.totalReplicas})`], objects };
}

/** The group of an experiment, or a UserError listing the groups. */
export function findGroup(experiment: string, spec: Record<string, unknown>, name: string): Group {
  const { groups } = experimentGroups(experiment, spec);
  const g = groups.find((x) => x.name === name) ?? groups.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!g) throw new UserError(`experiment ${experiment} has no group "${name}"`, { hint: `groups: ${groups.map((x) => x.name).join(', ')}`, code: 'UNKNOWN_GROUP', exitCode: 2 });
  return g;
}

/** Writes the winner's fields into the base Deployment (and ConfigMaps), restores replicas, deletes the copies. */
export async function promoteRollout(deps: Deps, record: RolloutRecord, groupName: string): Promise<EndResult> {
  const spec = await loadEntity(deps.store, 'experiments', record.name);
  const group = findGroup(record.name, spec, groupName);
  const { base, configMaps } = await readBase(deps.cluster, record.namespace, record.deployment);
  const mappings = mappingsFrom(rolloutBlock(spec).map, record.spec.maps);
  const applies = record.spec.control === group.name ? [] : promotionApplies(base, configMaps, group, mappings, record.namespace, record.spec.totalReplicas);
  await saveRecord(deps.store, { ...record, desired: 'promoted', spec: { ...record.spec, winner: group.name } });
  for (const o of applies) await deps.cluster.apply(o, true);
  await restoreReplicas(deps.cluster, record);
  const removed = await deleteCopies(deps.cluster, record.namespace, record.name, record.deployment);
  const objects = await liveObjects(deps.cluster, record.namespace, selectorFor(record.name), record.deployment);
  await saveRecord(deps.store, { ...record, desired: 'promoted', state: 'promoted', spec: { ...record.spec, winner: group.name }, objects, message: null });
  return { experiment: record.name, state: 'promoted', removed, applied: applies.map((o) => `${o.kind}/${o.metadata.name}`), objects };
}

export interface ApplyConfigRequest {
  config: string;
  deployment?: string | undefined;
  namespace?: string | undefined;
  maps: string[];
  timeoutMs: number;
  wait: boolean;
}

/** Applies a dynamic config's default values to a Deployment in one shot. */
export async function applyConfig(deps: Deps, req: ApplyConfigRequest, defaultNamespace: string): Promise<EndResult & { namespace: string; deployment: string }> {
  const spec = await loadEntity(deps.store, 'dynamic_configs', req.config);
  const block = rolloutBlock(spec);
  const deployment = req.deployment ?? block.deployment;
  if (!deployment) throw new UserError(`which Deployment should ${req.config} be applied to?`, { hint: 'pass --deployment <name> (or set rollout.deployment in the config spec)', code: 'USAGE', exitCode: 2 });
  const namespace = req.namespace ?? block.namespace ?? defaultNamespace;
  const values = spec.defaultValue && typeof spec.defaultValue === 'object' ? (spec.defaultValue as Record<string, unknown>) : {};
  const { base, configMaps } = await readBase(deps.cluster, namespace, deployment);
  const mappings = mappingsFrom(block.map, req.maps);
  const applies = promotionApplies(base, configMaps, { name: req.config, size: 100, parameterValues: values }, mappings, namespace, base.spec.replicas ?? 1);
  for (const o of applies) await deps.cluster.apply(o, true);
  if (req.wait) {
    const w = await waitAvailable(deps, namespace, [deployment], req.timeoutMs);
    if (w.pending.length > 0) throw new UserError(`${deployment} did not become available within ${Math.round(req.timeoutMs / 1000)}s after applying ${req.config}`, { hint: `kubectl rollout status deployment/${deployment} -n ${namespace}`, code: 'ROLLOUT_TIMEOUT' });
  }
  const live = (await deps.cluster.get('Deployment', namespace, deployment)) as Deployment;
  const objects = [describeLive(live)];
  await saveRecord(deps.store, { source: 'config', name: req.config, namespace, deployment, desired: 'applied', state: 'applied', spec: { maps: req.maps, totalReplicas: base.spec.replicas ?? 1 }, objects, message: null });
  return { experiment: req.config, state: 'applied', removed: [], applied: applies.map((o) => `${o.kind}/${o.metadata.name}`), objects, namespace, deployment };
}

export interface ReconcileAction {
  rollout: string;
  action: string;
}

/**
 * One level-based pass: for every rollout the store wants running, promoted or aborted (and every
 * experiment whose spec says rollout.enabled), drive the cluster to match. Every step is an
 * idempotent apply or delete of deterministically named objects, so a pass can stop anywhere and
 * the next one finishes the job without duplicates.
 */
export async function reconcileOnce(deps: Deps, defaultNamespace: string): Promise<ReconcileAction[]> {
  const { store, cluster } = deps;
  const actions: ReconcileAction[] = [];
  // Experiments marked for rollout in their spec and not yet recorded.
  const marked = await store.all<{ name: string; spec: unknown }>("SELECT name, spec FROM entities WHERE kind = 'experiments' AND coalesce(status, 'active') = 'active'");
  for (const m of marked) {
    const spec = typeof m.spec === 'string' ? (JSON.parse(m.spec) as Record<string, unknown>) : (m.spec as Record<string, unknown>);
    const block = rolloutBlock(spec);
    if (!block.enabled || !block.deployment) continue;
    if (await getRecord(store, 'experiment', m.name)) continue;
    const ns = block.namespace ?? defaultNamespace;
    const base = (await cluster.get('Deployment', ns, block.deployment)) as Deployment | null;
    if (!base) {
      actions.push({ rollout: m.name, action: `waiting: no Deployment ${ns}/${block.deployment}` });
      continue;
    }
    await saveRecord(store, { source: 'experiment', name: m.name, namespace: ns, deployment: block.deployment, desired: 'running', state: 'applying', spec: { maps: [], totalReplicas: base.spec.replicas ?? 1 }, objects: [], message: null });
    actions.push({ rollout: m.name, action: 'recorded (rollout.enabled)' });
  }
  for (const record of await listRecords(store)) {
    if (record.source !== 'experiment') continue;
    try {
      if (record.desired === 'running') {
        const spec = await loadEntity(store, 'experiments', record.name);
        const { base, configMaps } = await readBase(cluster, record.namespace, record.deployment);
        const plan = makePlan({ experiment: record.name, spec, base, configMaps, namespace: record.namespace, maps: record.spec.maps, totalReplicas: record.spec.totalReplicas });
        const wanted = new Set(plan.objects.map((o) => `${o.kind}/${o.metadata.name}`));
        for (const o of plan.objects) await cluster.apply(o, false);
        if (base.spec.replicas !== plan.baseApply.spec.replicas) await cluster.apply(plan.baseApply, true);
        // Copies of groups that are no longer in the experiment.
        for (const kind of ['Deployment', 'ConfigMap'] as const) {
          for (const o of await cluster.list(kind, record.namespace, selectorFor(record.name))) {
            if (!wanted.has(`${kind}/${o.metadata.name}`) && o.metadata.name !== record.deployment) {
              await cluster.remove(kind, record.namespace, o.metadata.name);
              actions.push({ rollout: record.name, action: `deleted stray ${kind}/${o.metadata.name}` });
            }
          }
        }
        const objects = await liveObjects(cluster, record.namespace, selectorFor(record.name), record.deployment);
        const names = plan.groups.map((g) => g.deployment);
        const deployments = await Promise.all(names.map((n) => cluster.get('Deployment', record.namespace, n)));
        const ready = deployments.every((d) => d !== null && isAvailable(d as Deployment));
        const state = ready ? 'available' : 'progressing';
        if (state !== record.state || JSON.stringify(objects) !== JSON.stringify(record.objects)) {
          await saveRecord(store, { ...record, spec: { ...record.spec, control: plan.control }, state, objects, message: null });
        }
        actions.push({ rollout: record.name, action: `running: ${plan.objects.length} object(s) applied, ${state}` });
      } else if (record.desired === 'aborted' && record.state !== 'aborted' && (record.state !== 'failed' || record.objects.some((o) => o.name !== record.deployment))) {
        // Also a failed start whose rollback left copies behind.
        const r = await abortRollout(deps, record);
        actions.push({ rollout: record.name, action: `aborted: removed ${r.removed.length}` });
      } else if (record.desired === 'promoted' && record.state !== 'promoted' && record.spec.winner) {
        const r = await promoteRollout(deps, record, record.spec.winner);
        actions.push({ rollout: record.name, action: `promoted ${record.spec.winner}: removed ${r.removed.length}` });
      }
    } catch (error) {
      const message = errorMessage(error);
      if (message !== record.message) await saveRecord(store, { ...record, message });
      actions.push({ rollout: record.name, action: `error: ${message}` });
    }
  }
  return actions;
}

/** Records a rollout for the watcher to apply (`rollout start --queue`): checks the plan first. */
export async function queueRollout(deps: { store: Store; cluster: Cluster }, req: StartRequest): Promise<RolloutPlan> {
  const spec = await loadEntity(deps.store, 'experiments', req.experiment);
  const { base, configMaps } = await readBase(deps.cluster, req.namespace, req.deployment);
  const plan = makePlan({ experiment: req.experiment, spec, base, configMaps, namespace: req.namespace, maps: req.maps, totalReplicas: req.totalReplicas });
  await saveRecord(deps.store, { source: 'experiment', name: req.experiment, namespace: req.namespace, deployment: req.deployment, desired: 'running', state: 'applying', spec: { maps: req.maps, totalReplicas: plan.baseReplicas, control: plan.control }, objects: [], message: null });
  return plan;
}

export interface DryRunResult {
  experiment: string;
  namespace: string;
  source: string;
  groups: { group: string; deployment: string; replicas: number }[];
  manifests: KubeObject[];
  /** Per object, a line diff against the live object (or the file's), `+` for lines to add. */
  diffs: { object: string; exists: boolean; diff: string }[];
  yaml: string;
  warnings: string[];
}

/** The plan and its diff against what exists, applying nothing. `live` is null offline (-f). */
export async function dryRun(
  store: Store,
  req: { experiment: string; namespace: string; maps: string[]; totalReplicas?: number | undefined },
  base: Deployment,
  configMaps: readonly ConfigMap[],
  lookup: (kind: 'Deployment' | 'ConfigMap', name: string) => Promise<KubeObject | null>,
  source: string,
): Promise<DryRunResult> {
  const { dumpYaml } = await import('@kubernetes/client-node');
  const { lineDiff } = await import('./diff.js');
  const { cleanForApply } = await import('./manifest.js');
  const spec = await loadEntity(store, 'experiments', req.experiment);
  const plan = makePlan({ experiment: req.experiment, spec, base, configMaps, namespace: req.namespace, maps: req.maps, totalReplicas: req.totalReplicas });
  const cleanBase = cleanForApply(base);
  const controlled: Deployment = { ...structuredClone(cleanBase), spec: { ...structuredClone(cleanBase.spec), replicas: plan.baseApply.spec.replicas } };
  const manifests: KubeObject[] = [...plan.objects, controlled];
  const diffs: DryRunResult['diffs'] = [];
  for (const o of manifests) {
    const live = o === controlled ? cleanBase : await lookup(o.kind as 'Deployment' | 'ConfigMap', o.metadata.name);
    const before = live ? dumpYaml(cleanForApply(live)) : '';
    diffs.push({ object: `${o.kind}/${o.metadata.name}`, exists: live !== null, diff: lineDiff(before, dumpYaml(o)) });
  }
  return {
    experiment: req.experiment,
    namespace: req.namespace,
    source,
    groups: plan.groups.map((g) => ({ group: g.group, deployment: g.deployment, replicas: g.replicas })),
    manifests,
    diffs,
    yaml: manifests.map((o) => dumpYaml(o)).join('---\n'),
    warnings: plan.warnings,
  };
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Reads a Deployment (and the ConfigMaps beside it) from a YAML file, for offline dry runs. */
export async function readManifestFile(file: string, deployment: string | undefined): Promise<{ base: Deployment; configMaps: ConfigMap[]; namespace: string | undefined }> {
  const fs = await import('node:fs');
  if (!fs.existsSync(file)) throw new UserError(`no file ${file}`, { hint: 'pass -f with a Deployment manifest (kubectl get deployment NAME -o yaml > deployment.yaml)', code: 'FILE_NOT_FOUND' });
  const size = fs.statSync(file).size;
  if (size > MAX_MANIFEST_BYTES) throw new UserError(`${file} is ${size} bytes, over the ${MAX_MANIFEST_BYTES} byte limit for a manifest`, { code: 'FILE_TOO_LARGE' });
  const { loadAllYaml } = await import('@kubernetes/client-node');
  let docs: unknown[];
  try {
    docs = loadAllYaml(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file} is not valid YAML: ${errorMessage(error).split('\n')[0] ?? ''}`, { code: 'BAD_MANIFEST' });
  }
  const objs = docs.flatMap((d) => {
    if (!d || typeof d !== 'object') return [];
    const o = d as { kind?: unknown; items?: unknown };
    return o.kind === 'List' && Array.isArray(o.items) ? (o.items as KubeObject[]) : [d as KubeObject];
  });
  const deployments = objs.filter((o): o is Deployment => o.kind === 'Deployment' && typeof o.metadata?.name === 'string' && !!(o as Deployment).spec?.template?.spec?.containers);
  const base = deployment === undefined ? (deployments.length === 1 ? deployments[0] : undefined) : deployments.find((d) => d.metadata.name === deployment);
  if (!base) {
    throw new UserError(deployment === undefined ? `${file} has ${deployments.length} Deployments; name one with --deployment` : `${file} has no Deployment named "${deployment}"`, {
      hint: `Deployments in the file: ${deployments.map((d) => d.metadata.name).join(', ') || '(none)'}`,
      code: 'NO_DEPLOYMENT',
    });
  }
  return { base, configMaps: objs.filter((o): o is ConfigMap => o.kind === 'ConfigMap' && typeof o.metadata?.name === 'string'), namespace: base.metadata.namespace };
}
