import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';

export function statusCommand(app: App): Command {
  return new Command('status')
    .description('what the project store holds: rows per table, experiments by status')
    .addHelpText('after', '\nExamples:\n  $ statsig-hack status\n  $ statsig-hack status --json')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { readStoreStatus } = await import('../store/status.js');
      const { printStatus } = await import('../ui/status.js');
      printStatus(ctx.out, ctx.io, ctx.settings.db, await readStoreStatus(ctx.settings.db.value));
    });
}
