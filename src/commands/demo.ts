import path from 'node:path';
import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import { parseNumber } from '../core/options.js';
import type { GlobalOptions } from '../core/context.js';

export function demoCommand(app: App): Command {
  const cmd = new Command('demo');
  // The global --db says where every other command looks; the demo's own default is its store.
  const createHelp = cmd.createHelp.bind(cmd);
  cmd.createHelp = () => {
    const help = createHelp();
    const describe = help.optionDescription.bind(help);
    help.optionDescription = (option) => (option.long === '--db' ? 'where the demo writes (default: .statsig-hack/demo.duckdb)' : describe(option));
    return help;
  };
  return cmd
    .description('seed a small offline project, analyze every experiment and compare with the planted truth')
    .option('--users <n>', 'synthetic users', '20000')
    .option('--seed <n>', 'random seed (same seed, same project and numbers)', '42')
    .option('--force', 'replace a project in --db that the demo did not write')
    .option('--wide', 'show every table column, however wide the terminal')
    .addHelpText(
      'after',
      `
The demo writes to its own store, .statsig-hack/demo.duckdb (or --db), so your project store is
never touched. Explore it afterwards with --db.

Examples:
  $ statsig-hack demo
  $ statsig-hack demo --users 100000 --seed 7 --json
  $ statsig-hack status --db .statsig-hack/demo.duckdb`,
    )
    .action(async (opts: { users: string; seed: string; force?: boolean; wide?: boolean }, cmd: Command) => {
      const ctx = await app.context(cmd);
      const users = parseNumber('--users', opts.users, { min: 100, max: 5_000_000, integer: true, example: 20000 });
      const seed = parseNumber('--seed', opts.seed, { min: 0, max: 2_147_483_647, integer: true, example: 42 });
      const explicitDb = cmd.optsWithGlobals<GlobalOptions>().db !== undefined || ctx.settings.db.source !== 'default';
      const db = explicitDb ? ctx.settings.db.value : path.join(ctx.cwd, '.statsig-hack', 'demo.duckdb');
      // The demo's own queries are logged with the store it writes (`jobs --db <it>` shows them).
      if (!explicitDb) app.logJobsTo?.(db);
      const { runDemo } = await import('../demo/run.js');
      const { renderDemo } = await import('../ui/demo.js');
      const { displayPath, int, targetOf } = await import('../ui/format.js');
      const target = targetOf(ctx.io.stdout, ctx.env, { wide: opts.wide, color: cmd.optsWithGlobals<GlobalOptions>().color });
      const progress = await ctx.progress();
      ctx.out.info(`Seeding a ${int(users)}-user demo project into ${displayPath(db, ctx.cwd)} (offline, seed ${seed})...`);
      const result = await runDemo({ db, users, seed, force: Boolean(opts.force), progress });
      ctx.out.result(result, () => renderDemo(result, target, ctx.cwd, ctx.out.cli));
    });
}
