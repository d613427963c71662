import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { getRecord } from '../../src/rollout/records.js';
import { WEB_YAML } from './fixtures.js';
import { fixture, type Fixture } from './setup.js';

type Obj = { metadata: { name: string; labels?: Record<string, string>; managedFields?: { manager: string; operation: string }[] }; spec: { replicas: number; template: { spec: { containers: { name: string; image: string; env?: { name: string; value: string }[] }[] } } }; data?: Record<string, string> };

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
});
afterAll(async () => {
  await f.api.stop();
});

const patches = () => f.api.log.filter((l) => l.method === 'PATCH');

describe('rollout start --dry-run', () => {
  it('works offline from -f: manifests and a diff, no cluster contacted', async () => {
    const before = f.api.log.length;
    const r = await f.cli('rollout', 'start', '--experiment', 'checkout_flow', '-f', WEB_YAML, '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(f.api.log.length).toBe(before);
    expect(r.stdout).toContain('Dry run: checkout_flow in namespace shop (base from');
    expect(r.stdout).toContain('+ Deployment/web-one-page (new)');
    expect(r.stdout).toMatch(/~ Deployment\/web\n[\s\S]*-\s+replicas: 10\n\+\s+replicas: 5/);
    expect(r.stdout).toMatch(/\+\s+value: onepage/);
    const yaml = await f.cli('rollout', 'start', '--experiment', 'checkout_flow', '-f', WEB_YAML, '--dry-run', '--yaml');
    const { loadAllYaml } = await import('@kubernetes/client-node');
    const docs = loadAllYaml(yaml.stdout) as { kind: string; metadata: { name: string }; spec?: { replicas?: number } }[];
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['ConfigMap/web-settings-one-page', 'ConfigMap/web-settings-express', 'Deployment/web-one-page', 'Deployment/web-express', 'Deployment/web']);
    expect(docs[4]?.spec?.replicas).toBe(5);
  });
  it('--json is one document with the manifests and diffs', async () => {
    const r = await f.cli('--json', 'rollout', 'start', '--experiment', 'checkout_flow', '-f', WEB_YAML, '--dry-run');
    expect(r.code).toBe(0);
    const j = r.json<{ groups: { group: string; replicas: number }[]; manifests: { kind: string; metadata: { name: string } }[]; diffs: { object: string; exists: boolean }[] }>();
    expect(j.groups.map((g) => [g.group, g.replicas])).toEqual([['Control', 5], ['One Page', 3], ['Express', 2]]);
    expect(j.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['ConfigMap/web-settings-one-page', 'ConfigMap/web-settings-express', 'Deployment/web-one-page', 'Deployment/web-express', 'Deployment/web']);
    expect(j.diffs.filter((d) => d.exists).map((d) => d.object)).toEqual(['Deployment/web']);
  });
  it('against the cluster reads live objects and applies nothing', async () => {
    const r = await f.cli('--json', 'rollout', 'start', '--experiment', 'checkout_flow', '--dry-run');
    expect(r.code).toBe(0);
    expect(f.api.log.some((l) => l.method === 'GET' && l.name === 'web')).toBe(true);
    expect(patches()).toEqual([]);
  });
  it('a missing required flag of a nested subcommand is a usage error, not a crash', async () => {
    const r = await f.cli('rollout', 'start', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--experiment <name>' not specified");
    expect(r.stderr).not.toContain('unexpected error');
  });
  it('refuses -f without --dry-run', async () => {
    const r = await f.cli('rollout', 'start', '--experiment', 'checkout_flow', '-f', WEB_YAML);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('-f works offline only');
  });
});

describe('a mapping that names a missing field', () => {
  it('is one clear error and nothing is applied', async () => {
    const before = f.api.log.length;
    const r = await f.cli('rollout', 'start', '--experiment', 'checkout_flow', '--map', 'flow=env:CHECKOUT_FLWO');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mapping flow=env:CHECKOUT_FLWO: container "web" has no env var CHECKOUT_FLWO');
    expect(r.stderr).toContain('did you mean CHECKOUT_FLOW?');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(f.api.log.slice(before).filter((l) => l.method !== 'GET')).toEqual([]);
    const store = await Store.open(f.db, { readOnly: true });
    expect(await getRecord(store, 'experiment', 'checkout_flow')).toBeNull();
    store.close();
  });
});

describe('rollout start, status, abort, promote through @kubernetes/client-node', () => {
  it('applies the copies by server-side apply and waits for them', async () => {
    const r = await f.cli('--json', 'rollout', 'start', '--experiment', 'checkout_flow', '--timeout', '20');
    expect(r.stderr).toMatch(/waiting for 3 Deployment\(s\) to become available/);
    expect(r.code).toBe(0);
    const j = r.json<{ state: string; groups: { deployment: string; replicas: number }[] }>();
    expect(j.state).toBe('available');
    expect(j.groups.map((g) => [g.deployment, g.replicas])).toEqual([['web', 5], ['web-one-page', 3], ['web-express', 2]]);
    // Every write was a server-side apply by the statsig-hack field manager.
    expect(patches().length).toBe(5);
    for (const p of patches()) {
      expect(p.contentType).toBe('application/apply-patch+yaml');
      expect(p.fieldManager).toBe('statsig-hack');
    }
    expect(patches().find((p) => p.name === 'web')?.force).toBe(true);
    expect(patches().find((p) => p.name === 'web-one-page')?.force).toBe(false);
    const copy = f.api.get('deployments', 'shop', 'web-one-page') as unknown as Obj;
    expect(copy.metadata.labels).toMatchObject({ app: 'web', 'statsig-hack/experiment': 'checkout_flow', 'statsig-hack/group': 'One-Page' });
    expect(copy.spec.template.spec.containers[0]?.env?.[0]).toEqual({ name: 'CHECKOUT_FLOW', value: 'onepage' });
    expect(copy.metadata.managedFields?.map((m) => m.manager)).toEqual(['statsig-hack']);
    expect((f.api.get('configmaps', 'shop', 'web-settings-express') as unknown as Obj).data?.button_color).toBe('red');
    // The base: replicas now owned by statsig-hack, the rest still by kubectl.
    const base = f.api.get('deployments', 'shop', 'web') as unknown as Obj;
    expect(base.spec.replicas).toBe(5);
    expect(base.spec.template.spec.containers[0]?.image).toBe('registry.example.com/shop/web:1.4.0');
    const owners = f.api.owners('deployments', 'shop', 'web');
    expect(owners.get('.spec.replicas')).toBe('statsig-hack');
    expect(owners.get('.spec.template.spec.containers[name=web].image')).toBe('kubectl');
    const store = await Store.open(f.db, { readOnly: true });
    const rec = await getRecord(store, 'experiment', 'checkout_flow');
    store.close();
    expect(rec?.state).toBe('available');
    expect(rec?.spec.totalReplicas).toBe(10);
    expect(rec?.objects.filter((o) => o.kind === 'Deployment').map((o) => `${o.name} ${o.available}/${o.replicas}`)).toEqual(['web 5/5', 'web-one-page 3/3', 'web-express 2/2']);
  });
  it('refuses to start the same experiment twice', async () => {
    const r = await f.cli('rollout', 'start', '--experiment', 'checkout_flow');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('experiment checkout_flow is already rolled out (available) to shop/web');
  });
  it('status shows the live objects', async () => {
    const r = await f.cli('rollout', 'status', 'checkout_flow');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('experiment checkout_flow  shop/web  wanted running, available');
    expect(r.stdout).toContain('Deployment/web-express [Express]  2/2 available');
    const before = f.api.log.length;
    const offline = await f.cli('rollout', 'status', 'checkout_flow', '--offline');
    expect(offline.stdout).toContain('recorded (not read (--offline)):');
    expect(offline.stdout).toContain('Deployment/web-one-page [One-Page]  3/3 available');
    expect(f.api.log.length).toBe(before);
    const all = await f.cli('--json', 'rollout', 'status');
    expect(all.json<{ rollouts: { name: string }[] }>().rollouts.map((x) => x.name)).toEqual(['checkout_flow']);
  });
  it('abort deletes the copies and restores the replicas', async () => {
    const r = await f.cli('--json', 'rollout', 'abort', 'checkout_flow');
    expect(r.code).toBe(0);
    expect(r.json<{ removed: string[] }>().removed.sort()).toEqual(['ConfigMap/web-settings-express', 'ConfigMap/web-settings-one-page', 'Deployment/web-express', 'Deployment/web-one-page']);
    expect(f.api.list('deployments', 'shop').map((d) => (d.metadata as { name: string }).name)).toEqual(['web']);
    expect(f.api.list('configmaps', 'shop').map((d) => (d.metadata as { name: string }).name)).toEqual(['web-settings']);
    expect((f.api.get('deployments', 'shop', 'web') as unknown as Obj).spec.replicas).toBe(10);
  });
  it('promote refuses without analysis data unless --force, then writes the winner into the base', async () => {
    expect((await f.cli('rollout', 'start', '--experiment', 'checkout_flow', '--no-wait')).code).toBe(0);
    const blocked = await f.cli('rollout', 'promote', 'checkout_flow', '--group', 'Express');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('not promoting Express of checkout_flow: the analysis could not run');
    expect(f.api.list('deployments', 'shop')).toHaveLength(3);
    const r = await f.cli('--json', 'rollout', 'promote', 'checkout_flow', '--group', 'express', '--force');
    expect(r.code).toBe(0);
    expect(r.json<{ state: string; group: string; forced: boolean }>()).toMatchObject({ state: 'promoted', group: 'Express', forced: true });
    const base = f.api.get('deployments', 'shop', 'web') as unknown as Obj;
    expect(base.spec.replicas).toBe(10);
    expect(base.spec.template.spec.containers[0]?.image).toBe('registry.example.com/shop/web:1.5.0-rc2');
    expect(base.spec.template.spec.containers[0]?.env).toEqual([{ name: 'CHECKOUT_FLOW', value: 'express' }, { name: 'LOG_LEVEL', value: 'info' }]);
    expect(base.spec.template.spec.containers[1]?.image).toBe('envoyproxy/envoy:v1.30.0');
    expect((f.api.get('configmaps', 'shop', 'web-settings') as unknown as Obj).data).toEqual({ button_color: 'red', banner: 'off' });
    expect(f.api.list('deployments', 'shop')).toHaveLength(1);
  });
});
