/**
 * A local stand-in for the Kubernetes API server, enough for `rollout`: Deployments (with the
 * status subresource), ConfigMaps and Leases; GET, LIST (with labelSelector), POST, PUT (with
 * resourceVersion conflicts), server-side apply PATCH (`application/apply-patch+yaml`, fieldManager,
 * force, managed fields and conflicts between managers) and DELETE; bearer-token auth. It binds
 * 127.0.0.1 only. Deployments become available after a number of reads, like a controller would
 * make them; faults can be injected per request.
 *
 * Simplifications (documented, not hidden): lists of objects that all carry `name` merge by name
 * (as containers, env and volumes do in Kubernetes), other lists are atomic; a field a manager
 * stops applying is not removed; no watch, no admission, no garbage collection.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadYaml } from '@kubernetes/client-node';

type Json = Record<string, unknown>;
type Resource = 'deployments' | 'configmaps' | 'leases';

const GROUPS: Record<Resource, { prefix: string; apiVersion: string; kind: string }> = {
  deployments: { prefix: '/apis/apps/v1', apiVersion: 'apps/v1', kind: 'Deployment' },
  configmaps: { prefix: '/api/v1', apiVersion: 'v1', kind: 'ConfigMap' },
  leases: { prefix: '/apis/coordination.k8s.io/v1', apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
};

export interface RequestLog {
  method: string;
  resource: Resource;
  namespace: string;
  name: string | undefined;
  contentType: string | undefined;
  fieldManager: string | undefined;
  force: boolean;
  /** The HTTP status answered (201 for an apply that created the object). */
  status?: number;
}

export interface Fault {
  method?: string;
  resource?: Resource;
  name?: string;
  status: number;
  message: string;
  /** How many matching requests fail (default: all until cleared). */
  times?: number;
}

interface Stored {
  obj: Json;
  /** Field path -> the manager that owns it. */
  owners: Map<string, string>;
}

