import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobLine, jobLinePrefix, jobRecord, MAX_SQL_CHARS, type JobContext } from '../../src/observe/jobs/record.js';
import type { ScanSource } from '../../src/observe/jobs/shapes.js';
import type { QueryRecord } from '../../src/store/observer.js';

const figure = fc.oneof(fc.constant(null), fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY));
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 50 }), // control characters, lone surrogates
  fc.constantFrom(`SELECT * FROM read_csv('https://user:pw@host.example/x.csv')`, `SELECT '${'x'.repeat(MAX_SQL_CHARS + 10)}'`, 'SELECT "a\\"b"\n\t-- é ✓'),
);
const query: fc.Arbitrary<QueryRecord> = fc.record({
  sql: text,
  startedAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double()),
  durationMs: fc.double(),
  cpuMs: fc.option(fc.double(), { nil: undefined }),
  ok: fc.boolean(),
  error: fc.option(text, { nil: null }),
  profile: fc.constant(null),
  profiled: fc.option(fc.boolean(), { nil: undefined }),
  rowsReturned: fc.option(figure, { nil: undefined }),
});
const source: fc.Arbitrary<ScanSource | null> = fc.option(
  fc.record({
    run_id: fc.string({ maxLength: 14 }),
    started_ms: fc.double(),
    figures: fc.record({ rows_scanned: figure, bytes_scanned: figure, peak_memory: figure }),
    detail: fc.constantFrom('summary' as const, 'plan' as const),
  }),
  { nil: null },
);
const context: fc.Arbitrary<JobContext> = fc.record({ command: text, experiment: fc.option(text, { nil: null }), metric: fc.option(text, { nil: null }) });

describe('jobLine: the spool line of a job DuckDB did not profile', () => {
  it('is the JSON of its jobRecord, field for field, whatever the texts and figures', () => {
    fc.assert(
      fc.property(query, context, fc.string({ maxLength: 14 }), source, fc.option(fc.string({ maxLength: 12 }), { nil: null }), (q, ctx, runId, carried, fp) => {
        const line = jobLine(jobLinePrefix(ctx, runId), q, carried, fp);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1)).not.toContain('\n');
        expect(line.slice(0, -1)).toBe(JSON.stringify(jobRecord(q, ctx, runId, carried, fp)));
      }),
      { numRuns: 2000, seed: 16 },
    );
  });
});
