/**
 * The pure part of a rollout: from a base Deployment (and the ConfigMaps it uses), an experiment's
 * groups and a parameter -> field mapping, the objects to apply. One copy per non-control group
 * (name suffix, experiment and group labels, the same app labels so a Service spreads traffic),
 * the group's parameter values written into the mapped fields, replicas split by group size.
 * No IO: every check runs before anything is applied.
 */
import { UserError, didYouMean } from '../core/errors.js';
import { validateManifest } from './validate.js';

export const FIELD_MANAGER = 'statsig-hack';
export const LABEL_EXPERIMENT = 'statsig-hack/experiment';
export const LABEL_GROUP = 'statsig-hack/group';
export const LABEL_CONFIG = 'statsig-hack/config';
export const ANNOTATION_BASE = 'statsig-hack/base';

export interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; [k: string]: unknown };
}
export interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; [k: string]: unknown }[];
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  [k: string]: unknown;
}
export interface PodSpec {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string; [k: string]: unknown }; [k: string]: unknown }[];
  [k: string]: unknown;
}
export interface Deployment {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string>; [k: string]: unknown };
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }; spec: PodSpec };
    [k: string]: unknown;
  };
  status?: Record<string, unknown>;
}
export interface ConfigMap {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  data?: Record<string, string>;
}
export type KubeObject = Deployment | ConfigMap;

/** Where a parameter's value goes. */
export type Target =
  | { kind: 'env'; container?: string; name: string }
  | { kind: 'image'; container?: string }
  | { kind: 'tag'; container?: string }
  | { kind: 'args'; container?: string }
  | { kind: 'resources'; container?: string; section: 'limits' | 'requests'; resource: string }
  | { kind: 'annotation'; key: string }
  | { kind: 'configmap'; name: string; key: string };

export interface Mapping {
  param: string;
  target: Target;
  /** The text the user wrote, for messages. */
  raw: string;
}

export const TARGET_FORMS = 'env:NAME, image, tag, args, resources.limits.cpu (or requests.memory, ...), annotation:KEY, configmap:NAME/KEY; add @container to pick a container';

/** Parses one `--map param=target`. */
export function parseMapping(text: string): Mapping {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new UserError(`--map expects param=target, got "${text}"`, { hint: `targets: ${TARGET_FORMS}`, code: 'USAGE', exitCode: 2 });
  const param = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  return { param, target: parseTarget(raw, param), raw };
}

export function parseTarget(raw: string, param: string): Target {
  const bad = (why: string): UserError => new UserError(`mapping ${param}=${raw}: ${why}`, { hint: `targets: ${TARGET_FORMS}`, code: 'BAD_MAPPING', exitCode: 2 });
  const at = raw.lastIndexOf('@');
  const hasContainer = at > 0 && !raw.startsWith('annotation:') && !raw.startsWith('configmap:');
  const body = hasContainer ? raw.slice(0, at) : raw;
  const container = hasContainer ? raw.slice(at + 1) : undefined;
  if (container !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(container)) throw bad(`"${container}" is not a container name`);
  const withC = <T extends object>(t: T): T & { container?: string } => (container === undefined ? t : { ...t, container });
  if (body === 'image') return withC({ kind: 'image' as const });
  if (body === 'tag') return withC({ kind: 'tag' as const });
  if (body === 'args') return withC({ kind: 'args' as const });
  let m = /^env:([A-Za-z_][A-Za-z0-9_.-]*)$/.exec(body);
  if (m) return withC({ kind: 'env' as const, name: m[1] as string });
  m = /^resources\.(limits|requests)\.([A-Za-z0-9./_-]+)$/.exec(body);
  if (m) return withC({ kind: 'resources' as const, section: m[1] as 'limits' | 'requests', resource: m[2] as string });
  m = /^annotation:([A-Za-z0-9./_-]+)$/.exec(raw);
  if (m) return { kind: 'annotation', key: m[1] as string };
  m = /^configmap:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([-._a-zA-Z0-9]+)$/.exec(raw);
  if (m) return { kind: 'configmap', name: m[1] as string, key: m[3] as string };
  throw bad('unknown target');
}

