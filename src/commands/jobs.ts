import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import type { CommandContext } from '../core/context.js';
import { isUserError, UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { EmptyWhy, JobsSource, ReadOptions } from '../observe/jobs/log.js';

interface WindowOpts {
  since: string;
}

/**
 * Opens the store read-write, moves the spool of finished runs into it, and runs `fn`. When
 * another process holds the store (a `serve`), `fn` reads a copy instead (log.ts jobsCopy: the
 * store's jobs if DuckDB lets them be read, and the spool as it is), with a one-line warning;
 * `source` says which (for --json).
 */
async function withJobs<T>(ctx: CommandContext, fn: (store: Store, source: JobsSource | undefined) => Promise<T>): Promise<{ value: T; source: JobsSource | undefined }> {
  const { openJobsStore } = await import('../observe/jobs/open.js');
  const { ingestSpool, jobsCopy, sourceNote } = await import('../observe/jobs/log.js');
  const db = ctx.settings.db.value;
  let store: Store;
  let source: JobsSource | undefined;
  try {
    // Only a project store: a CSV or another DuckDB database is refused, never migrated (open.ts).
    store = await openJobsStore(db);
    try {
      await ingestSpool(store, db);
    } catch (error) {
      store.close();
      throw error;
    }
  } catch (error) {
    if (!isUserError(error) || error.code !== 'STORE_LOCKED') throw error;
    const pid = /\(pid (\d+)\)/.exec(error.message)?.[1];
    const copy = await jobsCopy(db, pid === undefined ? null : Number(pid));
    store = copy.store;
    source = copy.source;
    ctx.out.warn(sourceNote(copy.source, db) ?? '');
  }
  try {
    return { value: await fn(store, source), source };
  } finally {
    store.close();
  }
}

/** `jobs show <id>`: a job id, 1 up to the largest safe integer (a longer number is no id: DuckDB's BIGINT would overflow). */
function parseJobId(id: string): number {
  // `~240`, a provisional id as the tables print it, is the same id.
  const n = /^~?\d+$/.test(id) ? Number(id.replace('~', '')) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UserError(`job id must be a positive integer, got "${id}"`, { code: 'USAGE', exitCode: 2, hint: '`statsig-hack jobs list` lists the latest job ids' });
  }
  return n;
}

/** A warning while the config turns the log off (the report shows what was logged before). */
async function logOffNote(ctx: CommandContext): Promise<void> {
  if (ctx.config.jobs?.enabled !== false) return;
  const { LOG_OFF } = await import('../ui/jobs-empty.js');
  ctx.out.warn(LOG_OFF);
}

/** The line an empty report shows instead of its table (ui/jobs-empty.ts). */
async function emptyFor(ctx: CommandContext, why: EmptyWhy, since: Date, sinceText: string): Promise<string> {
  const { emptyText } = await import('../ui/jobs-empty.js');
  return emptyText(why, { logOff: ctx.config.jobs?.enabled === false, since, sinceText }, ctx.out.cli.command);
}

/** How `jobs` judges carried figures: the config's jobs.slowFactor. */
function readOptions(ctx: CommandContext): ReadOptions {
  return { slowFactor: ctx.config.jobs?.slowFactor };
}

