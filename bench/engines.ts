/**
 * engines benchmark: the same CUPAC analysis (2 metrics, a numeric and a categorical covariate)
 * on N units in DuckDB, PostgreSQL and ClickHouse (a Distributed table over two MergeTree shards),
 * side by side: wall time of analyze, queries run, and the bytes of results that came back to the
 * CLI (which must not grow with N: only per-group sums return). Runs at N/10 and N.
 *
 *   npm run bench -- engines [units] [reps]   (default 10000000: 1M and 10M; 3 interleaved rounds, median)
 *
 * The rows are generated inside each server (DuckDB range, PostgreSQL generate_series, ClickHouse
 * numbers) from the same integer hash, and the values are sums and products of exact binary
 * fractions of it, so every engine holds the same numbers (the revenue diff column agrees) and
 * nothing crosses the wire to load them. PostgreSQL and ClickHouse are the Debian packages,
 * started like the tests do; an engine whose server is not installed is reported as skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type Row } from '../src/store/store.js';
import { analyze } from '../src/engines/analyze.js';
import { DuckDBEngine, resultBytes, type Engine } from '../src/engines/engine.js';
import { openEngine } from '../src/engines/open.js';
import { pgBinDir, startPostgres, type PgServer } from '../test/support/postgres.js';
import { CLICKHOUSE_BIN, startClickHouse, type ClickHouseServer } from '../test/support/clickhouse.js';

/**
 * The bench rows as one SELECT over an integer column `i` (0..N-1), in the words every engine
 * shares: integer arithmetic (exact; below 2^53), a division to a fraction, CASE, floor.
 * u(k) = ((i a + b) mod p1) ((i c + d) mod p2) mod p3 / p3, a uniform-looking hash in [0, 1).
 */
function unitsSelect(i: string, frac: (int: string, m: number) => string): string {
  const u = (a: number, b: number, c: number, d: number): string => frac(`(((${i} * ${a} + ${b}) % 1000003) * ((${i} * ${c} + ${d}) % 999983)) % 1000033`, 1000033);
  const u0 = u(48271, 11, 69621, 7);
  const u1 = u(40692, 3, 16807, 5);
  const u2 = u(39373, 17, 48271, 13);
  const u5 = u(69621, 23, 40692, 19);
  const u6 = u(16807, 29, 39373, 31);
  const test = `${u0} >= 0.5`;
  return `SELECT ${i} AS unit_id,
    CASE WHEN ${test} THEN 'test' ELSE 'control' END AS variant,
    60 * ${u1} * ${u1} AS pre_revenue,
    CASE WHEN ${u5} < 0.4 THEN 'US' WHEN ${u5} < 0.6 THEN 'BR' WHEN ${u5} < 0.75 THEN 'DE' WHEN ${u5} < 0.9 THEN 'IN' ELSE 'JP' END AS country,
    48 * ${u1} * ${u1} + (${u6} - 0.5) * 30 + CASE WHEN ${test} THEN 0.5 ELSE 0 END AS revenue,
    floor(${u2} * 10) * 0.7 + ${u6} * 3 AS orders`;
}

const duckGenerate = (units: number): string =>
  `CREATE OR REPLACE TABLE exp AS ${unitsSelect('i', (x, m) => `(CAST(${x} AS DOUBLE) / ${m})`)} FROM range(${units}) t(i)`;

async function pgGenerate(server: PgServer, name: string, units: number): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database });
  await client.connect();
  try {
    await client.query(`ALTER SYSTEM SET work_mem = '256MB'`);
    await client.query('SELECT pg_reload_conf()');
    await client.query(`DROP TABLE IF EXISTS ${name}`);
    await client.query(`CREATE UNLOGGED TABLE ${name} AS ${unitsSelect('i', (x, m) => `(CAST(${x} AS DOUBLE PRECISION) / ${m})`)} FROM generate_series(CAST(0 AS BIGINT), ${units - 1}) AS g(i)`);
    await client.query(`VACUUM ANALYZE ${name}`);
  } finally {
    await client.end();
  }
}

/** Two MergeTree shards (even and odd units) and a Distributed table over them, as the tests' cluster. */
async function chGenerate(server: ClickHouseServer, name: string, units: number): Promise<void> {
  const select = unitsSelect('number', (x, m) => `(toFloat64(${x}) / ${m})`);
  for (const [k, shard] of ['s1', 's2'].entries()) {
    await server.query(`CREATE TABLE ${shard}.${name} ENGINE = MergeTree() ORDER BY unit_id AS ${select} FROM numbers(${units}) WHERE number % 2 = ${k}`);
  }
  await server.query(`CREATE TABLE default.${name} AS s1.${name} ENGINE = Distributed(two_shards, '', ${name})`);
}