/** Mappings from an experiment's spec (`rollout.map: { param: target }`) and `--map` flags; flags win. */
export function mappingsFrom(specMap: unknown, flags: readonly string[]): Mapping[] {
  const byParam = new Map<string, Mapping>();
  if (specMap !== undefined && specMap !== null) {
    if (typeof specMap !== 'object' || Array.isArray(specMap)) throw new UserError('the experiment spec has a rollout.map that is not an object of param: target', { code: 'BAD_MAPPING' });
    for (const [param, raw] of Object.entries(specMap as Record<string, unknown>)) {
      if (typeof raw !== 'string') throw new UserError(`rollout.map.${param} in the experiment spec is not a string`, { hint: `targets: ${TARGET_FORMS}`, code: 'BAD_MAPPING' });
      byParam.set(param, { param, target: parseTarget(raw, param), raw });
    }
  }
  for (const f of flags) {
    const m = parseMapping(f);
    byParam.set(m.param, m);
  }
  return [...byParam.values()];
}

export interface Group {
  name: string;
  size: number;
  parameterValues: Record<string, unknown>;
}

/** The groups and control of an experiment spec as stored (Console API shape). */
export function experimentGroups(name: string, spec: Record<string, unknown>): { groups: Group[]; control: string } {
  const raw = Array.isArray(spec.groups) ? (spec.groups as unknown[]) : [];
  const groups: Group[] = raw.flatMap((g) => {
    if (!g || typeof g !== 'object') return [];
    const o = g as Record<string, unknown>;
    if (typeof o.name !== 'string') return [];
    const size = typeof o.size === 'number' && Number.isFinite(o.size) && o.size >= 0 ? o.size : 0;
    const pv = o.parameterValues && typeof o.parameterValues === 'object' ? (o.parameterValues as Record<string, unknown>) : {};
    return [{ name: o.name, size, parameterValues: pv }];
  });
  if (groups.length < 2) throw new UserError(`experiment ${name} has ${groups.length} group(s); a rollout needs a control and at least one test group`, { code: 'BAD_EXPERIMENT' });
  const named = typeof spec.controlGroupID === 'string' ? spec.controlGroupID : undefined;
  const control = groups.find((g) => g.name === named) ?? groups.find((g) => g.name.toLowerCase() === 'control') ?? groups[0];
  return { groups, control: (control as Group).name };
}

/**
 * Replicas per group, proportional to size by largest remainders, at least one each; the control
 * keeps the rest. Throws when there are fewer replicas than groups.
 */
