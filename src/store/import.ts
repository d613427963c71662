/**
 * Imports CSV, Parquet or JSON(L) files into a store table through DuckDB's own readers.
 * Validates columns and types before writing; the write is one transaction, so a failed
 * or interrupted import leaves the store exactly as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../core/errors.js';
import { IMPORT_TABLES, type ColumnSpec } from './schema.js';
import { quoteIdent, quoteLiteral, type Store } from './store.js';

export interface ImportOptions {
  file: string;
  table: string;
  /** target column -> file column. */
  map?: Record<string, string>;
  /** Overwrite rows whose key already exists instead of failing. */
  replace?: boolean;
  /** NaN / ±Infinity in number columns: refuse (default), store NULL, or keep them as they are. */
  nonFinite?: NonFinitePolicy;
  /** Read NA, N/A, NULL and None in a CSV as text (default: missing, like an empty cell). */
  keepNa?: boolean;
}

export type NonFinitePolicy = 'error' | 'null' | 'keep';

export interface ImportResult {
  table: string;
  file: string;
  rows: number;
  columns: Record<string, string>;
  /** File columns folded into the JSON column (attributes / metadata). */
  extra_columns: string[];
  /** Present when number columns held NaN / Infinity that were stored (keep) or nulled (null): rows per column. */
  non_finite?: { policy: NonFinitePolicy; rows: Record<string, number> };
}

export type FileFormat = 'csv' | 'parquet' | 'json';

export function detectFormat(file: string): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json';
  throw new UserError(`unsupported file type "${ext || '(none)'}" for ${path.basename(file)}`, {
    hint: 'use a .csv, .tsv, .parquet, .json, .jsonl or .ndjson file',
    code: 'IMPORT_FORMAT',
  });
}

/**
 * CSV cells read as missing (NULL), like an empty cell: R's and pandas' missing-value tokens in
 * the spellings they write. DuckDB compares them exactly (no trim, case-sensitive). Each is one
 * of forecast's MISSING_MARKERS (src/forecast/data.ts), which forecast compares case-insensitively.
 * NaN is left out: it is a number, and NaN / Infinity have their own policy (--non-finite).
 */
export const CSV_NULL_STRINGS: readonly string[] = ['', 'NA', 'N/A', 'n/a', 'NULL', 'null', 'None'];

/** The read_csv options that say which cells are missing (`keepNa`: only an empty cell). */
function nullOptions(keepNa: boolean | undefined): string {
  return keepNa ? `nullstr = ''` : `nullstr = [${CSV_NULL_STRINGS.map(quoteLiteral).join(', ')}]`;
}

/** CSV files with more columns than this are read without DuckDB's sniffer (see wideCsvReader). */
export const WIDE_CSV_COLUMNS = 500;
/** The longest header line read to find a CSV's columns. */
const HEADER_MAX_BYTES = 16 * 1024 * 1024;

