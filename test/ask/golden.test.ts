import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemoProject, evaluateGolden, goldenQuestions, openGolden, type GoldenReport } from '../../bench/_ask-golden.js';
import { tmpDir } from '../support/tmp.js';

let report: GoldenReport;

beforeAll(async () => {
  const dir = tmpDir('sh-ask-golden-');
  const db = await buildDemoProject(dir);
  report = await evaluateGolden(await openGolden(db, dir));
}, 120_000);

describe('golden set (offline retrieval)', () => {
  it('has at least 40 questions over entities, experiments and docs', () => {
    const qs = goldenQuestions();
    expect(qs.length).toBeGreaterThanOrEqual(40);
    expect(new Set(qs.map((q) => q.kind))).toEqual(new Set(['search', 'ask', 'docs']));
  });

  it('keeps recall@3 above the floor (the bench reports the figure; the target is 0.9)', () => {
    expect(report.recallAt3, JSON.stringify(report.misses)).toBeGreaterThanOrEqual(0.85);
    for (const [kind, k] of Object.entries(report.byKind)) expect(k.recallAt3, kind).toBeGreaterThanOrEqual(0.75);
  });

  it('answers a question offline in well under 200 ms once the index is built', () => {
    expect(report.msPerQuery).toBeLessThan(200);
  });
});
