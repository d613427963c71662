/**
 * serve benchmark: the built server (`npm run build` first) in a child process on 127.0.0.1,
 * driven by autocannon for a bounded time per scenario: writes (POST creates, 1 and 64
 * connections), then GET one entity and GET a page of 100, at 1 and 64 connections, with the
 * Sigma cache and with --no-cache. Prints req/s and p50 / p99 latency per scenario.
 * `npm run bench -- serve [--duration 5] [--entities 1000]`
 * The goals: cached get >= 10x the req/s of --no-cache, get p99 < 5 ms at 64
 * connections on 2 cores, writes >= 500/s.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Store } from '../src/store/store.js';
import { createKey } from '../src/server/keys.js';
import { startServe, type ServeChild } from '../test/support/serve-process.js';

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

const root = path.resolve(import.meta.dirname, '..');

function startServer(db: string, cache: boolean): Promise<ServeChild> {
  return startServe(['--db', db, ...(cache ? [] : ['--no-cache'])]);
}

async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
}

interface Row {
  scenario: string;
  cache: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(opts: autocannon.Options): Promise<Omit<Row, 'scenario' | 'cache'>> {
  const r = await autocannon(opts);
  return { connections: opts.connections ?? 1, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

export default async function serveBench(args: string[]): Promise<void> {
  const duration = Math.min(60, Math.max(1, Number(arg(args, 'duration', '5'))));
  const entities = Math.min(100_000, Math.max(10, Number(arg(args, 'entities', '1000'))));
  if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('run `npm run build` first: the bench drives the built server');
  const dir = path.join(root, '.bench-tmp');
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, `serve-${process.pid}.duckdb`);
  fs.rmSync(db, { force: true });
  const store = await Store.open(db, { create: true });
  const key = (await createKey(store, 'write', 'bench')).key;
  store.close();
  const headers = { 'STATSIG-API-KEY': key, 'content-type': 'application/json' };
  const rows: Row[] = [];

  // Writes first (they also fill the store), then reads on a store of `entities` gates.
  let server = await startServer(db, true);
  for (const connections of [1, 64]) {
    const r = await load({ url: `${server.url}/console/v1/gates`, method: 'POST', headers, body: JSON.stringify({ name: 'g-[<id>]', description: 'bench', tags: ['bench'] }), idReplacement: true, connections, duration });
    rows.push({ scenario: 'write (POST create)', cache: 'on', ...r });
  }
  const count = async (): Promise<number> => {
    const res = await fetch(`${server.url}/console/v1/gates?limit=1`, { headers });
    return ((await res.json()) as { pagination: { totalItems: number } }).pagination.totalItems;
  };
  for (let have = await count(); have < entities; have++) {
    await fetch(`${server.url}/console/v1/gates`, { method: 'POST', headers, body: JSON.stringify({ name: `fill_${have}`, tags: ['bench'] }) });
  }
  const total = await count();
  const page = (await (await fetch(`${server.url}/console/v1/gates?limit=1&page=${Math.ceil(total / 2)}`, { headers })).json()) as { data: { id: string }[] };
  const id = page.data[0]?.id ?? 'fill_0';
  for (const cache of [true, false]) {
    if (!cache) {
      await stopServer(server.child);
      server = await startServer(db, false);
    }
    for (const [scenario, p] of [
      ['get one', `/console/v1/gates/${encodeURIComponent(id)}`],
      ['list 100', '/console/v1/gates?limit=100&page=2'],
    ] as const) {
      for (const connections of [1, 64]) rows.push({ scenario, cache: cache ? 'on' : 'off', ...(await load({ url: `${server.url}${p}`, headers, connections, duration })) });
    }
  }
  await stopServer(server.child);
  fs.rmSync(db, { force: true });
  fs.rmSync(`${db}.wal`, { force: true });

  const lines = [`serve bench: ${total} gates in the store, ${duration} s per scenario, autocannon on 127.0.0.1, server in a child process`];
  lines.push(`${'scenario'.padEnd(20)} ${'cache'.padEnd(5)} ${'conns'.padStart(5)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(8)} ${'errors'.padStart(7)}`);
  for (const r of rows) {
    lines.push(`${r.scenario.padEnd(20)} ${r.cache.padEnd(5)} ${String(r.connections).padStart(5)} ${r.rps.toFixed(0).padStart(9)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)}`);
  }
  const find = (s: string, c: string, n: number) => rows.find((r) => r.scenario === s && r.cache === c && r.connections === n);
  const on = find('get one', 'on', 64);
  const off = find('get one', 'off', 64);
  const w = find('write (POST create)', 'on', 64);
  if (on && off && w) {
    lines.push(
      `goals: cached get / no-cache get at 64 conns = ${(on.rps / Math.max(1, off.rps)).toFixed(1)}x (goal >= 10x); cached get p99 at 64 conns = ${on.p99} ms (goal < 5 ms); writes = ${w.rps.toFixed(0)}/s (goal >= 500/s)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
