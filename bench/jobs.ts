/**
 * jobs benchmark: what the job log costs a query. The anchor is a CUPED analysis with no log;
 * the measured runs are the same analysis, on the same store and connection, through the log:
 * the default (`jobs.profile: "sampled"`: every query timed, DuckDB's profiler on for a
 * shape's first run, after a change of work, and one run in 20 at random), `"off"` (timed,
 * never profiled), `"every"` (DuckDB profiles every query, query-level figures) and `"every"`
 * with `detail: "plan"` (every operator timed). The anchor also runs twice a round (A/A): what
 * the method reads when nothing differs. Runs go in rounds, each in a random order; the overhead is the median of
 * the paired ratios (robust to a noisy machine) with its 95% interval, beside min-to-min. Each
 * variant's log is written as a CLI run's is, and inside its timing: a fresh scope per run
 * (reading the shapes journal), the spool and journal appended at the end. Also the fixed
 * cost per query (a trivial SELECT), and the default's cost from its parts: the timing and
 * record of each query (SELECT 42 batches), the shapes work and writes (replayed without DuckDB)
 * and DuckDB's profiler on the share of queries it profiles ("every" times that share). The
 * whole-run comparison cannot resolve a percent on a shared machine (the A/A pairs spread by
 * several percent); the parts, each measured where it is large, can. For the CLI, the parts are
 * also split into what every run pays and what a process pays once, whatever its number of
 * queries: V8 compiling the log's code on its first run, and loading its modules.
 *
 *   npm run bench -- jobs [units] [rounds] [cli runs]   (default 1000000 units, 25 rounds, 20 CLI runs; the README's figures: 300 rounds)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ScopeModule from '../src/observe/jobs/scope.js';
import type * as ShapesModule from '../src/observe/jobs/shapes.js';
import type { JobSettings } from '../src/observe/jobs/scope.js';
import type * as AnalyzeModule from '../src/engines/analyze.js';
import type { AnalyzeOptions } from '../src/engines/analyze.js';
import type * as ExperimentModule from '../src/engines/experiment.js';
import type * as ObserverModule from '../src/store/observer.js';
import type { QueryRecord } from '../src/store/observer.js';
import type * as StoreModule from '../src/store/store.js';

/**
 * The code under test is the built one in dist/, what `statsig-hack` runs, not src/ through tsx:
 * tsx's transform wraps every function it creates in a naming helper (a defineProperty each
 * time), which made the log's own work about a quarter slower than the CLI's.
 */
const root = path.resolve(import.meta.dirname, '..');
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
  }
  return newest;
}
const built = path.join(root, 'dist/cli.js');
if (!fs.existsSync(built)) throw new Error('bench jobs measures the built CLI code: run `npm run build` first');
if (newestMtime(path.join(root, 'src')) > fs.statSync(built).mtimeMs) throw new Error('dist/ is older than src/: run `npm run build` first (bench jobs measures the built code)');
/** The file URL of a built module, as the bench and its child processes import it. */
const distUrl = (rel: string): string => pathToFileURL(path.join(root, 'dist', rel)).href;
const load = async <T>(rel: string): Promise<T> => (await import(distUrl(rel))) as T;
/** The same as a string literal, for the scripts of child processes. */
const distSpec = (rel: string): string => JSON.stringify(distUrl(rel));
const { JobScope, memoPath, shapesPath, spoolPath } = await load<typeof ScopeModule>('observe/jobs/scope.js');
const { DEFAULT_POLICY } = await load<typeof ShapesModule>('observe/jobs/shapes.js');
const { analyze } = await load<typeof AnalyzeModule>('engines/analyze.js');
const { analyzeExperiment } = await load<typeof ExperimentModule>('engines/experiment.js');
const { profilerOff, queryObserver } = await load<typeof ObserverModule>('store/observer.js');
const { Store } = await load<typeof StoreModule>('store/store.js');
type Store = StoreModule.Store;

/** What the logged runs of one variant saw, over its scopes (a fresh scope per run, as a CLI run has). */
interface Counts {
  seen: number;
  profiled: number;
  /** The queries of the latest run, as the log saw them (replayed below to time the log's own JS work). */
  lastRun: QueryRecord[];
}

/** A job log that counts the queries it saw and those DuckDB profiled, and keeps those of the latest run. */
class CountingScope extends JobScope {
  constructor(private readonly counts: Counts) {
    super();
  }

  override record(q: QueryRecord): void {
    this.counts.seen += 1;
    if (q.profile) this.counts.profiled += 1;
    this.counts.lastRun.push(q);
    super.record(q);
  }
}

/** CPU µs of this process (all its threads) while `fn` runs. */
function cpuUs(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return d.user + d.system;
}

/**
 * The log's own JS work on `queries` (a default run's, as the log saw them), without DuckDB:
 * 300 fresh scopes, each reading a copy of `source`'s shapes journal, choosing and recording every
 * query, then writing its spool and journal. CPU µs a run on the queries' path and in the flush.
 */
