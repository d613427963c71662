/**
 * The LLM client against a hostile or careless endpoint (issue 11, "LLM client" and the client
 * half of "Budget that holds against a lying server"): HTML error pages, replies without usage,
 * invented usage, oversized replies, hangs. Real SDK, real HTTP, the scripted test server.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveSettings, type Config } from '../../src/core/config.js';
import { UserError } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import { createLlmClient, shortReason, type LlmClient, type StructuredRequest } from '../../src/ai/llm.js';
import { DEFAULT_COMPLETION_CAP, countUsage, replyByteLimit, requestShape, estimatePromptTokens } from '../../src/ai/meter.js';
import { scriptedServers } from '../support/scripted-servers.js';
import { tmpDir } from '../support/tmp.js';

const Answer = z.object({ title: z.string(), note: z.string().nullable() });
type Answer = z.infer<typeof Answer>;
const good: Answer = { title: 'Bigger buy button', note: null };

const server = scriptedServers();

function client(url: string, config: Config = {}): { llm: LlmClient; logs: string[] } {
  const dir = tmpDir('sh-llmh-');
  const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk-test-hostile-000000', OPENAI_BASE_URL: url };
  const logs: string[] = [];
  const llm = createLlmClient({ env, config, settings: resolveSettings(dir, {}, env, config), cwd: dir, redactor: Redactor.fromEnv(env), onLog: (m, l) => logs.push(`${l}: ${m}`) });
  return { llm, logs };
}

const ask = (extra: Partial<StructuredRequest<Answer>> = {}): StructuredRequest<Answer> => ({
  task: 'ideas',
  schemaName: 'answer',
  schema: Answer,
  messages: [{ role: 'user', content: 'One idea for the checkout page.' }],
  maxRepairs: 0,
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a rejection');
}

const PROXY_502 = `<!DOCTYPE html>
<html>
<head><title>502 Bad Gateway</title>
<style>body { font-family: sans-serif; }</style></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
${'<p>upstream connect error or disconnect/reset before headers. reset reason: connection termination</p>\n'.repeat(2000)}
<hr><center>nginx/1.25.3</center>
</body>
</html>`;

describe('HTTP errors with HTML bodies', () => {
  it('reduces a proxy 502 page to one line: the status and the page title', async () => {
    const s = await server(() => ({ raw: { status: 502, body: PROXY_502 } }));
    const { llm } = client(s.url, { llm: { maxRetries: 1 } });
    const err = await rejection(llm.structured(ask()));
    expect(err.code).toBe('LLM_SERVER_ERROR');
    expect(err.message).toBe('the model endpoint failed with HTTP 502 after 1 retry: 502 Bad Gateway (an HTML page)');
    expect(s.chatRequests()).toHaveLength(2);
    // nothing billed for an error reply
    expect(llm.usage().calls).toBe(0);
  });

  it('a page without a title gives its first text, cut short, on one line', async () => {
    const page = `<html><body>\n<div>\n\n Service   temporarily\tunavailable\n</div>${'<p>lorem ipsum dolor</p>'.repeat(5000)}</body></html>`;
    const s = await server(() => ({ raw: { status: 400, body: page } }));
    const { llm } = client(s.url, { llm: { maxRetries: 0 } });
    const err = await rejection(llm.text({ task: 'ideas', messages: [{ role: 'user', content: 'hi' }] }));
    expect(err.code).toBe('LLM_BAD_REQUEST');
    expect(err.message).not.toMatch(/[\n<>]/);
    expect(err.message).toMatch(/^the model endpoint rejected the request \(HTTP 400: Service temporarily unavailable lorem ipsum/);
    expect(err.message.length).toBeLessThan(260);
  });

  it('shortReason keeps JSON messages and strips control characters', () => {
    expect(shortReason('Rate limit reached for gpt-4.1-mini')).toBe('Rate limit reached for gpt-4.1-mini');
    expect(shortReason('bad\u001b]0;pwned\u0007 thing\nsecond line')).toBe('bad ]0;pwned thing second line');
    expect(shortReason('<html><head><title>Just a moment...</title></head><body>x</body></html>')).toBe('Just a moment... (an HTML page)');
  });
});

describe('replies without usage', () => {
  it('are estimated from the request and reply bytes, priced, and marked estimated (not $0)', async () => {
    const s = await server([{ json: good, usage: null }]);
    const { llm } = client(s.url);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    const raw = s.chatRequests()[0]!.raw;
    const u = llm.usage();
    const m = u.byModel['gpt-4.1-mini']!;
    expect(m.calls).toBe(1);
    expect(m.estimatedCalls).toBe(1);
    expect(u.estimatedCalls).toBe(1);
    expect(m.promptTokens).toBe(Math.ceil(Buffer.byteLength(raw) / 4));
    expect(m.completionTokens).toBe(Math.ceil(JSON.stringify(good).length / 4));
    expect(m.priced).toBe(true);
    expect(u.costUsd).toBeCloseTo((m.promptTokens * 0.4 + m.completionTokens * 1.6) / 1e6, 12);
    expect(u.costUsd).toBeGreaterThan(0);
  });

  it('honest usage is used as is and not marked', async () => {
    const s = await server([{ json: good, usage: { prompt_tokens: 40, completion_tokens: 12 } }]);
    const { llm } = client(s.url);
    await llm.structured(ask());
    expect(llm.usage()).toMatchObject({ promptTokens: 40, completionTokens: 12, estimatedCalls: 0 });
  });
});

describe('abandoned calls', () => {
  it('a call abandoned on timeout is counted at its worst case, every attempt', async () => {
    const s = await server(() => ({ delayMs: 5000, json: good }));
    const { llm } = client(s.url, { llm: { timeoutMs: 150, maxRetries: 1 } });
    const err = await rejection(llm.structured(ask({ maxTokens: 700 })));
    expect(err.code).toBe('LLM_TIMEOUT');
    expect(s.chatRequests()).toHaveLength(2);
    const u = llm.usage();
    expect(u.calls).toBe(2);
    expect(u.estimatedCalls).toBe(2);
    expect(u.completionTokens).toBe(2 * 700);
    const shape = requestShape(s.chatRequests()[0]!.raw);
    expect(u.promptTokens).toBe(2 * estimatePromptTokens(shape));
    expect(u.costUsd).toBeGreaterThan(0);
  });

  it('a reply that sends its headers and then hangs times out too (the timeout covers the body)', async () => {
    const s = await server(() => ({ hangAfterHeaders: true }));
    const { llm } = client(s.url, { llm: { timeoutMs: 300, maxRetries: 0 } });
    const started = Date.now();
    const err = await rejection(llm.structured(ask({ maxTokens: 100 })));
    expect(err.code).toBe('LLM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(llm.usage()).toMatchObject({ calls: 1, completionTokens: 100, estimatedCalls: 1 });
  });

  it('a call without max_completion_tokens is counted at the default cap', async () => {
    const s = await server(() => ({ delayMs: 5000, json: good }));
    const { llm } = client(s.url, { llm: { timeoutMs: 100, maxRetries: 0 } });
    await rejection(llm.structured(ask()));
    expect(llm.usage().completionTokens).toBe(DEFAULT_COMPLETION_CAP);
  });
});

describe('a lying server', () => {
  it('a 10 MB reply is abandoned at the byte limit, not retried, and counted at the cap', async () => {
    const s = await server(() => ({ hugeContentBytes: 10_000_000, usage: { prompt_tokens: 10, completion_tokens: 10 } }));
    const { llm } = client(s.url, { llm: { maxRetries: 3 } });
    const err = await rejection(llm.structured(ask({ maxTokens: 1000 })));
    expect(err.code).toBe('LLM_REPLY_TOO_LARGE');
    expect(err.message).toContain(`passed ${replyByteLimit(1000)} bytes`);
    expect(s.chatRequests()).toHaveLength(1);
    expect(llm.usage()).toMatchObject({ calls: 1, completionTokens: 1000, estimatedCalls: 1 });
  });

  it('invented usage cannot pass the cap the request sent or the size of the request', async () => {
    const s = await server([{ json: good, usage: { prompt_tokens: 1_000_000_000, completion_tokens: 2_000_000_000 } }]);
    const { llm, logs } = client(s.url);
    await llm.structured(ask({ maxTokens: 500 }));
    const raw = s.chatRequests()[0]!.raw;
    const u = llm.usage();
    expect(u.completionTokens).toBe(500);
    expect(u.promptTokens).toBe(Buffer.byteLength(raw));
    expect(u.estimatedCalls).toBe(1);
    expect(u.costUsd).toBeLessThan(0.01);
    expect(logs.some((l) => l.startsWith('warn: ') && l.includes('reported 1000000000 prompt tokens'))).toBe(true);
  });

  it('a reply that under-reports is counted from its bytes', async () => {
    const long = { title: 'y'.repeat(40_000), note: null };
    const s = await server([{ json: long, usage: { prompt_tokens: 5, completion_tokens: 1 } }]);
    const { llm } = client(s.url);
    await llm.structured(ask({ maxTokens: 20_000 }));
    expect(llm.usage().completionTokens).toBe(Math.ceil(JSON.stringify(long).length / 8));
    expect(llm.usage().estimatedCalls).toBe(1);
  });

  it('countUsage: the counted figures never pass the bounds, whatever is reported', () => {
    const shape = requestShape(JSON.stringify({ model: 'm', max_completion_tokens: 300, messages: [{ role: 'user', content: 'x'.repeat(1000) }] }));
    for (const reported of [null, {}, { prompt_tokens: -5, completion_tokens: Number.NaN }, { prompt_tokens: 1e12, completion_tokens: 1e12 }, { prompt_tokens: '9', completion_tokens: '9' }]) {
      for (const bytes of [0, 10, 1e6, 1e9]) {
        const c = countUsage(shape, reported, bytes);
        expect(c.prompt).toBeLessThanOrEqual(shape.textBytes);
        expect(c.completion).toBeLessThanOrEqual(300);
        expect(c.estimated).toBe(true);
      }
    }
  });
});
