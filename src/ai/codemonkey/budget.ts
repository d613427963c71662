/**
 * The dollar budget. Before every model call the worst case is estimated: the prompt's
 * tokens (characters / 3, rounded up, plus the schema) at the input price and the completion
 * cap (`max_completion_tokens`, which the request sends) at the output price. The run stops
 * before a call whose worst case would take the spend past --budget-usd. Spend is what the
 * LLM client tallied from the real usage figures. A model without a known price costs 0.
 */
import type { Price } from '../../core/config.js';
import type { ChatMessage } from '../llm.js';

/** Completion cap sent with every codemonkey request. */
export const MAX_COMPLETION_TOKENS = 8000;
/** The JSON schema and message framing, in tokens. */
export const REQUEST_OVERHEAD_TOKENS = 600;

export function messageChars(messages: ChatMessage[]): number {
  let n = 0;
  for (const m of messages) {
    if (typeof m.content === 'string') n += m.content.length;
    else for (const p of m.content) n += p.type === 'text' ? p.text.length : 1000;
  }
  return n;
}

export function estimatePromptTokens(messages: ChatMessage[]): number {
  return Math.ceil(messageChars(messages) / 3) + REQUEST_OVERHEAD_TOKENS;
}

/** Worst-case USD of one call; 0 when the model has no price. */
export function worstCaseCallUsd(messages: ChatMessage[], price: Price | null, maxCompletionTokens = MAX_COMPLETION_TOKENS): number {
  if (!price) return 0;
  return (estimatePromptTokens(messages) * price.input + maxCompletionTokens * price.output) / 1_000_000;
}

export interface BudgetDecision {
  ok: boolean;
  spentUsd: number;
  nextUsd: number;
  budgetUsd: number;
  message: string;
}

/** Tokens of a repair turn's own text (the list of problems), on top of the bad reply it quotes. */
export const REPAIR_PROMPT_TOKENS = 400;

/**
 * Worst-case USD of a request with up to `repairs` repair turns: each repair resends the
 * conversation plus the previous reply (at most the completion cap) and the list of problems.
 */
export function worstCaseRequestUsd(messages: ChatMessage[], price: Price | null, repairs = 0, maxCompletionTokens = MAX_COMPLETION_TOKENS): number {
  if (!price) return 0;
  const prompt = estimatePromptTokens(messages);
  let usd = 0;
  for (let k = 0; k <= repairs; k++) usd += ((prompt + k * (maxCompletionTokens + REPAIR_PROMPT_TOKENS)) * price.input + maxCompletionTokens * price.output) / 1_000_000;
  return usd;
}

/** Whether a request (with up to `repairs` repair turns) fits in what is left of the budget. */
export function budgetCheck(spentUsd: number, messages: ChatMessage[], price: Price | null, budgetUsd: number, repairs = 0): BudgetDecision {
  const nextUsd = worstCaseRequestUsd(messages, price, repairs);
  const ok = spentUsd + nextUsd <= budgetUsd;
  const message = ok
    ? ''
    : `budget reached: $${spentUsd.toFixed(4)} spent, and the next model call could cost up to $${nextUsd.toFixed(4)}, which would pass --budget-usd ${budgetUsd}`;
  return { ok, spentUsd, nextUsd, budgetUsd, message };
}