export function splitReplicas(total: number, groups: readonly { name: string; size: number }[], control: string): Record<string, number> {
  if (!Number.isInteger(total) || total < groups.length) {
    throw new UserError(`${total} replica(s) cannot be split across ${groups.length} groups (each needs at least one)`, {
      hint: `pass --replicas ${groups.length} or more (the total across the control and its copies)`,
      code: 'TOO_FEW_REPLICAS',
    });
  }
  const sum = groups.reduce((s, g) => s + g.size, 0);
  const shares = groups.map((g) => (sum > 0 ? (total * g.size) / sum : total / groups.length));
  const out = shares.map(Math.floor);
  let left = total - out.reduce((s, n) => s + n, 0);
  const order = shares.map((s, i) => ({ i, r: s - Math.floor(s) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i] = (out[i] as number) + 1;
    left -= 1;
  }
  // At least one each: take from the largest.
  for (let i = 0; i < out.length; i += 1) {
    while ((out[i] as number) < 1) {
      const donor = out.reduce((best, n, j) => (n > (out[best] as number) ? j : best), 0);
      out[donor] = (out[donor] as number) - 1;
      out[i] = (out[i] as number) + 1;
    }
  }
  const result: Record<string, number> = {};
  groups.forEach((g, i) => (result[g.name] = out[i] as number));
  // The control keeps the rest (already so: the counts add up to total).
  if (!(control in result)) throw new UserError(`control group ${control} is not among the groups`, { code: 'BAD_EXPERIMENT' });
  return result;
}

/** A DNS-1123 label made from a group name. */
export function slug(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return s || 'group';
}

/** A valid label value (63 chars, alphanumerics at both ends). */
export function labelValue(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return s || 'x';
}

export function copyName(base: string, group: string): string {
  const suffix = `-${slug(group)}`;
  const name = `${base}${suffix}`;
  if (name.length <= 63) return name;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const tag = `-${h.toString(36).slice(0, 5)}`;
  return `${name.slice(0, 63 - tag.length).replace(/-+$/, '')}${tag}`;
}

const clone = <T>(x: T): T => structuredClone(x);

function findContainer(spec: PodSpec, name: string | undefined, where: string): Container {
  const containers = spec.containers;
  if (name === undefined) {
    const first = containers[0];
    if (!first) throw new UserError(`${where}: the Deployment has no containers`, { code: 'BAD_MAPPING' });
    return first;
  }
  const c = containers.find((x) => x.name === name);
  if (!c) {
    const names = containers.map((x) => x.name);
    const near = didYouMean(name, names);
    throw new UserError(`${where}: the Deployment has no container "${name}"`, { hint: `${near ? `did you mean @${near}? ` : ''}containers: ${names.join(', ')}`, code: 'BAD_MAPPING' });
  }
  return c;
}

/**
 * Checks every mapping against the base objects and the groups' parameters: each target must
 * name a field that exists (container, env var, ConfigMap and key) and each parameter must be
 * set by the groups. Returns warnings for parameters the groups set that nothing maps.
 */
export function checkMappings(base: Deployment, configMaps: readonly ConfigMap[], groups: readonly Group[], mappings: readonly Mapping[]): string[] {
  if (mappings.length === 0) {
    throw new UserError('no parameter mapping: nothing says which Deployment fields the parameters change', {
      hint: `pass --map param=target (targets: ${TARGET_FORMS}), or set rollout.map in the experiment's spec`,
      code: 'BAD_MAPPING',
      exitCode: 2,
    });
  }
  const params = new Set(groups.flatMap((g) => Object.keys(g.parameterValues)));
  const podSpec = base.spec.template.spec;
  for (const m of mappings) {
    const where = `mapping ${m.param}=${m.raw}`;
    if (!params.has(m.param)) {
      const near = didYouMean(m.param, [...params]);
      throw new UserError(`${where}: no group of the experiment sets a parameter "${m.param}"`, { hint: `${near ? `did you mean ${near}? ` : ''}parameters: ${[...params].join(', ') || '(none)'}`, code: 'BAD_MAPPING' });
    }
    const t = m.target;
    if (t.kind === 'annotation') continue;
    if (t.kind === 'configmap') {
      const cm = configMaps.find((c) => c.metadata.name === t.name);
      if (!cm) throw new UserError(`${where}: no ConfigMap "${t.name}" in the namespace`, { hint: `ConfigMaps the Deployment uses: ${referencedConfigMaps(base).join(', ') || '(none)'}`, code: 'BAD_MAPPING' });
      if (!referencedConfigMaps(base).includes(t.name)) throw new UserError(`${where}: the Deployment does not use the ConfigMap "${t.name}"`, { hint: 'map a ConfigMap that the pods mount or read (volumes, envFrom, env valueFrom)', code: 'BAD_MAPPING' });
      const keys = Object.keys(cm.data ?? {});
      if (!keys.includes(t.key)) {
        const near = didYouMean(t.key, keys);
        throw new UserError(`${where}: the ConfigMap "${t.name}" has no key "${t.key}"`, { hint: `${near ? `did you mean ${near}? ` : ''}keys: ${keys.join(', ') || '(none)'}`, code: 'BAD_MAPPING' });
      }
      continue;
    }
    const c = findContainer(podSpec, t.container, where);
    if (t.kind === 'env') {
      const names = (c.env ?? []).map((e) => e.name);
      if (!names.includes(t.name)) {
        const near = didYouMean(t.name, names);
        throw new UserError(`${where}: container "${c.name}" has no env var ${t.name}`, { hint: `${near ? `did you mean ${near}? ` : ''}env vars: ${names.join(', ') || '(none)'}; declare it in the Deployment first`, code: 'BAD_MAPPING' });
      }
    }
    if ((t.kind === 'tag' || t.kind === 'image') && !c.image) throw new UserError(`${where}: container "${c.name}" has no image`, { code: 'BAD_MAPPING' });
  }
  const mapped = new Set(mappings.map((m) => m.param));
  return [...params].filter((p) => !mapped.has(p)).map((p) => `parameter ${p} is not mapped to any field: the copies do not change it`);
}

/** Names of the ConfigMaps a pod spec reads. */
export function referencedConfigMaps(d: Deployment): string[] {
  const spec = d.spec.template.spec;
  const names = new Set<string>();
  for (const v of spec.volumes ?? []) if (v.configMap?.name) names.add(v.configMap.name);
  for (const c of spec.containers) {
    for (const e of c.envFrom ?? []) if (e.configMapRef?.name) names.add(e.configMapRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
  }
  return [...names];
}

function renameConfigMapRefs(spec: PodSpec, renames: ReadonlyMap<string, string>): void {
  for (const v of spec.volumes ?? []) if (v.configMap && renames.has(v.configMap.name)) v.configMap.name = renames.get(v.configMap.name) as string;
  for (const c of spec.containers) {
    for (const e of c.envFrom ?? []) if (e.configMapRef && renames.has(e.configMapRef.name)) e.configMapRef.name = renames.get(e.configMapRef.name) as string;
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef;
      if (ref && renames.has(ref.name)) ref.name = renames.get(ref.name) as string;
    }
  }
}

function scalarText(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) throw new UserError(`${where}: the value is missing`, { code: 'BAD_VALUE' });
  return JSON.stringify(v);
}

