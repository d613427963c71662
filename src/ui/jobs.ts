/** Plain-text renderers of `jobs`: the summary table, a bar chart of time per day, slow jobs, one job's plan. */
import type { DayRow, GroupRow, JobDetail, SlowJob } from '../observe/jobs/log.js';
import type { PlanNode } from '../observe/jobs/record.js';
import { fitTable, hiddenNote } from './table.js';
import { int, wrap } from './format.js';

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text from a query or a profiled program, safe for a terminal: no escape sequences or control characters. */
export function printable(text: string): string {
  return text.replace(CONTROL, '');
}

/**
 * SQL safe for a terminal and still runnable when copied: a control character (the U+001F that
 * joins segment keys) inside a string literal is spelled `chr(31)` (`'a' || chr(31) || 'b'`,
 * a literal of that character alone as `chr(31)`); other control characters are stripped.
 */
export function printableSql(sql: string): string {
  const spelled = sql.replace(/'(?:[^']|'')*'/g, (literal) => {
    CONTROL.lastIndex = 0;
    if (!CONTROL.test(literal)) return literal;
    return literal
      .replace(CONTROL, (c) => `' || chr(${c.charCodeAt(0)}) || '`)
      .replace(/^'' \|\| /, '')
      .replace(/ \|\| ''$/, '');
  });
  return printable(spelled);
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function formatBytes(n: number | null): string {
  if (n === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Dollars without exponents: cents from $0.01, else two significant digits ($0.000019). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  if (usd < 1e-6) return '<$0.000001';
  const digits = Math.min(8, 1 - Math.floor(Math.log10(usd)));
  return `$${usd.toFixed(digits)}`;
}

/** Columns given up first when the table must fit the terminal. */
const GROUP_DROP = ['max', 'mean', 'peak memory', 'errors', 'rows scanned', 'last job'];

export function renderGroups(by: string, rows: GroupRow[], width?: number): string {
  if (rows.length === 0) return '(no jobs in this window)';
  const table = fitTable(
    [by, 'jobs', 'time', 'share', 'mean', 'max', 'rows scanned', 'bytes scanned', 'peak memory', 'errors', 'cost', 'last job'],
    rows.map((r) => ({
      // A key whose every run failed (a typo'd experiment, say) is marked, not listed as if it ran.
      [by]: printable(r.key) + (r.errors === r.jobs && by !== 'day' && by !== 'command' ? ' (every run failed)' : ''),
      jobs: int(r.jobs),
      time: formatMs(r.total_ms),
      share: `${(r.share * 100).toFixed(1)}%`,
      mean: formatMs(r.mean_ms),
      max: formatMs(r.max_ms),
      'rows scanned': r.rows_scanned === null ? '-' : int(r.rows_scanned),
      'bytes scanned': r.bytes_scanned === null ? '-' : formatBytes(r.bytes_scanned),
      'peak memory': r.peak_memory === null ? '-' : formatBytes(r.peak_memory),
      errors: int(r.errors),
      cost: formatUsd(r.cost_usd),
      'last job': String(r.last_id),
    })),
    {
      align: { jobs: 'right', time: 'right', share: 'right', mean: 'right', max: 'right', 'rows scanned': 'right', 'bytes scanned': 'right', 'peak memory': 'right', errors: 'right', cost: 'right', 'last job': 'right' },
      width,
      drop: GROUP_DROP,
      shrink: [by],
    },
  );
  const note = hiddenNote(table.hidden, width);
  return note ? `${table.text}\n${wrap(note, width)}` : table.text;
}

/** A line saying how many jobs' scans and memory are estimates (empty when none are). */
export function estimatedNote(rows: GroupRow[]): string {
  const estimated = rows.reduce((s, r) => s + r.estimated, 0);
  if (estimated === 0) return '';
  const jobs = rows.reduce((s, r) => s + r.jobs, 0);
  return `${estimated} of ${jobs} jobs were not profiled: their rows and bytes scanned and peak memory are estimates from the latest profiled run of the same query shape (set jobs.profile to "every" in the config for exact figures)`;
}

/** One bar per day, scaled to the busiest day. */
export function renderDayChart(days: DayRow[], width = 40): string {
  const max = Math.max(0, ...days.map((d) => d.total_ms));
  const lines = ['time per day'];
  for (const d of days) {
    const n = max > 0 ? Math.round((d.total_ms / max) * width) : 0;
    const bar = d.total_ms > 0 && n === 0 ? '▏' : '█'.repeat(n);
    lines.push(`${d.day}  ${bar.padEnd(width)}  ${formatMs(d.total_ms)} (${d.jobs} job${d.jobs === 1 ? '' : 's'})`);
  }
  return lines.join('\n');
}

export function renderSlow(rows: SlowJob[], factor: number, width?: number): string {
  if (rows.length === 0) return `no job ran slower than ${factor}× the median of its query shape`;
  const table = fitTable(
    ['id', 'started', 'command', 'metric', 'time', 'median', 'factor', 'sql'],
    rows.map((r) => ({
      id: r.id,
      started: r.started_at,
      command: r.command,
      metric: r.metric ?? '',
      time: formatMs(r.duration_ms),
      median: formatMs(r.median_ms),
      factor: `${r.factor.toFixed(1)}×`,
      sql: printableSql(r.sql),
    })),
    { maxCellWidth: 50, align: { time: 'right', median: 'right', factor: 'right' }, width, drop: ['started', 'metric', 'median'], shrink: ['sql', 'command'] },
  );
  const note = hiddenNote(table.hidden, width);
  return note ? `${table.text}\n${wrap(note, width)}` : table.text;
}

function planLines(node: PlanNode, depth: number, out: string[]): void {
  const facts = [...(node.ms === null ? [] : [formatMs(node.ms)]), ...(node.rows === null ? [] : [`${node.rows} rows`]), ...(node.scanned > 0 ? [`${node.scanned} scanned`] : [])].join(', ');
  out.push(`${'  '.repeat(depth)}${depth > 0 ? '└ ' : ''}${node.op}${facts ? `  (${facts})` : ''}${node.info ? `  ${printable(node.info)}` : ''}`);
  for (const c of node.children) planLines(c, depth + 1, out);
}

/** `cli`: how this user runs the CLI ("statsig-hack" or "npx statsig-hack"), for the suggested command. */
export function renderJob(j: JobDetail, cli = 'statsig-hack'): string {
  const facts: [string, string][] = [
    ['job', String(j.id)],
    ['command', j.command],
    ['experiment', j.experiment ?? ''],
    ['metric', j.metric ?? ''],
    ['started', j.started_at.toISOString()],
    ['time', formatMs(j.duration_ms)],
    ['cpu time', j.cpu_ms === null ? '' : formatMs(j.cpu_ms)],
    ['rows scanned', j.rows_scanned === null ? (j.unmeasured ? 'not measured' : '') : int(j.rows_scanned)],
    ['bytes scanned', j.unmeasured ? 'not measured' : formatBytes(j.bytes_scanned)],
    ['bytes read from disk', formatBytes(j.bytes_read)],
    ['peak memory', j.unmeasured ? 'not measured' : formatBytes(j.peak_memory)],
    ['rows returned', j.rows_returned === null ? '' : int(j.rows_returned)],
    ['outcome', j.outcome + (j.error ? `: ${printable(j.error)}` : '')],
    ['cost', formatUsd(j.cost_usd)],
    ['fingerprint', j.fingerprint],
    ['profiled', profiledText(j)],
  ];
  const lines = facts.filter(([, v]) => v !== '').map(([k, v]) => `${`${k}:`.padEnd(22)}${v}`);
  lines.push('', 'SQL:', printableSql(j.sql), '', j.plan && j.plan.children[0]?.ms === null ? 'Plan and profile (operator timings not recorded: set jobs.detail to "plan" in the config to record them):' : 'Plan and profile:');
  if (j.plan) planLines(j.plan, 0, lines);
  else if (j.unmeasured) lines.push(`(${unmeasuredText(j, cli)})`);
  else if (j.scan_from !== null) lines.push(`(not profiled: \`${cli} jobs show ${j.scan_from}\` prints the plan of the profiled run of this query shape)`);
  else if (j.outcome === 'error') lines.push('(no profile: the query failed)');
  else if (j.command === 'query' && !/^\s*explain\b/i.test(j.sql)) {
    lines.push(`(no profile: \`query\` runs your SQL with file access disabled, where DuckDB cannot write its profile; for the plan and profile run \`${cli} query "EXPLAIN ANALYZE <the SQL above>"\`)`);
  }
  else lines.push('(no profile: jobs.profile chose not to profile this run, or it ran where DuckDB could not write one)');
  return lines.join('\n');
}

/**
 * Why a job that carried figures from a profiled run shows none (log.ts measuredJobs): its work
 * differed from that run's by the slow factor; and where its shape was profiled again.
 */
function unmeasuredText(j: JobDetail, cli: string): string {
  const ratio = j.work_ratio === null ? 'several times the' : `${j.work_ratio.toFixed(1)}x the`;
  const next =
    j.next_profiled === null ? 'the next run of this shape is profiled' : `job ${j.next_profiled} is the next profiled run of this shape: \`${cli} jobs show ${j.next_profiled}\``;
  return `not measured: this run took ${ratio} work (${j.work_by === 'cpu' ? 'CPU time' : 'wall time'}) of its profiled run, job ${j.scan_from ?? '?'}, so that run's rows and bytes scanned and peak memory are not its own; ${next}`;
}

/** Whether the job was profiled, and where its estimated figures come from when not. */
function profiledText(j: JobDetail): string {
  if (j.profiled === null) return '';
  if (j.profiled) return 'yes';
  if (j.unmeasured) return `no, and not measured: ${j.work_ratio === null ? 'several' : j.work_ratio.toFixed(1)}x the work of job ${j.scan_from ?? '?'}, its profiled run (below)`;
  if (j.scan_from !== null) return `no: rows and bytes scanned and peak memory are estimates from job ${j.scan_from}, the latest profiled run of this query shape`;
  if (j.rows_scanned !== null) return 'no: rows and bytes scanned and peak memory are estimates from an earlier profiled run of this query shape';
  return 'no';
}
