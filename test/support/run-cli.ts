/** In-process CLI runs with captured stdout, stderr and exit code. */
import { run } from '../../src/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws when it is not). */
  json<T = any>(): T;  
}

class Capture {
  text = '';
  isTTY: boolean;
  columns = 100;
  constructor(isTTY = false) {
    this.isTTY = isTTY;
  }
  rows = 40;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  // Enough of a stream for ink to draw on a fake TTY.
  on(): this {
    return this;
  }
  off(): this {
    return this;
  }
  once(): this {
    return this;
  }
  removeListener(): this {
    return this;
  }
}

export interface RunCliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  tty?: boolean;
}

/** A clean env: no user keys leak in from the machine running the tests. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FORCE_COLOR: '0', ...extra };
}

export async function runCli(argv: string[], options: RunCliOptions): Promise<CliResult> {
  const stdout = new Capture(options.tty);
  const stderr = new Capture(options.tty);
  const code = await run(argv, {
    stdout,
    stderr,
    stdin: { isTTY: options.tty ?? false },
    cwd: options.cwd,
    env: options.env ?? baseEnv(),
  });
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    json() {
      return JSON.parse(stdout.text);
    },
  };
}