function replayLog(dir: string, source: string, queries: QueryRecord[], opts: Record<string, unknown>): { pathRuns: number[]; flushRuns: number[] } {
  const replayDb = path.join(dir, `replay-${path.basename(source)}`);
  fs.writeFileSync(replayDb, '');
  fs.copyFileSync(shapesPath(source), shapesPath(replayDb));
  const pathRuns: number[] = [];
  const flushRuns: number[] = [];
  for (let i = 0; i < 300; i++) {
    const scope = new JobScope();
    scope.describe('analyze', opts, replayDb, {});
    pathRuns.push(
      cpuUs(() => {
        for (const q of queries) {
          scope.wantsProfile(q.sql);
          scope.record(q);
        }
      }),
    );
    flushRuns.push(cpuUs(() => scope.flush()));
    if (i % 50 === 49) fs.rmSync(spoolPath(replayDb), { force: true });
  }
  return { pathRuns, flushRuns };
}

/** The distribution-free 95% confidence interval of a median (order statistics n/2 ± 0.98·√n). */
function medianCi(r: number[]): [number, number] {
  const s = [...r].sort((u, v) => u - v);
  const k = Math.max(0, Math.floor((s.length - 1.96 * Math.sqrt(s.length)) / 2));
  return [s[k] as number, s[s.length - 1 - k] as number];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Wall and CPU time (this process, DuckDB's threads included) of one call, in ms. */
async function measure(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const u = process.cpuUsage();
  const t = performance.now();
  await fn();
  const c = process.cpuUsage(u);
  return { wall: performance.now() - t, cpu: (c.user + c.system) / 1000 };
}

/**
 * The log in the CLI as users run it: a fresh process per command, where the log's code runs
 * once, uncompiled, and its modules load. `analyze --experiment` on a seeded project (20,000
 * users), alternately with the log (the default) and without (`jobs.enabled: false`), each from
 * a config file; the child's CPU time as it reads it on exit. Prints the paired median differences
 * beside the logged runs' own query time (from the spool): a process start is 0.3-0.5 s, so a
 * difference of a few ms needs many runs to resolve.
 */
/**
 * Runs the CLI in `cwd`; its CPU time (user + system, all its threads) is what the child itself
 * reads with process.cpuUsage() on exit, through a preloaded script (a clock tick of `times` or
 * /usr/bin/time, 10 ms, is more than the difference measured).
 */
function cliRunner(dir: string, cwd: string): (args: string[]) => { wall: number; cpu: number; out: string } {
  const cli = path.join(root, 'bin/statsig-hack.js');
  const cpuFile = path.join(dir, 'cli-cpu.json');
  const preload = path.join(dir, 'cli-cpu.cjs');
  fs.writeFileSync(preload, `process.on('exit', () => { const c = process.cpuUsage(); require('node:fs').writeFileSync(${JSON.stringify(cpuFile)}, String((c.user + c.system) / 1000)); });\n`);
  return (args) => {
    fs.rmSync(cpuFile, { force: true });
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--require', preload, cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const wall = performance.now() - t;
    const cpu = fs.existsSync(cpuFile) ? Number(fs.readFileSync(cpuFile, 'utf8')) : Number.NaN;
    return { wall, cpu, out: r.stdout };
  };
}

/** A seeded project (`init`, `seed --offline --users 20000`: the demo's size) and its first experiment. */
function seedProject(dir: string): { project: string; db: string; experiment: string } {
  const project = path.join(dir, 'cli-project');
  fs.mkdirSync(project);
  const run = cliRunner(dir, project);
  run(['init']);
  run(['seed', '--offline', '--users', '20000', '--force']);
  const status = JSON.parse(run(['status', '--json']).out) as { experiments: { name: string }[] };
  const experiment = status.experiments[0]?.name;
  if (!experiment) throw new Error('the seeded project has no experiment');
  return { project, db: path.join(project, '.statsig-hack/project.duckdb'), experiment };
}

/**
 * The log's JS work in a fresh process, as a difference: each of `n` pairs of child processes
 * first runs the CLI in-process on the seeded project with the log off (`analyze --experiment`, as
 * the measured runs: this loads, compiles and first calls what any CLI run does, the log's modules
 * with their log-off path included), then replays the queries of a logged CLI run through a fresh
 * scope as the CLI does (the shapes journal and memo read, each query chosen, timed and recorded by
 * the same wrapper around an answer already there instead of DuckDB, the spool and journal
 * written), with the log on in one process of the pair and off in the other (the same loop, the
 * scope never told a command). Then it replays them once more, through another fresh scope on the
 * same files (copied again, so that both passes do the same work): the first pass runs the log's
 * code for the first time in the process (uncompiled, as in a CLI run), the second as a process
 * that has run it before (a second run in `serve`). Wall µs of each pass (performance.now, which the
 * log does not use: process.cpuUsage would warm the log's own first call of it), on and off, in
 * pairs run in alternating order.
 */
function coldReplay(dir: string, seeded: { project: string; db: string; experiment: string }, queries: { sql: string; rows: number }[], n: number): { on: [number, number][]; off: [number, number][] } {
  const { project, db: projectDb, experiment } = seeded;
  const db = path.join(dir, 'cold.duckdb');
  const input = path.join(dir, 'cold-queries.json');
  fs.writeFileSync(input, JSON.stringify(queries));
  fs.writeFileSync(path.join(project, '.statsig-hackrc.json'), JSON.stringify({ jobs: { enabled: false } }));
  // The replay's store: an empty file beside copies of the project's journal, memo and spool, as they are after the logged runs (made again for each pass).
  const files: [string, string][] = [
    [shapesPath(projectDb), shapesPath(db)],
    [spoolPath(projectDb), spoolPath(db)],
    [memoPath(projectDb), memoPath(db)],
  ];
  const script = `
    import fs from 'node:fs';
    import { Writable } from 'node:stream';
    const sink = new Writable({ write(_c, _e, done) { done(); } });
    const { run } = await import(${distSpec('cli.js')});
    const code = await run(['analyze', '--experiment', ${JSON.stringify(experiment)}, '--json'], { stdout: sink, stderr: sink, cwd: ${JSON.stringify(project)}, env: { ...process.env, CI: 'true' } });
    if (code !== 0) throw new Error('the CLI run failed (' + code + ')');
    const { JobScope } = await import(${distSpec('observe/jobs/scope.js')});
    const { observed, queryObserver } = await import(${distSpec('store/observer.js')});
    const queries = JSON.parse(fs.readFileSync(${JSON.stringify(input)}, 'utf8'));
    const files = ${JSON.stringify(files)};
    const on = process.argv[1] === 'on';
    const conn = {};
    const passes = [];
    for (let pass = 0; pass < 2; pass++) {
      // The second pass on fresh copies; the parent made the first pass's, so no file call is warmed up in the child before it.
      if (pass === 1) {
        fs.writeFileSync(${JSON.stringify(db)}, '');
        for (const [from, to] of files) {
          fs.rmSync(to, { force: true });
          if (fs.existsSync(from)) fs.copyFileSync(from, to);
        }
      }
      const scope = new JobScope();
      performance.now();
      await queryObserver.run(scope, async () => {
        const t0 = performance.now();
        if (on) scope.describe('analyze', { experiment: ${JSON.stringify(experiment)} }, ${JSON.stringify(db)}, {});
        for (const q of queries) await observed(conn, q.sql, true, () => Promise.resolve(q.rows), (r) => r);
        scope.flush();
        passes.push(Math.round((performance.now() - t0) * 1000));
      });
    }
    process.stdout.write(passes.join(' '));
  `;
  const one = (mode: 'on' | 'off'): [number, number] => {
    fs.writeFileSync(db, '');
    for (const [from, to] of files) {
      fs.rmSync(to, { force: true });
      if (fs.existsSync(from)) fs.copyFileSync(from, to);
    }
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, mode], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the cold replay failed: ${r.stderr.split('\n').find((l) => l.includes('Error')) ?? r.stderr.split('\n')[0]}`);
    const [first, second] = r.stdout.split(' ').map(Number);
    return [first as number, second as number];
  };
  const [on, off] = alternating(n, () => one('on'), () => one('off'));
  return { on, off };
}

/**
 * What loading the log's own modules costs a CLI run (scope.js with record.js, shapes.js and
 * memo.js; cli.ts imports them in every command run, the log on or off): wall µs of that import in
 * a fresh process that has loaded the CLI's own modules first (cli.js, its context, output and
 * the store's query hook), `n` processes.
 */
function moduleLoad(n: number): number[] {
  const script = `
    for (const m of [${['cli.js', 'core/context.js', 'core/redact.js', 'core/tty.js', 'core/errors.js', 'store/observer.js'].map(distSpec).join(', ')}]) await import(m);
    const t0 = performance.now();
    await import(${distSpec('observe/jobs/scope.js')});
    process.stdout.write(String(Math.round((performance.now() - t0) * 1000)));
  `;
  return Array.from({ length: n }, () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the module load failed: ${r.stderr.split('\n')[0]}`);
    return Number(r.stdout);
  });
}

