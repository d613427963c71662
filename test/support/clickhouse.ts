/**
 * A throwaway ClickHouse server (Debian's clickhouse-server, 18.16) for the engine tests: a temp
 * config listening on 127.0.0.1 on free ports, with a cluster `two_shards` of two shards on this
 * same server (shard databases s1 and s2, chosen by each replica's default_database), so a
 * `Distributed` table over them exercises the distributed path (the query fans out over TCP and
 * the partial aggregates are merged). `loadSharded` splits a DuckDB relation's rows between
 * the shards and creates the Distributed table over them.
 *
 * Absent locally, the tests skip with the reason; with CI set they fail instead (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/store/store.js';
import { freePort } from './port.js';

export const CLICKHOUSE_BIN = '/usr/sbin/clickhouse-server';

export function clickhouseUnavailable(): string | null {
  if (fs.existsSync(CLICKHOUSE_BIN)) return null;
  const why = 'clickhouse-server not found: apt-get install -y clickhouse-server';
  if (process.env.CI) throw new Error(`${why} (CI must install it: see .ci/run)`);
  return why;
}

export interface ClickHouseServer {
  url: string;
  query(sql: string, body?: string): Promise<string>;
  stop(): void;
}

export async function startClickHouse(): Promise<ClickHouseServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-ch-'));
  for (const d of ['tmp', 'user_files']) fs.mkdirSync(path.join(dir, d));
  const http = await freePort();
  const tcp = await freePort();
  const replica = (db: string): string => `<shard><replica><host>127.0.0.1</host><port>${tcp}</port><default_database>${db}</default_database></replica></shard>`;
  fs.writeFileSync(
    path.join(dir, 'users.xml'),
    `<?xml version="1.0"?><yandex><profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas></yandex>`,
  );
  fs.writeFileSync(
    path.join(dir, 'config.xml'),
    `<?xml version="1.0"?><yandex>
<logger><level>warning</level><log>${dir}/log</log><errorlog>${dir}/err</errorlog></logger>
<http_port>${http}</http_port><tcp_port>${tcp}</tcp_port><listen_host>127.0.0.1</listen_host>
<path>${dir}/</path><tmp_path>${dir}/tmp/</tmp_path><user_files_path>${dir}/user_files/</user_files_path>
<users_config>${dir}/users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
<mark_cache_size>268435456</mark_cache_size><max_concurrent_queries>20</max_concurrent_queries>
<remote_servers><two_shards>${replica('s1')}${replica('s2')}</two_shards></remote_servers>
</yandex>`,
  );
  const child: ChildProcess = spawn(CLICKHOUSE_BIN, [`--config-file=${path.join(dir, 'config.xml')}`], { cwd: dir, stdio: 'ignore' });
  const url = `http://127.0.0.1:${http}/`;
  const query = async (sql: string, body?: string): Promise<string> => {
    const target = body === undefined ? url : `${url}?query=${encodeURIComponent(sql)}`;
    const res = await fetch(target, { method: 'POST', body: body ?? sql });
    const text = await res.text();
    if (!res.ok) throw new Error(`clickhouse: ${text.slice(0, 300)}`);
    return text;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await query('SELECT 1');
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`clickhouse-server did not start: ${String(error)}; ${fs.existsSync(path.join(dir, 'err')) ? fs.readFileSync(path.join(dir, 'err'), 'utf8').slice(-500) : ''}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await query('CREATE DATABASE s1');
  await query('CREATE DATABASE s2');
  let stopped = false;
  return {
    url,
    query,
    stop() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function chType(duck: string): string {
  const t = duck.toUpperCase();
  if (/^(BIGINT|HUGEINT|UBIGINT|UINTEGER|INTEGER|SMALLINT|TINYINT|USMALLINT|UTINYINT)$/.test(t)) return 'Nullable(Int64)';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'Nullable(Float64)';
  if (t.startsWith('TIMESTAMP')) return 'Nullable(DateTime)';
  return 'Nullable(String)';
}

/**
 * Copies a DuckDB relation into `name` split over the two shards (alternate rows), and creates
 * `default.<name>` as a Distributed table over them. Returns the rows per shard.
 */
export async function loadSharded(server: ClickHouseServer, store: Store, name: string, select: string): Promise<[number, number]> {
  const cols = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE ${select}`);
  const ddl = cols.map((c) => `"${c.column_name}" ${chType(c.column_type)}`).join(', ');
  const counts: number[] = [];
  for (const [i, shard] of ['s1', 's2'].entries()) {
    await server.query(`CREATE TABLE ${shard}.${name} (${ddl}) ENGINE = Log`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-ch-csv-'));
    const file = path.join(dir, 'rows.csv');
    await store.run(`COPY (SELECT * EXCLUDE (__i) FROM (SELECT *, row_number() OVER () AS __i FROM (${select})) WHERE __i % 2 = ${i}) TO '${file}' (HEADER false, NULLSTR '\\N')`);
    const csv = fs.readFileSync(file, 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    await server.query(`INSERT INTO ${shard}.${name} FORMAT CSV`, csv);
    counts.push(Number((await server.query(`SELECT count(*) FROM ${shard}.${name}`)).trim()));
  }
  await server.query(`CREATE TABLE default.${name} AS s1.${name} ENGINE = Distributed(two_shards, '', ${name})`);
  return [counts[0] ?? 0, counts[1] ?? 0];
}
