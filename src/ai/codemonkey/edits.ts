/**
 * Search/replace edits, checked before anything is written:
 *  - the path stays inside the repository (no absolute paths, no `..`, no symlink escapes,
 *    nothing under .git/) and is a file the run may edit;
 *  - each search block matches exactly once (a miss reports the nearest real lines, several
 *    matches report where), applied in order on the evolving content;
 *  - a file does not shrink below half of its size unless the option says `shrinks: true`;
 *  - the result differs from the original.
 * Pure apart from reading files through `FileReader` (so a dry run can use an overlay).
 */
import fs from 'node:fs';
import path from 'node:path';
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
  refuse(rel: string, exists: boolean): string | null;
}

export interface PlannedChange {
  path: string;
  /** null when the edit creates the file. */
  before: string | null;
  after: string;
}

export type PlanResult = { ok: true; changes: PlannedChange[] } | { ok: false; problems: string[] };

export type PathCheck = { ok: true; rel: string } | { ok: false; problem: string };

/** Normalizes a path from the model and checks it stays inside `root` (symlinks included). */
export function checkPath(root: string, raw: string): PathCheck {
  const shown = JSON.stringify(raw);
  if (raw.length === 0) return { ok: false, problem: 'the path is empty' };
  if (raw.includes('\0')) return { ok: false, problem: `the path ${shown} contains a NUL byte` };
  if (raw.includes('\\')) return { ok: false, problem: `the path ${shown} uses backslashes; use forward slashes relative to the repository root` };
  if (path.posix.isAbsolute(raw) || path.win32.isAbsolute(raw) || raw.startsWith('~')) {
    return { ok: false, problem: `the path ${shown} is absolute; paths must be relative to the repository root` };
  }
  const rel = path.posix.normalize(raw).replace(/^(\.\/)+/, '');
  if (rel === '..' || rel.startsWith('../') || rel === '.' || rel === '') {
    return { ok: false, problem: `path traversal refused: ${shown} points outside the repository` };
  }
  if (rel.split('/').some((s) => s === '.git')) return { ok: false, problem: `the path ${shown} is inside .git/, which is never edited` };
  // Symlinks: the nearest existing ancestor must resolve inside the repository.
  let probe = path.join(root, rel);
  for (;;) {
    let real: string | null = null;
    try {
      real = fs.realpathSync(probe);
    } catch {
      real = null;
    }
    if (real !== null) {
      if (real !== root && !real.startsWith(root + path.sep)) {
        return { ok: false, problem: `path traversal refused: ${shown} resolves outside the repository (through a symbolic link)` };
      }
      break;
    }
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
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
      const refusal = ctx.policy.refuse(rel, content !== null);
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
    changes.push({ path: rel, before, after: entry.current });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (changes.length === 0) return { ok: false, problems: ['the edits change nothing: every replace equals its search text'] };
  return { ok: true, changes };
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

/** Writes planned changes, remembering the original bytes so they can be restored exactly. */
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
      if (!this.originals.has(c.path)) {
        let original: Buffer | null = null;
        try {
          original = await fs.promises.readFile(abs);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        this.originals.set(c.path, original);
      }
      const dir = path.dirname(abs);
      if (!fs.existsSync(dir)) {
        let top = dir;
        while (!fs.existsSync(path.dirname(top))) top = path.dirname(top);
        await fs.promises.mkdir(dir, { recursive: true });
        this.createdDirs.push(top);
      }
      await fs.promises.writeFile(abs, c.after);
    }
  }

  /** Puts every written file back byte for byte (removing files and folders it created) and verifies it. */
  async restore(): Promise<string[]> {
    const restored: string[] = [];
    for (const [rel, original] of this.originals) {
      const abs = path.join(this.root, rel);
      if (original === null) await fs.promises.rm(abs, { force: true });
      else await fs.promises.writeFile(abs, original);
      restored.push(rel);
    }
    for (const dir of this.createdDirs.reverse()) await fs.promises.rm(dir, { recursive: true, force: true });
    for (const [rel, original] of this.originals) {
      const abs = path.join(this.root, rel);
      const now = fs.existsSync(abs) ? await fs.promises.readFile(abs) : null;
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
