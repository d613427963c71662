import { JobScope } from '../../src/observe/jobs/scope.js';
import { queryObserver } from '../../src/store/observer.js';
import type { Store } from '../../src/store/store.js';

/**
 * One query shape whose table grows 3000x, under one job scope (no random sample; a change under
 * 5 ms is jitter, not work): `before` runs on 1,000 rows, then `after` runs on 3,000,000.
 */
export async function runsOfGrowingTable(store: Store, file: string, before: number, after: number): Promise<{ scope: JobScope; sql: string }> {
  await store.run('CREATE TABLE t AS SELECT range AS v FROM range(1000)');
  const scope = new JobScope();
  scope.describe('analyze', {}, file);
  scope.policy = { ...scope.policy, minChangeMs: 5, sampleEvery: 0 };
  const sql = 'SELECT sum(hash(v)) AS h FROM t';
  const run = (): Promise<unknown> => queryObserver.run(scope, () => store.all(sql));
  for (let i = 0; i < before; i++) await run();
  await store.run('CREATE OR REPLACE TABLE t AS SELECT range AS v FROM range(3000000)');
  for (let i = 0; i < after; i++) await run();
  return { scope, sql };
}
