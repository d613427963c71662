import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { terminalWidth } from '../core/text.js';

export function showCommand(app: App): Command {
  return new Command('show')
    .description('print one entity from the project store (and an experiment\'s saved results)')
    .argument('<type>', 'gate, experiment, config, metric, layer or segment')
    .argument('<name>', 'its name')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack show experiment checkout_redesign
  $ statsig-hack show metric revenue --json`,
    )
    .action(async (type: string, name: string, _flags: unknown, cmd: Command) => {
      const ctx = await app.context(cmd);
      const { showEntity } = await import('../ask/show.js');
      const result = await showEntity(ctx.settings.db.value, type, name);
      const { renderShow } = await import('../ui/ask.js');
      ctx.out.result(result, () => renderShow(result, ctx.out.c, terminalWidth(ctx.io.stdout, ctx.env)));
    });
}
