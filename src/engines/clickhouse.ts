/**
 * ClickHouse as an engine over its HTTP interface (plain fetch, FORMAT JSON). Debian's package is
 * ClickHouse 18.16; the maintained @clickhouse/client targets much newer servers, so this engine
 * speaks the HTTP protocol that every version has. The server reports the bytes it read per query
 * (statistics.bytes_read), which the job log records. Settings: engine.url (default
 * http://127.0.0.1:8123), engine.user, engine.database; password from STATSIG_HACK_CLICKHOUSE_PASSWORD.
 */
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

  private constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string>,
  ) {
    super();
  }

  static async connect(settings: EngineSettings, env: Record<string, string | undefined>): Promise<ClickHouseEngine> {
    const url = new URL(settings.url ?? `http://${settings.host ?? '127.0.0.1'}:${settings.port ?? 8123}/`);
    if (settings.database) url.searchParams.set('database', settings.database);
    url.searchParams.set('readonly', '2');
    // An outer join's unmatched side is NULL, as in standard SQL (not the column type's default).
    url.searchParams.set('join_use_nulls', '1');
    const headers: Record<string, string> = { 'X-ClickHouse-User': settings.user ?? 'default' };
    const password = env.STATSIG_HACK_CLICKHOUSE_PASSWORD;
    if (password) headers['X-ClickHouse-Key'] = password;
    const engine = new ClickHouseEngine(url, headers);
    try {
      await engine.request('SELECT 1 AS ok');
    } catch (error) {
      throw new UserError(`cannot reach clickhouse at ${url.origin}: ${errorMessage(error)}`, {
        hint: 'check engine.url (or host/port) in the config and STATSIG_HACK_CLICKHOUSE_PASSWORD in the environment',
        code: 'ENGINE_CONNECT',
      });
    }
    return engine;
  }

  private async request(sql: string): Promise<{ result: JsonResult; bytes: number }> {
    const res = await fetch(this.url, { method: 'POST', headers: this.headers, body: `${sql}\nFORMAT JSON`, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    if (!res.ok) throw new Error(text.split('\n')[0]?.slice(0, 400) ?? `HTTP ${res.status}`);
    return { result: JSON.parse(text) as JsonResult, bytes: Buffer.byteLength(text) };
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

}
