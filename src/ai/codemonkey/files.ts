/**
 * Which files codemonkey looks at: tracked files (`git ls-files`) filtered by `--files`,
 * minus binary, generated, vendored, huge, secret and protected files, ranked by relevance
 * to the goal (path words, exported symbols, mentions in the content, size) and cut to
 * `--max-files`. Also the compact repository map (exported symbols per file) sent with
 * every request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileGlobs, matchesGlobs, type GlobSet } from './glob.js';

export type SkipReason = 'vendored' | 'generated' | 'binary' | 'huge' | 'secret' | 'protected' | 'dirty' | 'unreadable';

export const MAX_FILE_BYTES = 100_000;
export const MAX_FILE_LINES = 3_000;

const VENDORED_DIRS = ['node_modules', 'vendor', 'vendors', 'third_party', 'third-party', 'bower_components', '.yarn', '.pnpm-store', 'jspm_packages', 'Pods'];
const GENERATED_DIRS = ['dist', 'build', 'out', 'coverage', '.next', '.nuxt', '.svelte-kit', '.turbo', '.cache', 'target', '__generated__', 'generated', '.output'];
const LOCKFILES = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock', 'Cargo.lock',
  'Gemfile.lock', 'poetry.lock', 'composer.lock', 'go.sum', 'Pipfile.lock', 'uv.lock', 'flake.lock', 'mix.lock', 'packages.lock.json',
]);
const GENERATED_SUFFIXES = ['.min.js', '.min.css', '.map', '.snap', '.pb.go', '_pb2.py', '.g.dart', '.designer.cs', '.generated.ts', '.generated.js', '.gen.go', '.lock'];
const BINARY_EXTENSIONS = new Set([
  '.png', '.jpg', '.jpeg', '.gif', '.webp', '.ico', '.bmp', '.tiff', '.psd', '.pdf', '.zip', '.gz', '.tgz', '.bz2', '.xz', '.7z', '.rar',
  '.jar', '.war', '.class', '.exe', '.dll', '.so', '.dylib', '.o', '.a', '.wasm', '.woff', '.woff2', '.ttf', '.otf', '.eot', '.mp3',
  '.mp4', '.mov', '.avi', '.webm', '.wav', '.ogg', '.flac', '.sqlite', '.db', '.duckdb', '.parquet', '.bin', '.pyc', '.DS_Store',
]);
/** Never read, never sent to a model. */
const SECRET_NAMES = [/^\.env(\..*)?$/, /\.pem$/, /\.key$/, /\.p12$/, /\.pfx$/, /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/, /^\.netrc$/, /^\.pgpass$/, /credentials(\.json)?$/i, /\.keystore$/];
/**
 * Files that decide what runs (build and test configuration, CI, git settings, our own
 * config): the model may not edit them, so nothing it writes can change the check command.
 */
const PROTECTED_NAMES = new Set([
  'package.json', '.npmrc', '.yarnrc', '.yarnrc.yml', '.pnpmfile.cjs', 'pnpm-workspace.yaml', 'Makefile', 'makefile', 'GNUmakefile',
  '.gitattributes', '.gitmodules', '.gitignore', '.envrc', '.tool-versions', '.nvmrc', '.node-version', 'Dockerfile', 'docker-compose.yml',
  'Justfile', 'justfile', 'Taskfile.yml', 'Rakefile', 'tox.ini', 'noxfile.py', 'setup.py', 'setup.cfg', 'pyproject.toml', 'Cargo.toml', 'go.mod',
  '.gitlab-ci.yml', '.travis.yml', 'azure-pipelines.yml', 'Jenkinsfile', 'lefthook.yml', '.pre-commit-config.yaml',
]);
const PROTECTED_DIRS = ['.git', '.github', '.gitlab', '.circleci', '.husky', '.statsig-hack', '.devcontainer', '.vscode', '.idea'];
const PROTECTED_PATTERNS = [
  /^statsig-hack\.config\./,
  /^\.statsig-hackrc/,
  /^(vitest|vite|jest|mocha|ava|playwright|cypress|karma|webpack|rollup|esbuild|babel|tsup|eslint|prettier|postcss|tailwind|next|nuxt|svelte|astro)\.config\./,
  /^(vitest|vite)\.workspace\./,
  /^[tj]sconfig(\..+)?\.json$/,
  /^\.(mocharc|babelrc|eslintrc|prettierrc|swcrc)/,
];

