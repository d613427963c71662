/** Plain-text renderers of `jobs`: the summary table, a bar chart of time per day, slow jobs, one job's plan. */
import type { DayRow, GroupRow, JobDetail, SlowJob } from '../observe/jobs/log.js';
import type { PlanNode } from '../observe/jobs/record.js';
import { fitTable, hiddenNote } from './table.js';
import { cut, int, wrap } from './format.js';

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

/** --by fingerprint: what the query of a shape is, from its latest job. */
export interface ShapeOf {
  /** The shape's normalised SQL (constants as ?). */
  sql: string;
  /** The command that ran the latest job of the shape. */
  command: string;
}

/** The first words of a shape's SQL for a table cell: `max` characters at most, cut at a word. */
export function sqlSnippet(sql: string, max = 48): string {
  const flat = printable(sql).replace(/\s+/g, ' ').trim();
  if ([...flat].length <= max) return flat;
  const head = [...flat].slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  return `${space > max / 2 ? head.slice(0, space) : head}…`;
}

/**
 * The groups of `jobs`, then a total row when there are several (`jobs`: each job once, as
 * --by metric lists a shared job under each of its metrics). By fingerprint, `shapes` (by
 * fingerprint) adds the command and the first words of each shape's SQL.
 */
export function renderGroups(
  by: string,
  rows: GroupRow[],
  width?: number,
  opts: { totalJobs?: number; shapes?: Map<string, ShapeOf>; empty?: string; provisionalFrom?: number | null } = {},
): string {
  if (rows.length === 0) return opts.empty ?? '(no jobs in this window)';
  // An id read from the spool of a store in use is provisional (log.ts JobsSource): marked ~.
  const idText = (id: number): string => (opts.provisionalFrom !== undefined && opts.provisionalFrom !== null && id >= opts.provisionalFrom ? `~${id}` : String(id));
  const shapes = by === 'fingerprint' ? opts.shapes : undefined;
  const cells = rows.map((r) => ({
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
    'last job': idText(r.last_id),
    ...(shapes ? { command: printable(shapes.get(r.key)?.command ?? ''), sql: sqlSnippet(shapes.get(r.key)?.sql ?? '', 40) } : {}),
  }));
  if (rows.length > 1) {
    const t = groupTotals(rows);
    const jobs = opts.totalJobs ?? rows.reduce((s, r) => s + r.jobs, 0);
    const peak = rows.every((r) => r.peak_memory === null) ? null : Math.max(...rows.map((r) => r.peak_memory ?? 0));
    cells.push({
      [by]: 'total',
      jobs: int(jobs),
      time: formatMs(t.total_ms),
      share: '100.0%',
      mean: jobs > 0 ? formatMs(t.total_ms / jobs) : '',
      max: formatMs(Math.max(...rows.map((r) => r.max_ms))),
      'rows scanned': t.rows_scanned === null ? '-' : int(t.rows_scanned),
      'bytes scanned': t.bytes_scanned === null ? '-' : formatBytes(t.bytes_scanned),
      'peak memory': peak === null ? '-' : formatBytes(peak),
      // By metric a failed shared job is an error of each of its metrics: no honest sum.
      errors: by === 'metric' ? '' : int(rows.reduce((s, r) => s + r.errors, 0)),
      cost: formatUsd(t.cost_usd),
      'last job': idText(Math.max(...rows.map((r) => r.last_id))),
      ...(shapes ? { command: '', sql: '' } : {}),
    });
  }
  const columns = [by, 'jobs', 'time', 'share', 'mean', 'max', 'rows scanned', 'bytes scanned', 'peak memory', 'errors', 'cost', 'last job', ...(shapes ? ['command', 'sql'] : [])];
  const table = fitTable(columns, cells, {
    align: { jobs: 'right', time: 'right', share: 'right', mean: 'right', max: 'right', 'rows scanned': 'right', 'bytes scanned': 'right', 'peak memory': 'right', errors: 'right', cost: 'right', 'last job': 'right' },
    width,
    // The SQL is what tells the shapes apart: the figures give way before it does.
    drop: shapes ? ['max', 'mean', 'peak memory', 'errors', 'rows scanned', 'bytes scanned', 'command', 'last job'] : GROUP_DROP,
    shrink: shapes ? ['sql'] : [by],
  });
  // The total row sits under a rule of its own.
  let text = table.text;
  if (rows.length > 1) {
    const lines = text.split('\n');
    const rule = lines[1] as string;
    lines.splice(lines.length - 1, 0, rule);
    text = lines.join('\n');
  }
  const note = hiddenNote(table.hidden, width);
  return note ? `${text}\n${wrap(note, width)}` : text;
}

/** A line saying how many jobs' scans and memory are estimates (empty when none are). */
export function estimatedNote(rows: GroupRow[]): string {
  const estimated = rows.reduce((s, r) => s + r.estimated, 0);
  if (estimated === 0) return '';
  const jobs = rows.reduce((s, r) => s + r.jobs, 0);
  return `${estimated} of ${jobs} jobs were not profiled: their rows and bytes scanned and peak memory are estimates from the latest profiled run of the same query shape (set jobs.profile to "every" in the config for exact figures)`;
}

