import { afterEach, describe, expect, it } from 'vitest';
import { fixture, insertEntity, type Fixture } from './setup.js';
import { CHECKOUT_SPEC } from './fixtures.js';

const CONFIG = {
  name: 'checkout_defaults',
  defaultValue: { flow: 'express', color: 'red', mem: '512Mi' },
  rollout: { deployment: 'web', namespace: 'shop', map: { flow: 'env:CHECKOUT_FLOW', color: 'configmap:web-settings/button_color', mem: 'resources.limits.memory@web' } },
};

let f: Fixture | undefined;
afterEach(async () => {
  await f?.api.stop();
});

type Web = { spec: { replicas: number; template: { spec: { containers: { env: { name: string; value: string }[]; resources: { limits: Record<string, string> } }[] } } } };

describe('rollout apply --config', () => {
  it("applies a dynamic config's values to the Deployment in one shot, and records it", async () => {
    const fx = (f = await fixture(CHECKOUT_SPEC, (s) => insertEntity(s, 'dynamic_configs', CONFIG.name, CONFIG, 'enabled')));
    const r = await fx.cli('--json', 'rollout', 'apply', '--config', 'checkout_defaults', '--timeout', '20'); // the spelling: --config is also the global config-file flag
    expect(r.code).toBe(0);
    expect(r.json<{ state: string; applied: string[] }>()).toMatchObject({ state: 'applied', applied: ['ConfigMap/web-settings', 'Deployment/web'] });
    const web = fx.api.get('deployments', 'shop', 'web') as unknown as Web;
    expect(web.spec.replicas).toBe(10);
    expect(web.spec.template.spec.containers[0]?.env[0]).toEqual({ name: 'CHECKOUT_FLOW', value: 'express' });
    expect(web.spec.template.spec.containers[0]?.resources.limits).toEqual({ cpu: '500m', memory: '512Mi' });
    expect((fx.api.get('configmaps', 'shop', 'web-settings') as { data: Record<string, string> }).data.button_color).toBe('red');
    const status = await fx.cli('rollout', 'status');
    expect(status.stdout).toContain('config checkout_defaults  shop/web  wanted applied, applied');
    // No copies: a config is one value for everyone.
    expect(fx.api.list('deployments', 'shop')).toHaveLength(1);
  });
  it('names a mapped field that does not exist before applying anything', async () => {
    const fx = (f = await fixture(CHECKOUT_SPEC, (s) => insertEntity(s, 'dynamic_configs', CONFIG.name, CONFIG, 'enabled')));
    const r = await fx.cli('rollout', 'apply', '--config', 'checkout_defaults', '--map', 'mem=resources.limits.memory@api');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: mapping mem=resources.limits.memory@api: the Deployment has no container "api"');
    expect(r.stderr).toContain('containers: web, sidecar');
    expect(fx.api.log.filter((l) => l.method === 'PATCH')).toEqual([]);
    const missing = await fx.cli('rollout', 'apply', '--config', 'nope');
    expect(missing.stderr).toContain('no dynamic config named "nope" in the project store');
    expect(missing.stderr).toContain('dynamic configs: checkout_defaults');
  });
});
