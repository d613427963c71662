/**
 * Minimal glob matching for `--files` (Node 20 has no fs.glob): `**` spans directories,
 * `*` and `?` stay inside one path segment, `{a,b}` alternatives and `[abc]` classes.
 * A pattern without a slash matches the file name at any depth (`*.ts`), like .gitignore.
 * A leading `!` excludes. Paths are repository-relative with forward slashes.
 */

export interface GlobSet {
  include: RegExp[];
  exclude: RegExp[];
  /** The patterns as given (for messages). */
  patterns: string[];
}

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Converts one glob pattern to an anchored regular expression over a relative path. */
export function globToRegExp(pattern: string): RegExp {
  let glob = pattern.trim().replace(/\\/g, '/').replace(/^\.\//, '');
  const anywhere = !glob.includes('/') || glob.startsWith('**/');
  if (glob.startsWith('/')) glob = glob.slice(1);
  if (glob.endsWith('/')) glob = `${glob}**`;
  let re = '';
  let depth = 0; // inside {...}
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const before = i === 0 || glob[i - 1] === '/';
        const after = glob[i + 2] === '/' || i + 2 === glob.length;
        if (before && after) {
          // `**/` matches zero or more directories; a trailing `**` matches everything below.
          if (glob[i + 2] === '/') {
            re += '(?:[^/]+/)*';
            i += 2;
          } else {
            re += '.*';
            i += 1;
          }
          continue;
        }
        re += '[^/]*';
        i += 1;
        continue;
      }
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls}]`;
      i = end;
    } else if (ch === '{') {
      depth += 1;
      re += '(?:';
    } else if (ch === '}' && depth > 0) {
      depth -= 1;
      re += ')';
    } else if (ch === ',' && depth > 0) {
      re += '|';
    } else {
      re += escapeRegex(ch);
    }
  }
  while (depth-- > 0) re += ')';
  const prefix = anywhere && !re.startsWith('(?:[^/]+/)*') ? '(?:[^/]+/)*' : '';
  return new RegExp(`^${prefix}${re}$`);
}

/** Splits "a/*.ts,{src,lib}/**" at the commas outside braces. */
export function splitGlobList(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of raw) {
    if (ch === '{') depth += 1;
    else if (ch === '}' && depth > 0) depth -= 1;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

export function compileGlobs(patterns: string[]): GlobSet {
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const raw of patterns) {
    const p = raw.trim();
    if (p.length === 0) continue;
    if (p.startsWith('!')) exclude.push(globToRegExp(p.slice(1)));
    else include.push(globToRegExp(p));
  }
  return { include, exclude, patterns };
}

/** No include patterns means "every file". */
export function matchesGlobs(set: GlobSet, rel: string): boolean {
  if (set.exclude.some((r) => r.test(rel))) return false;
  return set.include.length === 0 || set.include.some((r) => r.test(rel));
}
