/** Engines reached over HTTP (filled in below). */
import { UserError } from '../core/errors.js';
import type { DialectName } from './dialect.js';
import type { Engine, EngineSettings } from './engine.js';

export function openHttpEngine(type: Exclude<DialectName, 'duckdb' | 'postgres'>, _settings: EngineSettings, _env: Record<string, string | undefined>): Promise<Engine> {
  throw new UserError(`the ${type} engine is not available yet`, { code: 'ENGINE_UNAVAILABLE' });
}
