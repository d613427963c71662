/**
 * One logged query (a job): what ran, for which command/experiment/metric, and what it cost
 * according to DuckDB's own profile. Pure: turns an observed query into a record.
 */
import type { QueryRecord } from '../../store/observer.js';
import type { ScanFigures, ScanSource } from './shapes.js';
import { redactUrlCredentials } from '../../core/redact.js';

export interface JobContext {
  command: string;
  experiment: string | null;
  metric: string | null;
}

/** A plan node as kept in the log: operator, time, rows, and its details. */
export interface PlanNode {
  op: string;
  /** Null when operator timings were not profiled (jobs.detail 'summary'). */
  ms: number | null;
  /** Null when operator cardinalities were not profiled (jobs.detail 'summary'). */
  rows: number | null;
  scanned: number;
  info: string;
  children: PlanNode[];
}

/** One line of the spool, one row of the `jobs` table (without its id). */
export interface JobRecord extends JobContext {
  run_id: string;
  /** Null in the spool when the log did not need it (no shape was looked up): `jobs` computes it from the SQL when it moves the spool in. */
  fingerprint: string | null;
  sql: string;
  started_ms: number;
  duration_ms: number;
  cpu_ms: number | null;
  rows_scanned: number | null;
  bytes_scanned: number | null;
  bytes_read: number | null;
  peak_memory: number | null;
  rows_returned: number | null;
  outcome: 'ok' | 'error';
  error: string | null;
  plan: PlanNode | null;
  /** Whether DuckDB profiled this query (config `jobs.profile`); absent in spools of older versions. */
  profiled?: boolean;
  /**
   * When the query was not profiled: the profiled job of the same shape whose rows and bytes
   * scanned and peak memory it carries (estimates), by run and start; `jobs` turns it into a job id.
   */
  scan_run_id?: string | null;
  scan_started_ms?: number | null;
}

export const MAX_SQL_CHARS = 8000;
const MAX_INFO_CHARS = 400;
const MAX_PLAN_NODES = 200;

/**
 * The shape of a query without its constants: comments dropped, string and number literals
 * as `?`, lists of them as one `?`, whitespace collapsed, lower case. Queries that differ
 * only in their constants share a fingerprint.
 */
