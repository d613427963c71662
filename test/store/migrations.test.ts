import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src/store/schema.js';
import { tmpDir } from '../support/tmp.js';

async function columns(store: Store, table: string): Promise<string[]> {
  const rows = await store.all<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`);
  return rows.map((r) => r.column_name);
}

describe('store migrations', () => {
  it('migrates an empty store to the latest version', async () => {
    const file = path.join(tmpDir(), 'p.duckdb');
    const store = await Store.open(file, { create: true });
    expect(await store.version()).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBe(MIGRATIONS.length);
    for (const t of ['entities', 'users', 'exposures', 'events', 'true_effects', 'project']) expect(await store.count(t)).toBe(0);
    expect(await columns(store, 'users')).toEqual(['unit_id', 'country', 'platform', 'plan', 'created_at', 'attributes', 'tenure_days', 'channel']);
    // idempotent: nothing left to apply
    expect(await store.migrate()).toEqual([]);
    store.close();
  });

  it('migrates a store from the previous version, keeping its data', async () => {
    const file = path.join(tmpDir(), 'p.duckdb');
    const v1 = await Store.open(file, { create: true, targetVersion: 1 });
    expect(await v1.version()).toBe(1);
    await v1.run("INSERT INTO users (unit_id, country) VALUES ('u1', 'US'), ('u2', 'BR')");
    await v1.run("INSERT INTO true_effects VALUES ('exp', 'revenue', 'test', 0.5, 0.02)");
    expect(await columns(v1, 'users')).not.toContain('tenure_days');
    v1.close();

    const v2 = await Store.open(file);
    expect(await v2.version()).toBe(LATEST_VERSION);
    expect(await v2.all('SELECT unit_id, country, tenure_days FROM users ORDER BY unit_id')).toEqual([
      { unit_id: 'u1', country: 'US', tenure_days: null },
      { unit_id: 'u2', country: 'BR', tenure_days: null },
    ]);
    expect(await v2.all('SELECT experiment, segment FROM true_effects')).toEqual([{ experiment: 'exp', segment: 'all' }]);
    const versions = await v2.all('SELECT version FROM schema_version ORDER BY version');
    expect(versions.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await v2.all("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'events'")).toEqual([]);
    v2.close();
  });

  it('refuses a store from a newer statsig-hack', async () => {
    const file = path.join(tmpDir(), 'p.duckdb');
    const s = await Store.open(file, { create: true });
    await s.run("INSERT INTO schema_version (version, description) VALUES (99, 'future')");
    s.close();
    await expect(Store.open(file)).rejects.toMatchObject({ code: 'STORE_TOO_NEW' });
  });

  it('a read-only open of an outdated store asks for init', async () => {
    const file = path.join(tmpDir(), 'p.duckdb');
    (await Store.open(file, { create: true, targetVersion: 1 })).close();
    await expect(Store.open(file, { readOnly: true })).rejects.toMatchObject({ code: 'STORE_OUTDATED' });
  });

  it('migrates from version 2 (with the events index) to the latest', async () => {
    const file = path.join(tmpDir(), 'p.duckdb');
    const old = await Store.open(file, { create: true, targetVersion: 2 });
    await old.run("INSERT INTO events (unit_id, event, ts, value) VALUES ('u1', 'purchase', TIMESTAMP '2026-10-01 10:00:00', 3.5)");
    expect(await old.all("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'events'")).toEqual([{ index_name: 'events_unit_ts' }]);
    old.close();
    const now = await Store.open(file);
    expect(await now.version()).toBe(LATEST_VERSION);
    expect(await now.all('SELECT unit_id, value FROM events')).toEqual([{ unit_id: 'u1', value: 3.5 }]);
    expect(await now.all("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'events'")).toEqual([]);
    expect(await now.count('jobs')).toBe(0); // v5: the job log
    expect(await now.count('rollouts')).toBe(0); // v6: rollouts
    expect(await now.count('scorecards')).toBe(0); // v7: scorecards
    now.close();
  });

  it('a failing migration rolls back and leaves the version unchanged', async () => {
    const store = await Store.memory({ migrate: false });
    await store.migrate(1);
    await store.run('CREATE TABLE project (x INTEGER)'); // makes migration 2 fail at its first statement
    await expect(store.migrate()).rejects.toThrow();
    expect(await store.version()).toBe(1);
    expect(await columns(store, 'users')).not.toContain('tenure_days');
    store.close();
  });
});