export function jobsCommand(app: App): Command {
  const cmd = new Command('jobs')
    .description('what every query the tool ran cost: time, rows and bytes scanned, peak memory, outcome, by experiment, metric, command or day')
    .addOption(new Option('--by <key>', 'group by').choices(['experiment', 'metric', 'command', 'day', 'fingerprint']).default('command'))
    .option('--since <window>', 'only jobs since: 7d, 24h, 30m, 2w or a date', '7d')
    .option('--wide', 'show every column, however wide the terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  $ statsig-hack jobs --by metric --since 7d\n  $ statsig-hack jobs list --limit 10\n  $ statsig-hack jobs slow --factor 3\n  $ statsig-hack jobs show 42\n  $ statsig-hack jobs --by experiment --json',
    )
    // `jobs bogus`: an unknown subcommand is named as such (not "too many arguments"), with the real ones.
    .allowExcessArguments(true)
    .action(async (opts: WindowOpts & { by: 'experiment' | 'metric' | 'command' | 'day' | 'fingerprint'; wide?: boolean }, c: Command) => {
      if (c.args.length > 0) {
        const { didYouMean } = await import('../core/errors.js');
        const names = c.commands.map((s) => s.name());
        const close = didYouMean(String(c.args[0]), names);
        throw new UserError(`unknown subcommand "${c.args[0]}" for jobs${close ? ` (did you mean "${close}"?)` : ''}`, {
          code: 'USAGE',
          exitCode: 2,
          hint: `jobs takes no arguments; its subcommands: ${c.commands.map((s) => `jobs ${s.name()}${s.registeredArguments.map((a) => (a.required ? ` <${a.name()}>` : ` [${a.name()}]`)).join('')}`).join(', ')}`,
        });
      }
      const ctx = await app.context(c);
      const { targetOf, wrap } = await import('../ui/format.js');
      const width = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide }).width;
      const { jobsSummary, jobsPerDay, parseSince } = await import('../observe/jobs/log.js');
      const { costModelOf, describeCostModel } = await import('../observe/jobs/cost.js');
      const { renderGroups, renderDayChart, estimatedNote, groupTotals } = await import('../ui/jobs.js');
      const { groupNotes } = await import('../ui/jobs-notes.js');
      const { shapeSql } = await import('../observe/jobs/shape-sql.js');
      const now = new Date();
      const since = parseSince(opts.since, now);
      const cost = costModelOf(ctx.config);
      const { emptyWhy } = await import('../observe/jobs/log.js');
      const {
        value: { summary, days, shapes, why },
        source,
      } = await withJobs(ctx, async (store, held) => {
        // The spool alone (the store written by another process) has no definitions to judge names by.
        const summary = await jobsSummary(store, opts.by, since, cost.model, { ...readOptions(ctx), judgeNames: held?.mode !== 'spool' });
        const shapes = opts.by === 'fingerprint' ? await shapeSql(store, summary.groups.map((g) => g.last_id)) : undefined;
        const why = summary.groups.length === 0 ? await emptyWhy(store, since) : undefined;
        return { summary, days: await jobsPerDay(store, since, now), shapes, why };
      });
      const empty = why ? await emptyFor(ctx, why, since, opts.since) : undefined;
      if (!why) await logOffNote(ctx);
      const { overhead, shared_jobs } = summary;
      const groups = shapes ? summary.groups.map((g) => ({ ...g, ...shapes.get(g.key) })) : summary.groups;
      const note = describeCostModel(cost.model, cost.source, cost.set);
      // The estimated line counts each job once (--by metric lists a shared job under each of its metrics).
      const estimated = estimatedNote([{ ...summary.totals } as (typeof groups)[number]]);
      const { measuredNotes } = await import('../ui/jobs-list.js');
      const notes = [...(estimated ? [estimated] : []), ...measuredNotes(opts.by, summary, ctx.out.cli.command), ...groupNotes(opts.by, summary)].map((n) => wrap(n, width));
      const totals = { ...summary.totals, ...groupTotals(summary.groups) };
      const chart = renderDayChart(days);
      // A metric whose time is an equal share of a query it shared with others is marked *.
      const shown = opts.by === 'metric' ? summary.groups.map((g) => ((g.split ?? 0) > 0 ? { ...g, key: `${g.key} *` } : g)) : summary.groups;
      ctx.out.result({ by: opts.by, since: since.toISOString(), cost_model: { ...cost.model, source: cost.source, note }, groups, overhead, shared_jobs, totals, days, ...(empty ? { empty } : {}), ...(source ? { source } : {}) }, () =>
        [renderGroups(opts.by, shown, width, { totalJobs: summary.totals.jobs, shapes, empty: empty && wrap(empty, width), provisionalFrom: source?.provisional_from ?? null }), ...notes, ...(chart ? ['', chart] : []), '', wrap(note, width)].join('\n'),
      );
    });
  // The CLI copies the program's settings into each command (exit override, output), the excess-argument check with them: keep ours.
  const inherit = cmd.copyInheritedSettings.bind(cmd);
  cmd.copyInheritedSettings = (parent: Command) => inherit(parent).allowExcessArguments(true);

  cmd
    .command('slow')
    .description('queries slower than the trailing median of their query shape by a factor')
    .option('--factor <x>', 'flag a job slower than x times the median (default: config jobs.slowFactor, else 3)')
    .option('--window <n>', 'earlier runs of the same query shape the median covers', '20')
    .option('--since <window>', 'only jobs since: 7d, 24h, 30m, 2w or a date (default: 7d)')
    .option('--min-ms <ms>', 'ignore jobs faster than this: a 5 ms lookup at 10x its median is noise, not a cost (default: config jobs.slowMinMs, else 50)')
    .option('--wide', 'show every column, however wide the terminal')
    .action(async (opts: Partial<WindowOpts> & { factor?: string; window: string; minMs?: string; wide?: boolean }, c: Command) => {
      const ctx = await app.context(c);
      const { targetOf } = await import('../ui/format.js');
      const width = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide }).width;
      const { parseNumber } = await import('../core/options.js');
      const minMs = opts.minMs === undefined ? (ctx.config.jobs?.slowMinMs ?? 50) : parseNumber('--min-ms', opts.minMs, { min: 0, example: 50 });
      const { slowJobs, parseSince } = await import('../observe/jobs/log.js');
      const { renderSlow } = await import('../ui/jobs.js');
      const factor = opts.factor === undefined ? (ctx.config.jobs?.slowFactor ?? 3) : parseNumber('--factor', opts.factor, { min: 1, exclusiveMin: true, example: 3 });
      const window = parseNumber('--window', opts.window, { min: 1, integer: true, example: 20 });
      // `jobs slow --since 1d`: the parent `jobs` knows --since too and takes it wherever it stands.
      const since = parseSince(opts.since ?? c.parent?.opts<WindowOpts>().since ?? '7d', new Date());
      const { value: found, source } = await withJobs(ctx, (store) => slowJobs(store, { since, factor, window, minHistory: Math.min(3, window), minMs }));
      const { markProvisional } = await import('../observe/jobs/log.js');
      const rows = markProvisional(found, source);
      await logOffNote(ctx);
      ctx.out.result({ factor, window, min_ms: minMs, since: since.toISOString(), jobs: rows, ...(source ? { source } : {}) }, () => renderSlow(rows, factor, width));
    });

  cmd
    .command('show')
    .description('one job: its context, SQL, and the plan and profile DuckDB recorded')
    .argument('<id>', 'job id (from `jobs list`, `jobs slow` or `jobs --by fingerprint --json`)')
    .option('--wide', 'print the SQL and the plan\'s details whole, however wide the terminal')
    .action(async (id: string, opts: { wide?: boolean }, c: Command) => {
      const ctx = await app.context(c);
      const { targetOf } = await import('../ui/format.js');
      const width = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide }).width;
      const jobId = parseJobId(id);
      const { jobById, markProvisional } = await import('../observe/jobs/log.js');
      const { costModelOf } = await import('../observe/jobs/cost.js');
      const { renderJob } = await import('../ui/jobs.js');
      const { value: found, source } = await withJobs(ctx, (store) => jobById(store, jobId, costModelOf(ctx.config).model, readOptions(ctx)));
      const job = markProvisional([found], source)[0] ?? found;
      await logOffNote(ctx);
      ctx.out.result(source ? { ...job, source } : job, () => renderJob(job, ctx.out.cli.command, width));
    });

  cmd
    .command('list')
    .description('the latest jobs, newest first: id, start, command, experiment and metric, time, rows, outcome, and the start of the SQL')
    .option('--limit <n>', 'how many jobs', '20')
    .option('--since <window>', 'only jobs since: 7d, 24h, 30m, 2w or a date (default: 7d)')
    .option('--command <name>', 'only jobs of this command (analyze, query, serve, ...)')
    .option('--experiment <name>', 'only jobs about this experiment')
    .option('--run <id>', 'only the jobs of one CLI run (its run_id from --json, or its first digits)')
    .option('--overhead', 'also list transaction control and schema statements (BEGIN, COMMIT, CREATE TABLE)')
    .option('--wide', 'show every column, however wide the terminal')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack jobs list\n  $ statsig-hack jobs list --command analyze --limit 5\n  $ statsig-hack jobs list --run 3f2a9c --json')
    .action(async (opts: Partial<WindowOpts> & { limit: string; command?: string; experiment?: string; run?: string; overhead?: boolean; wide?: boolean }, c: Command) => {
      const ctx = await app.context(c);
      const { targetOf } = await import('../ui/format.js');
      const width = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide }).width;
      const { parseNumber } = await import('../core/options.js');
      const limit = parseNumber('--limit', opts.limit, { min: 1, max: 10_000, integer: true, example: 20 });
      const { recentJobs, parseSince, assertOneRun, emptyWhy, markProvisional } = await import('../observe/jobs/log.js');
      const { renderList } = await import('../ui/jobs-list.js');
      const sinceText = opts.since ?? c.parent?.opts<WindowOpts>().since ?? '7d';
      const since = parseSince(sinceText, new Date());
      if (opts.run !== undefined && !/^[0-9a-f]{1,12}$/i.test(opts.run)) {
        throw new UserError(`--run must be a run id (up to 12 hex digits), got "${opts.run}"`, { code: 'USAGE', exitCode: 2, hint: '`statsig-hack jobs list --json` shows each job\'s run_id' });
      }
      const run = opts.run?.toLowerCase();
      const filters = { command: opts.command, experiment: opts.experiment, run };
      const { value, source } = await withJobs(ctx, async (store) => {
        // A prefix of several runs' ids is refused, as git refuses an ambiguous abbreviation.
        if (run !== undefined) await assertOneRun(store, run, since);
        const listed = await recentJobs(store, { since, limit, ...filters, overhead: opts.overhead }, readOptions(ctx));
        return { ...listed, why: listed.matched === 0 ? await emptyWhy(store, since, filters) : undefined };
      });
      const jobs = markProvisional(value.jobs, source);
      const empty = value.why ? await emptyFor(ctx, value.why, since, sinceText) : undefined;
      if (!value.why) await logOffNote(ctx);
      const { wrap } = await import('../ui/format.js');
      ctx.out.result({ since: since.toISOString(), limit, matched: value.matched, jobs, ...(empty ? { empty } : {}), ...(source ? { source } : {}) }, () =>
        renderList(jobs, value.matched, width, ctx.out.cli.command, empty && wrap(empty, width)),
      );
    });
  return cmd;
}