export function normalizeSql(sql: string): string {
  return scanSql(sql).shape;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** [A-Za-z0-9_]. */
const isWord = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const QUOTE = 39; // '
const DQUOTE = 34; // "

/**
 * One pass over a query's text: its shape (normalizeSql) and its string literals' contents
 * (`''` unescaped), which name the files a table function reads (shapes.ts). One scan rather
 * than a regular expression per rule: the job log does this for every query, between
 * DuckDB's, where seven patterns (one with a lookbehind) cost 20-50 µs a query.
 * Quoted identifiers are kept as they are (a digit in `"m0"` is no constant).
 */
export function scanSql(sql: string): { shape: string; literals: string[] } {
  const literals: string[] = [];
  let out = '';
  let space = false; // a space is owed before the next token
  /** The last character written or skipped as a token (for "is this number part of a word"). */
  let prev = 32;
  const n = sql.length;
  /** The code at j, 0 past the end (charCodeAt's NaN there deoptimizes the scan). */
  const at = (j: number): number => (j < n ? sql.charCodeAt(j) : 0);
  const emit = (text: string, last: number): void => {
    if (space && out.length > 0) out += ' ';
    space = false;
    out += text;
    prev = last;
  };
  let i = 0;
  while (i < n) {
    const c = at(i);
    if (isSpace(c)) {
      space = true;
      prev = 32;
      i += 1;
    } else if (c === 45 && at(i + 1) === 45) {
      // -- comment, to the end of the line
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end;
      space = true;
      prev = 32;
    } else if (c === 47 && at(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      space = true;
      prev = 32;
    } else if (c === QUOTE) {
      let j = i + 1;
      let text = '';
      let from = j;
      while (j < n) {
        if (at(j) === QUOTE) {
          if (at(j + 1) === QUOTE) {
            text += `${sql.slice(from, j)}'`;
            j += 2;
            from = j;
            continue;
          }
          break;
        }
        j += 1;
      }
      literals.push(text + sql.slice(from, j));
      emit('?', QUOTE);
      i = j + 1;
    } else if (c === DQUOTE) {
      const end = sql.indexOf('"', i + 1);
      const j = end === -1 ? n : end + 1;
      emit(sql.slice(i, j), DQUOTE);
      i = j;
    } else if (c === 36 && isDigit(at(i + 1))) {
      // $1: a parameter
      let j = i + 1;
      while (j < n && isDigit(at(j))) j += 1;
      emit('?', 48);
      i = j;
    } else if ((isDigit(c) || (c === 45 && isDigit(at(i + 1)))) && !isWord(prev) && prev !== DQUOTE) {
      // A number: -?digits(.digits)?(e[+-]?digits)?, unless a word or quoted name goes on right after it.
      let j = c === 45 ? i + 1 : i;
      while (j < n && isDigit(at(j))) j += 1;
      if (at(j) === 46 && isDigit(at(j + 1))) {
        j += 1;
        while (j < n && isDigit(at(j))) j += 1;
      }
      const e = at(j);
      if (e === 101 || e === 69) {
        let k = j + 1;
        const sign = at(k);
        if (sign === 43 || sign === 45) k += 1;
        if (isDigit(at(k))) {
          while (k < n && isDigit(at(k))) k += 1;
          j = k;
        }
      }
      const next = at(j);
      if (j < n && (isWord(next) || next === DQUOTE)) {
        // part of a word (12abc): the word as it is
        let k = j;
        while (k < n && isWord(at(k))) k += 1;
        emit(sql.slice(i, k), at(k - 1));
        i = k;
      } else {
        emit('?', 48);
        i = j;
      }
    } else if (isWord(c)) {
      let j = i + 1;
      while (j < n && isWord(at(j))) j += 1;
      emit(sql.slice(i, j), at(j - 1));
      i = j;
    } else {
      emit(sql[i] as string, c);
      i += 1;
    }
  }
  // A list of constants, (?, ?, ?), is one (?): IN lists of any length share a shape.
  const shape = out.includes('?,') || out.includes('? ,') ? out.replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?)') : out;
  return { shape: shape.toLowerCase(), literals };
}

/** A query's shape: its normalized text (normalizeSql), hashed to 12 hex digits. */
export function fingerprint(sql: string): string {
  return hash48(normalizeSql(sql));
}

/**
 * 48 bits of a non-cryptographic 64-bit hash of a string's UTF-16 code units (two FNV-1a
 * style lanes, the second mixed with the first), as 12 hex digits. Fingerprints name query
 * shapes; nothing depends on their being hard to forge. In the job log, node:crypto's sha256
 * cost 30-40 µs a query between DuckDB's queries (cold caches), this about 3.
 */
export function hash48(text: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0xcbf29ce4 | 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 15), 0x0100019d);
  }
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0x5bd1e995);
  return `${(h1 >>> 0).toString(16).padStart(8, '0')}${((h2 ^ (h2 >>> 15)) >>> 0).toString(16).padStart(8, '0').slice(0, 4)}`;
}

const utf8 = new TextEncoder();
/**
 * The key of a query's exact text in the shapes journal: 48 bits of a non-cryptographic hash of
 * its UTF-8 bytes, taken 4 at a time (hash48's two lanes, on 32-bit words), as 12 hex digits.
 * A CLI run hashes each of its queries once, before V8 has compiled anything: this took 0.3 ms
 * for 22 texts of 8.7 KB in a fresh process, where hash48 (a code unit at a time) took 1 ms, and
 * node:crypto's sha1 1.4-1.9 ms with loading node:crypto (which a run without a config file
 * does not load otherwise). The words are read in the platform's byte order (a journal moved to
 * a big-endian machine misses once per text, then is rewritten). Nothing depends on these
 * being hard to forge: a collision makes a query carry another shape's estimates.
 */
