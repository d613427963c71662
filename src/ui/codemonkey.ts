/** Plain-text renderings of a codemonkey run record, a report and an undo (stdout). */
import type { ChalkInstance } from 'chalk';
import { oneLineSafe } from '../core/sanitize.js';
import { renderTable } from './table.js';
import type { FileRecord, RunRecord } from '../ai/codemonkey/store.js';
import type { UndoResult } from '../ai/codemonkey/undo.js';

/** Money spent: cents from $1 up, else four decimals (a run often costs a fraction of a cent). */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.00005) return '<$0.0001';
  return `$${usd >= 1 || usd === 0 ? usd.toFixed(2) : usd.toFixed(4)}`;
}

/** A budget as the user gave it: every digit that matters (0.015 stays $0.015), at least two decimals. */
export function formatBudgetUsd(usd: number): string {
  const exact = String(Number(usd.toFixed(6)));
  const [whole, frac = ''] = exact.split('.');
  return `$${whole}.${frac.padEnd(2, '0')}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A file's result in the table: plain text (the table measures cells without colour codes). */
function statusMark(f: FileRecord): string {
  switch (f.status) {
    case 'committed':
      return '✓ committed';
    case 'proposed':
      return '~ proposed';
    case 'failed':
      return `✗ failed${f.restored ? ', restored' : ''}`;
    case 'skipped':
      return '- skipped';
    default:
      return '· not reached';
  }
}

const STATUS_TEXT: Record<RunRecord['status'], string> = {
  running: 'still running (or killed)',
  completed: 'completed',
  budget_exhausted: 'stopped: budget reached',
  interrupted: 'interrupted',
  stopped: 'stopped by you',
  error: 'stopped on an error',
};

/** `cli`: how this user runs the CLI ("statsig-hack" or "npx statsig-hack"), for the undo command. */
export function renderRun(r: RunRecord, c: ChalkInstance, cli = 'statsig-hack'): string {
  const lines: string[] = [];
  const where = r.dry_run ? 'dry run (nothing changed)' : r.branch_kept ? `on ${c.bold(r.branch ?? '')}` : 'no commits (branch removed)';
  lines.push(`codemonkey ${r.run_id}: "${oneLineSafe(r.goal)}" — ${where}, from ${oneLineSafe(r.base_branch ?? 'detached HEAD')} @ ${r.base_commit.slice(0, 7)}`);
  const reason = r.stop_reason && r.status !== 'completed' ? oneLineSafe(r.stop_reason) : '';
  // "interrupted (SIGTERM)" says it all; other reasons follow the status in brackets.
  lines.push(`status: ${reason.startsWith(STATUS_TEXT[r.status]) ? reason : `${STATUS_TEXT[r.status]}${reason ? ` (${reason})` : ''}`}`);
  lines.push('');
  // Records hold what a model wrote: every cell is cleaned again here (older records, hand edits).
  const rows = r.files.map((f) => ({
    file: oneLineSafe(f.path),
    result: statusMark(f),
    option: oneLineSafe(f.option ?? ''),
    retries: f.retries,
    commit: f.commit ? f.commit.slice(0, 7) : '',
    note: oneLineSafe(
      f.status === 'committed' || f.status === 'proposed' ? (f.changed_paths.length > 1 ? `also ${f.changed_paths.filter((p) => p !== f.path).join(', ')}` : '') : (f.reason ?? ''),
    ),
  }));
  lines.push(renderTable(['file', 'result', 'option', 'retries', 'commit', 'note'], rows, { maxCellWidth: 70 }));
  lines.push('');
  lines.push(totalsLine(r));
  if (r.unpriced_models.length > 0) lines.push(c.yellow(`no price known for ${r.unpriced_models.join(', ')}: its cost is not counted`));
  const withheld = r.check.env_withheld ?? [];
  if (withheld.length > 0) lines.push(`kept from the check's environment (they look like secrets): ${withheld.map((n) => oneLineSafe(n)).join(', ')}`);
  if (r.dry_run) lines.push(c.yellow('dry run: these edits were never checked (no check command ran); review them and run your check after applying'));
  if (r.dry_run && r.patch_file) lines.push(`patch: ${r.patch_file}  (apply with \`git apply ${r.patch_file}\`)`);
  if (!r.dry_run && r.branch_kept && r.branch) {
    lines.push(`review: git log --oneline ${r.base_commit.slice(0, 7)}..${r.branch}   undo: ${cli} codemonkey undo`);
  }
  return lines.join('\n');
}

export function totalsLine(r: RunRecord): string {
  const t = r.totals;
  const changed = r.dry_run ? 'proposed' : 'changed';
  return [
    `files ${changed} ${t.files_changed}/${t.files_selected}`,
    `failed ${t.files_failed}`,
    `skipped ${t.files_skipped}`,
    `retries ${t.retries}`,
    `checks ${t.check_runs}`,
    `model calls ${t.model_calls}`,
    `tokens ${t.prompt_tokens + t.completion_tokens} (${t.prompt_tokens} in, ${t.completion_tokens} out)`,
    `cost ${formatUsd(t.cost_usd)} of ${formatBudgetUsd(r.budget_usd)}`,
    `time ${formatMs(t.duration_ms)} (model ${formatMs(t.model_ms)}, check ${formatMs(t.check_ms)})`,
  ].join(' · ');
}

export function renderReport(r: RunRecord, older: number, c: ChalkInstance): string {
  const text = renderRun(r, c);
  const undone = r.undone_at ? `\n${c.yellow(`undone at ${r.undone_at}`)}` : '';
  const more = older > 0 ? `\n${older} earlier run${older === 1 ? '' : 's'} recorded (codemonkey report --run <id>)` : '';
  return `${text}${undone}${more}`;
}

export function renderUndo(u: UndoResult): string {
  const dropped = `${u.commits_dropped} commit${u.commits_dropped === 1 ? '' : 's'}`;
  const back = u.switched_to ? `; back on ${u.switched_to}` : '';
  return `Reset ${u.branch} from ${u.reset_from.slice(0, 7)} to ${u.reset_to.slice(0, 7)} (dropped ${dropped} of run ${u.run_id})${back}.`;
}
