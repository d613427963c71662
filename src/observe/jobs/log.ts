/**
 * The job log in the store: moving the spool into the `jobs` table, and the aggregations
 * `jobs` shows (by a key, per day, slow queries, one job). Every summary is one SQL
 * aggregation; cost is applied to the sums (it is linear).
 */
import fs from 'node:fs';
import { UserError } from '../../core/errors.js';
import { quoteLiteral, type Store } from '../../store/store.js';
import { costOf, type CostModel } from './cost.js';
import { fillFingerprints, refingerprint } from './refingerprint.js';
import type { PlanNode } from './record.js';
import { spoolPath } from './scope.js';
import { BOOKKEEPING_WORDS } from './shapes.js';

export const GROUP_KEYS = ['experiment', 'metric', 'command', 'day', 'fingerprint'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];


const SPOOL_COLUMNS = `{run_id: 'VARCHAR', command: 'VARCHAR', experiment: 'VARCHAR', metric: 'VARCHAR', fingerprint: 'VARCHAR', sql: 'VARCHAR',
  started_ms: 'BIGINT', duration_ms: 'DOUBLE', cpu_ms: 'DOUBLE', rows_scanned: 'BIGINT', bytes_scanned: 'BIGINT', bytes_read: 'BIGINT',
  peak_memory: 'BIGINT', rows_returned: 'BIGINT', outcome: 'VARCHAR', error: 'VARCHAR', plan: 'JSON', profiled: 'BOOLEAN',
  scan_run_id: 'VARCHAR', scan_started_ms: 'BIGINT'}`;

/**
 * Moves the spool of `db` into the `jobs` table (the JSON lines read into a temp table, then one
 * INSERT ... SELECT). The spool is renamed first, so runs that finish meanwhile start a new one.
 * An estimated job's source (run and start of the profiled job it carries) becomes that job's
 * id, whether it came in this spool or an earlier one. Jobs an earlier build logged get this
 * build's fingerprints first (refingerprint.ts). Returns the number of jobs added.
 * With `keep`, the spool is read where it is and left in place (a read-only copy of the log).
 */
export async function ingestSpool(store: Store, db: string, opts: { keep?: boolean } = {}): Promise<number> {
  await refingerprint(store);
  const spool = spoolPath(db);
  if (!fs.existsSync(spool)) return 0;
  // keep: read the spool where it is and leave it (a copy of the log while the store is in use; a torn last line is skipped).
  const taking = opts.keep ? spool : `${spool}.${process.pid}.ingest`;
  if (!opts.keep) {
    try {
      fs.renameSync(spool, taking);
    } catch {
      return 0; // taken meanwhile
    }
  }
  try {
    const before = await store.count('jobs');
    await store.run(`CREATE OR REPLACE TEMP TABLE jobs_spool AS
      SELECT (SELECT coalesce(max(id), 0) FROM jobs) + row_number() OVER (ORDER BY started_ms, run_id) AS id, *
      FROM read_json(${quoteLiteral(taking)}, format = 'newline_delimited', ignore_errors = true, columns = ${SPOOL_COLUMNS})
      WHERE command IS NOT NULL AND sql IS NOT NULL AND started_ms IS NOT NULL AND duration_ms IS NOT NULL AND outcome IS NOT NULL`);
    await fillFingerprints(store, 'jobs_spool');
    await store.run(`INSERT INTO jobs (id, run_id, command, experiment, metric, fingerprint, sql, started_at, duration_ms, cpu_ms,
        rows_scanned, bytes_scanned, bytes_read, peak_memory, rows_returned, outcome, error, plan, profiled, scan_from)
      SELECT s.id, s.run_id, s.command, s.experiment, s.metric, s.fingerprint, s.sql, make_timestamp(s.started_ms * 1000), s.duration_ms, s.cpu_ms,
        s.rows_scanned, s.bytes_scanned, s.bytes_read, s.peak_memory, s.rows_returned, s.outcome, s.error, s.plan,
        coalesce(s.profiled, s.plan IS NOT NULL),
        CASE WHEN s.scan_run_id IS NOT NULL THEN coalesce(
          (SELECT min(x.id) FROM jobs_spool x WHERE x.run_id = s.scan_run_id AND x.started_ms = s.scan_started_ms AND x.fingerprint = s.fingerprint AND x.plan IS NOT NULL),
          (SELECT min(j.id) FROM jobs j WHERE j.run_id = s.scan_run_id AND j.started_at = make_timestamp(s.scan_started_ms * 1000) AND j.fingerprint = s.fingerprint AND j.profiled))
        END
      FROM jobs_spool s`);
    return (await store.count('jobs')) - before;
  } finally {
    if (!opts.keep) fs.rmSync(taking, { force: true });
    try {
      await store.run('DROP TABLE IF EXISTS jobs_spool');
    } catch {
      // the connection is closing anyway
    }
  }
}

