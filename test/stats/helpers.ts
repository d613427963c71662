import { expect } from 'vitest';

/** |actual - expected| <= rel * max(|expected|, floor). */
export function expectClose(actual: number | null | undefined, expected: number, rel = 1e-9, floor = 1e-12): void {
  expect(actual, `expected ${expected}, got ${actual}`).not.toBeNull();
  expect(actual).not.toBeUndefined();
  const a = actual as number;
  expect(Number.isFinite(a), `not finite: ${a}`).toBe(true);
  const tol = rel * Math.max(Math.abs(expected), floor);
  expect(Math.abs(a - expected), `expected ${expected} ± ${tol}, got ${a}`).toBeLessThanOrEqual(tol);
}

export function expectAllClose(actual: readonly (number | null)[], expected: readonly number[], rel = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expectClose(a, expected[i] as number, rel));
}

/** Deterministic standard normal stream (mulberry32 + Box-Muller) for simulations. */
export function normalStream(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
