/**
 * The bindings-only reader (store/lite.ts) against real store files, and `status`'s one-query
 * summary against the multi-query summary through Store on the same seeded store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobScope } from '../../src/observe/jobs/scope.js';
import { bindings, readFirstText, readJsonDocument, varcharAt } from '../../src/store/lite.js';
import { queryObserver } from '../../src/store/observer.js';
import { LATEST_VERSION } from '../../src/store/schema.js';
import { STATUS_SQL, readStoreStatus, storeStatus, storeStatusLite } from '../../src/store/status.js';
import { Store } from '../../src/store/store.js';
import { tmpDir, tmpStore } from '../support/tmp.js';

/** Inline (<= 12 bytes) and pointer strings, multi-byte text on both sides of the limit, and NULL. */
const TEXTS: (string | null)[] = [
  '',
  'a',
  'twelve bytes', // exactly 12: the last inline length
  'thirteen byte', // 13: the first through a pointer
  'é✓日本', // 11 bytes in 4 characters: inline
  'é✓日本語', // 14 bytes in 5 characters: a pointer
  '🎉 party ✓ — naïve café 日本語 '.repeat(20),
  null,
  'after a null',
];

async function textStore(): Promise<string> {
  const { file, store } = await tmpStore();
  await store.run('CREATE TABLE texts (i INTEGER, s VARCHAR)');
  for (const [i, s] of TEXTS.entries()) await store.run('INSERT INTO texts VALUES ($1, $2)', [i, s]);
  store.close();
  return file;
}

describe('readFirstText / readJsonDocument (DuckDB bindings alone)', () => {
  it('reads strings shorter and longer than 12 bytes, unicode and NULL exactly', async () => {
    const file = await textStore();
    for (const [i, s] of TEXTS.entries()) expect(await readFirstText(file, `SELECT s FROM texts WHERE i = ${i}`), `row ${i}`).toBe(s);
    expect(await readFirstText(file, 'SELECT s FROM texts WHERE i < 0')).toBeNull(); // no row
    expect(await readJsonDocument(file, 'SELECT to_json(list(s ORDER BY i))::VARCHAR FROM texts')).toEqual(TEXTS);
  });

  it('varcharAt reads every row of a chunk, not only the first', async () => {
    const file = await textStore();
    const ddb = bindings();
    const config = ddb.create_config();
    ddb.set_config(config, 'access_mode', 'READ_ONLY');
    const db = await ddb.open(file, config);
    const conn = await ddb.connect(db);
    try {
      const chunk = await ddb.fetch_chunk(await ddb.query(conn, 'SELECT s FROM texts ORDER BY i'));
      expect(chunk).not.toBeNull();
      const rows = ddb.data_chunk_get_size(chunk!);
      const vector = ddb.data_chunk_get_vector(chunk!, 0);
      expect(Array.from({ length: rows }, (_, r) => varcharAt(ddb, vector, rows, r))).toEqual(TEXTS);
    } finally {
      ddb.disconnect_sync(conn);
      ddb.close_sync(db);
    }
  });

  it('opens read-only and throws for a missing file or bad SQL (the caller falls back to Store)', async () => {
    const file = await textStore();
    await expect(readFirstText(file, 'CREATE TABLE x (i INTEGER)')).rejects.toThrow(/read-only/i);
    await expect(readFirstText(file, 'SELECT nope FROM texts')).rejects.toThrow(/nope/);
    await expect(readFirstText(path.join(tmpDir(), 'none.duckdb'), 'SELECT 1')).rejects.toThrow(/no store/);
  });
});

async function seeded(): Promise<string> {
  const { file, store } = await tmpStore();
  const entity = (kind: string, name: string, status: string | null): Promise<void> =>
    store.run("INSERT INTO entities (kind, name, status, spec) VALUES ($1, $2, $3, '{}')", [kind, name, status]);
  await entity('gates', 'new_checkout', null);
  await entity('metrics', 'revenue', null);
  await entity('metrics', 'purchase', null);
  await entity('experiments', 'zeta_test', 'active');
  await entity('experiments', 'alpha_test', 'active');
  await entity('experiments', 'Bright banner ✓ naïve 日本語 (long name)', 'setup');
  await entity('experiments', 'no_status', null);
  await entity('experiments', 'done_one', 'decision_made');
  await entity('layers', 'l1', null);
  await store.run("INSERT INTO project VALUES ('project', $1)", [JSON.stringify({ name: 'Villain Corp ✓', description: 'a tech company run by villains — ünïcode' })]);
  await store.run("INSERT INTO users (unit_id, country) SELECT 'u' || i, 'US' FROM range(250) t(i)");
  await store.run("INSERT INTO events (unit_id, event, ts, value) SELECT 'u' || (i % 250), 'purchase', TIMESTAMP '2026-10-01' + INTERVAL (i) MINUTE, i FROM range(1000) t(i)");
  store.close();
  return file;
}

async function viaStore(file: string): Promise<unknown> {
  const store = await Store.open(file, { readOnly: true });
  try {
    return await storeStatus(store);
  } finally {
    store.close();
  }
}

describe('status in one query through the bindings', () => {
  it('gives exactly the summary of the multi-query Store path, keys in the same order', async () => {
    const file = await seeded();
    const lite = await storeStatusLite(file);
    expect(lite).not.toBeNull();
    const old = await viaStore(file);
    expect(JSON.stringify(lite)).toBe(JSON.stringify(old));
    expect(lite!.experiments_by_status).toEqual({ active: 2, decision_made: 1, setup: 1, unknown: 1 });
    expect(lite!.tables.events).toBe(1000);
    expect(lite!.project).toEqual({ name: 'Villain Corp ✓', description: 'a tech company run by villains — ünïcode' });
  });

  it('an empty store and a project with no description or name read the same both ways', async () => {
    const { file, store } = await tmpStore();
    store.close();
    expect(JSON.stringify(await storeStatusLite(file))).toBe(JSON.stringify(await viaStore(file)));
    const rw = await Store.open(file);
    await rw.run("INSERT INTO project VALUES ('project', '{}')");
    rw.close();
    const lite = await storeStatusLite(file);
    expect(lite?.project).toEqual({ name: 'unnamed' });
    expect(JSON.stringify(lite)).toBe(JSON.stringify(await viaStore(file)));
  });

  it('falls back to Store (and its errors) for a missing or outdated store', async () => {
    const missing = path.join(tmpDir(), 'none.duckdb');
    expect(await storeStatusLite(missing)).toBeNull();
    await expect(readStoreStatus(missing)).rejects.toMatchObject({ code: 'STORE_MISSING' });
    expect(fs.existsSync(missing)).toBe(false);
    const old = path.join(tmpDir(), 'old.duckdb');
    (await Store.open(old, { create: true, targetVersion: LATEST_VERSION - 1 })).close();
    expect(await storeStatusLite(old)).toBeNull();
    await expect(readStoreStatus(old)).rejects.toMatchObject({ code: 'STORE_OUTDATED' });
  });

  it('the one query is recorded in the job log', async () => {
    const file = await seeded();
    const jobs = new JobScope();
    jobs.describe('status', {}, file);
    await queryObserver.run(jobs, () => readStoreStatus(file));
    expect(jobs.records.map((r) => [r.command, r.sql, r.outcome])).toEqual([['status', STATUS_SQL, 'ok']]);
  });
});
