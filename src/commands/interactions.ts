import { Command } from '../core/commander.js';
import type { App } from '../cli.js';
import type { GlobalOptions } from '../core/context.js';
import { parseList, parseNumber } from '../core/options.js';

interface InteractionsFlags {
  experiment?: string;
  metric?: string;
  alpha: string;
  minOverlap: string;
  wide?: boolean;
}

export function interactionsCommand(app: App): Command {
  return new Command('interactions')
    .description('interactions between concurrent experiments: does one experiment\'s effect depend on the group of another? (every overlapping pair, BH FDR control)')
    .option('--experiment <name>', 'only pairs that include this experiment')
    .option('--metric <names>', 'only these metrics, comma-separated (default: every metric either experiment lists)')
    .option('--alpha <alpha>', 'false discovery rate', '0.05')
    .option('--min-overlap <units>', 'skip pairs sharing fewer units', '100')
    .option('--wide', 'show every column, whatever the terminal width')
    .addHelpText(
      'after',
      `
For each pair of experiments with units exposed to both, each metric and each pair of treatment
arms, the interaction is the difference in differences of the cell means over the shared units
(metric events after the later of the two exposures): A's effect among B's treated units minus
A's effect among B's control units, with a z-test, then Benjamini-Hochberg across all tests.

Examples:
  $ statsig-hack interactions
  $ statsig-hack interactions --experiment checkout_redesign --json
  $ statsig-hack seed "an online shop" --offline --plant-interaction && statsig-hack interactions`,
    )
    .action(async (flags: InteractionsFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const alpha = parseNumber('--alpha', flags.alpha, { min: 0, max: 0.5, exclusiveMin: true, exclusiveMax: true, example: 0.05 });
      const minOverlap = parseNumber('--min-overlap', flags.minOverlap, { min: 2, max: 1e12, integer: true, example: 100 });
      const { Store } = await import('../store/store.js');
      const { findInteractions } = await import('../engines/interactions-query.js');
      const metrics = parseList(flags.metric);
      const store = await Store.open(ctx.settings.db.value, { readOnly: true });
      let result: Awaited<ReturnType<typeof findInteractions>>;
      try {
        const steps = await (await import('../core/progress.js')).ttySteps(ctx, 'interactions');
        result = await steps.run(() => findInteractions(store, { experiment: flags.experiment, metrics, alpha, minOverlap, onStep: (step) => steps.step(step) }), 'interactions computed');
      } finally {
        store.close();
      }
      const { renderInteractions } = await import('../ui/interactions.js');
      const { targetOf } = await import('../ui/format.js');
      const target = targetOf(ctx.io.stdout, ctx.env, { wide: flags.wide, color: cmd.optsWithGlobals<GlobalOptions>().color });
      ctx.out.result(result, () => renderInteractions(result, target));
    });
}
