/**
 * The one LLM client. Every model call in statsig-hack goes through here:
 *
 *   const llm = createLlmClient({ env: ctx.env, config: ctx.config, settings: ctx.settings, cwd: ctx.cwd,
 *                                 redactor: ctx.redactor, onLog: (m, level) => ctx.out.debug(m) });
 *   const ideas = await llm.structured({ task: 'ideas', schemaName: 'ideas', schema: IdeasSchema,
 *                                        messages: [{ role: 'system', content: prompt }, { role: 'user', content: data }],
 *                                        validate: (v) => v.ideas.length === 0 ? ['give at least one idea'] : [] });
 *   llm.usage()  // { calls, promptTokens, completionTokens, costUsd, byModel, unpricedModels }
 *
 * What `structured` does:
 *  1. Chat Completions with `response_format: json_schema` built from the zod schema (strict).
 *     Strict structured outputs require every field: use `.nullable()`, not `.optional()`.
 *     A schema the strict converter cannot express falls back to JSON mode (logged).
 *  2. If the endpoint rejects json_schema (HTTP 400/422) it retries in JSON mode
 *     (`response_format: json_object`, the JSON Schema described in the system prompt), and if
 *     that is rejected too, with no response_format at all. The fallback is remembered per model.
 *  3. The reply is parsed (code fences tolerated), checked with `schema.safeParse` and then
 *     `validate()`. Problems are sent back to the model in a repair turn (the bad reply as an
 *     assistant message, then the list of problems), up to `maxRepairs` (default 1) times. Invalid
 *     JSON from a json_schema reply also switches to JSON mode. Still invalid -> UserError.
 *  4. Timeout per request (config llm.timeoutMs, default 60 s) and backoff retries on 408/409/
 *     429/5xx/connection errors (the SDK's, config llm.maxRetries, default 3; `retry-after-ms`
 *     and `retry-after` headers are honoured). SDK errors become one-line UserErrors.
 *  5. Tokens and cost are tallied per model (prices per 1M tokens, src/ai/prices.ts + config
 *     llm.prices) by a metering fetch under the SDK that sees every HTTP attempt (src/ai/meter.ts):
 *     a reply is abandoned past a byte limit derived from max_completion_tokens; completion
 *     tokens are max(reported, reply bytes / 4) clamped to the cap the request sent; a reply
 *     without usage is estimated; an attempt abandoned on timeout, cancel or size is counted at
 *     its worst case (it may still be billed). Such calls are marked `estimated`. Error bodies
 *     (a proxy's HTML 502 page) are cut to 64 KiB and reduced to one short line. A transcript (config llm.transcript: true) is appended as JSONL under
 *     <cwd>/.statsig-hack/transcripts/. Logs, errors and transcripts pass through the Redactor:
 *     the API key never leaves the process except in the Authorization header.
 *
 * Model per task: --model flag / STATSIG_HACK_MODEL env beat config `llm.models[task]`, which
 * beats config `llm.model` and the default (flags > env > config > defaults).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionContentPart, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Config, Price, Settings } from '../core/config.js';
import type { CommandContext } from '../core/context.js';
import { UserError, errorMessage } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import { DEFAULT_PRICES, costUsd, priceFor } from './prices.js';
import { ERROR_BODY_MAX_BYTES, countUsage, generatedBytes, readCapped, replyByteLimit, requestShape, worstCaseTokens, type Counted, type RequestShape } from './meter.js';

export type ContentPart = { type: 'text'; text: string } | { type: 'image'; dataUrl: string; detail?: 'low' | 'high' | 'auto' };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

export interface StructuredRequest<T> {
  /** The feature asking, e.g. 'ideas', 'seed', 'codemonkey': picks the model and labels logs. */
  task: string;
  messages: ChatMessage[];
  schema: z.ZodType<T>;
  /** Name of the schema sent to the API (letters, digits, _ and -). */
  schemaName: string;
  /** Extra semantic checks on a schema-valid value; a non-empty list triggers a repair turn. */
  validate?: (value: T) => string[];
  /** Repair turns after the first reply. Default 1. */
  maxRepairs?: number;
  temperature?: number;
  /** Upper bound on completion tokens (sent as max_completion_tokens). */
  maxTokens?: number;
  /** Aborts the HTTP request in flight (e.g. on Ctrl-C). */
  signal?: AbortSignal;
}

export interface TextRequest {
  task: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface ModelUsage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** False when no price is known for the model: its cost counts as 0. */
  priced: boolean;
  /** Calls counted from an estimate: no usage in the reply, a figure clamped or raised, or abandoned. */
  estimatedCalls: number;
}