/** How `jobs` got at the log: the store itself, or a copy while another process holds the store. */
export interface JobsSource {
  /** 'store': opened and the spool moved in; 'copy': the store's jobs read-only plus the spool as it is; 'spool': the spool alone. */
  mode: 'store' | 'copy' | 'spool';
  /** Jobs read from the spool without moving them into the store (not 'store'), bookkeeping statements included. */
  spool_jobs: number;
  /** Of spool_jobs, the bookkeeping statements (OVERHEAD_SQL) the tables leave out. */
  spool_bookkeeping: number;
  /**
   * The first provisional id: the spool's jobs get ids from here on in the copy, and other ids
   * once they are moved into the store (null when there are none). Tables mark them `~`, and
   * `--json` gives them `provisional: true`.
   */
  provisional_from: number | null;
  /** The process holding the store, when DuckDB named it. */
  pid: number | null;
}

/**
 * A copy of the job log in an in-memory store, for when `db` is in use by another process (a
 * `serve`): the store's jobs, experiments and exposed experiment names when DuckDB lets it be
 * attached read-only (it does while the other process only reads it), and the spool as it is,
 * left in place for the next `jobs` that can open the store.
 */
export async function jobsCopy(db: string, pid: number | null): Promise<{ store: Store; source: JobsSource }> {
  const { Store: StoreClass } = await import('../../store/store.js');
  const store = await StoreClass.memory();
  let mode: JobsSource['mode'] = 'spool';
  try {
    await store.run(`ATTACH ${quoteLiteral(db)} AS held (READ_ONLY)`);
    try {
      await store.run('INSERT INTO jobs BY NAME SELECT * FROM held.jobs');
      await store.run(`INSERT INTO entities BY NAME SELECT * FROM held.entities WHERE kind IN ('experiments', 'metrics')`);
      await store.run('INSERT INTO exposures BY NAME SELECT * FROM held.exposures QUALIFY row_number() OVER (PARTITION BY experiment) = 1');
      mode = 'copy';
    } finally {
      await store.run('DETACH held');
    }
  } catch {
    // locked by a writer (or of another schema): the spool alone
    await store.run('DELETE FROM jobs');
  }
  const [first] = await store.all<{ n: number }>('SELECT coalesce(max(id), 0) + 1 AS n FROM jobs');
  const spool_jobs = await ingestSpool(store, db, { keep: true });
  const from = Number(first?.n ?? 1);
  const [over] = await store.all<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE id >= $1 AND ${OVERHEAD_SQL}`, [from]);
  return { store, source: { mode, spool_jobs, spool_bookkeeping: Number(over?.n ?? 0), provisional_from: spool_jobs > 0 ? from : null, pid } };
}

/** Whether job `id` has a provisional id (read from the spool of a store in use: `source`). */
export function isProvisional(id: number, source: JobsSource | undefined): boolean {
  return source?.provisional_from !== null && source?.provisional_from !== undefined && id >= source.provisional_from;
}

/** `rows` with `provisional: true` on those whose ids are provisional (isProvisional); the others as they are. */
export function markProvisional<T extends { id: number }>(rows: T[], source: JobsSource | undefined): (T | (T & { provisional: true }))[] {
  return rows.map((r) => (isProvisional(r.id, source) ? { ...r, provisional: true as const } : r));
}

/** The line `jobs` prints when it reads a copy of the log (null when it read the store). */
export function sourceNote(source: JobsSource, db: string): string | null {
  if (source.mode === 'store') return null;
  const by = source.pid === null ? 'another process' : `another process (pid ${source.pid})`;
  // The count the tables count: bookkeeping statements are named apart (`jobs list --overhead` lists them).
  const work = source.spool_jobs - source.spool_bookkeeping;
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const spool = `${plural(work, 'job', 'jobs')}${source.spool_bookkeeping > 0 ? ` (and ${plural(source.spool_bookkeeping, 'bookkeeping statement', 'bookkeeping statements')}: transactions, settings, schema)` : ''} not moved into the store yet`;
  const ids = source.provisional_from === null ? '' : `; their ids (from ${source.provisional_from} on, marked ~) are provisional and change when they are moved in`;
  return source.mode === 'copy'
    ? `the store ${db} is in use by ${by}: showing its jobs read-only and the ${spool}${ids}`
    : `the store ${db} is in use by ${by} (a serve, or a long query): showing only the ${spool}${ids}; the store's earlier jobs need the store (stop the other process, or run jobs when it is done)`;
}

