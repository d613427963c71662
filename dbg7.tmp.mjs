import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const setup = await inst.connect();
await setup.run(`CREATE TABLE exp AS SELECT i AS unit_id, CASE WHEN hash(i, 1) % 2 = 0 THEN 'control' ELSE 'test' END AS variant,
      (hash(i, 2) % 1000) / 10.0 AS pre_revenue, (hash(i, 2) % 1000) / 12.0 + (hash(i, 3) % 100) / 10.0 AS revenue FROM range(1000000) t(i)`);
const q = `SELECT variant, count(*), sum(revenue), sum(revenue*revenue), sum(pre_revenue), sum(pre_revenue*pre_revenue), sum(revenue*pre_revenue), count(revenue), count(pre_revenue) FROM exp GROUP BY variant`;
const M = (list) => JSON.stringify(Object.fromEntries(list.map((m) => [m, 'true'])));
const cfgs = {
  bare: [],
  no_output_default: [`SET enable_profiling='no_output'`],
  json_needed: [`SET enable_profiling='json'`, `SET profiling_output='/dev/shm/a.json'`, `SET profiling_coverage='ALL'`, `SET custom_profiling_settings='${M(['QUERY_NAME','LATENCY','CPU_TIME','CUMULATIVE_ROWS_SCANNED','ROWS_RETURNED','SYSTEM_PEAK_BUFFER_MEMORY','TOTAL_BYTES_READ','OPERATOR_NAME','OPERATOR_TIMING','OPERATOR_CARDINALITY','OPERATOR_ROWS_SCANNED','RESULT_SET_SIZE','EXTRA_INFO'])}'`],
  json_no_timing: [`SET enable_profiling='json'`, `SET profiling_output='/dev/shm/b.json'`, `SET profiling_coverage='ALL'`, `SET custom_profiling_settings='${M(['QUERY_NAME','LATENCY','CUMULATIVE_ROWS_SCANNED','ROWS_RETURNED','SYSTEM_PEAK_BUFFER_MEMORY','TOTAL_BYTES_READ','OPERATOR_NAME','OPERATOR_CARDINALITY','OPERATOR_ROWS_SCANNED','RESULT_SET_SIZE','EXTRA_INFO'])}'`],
  json_query_only: [`SET enable_profiling='json'`, `SET profiling_output='/dev/shm/c.json'`, `SET profiling_coverage='ALL'`, `SET custom_profiling_settings='${M(['QUERY_NAME','LATENCY','CUMULATIVE_ROWS_SCANNED','ROWS_RETURNED','SYSTEM_PEAK_BUFFER_MEMORY','TOTAL_BYTES_READ'])}'`],
};
const conns = {};
for (const [k, sets] of Object.entries(cfgs)) { const c = await inst.connect(); for (const s of sets) await c.run(s); try { await c.runAndReadAll(q); conns[k] = c; } catch (e) { console.log(k, "fails:", e.message); } }
const best = {};
for (let round = 0; round < 7; round++) {
  for (const [k, c] of Object.entries(conns)) {
    const n = 5; const t0 = performance.now();
    for (let i = 0; i < n; i++) await c.runAndReadAll(q);
    const wall = (performance.now()-t0)/n;
    (best[k] ??= []).push(wall);
  }
}
for (const [k, v] of Object.entries(best)) { v.sort((a,b)=>a-b); console.log(k.padEnd(18), 'min', v[0].toFixed(2), 'median', v[3].toFixed(2), 'ms'); }
