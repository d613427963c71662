/**
 * The context a command handler receives instead of reading globals: where it runs, its
 * env, the output, resolved settings and config, and whether it may be interactive.
 */
import type { Command } from 'commander';
import { Output, type Writable } from './output.js';
import type { Redactor } from './redact.js';
import { isInteractive, useColor, type StreamInfo } from './tty.js';
import { terminalWidth } from './text.js';
import { loadConfig, resolveSettings, type Config, type LoadedConfig, type Settings } from './config.js';
import { UserError } from './errors.js';
import { invocation } from './invocation.js';
import type { Progress } from './progress.js';

/** What a command factory receives: builds the command context (config loaded once per run). */
export interface App {
  context(command: Command, options?: ContextOptions): Promise<CommandContext>;
  /** The job log of this run goes with `db` rather than the --db store (`demo` writes its own store). */
  logJobsTo?(db: string): void;
}

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: StreamInfo;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
  color?: boolean;
  config?: string;
  db?: string;
}

export interface CommandContext {
  io: CliIO;
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: Output;
  config: Config;
  configPath: string | null;
  /** Set only for commands that asked to tolerate a bad config file (doctor): what was wrong. */
  configError: UserError | null;
  settings: Settings;
  interactive: boolean;
  redactor: Redactor;
  progress(): Promise<Progress>;
}

/** Builds an Output from global flags alone (used before config is loaded and for errors). */
export function makeOutput(io: CliIO, globals: GlobalOptions, redactor: Redactor): Output {
  return new Output(io.stdout, io.stderr, {
    json: Boolean(globals.json),
    quiet: Boolean(globals.quiet),
    debug: Boolean(globals.debug),
    color: useColor(io.stderr, io.env, globals.color),
    width: terminalWidth(io.stderr, io.env),
    invocation: () => invocation(io.env, { cwd: io.cwd }),
  }, redactor);
}

export interface ContextOptions {
  /** Use defaults instead of failing when the config file is invalid (the error is kept in configError). */
  tolerateConfigError?: boolean;
}

export async function buildContext(io: CliIO, command: Command, out: Output, redactor: Redactor, options: ContextOptions = {}): Promise<CommandContext> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  let loaded: LoadedConfig;
  let configError: UserError | null = null;
  try {
    loaded = await loadConfig(io.cwd, globals.config);
  } catch (error) {
    if (!options.tolerateConfigError || !(error instanceof UserError)) throw error;
    configError = error;
    loaded = { config: {}, filepath: null };
  }
  const settings = resolveSettings(io.cwd, { db: globals.db }, io.env, loaded.config);
  const interactive = isInteractive(io.stdin, io.stderr, io.env) && !globals.json;
  return {
    io,
    cwd: io.cwd,
    env: io.env,
    out,
    config: loaded.config,
    configPath: loaded.filepath,
    configError,
    settings,
    interactive,
    redactor,
    // The progress module (and the formatting it uses) loads with the first command that reports progress.
    progress: async () => (await import('./progress.js')).createProgress(io.stderr, { interactive, quiet: Boolean(globals.quiet) }),
  };
}
