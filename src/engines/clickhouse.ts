/**
 * ClickHouse as an engine through the maintained `@clickhouse/client` (its HTTP interface, FORMAT
 * JSON). This module is imported only when the clickhouse engine is chosen (open.ts), so the client
 * loads only then. Tried for real against Debian's ClickHouse 18.16 (test/support/clickhouse.ts):
 * ping, queries and the settings it sends as URL parameters all work there. The server reports
 * the bytes it read per query (statistics.bytes_read), which the job log records. Settings:
 * engine.url (default http://127.0.0.1:8123), engine.user, engine.database; password from
 * STATSIG_HACK_CLICKHOUSE_PASSWORD.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { UserError, errorMessage } from '../core/errors.js';
import type { Row } from '../store/store.js';
import { dialectFor } from './dialect.js';
import { observeEngineQuery, RemoteEngine, resultBytes, type EngineColumn, type EngineSettings } from './engine.js';

const NUMERIC = /^(Nullable\()?(U?Int(8|16|32|64|128|256)|Float(32|64)|Decimal.*)\)?$/;
const TIMEOUT_MS = 120_000;

interface JsonResult {
  meta?: { name: string; type: string }[];
  data?: Row[];
  statistics?: { bytes_read?: number };
}

export class ClickHouseEngine extends RemoteEngine {
  readonly name = 'clickhouse' as const;
  readonly dialect = dialectFor('clickhouse');

  private constructor(private readonly client: ClickHouseClient) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<ClickHouseEngine> {
    const url = new URL(settings.url ?? `http://${settings.host ?? '127.0.0.1'}:${settings.port ?? 8123}/`);
    const client = createClient({
      url: url.origin,
      ...(url.pathname !== '/' ? { pathname: url.pathname } : {}),
      username: settings.user ?? 'default',
      ...(env.STATSIG_HACK_CLICKHOUSE_PASSWORD ? { password: env.STATSIG_HACK_CLICKHOUSE_PASSWORD } : {}),
      ...(settings.database ? { database: settings.database } : {}),
      request_timeout: TIMEOUT_MS,
      // The client's own logger prints whole request configs (credentials included): errors reach
      // the user as one line through UserError instead.
      log: { level: ClickHouseLogLevel.OFF },
      // Read-only; an outer join's unmatched side is NULL, as in standard SQL (not the type's default).
      clickhouse_settings: { readonly: '2', join_use_nulls: 1 },
    });
    const engine = new ClickHouseEngine(client);
    try {
      await engine.request('SELECT 1 AS ok');
    } catch (error) {
      await client.close();
      throw new UserError(`cannot reach clickhouse at ${url.origin}: ${errorMessage(error)}`, {
        hint: 'check engine.url (or host/port) in the config and STATSIG_HACK_CLICKHOUSE_PASSWORD in the environment',
        code: 'ENGINE_CONNECT',
      });
    }
    return engine;
  }

  private async request(sql: string): Promise<{ result: JsonResult; bytes: number }> {
    try {
      const res = await this.client.query({ query: sql, format: 'JSON' });
      const text = await res.text();
      return { result: JSON.parse(text) as JsonResult, bytes: Buffer.byteLength(text) };
    } catch (error) {
      throw new Error(errorMessage(error).split('\n')[0]?.slice(0, 400));
    }
  }

  async all<T extends Row = Row>(sql: string): Promise<T[]> {
    return observeEngineQuery('clickhouse', sql, async () => {
      let out: { result: JsonResult; bytes: number };
      try {
        out = await this.request(sql);
      } catch (error) {
        throw new UserError(`clickhouse: ${errorMessage(error)}`, { hint: 'check the table names (config engine.tables) and their columns', code: 'ENGINE_QUERY' });
      }
      const rows = (out.result.data ?? []) as T[];
      this.stats = { bytesScanned: out.result.statistics?.bytes_read ?? null, bytesReturned: resultBytes(rows), rowsReturned: rows.length };
      return { result: rows, stats: this.stats };
    });
  }

  async columns(relation: string): Promise<EngineColumn[]> {
    const { result } = await this.request(`SELECT * FROM ${relation} LIMIT 0`);
    return (result.meta ?? []).map((m) => ({ name: m.name, type: m.type, numeric: NUMERIC.test(m.type) }));
  }

  override async close(): Promise<void> {
    await this.client.close();
  }
}