export class KubeApiStandIn {
  readonly token = 'stand-in-token';
  readonly log: RequestLog[] = [];
  /** Reads of a Deployment after a spec change before it reports all replicas available. */
  readyAfterReads = 1;
  private readonly objects = new Map<string, Stored>();
  private readonly reads = new Map<string, number>();
  private readonly neverReady = new Set<string>();
  private faults: Fault[] = [];
  private holds: { method?: string; name: string; hits: number; released: Promise<void>; release: () => void }[] = [];
  private rv = 100;
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.answer(req, res, chunks));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, chunks: Buffer[]): Promise<void> {
    const hold = this.holds.find((h) => (!h.method || h.method === req.method) && req.url?.split('?')[0]?.endsWith(`/${h.name}`));
    if (hold) {
      hold.hits += 1;
      await hold.released;
    }
    try {
      const { status, body } = this.handle(req, Buffer.concat(chunks).toString('utf8'));
      const entry = this.log[this.log.length - 1];
      if (entry && entry.status === undefined) entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(statusBody(500, 'InternalError', String(error))));
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Writes a kubeconfig for this server (context "stand-in", namespace `namespace`) and returns its path. */
  writeKubeconfig(dir: string, namespace = 'default'): string {
    const file = path.join(dir, 'kubeconfig.yaml');
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: stand-in',
        // Plain HTTP on 127.0.0.1: the client refuses http:// unless TLS checks are off.
        `    cluster: { server: "${this.url}", insecure-skip-tls-verify: true }`,
        'users:',
        '  - name: tester',
        `    user: { token: "${this.token}" }`,
        'contexts:',
        '  - name: stand-in',
        `    context: { cluster: stand-in, user: tester, namespace: ${namespace} }`,
        'current-context: stand-in',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Puts an object in place as another manager would (kubectl by default). */
  seed(obj: Json, manager = 'kubectl'): void {
    const resource = resourceOfKind(String(obj.kind));
    const meta = obj.metadata as Json;
    this.apply(resource, typeof meta.namespace === 'string' ? meta.namespace : 'default', String(meta.name), structuredClone(obj), manager, true);
  }

  get(resource: Resource, namespace: string, name: string): Json | undefined {
    return this.objects.get(key(resource, namespace, name))?.obj;
  }

  list(resource: Resource, namespace: string): Json[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}/${namespace}/`)).map(([, v]) => v.obj);
  }

  owners(resource: Resource, namespace: string, name: string): Map<string, string> {
    return this.objects.get(key(resource, namespace, name))?.owners ?? new Map();
  }

  fail(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Holds matching requests unanswered until `release()`; returns how to see whether one arrived. */
  hold(match: { method?: string; name: string }): { hits: () => number } {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const h = { ...match, hits: 0, released, release };
    this.holds.push(h);
    return { hits: () => h.hits };
  }

  /** Stops holding new requests; those already held are never answered (their client is gone). */
  unhold(): void {
    this.holds = [];
  }

  /** Answers every held request (they are then handled as usual). */
  release(): void {
    for (const h of this.holds.splice(0)) h.release();
  }

  stall(name: string): void {
    this.neverReady.add(name);
  }

  private handle(req: http.IncomingMessage, text: string): { status: number; body: unknown } {
    if (req.headers.authorization !== `Bearer ${this.token}`) return { status: 401, body: statusBody(401, 'Unauthorized', 'Unauthorized') };
    const url = new URL(req.url ?? '/', this.url);
    const route = parseRoute(url.pathname);
    if (!route) return { status: 404, body: statusBody(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`) };
    const method = req.method ?? 'GET';
    const fieldManager = url.searchParams.get('fieldManager') ?? undefined;
    const force = url.searchParams.get('force') === 'true';
    const contentType = req.headers['content-type'];
    this.log.push({ method, resource: route.resource, namespace: route.namespace, name: route.name, contentType, fieldManager, force });
    const fault = this.faults.find((f) => (!f.method || f.method === method) && (!f.resource || f.resource === route.resource) && (!f.name || f.name === route.name));
    if (fault) {
      if (fault.times !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
      }
      return { status: fault.status, body: statusBody(fault.status, fault.status === 403 ? 'Forbidden' : 'Invalid', fault.message) };
    }
    const { resource, namespace, name } = route;
    const k = name === undefined ? '' : key(resource, namespace, name);
    const notFound = () => ({ status: 404, body: statusBody(404, 'NotFound', `${resource}.${GROUPS[resource].apiVersion.split('/')[0]} "${name}" not found`) });

    if (method === 'GET' && name === undefined) {
      const selector = url.searchParams.get('labelSelector');
      const items = this.list(resource, namespace).filter((o) => matches(o, selector)).map((o) => this.observe(resource, o));
      return { status: 200, body: { apiVersion: GROUPS[resource].apiVersion, kind: `${GROUPS[resource].kind}List`, metadata: { resourceVersion: String(this.rv) }, items } };
    }
    if (name === undefined) {
      if (method !== 'POST') return { status: 405, body: statusBody(405, 'MethodNotAllowed', `${method} on a collection`) };
      const body = JSON.parse(text) as Json;
      const n = String(((body.metadata as Json | undefined)?.name as string | undefined) ?? '');
      if (this.objects.has(key(resource, namespace, n))) return { status: 409, body: statusBody(409, 'AlreadyExists', `${resource} "${n}" already exists`) };
      return { status: 201, body: this.apply(resource, namespace, n, body, fieldManager ?? 'unknown', true, 'Update') };
    }
    const stored = this.objects.get(k);
    if (method === 'GET') return stored ? { status: 200, body: this.observe(resource, stored.obj) } : notFound();
    if (method === 'DELETE') {
      if (!stored) return notFound();
      this.objects.delete(k);
      return { status: 200, body: { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: resource } } };
    }
    if (method === 'PUT') {
      if (!stored) return notFound();
      const body = JSON.parse(text) as Json;
      const rv = (body.metadata as Json | undefined)?.resourceVersion;
      if (rv !== undefined && rv !== (stored.obj.metadata as Json).resourceVersion) {
        return { status: 409, body: statusBody(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`) };
      }
      const meta = { ...(body.metadata as Json), resourceVersion: String(++this.rv), uid: (stored.obj.metadata as Json).uid, creationTimestamp: (stored.obj.metadata as Json).creationTimestamp };
      stored.obj = { ...body, metadata: meta };
      return { status: 200, body: stored.obj };
    }
    if (method === 'PATCH') {
      if (contentType !== 'application/apply-patch+yaml') return { status: 415, body: statusBody(415, 'UnsupportedMediaType', `the stand-in only accepts server-side apply, got ${contentType}`) };
      if (!fieldManager) return { status: 422, body: statusBody(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch') };
      const body = loadYaml<Json>(text);
      if (String(body.kind) !== GROUPS[resource].kind || String((body.metadata as Json | undefined)?.name) !== name) {
        return { status: 400, body: statusBody(400, 'BadRequest', 'the kind or name in the body does not match the URL') };
      }
      const conflicts = stored ? this.conflicts(stored, body, fieldManager) : [];
      if (conflicts.length > 0 && !force) {
        return { status: 409, body: statusBody(409, 'Conflict', `Apply failed with ${conflicts.length} conflict(s): ${conflicts.map((c) => `conflict with "${c.manager}": ${c.path}`).join('; ')}`) };
      }
      if (!stored && resource === 'deployments' && !(body.spec as Json | undefined)?.template) {
        return { status: 422, body: statusBody(422, 'Invalid', `Deployment.apps "${name}" is invalid: spec.template: Required value`) };
      }
      return { status: stored ? 200 : 201, body: this.observe(resource, this.apply(resource, namespace, name, body, fieldManager, force)) };
    }
    return { status: 405, body: statusBody(405, 'MethodNotAllowed', method) };
  }

  /** A Deployment's status as a controller would report it: available after `readyAfterReads` reads. */
  private observe(resource: Resource, obj: Json): Json {
    if (resource !== 'deployments') return obj;
    const meta = obj.metadata as Json;
    const k = key(resource, String(meta.namespace), String(meta.name));
    const n = (this.reads.get(k) ?? 0) + 1;
    this.reads.set(k, n);
    const replicas = Number((obj.spec as Json).replicas ?? 1);
    const ready = n > this.readyAfterReads && !this.neverReady.has(String(meta.name));
    obj.status = {
      observedGeneration: ready ? meta.generation : Number(meta.generation) - 1,
      replicas,
      updatedReplicas: ready ? replicas : 0,
      readyReplicas: ready ? replicas : 0,
      availableReplicas: ready ? replicas : 0,
    };
    return obj;
  }

  private conflicts(stored: Stored, body: Json, manager: string): { path: string; manager: string }[] {
    const out: { path: string; manager: string }[] = [];
    for (const [p, value] of leaves(body)) {
      const owner = stored.owners.get(p);
      if (owner && owner !== manager && JSON.stringify(value) !== JSON.stringify(valueAt(stored.obj, p))) out.push({ path: p, manager: owner });
    }
    return out;
  }

  private apply(resource: Resource, namespace: string, name: string, body: Json, manager: string, force: boolean, operation = 'Apply'): Json {
    void force;
    const k = key(resource, namespace, name);
    const stored = this.objects.get(k);
    const base: Json = stored ? structuredClone(stored.obj) : { apiVersion: GROUPS[resource].apiVersion, kind: GROUPS[resource].kind, metadata: { name, namespace, uid: `uid-${++this.rv}`, creationTimestamp: new Date(0).toISOString(), generation: 0 } };
    const merged = merge(base, body) as Json;
    const meta = merged.metadata as Json;
    meta.name = name;
    meta.namespace = namespace;
    delete merged.status;
    const specChanged = !stored || JSON.stringify(stored.obj.spec) !== JSON.stringify(merged.spec);
    if (specChanged) {
      meta.generation = Number(meta.generation ?? 0) + 1;
      this.reads.set(k, 0);
    }
    meta.resourceVersion = String(++this.rv);
    const owners = stored ? new Map(stored.owners) : new Map<string, string>();
    for (const [p] of leaves(body)) owners.set(p, manager);
    meta.managedFields = managedFields(owners, GROUPS[resource].apiVersion, operation);
    this.objects.set(k, { obj: merged, owners });
    return merged;
  }
}

function key(resource: Resource, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

function resourceOfKind(kind: string): Resource {
  const r = (Object.keys(GROUPS) as Resource[]).find((x) => GROUPS[x].kind === kind);
  if (!r) throw new Error(`the stand-in has no ${kind}`);
  return r;
}

function parseRoute(p: string): { resource: Resource; namespace: string; name: string | undefined } | undefined {
  for (const resource of Object.keys(GROUPS) as Resource[]) {
    const prefix = `${GROUPS[resource].prefix}/namespaces/`;
    if (!p.startsWith(prefix)) continue;
    const parts = p.slice(prefix.length).split('/');
    if (parts[1] !== resource) continue;
    if (parts.length > 4 || (parts.length === 4 && parts[3] !== 'status')) return undefined;
    return { resource, namespace: decodeURIComponent(parts[0] as string), name: parts[2] === undefined ? undefined : decodeURIComponent(parts[2]) };
  }
  return undefined;
}

function statusBody(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function matches(o: Json, selector: string | null): boolean {
  if (!selector) return true;
  const labels = ((o.metadata as Json).labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string | undefined];
    return v === undefined ? k in labels : labels[k] === v;
  });
}

const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNamedList = (x: unknown): x is Json[] => Array.isArray(x) && x.length > 0 && x.every((e) => isObj(e) && typeof e.name === 'string');

/** Merges an apply body into an object: maps by key, named lists by name, everything else replaced. */
function merge(into: unknown, body: unknown): unknown {
  if (isObj(into) && isObj(body)) {
    const out: Json = { ...into };
    for (const [k, v] of Object.entries(body)) out[k] = k in into ? merge(into[k], v) : structuredClone(v);
    return out;
  }
  // An empty list in an apply leaves the entries other managers own (as SSA does for list-maps).
  if (isNamedList(into) && Array.isArray(body) && body.length === 0) return structuredClone(into);
  if (isNamedList(into) && isNamedList(body)) {
    const out = into.map((e) => structuredClone(e));
    for (const e of body) {
      const i = out.findIndex((x) => x.name === e.name);
      if (i >= 0) out[i] = merge(out[i], e) as Json;
      else out.push(structuredClone(e));
    }
    return out;
  }
  return structuredClone(body);
}

/** Leaf fields of an apply body as paths such as `.spec.template.spec.containers[name=web].image`. */
function leaves(o: unknown, prefix = ''): [string, unknown][] {
  if (isObj(o)) return Object.entries(o).flatMap(([k, v]) => (prefix === '' && (k === 'apiVersion' || k === 'kind') ? [] : prefix === '.metadata' && (k === 'name' || k === 'namespace') ? [] : leaves(v, `${prefix}.${k}`)));
  if (isNamedList(o)) return o.flatMap((e) => leaves(e, `${prefix}[name=${String(e.name)}]`).filter(([p]) => !p.endsWith(`[name=${String(e.name)}].name`)).concat([[`${prefix}[name=${String(e.name)}].name`, e.name]]));
  return [[prefix, o]];
}

function valueAt(o: unknown, p: string): unknown {
  let cur: unknown = o;
  for (const part of p.split('.').slice(1)) {
    const m = /^([^[]+)(?:\[name=(.+)\])?$/.exec(part);
    if (!m || !isObj(cur)) return undefined;
    cur = cur[m[1] as string];
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur.find((e) => isObj(e) && e.name === m[2]) : undefined;
  }
  return cur;
}

/** Managed fields in the FieldsV1 shape (`f:` for map keys, `k:{"name":...}` for list entries). */
function managedFields(owners: Map<string, string>, apiVersion: string, operation: string): Json[] {
  const byManager = new Map<string, Json>();
  for (const [p, manager] of owners) {
    const root = byManager.get(manager) ?? {};
    byManager.set(manager, root);
    let cur = root;
    for (const part of p.split('.').slice(1)) {
      const m = /^([^[]+)(?:\[name=(.+)\])?$/.exec(part) as RegExpExecArray;
      const f = `f:${m[1] as string}`;
      cur[f] ??= {};
      cur = cur[f] as Json;
      if (m[2] !== undefined) {
        const kk = `k:${JSON.stringify({ name: m[2] })}`;
        cur[kk] ??= { '.': {} };
        cur = cur[kk] as Json;
      }
    }
  }
  return [...byManager.entries()].map(([manager, fieldsV1]) => ({ manager, operation, apiVersion, time: new Date(0).toISOString(), fieldsType: 'FieldsV1', fieldsV1 }));
}
