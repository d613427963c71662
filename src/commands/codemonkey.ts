/**
 * `statsig-hack codemonkey "<goal>"`: an LLM refactor loop that checks every change.
 * `codemonkey undo` resets a run's branch; `codemonkey report` prints the last run.
 * The work is done by src/ai/codemonkey/loop.ts; this file parses flags, wires Ctrl-C to an
 * AbortSignal, picks the chooser (ink in a TTY, the top option with --yes) and renders.
 */
import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import type { Config } from '../core/config.js';
import type { CommandContext } from '../core/context.js';
import { UsageError, UserError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import { oneLineSafe } from '../core/sanitize.js';
import { splitGlobList } from '../ai/codemonkey/glob.js';
import type { CodemonkeyEvent, Chooser } from '../ai/codemonkey/loop.js';

interface RunOptions {
  files?: string[];
  check?: string;
  checkTimeout: string;
  maxRetries: string;
  budgetUsd: string;
  maxFiles: string;
  yes?: boolean;
  dryRun?: boolean;
  patch?: string;
  branch?: string;
  allowDirty?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...splitGlobList(value)];

/** The `codemonkey` section of the config, read defensively (the config schema may not list it yet). */
export function codemonkeyConfig(config: Config): { check?: string; checkTimeoutMs?: number } {
  const raw = (config as Record<string, unknown>).codemonkey;
  if (!raw || typeof raw !== 'object') return {};
  const section = raw as Record<string, unknown>;
  return {
    ...(typeof section.check === 'string' && section.check.trim() !== '' ? { check: section.check } : {}),
    ...(typeof section.checkTimeoutMs === 'number' && section.checkTimeoutMs > 0 ? { checkTimeoutMs: section.checkTimeoutMs } : {}),
  };
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function progressLogger(ctx: CommandContext): (e: CodemonkeyEvent) => void {
  const c = ctx.out.c;
  return (e) => {
    switch (e.type) {
      case 'start':
        ctx.out.info(
          e.dryRun
            ? `codemonkey (dry run): ${e.files.length} file${e.files.length === 1 ? '' : 's'}; nothing will be written but a patch, and its edits will NOT be checked (no check runs)`
            : `codemonkey: ${e.files.length} file${e.files.length === 1 ? '' : 's'}, check: ${e.check ?? ''}\nbranch ${e.branch ?? ''} (from ${e.baseBranch ?? e.baseCommit.slice(0, 7)})`,
        );
        break;
      case 'baseline':
        ctx.out.info(`baseline check ${e.ok ? 'passed' : 'FAILED'} (${formatMs(e.durationMs)})`);
        break;
      case 'file':
        ctx.out.info(`[${e.position}/${e.total}] ${oneLineSafe(e.path)}`);
        break;
      case 'options':
        if (e.count > 0) ctx.out.info(`  ${e.count} option${e.count === 1 ? '' : 's'}`);
        break;
      case 'attempt':
        ctx.out.info(`  ${e.attempt === 1 ? 'applying' : `redo ${e.attempt - 1}:`} ${oneLineSafe(e.title)}`);
        break;
      case 'refused':
        ctx.out.info(`  ${c.yellow('edits refused:')} ${oneLineSafe((e.problems[0] ?? '').split('\n')[0] ?? '', 300)}${e.problems.length > 1 ? ` (+${e.problems.length - 1} more)` : ''}`);
        break;
      case 'check':
        ctx.out.info(`  check ${e.ok ? c.green('passed') : c.red((e.failure ?? 'failed').replace(/^the check /, ''))} (${formatMs(e.durationMs)})`);
        break;
      case 'file-done': {
        const f = e.file;
        if (f.status === 'committed') ctx.out.info(`  ${c.green('✓')} committed ${f.commit?.slice(0, 7) ?? ''}`);
        else if (f.status === 'proposed') ctx.out.info(`  ${c.cyan('~')} proposed (dry run, not checked)`);
        else if (f.status === 'failed') ctx.out.info(`  ${c.red('✗')} ${oneLineSafe(f.reason ?? 'failed')}${f.restored ? ' (restored)' : ''}`);
        else if (f.status === 'skipped') ctx.out.info(`  - ${oneLineSafe(f.reason ?? 'skipped')}`);
        break;
      }
      case 'warn':
        ctx.out.warn(oneLineSafe(e.message));
        break;
    }
  };
}

async function runAction(app: App, goal: string | undefined, opts: RunOptions, command: Command): Promise<void> {
  const ctx = await app.context(command);
  if (!goal || goal.trim() === '') {
    throw new UsageError('missing the goal', { hint: 'e.g. statsig-hack codemonkey "add JSDoc to exported functions" --yes', code: 'NO_GOAL' });
  }
  const maxRetries = parseNumber('--max-retries', opts.maxRetries, { min: 0, max: 20, integer: true, example: 2 });
  const budgetUsd = parseNumber('--budget-usd', opts.budgetUsd, { min: 0, exclusiveMin: true, example: 0.5 });
  const maxFiles = parseNumber('--max-files', opts.maxFiles, { min: 1, max: 10_000, integer: true, example: 20 });
  const cfg = codemonkeyConfig(ctx.config);
  const checkTimeoutMs =
    command.getOptionValueSource('checkTimeout') === 'cli' || cfg.checkTimeoutMs === undefined
      ? parseNumber('--check-timeout', opts.checkTimeout, { min: 0, exclusiveMin: true, example: 120 }) * 1000
      : cfg.checkTimeoutMs;
  if (opts.patch && !opts.dryRun) throw new UsageError('--patch goes with --dry-run', { hint: 'add --dry-run, or drop --patch', code: 'PATCH_WITHOUT_DRY_RUN' });
  // Every precondition before any work, the ones that need the least first: a bad --check,
  // no model, not a git repository, then a question that cannot be asked here.
  const { parseCheckCommand } = await import('../ai/codemonkey/check.js');
  if (opts.check !== undefined) parseCheckCommand(opts.check);
  if (!ctx.settings.llmConfigured) {
    throw new UserError('no model configured: codemonkey needs an OpenAI-compatible model endpoint', {
      hint: 'set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server (Ollama, vLLM, llama.cpp, LM Studio); codemonkey has no offline mode',
      code: 'NO_MODEL',
    });
  }
  const { repoRootOf } = await import('../ai/codemonkey/undo.js');
  await repoRootOf(ctx.cwd, ctx.env);
  if (!ctx.interactive && !opts.yes && !opts.dryRun) {
    throw new UsageError('codemonkey asks you to pick an option for each file, and this is not an interactive terminal', {
      hint: 'pass --yes to apply the top option for each file (or --dry-run to preview the changes as a patch)',
      code: 'NEEDS_YES',
    });
  }
  const { createLlmClientFor } = await import('../ai/llm.js');
  const { DEFAULT_PRICES } = await import('../ai/prices.js');
  const { runCodemonkey } = await import('../ai/codemonkey/loop.js');
  const { renderRun } = await import('../ui/codemonkey.js');
  const llm = createLlmClientFor(ctx);
  const check = opts.check !== undefined ? { command: opts.check, source: 'flag' as const } : cfg.check ? { command: cfg.check, source: 'config' as const } : null;
  // Ctrl-C, a closed terminal or a `kill` stop the run the same way: the work tree is restored
  // and the record ends with status "interrupted".
  const controller = new AbortController();
  let caught: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    caught = sig;
    if (sig === 'SIGHUP') {
      // The terminal is gone: writing to it fails (EIO), which must not stop the restore.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    } else {
      ctx.out.warn(`interrupted (${sig}): stopping and restoring the work tree…`);
    }
    controller.abort(sig === 'SIGINT' ? 'Ctrl-C' : sig);
  };
  let choose: Chooser | null = null;
  if (!opts.yes && ctx.interactive) {
    choose = async (req) => {
      const { selectOption } = await import('../ui/codemonkey-select.js');
      return selectOption(req, { stdin: ctx.io.stdin as NodeJS.ReadStream, stdout: ctx.io.stderr as NodeJS.WriteStream }, controller.signal);
    };
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  let outcome;
  try {
    outcome = await runCodemonkey({
      cwd: ctx.cwd,
      env: ctx.env,
      goal: goal.trim(),
      files: opts.files ?? [],
      check,
      checkTimeoutMs,
      maxRetries,
      budgetUsd,
      maxFiles,
      dryRun: Boolean(opts.dryRun),
      branch: opts.branch ?? null,
      allowDirty: Boolean(opts.allowDirty),
      patchFile: opts.patch ?? null,
      llm,
      prices: { ...DEFAULT_PRICES, ...ctx.config.llm?.prices },
      choose,
      signal: controller.signal,
      onEvent: progressLogger(ctx),
    });
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
  const record = outcome.record;
  ctx.out.result(record, () => renderRun(record, ctx.out.c, ctx.out.cli.command));
  if (record.status === 'interrupted') {
    const where = record.branch_kept && record.branch ? `; ${record.branch} is at its last green commit ${record.head_commit.slice(0, 7)}` : '';
    const exitCode = caught === 'SIGTERM' ? 143 : caught === 'SIGHUP' ? 129 : 130;
    throw new UserError(`interrupted: the work tree was restored${where}`, { hint: 'see `statsig-hack codemonkey report`; `codemonkey undo` drops the run', code: 'INTERRUPTED', exitCode });
  }
  if (outcome.error) throw outcome.error;
}

export function codemonkeyCommand(app: App): Command {
  const cmd = new Command('codemonkey')
    .description('LLM refactor loop: per file, options -> apply -> check -> commit each green change on a codemonkey/<slug> branch')
    .argument('[goal]', 'what to improve, e.g. "replace console.log with the logger"')
    .option('--files <globs>', "files to consider: comma-separated globs, repeatable, !glob excludes (default: every tracked file)", collect)
    .option('--check <command>', 'the command that must pass after each change (default: config codemonkey.check, else npm test / npm run build / tsc --noEmit)')
    .option('--check-timeout <seconds>', 'stop a check that runs longer than this', '300')
    .option('--max-retries <n>', 'redo requests per file after a failed check or refused edits', '3')
    .option('--budget-usd <usd>', 'stop before a model call that could take the spend past this', '2')
    .option('--max-files <n>', 'how many files to visit (the most relevant first)', '20')
    .option('-y, --yes', 'apply the top option for each file without asking (needed outside a terminal)')
    .option('--dry-run', 'change nothing: write the proposed changes to a patch file (its edits are NOT checked: no check runs)')
    .option('--patch <file>', 'with --dry-run: where to write the patch (default: .statsig-hack/codemonkey/runs/<run>.patch)')
    .option('--branch <name>', 'the branch to work on (default: codemonkey/<slug of the goal>)')
    .option('--allow-dirty', 'run with uncommitted changes (files with changes are left alone)')
    .addHelpText(
      'after',
      `
Safety: your branch is never written (work happens on codemonkey/<slug>); edits are checked before
they are written; a file that cannot be made green is restored byte for byte; the only command run
is the check command (without API keys in its environment); Ctrl-C restores the work tree.

Examples:
  $ statsig-hack codemonkey "add JSDoc to exported functions" --files 'src/**/*.ts' --check "npm test" --yes
  $ statsig-hack codemonkey "replace any with precise types" --dry-run --json
  $ statsig-hack codemonkey report
  $ statsig-hack codemonkey undo`,
    )
    .action((goal: string | undefined, opts: RunOptions, command: Command) => runAction(app, goal, opts, command));

  cmd
    .command('undo')
    .description("reset a run's branch to where the run began (and switch back to your branch)")
    .option('--branch <name>', 'the codemonkey branch to reset (default: the newest run)')
    .option('--run <id>', 'a run id from `codemonkey report`')
    .option('--force', 'reset even when commits were added to the branch after the run')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const o = command.optsWithGlobals<{ branch?: string; run?: string; force?: boolean }>();
      const { undoRun } = await import('../ai/codemonkey/undo.js');
      const { renderUndo } = await import('../ui/codemonkey.js');
      const result = await undoRun({ cwd: ctx.cwd, env: ctx.env, branch: o.branch ?? null, runId: o.run ?? null, force: Boolean(o.force) });
      ctx.out.result(result, () => renderUndo(result));
    });

  cmd
    .command('report')
    .description('print the last run: files changed, retries, failures, tokens, cost and time')
    .option('--run <id>', 'a specific run (default: the newest)')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const o = command.optsWithGlobals<{ run?: string }>();
      const { listRuns, readRun } = await import('../ai/codemonkey/store.js');
      const { repoRootOf } = await import('../ai/codemonkey/undo.js');
      const { renderReport } = await import('../ui/codemonkey.js');
      const root = await repoRootOf(ctx.cwd, ctx.env);
      const run = await readRun(root, o.run);
      const older = (await listRuns(root)).length - 1;
      ctx.out.result(run, () => renderReport(run, older, ctx.out.c));
    });

  return cmd;
}