/** `n` rounds of `a` and `b`, `a` first in even rounds and `b` first in odd ones (neither always runs after the other); each one's results in order. */
function alternating<T>(n: number, a: () => T, b: () => T): [T[], T[]] {
  const as: T[] = [];
  const bs: T[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      as.push(a());
      bs.push(b());
    } else {
      bs.push(b());
      as.push(a());
    }
  }
  return [as, bs];
}

/** What the CLI's from-parts estimate needs besides the CLI runs: DuckDB's profiler's share (µs a run, median and upper). */
interface CliParts {
  profilerUs: number;
  profilerHiUs: number;
}

function cliCost(dir: string, seeded: { project: string; db: string; experiment: string }, runs: number, parts: CliParts): void {
  const { project, experiment } = seeded;
  const run = cliRunner(dir, project);
  const rc = path.join(project, '.statsig-hackrc.json');
  const spool = spoolPath(seeded.db);
  const variant = (enabled: boolean) => (): { wall: number; cpu: number } => {
    fs.writeFileSync(rc, JSON.stringify({ jobs: { enabled } }));
    return run(['analyze', '--experiment', experiment, '--json']);
  };
  const order = [variant(false), variant(true)];
  for (const f of order) f();
  fs.rmSync(spool, { force: true });
  const [off, on] = alternating(runs, variant(false), variant(true));
  const records = fs
    .readFileSync(spool, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { run_id: string; duration_ms: number; sql: string; rows_returned: number | null });
  const byRun = new Map<string, number>();
  for (const j of records) byRun.set(j.run_id, (byRun.get(j.run_id) ?? 0) + j.duration_ms);
  const queryMs = median([...byRun.values()]);
  const processWall = median(off.map((x) => x.wall));
  const diff = (k: 'wall' | 'cpu'): string => {
    const d = on.map((x, i) => x[k] - (off[i] as { wall: number; cpu: number })[k]).sort((a, b) => a - b);
    const lo = Math.max(0, Math.floor((d.length - 1.96 * Math.sqrt(d.length)) / 2));
    return `${median(d) >= 0 ? '+' : ''}${median(d).toFixed(1)} ms [95% CI ${(d[lo] as number).toFixed(1)}..${(d[d.length - 1 - lo] as number).toFixed(1)}]`;
  };
  console.log(
    `  CLI, a fresh process a run (analyze --experiment on a seeded project, ${runs} paired runs, load average ${os.loadavg()[0]?.toFixed(1)}): ` +
      `the log costs CPU ${diff('cpu')}, wall ${diff('wall')} a run, against ${queryMs.toFixed(1)} ms of query time a run ` +
      `(${byRun.size} runs in the spool; the process itself: median ${median(off.map((x) => x.cpu)).toFixed(0)} ms CPU, ${processWall.toFixed(0)} ms wall without the log)`,
  );
  // The same from its parts: the log's JS work cold in fresh processes (the queries of the latest logged run, with its journal), plus DuckDB's profiler's share (from the in-process store-mode runs).
  const lastId = records.at(-1)?.run_id;
  const lastRun = records.filter((j) => j.run_id === lastId).map((j) => ({ sql: j.sql, rows: j.rows_returned ?? 0 }));
  const { on: coldOn, off: coldOff } = coldReplay(dir, seeded, lastRun, Math.max(10, runs));
  // Per pair: the log's work in the first pass (a CLI run), in the second (the log's code run before), and what the first time adds.
  const firstRun = coldOn.map((x, i) => x[0] - (coldOff[i] as [number, number])[0]);
  const againRun = coldOn.map((x, i) => x[1] - (coldOff[i] as [number, number])[1]);
  const firstTime = firstRun.map((x, i) => x - (againRun[i] as number));
  const ms = (us: number): string => (us / 1000).toFixed(2);
  const pctOf = (us: number): number => us / 10 / queryMs;
  const coldUs = median(firstRun);
  const coldHi = medianCi(firstRun)[1];
  const pct = pctOf(coldUs + parts.profilerUs);
  const hiPct = pctOf(coldHi + parts.profilerHiUs);
  console.log(
    `  CLI, from its parts: the log's JS work cold in a fresh process, after a CLI run with the log off, on ${lastRun.length} queries: ${ms(coldUs)} ms wall a run ` +
      `(log on ${ms(median(coldOn.map((x) => x[0])))} ms less the same loop with the log off ${ms(median(coldOff.map((x) => x[0])))} ms; median of ${firstRun.length} pairs, 95% CI up to ${ms(coldHi)}), ` +
      `DuckDB's profiler ${ms(parts.profilerUs)} ms: ${pct.toFixed(2)}% of the ${queryMs.toFixed(1)} ms of query time a run (upper bound ${hiPct.toFixed(2)}%)`,
  );
  // The same run split in two: what a run pays whenever it runs (the replay again in the same
  // process, through a fresh scope on the same files, as a second run of `serve` does), and what
  // the first run in a process adds (V8 compiling the log's code and calling it for the first time).
  const againUs = median(againRun);
  const againHi = medianCi(againRun)[1];
  const runPct = pctOf(againUs + parts.profilerUs);
  const runHiPct = pctOf(againHi + parts.profilerHiUs);
  const loads = moduleLoad(Math.max(10, runs));
  const fixedUs = median(firstTime) + median(loads);
  console.log(
    `  CLI, the same split: every run ${ms(againUs)} ms (the replay again in the same process, as a second run of serve; 95% CI up to ${ms(againHi)}) + DuckDB's profiler ${ms(parts.profilerUs)} ms: ` +
      `${runPct.toFixed(2)}% of the query time a run (upper bound ${runHiPct.toFixed(2)}%); once a process, the log's code run for the first time ${ms(median(firstTime))} ms ` +
      `[95% CI ${medianCi(firstTime).map(ms).join('..')}], and loading its modules ${ms(median(loads))} ms (every command run, the log on or off; median of ${loads.length} processes): ` +
      `${ms(fixedUs)} ms a process, whatever its number of queries (${pctOf(fixedUs).toFixed(2)}% of this run's ${queryMs.toFixed(1)} ms of queries, ` +
      `${(fixedUs / 10 / processWall).toFixed(2)}% of the process's ${processWall.toFixed(0)} ms wall)`,
  );
  console.log(`  verdict (CLI, from its parts): ${hiPct < 2 ? `under 2% (upper bound ${hiPct.toFixed(2)}%)` : `not shown under 2% (upper bound ${hiPct.toFixed(2)}%)`}`);
  console.log(`  verdict (CLI, every run, the first run's compiling apart): ${runHiPct < 2 ? `under 2% (upper bound ${runHiPct.toFixed(2)}%)` : `not shown under 2% (upper bound ${runHiPct.toFixed(2)}%)`}`);
}

