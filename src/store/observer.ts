/**
 * The hook through which every store query can be observed (the job log of `jobs`). An
 * observer is set for one CLI run with `queryObserver.run(observer, fn)`; with none set, a
 * query costs one `getStore()` call more. With one set, every query is timed, and the queries
 * the observer asks to profile (`wantsProfile`, config `jobs.profile`) run with DuckDB's
 * profiler on: it writes a JSON profile to a temp file that the observer reads back, by default
 * only the query-level figures (rows and bytes scanned, peak memory); with `detail: 'plan'` the
 * whole operator tree with timings. Profiling costs about 0.15 ms a query (DuckDB writing the
 * file), so it is switched on for the queries that ask and off again before the next that does
 * not (one `SET` each way, only when the state changes): see `npm run bench -- jobs`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';

export interface QueryRecord {
  sql: string;
  /** Epoch ms when the query started. */
  startedAt: number;
  durationMs: number;
  ok: boolean;
  error: string | null;
  /** CPU time of this process (DuckDB's threads included) while the query ran, in ms; absent for a remote engine. */
  cpuMs?: number;
  /** DuckDB's JSON profile of the query, or null when profiling was off or failed. */
  profile: Record<string, unknown> | null;
  /** Whether the query ran with DuckDB's profiler asked for (absent: a query the profiler never sees, such as a warehouse's). */
  profiled?: boolean;
  /** Rows the query returned (from its result), when known. */
  rowsReturned?: number | null;
  /** A query a warehouse engine ran: what the engine reported (bytes scanned when it says), and what came back. */
  engine?: { name: string; bytesScanned: number | null; bytesReturned: number; rowsReturned: number };
}

/** What DuckDB profiles per query: query-level figures only (default), or the operator tree with timings too. */
export type ProfileDetail = 'summary' | 'plan';

export interface QueryObserver {
  /** False until the run knows which command it serves; queries are then not observed. */
  readonly active: boolean;
  /** How much DuckDB profiles (default 'summary'). */
  readonly detail?: ProfileDetail;
  /**
   * Whether DuckDB should profile this query; asked just before it runs (absent: every query).
   * Null: either way (bookkeeping such as `SET`, whose profile says nothing): it runs as the
   * profiler is, which switches nothing on or off.
   */
  wantsProfile?(sql: string): boolean | null;
  record(rec: QueryRecord): void;
  /** What the run's next queries compute, once the command knows (the metrics a store-mode analyze computes). */
  attribute?(a: JobAttribution): void;
}

/** The experiment and metrics the queries of a run compute, as the command found them. */
export interface JobAttribution {
  /** Every metric the following queries compute (one query may compute several). */
  metrics?: readonly string[];
}

/** Tells the current observer, if any, what the run's next queries compute (see JobAttribution). */
export function attributeJobs(a: JobAttribution): void {
  queryObserver.getStore()?.attribute?.(a);
}

/**
 * The observer of the queries that run now: set for the length of `run(observer, fn)` (cli.ts sets
 * one for each CLI run). Not an AsyncLocalStorage: in Node 20 one makes every promise of the
 * process pay for its async hook while a store is set (about 1 µs an await, ten times a bare
 * one), and a CLI run's `analyze` makes some 12,000 promises, log on or off. Queries started while `fn` runs are
 * observed, from whatever async path (a process runs one command); runs that overlap (tests)
 * each observe the queries started while theirs is the latest still running.
 */
export class ObserverSlot {
  private readonly running: QueryObserver[] = [];

  /** The observer of a query starting now (undefined: none). */
  getStore(): QueryObserver | undefined {
    return this.running[this.running.length - 1];
  }

  /** Runs `fn` with `observer` set until what it returns settles. */
  run<R>(observer: QueryObserver, fn: () => R): R {
    this.running.push(observer);
    const end = (): void => {
      const at = this.running.lastIndexOf(observer);
      if (at !== -1) this.running.splice(at, 1);
    };
    let result: R;
    try {
      result = fn();
    } catch (error) {
      end();
      throw error;
    }
    if (result instanceof Promise) return result.finally(end) as R;
    end();
    return result;
  }
}

