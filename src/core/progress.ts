/**
 * Progress reporting for long work. On an interactive TTY an ink spinner / bar is drawn on
 * stderr; otherwise plain lines are written to stderr at most every `intervalMs` (and at
 * the start and the end), so CI logs stay short and stable. Services receive a `Progress`
 * and never know which one they got.
 */
import type { Writable } from './output.js';
import { duration, progressCount } from '../ui/format.js';

export interface Progress {
  /**
   * Starts (or restarts) a phase. `total` makes it a bar; without it, a spinner. `keepTime`
   * renames the running phase and keeps its clock (the next named step of one piece of work).
   */
  start(label: string, total?: number, options?: { keepTime?: boolean }): void;
  /** Reports `done` units of work (out of the phase's total). */
  update(done: number, total?: number): void;
  /** Ends the current phase with an optional final message; `failed` marks a phase an error ended (no ✓). */
  stop(message?: string, options?: { failed?: boolean }): void;
}

export const silentProgress: Progress = {
  start() {},
  update() {},
  stop() {},
};

export interface PlainProgressOptions {
  intervalMs?: number;
  now?: () => number;
}

export class PlainProgress implements Progress {
  private label = '';
  private total: number | undefined;
  private lastWrite = 0;
  private startedAt = 0;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: Writable,
    options: PlainProgressOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  start(label: string, total?: number): void {
    this.label = label;
    this.total = total;
    this.startedAt = this.now();
    this.lastWrite = this.startedAt;
    this.stream.write(`${label}...\n`);
  }

  update(done: number, total?: number): void {
    if (total !== undefined) this.total = total;
    const t = this.now();
    if (t - this.lastWrite < this.intervalMs) return;
    this.lastWrite = t;
    const known = this.total !== undefined && this.total > 0;
    // Without a total and nothing counted yet, say that it is still going rather than "0".
    const what = known || done > 0 ? formatCount(done, this.total) : 'working';
    this.stream.write(`${this.label}: ${what}, ${duration(t - this.startedAt)}\n`);
  }

  stop(message?: string): void {
    this.stream.write(`${message ?? `${this.label}: done`} (${duration(this.now() - this.startedAt)})\n`);
  }
}

/**
 * Runs `work` as one phase of `progress`: it ends with `done` when the work returns and with
 * `failed` (default "<label>: failed", marked failed: no ✓) when it throws, so that a model call
 * that failed never reads "model answered" just above its error. The error goes on unchanged.
 */
export async function phase<T>(progress: Progress, label: string, work: () => Promise<T>, end: { done: string; failed?: string }): Promise<T> {
  return new StepProgress(progress, label).run(work, end.done, end.failed);
}

/** Counts as progress shows them: "1,200/20,000 (6%)", or "1,200" without a total. */
export const formatCount = progressCount;

/** Chooses the reporter: ink on an interactive TTY, plain lines otherwise, nothing with --quiet. */
export async function createProgress(stream: Writable, opts: { interactive: boolean; quiet: boolean }): Promise<Progress> {
  if (opts.quiet) return silentProgress;
  if (opts.interactive && stream.isTTY) {
    const { InkProgress } = await import('../ui/progress.js');
    return new InkProgress(stream);
  }
  return new PlainProgress(stream);
}

/**
 * Named steps of one piece of work ("analyzing x: computing moments") under one clock, for commands
 * whose work has no count to show. Only on an interactive TTY (`progress` is silentProgress
 * otherwise): a pipe, CI or --json gets no extra line.
 */
export class StepProgress {
  private started = false;

  constructor(
    private readonly progress: Progress,
    private readonly title: string,
  ) {}

  /** Shows the title alone, before the first named step. */
  begin(): void {
    this.step('');
  }

  step(name: string): void {
    this.progress.start(name ? `${this.title}: ${name}` : this.title, undefined, { keepTime: this.started });
    this.started = true;
  }

  /** Ends the spinner with a ✓ and `message`, or a ✗ and `message` (default "<title>: failed") when the work failed. */
  end(message: string | undefined, failed = false): void {
    if (!this.started) return;
    this.started = false;
    this.progress.stop(message ?? `${this.title}: failed`, { failed });
  }

  /** Runs `work` between begin and end: `done` when it returns, `failed` (default "<title>: failed") when it throws. */
  async run<T>(work: () => Promise<T>, done: string, failed?: string): Promise<T> {
    this.begin();
    try {
      const out = await work();
      this.end(done);
      return out;
    } catch (error) {
      this.end(failed, true);
      throw error;
    }
  }
}

/** The progress of a command that shows it only on an interactive TTY (never in pipes, CI or --json). */
export async function ttySteps(ctx: { interactive: boolean; progress(): Promise<Progress> }, title: string): Promise<StepProgress> {
  return new StepProgress(ctx.interactive ? await ctx.progress() : silentProgress, title);
}
