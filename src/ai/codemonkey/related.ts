/**
 * The files around the one being edited, so the model sees what must keep working: the tests
 * that exercise it and the files that import it. Found from relative imports (JS/TS `import`,
 * `export … from`, `import()`, `require()`; Python `from .x import` / `import a.b`) and from
 * test names (`math.test.ts`, `math.spec.ts`, `test_math.py`, `math_test.go` for `math.*`),
 * then shown within a character budget: tests whole (clipped), importers as the lines that
 * import and use the file. Pure: contents come in as arguments.
 */
import path from 'node:path';
import { fenceFor } from './prompts.js';

export interface SourceFile {
  path: string;
  content: string;
}

export interface Related {
  /** Test files that import the target or are named after it. */
  tests: string[];
  /** Other files that import the target. */
  importers: string[];
}

/** Characters of related context per request (about 3,000 to 4,000 tokens). */
export const RELATED_BUDGET_CHARS = 12_000;
/** The most one test file may take of the budget. */
const MAX_TEST_CHARS = 6_000;
/** The most lines shown per importer. */
const MAX_IMPORTER_LINES = 12;

const JS_EXT = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"`])([^'"`\n]+)\1/g;
const PY_FROM = /^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import\b/gm;
const PY_IMPORT = /^[ \t]*import[ \t]+([\w.]+)/gm;

export function isTestPath(rel: string): boolean {
  return (
    /(^|\/)(test|tests|__tests__|spec|specs)\//.test(rel) ||
    /\.(test|spec)\.[a-z0-9]+$/i.test(rel) ||
    /(^|\/)test_[^/]+\.py$/.test(rel) ||
    /_test\.(py|go)$/.test(rel)
  );
}

/** A file name without its extension and its test marks: `math.test.ts` and `test_math.py` give `math`. */
export function testStem(rel: string): string {
  let base = path.posix.basename(rel);
  base = base.replace(/\.[a-z0-9]+$/i, '');
  return base.replace(/\.(test|spec)$/i, '').replace(/^test_/, '').replace(/_test$/, '');
}

/** Specifiers of the relative imports in a JS/TS file, or the module paths of a Python file. */
export function importSpecifiers(rel: string, content: string): string[] {
  const ext = path.posix.extname(rel).toLowerCase();
  const out = new Set<string>();
  if (JS_EXT.includes(ext) || ext === '.vue' || ext === '.svelte') {
    for (const m of content.matchAll(JS_IMPORT)) {
      const spec = m[2] ?? '';
      if (spec.startsWith('./') || spec.startsWith('../')) out.add(spec);
    }
  } else if (ext === '.py') {
    for (const m of content.matchAll(PY_FROM)) if (m[1]) out.add(m[1]);
    for (const m of content.matchAll(PY_IMPORT)) if (m[1]) out.add(m[1]);
  }
  return [...out];
}

/** The tracked file a specifier in `from` points at, or null. */
export function resolveImport(from: string, spec: string, known: ReadonlySet<string>): string | null {
  const candidates: string[] = [];
  if (path.posix.extname(from).toLowerCase() === '.py') {
    const dots = /^\.*/.exec(spec)?.[0].length ?? 0;
    const rest = spec.slice(dots).replace(/\./g, '/');
    let base: string;
    if (dots > 0) {
      let dir = path.posix.dirname(from);
      for (let i = 1; i < dots; i++) dir = path.posix.dirname(dir);
      base = rest ? path.posix.join(dir, rest) : dir;
    } else {
      base = rest;
    }
    candidates.push(`${base}.py`, `${base}/__init__.py`, `src/${base}.py`);
  } else {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    const ext = path.posix.extname(base);
    candidates.push(base);
    if (['.js', '.jsx', '.mjs', '.cjs'].includes(ext)) {
      const stem = base.slice(0, -ext.length);
      const swap: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
      for (const e of swap[ext] ?? []) candidates.push(stem + e);
    }
    for (const e of JS_EXT) candidates.push(base + e);
    for (const e of JS_EXT) candidates.push(`${base}/index${e}`);
  }
  for (const c of candidates) if (!c.startsWith('../') && known.has(c)) return c;
  return null;
}

/** Who imports whom: for each file, the files that import it (each file's imports parsed once). */
export function importGraph(files: readonly SourceFile[]): Map<string, Set<string>> {
  const known = new Set(files.map((f) => f.path));
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    for (const spec of importSpecifiers(f.path, f.content)) {
      const target = resolveImport(f.path, spec, known);
      if (target === null || target === f.path) continue;
      let set = graph.get(target);
      if (!set) graph.set(target, (set = new Set()));
      set.add(f.path);
    }
  }
  return graph;
}

/** The tests and importers of `target` among `files` (pass `graph` when asking for many targets). */
export function findRelated(target: string, files: readonly SourceFile[], graph: Map<string, Set<string>> = importGraph(files)): Related {
  const stem = testStem(target);
  const importing = graph.get(target) ?? new Set<string>();
  const tests: string[] = [];
  const importers: string[] = [];
  for (const f of files) {
    if (f.path === target) continue;
    const imports = importing.has(f.path);
    if (isTestPath(f.path) && (imports || testStem(f.path) === stem)) tests.push(f.path);
    else if (imports) importers.push(f.path);
  }
  // Nearest first: files in the same folder, then by path.
  const dir = path.posix.dirname(target);
  const near = (p: string): number => (path.posix.dirname(p) === dir ? 0 : 1);
  const order = (a: string, b: string): number => near(a) - near(b) || (a < b ? -1 : a > b ? 1 : 0);
  return { tests: tests.sort(order), importers: importers.sort(order) };
}

/** The lines of an importer worth showing: its imports of the target and the lines using what it imports. */
export function importerLines(importer: SourceFile, target: string, known: ReadonlySet<string>, maxLines = MAX_IMPORTER_LINES): string {
  const lines = importer.content.split('\n');
  const names = new Set<string>();
  const picked = new Set<number>();
  for (const [i, line] of lines.entries()) {
    const specs = importSpecifiers(importer.path, line);
    if (specs.some((s) => resolveImport(importer.path, s, known) === target)) {
      picked.add(i);
      const braces = /\{([^}]*)\}/.exec(line)?.[1];
      for (const part of (braces ?? '').split(',')) {
        const name = part.trim().split(/\s+as\s+/).pop()?.replace(/^type\s+/, '').trim();
        if (name && /^[A-Za-z_$][\w$]*$/.test(name)) names.add(name);
      }
      const whole = /^\s*import\s+(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)/.exec(line)?.[1] ?? /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require/.exec(line)?.[1];
      if (whole) names.add(whole);
    }
  }
  if (names.size > 0) {
    const re = new RegExp(`\\b(${[...names].map((n) => n.replace(/\$/g, '\\$')).join('|')})\\b`);
    for (const [i, line] of lines.entries()) if (!picked.has(i) && re.test(line)) picked.add(i);
  }
  const shown = [...picked].sort((a, b) => a - b);
  const width = String((shown[shown.length - 1] ?? 0) + 1).length;
  const out = shown.slice(0, maxLines).map((i) => `${String(i + 1).padStart(width)}| ${clipLine(lines[i] ?? '')}`);
  if (shown.length > maxLines) out.push(`(… ${shown.length - maxLines} more lines)`);
  return out.join('\n');
}

function clipLine(line: string, max = 200): string {
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * The "tests and importers" section of a request, at most `budget` characters: each test whole
 * (clipped), then each importer's relevant lines; what does not fit is named, not shown.
 */
export function relatedContext(target: string, related: Related, read: (rel: string) => string | null, known: ReadonlySet<string>, budget = RELATED_BUDGET_CHARS): string {
  if (related.tests.length === 0 && related.importers.length === 0) return `No tests or importers of ${target} were found in the repository.`;
  const parts: string[] = [];
  let used = 0;
  const left: string[] = [];
  const add = (text: string): boolean => {
    if (used + text.length + 1 > budget) return false;
    parts.push(text);
    used += text.length + 1;
    return true;
  };
  if (related.tests.length > 0) add(`Tests of ${target} (they must keep passing):`);
  for (const t of related.tests) {
    const content = read(t);
    if (content === null) continue;
    const room = Math.min(MAX_TEST_CHARS, budget - used - 200);
    if (room < 400) {
      left.push(t);
      continue;
    }
    const clipped = content.length > room ? `${content.slice(0, room)}\n… (${content.length - room} more characters not shown)` : content;
    const fence = fenceFor(clipped);
    if (!add(`${t}:\n${fence}\n${clipped}\n${fence}`)) left.push(t);
  }
  if (related.importers.length > 0) add(`Files that import ${target} (keep them working):`);
  for (const imp of related.importers) {
    const content = read(imp);
    if (content === null) continue;
    const lines = importerLines({ path: imp, content }, target, known);
    const fence = fenceFor(lines);
    if (!add(`${imp}:\n${fence}\n${lines}\n${fence}`)) left.push(imp);
  }
  if (left.length > 0) parts.push(`(not shown for lack of room: ${left.slice(0, 20).join(', ')}${left.length > 20 ? `, and ${left.length - 20} more` : ''})`);
  return parts.join('\n');
}
