import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestSpool } from '../../src/observe/jobs/log.js';
import { JobScope, spoolPath } from '../../src/observe/jobs/scope.js';
import { queryObserver } from '../../src/store/observer.js';
import { tmpStore } from '../support/tmp.js';

describe('a spool whose last line was torn (a run killed in the middle of its append)', () => {
  it('the next run starts on a line of its own: none of its records is lost, and the torn line is skipped', async () => {
    const { file, store } = await tmpStore();
    const run = async (sqls: string[]): Promise<void> => {
      const scope = new JobScope();
      scope.describe('query', {}, file, { profile: 'off' });
      await queryObserver.run(scope, async () => {
        for (const sql of sqls) await store.all(sql);
      });
      expect(scope.flush()).toBe(sqls.length);
    };
    await run(['SELECT 11 AS a']);
    fs.appendFileSync(spoolPath(file), '{"run_id":"torn","command":"query","sql":"SELECT 1'); // no end of line
    await run(['SELECT 12 AS b', 'SELECT 13 AS c']);
    const text = fs.readFileSync(spoolPath(file), 'utf8');
    expect(text.split('\n').filter((l) => l.length > 0)).toHaveLength(4); // 1 record, the torn line, 2 records
    await run(['SELECT 14 AS d']); // after a whole line: no empty line added
    expect(fs.readFileSync(spoolPath(file), 'utf8').includes('\n\n')).toBe(false);
    expect(await ingestSpool(store, file)).toBe(4);
    const sqls = (await store.all<{ sql: string }>('SELECT sql FROM jobs ORDER BY id')).map((r) => r.sql);
    expect(sqls).toEqual(['SELECT 11 AS a', 'SELECT 12 AS b', 'SELECT 13 AS c', 'SELECT 14 AS d']);
    store.close();
  });
});
