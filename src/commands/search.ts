import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseList, parseNumber } from '../core/options.js';
import { terminalWidth } from '../core/text.js';

interface SearchFlags {
  type?: string;
  limit: string;
  docs?: string;
  offline?: boolean;
  model?: string;
  embeddings?: string;
}

const TYPES = ['gate', 'experiment', 'dynamic_config', 'metric', 'layer', 'segment', 'scorecard', 'doc'] as const;

export function searchCommand(app: App): Command {
  return new Command('search')
    .description('search every entity (gates, experiments, configs, metrics, layers, segments, results, docs), typo-tolerant')
    .argument('<text...>', 'what to look for')
    .option('--type <types>', `only these types, comma-separated: ${TYPES.join(', ')}`)
    .option('--limit <n>', 'results to show', '10')
    .option('--docs <folder>', 'also search a folder of Markdown, HTML or text files')
    .option('--offline', 'no model: lexical ranking only (the default when no model is configured)')
    .option('--model <name>', 'model that reranks the results (it may only reorder what retrieval found)')
    .option('--embeddings <model>', 'hybrid search with this embeddings model (default: STATSIG_HACK_EMBEDDINGS_MODEL)')
    .addHelpText(
      'after',
      `
Examples:
  $ statsig-hack search checkout
  $ statsig-hack search "free shiping" --type experiment,gate
  $ statsig-hack search revenue --docs ./docs --json`,
    )
    .action(async (words: string[], flags: SearchFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const text = words.join(' ').trim();
      if (text.length === 0) throw new UsageError('search needs some text', { hint: 'e.g. statsig-hack search checkout' });
      const limit = parseNumber('--limit', flags.limit, { min: 1, max: 100, integer: true, example: 20 });
      const kinds = parseList(flags.type).map((t) => {
        const k = t === 'config' ? 'dynamic_config' : t.replace(/s$/, '');
        if (!(TYPES as readonly string[]).includes(k)) throw new UsageError(`--type: unknown type "${t}"`, { hint: `use ${TYPES.join(', ')}` });
        return k as (typeof TYPES)[number];
      });
      const { setupAsk } = await import('../ask/setup.js');
      const { searchProject } = await import('../ask/search.js');
      const { opened, llm } = await setupAsk(ctx, flags, 'search');
      const out = await searchProject(opened.index, text, { limit, llm, ...(kinds.length > 0 ? { kinds } : {}) });
      for (const id of out.dropped) ctx.out.warn(`the model returned "${id}", which search did not find; dropped`);
      const { renderSearch } = await import('../ui/ask.js');
      ctx.out.result({ ...out, usage: llm?.usage() ?? null }, () => renderSearch(out, ctx.out.c, terminalWidth(ctx.io.stdout, ctx.env)));
    });
}
