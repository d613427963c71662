import path from 'node:path';
import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import { terminalWidth } from '../core/text.js';

interface ExplainFlags {
  metric?: string;
  funnel?: string;
  chart?: string;
  days: string;
  offline?: boolean;
  model?: string;
}

export function explainCommand(app: App): Command {
  return new Command('explain')
    .description('explain a metric or funnel: its definition, figures computed in SQL, the recent trend and anomalies')
    .option('--metric <name>', 'a metric (or an event name) in the project store')
    .option('--funnel <name|steps>', 'a funnel metric, or its steps as events: view,cart,purchase')
    .option('--chart <file>', 'a chart\'s data: CSV, Parquet or JSON with a date column and a number column')
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
  $ statsig-hack explain --funnel add_to_cart,checkout_start,purchase --days 14
  $ statsig-hack explain --chart dau.csv`,
    )
    .action(async (flags: ExplainFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      if ([flags.metric, flags.funnel, flags.chart].filter(Boolean).length !== 1) throw new UsageError('explain needs exactly one of --metric <name>, --funnel <name> or --chart <file>', { hint: 'e.g. statsig-hack explain --metric revenue' });
      const days = parseNumber('--days', flags.days, { min: 2, max: 366, integer: true, example: 28 });
      const useModel = !flags.offline && ctx.settings.llmConfigured;
      const llm = useModel ? (await import('../ai/llm.js')).createLlmClientFor({ ...ctx, settings: flags.model ? { ...ctx.settings, model: { value: flags.model, source: 'flag' as const } } : ctx.settings }) : null;
      const { Store } = await import('../store/store.js');
      const { explainChart, explainFunnel, explainMetric } = await import('../ask/explain.js');
      if (flags.chart) {
        const chart = await explainChart(path.resolve(ctx.cwd, flags.chart), { llm });
        for (const r of chart.removed) ctx.out.warn(`removed from the explanation (a number not in the data): ${r}`);
        const { renderExplain } = await import('../ui/ask.js');
        ctx.out.result({ ...chart, usage: llm?.usage() ?? null }, () => renderExplain(chart, ctx.out.c, terminalWidth(ctx.io.stdout, ctx.env)));
        return;
      }
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
      ctx.out.result({ ...r, usage: llm?.usage() ?? null }, () => renderExplain(r, ctx.out.c, terminalWidth(ctx.io.stdout, ctx.env)));
    });
}
