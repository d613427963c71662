/** `jobs list` (the latest jobs, one line each) and the note on jobs whose figures are not measured. */
import type { GroupsSummary, ListedJob } from '../observe/jobs/log.js';
import { cut, int, wrap } from './format.js';
import { formatMs, printable, printableSql } from './jobs.js';
import { fitTable, hiddenNote } from './table.js';

/** `11-28 14:03:07` (UTC): a list of recent jobs spans days, rarely years. */
function started(d: Date): string {
  return d.toISOString().slice(5, 19).replace('T', ' ');
}

/** The start of a query, on one line. */
function sqlStart(sql: string): string {
  return printableSql(sql).replace(/\s+/g, ' ').trim();
}

export function renderList(jobs: ListedJob[], matched: number, width?: number, cli = 'statsig-hack', empty?: string): string {
  if (jobs.length === 0) return empty ?? '(no jobs in this window)';
  const table = fitTable(
    ['id', 'started (UTC)', 'command', 'experiment / metric', 'time', 'rows scanned', 'outcome', 'sql'],
    jobs.map((j) => ({
      id: j.provisional ? `~${j.id}` : String(j.id),
      'started (UTC)': started(j.started_at),
      command: j.command,
      'experiment / metric': cut(printable([j.experiment, j.metric].filter((x) => x !== null && x !== '').join(' / ')), 24),
      time: formatMs(j.duration_ms),
      'rows scanned': j.rows_scanned === null ? '-' : int(j.rows_scanned),
      outcome: j.outcome,
      sql: cut(sqlStart(j.sql), 26),
    })),
    {
      maxCellWidth: 60,
      align: { id: 'right', time: 'right', 'rows scanned': 'right' },
      width,
      drop: ['rows scanned', 'started (UTC)'],
      shrink: ['sql', 'experiment / metric', 'command'],
    },
  );
  const lines = [table.text];
  const hidden = hiddenNote(table.hidden, width);
  if (hidden) lines.push(wrap(hidden, width));
  const more = matched > jobs.length ? `${int(jobs.length)} of ${int(matched)} jobs shown, the latest first (--limit n for more); ` : '';
  const provisional = jobs.some((j) => j.provisional) ? ' "~": a provisional id (not moved into the store yet).' : '';
  lines.push(wrap(`${more}\`${cli} jobs show <id>\` prints one job's SQL, plan and profile. "-": not measured.${provisional}`, width));
  return lines.join('\n');
}

/** A line on the jobs whose carried figures are left out (measuredJobs), empty when there are none. */
export function measuredNotes(_by: string, s: Pick<GroupsSummary, 'totals'>, cli = 'statsig-hack'): string[] {
  const n = s.totals.unmeasured;
  if (n === 0) return [];
  return [
    `${n} job${n === 1 ? ' was' : 's were'} not measured: ${n === 1 ? 'it' : 'each'} did the slow factor (config jobs.slowFactor) or more times the work of the profiled run of ${n === 1 ? 'its' : 'their'} query shape, so that run's rows and bytes scanned and peak memory are not ${n === 1 ? 'its' : 'theirs'}: they are left out of those columns and of the cost per TB; the next run of such a shape is profiled (\`${cli} jobs list\` shows them as "-").`,
  ];
}
