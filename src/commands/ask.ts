import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseNumber } from '../core/options.js';
import { terminalWidth } from '../core/text.js';

interface AskFlags {
  limit: string;
  offline?: boolean;
  model?: string;
  embeddings?: string;
}

export function askCommand(app: App): Command {
  return new Command('ask')
    .description('ask the knowledge bank about experiments: ranked experiments and their saved results, answered by a model when one is configured')
    .argument('<question...>', 'a question in plain language')
    .option('--limit <n>', 'experiments to list', '5')
    .option('--offline', 'no model: ranked experiments with their key results (the default when no model is configured)')
    .option('--model <name>', 'model for this run (default: llm.models.ask, then llm.model)')
    .option('--embeddings <model>', 'hybrid retrieval with this embeddings model (default: STATSIG_HACK_EMBEDDINGS_MODEL)')
    .addHelpText(
      'after',
      `
Results come from \`analyze --experiment\` (saved as scorecards). With a model, every number in the
answer is checked against them: a mismatch goes back once for repair, then is removed.

Examples:
  $ statsig-hack ask "which experiments moved revenue the most"
  $ statsig-hack ask "what did we learn about free shipping" --offline
  $ statsig-hack ask "significant wins on sales since 2026-09-01" --json`,
    )
    .action(async (words: string[], flags: AskFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const question = words.join(' ').trim();
      if (question.length === 0) throw new UsageError('ask needs a question', { hint: 'e.g. statsig-hack ask "which experiments moved revenue the most"' });
      if (question.length > 2000) throw new UsageError(`the question is ${question.length} characters long; the limit is 2000`, { hint: 'ask a shorter question' });
      const limit = parseNumber('--limit', flags.limit, { min: 1, max: 50, integer: true, example: 10 });
      const { setupAsk } = await import('../ask/setup.js');
      const { askQuestion } = await import('../ask/knowledge.js');
      const { opened, llm } = await setupAsk(ctx, flags, 'ask');
      const result = await askQuestion(opened.index, opened.facts, opened.scorecards, question, { limit, llm });
      for (const w of result.warnings) ctx.out.warn(w);
      for (const r of result.removed) ctx.out.warn(`removed from the answer (${r.reason}): ${r.text}`);
      const { renderAsk } = await import('../ui/ask.js');
      ctx.out.result({ ...result, usage: llm?.usage() ?? null }, () => renderAsk(result, ctx.out.c, terminalWidth(ctx.io.stdout, ctx.env)));
    });
}
