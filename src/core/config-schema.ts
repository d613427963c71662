/**
 * The config file's zod schema. Kept apart from config.ts so that zod (about 100 modules) is
 * loaded only when a config file exists: `statsig-hack --help` and a run without a config file
 * never import it.
 */
import { z } from 'zod';

export const priceSchema = z.object({
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
        /** What a DuckDB profile holds: 'summary' (query-level figures and each scan's rows) or 'plan' (every operator's time and rows). */
        detail: z.enum(['summary', 'plan']).optional(),
        /**
         * Which queries DuckDB profiles: 'sampled' (default: a query shape's first run, a run after one that changed speed by
         * slowFactor, one whose profile is over an hour old, and one in sampleEvery at random; the others carry its scans, marked estimated),
         * 'every' (exact figures for every query, about 0.15 ms each) or 'off' (time and rows returned only).
         */
        profile: z.enum(['every', 'sampled', 'off']).optional(),
        cost: z
          .object({
            usdPerTBScanned: z.number().nonnegative().optional(),
            usdPerCreditHour: z.number().nonnegative().optional(),
            usdPerCpuSecond: z.number().nonnegative().optional(),
          })
          .strict()
          .optional(),
        slowFactor: z.number().gt(1).optional(),
        /** 'sampled' also profiles one run in this many of a shape at random (default 20; 0: only first, changed and stale runs). */
        sampleEvery: z.number().int().nonnegative().optional(),
        /** `jobs slow` ignores jobs faster than this many ms (default 50): a 5 ms lookup at 10x its median is noise. */
        slowMinMs: z.number().nonnegative().optional(),
      })
      .strict()
      .optional(),
    /** Where analyze, power and whatchanged compute their sums (see README "Engines"); secrets only from env. */
    engine: z
      .object({
        type: z.enum(['duckdb', 'postgres', 'clickhouse', 'bigquery', 'snowflake', 'databricks', 'trino']),
        host: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        database: z.string().min(1).optional(),
        user: z.string().min(1).optional(),
        /** HTTP engines: the endpoint (ClickHouse HTTP, Trino coordinator, Databricks/Snowflake/BigQuery API). */
        url: z.string().url().optional(),
        /** Engine-specific, non-secret settings (catalog, schema, warehouse, project, ...). */
        options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        password: z.undefined({ error: 'secrets come from env only: set STATSIG_HACK_<ENGINE>_PASSWORD (PGPASSWORD for postgres)' }).optional(),
        tables: z.object({ events: z.string().min(1), exposures: z.string().min(1), users: z.string().min(1) }).partial().strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();


