/**
 * Run records for `codemonkey report` and `codemonkey undo`: one JSON file per run under
 * <repo>/.statsig-hack/codemonkey/runs/<run_id>.json, rewritten atomically after every file
 * (so an interrupted run still has a record). The folder is added to .git/info/exclude so
 * the work tree stays clean. The record is also the `--json` result of a run.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import type { Git } from './git.js';
import type { SkipReason } from './files.js';
import type { CheckSource } from './check.js';

export const STORE_DIR = path.join('.statsig-hack', 'codemonkey');
export const RUNS_DIR = path.join(STORE_DIR, 'runs');
/** Lines codemonkey adds to .git/info/exclude. */
export const EXCLUDE_LINES = ['/.statsig-hack/codemonkey/', '/.statsig-hack/transcripts/'];

export type RunStatus = 'running' | 'completed' | 'budget_exhausted' | 'interrupted' | 'stopped' | 'error';
export type FileStatus = 'committed' | 'failed' | 'skipped' | 'proposed' | 'pending';

export interface FileRecord {
  path: string;
  status: FileStatus;
  /** The chosen option's title (the last one tried), or null. */
  option: string | null;
  risk: 'low' | 'medium' | 'high' | null;
  /** How many options the model offered. */
  options_offered: number;
  /** Model calls after the first one for this file. */
  retries: number;
  check_runs: number;
  /** The green commit, or null. */
  commit: string | null;
  /** Files the committed (or proposed) change touched. */
  changed_paths: string[];
  /** Whether written files were put back byte for byte. */
  restored: boolean;
  /** Why it failed or was skipped (null when committed). */
  reason: string | null;
  model_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  duration_ms: number;
}

export interface RunTotals {
  files_selected: number;
  files_changed: number;
  files_failed: number;
  files_skipped: number;
  retries: number;
  check_runs: number;
  model_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  duration_ms: number;
  /** Time inside model calls. */
  model_ms: number;
  /** Time inside the check command (baseline included). */
  check_ms: number;
}

export interface RunRecord {
  run_id: string;
  goal: string;
  status: RunStatus;
  stop_reason: string | null;
  dry_run: boolean;
  repo: string;
  /** The work branch (null in a dry run, or when it was removed because nothing was committed). */
  branch: string | null;
  /** The branch the run started from (null when HEAD was detached). */
  base_branch: string | null;
  base_commit: string;
  /** The work branch's last green commit (equals base_commit when nothing was committed). */
  head_commit: string;
  /** False when nothing was committed: codemonkey switched back and deleted its branch. */
  branch_kept: boolean;
  patch_file: string | null;
  model: string;
  budget_usd: number;
  unpriced_models: string[];
  check: {
    command: string | null;
    source: CheckSource | null;
    runs: number;
    baseline_ok: boolean | null;
    /** Environment variables kept from the check because they look like secrets (names only). */
    env_withheld: string[];
  };
  files: FileRecord[];
  totals: RunTotals;
  skipped_candidates: Record<SkipReason, number>;
  /** Every command run besides git, with counts (it is only ever the check command). */
  commands_run: { command: string; count: number }[];
  git_calls: number;
  started_at: string;
  finished_at: string | null;
  undone_at: string | null;
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${crypto.randomBytes(2).toString('hex')}`;
}

/** Adds codemonkey's folders to .git/info/exclude (once). */
export async function ensureExcluded(git: Git): Promise<void> {
  const file = await git.gitPath('info/exclude');
  let text = '';
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = EXCLUDE_LINES.filter((l) => !have.has(l));
  if (missing.length === 0) return;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const prefix = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  await fs.promises.appendFile(file, `${prefix}# statsig-hack codemonkey (run records)\n${missing.join('\n')}\n`);
}

export function runFile(root: string, runId: string): string {
  return path.join(root, RUNS_DIR, `${runId}.json`);
}

export async function writeRun(root: string, record: RunRecord): Promise<void> {
  const dir = path.join(root, RUNS_DIR);
  await fs.promises.mkdir(dir, { recursive: true });
  const file = runFile(root, record.run_id);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await fs.promises.rename(tmp, file);
}

/** Every recorded run, newest first. */
export async function listRuns(root: string): Promise<RunRecord[]> {
  const dir = path.join(root, RUNS_DIR);
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return [];
  }
  const runs: RunRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort().reverse()) {
    try {
      runs.push(JSON.parse(await fs.promises.readFile(path.join(dir, name), 'utf8')) as RunRecord);
    } catch {
      // A damaged record is skipped.
    }
  }
  return runs;
}

/** A run by id, or the newest one. */
export async function readRun(root: string, runId?: string): Promise<RunRecord> {
  const runs = await listRuns(root);
  if (runs.length === 0) {
    throw new UserError('no codemonkey runs recorded in this repository', { hint: 'run `statsig-hack codemonkey "<goal>"` first', code: 'NO_RUNS' });
  }
  if (runId === undefined) return runs[0] as RunRecord;
  const run = runs.find((r) => r.run_id === runId);
  if (!run) {
    throw new UserError(`no codemonkey run "${runId}"`, { hint: `recorded runs: ${runs.slice(0, 5).map((r) => r.run_id).join(', ')}`, code: 'RUN_NOT_FOUND' });
  }
  return run;
}
