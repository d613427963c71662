/** What `jobs` says instead of an empty table: the log turned off, a filter that matched nothing, a window before the first job. */
import type { EmptyWhy } from '../observe/jobs/log.js';

/** The config turns the log off: what an empty report says, and what `jobs` warns above a report of earlier jobs. */
export const LOG_OFF = "the job log is off in the config (jobs.enabled: false): set jobs.enabled to true, or remove the key, to log the next runs' queries";

/** `2026-11-25 12:00 UTC`. */
function at(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface EmptyContext {
  /** The config's jobs.enabled is false. */
  logOff: boolean;
  /** The window's start, and the --since text that gave it. */
  since: Date;
  sinceText: string;
}

/** One line, in parentheses as the tables' empty line was, saying why nothing is shown and what to do. */
export function emptyText(why: EmptyWhy, c: EmptyContext, cli = 'statsig-hack'): string {
  const off = LOG_OFF;
  if (why.logged === 0 && c.logOff) return `(no jobs: ${off})`;
  if (why.unmatched.length > 0) {
    const flags = why.unmatched.map((u) => `${u.flag} ${u.value}`).join(', ');
    const known = why.commands.length > 0 ? `; the window's commands: ${why.commands.join(', ')}` : '';
    return `(no jobs match ${flags} since ${at(c.since)}${known})`;
  }
  if (why.inWindow > 0) return `(no job matches these filters together since ${at(c.since)}, though each matches jobs on its own)`;
  const tail = c.logOff ? `; ${off}` : '';
  if (why.logged === 0) return `(no jobs logged yet: run a command such as \`${cli} analyze\` first${tail})`;
  const latest = why.latest ? `; the latest job started ${at(why.latest)}, a longer --since shows it` : '';
  return `(no jobs since ${at(c.since)} (--since ${c.sinceText})${latest}${tail})`;
}
