/**
 * Chooses and opens the engine a command runs on: `--engine <type>` beats the config's
 * `engine.type`, which beats the default (the DuckDB project store). Warehouse clients are
 * imported here, lazily, only for the engine in use.
 */
import type { Config } from '../core/config.js';
import { UsageError, UserError } from '../core/errors.js';
import { DIALECT_NAMES, type DialectName } from './dialect.js';
import type { Engine, EngineSettings } from './engine.js';

export const ENGINE_FLAG_HELP = `where the sums are computed: ${DIALECT_NAMES.join('|')} (default: config engine.type, else duckdb, the project store)`;

export interface EngineChoice {
  type: DialectName;
  /** Asked for by --engine or STATSIG_HACK_ENGINE (not only the config's default). */
  explicit?: boolean;
  settings: EngineSettings;
  env: Record<string, string | undefined>;
}

/** Table names in the engine for store-mode analyses (experiments); defaults are the store's own. */
export interface EngineTables {
  events: string;
  exposures: string;
  users: string;
}

export function engineTables(settings: EngineSettings | undefined): EngineTables {
  return { events: settings?.tables?.events ?? 'events', exposures: settings?.tables?.exposures ?? 'exposures', users: settings?.tables?.users ?? 'users' };
}

/** The engine a command should use, or null for the DuckDB store. */
export function chooseEngine(flag: string | undefined, config: Config, env: Record<string, string | undefined>): EngineChoice | null {
  const type = flag ?? config.engine?.type ?? 'duckdb';
  if (!(DIALECT_NAMES as readonly string[]).includes(type)) {
    throw new UsageError(`--engine ${type} is not an engine`, { hint: `one of: ${DIALECT_NAMES.join(', ')}` });
  }
  if (type === 'duckdb') return null;
  // Connection settings only apply to the engine they were written for.
  const settings: EngineSettings = config.engine?.type === type ? config.engine : { type: type as DialectName };
  return { type: type as DialectName, settings, env, explicit: flag !== undefined };
}

export async function openEngine(choice: EngineChoice): Promise<Engine> {
  switch (choice.type) {
    case 'postgres':
      return (await import('./postgres.js')).PostgresEngine.connect(choice.settings, choice.env);
    case 'clickhouse':
      return (await import('./clickhouse.js')).ClickHouseEngine.connect(choice.settings, choice.env);
    case 'trino':
      return (await import('./trino.js')).TrinoEngine.connect(choice.settings, choice.env);
    case 'snowflake':
      return (await import('./snowflake.js')).SnowflakeEngine.connect(choice.settings, choice.env);
    case 'bigquery':
      return (await import('./bigquery.js')).BigQueryEngine.connect(choice.settings, choice.env);
    case 'databricks':
      return (await import('./databricks.js')).DatabricksEngine.connect(choice.settings, choice.env);
    case 'duckdb':
      throw new UserError('the duckdb engine is the project store: open it with Store.open', { code: 'INTERNAL' });
  }
}
