/** Two analysis results (or any JSON-like values) equal: same shape and strings, numbers to `rel` relative. */
import path from 'node:path';
import { expect } from 'vitest';
import type { AnalysisRequest } from '../../src/engines/run.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../support/tmp.js';

export function sameNumber(a: number, b: number, rel = 1e-9, floor = 1e-12): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= Math.max(rel * Math.max(Math.abs(a), Math.abs(b)), floor);
}

/** Paths where the two differ (empty when equal). */
export function differences(actual: unknown, expected: unknown, rel = 1e-9, at = '$'): string[] {
  if (typeof expected === 'number' && typeof actual === 'number') return sameNumber(actual, expected, rel) ? [] : [`${at}: ${actual} vs ${expected}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${at}: length ${Array.isArray(actual) ? actual.length : typeof actual} vs ${expected.length}`];
    return expected.flatMap((e, i) => differences(actual[i], e, rel, `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return [`${at}: ${JSON.stringify(actual)} vs object`];
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((k) => differences((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], rel, `${at}.${k}`));
  }
  return Object.is(actual, expected) ? [] : [`${at}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`];
}

export function expectSameResult(actual: unknown, expected: unknown, rel = 1e-9): void {
  expect(differences(actual, expected, rel)).toEqual([]);
}

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/analyze/exp.csv');

/**
 * The stub tests' setting: a project store in a temp folder holding the analyze fixture as `exp`
 * (DuckDB's answer), and an in-memory "warehouse" holding the same rows as `<schema>.exp`.
 */
export async function stubProject(schema: string): Promise<{ cwd: string; db: string; warehouse: Store }> {
  const cwd = tmpDir();
  const db = path.join(cwd, '.statsig-hack/project.duckdb');
  const store = await Store.open(db, { create: true });
  await store.run(`CREATE TABLE exp AS SELECT * FROM read_csv_auto('${FIXTURE}')`);
  store.close();
  const warehouse = await Store.memory({ migrate: false });
  await warehouse.run(`CREATE SCHEMA ${schema}`);
  await warehouse.run(`CREATE TABLE ${schema}.exp AS SELECT * FROM read_csv_auto('${FIXTURE}')`);
  return { cwd, db, warehouse };
}

/** The analysis of the fixture `exp` (DuckDB's answer), with `over` on top. */
export function stubRequest(cwd: string, db: string, over: Partial<AnalysisRequest>): AnalysisRequest {
  return { cwd, db, data: 'exp', unit: 'user_id', group: 'variant', metrics: ['revenue'], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none', ...over };
}

/** Segments and percentiles (the dialect's segment key; its exact quantile or the ROW_NUMBER order statistics). */
export const SEGMENT_PERCENTILE_CASE: Partial<AnalysisRequest> = { metrics: ['revenue'], segments: ['country'], percentiles: [{ metric: 'revenue', p: 0.9 }, { metric: 'orders', p: 0.5 }] };

/** The cases every stub engine must answer as DuckDB does: plain, CUPAC with a categorical covariate, a ratio, segments and percentiles. */
export const STUB_CASES: readonly Partial<AnalysisRequest>[] = [
  { metrics: ['revenue', 'orders'], method: 'none' },
  { metrics: ['revenue'], method: 'cupac', covariates: ['pre_revenue', 'country'] },
  { metrics: [], ratios: [{ name: 'orders/sessions', kind: 'ratio', num: 'orders', den: 'sessions' }] },
  SEGMENT_PERCENTILE_CASE,
];
