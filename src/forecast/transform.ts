/**
 * Scales a series is fitted on. `auto` (the default) picks per series: a count series (every
 * observed value a non-negative whole number) whose values span more than a factor of 10 (its
 * 5th percentile at most a tenth of its 95th, e.g. flights per hour that fall to a few at night)
 * is fitted on the square-root scale, the variance-stabilising transform of Poisson-like counts
 * (their spread grows with their level, which additive models and their constant-width intervals
 * miss); anything else is fitted as is.
 */
import type { Transform, TransformChoice } from './types.js';

/** Ratio of the 5th to the 95th percentile at or below which a count series is fitted on the sqrt scale. */
export const SQRT_RANGE = 0.1;

export function forward(t: Transform, v: number): number {
  return t === 'log' ? Math.log(v) : t === 'log1p' ? Math.log1p(v) : t === 'sqrt' ? Math.sqrt(Math.max(0, v)) : v;
}

/** Back to the original scale; the sqrt scale's negative values (a band below zero) map to 0. */
export function inverse(t: Transform, v: number): number {
  return t === 'log' ? Math.exp(v) : t === 'log1p' ? Math.expm1(v) : t === 'sqrt' ? Math.max(0, v) ** 2 : v;
}

/** Anscombe's variance-stabilising transform of counts: 2 sqrt(y + 3/8) has a spread near 1 for Poisson counts from a mean of about 3. */
export function anscombe(v: number): number {
  return 2 * Math.sqrt(Math.max(0, v) + 3 / 8);
}

/** Back from the Anscombe scale (the algebraic inverse, floored at 0). */
export function inverseAnscombe(v: number): number {
  return Math.max(0, (Math.max(0, v) / 2) ** 2 - 3 / 8);
}

/** Every finite value is a non-negative whole number (and there is at least one). */
export function isCountSeries(values: number[]): boolean {
  let seen = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (!(v >= 0) || !Number.isInteger(v)) return false;
    seen++;
  }
  return seen > 0;
}

/** The q-quantile (0..1) of sorted values, linear between order statistics. */
function quantileSorted(s: number[], q: number): number {
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** The scale `auto` fits a series on (see the module comment); an explicit choice is kept. */
export function resolveTransform(choice: TransformChoice, values: number[]): Transform {
  if (choice !== 'auto') return choice;
  if (!isCountSeries(values)) return 'none';
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const q95 = quantileSorted(s, 0.95);
  return q95 > 0 && quantileSorted(s, 0.05) <= SQRT_RANGE * q95 ? 'sqrt' : 'none';
}
