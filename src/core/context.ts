/**
 * The context a command handler receives instead of reading globals: where it runs, its
 * env, the output, resolved settings and config, and whether it may be interactive.
 */
import type { Command } from 'commander';
import { Output, type Writable } from './output.js';
import type { Redactor } from './redact.js';
import { isInteractive, useColor, type StreamInfo } from './tty.js';
import { loadConfig, resolveSettings, type Config, type Settings } from './config.js';
import { createProgress, type Progress } from './progress.js';

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
  }, redactor);
}

export async function buildContext(io: CliIO, command: Command, out: Output, redactor: Redactor): Promise<CommandContext> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const loaded = await loadConfig(io.cwd, globals.config);
  const settings = resolveSettings(io.cwd, { db: globals.db }, io.env, loaded.config);
  const interactive = isInteractive(io.stdin, io.stderr, io.env) && !globals.json;
  return {
    io,
    cwd: io.cwd,
    env: io.env,
    out,
    config: loaded.config,
    configPath: loaded.filepath,
    settings,
    interactive,
    redactor,
    progress: () => createProgress(io.stderr, { interactive, quiet: Boolean(globals.quiet) }),
  };
}
