/**
 * forecast benchmark: accuracy on Peyton Manning (holdout = last 365 rows) per model, Prophet
 * parity, and the speed target (200 daily series x 365 points, 30-day horizon, `--by` a
 * 200-level column) through the CLI in a child process: wall time, per-model time, peak RSS.
 *
 *   npm run bench -- forecast            accuracy + speed of the default model (and Prophet, MSTL alone)
 *   npm run bench -- forecast --all      also --model auto on the 200 series (slow: 5-fold CV per series)
 *   npm run bench -- forecast --series N number of synthetic series (default 200)
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { forecastSeries } from '../src/forecast/index.js';
import { coverage, naiveScale, smape } from '../src/forecast/metrics.js';
import type { ForecastRequest } from '../src/forecast/service.js';
import { mulberry32 as rng } from '../test/support/rng.js';

const exec = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');
const PEYTON = path.join(repo, 'test/fixtures/forecast/peyton_manning.csv');

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

function loadPeyton(): { ds: string[]; y: number[] } {
  const lines = fs.readFileSync(PEYTON, 'utf8').trim().split('\n').slice(1);
  return { ds: lines.map((l) => (l.split(',')[0] ?? '').replace(/"/g, '')), y: lines.map((l) => Number(l.split(',')[1])) };
}

async function peyton(): Promise<boolean> {
  if (!fs.existsSync(PEYTON)) {
    process.stdout.write(`skipped: ${PEYTON} not found\n`);
    return true;
  }
  const { ds, y } = loadPeyton();
  // Parity: fit on everything, read 2017-01-15.
  let t0 = performance.now();
  const parity = await forecastSeries([{ ds, y }], { horizon: 361, model: 'prophet', holidays: 'none', calibrate: false });
  const row = parity.series[0]?.forecast.find((p) => p.ds === '2017-01-15');
  process.stdout.write(
    `Prophet parity, 2017-01-15: yhat ${row?.yhat.toFixed(4)} [${row?.yhat_lower.toFixed(4)}, ${row?.yhat_upper.toFixed(4)}]` +
      `  (Prophet docs: 8.2126 [7.4563, 8.9597])  fit ${((performance.now() - t0) / 1000).toFixed(2)}s\n\n`,
  );

  const H = 365;
  const n = ds.length;
  const train = { ds: ds.slice(0, n - H), y: y.slice(0, n - H) };
  const test = new Map(ds.slice(n - H).map((d, i) => [d, y[n - H + i] as number]));
  const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
  const horizon = day(ds[n - 1] as string) - day(train.ds[train.ds.length - 1] as string);
  // MASE scale: in-sample seasonal naive (m = 7) MAE on the training grid.
  const grid = new Array<number>(day(train.ds[train.ds.length - 1] as string) - day(train.ds[0] as string) + 1).fill(NaN);
  train.ds.forEach((d, i) => (grid[day(d) - day(train.ds[0] as string)] = train.y[i] as number));
  const scale = naiveScale(grid, 7) ?? NaN;
  process.stdout.write(`Peyton Manning holdout: train ${train.ds.length} rows to ${train.ds[train.ds.length - 1]}, test the last ${H} rows (${horizon} days ahead), 80% intervals\n`);
  process.stdout.write(`${pad('model', 22)}${pad('sMAPE %', 9, true)}${pad('MASE', 8, true)}${pad('cov80', 8, true)}${pad('time s', 9, true)}  chosen / CV sMAPE\n`);
  const runs: [string, ForecastRequest][] = [
    ['prophet', { model: 'prophet', holidays: 'none' }],
    ['prophet + US holidays', { model: 'prophet', holidays: 'US' }],
    ['mstl [7, 365]', { model: 'mstl', holidays: 'none' }],
    ['ets', { model: 'ets', holidays: 'none' }],
    ['naive (7)', { model: 'naive', holidays: 'none' }],
    ['ensemble (default)', { model: 'ensemble', holidays: 'none' }],
    ['auto (5-fold CV)', { model: 'auto', holidays: 'none' }],
  ];
  let ok = true;
  for (const [label, req] of runs) {
    t0 = performance.now();
    const res = await forecastSeries([train], { ...req, horizon, level: 0.8, workers: 0 });
    const secs = (performance.now() - t0) / 1000;
    const s = res.series[0];
    const a: number[] = [];
    const f: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (const p of s?.forecast ?? []) {
      const actual = test.get(p.ds);
      if (actual === undefined) continue;
      a.push(actual);
      f.push(p.yhat);
      lo.push(p.yhat_lower);
      hi.push(p.yhat_upper);
    }
    const sm = smape(a, f) ?? NaN;
    const cov = coverage(a, lo, hi) ?? NaN;
    const mase = f.reduce((acc, v, i) => acc + Math.abs(v - (a[i] as number)), 0) / f.length / scale;
    const cv = s?.candidates.map((c) => `${c.model} ${c.smape?.toFixed(2) ?? 'n/a'}`).join(', ');
    process.stdout.write(
      `${pad(label, 22)}${pad(sm.toFixed(2), 9, true)}${pad(mase.toFixed(3), 8, true)}${pad(cov.toFixed(3), 8, true)}${pad(secs.toFixed(2), 9, true)}  ${s?.model ?? ''}${cv ? ` (${cv})` : ''}\n`,
    );
    if (req.model === 'auto') {
      const pass = sm <= 4.9 && cov >= 0.75 && cov <= 0.88;
      ok &&= pass;
      process.stdout.write(`target: auto sMAPE <= 4.9% (Prophet 5.39%) and 80% coverage in [0.75, 0.88]: ${pass ? 'PASS' : 'FAIL'}\n`);
    }
  }
  return ok;
}


/** DAU-like series: level, trend, a changepoint, weekly seasonality, multiplicative noise. */
function writeSeries(file: string, count: number, days: number): void {
  const r = rng(42);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out = ['ds,segment,y'];
  const start = Date.UTC(2024, 0, 1);
  for (let s = 0; s < count; s++) {
    const level = 200 + r() * 5000;
    const trend = (r() - 0.3) * 0.5;
    const amp = 0.05 + r() * 0.25;
    const cp = Math.floor(r() * days);
    const cps = (r() - 0.5) * 0.6;
    const key = `s${String(s).padStart(3, '0')}`;
    for (let t = 0; t < days; t++) {
      const tr = 1 + (trend * t) / days + (t > cp ? (cps * (t - cp)) / days : 0);
      const v = level * tr * (1 + amp * Math.sin((2 * Math.PI * (t % 7)) / 7)) * (1 + 0.04 * normal());
      out.push(`${new Date(start + t * 86_400_000).toISOString().slice(0, 10)},${key},${Math.max(0, v).toFixed(2)}`);
    }
  }
  fs.writeFileSync(file, `${out.join('\n')}\n`);
}