type M = { wall: number; cpu: number };

/** Runs each of `order` once, untimed (first runs, the default's first profile of each shape), switching `conn`'s profiler off after each. */
async function warmUp(order: (() => Promise<unknown>)[], conn: Store['conn']): Promise<void> {
  for (const run of order) {
    await run();
    await profilerOff(conn);
  }
}

/** A seeded PRNG (mulberry32): the same orders on every run of the bench. */
function prng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `rounds` rounds of `order`, each round in a new random order (seeded), so that no entry always
 * runs first or always follows the same one: a cyclic rotation kept the same neighbours (the
 * anchor always after the costliest logged run, whose garbage its GC may collect). After each
 * run the profiler on `conn` is switched off outside the timing, as a new process starts with it
 * off. Each entry's measurements, in `order`'s order.
 */
async function rotate(order: (() => Promise<unknown>)[], rounds: number, conn: Store['conn'], seed = 17): Promise<M[][]> {
  const sinks: M[][] = order.map(() => []);
  const random = prng(seed);
  for (let i = 0; i < rounds; i++) {
    const perm = order.map((_, j) => j);
    for (let j = perm.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [perm[j], perm[k]] = [perm[k] as number, perm[j] as number];
    }
    for (const j of perm) {
      (sinks[j] as M[]).push(await measure(order[j] as () => Promise<unknown>));
      await profilerOff(conn);
    }
  }
  return sinks;
}

