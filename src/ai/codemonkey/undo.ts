/**
 * `codemonkey undo`: resets a run's branch to the commit the run began from. Only the
 * codemonkey branch moves; when HEAD is on it (and the tree is clean) the work tree follows
 * and HEAD goes back to the branch the run started from. Refuses when commits were added to
 * the branch after the run (they would be lost) unless `force`.
 */
import fs from 'node:fs';
import { UserError } from '../../core/errors.js';
import { Git } from './git.js';
import { listRuns, writeRun, type RunRecord } from './store.js';

export interface UndoInput {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The branch to undo (default: the newest run that kept a branch). */
  branch: string | null;
  runId: string | null;
  force: boolean;
  now?: () => number;
}

export interface UndoResult {
  run_id: string;
  branch: string;
  /** The commit the branch pointed at before the undo. */
  reset_from: string;
  /** The run's base commit, where the branch points now. */
  reset_to: string;
  /** Commits removed from the branch. */
  commits_dropped: number;
  /** The branch HEAD went back to (null when HEAD was elsewhere and stayed). */
  switched_to: string | null;
}

export async function undoRun(input: UndoInput): Promise<UndoResult> {
  const root = fs.realpathSync(await new Git(input.cwd, input.env).root());
  const git = new Git(root, input.env);
  const runs = (await listRuns(root)).filter((r) => !r.dry_run);
  let run: RunRecord | undefined;
  if (input.runId) run = runs.find((r) => r.run_id === input.runId);
  else if (input.branch) run = runs.find((r) => r.branch === input.branch && r.branch_kept);
  else run = runs.find((r) => r.branch_kept && r.undone_at === null);
  if (!run) {
    const what = input.runId ? `run "${input.runId}"` : input.branch ? `branch ${input.branch}` : 'any branch';
    throw new UserError(`no codemonkey run to undo for ${what}`, {
      hint: runs.length > 0 ? `recorded runs: ${runs.slice(0, 5).map((r) => `${r.run_id} (${r.branch ?? 'no branch kept'})`).join(', ')}` : 'nothing was recorded: runs that committed nothing leave no branch',
      code: 'NOTHING_TO_UNDO',
    });
  }
  const branch = run.branch;
  if (!branch || !run.branch_kept) {
    throw new UserError(`run ${run.run_id} committed nothing, so there is nothing to undo`, { code: 'NOTHING_TO_UNDO' });
  }
  const tip = await git.branchCommit(branch);
  if (tip === null) {
    throw new UserError(`the branch ${branch} no longer exists`, { hint: 'it was deleted or renamed; nothing to undo', code: 'BRANCH_GONE' });
  }
  if (tip !== run.head_commit && !input.force) {
    const known = await git.isAncestor(run.head_commit, tip);
    throw new UserError(
      known
        ? `the branch ${branch} has commits made after the codemonkey run (${tip.slice(0, 7)}); undo would drop them`
        : `the branch ${branch} was rewritten after the codemonkey run (now ${tip.slice(0, 7)}, the run ended at ${run.head_commit.slice(0, 7)})`,
      { hint: 'pass --force to reset it anyway, or reset it yourself with git', code: 'BRANCH_MOVED' },
    );
  }
  const current = await git.currentBranch();
  const onBranch = current === branch;
  if (onBranch) {
    const dirty = (await git.dirtyFiles()).filter((f) => !f.startsWith('.statsig-hack/'));
    if (dirty.length > 0) {
      throw new UserError(`the work tree has uncommitted changes: ${dirty.slice(0, 8).join(', ')}${dirty.length > 8 ? ` (+${dirty.length - 8} more)` : ''}`, {
        hint: 'commit or stash them first: undo resets the work tree of the codemonkey branch',
        code: 'DIRTY_TREE',
      });
    }
  }
  const dropped = await git.commitCount(run.base_commit, tip);
  let switchedTo: string | null = null;
  if (onBranch) {
    await git.resetHard(run.base_commit);
    const back = run.base_branch;
    if (back && back !== branch && (await git.branchCommit(back)) !== null) {
      await git.checkout(back);
      switchedTo = back;
    }
  } else {
    await git.forceBranch(branch, run.base_commit);
  }
  run.undone_at = new Date((input.now ?? Date.now)()).toISOString();
  await writeRun(root, run);
  return { run_id: run.run_id, branch, reset_from: tip, reset_to: run.base_commit, commits_dropped: dropped, switched_to: switchedTo };
}

/** The repository root for `report` (resolves the repo from cwd). */
export async function repoRootOf(cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return fs.realpathSync(await new Git(cwd, env).root());
}