export interface GroupRow {
  key: string;
  jobs: number;
  total_ms: number;
  mean_ms: number;
  max_ms: number;
  cpu_ms: number;
  /** Null when no job of the group had the figure measured (e.g. lookups answered without a profile). */
  rows_scanned: number | null;
  bytes_scanned: number | null;
  peak_memory: number | null;
  errors: number;
  /** The latest job id of the group, for `jobs show`. */
  last_id: number;
  /** Jobs whose scans and memory are estimates carried from a profiled run of their shape (config jobs.profile). */
  estimated: number;
  /**
   * Jobs with no measured scans and memory although their shape was profiled: they did the slow
   * factor or more times the profiled run's work (measuredJobs), so its figures are left out.
   */
  unmeasured?: number;
  /** --by metric: jobs of the group that computed several metrics in one query, counted here with an equal share (not a measurement per metric). */
  split?: number;
  cost_usd: number;
  /** Share of all the time in the window, 0..1. */
  share: number;
}

/**
 * Bookkeeping, not work: transaction control (BEGIN, COMMIT, ROLLBACK), settings (SET, RESET,
 * PRAGMA: analyze's `SET threads` around a one-thread scan; the words are BOOKKEEPING_WORDS, the
 * statements the job log never profiles on their own) and schema DDL (CREATE,
 * ALTER, DROP without a query: `init`, migrations, temp tables dropped). Their time is the
 * writer's flush or a lock wait, not a query's cost, so `jobs` counts them apart and
 * `jobs slow` leaves them out. `CREATE ... AS SELECT` (analyze's unit relation) is work.
 */
export const OVERHEAD_SQL = `(regexp_matches(sql, '^\\s*(${BOOKKEEPING_WORDS.map((w) => (w === 'START' ? 'START\\s+TRANSACTION' : w)).join('|')})\\b', 'i')
  OR (regexp_matches(sql, '^\\s*(CREATE|ALTER|DROP|COMMENT)\\b', 'i') AND NOT regexp_matches(sql, '\\bAS\\s*\\(?\\s*(SELECT|WITH|FROM|VALUES)\\b', 'i')))`;

/** Experiments the store knows (defined, or with exposures): a job's experiment outside them is listed as "(unknown: name)". */
const KNOWN_EXPERIMENTS = `(SELECT name FROM entities WHERE kind = 'experiments' UNION SELECT DISTINCT experiment FROM exposures)`;

/** What `jobs` reads instead of the raw table: how carried figures are judged (config jobs.slowFactor). */
export interface ReadOptions {
  /** The `jobs slow` factor: an estimated job that did this many times its source's work is not measured. Default 3. */
  slowFactor?: number | undefined;
  /**
   * --by experiment and --by metric: mark a name the store does not define "(unknown: name)"
   * (default). False where the definitions cannot be read (only the spool of a store another
   * process writes: every name would read as unknown).
   */
  judgeNames?: boolean | undefined;
}

/** Below this (ms) a difference of work is jitter, not a change (shapes.ts's minChangeMs). */
const MIN_CHANGE_MS = 1;

/**
 * The `jobs` table as `jobs` reports it. An unprofiled job carries the rows and bytes scanned and
 * peak memory of the latest profiled run of its shape (`scan_from`); when its own work (CPU time
 * when both jobs have it, else wall time) is the slow factor or more times that run's, those
 * figures describe another run: they read as NULL here (not measured: tables show `-`,
 * cost per TB leaves them out), `unmeasured` is true and `work_ratio` says by how much it grew
 * (`work_by`: 'cpu' or 'wall').
 * The shapes log (shapes.ts) profiles the next run of such a shape. Read time rather than
 * ingest, so stores logged before this rule and a changed factor read the same way. Only a run
 * that did more work: a run much faster than its profiled one keeps the estimate, since the
 * profiled run is most often a shape's first, on cold caches (the estimate is then an upper bound).
 */
