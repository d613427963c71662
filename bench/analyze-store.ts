/**
 * Store-mode analyze benchmark: `analyze --experiment X` (CUPAC default, every listed metric)
 * over a seeded project store, interleaved with the portable unit-level query (what the store
 * path ran before experiment-store-units.ts, and what warehouses run) and with an anchor: one DuckDB
 * query joining the experiment's exposures to the same events and counting them per unit (the
 * floor of any per-unit aggregation). Wall and CPU seconds (DuckDB's threads are in-process), the
 * ratios, and the load average: on a shared machine CPU seconds are the steadier figure.
 *
 *   npm run bench -- analyze-store [--users 200000] [--db store.duckdb] [--experiment X] [--reps 3]
 * Without --db a store of --users users (28 days, 14 pre-days, offline seed) is generated in
 * .bench-tmp/ and deleted after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { offlineProjectSpec } from '../src/ai/seed/offline.js';
import { writeSeedProject } from '../src/ai/seed/service.js';
import { analyzeExperiment, type ExperimentAnalyzeOptions } from '../src/engines/experiment.js';
import type { AnalyzeResult } from '../src/engines/analyze.js';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

interface Sample {
  wall: number;
  cpu: number;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; s: Sample }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, s: { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 } };
}

/** Largest relative difference between the numbers of two results (0 when equal). */
function maxRelDiff(a: AnalyzeResult, b: AnalyzeResult): number {
  let worst = 0;
  a.results.forEach((r, i) => {
    const o = b.results[i];
    for (const k of ['diff', 'diff_se', 'p_value', 'variance_reduction'] as const) {
      const x = r[k];
      const y = o?.[k];
      if (typeof x === 'number' && typeof y === 'number') worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-300));
    }
  });
  return worst;
}

const best = (xs: Sample[]): Sample => xs.reduce((m, x) => (x.cpu < m.cpu ? x : m));
const fmt = (s: Sample): string => `${s.wall.toFixed(2)} s wall, ${s.cpu.toFixed(2)} CPU-s`;

export default async function bench(args: string[]): Promise<void> {
  const users = Number(arg(args, 'users') ?? '200000');
  const reps = Number(arg(args, 'reps') ?? '3');
  let file = arg(args, 'db');
  const own = file === undefined;
  const dir = path.resolve(import.meta.dirname, '..', '.bench-tmp');
  if (own) {
    fs.mkdirSync(dir, { recursive: true });
    file = path.join(dir, `analyze-store-${process.pid}.duckdb`);
    const t0 = performance.now();
    const store = await Store.open(file, { create: true });
    const spec = offlineProjectSpec({ prompt: 'bench', domain: 'ecommerce', seed: 42 }).spec;
    await writeSeedProject(store, spec, { seed: 42, users, days: 28, preDays: 14, start: '2025-11-03' }, { prompt: 'bench', source: 'offline', domain: 'ecommerce', theme: 'bench' });
    store.close();
    console.log(`seeded ${users.toLocaleString('en-US')} users in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const store = await Store.open(file as string, { readOnly: true });
  try {
    const [size] = await store.all<{ e: number; u: number }>('SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM users) AS u');
    const experiment = arg(args, 'experiment') ?? String((await store.all<{ e: string }>('SELECT experiment AS e FROM exposures GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1'))[0]?.e);
    const opts: ExperimentAnalyzeOptions = { experiment, metrics: [], ratios: [], covariates: [], preDays: 14, alpha: 0.05, tails: 'two', correction: 'none' };
    const anchorSql = `SELECT count(*) AS n FROM (SELECT ev.unit_id, count(*) AS k FROM events ev JOIN exposures x ON ev.unit_id = x.unit_id
      WHERE x.experiment = '${experiment.replace(/'/g, "''")}' AND ev.ts >= x.first_exposure - INTERVAL 14 DAY GROUP BY ev.unit_id) AS per_unit`;
    const samples = { fast: [] as Sample[], portable: [] as Sample[], anchor: [] as Sample[] };
    let fast: AnalyzeResult | null = null;
    let portable: AnalyzeResult | null = null;
    await store.all(anchorSql); // page cache warm for everyone
    for (let i = 0; i < reps; i += 1) {
      const a = await timed(() => analyzeExperiment(store, opts));
      samples.fast.push(a.s);
      fast = a.value;
      const p = await timed(() => analyzeExperiment(store, { ...opts, unitSql: 'portable' }));
      samples.portable.push(p.s);
      portable = p.value;
      samples.anchor.push((await timed(() => store.all(anchorSql))).s);
    }
    const [f, p, a] = [best(samples.fast), best(samples.portable), best(samples.anchor)];
    const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
    console.log(`store: ${Number(size?.u).toLocaleString('en-US')} users, ${Number(size?.e).toLocaleString('en-US')} events; analyze --experiment ${experiment} (CUPAC, ${fast?.results.length ?? 0} comparisons); best of ${reps} by CPU; ${os.cpus().length} CPUs, load ${load}`);
    console.log(`  analyze (DuckDB unit query)    ${fmt(f)}`);
    console.log(`  analyze (portable unit query)  ${fmt(p)}   portable/DuckDB CPU ${(p.cpu / f.cpu).toFixed(2)}x`);
    console.log(`  anchor (join + count per unit) ${fmt(a)}   analyze/anchor CPU ${(f.cpu / a.cpu).toFixed(2)}x`);
    console.log(`  results: largest relative difference between the two paths ${fast && portable ? maxRelDiff(fast, portable).toExponential(1) : 'n/a'}`);
  } finally {
    store.close();
    if (own) fs.rmSync(file as string, { force: true });
  }
}
