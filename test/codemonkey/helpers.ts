/** Temp git repos from the codemonkey fixture, scripted model replies and git probes. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { RecordedRequest, Reply } from '../support/openai-server.js';
import { tmpDir } from '../support/tmp.js';

export const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/codemonkey');
export const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).trim();
}

/** A fresh git repo holding the fixture project (plus `extra` files), committed on main. */
export function makeRepo(extra: Record<string, string> = {}): string {
  const dir = fs.realpathSync(tmpDir('cm-repo-'));
  fs.cpSync(FIXTURE, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}dist`) });
  for (const [rel, content] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test User');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

export function read(dir: string, rel: string): string {
  return fs.readFileSync(path.join(dir, rel), 'utf8');
}

export function status(dir: string): string {
  return git(dir, 'status', '--porcelain', '--untracked-files=all');
}

export function branches(dir: string): string[] {
  return git(dir, 'branch', '--format=%(refname:short)').split('\n').filter((b) => b.length > 0).sort();
}

export interface EditSpec {
  path?: string | null;
  search: string;
  replace: string;
}

export interface OptionSpec {
  title: string;
  rationale?: string;
  risk?: 'low' | 'medium' | 'high';
  shrinks?: boolean;
  edits: EditSpec[];
}

function option(o: OptionSpec) {
  return {
    title: o.title,
    rationale: o.rationale ?? `because ${o.title.toLowerCase()}`,
    risk: o.risk ?? 'low',
    shrinks: o.shrinks ?? false,
    edits: o.edits.map((e) => ({ path: e.path ?? null, search: e.search, replace: e.replace })),
  };
}

/** A reply with 0-3 options (the first request per file). */
export function options(list: OptionSpec[], extra: Partial<Reply> = {}): Reply {
  return { json: { options: list.map(option) }, ...extra };
}

/** A redo reply: one corrected option, or null (give up). */
export function redo(o: OptionSpec | null, reason: string | null = null, extra: Partial<Reply> = {}): Reply {
  return { json: { option: o ? option(o) : null, reason }, ...extra };
}

/** The file a request is about (from the prompt's "File <path> (N lines)" line). */
export function fileOf(req: RecordedRequest): string | null {
  const messages = (req.body?.messages ?? []) as { role: string; content: string }[];
  for (const m of messages) {
    const hit = /^File (\S+) \(\d+ lines\)/m.exec(typeof m.content === 'string' ? m.content : '');
    if (hit) return hit[1] ?? null;
  }
  return null;
}

/** The last user message of a request. */
export function lastUser(req: RecordedRequest | undefined): string {
  const messages = (req?.body?.messages ?? []) as { role: string; content: string }[];
  const users = messages.filter((m) => m.role === 'user');
  return users[users.length - 1]?.content ?? '';
}

export const MATH_ADD = 'export function add(a: number, b: number): number {\n  return a + b;\n}';

/**
 * Waits (up to 15 s) for the fixture's slow check to write its pid to `marker`, and returns it.
 * The file exists a moment before its pid is in it: an empty read would be pid 0 (our own group).
 */
export async function waitForPid(marker: string): Promise<number | null> {
  for (let i = 0; i < 300; i++) {
    const text = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '';
    if (/^[1-9]\d*$/.test(text)) return Number(text);
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** Whether a process runs (a zombie left to a non-reaping PID 1 counts as gone). */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`alive(${pid}): not a process id (0 and negatives name process groups)`);
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