/** Counts the queries an engine runs and the bytes of their results. */
function counting(engine: Engine): { engine: Engine; queries: () => number; bytes: () => number } {
  let queries = 0;
  let bytes = 0;
  const wrapped: Engine = {
    name: engine.name,
    dialect: engine.dialect,
    async all<T extends Row = Row>(sql: string): Promise<T[]> {
      const rows = await engine.all<T>(sql);
      queries += 1;
      bytes += resultBytes(rows);
      return rows;
    },
    columns: (r) => engine.columns(r),
    materialize: (n, s) => engine.materialize(n, s),
    lastStats: () => engine.lastStats(),
    close: () => engine.close(),
  };
  return { engine: wrapped, queries: () => queries, bytes: () => bytes };
}

async function timeAnalyze(engine: Engine, relation: string): Promise<{ ms: number; queries: number; bytes: number; lift: number | null }> {
  const c = counting(engine);
  const t0 = performance.now();
  const r = await analyze(c.engine, {
    relation,
    source: 'bench',
    experiment: null,
    unit: 'unit_id',
    group: 'variant',
    metrics: [
      { name: 'revenue', kind: 'value', column: 'revenue' },
      { name: 'orders', kind: 'value', column: 'orders' },
    ],
    covariates: ['pre_revenue', 'country'],
    method: 'cupac',
    alpha: 0.05,
    tails: 'two',
    correction: 'none',
    defaultNulls: 'zero',
  });
  return { ms: performance.now() - t0, queries: c.queries(), bytes: c.bytes(), lift: r.results[0]?.diff ?? null };
}

export default async function bench(args: string[]): Promise<void> {
  const units = Number(args[0] ?? process.env.STATSIG_HACK_BENCH_UNITS ?? 10_000_000);
  const reps = Math.max(1, Number(args[1] ?? 3));
  const sizes = [Math.max(1000, Math.round(units / 10)), units];
  const pg = pgBinDir() ? await startPostgres() : null;
  const ch = fs.existsSync(CLICKHOUSE_BIN) ? await startClickHouse() : null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-engines-'));
  const store = await Store.open(path.join(dir, 'bench.duckdb'), { create: true, migrate: false });
  const rows: string[][] = [];
  const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ');
  const timed = async (f: () => Promise<void>): Promise<number> => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  type Run = Awaited<ReturnType<typeof timeAnalyze>>;
  try {
    for (const n of sizes) {
      // Each engine's rows, then `reps` rounds of the analysis interleaved across engines (the load is shared and noisy).
      const engines: { name: string; loadMs: number; run: () => Promise<Run> }[] = [];
      const duckMs = await timed(() => store.run(duckGenerate(n)));
      engines.push({ name: 'duckdb', loadMs: duckMs, run: () => timeAnalyze(new DuckDBEngine(store), 'exp') });
      if (pg) {
        const ms = await timed(() => pgGenerate(pg, `exp_${n}`, n));
        engines.push({
          name: 'postgres',
          loadMs: ms,
          run: async () => {
            const e = await openEngine({ type: 'postgres', settings: { type: 'postgres', host: pg.host, port: pg.port, user: pg.user, database: pg.database }, env: {} });
            try {
              return await timeAnalyze(e, e.dialect.table(`exp_${n}`));
            } finally {
              await e.close();
            }
          },
        });
      }
      if (ch) {
        const ms = await timed(() => chGenerate(ch, `exp_${n}`, n));
        engines.push({
          name: 'clickhouse (2 shards)',
          loadMs: ms,
          run: async () => {
            const e = await openEngine({ type: 'clickhouse', settings: { type: 'clickhouse', url: ch.url }, env: {} });
            return timeAnalyze(e, e.dialect.table(`exp_${n}`));
          },
        });
      }
      const runs = engines.map(() => [] as Run[]);
      for (let r = 0; r < reps; r += 1) for (const [i, e] of engines.entries()) runs[i]?.push(await e.run());
      for (const [i, e] of engines.entries()) {
        const rs = runs[i] ?? [];
        const ms = rs.map((x) => x.ms).sort((a, b) => a - b);
        const last = rs[rs.length - 1];
        rows.push([
          n.toLocaleString('en-US'),
          e.name,
          (e.loadMs / 1000).toFixed(1),
          (ms[Math.floor((ms.length - 1) / 2)] ?? 0).toFixed(0),
          `${(ms[0] ?? 0).toFixed(0)}-${(ms[ms.length - 1] ?? 0).toFixed(0)}`,
          String(last?.queries ?? ''),
          String(last?.bytes ?? ''),
          last?.lift?.toFixed(9) ?? '-',
          load(),
        ]);
      }
      if (!pg) rows.push([n.toLocaleString('en-US'), 'postgres', 'skipped: not installed', '', '', '', '', '', '']);
      if (!ch) rows.push([n.toLocaleString('en-US'), 'clickhouse', 'skipped: not installed', '', '', '', '', '', '']);
      process.stderr.write(`  ${n} units generated and analyzed ${reps}x on every engine\n`);
    }
  } finally {
    store.close();
    pg?.stop();
    ch?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const head = ['units', 'engine', 'load s', 'analyze ms (median)', 'min-max', 'queries', 'bytes back', 'revenue diff', 'load avg (1/5/15 min)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
}
