/**
 * Search/replace edits, checked before anything is written:
 *  - the path stays inside the repository (no absolute paths, no `..`, no symlink escapes,
 *    nothing under .git/) and is a file the run may edit;
 *  - each search block matches exactly once (a miss reports the nearest real lines, several
 *    matches report where), applied in order on the evolving content;
 *  - a file does not shrink below half of its size unless the option says `shrinks: true`;
 *  - the result differs from the original and stays within the size limits codemonkey applies
 *    when it chooses files (MAX_FILE_BYTES, MAX_FILE_LINES), and holds no NUL byte.
 * Pure apart from reading files through `FileReader` (so a dry run can use an overlay).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { showControl } from '../../core/sanitize.js';
import { MAX_FILE_BYTES, MAX_FILE_LINES } from './files.js';
import type { CodemonkeyOption, CodemonkeyEdit } from './schema.js';

export interface FileReader {
  /** Current content of a repo-relative file, or null when it does not exist. */
  read(rel: string): Promise<string | null>;
}

export interface EditPolicy {
  /** Realpath of the repository root. */
  root: string;
  /** The file the option is about (edits with path null). */
  currentFile: string;
  /** Why `rel` may not be edited (null when it may). `exists` tells whether the file exists. */
  refuse(rel: string, exists: boolean): string | null | Promise<string | null>;
}

export interface PlannedChange {
  path: string;
  /** null when the edit creates the file. */
  before: string | null;
  after: string;
}

export type PlanResult = { ok: true; changes: PlannedChange[] } | { ok: false; problems: string[] };

export type PathCheck = { ok: true; rel: string } | { ok: false; problem: string };

/** The most files one option may change (each within the size limit). */
export const MAX_CHANGED_FILES = 20;

/** Longest repository-relative path and longest single name accepted from a model (bytes). */
export const MAX_PATH_BYTES = 1024;
export const MAX_NAME_BYTES = 255;

// eslint-disable-next-line no-control-regex
const CONTROL_IN_PATH = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** How long a path is, for messages (a 5,000-character name is not echoed back whole). */
function shownPath(raw: string): string {
  const s = showControl(JSON.stringify(raw));
  return s.length > 120 ? `${s.slice(0, 60)}…" (${raw.length} characters)` : s;
}

/**
 * What is on disk at a repository-relative path, looked at one component at a time with
 * lstat (symbolic links are never followed, dangling ones included):
 *  - `file` / `missing`: a regular file, or nothing yet (a new file may be created there);
 *  - otherwise a refusal: a symbolic link anywhere on the way, a folder, a special file, a
 *    component that is a file where a folder is needed, or a path the system cannot take.
 */
export type PathState = { kind: 'file' | 'missing' } | { kind: 'refused'; problem: string };

export function inspectPath(root: string, rel: string): PathState {
  const parts = rel.split('/');
  let abs = root;
  for (const [i, part] of parts.entries()) {
    abs = path.join(abs, part);
    const prefix = parts.slice(0, i + 1).join('/');
    const last = i === parts.length - 1;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      if (code === 'ENOTDIR') return { kind: 'refused', problem: `${parts.slice(0, i).join('/')} is a file, not a folder` };
      if (code === 'ENAMETOOLONG') return { kind: 'refused', problem: 'the path is too long for the file system' };
      return { kind: 'refused', problem: `${prefix} cannot be inspected (${code ?? 'unknown error'})` };
    }
    if (st.isSymbolicLink()) {
      let target = '';
      try {
        target = fs.readlinkSync(abs);
      } catch {
        target = '?';
      }
      // Resolved lexically, link by link, whether or not the target exists (for the message only:
      // a symbolic link is refused wherever it points).
      const resolved = path.resolve(path.dirname(abs), target);
      const outside = resolved !== root && !resolved.startsWith(root + path.sep);
      return {
        kind: 'refused',
        problem: `${prefix} is a symbolic link${outside ? ' pointing outside the repository' : ''}; codemonkey never follows, edits or deletes symbolic links`,
      };
    }
    if (last) {
      if (st.isDirectory()) return { kind: 'refused', problem: `${prefix} is a folder, not a file` };
      if (!st.isFile()) return { kind: 'refused', problem: `${prefix} is not a regular file` };
      return { kind: 'file' };
    }
    if (!st.isDirectory()) return { kind: 'refused', problem: `${prefix} is a file, not a folder` };
  }
  return { kind: 'missing' };
}

/**
 * Normalizes a path from the model and checks that it names a regular file (or a new one)
 * inside `root`: no absolute paths, `..`, control characters, over-long names, `.git/`,
 * folders, special files or symbolic links anywhere on the way.
 */
