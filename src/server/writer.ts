/**
 * The one writer queue of `serve`: every write (entity mutations, webhook delivery bookkeeping)
 * is a job run in order on the writer connection. Jobs waiting together are committed in one
 * transaction (group commit); a job's promise settles only after that COMMIT, so an acknowledged
 * write is in the store. A job that fails its own checks (an ApiError) fails alone; any other
 * error rolls the batch back and its jobs are run again one by one, so only the bad one fails.
 */
import type { Store } from '../store/store.js';
import type { Sql } from './repo.js';

/** An expected refusal of one request (4xx): fails its job, not the batch. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What a job sees: the transaction's SQL and hooks run after COMMIT (cache updates). */
export interface Batch {
  sql: Sql;
  /** Changes made earlier in this batch, by key, over what the store had (null = deleted). */
  overlay: Map<string, unknown>;
  /** Rows the jobs queued for the flush before COMMIT (bulk statements instead of one per job). */
  rows: Map<string, unknown[]>;
  afterCommit(fn: () => void): void;
}

type Job<T> = (batch: Batch) => Promise<T>;

interface Pending {
  job: Job<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export const MAX_BATCH = 256;

export class WriteQueue {
  private queue: Pending[] = [];
  private running = false;
  private idle: (() => void)[] = [];
  batches = 0;
  jobs = 0;

  constructor(
    private readonly store: Store,
    /** Writes what the batch's jobs queued in `rows`, inside the transaction, before COMMIT. */
    private readonly flush: (batch: Batch) => Promise<void> = () => Promise.resolve(),
  ) {}

  submit<T>(job: Job<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: (v) => resolve(v as T), reject });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves when no job is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        const ok = await this.runBatch(batch);
        if (!ok) for (const p of batch) await this.runBatch([p], true);
      }
    } finally {
      this.running = false;
      for (const r of this.idle.splice(0)) r();
    }
  }

  /** Runs jobs in one transaction. False when the store failed (rolled back, nothing settled) and `alone` is false. */
  private async runBatch(batch: Pending[], alone = false): Promise<boolean> {
    const hooks: (() => void)[] = [];
    const settled: { p: Pending; ok: boolean; value: unknown }[] = [];
    const ctx: Batch = { sql: this.store, overlay: new Map(), rows: new Map(), afterCommit: (fn) => hooks.push(fn) };
    try {
      await this.store.run('BEGIN TRANSACTION');
      for (const p of batch) {
        const before = hooks.length;
        try {
          settled.push({ p, ok: true, value: await p.job(ctx) });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          hooks.length = before;
          settled.push({ p, ok: false, value: error });
        }
      }
      await this.flush(ctx);
      await this.store.run('COMMIT');
    } catch (error) {
      await this.store.run('ROLLBACK').catch(() => undefined);
      if (!alone) return false;
      for (const p of batch) {
        const refused = settled.find((s) => s.p === p && !s.ok);
        p.reject(refused ? refused.value : error);
      }
      return true;
    }
    this.batches++;
    this.jobs += batch.length;
    for (const h of hooks) h();
    for (const s of settled) {
      if (s.ok) s.p.resolve(s.value);
      else s.p.reject(s.value);
    }
    return true;
  }
}
