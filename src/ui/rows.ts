/**
 * Row encoders for streamed query output: CSV (RFC 4180), NDJSON (one object per line) and a
 * JSON array written row by row. Each encoder turns one batch of rows into text, so a caller can
 * write a result of any size without holding it. Rows come normalized (store/query.ts: bigint as
 * number or string), so JSON.stringify needs no replacer (which would cost it its fast path);
 * it writes NaN and Infinity as null.
 */
import { jsonReplacer } from '../core/output.js';
import { renderTable } from './table.js';

export type RowFormat = 'table' | 'csv' | 'ndjson' | 'json';
export const ROW_FORMATS: readonly RowFormat[] = ['table', 'csv', 'ndjson', 'json'];

export interface RowEncoder {
  /** Text before the first row (a header, an opening bracket). */
  head(): string;
  /** One batch of rows; `first` is true for the first batch written. */
  batch(rows: unknown[][], first: boolean): string;
  /** Text after the last row. */
  tail(): string;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s: string;
  if (value instanceof Date) s = value.toISOString();
  else if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') s = value.toString();
  else s = JSON.stringify(value, jsonReplacer) ?? '';
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

function rowObject(columns: readonly string[], row: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  columns.forEach((c, i) => (o[c] = row[i] ?? null));
  return o;
}

export function rowObjects(columns: readonly string[], rows: readonly (readonly unknown[])[]): Record<string, unknown>[] {
  return rows.map((r) => rowObject(columns, r));
}

/** A table in blocks: each batch is aligned on its own; only the first carries the header. */
function tableBatch(columns: string[], rows: unknown[][], first: boolean, width: number | undefined): string {
  const text = renderTable(columns, rowObjects(columns, rows), { width });
  const lines = text.split('\n');
  return `${(first ? lines : lines.slice(2)).join('\n')}\n`;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** One JSON value; plain numbers, dates and strings without escapes skip JSON.stringify. */
function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'null' : `"${v.toISOString()}"`;
  return JSON.stringify(v) ?? 'null';
}

/** One row as a JSON object, keys pre-encoded (several times faster than building and stringifying an object). */
function jsonRowWriter(columns: readonly string[]): (row: readonly unknown[]) => string {
  const keys = columns.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c)}:`);
  return (row) => {
    let out = '';
    for (let i = 0; i < keys.length; i++) out += keys[i] + jsonValue(row[i]);
    return `${out}}`;
  };
}

/** `width`: a table's lines fit it (cells are cut with "…"; the streamed formats are never cut). */
export function rowEncoder(format: RowFormat, columns: string[], width?: number): RowEncoder {
  const json = jsonRowWriter(columns);
  switch (format) {
    case 'csv':
      return { head: () => csvLine(columns), batch: (rows) => rows.map(csvLine).join(''), tail: () => '' };
    case 'ndjson':
      return { head: () => '', batch: (rows) => rows.map((r) => `${json(r)}\n`).join(''), tail: () => '' };
    case 'json':
      return {
        head: () => '[',
        batch: (rows, first) => rows.map((r, i) => `${first && i === 0 ? '\n' : ',\n'}${json(r)}`).join(''),
        tail: () => '\n]\n',
      };
    case 'table':
      return { head: () => '', batch: (rows, first) => tableBatch(columns, rows, first, width), tail: () => '' };
  }
}

