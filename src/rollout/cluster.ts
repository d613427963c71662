/**
 * The cluster as the rollout services see it: read, list by label, server-side apply (field
 * manager `statsig-hack`), delete, and a Lease. `connect` builds it on @kubernetes/client-node
 * (loaded lazily) from a kubeconfig; the services take the interface, nothing else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError, didYouMean, errorMessage } from '../core/errors.js';
import { FIELD_MANAGER, type KubeObject } from './manifest.js';

export type Kind = 'Deployment' | 'ConfigMap';

export interface Lease {
  name: string;
  namespace: string;
  holder: string | null;
  durationSeconds: number;
  renewTime: string | null;
  transitions: number;
  resourceVersion?: string;
}

export interface Cluster {
  /** The namespace of the kubeconfig context (or the pod's, in cluster). */
  namespace: string;
  /** Where it points, for messages (server URL and context). */
  describe: string;
  get(kind: Kind, namespace: string, name: string): Promise<KubeObject | null>;
  list(kind: Kind, namespace: string, labelSelector: string): Promise<KubeObject[]>;
  /** Server-side apply with the statsig-hack field manager; `force` takes fields owned by others. */
  apply(obj: KubeObject, force: boolean): Promise<KubeObject>;
  /** Deletes; false when it did not exist. */
  remove(kind: Kind, namespace: string, name: string): Promise<boolean>;
  getLease(namespace: string, name: string): Promise<Lease | null>;
  /** Creates (no resourceVersion) or replaces (with one) a Lease; false when another writer won. */
  writeLease(lease: Lease): Promise<boolean>;
}

