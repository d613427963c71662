/**
 * Builds the commander program, registers the commands a run needs, and holds the single
 * top-level error handler. `run` returns the exit code; only bin/statsig-hack.js touches
 * process.exit.
 *
 * Start-up: a run loads only the module of the command it names (see commands/index.ts); the
 * config schema (zod) only when a config file exists; DuckDB, ink, openai and playwright only
 * inside the commands that use them.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Help } from './core/commander.js';
import type { App, CliIO, CommandContext, GlobalOptions } from './core/context.js';
import { fitHelp, terminalWidth } from './core/text.js';
import type { Output } from './core/output.js';
import type { Redactor } from './core/redact.js';
import { COMMANDS, loadCommands, type CommandFactory } from './commands/index.js';
import type { ManifestEntry } from './commands/manifest.js';
import type { JobScope } from './observe/jobs/scope.js';
import type { StoreStamp } from './store/status-cache.js';

export type { App } from './core/context.js';

interface PackageInfo {
  name: string;
  version: string;
}

function packageInfo(): PackageInfo {
  const require = createRequire(import.meta.url);
  const pkg = require('../package.json') as PackageInfo;
  return { name: pkg.name, version: pkg.version };
}

/** Global options that take a value: the token after them is not a command name. */
const GLOBAL_VALUE_OPTIONS = new Set(['--config', '--db']);

/** The subcommand named on the command line (the first word that is not a global option), if any. */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--') return undefined;
    if (GLOBAL_VALUE_OPTIONS.has(a)) {
      i += 1;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** `-V` (the old spelling) means `-v`, the version, wherever commander looks for it. */
function normalizeArgv(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '-V' && (end === -1 || i < end) ? '-v' : a));
}

export interface ProgramOptions {
  /** Print the version as a JSON document. */
  json?: boolean;
  /** List these commands (from the build's manifest) instead of loading every module: top-level help only. */
  listed?: readonly ManifestEntry[];
}

/** The program's exit override and output reach every command, nested subcommands too (`serve keys create`). */
function inheritSettings(cmd: Command, parent: Command): void {
  cmd.copyInheritedSettings(parent);
  for (const sub of cmd.commands) inheritSettings(sub, cmd);
}

