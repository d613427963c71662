/**
 * engines benchmark: the same CUPAC analysis (2 metrics, a numeric and a categorical covariate)
 * on N units in DuckDB, PostgreSQL and ClickHouse (a Distributed table over two shards), side by
 * side: wall time of analyze, queries run, and the bytes of results that came back to the CLI
 * (which must not grow with N: only per-group sums return). Runs at N/10 and N.
 *
 *   npm run bench -- engines [units]        (default 100000; STATSIG_HACK_BENCH_UNITS=10000000 for 10M)
 *
 * PostgreSQL and ClickHouse are the Debian packages, started like the tests do; an engine whose
 * server is not installed is reported as skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type Row } from '../src/store/store.js';
import { analyze } from '../src/engines/analyze.js';
import { DuckDBEngine, resultBytes, type Engine } from '../src/engines/engine.js';
import { openEngine } from '../src/engines/open.js';
import { loadFromStore, pgBinDir, startPostgres } from '../test/support/postgres.js';
import { CLICKHOUSE_BIN, loadSharded, startClickHouse } from '../test/support/clickhouse.js';

const GENERATE = (units: number): string => `CREATE OR REPLACE TABLE exp AS
  WITH base AS (
    SELECT i AS unit_id,
      CASE WHEN hash(i, 1) % 2 = 0 THEN 'control' ELSE 'test' END AS variant,
      (hash(i, 2) % 1000000) / 1000000.0 AS u1, (hash(i, 3) % 1000000) / 1000000.0 AS u2,
      (hash(i, 5) % 1000000) / 1000000.0 AS u5, (hash(i, 7) % 1000000) / 1000000.0 AS u6
    FROM range(${units}) t(i))
  SELECT unit_id, variant,
    -ln(1 - u1 * 0.999) * 20 AS pre_revenue,
    CASE WHEN u5 < 0.4 THEN 'US' WHEN u5 < 0.6 THEN 'BR' WHEN u5 < 0.75 THEN 'DE' WHEN u5 < 0.9 THEN 'IN' ELSE 'JP' END AS country,
    -ln(1 - u1 * 0.999) * 16 + (u6 - 0.5) * 30 + CASE WHEN variant = 'test' THEN 0.5 ELSE 0 END AS revenue,
    floor(u2 * 10) * 0.7 + u6 * 3 AS orders
  FROM base`;

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
  const units = Number(args[0] ?? process.env.STATSIG_HACK_BENCH_UNITS ?? 100_000);
  const sizes = [Math.max(1000, Math.round(units / 10)), units];
  const pg = pgBinDir() ? await startPostgres() : null;
  const ch = fs.existsSync(CLICKHOUSE_BIN) ? await startClickHouse() : null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-engines-'));
  const store = await Store.open(path.join(dir, 'bench.duckdb'), { create: true, migrate: false });
  const rows: string[][] = [];
  try {
    for (const n of sizes) {
      const tLoad = performance.now();
      await store.run(GENERATE(n));
      const duck = await timeAnalyze(new DuckDBEngine(store), 'exp');
      rows.push([String(n), 'duckdb', duck.ms.toFixed(0), String(duck.queries), String(duck.bytes), duck.lift?.toFixed(6) ?? '-']);
      if (pg) {
        await loadFromStore(pg, store, { [`exp_${n}`]: 'SELECT * FROM exp' });
        const e = await openEngine({ type: 'postgres', settings: { type: 'postgres', host: pg.host, port: pg.port, user: pg.user, database: pg.database }, env: {} });
        try {
          const r = await timeAnalyze(e, e.dialect.table(`exp_${n}`));
          rows.push([String(n), 'postgres', r.ms.toFixed(0), String(r.queries), String(r.bytes), r.lift?.toFixed(6) ?? '-']);
        } finally {
          await e.close();
        }
      } else rows.push([String(n), 'postgres', 'skipped: not installed', '', '', '']);
      if (ch) {
        await loadSharded(ch, store, `exp_${n}`, 'SELECT * FROM exp');
        const e = await openEngine({ type: 'clickhouse', settings: { type: 'clickhouse', url: ch.url }, env: {} });
        const r = await timeAnalyze(e, e.dialect.table(`exp_${n}`));
        rows.push([String(n), 'clickhouse (2 shards)', r.ms.toFixed(0), String(r.queries), String(r.bytes), r.lift?.toFixed(6) ?? '-']);
      } else rows.push([String(n), 'clickhouse', 'skipped: not installed', '', '', '']);
      process.stderr.write(`  ${n} units loaded and analyzed in ${((performance.now() - tLoad) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    store.close();
    pg?.stop();
    ch?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const head = ['units', 'engine', 'analyze ms', 'queries', 'bytes back', 'revenue diff'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
}
