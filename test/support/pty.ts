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
  /** The terminal as a user sees it now: a small VT100 emulation of the output at cols x rows. */
  screen(): Screen;
  kill(): void;
}

export interface Screen {
  /** The visible rows, right-trimmed. */
  rows: string[];
  /** Rows scrolled off the top, oldest first. */
  scrollback: string[];
  /** How many times text ran past the last column and the terminal wrapped it (0: nothing wrapped). */
  wraps: number;
  /** Cursor position (0-based). */
  cursor: { row: number; col: number };
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

/**
 * Replays raw output on a cols x rows terminal: printable text with autowrap, CR, LF (scrolling
 * into the scrollback), backspace, tab, cursor moves (CSI A B C D E F G H f d), erase in line and
 * display (K, J). Colours and modes are ignored. Enough for ink, prompts and plain output.
 */
export function emulate(raw: string, cols: number, rows: number): Screen {
  const blank = (): string[] => new Array<string>(cols).fill(' ');
  let grid = Array.from({ length: rows }, blank);
  const scrollback: string[] = [];
  let r = 0;
  let c = 0;
  let wraps = 0;
  let pendingWrap = false;
  const lineFeed = (): void => {
    if (r === rows - 1) {
      scrollback.push((grid.shift() ?? []).join('').trimEnd());
      grid.push(blank());
    } else r += 1;
  };
  const clamp = (): void => {
    r = Math.max(0, Math.min(rows - 1, r));
    c = Math.max(0, Math.min(cols - 1, c));
  };
  // eslint-disable-next-line no-control-regex -- a terminal emulator reads control characters
  const token = /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\s\S]/gu;
  for (const m of raw.matchAll(token)) {
    const t = m[0];
    if (m[3] !== undefined) {
      if ((m[1] ?? '').startsWith('?') || m[2]) continue;
      const args = (m[1] ?? '').split(';').map((x) => (x === '' ? NaN : Number(x)));
      const n = Number.isNaN(args[0] ?? NaN) ? 1 : (args[0] as number);
      pendingWrap = false;
      switch (m[3]) {
        case 'A': r -= n; break;
        case 'B': r += n; break;
        case 'C': c += n; break;
        case 'D': c -= n; break;
        case 'E': r += n; c = 0; break;
        case 'F': r -= n; c = 0; break;
        case 'G': c = n - 1; break;
        case 'd': r = n - 1; break;
        case 'H':
        case 'f': r = n - 1; c = (Number.isNaN(args[1] ?? NaN) ? 1 : (args[1] as number)) - 1; break;
        case 'K': {
          const mode = Number.isNaN(args[0] ?? NaN) ? 0 : args[0];
          const line = grid[r] as string[];
          for (let i = mode === 0 ? c : 0; i < (mode === 1 ? c + 1 : cols); i += 1) line[i] = ' ';
          break;
        }
        case 'J': {
          const mode = Number.isNaN(args[0] ?? NaN) ? 0 : args[0];
          if (mode === 2 || mode === 3) grid = Array.from({ length: rows }, blank);
          else if (mode === 0) {
            const line = grid[r] as string[];
            for (let i = c; i < cols; i += 1) line[i] = ' ';
            for (let i = r + 1; i < rows; i += 1) grid[i] = blank();
          }
          break;
        }
        default: break;
      }
      clamp();
      continue;
    }
    if (t.startsWith('\x1b')) continue;
    if (t === '\r') { c = 0; pendingWrap = false; continue; }
    if (t === '\n') { lineFeed(); pendingWrap = false; continue; }
    if (t === '\b') { c = Math.max(0, c - 1); pendingWrap = false; continue; }
    if (t === '\t') { c = Math.min(cols - 1, (Math.floor(c / 8) + 1) * 8); continue; }
    if (t < ' ' || t === '\x7f') continue;
    if (pendingWrap) {
      wraps += 1;
      c = 0;
      lineFeed();
      pendingWrap = false;
    }
    (grid[r] as string[])[c] = t;
    if (c === cols - 1) pendingWrap = true;
    else c += 1;
  }
  return { rows: grid.map((l) => l.join('').trimEnd()), scrollback, wraps, cursor: { row: r, col: c } };
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
    screen: () => emulate(buf, cols, rows),
    kill() {
      child.kill('SIGTERM');
    },
  };
}
