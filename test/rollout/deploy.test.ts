import fs from 'node:fs';
import path from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, insertEntity, type Fixture } from './setup.js';
import { CHECKOUT_SPEC } from './fixtures.js';

const DIR = path.resolve(import.meta.dirname, '../../deploy/k8s');
type Doc = { kind: string; metadata: { name: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
const docs = (): Doc[] => fs.readdirSync(DIR).flatMap((f) => loadAllYaml(fs.readFileSync(path.join(DIR, f), 'utf8')) as Doc[]);

const MODELS: Record<string, new (o: never) => { validate(): void }> = { Deployment, Namespace, PersistentVolumeClaim, ServiceAccount, Role, RoleBinding };

let f: Fixture | undefined;
afterAll(async () => {
  await f?.api.stop();
});

describe('deploy/k8s', () => {
  it('every manifest matches the official Kubernetes schema', () => {
    const all = docs();
    expect(all.map((d) => d.kind).sort()).toEqual(['Deployment', 'Namespace', 'PersistentVolumeClaim', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const d of all) {
      const Model = MODELS[d.kind];
      expect(Model, d.kind).toBeDefined();
      expect(() => new (Model as new (o: Doc) => { validate(): void })(d).validate()).not.toThrow();
    }
  });

  it('the Role grants exactly the verbs that start, status, promote, abort, apply and watch use', async () => {
    const fx = (f = await fixture(CHECKOUT_SPEC, (s) => insertEntity(s, 'dynamic_configs', 'checkout_defaults', { name: 'checkout_defaults', defaultValue: { flow: 'express' }, rollout: { deployment: 'web', map: { flow: 'env:CHECKOUT_FLOW' } } })));
    const steps = [
      ['rollout', 'start', '--experiment', 'checkout_flow', '--timeout', '20'],
      ['rollout', 'status', 'checkout_flow'],
      ['rollout', 'abort', 'checkout_flow'],
      ['rollout', 'start', '--experiment', 'checkout_flow', '--no-wait'],
      ['rollout', 'promote', 'checkout_flow', '--group', 'Express', '--force'],
      ['rollout', 'apply', 'checkout_defaults', '--no-wait'],
      ['rollout', 'start', '--experiment', 'checkout_flow', '--queue'],
      ['rollout', 'watch', '--passes', '2', '--interval', '0.05'],
    ];
    for (const s of steps) expect((await fx.cli(...s)).code, s.join(' ')).toBe(0);
    const verb = (l: (typeof fx.api.log)[number]): string[] => {
      if (l.method === 'GET') return [l.name === undefined ? 'list' : 'get'];
      if (l.method === 'PATCH') return l.status === 201 ? ['create', 'patch'] : ['patch'];
      return [{ POST: 'create', PUT: 'update', DELETE: 'delete' }[l.method] ?? l.method];
    };
    const used = new Set(fx.api.log.flatMap((l) => verb(l).map((v) => `${l.resource}:${v}`)));
    const role = docs().find((d) => d.kind === 'Role') as Doc;
    const granted = new Set((role.rules ?? []).flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`))));
    expect([...used].sort()).toEqual([...granted].sort());
  });
});
