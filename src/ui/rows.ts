/**
 * Row encoders for streamed query output: CSV (RFC 4180), NDJSON (one object per line) and a
 * JSON array written row by row. Each encoder turns one batch of rows into text, so a caller can
 * write a result of any size without holding it.
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
function tableBatch(columns: string[], rows: unknown[][], first: boolean): string {
  const text = renderTable(columns, rowObjects(columns, rows));
  const lines = text.split('\n');
  return `${(first ? lines : lines.slice(2)).join('\n')}\n`;
}

export function rowEncoder(format: RowFormat, columns: string[]): RowEncoder {
  switch (format) {
    case 'csv':
      return { head: () => csvLine(columns), batch: (rows) => rows.map(csvLine).join(''), tail: () => '' };
    case 'ndjson':
      return { head: () => '', batch: (rows) => rows.map((r) => `${JSON.stringify(rowObject(columns, r), jsonReplacer)}\n`).join(''), tail: () => '' };
    case 'json':
      return {
        head: () => '[',
        batch: (rows, first) => rows.map((r, i) => `${first && i === 0 ? '\n' : ',\n'}${JSON.stringify(rowObject(columns, r), jsonReplacer)}`).join(''),
        tail: () => '\n]\n',
      };
    case 'table':
      return { head: () => '', batch: (rows, first) => tableBatch(columns, rows, first), tail: () => '' };
  }
}