/** One field change: the container it is in (by name) or none for pod-level fields. */
export interface Edit {
  param: string;
  target: Target;
  value: unknown;
}

/**
 * Writes edits into a Deployment (a full object, or a skeleton for a partial apply whose
 * containers carry only their names). Values are checked and turned into the field's type.
 */
export function applyEdits(d: Deployment, edits: readonly Edit[], baseForContainers: Deployment): void {
  const spec = d.spec.template.spec;
  for (const e of edits) {
    const t = e.target;
    const where = `parameter ${e.param}`;
    if (t.kind === 'configmap') continue;
    if (t.kind === 'annotation') {
      d.spec.template.metadata ??= {};
      d.spec.template.metadata.annotations = { ...(d.spec.template.metadata.annotations ?? {}), [t.key]: scalarText(e.value, where) };
      continue;
    }
    const containerName = findContainer(baseForContainers.spec.template.spec, t.container, where).name;
    let c = spec.containers.find((x) => x.name === containerName);
    if (!c) {
      c = { name: containerName };
      spec.containers.push(c);
    }
    if (t.kind === 'image') {
      const image = scalarText(e.value, where);
      if (/\s/.test(image) || image.length === 0) throw new UserError(`${where}: "${image}" is not an image reference`, { code: 'BAD_VALUE' });
      c.image = image;
    } else if (t.kind === 'tag') {
      const tag = scalarText(e.value, where);
      if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new UserError(`${where}: "${tag}" is not an image tag`, { hint: 'a tag is up to 128 letters, digits, _, . and -', code: 'BAD_VALUE' });
      const current = findContainer(baseForContainers.spec.template.spec, containerName, where).image as string;
      c.image = `${imageRepo(current)}:${tag}`;
    } else if (t.kind === 'args') {
      const v = e.value;
      if (Array.isArray(v)) c.args = v.map((x) => scalarText(x, where));
      else c.args = [scalarText(v, where)];
    } else if (t.kind === 'env') {
      c.env ??= [];
      const value = scalarText(e.value, where);
      const existing = c.env.find((x) => x.name === t.name);
      if (existing) {
        existing.value = value;
        delete existing.valueFrom;
      } else c.env.push({ name: t.name, value });
    } else {
      const v = e.value;
      if (typeof v !== 'string' && typeof v !== 'number') throw new UserError(`${where}: ${t.section}.${t.resource} needs a quantity such as 500m or 256Mi, got ${JSON.stringify(v)}`, { code: 'BAD_VALUE' });
      if (typeof v === 'string' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[mkMGTPE])?$/.test(v)) throw new UserError(`${where}: "${v}" is not a Kubernetes quantity`, { hint: 'e.g. 500m, 2, 256Mi, 1Gi', code: 'BAD_VALUE' });
      c.resources ??= {};
      c.resources[t.section] = { ...(c.resources[t.section] ?? {}), [t.resource]: v };
    }
  }
}