export function createProgram(io: CliIO, app: App, factories: readonly CommandFactory[], options: ProgramOptions = {}): Command {
  const pkg = packageInfo();
  const program = new Command('statsig-hack');
  program
    .description('Experimentation toolkit: analyze A/B tests with CUPED/CUPAC on DuckDB, seed projects, forecast and drill into metrics, propose and refactor with a model.')
    // With --json the version is a JSON document like every other --json answer.
    .version(options.json ? JSON.stringify(pkg) : pkg.version, '-v, --version', 'print the version (-V works too)')
    .option('--json', 'machine output: one JSON document on stdout, logs on stderr')
    .option('--debug', 'show stack traces and debug logs')
    .option('-q, --quiet', 'no progress or info logs')
    .option('--no-color', 'disable colour')
    .option('--config <file>', 'config file (default: search for statsig-hack.config.* / .statsig-hackrc*)')
    .option('--db <path>', 'project store (default: .statsig-hack/project.duckdb)')
    .showSuggestionAfterError(true)
    // Each subcommand's --help lists these global flags too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      // Help fits the terminal (80 columns off a terminal, as commander wraps its own text): prose is
      // reflowed and a too-wide example breaks before its flags, so nothing wraps mid-word.
      writeOut: (s) => io.stdout.write(fitHelp(s, terminalWidth(io.stdout, io.env) ?? 80)),
      writeErr: (s) => io.stderr.write(s),
      // commander wraps at the width of the streams this run writes to (not process.stdout's); 80 off a terminal.
      getOutHelpWidth: () => (io.stdout.isTTY && io.stdout.columns ? io.stdout.columns : 80),
      getErrHelpWidth: () => (io.stderr.isTTY && io.stderr.columns ? io.stderr.columns : 80),
      outputError: () => {
        /* formatted by run() */
      },
    })
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack demo                  seed an offline project, analyze it, compare with the truth
  $ statsig-hack seed "a tech company run by villains" --users 50000
  $ statsig-hack analyze --data exp.csv --unit user_id --group variant --metric revenue --covariates pre_revenue
  $ statsig-hack forecast --metric dau --by country --horizon 30
  $ statsig-hack whatchanged --metric purchase --agg sum --baseline 2026-10-01..2026-10-07 --current 2026-10-08..2026-10-14
  $ statsig-hack ideas https://example.com --offline
  $ statsig-hack codemonkey "add JSDoc to exported functions" --check "npm test"
  $ statsig-hack doctor                check Node, the store, the browser and the model
  $ statsig-hack completion bash       shell completions (bash, zsh, fish)`,
    );
  for (const make of factories) {
    const cmd = make(app);
    inheritSettings(cmd, program);
    program.addCommand(cmd);
  }
  if (options.listed) {
    const terms = new Map(options.listed.map((m) => [m.name, m.term]));
    program.configureHelp({
      showGlobalOptions: true,
      subcommandTerm(this: Help, cmd: Command): string {
        return terms.get(cmd.name()) ?? Help.prototype.subcommandTerm.call(this, cmd);
      },
    });
    for (const m of options.listed) program.addCommand(new Command(m.name).description(m.description));
  }
  return program;
}

/** Runs the CLI in-process. Returns the exit code. */
export async function run(argvIn: string[], ioOverride?: Partial<CliIO>): Promise<number> {
  let cwd: string;
  try {
    cwd = ioOverride?.cwd ?? process.cwd();
  } catch {
    // The shell's folder was deleted under it: one line, no stack.
    (ioOverride?.stderr ?? process.stderr).write('error: the current folder no longer exists\n  hint: cd into an existing folder and run again\n');
    return 1;
  }
  const io: CliIO = {
    stdout: ioOverride?.stdout ?? process.stdout,
    stderr: ioOverride?.stderr ?? process.stderr,
    stdin: ioOverride?.stdin ?? process.stdin,
    cwd,
    env: ioOverride?.env ?? process.env,
  };
  const argv = normalizeArgv(argvIn);
  // Global flags are looked at before parsing, so that parse errors honour --json and --debug.
  const early: GlobalOptions = {
    json: argv.includes('--json'),
    debug: argv.includes('--debug'),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    color: argv.includes('--no-color') ? false : undefined,
  };
  // The output (chalk, the redactor) and the context load with the first command that needs them,
  // or with an error: --help and --version never do.
  let out: Output | undefined;
  let ctx: CommandContext | undefined;
  let redactor: Redactor | undefined;
  let jobs: JobScope | undefined; // the job log of this run (every store query, see src/observe/jobs), once a command runs
  let storeBefore: { db: string; stamp: StoreStamp | null } | undefined; // the store as the command found it
  let described: { path: string; opts: Record<string, unknown> } | undefined; // the command the job log describes
  const output = async (globals: GlobalOptions): Promise<Output> => {
    const [{ makeOutput }, { Redactor }, { useColor }] = await Promise.all([import('./core/context.js'), import('./core/redact.js'), import('./core/tty.js')]);
    // chalk loads only when a stream may be coloured (a pipe, CI, NO_COLOR and --no-color never pay for it).
    if (useColor(io.stdout, io.env, globals.color) || useColor(io.stderr, io.env, globals.color)) await (await import('./core/paint.js')).loadColor();
    redactor ??= Redactor.fromEnv(io.env);
    return makeOutput(io, globals, redactor);
  };
  const app: App = {
    async context(command, options) {
      if (!ctx) {
        out = await output(command.optsWithGlobals<GlobalOptions>());
        const { buildContext } = await import('./core/context.js');
        ctx = await buildContext(io, command, out, redactor as Redactor, options);
        const { commandPath } = await import('./observe/jobs/scope.js');
        described = { path: commandPath(command), opts: command.opts() };
        jobs?.describe(described.path, described.opts, ctx.settings.db.value, ctx.config.jobs ?? {});
        const { storeStamp } = await import('./store/status-cache.js');
        storeBefore = { db: ctx.settings.db.value, stamp: storeStamp(ctx.settings.db.value) };
      }
      return ctx;
    },
    logJobsTo(db) {
      if (ctx && described) jobs?.describe(described.path, described.opts, db, ctx.config.jobs ?? {});
    },
  };
  const fail = async (error: unknown): Promise<number> => (out ?? (await output(early))).failure(error);
  try {
    const named = commandName(argv);
    // `statsig-hack --help status` is the top-level help: commander reads flags before the command.
    const helpAt = argv.findIndex((a) => a === '-h' || a === '--help');
    const name = named !== undefined && helpAt !== -1 && helpAt < argv.indexOf(named) ? undefined : named;
    // A bare --version needs no command at all; --help, `help` and typos need every one.
    const versionOnly = name === undefined && (argv.includes('-v') || argv.includes('--version')) && !argv.includes('--help') && !argv.includes('-h');
    // The top-level help lists the commands from the build's manifest when it is fresh.
    const listed = name === undefined && !versionOnly ? (await import('./commands/manifest.js')).readManifest() : null;
    const factories = versionOnly || listed ? [] : await loadCommands(COMMANDS, name === 'help' ? undefined : name);
    const program = createProgram(io, app, factories, { json: early.json, ...(listed ? { listed } : {}) });
    if (factories.length === 0) {
      await program.parseAsync(argv, { from: 'user' }); // help or version: no command runs, no job log
    } else {
      // The job-log modules load only when a command may run.
      const [{ queryObserver }, { JobScope }] = await Promise.all([import('./store/observer.js'), import('./observe/jobs/scope.js')]);
      jobs = new JobScope();
      const scope = jobs;
      await queryObserver.run(scope, () => program.parseAsync(argv, { from: 'user' }));
      if (storeBefore && name !== 'status') await keepStatusSummary(storeBefore.db, storeBefore.stamp);
    }
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      const message = error.message.replace(/^error: /, '');
      const { UsageError, withChoiceSuggestion } = await import('./core/errors.js'); // errors load only when there is one
      return fail(new UsageError(withChoiceSuggestion(message), { hint: 'run with --help to see the usage' }));
    }
    const { UserError } = await import('./core/errors.js');
    if (error instanceof UserError && error.code === 'STORE_MISSING') {
      const { storeMissingHint } = await import('./core/config.js');
      return fail(storeMissingHint(error, io.cwd, argvIn, ctx?.settings.db.source));
    }
    return fail(error);
  } finally {
    jobs?.flush();
  }
}

/**
 * After a command that changed the store (seed, demo, import, init, push, jobs, ...), the summary
 * `status` shows is read once more and kept beside the store (store/status.ts): the next `status`
 * then needs no DuckDB. One read-only query (~30 ms), only when the store's stamp moved; outside
 * the job log's scope, so it is not logged as the command's query. Never throws.
 */
async function keepStatusSummary(db: string, before: StoreStamp | null): Promise<void> {
  try {
    const { storeStamp, sameStamp } = await import('./store/status-cache.js');
    const now = storeStamp(db);
    if (!now || (before && sameStamp(before, now))) return;
    await (await import('./store/status.js')).quickStoreStatus(db);
  } catch {
    // a summary that cannot be kept is read by the next `status`
  }
}
