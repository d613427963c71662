/**
 * The check command: the one command codemonkey runs besides git.
 *
 * It is parsed into argument arrays and started with `spawn` (no shell): quotes, backslash
 * escapes, leading `NAME=value` assignments and `&&` between steps are understood; pipes,
 * redirections, `;`, `||`, `$VAR` and command substitution are refused (put such steps in an
 * npm script). Each step runs in its own process group so a timeout or Ctrl-C stops the whole
 * tree. Secrets are removed from its environment (see `isSecretEnv`): it runs code the model wrote.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { stripControl } from '../../core/sanitize.js';
import type { ProcessAudit } from './git.js';

export interface CheckStep {
  argv: string[];
  env: Record<string, string>;
}

export type CheckSource = 'flag' | 'config' | 'detected';

export interface ResolvedCheck {
  command: string;
  source: CheckSource;
  steps: CheckStep[];
}

export interface CheckResult {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** Could not be started (e.g. the program does not exist). */
  spawnError: string | null;
  /** Combined stdout and stderr (head and tail kept when very long), ANSI colour removed. */
  output: string;
  durationMs: number;
  /** The step that failed (0-based), or null. */
  failedStep: number | null;
}

const UNSUPPORTED_HINT = 'put the steps in an npm script (e.g. "check": "tsc --noEmit && vitest run") and pass --check "npm run check"';

function unsupported(what: string, command: string): UsageError {
  return new UsageError(`--check: ${what} is not supported in "${command}" (the check runs without a shell)`, { hint: UNSUPPORTED_HINT, code: 'CHECK_UNSUPPORTED' });
}

/** Splits a check command into steps of argument arrays. Throws UsageError on shell features. */
export function parseCheckCommand(command: string): CheckStep[] {
  const steps: CheckStep[] = [];
  let words: string[] = [];
  let cur = '';
  let inWord = false;
  /** The word began with a quote: it cannot be a NAME=value assignment. */
  let startQuoted = false;
  const begin = (quoted: boolean): void => {
    if (!inWord) startQuoted = quoted;
    inWord = true;
  };
  const endWord = (): void => {
    if (inWord) words.push(startQuoted ? `\0Q${cur}` : cur);
    cur = '';
    inWord = false;
    startQuoted = false;
  };
  const endStep = (): void => {
    endWord();
    const env: Record<string, string> = {};
    while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) {
      const w = words.shift() as string;
      const eq = w.indexOf('=');
      env[w.slice(0, eq)] = w.slice(eq + 1);
    }
    const argv = words.map((w) => w.replace(/^\0Q/, ''));
    if (argv.length === 0) throw new UsageError(`--check: an empty step in "${command}"`, { hint: 'e.g. --check "npm test"', code: 'CHECK_EMPTY' });
    steps.push({ argv, env });
    words = [];
  };
  const text = command.trim();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`--check: unterminated quote in "${command}"`, { hint: 'close the quote', code: 'CHECK_PARSE' });
      begin(true);
      cur += text.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      begin(true);
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const c = text[j] as string;
        if (c === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1] as string)) {
          cur += text[j + 1];
          j++;
        } else if (c === '$' || c === '`') {
          throw unsupported('variable expansion and command substitution', command);
        } else {
          cur += c;
        }
      }
      if (j >= text.length) throw new UsageError(`--check: unterminated quote in "${command}"`, { hint: 'close the quote', code: 'CHECK_PARSE' });
      i = j;
    } else if (ch === '\\') {
      if (i + 1 >= text.length) throw new UsageError(`--check: a trailing backslash in "${command}"`, { hint: 'remove it', code: 'CHECK_PARSE' });
      begin(false);
      cur += text[i + 1];
      i++;
    } else if (/\s/.test(ch)) {
      endWord();
    } else if (ch === '&' && text[i + 1] === '&') {
      endStep();
      i++;
    } else if (ch === '|' || ch === ';' || ch === '&') {
      throw unsupported(ch === '|' ? (text[i + 1] === '|' ? '"||"' : 'a pipe ("|")') : `"${ch}"`, command);
    } else if (ch === '<' || ch === '>') {
      throw unsupported('redirection', command);
    } else if (ch === '$' || ch === '`') {
      throw unsupported('variable expansion and command substitution', command);
    } else if ((ch === '(' || ch === ')') && !inWord) {
      throw unsupported('a subshell', command);
    } else {
      begin(false);
      cur += ch;
    }
  }
  endStep();
  return steps;
}

