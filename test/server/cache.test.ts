/**
 * The Sigma cache answers listings exactly like the store (the --no-cache path's SQL) for random
 * entities and random filters; and the writer queue: a batch whose store write fails is rolled back
 * and its jobs rerun one by one, so only the bad job fails and the others are committed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { SigmaCache } from '../../src/server/cache.js';
import { diff, type Entity, type Kind, type ListQuery } from '../../src/server/entities.js';
import { listEntities, loadEntities, writeEntities } from '../../src/server/repo.js';
import { ApiError, WriteQueue } from '../../src/server/writer.js';

const TAGS = ['a', 'b', 'c'];
const entityArb = fc.record({
  kind: fc.constantFrom<Kind>('gates', 'experiments', 'metrics'),
  n: fc.integer({ min: 0, max: 40 }),
  tags: fc.subarray(TAGS),
  type: fc.constantFrom('PERMANENT', 'TEMPORARY', 'sum', 'mean'),
  enabled: fc.boolean(),
  status: fc.constantFrom('setup', 'active'),
});
const queryArb = fc.record(
  {
    limit: fc.integer({ min: 1, max: 7 }),
    page: fc.integer({ min: 1, max: 4 }),
    type: fc.constantFrom('PERMANENT', 'TEMPORARY', 'sum', 'experiment'),
    status: fc.constantFrom('setup', 'active', 'enabled', 'disabled'),
    tags: fc.constantFrom('a', 'b', 'a,c'),
    search: fc.constantFrom('1', 'E_2', 'x'),
  },
  { requiredKeys: ['limit', 'page'] },
);

describe('Sigma cache', () => {
  it('lists like the store for random entities and filters', async () => {
    const store = await Store.memory();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(entityArb, { maxLength: 40 }), fc.array(queryArb, { minLength: 1, maxLength: 8 }), async (specs, queries) => {
          await store.run('DELETE FROM entities');
          const seen = new Set<string>();
          const entities: Entity[] = [];
          specs.forEach((s, i) => {
            const id = `e_${s.n}`;
            if (seen.has(`${s.kind}/${id}`)) return;
            seen.add(`${s.kind}/${id}`);
            const body: Record<string, unknown> = { name: id, tags: s.tags };
            if (s.kind === 'experiments') body.status = s.status;
            else body.type = s.type;
            if (s.kind === 'gates') body.isEnabled = s.enabled;
            entities.push({ kind: s.kind, id, createdAt: 1_000 + i, updatedAt: 1_000 + i, body });
          });
          await writeEntities(store, entities.map((e) => ({ kind: e.kind, id: e.id, entity: e })));
          const cache = new SigmaCache(await loadEntities(store));
          expect(cache.size).toBe(entities.length);
          for (const q of queries) {
            for (const kind of ['gates', 'experiments', 'metrics'] as const) {
              const fromCache = cache.list(kind, q);
              const fromStore = await listEntities(store, kind, q);
              expect(fromCache.total).toBe(fromStore.total);
              expect(fromCache.items.map((e) => e.id)).toEqual(fromStore.items.map((e) => e.id));
            }
          }
        }),
        { numRuns: 25 },
      );
    } finally {
      store.close();
    }
  });

  it('keeps its indexes right when an entity changes tags, type or is removed', () => {
    const cache = new SigmaCache();
    const e = (tags: string[], type: string): Entity => ({ kind: 'gates', id: 'g', createdAt: 1, updatedAt: 1, body: { name: 'g', tags, type } });
    cache.put(e(['a'], 'PERMANENT'));
    cache.put(e(['b'], 'TEMPORARY'));
    const q = (x: Partial<ListQuery>) => cache.list('gates', { limit: 10, page: 1, ...x }).items.map((i) => i.id);
    expect(q({ tags: 'a' })).toEqual([]);
    expect(q({ tags: 'b' })).toEqual(['g']);
    expect(q({ type: 'PERMANENT' })).toEqual([]);
    cache.remove('gates', 'g');
    expect(q({})).toEqual([]);
    expect(cache.get('gates', 'g')).toBeUndefined();
  });

  it('diffs nested fields by path and arrays whole', () => {
    expect(diff({ a: 1, o: { x: 1, y: [1] } }, { a: 1, o: { x: 2, y: [1, 2] }, n: 'new' })).toEqual([
      { field: 'n', old: null, new: 'new' },
      { field: 'o.x', old: 1, new: 2 },
      { field: 'o.y', old: [1], new: [1, 2] },
    ]);
  });
});

describe('writer queue', () => {
  it('reruns a failed batch job by job: only the bad job fails, refusals fail alone, the rest commit', async () => {
    const store = await Store.memory();
    try {
      await store.run('CREATE TABLE t (k VARCHAR PRIMARY KEY)');
      const q = new WriteQueue(store);
      const insert = (k: string) => q.submit((b) => b.sql.run('INSERT INTO t VALUES ($1)', [k]).then(() => k));
      const results = await Promise.allSettled([
        insert('a'),
        insert('b'),
        insert('a'), // duplicate key: a store error
        q.submit(() => Promise.reject(new ApiError(409, 'refused'))),
        insert('c'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
      expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(ApiError);
      expect((await store.all<{ k: string }>('SELECT k FROM t ORDER BY k')).map((r) => r.k)).toEqual(['a', 'b', 'c']);
    } finally {
      store.close();
    }
  });
});

describe('migration 4 (serve)', () => {
  it('adds the serve tables to a version 3 store and keeps its entities readable by serve', async () => {
    const { tmpDir } = await import('../support/tmp.js');
    const file = `${tmpDir('sh-mig-')}/p.duckdb`;
    const v3 = await Store.open(file, { create: true, targetVersion: 3 });
    await v3.run(`INSERT INTO entities (kind, name, type, status, spec) VALUES ('gates', 'old_gate', 'PERMANENT', 'enabled', '{"name":"old_gate","type":"PERMANENT"}')`);
    v3.close();
    const v4 = await Store.open(file);
    try {
      const [gate] = await loadEntities(v4);
      expect(gate).toMatchObject({ kind: 'gates', id: 'old_gate', body: { name: 'old_gate', type: 'PERMANENT' } });
      for (const t of ['api_keys', 'audit_log', 'webhooks', 'webhook_deliveries']) expect(await v4.count(t)).toBe(0);
    } finally {
      v4.close();
    }
  });
});