/** The first line of a file (at most HEADER_MAX_BYTES), or null when there is none within the cap. */
function firstLineOf(file: string): string | null {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(64 * 1024);
    while (total < HEADER_MAX_BYTES) {
      const n = fs.readSync(fd, buf, 0, buf.length, total);
      if (n === 0) break;
      const part = buf.subarray(0, n);
      const nl = part.indexOf(10);
      if (nl >= 0) {
        chunks.push(Buffer.from(part.subarray(0, nl)));
        return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
      }
      chunks.push(Buffer.from(part));
      total += n;
    }
    return total > 0 && total < HEADER_MAX_BYTES ? Buffer.concat(chunks).toString('utf8') : null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Splits one CSV line on `delim`, honouring double quotes. */
export function splitCsvLine(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** The delimiter of a header line: tab for .tsv, else the most frequent of , ; tab | outside quotes. */
function guessDelimiter(file: string, line: string): string {
  if (path.extname(file).toLowerCase() === '.tsv') return '\t';
  const unquoted = line.replace(/"(?:[^"]|"")*"/g, '');
  const counts = [',', ';', '\t', '|'].map((d) => ({ d, n: unquoted.split(d).length - 1 }));
  return counts.reduce((a, b) => (b.n > a.n ? b : a)).d;
}

/**
 * A reader for a very wide CSV: DuckDB's sniffer holds a sample of every column at once (about
 * 300 MB for 10,000 columns), so the header is read here and every column declared VARCHAR.
 * Projection pushdown then parses only the columns a query uses; callers TRY_CAST as they need.
 * Null when the file is not wider than WIDE_CSV_COLUMNS.
 */
export function wideCsvReader(file: string, options: ReaderOptions = {}): string | null {
  const line = firstLineOf(file);
  if (line === null) return null;
  const delim = guessDelimiter(file, line);
  const names = splitCsvLine(line, delim);
  if (names.length <= WIDE_CSV_COLUMNS) return null;
  assertColumnNames(names, file);
  const seen = new Set<string>();
  const unique = names.map((n, i) => {
    let name = n.trim() === '' ? `column${i}` : n;
    while (seen.has(name.toLowerCase())) name = `${name}_${i}`;
    seen.add(name.toLowerCase());
    return name;
  });
  const columns = `{${unique.map((n) => `${quoteLiteral(n)}: 'VARCHAR'`).join(', ')}}`;
  return `read_csv(${quoteLiteral(file)}, header = true, auto_detect = false, delim = ${quoteLiteral(delim)}, quote = '"', escape = '"', ${nullOptions(options.keepNa)}, columns = ${columns})`;
}

export interface ReaderOptions {
  /**
   * Read a CSV wider than WIDE_CSV_COLUMNS with every column as VARCHAR (wideCsvReader), for
   * callers that cast what they use (import, whatchanged). Off: DuckDB detects the types.
   */
  wideAsText?: boolean;
  /** Read NA, N/A, NULL and None in a CSV as text (default: missing, like an empty cell). */
  keepNa?: boolean;
  /**
   * Read a CSV with DuckDB's strict mode off (set by describeFile for a file that mixes CRLF and
   * LF line endings and has no ragged row: the sniffer refuses it otherwise).
   */
  lenient?: boolean;
}

/** The DuckDB table function that reads `file`. */
export function readerSql(file: string, format: FileFormat = detectFormat(file), options: ReaderOptions = {}): string {
  const lit = quoteLiteral(file);
  switch (format) {
    case 'csv':
      return (
        (options.wideAsText ? wideCsvReader(file, options) : null) ??
        `read_csv(${lit}, auto_detect = true, header = true, ${nullOptions(options.keepNa)}${options.lenient ? ', strict_mode = false' : ''})`
      );
    case 'parquet':
      return `read_parquet(${lit})`;
    case 'json':
      return `read_json_auto(${lit})`;
  }
}

/** Shows control characters in a column name as escapes, for a one-line message. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\u0000' ? '\\0' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Refuses column names with a NUL byte or other control characters: SQL cannot name them safely. */
export function assertColumnNames(names: readonly string[], file: string): void {
  // eslint-disable-next-line no-control-regex
  const bad = names.map((n, i) => ({ n, i })).filter(({ n }) => /[\u0000-\u001f\u007f]/.test(n));
  const first = bad[0];
  if (!first) return;
  const what = first.n.includes('\u0000') ? 'a NUL byte' : 'a control character';
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more column${bad.length > 2 ? 's' : ''})` : '';
  throw new UserError(`column ${first.i + 1} of ${path.basename(file)}, "${printable(first.n)}", has ${what} in its name${more}`, {
    hint: 'rename the column in the file\'s header (remove the control character) and run again',
    code: 'BAD_COLUMN_NAME',
  });
}

/** Describes a data file: its columns and DuckDB types. Clear errors for missing or unreadable files. */
export async function describeFile(store: Store, file: string, options: ReaderOptions = {}): Promise<{ reader: string; columns: { name: string; type: string }[] }> {
  if (!fs.existsSync(file)) {
    throw new UserError(`file not found: ${file}`, { hint: 'check the path (relative paths are from the current directory)', code: 'FILE_NOT_FOUND' });
  }
  if (fs.statSync(file).isDirectory()) {
    throw new UserError(`${file} is a directory, not a data file`, { hint: 'pass a .csv, .parquet or .json file', code: 'FILE_NOT_FOUND' });
  }
  const format = detectFormat(file);
  let reader = readerSql(file, format, options);
  let described = await describeReader(store, reader);
  // DuckDB's sniffer refuses a CSV that mixes CRLF and LF, or with a ragged row (or reads every
  // line as one column): a scan of the records says which, and a mixed file is read again.
  if (format === 'csv' && reader.includes('auto_detect = true')) {
    const header = firstLineOf(file);
    const delim = header === null ? ',' : guessDelimiter(file, header);
    const oneColumn = !(described instanceof Error) && described.length === 1 && header !== null && splitCsvLine(header, delim).length > 1;
    if (described instanceof Error || oneColumn) {
      const { scanCsv } = await import('./csv-scan.js');
      const scan = scanCsv(file, delim);
      if (scan.ragged) throw raggedError(file, scan.ragged, scan.headerFields, delim, described instanceof Error ? described : undefined);
      if (described instanceof Error && scan.crlf > 0 && scan.lf > 0) {
        reader = readerSql(file, format, { ...options, lenient: true });
        const again = await describeReader(store, reader);
        if (!(again instanceof Error)) described = again;
      }
    }
  }
  if (described instanceof Error) {
    throw new UserError(`cannot read ${path.basename(file)} as ${format.toUpperCase()}: ${firstLine(errorMessage(described))}`, {
      hint: `check that the file really is ${format.toUpperCase()} (header row, consistent columns)`,
      code: 'IMPORT_UNREADABLE',
      cause: described,
    });
  }
  assertColumnNames(described.map((c) => c.name), file);
  return { reader, columns: described };
}

/** The columns DuckDB reads from `reader`, or its error. */
async function describeReader(store: Store, reader: string): Promise<{ name: string; type: string }[] | Error> {
  try {
    const rows = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${reader}`);
    return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  } catch (error) {
    return error instanceof Error ? error : new Error(errorMessage(error));
  }
}

