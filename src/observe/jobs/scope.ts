/**
 * The job log of one CLI run. cli.ts runs the whole command inside `queryObserver.run(scope)`;
 * once the command is known (`describe`), every store query is kept in memory and, when the
 * run ends, appended to a spool file next to the project store (one JSON line per query).
 * A spool rather than the store itself: most commands open the store read-only, and a
 * second process may hold it. `jobs` moves the spool into the store's `jobs` table.
 */
import fs from 'node:fs';
import type { ProfileDetail, QueryObserver, QueryRecord } from '../../store/observer.js';
import { jobRecord, nodeCrypto, type JobContext, type JobRecord } from './record.js';

/** The spool of a project store: `<store>.jobs.jsonl`. */
export function spoolPath(db: string): string {
  return `${db}.jobs.jsonl`;
}

/** Commands whose own queries are not logged (reading the log is not a job). */
const UNLOGGED = new Set(['jobs']);
const FLUSH_EVERY = 500;
/** A spool nobody moves into the store stops growing here (`jobs` empties it). */
export const MAX_SPOOL_BYTES = 64 * 1024 * 1024;

export class JobScope implements QueryObserver {
  private id: string | null = null;
  /** This run's id, drawn when first needed (node:crypto loads only for a run that logs a query). */
  get runId(): string {
    this.id ??= nodeCrypto().randomBytes(6).toString('hex');
    return this.id;
  }
  private ctx: JobContext | null = null;
  /** What DuckDB profiles per query (config `jobs.detail`). */
  detail: ProfileDetail = 'summary';
  private db: string | null = null;
  /** Queries observed and not yet written: records are built at flush, off the queries' path. */
  private pending: { q: QueryRecord; ctx: JobContext }[] = [];

  get active(): boolean {
    return this.ctx !== null;
  }

  /**
   * Starts logging for a command: its name (`profile compare` for a subcommand), the
   * experiment and metric it was asked about (its --experiment and --metric options), and the
   * project store whose spool receives the log. `enabled: false` (config) turns logging off;
   * `detail` (config `jobs.detail`) chooses query-level figures or whole plans.
   */
  describe(command: string, opts: Record<string, unknown>, db: string, enabled = true, detail: ProfileDetail = 'summary'): void {
    if (!enabled || UNLOGGED.has(command.split(' ')[0] ?? '')) return;
    this.detail = detail;
    this.ctx = { command, experiment: optionText(opts.experiment), metric: optionText(opts.metric) };
    this.db = db;
  }

  record(q: QueryRecord): void {
    if (!this.ctx) return;
    this.pending.push({ q, ctx: this.ctx });
    // A long-running command (serve) writes its log as it goes.
    if (this.pending.length >= FLUSH_EVERY) this.flush();
  }

  /** The jobs observed and not yet flushed. */
  get records(): JobRecord[] {
    return this.pending.map((p) => jobRecord(p.q, p.ctx, this.runId));
  }

  /**
   * Appends the run's jobs to the spool. Only when the project store exists: a file-mode
   * analysis in a folder without a project leaves nothing behind. Never throws: a log that
   * cannot be written must not fail the command. Returns the number of jobs written.
   */
  flush(): number {
    const pending = this.pending.splice(0);
    if (pending.length === 0 || this.db === null || !fs.existsSync(this.db)) return 0;
    try {
      const spool = spoolPath(this.db);
      if (fs.existsSync(spool) && fs.statSync(spool).size > MAX_SPOOL_BYTES) return 0;
      const records = pending.map((p) => jobRecord(p.q, p.ctx, this.runId));
      fs.appendFileSync(spool, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      return records.length;
    } catch {
      return 0;
    }
  }
}

function optionText(v: unknown): string | null {
  if (typeof v === 'string' && v.length > 0) return v;
  if (Array.isArray(v) && v.length > 0) return v.map(String).join(',');
  return null;
}

/** `jobs slow` for a subcommand, `analyze` for a top-level one. */
export function commandPath(command: { name(): string; parent: unknown }): string {
  const names: string[] = [];
  let c: { name(): string; parent: unknown } | null = command;
  while (c && c.parent) {
    names.unshift(c.name());
    c = c.parent as { name(): string; parent: unknown } | null;
  }
  return names.join(' ') || command.name();
}
