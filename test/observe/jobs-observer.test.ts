import { describe, expect, it } from 'vitest';
import { observeEngineQuery } from '../../src/engines/engine.js';
import { observed, queryObserver, type QueryObserver, type QueryRecord } from '../../src/store/observer.js';
import { tmpStore } from '../support/tmp.js';

/** An observer that keeps what it is told, or throws from record when `broken`. */
function observer(broken = false): QueryObserver & { seen: QueryRecord[] } {
  const seen: QueryRecord[] = [];
  return {
    active: true,
    seen,
    wantsProfile: () => false,
    record(q) {
      if (broken) throw new Error('the log broke');
      seen.push(q);
    },
  };
}

describe('the observer records beside the caller, not in front of it', () => {
  it('the caller gets the query\'s own result and error; each is recorded before the caller goes on', async () => {
    const { store } = await tmpStore();
    const obs = observer();
    await queryObserver.run(obs, async () => {
      const rows = await store.all<{ x: number }>('SELECT 7 AS x');
      expect(rows).toEqual([{ x: 7 }]);
      expect(obs.seen.map((q) => [q.sql, q.ok, q.rowsReturned])).toEqual([['SELECT 7 AS x', true, 1]]);
      const error = await store.all('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/no_such_table/);
      expect(obs.seen).toHaveLength(2);
      expect(obs.seen[1]).toMatchObject({ ok: false, error: expect.stringMatching(/no_such_table/) });
    });
    store.close();
  });

  it('an observer that throws fails no query and leaves no rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await queryObserver.run(observer(true), async () => {
        await expect(observed({} as never, 'SELECT 1', false, () => Promise.resolve(1))).resolves.toBe(1);
        await expect(observed({} as never, 'SELECT 2', false, () => Promise.reject(new Error('the query failed')))).rejects.toThrow('the query failed');
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a warehouse query too: an observer that throws fails none, and the caller gets its result or its own error', async () => {
    const stats = { bytesScanned: 10, bytesReturned: 4, rowsReturned: 1 };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await queryObserver.run(observer(true), async () => {
        await expect(observeEngineQuery('postgres', 'SELECT 1', () => Promise.resolve({ result: 'one', stats }))).resolves.toBe('one');
        await expect(observeEngineQuery('postgres', 'SELECT 2', () => Promise.reject(new Error('the warehouse failed')))).rejects.toThrow('the warehouse failed');
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    const obs = observer();
    await queryObserver.run(obs, async () => {
      await observeEngineQuery('postgres', 'SELECT 1', () => Promise.resolve({ result: 'one', stats }));
      await observeEngineQuery('postgres', 'SELECT 2', () => Promise.reject(new Error('the warehouse failed\nsecond line'))).catch(() => undefined);
    });
    expect(obs.seen.map((q) => [q.sql, q.ok, q.error, q.engine?.rowsReturned])).toEqual([
      ['SELECT 1', true, null, 1],
      ['SELECT 2', false, 'the warehouse failed', 0],
    ]);
  });
});
