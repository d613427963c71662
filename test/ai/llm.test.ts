/**
 * The LLM client through the real openai SDK over real HTTP to the local OpenAI-compatible
 * test server (test/support/openai-server.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import OpenAI from 'openai';
import { resolveSettings, type Config } from '../../src/core/config.js';
import { UserError } from '../../src/core/errors.js';
import { Redactor } from '../../src/core/redact.js';
import {
  PLACEHOLDER_API_KEY,
  createLlmClient,
  imageFromFile,
  modelForTask,
  parseJsonReply,
  probeModelEndpoint,
  requireModel,
  type LlmClient,
  type StructuredRequest,
} from '../../src/ai/llm.js';
import { priceFor } from '../../src/ai/prices.js';
import { startOpenAIServer, type OpenAIServer, type Script } from '../support/openai-server.js';
import { tmpDir } from '../support/tmp.js';

const KEY = 'sk-test-SECRET123456';

const Idea = z.object({
  title: z.string().min(3),
  score: z.number().int().min(1).max(10),
  tags: z.array(z.string()),
  note: z.string().nullable(),
});
type Idea = z.infer<typeof Idea>;
const good: Idea = { title: 'Bigger buy button', score: 7, tags: ['checkout'], note: null };

const servers: OpenAIServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(script: Script, options?: Parameters<typeof startOpenAIServer>[1]): Promise<OpenAIServer> {
  const s = await startOpenAIServer(script, options);
  servers.push(s);
  return s;
}

interface Made {
  llm: LlmClient;
  logs: string[];
  dir: string;
}

function makeClient(baseURL: string, config: Config = {}, envExtra: NodeJS.ProcessEnv = {}): Made {
  const dir = tmpDir('sh-llm-');
  const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: baseURL, ...envExtra };
  const settings = resolveSettings(dir, {}, env, config);
  const logs: string[] = [];
  const llm = createLlmClient({ env, config, settings, cwd: dir, redactor: Redactor.fromEnv(env), onLog: (m, level) => logs.push(`${level}: ${m}`) });
  return { llm, logs, dir };
}

const ask = (extra: Partial<StructuredRequest<Idea>> = {}): StructuredRequest<Idea> => ({
  task: 'ideas',
  schemaName: 'idea',
  schema: Idea,
  messages: [
    { role: 'system' as const, content: 'You propose experiments.' },
    { role: 'user' as const, content: 'One idea for the checkout page.' },
  ],
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

describe('structured output', () => {
  it('sends a strict json_schema and returns the parsed value', async () => {
    const s = await server([{ json: good }]);
    const { llm } = makeClient(s.url);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    const reqs = s.chatRequests();
    expect(reqs).toHaveLength(1);
    const body = reqs[0]!.body;
    expect(body.model).toBe('gpt-4.1-mini');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.name).toBe('idea');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.response_format.json_schema.schema.required).toEqual(['title', 'score', 'tags', 'note']);
    expect(body.messages).toEqual([
      { role: 'system', content: 'You propose experiments.' },
      { role: 'user', content: 'One idea for the checkout page.' },
    ]);
    expect(reqs[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('falls back to JSON mode and repairs unparsable JSON, showing the model the problem', async () => {
    const s = await server([{ content: 'Sure! Here is an idea: Bigger buy button' }, { content: '```json\n' + JSON.stringify(good) + '\n```' }]);
    const { llm } = makeClient(s.url);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    const [first, second] = s.chatRequests();
    expect(first!.body.response_format.type).toBe('json_schema');
    expect(second!.body.response_format).toEqual({ type: 'json_object' });
    const msgs = second!.body.messages as { role: string; content: string }[];
    // the schema is described in the system prompt in JSON mode
    expect(msgs[0]!.role).toBe('system');
    expect(msgs[0]!.content).toContain('You propose experiments.');
    expect(msgs[0]!.content).toContain('"score"');
    // the bad reply is replayed, then the problems
    expect(msgs.at(-2)).toEqual({ role: 'assistant', content: 'Sure! Here is an idea: Bigger buy button' });
    expect(msgs.at(-1)!.role).toBe('user');
    expect(msgs.at(-1)!.content).toContain('not valid JSON');
  });

  it('repairs schema-invalid JSON with the zod issues in the repair turn', async () => {
    const s = await server([{ json: { title: 'ok title', score: 42, tags: 'checkout', note: null } }, { json: good }]);
    const { llm } = makeClient(s.url);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    const repair = (s.chatRequests()[1]!.body.messages as { content: string }[]).at(-1)!.content;
    expect(repair).toMatch(/^- score: .*10/m);
    expect(repair).toMatch(/^- tags: .*expected array/m);
  });

  it('repairs validate() violations and keeps json_schema mode', async () => {
    const s = await server([{ json: { ...good, tags: [] } }, { json: good }]);
    const { llm } = makeClient(s.url);
    const value = await llm.structured(ask({ validate: (v: Idea) => (v.tags.length === 0 ? ['tags: give at least one tag'] : []) }));
    expect(value).toEqual(good);
    const second = s.chatRequests()[1]!.body;
    expect(second.response_format.type).toBe('json_schema');
    expect((second.messages as { content: string }[]).at(-1)!.content).toContain('- tags: give at least one tag');
  });

  it('throws a UserError listing the problems when the reply never becomes valid', async () => {
    const s = await server([{ json: { title: 'x' } }, { json: { title: 'y' } }, { content: 'nope' }]);
    const { llm } = makeClient(s.url);
    const err = await rejection(llm.structured(ask({ maxRepairs: 2 })));
    expect(err.code).toBe('LLM_INVALID_OUTPUT');
    expect(err.message).toContain('after 3 attempts');
    expect(err.message).toContain('not valid JSON');
    expect(err.hint).toContain('llm.models.ideas');
    expect(s.chatRequests()).toHaveLength(3);
  });

  it('falls back to json_object when the endpoint rejects json_schema, and remembers it', async () => {
    const s = await server([{ status: 400, error: { message: "'response_format.type' json_schema is not supported" } }, { json: good }, { json: good }]);
    const { llm, logs } = makeClient(s.url);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    const types = s.chatRequests().map((r) => r.body.response_format?.type);
    expect(types).toEqual(['json_schema', 'json_object', 'json_object']);
    expect(logs.some((l) => l.includes('rejected response_format json_schema'))).toBe(true);
  });

  it('falls back to JSON mode for a schema strict mode cannot express (optional fields)', async () => {
    const s = await server([{ json: { a: 'x' } }]);
    const { llm } = makeClient(s.url);
    const schema = z.object({ a: z.string(), b: z.number().optional() });
    await expect(llm.structured({ task: 't', schemaName: 's', schema, messages: [{ role: 'user', content: 'hi' }] })).resolves.toEqual({ a: 'x' });
    const body = s.chatRequests()[0]!.body;
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages[0].role).toBe('system');
    expect(body.messages[0].content).toContain('JSON Schema');
  });

  it('maps a refusal to a UserError', async () => {
    const s = await server([{ refusal: 'I cannot help with that.' }]);
    const { llm } = makeClient(s.url);
    const err = await rejection(llm.structured(ask()));
    expect(err.code).toBe('LLM_REFUSED');
  });

  it('sends images as image_url parts', async () => {
    const dir = tmpDir('sh-img-');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const file = path.join(dir, 'shot.png');
    fs.writeFileSync(file, png);
    const s = await server([{ json: good }]);
    const { llm } = makeClient(s.url);
    const image = await imageFromFile(file, 'low');
    await llm.structured(ask({ messages: [{ role: 'user', content: [{ type: 'text', text: 'What to test here?' }, image] }] }));
    const content = s.chatRequests()[0]!.body.messages[0].content;
    expect(content).toEqual([
      { type: 'text', text: 'What to test here?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}`, detail: 'low' } },
    ]);
    await expect(imageFromFile(path.join(dir, 'notes.txt'))).rejects.toMatchObject({ code: 'IMAGE_TYPE' });
  });
});

describe('text and transcript', () => {
  it('text() returns the content; the transcript has one redacted JSON line per call with images elided', async () => {
    const s = await server([{ content: 'Try a sticky buy button.', usage: { prompt_tokens: 12, completion_tokens: 6 } }]);
    const { llm, dir } = makeClient(s.url, { llm: { transcript: true } });
    const image = { type: 'image' as const, dataUrl: `data:image/png;base64,${'A'.repeat(5000)}` };
    const text = await llm.text({ task: 'ideas', messages: [{ role: 'user', content: [{ type: 'text', text: 'idea?' }, image] }] });
    expect(text).toBe('Try a sticky buy button.');
    expect(s.chatRequests()[0]!.body.response_format).toBeUndefined();
    const file = llm.transcriptPath()!;
    expect(path.dirname(file)).toBe(path.join(dir, '.statsig-hack', 'transcripts'));
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ task: 'ideas', model: 'gpt-4.1-mini', attempt: 1, response: { content: 'Try a sticky buy button.', usage: { prompt_tokens: 12, completion_tokens: 6 } } });
    expect(lines[0].request.messages[0].content[1].image_url.url).toBe('data:image/png;base64,<5022 chars elided>');
  });

  it('writes no transcript unless asked', async () => {
    const s = await server([{ json: good }]);
    const { llm, dir } = makeClient(s.url);
    await llm.structured(ask());
    expect(llm.transcriptPath()).toBeNull();
    expect(fs.existsSync(path.join(dir, '.statsig-hack'))).toBe(false);
  });
});

describe('transport errors', () => {
  it('retries a 429 and then succeeds', async () => {
    const s = await server([{ status: 429, error: { message: 'Rate limit reached' } }, { json: good }]);
    const { llm, logs } = makeClient(s.url);
    await expect(llm.structured(ask())).resolves.toEqual(good);
    expect(s.chatRequests()).toHaveLength(2);
    expect(llm.usage().calls).toBe(1);
    expect(logs.some((l) => /429.*retrying/.test(l))).toBe(true);
  });

  it('retries 500s, then gives up with a UserError after maxRetries', async () => {
    const ok = await server([{ status: 500 }, { status: 503 }, { json: good }]);
    await expect(makeClient(ok.url).llm.structured(ask())).resolves.toEqual(good);
    expect(ok.chatRequests()).toHaveLength(3);

    const bad = await server(() => ({ status: 500, error: { message: 'The server had an error' } }));
    const err = await rejection(makeClient(bad.url, { llm: { maxRetries: 2 } }).llm.structured(ask()));
    expect(err.code).toBe('LLM_SERVER_ERROR');
    expect(err.message).toBe('the model endpoint failed with HTTP 500 after 2 retries: The server had an error');
    expect(bad.chatRequests()).toHaveLength(3);
  });

  it('rate limiting that never ends becomes LLM_RATE_LIMITED', async () => {
    const s = await server(() => ({ status: 429 }));
    const err = await rejection(makeClient(s.url, { llm: { maxRetries: 1 } }).llm.structured(ask()));
    expect(err.code).toBe('LLM_RATE_LIMITED');
    expect(s.chatRequests()).toHaveLength(2);
  });

  it('times out a slow reply', async () => {
    const s = await server([{ delayMs: 5000, json: good }]);
    const { llm } = makeClient(s.url, { llm: { timeoutMs: 200, maxRetries: 0 } });
    const started = Date.now();
    const err = await rejection(llm.structured(ask()));
    expect(err.code).toBe('LLM_TIMEOUT');
    expect(err.message).toContain('200 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports an unreachable endpoint', async () => {
    const s = await startOpenAIServer([]);
    const url = s.url;
    await s.close();
    const err = await rejection(makeClient(url, { llm: { maxRetries: 0 } }).llm.structured(ask()));
    expect(err.code).toBe('LLM_UNREACHABLE');
    expect(err.message).toContain(`cannot reach the model endpoint at ${url}`);
  });

  it('reports an unknown model (404)', async () => {
    const s = await server([{ status: 404, error: { message: 'The model `nope` does not exist', code: 'model_not_found' } }]);
    const err = await rejection(makeClient(s.url, {}, { STATSIG_HACK_MODEL: 'nope' }).llm.structured(ask()));
    expect(err.code).toBe('LLM_MODEL_NOT_FOUND');
    expect(err.message).toContain('model "nope" not found');
  });

  it('never lets the API key out: errors, logs, transcript', async () => {
    // the server wants another key and echoes the one it got, like a careless server would
    const s = await server([{ json: good }], { apiKey: 'sk-other-key-000000' });
    const { llm, logs, dir } = makeClient(s.url, { llm: { transcript: true, maxRetries: 0 } });
    const err = await rejection(llm.structured(ask({ messages: [{ role: 'user', content: `my key is ${KEY}` }] })));
    expect(err.code).toBe('LLM_AUTH');
    expect(err.message).toContain('Incorrect API key provided: ***');
    const transcriptDir = path.join(dir, '.statsig-hack', 'transcripts');
    const files = fs.readdirSync(transcriptDir);
    expect(files).toHaveLength(1);
    const transcript = fs.readFileSync(path.join(transcriptDir, files[0]!), 'utf8');
    expect(transcript).toContain('my key is ***');
    for (const text of [err.message, err.hint ?? '', JSON.stringify(err), String(err.stack), logs.join('\n'), transcript]) {
      expect(text).not.toContain('SECRET123456');
    }
    // the key did go to the server, in the Authorization header only
    expect(s.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('uses a placeholder key for a local server without OPENAI_API_KEY', async () => {
    const s = await server([{ json: good }]);
    const dir = tmpDir();
    const env = { OPENAI_BASE_URL: s.url };
    const settings = resolveSettings(dir, {}, env, {});
    const llm = createLlmClient({ env, config: {}, settings, cwd: dir });
    await expect(llm.structured(ask())).resolves.toEqual(good);
    expect(s.requests[0]!.headers.authorization).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
  });
});

describe('accounting and configuration', () => {
  it('tallies tokens and cost per model', async () => {
    const s = await server([
      { json: good, usage: { prompt_tokens: 100, completion_tokens: 50 } },
      { json: good, usage: { prompt_tokens: 300, completion_tokens: 150 } },
      { json: good, usage: { prompt_tokens: 20, completion_tokens: 30 } },
    ]);
    const { llm } = makeClient(s.url, { llm: { models: { seed: 'local-llama' } } });
    await llm.structured(ask());
    await llm.structured(ask());
    await llm.structured(ask({ task: 'seed' }));
    expect(s.chatRequests().map((r) => r.body.model)).toEqual(['gpt-4.1-mini', 'gpt-4.1-mini', 'local-llama']);
    const u = llm.usage();
    // gpt-4.1-mini at $0.40 / $1.60 per 1M: (400 * 0.40 + 200 * 1.60) / 1e6 = 0.00048
    expect(u.byModel['gpt-4.1-mini']).toEqual({ calls: 2, promptTokens: 400, completionTokens: 200, costUsd: expect.closeTo(0.00048, 12), priced: true, estimatedCalls: 0 });
    expect(u.byModel['local-llama']).toEqual({ calls: 1, promptTokens: 20, completionTokens: 30, costUsd: 0, priced: false, estimatedCalls: 0 });
    expect(u).toMatchObject({ calls: 3, promptTokens: 420, completionTokens: 230, unpricedModels: ['local-llama'], estimatedCalls: 0 });
    expect(u.costUsd).toBeCloseTo(0.00048, 12);
  });

  it('counts repair attempts and uses config prices', async () => {
    const s = await server([
      { content: 'oops', usage: { prompt_tokens: 100, completion_tokens: 10 } },
      { json: good, usage: { prompt_tokens: 150, completion_tokens: 20 } },
    ]);
    const { llm } = makeClient(s.url, { llm: { prices: { 'gpt-4.1-mini': { input: 1, output: 2 } } } });
    await llm.structured(ask());
    // (250 * 1 + 30 * 2) / 1e6 = 0.00031
    expect(llm.usage()).toMatchObject({ calls: 2, promptTokens: 250, completionTokens: 30 });
    expect(llm.usage().costUsd).toBeCloseTo(0.00031, 12);
  });

  it('prices dated snapshots and provider prefixes like their base model', () => {
    const prices = { 'gpt-4o': { input: 2.5, output: 10 } };
    expect(priceFor('gpt-4o-2024-08-06', prices)).toEqual(prices['gpt-4o']);
    expect(priceFor('openai/gpt-4o', prices)).toEqual(prices['gpt-4o']);
    expect(priceFor('llama3.1:8b', prices)).toBeNull();
  });

  it('picks the model per task: flag/env > llm.models[task] > llm.model > default', () => {
    const config: Config = { llm: { model: 'gpt-4o', models: { ideas: 'gpt-4.1' } } };
    const s = (env: NodeJS.ProcessEnv, flags = {}) => resolveSettings('/tmp', flags, env, config);
    expect(modelForTask('ideas', config, s({}))).toBe('gpt-4.1');
    expect(modelForTask('seed', config, s({}))).toBe('gpt-4o');
    expect(modelForTask('ideas', config, s({ STATSIG_HACK_MODEL: 'o4-mini' }))).toBe('o4-mini');
    expect(modelForTask('ideas', config, s({}, { model: 'gpt-4o-mini' }))).toBe('gpt-4o-mini');
    expect(modelForTask('ideas', {}, resolveSettings('/tmp', {}, {}, {}))).toBe('gpt-4.1-mini');
  });

  it('requireModel explains how to configure one', () => {
    const settings = resolveSettings('/tmp', {}, {}, {});
    expect(() => requireModel(settings)).toThrowError(expect.objectContaining({ code: 'NO_MODEL', hint: expect.stringContaining('OPENAI_BASE_URL') }));
    // No dead end: it does not point at an --offline that codemonkey (which reaches this) lacks.
    expect(() => requireModel(settings)).toThrowError(expect.objectContaining({ hint: expect.not.stringContaining('--offline') }));
    expect(() => createLlmClient({ env: {}, config: {}, settings, cwd: '/tmp' })).toThrowError(UserError);
    expect(() => requireModel(resolveSettings('/tmp', {}, { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }, {}))).not.toThrow();
  });

  it('parses JSON replies wrapped in prose or fences', () => {
    expect(parseJsonReply('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonReply('Here:\n```json\n{"a":1}\n```')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonReply('The answer is {"a":[1,2]} as requested.')).toEqual({ ok: true, value: { a: [1, 2] } });
    expect(parseJsonReply('')).toMatchObject({ ok: false });
    expect(parseJsonReply('{"a":')).toMatchObject({ ok: false });
  });
});

describe('endpoint probe', () => {
  it('lists models and times the request', async () => {
    const s = await server([], { models: ['gpt-4.1-mini', 'llama3'] });
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: s.url };
    const probe = await probeModelEndpoint({ env, config: {}, settings: resolveSettings('/tmp', {}, env, {}), cwd: '/tmp' });
    expect(probe).toMatchObject({ ok: true, method: 'models', models: ['gpt-4.1-mini', 'llama3'], modelListed: true, error: null, baseURL: s.url });
    expect(probe.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reports a refused key without the key', async () => {
    const s = await server([], { apiKey: 'sk-right-key-11111111' });
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: s.url };
    const probe = await probeModelEndpoint({ env, config: {}, settings: resolveSettings('/tmp', {}, env, {}), cwd: '/tmp' });
    expect(probe.ok).toBe(false);
    expect(probe.error?.code).toBe('LLM_AUTH');
    expect(JSON.stringify(probe)).not.toContain('SECRET123456');
  });
});

describe('the test server', () => {
  it('serves tool calls and streams through the real SDK', async () => {
    const s = await server([
      { toolCalls: [{ name: 'click', arguments: { selector: '#buy' } }] },
      { content: 'hello streaming world', usage: { prompt_tokens: 3, completion_tokens: 4 } },
    ]);
    const client = new OpenAI({ apiKey: 'k', baseURL: s.url, maxRetries: 0 });
    const tools = [{ type: 'function' as const, function: { name: 'click', parameters: { type: 'object', properties: { selector: { type: 'string' } } } } }];
    const c = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'go' }], tools });
    const call = c.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ selector: '#buy' });
    expect(c.choices[0]!.finish_reason).toBe('tool_calls');
    expect(s.chatRequests()[0]!.body.tools[0].function.name).toBe('click');

    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('hello streaming world');
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });

    // an exhausted script answers a clear non-retried 500
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(/script exhausted/);
  });
});
