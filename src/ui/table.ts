/** Plain-text tables for terminal output: aligned columns, numbers right-aligned, stable in CI. */
export interface TableOptions {
  /** Truncate cells longer than this. */
  maxCellWidth?: number;
  /** Column names whose values are right-aligned (default: detected numbers). */
  align?: Record<string, 'left' | 'right'>;
}

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '');
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? '';
}

/** Up to 6 significant digits, no exponent for ordinary magnitudes, integers as integers. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return n.toExponential(3);
  return String(Number(n.toPrecision(6)));
}

export function renderTable(columns: string[], rows: Record<string, unknown>[], options: TableOptions = {}): string {
  const max = options.maxCellWidth ?? 60;
  const cells = rows.map((r) => columns.map((c) => truncate(formatCell(r[c]), max)));
  const numeric = columns.map((c, i) => options.align?.[c] === 'right' || (options.align?.[c] === undefined && rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number')) ? i : -1);
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const pad = (s: string, i: number): string => (numeric.includes(i) ? s.padStart(widths[i] ?? 0) : s.padEnd(widths[i] ?? 0));
  const line = (row: string[]): string => row.map((s, i) => pad(s, i)).join('  ').trimEnd();
  const out = [line(columns), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)];
  return out.join('\n');
}

function truncate(s: string, max: number): string {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