/**
 * One bar per day with jobs, scaled to the busiest day, from the first day with jobs: a run of
 * days without any is one line ("· 12 days without jobs"), so a 90-day window used twice a
 * week stays a screenful. The days count what the table counts (no transaction or schema
 * statements). Empty when no day has a job (the table already says so).
 */
export function renderDayChart(days: DayRow[], barWidth = 40): string {
  const first = days.findIndex((d) => d.jobs > 0);
  if (first === -1) return '';
  const shown = days.slice(first);
  const max = Math.max(0, ...shown.map((d) => d.total_ms));
  // Days are UTC days (as --since dates are); the first line is the first day with jobs.
  const lines = ['time per day'];
  let i = 0;
  while (i < shown.length) {
    const d = shown[i] as DayRow;
    if (d.jobs === 0) {
      let j = i;
      while (j < shown.length && (shown[j] as DayRow).jobs === 0) j += 1;
      const n = j - i;
      lines.push(n === 1 ? `${d.day}  ${' '.repeat(barWidth)}  - (no jobs)` : `${'·'.padStart(10)}  ${n} days without jobs (${d.day} to ${(shown[j - 1] as DayRow).day})`);
      i = j;
      continue;
    }
    const n = max > 0 ? Math.round((d.total_ms / max) * barWidth) : 0;
    const bar = d.total_ms > 0 && n === 0 ? '▏' : '█'.repeat(n);
    lines.push(`${d.day}  ${bar.padEnd(barWidth)}  ${formatMs(d.total_ms)} (${int(d.jobs)} job${d.jobs === 1 ? '' : 's'})`);
    i += 1;
  }
  return lines.join('\n');
}

/** The sums behind the table's total row and `--json` `totals`: time, CPU, scans and cost of every group (cost is linear, so the sum of the groups' costs). */
export interface GroupTotals {
  total_ms: number;
  cpu_ms: number;
  rows_scanned: number | null;
  bytes_scanned: number | null;
  cost_usd: number;
}

export function groupTotals(rows: GroupRow[]): GroupTotals {
  const sumOrNull = (k: 'rows_scanned' | 'bytes_scanned'): number | null => (rows.every((r) => r[k] === null) ? null : rows.reduce((s, r) => s + (r[k] ?? 0), 0));
  return {
    total_ms: rows.reduce((s, r) => s + r.total_ms, 0),
    cpu_ms: rows.reduce((s, r) => s + r.cpu_ms, 0),
    rows_scanned: sumOrNull('rows_scanned'),
    bytes_scanned: sumOrNull('bytes_scanned'),
    cost_usd: rows.reduce((s, r) => s + r.cost_usd, 0),
  };
}