export const queryObserver = new ObserverSlot();

/** Per connection: the file DuckDB writes its profile to (null when profiling is unavailable), the detail set on it, and whether the profiler is on. */
const profileFiles = new WeakMap<DuckDBConnection, { file: string | null; detail: ProfileDetail; on: boolean }>();
let fileCounter = 0;
/** Files not yet removed: a process that exits without closing its stores leaves none behind. */
const liveFiles = new Set<string>();
let exitHook = false;

/**
 * The metrics the job log reads; fewer metrics, less work per query. The summary set has no
 * per-operator timing (the costliest part: a timer per operator per chunk) and no operator
 * names or details; the scans' rows and row sizes stay, for bytes scanned.
 */
const METRICS: Record<ProfileDetail, string[]> = {
  summary: ['QUERY_NAME', 'LATENCY', 'CUMULATIVE_ROWS_SCANNED', 'SYSTEM_PEAK_BUFFER_MEMORY', 'TOTAL_BYTES_READ', 'OPERATOR_ROWS_SCANNED', 'RESULT_SET_SIZE'],
  plan: ['QUERY_NAME', 'LATENCY', 'CPU_TIME', 'CUMULATIVE_ROWS_SCANNED', 'ROWS_RETURNED', 'SYSTEM_PEAK_BUFFER_MEMORY', 'TOTAL_BYTES_READ', 'OPERATOR_NAME', 'OPERATOR_TIMING', 'OPERATOR_CARDINALITY', 'OPERATOR_ROWS_SCANNED', 'RESULT_SET_SIZE', 'EXTRA_INFO'],
};

/**
 * Where profiles are written: memory-backed /dev/shm when there is one (a profile written to
 * a disk-backed temp folder costs about 0.5 ms a query, to /dev/shm about 0.1 ms).
 */
function profileDir(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/**
 * Turns DuckDB's profiler on `conn` on (`want`) or off, as the next query needs, and returns the
 * file the profile will be in (null when it is off or unavailable). A SET runs only when the
 * state changes: a run of profiled queries, or of unprofiled ones, pays nothing per query.
 */
async function profilerFor(conn: DuckDBConnection, want: boolean, detail: ProfileDetail): Promise<string | null> {
  const known = profileFiles.get(conn);
  if (!want) {
    if (known?.on) {
      known.on = false;
      try {
        await conn.run('PRAGMA disable_profiling');
      } catch {
        known.file = null; // the connection no longer takes settings: never profile it again
      }
    }
    return null;
  }
  if (known !== undefined && known.detail === detail && (known.on || known.file === null)) return known.file;
  let file: string | null = known?.file ?? null;
  if (known === undefined) {
    file = path.join(profileDir(), `statsig-hack-q-${process.pid}-${++fileCounter}.json`);
    liveFiles.add(file);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const f of liveFiles) fs.rmSync(f, { force: true });
      });
    }
    try {
      // The format first (the file's extension must match it), then the file, and only then
      // every statement: until the file is set, only SELECTs would be profiled (to stdout).
      await conn.run(`SET enable_profiling = 'json'`);
      await conn.run(`SET profiling_output = '${file.replace(/'/g, "''")}'`);
      await conn.run(`SET profiling_coverage = 'ALL'`);
    } catch {
      file = null;
    }
  } else if (file !== null && !known.on) {
    try {
      await conn.run(`SET enable_profiling = 'json'`); // the file and coverage set before still hold
    } catch {
      file = null;
    }
  }
  if (file !== null && known?.detail !== detail) {
    try {
      await conn.run(`SET custom_profiling_settings = '${JSON.stringify(Object.fromEntries(METRICS[detail].map((m) => [m, 'true'])))}'`);
    } catch {
      file = null;
    }
  }
  profileFiles.set(conn, { file, detail, on: file !== null });
  return file;
}

