import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JobScope, shapesPath, spoolPath } from '../../src/observe/jobs/scope.js';
import { isBookkeeping } from '../../src/observe/jobs/shapes.js';
import { fingerprint } from '../../src/observe/jobs/record.js';
import { ingestSpool } from '../../src/observe/jobs/log.js';
import { queryObserver } from '../../src/store/observer.js';
import { tmpStore } from '../support/tmp.js';

describe('bookkeeping statements and the profiler', () => {
  it('isBookkeeping reads the first word only', () => {
    for (const sql of ['SET threads = 1', '  pragma disable_profiling', 'BEGIN TRANSACTION', 'commit;', 'RESET threads', 'START TRANSACTION', '\n\tCHECKPOINT']) expect(isBookkeeping(sql), sql).toBe(true);
    for (const sql of ['SELECT 1', 'WITH s AS (SELECT 1) SELECT * FROM s', 'SETTINGS', 'settle', '', '   ', 'CREATE TABLE t AS SELECT 1', "SELECT 'SET x'"]) expect(isBookkeeping(sql), sql).toBe(false);
  });

  it('a SET runs as the profiler is (no switch), and never gets a shape of its own', async () => {
    const { file, store } = await tmpStore();
    const runOnce = async (): Promise<{ sql: string; profiled: boolean | undefined }[]> => {
      const scope = new JobScope();
      scope.describe('analyze', {}, file, { sampleEvery: 0 });
      await queryObserver.run(scope, async () => {
        await store.all('SELECT 1 AS a');
        await store.run('SET threads = 1');
        await store.all('SELECT 2 AS b');
        await store.run('SET threads = 2');
      });
      const out = scope.records.map((r) => ({ sql: r.sql, profiled: r.profiled }));
      scope.flush();
      return out;
    };
    // First run: both SELECTs are new shapes, so profiled; the SETs between them keep the profiler on.
    expect(await runOnce()).toEqual([
      { sql: 'SELECT 1 AS a', profiled: true },
      { sql: 'SET threads = 1', profiled: true },
      { sql: 'SELECT 2 AS b', profiled: true },
      { sql: 'SET threads = 2', profiled: true },
    ]);
    // Second run: nothing new, nothing sampled: the profiler is never switched on, SETs included.
    const second = await runOnce();
    expect(second.map((r) => r.profiled)).toEqual([false, false, false, false]);
    const journal = fs.readFileSync(shapesPath(file), 'utf8');
    expect(journal).toContain(fingerprint('SELECT 1 AS a'));
    expect(journal).not.toContain(fingerprint('SET threads = 1'));
    store.close();
  });

  it('a SET first in a run, new to the journal, is not profiled on its own (the profiler stays off)', async () => {
    const { file, store } = await tmpStore();
    const scope = new JobScope();
    scope.describe('analyze', {}, file, { sampleEvery: 0 });
    await queryObserver.run(scope, async () => {
      await store.run('SET threads = 1');
      await store.all('SELECT 3 AS c');
    });
    expect(scope.records.map((r) => [r.sql, r.profiled])).toEqual([
      ['SET threads = 1', false],
      ['SELECT 3 AS c', true],
    ]);
    store.close();
  });

  it('a run that looks no shape up leaves the fingerprint to `jobs`, which computes it from the SQL', async () => {
    const { file, store } = await tmpStore();
    const sqls = ['SELECT 7 AS seven', "SELECT * FROM range(3) WHERE range > 1 AND 'x' <> 'y'"];
    const scope = new JobScope();
    scope.describe('analyze', {}, file, { profile: 'off' });
    await queryObserver.run(scope, async () => {
      for (const sql of sqls) await store.all(sql);
    });
    expect(scope.flush()).toBe(2);
    const lines = fs.readFileSync(spoolPath(file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fingerprint: string | null });
    expect(lines.map((l) => l.fingerprint)).toEqual([null, null]);
    expect(await ingestSpool(store, file)).toBe(2);
    const rows = await store.all<{ sql: string; fingerprint: string }>('SELECT sql, fingerprint FROM jobs ORDER BY id');
    expect(rows.map((r) => [r.sql, r.fingerprint])).toEqual(sqls.map((q) => [q, fingerprint(q)]));
    store.close();
  });
});