export function renderSlow(rows: (SlowJob & { provisional?: boolean })[], factor: number, width?: number): string {
  if (rows.length === 0) return `no job ran slower than ${factor}× the median of its query shape`;
  const table = fitTable(
    ['id', 'started', 'command', 'metric', 'time', 'median', 'factor', 'sql'],
    rows.map((r) => ({
      id: r.provisional ? `~${r.id}` : r.id,
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

/** The table a scan read, from its details ("Table: s.main.events" -> "events"; another schema stays: "raw.events"). */
export function scanTable(info: string): string | null {
  const m = /(?:^|; )Table: ([^;]+)/.exec(info);
  if (!m) return null;
  const parts = (m[1] as string).trim().split('.');
  if (parts.length === 3 && parts[1] === 'main') return parts[2] as string;
  return parts.length === 3 ? parts.slice(1).join('.') : parts.join('.');
}

/** The tables the plan's scans read, in plan order, each once. */
export function planTables(node: PlanNode, out: string[] = []): string[] {
  const t = scanTable(node.info);
  if (t !== null && !out.includes(t)) out.push(t);
  for (const c of node.children) planTables(c, out);
  return out;
}

/**
 * The operator tree as `EXPLAIN` draws it: `├` before a sibling that has another after it, `└`
 * before the last, `│` down the side of the siblings still to come; a scan named by its table;
 * counts with separators; each detail on an indented line of its own, cut to `width` (all of it
 * when `width` is undefined).
 */
export function renderPlan(root: PlanNode, width?: number): string[] {
  const out: string[] = [];
  const walk = (node: PlanNode, lead: string, branch: string, isRoot: boolean): void => {
    const facts = [
      ...(node.ms === null ? [] : [formatMs(node.ms)]),
      ...(node.rows === null ? [] : [`${int(node.rows)} row${node.rows === 1 ? '' : 's'}`]),
      ...(node.scanned > 0 ? [`${int(node.scanned)} scanned`] : []),
    ].join(', ');
    const table = scanTable(node.info);
    const line = `${lead}${branch}${node.op}${table ? ` ${printable(table)}` : ''}${facts ? `  (${facts})` : ''}`;
    out.push(width === undefined ? line : cut(line, width));
    // Below this node: its children's branches continue from here.
    const below = isRoot ? lead : lead + (branch === '├ ' ? '│ ' : '  ');
    const details = node.info
      .split('; ')
      .map((d) => printable(d).trim())
      .filter((d) => d !== '' && !d.startsWith('Table: '));
    const side = node.children.length > 0 ? '│ ' : '  ';
    for (const d of details) {
      const text = `${below}${side}  ${d}`;
      out.push(width === undefined ? text : cut(text, width));
    }
    node.children.forEach((c, i) => walk(c, below, i === node.children.length - 1 ? '└ ' : '├ ', false));
  };
  walk(root, '', '', true);
  return out;
}

/** SQL broken into lines of at most `width` at spaces outside string literals and quoted names, so the copied text still runs; continuation lines indented. */
export function wrapSql(sql: string, width: number | undefined, indent = '  '): string {
  if (width === undefined) return sql;
  const out: string[] = [];
  for (const line of sql.split('\n')) {
    if ([...line].length <= width) {
      out.push(line);
      continue;
    }
    // Words: runs between spaces that lie outside '...' and "..." (a literal's spaces are kept).
    const words: string[] = [];
    let cur = '';
    let quote: string | null = null;
    for (const ch of line) {
      if (quote) {
        cur += ch;
        if (ch === quote) quote = null;
      } else if (ch === "'" || ch === '"') {
        cur += ch;
        quote = ch;
      } else if (ch === ' ') {
        if (cur !== '') words.push(cur);
        cur = '';
      } else cur += ch;
    }
    if (cur !== '') words.push(cur);
    const lead = /^\s*/.exec(line)?.[0] ?? '';
    let acc = lead;
    let filled = false;
    for (const w of words) {
      if (filled && [...acc].length + 1 + [...w].length > width) {
        out.push(acc);
        acc = lead + indent + w;
      } else acc += (filled ? ' ' : '') + w;
      filled = true;
    }
    out.push(acc);
  }
  return out.join('\n');
}

/** `label: value` with the value wrapped at words under itself (a hanging indent to the value column). */
function fact(label: string, value: string, width: number | undefined): string {
  const head = `${label}:`.padEnd(FACT_COLUMN);
  if (width === undefined || head.length + [...value].length <= width) return head + value;
  const room = Math.max(20, width - FACT_COLUMN);
  return wrap(value, room, '')
    .split('\n')
    .map((l, i) => (i === 0 ? head : ' '.repeat(FACT_COLUMN)) + l)
    .join('\n');
}

const FACT_COLUMN = 22;

/** `cli`: how this user runs the CLI ("statsig-hack" or "npx statsig-hack"), for the suggested command; `width`: the terminal's (undefined: no limit). */
export function renderJob(j: JobDetail & { provisional?: boolean }, cli = 'statsig-hack', width?: number): string {
  const tables = j.plan ? planTables(j.plan) : [];
  const facts: [string, string][] = [
    ['job', j.provisional ? `~${j.id} (provisional: not moved into the store yet, the id changes when it is)` : String(j.id)],
    ['command', j.command],
    ['experiment', j.experiment ?? ''],
    // A shared job's metrics (comma-joined in the log) as a list that wraps between names.
    ['metric', (j.metric ?? '').split(',').join(', ')],
    ['started', j.started_at.toISOString()],
    ['time', formatMs(j.duration_ms)],
    ['cpu time', j.cpu_ms === null ? '' : formatMs(j.cpu_ms)],
    ['tables scanned', tables.map(printable).join(', ')],
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
  const lines = facts.filter(([, v]) => v !== '').map(([k, v]) => fact(k, v, width));
  const unrecorded = j.plan !== null && j.plan.children[0]?.ms === null;
  lines.push(
    '',
    'SQL:',
    wrapSql(printableSql(j.sql), width),
    '',
    wrap(unrecorded ? 'Plan and profile (operator timings not recorded: set jobs.detail to "plan" in the config to record them, with the tables scanned):' : 'Plan and profile:', width),
  );
  if (j.plan) lines.push(...renderPlan(j.plan, width));
  else if (j.unmeasured) lines.push(wrap(`(${unmeasuredText(j, cli)})`, width));
  else if (j.scan_from !== null) lines.push(wrap(`(not profiled: \`${cli} jobs show ${j.scan_from}\` prints the plan of the profiled run of this query shape)`, width));
  else if (j.outcome === 'error') lines.push('(no profile: the query failed)');
  else if (j.command === 'query' && !/^\s*explain\b/i.test(j.sql)) {
    lines.push(wrap(`(no profile: \`query\` runs your SQL with file access disabled, where DuckDB cannot write its profile; for the plan and profile run \`${cli} query "EXPLAIN ANALYZE <the SQL above>"\`)`, width));
  } else lines.push(wrap('(no profile: jobs.profile chose not to profile this run, or it ran where DuckDB could not write one)', width));
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