export default async function bench(args: string[]): Promise<void> {
  const units = Number(args[0] ?? 1_000_000);
  const rounds = Number(args[1] ?? 25);
  const cliRuns = Number(args[2] ?? 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-jobs-'));
  try {
    const anchorFile = path.join(dir, 'anchor.duckdb');
    const setup = await Store.open(anchorFile, { create: true });
    await setup.run(`CREATE TABLE exp AS SELECT i AS unit_id, CASE WHEN hash(i, 1) % 2 = 0 THEN 'control' ELSE 'test' END AS variant,
      (hash(i, 2) % 1000) / 10.0 AS pre_revenue, (hash(i, 2) % 1000) / 12.0 + (hash(i, 3) % 100) / 10.0 AS revenue FROM range(${units}) t(i)`);
    setup.close();
    const opts: AnalyzeOptions = {
      relation: 'exp', source: 'exp', experiment: null, unit: 'unit_id', group: 'variant', control: 'control',
      metrics: [{ name: 'revenue', kind: 'value', column: 'revenue', covariates: ['pre_revenue'] }],
      covariates: [], defaultNulls: 'zero', method: 'cuped', alpha: 0.05, tails: 'two', correction: 'none',
    };
    // One store, one connection, for the anchor and every variant: separate DuckDB instances
    // differ by a percent or two between themselves (an A/A pair of instances measured -1% to
    // +2%), more than the log's cost. Each variant's log goes next to an empty file of its own
    // (its spool and shapes journal, as a CLI run writes them next to the project store), and
    // after each logged run the profiler is switched off outside the timing, as a new process
    // starts with it off, so that an anchor run never inherits it.
    const anchor = await Store.open(anchorFile, { readOnly: true });
    const variant = (name: string, settings: JobSettings): { file: string; counts: Counts; run: () => Promise<unknown> } => {
      const file = path.join(dir, `${name}.duckdb`);
      fs.writeFileSync(file, '');
      const counts: Counts = { seen: 0, profiled: 0, lastRun: [] };
      const run = async (): Promise<unknown> => {
        counts.lastRun = [];
        const scope = new CountingScope(counts);
        scope.describe('analyze', { metric: 'revenue' }, file, settings);
        const result = await queryObserver.run(scope, () => analyze(anchor, opts));
        scope.flush(); // as cli.ts does when a command ends
        return result;
      };
      return { file, counts, run };
    };
    const sampled = variant('sampled', {});
    const off = variant('off', { profile: 'off' });
    const every = variant('every', { profile: 'every' });
    const plan = variant('plan', { profile: 'every', detail: 'plan' });
    const runAnchor = (): Promise<unknown> => analyze(anchor, opts);
    // Warm-up: the first runs (and the default's first profile of each query shape).
    // The anchor twice: the second (A/A) shows what the method reads when nothing differs.
    const order = [runAnchor, runAnchor, sampled.run, off.run, every.run, plan.run];
    await warmUp(order, anchor.conn);
    const queriesPerRun = sampled.counts.seen;
    const warmProfiled = sampled.counts.profiled;
    const [a, aa, b, o, c, d] = (await rotate(order, rounds, anchor.conn)) as [M[], M[], M[], M[], M[], M[]];
    const measured = sampled.counts.seen - queriesPerRun;
    const profiledShare = sampled.counts.profiled - warmProfiled;
    const pct = (x: number, y: number): string => `${(((y - x) / x) * 100).toFixed(2)}%`;
    const quantile = (xs: number[], q: number): number => {
      const s = [...xs].sort((u, v) => u - v);
      return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] as number;
    };
    const ratios = (xs: M[], ys: M[], k: 'wall' | 'cpu'): number[] => ys.map((y, i) => (y[k] / (xs[i] as M)[k] - 1) * 100);
    const pairedPct = (xs: M[], ys: M[], k: 'wall' | 'cpu'): string => {
      const r = ratios(xs, ys, k);
      const [lo, hi] = medianCi(r);
      return `${median(r).toFixed(2)}% [95% CI ${lo.toFixed(1)}..${hi.toFixed(1)}; IQR ${quantile(r, 0.25).toFixed(1)}..${quantile(r, 0.75).toFixed(1)}]`;
    };
    const row = (label: string, xs: M[]): string =>
      `  ${label.padEnd(30)}wall min ${Math.min(...xs.map((x) => x.wall)).toFixed(1)} / median ${median(xs.map((x) => x.wall)).toFixed(1)} ms   CPU min ${Math.min(...xs.map((x) => x.cpu)).toFixed(1)} / median ${median(xs.map((x) => x.cpu)).toFixed(1)} ms`;
    console.log(`CUPED analysis of ${units.toLocaleString('en-US')} units, ${rounds} rounds, ${queriesPerRun} store queries each (load average ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores)`);
    console.log(row('anchor (no job log):', a));
    console.log(row('anchor again (A/A):', aa));
    console.log(row('default ("sampled"):', b));
    console.log(row('"off" (timed, never profiled):', o));
    console.log(row('"every" query profiled:', c));
    console.log(row('"every", detail "plan":', d));
    const over = (label: string, ys: M[]): void => {
      const min = (xs: M[], k: 'wall' | 'cpu'): number => Math.min(...xs.map((x) => x[k]));
      console.log(`  ${label.padEnd(30)}wall ${pairedPct(a, ys, 'wall')} (median of paired ratios), ${pct(min(a, 'wall'), min(ys, 'wall'))} (min); CPU ${pairedPct(a, ys, 'cpu')} (paired), ${pct(min(a, 'cpu'), min(ys, 'cpu'))} (min)`);
    };
    over('A/A (no difference):', aa);
    over('overhead (default):', b);
    over('overhead ("off"):', o);
    over('overhead ("every"):', c);
    over('overhead ("every", "plan"):', d);
    const anchorCpuUs = median(a.map((x) => x.cpu)) * 1000;
    console.log(`  default: ${profiledShare} of ${measured} measured queries profiled by DuckDB (the others timed, scans carried); target: under 2%`);
    // The verdict on the paired medians: resolved only when the whole 95% interval is on one side of 2%.
    const verdict = (k: 'wall' | 'cpu', xs: M[] = a, ys: M[] = b): string => {
      const [lo, hi] = medianCi(ratios(xs, ys, k));
      return hi < 2 ? `under 2% (95% CI ${lo.toFixed(1)}..${hi.toFixed(1)}%)` : lo > 2 ? `OVER 2% (95% CI ${lo.toFixed(1)}..${hi.toFixed(1)}%)` : `not resolved at this load (95% CI ${lo.toFixed(1)}..${hi.toFixed(1)}% spans 2%)`;
    };
    console.log(`  verdict (default): CPU ${verdict('cpu')}; wall ${verdict('wall')}`);
    // The log's own JS work, replayed without DuckDB (whose threads would blur a CPU reading this
    // short): the queries of the latest default run, fed to a fresh scope per run as a CLI run
    // does (it reads the shapes journal, fingerprints its queries, appends the spool and journal).
    const replayed = sampled.counts.lastRun;
    const { pathRuns, flushRuns } = replayLog(dir, path.join(dir, 'sampled.duckdb'), replayed, { metric: 'revenue' });
    const pathUs = median(pathRuns);
    const flushUs = median(flushRuns);
    console.log(
      `  default, the log's own JS work (replayed, median of 300 runs): ${pathUs.toFixed(0)} µs CPU a run on the queries' path (${(pathUs / replayed.length).toFixed(0)} µs a query; ` +
        `the shapes journal read, fingerprints, choosing and recording), ${flushUs.toFixed(0)} µs writing the spool and journal: ` +
        `${(((pathUs + flushUs) * 100) / anchorCpuUs).toFixed(2)}% of the anchor's median CPU`,
    );
    const logged = anchor;

    // Fixed cost per query: a trivial SELECT, where the log is all there is. Batches of n, bare
    // and logged alternating (a fresh scope per batch, its spool written inside the timing);
    // the median of the paired differences, in CPU and wall µs a query.
    const n = 200;
    const tinyRounds = Math.max(10, Math.min(40, rounds));
    const tiny = async (s: Store): Promise<void> => {
      for (let i = 0; i < n; i++) await s.all('SELECT 42 AS x');
    };
    const tinyLogged = (settings: JobSettings) => async (): Promise<void> => {
      const sc = new JobScope();
      sc.describe('analyze', {}, sampled.file, settings);
      await queryObserver.run(sc, () => tiny(logged));
      sc.flush();
    };
    const tinyOrder = [() => tiny(anchor), tinyLogged({}), tinyLogged({ profile: 'every' }), tinyLogged({ profile: 'off' })];
    await warmUp(tinyOrder, anchor.conn);
    const [ta, tb, tc, td] = (await rotate(tinyOrder, tinyRounds, anchor.conn)) as [M[], M[], M[], M[]];
    const perQuery = (xs: M[], k: 'wall' | 'cpu'): number => (median(xs.map((x) => x[k])) * 1000) / n;
    const pairedUs = (ys: M[], k: 'wall' | 'cpu'): number => (median(ys.map((y, i) => y[k] - (ta[i] as M)[k])) * 1000) / n;
    console.log(
      `  fixed cost per query (default):  CPU +${pairedUs(tb, 'cpu').toFixed(0)} µs, wall +${pairedUs(tb, 'wall').toFixed(0)} µs (SELECT 42, median of ${tinyRounds} paired batches of ${n}, spool written; ` +
        `bare ${perQuery(ta, 'cpu').toFixed(0)} µs CPU / ${perQuery(ta, 'wall').toFixed(0)} µs wall)`,
    );
    console.log(`  fixed cost per query ("off"):    CPU +${pairedUs(td, 'cpu').toFixed(0)} µs, wall +${pairedUs(td, 'wall').toFixed(0)} µs (timed and recorded, never profiled: the default's difference from it is DuckDB's profiler on the batches (runs) the 1-in-20 draw samples, a SET on and off each, and the shapes)`);
    const everyUs = pairedUs(tc, 'cpu');
    console.log(`  fixed cost per query ("every"):  CPU +${everyUs.toFixed(0)} µs, wall +${pairedUs(tc, 'wall').toFixed(0)} µs: a query of more than ${(everyUs / 1000 / 0.02).toFixed(1)} ms CPU pays under 2% when every query is profiled`);

    const scope = new JobScope();
    scope.describe('analyze', {}, sampled.file, {});
    await queryObserver.run(scope, () => tiny(logged));
    const records = scope.records.length;
    const tf = await measure(() => Promise.resolve(scope.flush()));
    console.log(`  of which the spool write:         ${((tf.cpu / Math.max(1, records)) * 1000).toFixed(1)} µs CPU a record (${records} in ${tf.cpu.toFixed(2)} ms CPU, ${tf.wall.toFixed(2)} ms wall; when a command ends, every 500 queries and 10 s after a query, outside the queries)`);

    // The default's cost from its parts, each measured where it is large enough to resolve: the
    // timing wrapper and record of a query ("off" on SELECT 42 batches, a µs a query), the shapes
    // work and the writes of a run (replayed), and DuckDB's profiler on the share of queries the
    // default profiled ("every" on this workload, all its queries profiled, times that share).
    // Each part's upper figure is the top of its median's 95% interval, and
    // the parts overlap a little ("every" and "off" include the record; the replay the spool
    // write): the sum is an upper bound. Unlike the whole-run comparison above, whose runs
    // differ by several percent among themselves, it resolves a percent.
    const perBatchUs = (ys: M[]): number[] => ys.map((y, i) => ((y.cpu - (ta[i] as M).cpu) * 1000) / n);
    const wrapUs = median(perBatchUs(td));
    const wrapHi = medianCi(perBatchUs(td))[1];
    // The share of queries the default profiles: as this run's draws fell, and at least the 1 run
    // in sampleEvery (20) the draw samples on average (a short bench may draw none).
    const fromParts = (anchorRuns: M[], everyRuns: M[], queries: number, drawn: number, rep: { pathRuns: number[]; flushRuns: number[] }): { profUs: number; profHi: number } => {
      const share = Math.max(drawn, 1 / DEFAULT_POLICY.sampleEvery);
      const everyRun = everyRuns.map((y, i) => (y.cpu - (anchorRuns[i] as M).cpu) * 1000);
      const profUs = share * median(everyRun);
      const profHi = share * medianCi(everyRun)[1];
      const replayUs = median(rep.pathRuns) + median(rep.flushRuns);
      const replayHi = medianCi(rep.pathRuns)[1] + medianCi(rep.flushRuns)[1];
      const partsUs = queries * Math.max(0, wrapUs) + replayUs + Math.max(0, profUs);
      const partsHi = queries * Math.max(0, wrapHi) + replayHi + Math.max(0, profHi);
      const base = median(anchorRuns.map((x) => x.cpu)) * 1000;
      const hiPct = (partsHi * 100) / base;
      console.log(
        `  default, from its parts: ${partsUs.toFixed(0)} µs CPU a run, ${((partsUs * 100) / base).toFixed(2)}% of the anchor's median CPU (upper bound ${hiPct.toFixed(2)}%): ` +
          `timing and recording ${queries} queries ${(queries * wrapUs).toFixed(0)} µs ("off" on SELECT 42), the shapes and the writes ${replayUs.toFixed(0)} µs (replayed), ` +
          `DuckDB's profiler on ${(share * 100).toFixed(1)}% of the queries (${(drawn * 100).toFixed(1)}% in this run) ${profUs.toFixed(0)} µs ("every" here: ${(median(everyRun) / 1000).toFixed(2)} ms a run)`,
      );
      console.log(`  verdict (default, from its parts): CPU ${hiPct < 2 ? `under 2% (upper bound ${hiPct.toFixed(2)}%)` : `not shown under 2% (upper bound ${hiPct.toFixed(2)}%)`}`);
      return { profUs: Math.max(0, profUs), profHi: Math.max(0, profHi) };
    };
    fromParts(a, c, queriesPerRun, measured > 0 ? profiledShare / measured : 0, { pathRuns, flushRuns });
    anchor.close();

    // The same comparison on the analysis `analyze --experiment` runs on a seeded project (the
    // demo's size: 20,000 users, 878,000 events), in this process: store mode, every metric the
    // experiment lists, CUPED on its pre-period.
    const seeded = seedProject(dir);
    const project = await Store.open(seeded.db, { readOnly: true });
    const storeOpts = { experiment: seeded.experiment, metrics: [], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two' as const, correction: 'none' as const };
    const storeCounts: Counts = { seen: 0, profiled: 0, lastRun: [] };
    const storeRun = (settings: JobSettings | null) => {
      const file = path.join(dir, `store-${settings === null ? 'anchor' : (settings.profile ?? 'sampled')}.duckdb`);
      fs.writeFileSync(file, '');
      // The default's queries are counted (its share profiled, its latest run replayed below).
      const counted = settings !== null && settings.profile === undefined;
      return async (): Promise<unknown> => {
        if (settings === null) return analyzeExperiment(project, storeOpts);
        if (counted) storeCounts.lastRun = [];
        const scope = counted ? new CountingScope(storeCounts) : new JobScope();
        scope.describe('analyze', { experiment: seeded.experiment }, file, settings);
        const result = await queryObserver.run(scope, () => analyzeExperiment(project, storeOpts));
        scope.flush();
        return result;
      };
    };
    const storeOrder = [storeRun(null), storeRun(null), storeRun({}), storeRun({ profile: 'off' }), storeRun({ profile: 'every' })];
    await warmUp(storeOrder, project.conn);
    const storeWarm = { ...storeCounts };
    const storeRounds = Math.max(10, Math.round(rounds / 2));
    const [sa, saa, sb, so, se] = (await rotate(storeOrder, storeRounds, project.conn)) as [M[], M[], M[], M[], M[]];
    project.close();
    const storeJobs = fs.readFileSync(spoolPath(path.join(dir, 'store-sampled.duckdb')), 'utf8').trim().split('\n').length / (storeRounds + 1);
    console.log(`analyze --experiment ${seeded.experiment} on a seeded project (store mode, in this process), ${storeJobs} store queries a run, ${storeRounds} rounds (load average ${os.loadavg()[0]?.toFixed(1)}):`);
    console.log(row('anchor (no job log):', sa));
    const storeOver = (label: string, ys: M[]): void => console.log(`  ${label.padEnd(30)}wall ${pairedPct(sa, ys, 'wall')}; CPU ${pairedPct(sa, ys, 'cpu')}`);
    storeOver('A/A (no difference):', saa);
    storeOver('overhead (default):', sb);
    storeOver('overhead ("off"):', so);
    storeOver('overhead ("every"):', se);
    console.log(`  verdict (default): CPU ${verdict('cpu', sa, sb)}; wall ${verdict('wall', sa, sb)}`);
    const storeSeen = storeCounts.seen - storeWarm.seen;
    const storeReplay = replayLog(dir, path.join(dir, 'store-sampled.duckdb'), storeCounts.lastRun, { experiment: seeded.experiment });
    const storeProf = fromParts(sa, se, storeCounts.lastRun.length, storeSeen > 0 ? (storeCounts.profiled - storeWarm.profiled) / storeSeen : 0, storeReplay);
    if (cliRuns > 0) {
      cliCost(dir, seeded, cliRuns, { profilerUs: storeProf.profUs, profilerHiUs: storeProf.profHi });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
