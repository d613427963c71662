/**
 * Configuration: cosmiconfig (module name `statsig-hack`) validated by zod, then merged
 * with env vars and flags. Precedence: flags > env > config file > defaults.
 * Secrets (API keys) are read from env only, never from a config file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { configSchema, priceSchema } from './config-schema.js';
import { UserError, didYouMean } from './errors.js';

export type Config = z.infer<typeof configSchema>;
export type Price = z.infer<typeof priceSchema>;

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null when none was found. */
  filepath: string | null;
}

const MODULE = 'statsig-hack';

/** Where cosmiconfig looks, in each folder from cwd up to the project root (the first with a package.json). */
export const SEARCH_PLACES = [
  'package.json',
  `.${MODULE}rc`,
  `.${MODULE}rc.json`,
  `.${MODULE}rc.yaml`,
  `.${MODULE}rc.yml`,
  `.${MODULE}rc.js`,
  `.${MODULE}rc.mjs`,
  `${MODULE}.config.json`,
  `${MODULE}.config.js`,
  `${MODULE}.config.mjs`,
  `${MODULE}.config.ts`,
];

/** cosmiconfig's own meta config, which may redirect the search: when present, cosmiconfig decides. */
const META_PLACES = ['.config/config.json', '.config/config.yaml', '.config/config.yml', '.config/config.js', '.config/config.ts', '.config/config.cjs', '.config/config.mjs'];

/**
 * Whether cosmiconfig's 'project' search from `cwd` can find anything: the same folders and names,
 * with a package.json counting only when it has a "statsig-hack" key. A cheap check of a few paths
 * that spares loading cosmiconfig (and its YAML and JSON parsers) when there is no config file.
 */
export function mayHaveConfig(cwd: string): boolean {
  if (META_PLACES.some((p) => fs.existsSync(path.join(cwd, p)))) return true;
  let dir = path.resolve(cwd);
  for (;;) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(dir, place);
      if (!fs.existsSync(file)) continue;
      if (place !== 'package.json') return true;
      try {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
        if (pkg && typeof pkg === 'object' && MODULE in pkg) return true;
      } catch {
        return true; // let cosmiconfig report what is wrong with it
      }
    }
    if (fs.existsSync(path.join(dir, 'package.json')) || fs.existsSync(path.join(dir, 'package.yaml'))) return false;
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

/** Loads and validates the config file: an explicit `--config` path, or a cosmiconfig search from cwd. */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  if (!explicitPath && !mayHaveConfig(cwd)) return { config: {}, filepath: null };
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig(MODULE, { searchStrategy: 'project', searchPlaces: SEARCH_PLACES });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    if (explicitPath) {
      const abs = path.resolve(cwd, explicitPath);
      found = await explorer.load(abs);
    } else {
      found = await explorer.search(cwd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(`config file not found: ${explicitPath ?? ''}`, { hint: 'check the --config path', code: 'CONFIG_NOT_FOUND' });
    }
    throw syntaxError(error, cwd);
  }
  if (!found || found.isEmpty) return { config: {}, filepath: found?.filepath ?? null };
  return { config: await parseConfig(found.config, found.filepath), filepath: found.filepath };
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * Where and why a JSON text does not parse: V8's reason ("Expected ',' or '}' after property
 * value") with the line and column of the offset it names, or of the end for a cut-off text.
 */
export function jsonSyntaxError(text: string): { reason: string; line: number; column: number } | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : /end of JSON input/i.test(message) ? text.trimEnd().length : 0;
    const reason = message
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/\s*in JSON at position \d+/, '')
      .replace(/, "[\s\S]*" is not valid JSON$/, '')
      .trim();
    return { reason, ...lineColumn(text, offset) };
  }
}

/** A config file that does not parse: one line with the file, the line and column, and the reason. */
function syntaxError(error: unknown, cwd: string): UserError {
  const e = error as Error & { filepath?: string; mark?: { line: number; column: number }; reason?: string };
  const file = e.filepath ?? '';
  const shown = file ? path.relative(cwd, file) || file : 'the config file';
  // An extension-less rc is read as YAML; one that starts with `{` was meant as JSON: report JSON's error.
  let where: { reason: string; line: number; column: number } | null = file !== '' && path.extname(file) === '' ? jsonRcError(file) : null;
  if (where) {
    // located by the JSON reading
  } else if (e.mark && typeof e.mark.line === 'number') {
    where = { reason: e.reason ?? 'invalid YAML', line: e.mark.line + 1, column: e.mark.column + 1 };
  } else if (file && /\.json$/i.test(file)) {
    try {
      const text = fs.readFileSync(file, 'utf8');
      const parsed = jsonSyntaxError(text);
      if (parsed && path.basename(file) === 'package.json') parsed.reason = `${parsed.reason} (package.json)`;
      where = parsed;
    } catch {
      where = null;
    }
  }
  const detail = where ? `${shown}:${where.line}:${where.column}: ${where.reason}` : `${shown}: ${firstMeaningfulLine(e.message)}`;
  return new UserError(`could not parse the config file ${detail}`, {
    hint: where ? `fix line ${where.line} of ${shown}, or pass --config with another file` : 'fix the syntax of the config file, or pass --config with another file',
    code: 'CONFIG_INVALID',
    cause: error,
  });
}