export function checkPath(root: string, raw: string): PathCheck {
  const shown = shownPath(raw);
  if (raw.length === 0) return { ok: false, problem: 'the path is empty' };
  if (raw.includes('\0')) return { ok: false, problem: `the path ${shown} contains a NUL byte` };
  if (CONTROL_IN_PATH.test(raw)) return { ok: false, problem: `the path ${shown} contains control characters` };
  if (raw.includes('\\')) return { ok: false, problem: `the path ${shown} uses backslashes; use forward slashes relative to the repository root` };
  if (path.posix.isAbsolute(raw) || path.win32.isAbsolute(raw) || raw.startsWith('~')) {
    return { ok: false, problem: `the path ${shown} is absolute; paths must be relative to the repository root` };
  }
  const rel = path.posix.normalize(raw).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../') || rel === '.' || rel === '') {
    return { ok: false, problem: `path traversal refused: ${shown} points outside the repository` };
  }
  if (Buffer.byteLength(rel) > MAX_PATH_BYTES) return { ok: false, problem: `the path ${shown} is too long (at most ${MAX_PATH_BYTES} bytes)` };
  const long = rel.split('/').find((s) => Buffer.byteLength(s) > MAX_NAME_BYTES);
  if (long !== undefined) return { ok: false, problem: `the path ${shown} has a name longer than ${MAX_NAME_BYTES} bytes` };
  if (rel.split('/').some((s) => s === '.git')) return { ok: false, problem: `the path ${shown} is inside .git/, which is never edited` };
  const state = inspectPath(root, rel);
  if (state.kind === 'refused') return { ok: false, problem: `refused: ${state.problem}` };
  return { ok: true, rel };
}

/** Start offsets of every (non-overlapping) occurrence of `needle`. */
export function occurrences(haystack: string, needle: string, cap = 1000): number[] {
  const at: number[] = [];
  if (needle.length === 0) return at;
  let from = 0;
  while (at.length < cap) {
    const i = haystack.indexOf(needle, from);
    if (i < 0) break;
    at.push(i);
    from = i + needle.length;
  }
  return at;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Dice similarity of character bigrams of two trimmed lines, 0..1. */
function lineSimilarity(a: Map<string, number>, aLen: number, b: Map<string, number>, bLen: number, aText: string, bText: string): number {
  if (aText === bText) return 1;
  if (aLen < 2 || bLen < 2) return 0;
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [g, n] of small) inter += Math.min(n, large.get(g) ?? 0);
  return (2 * inter) / (aLen - 1 + (bLen - 1));
}

export interface NearestLines {
  /** 1-based first and last line of the best window. */
  start: number;
  end: number;
  score: number;
  /** The lines, each prefixed with its number. */
  text: string;
  /** The search block matches the window when whitespace is ignored. */
  whitespaceOnly: boolean;
}

/** The window of the file most similar to the search block (by line, bigram similarity). */
export function nearestLines(content: string, search: string, context = 1): NearestLines | null {
  const fileLines = content.split('\n');
  const searchLines = search.replace(/\n+$/, '').split('\n');
  const n = Math.max(1, searchLines.length);
  if (fileLines.length === 0) return null;
  const prep = (l: string) => {
    const t = l.trim();
    return { t, g: bigrams(t), len: t.length };
  };
  const fl = fileLines.map(prep);
  const sl = searchLines.map(prep);
  const windows = Math.max(1, fileLines.length - n + 1);
  let best = -1;
  let bestAt = 0;
  for (let i = 0; i < windows; i++) {
    let sum = 0;
    let weight = 0;
    for (let j = 0; j < n; j++) {
      const a = sl[j];
      const b = fl[i + j];
      if (!a) continue;
      const w = Math.max(1, a.len);
      weight += w;
      if (b) sum += w * lineSimilarity(a.g, a.len, b.g, b.len, a.t, b.t);
    }
    const score = weight > 0 ? sum / weight : 0;
    if (score > best) {
      best = score;
      bestAt = i;
    }
  }
  const from = Math.max(0, bestAt - context);
  const to = Math.min(fileLines.length, bestAt + n + context);
  const width = String(to).length;
  const text = fileLines
    .slice(from, to)
    .map((l, k) => `${String(from + k + 1).padStart(width)}| ${l}`)
    .join('\n');
  const squash = (s: string) => s.replace(/\s+/g, '');
  const windowText = fileLines.slice(bestAt, bestAt + n).join('\n');
  return { start: from + 1, end: to, score: best, text, whitespaceOnly: squash(windowText) === squash(search) && squash(search).length > 0 };
}

