/**
 * What `doctor` asks of the configured engine: that it connects, that the tables the config maps
 * (engine.tables) exist, and that they have the columns the experiment analysis reads.
 */
import { errorMessage } from '../core/errors.js';
import type { Engine } from './engine.js';
import { engineTables, openEngine, type EngineChoice } from './open.js';

/** The columns analyze --experiment reads from each table. */
export const REQUIRED_COLUMNS = {
  events: ['unit_id', 'event', 'ts', 'value'],
  exposures: ['unit_id', 'experiment', 'group_name', 'first_exposure'],
  users: ['unit_id'],
} as const;

export interface EngineCheck {
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint: string | null;
  info: Record<string, unknown>;
}

export async function checkEngine(choice: EngineChoice, open: (c: EngineChoice) => Promise<Engine> = openEngine): Promise<EngineCheck> {
  const tables = engineTables(choice.settings);
  const info: Record<string, unknown> = { type: choice.type, tables };
  const t0 = performance.now();
  let engine: Engine;
  try {
    engine = await open(choice);
  } catch (error) {
    return { status: 'fail', detail: errorMessage(error), hint: `check the engine section of the config and the ${choice.type} password/token in the environment`, info };
  }
  try {
    await engine.all('SELECT 1 AS ok');
    info.latency_ms = Math.round(performance.now() - t0);
    const problems: string[] = [];
    const found: Record<string, string[]> = {};
    for (const [role, name] of Object.entries(tables) as [keyof typeof REQUIRED_COLUMNS, string][]) {
      try {
        const cols = (await engine.columns(engine.dialect.table(name))).map((c) => c.name.toLowerCase());
        found[role] = cols;
        const missing = REQUIRED_COLUMNS[role].filter((c) => !cols.includes(c));
        if (missing.length > 0) problems.push(`${role} table ${name} lacks ${missing.join(', ')}`);
      } catch {
        problems.push(`${role} table ${name} not found`);
      }
    }
    info.columns = found;
    if (problems.length > 0) {
      return { status: 'warn', detail: `${choice.type} connects, but ${problems.join('; ')}`, hint: 'map your tables in the config (engine.tables: { events, exposures, users }) or create views with these columns', info };
    }
    return { status: 'ok', detail: `${choice.type} connects in ${String(info.latency_ms)} ms; events, exposures and users tables have the columns analyze reads`, hint: null, info };
  } finally {
    await engine.close();
  }
}