const CODE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.py', '.go', '.rs', '.java', '.kt', '.rb', '.php', '.cs', '.swift', '.scala', '.c', '.h', '.cc', '.cpp', '.hpp', '.vue', '.svelte']);

const STOPWORDS = new Set([
  'the', 'and', 'for', 'with', 'our', 'all', 'any', 'use', 'using', 'make', 'more', 'less', 'better', 'code', 'codebase', 'file', 'files',
  'into', 'from', 'that', 'this', 'those', 'these', 'where', 'when', 'each', 'every', 'add', 'remove', 'improve', 'should', 'must', 'them',
  'are', 'not', 'but', 'can', 'has', 'have', 'its', 'their', 'there', 'than', 'then', 'also', 'only', 'some', 'such', 'way', 'ways',
]);

function segments(rel: string): string[] {
  return rel.split('/');
}

function dirsOf(rel: string): string[] {
  return segments(rel).slice(0, -1);
}

export function isVendored(rel: string): boolean {
  return dirsOf(rel).some((d) => VENDORED_DIRS.includes(d));
}

export function isGeneratedPath(rel: string): boolean {
  const base = path.posix.basename(rel);
  if (LOCKFILES.has(base)) return true;
  if (dirsOf(rel).some((d) => GENERATED_DIRS.includes(d))) return true;
  return GENERATED_SUFFIXES.some((s) => base.endsWith(s));
}

/** A header saying "generated" / "do not edit" in the first lines. */
export function hasGeneratedHeader(content: string): boolean {
  const head = content.slice(0, 600);
  return /@generated\b|\bdo not edit\b|\bauto-?generated\b|\bcode generated\b.*\bdo not edit\b/i.test(head);
}

export function isSecretPath(rel: string): boolean {
  const base = path.posix.basename(rel);
  return SECRET_NAMES.some((r) => r.test(base));
}

export function isProtectedPath(rel: string, extra: ReadonlySet<string> = new Set()): boolean {
  if (extra.has(rel)) return true;
  const base = path.posix.basename(rel);
  if (PROTECTED_NAMES.has(base)) return true;
  if (PROTECTED_PATTERNS.some((r) => r.test(base))) return true;
  return segments(rel).slice(0, -1).some((d) => PROTECTED_DIRS.includes(d)) || PROTECTED_DIRS.includes(base);
}

export function looksBinary(data: Buffer): boolean {
  const n = Math.min(data.length, 8000);
  for (let i = 0; i < n; i++) if (data[i] === 0) return true;
  return false;
}

export function isCodeFile(rel: string): boolean {
  return CODE_EXTENSIONS.has(path.posix.extname(rel).toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Symbols (the repository map)

const TS_EXPORT = /^[ \t]*export[ \t]+(?:default[ \t]+)?(?:declare[ \t]+)?(?:async[ \t]+)?(?:abstract[ \t]+)?(?:function\*?|class|interface|type|enum|const|let|var|namespace)[ \t]+([A-Za-z_$][\w$]*)/gm;
const TS_EXPORT_LIST = /^[ \t]*export[ \t]*(?:type[ \t]*)?\{([^}]*)\}/gm;
const TS_EXPORT_DEFAULT = /^[ \t]*export[ \t]+default[ \t]+(?!(?:async[ \t]+)?(?:function|class)\b)/m;
const CJS_EXPORT = /^[ \t]*(?:module\.)?exports\.([A-Za-z_$][\w$]*)[ \t]*=/gm;
const PY_DEF = /^(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z][\w]*)/gm;
const GO_DEF = /^func[ \t]+(?:\([^)]*\)[ \t]*)?([A-Z]\w*)|^type[ \t]+([A-Z]\w*)/gm;