/** The check command a repository suggests: npm test, npm run build, or tsc --noEmit. */
export function detectCheckCommand(root: string): string | null {
  const pkgFile = path.join(root, 'package.json');
  if (fs.existsSync(pkgFile)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, unknown> };
      const test = pkg.scripts?.test;
      if (typeof test === 'string' && test.trim() !== '' && !/no test specified/.test(test)) return 'npm test';
      const build = pkg.scripts?.build;
      if (typeof build === 'string' && build.trim() !== '') return 'npm run build';
    } catch {
      // An unreadable package.json: fall through to tsc.
    }
  }
  if (fs.existsSync(path.join(root, 'tsconfig.json'))) {
    return fs.existsSync(path.join(root, 'node_modules', '.bin', 'tsc')) ? 'node_modules/.bin/tsc --noEmit' : 'tsc --noEmit';
  }
  return null;
}

/** Repo-relative files named in the check command's arguments (they become protected). */
export function checkCommandFiles(root: string, steps: CheckStep[]): Set<string> {
  const out = new Set<string>();
  for (const s of steps) {
    for (const arg of s.argv) {
      const candidate = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg;
      if (candidate.length === 0 || candidate.startsWith('-')) continue;
      const abs = path.resolve(root, candidate);
      if (!abs.startsWith(root + path.sep)) continue;
      try {
        if (fs.statSync(abs).isFile()) out.add(path.relative(root, abs).split(path.sep).join('/'));
      } catch {
        // not a file
      }
    }
  }
  return out;
}

/**
 * Environment variables the check never sees (it runs code the model wrote):
 *  - by name: anything containing KEY, TOKEN, SECRET, PASSWORD/PASSWD/PWD, PASSPHRASE,
 *    CREDENTIAL, AUTH (not AUTHOR) or COOKIE (case-insensitive; PWD and OLDPWD are kept),
 *    and the model endpoint settings (OPENAI_BASE_URL);
 *  - by value: values that look like keys (sk-…, ghp_…, github_pat_…, xox?-…, AKIA…, AIza…,
 *    glpat-…, console-…, JWTs, PEM private keys, `Bearer …`) and URLs that carry credentials
 *    (`scheme://user:password@host`).
 */
const SECRET_NAME = /(?<!MON)KEY(?!BOARD|MAP)|TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|AUTH(?!OR)|COOKIE|(^|_)PWD$/i;
const KEEP_NAMES = new Set(['PWD', 'OLDPWD']);
const DROP_NAMES = new Set(['OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID']);
const SECRET_VALUES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/,
  /\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})/,
  /\bxox[abposr]-[A-Za-z0-9-]{8,}/,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{30,}/,
  /\bglpat-[A-Za-z0-9_-]{16,}/,
  /\b(console|secret|client)-[A-Za-z0-9_-]{16,}/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/i,
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i,
];

/** Whether an environment variable looks like it holds a secret (by its name or its value). */
export function isSecretEnv(name: string, value: string): boolean {
  if (DROP_NAMES.has(name.toUpperCase())) return true;
  if (!KEEP_NAMES.has(name.toUpperCase()) && SECRET_NAME.test(name)) return true;
  return SECRET_VALUES.some((r) => r.test(value));
}

/** The environment for the check (the user's, minus secrets) and the names withheld, sorted. */
export function scrubCheckEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; withheld: string[] } {
  const out: NodeJS.ProcessEnv = {};
  const withheld: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (isSecretEnv(k, v)) withheld.push(k);
    else out[k] = v;
  }
  out.NO_COLOR = '1';
  out.FORCE_COLOR = '0';
  return { env: out, withheld: withheld.sort() };
}

/** The environment for the check: the user's, minus API keys and other secrets. */
export function checkEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return scrubCheckEnv(env).env;
}

const HEAD_CHARS = 16_000;
const TAIL_CHARS = 64_000;

class OutputBuffer {
  private head = '';
  private tail = '';
  private dropped = 0;

  push(chunk: string): void {
    if (this.head.length < HEAD_CHARS) {
      const take = HEAD_CHARS - this.head.length;
      this.head += chunk.slice(0, take);
      chunk = chunk.slice(take);
    }
    if (chunk.length === 0) return;
    this.tail += chunk;
    if (this.tail.length > TAIL_CHARS * 2) {
      this.dropped += this.tail.length - TAIL_CHARS;
      this.tail = this.tail.slice(-TAIL_CHARS);
    }
  }

  text(): string {
    if (this.tail.length > TAIL_CHARS) {
      this.dropped += this.tail.length - TAIL_CHARS;
      this.tail = this.tail.slice(-TAIL_CHARS);
    }
    return this.dropped > 0 ? `${this.head}\n… (${this.dropped} characters left out) …\n${this.tail}` : this.head + this.tail;
  }
}

