/**
 * Engines whose SQL dialect is built and tested (test/engines/dialects.test.ts) but whose client
 * is not wired in this version: Databricks. Asking for one says so.
 */
import { UserError } from '../core/errors.js';
import type { DialectName } from './dialect.js';
import type { Engine } from './engine.js';

export function openHttpEngine(type: 'databricks'): Promise<Engine> {
  return Promise.reject(
    new UserError(`the ${type} engine has its SQL dialect but no client yet`, {
      hint: 'use --engine postgres, clickhouse or duckdb (the project store); see README "Engines"',
      code: 'ENGINE_UNAVAILABLE',
      exitCode: 2,
    }),
  );
}