interface CliJson {
  series: { model: string }[];
  timing: { total_s: number; load_s: number; fit_s: number; workers: number; per_model_s: Record<string, number> };
}

async function speed(count: number, all: boolean): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-bench-forecast-'));
  const file = path.join(dir, 'series.csv');
  writeSeries(file, count, 365);
  const dist = path.join(repo, 'dist/cli.js');
  const useDist = fs.existsSync(dist);
  const cli = useDist ? dist : path.join(repo, 'src/cli.ts');
  process.stdout.write(
    `\n${count} daily series x 365 points, horizon 30, --by segment (${count} levels), --workers 2; CPUs here: ${os.availableParallelism()}; CLI from ${useDist ? 'dist/ (run npm run build first for fresh numbers)' : 'src/ via tsx'}\n`,
  );
  process.stdout.write(
    `${pad('model', 12)}${pad('wall s', 9, true)}${pad('fit s', 8, true)}${pad('CPU s', 8, true)}${pad('CPU/2', 8, true)}${pad('peak RSS', 11, true)}  per-model thread time s (summed over workers)\n`,
  );
  const models = all ? ['ensemble', 'prophet', 'mstl', 'auto'] : ['ensemble', 'prophet', 'mstl'];
  let ok = true;
  try {
    for (const model of models) {
      const args = ['forecast', '--data', file, '--by', 'segment', '--horizon', '30', '--model', model, '--holidays', 'none', '--workers', '2', '--json', '--quiet'];
      const t0 = performance.now();
      const child = await exec(process.execPath, [...process.execArgv, path.join(import.meta.dirname, '_forecast-child.ts'), cli, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FORCE_COLOR: '0' },
        maxBuffer: 256 * 1024 * 1024,
      });
      const wall = (performance.now() - t0) / 1000;
      const out = JSON.parse(child.stdout) as CliJson;
      const rssKb = Number(/BENCH_RSS_KB (\d+)/.exec(child.stderr)?.[1] ?? NaN);
      const cpu = Number(/BENCH_CPU_S ([\d.]+)/.exec(child.stderr)?.[1] ?? NaN);
      const per = Object.entries(out.timing.per_model_s)
        .map(([m, s]) => `${m} ${s.toFixed(1)}`)
        .join(', ');
      process.stdout.write(
        `${pad(model, 12)}${pad(wall.toFixed(2), 9, true)}${pad(out.timing.fit_s.toFixed(2), 8, true)}${pad(cpu.toFixed(2), 8, true)}${pad((cpu / 2).toFixed(2), 8, true)}${pad(`${(rssKb / 1024).toFixed(0)} MiB`, 11, true)}  ${per}\n`,
      );
      if (model === 'ensemble') {
        const pass = wall < 10 && rssKb < 1024 * 1024;
        ok &&= pass;
        process.stdout.write(`target: default model under 10 s wall (process start included) and peak RSS under 1 GiB: ${pass ? 'PASS' : 'FAIL'}\n`);
        if (!pass && cpu / 2 < 10) {
          process.stdout.write(`  (the process used ${cpu.toFixed(1)} CPU s: ${(cpu / 2).toFixed(1)} s of work per core on 2 cores; wall time above that means the cores were shared with other work)\n`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

export default async function forecastBench(args: string[]): Promise<void> {
  const all = args.includes('--all');
  const i = args.indexOf('--series');
  const count = i >= 0 ? Number(args[i + 1]) : 200;
  const a = await peyton();
  const b = await speed(count, all);
  process.stdout.write(`\nforecast targets: ${a && b ? 'all met' : 'NOT all met'}\n`);
}