export interface LlmUsage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  byModel: Record<string, ModelUsage>;
  /** Models used without a known price (their cost is not in costUsd). */
  unpricedModels: string[];
  /** Calls whose figures are estimates (see ModelUsage.estimatedCalls); 0 when all were reported. */
  estimatedCalls: number;
}

export type LogLevel = 'debug' | 'info' | 'warn';

export interface LlmClient {
  structured<T>(req: StructuredRequest<T>): Promise<T>;
  /** A plain-text completion (no schema). */
  text(req: TextRequest): Promise<string>;
  /** Vectors from the endpoint's /embeddings route, one per input (same order). */
  embeddings?(req: { task: string; model: string; input: string[]; signal?: AbortSignal }): Promise<number[][]>;
  usage(): LlmUsage;
  model(task: string): string;
  readonly baseURL: string;
  /** The transcript file, once something was written to it. */
  transcriptPath(): string | null;
}

export interface LlmClientOptions {
  env: NodeJS.ProcessEnv;
  config: Config;
  settings: Settings;
  cwd: string;
  redactor?: Redactor;
  fetch?: typeof globalThis.fetch;
  onLog?: (message: string, level: LogLevel) => void;
  /** Clock for latency figures (tests). */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 3;
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** Sent as the key to local servers (Ollama, vLLM, llama.cpp, LM Studio) when no key is set. */
export const PLACEHOLDER_API_KEY = 'no-key-needed';

// No "--offline" here: the commands that have one (seed, ideas) fall back to it on their own, and
// the ones that reach this have none.
const NO_MODEL_HINT = 'set OPENAI_API_KEY (and optionally OPENAI_BASE_URL for Ollama, vLLM, llama.cpp, LM Studio); `statsig-hack doctor` checks the endpoint';

/** Throws NO_MODEL unless an API key or a base URL is configured. */
export function requireModel(settings: Pick<Settings, 'llmConfigured'>): void {
  if (!settings.llmConfigured) {
    throw new UserError('no model configured: this needs an OpenAI-compatible model endpoint', { hint: NO_MODEL_HINT, code: 'NO_MODEL' });
  }
}

/** The model for a task: flag/env model > config llm.models[task] > config llm.model > default. */
export function modelForTask(task: string, config: Config, settings: Pick<Settings, 'model'>): string {
  const explicit = settings.model.source === 'flag' || settings.model.source === 'env';
  if (explicit) return settings.model.value;
  return config.llm?.models?.[task] ?? settings.model.value;
}

export function baseURLOf(settings: Pick<Settings, 'baseURL'>): string {
  return (settings.baseURL.value ?? OPENAI_BASE_URL).replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Images

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export function toDataUrl(data: Uint8Array, mime: string): string {
  return `data:${mime};base64,${Buffer.from(data).toString('base64')}`;
}

/** Reads an image file into an image content part (PNG, JPEG, WebP, GIF). */
export async function imageFromFile(file: string, detail?: 'low' | 'high' | 'auto'): Promise<ContentPart> {
  const mime = IMAGE_TYPES[path.extname(file).toLowerCase()];
  if (!mime) {
    throw new UserError(`unsupported image type: ${path.basename(file)}`, { hint: 'use a .png, .jpg, .webp or .gif file', code: 'IMAGE_TYPE' });
  }
  let data: Buffer;
  try {
    data = await fs.promises.readFile(file);
  } catch (error) {
    throw new UserError(`cannot read the image ${file}: ${errorMessage(error)}`, { hint: 'check the path', code: 'IMAGE_READ', cause: error });
  }
  return { type: 'image', dataUrl: toDataUrl(data, mime), ...(detail ? { detail } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (exported for tests and other features)

type Mode = 'json_schema' | 'json_object' | 'none';

export function toSdkMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    if (typeof m.content === 'string') return { role: m.role, content: m.content };
    if (m.role !== 'user') {
      // Only user messages may carry images; system/assistant get their text parts.
      const text = m.content.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
      return { role: m.role, content: text };
    }
    const parts: ChatCompletionContentPart[] = m.content.map((p) =>
      p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: { url: p.dataUrl, ...(p.detail ? { detail: p.detail } : {}) } },
    );
    return { role: 'user', content: parts };
  });
}

/** Adds "reply with JSON matching this schema" to the system message (or prepends one). */
export function withSchemaInstructions(messages: ChatMessage[], schemaName: string, jsonSchema: unknown): ChatMessage[] {
  const instruction =
    `Reply with one JSON object and nothing else: no prose, no markdown code fences. ` +
    `The JSON must match this JSON Schema (named "${schemaName}"); give every listed property, and use null where a value is unknown or does not apply:\n` +
    JSON.stringify(jsonSchema);
  const first = messages[0];
  if (first && first.role === 'system') {
    const content = typeof first.content === 'string' ? `${first.content}\n\n${instruction}` : [...first.content, { type: 'text' as const, text: instruction }];
    return [{ role: 'system', content }, ...messages.slice(1)];
  }
  return [{ role: 'system', content: instruction }, ...messages];
}

/** Parses a model's JSON reply, tolerating code fences and prose around one object. */
export function parseJsonReply(content: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const trimmed = content.trim();
  if (trimmed.length === 0) return { ok: false, problem: 'the reply was empty; expected a JSON object' };
  const candidates = [trimmed];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
  if (fenced?.[1]) candidates.push(fenced[1].trim());
  const start = trimmed.search(/[[{]/);
  const end = Math.max(trimmed.lastIndexOf('}'), trimmed.lastIndexOf(']'));
  if (start >= 0 && end > start) candidates.push(trimmed.slice(start, end + 1));
  let firstError = '';
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) as unknown };
    } catch (error) {
      if (!firstError) firstError = errorMessage(error);
    }
  }
  return { ok: false, problem: `the reply is not valid JSON (${firstError})` };
}

