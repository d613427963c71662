import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textHash } from '../../src/observe/jobs/record.js';
import { JobScope, shapesPath } from '../../src/observe/jobs/scope.js';
import { afterRun, carryKey, DEFAULT_POLICY, ShapeBook } from '../../src/observe/jobs/shapes.js';
import { queryObserver } from '../../src/store/observer.js';
import { tmpStore } from '../support/tmp.js';

/** Bits that differ between two 12-hex-digit hashes. */
function bitsApart(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x > 0n) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

describe('textHash: the shapes journal\'s key of a query text', () => {
  it('is 12 hex digits, the same for the same text, and tells 200,000 near-identical texts apart', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (t) => /^[0-9a-f]{12}$/.test(textHash(t)) && textHash(t) === textHash(`${t}`)));
    // Texts that differ in one number, one letter, their tail bytes (lengths not a multiple of 4) or
    // non-ASCII characters: 48 bits give about 7e-5 expected collisions among 200,000.
    const seen = new Set<string>();
    let n = 0;
    for (let i = 0; i < 50_000; i++) {
      for (const t of [`SELECT sum(x) FROM t WHERE id = ${i}`, `SELECT sum(x) FROM t WHERE id = ${i}a`, `sélect ${i} ü`, 'x'.repeat(i % 997) + String(i)]) {
        seen.add(textHash(t));
        n += 1;
      }
    }
    expect(seen.size).toBe(n);
  });

  it('changes about half of its 48 bits when one character of the text changes (avalanche)', () => {
    // A hash without a finalizer fails this: a change in the last bytes would move few output bits.
    const flips: number[] = [];
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 0x7e }), (t, at, delta) => {
        const i = at % t.length;
        const code = t.charCodeAt(i);
        const changed = `${t.slice(0, i)}${String.fromCharCode(code + delta > 0xd7ff ? code - delta : code + delta)}${t.slice(i + 1)}`;
        if (changed === t) return true;
        flips.push(bitsApart(textHash(t), textHash(changed)));
        return true;
      }),
      { numRuns: 3000, seed: 7 },
    );
    const mean = flips.reduce((a, b) => a + b, 0) / flips.length;
    expect(mean).toBeGreaterThan(22);
    expect(mean).toBeLessThan(26);
    expect(Math.min(...flips)).toBeGreaterThan(4);
  });
});

describe('a journal whose text keys do not match (another build\'s hash, or another text of the shape)', () => {
  it('finds the shape by normalizing, writes the text once, and the next run finds the text without a write', async () => {
    const { file, store } = await tmpStore();
    const sql = 'SELECT 44 AS x';
    const key = carryKey(sql).key;
    const profiled = afterRun(undefined, { costMs: 1, now: Date.now(), profiled: { run_id: 'r0', started_ms: 7, figures: { rows_scanned: 5, bytes_scanned: 40, peak_memory: 9 }, detail: 'summary' }, text: 'ffffffffffff' }, DEFAULT_POLICY);
    fs.writeFileSync(shapesPath(file), new ShapeBook([[key, profiled]]).lines([key]));
    const run = async (): Promise<JobScope> => {
      const scope = new JobScope();
      scope.describe('analyze', {}, file, { sampleEvery: 0 });
      scope.policy = { ...scope.policy, minChangeMs: 1000 }; // a CPU blip of a tiny query is no change here
      await queryObserver.run(scope, () => store.all(sql));
      return scope;
    };
    const first = await run();
    expect(first.records[0]).toMatchObject({ profiled: false, rows_scanned: 5, scan_run_id: 'r0' }); // the shape was found
    first.flush();
    const journal = fs.readFileSync(shapesPath(file), 'utf8').trim().split('\n');
    expect(journal).toHaveLength(2);
    expect(journal[1]?.split('\t').slice(0, 2)).toEqual([key, textHash(sql)]);
    expect(ShapeBook.parse(journal.join('\n')).get(key)?.source?.run_id).toBe('r0'); // the state itself is unchanged
    const second = await run();
    expect(second.records[0]).toMatchObject({ profiled: false, rows_scanned: 5, scan_run_id: 'r0' });
    second.flush();
    expect(fs.readFileSync(shapesPath(file), 'utf8').trim().split('\n')).toHaveLength(2); // found by its text: nothing written
    store.close();
  });
});