export function measuredJobs(opts: ReadOptions = {}): string {
  const f = Number.isFinite(opts.slowFactor) && (opts.slowFactor as number) > 1 ? (opts.slowFactor as number) : 3;
  const own = `CASE WHEN j.cpu_ms IS NOT NULL AND s.cpu_ms IS NOT NULL THEN j.cpu_ms ELSE j.duration_ms END`;
  const base = `CASE WHEN j.cpu_ms IS NOT NULL AND s.cpu_ms IS NOT NULL THEN s.cpu_ms ELSE s.duration_ms END`;
  return `(SELECT * REPLACE (CASE WHEN unmeasured THEN NULL ELSE rows_scanned END AS rows_scanned, CASE WHEN unmeasured THEN NULL ELSE bytes_scanned END AS bytes_scanned,
      CASE WHEN unmeasured THEN NULL ELSE peak_memory END AS peak_memory)
    FROM (SELECT j.*, coalesce(NOT j.profiled AND s.id IS NOT NULL AND abs(${own} - ${base}) >= ${MIN_CHANGE_MS} AND ${own} > ${f} * ${base}, false) AS unmeasured,
        CASE WHEN s.id IS NOT NULL AND ${base} > 0 THEN ${own} / ${base} END AS work_ratio,
        CASE WHEN s.id IS NULL THEN NULL WHEN j.cpu_ms IS NOT NULL AND s.cpu_ms IS NOT NULL THEN 'cpu' ELSE 'wall' END AS work_by
      FROM jobs j LEFT JOIN jobs s ON s.id = j.scan_from))`;
}

/**
 * A metric a store-mode job (one with an experiment) names that the store does not define: not a
 * metric entity, not an event, not a built-in (`<event>:event_count`, `<event>:event_dau`, which
 * analyze takes for any event), and never one of the metrics an analyze computed together (the
 * comma-joined lists: an experiment's own metric references). Such a job is listed as
 * "(unknown: name)", as experiments are: a typo that analyze refused after its lookups ran.
 * A file analysis (no experiment: the metric is a column) is never judged, nor is any job when
 * the store holds no events (a warehouse engine's data is elsewhere).
 */
const UNKNOWN_METRIC = (k: string): string =>
  `(experiment IS NOT NULL AND NOT regexp_matches(${k}, ':(event_count|event_dau)$')
    AND ${k} NOT IN (SELECT name FROM entities WHERE kind = 'metrics' UNION SELECT DISTINCT event FROM events
      UNION SELECT DISTINCT unnest(string_split(metric, ',')) FROM jobs WHERE metric LIKE '%,%')
    AND (SELECT EXISTS (SELECT 1 FROM events)))`;

function keyExpr(by: GroupKey, read: ReadOptions = {}): string {
  if (by === 'day') return `strftime(started_at, '%Y-%m-%d')`;
  // One job per metric it computed (see jobsBy); a job's metric list is comma-joined.
  if (by === 'metric') return read.judgeNames === false ? `coalesce(k, '(none)')` : `CASE WHEN k IS NULL THEN '(none)' WHEN ${UNKNOWN_METRIC('k')} THEN '(unknown: ' || k || ')' ELSE k END`;
  if (by === 'experiment' && read.judgeNames !== false) return `CASE WHEN experiment IS NULL THEN '(none)' WHEN experiment IN ${KNOWN_EXPERIMENTS} THEN experiment ELSE '(unknown: ' || experiment || ')' END`;
  return `coalesce(${by}, '(none)')`;
}

/** What `jobs` leaves out of its groups, and how it shares a job among metrics. */
export interface GroupsSummary {
  groups: GroupRow[];
  /** Transaction control and schema DDL in the window (OVERHEAD_SQL): counted here, not in the groups. */
  overhead: { jobs: number; total_ms: number };
  /** --by metric: jobs that computed several metrics at once, their time split equally among them. */
  shared_jobs: number;
  /** The jobs in the groups, each once (--by metric counts a shared job in each of its metrics), how many of them carry estimates, and how many are not measured. */
  totals: { jobs: number; estimated: number; unmeasured: number };
}

/**
 * Time, scans, memory and cost per experiment / metric / command / day / query shape since
 * `since`, most time first; transaction control and DDL apart (`overhead`). By metric, a job
 * that computed n metrics (one query of a store-mode analyze computes all of an experiment's
 * metrics) counts as a job of each, with 1/n of its time, CPU, rows and bytes scanned (so the
 * shares still sum to 100%), and its max is the largest such share (never above the group's
 * time); peak memory is the job's own. By day, the groups run by date (the chart's order).
 */
