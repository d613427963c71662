/**
 * A throwaway PostgreSQL cluster for the engine tests: initdb into a temp dir, pg_ctl start on
 * 127.0.0.1 on a free port (as the `postgres` OS user when the tests run as root: the server
 * refuses to run as root), trust auth, C locale. `loadFromStore` copies DuckDB store tables into
 * it (CSV out of DuckDB, COPY in), so both engines read the same rows.
 *
 * Binaries: Debian's postgresql package (/usr/lib/postgresql/<v>/bin). Absent locally, the tests
 * skip with the reason; with CI set they fail instead (.ci/run installs the package).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/store/store.js';
import { freePort } from './port.js';

export interface PgServer {
  host: string;
  port: number;
  user: string;
  database: string;
  dir: string;
  stop(): void;
}

/** The folder holding initdb/pg_ctl, or null when PostgreSQL is not installed. */
export function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs
      .readdirSync(base)
      .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(base, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && fs.existsSync(path.join(dir, 'pg_ctl')) && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  return null;
}

/** Why the PostgreSQL tests cannot run here (null when they can); in CI a missing server is a failure, not a skip. */
export function pgUnavailable(): string | null {
  if (pgBinDir() !== null) return null;
  const why = 'PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install -y postgresql';
  if (process.env.CI) throw new Error(`${why} (CI must install them: see .ci/run)`);
  return why;
}


const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary, as `postgres` when we are root. */
function runAs(bin: string, args: string[], user: string | null): void {
  if (user) execFileSync('runuser', ['-u', user, '--', bin, ...args], { stdio: 'pipe', timeout: 60_000 });
  else execFileSync(bin, args, { stdio: 'pipe', timeout: 60_000 });
}

export async function startPostgres(): Promise<PgServer> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const osUser = isRoot() ? 'postgres' : null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  if (osUser) execFileSync('chown', ['-R', `${osUser}:`, dir]);
  runAs(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--locale=C', '-E', 'UTF8', '--no-sync'], osUser);
  const port = await freePort();
  const opts = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=20`;
  runAs(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start'], osUser);
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    dir,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        runAs(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], osUser);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** DuckDB column type -> PostgreSQL column type (the types the store and the fixtures use). */
function pgType(duck: string): string {
  const t = duck.toUpperCase();
  if (/^(BIGINT|HUGEINT|UBIGINT|UINTEGER)$/.test(t)) return 'bigint';
  if (/^(INTEGER|SMALLINT|TINYINT|USMALLINT|UTINYINT)$/.test(t)) return 'integer';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'double precision';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP WITH')) return 'timestamptz';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'JSON') return 'jsonb';
  return 'text';
}

/**
 * Copies `tables` of a DuckDB store (or relations: name -> SELECT) into the server, same
 * names, same rows: DuckDB writes a CSV into the server's folder, the server COPYs it in.
 */
export async function loadFromStore(server: PgServer, store: Store, tables: Record<string, string>): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database });
  await client.connect();
  try {
    for (const [name, select] of Object.entries(tables)) {
      const cols = await store.all<{ column_name: string; column_type: string }>(`DESCRIBE ${select}`);
      const file = path.join(server.dir, `${name}.csv`);
      await store.run(`COPY (${select}) TO '${file}' (HEADER, DELIMITER ',', FORCE_QUOTE *)`);
      fs.chmodSync(file, 0o644);
      const q = (c: string): string => `"${c.replace(/"/g, '""')}"`;
      await client.query(`DROP TABLE IF EXISTS ${q(name)}`);
      await client.query(`CREATE TABLE ${q(name)} (${cols.map((c) => `${q(c.column_name)} ${pgType(c.column_type)}`).join(', ')})`);
      await client.query(`COPY ${q(name)} FROM '${file}' WITH (FORMAT csv, HEADER true)`);
      fs.rmSync(file, { force: true });
    }
  } finally {
    await client.end();
  }
}