/** Check output without terminal escapes or control characters (it comes from code the model wrote). */
export function stripAnsi(text: string): string {
  return stripControl(text);
}

export interface RunCheckOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  audit?: ProcessAudit;
  /** Grace period between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

/** Runs the steps in order; stops at the first failure. Never throws for a failing check. */
export async function runCheck(steps: CheckStep[], options: RunCheckOptions): Promise<CheckResult> {
  const started = Date.now();
  const buffer = new OutputBuffer();
  const deadline = started + options.timeoutMs;
  for (const [index, step] of steps.entries()) {
    const r = await runStep(step, { ...options, timeoutMs: Math.max(1, deadline - Date.now()) }, buffer);
    if (!r.ok) {
      return { ...r, output: stripAnsi(buffer.text()), durationMs: Date.now() - started, failedStep: index };
    }
  }
  return { ok: true, exitCode: 0, signal: null, timedOut: false, aborted: false, spawnError: null, output: stripAnsi(buffer.text()), durationMs: Date.now() - started, failedStep: null };
}

type StepResult = Pick<CheckResult, 'ok' | 'exitCode' | 'signal' | 'timedOut' | 'aborted' | 'spawnError'>;

function runStep(step: CheckStep, options: RunCheckOptions, buffer: OutputBuffer): Promise<StepResult> {
  const [file, ...args] = step.argv as [string, ...string[]];
  options.audit?.record(file, args);
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ ok: false, exitCode: null, signal: null, timedOut: false, aborted: true, spawnError: null });
      return;
    }
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...options.env, ...step.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
      shell: false,
    });
    const killTree = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      killTree('SIGTERM');
      killTimer = setTimeout(() => killTree('SIGKILL'), options.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      buffer.push(`\n[codemonkey] the check timed out after ${Math.round(options.timeoutMs / 1000)} s and was stopped\n`);
      stop();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => buffer.push(c));
    child.stderr.on('data', (c: string) => buffer.push(c));
    const finish = (r: StepResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // The process group may still hold children (a test runner's workers): stop them too.
      if (!r.ok) killTree('SIGKILL');
      resolve(r);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `"${file}" was not found on PATH` : error.message;
      buffer.push(`[codemonkey] cannot start the check: ${why}\n`);
      finish({ ok: false, exitCode: null, signal: null, timedOut: false, aborted, spawnError: why });
    });
    child.on('close', (code, sig) => {
      const ok = code === 0 && !timedOut && !aborted;
      finish({ ok, exitCode: code, signal: sig, timedOut, aborted, spawnError: null });
    });
  });
}

/** The part of a check's output worth sending to the model: error lines first, then the tail. */
export function trimOutput(output: string, maxChars = 4000): string {
  const text = stripAnsi(output).replace(/\r\n/g, '\n').trim();
  if (text.length <= maxChars) return text;
  const lines = text.split('\n');
  const important: string[] = [];
  const seen = new Set<number>();
  for (const [i, l] of lines.entries()) {
    if (/error|fail|assert|expected|cannot|not found|exception|✗|×|TS\d{4}/i.test(l)) {
      important.push(l);
      seen.add(i);
      if (important.join('\n').length > maxChars / 2) break;
    }
  }
  const tail: string[] = [];
  let used = important.join('\n').length;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (seen.has(i)) continue;
    const l = lines[i] as string;
    if (used + l.length + 1 > maxChars) break;
    tail.unshift(l);
    used += l.length + 1;
  }
  return [...important, '…', ...tail].join('\n').slice(0, maxChars);
}

/** A fingerprint of a failure that ignores timings, numbers, hex ids and temp paths. */
export function failureSignature(result: Pick<CheckResult, 'exitCode' | 'timedOut' | 'spawnError' | 'output'>): string {
  const normalized = trimOutput(result.output, 8000)
    .replace(/\/(?:tmp|var\/folders|private)\/[^\s:'"]+/g, '<tmp>')
    .replace(/\b[0-9a-f]{7,40}\b/gi, '<hex>')
    .replace(/\d+(\.\d+)?\s*(ms|s|sec|seconds|m)\b/g, '<t>')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
  return createHash('sha1').update(`${result.exitCode}|${result.timedOut}|${result.spawnError ?? ''}|${normalized}`).digest('hex');
}

export function describeFailure(r: CheckResult): string {
  if (r.spawnError) return `the check could not start: ${r.spawnError}`;
  if (r.timedOut) return 'the check timed out';
  if (r.aborted) return 'the check was interrupted';
  if (r.signal) return `the check was killed by ${r.signal}`;
  return `the check failed (exit code ${r.exitCode ?? '?'})`;
}