export interface ConnectOptions {
  env: NodeJS.ProcessEnv;
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

/** An error from the API server, as a UserError that names the object and what the server said. */
export class ApiError extends UserError {
  constructor(
    readonly status: number,
    what: string,
    message: string,
  ) {
    super(`${what}: the API server answered ${status}: ${message}`, {
      code: 'KUBE_API',
      hint:
        status === 401 || status === 403
          ? 'check the kubeconfig user and its RBAC (deploy/k8s/rbac.yaml lists what statsig-hack needs)'
          : status === 409
            ? 'another field manager (kubectl edit, a controller) changed fields statsig-hack sets on its copies: undo that change, or `rollout abort` and start again'
            : 'check the object and the cluster, then run the command again',
    });
  }
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function serverMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message.slice(0, 500);
    } catch {
      return body.slice(0, 200);
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return String((body as { message: string }).message).slice(0, 500);
  return errorMessage(error).split('\n')[0] ?? 'unknown error';
}

const plain = <T>(x: unknown): T => JSON.parse(JSON.stringify(x)) as T;

/** Which kubeconfig file: --kubeconfig, then $KUBECONFIG (first entry), then ~/.kube/config; null means in-cluster. */
export function kubeconfigPath(opts: ConnectOptions): string | null {
  if (opts.kubeconfig) return path.resolve(opts.kubeconfig);
  const fromEnv = opts.env.KUBECONFIG?.split(path.delimiter).find((p) => p.length > 0);
  if (fromEnv) return path.resolve(fromEnv);
  const home = path.join(opts.env.HOME ?? os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return home;
  if (opts.env.KUBERNETES_SERVICE_HOST) return null;
  return home;
}

export async function connect(opts: ConnectOptions): Promise<Cluster> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const file = kubeconfigPath(opts);
  let namespace = 'default';
  if (file === null) {
    kc.loadFromCluster();
    const nsFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
    if (fs.existsSync(nsFile)) namespace = fs.readFileSync(nsFile, 'utf8').trim() || namespace;
  } else {
    if (!fs.existsSync(file)) throw new UserError(`no kubeconfig at ${file}`, { hint: 'pass --kubeconfig <file>, set KUBECONFIG, or use -f deployment.yaml --dry-run to work offline', code: 'NO_KUBECONFIG' });
    try {
      kc.loadFromFile(file);
    } catch (error) {
      throw new UserError(`cannot read the kubeconfig ${file}: ${errorMessage(error).split('\n')[0] ?? ''}`, { hint: 'check that it is a valid kubeconfig (kubectl config view)', code: 'BAD_KUBECONFIG' });
    }
    if (opts.context) {
      const names = kc.getContexts().map((c) => c.name);
      if (!names.includes(opts.context)) {
        const near = didYouMean(opts.context, names);
        throw new UserError(`no context "${opts.context}" in ${file}`, { hint: `${near ? `did you mean ${near}? ` : ''}contexts: ${names.join(', ') || '(none)'}`, code: 'NO_CONTEXT' });
      }
      kc.setCurrentContext(opts.context);
    }
    const ctx = kc.getContextObject(kc.getCurrentContext());
    if (!ctx) throw new UserError(`the kubeconfig ${file} has no current context`, { hint: 'pass --context <name>', code: 'NO_CONTEXT' });
    namespace = ctx.namespace ?? 'default';
  }
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  const applyHeader = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const status = statusOf(error);
      if (status === undefined) {
        throw new UserError(`${what}: cannot reach the API server at ${server}: ${errorMessage(error).split('\n')[0] ?? ''}`, { hint: 'check the cluster is running and the kubeconfig context (kubectl cluster-info)', code: 'KUBE_UNREACHABLE' });
      }
      throw new ApiError(status, what, serverMessage(error));
    }
  };
  const orNull = async <T>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  };

  return {
    namespace,
    describe: `${server} (context ${kc.getCurrentContext() || 'in-cluster'})`,
    get: (kind, ns, name) =>
      orNull(() =>
        call(`get ${kind}/${name} in ${ns}`, async () =>
          plain<KubeObject>(kind === 'Deployment' ? await apps.readNamespacedDeployment({ name, namespace: ns }) : await core.readNamespacedConfigMap({ name, namespace: ns })),
        ),
      ),
    list: (kind, ns, labelSelector) =>
      call(`list ${kind}s in ${ns}`, async () => {
        const list = kind === 'Deployment' ? await apps.listNamespacedDeployment({ namespace: ns, labelSelector }) : await core.listNamespacedConfigMap({ namespace: ns, labelSelector });
        return plain<{ items: KubeObject[] }>(list).items.map((o) => ({ ...o, apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind }));
      }),
    apply: (obj, force) => {
      const name = obj.metadata.name;
      const ns = obj.metadata.namespace ?? namespace;
      const req = { name, namespace: ns, body: obj, fieldManager: FIELD_MANAGER, force };
      return call(`apply ${obj.kind}/${name} in ${ns}`, async () =>
        plain<KubeObject>(obj.kind === 'Deployment' ? await apps.patchNamespacedDeployment(req, applyHeader) : await core.patchNamespacedConfigMap(req, applyHeader)),
      );
    },
    remove: async (kind, ns, name) =>
      (await orNull(() => call(`delete ${kind}/${name} in ${ns}`, async () => (kind === 'Deployment' ? await apps.deleteNamespacedDeployment({ name, namespace: ns }) : await core.deleteNamespacedConfigMap({ name, namespace: ns }))))) !== null,
    getLease: async (ns, name) => {
      const l = await orNull(() => call(`get Lease/${name} in ${ns}`, async () => plain<LeaseObject>(await coord.readNamespacedLease({ name, namespace: ns }))));
      return l ? fromLeaseObject(l) : null;
    },
    writeLease: async (lease) => {
      const body = toLeaseObject(lease);
      try {
        if (lease.resourceVersion === undefined) await call(`create Lease/${lease.name}`, () => coord.createNamespacedLease({ namespace: lease.namespace, body }));
        else await call(`update Lease/${lease.name}`, () => coord.replaceNamespacedLease({ name: lease.name, namespace: lease.namespace, body }));
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) return false;
        throw error;
      }
    },
  };
}

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; leaseTransitions?: number };
}

function fromLeaseObject(l: LeaseObject): Lease {
  return {
    name: l.metadata.name,
    namespace: l.metadata.namespace,
    holder: l.spec?.holderIdentity ?? null,
    durationSeconds: l.spec?.leaseDurationSeconds ?? 15,
    renewTime: l.spec?.renewTime ?? null,
    transitions: l.spec?.leaseTransitions ?? 0,
    resourceVersion: l.metadata.resourceVersion,
  };
}

function toLeaseObject(l: Lease) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: l.name, namespace: l.namespace, ...(l.resourceVersion === undefined ? {} : { resourceVersion: l.resourceVersion }) },
    spec: { holderIdentity: l.holder ?? undefined, leaseDurationSeconds: l.durationSeconds, renewTime: l.renewTime ? new Date(l.renewTime) : undefined, leaseTransitions: l.transitions },
  };
}

/** Whether `me` may take or keep the lease at `now` (pure: the decision the watcher acts on). */
export function leaseDecision(lease: Lease | null, me: string, now: Date): 'create' | 'renew' | 'take' | 'held' {
  if (!lease) return 'create';
  if (lease.holder === me) return 'renew';
  const renewed = lease.renewTime ? Date.parse(lease.renewTime) : 0;
  if (!lease.holder || renewed + lease.durationSeconds * 1000 < now.getTime()) return 'take';
  return 'held';
}