function raggedError(file: string, ragged: { line: number; fields: number }, headerFields: number, delim: string, cause?: Error): UserError {
  const sep = delim === '\t' ? 'tab' : `"${delim}"`;
  return new UserError(`line ${ragged.line.toLocaleString('en-US')} of ${path.basename(file)} has ${ragged.fields} field${ragged.fields === 1 ? '' : 's'}, the header ${headerFields}`, {
    hint: `fix or remove that row (a value that holds a ${sep} must be in double quotes), then run again`,
    code: 'CSV_RAGGED',
    ...(cause ? { cause } : {}),
  });
}

/**
 * A one-line error for a CSV row DuckDB refused while reading (past the sniffer's sample):
 * "line N of FILE has F fields, the header H". Null when `error` is not that.
 */
export function csvReadError(file: string, error: unknown): UserError | null {
  const msg = errorMessage(error);
  const line = /CSV Error on Line: (\d+)/.exec(msg)?.[1];
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
  if (!line || !counts) return null;
  const delim = /delimiter = (\S+)/.exec(msg)?.[1] ?? ',';
  return raggedError(file, { line: Number(line), fields: Number(counts[2]) }, Number(counts[1]), delim === '\\t' ? '\t' : delim, error instanceof Error ? error : undefined);
}

export async function importFile(store: Store, options: ImportOptions): Promise<ImportResult> {
  const specs = IMPORT_TABLES[options.table];
  if (!specs) {
    throw new UserError(`cannot import into "${options.table}"`, {
      hint: `choose one of: ${Object.keys(IMPORT_TABLES).join(', ')}`,
      code: 'IMPORT_TABLE',
      exitCode: 2,
    });
  }
  const { reader, columns } = await describeFile(store, options.file, { wideAsText: true, keepNa: options.keepNa });
  const fileCols = columns.map((c) => c.name);
  const map = options.map ?? {};
  for (const [target, source] of Object.entries(map)) {
    if (!specs.some((s) => s.name === target)) {
      throw new UserError(`--map ${target}=${source}: "${target}" is not a column of ${options.table}`, {
        hint: `columns of ${options.table}: ${specs.map((s) => s.name).join(', ')}`,
        code: 'IMPORT_MAP',
        exitCode: 2,
      });
    }
    if (!fileCols.includes(source)) {
      throw new UserError(`--map ${target}=${source}: the file has no column "${source}"`, {
        hint: `the file's columns: ${fileCols.join(', ')}`,
        code: 'IMPORT_MAP',
        exitCode: 2,
      });
    }
  }
  const chosen: Record<string, string> = {};
  for (const spec of specs) {
    const source = map[spec.name] ?? (fileCols.includes(spec.name) ? spec.name : undefined);
    if (source !== undefined) chosen[spec.name] = source;
  }
  const missing = specs.filter((s) => s.required && chosen[s.name] === undefined).map((s) => s.name);
  if (missing.length > 0) {
    throw new UserError(`${path.basename(options.file)} is missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} for ${options.table}`, {
      hint: `the file has: ${fileCols.join(', ')}; map one with --map ${missing[0]}=<file column>`,
      code: 'IMPORT_MISSING_COLUMNS',
    });
  }
  const used = new Set(Object.values(chosen));
  const jsonColumn = options.table === 'users' ? 'attributes' : options.table === 'events' ? 'metadata' : undefined;
  const extra = jsonColumn && chosen[jsonColumn] === undefined ? fileCols.filter((c) => !used.has(c)) : [];

  const nonFinite = options.nonFinite ?? 'error';
  const mapped = await validateValues(store, reader, specs, chosen, options.file, nonFinite);

  const targetCols = Object.keys(chosen);
  const selectExprs = targetCols.map((t) => castExpr(specs.find((s) => s.name === t) as ColumnSpec, chosen[t] as string, nonFinite === 'null'));
  if (jsonColumn && extra.length > 0) {
    targetCols.push(jsonColumn);
    selectExprs.push(`json_object(${extra.map((c) => `${quoteLiteral(c)}, ${quoteIdent(c)}`).join(', ')})`);
  }
  const verb = options.replace ? 'INSERT OR REPLACE INTO' : 'INSERT INTO';
  const sql = `${verb} ${quoteIdent(options.table)} (${targetCols.map(quoteIdent).join(', ')}) SELECT ${selectExprs.join(', ')} FROM ${reader}`;
  const before = await store.count(options.table);
  try {
    await store.transaction(() => store.run(sql));
  } catch (error) {
    const ragged = csvReadError(options.file, error);
    if (ragged) throw ragged;
    const msg = errorMessage(error);
    if (/duplicate key|PRIMARY KEY|unique constraint/i.test(msg)) {
      throw new UserError(`the import would duplicate keys already in ${options.table}: ${firstLine(msg)}`, {
        hint: 'pass --replace to overwrite those rows, or remove the duplicates from the file',
        code: 'IMPORT_DUPLICATE',
        cause: error,
      });
    }
    throw new UserError(`import into ${options.table} failed: ${firstLine(msg)}`, {
      hint: 'nothing was written; fix the file and run the import again',
      code: 'IMPORT_FAILED',
      cause: error,
    });
  }
  const after = await store.count(options.table);
  return {
    table: options.table,
    file: options.file,
    rows: options.replace ? await countFile(store, reader) : after - before,
    columns: chosen,
    extra_columns: extra,
    ...(Object.keys(mapped).length > 0 ? { non_finite: { policy: nonFinite, rows: mapped } } : {}),
  };
}