export async function jobsSummary(store: Store, by: GroupKey, since: Date, cost: CostModel, read: ReadOptions = {}): Promise<GroupsSummary> {
  const at = [since.toISOString().replace('T', ' ').replace('Z', '')];
  const jobs = measuredJobs(read);
  const source =
    by === 'metric'
      ? `(SELECT *, unnest(CASE WHEN metric IS NULL THEN [NULL] ELSE string_split(metric, ',') END) AS k,
           CASE WHEN metric IS NULL THEN 1.0 ELSE 1.0 / len(string_split(metric, ',')) END AS w FROM ${jobs})`
      : `(SELECT *, 1.0 AS w FROM ${jobs})`;
  const rows = await store.all<Omit<GroupRow, 'cost_usd' | 'share'>>(
    `SELECT ${keyExpr(by, read)} AS key, count(*) AS jobs, sum(duration_ms * w) AS total_ms, sum(duration_ms * w) / count(*) AS mean_ms, max(duration_ms * w) AS max_ms,
       sum(coalesce(cpu_ms, duration_ms) * w) AS cpu_ms, sum(rows_scanned * w) AS rows_scanned, sum(bytes_scanned * w) AS bytes_scanned,
       nullif(max(coalesce(peak_memory, 0)), 0) AS peak_memory, count(*) FILTER (WHERE outcome = 'error') AS errors, max(id) AS last_id,
       count(*) FILTER (WHERE NOT profiled AND NOT unmeasured AND (scan_from IS NOT NULL OR rows_scanned IS NOT NULL)) AS estimated,
       count(*) FILTER (WHERE unmeasured) AS unmeasured, count(*) FILTER (WHERE w < 1) AS split
     FROM ${source} WHERE started_at >= CAST($1 AS TIMESTAMP) AND NOT ${OVERHEAD_SQL} GROUP BY 1 ORDER BY ${by === 'day' ? 'key' : 'total_ms DESC, key'}`,
    at,
  );
  const [t] = await store.all<{ over_jobs: number; over_ms: number | null; jobs: number; estimated: number; unmeasured: number; shared: number }>(
    `SELECT count(*) FILTER (WHERE o) AS over_jobs, sum(duration_ms) FILTER (WHERE o) AS over_ms, count(*) FILTER (WHERE NOT o) AS jobs,
       count(*) FILTER (WHERE NOT o AND NOT profiled AND NOT unmeasured AND (scan_from IS NOT NULL OR rows_scanned IS NOT NULL)) AS estimated,
       count(*) FILTER (WHERE NOT o AND unmeasured) AS unmeasured, count(*) FILTER (WHERE NOT o AND metric LIKE '%,%') AS shared
     FROM (SELECT *, ${OVERHEAD_SQL} AS o FROM ${jobs} WHERE started_at >= CAST($1 AS TIMESTAMP))`,
    at,
  );
  const all = rows.reduce((s, r) => s + r.total_ms, 0);
  const groups = rows.map((r) => {
    // Split sums are fractions: whole rows and bytes read better, and the sums stay within a row of the truth.
    const g = { ...r, rows_scanned: r.rows_scanned === null ? null : Math.round(r.rows_scanned), bytes_scanned: r.bytes_scanned === null ? null : Math.round(r.bytes_scanned) };
    return { ...g, cost_usd: costOf({ bytes_scanned: g.bytes_scanned ?? 0, duration_ms: g.total_ms, cpu_ms: g.cpu_ms }, cost), share: all > 0 ? g.total_ms / all : 0 };
  });
  return {
    groups,
    overhead: { jobs: Number(t?.over_jobs ?? 0), total_ms: Number(t?.over_ms ?? 0) },
    shared_jobs: by === 'metric' ? Number(t?.shared ?? 0) : 0,
    totals: { jobs: Number(t?.jobs ?? 0), estimated: Number(t?.estimated ?? 0), unmeasured: Number(t?.unmeasured ?? 0) },
  };
}

/** The groups of jobsSummary alone. */
export async function jobsBy(store: Store, by: GroupKey, since: Date, cost: CostModel, read: ReadOptions = {}): Promise<GroupRow[]> {
  return (await jobsSummary(store, by, since, cost, read)).groups;
}

export interface DayRow extends Record<string, unknown> {
  day: string;
  jobs: number;
  total_ms: number;
}

