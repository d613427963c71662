/**
 * Child process of bench/analyze.ts, so that each measurement has its own peak RSS.
 *   node --import tsx bench/_analyze-child.ts analyze <file.parquet> <cwd>   the CLI's file-mode analyze (--json)
 *   node --import tsx bench/_analyze-child.ts anchor <file.parquet>          one DuckDB query: the same per-cell Gram matrix
 * Prints BENCH_MS, BENCH_RSS_KB (and for analyze BENCH_DIFF, the revenue difference) on stderr.
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, file, cwd] = process.argv.slice(2);
const NUMERIC = ['revenue', 'orders', 'pre_revenue', 'pre_sessions', 'tenure_days', 'engagement'];

/** Count, sums and every cross product of the numeric columns per (variant, country) cell: what the moments pass computes. */
function anchorSql(parquet: string): string {
  const aggs = ['count(*) AS n', ...NUMERIC.map((c) => `sum(${c}) AS s_${c}`)];
  NUMERIC.forEach((a, i) => NUMERIC.slice(i).forEach((b) => aggs.push(`sum(${a} * ${b}) AS p_${a}_${b}`)));
  return `SELECT variant, country, ${aggs.join(', ')} FROM read_parquet('${parquet.replace(/'/g, "''")}') GROUP BY variant, country`;
}

let ms: number;
let diff = '';
if (mode === 'anchor') {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const t = performance.now();
  (await c.runAndReadAll(anchorSql(file as string))).getRowObjects();
  ms = performance.now() - t;
  c.closeSync();
  db.closeSync();
} else {
  const { run } = await import('../src/cli.js');
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  process.chdir(cwd as string);
  const t = performance.now();
  const code = await run(['analyze', '--data', file as string, '--unit', 'unit_id', '--group', 'variant', '--metric', 'revenue,orders', '--covariates', 'pre_revenue,pre_sessions,tenure_days,engagement,country', '--method', 'cupac', '--json']);
  ms = performance.now() - t;
  process.stdout.write = write;
  if (code !== 0) {
    process.stderr.write(out);
    process.exit(code);
  }
  const res = JSON.parse(out) as { results: { metric: string; diff: number }[] };
  diff = `\nBENCH_DIFF ${res.results.find((r) => r.metric === 'revenue')?.diff ?? 'null'}`;
}
process.stderr.write(`\nBENCH_MS ${ms.toFixed(0)}\nBENCH_RSS_KB ${process.resourceUsage().maxRSS}${diff}\n`);
