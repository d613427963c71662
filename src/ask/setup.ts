/**
 * What the ask, search and chat commands share: the model client (unless --offline or none is
 * configured), the embedder (--embeddings or STATSIG_HACK_EMBEDDINGS_MODEL) and the opened index.
 */
import { createLlmClient, requireModel, type LlmClient } from '../ai/llm.js';
import type { CommandContext } from '../core/context.js';
import type { Embedder } from './engine.js';
import { openIndex, type OpenedIndex } from './service.js';

export interface ModelFlags {
  offline?: boolean;
  model?: string;
  embeddings?: string;
  docs?: string;
}

export interface AskSetup {
  opened: OpenedIndex;
  llm: LlmClient | null;
  embedModel: string | null;
}

export async function setupAsk(ctx: CommandContext, flags: ModelFlags, task: string): Promise<AskSetup> {
  const embedModel = flags.offline ? null : (flags.embeddings ?? (ctx.env.STATSIG_HACK_EMBEDDINGS_MODEL || undefined) ?? null);
  const useModel = !flags.offline && ctx.settings.llmConfigured;
  if (embedModel) requireModel(ctx.settings);
  const settings = flags.model ? { ...ctx.settings, model: { value: flags.model, source: 'flag' as const } } : ctx.settings;
  const client =
    useModel || embedModel
      ? createLlmClient({ env: ctx.env, config: ctx.config, settings, cwd: ctx.cwd, redactor: ctx.redactor, onLog: (m, level) => (level === 'warn' ? ctx.out.warn(m) : ctx.out.debug(m)) })
      : null;
  const embedder: Embedder | null =
    embedModel && client?.embeddings ? { model: embedModel, embed: (input) => (client.embeddings as NonNullable<LlmClient['embeddings']>)({ task, model: embedModel, input }) } : null;
  const opened = await openIndex({ db: ctx.settings.db.value, cwd: ctx.cwd, docs: flags.docs ?? null, embedder });
  const s = opened.stats;
  ctx.out.debug(`ask index ${opened.indexFile}: ${s.loaded ? 'loaded' : 'built'}, ${s.added} added, ${s.removed} removed, ${s.unchanged} unchanged in ${s.ms} ms`);
  for (const k of s.skipped) ctx.out.warn(`docs: skipped ${k}`);
  return { opened, llm: useModel ? client : null, embedModel };
}
