/**
 * Builds the commander program, registers every command, and holds the single top-level
 * error handler. `run` returns the exit code; only bin/statsig-hack.js touches process.exit.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { buildContext, makeOutput, type CliIO, type CommandContext, type ContextOptions, type GlobalOptions } from './core/context.js';
import { Redactor } from './core/redact.js';
import { UsageError } from './core/errors.js';
import type { Output } from './core/output.js';
import { COMMANDS } from './commands/index.js';
import { queryObserver } from './store/observer.js';
import { JobScope, commandPath } from './observe/jobs/scope.js';

export interface App {
  /** Builds the command context (config loaded once per run). */
  context(command: Command, options?: ContextOptions): Promise<CommandContext>;
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

export function createProgram(io: CliIO, app: App): Command {
  const program = new Command('statsig-hack');
  program
    .description('Experimentation toolkit: analyze A/B tests with CUPED/CUPAC on DuckDB, seed projects, forecast and drill into metrics, propose and refactor with a model.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--json', 'machine output: one JSON document on stdout, logs on stderr')
    .option('--debug', 'show stack traces and debug logs')
    .option('-q, --quiet', 'no progress or info logs')
    .option('--no-color', 'disable colour')
    .option('--config <file>', 'config file (default: search for statsig-hack.config.* / .statsig-hackrc*)')
    .option('--db <path>', 'project store (default: .statsig-hack/project.duckdb)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {
        /* formatted by run() */
      },
    })
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack demo                         seed an offline project, analyze it, compare with the planted truth
  $ statsig-hack seed "a tech company run by villains" --users 50000
  $ statsig-hack analyze --data exp.csv --unit user_id --group variant --metric revenue --covariates pre_revenue
  $ statsig-hack forecast --metric dau --by country --horizon 30
  $ statsig-hack whatchanged --metric purchase --agg sum --baseline 2026-10-01..2026-10-07 --current 2026-10-08..2026-10-14
  $ statsig-hack ideas https://example.com --offline
  $ statsig-hack codemonkey "add JSDoc to exported functions" --check "npm test"
  $ statsig-hack doctor                       check Node, the store, the browser and the model`,
    );
  for (const make of COMMANDS) {
    const cmd = make(app);
    cmd.copyInheritedSettings(program);
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the CLI in-process. Returns the exit code. */
export async function run(argv: string[], ioOverride?: Partial<CliIO>): Promise<number> {
  const io: CliIO = {
    stdout: ioOverride?.stdout ?? process.stdout,
    stderr: ioOverride?.stderr ?? process.stderr,
    stdin: ioOverride?.stdin ?? process.stdin,
    cwd: ioOverride?.cwd ?? process.cwd(),
    env: ioOverride?.env ?? process.env,
  };
  const redactor = Redactor.fromEnv(io.env);
  // Global flags are looked at before parsing, so that parse errors honour --json and --debug.
  const early: GlobalOptions = {
    json: argv.includes('--json'),
    debug: argv.includes('--debug'),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    color: argv.includes('--no-color') ? false : undefined,
  };
  let out: Output = makeOutput(io, early, redactor);
  let ctx: CommandContext | undefined;
  const jobs = new JobScope(); // the job log of this run: every store query, see src/observe/jobs
  const app: App = {
    async context(command, options) {
      if (!ctx) {
        out = makeOutput(io, command.optsWithGlobals<GlobalOptions>(), redactor);
        ctx = await buildContext(io, command, out, redactor, options);
        jobs.describe(commandPath(command), command.opts(), ctx.settings.db.value, ctx.config.jobs?.enabled !== false);
      }
      return ctx;
    },
  };
  const program = createProgram(io, app);
  try {
    await queryObserver.run(jobs, () => program.parseAsync(argv, { from: 'user' }));
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      const message = error.message.replace(/^error: /, '');
      return out.failure(new UsageError(message, { hint: 'run with --help to see the usage' }));
    }
    return out.failure(error);
  } finally {
    jobs.flush();
  }
}
