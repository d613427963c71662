/** Parsers for option values: each throws a UsageError (exit 2) naming the flag and the fix. */
import { UsageError } from './errors.js';

export function parseNumber(flag: string, raw: string, range: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean; integer?: boolean; example: number }): number {
  const v = Number(raw);
  // The hint's example is a typical value (usually the default), named by each caller: a bound such as
  // "--winsorize 0.5" or "--folds 1" is valid but not what anyone should type.
  const example = range.example;
  const bad = (why: string): never => {
    throw new UsageError(`${flag} ${why}, got "${raw}"`, { hint: `e.g. ${flag} ${example}` });
  };
  if (raw.trim() === '' || !Number.isFinite(v)) bad('must be a number');
  if (range.integer && !Number.isInteger(v)) bad('must be a whole number');
  if (range.min !== undefined && (range.exclusiveMin ? v <= range.min : v < range.min)) bad(`must be ${range.exclusiveMin ? 'greater than' : 'at least'} ${range.min}`);
  if (range.max !== undefined && (range.exclusiveMax ? v >= range.max : v > range.max)) bad(`must be ${range.exclusiveMax ? 'less than' : 'at most'} ${range.max}`);
  return v;
}

/** "a,b , c" -> ["a","b","c"]; empty items dropped. */
export function parseList(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** "control=50,test=50" -> { control: 50, test: 50 }. */
export function parseWeights(flag: string, raw: string | undefined): Record<string, number> | undefined {
  if (!raw) return undefined;
  const out: Record<string, number> = {};
  for (const item of parseList(raw)) {
    const m = /^(.+)=([0-9.]+)$/.exec(item);
    if (!m) throw new UsageError(`${flag} expects group=weight pairs, got "${item}"`, { hint: `e.g. ${flag} control=50,test=50` });
    out[(m[1] as string).trim()] = parseNumber(flag, m[2] as string, { min: 0, exclusiveMin: true, example: 50 });
  }
  return out;
}

/**
 * The hint for a metric that must join the analysed ones: --metric replaces the default list, so
 * the hint gives the whole value to pass (the analysed metrics, then the new ones). Ratios from
 * --ratio (num/den) stay in --ratio and are left out.
 */
export function addToMetricHint(analysed: readonly string[], add: readonly string[]): string {
  const list = [...new Set([...analysed.filter((m) => !m.includes('/')), ...add])];
  return `--metric replaces the analysed list; pass --metric ${list.join(',')}`;
}
