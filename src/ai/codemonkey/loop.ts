/**
 * The codemonkey run: preconditions, file picking, then per file
 *   ask for options -> choose -> check the edits -> write -> run the check ->
 *   commit when green, else send the failure back for a redo (up to --max-retries) ->
 *   restore byte for byte when it cannot be made green.
 * The user's branch is never written: work happens on a new branch `codemonkey/<slug>` and
 * every green change is one commit there. A dry run writes nothing but a patch file and the
 * run record. Services rules: no printing, no process globals; events go to `onEvent`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { Price } from '../../core/config.js';
import { UserError, errorMessage, isUserError } from '../../core/errors.js';
import { oneLineSafe, stripControl } from '../../core/sanitize.js';
import type { ChatMessage, LlmClient } from '../llm.js';
import { priceFor } from '../prices.js';
import { budgetCheck, MAX_COMPLETION_TOKENS } from './budget.js';
import {
  checkCommandFiles,
  scrubCheckEnv,
  describeFailure,
  detectCheckCommand,
  failureSignature,
  parseCheckCommand,
  runCheck,
  trimOutput,
  type CheckResult,
  type ResolvedCheck,
} from './check.js';
import { ChangeTracker, planEdits, type EditPolicy, type FileReader, type PlannedChange } from './edits.js';
import { compileGlobs, exportedSymbols, loadSources, matchesGlobs, pathSkipReason, repoMap, selectFiles, type SkipReason } from './files.js';
import { findRelated, importGraph, relatedContext } from './related.js';
import { Git, GitError, ProcessAudit } from './git.js';
import { checkFailedPrompt, commitMessage, editsRefusedPrompt, filePrompt, systemPrompt } from './prompts.js';
import { MAX_OPTIONS, OptionsReplySchema, RedoReplySchema, type CodemonkeyOption } from './schema.js';
import { ensureExcluded, newRunId, RUNS_DIR, writeRun, type FileRecord, type RunRecord, type RunStatus } from './store.js';

export const TASK = 'codemonkey';

/** Model errors that fail one file, not the run. */
const PER_FILE_LLM_ERRORS = new Set(['LLM_INVALID_OUTPUT', 'LLM_REFUSED', 'LLM_REPLY_TOO_LARGE']);

export type Choice = { action: 'apply'; index: number } | { action: 'skip' } | { action: 'quit' };

export interface ChooseRequest {
  file: string;
  /** 1-based position of the file in the run and the number of files. */
  position: number;
  total: number;
  options: CodemonkeyOption[];
}

export type Chooser = (req: ChooseRequest) => Promise<Choice>;

export type CodemonkeyEvent =
  | { type: 'start'; branch: string | null; baseBranch: string | null; baseCommit: string; files: string[]; check: string | null; dryRun: boolean }
  | { type: 'baseline'; ok: boolean; durationMs: number }
  | { type: 'file'; path: string; position: number; total: number }
  | { type: 'options'; path: string; count: number }
  | { type: 'attempt'; path: string; attempt: number; title: string }
  | { type: 'refused'; path: string; problems: string[] }
  | { type: 'check'; path: string; ok: boolean; durationMs: number; failure: string | null }
  | { type: 'file-done'; file: FileRecord }
  | { type: 'warn'; message: string };

export interface CodemonkeyInput {
  cwd: string;
  /** The user's environment (for git and, minus secrets, the check command). */
  env: NodeJS.ProcessEnv;
  goal: string;
  /** --files globs (empty: every tracked file). */
  files: string[];
  /** --check or the config's check; null: detect from package.json / tsconfig.json. */
  check: { command: string; source: 'flag' | 'config' } | null;
  checkTimeoutMs: number;
  maxRetries: number;
  budgetUsd: number;
  maxFiles: number;
  dryRun: boolean;
  /** --branch; null: codemonkey/<slug of the goal>. */
  branch: string | null;
  allowDirty: boolean;
  /** Where a dry run writes its patch (absolute, or relative to cwd); null: next to the run record. */
  patchFile: string | null;
  llm: LlmClient;
  /** Prices per 1M tokens by model (defaults merged with config llm.prices). */
  prices: Record<string, Price>;
  /** Picks an option per file; null takes the top option (--yes). */
  choose: Chooser | null;
  signal?: AbortSignal;
  onEvent?: (event: CodemonkeyEvent) => void;
  now?: () => number;
}

