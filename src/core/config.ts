/**
 * Configuration: cosmiconfig (module name `statsig-hack`) validated by zod, then merged
 * with env vars and flags. Precedence: flags > env > config file > defaults.
 * Secrets (API keys) are read from env only, never from a config file.
 */
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.js';

const priceSchema = z.object({
  /** USD per 1M input tokens. */
  input: z.number().nonnegative(),
  /** USD per 1M output tokens. */
  output: z.number().nonnegative(),
});

export const configSchema = z
  .object({
    db: z.string().min(1).optional(),
    llm: z
      .object({
        baseURL: z.string().url().optional(),
        model: z.string().min(1).optional(),
        /** Model per task, e.g. { ideas: 'gpt-4.1', seed: 'gpt-4.1-mini' }. */
        models: z.record(z.string(), z.string().min(1)).optional(),
        timeoutMs: z.number().int().positive().optional(),
        maxRetries: z.number().int().min(0).max(10).optional(),
        /** USD per 1M tokens, by model name. */
        prices: z.record(z.string(), priceSchema).optional(),
        /** Write a transcript of model calls under .statsig-hack/transcripts/. */
        transcript: z.boolean().optional(),
      })
      .strict()
      .optional(),
    browser: z
      .object({
        executablePath: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    forecast: z.object({ country: z.string().length(2).optional() }).strict().optional(),
    codemonkey: z
      .object({
        /** The check command codemonkey runs after each edit (default: detected from package.json). */
        check: z.string().min(1).optional(),
        checkTimeoutMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** The job log (`jobs`): on by default; the cost model's rates (see README "profile and jobs"). */
    jobs: z
      .object({
        enabled: z.boolean().optional(),
        cost: z
          .object({
            usdPerTBScanned: z.number().nonnegative().optional(),
            usdPerCreditHour: z.number().nonnegative().optional(),
            usdPerCpuSecond: z.number().nonnegative().optional(),
          })
          .strict()
          .optional(),
        slowFactor: z.number().gt(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Price = z.infer<typeof priceSchema>;

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null when none was found. */
  filepath: string | null;
}

/** Loads and validates the config file: an explicit `--config` path, or a cosmiconfig search from cwd. */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  const { cosmiconfig } = await import('cosmiconfig');
  const name = 'statsig-hack';
  const explorer = cosmiconfig(name, {
    searchStrategy: 'project',
    searchPlaces: [
      'package.json',
      `.${name}rc`,
      `.${name}rc.json`,
      `.${name}rc.yaml`,
      `.${name}rc.yml`,
      `.${name}rc.js`,
      `.${name}rc.mjs`,
      `${name}.config.json`,
      `${name}.config.js`,
      `${name}.config.mjs`,
      `${name}.config.ts`,
    ],
  });
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
    throw new UserError(`could not read the config file: ${(error as Error).message.split('\n')[0] ?? ''}`, {
      hint: 'fix the syntax of the config file, or pass --config with another file',
      code: 'CONFIG_INVALID',
      cause: error,
    });
  }
  if (!found || found.isEmpty) return { config: {}, filepath: found?.filepath ?? null };
  return { config: parseConfig(found.config, found.filepath), filepath: found.filepath };
}

export function parseConfig(raw: unknown, filepath: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join('.') : '(root)';
    throw new UserError(`invalid config in ${path.basename(filepath)}: ${where}: ${first?.message ?? 'invalid'}`, {
      hint: 'see "Configuration" in the README for the allowed keys',
      code: 'CONFIG_INVALID',
    });
  }
  return parsed.data;
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
