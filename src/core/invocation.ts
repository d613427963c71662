/**
 * How the user can run this CLI again from where they are, so that the commands it suggests
 * ("Next:" blocks, hints) work when pasted: `npx statsig-hack …` when it was started by npx (or
 * `npm exec`), else `statsig-hack …`, with a note when no `statsig-hack` is on PATH (a fresh clone
 * after `npm install`, or `node bin/statsig-hack.js`) saying how to install it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellWord } from './config.js';

export const BIN = 'statsig-hack';

export interface Invocation {
  /** What to type before a subcommand: "statsig-hack" or "npx statsig-hack". */
  command: string;
  /** One line for under suggested commands when they would not run as printed; null when they would. */
  note: string | null;
}

/** Suggested commands as they are written, no note (renderers' default, tests). */
export const AS_INSTALLED: Invocation = { command: BIN, note: null };

/**
 * Whether npx started this process: npm 7+ sets `npm_command=exec` for both `npx` and `npm exec`,
 * and `npm_lifecycle_event=npx` for `npx`. (`npm run`, `npm test` set other values.)
 */
export function underNpx(env: NodeJS.ProcessEnv): boolean {
  return env.npm_command === 'exec' || env.npm_lifecycle_event === 'npx';
}

export interface PathLookup {
  platform?: NodeJS.Platform;
  /** Whether `file` is an executable file (injected by tests). */
  isExecutable?: (file: string) => boolean;
}

/** Whether `file` is a regular file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `name` resolves on env.PATH as a shell would find it (with PATHEXT's extensions on Windows). */
export function onPath(name: string, env: NodeJS.ProcessEnv, opts: PathLookup = {}): boolean {
  const platform = opts.platform ?? process.platform;
  const isExecutable = opts.isExecutable ?? isExecutableFile;
  const win = platform === 'win32';
  const raw = env.PATH ?? (win ? env.Path : undefined) ?? '';
  const dirs = raw.split(win ? ';' : ':').filter((d) => d !== '');
  const exts = win ? ['', ...(env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '')] : [''];
  const paths = win ? path.win32 : path.posix;
  return dirs.some((d) => exts.some((e) => isExecutable(paths.join(d, `${name}${e}`))));
}

/** This package's folder (src/core or dist/core, two levels up), or null when it cannot be told. */
function packageRoot(): string | null {
  try {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === BIN ? root : null;
  } catch {
    return null;
  }
}

export interface InvocationOptions extends PathLookup {
  /** The folder the user is in (the install path in the note is relative to it). */
  cwd?: string;
  /** This package's folder (default: found from this module's location). */
  root?: string | null;
}

/** How to spell suggested commands for the user of this process (see the module comment). */
export function invocation(env: NodeJS.ProcessEnv, opts: InvocationOptions = {}): Invocation {
  if (underNpx(env)) return { command: `npx ${BIN}`, note: null };
  if (onPath(BIN, env, opts)) return AS_INSTALLED;
  const root = opts.root === undefined ? packageRoot() : opts.root;
  let where = '.';
  if (root !== null && opts.cwd !== undefined) {
    const rel = path.relative(opts.cwd, root);
    where = rel === '' ? '.' : shellWord(rel.startsWith('..') || path.isAbsolute(rel) ? root : rel);
  } else if (root !== null) where = shellWord(root);
  // Not "statsig-hack …" at the start: a line that starts so reads as one more command to run.
  return { command: BIN, note: `These need ${BIN} on your PATH: \`npm install -g ${where}\`${root === null ? ' in the clone' : ''} puts it there` };
}

/**
 * `text` with every suggested command (`statsig-hack <subcommand>` at a line's start, after a
 * space, a backtick or a bracket) spelled as `inv` says; paths such as `.statsig-hack/` and a
 * command already spelled `npx statsig-hack` are left alone.
 */
export function spell(text: string, inv: Invocation): string {
  if (inv.command === BIN) return text;
  return text.replace(/(^|[\s`(])(?<!npx )statsig-hack (?=[a-z])/gm, (_m, lead: string) => `${lead}${inv.command} `);
}
