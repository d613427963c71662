import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryOf, MEMO_BYTES, MEMO_TEXT_MAX, memoFor, memoText } from '../../src/observe/jobs/memo.js';
import type { JobRecord } from '../../src/observe/jobs/record.js';
import { JobScope, memoPath, shapesPath, spoolPath } from '../../src/observe/jobs/scope.js';
import { afterRun, carryKey, DEFAULT_POLICY, type ShapeState } from '../../src/observe/jobs/shapes.js';
import { queryObserver } from '../../src/store/observer.js';
import type { Store } from '../../src/store/store.js';
import { tmpStore } from '../support/tmp.js';

const QUERIES = ['SELECT 42 AS x', 'SELECT 7 AS y, 8 AS z', 'SELECT 1 AS a, 2 AS b, 3 AS c', 'SET threads = 1'];

/** One logged run of `queries` on `store`, written to its spool and journal; its records. */
async function run(store: Store, file: string, queries = QUERIES): Promise<JobRecord[]> {
  const scope = new JobScope();
  scope.describe('analyze', {}, file, { sampleEvery: 0 });
  scope.policy = { ...scope.policy, minChangeMs: 1000 }; // a CPU blip of a tiny query is no change here
  await queryObserver.run(scope, async () => {
    for (const q of queries) await store.all(q);
  });
  const records = scope.records;
  scope.flush();
  return records;
}

const state = (runId: string, rows: number): ShapeState =>
  afterRun(undefined, { costMs: 1, now: Date.now(), profiled: { run_id: runId, started_ms: 7, figures: { rows_scanned: rows, bytes_scanned: 40, peak_memory: 9 }, detail: 'summary' } }, DEFAULT_POLICY);

