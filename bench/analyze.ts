/**
 * analyze benchmark: a 10M-unit table (2 metrics, 5 covariates: 4 numeric + 1 categorical)
 * in a DuckDB file, then the time of a full CUPAC analysis versus bare scans of the same
 * table in the same process, and this process's peak RSS.
 *
 *   npm run bench -- analyze [units]        (default 10000000)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { analyze } from '../src/engines/analyze.js';

const GENERATE = `
import { DuckDBInstance } from '@duckdb/node-api';
const [file, units] = process.argv.slice(1);
const db = await DuckDBInstance.create(file);
const c = await db.connect();
await c.run("SET memory_limit = '1GB'");
await c.run(\`CREATE TABLE exp AS
  WITH base AS (
    SELECT i AS unit_id,
      CASE WHEN hash(i, 1) % 2 = 0 THEN 'control' ELSE 'test' END AS variant,
      (hash(i, 2) % 1000000) / 1000000.0 AS u1, (hash(i, 3) % 1000000) / 1000000.0 AS u2,
      (hash(i, 4) % 1000000) / 1000000.0 AS u3, (hash(i, 5) % 1000000) / 1000000.0 AS u4,
      (hash(i, 6) % 1000000) / 1000000.0 AS u5, (hash(i, 7) % 1000000) / 1000000.0 AS u6
    FROM range(\${Number(units)}) t(i))
  SELECT unit_id, variant,
    -ln(1 - u1 * 0.999) * 20 AS pre_revenue,
    floor(u2 * 10) AS pre_sessions,
    u3 * 365 AS tenure_days,
    u4 AS engagement,
    CASE WHEN u5 < 0.4 THEN 'US' WHEN u5 < 0.6 THEN 'BR' WHEN u5 < 0.75 THEN 'DE' WHEN u5 < 0.9 THEN 'IN' ELSE 'JP' END AS country,
    -ln(1 - u1 * 0.999) * 16 + (u6 - 0.5) * 30 + CASE WHEN variant = 'test' THEN 0.5 ELSE 0 END AS revenue,
    floor(u2 * 10) * 0.7 + u6 * 3 AS orders
  FROM base\`);
c.closeSync(); db.closeSync();
`;

function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  return fn().then((value) => ({ ms: performance.now() - t, value }));
}

export default async function bench(args: string[]): Promise<void> {
  const units = Number(args[0] ?? 10_000_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-analyze-'));
  const file = path.join(dir, 'bench.duckdb');
  try {
    const t0 = performance.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', GENERATE, file, String(units)], { cwd: path.resolve(import.meta.dirname, '..'), stdio: 'inherit' });
    console.log(`generated ${units.toLocaleString('en-US')} units in ${((performance.now() - t0) / 1000).toFixed(1)} s (separate process)`);

    const store = await Store.open(file, { migrate: false });
    await store.run("SET memory_limit = '640MB'");
    const opts = {
      relation: 'exp',
      source: 'exp',
      experiment: 'bench',
      unit: 'unit_id',
      group: 'variant',
      metrics: [
        { name: 'revenue', kind: 'value' as const, column: 'revenue' },
        { name: 'orders', kind: 'value' as const, column: 'orders' },
      ],
      covariates: ['pre_revenue', 'pre_sessions', 'tenure_days', 'engagement', 'country'],
      method: 'cupac' as const,
      alpha: 0.05,
      tails: 'two' as const,
      correction: 'none' as const,
      defaultNulls: 'zero' as const,
    };
    // Warm the buffer cache once, so neither side pays the first read from disk.
    await store.all('SELECT variant, SUM(revenue), SUM(orders), SUM(pre_revenue), SUM(pre_sessions), SUM(tenure_days), SUM(engagement), COUNT(country) FROM exp GROUP BY variant');
    const reps = 3;
    const best = async (fn: () => Promise<unknown>): Promise<number> => {
      let b = Infinity;
      for (let i = 0; i < reps; i += 1) b = Math.min(b, (await timeIt(fn)).ms);
      return b;
    };
    const lower = await best(() => store.all('SELECT variant, SUM(revenue) FROM exp GROUP BY variant'));
    const scanAll = await best(() =>
      store.all('SELECT variant, SUM(revenue), SUM(orders), SUM(pre_revenue), SUM(pre_sessions), SUM(tenure_days), SUM(engagement), COUNT(country) FROM exp GROUP BY variant'),
    );
    let result: Awaited<ReturnType<typeof analyze>> | undefined;
    const full = await best(async () => {
      result = await analyze(store, opts);
    });
    store.close();
    const rss = process.resourceUsage().maxRSS / 1024;
    const r = result?.results[0];
    console.log(`analyze --method cupac (profile + moments pass, ${opts.covariates.length} covariates, 2 metrics): ${full.toFixed(0)} ms (best of ${reps})`);
    console.log(`lower bound: SELECT variant, SUM(y) GROUP BY variant: ${lower.toFixed(0)} ms`);
    console.log(`scan of every column used (one SUM each):            ${scanAll.toFixed(0)} ms`);
    console.log(`ratio analyze / SUM(y) scan:            ${(full / lower).toFixed(2)}  (target <= 1.5)`);
    console.log(`ratio analyze / all-columns SUM scan:   ${(full / scanAll).toFixed(2)}`);
    console.log(`peak RSS of this process: ${rss.toFixed(0)} MiB (target < 1024 MiB)`);
    if (r) console.log(`check: revenue diff ${r.diff?.toFixed(4)} (planted 0.5), variance cut ${((r.variance_reduction ?? 0) * 100).toFixed(1)}%`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
