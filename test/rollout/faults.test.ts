import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { getRecord } from '../../src/rollout/records.js';
import { fixture, type Fixture } from './setup.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const names = (objs: Record<string, unknown>[]) => objs.map((o) => (o.metadata as { name: string }).name).sort();

let f: Fixture | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await f?.api.stop();
});

async function record(fx: Fixture) {
  const store = await Store.open(fx.db, { readOnly: true });
  try {
    return await getRecord(store, 'experiment', 'checkout_flow');
  } finally {
    store.close();
  }
}

describe('an apply that fails half-way', () => {
  it('rolls back what it created: nothing is left half-rolled, and the record says what exists', async () => {
    const fx = (f = await fixture());
    fx.api.fail({ method: 'PATCH', resource: 'deployments', name: 'web-express', status: 403, message: 'deployments.apps "web-express" is forbidden: exceeded quota: compute' });
    const r = await fx.cli('rollout', 'start', '--experiment', 'checkout_flow');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: rollout of checkout_flow failed: apply Deployment/web-express in shop: the API server answered 403: deployments.apps "web-express" is forbidden: exceeded quota: compute');
    expect(r.stderr).toContain('hint: nothing was left half-rolled: removed Deployment/web-one-page, ConfigMap/web-settings-express, ConfigMap/web-settings-one-page; the base Deployment is unchanged');
    // The first copy had been created, and is gone again.
    expect(fx.api.log.some((l) => l.method === 'PATCH' && l.name === 'web-one-page')).toBe(true);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web']);
    expect(names(fx.api.list('configmaps', 'shop'))).toEqual(['web-settings']);
    expect((fx.api.get('deployments', 'shop', 'web') as { spec: { replicas: number } }).spec.replicas).toBe(10);
    expect(fx.api.owners('deployments', 'shop', 'web').get('.spec.replicas')).toBe('kubectl');
    const rec = await record(fx);
    expect(rec?.state).toBe('failed');
    expect(rec?.objects.map((o) => o.name)).toEqual(['web']);
    expect(rec?.message).toContain('rolled back 3 object(s)');
    // Once the cause is gone, the rollout can be started again.
    fx.api.clearFaults();
    expect((await fx.cli('rollout', 'start', '--experiment', 'checkout_flow', '--no-wait')).code).toBe(0);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web', 'web-express', 'web-one-page']);
  });

  it('when the rollback fails too, the record and the hint name what is still there', async () => {
    const fx = (f = await fixture());
    fx.api.fail({ method: 'PATCH', resource: 'deployments', name: 'web-express', status: 422, message: 'Deployment.apps "web-express" is invalid' });
    fx.api.fail({ method: 'DELETE', resource: 'deployments', name: 'web-one-page', status: 403, message: 'forbidden', times: 1 });
    const r = await fx.cli('rollout', 'start', '--experiment', 'checkout_flow');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hint: still in the cluster: Deployment/web-one-page; run `statsig-hack rollout abort checkout_flow`');
    const rec = await record(fx);
    expect(rec?.state).toBe('failed');
    expect(rec?.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['Deployment/web', 'Deployment/web-one-page']);
    const status = await fx.cli('rollout', 'status', 'checkout_flow');
    expect(status.stdout).toContain('Deployment/web-one-page [One-Page]');
    fx.api.clearFaults();
    expect((await fx.cli('rollout', 'abort', 'checkout_flow')).code).toBe(0);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web']);
  });
});

