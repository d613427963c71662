/**
 * Default model prices in USD per 1M tokens (OpenAI list prices, standard tier). The
 * config's `llm.prices` adds to and overrides these. A model we have no price for costs 0
 * and is reported as unpriced, never guessed.
 */
import type { Price } from '../core/config.js';

export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4.1': { input: 2.0, output: 8.0 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10.0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'o3-mini': { input: 1.1, output: 4.4 },
};

/**
 * The price of `model`: an exact match first, then the name without a dated snapshot
 * suffix (`gpt-4o-2024-08-06` -> `gpt-4o`) or a provider prefix (`openai/gpt-4o`).
 */
export function priceFor(model: string, prices: Readonly<Record<string, Price>>): Price | null {
  const candidates = [model];
  const noPrefix = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model;
  candidates.push(noPrefix);
  for (const name of [model, noPrefix]) {
    const undated = name.replace(/-\d{4}-\d{2}-\d{2}$/, '');
    if (undated !== name) candidates.push(undated);
  }
  for (const c of candidates) {
    const p = prices[c];
    if (p) return p;
  }
  return null;
}

/** USD for a call: tokens / 1e6 * price per 1M. */
export function costUsd(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