function castExpr(spec: ColumnSpec, source: string, finiteOnly = false): string {
  const col = quoteIdent(source);
  switch (spec.type) {
    case 'VARCHAR':
      return `CAST(${col} AS VARCHAR)`;
    case 'DOUBLE':
      return finiteOnly ? `CASE WHEN isfinite(CAST(${col} AS DOUBLE)) THEN CAST(${col} AS DOUBLE) END` : `CAST(${col} AS DOUBLE)`;
    case 'TIMESTAMP':
      return `CAST(${col} AS TIMESTAMP)`;
    case 'JSON':
      return `CAST(${col} AS JSON)`;
  }
}

/** Checks NULLs in required columns and values that do not cast to the column's type, naming the first bad value. */
async function validateValues(store: Store, reader: string, specs: ColumnSpec[], chosen: Record<string, string>, file: string, nonFinite: NonFinitePolicy): Promise<Record<string, number>> {
  const checks: string[] = [];
  const labels: { target: string; source: string; kind: 'null' | 'type' | 'finite'; type: string }[] = [];
  const found: Record<string, number> = {};
  for (const [target, source] of Object.entries(chosen)) {
    const spec = specs.find((s) => s.name === target) as ColumnSpec;
    const col = quoteIdent(source);
    if (spec.required) {
      checks.push(`count(*) FILTER (WHERE ${col} IS NULL)`);
      labels.push({ target, source, kind: 'null', type: spec.type });
    }
    if (spec.type === 'DOUBLE' || spec.type === 'TIMESTAMP') {
      checks.push(`count(*) FILTER (WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${spec.type}) IS NULL)`);
      checks.push(`min(CAST(${col} AS VARCHAR)) FILTER (WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${spec.type}) IS NULL)`);
      labels.push({ target, source, kind: 'type', type: spec.type });
    }
    if (spec.type === 'DOUBLE') {
      checks.push(`count(*) FILTER (WHERE NOT isfinite(TRY_CAST(${col} AS DOUBLE)))`);
      labels.push({ target, source, kind: 'finite', type: spec.type });
    }
  }
  if (checks.length === 0) return found;
  let row: Record<string, unknown> | undefined;
  try {
    const rows = await store.all(`SELECT ${checks.map((c, i) => `${c} AS c${i}`).join(', ')} FROM ${reader}`);
    row = rows[0];
  } catch (error) {
    const ragged = csvReadError(file, error);
    if (ragged) throw ragged;
    throw new UserError(`cannot read ${path.basename(file)}: ${firstLine(errorMessage(error))}`, {
      hint: 'check the file for malformed rows',
      code: 'IMPORT_UNREADABLE',
      cause: error,
    });
  }
  let i = 0;
  for (const label of labels) {
    if (label.kind === 'finite') {
      const n = Number(row?.[`c${i}`] ?? 0);
      i += 1;
      if (n === 0) continue;
      if (nonFinite === 'error') {
        throw new UserError(`column "${label.source}" (${label.target}) of ${path.basename(file)} has NaN or Infinity in ${n} row${n > 1 ? 's' : ''}`, {
          hint: 'fix the file, or pass --non-finite null to store them as NULL (--non-finite keep stores them as they are)',
          code: 'IMPORT_NON_FINITE',
        });
      }
      found[label.target] = n;
    } else if (label.kind === 'null') {
      const n = Number(row?.[`c${i}`] ?? 0);
      i += 1;
      if (n > 0) {
        throw new UserError(`column "${label.source}" (${label.target}) is empty in ${n} row${n > 1 ? 's' : ''} of ${path.basename(file)}`, {
          hint: `${label.target} is required: fill it in or drop those rows`,
          code: 'IMPORT_NULLS',
        });
      }
    } else {
      const n = Number(row?.[`c${i}`] ?? 0);
      const example = row?.[`c${i + 1}`];
      i += 2;
      if (n > 0) {
        const what = label.type === 'DOUBLE' ? 'a number' : 'a timestamp';
        throw new UserError(`column "${label.source}" (${label.target}) must be ${what}, but ${n} row${n > 1 ? 's have' : ' has'} values like ${JSON.stringify(example)}`, {
          hint: label.type === 'TIMESTAMP' ? 'use ISO dates such as 2026-10-01 or 2026-10-01T12:00:00' : 'remove units and thousands separators from the column',
          code: 'IMPORT_TYPE',
        });
      }
    }
  }
  return found;
}

async function countFile(store: Store, reader: string): Promise<number> {
  const rows = await store.all(`SELECT count(*) AS n FROM ${reader}`);
  return Number(rows[0]?.n ?? 0);
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}
