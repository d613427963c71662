/**
 * Runs the built CLI (bin/statsig-hack.js) under a real pseudo-terminal of a given size, so a
 * test sees what a user in a terminal sees: the TTY code paths (ink views, prompts, colour,
 * width) rather than the piped ones. No native npm dependency: a tiny inline python3 script
 * (the standard `pty` module) owns the terminal and relays bytes both ways.
 *
 *   const t = spawnPty(['demo', '--users', '2000'], { cwd, cols: 100, rows: 30 });
 *   await t.waitFor('The planted effect');
 *   t.send('q');
 *   const code = await t.exit;
 *   t.output();      // everything written, ANSI stripped
 *   t.lines();       // drawn line segments (split on newlines, carriage returns and cursor moves)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/statsig-hack.js');

// argv: cols rows prog args... The child sets its own window size before exec, so the CLI reads
// the right `columns` from its first line of code; the parent relays stdin -> pty -> stdout.
const RELAY = String.raw`
import os, pty, sys, select, struct, fcntl, termios, signal
cols, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(argv[0], argv)
def forward(sig, _):
    try: os.kill(pid, sig)
    except ProcessLookupError: pass
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
inputs = [fd, 0]
while True:
    try:
        ready, _, _ = select.select(inputs, [], [])
    except InterruptedError:
        continue
    if 0 in ready:
        data = os.read(0, 4096)
        if data: os.write(fd, data)
        else: inputs.remove(0)
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data: break
        sys.stdout.buffer.write(data); sys.stdout.buffer.flush()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else (status >> 8))
`;

export interface PtyOptions {
  cwd: string;
  cols?: number;
  rows?: number;
  /** Extra env on top of a clean one (PATH, HOME, TERM; no CI, no FORCE_COLOR). */
  env?: NodeJS.ProcessEnv;
  /** Kill the run after this many ms (default 120 s). */
  timeoutMs?: number;
}

export interface PtyRun {
  readonly child: ChildProcess;
  readonly cols: number;
  readonly rows: number;
  /** Resolves with the CLI's exit code once it has ended. */
  readonly exit: Promise<number>;
  /** Types keys into the terminal (use KEYS for arrows, enter, ...). */
  send(keys: string): void;
  /** Waits until the (ANSI-stripped) output contains `text` or matches it. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Everything written so far, raw (with escape sequences). */
  raw(): string;
  /** Everything written so far, ANSI stripped, CRLF as LF. */
  output(): string;
  /** What was drawn, as line segments: split on newlines, carriage returns and cursor moves. */
  lines(): string[];
  kill(): void;
}

export const KEYS = { up: '\x1b[A', down: '\x1b[B', right: '\x1b[C', left: '\x1b[D', enter: '\r', escape: '\x1b', ctrlC: '\x03', space: ' ' } as const;

// CSI sequences, OSC sequences, and two-byte escapes.
// eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// Sequences that move the cursor or erase: the text after them starts a new drawn segment.
// eslint-disable-next-line no-control-regex -- as above
const MOVES = /\x1b\[[0-9;]*[ABEFGHJKf]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Visible segments of raw terminal output, each as wide as it was drawn. */
export function drawnLines(raw: string): string[] {
  return raw
    .replace(MOVES, '\n')
    .split(/\r\n|\r|\n/)
    .map(stripAnsi);
}

export function spawnPty(args: string[], options: PtyOptions): PtyRun {
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 30;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...options.env };
  const child = spawn('python3', ['-c', RELAY, String(cols), String(rows), process.execPath, BIN, ...args], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buf = '';
  let errText = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    for (const w of [...waiters]) w();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    errText += d;
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 120_000);
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.end();
      for (const w of [...waiters]) w();
      if (code === null) reject(new Error(`pty run killed by ${signal}; relay stderr: ${errText}\n${stripAnsi(buf).slice(-2000)}`));
      else resolve(code);
    });
  });
  exit.catch(() => {});
  let ended = false;
  void exit.finally(() => {
    ended = true;
  });
  const output = (): string => stripAnsi(buf).replace(/\r\n/g, '\n');
  return {
    child,
    cols,
    rows,
    exit,
    send(keys) {
      child.stdin?.write(keys);
    },
    waitFor(text, timeoutMs = 60_000) {
      const found = (): boolean => (typeof text === 'string' ? output().includes(text) : text.test(output()));
      return new Promise<void>((resolve, reject) => {
        if (found()) return resolve();
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(text)}; output so far:\n${output().slice(-3000)}`));
        }, timeoutMs);
        const check = (): void => {
          if (found()) {
            clearTimeout(t);
            waiters.delete(check);
            resolve();
          } else if (ended || child.exitCode !== null) {
            clearTimeout(t);
            waiters.delete(check);
            reject(new Error(`the CLI ended before ${String(text)} appeared; output:\n${output().slice(-3000)}`));
          }
        };
        waiters.add(check);
      });
    },
    raw: () => buf,
    output,
    lines: () => drawnLines(buf),
    kill() {
      child.kill('SIGTERM');
    },
  };
}
