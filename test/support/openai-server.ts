/**
 * A tiny OpenAI-compatible HTTP server for tests (node:http on 127.0.0.1, random port).
 *
 *   const server = await startOpenAIServer([
 *     { json: { ideas: [] } },                         // content = JSON.stringify(value)
 *     { status: 429 },                                 // an error reply (the SDK retries it)
 *     { content: 'not json', usage: { prompt_tokens: 100, completion_tokens: 20 } },
 *     { toolCalls: [{ name: 'click', arguments: { selector: '#buy' } }] },
 *     { delayMs: 2000, json: { late: true } },         // answers after 2 s (timeouts)
 *   ]);
 *   // point the client at it: env OPENAI_BASE_URL=server.url (ends in /v1), OPENAI_API_KEY=anything
 *   server.requests        // every request: { method, path, headers, body } (body parsed JSON)
 *   server.chatRequests()  // only the POST /v1/chat/completions ones
 *   await server.close();
 *
 * The script is either a queue of replies (one per chat completion request, in order) or a
 * function `(request, index) => Reply` (index counts chat requests from 0). When a queue is
 * used up the server answers 500 "openai-server: script exhausted" with `x-should-retry: false`,
 * so a test that sends more requests than it scripted fails loudly instead of hanging.
 *
 * Routes: POST /v1/chat/completions (non-streaming, and `stream: true` as SSE chunks),
 * GET /v1/models (the `models` option; not scripted), POST /v1/embeddings (not scripted:
 * deterministic hashed bag-of-words vectors, `embeddingDims` long, see `fakeEmbedding`; an
 * `embeddingsStatus` option makes it answer that HTTP error instead). Anything else is 404.
 *
 * Replies (every field optional, combine `delayMs`, `usage`, `model`, `finishReason` with one body):
 *   json        any JSON value, sent as the message content (stringified)
 *   content     raw content string (e.g. invalid JSON, or prose)
 *   refusal     a refusal message (content null)
 *   toolCalls   [{ name, arguments (object or string), id? }] -> finish_reason "tool_calls"
 *   status      HTTP status >= 400: an error reply with body { error: { message, type, code } }
 *               (`error` overrides message/type/code). Errors carry `retry-after-ms: 1` so the
 *               SDK's backoff stays fast; override with `headers`.
 *   headers     extra response headers
 *   delayMs     wait this long before answering
 *   usage       { prompt_tokens, completion_tokens } (default: about 1 token per 4 characters);
 *               null sends a reply without `usage` (as some local servers do)
 *   raw         { status?, contentType?, body }: sent verbatim (e.g. a proxy's HTML 502 page)
 *   hugeContentBytes  the content is this many bytes of 'x', written in 64 KiB chunks
 *   hangAfterHeaders  send the status line and headers (and `raw.body`, if any), then nothing
 *   model       the model name in the reply (default: the requested model)
 *   finishReason 'stop' | 'length' | 'content_filter' | 'tool_calls'
 *
 * Options: `models` (ids for GET /v1/models, default ['gpt-4.1-mini', 'gpt-4o-mini']),
 * `apiKey` (when set, requests without `Authorization: Bearer <apiKey>` get a 401 whose
 * message echoes the key that was sent, like a careless real server would).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ToolCallReply {
  name: string;
  arguments: unknown;
  id?: string;
}

export interface Reply {
  json?: unknown;
  content?: string;
  refusal?: string;
  toolCalls?: ToolCallReply[];
  status?: number;
  error?: { message?: string; type?: string; code?: string | null };
  headers?: Record<string, string>;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  raw?: { status?: number; contentType?: string; body: string };
  hugeContentBytes?: number;
  hangAfterHeaders?: boolean;
  model?: string;
  finishReason?: 'stop' | 'length' | 'content_filter' | 'tool_calls';
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or null (GET, or a body that is not JSON). */
  body: any;  
  /** The raw body text. */
  raw: string;
}