/** JSON's syntax error in an extension-less file whose first non-space character is `{`; null otherwise. */
function jsonRcError(file: string): { reason: string; line: number; column: number } | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimStart().startsWith('{') ? jsonSyntaxError(text) : null;
  } catch {
    return null;
  }
}

function firstMeaningfulLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !/^(>?\s*\d+\s*\|)|^\|/.test(l));
  return lines.find((l) => !/Error in .*:$/.test(l)) ?? lines[0] ?? 'invalid syntax';
}

/** Validates a parsed config object (loads the zod schema on first use). */
export async function parseConfig(raw: unknown, filepath: string): Promise<Config> {
  const { configSchema } = await import('./config-schema.js');
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  // An unknown key first: `{"engine": {"typ": "duckdb"}}` is a misspelt `type`, not a missing one.
  const first = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
  const file = path.basename(filepath);
  if (first?.code === 'unrecognized_keys') {
    const key = first.keys[0] ?? '';
    const where = [...first.path.map(String), key].join('.');
    const allowed = allowedKeys(configSchema, first.path.map(String));
    const close = didYouMean(key, allowed);
    throw new UserError(`unknown key in ${file}: ${where}${close ? ` (did you mean "${[...first.path.map(String), close].join('.')}"?)` : ''}`, {
      hint: allowed.length > 0 ? `allowed keys${first.path.length > 0 ? ` in ${first.path.join('.')}` : ''}: ${allowed.join(', ')}` : 'see "Configuration" in the README for the allowed keys',
      code: 'CONFIG_INVALID',
    });
  }
  const where = first && first.path.length > 0 ? first.path.join('.') : '(root)';
  if (first?.code === 'invalid_value' && first.values.every((v) => typeof v === 'string')) {
    const options = first.values;
    const given = valueAt(raw, first.path);
    const close = typeof given === 'string' ? didYouMean(given, options) : undefined;
    const shown = given === undefined ? 'missing' : `${JSON.stringify(given)} is not allowed`;
    throw new UserError(`invalid config in ${file}: ${where}: ${shown}${close ? ` (did you mean "${close}"?)` : ''}`, {
      hint: `${where} is one of: ${options.join(', ')}`,
      code: 'CONFIG_INVALID',
    });
  }
  const said = first ? issueText(first as unknown as Parameters<typeof issueText>[0], valueAt(raw, first.path)) : 'invalid';
  throw new UserError(`invalid config in ${file}: ${where}: ${said}`, {
    hint: `see "Configuration" in the README for ${where.includes('.') ? `the ${where.split('.')[0]}.* keys and ` : ''}the allowed values`,
    code: 'CONFIG_INVALID',
  });
}

