/**
 * Checks on what a model wrote, run after generation: every number it quotes must match a value
 * from the data it was given (the saved scorecards, the computed series, the cited chunk), every
 * name it cites must be one retrieval returned, and every quote must exist in the chunk it cites.
 * Pure functions; the answerers send the problems back for one repair and then remove what fails.
 */
import { normalizeForQuote } from './text.js';

export interface NumberToken {
  text: string;
  value: number;
  decimals: number;
  percent: boolean;
  /** Written as "< x" (an upper bound, e.g. "p < 0.001"). */
  bound: boolean;
}

/** The numbers a text quotes (dates, times and digits inside identifiers are not numbers). */
export function numbersIn(text: string): NumberToken[] {
  const cleaned = text
    .replace(/\b\d{4}-\d{2}(?:-\d{2})?(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?\b/g, ' ')
    .replace(/\b\d{1,2}:\d{2}\b/g, ' ');
  const out: NumberToken[] = [];
  const re = /(<\s*|≤\s*)?(?<![\w.])([-+−]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w.]*[A-Za-z_])(\s?%|\s?percent\b|\s?pp\b)?/g;
  for (const m of cleaned.matchAll(re)) {
    const intPart = (m[3] as string).replace(/,/g, '');
    const frac = m[4] ?? '';
    const sign = m[2] === '-' || m[2] === '−' ? -1 : 1;
    const value = sign * Number(`${intPart}${frac}`);
    if (!Number.isFinite(value)) continue;
    out.push({ text: m[0].trim(), value, decimals: frac ? frac.length - 1 : 0, percent: Boolean(m[5]), bound: Boolean(m[1]) });
  }
  return out;
}

/** Whether `value`, rounded or cut to the token's decimals, reads as the token (sign ignored). */
export function sameNumber(token: NumberToken, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const x = Math.abs(token.value);
  const v = Math.abs(value);
  const f = 10 ** token.decimals;
  const eps = 1e-9 * Math.max(1, v);
  if (token.bound) return v <= x + eps;
  return Math.abs(Math.round(v * f) / f - x) < eps + 1e-12 || Math.abs(Math.trunc(v * f + 1e-9) / f - x) < eps + 1e-12;
}

export interface AllowedNumbers {
  /** Values as stored (estimates, CIs, p-values, counts). */
  raw: number[];
  /** Shares (relative lifts, conversion rates) that may be quoted as percentages. */
  shares: number[];
}

export interface NumberCheckOptions {
  /** Plain integers up to this value are accepted (counts of things in the answer: "3 experiments"). */
  smallIntegers?: number;
}

/** The numbers in `text` that match nothing allowed. */
export function unsupportedNumbers(text: string, allowed: AllowedNumbers, opts: NumberCheckOptions = {}): NumberToken[] {
  const small = opts.smallIntegers ?? 10;
  return numbersIn(text).filter((t) => {
    if (!t.percent && t.decimals === 0 && Math.abs(t.value) <= small) return false;
    if (t.percent) return !allowed.shares.some((s) => sameNumber(t, s * 100)) && !allowed.raw.some((r) => sameNumber(t, r));
    return !allowed.raw.some((r) => sameNumber(t, r)) && !allowed.shares.some((s) => sameNumber(t, s * 100) || sameNumber(t, s));
  });
}

/** Identifier-like words (snake_case, kebab-case with digits) that name no known entity. */
export function unknownNames(text: string, known: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/gi)) {
    const name = m[0];
    if (!known.has(name) && !known.has(name.toLowerCase())) out.add(name);
  }
  return [...out];
}

/** Whether `quote` appears in `source` (whitespace, case, typographic quotes and markdown emphasis folded). */
export function quoteFound(quote: string, source: string): boolean {
  const q = normalizeForQuote(quote).replace(/^["'.…\s]+|["'.…\s]+$/g, '');
  if (q.length < 3) return false;
  return normalizeForQuote(source).includes(q);
}

/** Splits text into sentences (keeps their punctuation). */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Drops the sentences that contain any of `bad` (numbers' texts or names). */
export function removeSentences(text: string, isBad: (sentence: string) => boolean): { text: string; removed: string[] } {
  const kept: string[] = [];
  const removed: string[] = [];
  for (const s of sentences(text)) (isBad(s) ? removed : kept).push(s);
  return { text: kept.join(' '), removed };
}

/** Numbers found in free text (a docs chunk): each may be quoted as written. */
export function numbersOfText(text: string): AllowedNumbers {
  const raw: number[] = [];
  const shares: number[] = [];
  for (const t of numbersIn(text)) {
    raw.push(t.value);
    if (t.percent) shares.push(t.value / 100);
  }
  return { raw, shares };
}
