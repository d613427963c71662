/**
 * The one place that writes to the terminal. Results go to stdout, everything else
 * (progress, logs, warnings, errors in human mode) to stderr. With --json exactly one
 * JSON document is written to stdout. Every string is passed through the redactor.
 */
import type { ChalkInstance } from 'chalk';
import { painter } from './paint.js';
import type { Redactor } from './redact.js';
import { UserError, isUserError, errorMessage } from './errors.js';
import { AS_INSTALLED, spell, type Invocation } from './invocation.js';
import { fitMessage } from './text.js';

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  color: boolean;
  /** Width of the terminal behind stderr: warnings, errors and hints are wrapped to it (undefined: not wrapped). */
  width?: number | undefined;
  /** How the user can run the CLI again (asked only when a text suggests a command); default: `statsig-hack`. */
  invocation?: () => Invocation;
}

export class Output {
  readonly c: ChalkInstance;
  private jsonWritten = false;
  private invocationCache: Invocation | null = null;

  constructor(
    readonly stdout: Writable,
    readonly stderr: Writable,
    readonly options: OutputOptions,
    private readonly redactor: Redactor,
  ) {
    this.c = painter(options.color && !options.json);
  }

  get json(): boolean {
    return this.options.json;
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** How suggested commands are spelled for this user (`npx statsig-hack` under npx), and the PATH note. */
  get cli(): Invocation {
    this.invocationCache ??= this.options.invocation?.() ?? AS_INSTALLED;
    return this.invocationCache;
  }

  /** Our own text with its suggested commands spelled as this user can run them (see `cli`). */
  spell(text: string): string {
    return text.includes('statsig-hack ') ? spell(text, this.cli) : text;
  }

  /** Human text to stdout. Ignored in --json mode (use `result`). */
  print(text = ''): void {
    if (this.options.json) return;
    this.stdout.write(this.redact(text.endsWith('\n') ? text : `${text}\n`));
  }

  /** The command's result: `data` as one JSON document with --json, else the human rendering. */
  result(data: unknown, human: () => string): void {
    if (this.options.json) {
      this.writeJson(data);
    } else {
      const text = human();
      if (text.length > 0) this.print(text);
    }
  }

  writeJson(data: unknown): void {
    if (this.jsonWritten) throw new Error('internal: a second JSON document was written to stdout');
    this.jsonWritten = true;
    this.stdout.write(`${this.redact(JSON.stringify(data, jsonReplacer, 2))}\n`);
  }

  info(text: string): void {
    if (this.options.quiet) return;
    // Each line the caller wrote keeps its own indentation; only the rest of a wrapped line is indented.
    const lines = this.redact(this.spell(text)).split('\n').map((line) => fitMessage(line, this.options.width, '', '  '));
    this.stderr.write(`${lines.join('\n')}\n`);
  }

  success(text: string): void {
    if (this.options.quiet) return;
    this.stderr.write(`${this.c.green('✓')} ${this.redact(text)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${fitMessage(this.redact(this.spell(text)), this.options.width, `${this.c.yellow('warning:')} `)}\n`);
  }

  debug(text: string): void {
    if (!this.options.debug) return;
    this.stderr.write(`${this.c.dim(`debug: ${this.redact(text)}`)}\n`);
  }

  /** Formats a failure. Returns the exit code. */
  failure(error: unknown): number {
    const user = isUserError(error);
    const message = user ? error.message : `unexpected error: ${errorMessage(error)}`;
    const raw = user ? error.hint : this.options.debug ? undefined : 'run with --debug for details';
    // A hint's commands are spelled as this user can run them (`npx statsig-hack …` under npx).
    const hint = raw === undefined ? undefined : this.spell(raw);
    const code = user ? error.code : 'INTERNAL';
    const exitCode = user ? error.exitCode : 1;
    if (this.options.json && !this.jsonWritten) {
      this.writeJson({ error: { message, hint: hint ?? null, code } });
    } else {
      this.stderr.write(`${fitMessage(this.redact(message), this.options.width, `${this.c.red('error:')} `)}\n`);
      if (hint) this.stderr.write(`${fitMessage(this.redact(hint), this.options.width, `  ${this.c.dim('hint:')} `)}\n`);
    }
    if (this.options.debug && error instanceof Error && error.stack) {
      this.stderr.write(`${this.redact(error.stack)}\n`);
      if (error.cause instanceof Error && error.cause.stack) this.stderr.write(`caused by: ${this.redact(error.cause.stack)}\n`);
    }
    return exitCode;
  }
}

/** JSON: bigint as number when safe (else string), non-finite numbers as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

export { UserError };
