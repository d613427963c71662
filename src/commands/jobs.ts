import { Command, Option } from '../core/commander.js';
import type { App } from '../cli.js';
import type { CommandContext } from '../core/context.js';
import { UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';

interface WindowOpts {
  since: string;
}

/** Opens the store read-write, moves the spool of finished runs into it, and runs `fn`. */
async function withJobs<T>(ctx: CommandContext, fn: (store: Store) => Promise<T>): Promise<T> {
  const { Store } = await import('../store/store.js');
  const { ingestSpool } = await import('../observe/jobs/log.js');
  const store = await Store.open(ctx.settings.db.value);
  try {
    await ingestSpool(store, ctx.settings.db.value);
    return await fn(store);
  } finally {
    store.close();
  }
}

function positive(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= min) throw new UserError(`${name} must be a number above ${min}, got "${text}"`, { code: 'USAGE', exitCode: 2 });
  return n;
}

export function jobsCommand(app: App): Command {
  const cmd = new Command('jobs')
    .description('what every query the tool ran cost: time, rows and bytes scanned, peak memory, outcome, by experiment, metric, command or day')
    .addOption(new Option('--by <key>', 'group by').choices(['experiment', 'metric', 'command', 'day', 'fingerprint']).default('command'))
    .option('--since <window>', 'only jobs since: 7d, 24h, 30m, 2w or a date', '7d')
    .option('--wide', 'show every column, however wide the terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  $ statsig-hack jobs --by metric --since 7d\n  $ statsig-hack jobs slow --factor 3\n  $ statsig-hack jobs show 42\n  $ statsig-hack jobs --by experiment --json',
    )
    .action(async (opts: WindowOpts & { by: 'experiment' | 'metric' | 'command' | 'day' | 'fingerprint'; wide?: boolean }, c: Command) => {
      const ctx = await app.context(c);
      const { targetOf, wrap } = await import('../ui/format.js');
      const width = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide }).width;
      const { jobsSummary, jobsPerDay, parseSince } = await import('../observe/jobs/log.js');
      const { costModelOf, describeCostModel } = await import('../observe/jobs/cost.js');
      const { renderGroups, renderDayChart, estimatedNote } = await import('../ui/jobs.js');
      const { groupNotes } = await import('../ui/jobs-notes.js');
      const now = new Date();
      const since = parseSince(opts.since, now);
      const cost = costModelOf(ctx.config);
      const { summary, days } = await withJobs(ctx, async (store) => ({
        summary: await jobsSummary(store, opts.by, since, cost.model),
        days: await jobsPerDay(store, since, now),
      }));
      const { groups, overhead, shared_jobs } = summary;
      const note = describeCostModel(cost.model, cost.source);
      // The estimated line counts each job once (--by metric lists a shared job under each of its metrics).
      const estimated = estimatedNote([{ ...summary.totals } as (typeof groups)[number]]);
      const notes = [...(estimated ? [estimated] : []), ...groupNotes(opts.by, summary)].map((n) => wrap(n, width));
      ctx.out.result({ by: opts.by, since: since.toISOString(), cost_model: { ...cost.model, source: cost.source, note }, groups, overhead, shared_jobs, totals: summary.totals, days }, () =>
        [renderGroups(opts.by, groups, width), ...notes, '', renderDayChart(days), '', wrap(note, width)].join('\n'),
      );
    });

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
      const factor = opts.factor === undefined ? (ctx.config.jobs?.slowFactor ?? 3) : positive('--factor', opts.factor, 1);
      const window = Math.trunc(positive('--window', opts.window, 0));
      // `jobs slow --since 1d`: the parent `jobs` knows --since too and takes it wherever it stands.
      const since = parseSince(opts.since ?? c.parent?.opts<WindowOpts>().since ?? '7d', new Date());
      const rows = await withJobs(ctx, (store) => slowJobs(store, { since, factor, window, minHistory: Math.min(3, window), minMs }));
      ctx.out.result({ factor, window, min_ms: minMs, since: since.toISOString(), jobs: rows }, () => renderSlow(rows, factor, width));
    });

  cmd
    .command('show')
    .description('one job: its context, SQL, and the plan and profile DuckDB recorded')
    .argument('<id>', 'job id (from `jobs slow` or `jobs --by fingerprint --json`)')
    .action(async (id: string, _opts: unknown, c: Command) => {
      const ctx = await app.context(c);
      if (!/^\d+$/.test(id)) throw new UserError(`job id must be a positive integer, got "${id}"`, { code: 'USAGE', exitCode: 2, hint: '`statsig-hack jobs slow` lists job ids' });
      const { jobById } = await import('../observe/jobs/log.js');
      const { costModelOf } = await import('../observe/jobs/cost.js');
      const { renderJob } = await import('../ui/jobs.js');
      const job = await withJobs(ctx, (store) => jobById(store, Number(id), costModelOf(ctx.config).model));
      ctx.out.result(job, () => renderJob(job, ctx.out.cli.command));
    });
  return cmd;
}