function readProfile(file: string | null, sql: string): Record<string, unknown> | null {
  if (file === null) return null;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    // A failed query leaves the previous query's profile behind: only trust our own.
    return parsed.query_name === sql ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Runs `exec` (one query on `conn`) under the current observer, if any. `profiling` is false
 * for sandboxed stores, where DuckDB may not write the profile file. `rows` counts the rows
 * of the result.
 */
export function observed<T>(conn: DuckDBConnection, sql: string, profiling: boolean, exec: () => Promise<T>, rows?: (result: T) => number): Promise<T> {
  const obs = queryObserver.getStore();
  if (!obs?.active) return exec();
  const on = profileFiles.get(conn)?.on === true;
  const want = profiling && (obs.wantsProfile ? (obs.wantsProfile(sql) ?? on) : true);
  // The usual case, a query the profiler neither needs nor was left on for: no SET, and no
  // promise in front of the query's own (each would cost the caller a hop).
  if (!want && !on) return timed(obs, sql, exec, false, null, rows);
  return profilerFor(conn, want, obs.detail ?? 'summary').then((file) => timed(obs, sql, exec, want, file, rows));
}

/** Runs `exec` (one query) under the current observer, if any, with no DuckDB profile (a connection Store does not own). */
export function observedUnprofiled<T>(sql: string, exec: () => Promise<T>): Promise<T> {
  const obs = queryObserver.getStore();
  return obs?.active ? timed(obs, sql, exec, false, null) : exec();
}

/**
 * Milliseconds from a monotonic clock: process.hrtime, native and loaded with the process, where
 * the first use of the global `performance` loads node:perf_hooks (0.8 ms of a CLI run).
 */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The first line of what a failed query threw: what its record keeps. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** CPU ms of this process since `c0` (the difference taken here: process.cpuUsage(previous) validates its argument on every call). */
function cpuSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage();
  return (c.user - c0.user + c.system - c0.system) / 1000;
}

/**
 * Runs `exec` and records it. The record is taken beside the caller's await, not in front of it:
 * the caller awaits the query's own promise, which settles as it would without a log, and the
 * record is made by a reaction registered before the caller's (so before the caller goes on).
 * Chained in front (`exec().then(record)`), the caller awaited a second promise, settled a
 * microtask later, and a record that threw failed the query.
 */
function timed<T>(obs: QueryObserver, sql: string, exec: () => Promise<T>, profiled: boolean, file: string | null, rows?: (result: T) => number): Promise<T> {
  const startedAt = Date.now();
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  const query = exec();
  query.then(
    (result) => {
      const durationMs = nowMs() - t0;
      try {
        obs.record({ sql, startedAt, durationMs, cpuMs: cpuSince(c0), ok: true, error: null, profiled, profile: profiled ? readProfile(file, sql) : null, rowsReturned: rows ? rows(result) : null });
      } catch {
        // the log must never fail a query (nor leave a rejection nobody handles)
      }
    },
    (error: unknown) => {
      const durationMs = nowMs() - t0;
      try {
        obs.record({ sql, startedAt, durationMs, cpuMs: cpuSince(c0), ok: false, error: errorLine(error), profiled, profile: null });
      } catch {
        // as above
      }
    },
  );
  return query;
}

/**
 * Turns DuckDB's profiler on `conn` off if the job log left it on (a sampled run's last query
 * was profiled), so that the connection's next unobserved queries run as they would without a
 * log: a long-lived connection (serve, the jobs benchmark) after a logged run.
 */
export async function profilerOff(conn: DuckDBConnection): Promise<void> {
  await profilerFor(conn, false, 'summary');
}

/** Stops profiling on a connection that is about to close and removes its profile file. */
export function forgetConnection(conn: DuckDBConnection): void {
  const file = profileFiles.get(conn)?.file;
  profileFiles.delete(conn);
  if (file) {
    fs.rmSync(file, { force: true });
    liveFiles.delete(file);
  }
}
