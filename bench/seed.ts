/**
 * Seed benchmark: generates an offline project into a temp store file and prints the time per
 * phase and rows/s. `npm run bench -- seed --users 1000000 --days 28 [--pre-days 14] [--threads 2] [--domain saas]`
 * The target: --users 1000000 --days 28 in under 2 minutes on 2 cores.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { offlineProjectSpec, type Domain } from '../src/ai/seed/offline.js';
import { writeSeedProject } from '../src/ai/seed/service.js';
import type { Progress } from '../src/core/progress.js';

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

export default async function seedBench(args: string[]): Promise<void> {
  const users = Number(arg(args, 'users', '200000'));
  const days = Number(arg(args, 'days', '28'));
  const preDays = Number(arg(args, 'pre-days', '14'));
  const threads = arg(args, 'threads', '');
  const domain = arg(args, 'domain', 'ecommerce') as Domain;
  const dir = path.resolve(import.meta.dirname, '..', '.bench-tmp');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `seed-${process.pid}.duckdb`);
  fs.rmSync(file, { force: true });
  const store = await Store.open(file, { create: true });
  if (threads) await store.run(`SET threads = ${Number(threads)}`);
  // CPU seconds are reported next to wall seconds: on a shared machine wall time includes waiting
  // for other processes, CPU time / threads is what an idle machine with that many cores would take.
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const phases: { label: string; ms: number; cpu: number }[] = [];
  const t0 = Date.now();
  const c0 = cpu();
  let current: { label: string; at: number; cpu: number } | null = null;
  const progress: Progress = {
    start(label) {
      current = { label, at: Date.now(), cpu: cpu() };
    },
    update() {},
    stop() {
      if (current) phases.push({ label: current.label, ms: Date.now() - current.at, cpu: cpu() - current.cpu });
      current = null;
    },
  };
  try {
    const { spec } = offlineProjectSpec({ prompt: 'bench', domain, seed: 42 });
    const summary = await writeSeedProject(store, spec, { seed: 42, users, days, preDays, start: '2025-11-03' }, { prompt: 'bench', source: 'offline', domain, theme: null }, progress);
    const total = Date.now() - t0;
    const totalCpu = cpu() - c0;
    const rows = summary.counts.users + summary.counts.exposures + summary.counts.events;
    const threadRows = await store.all<{ value: string }>(`SELECT current_setting('threads') AS value`);
    store.close();
    const size = fs.statSync(file).size;
    const out = [
      `seed bench: ${domain}, ${users.toLocaleString('en-US')} users, ${days} days + ${preDays} pre-days, DuckDB threads ${threadRows[0]?.value ?? '?'}`,
      `  ${'phase'.padEnd(32)} ${'wall'.padStart(8)} ${'cpu'.padStart(8)}`,
      ...phases.map((p) => `  ${p.label.padEnd(32)} ${(p.ms / 1000).toFixed(1).padStart(7)}s ${p.cpu.toFixed(1).padStart(7)}s`),
      `  ${'total (incl. commit)'.padEnd(32)} ${(total / 1000).toFixed(1).padStart(7)}s ${totalCpu.toFixed(1).padStart(7)}s`,
      `  rows: ${summary.counts.users.toLocaleString('en-US')} users, ${summary.counts.exposures.toLocaleString('en-US')} exposures, ${summary.counts.events.toLocaleString('en-US')} events`,
      `  ${Math.round(rows / (total / 1000)).toLocaleString('en-US')} rows/s, ${Math.round(summary.counts.events / (total / 1000)).toLocaleString('en-US')} events/s, store ${(size / 1e6).toFixed(0)} MB`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(`${file}.wal`, { force: true });
  }
}
