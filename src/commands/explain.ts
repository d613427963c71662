import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';

interface ExplainFlags {
  metric?: string;
  funnel?: string;
  days: string;
  offline?: boolean;
  model?: string;
}

export function explainCommand(app: App): Command {
  return new Command('explain')
    .description('explain a metric or funnel: its definition, figures computed in SQL, the recent trend and anomalies')
    .option('--metric <name>', 'a metric (or an event name) in the project store')
    .option('--funnel <name|steps>', 'a funnel metric, or its steps as events: view,cart,purchase')
    .option('--days <n>', 'days of data up to the last event', '28')
    .option('--offline', 'templated explanation, no model (the default when no model is configured)')
    .option('--model <name>', 'model for this run (default: llm.models.explain, then llm.model)')
    .addHelpText(
      'after',
      `
Every number comes from SQL over the store; a model only words the explanation, and any number it
writes that is not among the computed ones is sent back once, then removed.

Examples:
  $ statsig-hack explain --metric revenue
  $ statsig-hack explain --funnel checkout_funnel --json
  $ statsig-hack explain --funnel add_to_cart,checkout_start,purchase --days 14`,
    )
    .action(async (flags: ExplainFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      if (Boolean(flags.metric) === Boolean(flags.funnel)) throw new UsageError('explain needs exactly one of --metric <name> or --funnel <name>', { hint: 'e.g. statsig-hack explain --metric revenue' });
      const days = parseNumber('--days', flags.days, { min: 2, max: 366, integer: true });
      const useModel = !flags.offline && ctx.settings.llmConfigured;
      const llm = useModel ? (await import('../ai/llm.js')).createLlmClientFor({ ...ctx, settings: flags.model ? { ...ctx.settings, model: { value: flags.model, source: 'flag' as const } } : ctx.settings }) : null;
      const { Store } = await import('../store/store.js');
      const { explainFunnel, explainMetric } = await import('../ask/explain.js');
      const store = await Store.open(ctx.settings.db.value, { readOnly: true });
      let result;
      try {
        result = flags.metric ? await explainMetric(store, flags.metric, { days, llm }) : await explainFunnel(store, flags.funnel as string, { days, llm });
      } finally {
        store.close();
      }
      for (const r of result.removed) ctx.out.warn(`removed from the explanation (a number not in the data): ${r}`);
      const { renderExplain } = await import('../ui/ask.js');
      const r = result;
      ctx.out.result({ ...r, usage: llm?.usage() ?? null }, () => renderExplain(r, ctx.out.c));
    });
}