/** The image without its tag or digest. */
export function imageRepo(image: string): string {
  const noDigest = image.split('@')[0] as string;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function editsFor(group: Group, mappings: readonly Mapping[]): Edit[] {
  return mappings.map((m) => {
    if (!(m.param in group.parameterValues)) {
      throw new UserError(`group ${group.name} does not set parameter ${m.param}`, { hint: 'every group must set every mapped parameter', code: 'BAD_MAPPING' });
    }
    return { param: m.param, target: m.target, value: group.parameterValues[m.param] };
  });
}

/** Strips what the server owns (status, uid, managedFields, ...) from an object read back. */
export function cleanForApply<T extends KubeObject>(o: T): T {
  const c = clone(o);
  const meta = c.metadata;
  for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'ownerReferences']) delete meta[k];
  if (meta.annotations) {
    delete meta.annotations['deployment.kubernetes.io/revision'];
    delete meta.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  if ('status' in c) delete (c).status;
  return c;
}

export interface GroupPlan {
  group: string;
  /** The Deployment for this group (the base for the control). */
  deployment: string;
  replicas: number;
  edits: Edit[];
  configMaps: string[];
}

export interface RolloutPlan {
  experiment: string;
  namespace: string;
  base: string;
  control: string;
  /** Replicas the base had before the rollout (restored by abort). */
  baseReplicas: number;
  groups: GroupPlan[];
  /** Objects to create, in apply order: ConfigMap copies, then Deployment copies. */
  objects: KubeObject[];
  /** The partial apply that sets the base (control) replicas. */
  baseApply: Deployment;
  warnings: string[];
}

export interface PlanInput {
  experiment: string;
  namespace: string;
  base: Deployment;
  configMaps: readonly ConfigMap[];
  groups: readonly Group[];
  control: string;
  mappings: readonly Mapping[];
  /** Total replicas to split (default: the base's replicas). */
  totalReplicas?: number;
}

