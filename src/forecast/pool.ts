/**
 * Spreads per-series fits across worker threads (one task at a time per worker, so slow
 * series do not hold up the rest) and reports progress as series complete. Falls back to
 * the current thread when workers are not wanted or cannot start (e.g. when running from
 * TypeScript sources without a loader).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker as WorkerType } from 'node:worker_threads';
import { forecastOne } from './engine.js';
import type { EngineOptions, PreparedSeries, SeriesForecast } from './types.js';

export interface TaskMessage {
  id: number;
  series: PreparedSeries;
  options: EngineOptions;
}

export interface TaskError {
  message: string;
  hint?: string | undefined;
  code?: string | undefined;
  /** A UserError (bad input for this series) rather than a bug. */
  user: boolean;
}

export type ResultMessage = { id: number; ok: true; result: SeriesForecast } | { id: number; ok: false; error: TaskError };

export type TaskOutcome = { ok: true; result: SeriesForecast } | { ok: false; error: TaskError };

export interface PoolOptions {
  /** Worker threads to use; 0 or 1 runs on the current thread. */
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

/** The compiled worker next to this module, or the TypeScript source when running under a TS loader (tsx). */
export function workerUrl(): URL | null {
  const js = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(js))) return js;
  const ts = new URL('./worker.ts', import.meta.url);
  if (import.meta.url.endsWith('.ts') && fs.existsSync(fileURLToPath(ts)) && process.execArgv.some((a) => a.includes('tsx'))) return ts;
  return null;
}

function toTaskError(error: unknown): TaskError {
  const e = error as Error & { hint?: string; code?: string };
  return { message: e.message, hint: e.hint, code: e.code, user: e.name === 'UserError' || e.name === 'UsageError' };
}

async function runInline(series: PreparedSeries[], options: EngineOptions, onProgress?: PoolOptions['onProgress']): Promise<TaskOutcome[]> {
  const out: TaskOutcome[] = [];
  for (const s of series) {
    try {
      out.push({ ok: true, result: await forecastOne(s, options) });
    } catch (error) {
      out.push({ ok: false, error: toTaskError(error) });
    }
    onProgress?.(out.length, series.length);
  }
  return out;
}

/** Fits every series; results come back in input order. Returns the number of workers actually used. */
export async function runPool(series: PreparedSeries[], options: EngineOptions, pool: PoolOptions): Promise<{ outcomes: TaskOutcome[]; workers: number }> {
  const url = pool.workers > 1 && series.length > 1 ? workerUrl() : null;
  if (!url) return { outcomes: await runInline(series, options, pool.onProgress), workers: 0 };
  const { Worker } = await import('node:worker_threads');
  const count = Math.min(pool.workers, series.length);
  const outcomes = new Array<TaskOutcome | undefined>(series.length);
  const queue = series.map((_, i) => i);
  let done = 0;
  let alive = 0;
  let started = 0;
  let inline = false;
  const workers: WorkerType[] = [];

  await new Promise<void>((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      if (done === series.length || (alive === 0 && queue.length === 0 && !inline)) {
        settled = true;
        resolve();
      }
    };
    const spawn = (): void => {
      const worker = new Worker(url);
      workers.push(worker);
      alive++;
      started++;
      let current: number | undefined;
      let dead = false;
      const next = (): void => {
        current = queue.shift();
        if (current === undefined) {
          void worker.terminate();
          return;
        }
        const msg: TaskMessage = { id: current, series: series[current] as PreparedSeries, options };
        worker.postMessage(msg);
      };
      const die = (): void => {
        if (dead) return;
        dead = true;
        alive--;
        if (current !== undefined && outcomes[current] === undefined) queue.unshift(current);
        current = undefined;
        if (alive === 0 && queue.length > 0) {
          // No worker could run: finish on this thread.
          const rest = queue.splice(0);
          inline = true;
          void runInline(
            rest.map((i) => series[i] as PreparedSeries),
            options,
          ).then((res) => {
            res.forEach((r, k) => {
              outcomes[rest[k] as number] = r;
              done++;
              pool.onProgress?.(done, series.length);
            });
            inline = false;
            finish();
          });
          return;
        }
        finish();
      };
      worker.on('message', (msg: ResultMessage) => {
        outcomes[msg.id] = msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error };
        done++;
        pool.onProgress?.(done, series.length);
        if (done === series.length) finish();
        else next();
      });
      worker.on('error', die);
      worker.on('exit', () => {
        if (current !== undefined) die();
        else if (!dead) {
          dead = true;
          alive--;
          finish();
        }
      });
      next();
    };
    for (let i = 0; i < count; i++) spawn();
  });
  await Promise.all(workers.map((w) => w.terminate()));
  return {
    outcomes: outcomes.map((o) => o ?? { ok: false, error: { message: 'the series was not fitted', user: false } }),
    workers: started,
  };
}
