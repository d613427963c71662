/**
 * One logged query (a job): what ran, for which command/experiment/metric, and what it cost
 * according to DuckDB's own profile. Pure: turns an observed query into a record.
 */
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
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
  fingerprint: string;
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
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?')
    .replace(/(?<![\w"])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w"])/gi, '?')
    // Runs of whitespace and any whitespace other than a space become one space; the single spaces
    // between words stay as they are (replacing each of them too cost most of the time).
    .replace(/\s{2,}|[^\S ]/g, ' ')
    .replace(/\(\s*\?(?:\s*,\s*\?)+\s*\)/g, '(?)')
    .trim()
    .toLowerCase();
}

let crypto: typeof Crypto | null = null;
/**
 * node:crypto, loaded with the first record: a run that queries nothing (a cached `status`) never
 * pays for it. Kept once loaded: a `createRequire` per call cost about 20 µs a fingerprint.
 */
export function nodeCrypto(): typeof Crypto {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto;
  return crypto;
}

export function fingerprint(sql: string): string {
  return nodeCrypto().createHash('sha256').update(normalizeSql(sql)).digest('hex').slice(0, 12);
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

/**
 * The record of one query. A query DuckDB did not profile may carry the scans and memory of
 * `carried`, the latest profiled run of its shape: they are marked estimated (`profiled: false`
 * and the source in scan_run_id / scan_started_ms).
 */
export function jobRecord(q: QueryRecord, ctx: JobContext, runId: string, carried: ScanSource | null = null, fp: string = fingerprint(q.sql)): JobRecord {
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
    // A URL's credentials (read_csv('https://user:pw@host/…')) are never kept in the log.
    sql: redactUrlCredentials(q.sql.length > MAX_SQL_CHARS ? `${q.sql.slice(0, MAX_SQL_CHARS - 1)}…` : q.sql),
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