/** The whole plan, checked before anything is applied. */
export function planRollout(input: PlanInput): RolloutPlan {
  const base = cleanForApply(input.base);
  const warnings = checkMappings(base, input.configMaps, input.groups, input.mappings);
  const total = input.totalReplicas ?? base.spec.replicas ?? 1;
  const split = splitReplicas(total, input.groups, input.control);
  const expLabel = labelValue(input.experiment);
  const objects: KubeObject[] = [];
  const deployments: Deployment[] = [];
  const groups: GroupPlan[] = [];
  const names = new Set<string>();
  for (const g of input.groups) {
    const edits = editsFor(g, input.mappings);
    if (g.name === input.control) {
      groups.push({ group: g.name, deployment: base.metadata.name, replicas: split[g.name] as number, edits: [], configMaps: [] });
      continue;
    }
    const name = copyName(base.metadata.name, g.name);
    if (names.has(name) || name === base.metadata.name) throw new UserError(`groups of ${input.experiment} map to the same copy name ${name}`, { hint: 'rename the groups so they differ in letters and digits', code: 'BAD_EXPERIMENT' });
    names.add(name);
    const labels = { [LABEL_EXPERIMENT]: expLabel, [LABEL_GROUP]: labelValue(g.name) };
    // ConfigMap copies for mapped keys.
    const renames = new Map<string, string>();
    for (const m of input.mappings) {
      if (m.target.kind !== 'configmap') continue;
      const t = m.target;
      const src = input.configMaps.find((c) => c.metadata.name === t.name) as ConfigMap;
      const cmName = copyName(t.name, g.name);
      let cm = objects.find((o): o is ConfigMap => o.kind === 'ConfigMap' && o.metadata.name === cmName);
      if (!cm) {
        cm = cleanForApply(src);
        cm.metadata = { ...cm.metadata, name: cmName, namespace: input.namespace, labels: { ...(cm.metadata.labels ?? {}), ...labels }, annotations: { ...(cm.metadata.annotations ?? {}), [ANNOTATION_BASE]: t.name } };
        objects.push(cm);
        renames.set(t.name, cmName);
      }
      cm.data = { ...(cm.data ?? {}), [t.key]: scalarText(g.parameterValues[m.param], `parameter ${m.param}`) };
    }
    const d = clone(base);
    d.metadata = { ...d.metadata, name, namespace: input.namespace, labels: { ...(d.metadata.labels ?? {}), ...labels }, annotations: { ...(d.metadata.annotations ?? {}), [ANNOTATION_BASE]: base.metadata.name } };
    d.spec.replicas = split[g.name];
    d.spec.selector = { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [LABEL_GROUP]: labelValue(g.name) } };
    d.spec.template.metadata = { ...(d.spec.template.metadata ?? {}), labels: { ...(d.spec.template.metadata?.labels ?? {}), ...labels } };
    applyEdits(d, edits, base);
    renameConfigMapRefs(d.spec.template.spec, renames);
    deployments.push(d);
    groups.push({ group: g.name, deployment: name, replicas: split[g.name] as number, edits, configMaps: [...renames.values()] });
  }
  objects.push(...deployments);
  const baseApply = replicasApply(base.metadata.name, input.namespace, split[input.control] as number);
  for (const o of objects) validateManifest(o);
  return { experiment: input.experiment, namespace: input.namespace, base: base.metadata.name, control: input.control, baseReplicas: total, groups, objects, baseApply, warnings };
}

/** A partial Deployment for server-side apply: identity only, fields added by the caller. */
export function skeleton(base: Deployment, namespace: string): Deployment {
  // Only the fields statsig-hack sets: the selector and labels stay owned by whoever wrote them.
  return { apiVersion: base.apiVersion, kind: 'Deployment', metadata: { name: base.metadata.name, namespace }, spec: { template: { spec: { containers: [] } } } } as unknown as Deployment;
}

/** The apply that sets only a Deployment's replicas. */
export function replicasApply(name: string, namespace: string, replicas: number): Deployment {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas } } as unknown as Deployment;
}

/**
 * The apply that writes a group's fields into the base Deployment (promote), and the ConfigMap
 * keys into the base ConfigMaps.
 */
export function promotionApplies(base: Deployment, configMaps: readonly ConfigMap[], group: Group, mappings: readonly Mapping[], namespace: string, replicas: number): KubeObject[] {
  const b = cleanForApply(base);
  checkMappings(b, configMaps, [group], mappings);
  const edits = editsFor(group, mappings);
  const d = skeleton(b, namespace);
  d.spec.replicas = replicas;
  applyEdits(d, edits, b);
  if (d.spec.template.spec.containers.length === 0) delete (d.spec.template.spec as Partial<PodSpec>).containers;
  const out: KubeObject[] = [];
  for (const e of edits) {
    if (e.target.kind !== 'configmap') continue;
    const t = e.target;
    let cm = out.find((o): o is ConfigMap => o.kind === 'ConfigMap' && o.metadata.name === t.name);
    if (!cm) {
      cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: t.name, namespace }, data: {} };
      out.push(cm);
    }
    cm.data = { ...(cm.data ?? {}), [t.key]: scalarText(e.value, `parameter ${e.param}`) };
  }
  out.push(d);
  return out;
}
