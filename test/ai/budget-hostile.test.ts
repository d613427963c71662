/**
 * Issue 11, "Budget that holds against a lying server" (the LLM client's half): a 10 MB reply
 * and invented usage figures cannot push the spend tally past what a budget check allows.
 *
 * 1. Through the client: whatever the server sends, one call adds at most the price of its
 *    bounds (the request's own bytes as prompt tokens, max_completion_tokens as completion
 *    tokens), so a check "spent + bound <= budget" before each call holds the budget.
 * 2. End to end through `codemonkey --budget-usd` (the real CLI, real git repo, scripted server).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveSettings } from '../../src/core/config.js';
import { UserError } from '../../src/core/errors.js';
import { createLlmClient } from '../../src/ai/llm.js';
import { completionCap, promptTokenBound, requestShape } from '../../src/ai/meter.js';
import { DEFAULT_PRICES, costUsd } from '../../src/ai/prices.js';
import { baseEnv, runCli } from '../support/run-cli.js';
import { type Reply } from '../support/openai-server.js';
import { scriptedServers } from '../support/scripted-servers.js';
import { tmpDir } from '../support/tmp.js';
import { MATH_ADD, makeRepo, options } from '../codemonkey/helpers.js';

const server = scriptedServers();

const PRICE = DEFAULT_PRICES['gpt-4.1-mini']!;
const Answer = z.object({ text: z.string() });

const HOSTILE: Reply[] = [
  { json: { text: 'ok' }, usage: { prompt_tokens: 1e9, completion_tokens: 1e9 } },
  { hugeContentBytes: 10_000_000 },
  { hugeContentBytes: 10_000_000, usage: null },
  { json: { text: 'z'.repeat(200_000) }, usage: { prompt_tokens: 1, completion_tokens: 1 } },
  { json: { text: 'ok' }, usage: null },
  { json: { text: 'ok' }, usage: { prompt_tokens: 7e6, completion_tokens: 0 } },
];

describe('the budget holds against a lying server (client)', () => {
  it('no reply adds more than the price of the call bounds, so a budget check before each call holds', async () => {
    const s = await server(HOSTILE);
    const dir = tmpDir('sh-budget-');
    const env = { OPENAI_API_KEY: 'sk-test-budget-000000', OPENAI_BASE_URL: s.url };
    const llm = createLlmClient({ env, config: { llm: { maxRetries: 0 } }, settings: resolveSettings(dir, {}, env, {}), cwd: dir });
    const budget = 0.05;
    const maxTokens = 2000;
    for (let i = 0; i < HOSTILE.length; i++) {
      const before = llm.usage().costUsd;
      const messages = [{ role: 'user' as const, content: `question ${i}: ${'context '.repeat(200)}` }];
      await llm.structured({ task: 'ideas', schemaName: 'answer', schema: Answer, messages, maxTokens, maxRepairs: 0 }).catch((error: unknown) => {
        expect(error).toBeInstanceOf(UserError);
      });
      const shape = requestShape(s.chatRequests()[i]!.raw);
      expect(completionCap(shape)).toBe(maxTokens);
      const bound = costUsd(PRICE, promptTokenBound(shape), completionCap(shape));
      const added = llm.usage().costUsd - before;
      expect(added).toBeGreaterThan(0);
      expect(added).toBeLessThanOrEqual(bound + 1e-12);
    }
    // six hostile calls at these bounds stay far below the budget (the old client counted
    // 2,000,000,000 tokens for the first reply alone: over $3,000)
    expect(llm.usage().costUsd).toBeLessThan(budget);
    expect(s.chatRequests()).toHaveLength(HOSTILE.length);
  });
});

describe('the budget holds against a lying server (codemonkey --budget-usd, end to end)', () => {
  const edit = { title: 'Document add', edits: [{ search: MATH_ADD, replace: `/** Adds. */\n${MATH_ADD}` }] };
  const run = async (reply: Reply, budget: string) => {
    const dir = makeRepo();
    const s = await server(() => reply);
    const env = baseEnv({ OPENAI_API_KEY: 'sk-test-budget-000000', OPENAI_BASE_URL: s.url });
    const r = await runCli(['codemonkey', 'document math', '--files', 'src/math.ts,src/strings.ts', '--check', 'node check.js', '--budget-usd', budget, '--yes', '--json'], { cwd: dir, env });
    return { r, s };
  };

  it('invented usage figures ($10 against 0.5 before) stay within --budget-usd', async () => {
    const { r } = await run(options([edit], { usage: { prompt_tokens: 3_000_000_000, completion_tokens: 3_000_000_000 } }), '0.5');
    const out = r.json();
    expect(out.totals.cost_usd).toBeGreaterThan(0);
    expect(out.totals.cost_usd).toBeLessThanOrEqual(0.5);
  });

  it('a 10 MB reply ($4.2 against $2 before) is abandoned and the tally stays within --budget-usd', async () => {
    const { r, s } = await run({ hugeContentBytes: 10_000_000 }, '2');
    const out = r.json();
    // the reply fails its file (not the run); nothing from it is written or committed
    const math = out.files.find((f: { path: string }) => f.path === 'src/math.ts');
    expect(math.reason).toMatch(/reply too large for the request: the reply passed \d+ bytes, the limit for 8000 completion tokens/);
    // counted once, at the worst case of the call: 8000 completion tokens, not 2.5M
    expect(math).toMatchObject({ status: 'failed', model_calls: 1, completion_tokens: 8000, commit: null });
    expect(s.chatRequests().length).toBe(out.files.length);
    expect(out.totals.cost_usd).toBeGreaterThan(0);
    expect(out.totals.cost_usd).toBeLessThanOrEqual(2);
    expect(out.totals.cost_usd).toBeCloseTo(out.files.reduce((a: number, f: { cost_usd: number }) => a + f.cost_usd, 0), 12);
  });
});
