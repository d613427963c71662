import { Command } from '../core/commander.js';
import type { App } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { terminalWidth } from '../core/text.js';

interface ChatFlags {
  docs?: string;
  offline?: boolean;
  model?: string;
  embeddings?: string;
}

export function chatCommand(app: App): Command {
  return new Command('chat')
    .description('ask the docs and the project ("What would Craig say"): answers quote their sources, or say "I don\'t know"')
    .argument('[question...]', 'a question (omit it on a terminal for an interactive chat)')
    .option('--docs <folder>', 'folder of Markdown, HTML or text files to answer from')
    .option('--offline', 'no model: quote the best-supported passage (the default when no model is configured)')
    .option('--model <name>', 'model for this run (default: llm.models.chat, then llm.model)')
    .option('--embeddings <model>', 'hybrid retrieval with this embeddings model (default: STATSIG_HACK_EMBEDDINGS_MODEL)')
    .addHelpText(
      'after',
      `
Every quote is checked against the chunk it cites (file, heading, line range); an answer with no
supported quote becomes "I don't know". Text in the docs is data, never instructions.

Examples:
  $ statsig-hack chat "how do I choose a primary metric" --docs ./docs
  $ statsig-hack chat --docs ./docs            (interactive, on a terminal)
  $ statsig-hack chat "what is CUPED" --docs ./docs --json`,
    )
    .action(async (words: string[], flags: ChatFlags, cmd: Command) => {
      const ctx = await app.context(cmd);
      const question = words.join(' ').trim();
      if (question.length > 2000) throw new UsageError(`the question is ${question.length} characters long; the limit is 2000`, { hint: 'ask a shorter question' });
      if (question.length === 0 && !ctx.interactive) {
        throw new UsageError('chat needs a question when it cannot be interactive (no terminal, CI or --json)', { hint: 'e.g. statsig-hack chat "what is CUPED" --docs ./docs' });
      }
      const { setupAsk } = await import('../ask/setup.js');
      const { answerChat } = await import('../ask/chat.js');
      const { opened, llm } = await setupAsk(ctx, flags, 'chat');
      if (question.length === 0) {
        const { runChatApp } = await import('../ui/chat.js');
        await runChatApp((q, history) => answerChat(opened.index, q, { llm, history }), ctx.io);
        return;
      }
      const result = await answerChat(opened.index, question, { llm });
      for (const r of result.removed) ctx.out.warn(`removed (${r.reason}): ${r.text}`);
      const { renderChat } = await import('../ui/ask.js');
      ctx.out.result({ ...result, usage: llm?.usage() ?? null }, () => renderChat(result, ctx.out.c, terminalWidth(ctx.io.stdout, ctx.env)));
    });
}
