/**
 * Child process of bench/analyze.ts, so that each measurement has its own peak RSS.
 *   node --import tsx bench/_analyze-child.ts analyze <file.parquet> <cwd> [<small.parquet>]   the CLI's file-mode analyze (--json)
 *   node --import tsx bench/_analyze-child.ts anchor <file.parquet>                             one DuckDB query: the same per-cell Gram matrix
 * Prints BENCH_MS (wall), BENCH_CPU_MS (user + system, all threads), BENCH_RSS_KB (and for analyze
 * BENCH_DIFF, the revenue difference, and BENCH_STARTUP_MS) on stderr.
 *
 * Both timers start after the process has loaded its code, as a one-query program has loaded
 * DuckDB before it runs its query: the anchor after importing DuckDB (its timer also leaves out
 * creating the database, analyze's does not), analyze after a first run of the same command on
 * <small.parquet> (1,000 units), which loads the command's modules (transpiled by tsx here, ~0.3 s
 * of CPU that the built CLI does not pay); that first run's time is BENCH_STARTUP_MS.
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, file, cwd, small] = process.argv.slice(2);
const NUMERIC = ['revenue', 'orders', 'pre_revenue', 'pre_sessions', 'tenure_days', 'engagement'];

/** Count, sums and every cross product of the numeric columns per (variant, country) cell: what the moments pass computes. */
function anchorSql(parquet: string): string {
  const aggs = ['count(*) AS n', ...NUMERIC.map((c) => `sum(${c}) AS s_${c}`)];
  NUMERIC.forEach((a, i) => NUMERIC.slice(i).forEach((b) => aggs.push(`sum(${a} * ${b}) AS p_${a}_${b}`)));
  return `SELECT variant, country, ${aggs.join(', ')} FROM read_parquet('${parquet.replace(/'/g, "''")}') GROUP BY variant, country`;
}

/** CPU milliseconds (user + system, every thread) since `since`. */
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

let ms: number;
let cpu: number;
let more = '';
if (mode === 'anchor') {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const c0 = process.cpuUsage();
  const t = performance.now();
  (await c.runAndReadAll(anchorSql(file as string))).getRowObjects();
  ms = performance.now() - t;
  cpu = cpuMs(c0);
  c.closeSync();
  db.closeSync();
} else {
  const { run } = await import('../src/cli.js');
  process.chdir(cwd as string);
  /** The CLI's analyze on a file, its --json answer captured. */
  const analyze = async (data: string): Promise<{ metric: string; diff: number }[]> => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const code = await run(['analyze', '--data', data, '--unit', 'unit_id', '--group', 'variant', '--metric', 'revenue,orders', '--covariates', 'pre_revenue,pre_sessions,tenure_days,engagement,country', '--method', 'cupac', '--json']);
    process.stdout.write = write;
    if (code !== 0) {
      process.stderr.write(out);
      process.exit(code);
    }
    return (JSON.parse(out) as { results: { metric: string; diff: number }[] }).results;
  };
  if (small) {
    const t = performance.now();
    await analyze(small);
    more += `\nBENCH_STARTUP_MS ${(performance.now() - t).toFixed(0)}`;
  }
  const c0 = process.cpuUsage();
  const t = performance.now();
  const results = await analyze(file as string);
  ms = performance.now() - t;
  cpu = cpuMs(c0);
  more += `\nBENCH_DIFF ${results.find((r) => r.metric === 'revenue')?.diff ?? 'null'}`;
}
process.stderr.write(`\nBENCH_MS ${ms.toFixed(0)}\nBENCH_CPU_MS ${cpu.toFixed(0)}\nBENCH_RSS_KB ${process.resourceUsage().maxRSS}${more}\n`);
