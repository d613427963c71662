/** Two analysis results (or any JSON-like values) equal: same shape and strings, numbers to `rel` relative. */
import { expect } from 'vitest';

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