/** Exported (public) top-level symbols of a source file, in order, without duplicates. */
export function exportedSymbols(rel: string, content: string): string[] {
  const ext = path.posix.extname(rel).toLowerCase();
  const names: string[] = [];
  const add = (n: string | undefined): void => {
    if (n && !names.includes(n)) names.push(n);
  };
  if (['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '.vue', '.svelte'].includes(ext)) {
    for (const m of content.matchAll(TS_EXPORT)) add(m[1]);
    for (const m of content.matchAll(TS_EXPORT_LIST)) {
      for (const part of (m[1] ?? '').split(',')) {
        const alias = part.trim().split(/\s+as\s+/).pop()?.replace(/^type\s+/, '').trim();
        if (alias && /^[A-Za-z_$][\w$]*$/.test(alias)) add(alias);
      }
    }
    if (TS_EXPORT_DEFAULT.test(content)) add('default');
    for (const m of content.matchAll(CJS_EXPORT)) add(m[1]);
  } else if (ext === '.py') {
    for (const m of content.matchAll(PY_DEF)) if (!m[1]?.startsWith('_')) add(m[1]);
  } else if (ext === '.go') {
    for (const m of content.matchAll(GO_DEF)) add(m[1] ?? m[2]);
  }
  return names;
}

/** One line per file with exports, best-ranked first, cut at `maxChars`. */
export function repoMap(files: { path: string; symbols: string[] }[], maxChars = 6000): string {
  const lines: string[] = [];
  let used = 0;
  let left = 0;
  for (const f of files) {
    if (f.symbols.length === 0) continue;
    const line = `${f.path}: ${f.symbols.slice(0, 30).join(', ')}${f.symbols.length > 30 ? ', …' : ''}`;
    if (used + line.length + 1 > maxChars) {
      left += 1;
      continue;
    }
    lines.push(line);
    used += line.length + 1;
  }
  if (left > 0) lines.push(`(… ${left} more files not shown)`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Ranking

/** Lowercase words of a goal worth matching (3+ letters, no stopwords). */
export function goalTerms(goal: string): string[] {
  const words = goal
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 3 && !STOPWORDS.has(w));
  return [...new Set(words)];
}

/** Words of a path or identifier: split on separators and camelCase. */
export function identifierWords(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 2);
}

function termMatches(term: string, word: string): number {
  if (word === term) return 1;
  const n = Math.min(term.length, word.length);
  if (n < 4) return 0;
  // Shared stem: "logging" ~ "logger", "validate" ~ "validation".
  let common = 0;
  while (common < n && term[common] === word[common]) common++;
  return common >= Math.max(4, n - 3) ? 0.7 : 0;
}

function countOccurrences(haystack: string, needle: string, cap: number): number {
  let count = 0;
  let from = 0;
  while (count < cap) {
    const i = haystack.indexOf(needle, from);
    if (i < 0) break;
    count++;
    from = i + needle.length;
  }
  return count;
}

export interface ScoreInput {
  path: string;
  size: number;
  content: string;
  symbols: string[];
}

/** Relevance of a file to the goal; higher is better. Deterministic. */
export function relevance(terms: string[], f: ScoreInput): number {
  let score = 0;
  const pathWords = identifierWords(f.path);
  const symbolWords = f.symbols.flatMap(identifierWords);
  const lower = f.content.toLowerCase();
  for (const t of terms) {
    score += 3 * Math.max(0, ...pathWords.map((w) => termMatches(t, w)));
    score += 2 * Math.max(0, ...symbolWords.map((w) => termMatches(t, w)));
    score += Math.log2(1 + countOccurrences(lower, t, 64));
  }
  if (isCodeFile(f.path)) score += 1;
  if (/(^|\/)(test|tests|__tests__|spec)\//.test(f.path) || /\.(test|spec)\.[a-z]+$/.test(f.path)) score -= 0.5;
  // Tiny files have little to improve; big files cost more and risk more.
  if (f.size < 200) score -= 1;
  score -= f.size / 50_000;
  return score;
}

// ---------------------------------------------------------------------------------------------
// Selection

export interface Candidate {
  path: string;
  size: number;
  symbols: string[];
  score: number;
}

export interface Selection {
  /** Ranked and cut to maxFiles: the files the run will visit. */
  selected: Candidate[];
  /** Every file the model may edit (matches --files and passed every filter), ranked. */
  eligible: Candidate[];
  /** Tracked files matching --files. */
  matched: number;
  skipped: Record<SkipReason, number>;
}

export interface SelectInput {
  root: string;
  tracked: string[];
  globs: GlobSet;
  goal: string;
  maxFiles: number;
  /** Extra protected paths (files the check command names). */
  protectedPaths: ReadonlySet<string>;
  /** Files with uncommitted changes (only with --allow-dirty): never edited. */
  dirty: ReadonlySet<string>;
}

export function emptySkips(): Record<SkipReason, number> {
  return { vendored: 0, generated: 0, binary: 0, huge: 0, secret: 0, protected: 0, dirty: 0, unreadable: 0 };
}

/** Why a path may not be looked at or edited, or null when it may. Path-only checks. */
export function pathSkipReason(rel: string, protectedPaths: ReadonlySet<string>, dirty: ReadonlySet<string>): SkipReason | null {
  if (isSecretPath(rel)) return 'secret';
  if (isProtectedPath(rel, protectedPaths)) return 'protected';
  if (isVendored(rel)) return 'vendored';
  if (isGeneratedPath(rel)) return 'generated';
  if (BINARY_EXTENSIONS.has(path.posix.extname(rel).toLowerCase())) return 'binary';
  if (dirty.has(rel)) return 'dirty';
  return null;
}

/** Why file content may not be edited (binary, huge, generated header), or null. */
export function contentSkipReason(data: Buffer): SkipReason | null {
  if (data.length > MAX_FILE_BYTES) return 'huge';
  if (looksBinary(data)) return 'binary';
  const text = data.toString('utf8');
  let lines = 1;
  for (let i = 0; i < text.length && lines <= MAX_FILE_LINES; i++) if (text.charCodeAt(i) === 10) lines++;
  if (lines > MAX_FILE_LINES) return 'huge';
  if (hasGeneratedHeader(text)) return 'generated';
  return null;
}

export async function selectFiles(input: SelectInput): Promise<Selection> {
  const skipped = emptySkips();
  const terms = goalTerms(input.goal);
  const matched = input.tracked.filter((rel) => matchesGlobs(input.globs, rel));
  const eligible: Candidate[] = [];
  for (const rel of matched) {
    const reason = pathSkipReason(rel, input.protectedPaths, input.dirty);
    if (reason) {
      skipped[reason] += 1;
      continue;
    }
    let data: Buffer;
    try {
      const abs = path.join(input.root, rel);
      const st = await fs.promises.lstat(abs);
      if (!st.isFile()) {
        skipped.unreadable += 1;
        continue;
      }
      if (st.size > MAX_FILE_BYTES) {
        skipped.huge += 1;
        continue;
      }
      data = await fs.promises.readFile(abs);
    } catch {
      skipped.unreadable += 1;
      continue;
    }
    const contentReason = contentSkipReason(data);
    if (contentReason) {
      skipped[contentReason] += 1;
      continue;
    }
    const content = data.toString('utf8');
    const symbols = exportedSymbols(rel, content);
    eligible.push({ path: rel, size: data.length, symbols, score: relevance(terms, { path: rel, size: data.length, content, symbols }) });
  }
  eligible.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { selected: eligible.slice(0, input.maxFiles), eligible, matched: matched.length, skipped };
}

/** The most files `loadSources` reads (a repository map and import graph, not a full index). */
export const MAX_SOURCE_FILES = 5_000;

/**
 * Tracked source files for the repository map and for finding tests and importers: code files
 * only, never secret, vendored or generated ones, regular files (no symbolic links followed)
 * within the size limit, at most `max` of them.
 */
export async function loadSources(root: string, tracked: readonly string[], max = MAX_SOURCE_FILES): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const rel of tracked) {
    if (out.length >= max) break;
    if (!isCodeFile(rel) || isSecretPath(rel) || isVendored(rel) || isGeneratedPath(rel)) continue;
    try {
      const abs = path.join(root, rel);
      const st = await fs.promises.lstat(abs);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) continue;
      const data = await fs.promises.readFile(abs);
      if (looksBinary(data)) continue;
      out.push({ path: rel, content: data.toString('utf8') });
    } catch {
      // unreadable: left out
    }
  }
  return out;
}

export { compileGlobs, matchesGlobs };
