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
      const { summary, days, shapes } = await withJobs(ctx, async (store) => {
        const summary = await jobsSummary(store, opts.by, since, cost.model);
        const shapes = opts.by === 'fingerprint' ? await shapeSql(store, summary.groups.map((g) => g.last_id)) : undefined;
        return { summary, days: await jobsPerDay(store, since, now), shapes };
      });
      const { overhead, shared_jobs } = summary;
      const groups = shapes ? summary.groups.map((g) => ({ ...g, ...shapes.get(g.key) })) : summary.groups;
      const note = describeCostModel(cost.model, cost.source, cost.set);
      // The estimated line counts each job once (--by metric lists a shared job under each of its metrics).
      const estimated = estimatedNote([{ ...summary.totals } as (typeof groups)[number]]);
      const notes = [...(estimated ? [estimated] : []), ...groupNotes(opts.by, summary)].map((n) => wrap(n, width));
      const totals = { ...summary.totals, ...groupTotals(summary.groups) };
      const chart = renderDayChart(days);
      ctx.out.result({ by: opts.by, since: since.toISOString(), cost_model: { ...cost.model, source: cost.source, note }, groups, overhead, shared_jobs, totals, days }, () =>
        [renderGroups(opts.by, summary.groups, width, { totalJobs: summary.totals.jobs, shapes }), ...notes, ...(chart ? ['', chart] : []), '', wrap(note, width)].join('\n'),
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
      const rows = await withJobs(ctx, (store) => slowJobs(store, { since, factor, window, minHistory: Math.min(3, window), minMs }));
      ctx.out.result({ factor, window, min_ms: minMs, since: since.toISOString(), jobs: rows }, () => renderSlow(rows, factor, width));
    });

  cmd
    .command('show')
    .description('one job: its context, SQL, and the plan and profile DuckDB recorded')
    .argument('<id>', 'job id (from `jobs slow` or `jobs --by fingerprint --json`)')
    .option('--wide', 'print the SQL and the plan\'s details whole, however wide the terminal')
    .action(async (id: string, opts: { wide?: boolean }, c: Command) => {
      const ctx = await app.context(c);
      const { targetOf } = await import('../ui/format.js');
      const width = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide }).width;
      if (!/^\d+$/.test(id)) throw new UserError(`job id must be a positive integer, got "${id}"`, { code: 'USAGE', exitCode: 2, hint: '`statsig-hack jobs slow` lists job ids' });
      const { jobById } = await import('../observe/jobs/log.js');
      const { costModelOf } = await import('../observe/jobs/cost.js');
      const { renderJob } = await import('../ui/jobs.js');
      const job = await withJobs(ctx, (store) => jobById(store, Number(id), costModelOf(ctx.config).model));
      ctx.out.result(job, () => renderJob(job, ctx.out.cli.command, width));
    });
  return cmd;
}
