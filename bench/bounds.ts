/**
 * Resource bounds of the data commands (issue 11), each run in a fresh child process of the built
 * CLI (run `npm run build` first) and measured by its own peak RSS, beside anchors from the same
 * run:
 *
 *  - `query "SELECT * FROM events"` on a store of N events prints its first 200 rows
 *    (target: peak RSS < 300 MB, well under a second); anchors: bare DuckDB
 *    `SELECT * FROM events LIMIT 200` on the same file, and `node -e 0`.
 *  - `query ... --format ndjson --all` streams every row to /dev/null (memory stays flat).
 *  - `whatchanged --data` on a 20-row CSV with C columns (target: peak RSS < 500 MB); anchors:
 *    node with DuckDB loaded (`SELECT 1`), and `node -e 0`.
 *
 *   npm run bench -- bounds [events] [columns]     (defaults 5000000 10000)
 *
 * At full scale this takes about 2.5 minutes on a busy 2-core machine, most of it the --all stream
 * of every row; `npm run bench -- bounds 300000 2000` takes about 15 s.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/cli.js');
const duckdb = path.join(root, 'node_modules/@duckdb/node-api/lib/index.js');

interface Measured {
  ms: number;
  rssMB: number;
  code?: number;
  bytes?: number;
}

/** Runs an ES module snippet in a fresh node; it prints {ms, code, bytes}; peak RSS is read at exit. */
function child(body: string): Measured {
  const script = `const t0 = performance.now();\n${body}\nconst ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, code: globalThis.__code, bytes: globalThis.__bytes }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20, timeout: 600_000 });
  return JSON.parse(out) as Measured;
}

/** The CLI in-process in a child, stdout counted and dropped. */
function runCli(argv: string[], cwd: string): Measured {
  return child(`import { run } from ${JSON.stringify(cli)};
let bytes = 0;
const out = { write: (s) => { bytes += s.length; return true; } };
let errText = '';
const err = { write: (s) => { errText += s; return true; } };
globalThis.__code = await run(${JSON.stringify(argv)}, { stdout: out, stderr: err, stdin: { isTTY: false }, cwd: ${JSON.stringify(cwd)}, env: { CI: 'true', PATH: process.env.PATH } });
globalThis.__bytes = bytes;
if (globalThis.__code !== 0) process.stderr.write(errText);`);
}

function line(label: string, m: Measured, extra = ''): string {
  return `  ${label.padEnd(46)} ${m.ms.toFixed(0).padStart(7)} ms  ${m.rssMB.toFixed(0).padStart(6)} MB peak RSS${extra}`;
}

function verdict(ok: boolean, target: string): string {
  return ok ? `  (target ${target}: ok)` : `  (target ${target}: MISSED)`;
}

export default async function bench(args: string[]): Promise<void> {
  const events = Number(args[0] ?? 5_000_000);
  const columns = Number(args[1] ?? 10_000);
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-bounds-'));
  try {
    const bare = child('');
    const withDuck = child(`const { DuckDBInstance } = await import(${JSON.stringify(duckdb)});
const db = await DuckDBInstance.create(':memory:'); const c = await db.connect(); await c.runAndReadAll('SELECT 1'); c.closeSync(); db.closeSync();`);

    // --- query on a store of `events` rows --------------------------------------------------
    const db = path.join(dir, '.statsig-hack', 'project.duckdb');
    let t = performance.now();
    const store = await Store.open(db, { create: true });
    await store.run('DROP INDEX IF EXISTS events_unit_ts');
    await store.run(`INSERT INTO events (unit_id, event, ts, value, metadata)
      SELECT 'u' || (hash(i, 1) % 1000000), ['purchase','view','signup'][1 + (hash(i, 2) % 3)::INTEGER],
        TIMESTAMP '2026-10-01' + INTERVAL (hash(i, 3) % 1209600) SECOND, round((hash(i, 4) % 10000) / 100.0, 2),
        '{"source":"bench"}'
      FROM range(${events}) r(i)`);
    store.close();
    console.log(`store of ${events.toLocaleString('en-US')} events written in ${((performance.now() - t) / 1000).toFixed(1)} s (${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MB)`);

    const anchorQuery = child(`const { DuckDBInstance } = await import(${JSON.stringify(duckdb)});
const db = await DuckDBInstance.create(${JSON.stringify(db)}, { access_mode: 'READ_ONLY' }); const c = await db.connect();
const r = await c.runAndReadAll('SELECT * FROM events LIMIT 200'); globalThis.__bytes = r.getRowObjectsJS().length; c.closeSync(); db.closeSync();`);
    const q = runCli(['query', 'SELECT * FROM events'], dir);
    const qAll = runCli(['query', 'SELECT * FROM events', '--format', 'ndjson', '--all'], dir);
    console.log(`query on ${events.toLocaleString('en-US')} events:`);
    console.log(line('node -e 0', bare));
    console.log(line('bare DuckDB SELECT * FROM events LIMIT 200', anchorQuery));
    console.log(line('statsig-hack query "SELECT * FROM events"', q, verdict(q.rssMB < 300 && q.code === 0, '< 300 MB')));
    console.log(line('... --format ndjson --all (every row)', qAll, `  ${((qAll.bytes ?? 0) / 2 ** 20).toFixed(0)} MB streamed, ${(events / (qAll.ms / 1000) / 1e6).toFixed(2)} M rows/s`));
    fs.rmSync(path.dirname(db), { recursive: true, force: true });

    // --- whatchanged on a 20-row CSV with `columns` columns ------------------------------
    const csv = path.join(dir, 'wide.csv');
    const header = ['ts', 'value', ...Array.from({ length: columns }, (_, i) => `c${i}`)].join(',');
    const rows = Array.from({ length: 20 }, (_, r) => [`2026-10-${String(1 + (r % 14)).padStart(2, '0')}`, String(r + 1), ...Array.from({ length: columns }, (_, i) => `v${r % ((i % 7) + 2)}`)].join(','));
    fs.writeFileSync(csv, `${header}\n${rows.join('\n')}\n`);
    t = performance.now();
    const wc = runCli(['whatchanged', '--data', csv, '--baseline', '2026-10-01..2026-10-07', '--current', '2026-10-08..2026-10-14'], dir);
    console.log(`whatchanged --data on 20 rows x ${columns.toLocaleString('en-US')} columns (${(fs.statSync(csv).size / 2 ** 20).toFixed(2)} MB file):`);
    console.log(line('node -e 0', bare));
    console.log(line('node + DuckDB loaded (SELECT 1)', withDuck));
    console.log(line('statsig-hack whatchanged --data wide.csv', wc, verdict(wc.rssMB < 500 && wc.code === 0, '< 500 MB')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