/** Time per day since `since`, every day present (zero when nothing ran); the jobs the groups count (no OVERHEAD_SQL). */
export async function jobsPerDay(store: Store, since: Date, now: Date): Promise<DayRow[]> {
  const rows = await store.all<DayRow>(
    `SELECT strftime(started_at, '%Y-%m-%d') AS day, count(*) AS jobs, sum(duration_ms) AS total_ms FROM jobs WHERE started_at >= CAST($1 AS TIMESTAMP) AND NOT ${OVERHEAD_SQL} GROUP BY 1 ORDER BY 1`,
    [since.toISOString().replace('T', ' ').replace('Z', '')],
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const out: DayRow[] = [];
  const start = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let t = start; t <= now.getTime(); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(byDay.get(day) ?? { day, jobs: 0, total_ms: 0 });
  }
  return out;
}

export interface SlowJob {
  id: number;
  started_at: Date;
  command: string;
  experiment: string | null;
  metric: string | null;
  fingerprint: string;
  duration_ms: number;
  median_ms: number;
  /** duration / trailing median. */
  factor: number;
  sql: string;
}

/**
 * Jobs slower than `factor` times the median of the previous `window` runs of the same
 * query shape (fingerprint); at least `minHistory` earlier runs are needed to judge, and a job
 * under `minMs` is never slow. Transaction control and DDL (OVERHEAD_SQL) are left out: a
 * COMMIT's time is the write it flushes, not a slower query.
 */
export async function slowJobs(store: Store, opts: { since: Date; factor: number; window: number; minHistory: number; minMs?: number }): Promise<SlowJob[]> {
  const rows = await store.all<Omit<SlowJob, 'factor'>>(
    `WITH w AS (
       SELECT id, started_at, command, experiment, metric, fingerprint, duration_ms, sql,
         median(duration_ms) OVER h AS median_ms, count(*) OVER h AS history
       FROM jobs WHERE NOT ${OVERHEAD_SQL}
       WINDOW h AS (PARTITION BY fingerprint ORDER BY started_at, id ROWS BETWEEN ${Math.trunc(opts.window)} PRECEDING AND 1 PRECEDING)
     )
     SELECT id, started_at, command, experiment, metric, fingerprint, duration_ms, median_ms, sql FROM w
     WHERE started_at >= CAST($1 AS TIMESTAMP) AND history >= $2 AND median_ms > 0 AND duration_ms > $3 * median_ms AND duration_ms >= $4
     ORDER BY duration_ms / median_ms DESC, id`,
    [opts.since.toISOString().replace('T', ' ').replace('Z', ''), opts.minHistory, opts.factor, opts.minMs ?? 0],
  );
  return rows.map((r) => ({ ...r, factor: r.duration_ms / r.median_ms }));
}

export interface JobDetail {
  id: number;
  run_id: string;
  command: string;
  experiment: string | null;
  metric: string | null;
  fingerprint: string;
  sql: string;
  started_at: Date;
  duration_ms: number;
  cpu_ms: number | null;
  rows_scanned: number | null;
  bytes_scanned: number | null;
  bytes_read: number | null;
  peak_memory: number | null;
  rows_returned: number | null;
  outcome: string;
  error: string | null;
  plan: PlanNode | null;
  /** Whether DuckDB profiled the job; false with `scan_from`: its scans and memory are estimates from that job. */
  profiled: boolean | null;
  scan_from: number | null;
  /**
   * True when the job carried figures from `scan_from` but did the slow factor or more times that
   * run's work (CPU, else wall time): its rows and bytes scanned and peak memory are then null.
   */
  unmeasured: boolean;
  /** The job's work over that of the profiled run it carried from (CPU time when both have it, else wall time). */
  work_ratio: number | null;
  /** What work_ratio compares: CPU time when both jobs have it, else wall time. */
  work_by: 'cpu' | 'wall' | null;
  /** The first profiled job of the same fingerprint after this one (where a not-measured job's shape was profiled again). */
  next_profiled: number | null;
  cost_usd: number;
}