type SchemaDef = { type?: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType> };

const accepts = (schema: z.ZodType, value: unknown): boolean => schema.safeParse(value).success;

/**
 * Drops the nulls a model writes for optional fields the schema does not let be null. JSON mode
 * tells the model to "use null where a value is unknown", so `{ "description": null }` for an
 * optional description is a correct answer, not a reason for a repair turn. Only fields that
 * accept "absent" but not null are touched; required nullable fields keep their null.
 */
export function dropNullOptionals(schema: z.ZodType, value: unknown): unknown {
  const def = (schema as unknown as { def?: SchemaDef }).def;
  switch (def?.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return value === null || value === undefined || !def.innerType ? value : dropNullOptionals(def.innerType, value);
    case 'pipe':
      return def.in ? dropNullOptionals(def.in, value) : value;
    case 'array':
      return Array.isArray(value) && def.element ? value.map((v) => dropNullOptionals(def.element as z.ZodType, v)) : value;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !def.shape) return value;
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const field = def.shape[key];
        if (!field) {
          out[key] = v;
        } else if (v === null) {
          if (!(accepts(field, undefined) && !accepts(field, null))) out[key] = v;
        } else {
          out[key] = dropNullOptionals(field, v);
        }
      }
      return out;
    }
    default:
      return value;
  }
}

interface IssueLike {
  path: PropertyKey[];
  message: string;
}

export function formatIssues(issues: readonly IssueLike[], limit = 20): string[] {
  const lines = issues.slice(0, limit).map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
  if (issues.length > limit) lines.push(`... and ${issues.length - limit} more problems`);
  return lines;
}