export interface CodemonkeyOutcome {
  record: RunRecord;
  /** Set when the run stopped on an error after it had started (the record says what was kept). */
  error: UserError | null;
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

class BudgetStop extends Error {}

class QuitRun extends Error {}

/** `codemonkey/<slug>` from a goal: lowercase words joined by dashes, at most 40 characters. */
export function slugify(goal: string): string {
  const words = goal
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > 40) break;
    slug = next;
  }
  if (!slug && words[0]) slug = words[0].slice(0, 40);
  return slug || 'run';
}

/** A regular file's text, or null when there is none (symbolic links are not followed). */
async function readText(root: string, rel: string): Promise<string | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path.join(root, rel), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return null;
    throw error;
  }
  try {
    return (await handle.stat()).isFile() ? await handle.readFile('utf8') : null;
  } finally {
    await handle.close();
  }
}

/** Why the run was interrupted: the abort reason the command gave (e.g. "Ctrl-C", "SIGTERM"). */
function interruptReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return `interrupted (${typeof reason === 'string' && reason !== '' ? reason : 'Ctrl-C'})`;
}

/** An option with its title and rationale cleaned of control characters (its edits stay as written). */
function cleanOption(o: CodemonkeyOption): CodemonkeyOption {
  return { ...o, title: oneLineSafe(o.title, 200), rationale: stripControl(o.rationale).trim() };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function summarizeSkips(skipped: Record<SkipReason, number>): string {
  const parts = Object.entries(skipped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function emptyFile(p: string): FileRecord {
  return {
    path: p,
    status: 'pending',
    option: null,
    risk: null,
    options_offered: 0,
    retries: 0,
    check_runs: 0,
    commit: null,
    changed_paths: [],
    restored: false,
    reason: null,
    model_calls: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    cost_usd: 0,
    duration_ms: 0,
  };
}

function editsKey(option: CodemonkeyOption): string {
  return JSON.stringify(option.edits.map((e) => [e.path, e.search, e.replace]));
}

function resolveCheck(root: string, given: CodemonkeyInput['check']): ResolvedCheck | null {
  if (given) return { command: given.command, source: given.source, steps: parseCheckCommand(given.command) };
  const detected = detectCheckCommand(root);
  if (!detected) return null;
  return { command: detected, source: 'detected', steps: parseCheckCommand(detected) };
}

async function pickBranch(git: Git, requested: string | null, goal: string): Promise<string> {
  if (requested !== null) {
    if (!(await git.validBranchName(requested))) {
      throw new UserError(`--branch "${requested}" is not a valid branch name`, { hint: 'e.g. --branch codemonkey/tidy-logging', code: 'BAD_BRANCH', exitCode: 2 });
    }
    if ((await git.branchCommit(requested)) !== null) {
      throw new UserError(`the branch ${requested} already exists`, {
        hint: 'pass --branch with a new name, or delete it first (`git branch -D ' + requested + '`); codemonkey only works on a fresh branch',
        code: 'BRANCH_EXISTS',
      });
    }
    return requested;
  }
  const baseName = `codemonkey/${slugify(goal)}`;
  for (let n = 1; n < 1000; n++) {
    const name = n === 1 ? baseName : `${baseName}-${n}`;
    if ((await git.branchCommit(name)) === null) {
      if (!(await git.validBranchName(name))) break;
      return name;
    }
  }
  throw new UserError(`cannot find a free branch name for ${baseName}`, { hint: 'pass --branch <name>', code: 'BAD_BRANCH' });
}

/** Runs codemonkey. Throws UserError on failed preconditions (nothing changed then). */
export async function runCodemonkey(input: CodemonkeyInput): Promise<CodemonkeyOutcome> {
  const now = input.now ?? Date.now;
  const startedMs = now();
  const emit = (e: CodemonkeyEvent): void => input.onEvent?.(e);
  const audit = new ProcessAudit();
  const rootRaw = await new Git(input.cwd, input.env, audit).root();
  const root = fs.realpathSync(rootRaw);
  const git = new Git(root, input.env, audit);

  // ---- preconditions: nothing is written before they all pass ----
  const headCommit = await git.head();
  if (!headCommit) {
    throw new UserError('the repository has no commits yet', { hint: 'commit your files first: codemonkey works on a branch from HEAD', code: 'NO_COMMITS' });
  }
  const baseCommit: string = headCommit;
  const baseBranch = await git.currentBranch();
  if (!input.dryRun && !(await git.hasIdentity())) {
    throw new UserError('git does not know who commits here (user.name / user.email are not set)', {
      hint: 'run `git config user.name "Your Name"` and `git config user.email you@example.com`',
      code: 'NO_GIT_IDENTITY',
    });
  }
  // statsig-hack's own local files (project store, transcripts, run records) never count.
  const dirty = (await git.dirtyFiles()).filter((f) => !f.startsWith('.statsig-hack/'));
  if (dirty.length > 0 && !input.allowDirty) {
    const shown = dirty.slice(0, 8).join(', ');
    throw new UserError(`the work tree has uncommitted changes: ${shown}${dirty.length > 8 ? ` (+${dirty.length - 8} more)` : ''}`, {
      hint: 'commit or stash them first (codemonkey commits every green change and restores failed ones), or pass --allow-dirty to leave those files alone',
      code: 'DIRTY_TREE',
    });
  }
  const dirtySet = new Set(dirty);
  const branch = input.dryRun ? null : await pickBranch(git, input.branch, input.goal);
  const check = resolveCheck(root, input.check);
  if (!check && !input.dryRun) {
    throw new UserError('no check command: codemonkey only keeps changes that pass one', {
      hint: 'pass --check "npm test" (or add a "test" or "build" script to package.json, or a tsconfig.json)',
      code: 'NO_CHECK',
    });
  }
  const protectedPaths = check ? checkCommandFiles(root, check.steps) : new Set<string>();
  const globs = compileGlobs(input.files);
  const tracked = await git.trackedFiles();
  const selection = await selectFiles({ root, tracked, globs, goal: input.goal, maxFiles: input.maxFiles, protectedPaths, dirty: dirtySet });
  if (selection.selected.length === 0) {
    const which = input.files.length > 0 ? `--files ${input.files.join(',')}` : 'the repository';
    throw new UserError(`no files to work on: ${selection.matched} tracked file${selection.matched === 1 ? '' : 's'} in ${which}, skipped: ${summarizeSkips(selection.skipped)}`, {
      hint: "widen --files (e.g. --files 'src/**/*.ts'); binary, generated, vendored, huge, secret and build/test configuration files are never edited",
      code: 'NO_FILES',
    });
  }
  const model = input.llm.model(TASK);
  const price = priceFor(model, input.prices);
  if (!price) emit({ type: 'warn', message: `no price is known for the model "${model}": --budget-usd cannot be enforced (add it under llm.prices in the config)` });

  // ---- the run record ----
  await ensureExcluded(git);
  const runId = newRunId(new Date(startedMs));
  const files = selection.selected.map((c) => emptyFile(c.path));
  let checkMs = 0;
  let modelMs = 0;
  let checkRuns = 0;
  const record: RunRecord = {
    run_id: runId,
    goal: input.goal,
    status: 'running',
    stop_reason: null,
    dry_run: input.dryRun,
    repo: root,
    branch,
    base_branch: baseBranch,
    base_commit: baseCommit,
    head_commit: baseCommit,
    branch_kept: !input.dryRun,
    patch_file: null,
    model,
    budget_usd: input.budgetUsd,
    unpriced_models: [],
    check: { command: check?.command ?? null, source: check?.source ?? null, runs: 0, baseline_ok: null, env_withheld: [] },
    files,
    totals: {
      files_selected: files.length,
      files_changed: 0,
      files_failed: 0,
      files_skipped: 0,
      retries: 0,
      check_runs: 0,
      model_calls: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      cost_usd: 0,
      duration_ms: 0,
      model_ms: 0,
      check_ms: 0,
    },
    skipped_candidates: selection.skipped,
    commands_run: [],
    git_calls: 0,
    started_at: new Date(startedMs).toISOString(),
    finished_at: null,
    undone_at: null,
  };
  const finishRecord = (status: RunStatus, reason: string | null): void => {
    record.status = status;
    // Anything a model (or code it wrote) said reaches the record only without control characters.
    record.stop_reason = reason === null ? null : oneLineSafe(reason);
    for (const f of files) {
      if (f.reason !== null) f.reason = oneLineSafe(f.reason);
      if (f.option !== null) f.option = oneLineSafe(f.option);
    }
    const usage = input.llm.usage();
    record.unpriced_models = usage.unpricedModels;
    record.check.runs = checkRuns;
    record.totals = {
      files_selected: files.length,
      files_changed: files.filter((f) => f.status === 'committed' || f.status === 'proposed').length,
      files_failed: files.filter((f) => f.status === 'failed').length,
      files_skipped: files.filter((f) => f.status === 'skipped').length,
      retries: files.reduce((s, f) => s + f.retries, 0),
      check_runs: checkRuns,
      model_calls: usage.calls,
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      cost_usd: usage.costUsd,
      duration_ms: now() - startedMs,
      model_ms: modelMs,
      check_ms: checkMs,
    };
    record.commands_run = audit.commands();
    record.git_calls = audit.gitCalls();
  };
  const save = async (status: RunStatus, reason: string | null): Promise<void> => {
    finishRecord(status, reason);
    if (status !== 'running') record.finished_at = new Date(now()).toISOString();
    await writeRun(root, record);
  };
  await save('running', null);

  const scrubbed = scrubCheckEnv(input.env);
  record.check.env_withheld = scrubbed.withheld;
  const check1 = async (): Promise<CheckResult> => {
    if (!check) throw new Error('internal: no check command');
    const r = await runCheck(check.steps, { cwd: root, env: scrubbed.env, timeoutMs: input.checkTimeoutMs, signal: input.signal, audit });
    checkMs += r.durationMs;
    checkRuns += 1;
    return r;
  };

  const tracker = new ChangeTracker(root);
  const overlay = new Map<string, string>();
  const reader: FileReader = { read: async (rel) => (overlay.has(rel) ? (overlay.get(rel) as string) : readText(root, rel)) };
  const editable = new Set(selection.eligible.map((c) => c.path));
  const refuse = async (rel: string, exists: boolean): Promise<string | null> => {
    if (exists && editable.has(rel)) return null;
    const why = pathSkipReason(rel, protectedPaths, dirtySet);
    if (why === 'protected') return 'refused: this file decides how the project is built, tested or run, and codemonkey never edits it';
    if (why === 'secret') return 'refused: this file may hold secrets and is never read or edited';
    if (why === 'dirty') return 'refused: this file has uncommitted changes';
    if (why) return `refused: ${why} files are never edited`;
    if (!matchesGlobs(globs, rel)) return `refused: ${rel} is outside --files${input.files.length > 0 ? ` (${input.files.join(',')})` : ''}`;
    if (exists) return 'refused: this file is not editable (untracked, binary, generated or too large)';
    if (await git.isIgnored(rel)) return `refused: git ignores ${rel} (.gitignore), so it could not be committed`;
    return null;
  };
  // The map covers the whole repository's sources (the files to edit first); each request also
  // shows the tests and importers of its file (related.ts), within a budget.
  const sources = await loadSources(root, tracked);
  const known = new Set(sources.map((f) => f.path));
  const eligiblePaths = new Set(selection.eligible.map((c) => c.path));
  const others = sources.filter((f) => !eligiblePaths.has(f.path)).map((f) => ({ path: f.path, symbols: exportedSymbols(f.path, f.content) }));
  const map = repoMap([...selection.eligible, ...others]);
  const graph = importGraph(sources);
  const relatedFor = async (rel: string): Promise<string> => {
    const related = findRelated(rel, sources, graph);
    const texts = new Map<string, string | null>();
    for (const p of [...related.tests, ...related.importers]) texts.set(p, await reader.read(p));
    return relatedContext(rel, related, (p) => texts.get(p) ?? null, known);
  };
  const system = systemPrompt(MAX_OPTIONS);
  let runStatus: RunStatus = 'completed';
  let stopReason: string | null = null;
  let runError: UserError | null = null;
  /** A precondition found by running the check (a red baseline): thrown once the record is closed. */
  let throwAfter: UserError | null = null;
  /** An unexpected error (a bug): rethrown once the record is closed and the tree restored. */
  let fatal: unknown = null;
  let branchCreated = false;

  const ask = async <T>(schema: z.ZodType<T>, schemaName: string, messages: ChatMessage[], rec: FileRecord): Promise<{ ok: true; value: T } | { ok: false; problem: string }> => {
    if (input.signal?.aborted) throw new Interrupted();
    const spent = input.llm.usage().costUsd;
    const decision = budgetCheck(spent, messages, price, input.budgetUsd);
    if (!decision.ok) throw new BudgetStop(decision.message);
    // One repair turn for a malformed or cut-off reply, when the budget has room for it too.
    const maxRepairs = budgetCheck(spent, messages, price, input.budgetUsd, 1).ok ? 1 : 0;
    const before = input.llm.usage();
    const t0 = now();
    // A signal per request, so the HTTP request is cancelled on Ctrl-C without piling listeners on the run's signal.
    const request = new AbortController();
    const cancel = (): void => request.abort();
    input.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const value = await raceAbort(
        input.llm.structured({ task: TASK, schema, schemaName, messages, maxRepairs, maxTokens: MAX_COMPLETION_TOKENS, signal: request.signal }),
        input.signal,
      );
      return { ok: true, value };
    } catch (error) {
      // A bad reply fails this file only (an oversized one is cut off on the wire by llm.ts).
      if (isUserError(error) && PER_FILE_LLM_ERRORS.has(error.code)) return { ok: false, problem: oneLineSafe(error.message) };
      throw error;
    } finally {
      input.signal?.removeEventListener('abort', cancel);
      modelMs += now() - t0;
      const after = input.llm.usage();
      rec.model_calls += after.calls - before.calls;
      rec.prompt_tokens += after.promptTokens - before.promptTokens;
      rec.completion_tokens += after.completionTokens - before.completionTokens;
      rec.cost_usd += after.costUsd - before.costUsd;
    }
  };

  const processFile = async (rec: FileRecord, position: number): Promise<void> => {
    const content = await reader.read(rec.path);
    if (content === null) {
      rec.status = 'skipped';
      rec.reason = 'the file no longer exists';
      return;
    }
    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: filePrompt({ goal: input.goal, map, related: await relatedFor(rec.path), check: check?.command ?? '(none: dry run)', path: rec.path, content }) },
    ];
    const first = await ask(OptionsReplySchema, 'codemonkey_options', messages, rec);
    if (!first.ok) {
      rec.status = 'failed';
      rec.reason = first.problem;
      return;
    }
    const options = first.value.options.map(cleanOption).filter((o) => o.title !== '' && o.edits.length > 0).slice(0, MAX_OPTIONS);
    rec.options_offered = options.length;
    emit({ type: 'options', path: rec.path, count: options.length });
    if (options.length === 0) {
      rec.status = 'skipped';
      rec.reason = 'the model proposed no change';
      return;
    }
    let choice: Choice = { action: 'apply', index: 0 };
    if (input.choose) choice = await raceAbort(input.choose({ file: rec.path, position, total: files.length, options }), input.signal);
    if (choice.action === 'quit') throw new QuitRun();
    if (choice.action === 'skip') {
      rec.status = 'skipped';
      rec.reason = 'skipped by you';
      return;
    }
    let option = options[Math.min(Math.max(0, choice.index), options.length - 1)] as CodemonkeyOption;
    const conversation: ChatMessage[] = [...messages, { role: 'assistant', content: JSON.stringify(first.value) }];
    let lastSignature: string | null = null;
    let lastEdits: string | null = null;
    let lastProblem = '';
    for (let attempt = 1; ; attempt++) {
      rec.option = option.title;
      rec.risk = option.risk;
      emit({ type: 'attempt', path: rec.path, attempt, title: option.title });
      const key = editsKey(option);
      let feedback: string;
      let signature: string;
      if (key === lastEdits) {
        rec.status = 'failed';
        rec.reason = `the model repeated the same change; last problem: ${lastProblem}`;
        return;
      }
      lastEdits = key;
      const plan = await planEdits(option, { reader, policy: { root, currentFile: rec.path, refuse } satisfies EditPolicy });
      if (!plan.ok) {
        emit({ type: 'refused', path: rec.path, problems: plan.problems.map((p) => stripControl(p)) });
        feedback = editsRefusedPrompt(option, plan.problems);
        signature = `edits:${plan.problems.join('\n')}`;
        lastProblem = `edits refused: ${plan.problems[0]?.split('\n')[0] ?? ''}`;
      } else if (input.dryRun) {
        for (const c of plan.changes) overlay.set(c.path, c.after);
        rec.status = 'proposed';
        rec.changed_paths = plan.changes.map((c) => c.path);
        return;
      } else {
        await tracker.write(plan.changes);
        const result = await check1();
        rec.check_runs += 1;
        emit({ type: 'check', path: rec.path, ok: result.ok, durationMs: result.durationMs, failure: result.ok ? null : describeFailure(result) });
        if (result.aborted) throw new Interrupted();
        if (result.ok) {
          let sha: string;
          try {
            sha = await commit(plan.changes, option, rec);
          } catch (error) {
            if (isUserError(error)) throw error;
            await tracker.restore();
            rec.restored = true;
            rec.status = 'failed';
            rec.reason = `the change passed the check but could not be committed: ${errorMessage(error)}`;
            return;
          }
          rec.commit = sha;
          rec.status = 'committed';
          rec.changed_paths = plan.changes.map((c) => c.path);
          rec.restored = false;
          record.head_commit = rec.commit;
          for (const c of plan.changes) editable.add(c.path);
          return;
        }
        await tracker.restore();
        rec.restored = true;
        const trimmed = trimOutput(result.output);
        feedback = checkFailedPrompt(option, describeFailure(result), trimmed);
        signature = `check:${failureSignature(result)}`;
        const firstLine = trimmed.split('\n').find((l) => /error|fail/i.test(l)) ?? trimmed.split('\n').find((l) => l.trim() !== '') ?? '';
        lastProblem = `${describeFailure(result)}${firstLine ? `: ${firstLine.trim().slice(0, 200)}` : ''}`;
      }
      if (signature === lastSignature) {
        rec.status = 'failed';
        rec.reason = `the same failure twice in a row: ${lastProblem}`;
        return;
      }
      lastSignature = signature;
      if (rec.retries >= input.maxRetries) {
        rec.status = 'failed';
        rec.reason = `still failing after ${input.maxRetries} ${input.maxRetries === 1 ? 'retry' : 'retries'}: ${lastProblem}`;
        return;
      }
      conversation.push({ role: 'user', content: feedback });
      rec.retries += 1;
      const redo = await ask(RedoReplySchema, 'codemonkey_redo', conversation, rec);
      if (!redo.ok) {
        conversation.pop();
        rec.status = 'failed';
        rec.reason = `${redo.problem}; last problem: ${lastProblem}`;
        return;
      }
      conversation.push({ role: 'assistant', content: JSON.stringify(redo.value) });
      if (!redo.value.option || redo.value.option.edits.length === 0) {
        rec.status = 'failed';
        const why = redo.value.reason ? oneLineSafe(redo.value.reason, 300) : '';
        rec.reason = `the model gave up${why ? `: ${why}` : ''}; last problem: ${lastProblem}`;
        return;
      }
      option = cleanOption(redo.value.option);
    }
  };

  const commit = async (changes: PlannedChange[], option: CodemonkeyOption, rec: FileRecord): Promise<string> => {
    const paths = changes.map((c) => c.path);
    try {
      const sha = await git.commitPaths(paths, commitMessage(option, { goal: input.goal, file: rec.path, runId, retries: rec.retries }));
      tracker.accept();
      return sha;
    } catch (error) {
      // Undo a partial `git add` so the index matches HEAD again; the caller restores the files.
      await git.run(['reset', '-q', '--', ...paths], { allowFail: true });
      throw error;
    }
  };

  const finalize = async (): Promise<void> => {
    if (tracker.pending.length > 0) await tracker.restore();
    if (input.dryRun) {
      record.patch_file = await writePatch(git, root, overlay, input.patchFile ? path.resolve(input.cwd, input.patchFile) : path.join(root, RUNS_DIR, `${runId}.patch`), {
        runId,
        goal: input.goal,
      });
    } else if (branch && branchCreated) {
      const head = await git.head();
      record.head_commit = head ?? baseCommit;
      if (head === baseCommit) {
        // Nothing was committed: go back to where the user was and drop the empty branch.
        await git.checkout(baseBranch ?? baseCommit);
        await git.deleteBranch(branch);
        record.branch_kept = false;
      }
    } else if (!input.dryRun) {
      record.branch_kept = false;
    }
  };

  const runFiles = async (): Promise<void> => {
    let position = 0;
    for (const rec of files) {
      position += 1;
      if (input.signal?.aborted) {
        runStatus = 'interrupted';
        stopReason = interruptReason(input.signal);
        break;
      }
      const t0 = now();
      emit({ type: 'file', path: rec.path, position, total: files.length });
      try {
        await processFile(rec, position);
      } catch (error) {
        if (tracker.pending.length > 0) {
          await tracker.restore();
          rec.restored = true;
        }
        const reachedModel = rec.model_calls > 0;
        if (error instanceof BudgetStop) {
          runStatus = 'budget_exhausted';
          stopReason = error.message;
          rec.status = reachedModel ? 'failed' : 'pending';
          rec.reason = error.message;
        } else if (error instanceof Interrupted) {
          runStatus = 'interrupted';
          stopReason = interruptReason(input.signal);
          rec.status = reachedModel ? 'failed' : 'pending';
          rec.reason = 'interrupted';
        } else if (error instanceof QuitRun) {
          runStatus = 'stopped';
          stopReason = 'stopped at your request';
          rec.status = 'pending';
          rec.reason = 'stopped at your request';
        } else {
          runStatus = 'error';
          stopReason = errorMessage(error);
          rec.status = 'failed';
          rec.reason = errorMessage(error);
          if (isUserError(error)) runError = error;
          else fatal = error;
        }
      }
      rec.duration_ms = now() - t0;
      if (fatal === null) emit({ type: 'file-done', file: rec });
      if (runStatus !== 'completed') break;
      await save('running', null);
    }
  };

  // Whatever happens from here on (a bug, a signal, a failing git), the tree is restored and the
  // record ends with a final status.
  try {
    emit({ type: 'start', branch, baseBranch, baseCommit, files: files.map((f) => f.path), check: check?.command ?? null, dryRun: input.dryRun });
    // ---- baseline: the check must pass before any change ----
    let baselineOk = true;
    if (!input.dryRun) {
      const baseline = await check1();
      record.check.baseline_ok = baseline.ok;
      emit({ type: 'baseline', ok: baseline.ok, durationMs: baseline.durationMs });
      if (baseline.aborted) {
        runStatus = 'interrupted';
        stopReason = 'interrupted before any change';
        baselineOk = false;
      } else if (!baseline.ok) {
        const tail = trimOutput(baseline.output, 300).split('\n').filter((l) => l.trim() !== '').slice(-2).join(' | ');
        runStatus = 'error';
        stopReason = `the check command fails before any change: ${describeFailure(baseline)}`;
        baselineOk = false;
        throwAfter = new UserError(`the check command "${check?.command ?? ''}" fails before any change (${describeFailure(baseline).replace(/^the check /, '')})${tail ? `: ${oneLineSafe(tail)}` : ''}`, {
          hint: 'codemonkey keeps only changes that turn the check green: fix the project first, or pass a --check that passes now',
          code: 'CHECK_RED',
        });
      } else {
        await git.createBranch(branch as string);
        branchCreated = true;
      }
    }
    if (baselineOk) await runFiles();
  } catch (error) {
    runStatus = 'error';
    stopReason = errorMessage(error);
    if (isUserError(error)) runError = error;
    else fatal = error;
  } finally {
    for (const rec of files) {
      if (rec.status === 'pending' && rec.reason === null) rec.reason = `not reached (${runStatus.replace('_', ' ')})`;
    }
    try {
      await finalize();
    } catch (error) {
      runStatus = 'error';
      stopReason = `${stopReason ? `${stopReason}; ` : ''}cleaning up failed: ${errorMessage(error)}`;
      if (fatal === null && runError === null) {
        if (error instanceof GitError || isUserError(error)) {
          runError = new UserError(`codemonkey could not clean up after the run: ${errorMessage(error)}`, {
            hint: `fix what git reports, then \`git checkout ${baseBranch ?? baseCommit.slice(0, 7)}\`${branch ? ` and, if it has no commits you want, \`git branch -D ${branch}\`` : ''}`,
            code: 'CLEANUP_FAILED',
          });
        } else {
          fatal = error;
        }
      }
    }
    await save(runStatus, stopReason);
  }
  if (fatal !== null) throw fatal instanceof Error ? fatal : new Error(errorMessage(fatal));
  if (throwAfter) throw throwAfter;
  return { record, error: runError };
}

/**
 * The comment at the top of a dry run's patch (`git apply` skips text before the first diff):
 * the edits in it were never checked.
 */
export function patchHeader(about: { runId: string; goal: string }): string {
  return [
    `codemonkey dry run ${about.runId}: ${oneLineSafe(about.goal, 200)}`,
    'UNCHECKED: these edits were never checked (a dry run writes no file and runs no check command).',
    'Review them, apply with `git apply <this file>`, then run your check before committing.',
    '',
    '',
  ].join('\n');
}

/** Writes the dry run's changes as one unified diff (paths relative to the repository). */
async function writePatch(git: Git, root: string, overlay: Map<string, string>, file: string, about: { runId: string; goal: string }): Promise<string> {
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'codemonkey-patch-'));
  const parts: string[] = [];
  try {
    for (const rel of [...overlay.keys()].sort()) {
      const before = await readText(root, rel);
      const after = overlay.get(rel) as string;
      if (before === after) continue;
      const a = path.join(tmp, 'a');
      const b = path.join(tmp, 'b');
      if (before !== null) await fs.promises.writeFile(a, before);
      await fs.promises.writeFile(b, after);
      const diff = await git.diffFiles(before === null ? '/dev/null' : a, b, rel);
      if (diff.length > 0) parts.push(diff.endsWith('\n') ? diff : `${diff}\n`);
      await fs.promises.rm(a, { force: true });
    }
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, patchHeader(about) + parts.join(''));
  return file;
}