export async function jobById(store: Store, id: number, cost: CostModel, read: ReadOptions = {}): Promise<JobDetail> {
  const [row] = await store.all<Omit<JobDetail, 'plan' | 'cost_usd'> & { plan: string | null }>(
    `SELECT m.*, (SELECT min(n.id) FROM jobs n WHERE n.fingerprint = m.fingerprint AND n.profiled AND n.id > m.id) AS next_profiled
     FROM ${measuredJobs(read)} m WHERE m.id = $1`,
    [id],
  );
  if (!row) {
    const [last] = await store.all<{ n: number | null }>('SELECT max(id) AS n FROM jobs');
    throw new UserError(`no job with id ${id}`, {
      hint: last?.n ? `job ids run from 1 to ${last.n}; \`statsig-hack jobs list\` lists the latest jobs, \`jobs slow\` the slow ones` : 'no job is logged yet: run a command such as analyze first',
      code: 'UNKNOWN_JOB',
    });
  }
  const plan = row.plan === null ? null : (JSON.parse(String(row.plan)) as PlanNode);
  return { ...row, plan, cost_usd: costOf({ bytes_scanned: row.bytes_scanned ?? 0, duration_ms: row.duration_ms, cpu_ms: row.cpu_ms ?? row.duration_ms }, cost) };
}

export interface ListedJob extends Record<string, unknown> {
  id: number;
  run_id: string;
  started_at: Date;
  command: string;
  experiment: string | null;
  metric: string | null;
  duration_ms: number;
  cpu_ms: number | null;
  rows_scanned: number | null;
  rows_returned: number | null;
  outcome: string;
  error: string | null;
  profiled: boolean | null;
  unmeasured: boolean;
  sql: string;
  /** Read from the spool of a store in use: the id is provisional (JobsSource). */
  provisional?: boolean;
}

export interface ListOptions {
  since: Date;
  /** At most this many jobs, the latest first. */
  limit: number;
  /** Only this command (`profile` also matches its subcommands, `profile compare`). */
  command?: string | undefined;
  experiment?: string | undefined;
  /** Only the jobs of one CLI run (its run_id, or a prefix of it). */
  run?: string | undefined;
  /** Keep transaction control and schema DDL (OVERHEAD_SQL), left out by default. */
  overhead?: boolean | undefined;
}

/** The latest jobs (id descending) since `since`, as `jobs list` shows them; bookkeeping statements left out unless asked for. */
export async function recentJobs(store: Store, opts: ListOptions, read: ReadOptions = {}): Promise<{ jobs: ListedJob[]; matched: number }> {
  const where = [`started_at >= CAST($1 AS TIMESTAMP)`];
  const params: (string | number)[] = [opts.since.toISOString().replace('T', ' ').replace('Z', '')];
  if (!opts.overhead) where.push(`NOT ${OVERHEAD_SQL}`);
  for (const f of LIST_FILTERS) {
    const value = opts[f.key];
    if (value === undefined) continue;
    params.push(value);
    where.push(f.sql(`$${params.length}`));
  }
  const from = `${measuredJobs(read)} WHERE ${where.join(' AND ')}`;
  const jobs = await store.all<ListedJob>(
    `SELECT id, run_id, started_at, command, experiment, metric, duration_ms, cpu_ms, rows_scanned, rows_returned, outcome, error, profiled, unmeasured, sql
     FROM ${from} ORDER BY id DESC LIMIT ${Math.max(1, Math.trunc(opts.limit))}`,
    params,
  );
  const [n] = await store.all<{ n: number }>(`SELECT count(*) AS n FROM ${from}`, params);
  return { jobs, matched: Number(n?.n ?? jobs.length) };
}

/** `7d`, `24h`, `30m`, `2w`, or a date (`2026-11-01`): the start of the window. */
export function parseSince(text: string, now: Date): Date {
  const m = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  if (m) {
    const n = Number(m[1]);
    if (n === 0) throw new UserError(`--since must be a window longer than 0, got "${text}"`, { code: 'USAGE', exitCode: 2, hint: 'e.g. --since 7d (the last 7 days) or --since 24h' });
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[(m[2] as string).toLowerCase() as 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - n * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}([ T][\d:.]+Z?)?$/.test(text.trim())) {
    const d = new Date(text.trim().length === 10 ? `${text.trim()}T00:00:00Z` : text.trim());
    if (!Number.isNaN(d.getTime())) {
      // A window that starts after now holds no job: refused, not an empty report.
      if (d.getTime() > now.getTime()) {
        throw new UserError(`--since ${text.trim()} is in the future: the window would start after now (${now.toISOString().slice(0, 16).replace('T', ' ')} UTC)`, {
          code: 'USAGE',
          exitCode: 2,
          hint: 'give a past date (--since 2026-11-01, UTC) or a window back from now (--since 7d)',
        });
      }
      return d;
    }
  }
  throw new UserError(`--since must be a duration like 7d, 24h, 30m, 2w or a date like 2026-11-01, got "${text}"`, {
    code: 'USAGE',
    exitCode: 2,
    hint: 'a number and a unit, m (minutes), h (hours), d (days) or w (weeks): --since 7d; or a UTC date: --since 2026-11-01',
  });
}

