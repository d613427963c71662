/**
 * One way to write numbers, durations and counts in human output, and where that output goes
 * (how wide, in colour or not). Every renderer in ui/ formats through these so one run never
 * says "10000 rows" next to "20,000 users":
 *   counts (users, rows, events, series)  int / count    "20,000 users"
 *   measurements (means, estimates)       num            "6.758", "12,350", "-0.0229"
 *   changes and shares                     pct / share    "+18.2%", "21%"
 *   p-values, elapsed time, progress       pval / duration / progressCount
 * Raw data cells (query results, ids, years) keep formatNumber: no separators.
 */
import path from 'node:path';
import type { ChalkInstance } from 'chalk';
import { painter } from '../core/paint.js';
import { useColor, type StreamInfo } from '../core/tty.js';
import { terminalWidth } from '../core/text.js';

export { commandLine, cut, visibleLength, wrap } from '../core/text.js';

/** Whole numbers with thousands separators: 20000 -> "20,000". Non-integers are rounded. */
export function int(n: number | bigint): string {
  if (typeof n === 'bigint') return grouped(n.toString());
  if (!Number.isFinite(n)) return 'n/a';
  const r = Math.round(n);
  // Grouping by hand gives toLocaleString('en-US')'s text without starting ICU (about 12 ms of
  // every command's start-up); past 1e21 toString switches to exponent notation.
  return Math.abs(r) < 1e21 ? grouped(Object.is(r, -0) ? '-0' : String(r)) : r.toLocaleString('en-US');
}

/** "-1234567" -> "-1,234,567". */
function grouped(digits: string): string {
  const sign = digits.startsWith('-') ? '-' : '';
  return sign + digits.slice(sign.length).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1 user", "20,000 users"; `many` defaults to `one` + "s". */
export function count(n: number | bigint, one: string, many = `${one}s`): string {
  return `${int(n)} ${n === 1 || n === 1n ? one : many}`;
}

/** Up to 6 significant digits, no exponent for ordinary magnitudes, integers as integers (data cells). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return n.toExponential(3);
  return String(Number(n.toPrecision(6)));
}

/**
 * An estimate with `digits` significant digits (4 by default), as plain decimals with separators
 * ("-0.0008083", "12,350,000"): an exponent only below a millionth or from 1e15 on.
 */
export function num(x: number | null | undefined, digits = 4): string {
  return significant(x, digits, false);
}

/**
 * Like `num`, but keeping trailing zeros ("5.730", "1.000", "38.20"), so a column of estimates
 * shows the same number of significant digits on every row; integers of 10^digits and more stay
 * whole ("12,350").
 */
export function sig(x: number | null | undefined, digits = 4): string {
  return significant(x, digits, true);
}

/** `num` and `sig`: `digits` significant digits, trailing zeros kept when `keepZeros` (not for 0 or whole numbers of 10^digits and more). */
function significant(x: number | null | undefined, digits: number, keepZeros: boolean): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-6 || a >= 1e15)) return x.toExponential(Math.max(1, digits - 1));
  const least = keepZeros && a !== 0 && a < 10 ** digits ? digits : 1;
  return x.toLocaleString('en-US', { maximumSignificantDigits: digits, minimumSignificantDigits: least });
}

/** A fraction as a signed percentage: 0.123 -> "+12.3%". */
export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const v = x * 100;
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}%`;
}

/** A share as an unsigned whole percentage: 0.213 -> "21%". */
export function share(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${Math.round(x * 100)}%`;
}

export function pval(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return 'n/a';
  if (p < 1e-4) return p.toExponential(1);
  return p.toFixed(4);
}

/** Elapsed time: "0.4s", "12s", "2m 05s", "1h 02m". */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Progress counts: "1,200/20,000 (6%)" with a total, "1,200" without one. */
export function progressCount(done: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return int(done);
  const p = Math.min(100, Math.floor((done / total) * 100));
  return `${int(done)}/${int(total)} (${p}%)`;
}

/** Where a rendering goes: the widest line it may draw (undefined: no limit) and whether to colour. */
export interface Target {
  width: number | undefined;
  color: boolean;
}

/** Plain output: no width limit, no colour (pipes, CI, files, tests). */
export const PLAIN: Target = { width: undefined, color: false };

/**
 * The target for human output on `stream`: a TTY's width unless `wide`, else $COLUMNS when set
 * (so `COLUMNS=100 cmd | less` fits too), else no limit; colour follows TTY, NO_COLOR,
 * FORCE_COLOR and --no-color.
 */
export function targetOf(stream: StreamInfo & { columns?: number }, env: NodeJS.ProcessEnv, opts: { wide?: boolean; color?: boolean } = {}): Target {
  return { width: opts.wide ? undefined : terminalWidth(stream, env), color: useColor(stream, env, opts.color) };
}

/** A chalk for a target: level 1 when colour is on, plain strings otherwise (chalk is not even loaded then). */
export function paintOf(target: Pick<Target, 'color'>): ChalkInstance {
  return painter(target.color);
}

/** Colour of a result by significance: green for a significant gain, red for a significant loss, dim otherwise. */
export function significance(c: ChalkInstance, significant: boolean, lift: number | null | undefined): (s: string) => string {
  if (!significant) return (s) => c.dim(s);
  if (lift !== null && lift !== undefined && lift < 0) return (s) => c.red(s);
  return (s) => c.green(s);
}

/** `file` relative to `cwd` when it lies inside it (shorter to read and to paste), else as it is. */
export function displayPath(file: string, cwd: string | undefined): string {
  if (!cwd) return file;
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