export type Script = Reply[] | ((request: RecordedRequest, index: number) => Reply | Promise<Reply>);

export interface OpenAIServerOptions {
  models?: string[];
  apiKey?: string;
  /** Length of the vectors POST /v1/embeddings returns (default 64). */
  embeddingDims?: number;
  /** Answer POST /v1/embeddings with this HTTP error status instead. */
  embeddingsStatus?: number;
}

/**
 * A deterministic embedding: each lower-cased word (letters and digits) adds 1 to the dimension
 * its FNV-1a hash picks, then the vector is scaled to unit length. Texts sharing words are close.
 */
export function fakeEmbedding(text: string, dims = 64): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0)) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i += 1) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    v[(h >>> 0) % dims] = (v[(h >>> 0) % dims] as number) + 1;
  }
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

export interface OpenAIServer {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:43121/v1 */
  url: string;
  requests: RecordedRequest[];
  chatRequests(): RecordedRequest[];
  /** Only the POST /v1/embeddings ones. */
  embeddingRequests(): RecordedRequest[];
  close(): Promise<void>;
}

const STATUS_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  429: 'rate_limit_exceeded',
};

/** A chat completion whose content is `bytes` of 'x', written in chunks (stops if the client goes away). */
async function sendHuge(res: http.ServerResponse, bytes: number, usage: Reply['usage'], model: string): Promise<void> {
  res.on('error', () => undefined);
  res.writeHead(200, { 'content-type': 'application/json' });
  const head = `{"id":"chatcmpl-huge","object":"chat.completion","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},"choices":[{"index":0,"finish_reason":"stop","logprobs":null,"message":{"role":"assistant","refusal":null,"content":"`;
  const tail = `"}}]${usage ? `,"usage":${JSON.stringify({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens })}` : ''}}`;
  res.write(head);
  const chunk = 'x'.repeat(64 * 1024);
  let left = bytes;
  while (left > 0 && !res.destroyed) {
    const piece = left >= chunk.length ? chunk : chunk.slice(0, left);
    left -= piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end(tail);
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export async function startOpenAIServer(script: Script = [], options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let chatIndex = 0;
  let counter = 0;
  const models = options.models ?? ['gpt-4.1-mini', 'gpt-4o-mini'];

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const nextReply = async (req: RecordedRequest): Promise<Reply> => {
    const index = chatIndex++;
    if (typeof script === 'function') return script(req, index);
    const reply = script[index];
    if (reply === undefined) {
      return { status: 500, error: { message: `openai-server: script exhausted (request #${index + 1}, ${script.length} scripted)` }, headers: { 'x-should-retry': 'false' } };
    }
    return reply;
  };

  const handleChat = async (req: RecordedRequest, res: http.ServerResponse): Promise<void> => {
    const reply = await nextReply(req);
    if (reply.delayMs) await wait(reply.delayMs);
    if (res.destroyed) return;
    if (reply.hangAfterHeaders) {
      res.writeHead(reply.raw?.status ?? 200, { 'content-type': reply.raw?.contentType ?? 'application/json', ...reply.headers });
      res.write(reply.raw?.body ?? '{"id":');
      return; // never ends; close() drops the connection
    }
    if (reply.raw) {
      res.writeHead(reply.raw.status ?? 200, { 'content-type': reply.raw.contentType ?? 'text/html', ...reply.headers });
      res.end(reply.raw.body);
      return;
    }
    if (reply.hugeContentBytes !== undefined) {
      await sendHuge(res, reply.hugeContentBytes, reply.usage ?? null, (req.body as { model?: string } | null)?.model ?? 'unknown-model');
      return;
    }
    const body = (req.body ?? {}) as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    if (reply.status !== undefined && reply.status >= 400) {
      const error = {
        message: reply.error?.message ?? `scripted error ${reply.status}`,
        type: reply.error?.type ?? STATUS_TYPES[reply.status] ?? 'server_error',
        param: null,
        code: reply.error?.code ?? null,
      };
      sendJson(res, reply.status, { error }, { 'retry-after-ms': '1', ...reply.headers });
      return;
    }
    const model = reply.model ?? body.model ?? 'unknown-model';
    const content = reply.json !== undefined ? JSON.stringify(reply.json) : reply.refusal !== undefined ? null : (reply.content ?? (reply.toolCalls ? null : ''));
    const toolCalls = reply.toolCalls?.map((t, i) => ({
      id: t.id ?? `call_${++counter}_${i}`,
      type: 'function' as const,
      function: { name: t.name, arguments: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments) },
    }));
    const finishReason = reply.finishReason ?? (toolCalls ? 'tool_calls' : 'stop');
    const promptTokens = reply.usage?.prompt_tokens ?? estimateTokens(req.raw);
    const completionTokens = reply.usage?.completion_tokens ?? estimateTokens(content ?? JSON.stringify(toolCalls ?? reply.refusal ?? ''));
    const usage = reply.usage === null ? undefined : { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const id = `chatcmpl-test${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const message = {
      role: 'assistant' as const,
      content,
      refusal: reply.refusal ?? null,
      ...(toolCalls ? { tool_calls: toolCalls } : {}),
    };
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
      const chunk = (delta: unknown, finish: string | null, extra: Record<string, unknown> = {}): void => {
        res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`);
      };
      chunk({ role: 'assistant', content: '' }, null);
      if (content) for (const piece of content.match(/[\s\S]{1,16}/g) ?? []) chunk({ content: piece }, null);
      if (reply.refusal) chunk({ refusal: reply.refusal }, null);
      if (toolCalls) chunk({ tool_calls: toolCalls.map((t, index) => ({ index, ...t })) }, null);
      chunk({}, finishReason);
      if (body.stream_options?.include_usage && usage) {
        res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(
      res,
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
        usage,
        system_fingerprint: 'fp_test',
      },
      reply.headers,
    );
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : null;
      } catch {
        body = null;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body, raw };
      requests.push(recorded);
      if (options.apiKey !== undefined) {
        const auth = req.headers.authorization ?? '';
        if (auth !== `Bearer ${options.apiKey}`) {
          const sent = auth.replace(/^Bearer\s+/i, '');
          sendJson(res, 401, { error: { message: `Incorrect API key provided: ${sent}.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
          return;
        }
      }
      const route = `${recorded.method} ${url.pathname.replace(/\/+$/, '')}`;
      if (route === 'POST /v1/chat/completions') {
        handleChat(recorded, res).catch((error: unknown) => {
          sendJson(res, 500, { error: { message: `openai-server: ${String(error)}`, type: 'server_error' } }, { 'x-should-retry': 'false' });
        });
      } else if (route === 'POST /v1/embeddings') {
        if (options.embeddingsStatus !== undefined) {
          sendJson(res, options.embeddingsStatus, { error: { message: `scripted error ${options.embeddingsStatus}`, type: 'server_error' } }, { 'retry-after-ms': '1', 'x-should-retry': 'false' });
          return;
        }
        const input = (body as { input?: unknown } | null)?.input;
        const texts = Array.isArray(input) ? input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [typeof input === 'string' ? input : ''];
        const model = (body as { model?: string } | null)?.model ?? 'unknown-model';
        const tokens = texts.reduce((n, t) => n + estimateTokens(t), 0);
        sendJson(res, 200, { object: 'list', model, data: texts.map((t, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(t, options.embeddingDims ?? 64) })), usage: { prompt_tokens: tokens, total_tokens: tokens } });
      } else if (route === 'GET /v1/models') {
        sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'test' })) });
      } else {
        sendJson(res, 404, { error: { message: `openai-server: no route ${route}`, type: 'invalid_request_error', code: 'unknown_url' } });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.method === 'POST' && r.path.replace(/\/+$/, '') === '/v1/chat/completions'),
    embeddingRequests: () => requests.filter((r) => r.method === 'POST' && r.path.replace(/\/+$/, '') === '/v1/embeddings'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
