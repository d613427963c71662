import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { fixture, type Fixture } from './setup.js';
import { CHECKOUT_SPEC } from './fixtures.js';

/**
 * Exposures and purchases for the checkout experiment: `counts` units per group; each unit of
 * a group makes `rate(i)` purchases after exposure (deterministic, no randomness).
 */
async function seedResults(store: Store, counts: Record<string, number>, rate: Record<string, string>): Promise<void> {
  let offset = 0;
  for (const [group, n] of Object.entries(counts)) {
    await store.run(`INSERT INTO exposures SELECT 'u' || (i + ${offset}), 'checkout_flow', '${group}', TIMESTAMP '2026-10-01 00:00:00' FROM range(${n}) t(i)`);
    await store.run(
      `INSERT INTO events SELECT 'u' || (i + ${offset}), 'purchase', TIMESTAMP '2026-10-02 00:00:00' + INTERVAL (j) MINUTE, NULL, NULL
       FROM range(${n}) t(i), range(10) s(j) WHERE j < (${rate[group] ?? '0'})`,
    );
    offset += n;
  }
}

let f: Fixture | undefined;
afterEach(async () => {
  await f?.api.stop();
});

async function started(counts: Record<string, number>, rate: Record<string, string>): Promise<Fixture> {
  f = await fixture(CHECKOUT_SPEC, (s) => seedResults(s, counts, rate));
  const r = await f.cli('rollout', 'start', '--experiment', 'checkout_flow', '--no-wait');
  expect(r.code).toBe(0);
  return f;
}

describe('rollout promote checks the analysis', () => {
  it('refuses a group whose metric is significantly worse, and on a sample ratio mismatch', async () => {
    const fx = await started({ Control: 600, 'One Page': 600, Express: 400 }, { Control: '1 + i % 3', 'One Page': '1 + i % 3', Express: 'i % 2' });
    const worse = await fx.cli('rollout', 'promote', 'checkout_flow', '--group', 'Express');
    expect(worse.code).toBe(1);
    expect(worse.stderr).toContain('not promoting Express of checkout_flow: sample ratio mismatch');
    expect(worse.stderr).toMatch(/purchase:event_count is significantly worse for Express \(-75\.0%, p = [0-9.e-]+; increase is good\)/);
    expect(worse.stderr).toContain('pass --force to promote anyway');
    // Nothing changed in the cluster.
    expect(fx.api.list('deployments', 'shop')).toHaveLength(3);
    expect(fx.api.log.filter((l) => l.method === 'PATCH' && l.name === 'web')).toHaveLength(1);
  });
  it('promotes a group that is not worse when the split matches the group sizes (50/25/25)', async () => {
    const fx = await started({ Control: 800, 'One Page': 400, Express: 400 }, { Control: '1 + i % 3', 'One Page': '2 + i % 3', Express: 'i % 2' });
    const r = await fx.cli('--json', 'rollout', 'promote', 'checkout_flow', '--group', 'One Page');
    expect(r.stdout).toContain('"state": "promoted"');
    expect(r.code).toBe(0);
    expect(r.json<{ state: string; forced: boolean; removed: string[] }>()).toMatchObject({ state: 'promoted', forced: false });
    const env = (fx.api.get('deployments', 'shop', 'web') as { spec: { template: { spec: { containers: { env: { value: string }[] }[] } } } }).spec.template.spec.containers[0]?.env[0];
    expect(env?.value).toBe('onepage');
    expect(fx.api.list('deployments', 'shop')).toHaveLength(1);
  });
});