export function textHash(text: string): string {
  let bytes = utf8.encode(text);
  // A Uint32Array view needs a 4-byte aligned offset (encode returns a fresh buffer at 0; copy if not).
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  const n = bytes.length;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >>> 2);
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0xcbf29ce4 | 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 ^ w ^ (h1 >>> 15), 0x0100019d);
  }
  for (let i = words.length * 4; i < n; i++) {
    const b = bytes[i] as number;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b ^ (h1 >>> 15), 0x0100019d);
  }
  // Avalanche both lanes (MurmurHash3's finalizer), each with the other and the length.
  h1 ^= n;
  h1 = Math.imul(h1 ^ (h1 >>> 16) ^ h2, 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 = Math.imul(h2 ^ (h2 >>> 16) ^ h1, 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return `${(h1 >>> 0).toString(16).padStart(8, '0')}${((h2 >>> 0) & 0xffff).toString(16).padStart(4, '0')}`;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function infoText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v !== 'object') return JSON.stringify(v);
  const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${Array.isArray(x) ? x.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join(', ') : typeof x === 'string' ? x : JSON.stringify(x)}`);
  const text = parts.join('; ');
  return text.length > MAX_INFO_CHARS ? `${text.slice(0, MAX_INFO_CHARS - 1)}…` : text;
}

const ms = (seconds: number | null): number | null => (seconds === null ? null : seconds * 1000);

/** The operator tree of a DuckDB JSON profile, compacted (at most MAX_PLAN_NODES nodes). */
export function compactPlan(profile: Record<string, unknown>): PlanNode {
  let budget = MAX_PLAN_NODES;
  const walk = (node: Record<string, unknown>, op: string): PlanNode => {
    budget -= 1;
    const kids = Array.isArray(node.children) ? (node.children as Record<string, unknown>[]) : [];
    const children: PlanNode[] = [];
    for (const k of kids) if (budget > 0) children.push(walk(k, typeof k.operator_name === 'string' ? k.operator_name : typeof k.operator_type === 'string' ? k.operator_type : '?'));
    return {
      op,
      ms: ms(num(node.operator_timing)),
      rows: num(node.operator_cardinality),
      scanned: num(node.operator_rows_scanned) ?? 0,
      info: infoText(node.extra_info),
      children,
    };
  };
  const root = walk(profile, 'QUERY');
  root.ms = ms(num(profile.latency));
  root.rows = num(profile.rows_returned);
  root.scanned = num(profile.cumulative_rows_scanned) ?? 0;
  return root;
}

/** Bytes that the scans of a plan produced (rows × row width), DuckDB's `result_set_size` of each scan. */
function scannedBytes(profile: Record<string, unknown>): number {
  let total = 0;
  const walk = (node: Record<string, unknown>): void => {
    if ((num(node.operator_rows_scanned) ?? 0) > 0) total += num(node.result_set_size) ?? 0;
    if (Array.isArray(node.children)) for (const k of node.children as Record<string, unknown>[]) walk(k);
  };
  if (Array.isArray(profile.children)) for (const k of profile.children as Record<string, unknown>[]) walk(k);
  return total;
}

/** What a profile says about a query's scans and memory: what unprofiled runs of its shape carry. */
export function scanFigures(profile: Record<string, unknown>): ScanFigures {
  return { rows_scanned: num(profile.cumulative_rows_scanned), bytes_scanned: scannedBytes(profile), peak_memory: num(profile.system_peak_buffer_memory) };
}

/** A query's text as the log keeps it: cut at MAX_SQL_CHARS, a URL's credentials never kept (read_csv('https://user:pw@host/…')). */
function loggedSql(sql: string): string {
  return redactUrlCredentials(sql.length > MAX_SQL_CHARS ? `${sql.slice(0, MAX_SQL_CHARS - 1)}…` : sql);
}

/**
 * The record of one query. A query DuckDB did not profile may carry the scans and memory of
 * `carried`, the latest profiled run of its shape: they are marked estimated (`profiled: false`
 * and the source in scan_run_id / scan_started_ms).
 */
export function jobRecord(q: QueryRecord, ctx: JobContext, runId: string, carried: ScanSource | null = null, fp: string | null = fingerprint(q.sql)): JobRecord {
  const p = q.profile;
  const carry = p === null && q.ok && !q.engine ? carried : null;
  // DuckDB's own CPU time needs per-operator timing (detail 'plan'); otherwise the process's CPU time during the query.
  const cpu = p ? num(p.cpu_time) : null;
  // Every field written out, no `...ctx`: V8 (Node 20) builds a literal that starts with a spread
  // one property at a time, about 30 µs for this record against well under 1 µs (bench jobs).
  return {
    command: ctx.command,
    experiment: ctx.experiment,
    metric: ctx.metric,
    run_id: runId,
    fingerprint: fp,
    sql: loggedSql(q.sql),
    started_ms: q.startedAt,
    duration_ms: q.durationMs,
    cpu_ms: cpu !== null ? cpu * 1000 : (q.cpuMs ?? null),
    rows_scanned: p ? num(p.cumulative_rows_scanned) : (carry?.figures.rows_scanned ?? null),
    bytes_scanned: p ? scannedBytes(p) : (q.engine?.bytesScanned ?? carry?.figures.bytes_scanned ?? null),
    // Disk reads depend on what the buffer cache held at the time: not carried.
    bytes_read: p ? num(p.total_bytes_read) : null,
    peak_memory: p ? num(p.system_peak_buffer_memory) : (carry?.figures.peak_memory ?? null),
    rows_returned: q.rowsReturned ?? (p ? num(p.rows_returned) : (q.engine?.rowsReturned ?? null)),
    outcome: q.ok ? 'ok' : 'error',
    error: q.error === null ? null : redactUrlCredentials(q.error),
    plan: p ? compactPlan(p) : null,
    profiled: p !== null,
    scan_run_id: carry?.run_id ?? null,
    scan_started_ms: carry?.started_ms ?? null,
  };
}

/** A run's context and id as the start of its spool lines (see jobLine): the same for every job of a context. */
export function jobLinePrefix(ctx: JobContext, runId: string): string {
  return `{"command":${JSON.stringify(ctx.command)},"experiment":${JSON.stringify(ctx.experiment)},"metric":${JSON.stringify(ctx.metric)},"run_id":${JSON.stringify(runId)},`;
}

/** A figure as JSON writes it: a finite number, else null (JSON.stringify writes NaN and the infinities as null too). */
const jsonNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The spool line of a query DuckDB did not profile (no `profile`, no `engine`; the most common
 * job by far): the same JSON as `JSON.stringify(jobRecord(q, ctx, runId, carried, fp))`, field for
 * field, written as text after `prefix` (jobLinePrefix) instead of built as an object and
 * serialized. In a fresh process, before V8 has compiled either, the object and its
 * serialization cost 0.5-0.6 ms for a CLI run's 35 jobs, the text 0.35 (the log's cold replay:
 * 0.2 ms less a run); `jobs-line.test.ts` checks the two agree. Any other job takes jobRecord.
 */
export function jobLine(prefix: string, q: QueryRecord, carried: ScanSource | null, fp: string | null): string {
  const c = q.ok ? carried : null;
  const f = c === null ? null : c.figures;
  const sql = loggedSql(q.sql);
  return (
    `${prefix}"fingerprint":${fp === null ? 'null' : JSON.stringify(fp)},"sql":${JSON.stringify(sql)},"started_ms":${jsonNum(q.startedAt)},"duration_ms":${jsonNum(q.durationMs)},` +
    `"cpu_ms":${jsonNum(q.cpuMs)},"rows_scanned":${f === null ? null : jsonNum(f.rows_scanned)},"bytes_scanned":${f === null ? null : jsonNum(f.bytes_scanned)},"bytes_read":null,` +
    `"peak_memory":${f === null ? null : jsonNum(f.peak_memory)},"rows_returned":${jsonNum(q.rowsReturned)},"outcome":${q.ok ? '"ok"' : '"error"'},` +
    `"error":${q.error === null ? null : JSON.stringify(redactUrlCredentials(q.error))},"plan":null,"profiled":false,` +
    `"scan_run_id":${c === null ? null : JSON.stringify(c.run_id)},"scan_started_ms":${c === null ? null : jsonNum(c.started_ms)}}\n`
  );
}
