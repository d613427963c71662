import fs from 'node:fs';
import path from 'node:path';
import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { DEMO_DB, dbArg } from '../core/config.js';

export function statusCommand(app: App): Command {
  return new Command('status')
    .description('what the project store holds: rows per table, experiments by status')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack status\n  $ statsig-hack status --json')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { readStoreStatus } = await import('../store/status.js');
      const { renderStatus } = await import('../ui/status.js');
      const { targetOf } = await import('../ui/format.js');
      const status = await readStoreStatus(ctx.settings.db.value);
      const demo = path.join(ctx.cwd, DEMO_DB);
      const demoDb = path.resolve(status.db) !== demo && fs.existsSync(demo) ? DEMO_DB : null;
      ctx.out.result(status, () => renderStatus(status, targetOf(ctx.io.stdout, ctx.env), { cwd: ctx.cwd, dbArg: dbArg(ctx.settings.db, ctx.cwd), demoDb }));
    });
}
