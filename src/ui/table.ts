/**
 * Plain-text tables for terminal output: aligned columns, numbers right-aligned, stable in CI.
 * Given a `width`, a table fits it: it hides the columns it may drop (least valuable first),
 * cuts the ones it may shrink, and as a last resort cuts lines, so nothing wraps; group
 * headings (`groupBy`) are word-wrapped instead, so the numbers in them stay whole.
 */
import { cut, formatNumber, wrap } from './format.js';

export { cut, formatNumber };

export interface TableOptions {
  /** Truncate cells longer than this. */
  maxCellWidth?: number;
  /** Column names whose values are right-aligned (default: detected numbers). */
  align?: Record<string, 'left' | 'right'>;
  /** Fit every line into this many characters (undefined: no limit). */
  width?: number | undefined;
  /** Columns that may be hidden to fit `width`, the least valuable first; a list hides its columns together. */
  drop?: (string | string[])[];
  /** Columns that may be cut (with "…") to fit `width`, e.g. long names; the last listed is cut first. */
  shrink?: string[];
  /** A column shown as a heading line above each run of rows that share its value, not as a column. */
  groupBy?: string;
  /** Colours a padded cell; must not change its visible width. */
  paint?: (column: string, row: Record<string, unknown>, text: string) => string;
}

export interface FittedTable {
  text: string;
  /** Columns hidden to fit the width. */
  hidden: string[];
}

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '');
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? '';
}

const GAP = 2;
const len = (s: string): number => [...s].length;

export function fitTable(columns: string[], rows: Record<string, unknown>[], options: TableOptions = {}): FittedTable {
  const max = options.maxCellWidth ?? 60;
  const group = options.groupBy;
  let shown = columns.filter((c) => c !== group);
  const text = new Map<string, string[]>(shown.map((c) => [c, rows.map((r) => flat(formatCell(r[c]), max))]));
  const natural = new Map<string, number>(shown.map((c) => [c, Math.max(len(c), ...(text.get(c) ?? []).map(len))]));
  const right = new Set(
    shown.filter((c) => options.align?.[c] === 'right' || (options.align?.[c] === undefined && rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'))),
  );
  const widths = new Map(natural);
  const total = (): number => shown.reduce((a, c) => a + (widths.get(c) ?? 0), 0) + GAP * Math.max(0, shown.length - 1);
  const hidden: string[] = [];
  const limit = options.width;
  if (limit !== undefined) {
    for (const item of options.drop ?? []) {
      if (total() <= limit) break;
      const together = (Array.isArray(item) ? item : [item]).filter((c) => shown.includes(c));
      if (together.length === 0 || together.length >= shown.length) continue;
      shown = shown.filter((x) => !together.includes(x));
      hidden.push(...together);
    }
    // Shrink the named columns (widest first), then any column, down to a floor.
    const squeeze = (candidates: string[], floor: (c: string) => number): void => {
      while (total() > limit) {
        const widest = candidates.filter((c) => shown.includes(c) && (widths.get(c) ?? 0) > floor(c)).sort((a, b) => (widths.get(b) ?? 0) - (widths.get(a) ?? 0))[0];
        if (widest === undefined) return;
        widths.set(widest, (widths.get(widest) ?? 0) - 1);
      }
    };
    // The last listed shrinkable column gives way first; the first (the most telling) last.
    const shrinkFloor = (c: string): number => Math.min(natural.get(c) ?? 0, Math.max(8, Math.min(len(c), 12)));
    for (const c of [...(options.shrink ?? [])].reverse()) squeeze([c], shrinkFloor);
    squeeze(shown, (c) => Math.min(natural.get(c) ?? 0, Math.max(4, Math.min(len(c), 6))));
  }
  const pad = (s: string, c: string): string => {
    const w = widths.get(c) ?? 0;
    const v = cut(s, w);
    return right.has(c) ? v.padStart(w + v.length - len(v)) : v.padEnd(w + v.length - len(v));
  };
  const fits = limit === undefined || total() <= limit;
  const finish = (line: string): string => {
    const trimmed = line.trimEnd();
    return limit !== undefined && !fits ? cut(trimmed, limit) : trimmed;
  };
  const out = [finish(shown.map((c) => pad(c, c)).join(' '.repeat(GAP))), finish(shown.map((c) => '─'.repeat(widths.get(c) ?? 0)).join(' '.repeat(GAP)))];
  let lastGroup: string | undefined;
  rows.forEach((row, i) => {
    if (group !== undefined) {
      const g = flat(formatCell(row[group]), 200);
      if (g !== lastGroup) {
        // A heading is words and numbers (a test's statistics): wrapped between words, never cut.
        out.push(wrap(g, limit, '  '));
        lastGroup = g;
      }
    }
    const cells = shown.map((c) => pad(text.get(c)?.[i] ?? '', c));
    if (fits && options.paint) {
      const painted = cells.map((cell, j) => {
        const c = shown[j] as string;
        return options.paint ? options.paint(c, row, cell) : cell;
      });
      // Trim the plain text's trailing blanks without cutting escape codes: pad only up to the last cell.
      const lastCol = shown[shown.length - 1] as string;
      const lastPlain = cells[cells.length - 1] ?? '';
      const lastTrimmed = right.has(lastCol) ? lastPlain : lastPlain.trimEnd();
      painted[painted.length - 1] = lastTrimmed === lastPlain ? (painted[painted.length - 1] ?? '') : options.paint(lastCol, row, lastTrimmed);
      out.push(painted.join(' '.repeat(GAP)));
    } else {
      out.push(finish(cells.join(' '.repeat(GAP))));
    }
  });
  return { text: out.join('\n'), hidden };
}

export function renderTable(columns: string[], rows: Record<string, unknown>[], options: TableOptions = {}): string {
  return fitTable(columns, rows, options).text;
}

/** The line under a table whose columns were hidden to fit: which, and how to see them. */
export function hiddenNote(hidden: string[], width: number | undefined): string | null {
  if (hidden.length === 0) return null;
  return `(${hidden.join(', ')} hidden to fit ${width ?? 'the'} columns; --wide shows every column)`;
}

function flat(s: string, max: number): string {
  return cut(s.replace(/\s*\n\s*/g, ' '), max);
}