/** `rollout watch` in a child process (so that it can be killed), through the real client. */
function watcher(fx: Fixture, ...args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, path.join(ROOT, 'test/support/cli-child.ts'), '--db', fx.db, 'rollout', 'watch', '--kubeconfig', fx.kubeconfig, ...args], {
    cwd: fx.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

async function until(what: string, cond: () => boolean, ms = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('rollout watch', () => {
  it('killed mid-rollout and restarted, converges without duplicates; the Lease keeps a second instance idle', async () => {
    const fx = (f = await fixture());
    const q = await fx.cli('rollout', 'start', '--experiment', 'checkout_flow', '--queue');
    expect(q.code).toBe(0);
    expect(fx.api.log.filter((l) => l.method === 'PATCH')).toEqual([]);
    // The first watcher gets as far as the second copy, and is killed while that apply is in flight.
    const held = fx.api.hold({ method: 'PATCH', name: 'web-express' });
    const w1 = watcher(fx, '--identity', 'w1', '--interval', '0.2', '--lease-seconds', '8');
    await until('the first watcher to reach web-express', () => held.hits() > 0);
    w1.child.kill('SIGKILL');
    await w1.done;
    fx.api.unhold();
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web', 'web-one-page']);
    expect((fx.api.get('deployments', 'shop', 'web') as { spec: { replicas: number } }).spec.replicas).toBe(10);
    const lease = fx.api.get('leases', 'shop', 'statsig-hack-rollout') as { spec: { holderIdentity: string; renewTime: string } };
    expect(lease.spec.holderIdentity).toBe('w1');

    // A new instance waits for the dead holder's lease to expire, then finishes the job.
    const w2 = watcher(fx, '--json', '--identity', 'w2', '--interval', '0.25', '--lease-seconds', '8', '--passes', '80');
    const out = await w2.done;
    expect(out.code).toBe(0);
    const ticks = (JSON.parse(out.stdout) as { passes: { time: string; leader: boolean; holder: string | null; error?: string }[] }).passes;
    // Until w1's lease expires (8 s after its last renewal) w2 only waits; after, it leads.
    const expiry = Date.parse(lease.spec.renewTime) + 8000;
    for (const t of ticks) {
      if (Date.parse(t.time) < expiry - 100) expect(t, t.time).toMatchObject({ leader: false, holder: 'w1' });
      if (Date.parse(t.time) > expiry + 100) expect(t, t.time).toMatchObject({ leader: true, holder: 'w2' });
    }
    expect(ticks.some((t) => t.leader)).toBe(true);
    expect(ticks.filter((t) => t.error)).toEqual([]);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web', 'web-express', 'web-one-page']);
    expect(names(fx.api.list('configmaps', 'shop'))).toEqual(['web-settings', 'web-settings-express', 'web-settings-one-page']);
    expect((fx.api.get('deployments', 'shop', 'web') as { spec: { replicas: number } }).spec.replicas).toBe(5);
    const lease2 = fx.api.get('leases', 'shop', 'statsig-hack-rollout') as { spec: { holderIdentity: string; leaseTransitions: number } };
    expect(lease2.spec).toMatchObject({ holderIdentity: 'w2', leaseTransitions: 1 });
    const rec = await record(fx);
    expect(rec?.state).toBe('available');

    // Restarting again changes nothing: same objects, no new generation.
    const gen = (fx.api.get('deployments', 'shop', 'web-express') as { metadata: { generation: number } }).metadata.generation;
    const w3 = watcher(fx, '--identity', 'w2', '--interval', '0.1', '--passes', '2');
    expect((await w3.done).code).toBe(0);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web', 'web-express', 'web-one-page']);
    expect((fx.api.get('deployments', 'shop', 'web-express') as { metadata: { generation: number } }).metadata.generation).toBe(gen);
  }, 240_000);

  it('picks up an experiment marked rollout.enabled in its spec', async () => {
    const fx = (f = await fixture());
    const store = await Store.open(fx.db);
    await store.run("UPDATE entities SET spec = json_merge_patch(spec, '{\"rollout\": {\"enabled\": true}}') WHERE name = 'checkout_flow'");
    store.close();
    const w = watcher(fx, '--json', '--identity', 'solo', '--interval', '0.2', '--passes', '3');
    const out = await w.done;
    expect(out.code).toBe(0);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web', 'web-express', 'web-one-page']);
    expect((await record(fx))?.desired).toBe('running');
  }, 120_000);
});

describe('rollout watch after a failed start', () => {
  it('removes copies that the rollback could not delete', async () => {
    const fx = (f = await fixture());
    fx.api.fail({ method: 'PATCH', resource: 'deployments', name: 'web-express', status: 422, message: 'invalid' });
    fx.api.fail({ method: 'DELETE', resource: 'deployments', name: 'web-one-page', status: 503, message: 'unavailable', times: 1 });
    expect((await fx.cli('rollout', 'start', '--experiment', 'checkout_flow')).code).toBe(1);
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web', 'web-one-page']);
    fx.api.clearFaults();
    const r = await fx.cli('rollout', 'watch', '--passes', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('checkout_flow: aborted: removed 1');
    expect(names(fx.api.list('deployments', 'shop'))).toEqual(['web']);
    expect((await record(fx))?.state).toBe('aborted');
  });
});