/** The filters of `jobs list`, as the user gave them (for saying which matched nothing). */
export interface ListFilters {
  command?: string | undefined;
  experiment?: string | undefined;
  run?: string | undefined;
}

/**
 * The filters' conditions, each on its parameter (`$n`): a command matches its subcommands too
 * (`profile` matches `profile compare`), a run id by its prefix. `jobs list` applies them together;
 * an empty report tries each alone (emptyWhy).
 */
const LIST_FILTERS: { key: keyof ListFilters; flag: string; sql: (param: string) => string }[] = [
  { key: 'command', flag: '--command', sql: (p) => `(command = ${p} OR starts_with(command, ${p} || ' '))` },
  { key: 'experiment', flag: '--experiment', sql: (p) => `experiment = ${p}` },
  { key: 'run', flag: '--run', sql: (p) => `starts_with(run_id, ${p})` },
];

/** Why a report is empty: what `jobs` says instead of an empty table. */
export interface EmptyWhy {
  /** Jobs logged at all (any time), and the latest one's start. */
  logged: number;
  latest: Date | null;
  /** Jobs in the window, filters aside (bookkeeping statements left out, as the tables do). */
  inWindow: number;
  /** Each filter given that matches no job of the window on its own (`--command`, ...), with its value. */
  unmatched: { flag: string; value: string }[];
  /** The commands of the window's jobs (for a --command that matched nothing), at most 12. */
  commands: string[];
}

/** Why `jobs` found nothing since `since` with `filters` (a few counts; called only for an empty report). */
export async function emptyWhy(store: Store, since: Date, filters: ListFilters = {}): Promise<EmptyWhy> {
  const at = since.toISOString().replace('T', ' ').replace('Z', '');
  const [all] = await store.all<{ n: number; latest: Date | null }>(`SELECT count(*) AS n, max(started_at) AS latest FROM jobs WHERE NOT ${OVERHEAD_SQL}`);
  const window = `started_at >= CAST($1 AS TIMESTAMP) AND NOT ${OVERHEAD_SQL}`;
  const [inWindow] = await store.all<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE ${window}`, [at]);
  const unmatched: EmptyWhy['unmatched'] = [];
  for (const f of LIST_FILTERS) {
    const value = filters[f.key];
    if (value === undefined) continue;
    const [m] = await store.all<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE ${window} AND ${f.sql('$2')}`, [at, value]);
    if (Number(m?.n ?? 0) === 0) unmatched.push({ flag: f.flag, value });
  }
  const commands =
    filters.command !== undefined && unmatched.some((u) => u.flag === '--command')
      ? (await store.all<{ c: string }>(`SELECT command AS c FROM jobs WHERE ${window} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 12`, [at])).map((r) => r.c)
      : [];
  return { logged: Number(all?.n ?? 0), latest: all?.latest ?? null, inWindow: Number(inWindow?.n ?? 0), unmatched, commands };
}

/**
 * `jobs list --run <prefix>`: the runs of the window whose id starts with `prefix`. More than one
 * is refused, as git refuses an ambiguous abbreviation, naming them (at most 5).
 */
export async function assertOneRun(store: Store, prefix: string, since: Date): Promise<void> {
  const runs = await store.all<{ run_id: string; command: string; started: Date; jobs: number }>(
    `SELECT run_id, any_value(command) AS command, min(started_at) AS started, count(*) AS jobs FROM jobs
     WHERE starts_with(run_id, $1) AND started_at >= CAST($2 AS TIMESTAMP) GROUP BY 1 ORDER BY started DESC LIMIT 6`,
    [prefix, since.toISOString().replace('T', ' ').replace('Z', '')],
  );
  if (runs.length < 2) return;
  const listed = runs
    .slice(0, 5)
    .map((r) => `${r.run_id} (${r.command}, ${r.started.toISOString().slice(0, 16).replace('T', ' ')})`)
    .join(', ');
  throw new UserError(`--run ${prefix} is ambiguous: it matches ${runs.length > 5 ? 'more than 5' : runs.length} runs: ${listed}${runs.length > 5 ? ', ...' : ''}`, {
    code: 'AMBIGUOUS_RUN',
    exitCode: 2,
    hint: 'give more of the run id (`statsig-hack jobs list --json` shows each job\'s run_id)',
  });
}
