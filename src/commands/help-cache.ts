/**
 * The answers to `--help`, `<command> --help` and `--version` as the built CLI prints them off a
 * terminal (80 columns), written by `npm run build` to dist/commands/help.json, so that
 * bin/statsig-hack.js prints them without loading the CLI (commander and every command module):
 * the help then costs little more than a bare Node start.
 *
 * The texts are made by running the real CLI in-process at build time, so they are commander's
 * own. The file answers only when it is newer than the CLI's modules and records their current
 * sizes (npm pack gives every file the same date), and only for a width of 80 columns (a pipe,
 * or a terminal that wide): anywhere else, and for any other arguments, the CLI runs as usual.
 * This module imports nothing but node:fs and node:path: it is what the binary loads first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const HELP_CACHE = path.join(here, 'help.json');
/** The width the texts are made for: commander's own off a terminal. */
export const HELP_WIDTH = 80;

export interface HelpCache {
  /** Files the texts depend on (relative to the cache's folder) and their sizes at build time. */
  files: Record<string, number>;
  /** `--help` (also `-h`, `help`). */
  top: string;
  /** `<command> --help` (also `-h`, `help <command>`), by command. */
  commands: Record<string, string>;
  /** `--version` (also `-v`, `-V`), plain and with `--json`. */
  version: string;
  versionJson: string;
}

interface Stream {
  isTTY?: boolean;
  columns?: number;
}

/** Which cached text answers `argv`: its key in the cache, or null when the CLI must run. */
export function helpKey(argv: readonly string[]): { kind: 'top' | 'version' | 'versionJson' } | { kind: 'command'; name: string } | null {
  const a = [...argv];
  if (a.length === 1 && ['--help', '-h', 'help'].includes(a[0] as string)) return { kind: 'top' };
  if (a.length === 1 && ['--version', '-v', '-V'].includes(a[0] as string)) return { kind: 'version' };
  if (a.length === 2 && a.includes('--json') && a.some((x) => ['--version', '-v', '-V'].includes(x))) return { kind: 'versionJson' };
  if (a.length === 2 && (a[1] === '--help' || a[1] === '-h') && /^[a-z]/.test(a[0] as string)) return { kind: 'command', name: a[0] as string };
  if (a.length === 2 && a[0] === 'help' && /^[a-z]/.test(a[1] as string)) return { kind: 'command', name: a[1] as string };
  return null;
}

/**
 * Both widths the live help is made for are 80 columns: commander wraps at a terminal's width
 * (80 off a terminal), and the CLI then fits the text to the terminal, or $COLUMNS, or 80.
 */
function widthIs80(stdout: Stream, env: NodeJS.ProcessEnv): boolean {
  if (stdout.isTTY) return stdout.columns === HELP_WIDTH;
  const columns = env.COLUMNS;
  return columns === undefined || !/^\d+$/.test(columns) || Math.max(40, Number(columns)) === HELP_WIDTH;
}

/** The cache when it is there and not older than, nor of another size than, any file it depends on; else null. */
export function readHelpCache(file = HELP_CACHE): HelpCache | null {
  try {
    const built = fs.statSync(file).mtimeMs;
    const cache = JSON.parse(fs.readFileSync(file, 'utf8')) as HelpCache;
    const dir = path.dirname(file);
    const files = Object.entries(cache.files ?? {});
    if (files.length === 0) return null;
    for (const [rel, size] of files) {
      const st = fs.statSync(path.join(dir, rel));
      if (st.mtimeMs > built || st.size !== size) return null;
    }
    return cache;
  } catch {
    return null;
  }
}

/** The text the CLI would print for `argv` (exit code 0), from the cache; null when the CLI must run. */
export function cachedAnswer(argv: readonly string[], stdout: Stream, env: NodeJS.ProcessEnv, file = HELP_CACHE): string | null {
  const key = helpKey(argv);
  if (!key) return null;
  if (key.kind !== 'version' && key.kind !== 'versionJson' && !widthIs80(stdout, env)) return null;
  const cache = readHelpCache(file);
  if (!cache) return null;
  if (key.kind === 'command') return Object.hasOwn(cache.commands, key.name) ? (cache.commands[key.name] as string) : null;
  return cache[key.kind];
}

/** The files the texts depend on: package.json (the version), the CLI's entry and every command module. */
function dependencies(dir: string): string[] {
  const commands = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  return [path.relative(dir, path.resolve(dir, '../../package.json')), path.relative(dir, path.resolve(dir, '../cli.js')), ...commands];
}

/** What the built CLI prints on stdout for `argv` off a terminal; throws unless it exits 0 with nothing on stderr. */
async function live(argv: string[]): Promise<string> {
  const { run } = await import('../cli.js');
  let out = '';
  let err = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    stdin: { isTTY: false },
    env: { PATH: process.env.PATH },
  });
  if (code !== 0 || err !== '') throw new Error(`statsig-hack ${argv.join(' ')} exited ${code}: ${err}`);
  return out;
}

/** Writes the cache from the live CLI (run by `npm run build`, after the manifest). */
export async function writeHelpCache(names: readonly string[], file = HELP_CACHE): Promise<HelpCache> {
  const dir = path.dirname(file);
  const commands: Record<string, string> = {};
  for (const name of names) commands[name] = await live([name, '--help']);
  const cache: HelpCache = {
    files: {},
    top: await live(['--help']),
    commands,
    version: await live(['--version']),
    versionJson: await live(['--json', '--version']),
  };
  for (const rel of dependencies(dir)) cache.files[rel] = fs.statSync(path.join(dir, rel)).size;
  fs.writeFileSync(file, `${JSON.stringify(cache)}\n`);
  return cache;
}