function clip(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export interface PlanContext {
  policy: EditPolicy;
  reader: FileReader;
}

/** Checks an option's edits and computes the new contents, or lists every problem found. */
export async function planEdits(option: CodemonkeyOption, ctx: PlanContext): Promise<PlanResult> {
  const problems: string[] = [];
  if (option.edits.length === 0) return { ok: false, problems: ['the option has no edits'] };
  const state = new Map<string, { before: string | null; current: string | null }>();
  const order: string[] = [];
  for (const [k, edit] of option.edits.entries()) {
    const label = `edit ${k + 1}`;
    const resolved = resolveEditPath(edit, ctx.policy);
    if (!resolved.ok) {
      problems.push(`${label}: ${resolved.problem}`);
      continue;
    }
    const rel = resolved.rel;
    let entry = state.get(rel);
    if (!entry) {
      const content = await ctx.reader.read(rel);
      const refusal = await ctx.policy.refuse(rel, content !== null);
      if (refusal) {
        problems.push(`${label} (${rel}): ${refusal}`);
        continue;
      }
      entry = { before: content, current: content };
      state.set(rel, entry);
      order.push(rel);
    }
    const applied = applyOne(entry.current, edit, `${label} (${rel})`);
    if (!applied.ok) {
      problems.push(applied.problem);
      continue;
    }
    entry.current = applied.content;
  }
  if (problems.length > 0) return { ok: false, problems };
  const changes: PlannedChange[] = [];
  for (const rel of order) {
    const entry = state.get(rel);
    if (!entry || entry.current === null || entry.current === entry.before) continue;
    const before = entry.before;
    if (before !== null && before.length > 0 && entry.current.length < before.length / 2 && !option.shrinks) {
      problems.push(
        `the edits would shrink ${rel} from ${before.length} to ${entry.current.length} characters (below half): refused. ` +
          'Keep the existing code; change only what the goal needs. Set "shrinks": true only if removing most of the file is the point of the option.',
      );
      continue;
    }
    const tooBig = sizeProblem(rel, entry.current);
    if (tooBig) {
      problems.push(tooBig);
      continue;
    }
    changes.push({ path: rel, before, after: entry.current });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (changes.length === 0) return { ok: false, problems: ['the edits change nothing: every replace equals its search text'] };
  if (changes.length > MAX_CHANGED_FILES) {
    return { ok: false, problems: [`the option changes ${changes.length} files; at most ${MAX_CHANGED_FILES} per option: make a smaller change`] };
  }
  return { ok: true, changes };
}

/** Why new content may not be written (over the size limits, or binary), or null. */
export function sizeProblem(rel: string, content: string): string | null {
  const bytes = Buffer.byteLength(content);
  if (bytes > MAX_FILE_BYTES) {
    return `the edits would make ${rel} ${bytes} bytes, over the ${MAX_FILE_BYTES}-byte limit on files codemonkey edits: refused. Make a smaller change.`;
  }
  let lines = 1;
  for (let i = 0; i < content.length && lines <= MAX_FILE_LINES; i++) if (content.charCodeAt(i) === 10) lines++;
  if (lines > MAX_FILE_LINES) {
    return `the edits would make ${rel} longer than ${MAX_FILE_LINES} lines, the limit on files codemonkey edits: refused. Make a smaller change.`;
  }
  if (content.includes('\0')) return `the edits would put a NUL byte into ${rel} (a binary file): refused.`;
  return null;
}

function resolveEditPath(edit: CodemonkeyEdit, policy: EditPolicy): PathCheck {
  if (edit.path === null || edit.path.trim() === '') return { ok: true, rel: policy.currentFile };
  return checkPath(policy.root, edit.path.trim());
}

function applyOne(content: string | null, edit: CodemonkeyEdit, label: string): { ok: true; content: string } | { ok: false; problem: string } {
  if (content === null) {
    if (edit.search === '') return { ok: true, content: edit.replace };
    return { ok: false, problem: `${label}: the file does not exist (to create a file use an empty search)` };
  }
  if (edit.search === '') {
    return { ok: false, problem: `${label}: the search text is empty; copy the exact lines to replace from the file (an empty search only creates new files)` };
  }
  let search = edit.search;
  let replace = edit.replace;
  let at = occurrences(content, search, 50);
  if (at.length === 0 && content.includes('\r\n') && !search.includes('\r')) {
    // The file uses CRLF line ends and the model wrote LF: match in the file's convention.
    const s2 = search.replace(/\n/g, '\r\n');
    const at2 = occurrences(content, s2, 50);
    if (at2.length > 0) {
      search = s2;
      replace = replace.replace(/\r?\n/g, '\r\n');
      at = at2;
    }
  }
  if (at.length === 1) {
    const i = at[0] as number;
    return { ok: true, content: content.slice(0, i) + replace + content.slice(i + search.length) };
  }
  if (at.length > 1) {
    const lines = at.slice(0, 10).map((i) => lineOf(content, i));
    return {
      ok: false,
      problem: `${label}: the search text matches ${at.length >= 50 ? '50 or more' : at.length} times (at lines ${lines.join(', ')}); include more surrounding lines so it matches exactly once`,
    };
  }
  const near = nearestLines(content, edit.search);
  const head = `${label}: the search text was not found in the file:\n${clip(edit.search)}`;
  if (!near || near.score <= 0) return { ok: false, problem: `${head}\nCopy the search text exactly from the file.` };
  const ws = near.whitespaceOnly ? ' It matches these lines if whitespace is ignored: copy the indentation and line breaks exactly.' : '';
  return {
    ok: false,
    problem: `${head}\nThe nearest real lines are ${near.start}-${near.end}:\n${near.text}\nCopy the search text exactly (whitespace included) from the file.${ws}`,
  };
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** Reads a regular file without following a symbolic link (null when there is nothing there). */
async function readNoFollow(abs: string): Promise<Buffer | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(abs, fs.constants.O_RDONLY | NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`internal: ${abs} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Writes a regular file without following a symbolic link at its name. */
async function writeNoFollow(abs: string, data: string | Buffer): Promise<void> {
  await fs.promises.writeFile(abs, data, { flag: fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | NOFOLLOW });
}

/** Refuses to touch a path that is no longer a plain file (or nothing) under plain folders. */
function assertPlain(root: string, rel: string, doing: string): void {
  const state = inspectPath(root, rel);
  if (state.kind === 'refused') {
    throw new UserError(`stopped before ${doing} ${rel}: ${state.problem} (the work tree changed under codemonkey)`, {
      hint: 'something else (the check command?) changed the repository during the run; look at `git status`',
      code: 'UNSAFE_PATH',
    });
  }
}

/**
 * Writes planned changes, remembering the original bytes so they can be restored exactly.
 * Every write and restore looks at the path again first (no symbolic link on the way, a
 * regular file or nothing at the end) and opens it with O_NOFOLLOW.
 */
export class ChangeTracker {
  private readonly originals = new Map<string, Buffer | null>();
  private readonly createdDirs: string[] = [];

  constructor(private readonly root: string) {}

  get pending(): string[] {
    return [...this.originals.keys()];
  }

  async write(changes: PlannedChange[]): Promise<void> {
    for (const c of changes) {
      const abs = path.join(this.root, c.path);
      assertPlain(this.root, c.path, 'writing');
      if (!this.originals.has(c.path)) this.originals.set(c.path, await readNoFollow(abs));
      const dir = path.dirname(abs);
      if (!fs.existsSync(dir)) {
        let top = dir;
        while (!fs.existsSync(path.dirname(top))) top = path.dirname(top);
        await fs.promises.mkdir(dir, { recursive: true });
        this.createdDirs.push(top);
      }
      await writeNoFollow(abs, c.after);
    }
  }

  /** Puts every written file back byte for byte (removing files and folders it created) and verifies it. */
  async restore(): Promise<string[]> {
    const restored: string[] = [];
    for (const [rel, original] of this.originals) {
      const abs = path.join(this.root, rel);
      // A check (code the model wrote) may have replaced the file with a link: drop the link, not its target.
      const st = fs.lstatSync(abs, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) await fs.promises.unlink(abs);
      assertPlain(this.root, rel, 'restoring');
      if (original === null) await fs.promises.rm(abs, { force: true });
      else await writeNoFollow(abs, original);
      restored.push(rel);
    }
    for (const dir of this.createdDirs.reverse()) await fs.promises.rm(dir, { recursive: true, force: true });
    for (const [rel, original] of this.originals) {
      const now = await readNoFollow(path.join(this.root, rel));
      const same = original === null ? now === null : now !== null && now.equals(original);
      if (!same) throw new Error(`internal: could not restore ${rel} exactly`);
    }
    this.originals.clear();
    this.createdDirs.length = 0;
    return restored;
  }

  /** Forgets the originals (after a commit). */
  accept(): void {
    this.originals.clear();
    this.createdDirs.length = 0;
  }
}