export function repairPrompt(problems: string[]): string {
  return [
    'Your previous reply does not satisfy the required format. Problems:',
    ...problems.map((p) => `- ${p}`),
    'Reply again with the complete corrected JSON object only.',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The client

interface SdkModule {
  OpenAI: typeof OpenAI;
  errors: {
    APIError: typeof OpenAI.APIError;
    APIConnectionError: typeof OpenAI.APIConnectionError;
    APIConnectionTimeoutError: typeof OpenAI.APIConnectionTimeoutError;
    APIUserAbortError: typeof OpenAI.APIUserAbortError;
  };
}

async function loadSdk(): Promise<SdkModule> {
  const mod = await import('openai');
  const Ctor = mod.default;
  return {
    OpenAI: Ctor,
    errors: {
      APIError: mod.APIError,
      APIConnectionError: mod.APIConnectionError,
      APIConnectionTimeoutError: mod.APIConnectionTimeoutError,
      APIUserAbortError: mod.APIUserAbortError,
    },
  };
}

interface CallResult {
  content: string | null;
  refusal: string | null;
  finishReason: string | null;
  model: string;
}

class Client implements LlmClient {
  readonly baseURL: string;
  private readonly redactor: Redactor;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly prices: Record<string, Price>;
  private readonly tally = new Map<string, ModelUsage>();
  private readonly fallbackModes = new Map<string, Mode>();
  private sdk: Promise<{ mod: SdkModule; client: OpenAI }> | null = null;
  private transcriptFile: string | null = null;
  private transcriptFailed = false;
  private readonly now: () => number;

  constructor(private readonly opts: LlmClientOptions) {
    requireModel(opts.settings);
    this.baseURL = baseURLOf(opts.settings);
    const key = opts.env.OPENAI_API_KEY;
    this.apiKey = key && key.length > 0 ? key : PLACEHOLDER_API_KEY;
    this.redactor = opts.redactor ?? new Redactor();
    this.redactor.add(key);
    this.timeoutMs = opts.config.llm?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = opts.config.llm?.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.prices = { ...DEFAULT_PRICES, ...opts.config.llm?.prices };
    this.now = opts.now ?? Date.now;
  }

  model(task: string): string {
    return modelForTask(task, this.opts.config, this.opts.settings);
  }

  transcriptPath(): string | null {
    return this.transcriptFile;
  }

  usage(): LlmUsage {
    const byModel: Record<string, ModelUsage> = {};
    let calls = 0;
    let promptTokens = 0;
    let completionTokens = 0;
    let cost = 0;
    let estimatedCalls = 0;
    for (const [model, u] of this.tally) {
      byModel[model] = { ...u };
      calls += u.calls;
      estimatedCalls += u.estimatedCalls;
      promptTokens += u.promptTokens;
      completionTokens += u.completionTokens;
      cost += u.costUsd;
    }
    const unpricedModels = [...this.tally].filter(([, u]) => !u.priced).map(([m]) => m);
    return { calls, promptTokens, completionTokens, costUsd: cost, byModel, unpricedModels, estimatedCalls };
  }

  private log(message: string, level: LogLevel = 'debug'): void {
    this.opts.onLog?.(this.redactor.redact(message), level);
  }

  private async client(): Promise<{ mod: SdkModule; client: OpenAI }> {
    if (!this.sdk) {
      this.sdk = loadSdk().then((mod) => {
        const sdkLog = (level: LogLevel) => (message: string) => this.log(`openai: ${message}`, level);
        const client = new mod.OpenAI({
          apiKey: this.apiKey,
          baseURL: this.baseURL,
          organization: null,
          project: null,
          adminAPIKey: null,
          webhookSecret: null,
          timeout: this.timeoutMs,
          maxRetries: this.maxRetries,
          logLevel: 'info',
          logger: { error: sdkLog('warn'), warn: sdkLog('warn'), info: sdkLog('debug'), debug: () => {} },
          fetch: this.meteredFetch,
        });
        return { mod, client };
      });
    }
    return this.sdk;
  }

  private record(model: string, counted: Counted): void {
    const price = priceFor(model, this.prices);
    const entry = this.tally.get(model) ?? { calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, priced: price !== null, estimatedCalls: 0 };
    entry.calls += 1;
    entry.promptTokens += counted.prompt;
    entry.completionTokens += counted.completion;
    if (counted.estimated) entry.estimatedCalls += 1;
    if (price) entry.costUsd += costUsd(price, counted.prompt, counted.completion);
    this.tally.set(model, entry);
  }

  /** Counted figures of the replies the metering fetch returned (read back by `call`). */
  private readonly counted = new WeakMap<Response, Counted>();

  /**
   * The fetch under the SDK: every chat completion attempt (retries included) passes here. It
   * reads the whole reply within the SDK's timeout, caps its size and records what it costs.
   */
  private readonly meteredFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const inner = this.opts.fetch ?? globalThis.fetch;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const bodyText = typeof init?.body === 'string' ? init.body : null;
    if ((init?.method ?? 'GET').toUpperCase() !== 'POST' || bodyText === null || !/\/chat\/completions\/?$/.test(new URL(url).pathname)) {
      return inner(input, init);
    }
    const shape = requestShape(bodyText);
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (error) {
      // Sent and then abandoned (timeout or cancel): the provider may bill it in full.
      if (init?.signal?.aborted) this.recordAbandoned(shape, 'the request was abandoned before the reply (timeout or cancel)');
      throw error;
    }
    if (!res.ok) {
      const { bytes } = await readCapped(res, ERROR_BODY_MAX_BYTES);
      return new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
    }
    const limit = replyByteLimit(shape.maxCompletionTokens);
    let read: { bytes: Uint8Array; overflow: boolean };
    try {
      read = await readCapped(res, limit);
    } catch (error) {
      this.recordAbandoned(shape, 'the reply was abandoned part way (timeout, cancel or a dropped connection)');
      throw error;
    }
    if (read.overflow) {
      this.recordAbandoned(shape, `the reply passed ${limit} bytes`);
      const message = `the reply passed ${limit} bytes, the limit for ${shape.maxCompletionTokens ?? 'the default cap of'} completion tokens`;
      return new Response(JSON.stringify({ error: { message, type: REPLY_TOO_LARGE, code: REPLY_TOO_LARGE } }), {
        status: 502,
        headers: { 'content-type': 'application/json', 'x-should-retry': 'false', [LOCAL_ERROR_HEADER]: REPLY_TOO_LARGE },
      });
    }
    const text = Buffer.from(read.bytes).toString('utf8');
    let reply: unknown = null;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = null;
    }
    const usage = (reply as { usage?: unknown } | null)?.usage ?? null;
    const counted = countUsage(shape, usage, reply ? generatedBytes(reply) : read.bytes.length);
    this.record(shape.model, counted);
    // A figure past its bound is a lie worth a warning; a missing or low one is only estimated.
    if (counted.estimated) this.log(`llm: ${shape.model}: tokens estimated (${counted.notes.join('; ')})`, counted.clamped ? 'warn' : 'debug');
    const out = new Response(read.bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
    this.counted.set(out, counted);
    return out;
  };

  private recordAbandoned(shape: RequestShape, why: string): void {
    const worst = worstCaseTokens(shape);
    this.record(shape.model, { ...worst, estimated: true, notes: [why] });
    this.log(`llm: ${shape.model}: ${why}; counted at its worst case, ${worst.prompt}+${worst.completion} tokens`, 'warn');
  }

  private transcript(entry: Record<string, unknown>): void {
    if (!this.opts.config.llm?.transcript || this.transcriptFailed) return;
    try {
      if (!this.transcriptFile) {
        const dir = path.join(this.opts.cwd, '.statsig-hack', 'transcripts');
        fs.mkdirSync(dir, { recursive: true });
        const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
        this.transcriptFile = path.join(dir, `${stamp}-${Math.random().toString(36).slice(2, 10)}.jsonl`);
      }
      const line = JSON.stringify({ ts: new Date().toISOString(), ...entry }, (_k, v: unknown) =>
        typeof v === 'string' && v.startsWith('data:') && v.length > 200 ? `${v.slice(0, v.indexOf(',') + 1)}<${v.length} chars elided>` : v,
      );
      fs.appendFileSync(this.transcriptFile, `${this.redactor.redact(line)}\n`);
    } catch (error) {
      this.transcriptFailed = true;
      this.log(`could not write the LLM transcript: ${errorMessage(error)}`, 'warn');
    }
  }

  /** One chat completion (the SDK does the HTTP retries). SDK errors are rethrown raw. */
  private async call(task: string, model: string, mode: Mode, attempt: number, messages: ChatMessage[], extra: Partial<ChatCompletionCreateParamsNonStreaming>, signal?: AbortSignal): Promise<CallResult> {
    const { client } = await this.client();
    const body: ChatCompletionCreateParamsNonStreaming = { model, messages: toSdkMessages(messages), ...extra };
    const started = this.now();
    let completion: ChatCompletion;
    let counted: Counted | undefined;
    try {
      const { data, response } = await client.chat.completions.create(body, signal ? { signal } : undefined).withResponse();
      completion = data;
      counted = this.counted.get(response);
    } catch (error) {
      this.transcript({ task, model, mode, attempt, request: body, error: errorMessage(error), latencyMs: this.now() - started });
      throw error;
    }
    const latencyMs = this.now() - started;
    const choice = completion.choices[0];
    const tokens = { prompt: counted?.prompt ?? 0, completion: counted?.completion ?? 0 };
    this.transcript({
      task,
      model,
      mode,
      attempt,
      request: body,
      response: { model: completion.model, content: choice?.message.content ?? null, refusal: choice?.message.refusal ?? null, finish_reason: choice?.finish_reason ?? null, usage: completion.usage ?? null },
      ...(counted?.estimated ? { counted: { prompt_tokens: counted.prompt, completion_tokens: counted.completion, notes: counted.notes } } : {}),
      latencyMs,
    });
    this.log(`llm ${task}: ${model} (${mode}) answered in ${latencyMs} ms, ${tokens.prompt}+${tokens.completion} tokens${counted?.estimated ? ' (estimated)' : ''}`);
    return {
      content: choice?.message.content ?? null,
      refusal: choice?.message.refusal ?? null,
      finishReason: choice?.finish_reason ?? null,
      model: completion.model,
    };
  }

  async text(req: TextRequest): Promise<string> {
    const model = this.model(req.task);
    try {
      const result = await this.call(req.task, model, 'none', 1, req.messages, samplingParams(req), req.signal);
      if (result.refusal) throw refusalError(req.task, result.refusal, this.redactor);
      return result.content ?? '';
    } catch (error) {
      throw await this.mapError(error, model);
    }
  }

  async embeddings(req: { task: string; model: string; input: string[]; signal?: AbortSignal }): Promise<number[][]> {
    try {
      const { client } = await this.client();
      const res = await client.embeddings.create({ model: req.model, input: req.input, encoding_format: 'float' }, req.signal ? { signal: req.signal } : undefined);
      this.log(`llm ${req.task}: ${req.model} embedded ${req.input.length} input(s)`);
      return [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    } catch (error) {
      throw await this.mapError(error, req.model);
    }
  }

  async structured<T>(req: StructuredRequest<T>): Promise<T> {
    const model = this.model(req.task);
    const maxRepairs = req.maxRepairs ?? 1;
    const { strictFormat, jsonSchema } = await schemaFormats(req.schema, req.schemaName);
    let mode: Mode = this.fallbackModes.get(model) ?? (strictFormat ? 'json_schema' : 'json_object');
    if (!strictFormat) this.log(`llm ${req.task}: schema "${req.schemaName}" cannot be sent as a strict json_schema; using JSON mode`, 'debug');
    let conversation = [...req.messages];
    let repairs = 0;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      const messages = mode === 'json_schema' ? conversation : withSchemaInstructions(conversation, req.schemaName, jsonSchema);
      const responseFormat: Partial<ChatCompletionCreateParamsNonStreaming> =
        mode === 'json_schema' && strictFormat ? { response_format: strictFormat } : mode === 'json_object' ? { response_format: { type: 'json_object' } } : {};
      let result: CallResult;
      try {
        result = await this.call(req.task, model, mode, attempt, messages, { ...responseFormat, ...samplingParams(req) }, req.signal);
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if ((status === 400 || status === 422) && mode !== 'none') {
          const next: Mode = mode === 'json_schema' ? 'json_object' : 'none';
          this.log(`llm ${req.task}: ${model} rejected response_format ${mode} (HTTP ${status}); retrying with ${next === 'none' ? 'no response_format' : 'JSON mode'}`, 'debug');
          mode = next;
          this.fallbackModes.set(model, next);
          continue;
        }
        throw await this.mapError(error, model);
      }
      if (result.refusal) throw refusalError(req.task, result.refusal, this.redactor);

      const problems: string[] = [];
      let value: T | undefined;
      let jsonBroken = false;
      if (result.finishReason === 'length') problems.push('the reply was cut off by the token limit; reply with a shorter complete JSON object');
      const parsed = parseJsonReply(result.content ?? '');
      if (!parsed.ok) {
        problems.push(parsed.problem);
        jsonBroken = true;
      } else {
        const checked = req.schema.safeParse(dropNullOptionals(req.schema, parsed.value));
        if (!checked.success) {
          problems.push(...formatIssues(checked.error.issues));
          jsonBroken = true;
        } else {
          value = checked.data;
          if (req.validate) {
            try {
              problems.push(...req.validate(checked.data));
            } catch (error) {
              problems.push(errorMessage(error));
            }
          }
        }
      }
      if (problems.length === 0 && value !== undefined) return value;
      if (problems.length === 0) return value as T; // schema allows undefined (unusual)

      if (repairs >= maxRepairs) {
        const shown = problems.slice(0, 5).join('; ');
        throw new UserError(
          this.redactor.redact(
            `the model's reply for ${req.task} was still invalid after ${repairs + 1} attempt${repairs === 0 ? '' : 's'}: ${shown}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
          ),
          { hint: `try again, or use a stronger model for this task (config llm.models.${req.task} or --model)`, code: 'LLM_INVALID_OUTPUT' },
        );
      }
      repairs += 1;
      if (jsonBroken && mode === 'json_schema') mode = 'json_object';
      this.log(`llm ${req.task}: reply invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); repair turn ${repairs}/${maxRepairs}`, 'debug');
      conversation = [...conversation, { role: 'assistant', content: result.content ?? '' }, { role: 'user', content: repairPrompt(problems) }];
    }
  }

  private async mapError(error: unknown, model: string): Promise<unknown> {
    if (error instanceof UserError) return error;
    const { mod } = await this.client();
    return mapSdkError(error, mod.errors, { baseURL: this.baseURL, model, timeoutMs: this.timeoutMs, maxRetries: this.maxRetries, redactor: this.redactor });
  }
}

function samplingParams(req: { temperature?: number; maxTokens?: number }): Partial<ChatCompletionCreateParamsNonStreaming> {
  return {
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== undefined ? { max_completion_tokens: req.maxTokens } : {}),
  };
}

function refusalError(task: string, refusal: string, redactor: Redactor): UserError {
  return new UserError(redactor.redact(`the model refused the ${task} request: ${oneLine(refusal, 200)}`), {
    hint: 'rephrase the input, or try another model',
    code: 'LLM_REFUSED',
  });
}

async function schemaFormats(schema: z.ZodType, name: string): Promise<{ strictFormat: ChatCompletionCreateParamsNonStreaming['response_format'] | null; jsonSchema: unknown }> {
  const { zodResponseFormat } = await import('openai/helpers/zod');
  try {
    const format = zodResponseFormat(schema, name);
    return { strictFormat: format, jsonSchema: format.json_schema.schema };
  } catch {
    const { z } = await import('zod');
    let jsonSchema: unknown;
    try {
      jsonSchema = z.toJSONSchema(schema, { unrepresentable: 'any' });
    } catch {
      jsonSchema = { type: 'object' };
    }
    return { strictFormat: null, jsonSchema };
  }
}

function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const REPLY_TOO_LARGE = 'reply_too_large';
/** Marks the error responses the metering fetch makes itself (never sent by a server we trust). */
const LOCAL_ERROR_HEADER = 'x-statsig-hack-local-error';

/**
 * One short line from an error body: the JSON error message, or for an HTML page (a proxy's
 * 502) its <title> (else its first text), never the page itself.
 */
export function shortReason(text: string, max = 160): string {
  const t = text.trim();
  if (/^<|<html[\s>]|<body[\s>]|<!doctype/i.test(t)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(t)?.[1];
    const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(t)?.[1];
    const stripped = (title ?? h1 ?? t.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' '))
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
    return oneLine(`${oneLine(stripped, max)} (an HTML page)`, max + 15);
  }
  return oneLine(t, max);
}

interface ErrorContext {
  baseURL: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  redactor: Redactor;
}

/** Maps an openai SDK error to a one-line UserError (anything unknown is returned as is). */
export function mapSdkError(error: unknown, errors: SdkModule['errors'], c: ErrorContext): unknown {
  const r = (s: string): string => c.redactor.redact(s);
  const retries = c.maxRetries === 1 ? '1 retry' : `${c.maxRetries} retries`;
  if (error instanceof errors.APIConnectionTimeoutError) {
    return new UserError(r(`the model endpoint did not answer within ${c.timeoutMs} ms (after ${retries})`), {
      hint: 'try again, raise llm.timeoutMs in the config, or use a faster model',
      code: 'LLM_TIMEOUT',
    });
  }
  if (error instanceof errors.APIUserAbortError) {
    return new UserError('the model request was cancelled', { code: 'LLM_ABORTED' });
  }
  if (error instanceof errors.APIConnectionError) {
    const cause = error.cause instanceof Error ? ((error.cause as { cause?: unknown }).cause ?? error.cause) : undefined;
    const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : '';
    return new UserError(r(`cannot reach the model endpoint at ${c.baseURL}${detail ? ` (${detail})` : ''}`), {
      hint: 'check OPENAI_BASE_URL (or llm.baseURL) and that the server is running; for a local server start it first (e.g. `ollama serve`)',
      code: 'LLM_UNREACHABLE',
    });
  }
  if (error instanceof errors.APIError) {
    const status = (error as { status?: number }).status;
    const headers = (error as { headers?: { get?: (name: string) => string | null } }).headers;
    if (typeof headers?.get === 'function' && headers.get(LOCAL_ERROR_HEADER) === REPLY_TOO_LARGE) {
      return new UserError(r(`the model endpoint sent a reply too large for the request: ${shortReason(apiErrorMessage(error))}; it was abandoned and counted at its worst case`), {
        hint: 'check OPENAI_BASE_URL points at a real OpenAI-compatible server, or lower the output the task asks for',
        code: 'LLM_REPLY_TOO_LARGE',
      });
    }
    const apiMessage = shortReason(apiErrorMessage(error));
    if (status === 401 || status === 403) {
      return new UserError(r(`the model endpoint refused the API key (HTTP ${status}${apiMessage ? `: ${apiMessage}` : ''})`), {
        hint: 'check OPENAI_API_KEY (and OPENAI_BASE_URL if you use a local server)',
        code: 'LLM_AUTH',
      });
    }
    if (status === 404) {
      return new UserError(r(`model "${c.model}" not found at ${c.baseURL}${apiMessage ? ` (${apiMessage})` : ''}`), {
        hint: 'set a model the endpoint serves (--model, STATSIG_HACK_MODEL, llm.model or llm.models.<task>; `statsig-hack doctor` checks it), and check that OPENAI_BASE_URL ends in /v1',
        code: 'LLM_MODEL_NOT_FOUND',
      });
    }
    if (status === 429) {
      return new UserError(r(`the model endpoint is rate limiting (HTTP 429) and still was after ${retries}${apiMessage ? `: ${apiMessage}` : ''}`), {
        hint: 'wait a minute and try again, check your quota, or raise llm.maxRetries',
        code: 'LLM_RATE_LIMITED',
      });
    }
    if (status !== undefined && status >= 500) {
      return new UserError(r(`the model endpoint failed with HTTP ${status} after ${retries}${apiMessage ? `: ${apiMessage}` : ''}`), {
        hint: 'try again later',
        code: 'LLM_SERVER_ERROR',
      });
    }
    return new UserError(r(`the model endpoint rejected the request (HTTP ${status ?? '?'}${apiMessage ? `: ${apiMessage}` : ''})`), {
      hint: 'check the model name and that the endpoint is OpenAI-compatible',
      code: 'LLM_BAD_REQUEST',
    });
  }
  return error;
}

function apiErrorMessage(error: { error?: unknown; message: string }): string {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string') return body.message;
  return error.message.replace(/^\d{3}\s*/, '');
}

export function createLlmClient(opts: LlmClientOptions): LlmClient {
  return new Client(opts);
}

/** The client for a command: its env, config, settings and redactor, with SDK logs routed to its output. */
export function createLlmClientFor(ctx: Pick<CommandContext, 'env' | 'config' | 'settings' | 'cwd' | 'redactor' | 'out'>): LlmClient {
  return createLlmClient({
    env: ctx.env,
    config: ctx.config,
    settings: ctx.settings,
    cwd: ctx.cwd,
    redactor: ctx.redactor,
    onLog: (m, level) => (level === 'warn' ? ctx.out.warn(m) : ctx.out.debug(m)),
  });
}

// ---------------------------------------------------------------------------------------------
// Endpoint probe (doctor)

export interface EndpointProbe {
  baseURL: string;
  model: string;
  ok: boolean;
  latencyMs: number | null;
  /** How it was checked: the model list, or (when the server has none) a tiny completion. */
  method: 'models' | 'completion';
  /** Model ids listed by the endpoint, when it lists them. */
  models: string[] | null;
  /** Whether the configured model is in that list (null when unknown). */
  modelListed: boolean | null;
  error: { message: string; hint: string | null; code: string } | null;
}

/** One small request to the configured endpoint: GET /models, else a 1-token completion. */
export async function probeModelEndpoint(opts: LlmClientOptions & { timeoutMs?: number; task?: string }): Promise<EndpointProbe> {
  requireModel(opts.settings);
  const baseURL = baseURLOf(opts.settings);
  const model = modelForTask(opts.task ?? 'default', opts.config, opts.settings);
  const redactor = opts.redactor ?? new Redactor();
  redactor.add(opts.env.OPENAI_API_KEY);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const now = opts.now ?? Date.now;
  const mod = await loadSdk();
  const client = new mod.OpenAI({
    apiKey: opts.env.OPENAI_API_KEY || PLACEHOLDER_API_KEY,
    baseURL,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    timeout: timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const fail = (method: EndpointProbe['method'], error: unknown): EndpointProbe => {
    const mapped = mapSdkError(error, mod.errors, { baseURL, model, timeoutMs, maxRetries: 0, redactor });
    const user = mapped instanceof UserError ? mapped : null;
    return {
      baseURL,
      model,
      ok: false,
      latencyMs: null,
      method,
      models: null,
      modelListed: null,
      error: { message: user ? user.message : redactor.redact(errorMessage(error)), hint: user?.hint ?? null, code: user?.code ?? 'LLM_ERROR' },
    };
  };
  const started = now();
  try {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      ids.push(m.id);
      if (ids.length >= 1000) break;
    }
    return { baseURL, model, ok: true, latencyMs: now() - started, method: 'models', models: ids, modelListed: ids.includes(model), error: null };
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status !== 404 && status !== 405 && status !== 501) return fail('models', error);
  }
  const started2 = now();
  try {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Reply with OK.' }], max_completion_tokens: 1 });
    return { baseURL, model, ok: true, latencyMs: now() - started2, method: 'completion', models: null, modelListed: null, error: null };
  } catch (error) {
    return fail('completion', error);
  }
}
