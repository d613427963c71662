/**
 * CLI start-up: wall time and CPU time of the built binary for `--help` and for `status` on a fresh
 * store, next to a bare `node -e 0`. Runs are interleaved (bare, help, status, bare, ...) so that
 * load from other work on the machine hits all three alike; the figures are medians. CPU time
 * (user + system, read by a preloaded hook when the process exits) is what the start-up costs on a
 * busy machine, where wall time mostly measures the wait for a core.
 * Goals (issue 20): `--help` at most 2x and `status` at most 3x a bare node.
 *
 * `status` runs three times per round: as it usually runs (the store unchanged since the last
 * status, so the binary answers from the summary kept beside it, without the CLI or DuckDB); as the
 * first status after a statsig-hack command changed the store (an `import` of one user, untimed,
 * before the run: the command kept a fresh summary on its way out); and as the first status after
 * a change made by another program (the summary file removed before the run: the binary reads the
 * summary with the DuckDB bindings, one query). Beside them, the floor of that last case: a script
 * that only loads the DuckDB bindings, opens the store read-only and runs `SELECT 42`.
 * The clean env matters: this machine's NODE_EXTRA_CA_CERTS alone costs a bare node
 * about 50 ms CPU (it parses a certificate bundle on every start), which flatters every ratio.
 *
 *   npm run bench -- cli            15 rounds
 *   npm run bench -- cli --runs 40  more rounds
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(import.meta.dirname, '../bin/statsig-hack.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/**
 * Wall and CPU milliseconds of one run. `clean`: only PATH and HOME (no NODE_OPTIONS or
 * NODE_EXTRA_CA_CERTS, which add the same fixed cost to every node start, bare or not).
 */
function time(args: string[], cwd: string, hook: string, clean: boolean): { wall: number; cpu: number } {
  const t = performance.now();
  const env = clean ? { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' } : { ...process.env, CI: 'true' };
  const r = spawnSync(process.execPath, ['--require', hook, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env });
  const wall = performance.now() - t;
  const m = /__cpu_us=(\d+)/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[1]) / 1000 : NaN };
}

export default async function bench(args: string[]): Promise<void> {
  const i = args.indexOf('--runs');
  const runs = i >= 0 ? Math.max(3, Number(args[i + 1]) || 15) : 15;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-cli-'));
  try {
    execFileSync(process.execPath, [bin, 'init'], { cwd, stdio: 'ignore' });
    const hook = path.join(cwd, 'cpu-hook.cjs');
    fs.writeFileSync(hook, "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write(`__cpu_us=${u.user + u.system}\\n`); });\n");
    const summary = path.join(cwd, '.statsig-hack', 'project.duckdb.status.json');
    const duckdbAlone = path.join(cwd, 'duckdb-alone.cjs');
    fs.writeFileSync(duckdbAlone, duckdbAloneScript(path.resolve(import.meta.dirname, '..'), path.join(cwd, '.statsig-hack', 'project.duckdb')));
    let user = 0;
    const importOne = (): void => {
      user += 1;
      const csv = path.join(cwd, 'one-user.csv');
      fs.writeFileSync(csv, `unit_id,country\nbench-${user},US\n`);
      execFileSync(process.execPath, [bin, 'import', csv, '--into', 'users'], { cwd, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    };
    const cases: Record<string, { args: string[]; before?: () => void }> = {
      'node -e 0': { args: ['-e', '0'] },
      'statsig-hack --help': { args: [bin, '--help'] },
      'statsig-hack status': { args: [bin, 'status'] },
      'status after an import': { args: [bin, 'status'], before: importOne },
      'status, changed elsewhere': { args: [bin, 'status'], before: () => fs.rmSync(summary, { force: true }) },
      'DuckDB alone (floor)': { args: [duckdbAlone] },
    };
    for (const clean of [true, false]) {
      const times: Record<string, { wall: number; cpu: number }[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
      const one = (c: { args: string[]; before?: () => void }): { wall: number; cpu: number } => {
        c.before?.();
        return time(c.args, cwd, hook, clean);
      };
      for (const c of Object.values(cases)) one(c); // warm the file cache
      for (let r = 0; r < runs; r += 1) for (const [k, c] of Object.entries(cases)) times[k]!.push(one(c));
      if (!fs.existsSync(summary)) throw new Error('status kept no summary beside the store');
      const bare = { wall: median(times['node -e 0']!.map((t) => t.wall)), cpu: median(times['node -e 0']!.map((t) => t.cpu)) };
      const goal: Record<string, number> = { 'statsig-hack --help': 2, 'statsig-hack status': 3, 'status after an import': 3, 'status, changed elsewhere': 3 };
      console.log(`${clean ? 'clean env (PATH, HOME)'.padEnd(28) : 'this shell\'s env'.padEnd(28)} ${'wall ms'.padStart(8)} ${'ratio'.padStart(6)} ${'CPU ms'.padStart(8)} ${'ratio'.padStart(6)}   (medians of ${runs} runs)`);
      for (const [k, ts] of Object.entries(times)) {
        const wall = median(ts.map((t) => t.wall));
        const cpu = median(ts.map((t) => t.cpu));
        const target = goal[k];
        const verdict = target === undefined ? '' : `   goal <= ${target}x: ${cpu / bare.cpu <= target ? 'met' : 'NOT met'} (CPU)`;
        console.log(`${k.padEnd(28)} ${wall.toFixed(0).padStart(8)} ${`${(wall / bare.wall).toFixed(2)}x`.padStart(6)} ${cpu.toFixed(0).padStart(8)} ${`${(cpu / bare.cpu).toFixed(2)}x`.padStart(6)}${verdict}`);
      }
    }
    console.log(`(load average ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores)`);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * A script that loads the DuckDB bindings as the binary does (store/lite.ts: the platform's build,
 * required directly), opens the store read-only on one thread and runs `SELECT 42`: what any
 * `status` that must read the store costs at least.
 */
function duckdbAloneScript(repo: string, store: string): string {
  return `const { createRequire } = require('node:module');
const entry = createRequire(${JSON.stringify(path.join(repo, 'package.json'))}).resolve('@duckdb/node-bindings');
const ddb = createRequire(entry)('@duckdb/node-bindings-' + process.platform + '-' + process.arch + '/duckdb.node');
(async () => {
  const config = ddb.create_config();
  ddb.set_config(config, 'access_mode', 'READ_ONLY');
  ddb.set_config(config, 'threads', '1');
  const db = await ddb.open(${JSON.stringify(store)}, config);
  const conn = await ddb.connect(db);
  await ddb.fetch_chunk(await ddb.query(conn, 'SELECT 42'));
  ddb.disconnect_sync(conn);
  ddb.close_sync(db);
})();
`;
}
