/** The footnotes of `jobs`: what its groups leave out, and how a job shared by several metrics is split. */
import type { GroupsSummary } from '../observe/jobs/log.js';
import { formatMs } from './jobs.js';

export function groupNotes(by: string, s: Pick<GroupsSummary, 'groups' | 'overhead' | 'shared_jobs'>): string[] {
  const notes: string[] = [];
  if (by === 'metric' && s.shared_jobs > 0) {
    notes.push(
      `* equal shares, not measurements: ${s.shared_jobs} job${s.shared_jobs === 1 ? '' : 's'} computed several metrics in one query (a store-mode analyze computes all of an experiment's metrics at once), and one query's cost cannot be measured per metric, so each counts as a job of every metric it computed, its time, CPU, rows and bytes scanned split equally among them. To measure one metric alone, analyze it by itself (analyze --experiment <name> --metric <metric>), then jobs --by metric --since 10m.`,
    );
  }
  if (by === 'experiment' && s.groups.some((g) => g.key.startsWith('(unknown: '))) {
    notes.push('(unknown: name): an experiment that is neither defined nor exposed in the store (a typo in a failed run, or one since removed).');
  }
  if (by === 'metric' && s.groups.some((g) => g.key.startsWith('(unknown: '))) {
    notes.push('(unknown: name): a metric an experiment\'s run named that the store does not define, neither a metric nor an event (a typo analyze refused after its lookups ran, or one since removed).');
  }
  if (s.overhead.jobs > 0) {
    notes.push(
      `Not counted above: ${s.overhead.jobs} transaction, setting and schema statement${s.overhead.jobs === 1 ? '' : 's'} (BEGIN, COMMIT, SET, CREATE TABLE, migrations; ${formatMs(s.overhead.total_ms)}), bookkeeping rather than a query's cost ("overhead" in --json).`,
    );
  }
  return notes;
}