/** A zod issue in our words: `must be a number >= 0, got -1` rather than "Too small: expected number to be >=0". */
function issueText(issue: { code: string; message: string } & Record<string, unknown>, given: unknown): string {
  const got = given === undefined ? 'missing' : `got ${JSON.stringify(given)}`;
  if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number') {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
    return `must be a number ${op} ${String(bound)}, ${got}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'string') return `must not be empty, ${got}`;
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'int' ? 'a whole number' : `a ${String(issue.expected)}`;
    return `must be ${expected}, ${got}`;
  }
  return issue.message;
}

/** The value at a path of a parsed config (undefined when absent). */
function valueAt(raw: unknown, at: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const key of at) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The keys the schema allows at a path of nested objects. */
function allowedKeys(schema: typeof configSchema, at: string[]): string[] {
  let node: unknown = schema;
  for (const key of at) {
    const shape = shapeOf(node);
    node = shape ? shape[key] : undefined;
  }
  return Object.keys(shapeOf(node) ?? {});
}

function shapeOf(node: unknown): Record<string, unknown> | null {
  let n = node as { shape?: Record<string, unknown>; unwrap?: () => unknown } | undefined;
  while (n && !n.shape && typeof n.unwrap === 'function') n = n.unwrap() as typeof n;
  return n?.shape ?? null;
}

export type Source = 'flag' | 'env' | 'config' | 'default';

export interface Setting<T> {
  value: T;
  source: Source;
}

/** Picks the first defined value in precedence order flag > env > config > default. */
export function pick<T>(flag: T | undefined, env: T | undefined, config: T | undefined, fallback: T): Setting<T> {
  if (flag !== undefined) return { value: flag, source: 'flag' };
  if (env !== undefined && env !== '') return { value: env, source: 'env' };
  if (config !== undefined) return { value: config, source: 'config' };
  return { value: fallback, source: 'default' };
}

export const DEFAULT_DB = path.join('.statsig-hack', 'project.duckdb');
/** Where `statsig-hack demo` writes its project (relative to the folder it runs in). */
export const DEMO_DB = path.join('.statsig-hack', 'demo.duckdb');
export const DEFAULT_MODEL = 'gpt-4.1-mini';

export interface Settings {
  db: Setting<string>;
  model: Setting<string>;
  baseURL: Setting<string | undefined>;
  browserPath: Setting<string | undefined>;
  /** Whether an API key or a base URL is present: "a model is configured". */
  llmConfigured: boolean;
}

export interface FlagValues {
  db?: string;
  model?: string;
}

export function resolveSettings(cwd: string, flags: FlagValues, env: NodeJS.ProcessEnv, config: Config): Settings {
  const db = pick(flags.db, env.STATSIG_HACK_DB, config.db, DEFAULT_DB);
  const baseURL = pick<string | undefined>(undefined, env.OPENAI_BASE_URL, config.llm?.baseURL, undefined);
  return {
    db: { ...db, value: path.resolve(cwd, db.value) },
    model: pick(flags.model, env.STATSIG_HACK_MODEL, config.llm?.model, DEFAULT_MODEL),
    baseURL,
    browserPath: pick<string | undefined>(undefined, env.STATSIG_HACK_CHROMIUM, config.browser?.executablePath, undefined),
    llmConfigured: Boolean(env.OPENAI_API_KEY) || baseURL.value !== undefined,
  };
}

const SOURCE_WORDS: Record<Source, string> = {
  flag: 'from --db',
  env: 'from STATSIG_HACK_DB',
  config: 'from the config file',
  default: 'the default store',
};

/** A word for the shell: quoted when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * ` --db <path>` for a suggested follow-up command when the store came from --db (so the command
 * finds the same store), '' when it came from the environment, the config or the default.
 */
export function dbArg(db: Setting<string>, cwd: string): string {
  if (db.source !== 'flag') return '';
  const rel = path.relative(cwd, path.resolve(cwd, db.value));
  const shown = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(cwd, db.value);
  return ` --db ${shellWord(shown)}`;
}

/** The same command line with `--db <db>` in place of any --db it had. */
function withDb(argv: readonly string[], db: string): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--db') {
      i += 1;
      continue;
    }
    if (a.startsWith('--db=')) continue;
    kept.push(a);
  }
  return ['statsig-hack', ...kept, '--db', db].map(shellWord).join(' ');
}

/**
 * A missing store, said so that it leads somewhere: which store was looked at (and why that one),
 * and the exact command that uses the demo's store when `statsig-hack demo` has written one here.
 */
export function storeMissingError(file: string, cwd: string, argv: readonly string[], source?: Source): UserError {
  const shown = path.relative(cwd, file) || file;
  const demo = path.join(cwd, DEMO_DB);
  const why = source ? ` (${SOURCE_WORDS[source]})` : '';
  const message = `no project store at ${shown.startsWith('..') ? file : shown}${why}`;
  if (path.resolve(file) !== demo && fs.existsSync(demo)) {
    return new UserError(message, {
      hint: `the demo wrote its project to ${DEMO_DB}; use it with:\n${withDb(argv, DEMO_DB)}`,
      code: 'STORE_MISSING',
    });
  }
  return new UserError(message, {
    hint: 'run `statsig-hack init` for an empty store here, or `statsig-hack demo` for a sample project (it writes .statsig-hack/demo.duckdb); or pass --db with an existing store',
    code: 'STORE_MISSING',
  });
}

/** Rewrites the store's generic "no project store at <file>" error into `storeMissingError`. */
export function storeMissingHint(error: UserError, cwd: string, argv: readonly string[] = [], source?: Source): UserError {
  const m = /^no project store at (.+)$/.exec(error.message);
  if (!m) return error;
  return storeMissingError(m[1] as string, cwd, argv, source);
}