describe('the shapes memo: a command run again finds its queries by their text', () => {
  it('is written by the first run, holds its query texts (not bookkeeping), and a run like the last writes nothing', async () => {
    const { file, store } = await tmpStore();
    const first = await run(store, file);
    expect(first.filter((r) => r.sql !== 'SET threads = 1').every((r) => r.profiled)).toBe(true); // first runs
    const journal = fs.readFileSync(shapesPath(file), 'utf8');
    const memo = memoFor(fs.readFileSync(memoPath(file), 'utf8'), journal);
    expect(memo).not.toBeNull();
    expect([...(memo?.keys() ?? [])].sort()).toEqual(['SELECT 1 AS a, 2 AS b, 3 AS c', 'SELECT 42 AS x', 'SELECT 7 AS y, 8 AS z']);
    expect(entryOf(memo?.get('SELECT 42 AS x'))?.key).toBe(carryKey('SELECT 42 AS x').key);

    const memoBefore = fs.readFileSync(memoPath(file), 'utf8');
    const mtime = fs.statSync(memoPath(file)).mtimeMs;
    const second = await run(store, file);
    // Carried from the first run's profiles, as through the journal.
    const firstRun = first[0]?.run_id;
    expect(second.filter((r) => r.sql !== 'SET threads = 1').map((r) => [r.profiled, r.scan_run_id])).toEqual([
      [false, firstRun],
      [false, firstRun],
      [false, firstRun],
    ]);
    expect(fs.readFileSync(shapesPath(file), 'utf8')).toBe(journal);
    expect(fs.readFileSync(memoPath(file), 'utf8')).toBe(memoBefore);
    expect(fs.statSync(memoPath(file)).mtimeMs).toBe(mtime);
    store.close();
  });

  it('is used only while the journal is as it was written: a state another run appended wins', async () => {
    const { file, store } = await tmpStore();
    await run(store, file);
    const journal = fs.readFileSync(shapesPath(file), 'utf8');
    // The memo is consulted: a journal of the same length and end, whose first line (a shape's
    // state, out of the end the memo keeps) names another profiled run of the same length, is
    // not read while the memo matches it.
    const line = journal.split('\n')[0] as string;
    const at = QUERIES.findIndex((q) => line.startsWith(`${carryKey(q).key}\t`));
    const key = carryKey(QUERIES[at] as string).key;
    const runId = line.split('\t')[6] as string;
    const forged = journal.replace(line, line.replace(runId, 'f'.repeat(runId.length)));
    expect(forged).not.toBe(journal);
    expect(forged.length).toBe(journal.length);
    expect(forged.slice(-160)).toBe(journal.slice(-160));
    fs.writeFileSync(shapesPath(file), forged);
    expect((await run(store, file))[at]?.scan_run_id).toBe(runId);

    // Another run's line appended for the shape (the journal changed): the journal's state is used.
    const other = state('a0b1c2d3e4f5', 123);
    fs.appendFileSync(shapesPath(file), `${key}\t${other.text}\t${other.profiledAt}\t${other.baseMs}\t0\t${other.seenAt}\ta0b1c2d3e4f5\t7\tsummary\t123\t40\t9\n`);
    const after = await run(store, file);
    expect(after[at]).toMatchObject({ profiled: false, scan_run_id: 'a0b1c2d3e4f5', rows_scanned: 123 });
    // ...and the memo is written again for the journal as it is now.
    expect(memoFor(fs.readFileSync(memoPath(file), 'utf8'), fs.readFileSync(shapesPath(file), 'utf8'))).not.toBeNull();
    expect((await run(store, file))[at]).toMatchObject({ scan_run_id: 'a0b1c2d3e4f5', rows_scanned: 123 });
    store.close();
  });

  it('a memo that does not parse, of another version, or with hostile entries is passed over: no query fails', async () => {
    const { file, store } = await tmpStore();
    const first = await run(store, file);
    const journal = fs.readFileSync(shapesPath(file), 'utf8');
    const good = fs.readFileSync(memoPath(file), 'utf8');
    const hostile = JSON.stringify({
      v: 1,
      size: journal.length,
      tail: journal.slice(-160),
      texts: [
        ['SELECT 42 AS x', [carryKey('SELECT 42 AS x').key, 'abc', { source: 5, changed: false }]],
        ['SELECT 7 AS y, 8 AS z', ['bad\nkey', 'abc', JSON.parse(good).texts[0][1][2]]],
      ],
    });
    for (const memo of [good.slice(0, good.length - 9), good.replace('"v":1', '"v":0'), `${good}x`, '[1,2]', '{"v":1,"texts":[5]}', hostile]) {
      fs.writeFileSync(memoPath(file), memo);
      const records = await run(store, file);
      expect(records).toHaveLength(4);
      expect(records.every((r) => r.outcome === 'ok')).toBe(true);
      // Found through the journal: carried from the first run's profiles.
      expect(records[0]).toMatchObject({ profiled: false, scan_run_id: first[0]?.run_id });
      expect(records[1]).toMatchObject({ profiled: false, scan_run_id: first[0]?.run_id });
    }
    expect(entryOf(['k', 't', { source: 5 }])).toBeNull();
    expect(entryOf(['k', 't', { source: { figures: null } }])).toBeNull();
    expect(entryOf(['k\tx', 't', { source: null }])).toBeNull();
    expect(entryOf(['k', 't'])).toBeNull();
    store.close();
  });

  it('keeps the latest texts first, up to its size, and leaves out very long texts', () => {
    const st = state('r', 1);
    const long = `SELECT ${'1 + '.repeat(MEMO_TEXT_MAX / 4)}1`;
    const many = Array.from({ length: 400 }, (_, i) => [`SELECT ${i} AS c${'x'.repeat(150)}`, `k${i}`, 't', st] as [string, string, string, ShapeState]);
    const text = memoText('journal', [['SELECT 1', 'k', 't', st], [long, 'k2', 't', st], ['SELECT 1', 'k9', 't', st], ...many]);
    expect(text.length).toBeLessThanOrEqual(MEMO_BYTES + 200);
    const memo = memoFor(text, 'journal');
    expect(memo?.has(long)).toBe(false);
    expect(entryOf(memo?.get('SELECT 1'))?.key).toBe('k'); // the first of a text
    expect(memo?.has('SELECT 0 AS c' + 'x'.repeat(150))).toBe(true);
    expect(memo?.has('SELECT 399 AS c' + 'x'.repeat(150))).toBe(false); // past the size
    expect(memoFor(text, 'journal2')).toBeNull();
  });

  it('the log writes no file through a symbolic link at its name (a cloned project cannot point it elsewhere)', async () => {
    const { dir, file, store } = await tmpStore();
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'keep me\n');
    await run(store, file);
    fs.rmSync(memoPath(file));
    fs.symlinkSync(victim, memoPath(file));
    fs.appendFileSync(shapesPath(file), '\n'); // the journal changed: the memo is written again
    await run(store, file);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me\n');
    fs.rmSync(spoolPath(file));
    fs.symlinkSync(victim, spoolPath(file));
    fs.rmSync(shapesPath(file));
    fs.symlinkSync(victim, shapesPath(file));
    const records = await run(store, file, ['SELECT 5 AS q']);
    expect(records[0]?.outcome).toBe('ok'); // the query ran; its log had nowhere to go
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me\n');
    // Nor the journal's compaction, through its temporary file (named by the process's pid).
    fs.rmSync(shapesPath(file));
    fs.writeFileSync(shapesPath(file), `${'x'.repeat(100)}\n`.repeat(2000)); // past COMPACT_BYTES
    fs.symlinkSync(victim, `${shapesPath(file)}.${process.pid}`);
    expect((await run(store, file, ['SELECT 6 AS q']))[0]?.outcome).toBe('ok');
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me\n');
    store.close();
  });
});
